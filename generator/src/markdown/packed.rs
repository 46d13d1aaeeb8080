//! Rendered HTML held compressed. A build holds every page's body from parsing (where it is rendered, for its
//! summary, headings and links) to the end of rendering; held as text, the bodies were the largest part of a
//! 10,000-page build's memory. LZ4 makes them about 2.5 times smaller and unpacks each in microseconds; with a
//! dictionary of the site's own first bodies (its words and markup), about 3.6 times.

use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Serialize, Serializer};

/// LZ4 looks back at most this far, so a larger dictionary would not be read.
const DICTIONARY_BYTES: usize = 64 * 1024;

/// The dictionary: the last [`DICTIONARY_BYTES`] of the first bodies this process packed. Set once and never
/// changed, so every body packed with it is unpacked with the same bytes. Which bodies fill it depends on which
/// are parsed first; the output does not (packing is lossless), only how small the bodies pack.
static DICTIONARY: OnceLock<Box<[u8]>> = OnceLock::new();
/// The first bodies, until they fill the dictionary.
static GATHERED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The first byte of a packed body: how it was packed.
const PLAIN: u8 = 0;
const WITH_DICTIONARY: u8 = 1;

/// HTML kept LZ4-compressed; [`PackedHtml::unpack`] gives the text back.
#[derive(Clone, Default)]
pub struct PackedHtml(Box<[u8]>);

impl PackedHtml {
    /// Compresses `html`.
    pub fn new(html: &str) -> Self {
        if html.is_empty() {
            return Self::default();
        }
        let dictionary = DICTIONARY.get().map(|d| &**d).or_else(|| gather(html.as_bytes()));
        let (tag, packed) = match dictionary {
            Some(dictionary) => {
                (WITH_DICTIONARY, lz4_flex::block::compress_prepend_size_with_dict(html.as_bytes(), dictionary))
            }
            None => (PLAIN, lz4_flex::compress_prepend_size(html.as_bytes())),
        };
        let mut bytes = Vec::with_capacity(packed.len() + 1);
        bytes.push(tag);
        bytes.extend_from_slice(&packed);
        Self(bytes.into_boxed_slice())
    }

    /// The HTML, as it was given to [`PackedHtml::new`].
    pub fn unpack(&self) -> Html {
        // The bytes were made by `new`, which set the dictionary before packing with it: these fail only if memory
        // is corrupt.
        let bytes = match self.0.split_first() {
            None => Vec::new(),
            Some((&WITH_DICTIONARY, packed)) => {
                let dictionary = DICTIONARY.get().expect("the dictionary its body was packed with");
                lz4_flex::block::decompress_size_prepended_with_dict(packed, dictionary)
                    .expect("bytes compressed by PackedHtml::new")
            }
            Some((_, packed)) => {
                lz4_flex::decompress_size_prepended(packed).expect("bytes compressed by PackedHtml::new")
            }
        };
        Html(bytes)
    }
}

/// Adds `html` to the bodies gathered for the dictionary; once they fill it, sets it and returns it.
fn gather(html: &[u8]) -> Option<&'static [u8]> {
    let mut gathered = GATHERED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(dictionary) = DICTIONARY.get() {
        return Some(&**dictionary);
    }
    gathered.extend_from_slice(html);
    if gathered.len() < DICTIONARY_BYTES {
        return None;
    }
    let dictionary = DICTIONARY.get_or_init(|| gathered[gathered.len() - DICTIONARY_BYTES..].into());
    *gathered = Vec::new();
    Some(&**dictionary)
}

/// Equal when the HTML is: a body packed before the dictionary was set and the same body packed after it are equal.
impl PartialEq for PackedHtml {
    fn eq(&self, other: &Self) -> bool {
        match (self.0.first(), other.0.first()) {
            (Some(a), Some(b)) if a != b => self.unpack() == other.unpack(),
            _ => self.0 == other.0,
        }
    }
}

impl Eq for PackedHtml {}

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
        assert_eq!(PackedHtml::new(&html), packed, "the same text packs to equal values");
        assert_ne!(PackedHtml::new("<p>khác</p>"), packed);
        assert_eq!(
            serde_json::to_string(&packed.unpack()).ok(),
            serde_json::to_string(&html).ok(),
            "serialised as text"
        );
    }

    #[test]
    fn bodies_packed_before_and_after_the_dictionary_is_set_come_back_and_compare_equal() {
        let body =
            |n: usize| format!("<p>Thủ tục số {n}: hồ sơ nộp trực tuyến qua cổng dịch vụ công.</p>\n").repeat(40);
        let before = PackedHtml::new(&body(0));
        let mut n = 1;
        while DICTIONARY.get().is_none() {
            PackedHtml::new(&body(n));
            n += 1;
        }
        let after = PackedHtml::new(&body(0));
        assert_eq!(after.0[0], WITH_DICTIONARY);
        assert_eq!((before.unpack().as_str(), after.unpack().as_str()), (body(0).as_str(), body(0).as_str()));
        assert_eq!(before, after, "equal whichever way each was packed");
        assert_eq!(PackedHtml::new(&body(n + 1)).unpack().as_str(), body(n + 1));
    }
}
