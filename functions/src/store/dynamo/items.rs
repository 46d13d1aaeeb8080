//! Records into items and back. Attribute names are the records' field names; keys come from `keys`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use ulid::Ulid;

use super::keys::{self, Key};
use crate::domain::{
    Actor, AgencyResponse, AuditAction, AuditEntry, CodeBatch, Comment, CommentContact, Consultation, ConsultationId,
    Question, QuestionContact, Stamp, Status, Uptake,
};
use crate::store::StoreError;
use crate::survey::Record;

/// One item's attributes.
pub(super) type Item = HashMap<String, AttributeValue>;

/// A string attribute.
pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute, if present.
pub(super) fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

/// A number attribute, if present and of type `T`.
pub(super) fn get_n<T: std::str::FromStr>(item: &Item, key: &str) -> Option<T> {
    item.get(key).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

/// A string attribute every such item has.
pub(super) fn need_s(item: &Item, key: &str) -> Result<String, StoreError> {
    get_s(item, key).ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("item lacks `{key}`")))
}

fn time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(StoreError::unavailable)
}

/// The ULID after `prefix` in the sort key.
fn id_after(item: &Item, prefix: &str) -> Result<Ulid, StoreError> {
    Ulid::from_string(need_s(item, "sk")?.trim_start_matches(prefix)).map_err(StoreError::unavailable)
}

/// The consultation whose partition holds `item`.
fn consultation_of(item: &Item) -> Result<ConsultationId, StoreError> {
    ConsultationId::parse(need_s(item, "pk")?.trim_start_matches(keys::CONSULTATION))
        .map_err(|e| StoreError::unavailable(anyhow::anyhow!(e.message)))
}

/// `key`'s attributes and `attributes`, leaving out those without a value.
fn item<const N: usize>(key: Key, attributes: [(&str, Option<AttributeValue>); N]) -> Item {
    let mut item = key.attributes();
    item.extend(attributes.into_iter().filter_map(|(name, value)| Some((name.to_string(), value?))));
    item
}

/// A text attribute, or none.
fn opt(value: &Option<String>) -> Option<AttributeValue> {
    value.as_ref().map(|v| s(v.clone()))
}

impl From<&Consultation> for Item {
    fn from(c: &Consultation) -> Self {
        item(
            Key::consultation(&c.id),
            [
                ("title", Some(s(c.title.clone()))),
                ("opens", Some(s(c.opens.to_string()))),
                ("closes", Some(s(c.closes.to_string()))),
            ],
        )
    }
}

/// A consultation's entry in the list of consultations.
pub(super) fn consultation_entry(c: &Consultation) -> Item {
    let mut entry = Item::from(c);
    entry.extend(Key::consultation_entry(&c.id).attributes());
    entry
}

/// A consultation read back from its list entry (the id is the sort key).
pub(super) fn listed_consultation(item: &Item) -> Result<Consultation, StoreError> {
    let mut as_item = item.clone();
    let id =
        ConsultationId::parse(&need_s(item, "sk")?).map_err(|e| StoreError::unavailable(anyhow::anyhow!(e.message)))?;
    as_item.extend(Key::consultation(&id).attributes());
    Consultation::try_from(&as_item)
}

impl TryFrom<&Item> for Consultation {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let date = |k: &str| NaiveDate::parse_from_str(&need_s(item, k)?, "%Y-%m-%d").map_err(StoreError::unavailable);
        Ok(Self {
            id: consultation_of(item)?,
            title: need_s(item, "title")?,
            opens: date("opens")?,
            closes: date("closes")?,
        })
    }
}

