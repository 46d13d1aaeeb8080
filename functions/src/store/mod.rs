//! Storage, owned by the domain: the `Store` trait states what every backend MUST do; `SqliteStore` (embedded,
//! for `cchc serve`) and `DynamoStore` (AWS) implement it, and one contract test suite runs against both.

mod cursor;
#[cfg(feature = "aws")]
mod dynamo;
mod sqlite;

use std::future::Future;

use ulid::Ulid;

use crate::domain::{
    AgencyResponse, AnswerText, AttachmentMeta, AuditEntry, BatchSummary, CodeBatch, Comment, CommentContact,
    Consultation, ConsultationId, Decision, IdempotencyKey, Question, QuestionContact, Stamp, Status, StoredResponse,
};
use crate::survey::{Record, Survey};

pub use cursor::Cursor;
#[cfg(feature = "aws")]
pub use dynamo::{DynamoStore, StreamedResponse, TABLE_DEFINITION, TableDefinition, streamed_response};
pub use sqlite::SqliteStore;

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL_SECONDS: i64 = 24 * 3600;

/// What a stored access code allows a response of `unit`, given the code's unit and whether it is live (neither
/// used nor revoked), if the code exists: the one rule both backends apply.
pub(crate) fn code_verdict(found: Option<(&str, bool)>, unit: &str) -> Result<(), StoreError> {
    match found {
        Some((code_unit, true)) if code_unit == unit => Ok(()),
        Some((_, true)) => Err(StoreError::CodeForAnotherUnit),
        _ => Err(StoreError::CodeRejected),
    }
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The item does not exist.
    #[error("không tìm thấy")]
    NotFound,
    /// The idempotency key was used before for a different request.
    #[error("khoá chống gửi trùng đã được dùng cho một nội dung khác")]
    KeyReused,
    /// The access code does not exist, was used already, or its batch was revoked.
    #[error("mã truy cập không đúng hoặc đã được dùng")]
    CodeRejected,
    /// The access code is live but was issued for another unit than the response's: the respondent picked the
    /// wrong unit (or holds another unit's code). Apart from `CodeRejected` because the fix is the respondent's:
    /// pick the unit named on the code sheet.
    #[error("mã truy cập này được cấp cho đơn vị khác: hãy chọn đúng đơn vị ghi trên phiếu nhận mã")]
    CodeForAnotherUnit,
    /// The item is not in a state that allows the change (e.g. already moderated).
    #[error("{0}")]
    Conflict(String),
    /// A pagination cursor that this store did not make.
    #[error("con trỏ phân trang không hợp lệ")]
    BadCursor,
    /// The backend failed or is throttling; the caller may retry later. The cause is the error's source (report
    /// the chain, e.g. with `{:#}` on an `anyhow::Error`), not part of this message.
    #[error("kho dữ liệu tạm thời không phản hồi")]
    Unavailable(#[source] anyhow::Error),
}

impl StoreError {
    /// Wraps a backend failure, keeping it as the source.
    pub fn unavailable(error: impl Into<anyhow::Error>) -> Self {
        Self::Unavailable(error.into())
    }
}

/// Which kind of write an idempotency key belongs to: the same key may be used once per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// `save_comment`.
    Comment,
    /// `save_question`.
    Question,
    /// `save_survey_response`.
    Survey,
}

impl KeyScope {
    /// How the backends store `key` in this scope (`comment#…`).
    pub fn key(self, key: &IdempotencyKey) -> String {
        format!("{}#{}", self.as_str(), key.as_str())
    }

    /// The prefix the backends store keys under.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Comment => "comment",
            KeyScope::Question => "question",
            KeyScope::Survey => "survey",
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// The item was stored, with the response to give.
    Created,
    /// The key was seen before with the same request: nothing was stored; give this first response again.
    Replayed(StoredResponse),
}

/// The message for a published survey version whose content changed.
pub fn changed_version(id: &str, version: u32) -> String {
    format!(
        "khảo sát `{id}` phiên bản {version} đã được công bố với nội dung khác; phiên bản đã công bố không được sửa: \
         tăng `version` lên {} để công bố nội dung mới",
        version + 1
    )
}

/// The state and the reason a moderator's decision gives a comment, as both backends store them.
fn moderated(decision: &Decision) -> (Status, Option<String>) {
    match decision {
        Decision::Approve => (Status::Approved, None),
        Decision::Reject(reason) => (Status::Rejected, Some(reason.as_str().to_string())),
    }
}

