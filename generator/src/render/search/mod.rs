//! Site search: an index built with the site and queried in the browser by `search.js`, so search needs no server
//! and a query downloads only the parts of the index its words and its results are in.
//!
//! Written under `search/` in the output:
//! - `index.json`, the entry (short cache, revalidated): the number of pages, the section names, the top of the word
//!   directory, the top of the address directory, and each filter's values with their page counts and the file of
//!   their pages. Nothing in it grows with every page or every word.
//! - `i/<hash>.*`, everything else, named by its content (cached for good; a deploy uploads only what changed):
//!   - `.bin`, word chunks: words in byte order, each with its *head*: the `HEAD_PAGES` pages where it weighs
//!     most (all its pages, for most words), with how often it occurs on each and whether it is in the title. A word
//!     on more pages also names the further *blocks* of its list, each `BLOCK_GROWTH` times the one before, the
//!     pages where it weighs less and less, with the weight of the weightiest page in each. Blocks are chunks of
//!     the same form, one set per level (every word's first block in the chunks of level 1, …). Each chunk begins
//!     with the name of its positions file. The entries of a cut list (a word on more than `HEAD_PAGES` pages: its
//!     head, its blocks) give after their pages the offset of their positions in that file and the byte length of
//!     each [`GROUP_PAGES`] pages' positions.
//!   - `.pos`, positions files: where each word of one chunk occurs on each of its pages, read only for quoted
//!     phrases (a phrase matches only words side by side): a byte range of one group of pages to check a phrase's
//!     first results, whole files for the rest.
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
//! How a query reads it (`search.js`): each query word's head, then its blocks one level at a time, until the first
//! results are certain: a page all of whose words' lists have been read far enough is ranked, and a result is
//! certain once it outscores the most any other page could still score in the blocks not read (the threshold
//! algorithm of Fagin, Lotem and Naor). For a quoted phrase, the certain candidates are then checked best first from
//! their words' positions on that page alone (one group's byte range a word), up to 16 of them. Those results are
//! listed; then the rest of the lists is read and the whole ranking replaces them, the same results first.
//!
//! What a first query downloads before its first result, gzipped (figures from `tests/bench/search.py`, whose
//! table is in `tests/bench/README.md`):
//! - the entry: at most 128 word keys and 128 page numbers with a 12-hex-digit name each, and the filter values:
//!   2 KB at 10,000 pages, at most about 5 KB plus about 40 bytes a filter value at any size (was: every address
//!   and every filter's page list, 104 KB at 38,000 pages);
//! - per level of depth, one directory page per list (about 2.5 KB): depth 1 past 128 word chunks, depth 2 past
//!   16,384;
//! - one word chunk per query word (at most `HEAD_PAGES` pages of each word, 0.5-2 KB gzipped), and the blocks
//!   the ranking needs (none when the words weigh most on the same pages; a 1,024-page block is 2-3 KB);
//! - one address chunk (64 addresses, 0.1-1 KB) and the first result's page (5-10 KB).
//!
//! So a query reads 10-20 KB before its first result at 10,000 pages, even of words found on every page, and does
//! not grow with the site unless its words weigh most on different pages. A quoted phrase also reads one group's
//! positions of each word for each candidate it checks (a few hundred bytes for a word on every page): 12 KB for a
//! phrase of five such words at 10,000 pages (46 KB when it read its words' heads' positions whole). The offsets
//! and groups' lengths cost a query of common words 0.1-1.3 KB.
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
/// Pages in a word's head: the pages where it weighs most, read first; the blocks of the rest are read only as far
/// as the first results need, and whole once they are listed. So what a query reads before its first result does not
/// grow with the number of pages its words are on.
const HEAD_PAGES: usize = 256;
/// Each block of a word's list after its head holds this many times the pages of the one before.
const BLOCK_GROWTH: usize = 4;
/// A word chunk of heads ends when its positions file reaches this size: a quoted phrase reads the positions of its
/// words' lists read whole (256 pages or fewer, which say nowhere where each page's are) as whole files.
const HEAD_POSITIONS_BYTES: usize = 8 * 1024;
/// Pages whose addresses one address chunk holds.
pub const PAGES_PER_ADDRESS_CHUNK: usize = 64;
/// Entries of one directory level: the entry's lists and each directory page hold at most this many.
pub const FANOUT: usize = 128;
/// Pages of one *group* of a part's positions: each entry of a cut list gives the byte length of each group's
/// positions, so that a quoted phrase's first result can be checked by reading a few hundred bytes of each word's
/// positions (an HTTP range) rather than whole positions files.
const GROUP_PAGES: usize = 8;
/// Positions of the title, the other fields and the body are this far apart, so a phrase never spans two of them.
const FIELD_GAP: u32 = 8;
/// The layout of the index's files, which `search.js` checks (its `FORMAT`): a page open in a browser across a
/// deploy that changed the layout holds the script of the old one. Raised with every change a script of the other
/// layout would misread (3: the offsets and group lengths of cut lists).
const FORMAT: u32 = 3;
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

