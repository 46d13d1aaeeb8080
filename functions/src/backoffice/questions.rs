//! Questions and answers: the queue of questions waiting for an answer, the answered ones (still editable), one
//! question with its private contact and attachment, the answer in Markdown with a preview, and its publication
//! on the public Q&A page (when the asker agreed), after which the asker is told by email.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::{Fields, Page, Signed, field, flash, history, signed_change, signed_in, unavailable};
use crate::auth::Role;
use crate::domain::{AnswerText, AuditAction, AuditEntry, Question, QuestionContact, display_time};
use crate::http::{AppState, Attachments};
use crate::mail::Letter;
use crate::markdown::to_safe_html;
use crate::store::{Cursor, Store, StoreError};

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/quan-tri/cau-hoi", get(list::<S>))
        .route("/quan-tri/cau-hoi/{id}", get(one::<S>).post(act::<S>))
        .route("/quan-tri/cau-hoi/{id}/tep", get(attachment::<S>))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "da-tra-loi")]
    answered: Option<String>,
    sau: Option<String>,
}

/// A question as the list shows it.
#[derive(Serialize)]
struct Row {
    id: String,
    created: String,
    excerpt: String,
    name: String,
    state: &'static str,
}

fn state_label(q: &Question) -> &'static str {
    match (&q.answer, q.published) {
        (None, _) => "Chờ trả lời",
        (Some(_), true) => "Đã trả lời, đang công bố",
        (Some(_), false) => "Đã trả lời",
    }
}

#[tracing::instrument(skip_all)]
async fn list<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    let answered = query.answered.is_some();
    let cursor = match query.sau.as_deref().map(Cursor::parse).transpose() {
        Ok(cursor) => cursor,
        Err(_) => return Redirect::to("/quan-tri/cau-hoi").into_response(),
    };
    let page = if answered {
        state.store.answered_questions(cursor.as_ref(), 50).await
    } else {
        state.store.pending_questions(cursor.as_ref(), 50).await
    };
    let page = match page {
        Ok(page) => page,
        Err(StoreError::BadCursor) => return Redirect::to("/quan-tri/cau-hoi").into_response(),
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let rows: Vec<Row> = page
        .items
        .iter()
        .map(|(q, contact)| Row {
            id: q.id.to_string(),
            created: display_time(q.created_at),
            excerpt: q.text.chars().take(140).collect(),
            name: contact.name.clone(),
            state: state_label(q),
        })
        .collect();
    Page::new("questions.html", "Hỏi - Đáp", "questions")
        .with("tab", &if answered { "answered" } else { "pending" })
        .with("questions", &rows)
        .with("next", &page.next.as_ref().map(Cursor::as_str))
        .render(Some(&signed))
}

/// A question as its page shows it, with the asker's contact (editors answer them).
#[derive(Serialize)]
struct Detail {
    id: String,
    created: String,
    text: String,
    attachment: Option<String>,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    consent: bool,
    published: bool,
    answered: Option<String>,
}

impl Detail {
    fn new(q: &Question, contact: &QuestionContact) -> Self {
        Self {
            id: q.id.to_string(),
            created: display_time(q.created_at),
            text: q.text.clone(),
            attachment: q.attachment.as_ref().map(|a| format!("{} ({} KB)", a.content_type, a.size.div_ceil(1024))),
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            consent: q.consent,
            published: q.published,
            answered: q.answered.as_ref().map(|a| format!("{}, {}", a.by, display_time(a.at))),
        }
    }
}

/// The question page, with `draft` in the answer box and, if asked, its preview.
async fn question_page<S: Store>(
    state: &AppState<S>,
    signed: &Signed,
    id: Ulid,
    draft: Option<&str>,
    preview: bool,
) -> Response {
    let (question, contact) = match state.store.question(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return no_question(signed),
        Err(e) => return unavailable(Some(signed), &e),
    };
    let history = match history(state, &AuditEntry::question_subject(id)).await {
        Ok(history) => history,
        Err(e) => return unavailable(Some(signed), &e),
    };
    let draft = draft.map(str::to_string).or_else(|| question.answer.clone()).unwrap_or_default();
    let preview = preview.then(|| to_safe_html(&draft));
    Page::new("question.html", "Câu hỏi", "questions")
        .with("q", &Detail::new(&question, &contact))
        .with("draft", &draft)
        .with("preview", &preview)
        .with("history", &history)
        .render(Some(signed))
}

