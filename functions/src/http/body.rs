//! Reading a submission: the size limit is enforced before anything is parsed, the content type decides the
//! parser (JSON, an HTML form, or multipart with one file), and unknown fields are refused by name.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};

use super::problem::ApiError;
use crate::domain::FieldError;

/// A file sent with a multipart form.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the browser sent (not trusted for the type).
    pub filename: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// How the client sent the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `application/json`: a script, expected to answer the proof-of-work challenge.
    Json,
    /// A plain HTML form post: answered with a redirect, may come without JavaScript.
    Form,
}

/// A submission's fields as text, and at most one file.
#[derive(Debug, Clone)]
pub struct Submission {
    /// How it was sent.
    pub origin: Origin,
    /// Text fields (empty ones dropped).
    pub fields: HashMap<String, String>,
    /// Every non-empty value in the order sent, repeated names (several options) and JSON arrays included.
    pub values: Vec<(String, String)>,
    /// The file, for multipart posts.
    pub file: Option<(String, Upload)>,
}

impl Submission {
    /// A field's trimmed value, `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Refuses fields the endpoint does not know, naming them.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        let mut unknown: Vec<&String> = self.fields.keys().filter(|k| !known.contains(&k.as_str())).collect();
        unknown.sort();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(ApiError::Invalid(
            unknown
                .into_iter()
                .map(|name| FieldError { field: "", message: format!("trường `{name}` không được hỗ trợ") })
                .collect(),
        ))
    }

    /// Reads `request` with at most `limit` bytes of body. `files` allows multipart with one file.
    pub async fn read(request: Request, limit: usize, files: bool) -> Result<Self, ApiError> {
        let declared = content_length(request.headers());
        if declared.is_some_and(|length| length > limit) {
            return Err(ApiError::TooLarge { limit });
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mime = content_type.split(';').next().unwrap_or_default().trim().to_string();
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::TooLarge { limit })?;
        match mime.as_str() {
            "application/json" => {
                let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                    tracing::debug!(error = %e, "JSON body refused");
                    ApiError::Malformed(format!("JSON không đọc được (dòng {}, cột {})", e.line(), e.column()))
                })?;
                let object = value.as_object().ok_or_else(|| ApiError::Malformed("cần một đối tượng JSON".into()))?;
                let mut fields = HashMap::new();
                let mut values = Vec::new();
                for (key, value) in object {
                    let scalar = |value: &serde_json::Value| match value {
                        serde_json::Value::String(s) => Ok(Some(s.clone())),
                        serde_json::Value::Null => Ok(None),
                        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
                        serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
                        _ => Err(ApiError::Malformed(format!("trường `{key}` phải là chuỗi hoặc danh sách chuỗi"))),
                    };
                    if let serde_json::Value::Array(items) = value {
                        for item in items {
                            values.extend(scalar(item)?.map(|text| (key.clone(), text)));
                        }
                    } else if let Some(text) = scalar(value)? {
                        values.push((key.clone(), text.clone()));
                        fields.insert(key.clone(), text);
                    }
                }
                Ok(Self { origin: Origin::Json, fields, values, file: None })
            }
            "application/x-www-form-urlencoded" => {
                let pairs: Vec<(String, String)> =
                    serde_urlencoded_pairs(&bytes)?.into_iter().filter(|(_, v)| !v.is_empty()).collect();
                Ok(Self { origin: Origin::Form, fields: pairs.iter().cloned().collect(), values: pairs, file: None })
            }
            "multipart/form-data" if files => {
                let request = Request::from_parts(parts, Body::from(bytes));
                let mut multipart =
                    Multipart::from_request(request, &()).await.map_err(|e| refused("thiếu ranh giới", &e))?;
                let mut fields = HashMap::new();
                let mut file = None;
                while let Some(field) = multipart.next_field().await.map_err(|e| refused("cấu trúc", &e))? {
                    let name = field.name().unwrap_or_default().to_string();
                    match field.file_name().map(str::to_string) {
                        Some(filename) => {
                            let bytes = field.bytes().await.map_err(|e| refused("tệp", &e))?;
                            if bytes.is_empty() && filename.is_empty() {
                                continue;
                            }
                            if file.is_some() {
                                return Err(ApiError::Malformed("chỉ được gửi một tệp".into()));
                            }
                            file = Some((name, Upload { filename, bytes }));
                        }
                        None => {
                            let text = field.text().await.map_err(|e| refused("trường", &e))?;
                            if !text.is_empty() {
                                fields.insert(name, text);
                            }
                        }
                    }
                }
                let values = fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                Ok(Self { origin: Origin::Form, fields, values, file })
            }
            "" => Err(ApiError::UnsupportedType("thiếu Content-Type".into())),
            other => Err(ApiError::UnsupportedType(format!(
                "{other}; dùng application/json{}",
                if files {
                    ", application/x-www-form-urlencoded hoặc multipart/form-data"
                } else {
                    " hoặc application/x-www-form-urlencoded"
                }
            ))),
        }
    }
}

/// A multipart body refused: the library's text is logged, the client told which part in Vietnamese.
fn refused(what: &str, error: &dyn std::fmt::Display) -> ApiError {
    tracing::debug!(error = %error, "multipart body refused");
    ApiError::Malformed(format!("biểu mẫu nhiều phần không đọc được ({what})"))
}

/// A field name as quoted in a message: at most 60 characters.
pub fn shown(name: &str) -> String {
    match name.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_string(),
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// `a=1&b=x+y` → pairs, percent-decoded as UTF-8.
fn serde_urlencoded_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| {
        tracing::debug!(error = %e, "form body refused");
        ApiError::Malformed("biểu mẫu không đọc được".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_is_decoded_as_utf8() {
        let pairs = serde_urlencoded_pairs("text=C%E1%BA%A3i+c%C3%A1ch&x=".as_bytes()).expect("valid");
        assert_eq!(pairs, vec![("text".into(), "Cải cách".into()), ("x".into(), String::new())]);
    }
}
