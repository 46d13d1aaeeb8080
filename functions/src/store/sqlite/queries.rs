//! The `Store` contract on SQLite: each call is one closure run by the writer in a savepoint of its group.
//! Idempotency keys are claimed in the same savepoint as the write they guard.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Savepoint, params};
use ulid::Ulid;

use super::rows::{COMMENT_COLUMNS, QUESTION_COLUMNS};
use super::{SqliteStore, sql};
use crate::domain::{
    AgencyResponse, AnswerText, AuditEntry, BatchSummary, CodeBatch, Comment, CommentContact, Consultation,
    ConsultationId, Decision, IdempotencyKey, Question, QuestionContact, Stamp, StoredResponse,
};
use crate::store::{
    Cursor, IDEMPOTENCY_TTL_SECONDS, KeyScope, Listing, NOT_PUBLISHABLE, Publication, Saved, Store, StoreError,
    SurveyEntry, SurveyWrite, changed_version, code_verdict, contact_expiry, moderated, stamp,
};
use crate::survey::{Record, Survey};

fn now_seconds() -> i64 {
    Utc::now().timestamp()
}

/// Inserts the idempotency record, or says what the first request got.
fn claim_key(
    tx: &Connection,
    key: &str,
    fingerprint: &str,
    response: &StoredResponse,
) -> Result<Option<Saved>, StoreError> {
    let now = now_seconds();
    let existing: Option<(String, u16, String, i64)> = tx
        .prepare_cached("SELECT fingerprint, status, body, expires_at FROM idempotency WHERE key = ?1")
        .and_then(|mut s| s.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional())
        .map_err(sql)?;
    if let Some((stored, status, body, expires_at)) = existing {
        if expires_at < now {
            // Expired: the key is free again (looked up once; deleted only in this rare case).
            exec(tx, "DELETE FROM idempotency WHERE key = ?1", params![key])?;
        } else if stored == fingerprint {
            return Ok(Some(Saved::Replayed(StoredResponse { status, body })));
        } else {
            return Err(StoreError::KeyReused);
        }
    }
    exec(
        tx,
        "INSERT INTO idempotency (key, fingerprint, status, body, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![key, fingerprint, response.status, response.body, now + IDEMPOTENCY_TTL_SECONDS],
    )?;
    Ok(None)
}

/// Runs a statement kept prepared: the write paths run the same few statements thousands of times a second.
fn exec(connection: &Connection, statement: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    connection.prepare_cached(statement).and_then(|mut s| s.execute(params)).map_err(sql)
}

/// Rows of a prepared query, each read with `T::try_from`.
fn rows<T>(connection: &Connection, query: &str, params: impl rusqlite::Params) -> Result<Vec<T>, StoreError>
where
    T: for<'a, 'b> TryFrom<&'a rusqlite::Row<'b>, Error = rusqlite::Error>,
{
    let mut statement = connection.prepare_cached(query).map_err(sql)?;
    statement.query_map(params, |row| T::try_from(row)).map_err(sql)?.collect::<Result<_, _>>().map_err(sql)
}

/// Runs `update` (whose condition says the change is allowed) and reads the record back with `read`, in one
/// savepoint with `audit` and `also` (a statement the change brings along; empty for none): the record as now stored, `NotFound` when there is none, or `Conflict` with `conflict`
/// when there is one but the condition did not hold (it was changed before); then nothing is written.
fn change<T>(
    conn: &mut Connection,
    (update, update_params): (&str, impl rusqlite::Params),
    (read, read_params): (&str, impl rusqlite::Params),
    conflict: &str,
    audit: &AuditEntry,
    (also, also_params): (&str, impl rusqlite::Params),
) -> Result<T, StoreError>
where
    T: for<'a, 'b> TryFrom<&'a rusqlite::Row<'b>, Error = rusqlite::Error>,
{
    let tx = conn.savepoint().map_err(sql)?;
    let changed = tx.execute(update, update_params).map_err(sql)?;
    let record = tx.query_row(read, read_params, |row| T::try_from(row)).optional().map_err(sql)?;
    match (record, changed) {
        (None, _) => Err(StoreError::NotFound),
        (Some(_), 0) => Err(StoreError::Conflict(conflict.into())),
        (Some(record), _) => {
            if !also.is_empty() {
                tx.execute(also, also_params).map_err(sql)?;
            }
            insert_audit(&tx, audit)?;
            tx.commit().map_err(sql)?;
            Ok(record)
        }
    }
}