/// A page's words as they are read: where each occurs, and whether in the title.
#[derive(Default)]
struct PageWords {
    words: HashMap<String, Occurrences>,
    position: u32,
}

impl PageWords {
    fn add(&mut self, word: &str, in_title: bool) {
        let occurrences = match self.words.get_mut(word) {
            Some(found) => found,
            None => self.words.entry(word.to_string()).or_insert(Occurrences { in_title, positions: Vec::new() }),
        };
        occurrences.in_title |= in_title;
        occurrences.positions.push(self.position);
        self.position += 1;
    }

    /// A phrase does not run from one field into the next.
    fn end_field(&mut self) {
        self.position += FIELD_GAP;
    }
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
/// encoded bytes: for each page the difference from the previous page number and `occurrences × 2 + in title`
/// (the page's *flags*), and apart from them each page's positions as differences. All numbers are LEB128 varints.
#[derive(Default)]
struct WordList {
    pages: u32,
    last_page: u32,
    postings: Vec<u8>,
    positions: Vec<u8>,
}

impl WordList {
    fn push(&mut self, page: u32, occurrences: &Occurrences) {
        // At most two varints of 10 bytes, and one of 5 bytes a position.
        grow_gently(&mut self.postings, 20);
        grow_gently(&mut self.positions, occurrences.positions.len() * 5);
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

    /// Cuts the list into blocks by weight: its head, the [`HEAD_PAGES`] pages where the word weighs most, then
    /// blocks each [`BLOCK_GROWTH`] times the one before, the last holding the rest. Each block is in page order;
    /// each after the head comes with the flags of its weightiest page.
    fn split(self) -> (Part, Vec<(Part, u64)>) {
        if self.pages as usize <= HEAD_PAGES {
            let whole =
                Part { pages: self.pages, postings: self.postings, positions: self.positions, groups: Vec::new() };
            return (whole, Vec::new());
        }
        let mut postings: Vec<Posting> = postings(&self.postings, &self.positions).collect();
        // Weightiest first. A weight is positive, so its bits order as it does; each is worked out once.
        postings.sort_by_cached_key(|p| (std::cmp::Reverse(weight(p.flags).to_bits()), p.page));
        let part = |postings: &mut [Posting]| {
            postings.sort_unstable_by_key(|p| p.page);
            let (mut postings_bytes, mut positions, mut ends) = (Vec::new(), Vec::new(), Vec::new());
            let mut previous = 0;
            for posting in postings.iter() {
                varint(&mut postings_bytes, u64::from(posting.page - previous));
                varint(&mut postings_bytes, posting.flags);
                positions.extend_from_slice(&self.positions[posting.positions.clone()]);
                ends.push(positions.len());
                previous = posting.page;
            }
            let groups = group_lengths(ends, postings.len());
            Part { pages: postings.len() as u32, postings: postings_bytes, positions, groups }
        };
        let (head, mut rest) = postings.split_at_mut(HEAD_PAGES);
        let mut blocks = Vec::new();
        let mut size = HEAD_PAGES * BLOCK_GROWTH;
        while !rest.is_empty() {
            let (block, after) = rest.split_at_mut(size.min(rest.len()));
            let bound = block[0].flags;
            blocks.push((part(block), bound));
            rest = after;
            size *= BLOCK_GROWTH;
        }
        (part(head), blocks)
    }
}

/// Makes room for `more` bytes at the end of `bytes`, growing it by an eighth rather than doubling it: the lists
/// are the index's memory (90 MB at 50,000 pages), and doubling left them a third empty on average (142 MB held).
/// The extra copies (each byte up to nine times) were not visible in the build's user time.
fn grow_gently(bytes: &mut Vec<u8>, more: usize) {
    if bytes.capacity() - bytes.len() < more {
        bytes.reserve_exact(more.max(bytes.len() / 8).max(64));
    }
}

/// Reads back a list encoded as [`WordList`] encodes it: each page with its flags and where its positions are.
fn postings<'a>(postings: &'a [u8], positions: &'a [u8]) -> impl Iterator<Item = Posting> + 'a {
    let (mut at, mut at_positions, mut page) = (0, 0, 0u32);
    std::iter::from_fn(move || {
        if at >= postings.len() {
            return None;
        }
        page += read_varint(postings, &mut at) as u32;
        let flags = read_varint(postings, &mut at);
        let start = at_positions;
        for _ in 0..flags >> 1 {
            read_varint(positions, &mut at_positions);
        }
        Some(Posting { page, flags, positions: start..at_positions })
    })
}

/// A page of one word's list, decoded to be sorted by weight.
struct Posting {
    page: u32,
    flags: u64,
    /// Its positions' bytes in the word's positions.
    positions: std::ops::Range<usize>,
}

/// Where a block of a word's list after its head went: its chunk (numbered in the order that level's chunks are
/// written), the flags of its weightiest page, and its number of pages.
struct Block {
    chunk: usize,
    bound: u64,
    pages: u32,
}

/// Part of a word's list, encoded as [`WordList`] encodes it.
struct Part {
    pages: u32,
    postings: Vec<u8>,
    positions: Vec<u8>,
    /// The [`group_lengths`] of its positions, for a part of a cut list (empty for a list read whole, whose
    /// positions are read whole).
    groups: Vec<u8>,
}

/// The byte length of the positions of each [`GROUP_PAGES`] pages, in page order, as varints, from where each
/// page's positions end: where the script finds one page's positions in a positions file without reading the rest.
fn group_lengths(ends: impl IntoIterator<Item = usize>, pages: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(pages.div_ceil(GROUP_PAGES) * 2);
    let mut start = 0;
    for (n, end) in (1..).zip(ends) {
        if n % GROUP_PAGES == 0 || n == pages {
            varint(&mut out, (end - start) as u64);
            start = end;
        }
    }
    out
}

/// How much a word weighs on a page, from the page's flags: what `search.js` multiplies by the word's rarity,
/// `ln(1 + occurrences) + 4 if it is in the title`.
fn weight(flags: u64) -> f64 {
    ((flags >> 1) as f64 + 1.0).ln() + if flags & 1 == 1 { 4.0 } else { 0.0 }
}

/// Word chunks being filled, and the files they become.
struct ChunkWriter {
    /// A chunk ends when its positions file reaches this size.
    positions_limit: usize,
    chunk: Vec<u8>,
    positions: Vec<u8>,
    first: Option<String>,
    done: Vec<(String, String)>,
}

impl ChunkWriter {
    fn new(positions_limit: usize) -> Self {
        let chunk = Vec::with_capacity(CHUNK_BYTES * 2);
        Self { positions_limit, chunk, positions: Vec::new(), first: None, done: Vec::new() }
    }

