//! [`Sealed`]: any `Store`, with personal data sealed on the way in and opened on the way out. The one place where
//! the functions decide what is personal data:
//!
//! - a comment's contact (its e-mail address); the comment's signature stays readable, since it is published with
//!   the comment once approved (the public function must read it);
//! - a question's contact (name, e-mail address, phone);
//! - a survey response's free-text answers (`text`, `long-text` questions); options, points and numbers stay
//!   readable, as the counters already hold them.
//!
//! Bindings (the AEAD's associated data) name the item and the field: `comment/{consultation}/{id}/email`,
//! `question/{id}/{name|email|phone}`, `survey/{id}/{response}/{question}`.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;
use ulid::Ulid;

use super::{Sealer, is_sealed};
use crate::domain::{
    AgencyResponse, AnswerText, AuditEntry, BatchSummary, CodeBatch, Comment, CommentContact, Consultation,
    ConsultationId, Decision, IdempotencyKey, Question, QuestionContact, Stamp, StoredResponse,
};
use crate::store::{
    ContactEntry, ContactItem, Cursor, KeyScope, Listing, Publication, Saved, Store, StoreError, SurveyEntry,
    SurveyWrite,
};
use crate::survey::{Answer, QuestionKind, Record, Survey};

/// The free-text question ids of each survey version seen, by (survey, version).
type FreeText = Arc<Mutex<HashMap<(String, u32), Arc<Vec<String>>>>>;

/// `inner`, sealing personal data with `sealer`.
#[derive(Debug, Clone)]
pub struct Sealed<S> {
    inner: S,
    sealer: Sealer,
    /// The free-text questions of each survey version seen (published versions never change).
    free_text: FreeText,
}

fn failed(error: anyhow::Error) -> StoreError {
    StoreError::Unavailable(error.context("personal data sealing"))
}

fn comment_binding(consultation: &ConsultationId, id: Ulid) -> String {
    format!("comment/{consultation}/{id}/email")
}

fn question_binding(id: Ulid, field: &str) -> String {
    format!("question/{id}/{field}")
}

fn answer_binding(survey: &str, response: Ulid, question: &str) -> String {
    format!("survey/{survey}/{response}/{question}")
}

impl<S: Store> Sealed<S> {
    /// `inner`, sealing with `sealer`.
    pub fn new(inner: S, sealer: Sealer) -> Self {
        Self { inner, sealer, free_text: Arc::default() }
    }

    /// The store underneath (which holds sealed values).
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The sealer (for attachments kept beside the store).
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    async fn seal(&self, binding: &str, plain: &str) -> Result<String, StoreError> {
        self.sealer.seal(binding, plain).await.map_err(failed)
    }

    async fn seal_opt(&self, binding: &str, plain: &Option<String>) -> Result<Option<String>, StoreError> {
        match plain {
            Some(p) => Ok(Some(self.seal(binding, p).await?)),
            None => Ok(None),
        }
    }

    async fn open(&self, binding: &str, stored: &str) -> Result<String, StoreError> {
        self.sealer.open(binding, stored).await.map_err(failed)
    }

    async fn open_opt(&self, binding: &str, stored: Option<String>) -> Result<Option<String>, StoreError> {
        match stored {
            Some(s) => Ok(Some(self.open(binding, &s).await?)),
            None => Ok(None),
        }
    }

    async fn open_question_contact(&self, id: Ulid, c: QuestionContact) -> Result<QuestionContact, StoreError> {
        Ok(QuestionContact {
            name: self.open(&question_binding(id, "name"), &c.name).await?,
            email: self.open_opt(&question_binding(id, "email"), c.email).await?,
            phone: self.open_opt(&question_binding(id, "phone"), c.phone).await?,
        })
    }

    async fn open_questions(
        &self,
        listing: Listing<(Question, QuestionContact)>,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let mut items = Vec::with_capacity(listing.items.len());
        for (q, c) in listing.items {
            let c = self.open_question_contact(q.id, c).await?;
            items.push((q, c));
        }
        Ok(Listing { items, next: listing.next })
    }

