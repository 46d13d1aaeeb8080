//! Order: each section's pages sorted as it asks (date, weight or title), previous/next links along that order,
//! and subsections by weight then title.

use std::borrow::Borrow;

use crate::content::meta::SortBy;
use crate::content::slug::slugify;
use crate::site::model::{Page, PageId, Section};

/// Files every page in its section's list, sorts the lists and subsections, and links previous and next.
pub(crate) fn arrange(sections: &mut [Section], pages: &mut [Page]) {
    for (id, page) in pages.iter().enumerate() {
        sections[page.section].pages.push(id);
    }
    for id in 1..sections.len() {
        if let Some(parent) = sections[id].parent {
            sections[parent].subsections.push(id);
        }
    }
    for id in 0..sections.len() {
        let mut list = std::mem::take(&mut sections[id].pages);
        sort_pages(&mut list, pages, sections[id].meta.sort_by);
        for (i, &page) in list.iter().enumerate() {
            pages[page].previous = i.checked_sub(1).map(|j| list[j]);
            pages[page].next = list.get(i + 1).copied();
        }
        sections[id].pages = list;
        let mut subs = std::mem::take(&mut sections[id].subsections);
        subs.sort_by(|&a, &b| {
            let (a, b) = (&sections[a].meta, &sections[b].meta);
            (a.weight.unwrap_or(i64::MAX), &a.title).cmp(&(b.weight.unwrap_or(i64::MAX), &b.title))
        });
        sections[id].subsections = subs;
    }
}

/// Newest first with undated pages last; ties broken by permalink so every build is the same.
pub fn sort_pages(list: &mut [PageId], pages: &[impl Borrow<Page>], by: SortBy) {
    let page = |id: PageId| -> &Page { pages[id].borrow() };
    match by {
        SortBy::Date => list.sort_by(|&a, &b| {
            let (a, b) = (page(a), page(b));
            b.meta.date.cmp(&a.meta.date).then_with(|| a.permalink.cmp(&b.permalink))
        }),
        SortBy::Weight => list.sort_by(|&a, &b| {
            let (a, b) = (page(a), page(b));
            (a.meta.weight.unwrap_or(i64::MAX), &a.permalink).cmp(&(b.meta.weight.unwrap_or(i64::MAX), &b.permalink))
        }),
        SortBy::Title => list.sort_by_cached_key(|&p| (slugify(&page(p).meta.title), page(p).permalink.clone())),
    }
}
