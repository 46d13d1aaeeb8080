//! `POST /api/questions`: a question, contact details kept private, an optional attachment checked by its
//! content (not its name).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use chrono::Utc;
use tokio::io::AsyncWriteExt as _;
use ulid::Ulid;

use super::body::{Submission, Upload};
use super::context::{AppState, Attachments};
use super::guard::{self, Accepted, Incoming, Receipt};
use super::pages::PublicAnswer;
use super::problem::ApiError;
use super::query::Params;
use crate::domain::{
    AttachmentMeta, Email, FieldError, NewQuestion, PersonName, Phone, Question, QuestionContact, QuestionText,
    StoredResponse,
};
use crate::store::{KeyScope, Store};

/// Largest attachment.
pub const ATTACHMENT_LIMIT: usize = 5 * 1024 * 1024;
/// Largest request: the attachment and the fields, with multipart's overhead.
pub const BODY_LIMIT: usize = ATTACHMENT_LIMIT + 64 * 1024;
const FIELDS: [&str; 8] =
    ["question", "name", "email", "phone", "consent", guard::KEY_FIELD, guard::HONEYPOT, guard::PROOF];
const THANK_YOU: &str = "/cam-on-cau-hoi/";

/// The questions route.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new().route("/api/questions", post(post_question::<S>).get(published::<S>)).with_state(state)
}

/// A page of published questions and answers, as the Q&A page's script reads it.
#[derive(Debug, serde::Serialize)]
struct AnswerPage<'a> {
    questions: &'a [PublicAnswer],
    next_cursor: Option<&'a str>,
}

#[tracing::instrument(skip_all)]
async fn published<S: Store>(State(state): State<AppState<S>>, query: Params) -> Result<Response, ApiError> {
    let page = state.store.published_answers(query.cursor()?.as_ref(), query.limit(20, 100)?).await?;
    let answers: Vec<PublicAnswer> = page.items.iter().map(PublicAnswer::from).collect();
    let next = page.next.as_ref().map(|c| c.as_str());
    if query.get("format") == Some("html") {
        return Ok(super::pages::answers(&answers, next));
    }
    let mut response = axum::Json(AnswerPage { questions: &answers, next_cursor: next }).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=0, s-maxage=60"),
    );
    Ok(response)
}

/// The type of a file from its content: PDF, PNG, JPEG by their first bytes, DOCX by its package structure.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"PK\x03\x04") && is_docx(bytes) {
        Some(("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"))
    } else {
        None
    }
}

/// Most entries a DOCX may have: real documents have tens; more is a zip bomb's shape, not a letter's.
const DOCX_ENTRIES: usize = 1_000;
/// Most a DOCX may unpack to, all entries together: far above any document that fits in 5 MB of text and images.
const DOCX_UNPACKED: u64 = 100 * 1024 * 1024;
/// Most an entry may unpack to per byte packed: XML packs 10–30 times; a bomb, thousands.
const DOCX_RATIO: u64 = 200;
/// Most of `[Content_Types].xml` read to check it.
const CONTENT_TYPES_LIMIT: u64 = 64 * 1024;