    /// The ids of version `version` of `survey`'s free-text questions.
    async fn free_text_questions(&self, survey: &str, version: u32) -> Result<Arc<Vec<String>>, StoreError> {
        let key = (survey.to_string(), version);
        if let Some(ids) = self.free_text.lock().await.get(&key) {
            return Ok(ids.clone());
        }
        let definition = self.inner.survey(survey, Some(version)).await?.ok_or(StoreError::NotFound)?;
        let ids: Arc<Vec<String>> = Arc::new(
            definition
                .questions
                .iter()
                .filter(|q| matches!(q.kind, QuestionKind::Text { .. } | QuestionKind::LongText { .. }))
                .map(|q| q.id.clone())
                .collect(),
        );
        self.free_text.lock().await.insert(key, ids.clone());
        Ok(ids)
    }

    async fn open_record(&self, survey: &str, mut record: Record) -> Result<Record, StoreError> {
        for (question, answer) in record.response.answers.iter_mut() {
            if let Answer::One(text) = answer
                && is_sealed(text)
            {
                *text = self.open(&answer_binding(survey, record.id, question), text).await?;
            }
        }
        Ok(record)
    }
}

impl<S: Store> Store for Sealed<S> {
    async fn put_consultation(&self, consultation: &Consultation) -> Result<(), StoreError> {
        self.inner.put_consultation(consultation).await
    }

    async fn consultation(&self, id: &ConsultationId) -> Result<Option<Consultation>, StoreError> {
        self.inner.consultation(id).await
    }

    async fn save_comment(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        comment: &Comment,
        contact: &CommentContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let sealed = CommentContact {
            email: self.seal(&comment_binding(&comment.consultation, comment.id), &contact.email).await?,
        };
        self.inner.save_comment(key, fingerprint, comment, &sealed, response).await
    }

    async fn replay(
        &self,
        scope: KeyScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.inner.replay(scope, key, fingerprint).await
    }

    async fn approved_comments(
        &self,
        consultation: &ConsultationId,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<Comment>, StoreError> {
        self.inner.approved_comments(consultation, cursor, limit).await
    }

    async fn pending_comments(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Listing<Comment>, StoreError> {
        self.inner.pending_comments(cursor, limit).await
    }

    async fn moderate_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        decision: &Decision,
        audit: &AuditEntry,
    ) -> Result<Comment, StoreError> {
        self.inner.moderate_comment(consultation, id, decision, audit).await
    }

    async fn comment(&self, consultation: &ConsultationId, id: Ulid) -> Result<Option<Comment>, StoreError> {
        self.inner.comment(consultation, id).await
    }

    async fn respond_to_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        response: Option<&AgencyResponse>,
    ) -> Result<Comment, StoreError> {
        self.inner.respond_to_comment(consultation, id, response).await
    }

    async fn publish_outcome(
        &self,
        consultation: &ConsultationId,
        publish: bool,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.inner.publish_outcome(consultation, publish, audit).await
    }

    async fn outcome(&self, consultation: &ConsultationId) -> Result<Option<Stamp>, StoreError> {
        self.inner.outcome(consultation).await
    }

    async fn consultations(&self) -> Result<Vec<Consultation>, StoreError> {
        self.inner.consultations().await
    }

    async fn export_comments(
        &self,
        consultation: &ConsultationId,
    ) -> Result<Vec<(Comment, CommentContact)>, StoreError> {
        let rows = self.inner.export_comments(consultation).await?;
        let mut opened = Vec::with_capacity(rows.len());
        for (c, contact) in rows {
            let email = self.open(&comment_binding(&c.consultation, c.id), &contact.email).await?;
            opened.push((c, CommentContact { email }));
        }
        Ok(opened)
    }

    async fn save_question(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        question: &Question,
        contact: &QuestionContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let id = question.id;
        let sealed = QuestionContact {
            name: self.seal(&question_binding(id, "name"), &contact.name).await?,
            email: self.seal_opt(&question_binding(id, "email"), &contact.email).await?,
            phone: self.seal_opt(&question_binding(id, "phone"), &contact.phone).await?,
        };
        self.inner.save_question(key, fingerprint, question, &sealed, response).await
    }

