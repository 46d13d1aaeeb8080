//! One page per ministry or province of a report section (`unit_reports: true` in its `_index.md`): the rows that
//! name the unit in the data tables its pages show, gathered under the unit's own URL (`<section>/<unit>/`), which
//! the section's "Báo cáo" buttons lead to. The units are the tables' row labels: nothing to keep in step by hand.

use std::collections::{BTreeMap, HashMap};

use crate::content::data_table::DataTable;
use crate::content::slug::slugify;
use crate::error::ContentError;
use crate::site::model::{Page, PageId, Section, SectionId};

/// A unit's report page.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitReport {
    /// The report section that lists it.
    pub section: SectionId,
    /// As the first table naming it spells it.
    pub name: String,
    /// Root-relative URL: the section's, then the name's slug.
    pub permalink: String,
    /// Each table row naming it, in the section's page order.
    pub rows: Vec<UnitRow>,
    /// Whether every figure it shows is illustrative: then the page is badged and stays out of the sitemap.
    pub sample: bool,
}

/// One table row about a unit, and the report page that shows the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    /// The report page.
    pub page: PageId,
    /// The table's key (`bao-cao/dti-tinh-2022`).
    pub table: String,
    /// The row's label as the table writes it.
    pub label: String,
}

/// The unit pages of every section that asks for them, sections in order and units by slug. A unit whose URL
/// another page or section has is an error of the section's `_index.md`.
pub(crate) fn collect(
    sections: &[Section],
    pages: &[Page],
    tables: &BTreeMap<String, DataTable>,
    errors: &mut Vec<ContentError>,
) -> Vec<UnitReport> {
    let mut reports = Vec::new();
    for (id, section) in sections.iter().enumerate().filter(|(_, s)| s.meta.unit_reports) {
        let mut units: BTreeMap<String, UnitReport> = BTreeMap::new();
        let mut samples: HashMap<String, bool> = HashMap::new();
        for &page in &section.pages {
            for key in &pages[page].meta.data {
                let Some(table) = tables.get(key) else { continue };
                for (label, _) in table.labelled_rows() {
                    let slug = slugify(&label);
                    if slug.is_empty() {
                        continue;
                    }
                    let unit = units.entry(slug.clone()).or_insert_with(|| UnitReport {
                        section: id,
                        name: label.clone(),
                        permalink: format!("{}{slug}/", section.permalink),
                        rows: Vec::new(),
                        sample: true,
                    });
                    let row = UnitRow { page, table: key.clone(), label };
                    if !unit.rows.contains(&row) {
                        unit.rows.push(row);
                    }
                    let all_sample = samples.entry(slug).or_insert(true);
                    *all_sample &= table.sample || pages[page].meta.sample;
                }
            }
        }
        for (slug, unit) in &mut units {
            unit.sample = samples.get(slug).copied().unwrap_or(false);
            let owner = pages
                .iter()
                .find(|p| p.permalink == unit.permalink)
                .map(|p| p.file.clone())
                .or_else(|| sections.iter().find(|s| s.permalink == unit.permalink).and_then(|s| s.file.clone()));
            if let Some(owner) = owner {
                errors.push(
                    ContentError::new(
                        section.file.clone().unwrap_or_default(),
                        format!(
                            "trang báo cáo của {} ({}) trùng đường dẫn với {}; đổi `slug` hoặc tên thư mục đó",
                            unit.name,
                            unit.permalink,
                            owner.display()
                        ),
                    )
                    .field("unit_reports"),
                );
            }
        }
        reports.extend(units.into_values());
    }
    reports
}
