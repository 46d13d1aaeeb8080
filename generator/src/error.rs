//! Errors an editor can act on: each names the file, the line and the field.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in the content or the theme, located precisely enough for an editor to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// Path of the file, relative to the site root (e.g. `content/tin-tuc/a.md`).
    pub file: PathBuf,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
    /// The front matter field (or template, or link) at fault, when there is one.
    pub field: Option<String>,
    /// What is wrong and what was expected, in Vietnamese.
    pub message: String,
}

impl ContentError {
    /// An error about a whole file.
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line: None, field: None, message: message.into() }
    }

    /// Sets the line.
    #[must_use]
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// Sets the line if one is known.
    #[must_use]
    pub fn at_opt_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// Sets the field.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "trường `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ContentError {}

/// Why a build did not produce a site.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The content or theme has problems; all of them are listed.
    #[error("{} lỗi trong nội dung hoặc giao diện", .0.len())]
    Content(Vec<ContentError>),
    /// The file system refused something.
    #[error("lỗi đọc/ghi tệp {path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The search index could not be built.
    #[error("không lập được chỉ mục tìm kiếm: {0}")]
    Search(String),
    /// The store the results are read from (`--results-from`, `--results-table`) refused or failed.
    #[error("kho dữ liệu {store}: {source}")]
    Store {
        /// Which store: a file or a table.
        store: String,
        /// What went wrong.
        source: crate::commands::StoreCommandError,
    },
    /// The command cannot do what was asked with these arguments or this folder.
    #[error("{path}: {message}")]
    Usage {
        /// The file or folder concerned.
        path: PathBuf,
        /// Why, in Vietnamese.
        message: String,
    },
    /// A thread pool or runtime could not be started.
    #[error("không khởi động được: {0}")]
    Runtime(#[source] std::io::Error),
}

impl BuildError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }

    /// A usage error about `path`.
    pub fn usage(path: &Path, message: impl Into<String>) -> Self {
        Self::Usage { path: path.to_path_buf(), message: message.into() }
    }
}

impl From<Vec<ContentError>> for BuildError {
    fn from(errors: Vec<ContentError>) -> Self {
        Self::Content(errors)
    }
}
