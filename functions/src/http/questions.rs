//! `POST /api/questions`: a question, contact details kept private, an optional attachment checked by its
//! content (not its name).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use ulid::Ulid;

use super::body::{Submission, Upload};
use super::context::{AppState, Attachments};
use super::guard::{self, Accepted, Incoming};
use super::problem::ApiError;
use crate::domain::{
    AttachmentMeta, Email, FieldError, NewQuestion, PersonName, Phone, Question, QuestionContact, QuestionText,
    StoredResponse,
};
use crate::store::{KeyScope, Store};

/// Largest attachment.
pub const ATTACHMENT_LIMIT: usize = 5 * 1024 * 1024;
/// Largest request: the attachment and the fields, with multipart's overhead.
pub const BODY_LIMIT: usize = ATTACHMENT_LIMIT + 64 * 1024;
const FIELDS: [&str; 7] = ["question", "name", "email", "phone", guard::KEY_FIELD, guard::HONEYPOT, guard::PROOF];
const THANK_YOU: &str = "/cam-on-cau-hoi/";

/// The questions route.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new().route("/api/questions", post(post_question::<S>)).with_state(state)
}

/// The type of a file from its first bytes: PDF, PNG, JPEG, or DOCX (a ZIP holding `word/`).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"PK\x03\x04") && bytes.windows(5).any(|w| w == b"word/") {
        Some(("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"))
    } else {
        None
    }
}

fn check_attachment(upload: &Upload) -> Result<(&'static str, &'static str, String), FieldError> {
    if upload.bytes.len() > ATTACHMENT_LIMIT {
        return Err(FieldError::new("attachment", "Tệp đính kèm không được lớn hơn 5 MB"));
    }
    let (content_type, extension) = sniff(&upload.bytes).ok_or_else(|| {
        FieldError::new("attachment", "Tệp đính kèm phải là PDF, DOCX, JPG hoặc PNG (kiểm tra theo nội dung tệp)")
    })?;
    let digest = crate::hash::sha256_hex(&upload.bytes);
    Ok((content_type, extension, digest))
}

fn parse_question(s: &Submission) -> Result<NewQuestion, ApiError> {
    s.only(&FIELDS)?;
    let mut errors = Vec::new();
    let text = QuestionText::parse(s.get("question").unwrap_or_default()).map_err(|e| errors.push(e)).ok();
    let name = PersonName::parse(s.get("name").unwrap_or_default()).map_err(|e| errors.push(e)).ok();
    let email = s.get("email").map(Email::parse).transpose().map_err(|e| errors.push(e)).ok().flatten();
    let phone = s.get("phone").map(Phone::parse).transpose().map_err(|e| errors.push(e)).ok().flatten();
    let contact_given = s.get("email").is_some() || s.get("phone").is_some();
    if let Some((field, upload)) = &s.file {
        if field != "attachment" {
            errors.push(FieldError::new(
                "attachment",
                format!("tệp phải gửi trong trường `attachment`, không phải `{field}`"),
            ));
        } else if let Err(e) = check_attachment(upload) {
            errors.push(e);
        }
    }
    match (text, name) {
        (Some(text), Some(name)) if errors.is_empty() => {
            NewQuestion::new(text, name, email, phone).map_err(ApiError::from)
        }
        _ => {
            if !contact_given {
                errors.push(FieldError::new("email", "Nhập thư điện tử hoặc số điện thoại để nhận trả lời"));
            }
            Err(ApiError::Invalid(errors))
        }
    }
}

/// The attachment's type (from its content), size and checksum; the key it is stored under is named by content,
/// so a retried upload lands on the same file.
fn attachment_meta(upload: &Upload) -> Result<AttachmentMeta, ApiError> {
    let (content_type, extension, digest) = check_attachment(upload)?;
    let key = format!("questions/{digest}.{extension}");
    Ok(AttachmentMeta { key, content_type: content_type.into(), size: upload.bytes.len() as u64, sha256: digest })
}

async fn store_attachment(attachments: &Attachments, upload: &Upload, meta: &AttachmentMeta) -> Result<(), ApiError> {
    let key = &meta.key;
    match attachments {
        Attachments::Dir(dir) => {
            let path = dir.join(key);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(|e| ApiError::Unavailable(e.into()))?;
            }
            tokio::fs::write(&path, &upload.bytes).await.map_err(|e| ApiError::Unavailable(e.into()))?;
        }
        Attachments::S3 { client, bucket } => {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(&meta.content_type)
                .body(upload.bytes.clone().into())
                .send()
                .await
                .map_err(|e| ApiError::Unavailable(anyhow::Error::new(e).context("S3")))?;
        }
        Attachments::MetadataOnly => {}
    }
    Ok(())
}

async fn post_question<S: Store>(State(state): State<AppState<S>>, request: Request) -> Response {
    let incoming = match Incoming::read(request, BODY_LIMIT, true).await {
        Ok(incoming) => incoming,
        Err(e) => return e.into_response(),
    };
    let origin = incoming.submission.origin;
    let result = accept(&state, &incoming).await;
    guard::respond(result, origin, &state.settings.site_url, THANK_YOU, "/hoi-dap/#dat-cau-hoi")
}

async fn accept<S: Store>(state: &AppState<S>, incoming: &Incoming) -> Result<Accepted, ApiError> {
    let submission = &incoming.submission;
    if guard::trapped(incoming) {
        return Ok(Accepted::trap());
    }
    let client = guard::client(state, incoming);
    let mut question = parse_question(submission)?;
    let upload = submission.file.as_ref().map(|(_, upload)| upload);
    // The attachment's checksum is part of the fingerprint; it is written only once the question is admitted.
    question.attachment = upload.map(attachment_meta).transpose()?;
    let fingerprint = question.fingerprint();
    let key = guard::idempotency_key(incoming, &client, &fingerprint)?;
    if let Some(first) = guard::admit(state, incoming, &client, (KeyScope::Question, &key, &fingerprint)).await? {
        return Ok(first);
    }
    if let (Some(upload), Some(meta)) = (upload, &question.attachment) {
        store_attachment(&state.settings.attachments, upload, meta).await?;
    }
    let stored = Question {
        id: Ulid::new(),
        created_at: Utc::now(),
        text: question.text.as_str().to_string(),
        attachment: question.attachment.clone(),
        answer: None,
    };
    let contact = QuestionContact {
        name: question.name.as_str().to_string(),
        email: question.email.as_ref().map(|e| e.as_str().to_string()),
        phone: question.phone.as_ref().map(|p| p.as_str().to_string()),
    };
    let body = serde_json::json!({
        "id": stored.id.to_string(),
        "status": "pending",
        "message": "Đã nhận câu hỏi. Câu trả lời chính thức sẽ được đăng trong mục Hỏi - Đáp.",
    })
    .to_string();
    let response = StoredResponse { status: StatusCode::ACCEPTED.as_u16(), body: body.clone() };
    let saved = state.store.save_question(&key, &fingerprint, &stored, &contact, &response).await?;
    Ok(Accepted::from_saved(saved, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_come_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.4\n...").map(|t| t.1), Some("pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").map(|t| t.1), Some("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).map(|t| t.1), Some("jpg"));
        assert_eq!(sniff(b"PK\x03\x04....word/document.xml").map(|t| t.1), Some("docx"));
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.xml"), None, "a spreadsheet is not a DOCX");
        assert_eq!(sniff(b"MZ\x90\x00 an executable named hoso.pdf"), None);
    }
}