/// The page for a question id that names none.
fn no_question(signed: &Signed) -> Response {
    Page::message(StatusCode::NOT_FOUND, "Không có câu hỏi này", &[]).render(Some(signed))
}

fn parse_id(id: &str) -> Option<Ulid> {
    Ulid::from_string(id).ok()
}

#[tracing::instrument(skip_all)]
async fn one<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    match parse_id(&id) {
        Some(id) => question_page(&state, &signed, id, None, false).await,
        None => no_question(&signed),
    }
}

/// Tells the asker their question was answered (and where, when published). Says what happened, for the page.
async fn tell_asker<S: Store>(state: &AppState<S>, question: &Question, contact: &QuestionContact) -> String {
    let Some(office) = &state.settings.back_office else { return String::new() };
    let Some(email) = contact.email.as_deref() else {
        return "Người hỏi không để lại thư điện tử; hãy liên hệ qua số điện thoại nếu cần.".into();
    };
    let Some(mail) = &office.mail else {
        return "Máy chủ chưa cấu hình gửi thư: người hỏi chưa được báo.".into();
    };
    let answer = question.answer.as_deref().unwrap_or_default();
    let place = if question.published {
        format!("Câu hỏi và câu trả lời đã được công bố tại:\n{}/hoi-dap/#hoi-{}\n\n", office.public_url, question.id)
    } else {
        String::new()
    };
    let letter = Letter {
        to: email,
        subject: "Câu hỏi của bạn đã được trả lời — Cổng Cải cách hành chính",
        body: format!(
            "Kính gửi {},\n\nBộ Nội vụ đã trả lời câu hỏi bạn gửi lúc {}.\n\n{place}Câu hỏi:\n{}\n\nTrả lời:\n{}\n\n\
             --\nThư gửi tự động từ Cổng Cải cách hành chính; vui lòng không trả lời thư này.\n",
            contact.name,
            display_time(question.created_at),
            question.text,
            answer
        ),
    };
    match mail.send(&letter).await {
        Ok(_) => format!("Đã gửi thư báo cho người hỏi ({email})."),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "the answer mail was not sent");
            "Chưa gửi được thư báo cho người hỏi; hãy thử công bố lại sau ít phút.".into()
        }
    }
}