    /// Appends `word`'s entry (`entry` in the chunk, `positions` in its positions file), in a chunk of its own if
    /// its positions alone would fill one, and closes the chunk once it is full. With `locate`, the offset of the
    /// word's positions in the positions file goes before that part of the entry. Returns the number of the chunk the
    /// word is in (its file is `done[number]` once closed).
    fn add(
        &mut self,
        files: &mut Files<'_>,
        word: &str,
        entry: &[&[u8]],
        positions: &[u8],
        locate: Option<usize>,
    ) -> usize {
        if self.first.is_some() && self.positions.len() + positions.len() >= self.positions_limit {
            self.close(files);
        }
        let number = self.done.len();
        append_entry(&mut self.positions, word, &[positions]);
        let mut offset = Vec::with_capacity(5);
        let mut parts = entry.to_vec();
        if let Some(at) = locate {
            varint(&mut offset, (self.positions.len() - positions.len()) as u64);
            parts.insert(at, &offset);
        }
        append_entry(&mut self.chunk, word, &parts);
        self.first.get_or_insert_with(|| word.to_string());
        if self.chunk.len() >= CHUNK_BYTES || self.positions.len() >= self.positions_limit {
            self.close(files);
        }
        number
    }

    /// Writes the chunk being filled, if any word is in it: its positions file's name, then its entries.
    fn close(&mut self, files: &mut Files<'_>) {
        let Some(first) = self.first.take() else { return };
        let positions_file = files.add(std::mem::take(&mut self.positions), "pos");
        let mut bytes = Vec::with_capacity(self.chunk.len() + 32);
        varint(&mut bytes, positions_file.len() as u64);
        bytes.extend_from_slice(positions_file.as_bytes());
        bytes.append(&mut self.chunk);
        self.done.push((first, files.add(bytes, "bin")));
    }
}

/// Builds the index of every page that does not say `search: false`, held in memory (the preview writes it only if
/// no later build has been written meanwhile).
pub fn index(site: &Site) -> Result<Vec<IndexFile>, BuildError> {
    let mut list = Vec::new();
    index_into(site, &mut |file| {
        list.push(file);
        Ok(())
    })?;
    Ok(list)
}

/// Builds the index as [`index`] does, giving each file to `sink` as soon as it is made rather than holding them
/// all (94 MB at 50,000 pages) until the last; returns how many files it gave. The first error `sink` returns ends
/// the index.
pub fn index_into(site: &Site, sink: &mut dyn FnMut(IndexFile) -> Result<(), BuildError>) -> Result<usize, BuildError> {
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
    let mut sorted: Vec<(String, WordList)> = words.into_iter().collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));

