//! Helpers shared by the integration tests: fixture sites copied into temporary folders, and a checker for
//! links in built output.
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// The day the tests build for, so that consultation windows do not depend on the clock.
pub fn today() -> cchc_generator::content::date::ContentDate {
    cchc_generator::content::date::ContentDate::parse("2025-11-23").expect("valid date")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("generator/ has a parent").to_path_buf()
}

/// Copies `tests/fixtures/<name>` into a fresh temporary folder, adding the repository's default theme when the
/// fixture has no theme of its own.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    copy_tree(&source, dir.path());
    if !dir.path().join("themes").exists() {
        copy_tree(&repo_root().join("themes"), &dir.path().join("themes"));
    }
    dir
}

/// A copy of the real site (content, theme, config) in a temporary folder.
pub fn real_site_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = repo_root();
    for part in ["content", "themes"] {
        copy_tree(&root.join(part), &dir.path().join(part));
    }
    std::fs::copy(root.join("site.yaml"), dir.path().join("site.yaml")).expect("copy site.yaml");
    dir
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in WalkDir::new(from) {
        let entry = entry.expect("walk");
        let target = to.join(entry.path().strip_prefix(from).expect("prefix"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every `href`/`src` value in an HTML text.
pub fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].replace("&amp;", "&"));
                rest = &rest[end..];
            }
        }
    }
    found
}

/// Internal links (root-relative, outside `/api/`) in every HTML file of `out` that lead to no file:
/// `(page, link)` pairs.
pub fn dangling_links(out: &Path) -> Vec<(String, String)> {
    let mut dangling = Vec::new();
    let mut checked = 0;
    for entry in WalkDir::new(out) {
        let entry = entry.expect("walk");
        if entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = read(entry.path());
        for link in links(&html) {
            // The functions answer under /api/; their tests check those routes.
            if !link.starts_with('/') || link.starts_with("//") || link.starts_with("/api/") {
                continue;
            }
            checked += 1;
            let path = link.split(['#', '?']).next().unwrap_or_default();
            let target = out.join(path.trim_start_matches('/'));
            let exists = if path.ends_with('/') { target.join("index.html").is_file() } else { target.is_file() };
            if !exists {
                let page = entry.path().strip_prefix(out).unwrap_or(entry.path()).display().to_string();
                dangling.push((page, link));
            }
        }
    }
    assert!(checked > 0, "no internal link found in {}", out.display());
    dangling
}
