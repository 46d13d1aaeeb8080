//! The moderation queue: pending comments of every consultation, filtered by consultation, status, date and text;
//! decisions one at a time or in bulk, with a reason from a fixed list. Two moderators deciding one comment: the
//! store lets exactly one decision through, and the other is told who decided and how.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::{Fields, Page, Signed, age, field, history, local_path, signed_change, signed_in, unavailable};
use crate::auth::Role;
use crate::domain::{
    AuditAction, AuditEntry, Comment, ConsultationId, Decision, Reason, Status, display_time, vietnam,
};
use crate::export::status_label;
use crate::http::AppState;
use crate::store::{Store, StoreError};

/// The reasons a comment is not published; the last one needs a note.
pub(crate) const REASONS: [&str; 6] = [
    "Không liên quan đến nội dung dự thảo",
    "Ngôn từ xúc phạm, không phù hợp",
    "Quảng cáo, thư rác",
    "Trùng lặp với góp ý khác",
    "Chứa thông tin cá nhân của người khác",
    "Lý do khác",
];

/// At most this many comments on one page of the queue.
const PAGE: usize = 500;

/// At most this many decisions in one request (each is a transaction and a read).
const AT_ONCE: usize = 100;

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/quan-tri/kiem-duyet", get(queue::<S>).post(decide::<S>))
        .route("/quan-tri/kiem-duyet/{consultation}/{id}", get(one::<S>))
}

/// The queue's filters, as the form sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
struct Filter {
    #[serde(rename(deserialize = "du-thao"), default)]
    consultation: String,
    #[serde(rename(deserialize = "trang-thai"), default)]
    status: String,
    #[serde(rename(deserialize = "tu"), default)]
    from: String,
    #[serde(rename(deserialize = "den"), default)]
    to: String,
    #[serde(rename(deserialize = "chu"), default)]
    text: String,
}

impl Filter {
    fn keeps(&self, c: &Comment) -> bool {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        let created = c.created_at.with_timezone(&vietnam()).date_naive();
        let needle = self.text.trim().to_lowercase();
        (self.consultation.is_empty() || c.consultation.as_str() == self.consultation)
            && day(&self.from).is_none_or(|from| created >= from)
            && day(&self.to).is_none_or(|to| created <= to)
            && (needle.is_empty()
                || c.text.to_lowercase().contains(&needle)
                || c.name.as_deref().is_some_and(|n| n.to_lowercase().contains(&needle)))
    }
}

/// A status as the filter offers it.
#[derive(Serialize)]
struct StatusOption {
    id: &'static str,
    label: &'static str,
}

/// A consultation with pending comments.
#[derive(Serialize)]
struct Waiting {
    id: String,
    count: usize,
    oldest: String,
}

/// A comment as the queue shows it (never the commenter's email).
#[derive(Serialize)]
pub(super) struct CommentView {
    key: String,
    id: String,
    consultation: String,
    draft_url: String,
    status: &'static str,
    status_label: &'static str,
    created: String,
    age: String,
    author: String,
    section: Option<String>,
    text: String,
    reason: Option<String>,
    decided: Option<String>,
}

impl From<&Comment> for CommentView {
    fn from(c: &Comment) -> Self {
        let author = match (&c.name, &c.organisation) {
            (Some(name), Some(org)) => format!("{name} ({org})"),
            (Some(name), None) => name.clone(),
            (None, Some(org)) => org.clone(),
            (None, None) => "Ẩn danh".into(),
        };
        Self {
            key: format!("{}/{}", c.consultation, c.id),
            id: c.id.to_string(),
            consultation: c.consultation.to_string(),
            draft_url: format!("/xin-y-kien/{}/", c.consultation),
            status: c.status.as_str(),
            status_label: status_label(c.status),
            created: display_time(c.created_at),
            age: age(c.created_at),
            author,
            section: c.section.clone(),
            text: c.text.clone(),
            reason: c.reason.clone(),
            decided: c.decided.as_ref().map(|d| format!("{}, {}", d.by, display_time(d.at))),
        }
    }
}

/// Every pending comment (up to `PAGE` + 1), oldest first.
async fn pending<S: Store>(store: &S) -> Result<Vec<Comment>, StoreError> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.pending_comments(cursor.as_ref(), 200).await?;
        all.extend(page.items);
        match page.next {
            Some(next) if all.len() <= PAGE => cursor = Some(next),
            _ => return Ok(all),
        }
    }
}