/// Adds an entry to the audit trail.
pub(super) fn insert_audit(connection: &Connection, e: &AuditEntry) -> Result<usize, StoreError> {
    exec(
        connection,
        "INSERT INTO audit (id, at, actor_id, actor_name, action, subject, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.id.to_string(),
            e.at.to_rfc3339(),
            e.actor.id,
            e.actor.name,
            e.action.as_str(),
            e.subject,
            e.before,
            e.after
        ],
    )
}

/// Questions with their contacts, as `condition` (with `?1`, a cursor's id or NULL, and `?2`, the limit) selects
/// and orders them.
fn questions_where(
    conn: &Connection,
    condition: &str,
    after: Option<String>,
    limit: usize,
) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {QUESTION_COLUMNS}, COALESCE(k.name, '') AS name, k.email, k.phone
             FROM questions q LEFT JOIN question_contacts k ON k.question_id = q.id WHERE {condition}"
        ))
        .map_err(sql)?;
    let items = statement
        .query_map(params![after, (limit + 1) as i64], |r| Ok((Question::try_from(r)?, QuestionContact::try_from(r)?)))
        .map_err(sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql)?;
    Ok(listing(items, limit, |(q, _): &(Question, QuestionContact)| q.id.to_string()))
}

/// The first `limit` of `items` (one more was asked for, to know whether there is a next stretch).
fn listing<T>(mut items: Vec<T>, limit: usize, last_id: impl Fn(&T) -> String) -> Listing<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|item| Cursor::encode(&last_id(item)))
    } else {
        None
    };
    Listing { items, next }
}

fn cursor_id(cursor: Option<&Cursor>) -> Result<Option<String>, StoreError> {
    cursor
        .map(|c| {
            c.position().and_then(|p| Ulid::from_string(&p).map(|u| u.to_string()).map_err(|_| StoreError::BadCursor))
        })
        .transpose()
}

/// Adds chunk `chunk` of a response's counters unless it was added before, and says whether it did. The caller
/// holds a savepoint: the chunk's marker and its counters are written together.
fn add_chunk(
    tx: &Connection,
    survey: &str,
    version: u32,
    response: Ulid,
    chunk: u32,
    counters: &[String],
) -> Result<bool, StoreError> {
    let new = exec(
        tx,
        "INSERT OR IGNORE INTO survey_counted (response, chunk) VALUES (?1, ?2)",
        params![response.to_string(), chunk],
    )?;
    if new == 0 {
        return Ok(false);
    }
    let mut add = tx
        .prepare_cached(
            "INSERT INTO survey_counters (survey, version, key, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (survey, version, key) DO UPDATE SET count = count + 1",
        )
        .map_err(sql)?;
    for counter in counters {
        add.execute(params![survey, version, counter]).map_err(sql)?;
    }
    Ok(true)
}

/// Counts the stored responses not yet counted (the local stand-in for DynamoDB Streams and the aggregator),
/// oldest first, each in a savepoint of its own, with the same chunks and markers as on AWS; returns how many it
/// counted. Run after each response's commit and at every start.
pub(super) fn count_uncounted(conn: &mut Connection) -> Result<usize, StoreError> {
    let pending: Vec<(String, Record)> = {
        let mut statement = conn
            .prepare_cached(
                "SELECT survey, id, created_at, version, response FROM survey_responses WHERE counted = 0 ORDER BY id",
            )
            .map_err(sql)?;
        statement
            .query_map([], |r| Ok((r.get::<_, String>("survey")?, Record::try_from(r)?)))
            .map_err(sql)?
            .collect::<Result<_, _>>()
            .map_err(sql)?
    };
    let mut definitions: std::collections::HashMap<(String, u32), Survey> = std::collections::HashMap::new();
    let mut counted = 0;
    for (survey, record) in pending {
        let version_key = (survey.clone(), record.version);
        if !definitions.contains_key(&version_key) {
            let definition: Option<String> = conn
                .query_row(
                    "SELECT definition FROM surveys WHERE id = ?1 AND version = ?2",
                    params![survey, record.version],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql)?;
            let Some(definition) = definition else {
                tracing::warn!(%survey, version = record.version, "a response to an unpublished version is not counted");
                continue;
            };
            let parsed =
                Survey::from_published(&definition).map_err(|e| StoreError::unavailable(anyhow::anyhow!(e)))?;
            definitions.insert(version_key.clone(), parsed);
        }
        let Some(definition) = definitions.get(&version_key) else { continue };
        let counters = record.response.counters(definition);
        let tx = conn.savepoint().map_err(sql)?;
        for (chunk, keys) in crate::survey::chunks(&counters) {
            add_chunk(&tx, &survey, record.version, record.id, chunk, keys)?;
        }
        exec(&tx, "UPDATE survey_responses SET counted = 1 WHERE id = ?1", params![record.id.to_string()])?;
        tx.commit().map_err(sql)?;
        counted += 1;
    }
    Ok(counted)
}

