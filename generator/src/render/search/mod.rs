//! Site search: an index built with the site and queried in the browser by `search.js`, so search needs no server
//! and a query downloads only the parts of the index its words and its results are in.
//!
//! Written under `search/` in the output:
//! - `index.json`, the entry (short cache, revalidated): the number of pages, the section names, the top of the word
//!   directory, the top of the address directory, and each filter's values with their page counts and the file of
//!   their pages. Nothing in it grows with every page or every word.
//! - `i/<hash>.*`, everything else, named by its content (cached for good; a deploy uploads only what changed):
//!   - `.bin`, word chunks: words in byte order, each with its pages, how often it occurs there and whether it is
//!     in the title; and the name of the chunk's positions file.
//!   - `.pos`, positions files: where each word of one word chunk occurs on each of its pages, read only for quoted
//!     phrases (a phrase matches only words side by side).
//!   - `.txt` address chunks: the address and section of [`PAGES_PER_ADDRESS_CHUNK`] pages in page order, read
//!     for the results shown.
//!   - `.txt` filter lists: the pages of one filter value, read when that filter is chosen.
//!   - `.json` directory pages: a list of chunks longer than [`FANOUT`] is cut into directory pages of [`FANOUT`]
//!     entries, listed by the level above (a B-tree of depth `depth`), so the entry names at most [`FANOUT`] files
//!     of each list however large the site.
//!
//! The results' titles, dates and excerpts come from the pages themselves, which the script fetches for the
//! results it shows (and the browser then has when the reader opens one): no second copy of every page's text.
//! The first result's page is fetched alone, the others after it.
//!
//! What a first query downloads before its first result, gzipped (figures from `tests/bench/search.py`, whose
//! table is in `tests/bench/README.md`):
//! - the entry: at most 128 word keys and 128 page numbers with a 12-hex-digit name each, and the filter values:
//!   0.7 KB at 10,000 pages, at most about 5 KB plus about 40 bytes a filter value at any size (was: every address
//!   and every filter's page list, 104 KB at 38,000 pages);
//! - per level of depth, one directory page per list (about 2.5 KB): depth 1 past 128 word chunks (about 1 MB of
//!   page lists), depth 2 past 16,384;
//! - one word chunk per query word (8 KB of page lists, 3-5 KB gzipped, unless a single word's list is longer);
//! - one address chunk (64 addresses, 0.1-1 KB) and the first result's page (5-10 KB).
//!
//! So a query of three words found on a few thousand pages each stays about 30 KB at any size (2 KB entry, 4 KB
//! of directory pages at depth 1, 3 × 5 KB word chunks, 1 KB of addresses, an 8 KB page). What still grows with
//! the site is a single word's page list, about 2 bytes a page it is on: a word on every page of a 10,000-page
//! site is a chunk of 25 KB (8-10 KB gzipped), of 38,000 pages about 30 KB gzipped. A query of three such words
//! passes the budget at 10,000 pages; reaching it there needs page lists cut in blocks read as the results are
//! shown (best pages first), which this format does not do. A quoted phrase also reads its words' positions files
//! (up to `POSITIONS_BYTES` each unless one word's positions fill more: hundreds of kilobytes for words on every
//! page).
//!
//! Words are folded (`text::for_each_word`), so `cải cách`, `cai cach` and `CẢI CÁCH` meet.

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
const CHUNK_BYTES: usize = 8 * 1024;
/// A word chunk also ends when its positions file reaches this size, so that a quoted phrase of common words
/// downloads about its own words' positions, not those of every word beside them.
const POSITIONS_BYTES: usize = 32 * 1024;
/// Pages whose addresses one address chunk holds.
pub const PAGES_PER_ADDRESS_CHUNK: usize = 64;
/// Entries of one directory level: the entry's lists and each directory page hold at most this many.
pub const FANOUT: usize = 128;
/// Positions of the title, the other fields and the body are this far apart, so a phrase never spans two of them.
const FIELD_GAP: u32 = 8;
/// Hex digits of a content hash in a file name.
const KEY_LEN: usize = 12;
/// Folder of the content-named files, relative to [`BUNDLE_DIR`].
const CHUNK_DIR: &str = "i";

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

/// The section filter, whose values are also each result's section.
const SECTION_FILTER: &str = "muc";

