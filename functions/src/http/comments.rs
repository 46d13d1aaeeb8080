//! `POST /api/consultations/{id}/comments` and `GET` of the approved ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;
use ulid::Ulid;

use super::body::Submission;
use super::context::AppState;
use super::guard::{self, Accepted, Incoming, Receipt};
use super::pages;
use super::problem::ApiError;
use super::query::Params;
use crate::domain::{
    Comment, CommentContact, CommentText, Consultation, ConsultationId, Email, FieldError, NewComment, Organisation,
    PersonName, PublicComment, SectionRef, Status, StoredResponse, Window, display_time, today_in_vietnam,
};
use crate::store::{KeyScope, Store};

/// Largest comment request: 5,000 characters of Vietnamese text in UTF-8, form-encoded, with room for the rest.
pub const BODY_LIMIT: usize = 64 * 1024;
const FIELDS: [&str; 8] =
    ["name", "email", "organisation", "section", "text", guard::KEY_FIELD, guard::HONEYPOT, guard::PROOF];
const THANK_YOU: &str = "/cam-on-gop-y/";

/// The comments routes.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/api/consultations/{id}/comments", get(list::<S>).post(post::<S>))
        .route("/api/consultations/{id}/outcome", get(outcome::<S>))
        .with_state((state, ConsultationCache::default()))
}

/// A published outcome report, as the consultation page's script reads it.
#[derive(Debug, Serialize)]
struct OutcomePage<'a> {
    title: &'a str,
    summary: String,
    published_at_display: String,
    report: &'a crate::outcome::Report,
}

/// The "Báo cáo tổng hợp, tiếp thu, giải trình" of a consultation, once an editor published it (404 before).
#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn outcome<S: Store>(
    State((state, _)): State<(AppState<S>, ConsultationCache)>,
    Path(id): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    let missing = || ApiError::NotFound("báo cáo tiếp thu, giải trình của dự thảo này chưa được công bố".into());
    let id = ConsultationId::parse(&id).map_err(|_| missing())?;
    let consultation = state.store.consultation(&id).await?.ok_or_else(missing)?;
    let published = state.store.outcome(&id).await?.ok_or_else(missing)?;
    // Approved comments only, read through the public listing (never the contacts beside them).
    let mut comments: Vec<Comment> = Vec::new();
    let mut cursor = None;
    loop {
        let page = state.store.approved_comments(&id, cursor.as_ref(), 100).await?;
        comments.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let report = crate::outcome::Report::of(&comments);
    if query.get("format") == Some("html") {
        return Ok(pages::outcome(&consultation.title, &format!("/xin-y-kien/{id}/"), &report));
    }
    let body = OutcomePage {
        title: &consultation.title,
        summary: report.summary(),
        published_at_display: display_time(published.at),
        report: &report,
    };
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0, s-maxage=60"));
    Ok(response)
}

/// How long a post trusts the consultation it last read: editors rarely move a window, and a move reaches every
/// process within this time.
const CONSULTATION_TTL: Duration = Duration::from_secs(2);

/// Consultations as last read, so a burst of posts does not read the same item from the store once each.
#[derive(Debug, Default, Clone)]
struct ConsultationCache(Arc<Mutex<HashMap<String, Cached>>>);

/// A consultation and when it was read.
type Cached = (Instant, Arc<Consultation>);

impl ConsultationCache {
    async fn get<S: Store>(&self, store: &S, id: &ConsultationId) -> Result<Option<Arc<Consultation>>, ApiError> {
        let fresh = |(read, c): &Cached| (read.elapsed() < CONSULTATION_TTL).then(|| c.clone());
        if let Some(hit) = self.0.lock().ok().and_then(|cache| cache.get(id.as_str()).and_then(fresh)) {
            return Ok(Some(hit));
        }
        let Some(consultation) = store.consultation(id).await? else { return Ok(None) };
        let consultation = Arc::new(consultation);
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(id.as_str().to_string(), (Instant::now(), consultation.clone()));
        }
        Ok(Some(consultation))
    }
}

/// Parses a field that may be left out, collecting its error.
fn optional<T>(
    value: Option<&str>,
    parse: fn(&str) -> Result<T, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match value.map(parse) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    }
}