/// How long a sender's contact details are kept after their item is closed (a comment moderated, a question
/// answered), unless `with_contact_retention` says otherwise: the period the privacy notice states (Nghị định
/// 13/2023/NĐ-CP), `ContactRetentionMonths` on AWS.
pub const CONTACT_RETENTION_MONTHS: u32 = 24;

/// When contact details of an item closed at `closed` are deleted, as a Unix time.
fn contact_expiry(closed: chrono::DateTime<chrono::Utc>, months: u32) -> i64 {
    closed.checked_add_months(chrono::Months::new(months)).unwrap_or(closed).timestamp()
}

/// The stamp an audited change leaves on its item.
fn stamp(audit: &AuditEntry) -> Stamp {
    Stamp { by: audit.actor.name.clone(), at: audit.at }
}

/// Why an answer cannot be published.
pub const NOT_PUBLISHABLE: &str = "chỉ công bố được câu hỏi đã có câu trả lời và người hỏi đồng ý công bố";

/// A published survey as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyEntry {
    /// Survey id.
    pub id: String,
    /// Its highest published version.
    pub version: u32,
    /// That version's title.
    pub title: String,
}

/// An item that holds a person's contact details (what a deletion request erases).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactItem {
    /// A comment on a consultation.
    Comment {
        /// Its consultation.
        consultation: ConsultationId,
        /// The comment.
        id: Ulid,
    },
    /// A question.
    Question(Ulid),
}

impl ContactItem {
    /// How the audit trail and the back office name the item (no personal data: ids only).
    pub fn label(&self) -> String {
        match self {
            ContactItem::Comment { consultation, id } => format!("góp ý {consultation}/{id}"),
            ContactItem::Question(id) => format!("câu hỏi {id}"),
        }
    }
}

/// The contact details an item still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEntry {
    /// The item.
    pub item: ContactItem,
    /// When the item was sent.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The sender's name (a comment's signature, or a question's asker).
    pub name: Option<String>,
    /// Their e-mail address.
    pub email: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
    /// A question's attachment.
    pub attachment: Option<AttachmentMeta>,
}

/// What publishing a survey version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    /// The version is new and now published.
    New,
    /// The same version with the same content was already published.
    Unchanged,
}

/// Everything one survey response writes, all or nothing.
#[derive(Debug, Clone)]
pub struct SurveyWrite<'a> {
    /// Survey id.
    pub survey: &'a str,
    /// The response, with its id and version.
    pub record: &'a Record,
    /// Counter keys the response adds one to (`Response::counters`), within the record's version. Not written with
    /// the response: it records how many chunks they make (`survey::chunk_count`), and the aggregator counts them
    /// behind it (`count_chunk`), so a survey of any length is one write on the request path.
    pub counters: &'a [String],
    /// Hash of the access code to consume, for restricted surveys.
    pub code: Option<&'a str>,
}

/// One stretch of a list (what a client sees as a page of results), and the cursor to the next stretch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    /// Items, in the list's order.
    pub items: Vec<T>,
    /// Opaque cursor to the next page; `None` on the last page.
    pub next: Option<Cursor>,
}

