//! Reading a submission: the size limit is enforced before anything is parsed, the content type decides the
//! parser (JSON, an HTML form, or multipart with one file), and every reader is strict: a JSON name sent twice,
//! text that is not UTF-8, a name the endpoint does not know (whatever its value) are refused by name, never
//! guessed at. Library error text is logged, not sent.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

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
    /// Text fields (empty ones dropped; a name sent several times keeps its last value).
    pub fields: HashMap<String, String>,
    /// Every non-empty value in the order sent, repeated names (several options) and JSON arrays included.
    pub values: Vec<(String, String)>,
    /// Every name sent, with how many values it came with (an empty value, `null` or `[]` included).
    pub sent: BTreeMap<String, usize>,
    /// The file, for multipart posts.
    pub file: Option<(String, Upload)>,
}

/// Longest field name quoted back in a message.
const NAME_SHOWN: usize = 60;

/// A field name as quoted in a message: at most `NAME_SHOWN` characters.
pub fn shown(name: &str) -> String {
    match name.char_indices().nth(NAME_SHOWN) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_string(),
    }
}

impl Submission {
    /// A submission with no fields, for `origin`.
    fn empty(origin: Origin) -> Self {
        Self { origin, fields: HashMap::new(), values: Vec::new(), sent: BTreeMap::new(), file: None }
    }

    /// Adds one value sent under `name` (`None`: a JSON `null`).
    fn push(&mut self, name: &str, value: Option<String>) {
        *self.sent.entry(name.to_string()).or_default() += usize::from(value.is_some());
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.values.push((name.to_string(), value.clone()));
            self.fields.insert(name.to_string(), value);
        }
    }

    /// A field's trimmed value, `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Refuses fields the endpoint does not know, whatever their value, and known ones sent more than once:
    /// every field of these endpoints holds one value.
    pub fn only(&self, known: &[&'static str]) -> Result<(), ApiError> {
        let mut errors: Vec<FieldError> = self
            .sent
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .take(10)
            .map(|name| FieldError {
                field: "", message: format!("trường `{}` không được hỗ trợ", shown(name))
            })
            .collect();
        if errors.is_empty() {
            return self.single(known);
        }
        errors.sort_by(|a, b| a.message.cmp(&b.message));
        Err(ApiError::Invalid(errors))
    }

    /// Refuses `names` sent more than once (a repeated field, or a JSON list of several values).
    pub fn single(&self, names: &[&'static str]) -> Result<(), ApiError> {
        let errors: Vec<FieldError> = names
            .iter()
            .filter(|name| self.sent.get(**name).is_some_and(|n| *n > 1))
            .map(|name| FieldError::new(name, format!("trường `{name}` chỉ nhận một giá trị")))
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(errors)) }
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
            "application/json" => Self::from_json(&bytes),
            "application/x-www-form-urlencoded" => Self::from_form(&bytes),
            "multipart/form-data" if files => Self::from_multipart(Request::from_parts(parts, Body::from(bytes))).await,
            "" => Err(ApiError::UnsupportedType("thiếu Content-Type".into())),
            other => Err(ApiError::UnsupportedType(format!(
                "{}; dùng application/json{}",
                shown(other),
                if files {
                    ", application/x-www-form-urlencoded hoặc multipart/form-data"
                } else {
                    " hoặc application/x-www-form-urlencoded"
                }
            ))),
        }
    }

    /// A JSON object of strings, numbers, booleans, `null`s and lists of those.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        let members: Members = serde_json::from_slice(bytes).map_err(|e| {
            tracing::debug!(error = %e, "JSON body refused");
            match e.classify() {
                serde_json::error::Category::Data => ApiError::Malformed("cần một đối tượng JSON".into()),
                _ => ApiError::Malformed(format!("JSON không đọc được (dòng {}, cột {})", e.line(), e.column())),
            }
        })?;
        if let Some(name) = members.repeated {
            return Err(ApiError::Malformed(format!("trường `{}` xuất hiện hai lần trong JSON", shown(&name))));
        }
        let mut submission = Self::empty(Origin::Json);
        for (name, value) in members.members {
            let scalar = |value: serde_json::Value| match value {
                serde_json::Value::String(s) => Ok(Some(s)),
                serde_json::Value::Null => Ok(None),
                serde_json::Value::Number(n) => Ok(Some(n.to_string())),
                serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
                _ => Err(ApiError::Malformed(format!("trường `{}` phải là chuỗi hoặc danh sách chuỗi", shown(&name)))),
            };
            match value {
                serde_json::Value::Array(items) => {
                    submission.sent.entry(name.clone()).or_default();
                    for item in items {
                        let item = scalar(item)?;
                        submission.push(&name, item);
                    }
                }
                value => {
                    let value = scalar(value)?;
                    submission.push(&name, value);
                }
            }
        }
        Ok(submission)
    }

    /// `application/x-www-form-urlencoded`, decoded as UTF-8 without repair.
    pub fn from_form(bytes: &[u8]) -> Result<Self, ApiError> {
        let mut submission = Self::empty(Origin::Form);
        for (name, value) in url_pairs(bytes)? {
            submission.push(&name, Some(value));
        }
        Ok(submission)
    }

    /// `multipart/form-data` with at most one file; text fields must be UTF-8.
    pub async fn from_multipart(request: Request) -> Result<Self, ApiError> {
        let refused = |what: &str, e: axum::extract::multipart::MultipartError| {
            tracing::debug!(error = %e, "multipart body refused");
            ApiError::Malformed(format!("biểu mẫu nhiều phần không đọc được ({what})"))
        };
        let mut multipart = Multipart::from_request(request, &()).await.map_err(|e| {
            tracing::debug!(error = %e, "multipart body refused");
            ApiError::Malformed("biểu mẫu nhiều phần không đọc được (thiếu ranh giới)".into())
        })?;
        let mut submission = Self::empty(Origin::Form);
        while let Some(field) = multipart.next_field().await.map_err(|e| refused("cấu trúc", e))? {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(filename) => {
                    let bytes = field.bytes().await.map_err(|e| refused("tệp", e))?;
                    if bytes.is_empty() && filename.is_empty() {
                        continue;
                    }
                    if submission.file.is_some() {
                        return Err(ApiError::Malformed("chỉ được gửi một tệp".into()));
                    }
                    submission.file = Some((name, Upload { filename, bytes }));
                }
                None => {
                    let bytes = field.bytes().await.map_err(|e| refused("trường", e))?;
                    let text = String::from_utf8(bytes.to_vec()).map_err(|_| not_utf8(&name))?;
                    submission.push(&name, Some(text));
                }
            }
        }
        Ok(submission)
    }
}

