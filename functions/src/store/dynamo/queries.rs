//! The `Store` contract on DynamoDB.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use ulid::Ulid;

use super::items::{self, Item, get_bool, get_n, get_s, n, need_s, s};
use super::keys::{self, Key};
use super::{CodeUse, DynamoStore, listing, now_seconds, unavailable, unless_refused};
use crate::domain::{
    AgencyResponse, AnswerText, AuditEntry, BatchSummary, CodeBatch, Comment, CommentContact, Consultation,
    ConsultationId, Decision, IdempotencyKey, Question, QuestionContact, Stamp, Status, StoredResponse,
};
use crate::store::{
    Cursor, KeyScope, Listing, NOT_PUBLISHABLE, Publication, Saved, Store, StoreError, SurveyEntry, SurveyWrite,
    changed_version, moderated, stamp,
};
use crate::survey::{Record, Survey};

/// A cursor in a partition: the item's keys.
const TABLE_KEYS: [&str; 2] = ["pk", "sk"];
/// A cursor in a moderation queue: the item's keys and the index's.
const QUEUE_KEYS: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];

impl Store for DynamoStore {
    #[tracing::instrument(level = "debug", skip_all, fields(survey = %survey.id, version = survey.version))]
    async fn put_survey(&self, survey: &Survey) -> Result<Publication, StoreError> {
        let hash = survey.content_hash();
        let key = Key::survey_definition(&survey.id, survey.version);
        let mut item = key.attributes();
        item.extend([("hash".to_string(), s(hash.clone())), ("definition".to_string(), s(survey.to_published()))]);
        let publication = if self.put_new(item).await? {
            Publication::New
        } else {
            match self.get(&key, true).await?.and_then(|i| get_s(&i, "hash")) {
                Some(h) if h == hash => Publication::Unchanged,
                _ => return Err(StoreError::Conflict(changed_version(&survey.id, survey.version))),
            }
        };
        // The list entry keeps the highest version (written again on an unchanged publication, so a table from
        // before the list gets it at the next `cchc sync`).
        let listed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::survey_entry(&survey.id).attributes()))
            .update_expression("SET version = :version, title = :title")
            .condition_expression("attribute_not_exists(version) OR version <= :version")
            .expression_attribute_values(":version", n(i64::from(survey.version)))
            .expression_attribute_values(":title", s(survey.title.clone()))
            .send()
            .await;
        unless_refused(listed)?;
        Ok(publication)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn surveys(&self) -> Result<Vec<SurveyEntry>, StoreError> {
        let items = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk").expression_attribute_values(":pk", s(keys::SURVEYS_PK))
            })
            .await?;
        items
            .iter()
            .map(|item| {
                Ok(SurveyEntry {
                    id: need_s(item, "sk")?,
                    version: get_n(item, "version").unwrap_or(1),
                    title: get_s(item, "title").unwrap_or_default(),
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn survey(&self, id: &str, version: Option<u32>) -> Result<Option<Survey>, StoreError> {
        let item = match version {
            Some(v) => self.get(&Key::survey_definition(id, v), false).await?,
            None => self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :def)")
                .expression_attribute_values(":pk", s(keys::survey_pk(id)))
                .expression_attribute_values(":def", s(keys::DEFINITION))
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

    #[tracing::instrument(level = "debug", skip_all, fields(survey = write.survey, version = write.record.version))]
    async fn save_survey_response(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        write: &SurveyWrite<'_>,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let record = write.record;
        let mut item = items::survey_response(write.survey, record)?;
        // How many chunks the aggregator counts (and, by its presence, that it counts them: responses stored
        // before the aggregator were counted in their own transaction).
        item.insert("chunks".into(), n(i64::from(crate::survey::chunk_count(write.counters.len()))));
        let mut writes = vec![self.put_new_in_transaction(item)?];
        let mut code = None;
        if let Some(hash) = write.code {
            let key = Key::access_code(write.survey, hash);
            // Unused, not revoked, and issued for the unit the response is for: checked by the write itself, so
            // concurrent uses of one code admit one response.
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key.attributes()))
                .update_expression("SET used_at = :now")
                .condition_expression(
                    "attribute_exists(pk) AND attribute_not_exists(used_at) AND attribute_not_exists(revoked_at) \
                     AND #unit = :unit",
                )
                .expression_attribute_names("#unit", "unit")
                .expression_attribute_values(":now", s(record.created_at.to_rfc3339()))
                .expression_attribute_values(":unit", s(record.response.unit.clone()))
                .build()
                .map_err(StoreError::unavailable)?;
            code = Some(CodeUse { at: writes.len(), key, unit: &record.response.unit });
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        self.transact_once(KeyScope::Survey.key(key), fingerprint, response, writes, code).await
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
        let key = Key::survey_response(survey, response);
        // The chunk's marker: a number in the response's `counted` set, added by the transaction that adds the
        // chunk's counters, and its condition. (The stream's filter passes inserts only: this change is not
        // delivered back to the aggregator.)
        let marker = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression("ADD counted :chunks")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(counted) OR NOT contains(counted, :chunk))",
            )
            .expression_attribute_values(":chunks", AttributeValue::Ns(vec![chunk.to_string()]))
            .expression_attribute_values(":chunk", n(i64::from(chunk)))
            .build()
            .map_err(StoreError::unavailable)?;
        let mut writes = vec![TransactWriteItem::builder().update(marker).build()];
        for counter in counters {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(Key::survey_counter(survey, version, counter).attributes()))
                .update_expression("ADD #count :one")
                .expression_attribute_names("#count", "count")
                .expression_attribute_values(":one", n(1))
                .build()
                .map_err(StoreError::unavailable)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        self.transact_counted(&key, writes).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn survey_counts(&self, id: &str, version: u32, scope: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let found = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :scope)")
                    .expression_attribute_values(":pk", s(keys::counters_pk(id, version)))
                    .expression_attribute_values(":scope", s(format!("{scope}#")))
            })
            .await?;
        found.iter().map(|item| Ok((need_s(item, "sk")?, get_n(item, "count").unwrap_or(0)))).collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn survey_responses(&self, id: &str, version: u32) -> Result<Vec<Record>, StoreError> {
        let found = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :resp)")
                    .filter_expression("#version = :version")
                    .expression_attribute_names("#version", "version")
                    .expression_attribute_values(":pk", s(keys::survey_pk(id)))
                    .expression_attribute_values(":resp", s(keys::RESPONSE))
                    .expression_attribute_values(":version", n(i64::from(version)))
                    .consistent_read(true)
            })
            .await?;
        found.iter().map(Record::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(survey, batch = %batch.id, codes = hashes.len()))]
    async fn add_access_codes(&self, survey: &str, batch: &CodeBatch, hashes: &[String]) -> Result<usize, StoreError> {
        let batch_key = Key::code_batch(survey, batch.id);
        if let Some(existing) = self.get(&batch_key, true).await?
            && need_s(&existing, "unit")? != batch.unit
        {
            return Err(StoreError::Conflict(format!("lô mã {} đã được cấp cho một đơn vị khác", batch.id)));
        }
        // A code new, or already in this batch (a retry): set its batch and unit, never its use or revocation.
        let writes = hashes
            .iter()
            .map(|hash| {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(Key::access_code(survey, hash).attributes()))
                    .update_expression("SET #batch = :batch, #unit = :unit")
                    .condition_expression("attribute_not_exists(pk) OR #batch = :batch")
                    .expression_attribute_names("#batch", "batch")
                    .expression_attribute_names("#unit", "unit")
                    .expression_attribute_values(":batch", s(batch.id.to_string()))
                    .expression_attribute_values(":unit", s(batch.unit.clone()))
            })
            .collect();
        let stored = self.update_each(writes).await?;
        // The batch last, so that one listed has all its codes; on a retry, the one there (maybe revoked) stays.
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(items::code_batch(survey, batch)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        unless_refused(sent)?;
        Ok(stored)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn code_batches(&self, survey: &str) -> Result<Vec<BatchSummary>, StoreError> {
        let batches = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :batch)")
                    .expression_attribute_values(":pk", s(keys::survey_pk(survey)))
                    .expression_attribute_values(":batch", s(keys::BATCH))
                    .consistent_read(true)
            })
            .await?;
        // Counted by reading every code of the survey (two short attributes each): batches hold a few thousand
        // codes at most, so this is a few pages of reads; counters kept per batch would make every response's
        // transaction write one more item.
        let codes = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :code)")
                    .projection_expression("#batch, used_at")
                    .expression_attribute_names("#batch", "batch")
                    .expression_attribute_values(":pk", s(keys::survey_pk(survey)))
                    .expression_attribute_values(":code", s(keys::CODE))
                    .consistent_read(true)
            })
            .await?;
        let mut counts: HashMap<String, (u64, u64)> = HashMap::new();
        for code in &codes {
            let Some(batch) = get_s(code, "batch") else { continue }; // a code from before batches
            let (total, used) = counts.entry(batch).or_default();
            *total += 1;
            *used += u64::from(code.contains_key("used_at"));
        }
        batches
            .iter()
            .map(|item| {
                let batch = CodeBatch::try_from(item)?;
                let (total, used) = counts.get(&batch.id.to_string()).copied().unwrap_or_default();
                Ok(BatchSummary { batch, total, used, revoked_at: items::revoked_at(item)? })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(survey))]
    async fn check_access_code(&self, survey: &str, hash: &str, unit: &str) -> Result<(), StoreError> {
        self.code_check(&Key::access_code(survey, hash), unit).await?
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn revoke_code_batch(&self, survey: &str, batch: Ulid) -> Result<BatchSummary, StoreError> {
        let batch_key = Key::code_batch(survey, batch);
        if self.get(&batch_key, true).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let now = s(chrono::Utc::now().to_rfc3339());
        let unused = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :code)")
                    .filter_expression(
                        "#batch = :batch AND attribute_not_exists(used_at) AND attribute_not_exists(revoked_at)",
                    )
                    .projection_expression("pk, sk")
                    .expression_attribute_names("#batch", "batch")
                    .expression_attribute_values(":pk", s(keys::survey_pk(survey)))
                    .expression_attribute_values(":code", s(keys::CODE))
                    .expression_attribute_values(":batch", s(batch.to_string()))
                    .consistent_read(true)
            })
            .await?;
        // Each code on its own condition: one used meanwhile stays used (and counted), never revoked.
        let writes = unused
            .into_iter()
            .map(|key| {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .update_expression("SET revoked_at = :now")
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(used_at)")
                    .expression_attribute_values(":now", now.clone())
            })
            .collect();
        self.update_each(writes).await?;
        // The batch says "revoked" only once all its codes are: an interrupted revocation is retried whole.
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(batch_key.attributes()))
            .update_expression("SET revoked_at = if_not_exists(revoked_at, :now)")
            .expression_attribute_values(":now", now)
            .send()
            .await
            .map_err(unavailable)?;
        let summaries = self.code_batches(survey).await?;
        summaries.into_iter().find(|b| b.batch.id == batch).ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %c.id))]
    async fn put_consultation(&self, c: &Consultation) -> Result<(), StoreError> {
        for item in [Item::from(c), items::consultation_entry(c)] {
            self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(unavailable)?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn consultations(&self) -> Result<Vec<Consultation>, StoreError> {
        let found = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk").expression_attribute_values(":pk", s(keys::CONSULTATIONS_PK))
            })
            .await?;
        found.iter().map(items::listed_consultation).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, id = %id))]
    async fn respond_to_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        response: Option<&AgencyResponse>,
    ) -> Result<Comment, StoreError> {
        let key = Key::comment(consultation, id);
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .condition_expression("attribute_exists(pk) AND #status = :approved")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":approved", s(Status::Approved.as_str()))
            .return_values(ReturnValue::AllNew);
        let request = match response {
            Some(r) => request
                .update_expression("SET response_uptake = :uptake, response_text = :text")
                .expression_attribute_values(":uptake", s(r.uptake.as_str()))
                .expression_attribute_values(":text", s(r.text.clone())),
            None => request.update_expression("REMOVE response_uptake, response_text"),
        };
        match unless_refused(request.send().await)? {
            Some(changed) => Comment::try_from(&changed.attributes.unwrap_or_default()),
            None if self.get(&key, true).await?.is_some() => {
                Err(StoreError::Conflict("chỉ góp ý đã đăng mới có ý kiến tiếp thu, giải trình".into()))
            }
            None => Err(StoreError::NotFound),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, publish = publish))]
    async fn publish_outcome(
        &self,
        consultation: &ConsultationId,
        publish: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let published = stamp(audit);
        let update = |request: aws_sdk_dynamodb::types::builders::UpdateBuilder| {
            if publish {
                request
                    .update_expression("SET published_by = :by, published_at = :at")
                    .expression_attribute_values(":by", s(published.by.clone()))
                    .expression_attribute_values(":at", s(published.at.to_rfc3339()))
            } else {
                request.update_expression("REMOVE published_by, published_at")
            }
        };
        self.change_audited(&Key::outcome(consultation), update, "", audit).await.map(|_| ())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation))]
    async fn outcome(&self, consultation: &ConsultationId) -> Result<Option<Stamp>, StoreError> {
        match self.get(&Key::outcome(consultation), true).await? {
            Some(item) => items::stamp(&item, "published"),
            None => Ok(None),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %id))]
    async fn consultation(&self, id: &ConsultationId) -> Result<Option<Consultation>, StoreError> {
        self.get(&Key::consultation(id), false).await?.as_ref().map(Consultation::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(scope = scope.as_str()))]
    async fn replay(
        &self,
        scope: KeyScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let Some(item) = self.get(&Key::idempotency(&scope.key(key)), true).await? else { return Ok(None) };
        // An expired record (TTL deletion lags by up to days) counts as absent, as in `transact_once`.
        if get_n::<i64>(&item, "ttl").unwrap_or(0) < now_seconds() {
            return Ok(None);
        }
        if get_s(&item, "fingerprint").as_deref() != Some(fingerprint) {
            return Err(StoreError::KeyReused);
        }
        let status = get_n(&item, "status").unwrap_or(202);
        Ok(Some(StoredResponse { status, body: get_s(&item, "body").unwrap_or_default() }))
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
        let items = vec![Item::from(comment), items::comment_contact(comment, contact)];
        self.write_once(KeyScope::Comment.key(key), fingerprint, response, items).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, limit = limit))]
    async fn approved_comments(
        &self,
        consultation: &ConsultationId,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<Comment>, StoreError> {
        let items = self
            .filtered_newest(cursor, limit, |q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .filter_expression("#status = :approved")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":pk", s(keys::consultation_pk(consultation)))
                    .expression_attribute_values(":prefix", s(keys::COMMENT))
                    .expression_attribute_values(":approved", s(Status::Approved.as_str()))
            })
            .await?;
        listing(items, limit, &TABLE_KEYS)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn pending_comments(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Listing<Comment>, StoreError> {
        let items = self.queue(keys::QUEUE_COMMENTS, cursor, limit).await?;
        listing(items, limit, &QUEUE_KEYS)
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
        let decided = stamp(audit);
        let update = |request: aws_sdk_dynamodb::types::builders::UpdateBuilder| {
            let request = request
                .condition_expression("attribute_exists(pk) AND #status = :pending")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":pending", s(Status::Pending.as_str()))
                .expression_attribute_values(":new", s(status.as_str()))
                .expression_attribute_values(":by", s(decided.by.clone()))
                .expression_attribute_values(":at", s(decided.at.to_rfc3339()));
            match &reason {
                Some(r) => request
                    .update_expression(
                        "SET #status = :new, reason = :reason, decided_by = :by, decided_at = :at REMOVE gsi1pk, gsi1sk",
                    )
                    .expression_attribute_values(":reason", s(r.clone())),
                None => request
                    .update_expression("SET #status = :new, decided_by = :by, decided_at = :at REMOVE gsi1pk, gsi1sk"),
            }
        };
        let key = Key::comment(consultation, id);
        let contact = Key::comment_contact(consultation, id);
        let conflict = "góp ý này đã được kiểm duyệt trước đó";
        let changed = self.change_audited_with(&key, update, conflict, audit, Some(&contact)).await?;
        Comment::try_from(&changed)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation, id = %id))]
    async fn comment(&self, consultation: &ConsultationId, id: Ulid) -> Result<Option<Comment>, StoreError> {
        self.get(&Key::comment(consultation, id), true).await?.as_ref().map(Comment::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(consultation = %consultation))]
    async fn export_comments(
        &self,
        consultation: &ConsultationId,
    ) -> Result<Vec<(Comment, CommentContact)>, StoreError> {
        let found = self
            .query_all(|q| {
                q.key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(keys::consultation_pk(consultation)))
            })
            .await?;
        let mut comments = Vec::new();
        let mut contacts: HashMap<String, String> = HashMap::new();
        for item in &found {
            let sk = need_s(item, "sk")?;
            if let Some(id) = sk.strip_prefix(keys::CONTACT) {
                contacts.insert(id.to_string(), need_s(item, "email")?);
            } else if sk.starts_with(keys::COMMENT) {
                comments.push(Comment::try_from(item)?);
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

    #[tracing::instrument(level = "debug", skip_all, fields(id = %question.id))]
    async fn save_question(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        question: &Question,
        contact: &QuestionContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let items = vec![Item::try_from(question)?, items::question_contact(question.id, contact)];
        self.write_once(KeyScope::Question.key(key), fingerprint, response, items).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn pending_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let items = self.queue(keys::QUEUE_QUESTIONS, cursor, limit).await?;
        let questions: Listing<Question> = listing(items, limit, &QUEUE_KEYS)?;
        self.with_contacts(questions).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    async fn answer_question(&self, id: Ulid, answer: &AnswerText, audit: &AuditEntry) -> Result<Question, StoreError> {
        let key = Key::question(id);
        // A published answer keeps its place on the Q&A page; any other leaves the queue. The condition holds the
        // item to the state read, so a publication in between is a conflict, not a lost index entry.
        let current = self.get(&key, true).await?.ok_or(StoreError::NotFound)?;
        let published = get_bool(&current, "published");
        let answered = stamp(audit);
        let update = |request: aws_sdk_dynamodb::types::builders::UpdateBuilder| {
            let request = request
                // Items written before `published` existed have none: they count as unpublished.
                .condition_expression(if published {
                    "attribute_exists(pk) AND published = :published"
                } else {
                    "attribute_exists(pk) AND (attribute_not_exists(published) OR published = :published)"
                })
                .expression_attribute_values(":published", aws_sdk_dynamodb::types::AttributeValue::Bool(published))
                .expression_attribute_values(":answer", s(answer.as_str()))
                .expression_attribute_values(":by", s(answered.by.clone()))
                .expression_attribute_values(":at", s(answered.at.to_rfc3339()));
            if published {
                request.update_expression("SET answer = :answer, answered_by = :by, answered_at = :at")
            } else {
                request.update_expression(
                    "SET answer = :answer, answered_by = :by, answered_at = :at REMOVE gsi1pk, gsi1sk",
                )
            }
        };
        let conflict = "câu hỏi vừa được người khác thay đổi; hãy tải lại";
        let contact = Key::question_contact(id);
        let changed = self.change_audited_with(&key, update, conflict, audit, Some(&contact)).await?;
        Question::try_from(&changed)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id, publish = publish))]
    async fn publish_answer(&self, id: Ulid, publish: bool, audit: &AuditEntry) -> Result<Question, StoreError> {
        let update = |request: aws_sdk_dynamodb::types::builders::UpdateBuilder| {
            if publish {
                request
                    .condition_expression("attribute_exists(pk) AND attribute_exists(answer) AND consent = :true")
                    .update_expression("SET published = :true, gsi1pk = :index, gsi1sk = :id")
                    .expression_attribute_values(":true", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
                    .expression_attribute_values(":index", s(keys::PUBLISHED_QUESTIONS))
                    .expression_attribute_values(":id", s(id.to_string()))
            } else {
                request
                    .condition_expression("attribute_exists(pk) AND attribute_exists(answer)")
                    .update_expression("SET published = :false REMOVE gsi1pk, gsi1sk")
                    .expression_attribute_values(":false", aws_sdk_dynamodb::types::AttributeValue::Bool(false))
            }
        };
        let changed = self.change_audited(&Key::question(id), update, NOT_PUBLISHABLE, audit).await?;
        Question::try_from(&changed)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    async fn question(&self, id: Ulid) -> Result<Option<(Question, QuestionContact)>, StoreError> {
        let Some(item) = self.get(&Key::question(id), true).await? else {
            return Ok(None);
        };
        let contact = self.get(&Key::question_contact(id), true).await?.unwrap_or_default();
        Ok(Some((Question::try_from(&item)?, QuestionContact::from(&contact))))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn answered_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let items = self
            .filtered_newest(cursor, limit, |q| {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .filter_expression("attribute_exists(answer)")
                    .expression_attribute_values(":pk", s(keys::QUESTIONS_PK))
                    .expression_attribute_values(":prefix", s(keys::QUESTION))
            })
            .await?;
        let questions: Listing<Question> = listing(items, limit, &TABLE_KEYS)?;
        self.with_contacts(questions).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn published_answers(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Listing<Question>, StoreError> {
        let items = self.index_page(keys::PUBLISHED_QUESTIONS, false, cursor, limit).await?;
        listing(items, limit, &QUEUE_KEYS)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(action = entry.action.as_str()))]
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        if self.put_new(Item::from(entry)).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict("mục nhật ký này đã có".into()))
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
    async fn audit_trail(
        &self,
        subject: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<AuditEntry>, StoreError> {
        match subject {
            Some(subject) => {
                let items = self.index_page(&keys::audit_subject(subject), false, cursor, limit).await?;
                listing(items, limit, &QUEUE_KEYS)
            }
            None => {
                let items = self
                    .filtered_newest(cursor, limit, |q| {
                        q.key_condition_expression("pk = :pk").expression_attribute_values(":pk", s(keys::AUDIT_PK))
                    })
                    .await?;
                listing(items, limit, &TABLE_KEYS)
            }
        }
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
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::requests(client, window).attributes()))
            .update_expression("ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(now_seconds() + ttl_seconds))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        let count = out.attributes.as_ref().and_then(|a| get_n(a, "count"));
        count.ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("rate counter without count")))
    }
}

impl DynamoStore {
    /// Each question of `questions` with its contact, read apart.
    async fn with_contacts(
        &self,
        questions: Listing<Question>,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let mut out = Vec::with_capacity(questions.items.len());
        for question in questions.items {
            let contact = self.get(&Key::question_contact(question.id), false).await?.unwrap_or_default();
            out.push((question, QuestionContact::from(&contact)));
        }
        Ok(Listing { items: out, next: questions.next })
    }
}
