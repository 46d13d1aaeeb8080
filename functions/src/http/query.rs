//! Query strings read strictly: a parameter that does not parse is a 400 naming it, in Vietnamese, never axum's
//! English `text/plain` rejection.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::problem::ApiError;
use crate::store::Cursor;

/// The query string's parameters, each sent at most once and valid UTF-8.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Reads `a=1&b=x+y`; a parameter sent twice, or not valid UTF-8 once decoded, is refused by name.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut params = HashMap::new();
        for (name, value) in super::body::url_pairs(query.as_bytes())? {
            if params.contains_key(&name) {
                return Err(ApiError::Malformed(format!(
                    "tham số `{}` xuất hiện nhiều lần",
                    super::body::shown(&name)
                )));
            }
            params.insert(name, value);
        }
        Ok(Self(params))
    }

    /// A parameter's value, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A whole number parameter, `None` when absent.
    pub fn number(&self, name: &str) -> Result<Option<u32>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse::<u32>()
                    .map_err(|_| ApiError::Malformed(format!("tham số `{name}` phải là một số nguyên không âm")))
            })
            .transpose()
    }

    /// How many items a page may hold: `limit`, or `default`, kept within `1..=max`.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        Ok(self.number("limit")?.map_or(default, |n| n as usize).clamp(1, max))
    }

    /// The pagination cursor, if any.
    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        Ok(self.get("cursor").map(Cursor::parse).transpose()?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::parse(parts.uri.query().unwrap_or_default())
    }
}
