//! Rows into records: each type reads the columns it needs by name, so every query that selects them (under
//! those names) reads it the same way. A stored value that does not parse is a conversion error, like a wrong
//! column type.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Row;
use rusqlite::types::Type;
use ulid::Ulid;

use crate::domain::{
    Actor, AgencyResponse, AuditAction, AuditEntry, Comment, CommentContact, Consultation, ConsultationId, Question,
    QuestionContact, Stamp, Status, Uptake,
};
use crate::survey::Record;

/// Every column of `comments`, in the table's order: what `Comment::try_from` reads.
pub(super) const COMMENT_COLUMNS: &str = "id, consultation, status, created_at, name, organisation, section, text, reason, decided_by, decided_at, \
     response_uptake, response_text";

/// Every column of `questions`: what `Question::try_from` reads (`q.` prefixed, for joins with contacts).
pub(super) const QUESTION_COLUMNS: &str = "q.id, q.created_at, q.text, q.attachment, q.answer, q.answered_by, \
     q.answered_at, q.consent, q.published";

/// A stamp from its two columns (`{prefix}_by`, `{prefix}_at`), when both are there.
fn stamp(row: &Row<'_>, prefix: &str) -> rusqlite::Result<Option<Stamp>> {
    let by: Option<String> = row.get(format!("{prefix}_by").as_str())?;
    let at = parsed_opt(row, &format!("{prefix}_at"), time)?;
    Ok(by.zip(at).map(|(by, at)| Stamp { by, at }))
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Column `name` (text), parsed.
fn parsed<T, E: Into<Failure>>(
    row: &Row<'_>,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T> {
    let index = row.as_ref().column_index(name)?;
    let text: String = row.get(index)?;
    parse(&text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, e.into()))
}

/// Column `name` (text or NULL), parsed when present.
fn parsed_opt<T, E: Into<Failure>>(
    row: &Row<'_>,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<Option<T>> {
    let index = row.as_ref().column_index(name)?;
    let text: Option<String> = row.get(index)?;
    text.map(|t| parse(&t).map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, e.into())))
        .transpose()
}

fn id(text: &str) -> Result<Ulid, ulid::DecodeError> {
    Ulid::from_string(text)
}

fn time(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc))
}

fn date(text: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
}

fn consultation_id(text: &str) -> Result<ConsultationId, anyhow::Error> {
    ConsultationId::parse(text).map_err(|e| anyhow::anyhow!(e.message))
}

impl TryFrom<&Row<'_>> for Consultation {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: parsed(row, "id", consultation_id)?,
            title: row.get("title")?,
            opens: parsed(row, "opens", date)?,
            closes: parsed(row, "closes", date)?,
        })
    }
}

impl TryFrom<&Row<'_>> for Comment {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: parsed(row, "id", id)?,
            consultation: parsed(row, "consultation", consultation_id)?,
            status: parsed(row, "status", |s| Status::parse(s).ok_or_else(|| anyhow::anyhow!("status `{s}`")))?,
            created_at: parsed(row, "created_at", time)?,
            name: row.get("name")?,
            organisation: row.get("organisation")?,
            section: row.get("section")?,
            text: row.get("text")?,
            reason: row.get("reason")?,
            decided: stamp(row, "decided")?,
            response: parsed_opt(row, "response_uptake", |u| {
                Uptake::parse(u).ok_or_else(|| anyhow::anyhow!("uptake `{u}`"))
            })?
            .map(|uptake| {
                Ok::<_, rusqlite::Error>(AgencyResponse {
                    uptake,
                    text: row.get::<_, Option<String>>("response_text")?.unwrap_or_default(),
                })
            })
            .transpose()?,
        })
    }
}

impl TryFrom<&Row<'_>> for CommentContact {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self { email: row.get("email")? })
    }
}

impl TryFrom<&Row<'_>> for Question {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: parsed(row, "id", id)?,
            created_at: parsed(row, "created_at", time)?,
            text: row.get("text")?,
            attachment: parsed_opt(row, "attachment", |a| serde_json::from_str(a))?,
            answer: row.get("answer")?,
            answered: stamp(row, "answered")?,
            consent: row.get("consent")?,
            published: row.get("published")?,
        })
    }
}

impl TryFrom<&Row<'_>> for AuditEntry {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: parsed(row, "id", id)?,
            at: parsed(row, "at", time)?,
            actor: Actor { id: row.get("actor_id")?, name: row.get("actor_name")? },
            action: parsed(row, "action", |a| AuditAction::parse(a).ok_or_else(|| anyhow::anyhow!("action `{a}`")))?,
            subject: row.get("subject")?,
            before: row.get("before")?,
            after: row.get("after")?,
        })
    }
}

impl TryFrom<&Row<'_>> for QuestionContact {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self { name: row.get("name")?, email: row.get("email")?, phone: row.get("phone")? })
    }
}

impl TryFrom<&Row<'_>> for Record {
    type Error = rusqlite::Error;

    fn try_from(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: parsed(row, "id", id)?,
            created_at: parsed(row, "created_at", time)?,
            version: row.get("version")?,
            response: parsed(row, "response", |r| serde_json::from_str(r))?,
        })
    }
}
