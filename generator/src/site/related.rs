//! Related pages: for each page, the recent pages sharing the most tags with it.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::site::model::{Page, PageId, Taxonomy, TaxonomyKind};

/// How many related pages each page links to.
const RELATED_COUNT: usize = 5;

/// Fills every page's `related`.
pub(crate) fn link(pages: &mut [Page], taxonomies: &[Taxonomy]) {
    let related = related_pages(pages, taxonomies);
    for (page, related) in pages.iter_mut().zip(related) {
        page.related = related;
    }
}

/// For each page, up to `RELATED_COUNT` recent pages sharing the most tags with it. Candidates are the newest
/// pages of each of its tags, which keeps this linear in the number of pages.
fn related_pages(pages: &[Page], taxonomies: &[Taxonomy]) -> Vec<Vec<PageId>> {
    let Some(tags) = taxonomies.iter().find(|t| t.kind == TaxonomyKind::Tags) else {
        return vec![Vec::new(); pages.len()];
    };
    let term_of: HashMap<&str, usize> = tags.terms.iter().enumerate().map(|(i, t)| (t.slug.as_str(), i)).collect();
    let page_terms: Vec<Vec<usize>> = pages
        .iter()
        .map(|p| p.meta.tags.iter().filter_map(|t| term_of.get(t.slug.as_str()).copied()).collect())
        .collect();
    (0..pages.len())
        .into_par_iter()
        .map(|id| {
            let mine = &page_terms[id];
            let mut scored: Vec<(usize, PageId)> = Vec::new();
            for &term in mine {
                for &other in tags.terms[term].pages.iter().take(RELATED_COUNT * 4) {
                    if other != id && !scored.iter().any(|&(_, p)| p == other) {
                        let shared = page_terms[other].iter().filter(|t| mine.contains(t)).count();
                        scored.push((shared, other));
                    }
                }
            }
            scored.sort_by(|a, b| {
                b.0.cmp(&a.0).then_with(|| pages[b.1].meta.date.cmp(&pages[a.1].meta.date)).then(a.1.cmp(&b.1))
            });
            // Into a list of its own size: collected from `scored` in place, the list kept that buffer (room for
            // every candidate, ~0.85 KB a page; 40 MB at 50,000 pages).
            let mut related = Vec::with_capacity(scored.len().min(RELATED_COUNT));
            related.extend(scored.into_iter().take(RELATED_COUNT).map(|(_, p)| p));
            related
        })
        .collect()
}
