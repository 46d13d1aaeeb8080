//! Document lists filtered by issuer, type and year, made for a GET form that works without JavaScript on a
//! static host: every combination of the values a document section has is a page of its own,
//! `<section>/loc/<issuer>/<type>/<year>/` (`tat-ca` for "any"), empty ones included (they say so and offer the
//! nearest lists that are not). The form sends `?co-quan=…&loai=…&nam=…` to `<section>/loc/`; the site's script,
//! the CDN's viewer-request function and `cchc serve` each turn that query into the path (`query_target`).

use crate::content::meta::{Issuer, PageKind};
use crate::error::ContentError;
use crate::site::model::{Kind, Page, PageId, Section, SectionId};

/// The URL segment under a document section where the filtered lists live.
pub const FILTER_SEGMENT: &str = "loc";
/// The path segment for "any value" of a facet.
pub const ANY: &str = "tat-ca";
/// The form's query keys, in path order: issuer, type, year.
pub const QUERY_KEYS: [&str; 3] = ["co-quan", "loai", "nam"];

/// The values a document section's documents have: what the form offers.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFacets {
    /// The document section.
    pub section: SectionId,
    /// Where the form sends its query (`/van-ban/loc/`).
    pub action: String,
    /// Issuers present, in the portal's order.
    pub issuers: Vec<Issuer>,
    /// Document types present as (name, slug), the first spelling met in the section's order; by name.
    pub types: Vec<(String, String)>,
    /// Signing years present, newest first.
    pub years: Vec<i32>,
}

/// One combination of issuer, type and year, and the documents that have it, in the section's order.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFilter {
    /// Index in `Site::document_facets`.
    pub facets: usize,
    /// The issuer chosen, if any.
    pub issuer: Option<Issuer>,
    /// Index in the facets' `types`, if a type is chosen.
    pub doc_type: Option<usize>,
    /// The year chosen, if any.
    pub year: Option<i32>,
    /// Root-relative URL of its first list page.
    pub permalink: String,
    /// The documents listed.
    pub pages: Vec<PageId>,
}

/// `<action><issuer>/<type>/<year>/`, each `tat-ca` when not chosen.
pub fn filter_permalink(action: &str, issuer: Option<&str>, doc_type: Option<&str>, year: Option<&str>) -> String {
    let part = |v: Option<&str>| v.filter(|v| !v.is_empty()).unwrap_or(ANY).to_string();
    format!("{action}{}/{}/{}/", part(issuer), part(doc_type), part(year))
}

/// Where a form's query (`co-quan=chinh-phu&loai=&nam=2021`) sent to a `…/loc/` path leads: the combination's
/// page, or `None` when the path is not a filter form's action or the query names none of its keys. Values are
/// kept only if they are slugs (letters, digits, `-`), so the target is always a path of this site.
pub fn query_target(path: &str, query: &str) -> Option<String> {
    if !path.ends_with(&format!("/{FILTER_SEGMENT}/")) {
        return None;
    }
    let mut values: [Option<String>; 3] = [None, None, None];
    let mut named = false;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if let Some(i) = QUERY_KEYS.iter().position(|k| *k == key) {
            named = true;
            let value = value.trim().to_ascii_lowercase();
            let is_slug = !value.is_empty()
                && value.len() <= 80
                && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            values[i] = is_slug.then_some(value);
        }
    }
    named.then(|| filter_permalink(path, values[0].as_deref(), values[1].as_deref(), values[2].as_deref()))
}