#[tracing::instrument(skip_all)]
async fn act<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Editor));
    let Some(id) = parse_id(&id) else {
        return no_question(&signed);
    };
    let back = format!("/quan-tri/cau-hoi/{id}");
    let action = field(&fields, "thao-tac").unwrap_or_default();
    let draft = field(&fields, "tra-loi");
    if action == "xem-truoc" {
        return question_page(&state, &signed, id, draft, true).await;
    }
    let (current, contact) = match state.store.question(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return no_question(&signed),
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let subject = AuditEntry::question_subject(id);
    let mut question = current.clone();
    let mut notices = Vec::new();
    if matches!(action, "luu" | "luu-cong-bo" | "luu-gui") {
        let answer = match AnswerText::parse(draft.unwrap_or_default()) {
            Ok(answer) => answer,
            Err(e) => {
                return flash(Redirect::to(&back).into_response(), &state, None, Some(&e.message));
            }
        };
        let audit = AuditEntry::now(
            &signed.staff().actor,
            AuditAction::QuestionAnswered,
            subject.clone(),
            current.answer.clone().map(|a| excerpt(&a)).unwrap_or_default(),
            excerpt(answer.as_str()),
        );
        question = match state.store.answer_question(id, &answer, &audit).await {
            Ok(q) => q,
            Err(StoreError::Conflict(message)) => {
                return flash(Redirect::to(&back).into_response(), &state, None, Some(&message));
            }
            Err(e) => return unavailable(Some(&signed), &e),
        };
        notices.push("Đã lưu câu trả lời.".to_string());
    }
    let publish = match action {
        "luu-cong-bo" | "cong-bo" => Some(true),
        "go" => Some(false),
        "luu" | "luu-gui" | "gui" => None,
        _ => return flash(Redirect::to(&back).into_response(), &state, None, Some("Chọn một thao tác.")),
    };
    // A private answer (no consent to publish), or a message that did not go: sent by mail on its own.
    if matches!(action, "luu-gui" | "gui") {
        if question.answer.is_none() {
            return flash(Redirect::to(&back).into_response(), &state, None, Some("Chưa có câu trả lời để gửi."));
        }
        let said = tell_asker(&state, &question, &contact).await;
        let audit = AuditEntry::now(
            &signed.staff().actor,
            AuditAction::AnswerMailed,
            subject.clone(),
            String::new(),
            said.clone(),
        );
        if let Err(e) = state.store.record_audit(&audit).await {
            return unavailable(Some(&signed), &e);
        }
        notices.push(said);
    }
    if let Some(publish) = publish.filter(|p| *p != question.published) {
        let (action, before, after) = if publish {
            (AuditAction::AnswerPublished, "Chưa công bố", "Đang công bố")
        } else {
            (AuditAction::AnswerWithdrawn, "Đang công bố", "Đã gỡ")
        };
        let audit = AuditEntry::now(&signed.staff().actor, action, subject.clone(), before.into(), after.into());
        question = match state.store.publish_answer(id, publish, &audit).await {
            Ok(q) => q,
            Err(StoreError::Conflict(message)) => {
                return flash(Redirect::to(&back).into_response(), &state, None, Some(&message));
            }
            Err(e) => return unavailable(Some(&signed), &e),
        };
        if publish {
            notices.push("Đã công bố trên trang Hỏi - Đáp.".into());
            notices.push(tell_asker(&state, &question, &contact).await);
        } else {
            notices.push("Đã gỡ khỏi trang Hỏi - Đáp.".into());
        }
    }
    let notice = notices.join(" ");
    flash(Redirect::to(&back).into_response(), &state, (!notice.is_empty()).then_some(notice.as_str()), None)
}

/// The first words of a text, for the audit trail's before/after.
fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(120).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[tracing::instrument(skip_all)]
async fn attachment<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    let found = match parse_id(&id) {
        Some(id) => state.store.question(id).await,
        None => Ok(None),
    };
    let meta = match found {
        Ok(Some((q, _))) => q.attachment,
        Ok(None) => None,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let Some(meta) = meta else {
        return Page::message(StatusCode::NOT_FOUND, "Không có tệp đính kèm", &[]).render(Some(&signed));
    };
    let gone = || Page::message(StatusCode::NOT_FOUND, "Tệp không còn trong kho lưu trữ", &[]).render(Some(&signed));
    match &state.settings.attachments {
        Attachments::Dir(dir) | Attachments::SealedDir { dir, .. } => {
            match tokio::fs::read(dir.join(&meta.key)).await {
                Ok(bytes) => {
                    let bytes = match &state.settings.attachments {
                        Attachments::SealedDir { sealer, .. } => match sealer.open_bytes(&meta.key, &bytes).await {
                            Ok(bytes) => bytes,
                            Err(e) => return unavailable(Some(&signed), &StoreError::unavailable(e)),
                        },
                        _ => bytes,
                    };
                    let mut response = bytes.into_response();
                    let headers = response.headers_mut();
                    if let Ok(value) = HeaderValue::from_str(&meta.content_type) {
                        headers.insert(header::CONTENT_TYPE, value);
                    }
                    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
                    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    response
                }
                Err(_) => gone(),
            }
        }
        #[cfg(feature = "aws")]
        Attachments::S3 { client, bucket } => {
            // A link good for five minutes: the object itself is never public.
            let presigning = aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(300));
            let request = match presigning {
                Ok(config) => client.get_object().bucket(bucket).key(&meta.key).presigned(config).await,
                Err(e) => return unavailable(Some(&signed), &StoreError::unavailable(e)),
            };
            match request {
                Ok(presigned) => Redirect::to(presigned.uri()).into_response(),
                Err(e) => unavailable(Some(&signed), &StoreError::unavailable(e)),
            }
        }
        Attachments::MetadataOnly => gone(),
    }
}
