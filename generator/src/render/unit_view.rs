//! What a unit's report page (`site::unit_reports`) shows: the report pages that name the unit, each with the
//! unit's rows of its tables drawn as figures.

use serde::Serialize;

use crate::render::chart;
use crate::render::views::{LinkView, PageSummaryView, SectionView, Views};
use crate::site::Site;
use crate::site::unit_reports::UnitReport;

/// A report page and the unit's figures from its tables.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReportEntry<'a> {
    /// The report page, as a list shows it.
    pub page: PageSummaryView<'a>,
    /// The unit's row of each of its tables, as figures (HTML).
    pub figures: Vec<String>,
}

/// A unit's report page.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReportView<'a> {
    /// As the tables spell it.
    pub name: &'a str,
    /// Root-relative URL.
    pub permalink: &'a str,
    /// Whether all its figures are illustrative.
    pub sample: bool,
    /// The report section above it (`… - Bộ, ngành`).
    pub section: SectionView<'a>,
    /// The heading: the report kind and the unit (`Báo cáo cải cách hành chính: Bộ Tư pháp`).
    pub title: String,
    /// Home page down to the report section.
    pub breadcrumbs: Vec<LinkView<'a>>,
    /// The report kind above that section (`Báo cáo cải cách hành chính`), when there is one.
    pub kind: Option<LinkView<'a>>,
    /// Its reports, in the section's order.
    pub reports: Vec<UnitReportEntry<'a>>,
}

/// The view of `unit`.
pub fn view<'a>(site: &'a Site, views: &Views<'a>, unit: &'a UnitReport) -> UnitReportView<'a> {
    let mut reports: Vec<UnitReportEntry<'a>> = Vec::new();
    for row in &unit.rows {
        let figure = site.tables.get(&row.table).and_then(|t| chart::unit_figure(&row.table, t, &row.label));
        match reports.last_mut() {
            Some(entry) if entry.page.permalink == site.pages[row.page].permalink => entry.figures.extend(figure),
            _ => reports.push(UnitReportEntry { page: views.summary(row.page), figures: figure.into_iter().collect() }),
        }
    }
    let parent = site.sections[unit.section].parent.filter(|&p| p != 0);
    let section = views.section(unit.section);
    let mut breadcrumbs = section.breadcrumbs.clone();
    breadcrumbs.push(LinkView { title: section.title, permalink: section.permalink });
    let kind = parent.map(|p| LinkView { title: &site.sections[p].meta.title, permalink: &site.sections[p].permalink });
    UnitReportView {
        title: format!("{}: {}", kind.as_ref().map_or(section.title, |k| k.title), unit.name),
        breadcrumbs,
        name: &unit.name,
        permalink: &unit.permalink,
        sample: unit.sample,
        section,
        kind,
        reports,
    }
}
