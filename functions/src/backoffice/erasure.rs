//! Deletion requests (Nghị định 13/2023/NĐ-CP, Điều 9: the right to have one's data deleted), for administrators
//! (`quan-tri`): find a person's items by e-mail address or phone number, then erase their contact details
//! everywhere (comments' contacts and signatures, questions' contacts and attachments), with one audit entry that
//! names the items and what went, never the person. The search is a POST, so the address never sits in a URL or a
//! log line.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use ulid::Ulid;

use super::{Fields, Page, field, flash, signed_change, signed_in, unavailable};
use crate::auth::Role;
use crate::domain::{AuditAction, AuditEntry, ConsultationId, display_time};
use crate::http::{AppState, Attachments};
use crate::store::{ContactEntry, ContactItem, Store, StoreError};

const PAGE: &str = "/quan-tri/xoa-du-lieu";

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new().route(PAGE, get(form::<S>).post(erase::<S>)).route("/quan-tri/xoa-du-lieu/tim", post(search::<S>))
}

/// What a person gave to be found by: an e-mail address (compared without case) or a phone number (its digits,
/// with +84 read as a leading 0).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identifier {
    Email(String),
    Phone(String),
}

impl Identifier {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.contains('@') {
            return Some(Self::Email(text.to_lowercase()));
        }
        let digits = phone_digits(text);
        (digits.len() >= 8).then_some(Self::Phone(digits))
    }

    fn matches(&self, e: &ContactEntry) -> bool {
        match self {
            Self::Email(email) => e.email.as_deref().is_some_and(|x| x.trim().to_lowercase() == *email),
            Self::Phone(digits) => e.phone.as_deref().is_some_and(|x| phone_digits(x) == *digits),
        }
    }
}

fn phone_digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("84") {
        Some(rest) if text.trim_start().starts_with('+') || digits.len() == 11 => format!("0{rest}"),
        _ => digits,
    }
}

/// How the form names an item (ids only).
fn item_value(item: &ContactItem) -> String {
    match item {
        ContactItem::Comment { consultation, id } => format!("comment:{consultation}:{id}"),
        ContactItem::Question(id) => format!("question:{id}"),
    }
}

fn parse_item(value: &str) -> Option<ContactItem> {
    match value.split(':').collect::<Vec<_>>().as_slice() {
        ["comment", consultation, id] => Some(ContactItem::Comment {
            consultation: ConsultationId::parse(consultation).ok()?,
            id: Ulid::from_string(id).ok()?,
        }),
        ["question", id] => Some(ContactItem::Question(Ulid::from_string(id).ok()?)),
        _ => None,
    }
}

/// A found item as the page lists it (shown to the administrator, who must see what goes).
#[derive(Serialize)]
struct Found {
    value: String,
    kind: &'static str,
    label: String,
    link: String,
    created: String,
    held: String,
}

/// The fields an entry holds, in words ("tên, thư điện tử, tệp đính kèm").
fn held(e: &ContactEntry) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if e.name.is_some() {
        fields.push("tên");
    }
    if e.email.is_some() {
        fields.push("thư điện tử");
    }
    if e.phone.is_some() {
        fields.push("số điện thoại");
    }
    if e.attachment.is_some() {
        fields.push("tệp đính kèm");
    }
    fields
}

fn found(e: &ContactEntry) -> Found {
    let (kind, link) = match &e.item {
        ContactItem::Comment { consultation, id } => {
            ("Góp ý dự thảo", format!("/quan-tri/kiem-duyet/{consultation}/{id}"))
        }
        ContactItem::Question(id) => ("Câu hỏi", format!("/quan-tri/cau-hoi/{id}")),
    };
    Found {
        value: item_value(&e.item),
        kind,
        label: e.item.label(),
        link,
        created: display_time(e.created_at),
        held: held(e).join(", "),
    }
}

fn page(found: &[Found], query: Option<&str>) -> Page {
    Page::new("erasure.html", "Xoá thông tin cá nhân theo yêu cầu", "erasure")
        .with("found", &found)
        .with("query", &query)
}

#[tracing::instrument(skip_all)]
async fn form<S: Store>(State(state): State<AppState<S>>, headers: HeaderMap, uri: Uri) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Admin)));
    page(&[], None).render(Some(&signed))
}

#[tracing::instrument(skip_all)]
async fn search<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Admin));
    let query = field(&fields, "tim").unwrap_or_default().trim().to_string();
    let Some(identifier) = Identifier::parse(&query) else {
        return page(&[], Some(&query))
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .with("invalid", &"Nhập một địa chỉ thư điện tử hoặc một số điện thoại (ít nhất 8 chữ số).")
            .render(Some(&signed));
    };
    match state.store.contacts().await {
        Ok(all) => {
            let matches: Vec<Found> = all.iter().filter(|e| identifier.matches(e)).map(found).collect();
            page(&matches, Some(&query)).render(Some(&signed))
        }
        Err(e) => unavailable(Some(&signed), &e),
    }
}

