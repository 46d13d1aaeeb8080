//! Site search: an index built with the site and queried in the browser by `search.js`, so search needs no server
//! and a query downloads only the parts of the index its words are in.
//!
//! Written under `search/` in the output:
//! - `index.json`, the entry (short cache): each page's address, the first word of each index chunk with the
//!   chunk's file, and the filters (page numbers for each value).
//! - `i/<hash>.bin`, the chunks (named by their content, cached for good): words in byte order, each with its
//!   pages, how often and where the word occurs there, and whether it is in the title. Positions let a quoted
//!   phrase match only words side by side.
//!
//! The results' titles, dates and excerpts come from the pages themselves, which the script fetches for the
//! results it shows (and the browser then has when the reader opens one): no second copy of every page's text.
//!
//! Words are folded (`text::for_each_word`), so `cải cách`, `cai cach` and `CẢI CÁCH` meet. Same content, same
//! bytes: a deploy uploads only the chunks that changed.

mod text;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::fmt::Write as _;

use cchc_functions::hash::sha256_hex;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::BuildError;
use crate::site::{Kind, Page, Site};

pub use text::for_each_word;

/// Folder of the index in the output.
pub const BUNDLE_DIR: &str = "search";
/// The entry file, relative to the output root.
pub const ENTRY: &str = "search/index.json";
/// Chunks of the word index hold about this many bytes (a word with more pages gets a chunk of its own).
const CHUNK_BYTES: usize = 24 * 1024;
/// Positions of the title, the other fields and the body are this far apart, so a phrase never spans two of them.
const FIELD_GAP: u32 = 8;
/// Hex digits of a content hash in a file name.
const KEY_LEN: usize = 12;
/// Addresses are front-coded: each says how many leading bytes it shares with the previous one.
const URL_SEPARATOR: char = '\n';

/// One file of the index, relative to the output root.
pub struct IndexFile {
    /// E.g. `search/index.json`.
    pub rel: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Where one word occurs in one page.
struct Occurrences {
    in_title: bool,
    positions: Vec<u32>,
}

/// What one page gives the index.
struct Indexed {
    words: Vec<(String, Occurrences)>,
    filters: Vec<(&'static str, String)>,
}

/// Builds the index of every page that does not say `search: false`.
pub fn index(site: &Site) -> Result<Vec<IndexFile>, BuildError> {
    let pages: Vec<&Page> = site.pages.iter().filter(|p| p.meta.search).collect();
    let indexed: Vec<Indexed> = pages.par_iter().map(|page| index_page(site, page)).collect();

    let mut words: HashMap<&str, Vec<(u32, &Occurrences)>> = HashMap::new();
    let mut filters: BTreeMap<&str, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (id, page) in (0u32..).zip(&indexed) {
        for (word, occurrences) in &page.words {
            words.entry(word.as_str()).or_default().push((id, occurrences));
        }
        for (name, value) in &page.filters {
            filters.entry(name).or_default().entry(value.as_str()).or_default().push(id);
        }
    }
    let mut sorted: Vec<(&str, Vec<(u32, &Occurrences)>)> = words.into_iter().collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    let entries: Vec<Vec<u8>> = sorted.par_iter().map(|(word, pages)| encode_word(word, pages)).collect();

    let mut files = Vec::with_capacity(entries.len() / 8 + 2);
    let mut chunks: Vec<(&str, String)> = Vec::new();
    let mut chunk = Vec::with_capacity(CHUNK_BYTES * 2);
    let mut first = 0;
    for (i, entry) in entries.iter().enumerate() {
        chunk.extend_from_slice(entry);
        let last = i + 1 == entries.len();
        if chunk.len() >= CHUNK_BYTES || last {
            let rel = format!("{BUNDLE_DIR}/i/{}.bin", content_key(&chunk));
            chunks.push((sorted[first].0, rel.clone()));
            files.push(IndexFile { rel, bytes: std::mem::take(&mut chunk) });
            first = i + 1;
        }
    }
    let entry = Entry {
        pages: indexed.len(),
        urls: front_coded(pages.iter().map(|p| p.permalink.as_str())),
        chunks: chunks.iter().map(|(word, rel)| (*word, rel.trim_start_matches("search/"))).collect(),
        filters: filters
            .into_iter()
            .map(|(name, values)| (name, values.into_iter().map(|(v, ids)| (v, delta_list(&ids))).collect()))
            .collect(),
    };
    let entry = serde_json::to_vec(&entry).map_err(|e| BuildError::Search(e.to_string()))?;
    files.push(IndexFile { rel: ENTRY.to_string(), bytes: entry });
    Ok(files)
}

/// The entry file.
#[derive(Serialize)]
struct Entry<'a> {
    pages: usize,
    /// Each page's address in page order, front-coded: `<bytes shared with the previous one>,<the rest>`, one per
    /// line (`/tin-tuc/a/` then `/tin-tuc/b/` is `0,/tin-tuc/a/` and `9,b/`).
    urls: String,
    /// First word of each chunk, and its file relative to `search/`.
    chunks: Vec<(&'a str, &'a str)>,
    /// Filter → value → page numbers as differences (`3,1,1,7`: pages 3, 4, 5 and 12).
    filters: BTreeMap<&'a str, BTreeMap<&'a str, String>>,
}

fn index_page(site: &Site, page: &Page) -> Indexed {
    let mut filters = Vec::new();
    let section = top_section_title(site, page);
    filters.push(("muc", section.to_string()));
    let mut fields = String::new();
    let mut field = |text: &str| {
        if !fields.is_empty() {
            fields.push(' ');
        }
        fields.push_str(text);
    };
    match &page.kind {
        Kind::Document(document) => {
            let meta = &document.meta;
            filters.push(("co-quan", meta.issuer.label().to_string()));
            filters.push(("loai", meta.doc_type.clone()));
            filters.push(("nam", meta.signed.year().to_string()));
            field(&meta.doc_type);
            field(&meta.number);
            field(meta.issuing_body.as_deref().unwrap_or(meta.issuer.label()));
            document.attachments.iter().for_each(|a| field(&a.label));
        }
        Kind::Consultation(consultation) => consultation.attachments.iter().for_each(|a| field(&a.label)),
        Kind::Article | Kind::Video(_) => {}
    }
    if let Some(summary) = &page.meta.summary {
        field(summary);
    }
    let fields_end = fields.len();
    text::html_to_text(&page.rendered.html, &mut fields);

    let mut words: HashMap<String, Occurrences> = HashMap::new();
    let mut position = 0u32;
    let mut add = |text: &str, in_title: bool, position: &mut u32| {
        for_each_word(text, |word| {
            let occurrences = match words.get_mut(word) {
                Some(found) => found,
                None => words.entry(word.to_string()).or_insert(Occurrences { in_title, positions: Vec::new() }),
            };
            occurrences.in_title |= in_title;
            occurrences.positions.push(*position);
            *position += 1;
        });
        *position += FIELD_GAP;
    };
    add(&page.meta.title, true, &mut position);
    add(&fields[..fields_end], false, &mut position);
    add(&fields[fields_end..], false, &mut position);
    Indexed { words: words.into_iter().collect(), filters }
}

fn front_coded<'a>(urls: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut previous = "";
    for url in urls {
        // Counted in UTF-16 units, as the script's strings are.
        let (mut bytes, mut units) = (0, 0);
        for (a, b) in url.chars().zip(previous.chars()) {
            if a != b {
                break;
            }
            bytes += a.len_utf8();
            units += a.len_utf16();
        }
        if !out.is_empty() {
            out.push(URL_SEPARATOR);
        }
        let _ = write!(out, "{units},{}", &url[bytes..]);
        previous = url;
    }
    out
}

