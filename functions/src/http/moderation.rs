//! Moderation, for the editorial board only: the queues, decisions on comments, answers to questions, and the
//! exports of a consultation's comments and of a survey's responses as CSV (UTF-8 with a byte-order mark, so Excel reads Vietnamese).

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use ulid::Ulid;

use super::body::Submission;
use super::context::{AppState, ModerationAuth, gateway_authorized};
use super::problem::ApiError;
use super::query::Params;
use crate::domain::{AnswerText, AttachmentMeta, Comment, ConsultationId, Decision, FieldError, Reason, Status};
use crate::export;
use crate::store::{Cursor, Store, StoreError};

const BODY_LIMIT: usize = 128 * 1024;

/// The moderation routes.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/api/moderation/comments", get(pending_comments::<S>))
        .route("/api/moderation/consultations/{id}/comments/{comment}", post(decide::<S>))
        .route("/api/moderation/consultations/{id}/comments.csv", get(export::<S>))
        .route("/api/moderation/surveys/{id}/responses.csv", get(export_survey::<S>))
        .route("/api/moderation/questions", get(pending_questions::<S>))
        .route("/api/moderation/questions/{id}/answer", post(answer::<S>))
        .with_state(state)
}

/// Same-length comparison that does not stop at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A caller the moderation routes let in. As the first extractor of every moderation handler, it is checked before
/// anything else of the request is read: without credentials, a malformed query or body is still a 401.
#[derive(Debug)]
pub struct Moderator;

impl<S: Store> FromRequestParts<AppState<S>> for Moderator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        authorize(state, parts).map(|()| Moderator)
    }
}

fn authorize<S>(state: &AppState<S>, parts: &Parts) -> Result<(), ApiError> {
    match &state.settings.moderation {
        ModerationAuth::Gateway if gateway_authorized(parts) => Ok(()),
        ModerationAuth::Gateway => Err(ApiError::Unauthorized),
        ModerationAuth::Token(token) => {
            let given = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            match given {
                Some(given) if !token.is_empty() && same(given.trim().as_bytes(), token.as_bytes()) => Ok(()),
                _ => Err(ApiError::Unauthorized),
            }
        }
    }
}

/// A comment in the moderation queue: everything but the commenter's email.
#[derive(Debug, Serialize)]
struct QueuedComment<'a> {
    id: String,
    consultation: &'a str,
    status: &'static str,
    created_at: String,
    name: Option<&'a str>,
    organisation: Option<&'a str>,
    section: Option<&'a str>,
    text: &'a str,
}

/// A page of the comments queue.
#[derive(Debug, Serialize)]
struct CommentQueue<'a> {
    comments: Vec<QueuedComment<'a>>,
    next_cursor: Option<&'a str>,
}

#[tracing::instrument(skip_all)]
async fn pending_comments<S: Store>(
    _: Moderator,
    State(state): State<AppState<S>>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = state.store.pending_comments(q.cursor()?.as_ref(), q.limit(50, 200)?).await?;
    let comments = page
        .items
        .iter()
        .map(|c| QueuedComment {
            id: c.id.to_string(),
            consultation: c.consultation.as_str(),
            status: c.status.as_str(),
            created_at: c.created_at.to_rfc3339(),
            name: c.name.as_deref(),
            organisation: c.organisation.as_deref(),
            section: c.section.as_deref(),
            text: &c.text,
        })
        .collect();
    Ok(Json(CommentQueue { comments, next_cursor: page.next.as_ref().map(Cursor::as_str) }).into_response())
}

/// The comment, if it was already moderated with exactly `decision` (same outcome, same reason).
async fn already_decided<S: Store>(
    store: &S,
    consultation: &ConsultationId,
    id: Ulid,
    decision: &Decision,
) -> Result<Option<Comment>, ApiError> {
    let comments = store.export_comments(consultation).await?;
    Ok(comments.into_iter().map(|(c, _)| c).find(|c| {
        c.id == id
            && match decision {
                Decision::Approve => c.status == Status::Approved,
                Decision::Reject(reason) => {
                    c.status == Status::Rejected && c.reason.as_deref() == Some(reason.as_str())
                }
            }
    }))
}

/// A comment's state after a decision.
#[derive(Debug, Serialize)]
struct Decided {
    id: String,
    status: &'static str,
}

