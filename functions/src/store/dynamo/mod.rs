//! The AWS store: one DynamoDB table, conditional writes and transactions so that a submission, its private contact
//! and its idempotency key are written all or nothing. Pending items carry the `gsi1` keys, so the moderation queue
//! is a sparse index that moderation empties. Throttling is retried with backoff by the SDK's standard retry mode.
//!
//! - `keys`: the table's item layout, every key formatted once; `items`: records into items and back;
//! - `table`: the table's shape (for tests and `infra/`);
//! - `queries`: the `Store` contract; this module: the requests they share.

mod erasure;
mod items;
mod keys;
mod queries;
mod stream;
mod table;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::Utc;
use ulid::Ulid;

use self::items::{Item, get_n, get_s, n, s};
use self::keys::Key;
use super::{Cursor, IDEMPOTENCY_TTL_SECONDS, Listing, Saved, StoreError};
use crate::domain::{AuditEntry, StoredResponse};

pub use stream::{StreamedResponse, streamed_response};
pub use table::{TABLE_DEFINITION, TableDefinition};

/// DynamoDB behind the `Store` contract. The client is created once per process and shared.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Months contact details are kept after their item is closed (then DynamoDB's TTL deletes them).
    contact_retention: u32,
}

fn unavailable<E: std::error::Error + Send + Sync + 'static>(error: SdkError<E>) -> StoreError {
    StoreError::Unavailable(anyhow::Error::new(error).context("DynamoDB"))
}

/// A conditional write's outcome: `None` when its condition refused it (nothing was written).
fn unless_refused<T, E>(sent: Result<T, SdkError<E>>) -> Result<Option<T>, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match sent {
        Ok(output) => Ok(Some(output)),
        Err(error) if error.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException") => {
            Ok(None)
        }
        Err(error) => Err(unavailable(error)),
    }
}

fn now_seconds() -> i64 {
    Utc::now().timestamp()
}

/// The keys of an item, as JSON, for a cursor.
fn key_json(item: &Item, keys: &[&str]) -> Result<String, StoreError> {
    let map: HashMap<&str, String> = keys.iter().filter_map(|k| get_s(item, k).map(|v| (*k, v))).collect();
    serde_json::to_string(&map).map_err(StoreError::unavailable)
}

/// The key to start after, from a cursor this store made.
fn start_key(cursor: Option<&Cursor>) -> Result<Option<Item>, StoreError> {
    cursor
        .map(|c| {
            let map: HashMap<String, String> =
                serde_json::from_str(&c.position()?).map_err(|_| StoreError::BadCursor)?;
            if !map.contains_key("pk") || !map.contains_key("sk") {
                return Err(StoreError::BadCursor);
            }
            Ok(map.into_iter().map(|(k, v)| (k, s(v))).collect())
        })
        .transpose()
}

/// The first `limit` of `items` (one more was asked for, to know whether there is a next stretch), read with
/// `T::try_from`; the cursor holds the last one's `keys`.
fn listing<T>(mut items: Vec<Item>, limit: usize, keys: &[&str]) -> Result<Listing<T>, StoreError>
where
    T: for<'a> TryFrom<&'a Item, Error = StoreError>,
{
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| key_json(last, keys)).transpose()?.map(|k| Cursor::encode(&k))
    } else {
        None
    };
    Ok(Listing { items: items.iter().map(T::try_from).collect::<Result<_, _>>()?, next })
}

/// An access code a survey response consumes in its transaction.
#[derive(Debug)]
struct CodeUse<'a> {
    /// Index of the code's update among the transaction's writes (the idempotency record aside).
    at: usize,
    /// The code's item.
    key: Key,
    /// The unit of the response.
    unit: &'a str,
}

/// Conditional writes of a batch of codes sent at once: a few thousand one by one would outlast a Lambda's
/// timeout. 25 matches a `BatchWriteItem`'s size, which cannot be used here because it takes no conditions.
const PARALLEL_WRITES: usize = 25;