/// Everything the functions keep. Every method is safe to call concurrently.
pub trait Store: Send + Sync + 'static {
    /// Creates or replaces a consultation (its window comes from the content). MUST be idempotent.
    fn put_consultation(&self, consultation: &Consultation) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The consultation, or `None` if `cchc sync` never published it.
    fn consultation(
        &self,
        id: &ConsultationId,
    ) -> impl Future<Output = Result<Option<Consultation>, StoreError>> + Send;

    /// Stores a pending comment, its contact apart from it, and `response` under `key`, all or nothing.
    /// If `key` was stored before: MUST store nothing and return `Replayed` with the first response when
    /// `fingerprint` matches, or `KeyReused` when it does not.
    fn save_comment(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        comment: &Comment,
        contact: &CommentContact,
        response: &StoredResponse,
    ) -> impl Future<Output = Result<Saved, StoreError>> + Send;

    /// The first response stored under `key` in `scope`, read without writing anything: `Some` when `fingerprint`
    /// matches, `KeyReused` when it does not, `None` when the key is free (never used, or expired). Lets a retry
    /// be answered before anything (a proof of work, a rate-limit slot) is spent on it.
    fn replay(
        &self,
        scope: KeyScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> impl Future<Output = Result<Option<StoredResponse>, StoreError>> + Send;

    /// Approved comments of a consultation, newest first, at most `limit`, after `cursor`. MUST NOT return
    /// comments in any other state.
    fn approved_comments(
        &self,
        consultation: &ConsultationId,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<Comment>, StoreError>> + Send;

    /// Pending comments of every consultation, oldest first (the moderation queue).
    fn pending_comments(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<Comment>, StoreError>> + Send;

    /// Applies a moderator's decision to a pending comment, stamps it with `audit`'s actor and time and stores
    /// `audit`, all or nothing, and returns the comment as now stored. MUST return `NotFound` for an unknown comment
    /// and `Conflict` (storing nothing) for one already moderated, even when two decisions race.
    fn moderate_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        decision: &Decision,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<Comment, StoreError>> + Send;

    /// One comment, in any state (the back office shows who decided it).
    fn comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
    ) -> impl Future<Output = Result<Option<Comment>, StoreError>> + Send;

    /// Records (or, with `None`, clears) the drafting agency's response to an approved comment and returns it as
    /// now stored. MUST return `NotFound` for an unknown comment and `Conflict` for one that is not approved.
    fn respond_to_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        response: Option<&AgencyResponse>,
    ) -> impl Future<Output = Result<Comment, StoreError>> + Send;

    /// Publishes (or withdraws) a consultation's outcome report, stamped with `audit`'s actor and time, and stores
    /// `audit`, all or nothing.
    fn publish_outcome(
        &self,
        consultation: &ConsultationId,
        publish: bool,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Who published a consultation's outcome report and when; `None` while it is not published.
    fn outcome(&self, consultation: &ConsultationId) -> impl Future<Output = Result<Option<Stamp>, StoreError>> + Send;

    /// Every consultation `cchc sync` published, by id.
    fn consultations(&self) -> impl Future<Output = Result<Vec<Consultation>, StoreError>> + Send;

    /// Every comment of a consultation with its contact, oldest first, for the moderators' export.
    fn export_comments(
        &self,
        consultation: &ConsultationId,
    ) -> impl Future<Output = Result<Vec<(Comment, CommentContact)>, StoreError>> + Send;

    /// Stores a question, its contact apart from it, and `response` under `key`, all or nothing; same key rules
    /// as `save_comment`.
    fn save_question(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        question: &Question,
        contact: &QuestionContact,
        response: &StoredResponse,
    ) -> impl Future<Output = Result<Saved, StoreError>> + Send;

    /// Questions without an answer, oldest first, with their contacts (for moderators only).
    fn pending_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<(Question, QuestionContact)>, StoreError>> + Send;

    /// Records (or corrects) the answer to a question, stamps it, stores `audit`, all or nothing, and returns the
    /// question as now stored; a published answer stays published with the new text. MUST return `NotFound` for an
    /// unknown question.
    fn answer_question(
        &self,
        id: Ulid,
        answer: &AnswerText,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<Question, StoreError>> + Send;

    /// Shows (`publish`) or withdraws a question's answer on the public Q&A page and stores `audit`, all or
    /// nothing. MUST return `NotFound` for an unknown question and `Conflict` (`NOT_PUBLISHABLE`) when publishing a
    /// question without an answer or without the asker's consent.
    fn publish_answer(
        &self,
        id: Ulid,
        publish: bool,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<Question, StoreError>> + Send;

    /// One question with its contact (back office only).
    fn question(
        &self,
        id: Ulid,
    ) -> impl Future<Output = Result<Option<(Question, QuestionContact)>, StoreError>> + Send;

    /// Answered questions, newest first, with their contacts (back office only: they stay listable and editable).
    fn answered_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<(Question, QuestionContact)>, StoreError>> + Send;

    /// Published questions and answers, newest first (public). MUST NOT return any other question.
    fn published_answers(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<Question>, StoreError>> + Send;

    /// Stores an audit entry for an action that changes nothing else in the store (an export, a code batch).
    fn record_audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The audit trail, newest first: every entry, or those of one `subject`.
    fn audit_trail(
        &self,
        subject: Option<&str>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<AuditEntry>, StoreError>> + Send;

    /// Publishes version `survey.version` of a survey. MUST return `Unchanged` when that version was published
    /// with the same content hash, and `Conflict` (naming the version) when with another: published versions
    /// are immutable.
    fn put_survey(&self, survey: &Survey) -> impl Future<Output = Result<Publication, StoreError>> + Send;

    /// Every published survey, by id, with its highest version and that version's title (the back office's list).
    fn surveys(&self) -> impl Future<Output = Result<Vec<SurveyEntry>, StoreError>> + Send;

    /// Version `version` of a survey, or its highest published version when `None`.
    fn survey(&self, id: &str, version: Option<u32>)
    -> impl Future<Output = Result<Option<Survey>, StoreError>> + Send;

    /// Stores a survey response (with the number of chunks its counters make), consumes its access code, and keeps
    /// `response` under `key`, all or nothing; its counters are added behind it, by `count_chunk`. Same key rules as `save_comment`; a code that does not exist, was
    /// consumed or was revoked MUST give `CodeRejected`, and a live code of another unit than the response's
    /// `CodeForAnotherUnit`; either writes nothing, even under concurrent use of the same code (the checks are
    /// the write's own condition, not a read before it).
    fn save_survey_response(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        write: &SurveyWrite<'_>,
        response: &StoredResponse,
    ) -> impl Future<Output = Result<Saved, StoreError>> + Send;

    /// Adds one to each of `counters` (chunk `chunk` of the counters of stored response `response`, as
    /// `survey::chunks` cuts them) and marks the chunk counted on the response, all or nothing. Returns `true` when it
    /// counted, `false` when the chunk was counted before (then nothing is written): however often a response is
    /// delivered, each chunk is counted once. MUST return `NotFound` when the response is not stored.
    fn count_chunk(
        &self,
        survey: &str,
        version: u32,
        response: Ulid,
        chunk: u32,
        counters: &[String],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The counters of a survey version in `scope` (`survey::ALL`, a unit, a commune), by key
    /// (`{scope}#{question}#{option}`, `{scope}#_#n`, `{scope}#_u#{unit}`).
    fn survey_counts(
        &self,
        id: &str,
        version: u32,
        scope: &str,
    ) -> impl Future<Output = Result<std::collections::BTreeMap<String, u64>, StoreError>> + Send;

    /// Every response of a survey version, oldest first (for the export).
    fn survey_responses(&self, id: &str, version: u32) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;

    /// Stores `batch` of `survey` and its unused access codes (their keyed hashes, `secrets::access_code_hash`);
    /// returns how many of `hashes` belong to the batch now. Safe to retry with the same batch and hashes (codes
    /// already in the batch count, used ones stay used, a revoked batch stays revoked). A hash already held by
    /// another batch is left to it and not counted (with 50 random bits a code, it does not happen in practice).
    /// MUST give `Conflict` when a batch with this id exists for another unit. Whether `batch.unit` is one of the
    /// survey's units is the caller's check (`access_codes::check_unit`).
    fn add_access_codes(
        &self,
        survey: &str,
        batch: &CodeBatch,
        hashes: &[String],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Whether access code `hash` of `survey` would be taken for a response of `unit` now: `Ok` for a live code of
    /// that unit, else the error `save_survey_response` would give (`CodeForAnotherUnit` for a live code of another
    /// unit, `CodeRejected` for an unknown, used or revoked one). A read, not a reservation: the code is spent only
    /// by the response. What the survey's first step asks before the respondent answers anything.
    fn check_access_code(
        &self,
        survey: &str,
        hash: &str,
        unit: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The code batches of `survey`, oldest first, each with its counts: codes in it, codes used, and whether it was
    /// revoked. A batch whose codes are still being stored (an `add_access_codes` under way or interrupted) may be
    /// absent or count fewer codes.
    fn code_batches(&self, survey: &str) -> impl Future<Output = Result<Vec<BatchSummary>, StoreError>> + Send;

    /// Revokes a batch of `survey`: from then on its unused codes give `CodeRejected`; used ones stay counted as
    /// used. Returns the batch as now stored. Idempotent: revoking again keeps the first revocation's time. MUST
    /// give `NotFound` for an unknown batch. A response racing the revocation either is stored (its code counts as
    /// used) or refused, never both.
    fn revoke_code_batch(
        &self,
        survey: &str,
        batch: Ulid,
    ) -> impl Future<Output = Result<BatchSummary, StoreError>> + Send;

    /// Every item that still holds contact details (a contact, a comment's signature, a question's attachment),
    /// oldest first within each kind: what a deletion request searches (back office only; rare, so a read of
    /// every consultation's and the questions' partitions, no index of people).
    fn contacts(&self) -> impl Future<Output = Result<Vec<ContactEntry>, StoreError>> + Send;

    /// Erases the contact details of `items` (the contact, a comment's signature, a question's attachment
    /// reference; the text sent stays) and stores `audit` with the last of them. Safe to retry: an item erased
    /// already, or gone, is left as it is. Returns how many items were found.
    fn erase_contacts(
        &self,
        items: &[ContactItem],
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Adds one to the request counter of `client` (a salted hash, never an address) in `window` and returns
    /// the new count. Counters expire after `ttl_seconds`.
    fn count_request(
        &self,
        client: &str,
        window: &str,
        ttl_seconds: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