/// Whether `bytes` is a WordprocessingML package: a ZIP whose central directory reads, within the bounds above
/// (from the declared sizes, without unpacking), that holds `word/document.xml` and a `[Content_Types].xml`
/// declaring a Word document's main part. A spreadsheet, a renamed archive or a bomb is not.
fn is_docx(bytes: &[u8]) -> bool {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return false };
    if archive.len() > DOCX_ENTRIES {
        return false;
    }
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(index) else { return false };
        unpacked = unpacked.saturating_add(entry.size());
        if unpacked > DOCX_UNPACKED || entry.size() > entry.compressed_size().max(1).saturating_mul(DOCX_RATIO) {
            return false;
        }
    }
    if archive.index_for_name("word/document.xml").is_none() {
        return false;
    }
    let Ok(types) = archive.by_name("[Content_Types].xml") else { return false };
    let mut text = String::new();
    use std::io::Read as _;
    if types.take(CONTENT_TYPES_LIMIT).read_to_string(&mut text).is_err() {
        return false;
    }
    text.contains("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
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
    // The box a citizen ticks to let the question and its answer be published (never their name or contact).
    let consent = match s.get("consent") {
        None => false,
        Some("yes" | "on" | "true") => true,
        Some(_) => {
            errors.push(FieldError::new("consent", "Trường `consent` chỉ nhận giá trị `yes`"));
            false
        }
    };
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
            let mut question = NewQuestion::new(text, name, email, phone)?;
            question.consent = consent;
            Ok(question)
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

/// Writes a citizen's document: readable by the server's user only (0700 folders, 0600 files), whatever the umask.
async fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<(), ApiError> {
    if let Some(parent) = path.parent() {
        tokio::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .await
            .map_err(|e| ApiError::Unavailable(e.into()))?;
    }
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?;
    file.write_all(bytes).await.map_err(|e| ApiError::Unavailable(e.into()))?;
    file.sync_all().await.map_err(|e| ApiError::Unavailable(e.into()))
}

async fn store_attachment(attachments: &Attachments, upload: &Upload, meta: &AttachmentMeta) -> Result<(), ApiError> {
    let key = &meta.key;
    match attachments {
        Attachments::Dir(dir) => write_private(&dir.join(key), &upload.bytes).await?,
        Attachments::SealedDir { dir, sealer } => {
            let sealed = sealer.seal_bytes(key, &upload.bytes).await.map_err(ApiError::Unavailable)?;
            write_private(&dir.join(key), &sealed).await?
        }
        #[cfg(feature = "aws")]
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

#[tracing::instrument(skip_all)]
async fn post_question<S: Store>(State(state): State<AppState<S>>, request: Request) -> Result<Response, ApiError> {
    let incoming = Incoming::read(request, BODY_LIMIT, true).await?;
    let origin = incoming.submission.origin;
    let result = accept(&state, &incoming).await;
    Ok(guard::respond(result, origin, &state.settings.site_url, THANK_YOU, "/hoi-dap/#dat-cau-hoi"))
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
        answered: None,
        consent: question.consent,
        published: false,
    };
    let contact = QuestionContact {
        name: question.name.as_str().to_string(),
        email: question.email.as_ref().map(|e| e.as_str().to_string()),
        phone: question.phone.as_ref().map(|p| p.as_str().to_string()),
    };
    let body = Receipt::json(
        Some(stored.id.to_string()),
        "pending",
        "Đã nhận câu hỏi. Câu trả lời chính thức sẽ được đăng trong mục Hỏi - Đáp.",
    );
    let response = StoredResponse { status: StatusCode::ACCEPTED.as_u16(), body: body.clone() };
    let saved = state.store.save_question(&key, &fingerprint, &stored, &contact, &response).await?;
    Ok(Accepted::from_saved(saved, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZIP of `files` (name, content), deflated.
    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write as _;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in files {
            writer.start_file(*name, options).expect("entry");
            writer.write_all(content).expect("content");
        }
        writer.finish().expect("zip").into_inner()
    }

    const TYPES: &[u8] = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

    #[test]
    fn file_types_come_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.4\n...").map(|t| t.1), Some("pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").map(|t| t.1), Some("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).map(|t| t.1), Some("jpg"));
        assert_eq!(sniff(b"MZ\x90\x00 an executable named hoso.pdf"), None);
    }

    #[test]
    fn a_docx_is_recognised_by_its_package_structure() {
        let docx = zip_of(&[("[Content_Types].xml", TYPES), ("word/document.xml", b"<w:document/>")]);
        assert_eq!(sniff(&docx).map(|t| t.1), Some("docx"));
        assert_eq!(sniff(b"PK\x03\x04....word/document.xml"), None, "the bytes `word/` are not a package");
        let no_types = zip_of(&[("word/document.xml", b"<w:document/>")]);
        assert_eq!(sniff(&no_types), None, "no [Content_Types].xml");
        let sheet = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(sniff(&sheet), None, "a spreadsheet is not a DOCX");
        let renamed = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]);
        assert_eq!(sniff(&renamed), None, "the main part must be declared a Word document");
    }

    #[test]
    fn a_zip_bomb_is_not_a_docx() {
        let zeros = vec![0u8; 20 * 1024 * 1024];
        let bomb = zip_of(&[("[Content_Types].xml", TYPES), ("word/document.xml", &zeros)]);
        assert!(bomb.len() < 100 * 1024, "packs small: {}", bomb.len());
        assert_eq!(sniff(&bomb), None);
        let names: Vec<String> = (0..1_001).map(|i| format!("word/media/{i}.xml")).collect();
        let mut files: Vec<(&str, &[u8])> =
            vec![("[Content_Types].xml", TYPES), ("word/document.xml", b"<w:document/>")];
        files.extend(names.iter().map(|n| (n.as_str(), &b"x"[..])));
        assert_eq!(sniff(&zip_of(&files)), None, "too many entries");
    }
}