    // The blocks after the heads first, so that each head names their files; the heads wait (each holds at most
    // HEAD_PAGES pages). The n-th block of every word goes in the chunks of level n, read only by queries that need it.
    let mut files = Files::new(sink);
    let mut levels: Vec<ChunkWriter> = Vec::new();
    let mut heads: Vec<(String, Part, Vec<Block>)> = Vec::with_capacity(sorted.len());
    for (word, list) in sorted {
        let (head, blocks) = list.split();
        let blocks = (0..)
            .zip(blocks)
            .map(|(level, (block, bound))| {
                if levels.len() == level {
                    levels.push(ChunkWriter::new(POSITIONS_BYTES));
                }
                let mut count = Vec::with_capacity(5);
                varint(&mut count, u64::from(block.pages));
                let entry: [&[u8]; 3] = [&count, &block.postings, &block.groups];
                let chunk = levels[level].add(&mut files, &word, &entry, &block.positions, Some(2));
                Block { chunk, bound, pages: block.pages }
            })
            .collect();
        heads.push((word, head, blocks));
    }
    levels.iter_mut().for_each(|level| level.close(&mut files));
    let mut chunks = ChunkWriter::new(HEAD_POSITIONS_BYTES);
    for (word, head, blocks) in &heads {
        let mut numbers = Vec::with_capacity(10);
        varint(&mut numbers, u64::from(head.pages + blocks.iter().map(|b| b.pages).sum::<u32>()));
        varint(&mut numbers, u64::from(head.pages));
        let mut after = Vec::new();
        for (block, level) in blocks.iter().zip(&levels) {
            varint(&mut after, block.bound);
            let file = &level.done[block.chunk].1;
            varint(&mut after, file.len() as u64);
            after.extend_from_slice(file.as_bytes());
        }
        // A list read whole by every query has its positions read whole too: only a cut list says where they are.
        if blocks.is_empty() {
            chunks.add(&mut files, word, &[&numbers, &head.postings], &head.positions, None);
        } else {
            let entry: [&[u8]; 4] = [&numbers, &head.postings, &head.groups, &after];
            chunks.add(&mut files, word, &entry, &head.positions, Some(2));
        }
    }
    chunks.close(&mut files);
    let word_chunks = chunks.done;
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
        format: FORMAT,
        pages: pages.len(),
        sections,
        words: files.tree(word_chunks)?,
        addresses: files.tree(address_chunks)?,
        filters,
    };
    let entry = serde_json::to_vec(&entry).map_err(|e| BuildError::Search(e.to_string()))?;
    files.give(IndexFile { rel: ENTRY.to_string(), bytes: entry });
    files.finish()
}

/// The entry file.
#[derive(Serialize)]
struct Entry<'a> {
    /// [`FORMAT`].
    format: u32,
    pages: usize,
    /// The section names, in the order address chunks number them.
    sections: Vec<&'a str>,
    /// First word of each word chunk (or directory page), and its file relative to `search/`.
    words: Tree<String>,
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