/// What access code `hash` allows a response of `unit` (`code_verdict`), read on `tx`.
fn code_check(tx: &Connection, survey: &str, hash: &str, unit: &str) -> Result<Result<(), StoreError>, StoreError> {
    let found: Option<(String, bool)> = tx
        .prepare_cached(
            "SELECT unit, used_at IS NULL AND revoked_at IS NULL FROM batch_codes WHERE survey = ?1 AND hash = ?2",
        )
        .and_then(|mut s| s.query_row(params![survey, hash], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(sql)?;
    Ok(code_verdict(found.as_ref().map(|(u, live)| (u.as_str(), *live)), unit))
}

/// Why a response's access code was refused, read in its savepoint: a live code of another unit, or else no
/// usable code.
fn code_refusal(tx: &Connection, survey: &str, hash: &str, unit: &str) -> Result<StoreError, StoreError> {
    Ok(code_check(tx, survey, hash, unit)?.err().unwrap_or(StoreError::CodeRejected))
}

/// The code batches of `survey` (or only batch `only`), oldest first, with their counts.
fn batch_summaries(conn: &Connection, survey: &str, only: Option<&str>) -> Result<Vec<BatchSummary>, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT b.id, b.unit, b.created_at, b.created_by, b.revoked_at, count(c.hash), count(c.used_at)
             FROM code_batches b LEFT JOIN batch_codes c ON c.survey = b.survey AND c.batch = b.id
             WHERE b.survey = ?1 AND (?2 IS NULL OR b.id = ?2) GROUP BY b.id ORDER BY b.id",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map(params![survey, only], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })
        .map_err(sql)?;
    let time = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)).map_err(StoreError::unavailable)
    };
    let mut summaries = Vec::new();
    for row in rows {
        let (id, unit, created_at, created_by, revoked_at, total, used) = row.map_err(sql)?;
        summaries.push(BatchSummary {
            batch: CodeBatch {
                id: Ulid::from_string(&id).map_err(StoreError::unavailable)?,
                unit,
                created_at: time(&created_at)?,
                created_by,
            },
            total: u64::try_from(total).unwrap_or(0),
            used: u64::try_from(used).unwrap_or(0),
            revoked_at: revoked_at.as_deref().map(time).transpose()?,
        });
    }
    Ok(summaries)
}

impl SqliteStore {
    /// Counts the survey responses stored but not yet counted, and says how many; what the store does on its own
    /// after each response and at every start, for whoever needs the counters settled now (tests, `cchc sync`).
    pub async fn count_uncounted(&self) -> Result<usize, StoreError> {
        self.writer.run(count_uncounted).await
    }

    /// Claims `key` and runs `write`, all or nothing: a submission of any kind. On a key seen before, writes
    /// nothing and replays or refuses.
    async fn save_once(
        &self,
        key: String,
        fingerprint: &str,
        response: &StoredResponse,
        write: impl FnOnce(&Savepoint<'_>) -> Result<(), StoreError> + Send + 'static,
    ) -> Result<Saved, StoreError> {
        let (fingerprint, response) = (fingerprint.to_string(), response.clone());
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                if let Some(replay) = claim_key(&tx, &key, &fingerprint, &response)? {
                    return Ok(replay);
                }
                write(&tx)?; // on failure, dropping `tx` rolls back the key
                tx.commit().map_err(sql)?;
                Ok(Saved::Created)
            })
            .await
    }
}