/// Pages indexed side by side before their words join the page lists: what one page gives (every distinct word
/// with its positions, ~100 bytes a word) is held only for the pages of one batch, not for the whole site.
const BATCH: usize = 256;

/// One word's page list and positions, encoded as its pages arrive (in page order), so the index holds only the
/// encoded bytes. `append_to` writes the word's entries in its word chunk and in that chunk's positions file. Each is
/// the word, the length of what follows, then what follows. In the word chunk: the number of pages, then for each
/// page the difference from the previous page number and `occurrences × 2 + in title`. In the positions file: for
/// each page in the same order, its `occurrences` positions as differences. All numbers are LEB128 varints.
/// Positions are needed only for quoted phrases and are most of the bytes (a word on every page of a large site has
/// its page list in a few kilobytes, its positions in hundreds), so a query without quotes never downloads them.
#[derive(Default)]
struct WordList {
    pages: u32,
    last_page: u32,
    postings: Vec<u8>,
    positions: Vec<u8>,
}

impl WordList {
    fn push(&mut self, page: u32, occurrences: &Occurrences) {
        varint(&mut self.postings, u64::from(page - self.last_page));
        self.last_page = page;
        self.pages += 1;
        varint(&mut self.postings, (occurrences.positions.len() as u64) << 1 | u64::from(occurrences.in_title));
        let mut previous = 0;
        for &position in &occurrences.positions {
            varint(&mut self.positions, u64::from(position - previous));
            previous = position;
        }
    }

    /// Appends the word's entries to its word chunk and to that chunk's positions file.
    fn append_to(&self, word: &str, chunk: &mut Vec<u8>, positions: &mut Vec<u8>) {
        let mut count = Vec::with_capacity(5);
        varint(&mut count, u64::from(self.pages));
        append_entry(chunk, word, &[&count, &self.postings]);
        append_entry(positions, word, &[&self.positions]);
    }
}

/// Builds the index of every page that does not say `search: false`.
pub fn index(site: &Site) -> Result<Vec<IndexFile>, BuildError> {
    let pages: Vec<&Page> = site.pages.iter().map(|p| &**p).filter(|p| p.meta.search).collect();
    let mut words: HashMap<String, WordList> = HashMap::new();
    let mut page_filters: Vec<Vec<(&'static str, String)>> = Vec::with_capacity(pages.len());
    for (batch, group) in (0u32..).zip(pages.chunks(BATCH)) {
        let indexed: Vec<Indexed> = group.par_iter().map(|page| index_page(site, page)).collect();
        for (id, page) in (batch * BATCH as u32..).zip(indexed) {
            for (word, occurrences) in page.words {
                match words.get_mut(word.as_str()) {
                    Some(list) => list.push(id, &occurrences),
                    None => words.entry(word).or_default().push(id, &occurrences),
                }
            }
            page_filters.push(page.filters);
        }
    }
    let mut filters: BTreeMap<&str, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (id, page) in (0u32..).zip(&page_filters) {
        for (name, value) in page {
            filters.entry(name).or_default().entry(value.as_str()).or_default().push(id);
        }
    }
    let mut sorted: Vec<(&str, &WordList)> = words.iter().map(|(word, list)| (word.as_str(), list)).collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(b.0));

    let mut files = Files::default();
    let mut word_chunks: Vec<(&str, String)> = Vec::new();
    let (mut chunk, mut positions) = (Vec::with_capacity(CHUNK_BYTES * 2), Vec::new());
    let mut first = 0;
    for (i, (word, list)) in sorted.iter().enumerate() {
        list.append_to(word, &mut chunk, &mut positions);
        let last = i + 1 == sorted.len();
        if chunk.len() >= CHUNK_BYTES || positions.len() >= POSITIONS_BYTES || last {
            let positions_file = files.add(std::mem::take(&mut positions), "pos");
            let mut bytes = Vec::with_capacity(chunk.len() + 32);
            varint(&mut bytes, positions_file.len() as u64);
            bytes.extend_from_slice(positions_file.as_bytes());
            bytes.append(&mut chunk);
            word_chunks.push((sorted[first].0, files.add(bytes, "bin")));
            first = i + 1;
        }
    }

    let sections: Vec<&str> =
        filters.get(SECTION_FILTER).map(|values| values.keys().copied().collect()).unwrap_or_default();
    let mut address_chunks: Vec<(u32, String)> = Vec::new();
    for (n, group) in (0u32..).zip(pages.chunks(PAGES_PER_ADDRESS_CHUNK)) {
        let first_page = n * PAGES_PER_ADDRESS_CHUNK as u32;
        let addresses = group.iter().zip(&page_filters[first_page as usize..]).map(|(page, filters)| {
            let section = filters.iter().find(|(name, _)| *name == SECTION_FILTER);
            let section = section.and_then(|(_, title)| sections.binary_search(&title.as_str()).ok()).unwrap_or(0);
            (section, page.permalink.as_str())
        });
        address_chunks.push((first_page, files.add(address_chunk(addresses).into_bytes(), "txt")));
    }

    let filters = filters
        .into_iter()
        .map(|(name, values)| {
            let values = values
                .into_iter()
                .map(|(value, ids)| (value, (ids.len(), files.add(delta_list(&ids).into_bytes(), "txt"))))
                .collect();
            (name, values)
        })
        .collect();
    let entry = Entry {
        pages: pages.len(),
        sections,
        words: files.tree(word_chunks)?,
        addresses: files.tree(address_chunks)?,
        filters,
    };
    let entry = serde_json::to_vec(&entry).map_err(|e| BuildError::Search(e.to_string()))?;
    let mut files = files.list;
    files.push(IndexFile { rel: ENTRY.to_string(), bytes: entry });
    Ok(files)
}

