//! The survey aggregator: counts each stored response exactly once, behind its write. A response is the only write
//! on the request path (so a survey may have any number of questions); its counters are added here, in chunks of
//! [`crate::survey::CHUNK`], each with its marker on the response (`Store::count_chunk`), so a response delivered
//! twice, or a batch retried after a failure half-way, is never counted twice.
//!
//! On AWS the table's stream (DynamoDB Streams, `NEW_IMAGE`, inserts of `RESP#` items only) invokes the
//! `cchc-aggregate` Lambda with batches ([`Aggregator::stream_batch`]); a failed record is reported as a
//! `batchItemFailures` entry, retried, and after the retries go to the dead-letter queue. Locally the SQLite store
//! counts after each commit with the same chunks and markers (`SqliteStore::count_uncounted`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[cfg(feature = "aws")]
use serde_json::{Value, json};

use crate::store::{Store, StoreError};
use crate::survey::{Record, Survey, chunk_count, chunks};

/// Counts responses into a store's counters.
#[derive(Debug)]
pub struct Aggregator<S> {
    store: Arc<S>,
    /// Published versions never change: each process keeps the ones it has read.
    surveys: Mutex<HashMap<(String, u32), Arc<Survey>>>,
}

impl<S: Store> Aggregator<S> {
    /// An aggregator over `store`.
    pub fn new(store: Arc<S>) -> Self {
        Self { store, surveys: Mutex::new(HashMap::new()) }
    }

    /// The store it counts into.
    pub fn into_store(self) -> Arc<S> {
        self.store
    }

    async fn survey(&self, id: &str, version: u32) -> Result<Arc<Survey>, StoreError> {
        let key = (id.to_string(), version);
        if let Some(hit) = self.surveys.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok(hit);
        }
        let survey = self.store.survey(id, Some(version)).await?.ok_or_else(|| {
            StoreError::unavailable(anyhow::anyhow!("survey {id} version {version} is not published"))
        })?;
        let survey = Arc::new(survey);
        if let Ok(mut cache) = self.surveys.lock() {
            cache.insert(key, survey.clone());
        }
        Ok(survey)
    }

    /// Counts the stored response `record` of `survey`: every chunk of its counters not counted yet. `chunks` is
    /// the number the response was stored with, checked against the definition's. Returns how many chunks this call
    /// counted (0 when all were counted before). A response that is not stored (any more) is not counted.
    pub async fn count(&self, survey: &str, record: &Record, stored_chunks: Option<u32>) -> Result<u32, StoreError> {
        let definition = self.survey(survey, record.version).await?;
        let counters = record.response.counters(&definition);
        if let Some(expected) = stored_chunks
            && expected != chunk_count(counters.len())
        {
            return Err(StoreError::unavailable(anyhow::anyhow!(
                "response {} of {survey} was stored with {expected} chunks, its version's definition makes {}",
                record.id,
                chunk_count(counters.len())
            )));
        }
        let mut counted = 0;
        for (chunk, keys) in chunks(&counters) {
            match self.store.count_chunk(survey, record.version, record.id, chunk, keys).await {
                Ok(true) => counted += 1,
                Ok(false) => {}
                Err(StoreError::NotFound) => {
                    tracing::warn!(%survey, response = %record.id, "response not stored; not counted");
                    return Ok(counted);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(counted)
    }

    /// One batch of DynamoDB stream records (the Lambda's event, or `GetRecords`' `Records`): counts each new survey
    /// response in order and answers the partial-batch response (`ReportBatchItemFailures`): the first record that
    /// failed, from which Lambda retries (the ones before it are done; those after it come again, and their markers
    /// make that harmless).
    #[cfg(feature = "aws")]
    pub async fn stream_batch(&self, event: &Value) -> Value {
        let records = event.get("Records").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for record in records {
            let sequence = record.pointer("/dynamodb/SequenceNumber").and_then(Value::as_str).unwrap_or_default();
            if record.get("eventName").and_then(Value::as_str) != Some("INSERT") {
                continue;
            }
            let image = record.pointer("/dynamodb/NewImage").unwrap_or(&Value::Null);
            let outcome = match crate::store::streamed_response(image) {
                Ok(Some(streamed)) if streamed.chunks.is_some() => {
                    self.count(&streamed.survey, &streamed.record, streamed.chunks).await.map(|_| ())
                }
                Ok(_) => Ok(()), // not a response, or one counted with its write
                Err(error) => Err(error),
            };
            if let Err(error) = outcome {
                tracing::error!(error = format!("{:#}", anyhow::Error::new(error)), sequence, "counting failed");
                return json!({ "batchItemFailures": [{ "itemIdentifier": sequence }] });
            }
        }
        json!({ "batchItemFailures": [] })
    }
}
