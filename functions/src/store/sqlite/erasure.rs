//! Deletion requests on SQLite: the items that still hold contact details, and their erasure with one audit entry.

use rusqlite::{OptionalExtension as _, params};
use ulid::Ulid;

use super::{SqliteStore, sql};
use crate::domain::{AttachmentMeta, AuditEntry, ConsultationId};
use crate::store::{ContactEntry, ContactItem, StoreError};

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::unavailable(anyhow::anyhow!("{e}"))
}

fn time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&chrono::Utc)).map_err(StoreError::unavailable)
}

impl SqliteStore {
    /// `Store::contacts`.
    pub(super) async fn stored_contacts(&self) -> Result<Vec<ContactEntry>, StoreError> {
        self.writer
            .run(|conn| {
                let mut entries = Vec::new();
                let mut comments = conn
                    .prepare(
                        "SELECT c.id, c.consultation, c.created_at, c.name, k.email FROM comments c
                         LEFT JOIN comment_contacts k ON k.comment_id = c.id
                         WHERE c.name IS NOT NULL OR k.comment_id IS NOT NULL ORDER BY c.id",
                    )
                    .map_err(sql)?;
                let rows = comments
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get(3)?,
                            r.get(4)?,
                        ))
                    })
                    .map_err(sql)?;
                for row in rows {
                    let (id, consultation, created_at, name, email): (_, _, _, Option<String>, Option<String>) =
                        row.map_err(sql)?;
                    entries.push(ContactEntry {
                        item: ContactItem::Comment {
                            consultation: ConsultationId::parse(&consultation).map_err(|e| failed(e.message))?,
                            id: Ulid::from_string(&id).map_err(StoreError::unavailable)?,
                        },
                        created_at: time(&created_at)?,
                        name,
                        email: email.filter(|e| !e.is_empty()),
                        phone: None,
                        attachment: None,
                    });
                }
                let mut questions = conn
                    .prepare(
                        "SELECT q.id, q.created_at, q.attachment, k.name, k.email, k.phone FROM questions q
                         LEFT JOIN question_contacts k ON k.question_id = q.id
                         WHERE k.question_id IS NOT NULL OR q.attachment IS NOT NULL ORDER BY q.id",
                    )
                    .map_err(sql)?;
                let rows = questions
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    })
                    .map_err(sql)?;
                for row in rows {
                    let (id, created_at, attachment, name, email, phone) = row.map_err(sql)?;
                    let attachment: Option<AttachmentMeta> =
                        attachment.map(|a| serde_json::from_str(&a)).transpose().map_err(StoreError::unavailable)?;
                    entries.push(ContactEntry {
                        item: ContactItem::Question(Ulid::from_string(&id).map_err(StoreError::unavailable)?),
                        created_at: time(&created_at)?,
                        name,
                        email,
                        phone,
                        attachment,
                    });
                }
                Ok(entries)
            })
            .await
    }

    /// `Store::erase_contacts`: one savepoint for every item and the audit entry.
    pub(super) async fn erase(&self, items: &[ContactItem], audit: &AuditEntry) -> Result<usize, StoreError> {
        let (items, audit) = (items.to_vec(), audit.clone());
        self.writer
            .run(move |conn| {
                let tx = conn.savepoint().map_err(sql)?;
                let mut found = 0;
                for item in &items {
                    let exists = match item {
                        ContactItem::Comment { consultation, id } => {
                            let id = id.to_string();
                            tx.execute("DELETE FROM comment_contacts WHERE comment_id = ?1", params![id])
                                .map_err(sql)?;
                            tx.execute(
                                "UPDATE comments SET name = NULL WHERE id = ?1 AND consultation = ?2",
                                params![id, consultation.as_str()],
                            )
                            .map_err(sql)?
                        }
                        ContactItem::Question(id) => {
                            let id = id.to_string();
                            tx.execute("DELETE FROM question_contacts WHERE question_id = ?1", params![id])
                                .map_err(sql)?;
                            tx.query_row(
                                "UPDATE questions SET attachment = NULL WHERE id = ?1 RETURNING 1",
                                params![id],
                                |_| Ok(1usize),
                            )
                            .optional()
                            .map_err(sql)?
                            .unwrap_or(0)
                        }
                    };
                    found += exists;
                }
                super::queries::insert_audit(&tx, &audit)?;
                tx.commit().map_err(sql)?;
                Ok(found)
            })
            .await
    }
}