/// The entry file.
#[derive(Serialize)]
struct Entry<'a> {
    pages: usize,
    /// The section names, in the order address chunks number them.
    sections: Vec<&'a str>,
    /// First word of each word chunk (or directory page), and its file relative to `search/`.
    words: Tree<&'a str>,
    /// First page number of each address chunk (or directory page), and its file.
    addresses: Tree<u32>,
    /// Filter → value → (number of pages, the file listing them).
    filters: BTreeMap<&'a str, BTreeMap<&'a str, (usize, String)>>,
}

/// The top of a list of chunks: `list` names chunks when `depth` is 0, else directory pages whose lists are one
/// level less deep. Each entry is the first key its file covers, and the file relative to `search/`.
#[derive(Serialize)]
struct Tree<K> {
    depth: u32,
    list: Vec<(K, String)>,
}

/// The content-named files of the index, each once.
#[derive(Default)]
struct Files {
    list: Vec<IndexFile>,
    names: std::collections::HashSet<String>,
}

impl Files {
    /// Stores `bytes` under a name made of their hash; returns that name relative to `search/`.
    fn add(&mut self, bytes: Vec<u8>, extension: &str) -> String {
        let rel = format!("{CHUNK_DIR}/{}.{extension}", content_key(&bytes));
        if self.names.insert(rel.clone()) {
            self.list.push(IndexFile { rel: format!("{BUNDLE_DIR}/{rel}"), bytes });
        }
        rel
    }

    /// Cuts `level` into directory pages of [`FANOUT`] entries, and those into pages of their own, until the top
    /// fits in [`FANOUT`].
    fn tree<K: Serialize + Clone>(&mut self, mut level: Vec<(K, String)>) -> Result<Tree<K>, BuildError> {
        let mut depth = 0;
        while level.len() > FANOUT {
            let mut up = Vec::with_capacity(level.len().div_ceil(FANOUT));
            for group in level.chunks(FANOUT) {
                let bytes = serde_json::to_vec(group).map_err(|e| BuildError::Search(e.to_string()))?;
                up.push((group[0].0.clone(), self.add(bytes, "json")));
            }
            level = up;
            depth += 1;
        }
        Ok(Tree { depth, list: level })
    }
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

/// An address chunk: one line per page, `<section number>,<UTF-16 units shared with the previous address>,<the
/// rest>` (`/tin-tuc/a/` then `/tin-tuc/b/` in section 2 is `2,0,/tin-tuc/a/` and `2,9,b/`). Units, not bytes,
/// because the script's strings count in UTF-16.
fn address_chunk<'a>(pages: impl Iterator<Item = (usize, &'a str)>) -> String {
    let mut out = String::new();
    let mut previous = "";
    for (section, url) in pages {
        let (mut bytes, mut units) = (0, 0);
        for (a, b) in url.chars().zip(previous.chars()) {
            if a != b {
                break;
            }
            bytes += a.len_utf8();
            units += a.len_utf16();
        }
        let _ = writeln!(out, "{section},{units},{}", &url[bytes..]);
        previous = url;
    }
    out
}

