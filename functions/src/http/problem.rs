//! Errors as HTTP answers: JSON problem details (RFC 9457) with a Vietnamese message, never an internal one.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::FieldError;
use crate::store::StoreError;

/// Everything a request can fail with, each mapped to one status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body could not be read as the declared format.
    #[error("{0}")]
    Malformed(String),
    /// Content-Length or the body is over the endpoint's limit.
    #[error("nội dung gửi lên quá lớn (tối đa {limit} byte)")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A content type the endpoint does not read.
    #[error("định dạng không được hỗ trợ: {0}")]
    UnsupportedType(String),
    /// Fields that are missing or invalid.
    #[error("một số trường chưa hợp lệ")]
    Invalid(Vec<FieldError>),
    /// The thing addressed does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the state: closed window, reused key, already moderated.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests from this client.
    #[error("{message}")]
    RateLimited {
        /// Seconds until the client may try again.
        retry_after: u64,
        /// What happened, and what the limit is.
        message: String,
    },
    /// The request is understood but not allowed (e.g. a used access code).
    #[error("{0}")]
    Forbidden(String),
    /// Missing or wrong moderation credentials.
    #[error("cần đăng nhập với quyền kiểm duyệt")]
    Unauthorized,
    /// The path exists, but not with this method.
    #[error("địa chỉ này không nhận phương thức HTTP đã dùng")]
    MethodNotAllowed,
    /// Refused by axum or a layer before any handler ran (the status says why; the library's text is logged).
    #[error("{}", refused_detail(*.0))]
    Refused(StatusCode),
    /// The store failed; nothing was written, the client may retry.
    #[error("hệ thống tạm thời bận, vui lòng thử lại sau ít phút")]
    Unavailable(#[source] anyhow::Error),
}

/// A Vietnamese detail for a status a library chose.
fn refused_detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        408 => "yêu cầu gửi quá chậm; vui lòng gửi lại",
        411 => "cần tiêu đề Content-Length",
        413 => "nội dung gửi lên quá lớn",
        415 => "định dạng không được hỗ trợ",
        431 => "tiêu đề yêu cầu quá lớn",
        s if s >= 500 => "hệ thống tạm thời gặp lỗi, vui lòng thử lại sau ít phút",
        _ => "yêu cầu không hợp lệ",
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(vec![e])
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound("không tìm thấy".into()),
            StoreError::KeyReused => Self::Conflict(e.to_string()),
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::CodeRejected => Self::Forbidden(e.to_string()),
            // The respondent can fix it on the form: shown at the unit they picked (422, like any field error).
            StoreError::CodeForAnotherUnit => Self::Invalid(vec![FieldError::new("unit", e.to_string())]),
            StoreError::BadCursor => Self::Malformed(e.to_string()),
            StoreError::Unavailable(source) => Self::Unavailable(source),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ApiError {
    /// Status, problem type and title.
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Malformed(_) => {
                (StatusCode::BAD_REQUEST, "urn:cchc:loi:du-lieu-sai-dinh-dang", "Dữ liệu gửi lên sai định dạng")
            }
            Self::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "urn:cchc:loi:qua-lon", "Nội dung quá lớn"),
            Self::UnsupportedType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "urn:cchc:loi:dinh-dang", "Định dạng không được hỗ trợ")
            }
            Self::Invalid(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "urn:cchc:loi:khong-hop-le", "Thông tin chưa hợp lệ")
            }
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "urn:cchc:loi:khong-tim-thay", "Không tìm thấy"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "urn:cchc:loi:xung-dot", "Không thực hiện được"),
            Self::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "urn:cchc:loi:qua-nhieu-yeu-cau", "Gửi quá nhiều lần")
            }
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "urn:cchc:loi:khong-duoc-phep", "Không được phép"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "urn:cchc:loi:can-dang-nhap", "Cần đăng nhập"),
            Self::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "urn:cchc:loi:sai-phuong-thuc", "Phương thức không được hỗ trợ")
            }
            Self::Refused(status) => (*status, "urn:cchc:loi:bi-tu-choi", "Yêu cầu không được chấp nhận"),
            Self::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "urn:cchc:loi:tam-ngung", "Hệ thống tạm thời bận")
            }
        }
    }

    /// The error for an answer axum or a layer made with `status` and its own (English) text.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => {
                Self::Malformed("yêu cầu không đọc được (địa chỉ, tiêu đề hoặc nội dung sai định dạng)".into())
            }
            StatusCode::NOT_FOUND => Self::NotFound("không có địa chỉ này trong API".into()),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            status => Self::Refused(status),
        }
    }

    /// The field errors, if any.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Invalid(errors) => errors,
            _ => &[],
        }
    }

    /// Seconds to wait before retrying, for 429 and 503.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::Unavailable(_) => Some(5),
            Self::Refused(status) if status.is_server_error() => Some(5),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Unavailable(source) = &self {
            tracing::error!(error = format!("{source:#}"), "store unavailable");
        }
        let (status, kind, title) = self.parts();
        let errors = self.field_errors();
        let detail = match &self {
            Self::Invalid(e) if e.len() == 1 => e[0].message.clone(),
            other => other.to_string(),
        };
        let problem =
            Problem { kind, title, status: status.as_u16(), detail, errors: (!errors.is_empty()).then_some(errors) };
        let mut response = (status, Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The last word on every API answer: an error that left a handler (or axum itself: a method the path does not
/// take, a path that does not decode, a body axum refused) as anything but problem+json or the plain forms' HTML
/// page is rewritten as problem+json with a Vietnamese detail. The original text is logged, never sent.
pub async fn ensure_problem(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("application/problem+json") || content_type.starts_with("text/html") {
        return response;
    }
    let (parts, body) = response.into_parts();
    let original = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    tracing::warn!(
        status = status.as_u16(),
        original = %String::from_utf8_lossy(&original),
        "an error answer was not problem+json: rewritten"
    );
    let mut answer = ApiError::from_status(status).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}
