//! Order: each section's pages sorted as it asks (date, weight or title), previous/next links along that order,
//! and subsections by weight then title.

use std::borrow::Borrow;
use std::cmp::Ordering;

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
        SortBy::Date => list.sort_by(|&a, &b| newest_first(page(a), page(b))),
        SortBy::Weight => list.sort_by(|&a, &b| {
            let (a, b) = (page(a), page(b));
            (a.meta.weight.unwrap_or(i64::MAX), &a.permalink).cmp(&(b.meta.weight.unwrap_or(i64::MAX), &b.permalink))
        }),
        SortBy::Title => list.sort_by_cached_key(|&p| (slugify(&page(p).meta.title), page(p).permalink.clone())),
    }
}

/// The order of [`SortBy::Date`]: newest first, undated last, then by permalink. A total order (permalinks are
/// unique), so any sort or selection by it gives the same list.
pub fn newest_first(a: &Page, b: &Page) -> Ordering {
    b.meta.date.cmp(&a.meta.date).then_with(|| a.permalink.cmp(&b.permalink))
}

/// The first `n` of `list` in `order`, in that order, without sorting the whole list (a feed's entries out of every
/// page of the site). `order` must be total, as [`newest_first`] is: then the result is the head of the sorted list.
pub fn first_n<T>(mut list: Vec<T>, n: usize, mut order: impl FnMut(&T, &T) -> Ordering) -> Vec<T> {
    if n == 0 {
        return Vec::new();
    }
    if list.len() > n {
        list.select_nth_unstable_by(n - 1, &mut order);
        list.truncate(n);
    }
    list.sort_unstable_by(order);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_n_are_the_head_of_the_sorted_list() {
        // A fixed pseudo-random list with many ties.
        let list: Vec<u32> = (0..500u32).map(|i| i.wrapping_mul(2_654_435_761) % 97).collect();
        let mut sorted = list.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        for n in [0, 1, 20, 96, 499, 500, 501] {
            assert_eq!(first_n(list.clone(), n, |a, b| b.cmp(a)), sorted[..n.min(sorted.len())], "n = {n}");
        }
        assert!(first_n(Vec::<u32>::new(), 20, Ord::cmp).is_empty());
    }
}
