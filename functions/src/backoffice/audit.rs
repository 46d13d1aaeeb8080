//! The audit trail: every decision, answer, publication, code batch and export, newest first, filtered by action,
//! person and item, and downloadable as CSV (itself an audited export). Every signed-in staff member may read it:
//! accountability is for everyone on the board.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{EntryView, Page, csv_file, signed_in, unavailable};
use crate::domain::{AuditAction, AuditEntry, display_time};
use crate::http::AppState;
use crate::store::{Store, StoreError};

/// At most this many entries are read for a page or an export.
const LIMIT: usize = 5_000;

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new().route("/quan-tri/nhat-ky", get(page::<S>)).route("/quan-tri/nhat-ky.csv", get(csv::<S>))
}

/// The filters, as the form sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
struct Filter {
    #[serde(rename(deserialize = "thao-tac"), default)]
    action: String,
    #[serde(rename(deserialize = "nguoi"), default)]
    actor: String,
    #[serde(rename(deserialize = "muc"), default)]
    subject: String,
}

impl Filter {
    fn keeps(&self, e: &AuditEntry) -> bool {
        let actor = self.actor.trim().to_lowercase();
        (self.action.is_empty() || e.action.as_str() == self.action)
            && (actor.is_empty() || e.actor.name.to_lowercase().contains(&actor))
    }
}

#[derive(Serialize)]
struct ActionOption {
    id: &'static str,
    label: &'static str,
}

/// The entries `filter` keeps, newest first (an item's own, when it names one).
async fn entries<S: Store>(state: &AppState<S>, filter: &Filter) -> Result<Vec<AuditEntry>, StoreError> {
    let subject = Some(filter.subject.trim()).filter(|s| !s.is_empty());
    let mut kept = Vec::new();
    let mut cursor = None;
    let mut read = 0;
    loop {
        let page = state.store.audit_trail(subject, cursor.as_ref(), 500).await?;
        read += page.items.len();
        kept.extend(page.items.into_iter().filter(|e| filter.keeps(e)));
        match page.next {
            Some(next) if read < LIMIT => cursor = Some(next),
            _ => return Ok(kept),
        }
    }
}

#[tracing::instrument(skip_all)]
async fn page<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Query(filter): Query<Filter>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, None));
    let entries = match entries(&state, &filter).await {
        Ok(entries) => entries,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let views: Vec<EntryView> = entries.iter().take(500).map(EntryView::from).collect();
    let actions: Vec<ActionOption> =
        AuditAction::ALL.iter().map(|a| ActionOption { id: a.as_str(), label: a.label() }).collect();
    Page::new("audit.html", "Nhật ký thao tác", "audit")
        .with("entries", &views)
        .with("actions", &actions)
        .with("filter", &filter)
        .with("query", &uri.query().unwrap_or_default())
        .render(Some(&signed))
}

#[tracing::instrument(skip_all)]
async fn csv<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Query(filter): Query<Filter>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, None));
    let entries = match entries(&state, &filter).await {
        Ok(entries) => entries,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let header = ["Thời gian", "Người thực hiện", "Mã người dùng", "Thao tác", "Mục", "Trước", "Sau"];
    let rows = entries.iter().map(|e| {
        vec![
            display_time(e.at),
            e.actor.name.clone(),
            e.actor.id.clone(),
            e.action.label().to_string(),
            e.subject.clone(),
            e.before.clone(),
            e.after.clone(),
        ]
    });
    let audit = AuditEntry::now(
        &signed.staff().actor,
        AuditAction::Exported,
        "audit".into(),
        String::new(),
        format!("Nhật ký thao tác, {} dòng", entries.len()),
    );
    if let Err(e) = state.store.record_audit(&audit).await {
        return unavailable(Some(&signed), &e);
    }
    csv_file(&header, rows, "nhat-ky-quan-tri.csv")
}