/// Appends `word`, the length of `parts` together, then `parts`.
fn append_entry(out: &mut Vec<u8>, word: &str, parts: &[&[u8]]) {
    varint(out, word.len() as u64);
    out.extend_from_slice(word.as_bytes());
    varint(out, parts.iter().map(|p| p.len() as u64).sum());
    parts.iter().for_each(|p| out.extend_from_slice(p));
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
        let mut list = WordList::default();
        list.push(3, &title);
        list.push(300, &body);
        let (mut pages, mut positions) = (Vec::new(), Vec::new());
        list.append_to("cach", &mut pages, &mut positions);
        let numbers = |bytes: &[u8]| {
            let mut at = 0;
            let len = read_varint(bytes, &mut at) as usize;
            assert_eq!(&bytes[at..at + len], b"cach");
            at += len;
            let rest = read_varint(bytes, &mut at) as usize;
            assert_eq!(at + rest, bytes.len());
            std::iter::from_fn(|| (at < bytes.len()).then(|| read_varint(bytes, &mut at))).collect::<Vec<u64>>()
        };
        assert_eq!(numbers(&pages), [2, 3, 2 << 1 | 1, 297, 1 << 1], "pages, occurrences, in title");
        assert_eq!(numbers(&positions), [0, 130, 200], "positions, page by page");
    }

    #[test]
    fn addresses_are_front_coded() {
        let urls = [(0, "/tin-tuc/a/"), (0, "/tin-tuc/b/"), (1, "/van-ban/đổi-mới/"), (1, "/van-ban/đổi-mới-2/")];
        assert_eq!(address_chunk(urls.into_iter()), "0,0,/tin-tuc/a/\n0,9,b/\n1,1,van-ban/đổi-mới/\n1,16,-2/\n");
    }

    #[test]
    fn long_lists_become_directory_pages_and_the_top_stays_small() {
        let mut files = Files::default();
        let leaves: Vec<(u32, String)> =
            (0..FANOUT as u32 * FANOUT as u32 + 1).map(|n| (n * 7, format!("i/{n}.txt"))).collect();
        let tree = files.tree(leaves).expect("a tree");
        assert_eq!(tree.depth, 2, "128 × 128 + 1 chunks need two levels of directory pages");
        assert_eq!(tree.list.len(), 2);
        assert_eq!(tree.list[1].0, (FANOUT * FANOUT) as u32 * 7, "each entry is the first key its file covers");
        let top: Vec<(u32, String)> = serde_json::from_slice(&files.list.last().expect("pages").bytes).expect("JSON");
        assert_eq!(top, [((FANOUT * FANOUT) as u32 * 7, top[0].1.clone())], "the last page of the upper level");
        assert!(files.list.iter().all(|f| f.rel.starts_with("search/i/") && f.rel.ends_with(".json")));
        let pages: Vec<Vec<(u32, String)>> =
            files.list.iter().map(|f| serde_json::from_slice(&f.bytes).expect("JSON")).collect();
        assert!(pages.iter().all(|p| p.len() <= FANOUT));
        assert_eq!(pages.len(), FANOUT + 1 + 2, "129 pages of the lower level, 2 of the upper");

        let small = Files::default().tree(vec![("a", "i/x.bin".to_string())]).expect("a tree");
        assert_eq!((small.depth, small.list.len()), (0, 1), "a small site keeps its chunks in the entry");
    }

    #[test]
    fn the_same_bytes_are_one_file() {
        let mut files = Files::default();
        let a = files.add(b"1,2".to_vec(), "txt");
        assert_eq!(files.add(b"1,2".to_vec(), "txt"), a);
        assert_eq!(files.list.len(), 1);
        assert_eq!(a.len(), "i/".len() + KEY_LEN + ".txt".len());
    }

    #[test]
    fn filter_lists_are_differences() {
        assert_eq!(delta_list(&[3, 4, 5, 12]), "3,1,1,7");
        assert_eq!(delta_list(&[]), "");
    }
}