/// Deletes the attachment files of `erased` that no other item still refers to (files are named by content).
async fn delete_files<S>(
    state: &AppState<S>,
    erased: &[&ContactEntry],
    kept: &[&ContactEntry],
) -> anyhow::Result<usize> {
    let still_used: BTreeSet<&str> =
        kept.iter().filter_map(|e| e.attachment.as_ref().map(|a| a.key.as_str())).collect();
    let keys: BTreeSet<&str> = erased
        .iter()
        .filter_map(|e| e.attachment.as_ref().map(|a| a.key.as_str()))
        .filter(|k| !still_used.contains(k))
        .collect();
    for key in &keys {
        match &state.settings.attachments {
            Attachments::Dir(dir) | Attachments::SealedDir { dir, .. } => {
                match tokio::fs::remove_file(dir.join(key)).await {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            #[cfg(feature = "aws")]
            Attachments::S3 { client, bucket } => {
                client.delete_object().bucket(bucket).key(*key).send().await.map_err(anyhow::Error::new)?;
            }
            Attachments::MetadataOnly => {}
        }
    }
    Ok(keys.len())
}

/// What went, in words, counted per field (no values).
fn removed(erased: &[&ContactEntry], files: usize) -> String {
    let count = |f: fn(&ContactEntry) -> bool| erased.iter().filter(|e| f(e)).count();
    let parts = [
        ("tên", count(|e| e.name.is_some())),
        ("thư điện tử", count(|e| e.email.is_some())),
        ("số điện thoại", count(|e| e.phone.is_some())),
        ("tham chiếu tệp đính kèm", count(|e| e.attachment.is_some())),
        ("tệp đính kèm đã xoá khỏi kho", files),
    ];
    let said: Vec<String> = parts.iter().filter(|(_, n)| *n > 0).map(|(what, n)| format!("{what}: {n}")).collect();
    format!("đã xoá {}", said.join("; "))
}

#[tracing::instrument(skip_all)]
async fn erase<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Admin));
    let chosen: BTreeSet<ContactItem> =
        fields.iter().filter(|(k, _)| k == "muc").filter_map(|(_, v)| parse_item(v)).collect();
    if chosen.is_empty() {
        let back = Redirect::to(PAGE).into_response();
        return flash(back, &state, None, Some("Chưa chọn mục nào để xoá."));
    }
    // The items are read again: only those that still hold contact details are erased and counted.
    let all = match state.store.contacts().await {
        Ok(all) => all,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let (erased, kept): (Vec<&ContactEntry>, Vec<&ContactEntry>) = all.iter().partition(|e| chosen.contains(&e.item));
    if erased.is_empty() {
        let back = Redirect::to(PAGE).into_response();
        return flash(back, &state, Some("Các mục đã chọn không còn thông tin cá nhân nào: không cần xoá thêm."), None);
    }
    let files = match delete_files(&state, &erased, &kept).await {
        Ok(files) => files,
        Err(e) => return unavailable(Some(&signed), &StoreError::unavailable(e.context("deleting attachments"))),
    };
    let items: Vec<ContactItem> = erased.iter().map(|e| e.item.clone()).collect();
    let labels: Vec<String> = items.iter().map(ContactItem::label).collect();
    let what = removed(&erased, files);
    let audit = AuditEntry::now(
        &signed.staff().actor,
        AuditAction::ContactsErased,
        format!("erasure/{}", Ulid::new()),
        format!("{} mục: {}", labels.len(), labels.join(", ")),
        what.clone(),
    );
    match state.store.erase_contacts(&items, &audit).await {
        Ok(_) => {
            let notice =
                format!("Đã xoá thông tin cá nhân của {} mục ({what}). Thao tác đã được ghi vào nhật ký.", items.len());
            flash(Redirect::to(PAGE).into_response(), &state, Some(&notice), None)
        }
        Err(e) => unavailable(Some(&signed), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_found_by_address_or_phone_digits() {
        assert_eq!(Identifier::parse(" An@ViDu.vn "), Some(Identifier::Email("an@vidu.vn".into())));
        assert_eq!(Identifier::parse("+84 912 345 678"), Some(Identifier::Phone("0912345678".into())));
        assert_eq!(Identifier::parse("0912.345.678"), Some(Identifier::Phone("0912345678".into())));
        assert_eq!(Identifier::parse("12345"), None, "too short to name anyone");
        let id = Ulid::new();
        assert_eq!(parse_item(&item_value(&ContactItem::Question(id))), Some(ContactItem::Question(id)));
        assert_eq!(parse_item("question:khong-phai-ulid"), None);
    }
}