fn not_utf8(name: &str) -> ApiError {
    ApiError::Malformed(format!("trường `{}` không phải văn bản UTF-8 hợp lệ", shown(name)))
}

/// A JSON object's members in the order sent, and the first name sent twice (serde_json alone keeps the last).
struct Members {
    members: Vec<(String, serde_json::Value)>,
    repeated: Option<String>,
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Members;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members: Vec<(String, serde_json::Value)> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                let mut repeated = None;
                while let Some(name) = map.next_key::<String>()? {
                    let value = map.next_value()?;
                    if !seen.insert(name.clone()) && repeated.is_none() {
                        repeated = Some(name.clone());
                    }
                    members.push((name, value));
                }
                Ok(Members { members, repeated })
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// `a=1&b=x+y` → pairs, percent-decoded; a name or value that is not UTF-8 once decoded is refused (browsers
/// send UTF-8; anything else would be stored with replacement characters).
pub fn url_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    bytes
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode(name)
                .ok_or_else(|| ApiError::Malformed("tên một trường không phải văn bản UTF-8 hợp lệ".into()))?;
            let value = decode(value).ok_or_else(|| not_utf8(&name))?;
            Ok((name, value))
        })
        .collect()
}

/// `+` is a space, `%XX` a byte; the bytes must be UTF-8.
fn decode(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_is_decoded_as_utf8() {
        let pairs = url_pairs("text=C%E1%BA%A3i+c%C3%A1ch&x=".as_bytes()).expect("valid");
        assert_eq!(pairs, vec![("text".into(), "Cải cách".into()), ("x".into(), String::new())]);
    }

    #[test]
    fn invalid_utf8_is_refused_by_field_not_repaired() {
        let e = url_pairs(b"name=An&text=C%E1%BA").expect_err("a cut sequence");
        assert!(e.to_string().contains("`text`"), "{e}");
        assert!(url_pairs(b"text=\xff").is_err());
    }

    #[test]
    fn a_json_name_sent_twice_is_refused_by_name() {
        let e = Submission::from_json(br#"{"text": "a", "text": "b"}"#).expect_err("duplicate");
        assert!(e.to_string().contains("`text`"), "{e}");
    }
}
