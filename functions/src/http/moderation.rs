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
use super::context::{AppState, ModerationAuth};
use super::problem::ApiError;
use super::query::Params;
use crate::auth::{Role, Staff, same};
use crate::domain::{
    Actor, AnswerText, AttachmentMeta, AuditAction, AuditEntry, Comment, ConsultationId, Decision, FieldError, Reason,
    Status,
};
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

/// A caller the moderation routes let in, with their roles. As the first extractor of every moderation handler,
/// it is checked before anything else of the request is read: without credentials, a malformed query or body is
/// still a 401. Each handler then checks the role it needs (`Authorized::needs`): a 403 otherwise.
#[derive(Debug)]
pub struct Authorized(pub Staff);

impl Authorized {
    /// The staff member, if they may do what `role` may.
    fn needs(self, role: Role) -> Result<Staff, ApiError> {
        if self.0.can(role) {
            Ok(self.0)
        } else {
            Err(ApiError::Forbidden(format!(
                "thao tác này cần vai trò “{}” (nhóm {}); tài khoản này có: {}",
                role.label(),
                role.group(),
                self.0.role_labels()
            )))
        }
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        authorize(state, parts).map(Authorized)
    }
}

/// Who the request comes from: a back-office session (a change also needs its form token in `X-CSRF-Token`),
/// the bearer token (`cchc serve`, scripts: every role), or API Gateway's verified JWT (roles from its groups).
fn authorize<S>(state: &AppState<S>, parts: &Parts) -> Result<Staff, ApiError> {
    if let Some(office) = &state.settings.back_office
        && let Ok(session) = office.keys.read(&parts.headers)
    {
        let safe = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD);
        let token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        if !safe && !office.keys.csrf_ok(&session, token) {
            return Err(ApiError::Forbidden("thiếu mã xác nhận biểu mẫu (X-CSRF-Token) của phiên đăng nhập".into()));
        }
        return Ok(session.staff);
    }
    match &state.settings.moderation {
        #[cfg(feature = "aws")]
        ModerationAuth::Gateway => match gateway_staff(parts) {
            Some(Some(staff)) => Ok(staff),
            // A token the authorizer accepted, for someone in none of the back office's groups.
            Some(None) => {
                Err(ApiError::Forbidden("tài khoản này không thuộc nhóm kiem-duyet, bien-tap hay quan-tri".into()))
            }
            None => Err(ApiError::Unauthorized),
        },
        ModerationAuth::Token(token) => {
            let given = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            match given {
                Some(given) if !token.is_empty() && same(given.trim().as_bytes(), token.as_bytes()) => {
                    let actor = Actor { id: "api-token".into(), name: "Khoá API (cchc serve)".into() };
                    Ok(Staff { actor, roles: vec![Role::Admin] })
                }
                _ => Err(ApiError::Unauthorized),
            }
        }
    }
}

