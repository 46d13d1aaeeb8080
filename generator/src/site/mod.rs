//! Assembling the site: from the content's typed values to the whole model the templates read. Each stage is a
//! module and `assemble` calls them in order: sections → pages (parsed in parallel) → link map → bodies
//! (rendered in parallel) → data, surveys, relations, tables → order → taxonomies → related pages.
//! Pure but for `attachments`, which reads each attached file once for its checksum.

mod assemble;
mod attachments;
pub mod cache;
mod data;
pub mod document_filters;
mod fragments;
mod links;
pub mod model;
pub mod order;
mod pages;
mod references;
mod related;
mod relations;
mod sections;
pub mod taxonomy;
pub mod unit_reports;

pub use cache::ParseCache;
pub use model::{
    Attachment, Consultation, Document, Kind, Page, PageId, Section, SectionId, Site, Taxonomy, TaxonomyKind, Term,
};

use crate::content::config::SiteConfig;
use crate::content::discover::ContentFiles;
use crate::error::ContentError;
use crate::markdown::highlight::Highlighter;

impl Site {
    /// Builds the site model; every error found is returned, not only the first.
    pub fn assemble(
        config: SiteConfig,
        files: ContentFiles,
        drafts: bool,
        highlighter: &Highlighter,
    ) -> Result<Site, Vec<ContentError>> {
        assemble::assemble(config, files, drafts, highlighter, None)
    }

    /// `assemble`, reusing what `cache` holds of unchanged pages and leaving this build's results in it.
    pub fn assemble_cached(
        config: SiteConfig,
        files: ContentFiles,
        drafts: bool,
        highlighter: &Highlighter,
        cache: &mut ParseCache,
    ) -> Result<Site, Vec<ContentError>> {
        assemble::assemble(config, files, drafts, highlighter, Some(cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::config::SiteConfig;
    use crate::content::discover::{ContentFiles, SourceFile};
    use crate::markdown::highlight::Highlighter;

    fn file(rel: &str, text: &str) -> SourceFile {
        SourceFile { rel: rel.into(), text: text.into() }
    }

    fn doc(n: u32, issuer: &str, doc_type: &str, signed: &str, tags: &str) -> String {
        format!(
            "---\ntitle: Văn bản {n}\nnumber: {n}/X\ndoc_type: {doc_type}\nissuer: {issuer}\nsigned: {signed}\ntags: [{tags}]\n---\nNội dung {n}.\n"
        )
    }

    fn site() -> Site {
        let files = ContentFiles {
            markdown: vec![
                file("van-ban/_index.md", "---\ntitle: Văn bản\npage_kind: document\n---\n"),
                file("van-ban/a.md", &doc(1, "bo-nganh", "Quyết định", "2021-03-01", "a, b")),
                file("van-ban/b.md", &doc(2, "dang", "Nghị quyết", "2023-05-01", "a")),
                file("van-ban/c.md", &doc(3, "chinh-phu", "Quyết định", "2022-01-01", "a, b")),
                file("van-ban/d.md", &doc(4, "dang", "Chỉ thị", "2020-01-01", "c")),
            ],
            listed_pages: Vec::new(),
            data: vec![file("data/bao-cao/chi-so.yaml", "diem: 81.5\n")],
            surveys: Vec::new(),
            assets: Vec::new(),
            unreadable: Vec::new(),
        };
        Site::assemble(SiteConfig::default_for_test(), files, false, &Highlighter::new()).expect("valid site")
    }

    fn titles(site: &Site, ids: &[PageId]) -> Vec<String> {
        ids.iter().map(|&i| site.pages[i].meta.title.clone()).collect()
    }

    #[test]
    fn a_section_lists_newest_first_with_previous_and_next() {
        let site = site();
        let section = &site.sections[1];
        assert_eq!(titles(&site, &section.pages), ["Văn bản 2", "Văn bản 3", "Văn bản 1", "Văn bản 4"]);
        let middle = section.pages[1];
        assert_eq!(site.pages[middle].previous, Some(section.pages[0]));
        assert_eq!(site.pages[middle].next, Some(section.pages[2]));
        assert_eq!(site.pages[section.pages[0]].previous, None);
    }

    #[test]
    fn documents_are_grouped_by_issuer_in_portal_order_type_and_newest_year_first() {
        let site = site();
        let terms = |kind| {
            site.taxonomy(kind)
                .expect("taxonomy")
                .terms
                .iter()
                .map(|t| (t.name.clone(), t.pages.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(terms(TaxonomyKind::Issuer), [("Đảng".into(), 2), ("Chính phủ".into(), 1), ("Bộ, ngành".into(), 1)]);
        assert_eq!(terms(TaxonomyKind::Year).first(), Some(&("2023".to_string(), 1)));
        let doc_types = site.taxonomy(TaxonomyKind::DocType).expect("types");
        let decisions = doc_types.term_named("Quyết định").expect("term");
        assert_eq!(decisions.permalink, "/loai-van-ban/quyet-dinh/");
        assert_eq!(titles(&site, &decisions.pages), ["Văn bản 3", "Văn bản 1"]);
    }

    #[test]
    fn related_pages_share_the_most_tags() {
        let site = site();
        let first = site.pages.iter().position(|p| p.meta.title == "Văn bản 1").expect("page");
        assert_eq!(titles(&site, &site.pages[first].related), ["Văn bản 3", "Văn bản 2"]);
        let lonely = site.pages.iter().position(|p| p.meta.title == "Văn bản 4").expect("page");
        assert!(site.pages[lonely].related.is_empty());
    }

    #[test]
    fn data_files_are_keyed_by_path_without_extension() {
        let site = site();
        assert_eq!(site.data["bao-cao/chi-so"]["diem"], serde_json::json!(81.5));
    }
}
