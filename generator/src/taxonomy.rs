//! Taxonomies: tags for every page; issuer, type and year for documents.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::content::Issuer;
use crate::site::{Kind, Page, PageId};
use crate::slug::slugify;

/// The ways pages are grouped besides sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaxonomyKind {
    /// Free tags, on any page.
    Tags,
    /// Documents by issuer group.
    Issuer,
    /// Documents by type (Nghị quyết, Quyết định, …).
    DocType,
    /// Documents by signing year.
    Year,
}

impl TaxonomyKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [TaxonomyKind; 4] =
        [TaxonomyKind::Tags, TaxonomyKind::Issuer, TaxonomyKind::DocType, TaxonomyKind::Year];

    /// First URL segment of the taxonomy's pages.
    pub fn segment(self) -> &'static str {
        match self {
            TaxonomyKind::Tags => "tu-khoa",
            TaxonomyKind::Issuer => "co-quan-ban-hanh",
            TaxonomyKind::DocType => "loai-van-ban",
            TaxonomyKind::Year => "nam-ban-hanh",
        }
    }

    /// Heading of the taxonomy's pages.
    pub fn label(self) -> &'static str {
        match self {
            TaxonomyKind::Tags => "Từ khoá",
            TaxonomyKind::Issuer => "Cơ quan ban hành",
            TaxonomyKind::DocType => "Loại văn bản",
            TaxonomyKind::Year => "Năm ban hành",
        }
    }

    /// The terms a page belongs to, as (sort key, display name).
    fn terms_of(self, page: &Page) -> Vec<(String, String)> {
        match (self, &page.kind) {
            (TaxonomyKind::Tags, _) => page.meta.tags.iter().map(|t| (slugify(t), t.clone())).collect(),
            (TaxonomyKind::Issuer, Kind::Document(doc)) => {
                let position = Issuer::ALL.iter().position(|i| *i == doc.meta.issuer).unwrap_or_default();
                vec![(format!("{position}"), doc.meta.issuer.label().to_string())]
            }
            (TaxonomyKind::DocType, Kind::Document(doc)) => {
                vec![(slugify(&doc.meta.doc_type), doc.meta.doc_type.clone())]
            }
            // Newest year first: sort on the complement.
            (TaxonomyKind::Year, Kind::Document(doc)) => {
                let year = doc.meta.signed.year();
                vec![(format!("{:06}", 100_000 - year), year.to_string())]
            }
            _ => Vec::new(),
        }
    }

    /// URL slug of a term.
    fn term_slug(self, name: &str, page: &Page) -> String {
        match (self, &page.kind) {
            (TaxonomyKind::Issuer, Kind::Document(doc)) => doc.meta.issuer.key().to_string(),
            _ => slugify(name),
        }
    }
}

/// One value of a taxonomy and the pages that have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// As shown (the first spelling met, in file order).
    pub name: String,
    /// URL segment.
    pub slug: String,
    /// Root-relative URL.
    pub permalink: String,
    /// Pages, newest first.
    pub pages: Vec<PageId>,
}

/// A taxonomy and its terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    /// Which one.
    pub kind: TaxonomyKind,
    /// Root-relative URL of the list of terms.
    pub permalink: String,
    /// Terms in display order.
    pub terms: Vec<Term>,
}

impl Taxonomy {
    /// Groups `pages` (already in file order) by the terms of `kind`.
    pub fn collect(kind: TaxonomyKind, pages: &[Page]) -> Self {
        let mut terms: BTreeMap<String, Term> = BTreeMap::new();
        for (id, page) in pages.iter().enumerate() {
            for (key, name) in kind.terms_of(page) {
                let slug = kind.term_slug(&name, page);
                let term = terms.entry(key).or_insert_with(|| Term {
                    permalink: format!("/{}/{}/", kind.segment(), slug),
                    name,
                    slug,
                    pages: Vec::new(),
                });
                if term.pages.last() != Some(&id) {
                    term.pages.push(id);
                }
            }
        }
        let mut terms: Vec<Term> = terms.into_values().collect();
        for term in &mut terms {
            term.pages.sort_by(|&a, &b| {
                pages[b].meta.date.cmp(&pages[a].meta.date).then_with(|| pages[a].permalink.cmp(&pages[b].permalink))
            });
        }
        Taxonomy { kind, permalink: format!("/{}/", kind.segment()), terms }
    }

    /// The term a page was filed under by `name`, if any.
    pub fn term_named(&self, name: &str) -> Option<&Term> {
        let slug = slugify(name);
        self.terms.iter().find(|t| t.slug == slug)
    }
}
