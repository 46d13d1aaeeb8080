//! The table's item layout: every partition and sort key the store writes is formatted here, and nowhere else.
//!
//! | item                     | `pk`                         | `sk`                  | `gsi1pk` / `gsi1sk`        |
//! |--------------------------|------------------------------|-----------------------|----------------------------|
//! | consultation             | `CONSULT#{id}`               | `META`                |                            |
//! | comment                  | `CONSULT#{consultation}`     | `COMMENT#{ulid}`      | `MOD#COMMENT` / ulid, while pending |
//! | its contact              | `CONSULT#{consultation}`     | `CONTACT#{ulid}`      |                            |
//! | question                 | `QUESTION`                   | `Q#{ulid}`            | `MOD#QUESTION` / ulid, until answered; `PUB#QUESTION` / ulid while published |
//! | its contact              | `QUESTION`                   | `CONTACT#{ulid}`      |                            |
//! | survey version           | `SURVEY#{id}`                | `DEF#{version:010}`   |                            |
//! | survey response          | `SURVEY#{id}`                | `RESP#{ulid}`         |                            |
//! | access code (its hash)   | `SURVEY#{id}`                | `CODE#{hash}`         |                            |
//! | access-code batch        | `SURVEY#{id}`                | `BATCH#{ulid}`        |                            |
//! | survey counter           | `SURVEY#{id}#V{version}#AGG` | `{unit}#{question}#{option}` |                     |
//! | idempotency record       | `IDEM#{kind}#{key}`          | `IDEM`                |                            |
//! | audit entry              | `AUDIT`                      | `{ulid}`              | `AUDIT#{subject}` / ulid   |
//! | survey list entry        | `SURVEYS`                    | `{id}`                |                            |
//! | consultation list entry  | `CONSULTATIONS`              | `{id}`                |                            |
//! | outcome report           | `CONSULT#{id}`               | `OUTCOME`             |                            |
//! | request counter          | `RATE#{client}`              | `{window}`            |                            |

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use ulid::Ulid;

use crate::domain::ConsultationId;

/// Queue (`gsi1pk`) of comments waiting for moderation.
pub(super) const QUEUE_COMMENTS: &str = "MOD#COMMENT";
/// Queue (`gsi1pk`) of questions waiting for an answer.
pub(super) const QUEUE_QUESTIONS: &str = "MOD#QUESTION";

/// Index partition (`gsi1pk`) of published questions and answers.
pub(super) const PUBLISHED_QUESTIONS: &str = "PUB#QUESTION";
/// Partition of the list of consultations: one item per consultation.
pub(super) const CONSULTATIONS_PK: &str = "CONSULTATIONS";
/// Partition of the list of surveys: one item per survey.
pub(super) const SURVEYS_PK: &str = "SURVEYS";
/// Partition of the audit trail: staff actions are few (thousands a year), so one partition serves them.
pub(super) const AUDIT_PK: &str = "AUDIT";
/// Index partition (`gsi1pk`) of one item's audit entries.
pub(super) fn audit_subject(subject: &str) -> String {
    format!("AUDIT#{subject}")
}
/// Sort-key prefix of comments.
pub(super) const COMMENT: &str = "COMMENT#";
/// Sort-key prefix of contacts.
pub(super) const CONTACT: &str = "CONTACT#";
/// Sort-key prefix of questions.
pub(super) const QUESTION: &str = "Q#";
/// Sort-key prefix of survey versions.
pub(super) const DEFINITION: &str = "DEF#";
/// Sort-key prefix of survey responses.
pub(super) const RESPONSE: &str = "RESP#";
/// Sort-key prefix of access codes.
pub(super) const CODE: &str = "CODE#";
/// Sort-key prefix of access-code batches.
pub(super) const BATCH: &str = "BATCH#";

/// Partition-key prefix of consultations.
pub(super) const CONSULTATION: &str = "CONSULT#";

/// Partition of everything about a consultation.
pub(super) fn consultation_pk(id: &ConsultationId) -> String {
    format!("{CONSULTATION}{id}")
}

/// Partition of every question and its contact.
pub(super) const QUESTIONS_PK: &str = "QUESTION";

/// Partition of a survey's versions, responses, access codes and their batches.
pub(super) fn survey_pk(id: &str) -> String {
    format!("SURVEY#{id}")
}

/// Partition of a survey version's counters.
pub(super) fn counters_pk(id: &str, version: u32) -> String {
    format!("SURVEY#{id}#V{version}#AGG")
}

/// An item's primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Key {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// A consultation's window and title.
    pub fn consultation(id: &ConsultationId) -> Self {
        Self::new(consultation_pk(id), "META")
    }

    /// A comment.
    pub fn comment(consultation: &ConsultationId, id: Ulid) -> Self {
        Self::new(consultation_pk(consultation), format!("{COMMENT}{id}"))
    }

    /// The contact of a comment.
    pub fn comment_contact(consultation: &ConsultationId, id: Ulid) -> Self {
        Self::new(consultation_pk(consultation), format!("{CONTACT}{id}"))
    }

    /// A question.
    pub fn question(id: Ulid) -> Self {
        Self::new(QUESTIONS_PK, format!("{QUESTION}{id}"))
    }

    /// The contact of a question.
    pub fn question_contact(id: Ulid) -> Self {
        Self::new(QUESTIONS_PK, format!("{CONTACT}{id}"))
    }

    /// A published survey version; zero-padded so the highest version sorts last.
    pub fn survey_definition(id: &str, version: u32) -> Self {
        Self::new(survey_pk(id), format!("{DEFINITION}{version:010}"))
    }

    /// A survey response.
    pub fn survey_response(survey: &str, id: Ulid) -> Self {
        Self::new(survey_pk(survey), format!("{RESPONSE}{id}"))
    }

    /// An access code of a survey, by its hash.
    pub fn access_code(survey: &str, hash: &str) -> Self {
        Self::new(survey_pk(survey), format!("{CODE}{hash}"))
    }

    /// A batch of access codes of a survey.
    pub fn code_batch(survey: &str, id: Ulid) -> Self {
        Self::new(survey_pk(survey), format!("{BATCH}{id}"))
    }

    /// One counter of a survey version (`{unit}#{question}#{option}`).
    pub fn survey_counter(survey: &str, version: u32, counter: &str) -> Self {
        Self::new(counters_pk(survey, version), counter)
    }

    /// A consultation's entry in the list of consultations (title and window, as `cchc sync` wrote them).
    pub fn consultation_entry(id: &ConsultationId) -> Self {
        Self::new(CONSULTATIONS_PK, id.as_str())
    }
    /// Who published a consultation's outcome report, and when.
    pub fn outcome(id: &ConsultationId) -> Self {
        Self::new(consultation_pk(id), "OUTCOME")
    }
    /// A survey's entry in the list of surveys (its highest version and title).
    pub fn survey_entry(id: &str) -> Self {
        Self::new(SURVEYS_PK, id)
    }
    /// An audit entry.
    pub fn audit(id: Ulid) -> Self {
        Self::new(AUDIT_PK, id.to_string())
    }
    /// The idempotency record of `key` (already prefixed with what it guards, e.g. `comment#…`).
    pub fn idempotency(key: &str) -> Self {
        Self::new(format!("IDEM#{key}"), "IDEM")
    }

    /// The request counter of a client (a salted hash) in a window.
    pub fn requests(client: &str, window: &str) -> Self {
        Self::new(format!("RATE#{client}"), window)
    }

    /// As the attributes of an item (or a `key` argument).
    pub fn attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(self.pk.clone())),
            ("sk".to_string(), AttributeValue::S(self.sk.clone())),
        ])
    }
}