#[tracing::instrument(skip_all, fields(consultation = %id, comment = %comment))]
async fn decide<S: Store>(
    _: Moderator,
    State(state): State<AppState<S>>,
    Path((id, comment)): Path<(String, String)>,
    request: Request,
) -> Result<Json<Decided>, ApiError> {
    {
        let submission = Submission::read(request, BODY_LIMIT, false).await?;
        submission.only(&["decision", "reason"])?;
        let id = ConsultationId::parse(&id).map_err(|_| ApiError::NotFound("không có dự thảo này".into()))?;
        let comment = Ulid::from_string(&comment).map_err(|_| ApiError::NotFound("không có góp ý này".into()))?;
        let decision = match submission.get("decision") {
            Some("approve") => Decision::Approve,
            Some("reject") => Decision::Reject(Reason::parse(submission.get("reason").unwrap_or_default())?),
            _ => return Err(FieldError::new("decision", "Chọn approve (đăng) hoặc reject (không đăng)").into()),
        };
        let updated = match state.store.moderate_comment(&id, comment, &decision).await {
            Err(StoreError::Conflict(message)) => {
                // A moderator's retry after a lost answer: the same decision, already made, is answered again.
                already_decided(&*state.store, &id, comment, &decision).await?.ok_or(ApiError::Conflict(message))?
            }
            other => other?,
        };
        Ok(Json(Decided { id: updated.id.to_string(), status: updated.status.as_str() }))
    }
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn export<S: Store>(
    _: Moderator,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    {
        let id = ConsultationId::parse(&id).map_err(|_| ApiError::NotFound("không có dự thảo này".into()))?;
        let rows = state.store.export_comments(&id).await?;
        let csv = export::comments_csv(&rows).map_err(ApiError::Unavailable)?;
        csv_download(csv, &format!("gop-y-{id}.csv"))
    }
}

/// A finished CSV as a download named `filename`.
fn csv_download(bytes: Vec<u8>, filename: &str) -> Result<Response, ApiError> {
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Every response of a survey version: one row each, one column per question, in words (`export`).
#[tracing::instrument(skip_all, fields(survey = %id))]
async fn export_survey<S: Store>(
    _: Moderator,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    {
        let survey = state
            .store
            .survey(&id, query.number("version")?)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("không có khảo sát `{id}`")))?;
        let records = state.store.survey_responses(&survey.id, survey.version).await?;
        let csv = export::survey_responses_csv(&survey, &records).map_err(ApiError::Unavailable)?;
        csv_download(csv, &format!("khao-sat-{}-v{}.csv", survey.id, survey.version))
    }
}

/// A question in the moderation queue, with its private contact (moderators answer it).
#[derive(Debug, Serialize)]
struct QueuedQuestion<'a> {
    id: String,
    created_at: String,
    question: &'a str,
    attachment: Option<&'a AttachmentMeta>,
    name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
}

/// A page of the questions queue.
#[derive(Debug, Serialize)]
struct QuestionQueue<'a> {
    questions: Vec<QueuedQuestion<'a>>,
    next_cursor: Option<&'a str>,
}

#[tracing::instrument(skip_all)]
async fn pending_questions<S: Store>(
    _: Moderator,
    State(state): State<AppState<S>>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = state.store.pending_questions(q.cursor()?.as_ref(), q.limit(50, 200)?).await?;
    let questions = page
        .items
        .iter()
        .map(|(question, contact)| QueuedQuestion {
            id: question.id.to_string(),
            created_at: question.created_at.to_rfc3339(),
            question: &question.text,
            attachment: question.attachment.as_ref(),
            name: &contact.name,
            email: contact.email.as_deref(),
            phone: contact.phone.as_deref(),
        })
        .collect();
    Ok(Json(QuestionQueue { questions, next_cursor: page.next.as_ref().map(Cursor::as_str) }).into_response())
}

/// A question as answered.
#[derive(Debug, Serialize)]
struct Answered {
    id: String,
    answer: Option<String>,
}

#[tracing::instrument(skip_all, fields(question = %id))]
async fn answer<S: Store>(
    _: Moderator,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Answered>, ApiError> {
    let submission = Submission::read(request, BODY_LIMIT, false).await?;
    submission.only(&["answer"])?;
    let id = Ulid::from_string(&id).map_err(|_| ApiError::NotFound("không có câu hỏi này".into()))?;
    let answer = AnswerText::parse(submission.get("answer").unwrap_or_default())?;
    let question = state.store.answer_question(id, &answer).await?;
    Ok(Json(Answered { id: question.id.to_string(), answer: question.answer }))
}