fn parse_comment(id: &ConsultationId, s: &Submission) -> Result<NewComment, ApiError> {
    s.only(&FIELDS)?;
    let mut errors = Vec::new();
    let name = optional(s.get("name"), PersonName::parse, &mut errors);
    let organisation = optional(s.get("organisation"), Organisation::parse, &mut errors);
    let section = optional(s.get("section"), SectionRef::parse, &mut errors);
    let email = Email::parse(s.get("email").unwrap_or_default()).map_err(|e| errors.push(e)).ok();
    let text = CommentText::parse(s.get("text").unwrap_or_default()).map_err(|e| errors.push(e)).ok();
    match (email, text) {
        (Some(email), Some(text)) if errors.is_empty() => {
            Ok(NewComment { consultation: id.clone(), name, email, organisation, section, text })
        }
        _ => Err(ApiError::Invalid(errors)),
    }
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn post<S: Store>(
    State((state, cache)): State<(AppState<S>, ConsultationCache)>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let back = format!("/xin-y-kien/{}/", pages::escape(&id));
    let incoming = Incoming::read(request, BODY_LIMIT, false).await?;
    let origin = incoming.submission.origin;
    let result = accept(&state, &cache, &id, &incoming).await;
    Ok(guard::respond(result, origin, &state.settings.site_url, THANK_YOU, &back))
}

/// Validates and stores.
async fn accept<S: Store>(
    state: &AppState<S>,
    cache: &ConsultationCache,
    id: &str,
    incoming: &Incoming,
) -> Result<Accepted, ApiError> {
    let id = ConsultationId::parse(id).map_err(|_| ApiError::NotFound("không có dự thảo này".into()))?;
    if guard::trapped(incoming) {
        return Ok(Accepted::trap());
    }
    let client = guard::client(state, incoming);
    let comment = parse_comment(&id, &incoming.submission)?;
    let fingerprint = comment.fingerprint();
    let key = guard::idempotency_key(incoming, &client, &fingerprint)?;
    if let Some(first) = guard::admit(state, incoming, &client, (KeyScope::Comment, &key, &fingerprint)).await? {
        return Ok(first);
    }
    let consultation =
        cache.get(&*state.store, &id).await?.ok_or_else(|| ApiError::NotFound("không có dự thảo này".into()))?;
    match consultation.window(state.settings.today.unwrap_or_else(today_in_vietnam)) {
        Window::Open => {}
        Window::Upcoming => {
            return Err(ApiError::Conflict(format!(
                "Dự thảo chưa bắt đầu lấy ý kiến; thời hạn từ {} đến {}.",
                consultation.opens.format(crate::time::DATE_VI),
                consultation.closes.format(crate::time::DATE_VI)
            )));
        }
        Window::Closed => {
            return Err(ApiError::Conflict(format!(
                "Đã hết thời hạn lấy ý kiến (từ {} đến {}).",
                consultation.opens.format(crate::time::DATE_VI),
                consultation.closes.format(crate::time::DATE_VI)
            )));
        }
    }
    let stored = Comment {
        id: Ulid::new(),
        consultation: id,
        status: Status::Pending,
        created_at: Utc::now(),
        name: comment.name.map(|n| n.as_str().to_string()),
        organisation: comment.organisation.map(|o| o.as_str().to_string()),
        section: comment.section.map(|s| s.as_str().to_string()),
        text: comment.text.as_str().to_string(),
        reason: None,
        decided: None,
        response: None,
    };
    let body =
        Receipt::json(Some(stored.id.to_string()), "pending", "Đã nhận góp ý. Góp ý sẽ được đăng sau khi kiểm duyệt.");
    let response = StoredResponse { status: StatusCode::ACCEPTED.as_u16(), body: body.clone() };
    let contact = CommentContact { email: comment.email.as_str().to_string() };
    let saved = state.store.save_comment(&key, &fingerprint, &stored, &contact, &response).await?;
    Ok(Accepted::from_saved(saved, body))
}

/// A page of approved comments, as the site's script reads it.
#[derive(Debug, Serialize)]
struct CommentPage<'a> {
    comments: &'a [PublicComment],
    next_cursor: Option<&'a str>,
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn list<S: Store>(
    State((state, _)): State<(AppState<S>, ConsultationCache)>,
    Path(id): Path<String>,
    query: Result<Params, ApiError>,
) -> Result<Response, ApiError> {
    let html = query.as_ref().is_ok_and(|q| q.get("format") == Some("html"));
    let result = async {
        let query = query?;
        let id = ConsultationId::parse(&id).map_err(|_| ApiError::NotFound("không có dự thảo này".into()))?;
        let consultation =
            state.store.consultation(&id).await?.ok_or_else(|| ApiError::NotFound("không có dự thảo này".into()))?;
        let cursor = query.cursor()?;
        let limit = query.limit(20, 100)?;
        let page = state.store.approved_comments(&id, cursor.as_ref(), limit).await?;
        Ok::<_, ApiError>((consultation, page))
    }
    .await;
    match result {
        Ok((consultation, page)) => {
            let comments: Vec<PublicComment> = page.items.iter().map(PublicComment::from).collect();
            let next = page.next.as_ref().map(|c| c.as_str().to_string());
            if html {
                return Ok(pages::comments(
                    &consultation.title,
                    &format!("/xin-y-kien/{}/", consultation.id),
                    &comments,
                    next.as_deref(),
                ));
            }
            let mut response =
                axum::Json(CommentPage { comments: &comments, next_cursor: next.as_deref() }).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0, s-maxage=60"));
            Ok(response)
        }
        Err(e) if html => Ok(pages::form_error(e, "/xin-y-kien/")),
        Err(e) => Err(e),
    }
}
