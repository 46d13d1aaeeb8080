//! Rendered HTML held compressed. A build holds every page's body from parsing (where it is rendered, for its
//! summary, headings and links) to the end of rendering; held as text, the bodies were the largest part of a
//! 10,000-page build's memory. LZ4 makes them about 2.5 times smaller and unpacks each in microseconds.

use std::fmt;

use serde::{Serialize, Serializer};

/// HTML kept LZ4-compressed; [`PackedHtml::unpack`] gives the text back.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PackedHtml(Box<[u8]>);

impl PackedHtml {
    /// Compresses `html`.
    pub fn new(html: &str) -> Self {
        if html.is_empty() {
            return Self::default();
        }
        Self(lz4_flex::compress_prepend_size(html.as_bytes()).into_boxed_slice())
    }

    /// The HTML, as it was given to [`PackedHtml::new`].
    pub fn unpack(&self) -> Html {
        if self.0.is_empty() {
            return Html(Vec::new());
        }
        // The bytes were made by `new`: this fails only if memory is corrupt.
        Html(lz4_flex::decompress_size_prepended(&self.0).expect("bytes compressed by PackedHtml::new"))
    }
}

impl fmt::Debug for PackedHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.unpack().as_str(), f)
    }
}

/// Unpacked HTML. Kept as bytes and read through SIMD UTF-8 validation (`simdutf8`): turning each body into a
/// `String` with the standard library's check cost more CPU than compressing and unpacking it together.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Html(Vec<u8>);

impl Html {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Unpacked from a `str`: this fails only if memory is corrupt.
        simdutf8::basic::from_utf8(&self.0).expect("text compressed by PackedHtml::new")
    }
}

impl fmt::Debug for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Html {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_comes_back_as_it_went_in() {
        let html = "<p>Cải cách <em>hành chính</em></p>\n".repeat(50);
        let packed = PackedHtml::new(&html);
        assert_eq!(packed.unpack().as_str(), html);
        assert!(packed.0.len() < html.len() / 4, "repeated text packs small: {} bytes", packed.0.len());
        assert_eq!(PackedHtml::new("").unpack().as_str(), "");
        assert!(PackedHtml::new("").0.is_empty() && !packed.0.is_empty());
        assert_eq!(PackedHtml::new(&html), packed, "the same text packs to the same bytes");
        assert_eq!(
            serde_json::to_string(&packed.unpack()).ok(),
            serde_json::to_string(&html).ok(),
            "serialised as text"
        );
    }
}
