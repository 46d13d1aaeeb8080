//! The AWS store: one DynamoDB table (see ARCHITECTURE.md), conditional writes and transactions so that a
//! submission, its private contact and its idempotency key are written all or nothing. Pending items carry the
//! `gsi1` keys, so the moderation queue is a sparse index that moderation empties. Throttling is retried with
//! backoff by the SDK's standard retry mode.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use chrono::{DateTime, NaiveDate, Utc};
use ulid::Ulid;

use super::{Cursor, IDEMPOTENCY_TTL_SECONDS, KeyScope, Page, Publication, Saved, Store, StoreError, SurveyWrite};
use crate::domain::{
    AnswerText, Comment, CommentContact, Consultation, ConsultationId, Decision, IdempotencyKey, Question,
    QuestionContact, Status, StoredResponse,
};
use crate::survey::{Record, Survey};

type Item = HashMap<String, AttributeValue>;

/// The table's shape, shared by the tests that create it and by `infra/` (which must agree with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDefinition {
    /// Partition key attribute.
    pub partition_key: &'static str,
    /// Sort key attribute.
    pub sort_key: &'static str,
    /// The moderation-queue index.
    pub gsi_name: &'static str,
    /// Its partition key.
    pub gsi_partition_key: &'static str,
    /// Its sort key.
    pub gsi_sort_key: &'static str,
    /// Attribute holding the expiry time (epoch seconds) for TTL.
    pub ttl_attribute: &'static str,
}

/// The one table.
pub const TABLE_DEFINITION: TableDefinition = TableDefinition {
    partition_key: "pk",
    sort_key: "sk",
    gsi_name: "gsi1",
    gsi_partition_key: "gsi1pk",
    gsi_sort_key: "gsi1sk",
    ttl_attribute: "ttl",
};

const QUEUE_COMMENTS: &str = "MOD#COMMENT";
const QUEUE_QUESTIONS: &str = "MOD#QUESTION";

/// DynamoDB behind the `Store` contract. The client is created once per process and shared.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

fn need_s(item: &Item, key: &str) -> Result<String, StoreError> {
    get_s(item, key).ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("item lacks `{key}`")))
}

fn unavailable<E: std::error::Error + Send + Sync + 'static>(
    error: aws_sdk_dynamodb::error::SdkError<E>,
) -> StoreError {
    StoreError::Unavailable(anyhow::Error::new(error).context("DynamoDB"))
}

fn time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(StoreError::unavailable)
}

fn put_opt(item: &mut Item, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        item.insert(key.into(), s(v.clone()));
    }
}

fn comment_item(c: &Comment) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(format!("CONSULT#{}", c.consultation))),
        ("sk".into(), s(format!("COMMENT#{}", c.id))),
        ("status".into(), s(c.status.as_str())),
        ("created_at".into(), s(c.created_at.to_rfc3339())),
        ("text".into(), s(c.text.clone())),
    ]);
    put_opt(&mut item, "name", &c.name);
    put_opt(&mut item, "organisation", &c.organisation);
    put_opt(&mut item, "section", &c.section);
    put_opt(&mut item, "reason", &c.reason);
    if c.status == Status::Pending {
        item.insert("gsi1pk".into(), s(QUEUE_COMMENTS));
        item.insert("gsi1sk".into(), s(c.id.to_string()));
    }
    item
}

fn comment_from(item: &Item) -> Result<Comment, StoreError> {
    let sk = need_s(item, "sk")?;
    let pk = need_s(item, "pk")?;
    let status = need_s(item, "status")?;
    Ok(Comment {
        id: Ulid::from_string(sk.trim_start_matches("COMMENT#")).map_err(StoreError::unavailable)?,
        consultation: ConsultationId::parse(pk.trim_start_matches("CONSULT#"))
            .map_err(|e| StoreError::unavailable(anyhow::anyhow!(e.message)))?,
        status: Status::parse(&status).ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("status `{status}`")))?,
        created_at: time(&need_s(item, "created_at")?)?,
        name: get_s(item, "name"),
        organisation: get_s(item, "organisation"),
        section: get_s(item, "section"),
        text: need_s(item, "text")?,
        reason: get_s(item, "reason"),
    })
}