#[tracing::instrument(skip_all)]
async fn queue<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Query(mut filter): Query<Filter>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Moderator)));
    if filter.status.is_empty() {
        filter.status = "pending".into();
    }
    let pending = match pending(&*state.store).await {
        Ok(pending) => pending,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let mut waiting: Vec<Waiting> = Vec::new();
    for c in &pending {
        match waiting.iter_mut().find(|w| w.id == c.consultation.as_str()) {
            Some(w) => w.count += 1,
            None => waiting.push(Waiting { id: c.consultation.to_string(), count: 1, oldest: age(c.created_at) }),
        }
    }
    let shown: Vec<Comment> = match (filter.status.as_str(), ConsultationId::parse(&filter.consultation)) {
        ("pending", _) => pending.into_iter().filter(|c| filter.keeps(c)).collect(),
        (status, Ok(id)) => match state.store.export_comments(&id).await {
            Ok(all) => all
                .into_iter()
                .map(|(c, _)| c)
                .filter(|c| (status == "all" || c.status.as_str() == status) && filter.keeps(c))
                .collect(),
            Err(e) => return unavailable(Some(&signed), &e),
        },
        _ => Vec::new(),
    };
    let truncated = shown.len() > PAGE;
    let comments: Vec<CommentView> = shown.iter().take(PAGE).map(CommentView::from).collect();
    let statuses = [
        StatusOption { id: "pending", label: "Chờ duyệt" },
        StatusOption { id: "approved", label: "Đã đăng" },
        StatusOption { id: "rejected", label: "Không đăng" },
        StatusOption { id: "all", label: "Tất cả" },
    ];
    Page::new("moderation.html", "Kiểm duyệt góp ý", "moderation")
        .with("consultations", &waiting)
        .with("statuses", &statuses)
        .with("filter", &filter)
        .with("comments", &comments)
        .with("truncated", &truncated)
        .with("reasons", &REASONS)
        .with("back", &uri.path_and_query().map_or("/quan-tri/kiem-duyet", |p| p.as_str()))
        .render(Some(&signed))
}

#[tracing::instrument(skip_all)]
async fn one<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path((consultation, id)): Path<(String, String)>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Moderator)));
    let (Ok(consultation), Ok(id)) = (ConsultationId::parse(&consultation), Ulid::from_string(&id)) else {
        return Page::message(StatusCode::NOT_FOUND, "Không có góp ý này", &[]).render(Some(&signed));
    };
    let comment = match state.store.comment(&consultation, id).await {
        Ok(Some(comment)) => comment,
        Ok(None) => return Page::message(StatusCode::NOT_FOUND, "Không có góp ý này", &[]).render(Some(&signed)),
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let subject = AuditEntry::comment_subject(&consultation, id);
    match history(&state, &subject).await {
        Ok(history) => Page::new("comment.html", "Góp ý", "moderation")
            .with("c", &CommentView::from(&comment))
            .with("reasons", &REASONS)
            .with("history", &history)
            .render(Some(&signed)),
        Err(e) => unavailable(Some(&signed), &e),
    }
}

/// The reason a form gives, as stored: the chosen reason, and the note after it.
fn reason(fields: &Fields) -> Result<Reason, String> {
    let chosen = field(fields, "ly-do").unwrap_or_default().trim();
    let note = field(fields, "ly-do-them").unwrap_or_default().trim();
    if !REASONS.contains(&chosen) {
        return Err("Chọn lý do không đăng trong danh sách.".into());
    }
    if chosen == "Lý do khác" && note.is_empty() {
        return Err("Với “Lý do khác”, hãy ghi rõ lý do.".into());
    }
    let text = if note.is_empty() { chosen.to_string() } else { format!("{chosen}: {note}") };
    Reason::parse(&text).map_err(|e| e.message)
}

/// What happened to one comment of a decision.
enum Outcome {
    Done,
    /// Someone else decided first: who, how, when.
    Taken(String),
    Missing,
}

