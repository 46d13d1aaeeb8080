//! Finds and reads the files under `content/`: Markdown and data are read into memory (a full build's pages only
//! listed, each read as it is parsed), other files are listed as assets to copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::{BuildError, ContentError};

/// Folder under `content/` that holds YAML data for templates (reports, directory, …), not pages.
pub const DATA_DIR: &str = "data";
/// Folder under `content/` whose YAML files are survey definitions.
pub const SURVEY_DIR: &str = "khao-sat";

/// A text file of the content, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to `content/`, `/`-separated.
    pub rel: String,
    /// The file's text (shared: `cchc serve` keeps it between builds, and unchanged files are recognised by it).
    pub text: Arc<str>,
}

/// A Markdown page listed, not read: a full build reads it when it parses it and again when it renders its body,
/// so that it never holds every page's text at once (at 50,000 pages they were 181 MB of its peak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// Path relative to `content/`, `/`-separated.
    pub rel: String,
    /// Where it is on disk.
    pub path: PathBuf,
}

/// Which Markdown files `discover` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every one: `cchc serve` keeps the texts between builds, to tell which pages changed.
    All,
    /// Sections' `_index.md` only; pages are listed (`ContentFiles::listed_pages`).
    SectionsOnly,
}

/// A file copied to the output as it is (images, attachments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    /// Path relative to `content/`, `/`-separated; also its path in the output.
    pub rel: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// Everything under `content/`.
#[derive(Debug, Default, Clone)]
pub struct ContentFiles {
    /// `*.md` files read (with `Reading::SectionsOnly`, the sections' `_index.md` only).
    pub markdown: Vec<SourceFile>,
    /// Markdown pages not read yet (with `Reading::SectionsOnly`).
    pub listed_pages: Vec<ListedFile>,
    /// `data/**.yaml` files (and `data/**.csv` tables, kept as text).
    pub data: Vec<SourceFile>,
    /// `khao-sat/*.yaml` files: survey definitions.
    pub surveys: Vec<SourceFile>,
    /// Everything else.
    pub assets: Vec<AssetFile>,
    /// Text files that could not be read (not UTF-8, no permission), reported with the content's other errors.
    pub unreadable: Vec<ContentError>,
}

impl ContentFiles {
    /// Whether a file at `rel` (relative to `content/`) is part of the content.
    pub fn has(&self, rel: &str) -> bool {
        let text = |files: &[SourceFile]| files.iter().any(|f| f.rel == rel);
        text(&self.markdown)
            || self.listed_pages.iter().any(|f| f.rel == rel)
            || text(&self.data)
            || text(&self.surveys)
            || self.assets.iter().any(|a| a.rel == rel)
    }
}

/// Walks `content_dir` (hidden files and folders are skipped) and reads the text files in parallel, the pages'
/// only if `reading` says so.
pub fn discover(content_dir: &Path, reading: Reading) -> Result<ContentFiles, BuildError> {
    let mut text_files = Vec::new();
    let mut listed_pages = Vec::new();
    let mut assets = Vec::new();
    let walker = WalkDir::new(content_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.')));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(content_dir).to_path_buf();
            BuildError::Io { path, source: e.into() }
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative(content_dir, entry.path());
        let yaml = rel.ends_with(".yaml") || rel.ends_with(".yml");
        let kind = if rel.ends_with(".md") {
            Some(Text::Markdown)
        } else if (yaml || rel.ends_with(".csv")) && rel.starts_with("data/") {
            Some(Text::Data)
        } else if yaml && rel.starts_with(&format!("{}/", SURVEY_DIR)) {
            Some(Text::Survey)
        } else {
            None
        };
        if kind == Some(Text::Markdown) && !is_section_file(&rel) && reading == Reading::SectionsOnly {
            listed_pages.push(ListedFile { rel, path: entry.path().to_path_buf() });
        } else if let Some(kind) = kind {
            text_files.push((rel, entry.path().to_path_buf(), kind));
        } else {
            let size = entry
                .metadata()
                .map_err(|e| BuildError::Io { path: entry.path().to_path_buf(), source: e.into() })?
                .len();
            assets.push(AssetFile { rel, path: entry.path().to_path_buf(), size });
        }
    }
    let read: Vec<Result<(SourceFile, Text), ContentError>> = text_files
        .into_par_iter()
        .map(|(rel, path, kind)| match read_text(&path) {
            Ok(text) => Ok((SourceFile { rel, text }, kind)),
            Err(e) => Err(ContentError::new(Path::new("content").join(&rel), unreadable(&e))),
        })
        .collect();
    let mut files = ContentFiles { assets, listed_pages, ..ContentFiles::default() };
    for result in read {
        match result {
            Ok((file, Text::Markdown)) => files.markdown.push(file),
            Ok((file, Text::Data)) => files.data.push(file),
            Ok((file, Text::Survey)) => files.surveys.push(file),
            Err(e) => files.unreadable.push(e),
        }
    }
    Ok(files)
}

