//! Deletion requests on DynamoDB: the items that still hold contact details (read partition by partition: each
//! consultation's, and the questions'), and their erasure in transactions, the audit entry in the last.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use ulid::Ulid;

use super::items::{Item, get_s, need_s, s};
use super::keys::{self, Key};
use super::{DynamoStore, unavailable};
use crate::domain::{AttachmentMeta, AuditEntry};
use crate::store::{ContactEntry, ContactItem, Store as _, StoreError};

/// Items erased per transaction: a contact's delete and its item's update each, under DynamoDB's 100 writes.
const ITEMS_PER_TRANSACTION: usize = 40;

fn time(item: &Item) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::parse_from_rfc3339(&need_s(item, "created_at")?)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(StoreError::unavailable)
}

fn ulid(text: &str) -> Result<Ulid, StoreError> {
    Ulid::from_string(text).map_err(StoreError::unavailable)
}

impl DynamoStore {
    /// Every item of partition `pk`, split into the records (sort key after `prefix`) and their contacts.
    async fn with_their_contacts(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<(Ulid, Item, Option<Item>)>, StoreError> {
        let found = self
            .query_all(|q| q.key_condition_expression("pk = :pk").expression_attribute_values(":pk", s(pk.clone())))
            .await?;
        let mut records = Vec::new();
        let mut contacts: HashMap<String, Item> = HashMap::new();
        for item in found {
            let sk = need_s(&item, "sk")?;
            if let Some(id) = sk.strip_prefix(keys::CONTACT) {
                contacts.insert(id.to_string(), item);
            } else if let Some(id) = sk.strip_prefix(prefix) {
                records.push((ulid(id)?, item));
            }
        }
        records.sort_by_key(|(id, _)| *id);
        Ok(records.into_iter().map(|(id, item)| (id, item, contacts.remove(&id.to_string()))).collect())
    }

    /// `Store::contacts`.
    pub(super) async fn stored_contacts(&self) -> Result<Vec<ContactEntry>, StoreError> {
        let mut entries = Vec::new();
        for consultation in self.consultations().await? {
            let pk = keys::consultation_pk(&consultation.id);
            for (id, comment, contact) in self.with_their_contacts(pk, keys::COMMENT).await? {
                let (name, email) = (get_s(&comment, "name"), contact.as_ref().and_then(|c| get_s(c, "email")));
                if name.is_none() && contact.is_none() {
                    continue;
                }
                entries.push(ContactEntry {
                    item: ContactItem::Comment { consultation: consultation.id.clone(), id },
                    created_at: time(&comment)?,
                    name,
                    email: email.filter(|e| !e.is_empty()),
                    phone: None,
                    attachment: None,
                });
            }
        }
        for (id, question, contact) in self.with_their_contacts(keys::QUESTIONS_PK.into(), keys::QUESTION).await? {
            let attachment: Option<AttachmentMeta> = get_s(&question, "attachment")
                .map(|a| serde_json::from_str(&a))
                .transpose()
                .map_err(StoreError::unavailable)?;
            if attachment.is_none() && contact.is_none() {
                continue;
            }
            let field = |name: &str| contact.as_ref().and_then(|c| get_s(c, name));
            entries.push(ContactEntry {
                item: ContactItem::Question(id),
                created_at: time(&question)?,
                name: field("name"),
                email: field("email"),
                phone: field("phone"),
                attachment,
            });
        }
        Ok(entries)
    }

    /// The writes that erase `item`'s contact details, if the item exists.
    async fn erasure(&self, item: &ContactItem) -> Result<Option<[TransactWriteItem; 2]>, StoreError> {
        let (record, contact, remove) = match item {
            ContactItem::Comment { consultation, id } => {
                (Key::comment(consultation, *id), Key::comment_contact(consultation, *id), "#f")
            }
            ContactItem::Question(id) => (Key::question(*id), Key::question_contact(*id), "#f"),
        };
        if self.get(&record, true).await?.is_none() {
            return Ok(None);
        }
        let field = if matches!(item, ContactItem::Comment { .. }) { "name" } else { "attachment" };
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(contact.attributes()))
            .build()
            .map_err(StoreError::unavailable)?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(record.attributes()))
            .condition_expression("attribute_exists(pk)")
            .update_expression(format!("REMOVE {remove}"))
            .expression_attribute_names(remove, field)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(Some([
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(update).build(),
        ]))
    }

    /// `Store::erase_contacts`.
    pub(super) async fn erase(&self, items: &[ContactItem], audit: &AuditEntry) -> Result<usize, StoreError> {
        let mut writes = Vec::new();
        for item in items {
            if let Some(erasure) = self.erasure(item).await? {
                writes.push(erasure);
            }
        }
        let found = writes.len();
        let mut chunks: Vec<Vec<TransactWriteItem>> =
            writes.chunks(ITEMS_PER_TRANSACTION).map(|c| c.iter().flatten().cloned().collect()).collect();
        if chunks.is_empty() {
            chunks.push(Vec::new());
        }
        if let Some(last) = chunks.last_mut() {
            last.push(self.put_new_in_transaction(Item::from(audit))?);
        }
        for chunk in chunks {
            let mut delay = Duration::from_millis(10);
            let mut attempt = 0;
            loop {
                match self.client.transact_write_items().set_transact_items(Some(chunk.clone())).send().await {
                    Ok(_) => break,
                    // Cancelled by a concurrent write on the same items: every write here is safe to repeat.
                    Err(error)
                        if attempt < 6
                            && error.as_service_error().is_some_and(|e| e.is_transaction_canceled_exception()) =>
                    {
                        attempt += 1;
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                    Err(error) => return Err(unavailable(error)),
                }
            }
        }
        Ok(found)
    }
}