fn question_item(q: &Question) -> Result<Item, StoreError> {
    let mut item = Item::from([
        ("pk".into(), s("QUESTION")),
        ("sk".into(), s(format!("Q#{}", q.id))),
        ("created_at".into(), s(q.created_at.to_rfc3339())),
        ("text".into(), s(q.text.clone())),
    ]);
    if let Some(a) = &q.attachment {
        item.insert("attachment".into(), s(serde_json::to_string(a).map_err(StoreError::unavailable)?));
    }
    put_opt(&mut item, "answer", &q.answer);
    if q.answer.is_none() {
        item.insert("gsi1pk".into(), s(QUEUE_QUESTIONS));
        item.insert("gsi1sk".into(), s(q.id.to_string()));
    }
    Ok(item)
}

fn question_from(item: &Item) -> Result<Question, StoreError> {
    let sk = need_s(item, "sk")?;
    Ok(Question {
        id: Ulid::from_string(sk.trim_start_matches("Q#")).map_err(StoreError::unavailable)?,
        created_at: time(&need_s(item, "created_at")?)?,
        text: need_s(item, "text")?,
        attachment: get_s(item, "attachment")
            .map(|a| serde_json::from_str(&a))
            .transpose()
            .map_err(StoreError::unavailable)?,
        answer: get_s(item, "answer"),
    })
}

/// The keys of an item, as JSON, for a cursor.
fn key_json(item: &Item, keys: &[&str]) -> Result<String, StoreError> {
    let map: HashMap<&str, String> = keys.iter().filter_map(|k| get_s(item, k).map(|v| (*k, v))).collect();
    serde_json::to_string(&map).map_err(StoreError::unavailable)
}

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

/// Sort key of a survey definition: zero-padded so the highest version sorts last.
fn definition_sk(version: u32) -> String {
    format!("DEF#{version:010}")
}

/// Partition of a survey version's counters.
fn counters_pk(id: &str, version: u32) -> String {
    format!("SURVEY#{id}#V{version}#AGG")
}

fn now_seconds() -> i64 {
    Utc::now().timestamp()
}

impl DynamoStore {
    /// A store over `table`, with a client built once by the caller.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Builds a client from the environment (region, credentials; `endpoint_url` for a local server).
    pub async fn client_from_env(endpoint_url: Option<&str>) -> Client {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        Client::new(&loader.load().await)
    }