    async fn pending_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let listing = self.inner.pending_questions(cursor, limit).await?;
        self.open_questions(listing).await
    }

    async fn answer_question(&self, id: Ulid, answer: &AnswerText, audit: &AuditEntry) -> Result<Question, StoreError> {
        self.inner.answer_question(id, answer, audit).await
    }

    async fn publish_answer(&self, id: Ulid, publish: bool, audit: &AuditEntry) -> Result<Question, StoreError> {
        self.inner.publish_answer(id, publish, audit).await
    }

    async fn question(&self, id: Ulid) -> Result<Option<(Question, QuestionContact)>, StoreError> {
        match self.inner.question(id).await? {
            Some((q, c)) => {
                let c = self.open_question_contact(q.id, c).await?;
                Ok(Some((q, c)))
            }
            None => Ok(None),
        }
    }

    async fn answered_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<(Question, QuestionContact)>, StoreError> {
        let listing = self.inner.answered_questions(cursor, limit).await?;
        self.open_questions(listing).await
    }

    async fn published_answers(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Listing<Question>, StoreError> {
        self.inner.published_answers(cursor, limit).await
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.inner.record_audit(entry).await
    }

    async fn audit_trail(
        &self,
        subject: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Listing<AuditEntry>, StoreError> {
        self.inner.audit_trail(subject, cursor, limit).await
    }

    async fn put_survey(&self, survey: &Survey) -> Result<Publication, StoreError> {
        self.inner.put_survey(survey).await
    }

    async fn surveys(&self) -> Result<Vec<SurveyEntry>, StoreError> {
        self.inner.surveys().await
    }

    async fn survey(&self, id: &str, version: Option<u32>) -> Result<Option<Survey>, StoreError> {
        self.inner.survey(id, version).await
    }

    async fn save_survey_response(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        write: &SurveyWrite<'_>,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let free_text = self.free_text_questions(write.survey, write.record.version).await?;
        let mut record = write.record.clone();
        for (question, answer) in record.response.answers.iter_mut() {
            if let Answer::One(text) = answer
                && free_text.contains(question)
            {
                *text = self.seal(&answer_binding(write.survey, record.id, question), text).await?;
            }
        }
        let sealed = SurveyWrite { record: &record, ..write.clone() };
        self.inner.save_survey_response(key, fingerprint, &sealed, response).await
    }

    async fn count_chunk(
        &self,
        survey: &str,
        version: u32,
        response: Ulid,
        chunk: u32,
        counters: &[String],
    ) -> Result<bool, StoreError> {
        // Counter keys are choices, never free text: nothing here is sealed.
        self.inner.count_chunk(survey, version, response, chunk, counters).await
    }

    async fn survey_counts(
        &self,
        id: &str,
        version: u32,
        scope: &str,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        self.inner.survey_counts(id, version, scope).await
    }

    async fn survey_responses(&self, id: &str, version: u32) -> Result<Vec<Record>, StoreError> {
        let records = self.inner.survey_responses(id, version).await?;
        let mut opened = Vec::with_capacity(records.len());
        for record in records {
            opened.push(self.open_record(id, record).await?);
        }
        Ok(opened)
    }

    async fn add_access_codes(&self, survey: &str, batch: &CodeBatch, hashes: &[String]) -> Result<usize, StoreError> {
        self.inner.add_access_codes(survey, batch, hashes).await
    }

    async fn code_batches(&self, survey: &str) -> Result<Vec<BatchSummary>, StoreError> {
        self.inner.code_batches(survey).await
    }

    async fn check_access_code(&self, survey: &str, hash: &str, unit: &str) -> Result<(), StoreError> {
        self.inner.check_access_code(survey, hash, unit).await
    }

    async fn revoke_code_batch(&self, survey: &str, batch: Ulid) -> Result<BatchSummary, StoreError> {
        self.inner.revoke_code_batch(survey, batch).await
    }

    async fn contacts(&self) -> Result<Vec<ContactEntry>, StoreError> {
        let entries = self.inner.contacts().await?;
        let mut opened = Vec::with_capacity(entries.len());
        for mut e in entries {
            match &e.item {
                ContactItem::Comment { consultation, id } => {
                    e.email = self.open_opt(&comment_binding(consultation, *id), e.email).await?;
                }
                ContactItem::Question(id) => {
                    e.name = self.open_opt(&question_binding(*id, "name"), e.name).await?;
                    e.email = self.open_opt(&question_binding(*id, "email"), e.email).await?;
                    e.phone = self.open_opt(&question_binding(*id, "phone"), e.phone).await?;
                }
            }
            opened.push(e);
        }
        Ok(opened)
    }

    async fn erase_contacts(&self, items: &[ContactItem], audit: &AuditEntry) -> Result<usize, StoreError> {
        self.inner.erase_contacts(items, audit).await
    }

    async fn count_request(&self, client: &str, window: &str, ttl_seconds: i64) -> Result<u64, StoreError> {
        self.inner.count_request(client, window, ttl_seconds).await
    }
}
