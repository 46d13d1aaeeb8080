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
    /// The store failed; nothing was written, the client may retry.
    #[error("hệ thống tạm thời bận, vui lòng thử lại sau ít phút")]
    Unavailable(#[source] anyhow::Error),
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
            Self::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "urn:cchc:loi:tam-ngung", "Hệ thống tạm thời bận")
            }
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
