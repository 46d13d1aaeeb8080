//! Rendered HTML held compressed. A build holds every page's body from parsing (where it is rendered, for its
//! summary, headings and links) to the end of rendering; held as text, the bodies were the largest part of a
//! 10,000-page build's memory. LZ4 unpacks each in microseconds. On the synthetic benchmark corpus it makes them
//! about 2.5 times smaller, and about 3.6 times with a dictionary of the site's own first bodies (its words and
//! markup); a real corpus whose first bodies are unlike the rest (other languages) gains less from the dictionary.

use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Serialize, Serializer};

/// LZ4 looks back at most this far, so a larger dictionary would not be read.
const DICTIONARY_BYTES: usize = 64 * 1024;

/// The first byte of a packed body: how it was packed.
const PLAIN: u8 = 0;
const WITH_DICTIONARY: u8 = 1;
/// Not compressed: larger than the length header holds.
const UNPACKED: u8 = 2;

/// The tag byte and the HTML's length before the LZ4 block.
const HEADER_BYTES: usize = 1 + 4;

/// The dictionary every body of this process is packed with.
static DICTIONARY: Dictionary = Dictionary::new();

/// An LZ4 dictionary made of the last [`DICTIONARY_BYTES`] of the first bodies packed. Set once and never changed,
/// so every body packed with it is unpacked with the same bytes. Which bodies fill it depends on which are parsed
/// first; the output does not (packing is lossless), only how small the bodies pack.
struct Dictionary {
    bytes: OnceLock<Box<[u8]>>,
    /// The first bodies, until they fill the dictionary.
    gathered: Mutex<Vec<u8>>,
}

impl Dictionary {
    const fn new() -> Self {
        Self { bytes: OnceLock::new(), gathered: Mutex::new(Vec::new()) }
    }

    /// Packs `html` as its tag byte, its length (little-endian `u32`, as `lz4_flex`'s `*_size_prepended` reads it)
    /// and the LZ4 block, compressed straight into the one buffer that is kept.
    fn pack(&self, html: &str) -> PackedHtml {
        if html.is_empty() {
            return PackedHtml::default();
        }
        let input = html.as_bytes();
        let Ok(length) = u32::try_from(input.len()) else {
            // Past what the length header holds (4 GiB): kept as it is.
            return PackedHtml([&[UNPACKED][..], input].concat().into_boxed_slice());
        };
        let dictionary = self.for_packing(input);
        let mut bytes = vec![0; HEADER_BYTES + lz4_flex::block::get_maximum_output_size(input.len())];
        bytes[0] = if dictionary.is_some() { WITH_DICTIONARY } else { PLAIN };
        bytes[1..HEADER_BYTES].copy_from_slice(&length.to_le_bytes());
        let output = &mut bytes[HEADER_BYTES..];
        // The output is sized for the worst case, so compressing cannot run out of room.
        let written = match dictionary {
            Some(dictionary) => lz4_flex::block::compress_into_with_dict(input, output, dictionary),
            None => lz4_flex::block::compress_into(input, output),
        }
        .expect("an output of get_maximum_output_size bytes");
        bytes.truncate(HEADER_BYTES + written);
        PackedHtml(bytes.into_boxed_slice())
    }

    /// The dictionary to pack `html` with, or none while the bodies gathered (`html` now among them) do not fill
    /// it yet.
    fn for_packing(&self, html: &[u8]) -> Option<&[u8]> {
        if let Some(bytes) = self.bytes.get() {
            return Some(bytes);
        }
        let mut gathered = self.gathered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bytes) = self.bytes.get() {
            return Some(bytes);
        }
        gathered.extend_from_slice(html);
        if gathered.len() < DICTIONARY_BYTES {
            return None;
        }
        let bytes = self.bytes.get_or_init(|| gathered[gathered.len() - DICTIONARY_BYTES..].into());
        *gathered = Vec::new();
        Some(bytes)
    }

    fn unpack(&self, packed: &PackedHtml) -> Html {
        // The bytes were made by `pack`, which set the dictionary before packing with it: these fail only if memory
        // is corrupt.
        let bytes = match packed.0.split_first() {
            None => Vec::new(),
            Some((&WITH_DICTIONARY, packed)) => {
                let dictionary = self.bytes.get().expect("the dictionary its body was packed with");
                lz4_flex::block::decompress_size_prepended_with_dict(packed, dictionary)
                    .expect("bytes compressed by Dictionary::pack")
            }
            Some((&UNPACKED, html)) => html.to_vec(),
            Some((_, packed)) => {
                lz4_flex::decompress_size_prepended(packed).expect("bytes compressed by Dictionary::pack")
            }
        };
        Html(bytes)
    }

    /// Whether `a` and `b` hold the same HTML, however each was packed.
    fn same(&self, a: &PackedHtml, b: &PackedHtml) -> bool {
        match (a.0.first(), b.0.first()) {
            (Some(x), Some(y)) if x != y => self.unpack(a) == self.unpack(b),
            _ => a.0 == b.0,
        }
    }
}

/// HTML kept LZ4-compressed; [`PackedHtml::unpack`] gives the text back.
#[derive(Clone, Default)]
pub struct PackedHtml(Box<[u8]>);

impl PackedHtml {
    /// Compresses `html`.
    pub fn new(html: &str) -> Self {
        DICTIONARY.pack(html)
    }

    /// The HTML, as it was given to [`PackedHtml::new`].
    pub fn unpack(&self) -> Html {
        DICTIONARY.unpack(self)
    }
}

/// Equal when the HTML is: a body packed before the dictionary was set and the same body packed after it are equal.
impl PartialEq for PackedHtml {
    fn eq(&self, other: &Self) -> bool {
        DICTIONARY.same(self, other)
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
        let dictionary = Dictionary::new();
        let before = dictionary.pack(&body(0));
        assert_eq!(before.0[0], PLAIN, "no dictionary until the first bodies fill it");
        let mut n = 1;
        while dictionary.bytes.get().is_none() {
            dictionary.pack(&body(n));
            n += 1;
        }
        assert_eq!(dictionary.bytes.get().map(|d| d.len()), Some(DICTIONARY_BYTES));
        let after = dictionary.pack(&body(0));
        assert_eq!(after.0[0], WITH_DICTIONARY);
        assert!(after.0.len() < before.0.len(), "packed smaller with a dictionary of like text");
        assert_eq!(dictionary.unpack(&before).as_str(), body(0));
        assert_eq!(dictionary.unpack(&after).as_str(), body(0));
        assert!(dictionary.same(&before, &after), "equal whichever way each was packed");
        assert!(!dictionary.same(&before, &dictionary.pack(&body(1))));
        assert!(!dictionary.same(&after, &dictionary.pack(&body(1))));
    }
}