impl Store for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(survey = %survey.id, version = survey.version))]
    async fn put_survey(&self, survey: &Survey) -> Result<Publication, StoreError> {
        let (id, version, hash, definition) =
            (survey.id.clone(), survey.version, survey.content_hash(), survey.to_published());
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                let existing: Option<String> = tx
                    .query_row("SELECT hash FROM surveys WHERE id = ?1 AND version = ?2", params![id, version], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(sql)?;
                match existing {
                    Some(stored) if stored == hash => Ok(Publication::Unchanged),
                    Some(_) => Err(StoreError::Conflict(changed_version(&id, version))),
                    None => {
                        tx.execute(
                            "INSERT INTO surveys (id, version, hash, definition) VALUES (?1, ?2, ?3, ?4)",
                            params![id, version, hash, definition],
                        )
                        .map_err(sql)?;
                        tx.commit().map_err(sql)?;
                        Ok(Publication::New)
                    }
                }
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn surveys(&self) -> Result<Vec<SurveyEntry>, StoreError> {
        self.writer
            .run(|conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT definition FROM surveys s WHERE version = (SELECT MAX(version) FROM surveys WHERE id = s.id)
                         ORDER BY id",
                    )
                    .map_err(sql)?;
                let definitions: Vec<String> =
                    statement.query_map([], |r| r.get(0)).map_err(sql)?.collect::<Result<_, _>>().map_err(sql)?;
                definitions
                    .iter()
                    .map(|d| {
                        let survey = Survey::from_published(d).map_err(|e| StoreError::unavailable(anyhow::anyhow!(e)))?;
                        Ok(SurveyEntry { id: survey.id, version: survey.version, title: survey.title })
                    })
                    .collect()
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope.as_str()))]
    async fn replay(
        &self,
        scope: KeyScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let (key, fingerprint) = (scope.key(key), fingerprint.to_string());
        self.writer
            .run(move |conn| {
                let existing: Option<(String, u16, String)> = conn
                    .prepare_cached(
                        "SELECT fingerprint, status, body FROM idempotency WHERE key = ?1 AND expires_at >= ?2",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![key, now_seconds()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()
                    })
                    .map_err(sql)?;
                match existing {
                    Some((stored, status, body)) if stored == fingerprint => Ok(Some(StoredResponse { status, body })),
                    Some(_) => Err(StoreError::KeyReused),
                    None => Ok(None),
                }
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn survey(&self, id: &str, version: Option<u32>) -> Result<Option<Survey>, StoreError> {
        let id = id.to_string();
        let json: Option<String> = self
            .writer
            .run(move |conn| {
                let found = match version {
                    Some(v) => conn.query_row(
                        "SELECT definition FROM surveys WHERE id = ?1 AND version = ?2",
                        params![id, v],
                        |r| r.get(0),
                    ),
                    None => conn.query_row(
                        "SELECT definition FROM surveys WHERE id = ?1 ORDER BY version DESC LIMIT 1",
                        params![id],
                        |r| r.get(0),
                    ),
                };
                found.optional().map_err(sql)
            })
            .await?;
        json.map(|j| Survey::from_published(&j).map_err(|e| StoreError::unavailable(anyhow::anyhow!(e)))).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(survey = write.survey, version = write.record.version))]
    async fn save_survey_response(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        write: &SurveyWrite<'_>,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let survey = write.survey.to_string();
        let record = write.record.clone();
        let code = write.code.map(str::to_string);
        let body = serde_json::to_string(&record.response).map_err(StoreError::unavailable)?;
        let saved = self
            .save_once(KeyScope::Survey.key(key), fingerprint, response, move |tx| {
                if let Some(hash) = code {
                    let used = exec(
                        tx,
                        "UPDATE batch_codes SET used_at = ?3
                     WHERE survey = ?1 AND hash = ?2 AND used_at IS NULL AND revoked_at IS NULL AND unit = ?4",
                        params![survey, hash, record.created_at.to_rfc3339(), record.response.unit],
                    )?;
                    if used != 1 {
                        return Err(code_refusal(tx, &survey, &hash, &record.response.unit)?);
                    }
                }
                exec(
                    tx,
                    "INSERT INTO survey_responses (id, survey, version, created_at, response, counted)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                    params![record.id.to_string(), survey, record.version, record.created_at.to_rfc3339(), body],
                )?;
                Ok(())
            })
            .await;
        if let Ok(Saved::Created) = saved {
            // Counted behind the commit, in a later group: the response is the only write the caller waits for.
            self.writer.spawn(|conn| count_uncounted(conn).map(|_| ()));
        }
        saved
    }

    #[tracing::instrument(level = "debug", skip(self, counters), fields(counters = counters.len()))]
    async fn count_chunk(
        &self,
        survey: &str,
        version: u32,
        response: Ulid,
        chunk: u32,
        counters: &[String],
    ) -> Result<bool, StoreError> {
        let (survey, counters) = (survey.to_string(), counters.to_vec());
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                let stored = tx
                    .prepare_cached("SELECT 1 FROM survey_responses WHERE id = ?1 AND survey = ?2")
                    .and_then(|mut s| s.exists(params![response.to_string(), survey]))
                    .map_err(sql)?;
                if !stored {
                    return Err(StoreError::NotFound);
                }
                let counted = add_chunk(&tx, &survey, version, response, chunk, &counters)?;
                tx.commit().map_err(sql)?;
                Ok(counted)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn survey_counts(&self, id: &str, version: u32, scope: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let id = id.to_string();
        let prefix = format!("{scope}#");
        self.writer
            .run(move |conn| {
                // `substr` rather than `LIKE`: a unit id is matched exactly, whatever it holds.
                let mut statement = conn
                    .prepare(
                        "SELECT key, count FROM survey_counters
                         WHERE survey = ?1 AND version = ?2 AND key >= ?3 AND substr(key, 1, length(?3)) = ?3",
                    )
                    .map_err(sql)?;
                let rows = statement
                    .query_map(params![id, version, prefix], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                    .map_err(sql)?;
                let mut counts = BTreeMap::new();
                for row in rows {
                    let (key, count) = row.map_err(sql)?;
                    counts.insert(key, u64::try_from(count).unwrap_or(0));
                }
                Ok(counts)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn survey_responses(&self, id: &str, version: u32) -> Result<Vec<Record>, StoreError> {
        let id = id.to_string();
        self.writer
            .run(move |conn| {
                rows(
                    conn,
                    "SELECT id, created_at, version, response FROM survey_responses WHERE survey = ?1 AND version = ?2
                     ORDER BY id",
                    params![id, version],
                )
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(survey, batch = %batch.id, codes = hashes.len()))]
    async fn add_access_codes(&self, survey: &str, batch: &CodeBatch, hashes: &[String]) -> Result<usize, StoreError> {
        let (survey, batch, hashes) = (survey.to_string(), batch.clone(), hashes.to_vec());
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                let id = batch.id.to_string();
                let unit: Option<String> = tx
                    .query_row("SELECT unit FROM code_batches WHERE survey = ?1 AND id = ?2", params![survey, id], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(sql)?;
                match unit {
                    Some(unit) if unit != batch.unit => {
                        return Err(StoreError::Conflict(format!("lô mã {id} đã được cấp cho một đơn vị khác")));
                    }
                    Some(_) => {} // a retry
                    None => {
                        tx.execute(
                            "INSERT INTO code_batches (survey, id, unit, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![survey, id, batch.unit, batch.created_at.to_rfc3339(), batch.created_by],
                        )
                        .map_err(sql)?;
                    }
                }
                let mut stored = 0;
                for hash in &hashes {
                    tx.execute(
                        "INSERT OR IGNORE INTO batch_codes (survey, hash, batch, unit) VALUES (?1, ?2, ?3, ?4)",
                        params![survey, hash, id, batch.unit],
                    )
                    .map_err(sql)?;
                    let holder: String = tx
                        .query_row(
                            "SELECT batch FROM batch_codes WHERE survey = ?1 AND hash = ?2",
                            params![survey, hash],
                            |r| r.get(0),
                        )
                        .map_err(sql)?;
                    stored += usize::from(holder == id);
                }
                tx.commit().map_err(sql)?;
                Ok(stored)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(survey))]
    async fn check_access_code(&self, survey: &str, hash: &str, unit: &str) -> Result<(), StoreError> {
        let (survey, hash, unit) = (survey.to_string(), hash.to_string(), unit.to_string());
        self.writer.run(move |conn| code_check(conn, &survey, &hash, &unit)).await?
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn code_batches(&self, survey: &str) -> Result<Vec<BatchSummary>, StoreError> {
        let survey = survey.to_string();
        self.writer.run(move |conn| batch_summaries(conn, &survey, None)).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn revoke_code_batch(&self, survey: &str, batch: Ulid) -> Result<BatchSummary, StoreError> {
        let survey = survey.to_string();
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                let (id, now) = (batch.to_string(), Utc::now().to_rfc3339());
                let found = tx
                    .execute(
                        "UPDATE code_batches SET revoked_at = coalesce(revoked_at, ?3) WHERE survey = ?1 AND id = ?2",
                        params![survey, id, now],
                    )
                    .map_err(sql)?;
                if found == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.execute(
                    "UPDATE batch_codes SET revoked_at = ?3
                     WHERE survey = ?1 AND batch = ?2 AND used_at IS NULL AND revoked_at IS NULL",
                    params![survey, id, now],
                )
                .map_err(sql)?;
                let summary = batch_summaries(&tx, &survey, Some(&id))?.pop().ok_or(StoreError::NotFound)?;
                tx.commit().map_err(sql)?;
                Ok(summary)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %c.id))]
    async fn put_consultation(&self, c: &Consultation) -> Result<(), StoreError> {
        let c = c.clone();
        self.writer
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO consultations (id, title, opens, closes) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET title = excluded.title, opens = excluded.opens, closes = excluded.closes",
                    params![c.id.as_str(), c.title, c.opens.to_string(), c.closes.to_string()],
                )
                .map_err(sql)?;
                Ok(())
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn consultations(&self) -> Result<Vec<Consultation>, StoreError> {
        self.writer.run(|conn| rows(conn, "SELECT id, title, opens, closes FROM consultations ORDER BY id", [])).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, id = %id))]
    async fn respond_to_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        response: Option<&AgencyResponse>,
    ) -> Result<Comment, StoreError> {
        let (id, consultation) = (id.to_string(), consultation.as_str().to_string());
        let (uptake, text) = (response.map(|r| r.uptake.as_str()), response.map(|r| r.text.clone()));
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                let changed = tx
                    .execute(
                        "UPDATE comments SET response_uptake = ?1, response_text = ?2
                         WHERE id = ?3 AND consultation = ?4 AND status = 'approved'",
                        params![uptake, text, id, consultation],
                    )
                    .map_err(sql)?;
                let found: Option<Comment> = tx
                    .query_row(
                        &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = ?1 AND consultation = ?2"),
                        params![id, consultation],
                        |row| Comment::try_from(row),
                    )
                    .optional()
                    .map_err(sql)?;
                tx.commit().map_err(sql)?;
                match (found, changed) {
                    (None, _) => Err(StoreError::NotFound),
                    (Some(_), 0) => {
                        Err(StoreError::Conflict("chỉ góp ý đã đăng mới có ý kiến tiếp thu, giải trình".into()))
                    }
                    (Some(comment), _) => Ok(comment),
                }
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, publish = publish))]
    async fn publish_outcome(
        &self,
        consultation: &ConsultationId,
        publish: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let (consultation, audit) = (consultation.as_str().to_string(), audit.clone());
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                if publish {
                    exec(
                        &tx,
                        "INSERT INTO outcomes (consultation, published_by, published_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (consultation) DO UPDATE SET published_by = excluded.published_by,
                         published_at = excluded.published_at",
                        params![consultation, audit.actor.name, audit.at.to_rfc3339()],
                    )?;
                } else {
                    exec(&tx, "DELETE FROM outcomes WHERE consultation = ?1", params![consultation])?;
                }
                insert_audit(&tx, &audit)?;
                tx.commit().map_err(sql)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation))]
    async fn outcome(&self, consultation: &ConsultationId) -> Result<Option<Stamp>, StoreError> {
        let consultation = consultation.as_str().to_string();
        self.writer
            .run(move |conn| {
                let found: Option<(String, String)> = conn
                    .query_row(
                        "SELECT published_by, published_at FROM outcomes WHERE consultation = ?1",
                        params![consultation],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(sql)?;
                found
                    .map(|(by, at)| {
                        let at = chrono::DateTime::parse_from_rfc3339(&at).map_err(StoreError::unavailable)?;
                        Ok(Stamp { by, at: at.with_timezone(&Utc) })
                    })
                    .transpose()
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %id))]
    async fn consultation(&self, id: &ConsultationId) -> Result<Option<Consultation>, StoreError> {
        let id = id.clone();
        self.writer
            .run(move |conn| {
                conn.query_row(
                    "SELECT id, title, opens, closes FROM consultations WHERE id = ?1",
                    params![id.as_str()],
                    |row| Consultation::try_from(row),
                )
                .optional()
                .map_err(sql)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %comment.consultation, id = %comment.id))]
    async fn save_comment(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        comment: &Comment,
        contact: &CommentContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let (c, contact) = (comment.clone(), contact.clone());
        self.save_once(KeyScope::Comment.key(key), fingerprint, response, move |tx| {
            exec(
                tx,
                &format!(
                    "INSERT INTO comments ({COMMENT_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL, NULL, NULL)"
                ),
                params![
                    c.id.to_string(),
                    c.consultation.as_str(),
                    c.status.as_str(),
                    c.created_at.to_rfc3339(),
                    c.name,
                    c.organisation,
                    c.section,
                    c.text,
                    c.reason
                ],
            )?;
            exec(
                tx,
                "INSERT INTO comment_contacts (comment_id, email) VALUES (?1, ?2)",
                params![c.id.to_string(), contact.email],
            )?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, limit = limit))]
    async fn approved_comments(
        &self,
        consultation: &ConsultationId,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<Comment>, StoreError> {
        let (consultation, after) = (consultation.clone(), cursor_id(cursor)?);
        self.writer
            .run(move |conn| {
                let items = rows(
                    conn,
                    &format!(
                        "SELECT {COMMENT_COLUMNS} FROM comments WHERE consultation = ?1 AND status = 'approved'
                         AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3"
                    ),
                    params![consultation.as_str(), after, (limit + 1) as i64],
                )?;
                Ok(listing(items, limit, |c: &Comment| c.id.to_string()))
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn pending_comments(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Listing<Comment>, StoreError> {
        let after = cursor_id(cursor)?;
        self.writer
            .run(move |conn| {
                let items = rows(
                    conn,
                    &format!(
                        "SELECT {COMMENT_COLUMNS} FROM comments WHERE status = 'pending' AND (?1 IS NULL OR id > ?1)
                         ORDER BY id LIMIT ?2"
                    ),
                    params![after, (limit + 1) as i64],
                )?;
                Ok(listing(items, limit, |c: &Comment| c.id.to_string()))
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, id = %id))]
    async fn moderate_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        decision: &Decision,
        audit: &AuditEntry,
    ) -> Result<Comment, StoreError> {
        let (status, reason) = moderated(decision);
        let (id, consultation, audit) = (id.to_string(), consultation.as_str().to_string(), audit.clone());
        let decided = stamp(&audit);
        let expires = contact_expiry(audit.at, self.contact_retention);
        self.writer
            .run(move |conn| {
                change(
                    conn,
                    (
                        "UPDATE comments SET status = ?1, reason = ?2, decided_by = ?3, decided_at = ?4
                         WHERE id = ?5 AND consultation = ?6 AND status = 'pending'",
                        params![status.as_str(), reason, decided.by, decided.at.to_rfc3339(), id, consultation],
                    ),
                    (
                        &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = ?1 AND consultation = ?2"),
                        params![id, consultation],
                    ),
                    "góp ý này đã được kiểm duyệt trước đó",
                    &audit,
                    ("UPDATE comment_contacts SET expires_at = ?1 WHERE comment_id = ?2", params![expires, id]),
                )
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, id = %id))]
    async fn comment(&self, consultation: &ConsultationId, id: Ulid) -> Result<Option<Comment>, StoreError> {
        let (id, consultation) = (id.to_string(), consultation.as_str().to_string());
        self.writer
            .run(move |conn| {
                let found = rows(
                    conn,
                    &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = ?1 AND consultation = ?2"),
                    params![id, consultation],
                )?;
                Ok(found.into_iter().next())
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation))]
    async fn export_comments(
        &self,
        consultation: &ConsultationId,
    ) -> Result<Vec<(Comment, CommentContact)>, StoreError> {
        let consultation = consultation.clone();
        self.writer
            .run(move |conn| {
                let mut statement = conn
                    .prepare(
                        "SELECT c.id, c.consultation, c.status, c.created_at, c.name, c.organisation, c.section, c.text,
                         c.reason, c.decided_by, c.decided_at, c.response_uptake, c.response_text,
                         COALESCE(k.email, '') AS email
                         FROM comments c LEFT JOIN comment_contacts k ON k.comment_id = c.id WHERE c.consultation = ?1
                         ORDER BY c.id",
                    )
                    .map_err(sql)?;
                statement
                    .query_map(params![consultation.as_str()], |r| {
                        Ok((Comment::try_from(r)?, CommentContact::try_from(r)?))
                    })
                    .map_err(sql)?
                    .collect::<Result<_, _>>()
                    .map_err(sql)
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %q.id))]
    async fn save_question(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        q: &Question,
        contact: &QuestionContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let (q, contact) = (q.clone(), contact.clone());
        let attachment =
            q.attachment.as_ref().map(serde_json::to_string).transpose().map_err(StoreError::unavailable)?;
        self.save_once(KeyScope::Question.key(key), fingerprint, response, move |tx| {
            exec(
                tx,
                "INSERT INTO questions (id, created_at, text, attachment, answer, consent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![q.id.to_string(), q.created_at.to_rfc3339(), q.text, attachment, q.answer, q.consent],
            )?;
            exec(
                tx,
                "INSERT INTO question_contacts (question_id, name, email, phone) VALUES (?1, ?2, ?3, ?4)",
                params![q.id.to_string(), contact.name, contact.email, contact.phone],
            )?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn pending_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let after = cursor_id(cursor)?;
        self.writer
            .run(move |conn| {
                questions_where(
                    conn,
                    "q.answer IS NULL AND (?1 IS NULL OR q.id > ?1) ORDER BY q.id LIMIT ?2",
                    after,
                    limit,
                )
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn answered_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let after = cursor_id(cursor)?;
        self.writer
            .run(move |conn| {
                questions_where(
                    conn,
                    "q.answer IS NOT NULL AND (?1 IS NULL OR q.id < ?1) ORDER BY q.id DESC LIMIT ?2",
                    after,
                    limit,
                )
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn published_answers(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Listing<Question>, StoreError> {
        let after = cursor_id(cursor)?;
        self.writer
            .run(move |conn| {
                let items = rows(
                    conn,
                    &format!(
                        "SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.published = 1 AND q.answer IS NOT NULL
                         AND (?1 IS NULL OR q.id < ?1) ORDER BY q.id DESC LIMIT ?2"
                    ),
                    params![after, (limit + 1) as i64],
                )?;
                Ok(listing(items, limit, |q: &Question| q.id.to_string()))
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    async fn question(&self, id: Ulid) -> Result<Option<(Question, QuestionContact)>, StoreError> {
        let id = id.to_string();
        self.writer
            .run(move |conn| Ok(questions_where(conn, "q.id = ?1 LIMIT ?2", Some(id), 1)?.items.into_iter().next()))
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    async fn answer_question(&self, id: Ulid, answer: &AnswerText, audit: &AuditEntry) -> Result<Question, StoreError> {
        let (answer, id, audit) = (answer.as_str().to_string(), id.to_string(), audit.clone());
        let answered = stamp(&audit);
        let expires = contact_expiry(audit.at, self.contact_retention);
        self.writer
            .run(move |conn| {
                change(
                    conn,
                    (
                        "UPDATE questions SET answer = ?1, answered_by = ?2, answered_at = ?3 WHERE id = ?4",
                        params![answer, answered.by, answered.at.to_rfc3339(), id],
                    ),
                    (&format!("SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.id = ?1"), params![id]),
                    "câu hỏi này không trả lời được",
                    &audit,
                    ("UPDATE question_contacts SET expires_at = ?1 WHERE question_id = ?2", params![expires, id]),
                )
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id, publish = publish))]
    async fn publish_answer(&self, id: Ulid, publish: bool, audit: &AuditEntry) -> Result<Question, StoreError> {
        let (id, audit) = (id.to_string(), audit.clone());
        self.writer
            .run(move |conn| {
                change(
                    conn,
                    (
                        "UPDATE questions SET published = ?1
                         WHERE id = ?2 AND (?1 = 0 OR (answer IS NOT NULL AND consent = 1))",
                        params![publish, id],
                    ),
                    (&format!("SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.id = ?1"), params![id]),
                    NOT_PUBLISHABLE,
                    &audit,
                    ("", params![]),
                )
            })
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(action = entry.action.as_str()))]
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.writer.run(move |conn| insert_audit(conn, &entry).map(|_| ())).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn audit_trail(
        &self,
        subject: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<AuditEntry>, StoreError> {
        let (after, subject) = (cursor_id(cursor)?, subject.map(str::to_string));
        self.writer
            .run(move |conn| {
                let items = rows(
                    conn,
                    "SELECT id, at, actor_id, actor_name, action, subject, before, after FROM audit
                     WHERE (?1 IS NULL OR subject = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
                    params![subject, after, (limit + 1) as i64],
                )?;
                Ok(listing(items, limit, |e: &AuditEntry| e.id.to_string()))
            })
            .await
    }

    async fn contacts(&self) -> Result<Vec<crate::store::ContactEntry>, StoreError> {
        self.stored_contacts().await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(items = items.len()))]
    async fn erase_contacts(
        &self,
        items: &[crate::store::ContactItem],
        audit: &AuditEntry,
    ) -> Result<usize, StoreError> {
        self.erase(items, audit).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(window = window))]
    async fn count_request(&self, client: &str, window: &str, ttl_seconds: i64) -> Result<u64, StoreError> {
        let (client, window) = (client.to_string(), window.to_string());
        self.writer
            .run(move |conn| {
                let now = now_seconds();
                conn.execute("DELETE FROM rate_limits WHERE client = ?1 AND expires_at < ?2", params![client, now])
                    .map_err(sql)?;
                let count: i64 = conn
                    .query_row(
                        "INSERT INTO rate_limits (client, window, count, expires_at) VALUES (?1, ?2, 1, ?3)
                         ON CONFLICT (client, window) DO UPDATE SET count = count + 1 RETURNING count",
                        params![client, window, now + ttl_seconds],
                        |r| r.get(0),
                    )
                    .map_err(sql)?;
                Ok(count.max(0) as u64)
            })
            .await
    }
}
