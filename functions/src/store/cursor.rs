//! Opaque pagination cursors: the backend's position, encoded so clients cannot depend on (or forge) its form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::StoreError;

/// A position in a list, as a URL-safe string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a backend position (JSON text).
    pub fn encode(position: &str) -> Self {
        Self(URL_SAFE_NO_PAD.encode(position.as_bytes()))
    }

    /// Reads a cursor sent by a client.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        if text.len() > 2_048 {
            return Err(StoreError::BadCursor);
        }
        let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| StoreError::BadCursor)?;
        String::from_utf8(decoded).map_err(|_| StoreError::BadCursor)?;
        Ok(Self(text.to_string()))
    }

    /// The backend position.
    pub fn position(&self) -> Result<String, StoreError> {
        let decoded = URL_SAFE_NO_PAD.decode(&self.0).map_err(|_| StoreError::BadCursor)?;
        String::from_utf8(decoded).map_err(|_| StoreError::BadCursor)
    }

    /// As sent to clients.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
