//! Taxonomies: tags for every page; issuer, type and year for documents. Groups the assembled pages by term.

use std::collections::BTreeMap;

use crate::content::meta::Issuer;
use crate::content::slug::slugify;
use crate::site::model::{Kind, Page, Taxonomy, TaxonomyKind, Term};

/// Every taxonomy some page uses.
pub fn collect_all(pages: &[Page]) -> Vec<Taxonomy> {
    TaxonomyKind::ALL.iter().map(|&kind| collect(kind, pages)).filter(|t| !t.terms.is_empty()).collect()
}

/// Groups `pages` (already in file order) by the terms of `kind`.
pub fn collect(kind: TaxonomyKind, pages: &[Page]) -> Taxonomy {
    let mut terms: BTreeMap<String, Term> = BTreeMap::new();
    for (id, page) in pages.iter().enumerate() {
        for (key, name) in terms_of(kind, page) {
            let slug = term_slug(kind, &name, page);
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

/// The terms a page belongs to, as (sort key, display name).
fn terms_of(kind: TaxonomyKind, page: &Page) -> Vec<(String, String)> {
    match (kind, &page.kind) {
        (TaxonomyKind::Tags, _) => page.meta.tags.iter().map(|t| (t.slug.clone(), t.name.clone())).collect(),
        (TaxonomyKind::Issuer, Kind::Document(doc)) => {
            let position = Issuer::ALL.iter().position(|i| *i == doc.meta.issuer).unwrap_or_default();
            vec![(format!("{position}"), doc.meta.issuer.label().to_string())]
        }
        (TaxonomyKind::DocType, Kind::Document(doc)) => {
            vec![(doc.meta.doc_type.slug.clone(), doc.meta.doc_type.name.clone())]
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
fn term_slug(kind: TaxonomyKind, name: &str, page: &Page) -> String {
    match (kind, &page.kind) {
        (TaxonomyKind::Issuer, Kind::Document(doc)) => doc.meta.issuer.key().to_string(),
        _ => slugify(name),
    }
}