impl DynamoStore {
    /// A store over `table`, with a client built once by the caller.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), contact_retention: super::CONTACT_RETENTION_MONTHS }
    }

    /// The table's name (the tests read its stream).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The store, with contact details deleted (by TTL) `months` after their item is closed.
    pub fn with_contact_retention(mut self, months: u32) -> Self {
        self.contact_retention = months;
        self
    }

    /// Builds a client from the environment (region, credentials; `endpoint_url` for a local server).
    pub async fn client_from_env(endpoint_url: Option<&str>) -> Client {
        let mut loader = crate::aws::config_loader();
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        Self::client(&loader.load().await)
    }

    /// A client for `config` with the store's retries and timeouts (the Lambdas' and `cchc`'s alike).
    pub fn client(config: &aws_config::SdkConfig) -> Client {
        // A DynamoDB call answers in milliseconds; one that hangs is cut after 2 s and retried, and the whole
        // operation, retries included, ends within 7 s: inside the Lambdas' 10 s timeout, so a caller that waited
        // that long still gets a 503 problem+json to retry with its key, never a timed-out Lambda. A test server
        // on a busy machine (moto) may need longer: `CCHC_DYNAMODB_ATTEMPT_TIMEOUT_SECONDS` (tests/run sets it).
        let attempt = std::env::var("CCHC_DYNAMODB_ATTEMPT_TIMEOUT_SECONDS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|&s| s > 0)
            .unwrap_or(2);
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(std::time::Duration::from_secs(attempt))
            .operation_timeout(std::time::Duration::from_millis(attempt * 3500))
            .build();
        let config = aws_sdk_dynamodb::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5))
            .timeout_config(timeouts)
            .build();
        Client::from_conf(config)
    }

    /// The item at `key`. `consistent`: see every write acknowledged before (twice the read cost).
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(found.item)
    }

    /// Writes `item` unless an item with its key exists; says whether it did.
    async fn put_new(&self, item: Item) -> Result<bool, StoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        Ok(unless_refused(sent)?.is_some())
    }

    /// Applies `update` (whose condition says the item exists and allows the change) to the item at `key` in one
    /// transaction with `audit`'s entry, and gives the item as now stored. When the condition fails, nothing is
    /// written: `NotFound` (absent) or `Conflict` with `conflict` (present, but already changed). A transaction
    /// cancelled by a concurrent one on the same item is tried again, and then meets the changed condition.
    async fn change_audited(
        &self,
        key: &Key,
        update: impl Fn(UpdateBuilder) -> UpdateBuilder,
        conflict: &str,
        audit: &AuditEntry,
    ) -> Result<Item, StoreError> {
        self.change_audited_with(key, update, conflict, audit, None).await
    }

    /// [`DynamoStore::change_audited`], also starting the retention clock of the contact at `contact` (its TTL set
    /// to `contact_retention` months after the audited change), in the same transaction.
    async fn change_audited_with(
        &self,
        key: &Key,
        update: impl Fn(UpdateBuilder) -> UpdateBuilder,
        conflict: &str,
        audit: &AuditEntry,
        contact: Option<&Key>,
    ) -> Result<Item, StoreError> {
        let update = update(aws_sdk_dynamodb::types::Update::builder().table_name(&self.table))
            .set_key(Some(key.attributes()))
            .build()
            .map_err(StoreError::unavailable)?;
        let mut writes =
            vec![TransactWriteItem::builder().update(update).build(), self.put_new_in_transaction(Item::from(audit))?];
        if let Some(contact) = contact {
            let expires = super::contact_expiry(audit.at, self.contact_retention);
            let clock = aws_sdk_dynamodb::types::Update::builder()
                .table_name(&self.table)
                .set_key(Some(contact.attributes()))
                // Only a contact that is there: one already deleted is not brought back as an empty item.
                .condition_expression("attribute_exists(pk)")
                .update_expression("SET #ttl = :expires")
                .expression_attribute_names("#ttl", TABLE_DEFINITION.ttl_attribute)
                .expression_attribute_values(":expires", n(expires))
                .build()
                .map_err(StoreError::unavailable)?;
            writes.push(TransactWriteItem::builder().update(clock).build());
        }
        let mut delay = Duration::from_millis(10);
        for _ in 0..8 {
            let sent = self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await;
            let error = match sent {
                Ok(_) => return self.get(key, true).await?.ok_or(StoreError::NotFound),
                Err(error) => error,
            };
            let (refused, no_contact) = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    let failed = |i: usize| {
                        e.cancellation_reasons().get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
                    };
                    (failed(0), failed(2))
                }
                _ => return Err(unavailable(error)),
            };
            if no_contact && !refused {
                // The contact is gone already (erased or expired): the change goes through without its clock.
                writes.truncate(2);
                continue;
            }
            if refused {
                return match self.get(key, true).await? {
                    Some(_) => Err(StoreError::Conflict(conflict.into())),
                    None => Err(StoreError::NotFound),
                };
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        Err(StoreError::unavailable(anyhow::anyhow!("transaction kept conflicting with concurrent writes")))
    }

    /// Up to `limit + 1` items that `query` (a key condition and a filter) finds, newest first, after `cursor`:
    /// pages are read until enough items passed the filter.
    async fn filtered_newest(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
        query: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut start = start_key(cursor)?;
        let mut items = Vec::new();
        loop {
            let page = query(self.client.query().table_name(&self.table))
                .scan_index_forward(false)
                .limit(i32::try_from(limit.max(1) * 2).unwrap_or(100))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(last) if items.len() <= limit => start = Some(last),
                _ => return Ok(items),
            }
        }
    }

    /// Every item `query` finds, page after page.
    async fn query_all(
        &self,
        query: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = query(self.client.query().table_name(&self.table))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Up to `limit + 1` items of a moderation queue, oldest first, after `cursor`.
    async fn queue(&self, queue: &str, cursor: Option<&Cursor>, limit: usize) -> Result<Vec<Item>, StoreError> {
        self.index_page(queue, true, cursor, limit).await
    }

    /// Up to `limit + 1` items of the index partition `partition`, in time order (`oldest_first`) or newest first,
    /// after `cursor`.
    async fn index_page(
        &self,
        partition: &str,
        oldest_first: bool,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(TABLE_DEFINITION.gsi_name)
            .scan_index_forward(oldest_first)
            .key_condition_expression("gsi1pk = :queue")
            .expression_attribute_values(":queue", s(partition))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start_key(cursor)?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.items.unwrap_or_default())
    }

    /// Sends `writes` (conditional updates), [`PARALLEL_WRITES`] at a time, and says how many were applied (the
    /// others' conditions refused them).
    async fn update_each(&self, writes: Vec<UpdateItemFluentBuilder>) -> Result<usize, StoreError> {
        let mut applied = 0;
        let mut writes = writes.into_iter().peekable();
        while writes.peek().is_some() {
            let mut running = tokio::task::JoinSet::new();
            for write in writes.by_ref().take(PARALLEL_WRITES) {
                running.spawn(write.send());
            }
            while let Some(sent) = running.join_next().await {
                if unless_refused(sent.map_err(StoreError::unavailable)?)?.is_some() {
                    applied += 1;
                }
            }
        }
        Ok(applied)
    }

    /// Why the response's access code was refused, read after the fact (only the message depends on it; the
    /// refusal itself was the transaction's condition): a live code of another unit, or else no usable code.
    async fn code_refusal(&self, code: &CodeUse<'_>) -> Result<StoreError, StoreError> {
        Ok(self.code_check(&code.key, code.unit).await?.err().unwrap_or(StoreError::CodeRejected))
    }

    /// What the access code at `key` allows a response of `unit` (`code_verdict`), read consistently.
    async fn code_check(&self, key: &Key, unit: &str) -> Result<Result<(), StoreError>, StoreError> {
        let item = self.get(key, true).await?;
        let found = item.as_ref().map(|item| {
            let live = !item.contains_key("used_at") && !item.contains_key("revoked_at");
            (get_s(item, "unit").unwrap_or_default(), live)
        });
        Ok(crate::store::code_verdict(found.as_ref().map(|(u, live)| (u.as_str(), *live)), unit))
    }

    /// A transaction's put of an item that must be new.
    fn put_new_in_transaction(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Writes new `items` and the idempotency record in one transaction; on a key seen before, replays or
    /// refuses.
    async fn write_once(
        &self,
        key: String,
        fingerprint: &str,
        response: &StoredResponse,
        items: Vec<Item>,
    ) -> Result<Saved, StoreError> {
        let writes = items.into_iter().map(|item| self.put_new_in_transaction(item)).collect::<Result<_, _>>()?;
        self.transact_once(key, fingerprint, response, writes, None).await
    }

    /// Runs `writes`, whose first is the marker update on the response at `response` (its condition: the chunk not
    /// counted yet), in one transaction: `true` when it went through, `false` when the marker was there (nothing
    /// written), `NotFound` when the response is not. A transaction cancelled by a concurrent one (two shards' batches
    /// on the same hot counters) is tried again with jittered backoff.
    async fn transact_counted(&self, response: &Key, writes: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        let mut delay = Duration::from_millis(10);
        for attempt in 0..12 {
            let sent = self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await;
            let error = match sent {
                Ok(_) => return Ok(true),
                Err(error) => error,
            };
            let marker_refused = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    e.cancellation_reasons().first().and_then(|r| r.code()) == Some("ConditionalCheckFailed")
                }
                _ => return Err(unavailable(error)),
            };
            if marker_refused {
                return match self.get(response, true).await? {
                    Some(_) => Ok(false),
                    None => Err(StoreError::NotFound),
                };
            }
            tracing::debug!(attempt, "counting cancelled by a concurrent transaction; retrying");
            let jitter = u64::from(Ulid::new().random() as u16) % (delay.as_millis() as u64 + 1);
            tokio::time::sleep(delay + Duration::from_millis(jitter)).await;
            delay = (delay * 2).min(Duration::from_millis(400));
        }
        Err(StoreError::unavailable(anyhow::anyhow!("counting kept conflicting with concurrent transactions")))
    }

    /// Runs `writes` and the idempotency record in one transaction; on a key seen before, replays or refuses.
    /// `code`: the access-code update among `writes`, whose failed condition refuses the response.
    async fn transact_once(
        &self,
        key: String,
        fingerprint: &str,
        response: &StoredResponse,
        writes: Vec<TransactWriteItem>,
        code: Option<CodeUse<'_>>,
    ) -> Result<Saved, StoreError> {
        let key = Key::idempotency(&key);
        let mut record = key.attributes();
        record.extend([
            ("fingerprint".to_string(), s(fingerprint)),
            ("status".to_string(), n(i64::from(response.status))),
            ("body".to_string(), s(response.body.clone())),
            ("ttl".to_string(), n(now_seconds() + IDEMPOTENCY_TTL_SECONDS)),
        ]);
        // An expired record (TTL deletion lags by up to days) counts as absent.
        let record_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(record))
            .condition_expression("attribute_not_exists(pk) OR #ttl < :now")
            .expression_attribute_names("#ttl", TABLE_DEFINITION.ttl_attribute)
            .expression_attribute_values(":now", n(now_seconds()))
            .build()
            .map_err(StoreError::unavailable)?;
        let writes: Vec<TransactWriteItem> =
            std::iter::once(TransactWriteItem::builder().put(record_put).build()).chain(writes).collect();
        // A transaction cancelled by a concurrent one on the same items (`TransactionConflict`: the same key, or
        // hot survey counters) leaves nothing to read yet: try again, with jittered backoff, until the other one's
        // record is there or ours goes through.
        let mut delay = Duration::from_millis(10);
        for attempt in 0..12 {
            let result = self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await;
            let error = match result {
                Ok(_) => return Ok(Saved::Created),
                Err(error) => error,
            };
            let reasons = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => e.cancellation_reasons(),
                _ => return Err(unavailable(error)),
            };
            let code_failed = code
                .as_ref()
                .filter(|c| reasons.get(c.at + 1).and_then(|r| r.code()) == Some("ConditionalCheckFailed"));
            if let Some(first) = self.get(&key, true).await? {
                if get_s(&first, "fingerprint").as_deref() != Some(fingerprint) {
                    return Err(StoreError::KeyReused);
                }
                let status = get_n(&first, "status").unwrap_or(202);
                return Ok(Saved::Replayed(StoredResponse { status, body: get_s(&first, "body").unwrap_or_default() }));
            }
            if let Some(code) = code_failed {
                return Err(self.code_refusal(code).await?);
            }
            tracing::debug!(attempt, "transaction cancelled by a concurrent one; retrying");
            let jitter = u64::from(Ulid::new().random() as u16) % (delay.as_millis() as u64 + 1);
            tokio::time::sleep(delay + Duration::from_millis(jitter)).await;
            delay = (delay * 2).min(Duration::from_millis(400));
        }
        Err(StoreError::unavailable(anyhow::anyhow!("transaction kept conflicting with concurrent writes")))
    }
}