/// A pending item carries the moderation queue's keys; moderating it removes them.
fn queued(queue: &str, id: Ulid, pending: bool) -> [(&'static str, Option<AttributeValue>); 2] {
    if pending {
        [("gsi1pk", Some(s(queue))), ("gsi1sk", Some(s(id.to_string())))]
    } else {
        [("gsi1pk", None), ("gsi1sk", None)]
    }
}

impl From<&Comment> for Item {
    fn from(c: &Comment) -> Self {
        let [queue, position] = queued(keys::QUEUE_COMMENTS, c.id, c.status == Status::Pending);
        item(
            Key::comment(&c.consultation, c.id),
            [
                ("status", Some(s(c.status.as_str()))),
                ("created_at", Some(s(c.created_at.to_rfc3339()))),
                ("text", Some(s(c.text.clone()))),
                ("name", opt(&c.name)),
                ("organisation", opt(&c.organisation)),
                ("section", opt(&c.section)),
                ("reason", opt(&c.reason)),
                ("decided_by", c.decided.as_ref().map(|d| s(d.by.clone()))),
                ("decided_at", c.decided.as_ref().map(|d| s(d.at.to_rfc3339()))),
                ("response_uptake", c.response.as_ref().map(|r| s(r.uptake.as_str()))),
                ("response_text", c.response.as_ref().map(|r| s(r.text.clone()))),
                queue,
                position,
            ],
        )
    }
}

impl TryFrom<&Item> for Comment {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let status = need_s(item, "status")?;
        Ok(Self {
            id: id_after(item, keys::COMMENT)?,
            consultation: consultation_of(item)?,
            status: Status::parse(&status)
                .ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("status `{status}`")))?,
            created_at: time(&need_s(item, "created_at")?)?,
            name: get_s(item, "name"),
            organisation: get_s(item, "organisation"),
            section: get_s(item, "section"),
            text: need_s(item, "text")?,
            reason: get_s(item, "reason"),
            decided: stamp(item, "decided")?,
            response: match get_s(item, "response_uptake") {
                Some(u) => Some(AgencyResponse {
                    uptake: Uptake::parse(&u)
                        .ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("uptake `{u}`")))?,
                    text: get_s(item, "response_text").unwrap_or_default(),
                }),
                None => None,
            },
        })
    }
}

/// The contact of `comment`, kept apart from it.
pub(super) fn comment_contact(comment: &Comment, contact: &CommentContact) -> Item {
    item(Key::comment_contact(&comment.consultation, comment.id), [("email", Some(s(contact.email.clone())))])
}

impl TryFrom<&Question> for Item {
    type Error = StoreError;

    fn try_from(q: &Question) -> Result<Self, StoreError> {
        let attachment =
            q.attachment.as_ref().map(serde_json::to_string).transpose().map_err(StoreError::unavailable)?;
        let [queue, position] = if q.published {
            queued(keys::PUBLISHED_QUESTIONS, q.id, true)
        } else {
            queued(keys::QUEUE_QUESTIONS, q.id, q.answer.is_none())
        };
        Ok(item(
            Key::question(q.id),
            [
                ("created_at", Some(s(q.created_at.to_rfc3339()))),
                ("text", Some(s(q.text.clone()))),
                ("attachment", attachment.map(s)),
                ("answer", opt(&q.answer)),
                ("answered_by", q.answered.as_ref().map(|d| s(d.by.clone()))),
                ("answered_at", q.answered.as_ref().map(|d| s(d.at.to_rfc3339()))),
                ("consent", Some(AttributeValue::Bool(q.consent))),
                ("published", Some(AttributeValue::Bool(q.published))),
                queue,
                position,
            ],
        ))
    }
}

impl TryFrom<&Item> for Question {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            id: id_after(item, keys::QUESTION)?,
            created_at: time(&need_s(item, "created_at")?)?,
            text: need_s(item, "text")?,
            attachment: get_s(item, "attachment")
                .map(|a| serde_json::from_str(&a))
                .transpose()
                .map_err(StoreError::unavailable)?,
            answer: get_s(item, "answer"),
            answered: stamp(item, "answered")?,
            consent: get_bool(item, "consent"),
            published: get_bool(item, "published"),
        })
    }
}

/// A boolean attribute; absent is false.
pub(super) fn get_bool(item: &Item, key: &str) -> bool {
    matches!(item.get(key), Some(AttributeValue::Bool(true)))
}