/// Applies `decision` to the comment `key` (`consultation/id`) on behalf of `signed`.
async fn apply<S: Store>(store: &S, signed: &Signed, key: &str, decision: &Decision) -> Result<Outcome, StoreError> {
    let Some((consultation, id)) = key.split_once('/') else { return Ok(Outcome::Missing) };
    let (Ok(consultation), Ok(id)) = (ConsultationId::parse(consultation), Ulid::from_string(id)) else {
        return Ok(Outcome::Missing);
    };
    let (action, after) = match decision {
        Decision::Approve => (AuditAction::CommentApproved, status_label(Status::Approved).to_string()),
        Decision::Reject(reason) => {
            (AuditAction::CommentRejected, format!("{}: {}", status_label(Status::Rejected), reason.as_str()))
        }
    };
    let audit = AuditEntry::now(
        &signed.staff().actor,
        action,
        AuditEntry::comment_subject(&consultation, id),
        status_label(Status::Pending).into(),
        after,
    );
    match store.moderate_comment(&consultation, id, decision, &audit).await {
        Ok(_) => Ok(Outcome::Done),
        Err(StoreError::NotFound) => Ok(Outcome::Missing),
        Err(StoreError::Conflict(_)) => {
            let now = store.comment(&consultation, id).await?;
            let line = now.map_or_else(|| format!("góp ý {id} đã được xử lý trước đó"), |c| c.decided_line());
            Ok(Outcome::Taken(format!("{}{}.", line[..1].to_uppercase(), &line[1..])))
        }
        Err(e) => Err(e),
    }
}

#[tracing::instrument(skip_all)]
async fn decide<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Moderator));
    let back = local_path(field(&fields, "quay-lai"));
    // One comment's button, or the bulk buttons over the ticked boxes.
    let (keys, decision): (Vec<&str>, Result<Decision, String>) = match field(&fields, "dang") {
        Some(key) => (vec![key], Ok(Decision::Approve)),
        None => {
            // "All" is every pending comment the page listed (its hidden `hien` fields), never more.
            let every = field(&fields, "hang-loat") == Some("dang-tat-ca");
            let name = if every { "hien" } else { "chon" };
            let keys = fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect();
            let decision = match field(&fields, "hang-loat") {
                Some("dang" | "dang-tat-ca") => Ok(Decision::Approve),
                Some("khong-dang") => reason(&fields).map(Decision::Reject),
                _ => Err("Chọn một thao tác.".into()),
            };
            (keys, decision)
        }
    };
    let decision = match decision {
        Ok(_) if keys.is_empty() => Err("Chưa chọn góp ý nào.".to_string()),
        other => other,
    };
    let decision = match decision {
        Ok(decision) => decision,
        Err(problem) => return super::flash(Redirect::to(&back).into_response(), &state, None, Some(&problem)),
    };
    // One request decides at most `AT_ONCE` comments, well within a function's time limit; the page says how many
    // are left, and the same button goes on.
    let mut keys = keys;
    let left = keys.len().saturating_sub(AT_ONCE);
    keys.truncate(AT_ONCE);
    let (mut done, mut taken, mut missing) = (0, Vec::new(), 0);
    for key in &keys {
        match apply(&*state.store, &signed, key, &decision).await {
            Ok(Outcome::Done) => done += 1,
            Ok(Outcome::Taken(message)) => taken.push(message),
            Ok(Outcome::Missing) => missing += 1,
            Err(e) => return unavailable(Some(&signed), &e),
        }
    }
    let verb = if matches!(decision, Decision::Approve) { "Đã đăng" } else { "Đã không đăng" };
    let notice = (done > 0).then(|| {
        let more = if left > 0 {
            format!(" Còn {left} góp ý đã chọn chưa xử lý: bấm lại để tiếp tục.")
        } else {
            String::new()
        };
        format!("{verb} {done} góp ý.{more}")
    });
    // The first few by name (the message rides in a cookie, which browsers cap at 4 KB), then a count.
    let others = taken.len().saturating_sub(5);
    let mut problems: Vec<String> = taken.into_iter().take(5).collect();
    if others > 0 {
        problems.push(format!("Và {others} góp ý khác đã được người khác xử lý trước."));
    }
    if missing > 0 {
        problems.push(format!("{missing} góp ý không còn tồn tại."));
    }
    let problem = (!problems.is_empty()).then(|| problems.join(" "));
    if !problems.is_empty() {
        tracing::info!(conflicts = problems.len(), "moderation decisions found comments already decided");
    }
    super::flash(Redirect::to(&back).into_response(), &state, notice.as_deref(), problem.as_deref())
}