    /// Creates the table as `TABLE_DEFINITION` describes (for tests and local set-ups; AWS uses `infra/`).
    pub async fn create_table(client: &Client, table: &str) -> anyhow::Result<()> {
        let t = TABLE_DEFINITION;
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(vec![
                attribute(t.partition_key)?,
                attribute(t.sort_key)?,
                attribute(t.gsi_partition_key)?,
                attribute(t.gsi_sort_key)?,
            ]))
            .key_schema(key(t.partition_key, KeyType::Hash)?)
            .key_schema(key(t.sort_key, KeyType::Range)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(t.gsi_name)
                    .key_schema(key(t.gsi_partition_key, KeyType::Hash)?)
                    .key_schema(key(t.gsi_sort_key, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            )
            .send()
            .await?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder().enabled(true).attribute_name(t.ttl_attribute).build()?,
            )
            .send()
            .await?;
        Ok(())
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::unavailable)?).build())
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
        let writes =
            items.into_iter().map(|item| self.put(item, Some("attribute_not_exists(pk)"))).collect::<Result<_, _>>()?;
        self.transact_once(key, fingerprint, response, writes, None).await
    }

    /// Runs `writes` and the idempotency record in one transaction; on a key seen before, replays or refuses.
    /// `code_at`: index in `writes` of an access-code update whose failed condition means `CodeRejected`.
    async fn transact_once(
        &self,
        key: String,
        fingerprint: &str,
        response: &StoredResponse,
        writes: Vec<TransactWriteItem>,
        code_at: Option<usize>,
    ) -> Result<Saved, StoreError> {
        let idem = Item::from([
            ("pk".into(), s(format!("IDEM#{key}"))),
            ("sk".into(), s("IDEM")),
            ("fingerprint".into(), s(fingerprint)),
            ("status".into(), n(i64::from(response.status))),
            ("body".into(), s(response.body.clone())),
            ("ttl".into(), n(now_seconds() + IDEMPOTENCY_TTL_SECONDS)),
        ]);
        // An expired record (TTL deletion lags by up to days) counts as absent.
        let idem_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(idem))
            .condition_expression("attribute_not_exists(pk) OR #ttl < :now")
            .expression_attribute_names("#ttl", TABLE_DEFINITION.ttl_attribute)
            .expression_attribute_values(":now", n(now_seconds()))
            .build()
            .map_err(StoreError::unavailable)?;
        let writes: Vec<TransactWriteItem> =
            std::iter::once(TransactWriteItem::builder().put(idem_put).build()).chain(writes).collect();
        // A transaction cancelled by a concurrent one on the same items (`TransactionConflict`: the same key, or
        // hot survey counters) leaves nothing to read yet: try again, with jittered backoff, until the other one's
        // record is there or ours goes through.
        let mut delay = std::time::Duration::from_millis(10);
        for attempt in 0..12 {
            let result = self.client.transact_write_items().set_transact_items(Some(writes.clone())).send().await;
            let error = match result {
                Ok(_) => return Ok(Saved::Created),
                Err(error) => error,
            };
            let cancelled = error.as_service_error().is_some_and(|e| e.code() == Some("TransactionCanceledException"));
            if !cancelled {
                return Err(unavailable(error));
            }
            let code_failed = code_at.is_some_and(|at| {
                let reasons = match error.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e)) => e.cancellation_reasons(),
                    _ => &[],
                };
                reasons.get(at + 1).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
            });
            let first = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", s(format!("IDEM#{key}")))
                .key("sk", s("IDEM"))
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            if let Some(item) = first.item {
                if get_s(&item, "fingerprint").as_deref() != Some(fingerprint) {
                    return Err(StoreError::KeyReused);
                }
                let status = item.get("status").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(202);
                return Ok(Saved::Replayed(StoredResponse { status, body: get_s(&item, "body").unwrap_or_default() }));
            }
            if code_failed {
                return Err(StoreError::CodeRejected);
            }
            tracing::debug!(attempt, "transaction cancelled by a concurrent one; retrying");
            let jitter = u64::from(Ulid::new().random() as u16) % (delay.as_millis() as u64 + 1);
            tokio::time::sleep(delay + std::time::Duration::from_millis(jitter)).await;
            delay = (delay * 2).min(std::time::Duration::from_millis(400));
        }
        Err(StoreError::unavailable(anyhow::anyhow!("transaction kept conflicting with concurrent writes")))
    }
}