/// A stamp from its two attributes (`{prefix}_by`, `{prefix}_at`), when both are there.
pub(super) fn stamp(item: &Item, prefix: &str) -> Result<Option<Stamp>, StoreError> {
    let by = get_s(item, &format!("{prefix}_by"));
    let at = get_s(item, &format!("{prefix}_at")).map(|t| time(&t)).transpose()?;
    Ok(by.zip(at).map(|(by, at)| Stamp { by, at }))
}

impl From<&AuditEntry> for Item {
    fn from(e: &AuditEntry) -> Self {
        item(
            Key::audit(e.id),
            [
                ("at", Some(s(e.at.to_rfc3339()))),
                ("actor_id", Some(s(e.actor.id.clone()))),
                ("actor_name", Some(s(e.actor.name.clone()))),
                ("action", Some(s(e.action.as_str()))),
                ("subject", Some(s(e.subject.clone()))),
                ("before", Some(s(e.before.clone()))),
                ("after", Some(s(e.after.clone()))),
                ("gsi1pk", Some(s(keys::audit_subject(&e.subject)))),
                ("gsi1sk", Some(s(e.id.to_string()))),
            ],
        )
    }
}

impl TryFrom<&Item> for AuditEntry {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        let action = need_s(item, "action")?;
        Ok(Self {
            id: Ulid::from_string(&need_s(item, "sk")?).map_err(StoreError::unavailable)?,
            at: time(&need_s(item, "at")?)?,
            actor: Actor { id: need_s(item, "actor_id")?, name: need_s(item, "actor_name")? },
            action: AuditAction::parse(&action)
                .ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("action `{action}`")))?,
            subject: need_s(item, "subject")?,
            before: get_s(item, "before").unwrap_or_default(),
            after: get_s(item, "after").unwrap_or_default(),
        })
    }
}

/// The contact of question `id`, kept apart from it.
pub(super) fn question_contact(id: Ulid, contact: &QuestionContact) -> Item {
    item(
        Key::question_contact(id),
        [("name", Some(s(contact.name.clone()))), ("email", opt(&contact.email)), ("phone", opt(&contact.phone))],
    )
}

impl From<&Item> for QuestionContact {
    fn from(item: &Item) -> Self {
        Self { name: get_s(item, "name").unwrap_or_default(), email: get_s(item, "email"), phone: get_s(item, "phone") }
    }
}

/// A response to `survey`.
pub(super) fn survey_response(survey: &str, record: &Record) -> Result<Item, StoreError> {
    let response = serde_json::to_string(&record.response).map_err(StoreError::unavailable)?;
    Ok(item(
        Key::survey_response(survey, record.id),
        [
            ("version", Some(n(i64::from(record.version)))),
            ("created_at", Some(s(record.created_at.to_rfc3339()))),
            ("response", Some(s(response))),
        ],
    ))
}

impl TryFrom<&Item> for Record {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            id: id_after(item, keys::RESPONSE)?,
            created_at: time(&need_s(item, "created_at")?)?,
            version: get_n(item, "version")
                .ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("response without a version")))?,
            response: serde_json::from_str(&need_s(item, "response")?).map_err(StoreError::unavailable)?,
        })
    }
}

/// A batch of access codes of `survey` (its revocation is set later, by `revoke_code_batch`).
pub(super) fn code_batch(survey: &str, batch: &CodeBatch) -> Item {
    item(
        Key::code_batch(survey, batch.id),
        [
            ("unit", Some(s(batch.unit.clone()))),
            ("created_at", Some(s(batch.created_at.to_rfc3339()))),
            ("created_by", Some(s(batch.created_by.clone()))),
        ],
    )
}

impl TryFrom<&Item> for CodeBatch {
    type Error = StoreError;

    fn try_from(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            id: id_after(item, keys::BATCH)?,
            unit: need_s(item, "unit")?,
            created_at: time(&need_s(item, "created_at")?)?,
            created_by: need_s(item, "created_by")?,
        })
    }
}

/// When the batch `item` was revoked, if it was.
pub(super) fn revoked_at(item: &Item) -> Result<Option<DateTime<Utc>>, StoreError> {
    get_s(item, "revoked_at").map(|t| time(&t)).transpose()
}