/// The facets and every combination's list of each document section. A page, section or alias whose URL falls
/// under `<section>/loc/` is an error of that section's `_index.md`.
pub(crate) fn collect(
    sections: &[Section],
    pages: &[Page],
    aliases: &[(String, String)],
    errors: &mut Vec<ContentError>,
) -> (Vec<DocumentFacets>, Vec<DocumentFilter>) {
    let mut all_facets = Vec::new();
    let mut filters = Vec::new();
    for (id, section) in sections.iter().enumerate() {
        if section.meta.page_kind != PageKind::Document || section.pages.is_empty() {
            continue;
        }
        let action = format!("{}{FILTER_SEGMENT}/", section.permalink);
        let taken = pages
            .iter()
            .map(|p| (&p.permalink, p.file.clone()))
            .chain(sections.iter().filter_map(|s| s.file.clone().map(|f| (&s.permalink, f))))
            .chain(aliases.iter().map(|(from, to)| (from, format!("`aliases` của trang {to}").into())))
            .find(|(link, _)| link.starts_with(&action));
        if let Some((link, file)) = taken {
            errors.push(
                ContentError::new(
                    section.file.clone().unwrap_or_default(),
                    format!(
                        "{link} ({}) nằm trong {action}, nơi đặt các danh sách văn bản đã lọc; đổi `slug` hoặc tên thư mục đó",
                        file.display()
                    ),
                )
                .field("page_kind"),
            );
            continue;
        }
        // (issuer, type slug, year) of each document, in the section's order.
        let docs: Vec<(PageId, Issuer, String, i32)> = section
            .pages
            .iter()
            .filter_map(|&p| match &pages[p].kind {
                Kind::Document(d) => Some((p, d.meta.issuer, d.meta.doc_type.slug.clone(), d.meta.signed.year())),
                _ => None,
            })
            .collect();
        let issuers: Vec<Issuer> = Issuer::ALL.into_iter().filter(|i| docs.iter().any(|d| d.1 == *i)).collect();
        let mut types: Vec<(String, String)> = Vec::new();
        for &(p, _, ref slug, _) in &docs {
            if let Kind::Document(d) = &pages[p].kind
                && !types.iter().any(|(_, s)| s == slug)
            {
                types.push((d.meta.doc_type.name.clone(), slug.clone()));
            }
        }
        types.sort_by(|a, b| a.1.cmp(&b.1));
        let mut years: Vec<i32> = docs.iter().map(|d| d.3).collect();
        years.sort_unstable_by(|a, b| b.cmp(a));
        years.dedup();
        let facets = all_facets.len();
        for issuer in std::iter::once(None).chain(issuers.iter().copied().map(Some)) {
            for doc_type in std::iter::once(None).chain((0..types.len()).map(Some)) {
                for year in std::iter::once(None).chain(years.iter().copied().map(Some)) {
                    let slug = doc_type.map(|t| types[t].1.as_str());
                    let listed = docs
                        .iter()
                        .filter(|d| {
                            issuer.is_none_or(|i| d.1 == i)
                                && slug.is_none_or(|s| d.2 == s)
                                && year.is_none_or(|y| d.3 == y)
                        })
                        .map(|d| d.0)
                        .collect();
                    filters.push(DocumentFilter {
                        facets,
                        issuer,
                        doc_type,
                        year,
                        permalink: filter_permalink(
                            &action,
                            issuer.map(Issuer::key),
                            slug,
                            year.map(|y| y.to_string()).as_deref(),
                        ),
                        pages: listed,
                    });
                }
            }
        }
        all_facets.push(DocumentFacets { section: id, action, issuers, types, years });
    }
    (all_facets, filters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_the_combination_path() {
        assert_eq!(
            query_target("/van-ban/loc/", "co-quan=chinh-phu&loai=&nam=2021").as_deref(),
            Some("/van-ban/loc/chinh-phu/tat-ca/2021/")
        );
        assert_eq!(
            query_target("/van-ban/loc/", "loai=nghi-quyet").as_deref(),
            Some("/van-ban/loc/tat-ca/nghi-quyet/tat-ca/")
        );
        assert_eq!(query_target("/van-ban/loc/", "").as_deref(), None, "no key: the page itself");
        assert_eq!(query_target("/van-ban/", "co-quan=dang"), None, "not a filter form's action");
    }

    #[test]
    fn anything_but_a_slug_is_any_value_so_the_target_stays_on_the_site() {
        assert_eq!(
            query_target("/van-ban/loc/", "co-quan=%2F%2Fevil.example&loai=..%2F&nam=2021").as_deref(),
            Some("/van-ban/loc/tat-ca/tat-ca/2021/")
        );
    }
}