impl Store for DynamoStore {
    async fn put_survey(&self, survey: &Survey) -> Result<Publication, StoreError> {
        let hash = survey.content_hash();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("SURVEY#{}", survey.id)))
            .item("sk", s(definition_sk(survey.version)))
            .item("hash", s(hash.clone()))
            .item("definition", s(survey.to_published()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Publication::New),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let stored = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(format!("SURVEY#{}", survey.id)))
                    .key("sk", s(definition_sk(survey.version)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(unavailable)?;
                match stored.item.and_then(|i| get_s(&i, "hash")) {
                    Some(h) if h == hash => Ok(Publication::Unchanged),
                    _ => Err(StoreError::Conflict(super::changed_version(&survey.id, survey.version))),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn survey(&self, id: &str, version: Option<u32>) -> Result<Option<Survey>, StoreError> {
        let item = match version {
            Some(v) => {
                self.client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(format!("SURVEY#{id}")))
                    .key("sk", s(definition_sk(v)))
                    .send()
                    .await
                    .map_err(unavailable)?
                    .item
            }
            None => self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :def)")
                .expression_attribute_values(":pk", s(format!("SURVEY#{id}")))
                .expression_attribute_values(":def", s("DEF#"))
                .scan_index_forward(false)
                .limit(1)
                .send()
                .await
                .map_err(unavailable)?
                .items
                .and_then(|mut items| items.pop()),
        };
        item.map(|i| {
            Survey::from_published(&need_s(&i, "definition")?).map_err(|e| StoreError::unavailable(anyhow::anyhow!(e)))
        })
        .transpose()
    }

    async fn save_survey_response(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        write: &SurveyWrite<'_>,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let record = write.record;
        let item = Item::from([
            ("pk".into(), s(format!("SURVEY#{}", write.survey))),
            ("sk".into(), s(format!("RESP#{}", record.id))),
            ("version".into(), n(i64::from(record.version))),
            ("created_at".into(), s(record.created_at.to_rfc3339())),
            ("response".into(), s(serde_json::to_string(&record.response).map_err(StoreError::unavailable)?)),
        ]);
        let mut writes = vec![self.put(item, Some("attribute_not_exists(pk)"))?];
        let mut code_at = None;
        if let Some(hash) = write.code {
            code_at = Some(writes.len());
            let update = Update::builder()
                .table_name(&self.table)
                .key("pk", s(format!("SURVEY#{}", write.survey)))
                .key("sk", s(format!("CODE#{hash}")))
                .update_expression("SET used_at = :now")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(used_at)")
                .expression_attribute_values(":now", s(record.created_at.to_rfc3339()))
                .build()
                .map_err(StoreError::unavailable)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        let counters_pk = counters_pk(write.survey, record.version);
        for counter in write.counters {
            let update = Update::builder()
                .table_name(&self.table)
                .key("pk", s(counters_pk.clone()))
                .key("sk", s(counter.clone()))
                .update_expression("ADD #count :one")
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":one", n(1))
                .build()
                .map_err(StoreError::unavailable)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        self.transact_once(format!("survey#{}", key.as_str()), fingerprint, response, writes, code_at).await
    }

    async fn survey_counts(&self, id: &str, version: u32) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut counts = BTreeMap::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(counters_pk(id, version)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                let count = item.get("count").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
                counts.insert(need_s(&item, "sk")?, count);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(counts);
            }
        }
    }

    async fn survey_responses(&self, id: &str, version: u32) -> Result<Vec<Record>, StoreError> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :resp)")
                .filter_expression("#version = :version")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":pk", s(format!("SURVEY#{id}")))
                .expression_attribute_values(":resp", s("RESP#"))
                .expression_attribute_values(":version", n(i64::from(version)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                let sk = need_s(&item, "sk")?;
                records.push(Record {
                    id: Ulid::from_string(sk.trim_start_matches("RESP#")).map_err(StoreError::unavailable)?,
                    created_at: time(&need_s(&item, "created_at")?)?,
                    version,
                    response: serde_json::from_str(&need_s(&item, "response")?).map_err(StoreError::unavailable)?,
                });
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(records);
            }
        }
    }

    async fn add_access_codes(&self, id: &str, hashes: &[String]) -> Result<usize, StoreError> {
        let mut added = 0;
        for hash in hashes {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(format!("SURVEY#{id}")))
                .item("sk", s(format!("CODE#{hash}")))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            match result {
                Ok(_) => added += 1,
                Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(added)
    }

    async fn put_consultation(&self, c: &Consultation) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("CONSULT#{}", c.id)))
            .item("sk", s("META"))
            .item("title", s(c.title.clone()))
            .item("opens", s(c.opens.to_string()))
            .item("closes", s(c.closes.to_string()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn consultation(&self, id: &ConsultationId) -> Result<Option<Consultation>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("CONSULT#{id}")))
            .key("sk", s("META"))
            .send()
            .await
            .map_err(unavailable)?;
        found
            .item
            .map(|item| {
                let date = |k: &str| {
                    NaiveDate::parse_from_str(&need_s(&item, k)?, "%Y-%m-%d").map_err(StoreError::unavailable)
                };
                Ok(Consultation {
                    id: id.clone(),
                    title: need_s(&item, "title")?,
                    opens: date("opens")?,
                    closes: date("closes")?,
                })
            })
            .transpose()
    }

    async fn replay(
        &self,
        scope: KeyScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("IDEM#{}#{}", scope.as_str(), key.as_str())))
            .key("sk", s("IDEM"))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = found.item else { return Ok(None) };
        // An expired record (TTL deletion lags by up to days) counts as absent, as in `transact_once`.
        let expires = item.get("ttl").and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        if expires < now_seconds() {
            return Ok(None);
        }
        if get_s(&item, "fingerprint").as_deref() != Some(fingerprint) {
            return Err(StoreError::KeyReused);
        }
        let status = item.get("status").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(202);
        Ok(Some(StoredResponse { status, body: get_s(&item, "body").unwrap_or_default() }))
    }

    async fn save_comment(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        comment: &Comment,
        contact: &CommentContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let contact_item = Item::from([
            ("pk".into(), s(format!("CONSULT#{}", comment.consultation))),
            ("sk".into(), s(format!("CONTACT#{}", comment.id))),
            ("email".into(), s(contact.email.clone())),
        ]);
        self.write_once(
            format!("comment#{}", key.as_str()),
            fingerprint,
            response,
            vec![comment_item(comment), contact_item],
        )
        .await
    }

    async fn approved_comments(
        &self,
        consultation: &ConsultationId,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<Comment>, StoreError> {
        let mut start = start_key(cursor)?;
        let mut items = Vec::new();
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .filter_expression("#status = :approved")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":pk", s(format!("CONSULT#{consultation}")))
                .expression_attribute_values(":prefix", s("COMMENT#"))
                .expression_attribute_values(":approved", s("approved"))
                .scan_index_forward(false)
                .limit(i32::try_from(limit.max(1) * 2).unwrap_or(100))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(last) if items.len() <= limit => start = Some(last),
                _ => break,
            }
        }
        finish_page(items, limit, &["pk", "sk"], comment_from)
    }

    async fn pending_comments(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Page<Comment>, StoreError> {
        let items = self.queue(QUEUE_COMMENTS, cursor, limit).await?;
        finish_page(items, limit, &["pk", "sk", "gsi1pk", "gsi1sk"], comment_from)
    }

    async fn moderate_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        decision: &Decision,
    ) -> Result<Comment, StoreError> {
        let (status, reason) = match decision {
            Decision::Approve => (Status::Approved, None),
            Decision::Reject(r) => (Status::Rejected, Some(r.as_str().to_string())),
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("CONSULT#{consultation}")))
            .key("sk", s(format!("COMMENT#{id}")))
            .condition_expression("attribute_exists(pk) AND #status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":new", s(status.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        update = match reason {
            Some(r) => update
                .update_expression("SET #status = :new, reason = :reason REMOVE gsi1pk, gsi1sk")
                .expression_attribute_values(":reason", s(r)),
            None => update.update_expression("SET #status = :new REMOVE gsi1pk, gsi1sk"),
        };
        match update.send().await {
            Ok(out) => comment_from(&out.attributes.unwrap_or_default()),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let existing = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(format!("CONSULT#{consultation}")))
                    .key("sk", s(format!("COMMENT#{id}")))
                    .send()
                    .await
                    .map_err(unavailable)?;
                if existing.item.is_some() {
                    Err(StoreError::Conflict("góp ý này đã được kiểm duyệt trước đó".into()))
                } else {
                    Err(StoreError::NotFound)
                }
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn export_comments(
        &self,
        consultation: &ConsultationId,
    ) -> Result<Vec<(Comment, CommentContact)>, StoreError> {
        let mut start = None;
        let mut comments = Vec::new();
        let mut contacts: HashMap<String, String> = HashMap::new();
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(format!("CONSULT#{consultation}")))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                let sk = need_s(&item, "sk")?;
                if let Some(id) = sk.strip_prefix("CONTACT#") {
                    contacts.insert(id.to_string(), need_s(&item, "email")?);
                } else if sk.starts_with("COMMENT#") {
                    comments.push(comment_from(&item)?);
                }
            }
            match page.last_evaluated_key {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        comments.sort_by_key(|c| c.id);
        Ok(comments
            .into_iter()
            .map(|c| {
                let email = contacts.remove(&c.id.to_string()).unwrap_or_default();
                (c, CommentContact { email })
            })
            .collect())
    }

    async fn save_question(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        question: &Question,
        contact: &QuestionContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let mut contact_item = Item::from([
            ("pk".into(), s("QUESTION")),
            ("sk".into(), s(format!("CONTACT#{}", question.id))),
            ("name".into(), s(contact.name.clone())),
        ]);
        put_opt(&mut contact_item, "email", &contact.email);
        put_opt(&mut contact_item, "phone", &contact.phone);
        self.write_once(
            format!("question#{}", key.as_str()),
            fingerprint,
            response,
            vec![question_item(question)?, contact_item],
        )
        .await
    }

    async fn pending_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<(Question, QuestionContact)>, StoreError> {
        let items = self.queue(QUEUE_QUESTIONS, cursor, limit).await?;
        let page = finish_page(items, limit, &["pk", "sk", "gsi1pk", "gsi1sk"], question_from)?;
        let mut out = Vec::with_capacity(page.items.len());
        for question in page.items {
            let contact = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", s("QUESTION"))
                .key("sk", s(format!("CONTACT#{}", question.id)))
                .send()
                .await
                .map_err(unavailable)?
                .item
                .unwrap_or_default();
            let contact = QuestionContact {
                name: get_s(&contact, "name").unwrap_or_default(),
                email: get_s(&contact, "email"),
                phone: get_s(&contact, "phone"),
            };
            out.push((question, contact));
        }
        Ok(Page { items: out, next: page.next })
    }

    async fn answer_question(&self, id: Ulid, answer: &AnswerText) -> Result<Question, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s("QUESTION"))
            .key("sk", s(format!("Q#{id}")))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(answer)")
            .update_expression("SET answer = :answer REMOVE gsi1pk, gsi1sk")
            .expression_attribute_values(":answer", s(answer.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => question_from(&out.attributes.unwrap_or_default()),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let existing = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s("QUESTION"))
                    .key("sk", s(format!("Q#{id}")))
                    .send()
                    .await
                    .map_err(unavailable)?;
                if existing.item.is_some() {
                    Err(StoreError::Conflict("câu hỏi này đã có câu trả lời".into()))
                } else {
                    Err(StoreError::NotFound)
                }
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn count_request(&self, client: &str, window: &str, ttl_seconds: i64) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RATE#{client}")))
            .key("sk", s(window))
            .update_expression("ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(now_seconds() + ttl_seconds))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        let count = out
            .attributes
            .as_ref()
            .and_then(|a| a.get("count"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok());
        count.ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("rate counter without count")))
    }
}

impl DynamoStore {
    async fn queue(&self, queue: &str, cursor: Option<&Cursor>, limit: usize) -> Result<Vec<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(TABLE_DEFINITION.gsi_name)
            .key_condition_expression("gsi1pk = :queue")
            .expression_attribute_values(":queue", s(queue))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start_key(cursor)?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.items.unwrap_or_default())
    }
}

fn finish_page<T>(
    mut items: Vec<Item>,
    limit: usize,
    keys: &[&str],
    parse: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| key_json(last, keys)).transpose()?.map(|k| Cursor::encode(&k))
    } else {
        None
    };
    Ok(Page { items: items.iter().map(parse).collect::<Result<_, _>>()?, next })
}