/// One word's entry in a chunk: the word, the length of what follows, the number of pages, then for each page
/// the difference from the previous page number, `occurrences × 2 + in title`, and the positions as differences.
/// All numbers are LEB128 varints.
fn encode_word(word: &str, pages: &[(u32, &Occurrences)]) -> Vec<u8> {
    let mut postings = Vec::with_capacity(pages.len() * 8);
    varint(&mut postings, pages.len() as u64);
    let mut previous_page = 0;
    for (page, occurrences) in pages {
        varint(&mut postings, u64::from(page - previous_page));
        previous_page = *page;
        varint(&mut postings, (occurrences.positions.len() as u64) << 1 | u64::from(occurrences.in_title));
        let mut previous = 0;
        for &position in &occurrences.positions {
            varint(&mut postings, u64::from(position - previous));
            previous = position;
        }
    }
    let mut entry = Vec::with_capacity(postings.len() + word.len() + 8);
    varint(&mut entry, word.len() as u64);
    entry.extend_from_slice(word.as_bytes());
    varint(&mut entry, postings.len() as u64);
    entry.extend_from_slice(&postings);
    entry
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn delta_list(ids: &[u32]) -> String {
    let mut out = String::with_capacity(ids.len() * 2);
    let mut previous = 0;
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", id - previous);
        previous = *id;
    }
    out
}

fn content_key(bytes: &[u8]) -> String {
    let mut key = sha256_hex(bytes);
    key.truncate(KEY_LEN);
    key
}

/// The title of the top-level section a page belongs to (`Văn bản` for a page under `van-ban/chinh-phu/`); the
/// home page's for pages at the root.
fn top_section_title<'a>(site: &'a Site, page: &Page) -> &'a str {
    let chain = site.ancestors(page.section);
    &site.sections[chain.get(1).copied().unwrap_or(chain[0])].meta.title
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
        let mut n = 0;
        let mut shift = 0;
        loop {
            let b = bytes[*at];
            *at += 1;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return n;
            }
            shift += 7;
        }
    }

    #[test]
    fn a_word_entry_reads_back() {
        let title = Occurrences { in_title: true, positions: vec![0, 130] };
        let body = Occurrences { in_title: false, positions: vec![200] };
        let bytes = encode_word("cach", &[(3, &title), (300, &body)]);
        let mut at = 0;
        let len = read_varint(&bytes, &mut at) as usize;
        assert_eq!(&bytes[at..at + len], b"cach");
        at += len;
        let postings = read_varint(&bytes, &mut at) as usize;
        assert_eq!(at + postings, bytes.len());
        let read: Vec<u64> = std::iter::from_fn(|| (at < bytes.len()).then(|| read_varint(&bytes, &mut at))).collect();
        assert_eq!(read, [2, 3, 2 << 1 | 1, 0, 130, 297, 1 << 1, 200]);
    }

    #[test]
    fn addresses_are_front_coded() {
        let urls = ["/tin-tuc/a/", "/tin-tuc/b/", "/van-ban/đổi-mới/", "/van-ban/đổi-mới-2/"];
        assert_eq!(front_coded(urls.into_iter()), "0,/tin-tuc/a/\n9,b/\n1,van-ban/đổi-mới/\n16,-2/");
    }

    #[test]
    fn filter_lists_are_differences() {
        assert_eq!(delta_list(&[3, 4, 5, 12]), "3,1,1,7");
        assert_eq!(delta_list(&[]), "");
    }
}