/// The content-named files of the index, each given to the sink once, as it is made.
struct Files<'a> {
    sink: &'a mut dyn FnMut(IndexFile) -> Result<(), BuildError>,
    names: std::collections::HashSet<String>,
    given: usize,
    /// The sink's first error: later files are dropped, and [`Files::finish`] returns it.
    failed: Option<BuildError>,
}

impl<'a> Files<'a> {
    fn new(sink: &'a mut dyn FnMut(IndexFile) -> Result<(), BuildError>) -> Self {
        Self { sink, names: std::collections::HashSet::new(), given: 0, failed: None }
    }

    /// Gives `bytes` to the sink under a name made of their hash; returns that name relative to `search/`.
    fn add(&mut self, bytes: Vec<u8>, extension: &str) -> String {
        let rel = format!("{CHUNK_DIR}/{}.{extension}", content_key(&bytes));
        if self.names.insert(rel.clone()) {
            self.give(IndexFile { rel: format!("{BUNDLE_DIR}/{rel}"), bytes });
        }
        rel
    }

    /// Gives `file` to the sink, unless the sink has failed already.
    fn give(&mut self, file: IndexFile) {
        if self.failed.is_none() {
            match (self.sink)(file) {
                Ok(()) => self.given += 1,
                Err(error) => self.failed = Some(error),
            }
        }
    }

