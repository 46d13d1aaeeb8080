//! What the document filter form and a filtered list (`site::document_filters`) show: the values offered, the
//! combination chosen, and for an empty one the nearest lists that are not.

use serde::Serialize;

use crate::render::views::{LinkView, PaginatorView, SectionView, Views};
use crate::site::Site;
use crate::site::document_filters::{ANY, DocumentFacets, DocumentFilter, QUERY_KEYS, filter_permalink};

/// One value a select offers.
#[derive(Debug, Clone, Serialize)]
pub struct FacetOption {
    /// As sent in the query and used in the path.
    pub value: String,
    /// As shown.
    pub label: String,
    /// Whether it is the one chosen.
    pub selected: bool,
}

/// The filter form of a document section, with the values of a combination chosen (none on the section's page).
#[derive(Debug, Clone, Serialize)]
pub struct FilterFormView {
    /// Where the form sends its query.
    pub action: String,
    /// The query keys: issuer, type, year.
    pub keys: [&'static str; 3],
    /// The issuers offered.
    pub issuers: Vec<FacetOption>,
    /// The document types offered.
    pub types: Vec<FacetOption>,
    /// The years offered, newest first.
    pub years: Vec<FacetOption>,
    /// The path segment for "any".
    pub any: &'static str,
}

/// A list with one condition fewer, offered when a combination has no documents.
#[derive(Debug, Clone, Serialize)]
pub struct Relaxed {
    /// What is left out (`Bỏ năm 2019`).
    pub label: String,
    /// Its list.
    pub permalink: String,
    /// How many documents it lists.
    pub count: usize,
}

/// A filtered list page.
#[derive(Debug, Clone, Serialize)]
pub struct FilterView<'a> {
    /// The document section.
    pub section: SectionView<'a>,
    /// Home page down to the document section.
    pub breadcrumbs: Vec<LinkView<'a>>,
    /// The conditions chosen, as shown (`Chính phủ`, `Nghị quyết`, `năm 2021`).
    pub conditions: Vec<String>,
    /// The conditions in one line (`Chính phủ, Nghị quyết, năm 2021`), empty when none is chosen.
    pub label: String,
    /// The form, with this combination selected.
    pub form: FilterFormView,
    /// Number of documents over all its list pages.
    pub count: usize,
    /// Lists with one condition fewer that have documents, when this one has none.
    pub relaxed: Vec<Relaxed>,
}

/// The form for `facets`, with `chosen` selected.
pub fn form(facets: &DocumentFacets, chosen: Option<&DocumentFilter>) -> FilterFormView {
    let issuer = chosen.and_then(|c| c.issuer);
    let doc_type = chosen.and_then(|c| c.doc_type);
    let year = chosen.and_then(|c| c.year);
    FilterFormView {
        action: facets.action.clone(),
        keys: QUERY_KEYS,
        issuers: facets
            .issuers
            .iter()
            .map(|&i| FacetOption { value: i.key().into(), label: i.label().into(), selected: issuer == Some(i) })
            .collect(),
        types: facets
            .types
            .iter()
            .enumerate()
            .map(|(i, (name, slug))| FacetOption {
                value: slug.clone(),
                label: name.clone(),
                selected: doc_type == Some(i),
            })
            .collect(),
        years: facets
            .years
            .iter()
            .map(|&y| FacetOption { value: y.to_string(), label: y.to_string(), selected: year == Some(y) })
            .collect(),
        any: ANY,
    }
}

/// The view of filtered list `filter`.
pub fn view<'a>(site: &'a Site, views: &Views<'a>, filter: &'a DocumentFilter) -> FilterView<'a> {
    let facets = &site.document_facets[filter.facets];
    let type_of = |t: Option<usize>| t.map(|t| facets.types[t].1.as_str());
    let year_text = |y: Option<i32>| y.map(|y| y.to_string());
    let mut conditions = Vec::new();
    conditions.extend(filter.issuer.map(|i| i.label().to_string()));
    conditions.extend(filter.doc_type.map(|t| facets.types[t].0.clone()));
    conditions.extend(filter.year.map(|y| format!("năm {y}")));
    let count_of =
        |permalink: &str| site.document_filters.iter().find(|f| f.permalink == permalink).map_or(0, |f| f.pages.len());
    let mut relaxed = Vec::new();
    if filter.pages.is_empty() {
        let options = [
            (
                filter.issuer.map(|i| format!("Bỏ điều kiện cơ quan ban hành ({})", i.label())),
                None,
                type_of(filter.doc_type),
                year_text(filter.year),
            ),
            (
                filter.doc_type.map(|t| format!("Bỏ điều kiện loại văn bản ({})", facets.types[t].0)),
                filter.issuer.map(|i| i.key().to_string()),
                None,
                year_text(filter.year),
            ),
            (
                filter.year.map(|y| format!("Bỏ điều kiện năm ban hành ({y})")),
                filter.issuer.map(|i| i.key().to_string()),
                type_of(filter.doc_type),
                None,
            ),
        ];
        for (label, issuer, doc_type, year) in options {
            let Some(label) = label else { continue };
            let permalink = filter_permalink(&facets.action, issuer.as_deref(), doc_type, year.as_deref());
            let count = count_of(&permalink);
            if count > 0 {
                relaxed.push(Relaxed { label, permalink, count });
            }
        }
    }
    let section = views.section(facets.section);
    let mut breadcrumbs = section.breadcrumbs.clone();
    breadcrumbs.push(LinkView { title: section.title, permalink: section.permalink });
    FilterView {
        breadcrumbs,
        section,
        label: conditions.join(", "),
        conditions,
        form: form(facets, Some(filter)),
        count: filter.pages.len(),
        relaxed,
    }
}

/// Page `number` of the filtered list.
pub fn paginator<'a>(
    site: &'a Site,
    views: &Views<'a>,
    filter: &'a DocumentFilter,
    number: usize,
) -> PaginatorView<'a> {
    views.paginator(&filter.pages, site.config.paginate_by, number, &filter.permalink)
}