/// Whether the Markdown file at `rel` is a section's `_index.md`, not a page.
pub fn is_section_file(rel: &str) -> bool {
    rel == "_index.md" || rel.ends_with("/_index.md")
}

/// The UTF-8 text of the file at `path`. Checked with SIMD (`simdutf8`), then copied once into the shared string:
/// `fs::read_to_string`'s check cost 3 % of a 10,000-page build's CPU on Vietnamese text, and its `String` was
/// copied into the `Arc<str>` all the same. Text that is not UTF-8 is an `InvalidData` error, as from
/// `read_to_string`.
pub fn read_text(path: &Path) -> std::io::Result<Arc<str>> {
    let bytes = std::fs::read(path)?;
    match simdutf8::basic::from_utf8(&bytes) {
        Ok(text) => Ok(Arc::from(text)),
        Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
    }
}

/// Why a text file of the content could not be read, in the editor's words.
pub fn unreadable(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::InvalidData => {
            "tệp không phải văn bản UTF-8: mở và lưu lại với bảng mã UTF-8 (Unicode)".to_string()
        }
        std::io::ErrorKind::PermissionDenied => "không có quyền đọc tệp này".to_string(),
        std::io::ErrorKind::NotFound => "tệp đã bị xóa trong khi đọc".to_string(),
        _ => format!("không đọc được tệp ({error})"),
    }
}

/// The text files the build reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Markdown,
    Data,
    Survey,
}

/// `content/tin-tuc/a.md` → `tin-tuc/a.md` (a path outside `base` is kept whole), with `/` on every platform.
pub fn relative(base: &Path, path: &Path) -> String {
    slash_path(path.strip_prefix(base).unwrap_or(path))
}

/// A path with `/` between its parts on every platform.
pub fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_files_into_markdown_data_and_assets_and_skips_hidden_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for (path, text) in [
            ("_index.md", "---\ntitle: A\n---\n"),
            ("tin-tuc/a.md", "x"),
            ("tin-tuc/anh.png", "png"),
            ("data/chi-so.yaml", "a: 1"),
            ("khao-sat/thu.yaml", "id: thu"),
            (".git/config", "x"),
            ("tin-tuc/.nhap.md", "x"),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let files = discover(root, Reading::All).expect("discover");
        let md: Vec<_> = files.markdown.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(md, vec!["_index.md", "tin-tuc/a.md"]);
        assert!(files.listed_pages.is_empty());
        assert_eq!(files.data[0].rel, "data/chi-so.yaml");
        assert_eq!(files.surveys[0].rel, "khao-sat/thu.yaml");
        assert_eq!((files.assets[0].rel.as_str(), files.assets[0].size), ("tin-tuc/anh.png", 3));
        assert_eq!(files.assets.len(), 1);

        let listed = discover(root, Reading::SectionsOnly).expect("discover");
        let md: Vec<_> = listed.markdown.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(md, vec!["_index.md"], "a section's text is read");
        assert_eq!(
            listed.listed_pages,
            vec![ListedFile { rel: "tin-tuc/a.md".into(), path: root.join("tin-tuc/a.md") }]
        );
        assert!(listed.has("tin-tuc/a.md"));
        assert_eq!((listed.data.len(), listed.surveys.len(), listed.assets.len()), (1, 1, 1));
    }
}