    /// How many files the sink took, or its first error.
    fn finish(self) -> Result<usize, BuildError> {
        self.failed.map_or(Ok(self.given), Err)
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
    let mut words = PageWords::default();
    for_each_word(&page.meta.title, |word| words.add(word, true));
    words.end_field();
    // The fields besides title and body count as one: a phrase may run from one into the next.
    let mut field = |text: &str| for_each_word(text, |word| words.add(word, false));
    match &page.kind {
        Kind::Document(document) => {
            let meta = &document.meta;
            filters.push(("co-quan", meta.issuer.label().to_string()));
            filters.push(("loai", meta.doc_type.name.clone()));
            filters.push(("nam", meta.signed.year().to_string()));
            field(&meta.doc_type.name);
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
    words.end_field();
    text::for_each_word_of_html(page.rendered.html.unpack().as_str(), |word| words.add(word, false));
    words.end_field();
    Indexed { words: words.words.into_iter().collect(), filters }
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

/// Reads the varint at `at` of bytes this module wrote, and moves `at` past it.
fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut n = 0;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    n
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

    /// A part's pages as the script reads them: (page, flags, positions).
    fn decode(part: &Part) -> Vec<(u32, u64, Vec<u64>)> {
        let decoded: Vec<Posting> = postings(&part.postings, &part.positions).collect();
        let ends = decoded.last().map_or(0, |p| p.positions.end);
        assert_eq!((decoded.len(), ends), (part.pages as usize, part.positions.len()), "counts agree");
        let pages = decoded.into_iter().map(|posting| {
            let (mut at, mut position) = (0, 0);
            let bytes = &part.positions[posting.positions];
            let positions = std::iter::from_fn(|| {
                (at < bytes.len()).then(|| {
                    position += read_varint(bytes, &mut at);
                    position
                })
            });
            (posting.page, posting.flags, positions.collect())
        });
        pages.collect()
    }

    #[test]
    fn a_short_list_is_its_head_in_page_order() {
        let mut list = WordList::default();
        list.push(3, &Occurrences { in_title: true, positions: vec![0, 130] });
        list.push(300, &Occurrences { in_title: false, positions: vec![200] });
        let (head, blocks) = list.split();
        assert!(blocks.is_empty());
        assert_eq!(decode(&head), [(3, 2 << 1 | 1, vec![0, 130]), (300, 1 << 1, vec![200])]);
        // 297 as a varint: its low 7 bits with the high bit set (0x80 | 41), then 297 >> 7.
        assert_eq!(head.postings, [3, 2 << 1 | 1, 0x80 | 41, 2, 1 << 1], "varint differences and flags");
    }

    #[test]
    fn a_long_list_is_cut_by_weight_into_growing_blocks() {
        let pages = HEAD_PAGES as u32 * 6;
        let mut list = WordList::default();
        for page in 0..pages {
            // 1 to 7 occurrences; one page has the word in its title, which outweighs any count here.
            let positions = (0..page % 7 + 1).map(|i| page * 10 + i).collect();
            list.push(page * 2, &Occurrences { in_title: page == 1000, positions });
        }
        let (head, blocks) = list.split();
        for part in std::iter::once(&head).chain(blocks.iter().map(|(b, _)| b)) {
            let ends = postings(&part.postings, &part.positions).map(|p| p.positions.end);
            assert_eq!(part.groups, group_lengths(ends, part.pages as usize), "each part's groups made as it is cut");
        }
        let sizes: Vec<u32> = blocks.iter().map(|(b, _)| b.pages).collect();
        assert_eq!(sizes, [HEAD_PAGES as u32 * BLOCK_GROWTH as u32, pages - 5 * HEAD_PAGES as u32]);
        let head = decode(&head);
        assert_eq!(head.len(), HEAD_PAGES);
        assert!(head.iter().any(|(page, flags, _)| *page == 2000 && flags & 1 == 1), "the title page is in the head");
        let mut seen = Vec::new();
        let mut above = f64::INFINITY;
        for part in std::iter::once(head).chain(blocks.iter().map(|(b, bound)| {
            let decoded = decode(b);
            let weightiest = decoded.iter().map(|(_, f, _)| weight(*f)).fold(f64::MIN, f64::max);
            assert_eq!(weight(*bound), weightiest, "a block's bound is its weightiest page");
            decoded
        })) {
            assert!(part.windows(2).all(|w| w[0].0 < w[1].0), "each part in page order");
            let weights: Vec<f64> = part.iter().map(|(_, f, _)| weight(*f)).collect();
            assert!(weights.iter().all(|w| *w <= above), "no page outweighs one of an earlier part");
            above = weights.iter().copied().fold(f64::INFINITY, f64::min);
            for (page, flags, positions) in &part {
                let n = page / 2;
                assert_eq!(positions, &(0..u64::from(n % 7 + 1)).map(|i| u64::from(n) * 10 + i).collect::<Vec<_>>());
                assert_eq!(flags >> 1, positions.len() as u64);
            }
            seen.extend(part.iter().map(|(page, _, _)| *page));
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..pages).map(|p| p * 2).collect::<Vec<_>>(), "every page once");
    }

    #[test]
    fn group_lengths_cut_the_positions_at_every_eighth_page() {
        let mut list = WordList::default();
        for page in 0..GROUP_PAGES as u32 * 2 + 3 {
            // 1 to 3 positions, some past 127 (two bytes as a varint).
            let positions = (0..page % 3 + 1).map(|i| page * 50 + i).collect();
            list.push(page, &Occurrences { in_title: false, positions });
        }
        let (head, _) = list.split();
        let pages = decode(&head);
        let (mut at, mut lengths) = (0, Vec::new());
        let ends = postings(&head.postings, &head.positions).map(|p| p.positions.end);
        let groups = group_lengths(ends, head.pages as usize);
        while at < groups.len() {
            lengths.push(read_varint(&groups, &mut at) as usize);
        }
        assert_eq!(lengths.len(), 3, "two whole groups and three pages");
        let mut start = 0;
        for (group, length) in pages.chunks(GROUP_PAGES).zip(&lengths) {
            // The group's bytes alone give its pages' positions, as the script reads them from a range.
            let bytes = &head.positions[start..start + length];
            let mut at = 0;
            for (_, flags, positions) in group {
                let mut position = 0;
                let read: Vec<u64> = (0..flags >> 1)
                    .map(|_| {
                        position += read_varint(bytes, &mut at);
                        position
                    })
                    .collect();
                assert_eq!(&read, positions);
            }
            assert_eq!(at, bytes.len(), "a group ends where its pages' positions do");
            start += length;
        }
        assert_eq!(start, head.positions.len());
    }

    #[test]
    fn each_entry_says_where_its_positions_are() {
        let mut given = Vec::new();
        let mut sink = |file: IndexFile| {
            given.push(file);
            Ok(())
        };
        let mut files = Files::new(&mut sink);
        let mut chunks = ChunkWriter::new(HEAD_POSITIONS_BYTES);
        chunks.add(&mut files, "công", &[b"a", b"z"], &[1, 2, 3], Some(1));
        chunks.add(&mut files, "khai", &[b"bc"], &[200, 1, 7], None);
        chunks.close(&mut files);
        assert_eq!(files.finish().ok(), Some(2));
        let (positions, chunk) = (&given[0].bytes, &given[1].bytes);
        assert!(given[0].rel.ends_with(".pos") && given[1].rel.ends_with(".bin"));
        let mut at = 0;
        let name_length = read_varint(chunk, &mut at) as usize;
        at += name_length;
        let mut entries = Vec::new();
        while at < chunk.len() {
            let length = read_varint(chunk, &mut at) as usize;
            let word = std::str::from_utf8(&chunk[at..at + length]).expect("a word");
            at += length;
            let size = read_varint(chunk, &mut at) as usize;
            entries.push((word, &chunk[at..at + size]));
            at += size;
        }
        assert_eq!(entries[0].0, "công");
        let (mut at, entry) = (1, entries[0].1);
        assert_eq!(entry[0], b'a', "the caller's first part");
        let offset = read_varint(entry, &mut at) as usize;
        assert_eq!(&positions[offset..offset + 3], [1, 2, 3], "the offset of its positions");
        assert_eq!(&entry[at..], b"z", "then the caller's other part");
        assert_eq!(entries[1], ("khai", &b"bc"[..]), "no offset unless asked for");
    }

    #[test]
    fn addresses_are_front_coded() {
        let urls = [(0, "/tin-tuc/a/"), (0, "/tin-tuc/b/"), (1, "/van-ban/đổi-mới/"), (1, "/van-ban/đổi-mới-2/")];
        assert_eq!(address_chunk(urls.into_iter()), "0,0,/tin-tuc/a/\n0,9,b/\n1,1,van-ban/đổi-mới/\n1,16,-2/\n");
    }

    #[test]
    fn long_lists_become_directory_pages_and_the_top_stays_small() {
        let mut list = Vec::new();
        let mut sink = |file| {
            list.push(file);
            Ok(())
        };
        let mut files = Files::new(&mut sink);
        let leaves: Vec<(u32, String)> =
            (0..FANOUT as u32 * FANOUT as u32 + 1).map(|n| (n * 7, format!("i/{n}.txt"))).collect();
        let tree = files.tree(leaves).expect("a tree");
        assert_eq!(tree.depth, 2, "128 × 128 + 1 chunks need two levels of directory pages");
        assert_eq!(tree.list.len(), 2);
        assert_eq!(tree.list[1].0, (FANOUT * FANOUT) as u32 * 7, "each entry is the first key its file covers");
        assert_eq!(files.finish().ok(), Some(FANOUT + 1 + 2));
        let top: Vec<(u32, String)> = serde_json::from_slice(&list.last().expect("pages").bytes).expect("JSON");
        assert_eq!(top, [((FANOUT * FANOUT) as u32 * 7, top[0].1.clone())], "the last page of the upper level");
        assert!(list.iter().all(|f| f.rel.starts_with("search/i/") && f.rel.ends_with(".json")));
        let pages: Vec<Vec<(u32, String)>> =
            list.iter().map(|f| serde_json::from_slice(&f.bytes).expect("JSON")).collect();
        assert!(pages.iter().all(|p| p.len() <= FANOUT));
        assert_eq!(pages.len(), FANOUT + 1 + 2, "129 pages of the lower level, 2 of the upper");

        let small = Files::new(&mut |_| Ok(())).tree(vec![("a", "i/x.bin".to_string())]).expect("a tree");
        assert_eq!((small.depth, small.list.len()), (0, 1), "a small site keeps its chunks in the entry");
    }

    #[test]
    fn the_same_bytes_are_one_file() {
        let mut given = 0;
        let mut sink = |_| {
            given += 1;
            Ok(())
        };
        let mut files = Files::new(&mut sink);
        let a = files.add(b"1,2".to_vec(), "txt");
        assert_eq!(files.add(b"1,2".to_vec(), "txt"), a);
        assert_eq!(files.finish().ok(), Some(1));
        assert_eq!(given, 1);
        assert_eq!(a.len(), "i/".len() + KEY_LEN + ".txt".len());
    }

    #[test]
    fn filter_lists_are_differences() {
        assert_eq!(delta_list(&[3, 4, 5, 12]), "3,1,1,7");
        assert_eq!(delta_list(&[]), "");
    }
}