/// The staff member API Gateway's JWT authorizer verified, with the roles among their groups (`cognito:groups`,
/// which HTTP APIs pass as `[a b]`, or `groups`): `None` without a verified token, `Some(None)` for a person in
/// no staff group.
#[cfg(feature = "aws")]
fn gateway_staff(parts: &Parts) -> Option<Option<Staff>> {
    let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        parts.extensions.get::<lambda_http::request::RequestContext>()
    else {
        return None;
    };
    let claims = &context.authorizer.as_ref()?.jwt.as_ref()?.claims;
    let groups = claims.get("cognito:groups").or_else(|| claims.get("groups")).cloned().unwrap_or_default();
    let groups: Vec<&str> = groups
        .trim_matches(['[', ']'])
        .split([' ', ','])
        .map(|g| g.trim_matches('"'))
        .filter(|g| !g.is_empty())
        .collect();
    let id = claims.get("sub")?.clone();
    let name = ["name", "cognito:username", "email"].iter().find_map(|k| claims.get(*k)).cloned().unwrap_or(id.clone());
    Some(Staff::from_groups(Actor { id, name }, groups))
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
    who: Authorized,
    State(state): State<AppState<S>>,
    q: Params,
) -> Result<Response, ApiError> {
    who.needs(Role::Moderator)?;
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

/// The comment, if `staff` already moderated it with exactly `decision` (same outcome, same reason): a retry.
async fn already_decided<S: Store>(
    store: &S,
    consultation: &ConsultationId,
    id: Ulid,
    decision: &Decision,
    staff: &Staff,
) -> Result<Result<Comment, String>, ApiError> {
    let Some(comment) = store.comment(consultation, id).await? else {
        return Err(ApiError::NotFound("không có góp ý này".into()));
    };
    let same_outcome = match decision {
        Decision::Approve => comment.status == Status::Approved,
        Decision::Reject(reason) => {
            comment.status == Status::Rejected && comment.reason.as_deref() == Some(reason.as_str())
        }
    };
    match &comment.decided {
        Some(d) if same_outcome && d.by == staff.actor.name => Ok(Ok(comment)),
        _ => Ok(Err(comment.decided_line())),
    }
}

/// A comment's state after a decision.
#[derive(Debug, Serialize)]
struct Decided {
    id: String,
    status: &'static str,
}

#[tracing::instrument(skip_all, fields(consultation = %id, comment = %comment))]
async fn decide<S: Store>(
    who: Authorized,
    State(state): State<AppState<S>>,
    Path((id, comment)): Path<(String, String)>,
    request: Request,
) -> Result<Json<Decided>, ApiError> {
    let staff = who.needs(Role::Moderator)?;
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
        let (action, after) = match &decision {
            Decision::Approve => (AuditAction::CommentApproved, "approved".to_string()),
            Decision::Reject(reason) => (AuditAction::CommentRejected, format!("rejected: {}", reason.as_str())),
        };
        let subject = AuditEntry::comment_subject(&id, comment);
        let audit = AuditEntry::now(&staff.actor, action, subject, "pending".into(), after);
        let updated = match state.store.moderate_comment(&id, comment, &decision, &audit).await {
            Err(StoreError::Conflict(_)) => {
                // A moderator's retry after a lost answer: the same decision, already made, is answered again;
                // anyone else is told who decided, and how.
                already_decided(&*state.store, &id, comment, &decision, &staff).await?.map_err(ApiError::Conflict)?
            }
            other => other?,
        };
        Ok(Json(Decided { id: updated.id.to_string(), status: updated.status.as_str() }))
    }
}

#[tracing::instrument(skip_all, fields(consultation = %id))]
async fn export<S: Store>(
    who: Authorized,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let staff = who.needs(Role::Moderator)?;
    {
        let id = ConsultationId::parse(&id).map_err(|_| ApiError::NotFound("không có dự thảo này".into()))?;
        let rows = state.store.export_comments(&id).await?;
        let audit = AuditEntry::now(
            &staff.actor,
            AuditAction::Exported,
            format!("consultation/{id}"),
            String::new(),
            format!("Góp ý (CSV, có thư điện tử), {} dòng", rows.len()),
        );
        state.store.record_audit(&audit).await?;
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
    who: Authorized,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    let staff = who.needs(Role::Admin)?;
    {
        let survey = state
            .store
            .survey(&id, query.number("version")?)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("không có khảo sát `{id}`")))?;
        let records = state.store.survey_responses(&survey.id, survey.version).await?;
        let audit = AuditEntry::now(
            &staff.actor,
            AuditAction::Exported,
            format!("survey/{}", survey.id),
            String::new(),
            format!("Phiếu trả lời phiên bản {} (CSV), {} dòng", survey.version, records.len()),
        );
        state.store.record_audit(&audit).await?;
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
    who: Authorized,
    State(state): State<AppState<S>>,
    q: Params,
) -> Result<Response, ApiError> {
    who.needs(Role::Editor)?;
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
    who: Authorized,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Answered>, ApiError> {
    let staff = who.needs(Role::Editor)?;
    let submission = Submission::read(request, BODY_LIMIT, false).await?;
    submission.only(&["answer"])?;
    let id = Ulid::from_string(&id).map_err(|_| ApiError::NotFound("không có câu hỏi này".into()))?;
    let answer = AnswerText::parse(submission.get("answer").unwrap_or_default())?;
    let before = state.store.question(id).await?.and_then(|(q, _)| q.answer).unwrap_or_default();
    let audit = AuditEntry::now(
        &staff.actor,
        AuditAction::QuestionAnswered,
        AuditEntry::question_subject(id),
        before,
        answer.as_str().to_string(),
    );
    let question = state.store.answer_question(id, &answer, &audit).await?;
    Ok(Json(Answered { id: question.id.to_string(), answer: question.answer }))
}
