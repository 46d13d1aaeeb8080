//! Site search: a Pagefind index built with the site, so search needs no server.
//!
//! Each searchable page is given to Pagefind as a small synthetic document (title as the `h1`, so it weighs more;
//! the body; a document's number, issuer and attachment labels), never the rendered page with its menus.
//! Pagefind folds diacritics by decomposing letters (NFD) and dropping the marks, so `cải cách` and `cai cach`
//! meet; `đ` has no decomposition, so it is written `d` + U+0335 (a combining stroke) in indexed text, and the
//! search script writes it back as `đ` when it shows an excerpt and folds `đ` to `d` in queries.

use std::path::Path;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use unicode_normalization::UnicodeNormalization;

use crate::error::BuildError;
use crate::site::{Kind, Page, Site};
use crate::theme::escape_html;

/// Folder of the index in the output.
pub const BUNDLE_DIR: &str = "pagefind";

/// Pagefind's own user interfaces and highlighter; the theme has its own, so these are not published.
const UNUSED_FILES: [&str; 7] = [
    "pagefind-highlight.js",
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
];

/// One file of the index, relative to the output root.
pub struct IndexFile {
    /// E.g. `pagefind/pagefind.js`.
    pub rel: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Builds the index of every page that does not say `search: false`.
///
/// Pagefind's API is async: this blocks on a runtime of its own, so call it from a plain thread (as `build` does),
/// not from async code.
pub fn index(site: &Site) -> Result<Vec<IndexFile>, BuildError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BuildError::Search(e.to_string()))?;
    let files = runtime
        .block_on(async {
            let options = PagefindServiceConfig::builder().force_language("vi".to_string()).build();
            let mut index = PagefindIndex::new(Some(options))?;
            // One page at a time, in the site's order: the same content gives the same index, byte for byte, so
            // a deploy uploads only what changed (`add_directory` parses in parallel, but in the order the file
            // system lists files, which changes the index's hashes).
            for page in site.pages.iter().filter(|p| p.meta.search) {
                index.add_html_file(None, Some(page.permalink.clone()), document(site, page)).await?;
            }
            index.get_files().await
        })
        .map_err(|e| BuildError::Search(format!("{e:#}")))?;
    Ok(files
        .into_iter()
        .filter(|f| !UNUSED_FILES.iter().any(|unused| f.filename == Path::new(unused)))
        .map(|f| IndexFile { rel: format!("{BUNDLE_DIR}/{}", f.filename.to_string_lossy()), bytes: f.contents })
        .collect())
}

/// The synthetic HTML Pagefind indexes for a page. Metadata and filters sit in an element Pagefind reads but does
/// not index, in their true spelling; indexed text has `đ` spelled for folding.
fn document(site: &Site, page: &Page) -> String {
    let mut hidden = String::new();
    let mut push = |attribute: &str, key: &str, value: &str| {
        hidden.push_str(&format!("<span data-pagefind-{attribute}=\"{key}\">{}</span>", escape_html(value)));
    };
    push("meta", "title", &page.meta.title);
    let section = top_section_title(site, page);
    push("meta", "muc", section);
    push("filter", "muc", section);
    if let Some(date) = page.meta.date {
        push("meta", "ngay", &date.date_vi());
    }
    let mut indexed = format!("<h1>{}</h1>", escape_html(&page.meta.title));
    match &page.kind {
        Kind::Document(document) => {
            let meta = &document.meta;
            push("filter", "co-quan", meta.issuer.label());
            push("filter", "loai", &meta.doc_type);
            push("filter", "nam", &meta.signed.year().to_string());
            indexed.push_str(&format!(
                "<p>{} {} {}</p>",
                escape_html(&meta.doc_type),
                escape_html(&meta.number),
                escape_html(meta.issuing_body.as_deref().unwrap_or(meta.issuer.label()))
            ));
            attachment_list(&mut indexed, document.attachments.iter().map(|a| a.label.as_str()));
        }
        Kind::Consultation(consultation) => {
            attachment_list(&mut indexed, consultation.attachments.iter().map(|a| a.label.as_str()));
        }
        Kind::Article => {}
    }
    if let Some(summary) = &page.meta.summary {
        indexed.push_str(&format!("<p>{}</p>", escape_html(summary)));
    }
    indexed.push_str(&page.rendered.html);
    format!(
        "<!doctype html><html lang=\"vi\"><body><div data-pagefind-ignore=\"index\">{hidden}</div>{}</body></html>",
        fold_for_index(&indexed)
    )
}

fn attachment_list<'a>(html: &mut String, labels: impl Iterator<Item = &'a str>) {
    let items: String = labels.map(|label| format!("<li>{}</li>", escape_html(label))).collect();
    if !items.is_empty() {
        html.push_str(&format!("<ul>{items}</ul>"));
    }
}

/// The title of the top-level section a page belongs to (`Văn bản` for a page under `van-ban/chinh-phu/`); the
/// home page's for pages at the root.
fn top_section_title<'a>(site: &'a Site, page: &Page) -> &'a str {
    let chain = site.ancestors(page.section);
    &site.sections[chain.get(1).copied().unwrap_or(chain[0])].meta.title
}

/// NFC, with `đ`/`Đ` spelled as `d`/`D` + U+0335 so that Pagefind's diacritic folding reaches them.
fn fold_for_index(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.nfc() {
        match c {
            'đ' => out.push_str("d\u{335}"),
            'Đ' => out.push_str("D\u{335}"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_spells_d_with_stroke_and_composes() {
        assert_eq!(fold_for_index("Đổi mới địa phương"), "D\u{335}ổi mới d\u{335}ịa phương");
        let decomposed: String = "cải cách".nfd().collect();
        assert_eq!(fold_for_index(&decomposed), "cải cách");
    }
}
