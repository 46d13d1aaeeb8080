//! Renders every output file of the site with the theme's templates, in parallel, straight into the staging
//! folder: pages, paginated section and taxonomy lists, feeds, sitemap, redirects, robots.txt, 404.

pub mod chart;
pub mod filter_view;
pub mod images;
pub mod output;
pub mod search;
pub mod survey_units;
pub mod survey_view;
pub mod template_functions;
pub mod theme;
pub mod unit_view;
pub mod views;

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::content::date::ContentDate;
use crate::content::meta::PageKind;
use crate::error::{BuildError, ContentError};
use crate::render::output::Staging;
use crate::render::theme::{StaticFile, Theme, template_content_error};
use crate::render::views::{DateView, PageSummaryView, Reads, Views, page_count};
use crate::site::{PageId, SectionId, Site, order};

/// Entries in a feed.
const FEED_SIZE: usize = 20;

/// Room made for an output before rendering it: about a page of the default theme, so most outputs are written
/// without the buffer growing.
const OUTPUT_CAPACITY: usize = 16 * 1024;

/// Newest pages shown per section on the home page.
const HOME_SECTION_SIZE: usize = 5;
/// URLs per sitemap file, the protocol's limit.
const SITEMAP_LIMIT: usize = 50_000;

/// One file to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// The home page.
    Home,
    /// A page.
    Page(PageId),
    /// A section's list page.
    SectionList {
        /// Which section.
        section: SectionId,
        /// The list page's number, from 1.
        number: usize,
    },
    /// A taxonomy's list of terms.
    TaxonomyIndex(usize),
    /// A term's list page.
    TermList {
        /// Index in `Site::taxonomies`.
        taxonomy: usize,
        /// Index in that taxonomy's terms.
        term: usize,
        /// The list page's number, from 1.
        number: usize,
    },
    /// The site's feed, or a section's.
    Feed(Option<SectionId>),
    /// A ministry's or province's report page (index in `Site::unit_reports`).
    UnitReport(usize),
    /// A document list filtered by issuer, type and year.
    DocumentFilter {
        /// Index in `Site::document_filters`.
        filter: usize,
        /// The list page's number, from 1.
        number: usize,
    },
    /// A redirect from an old URL.
    Alias(usize),
    /// A sitemap file (one of several when the site is large).
    Sitemap(usize),
    /// The sitemap index, when there are several.
    SitemapIndex(usize),
    /// robots.txt.
    Robots,
    /// The 404 page.
    NotFound,
    /// A survey page for readers without JavaScript, for one province (index in the survey's
    /// `province_codes`): its form lists that province's communes (`render::survey_units`).
    SurveyProvince {
        /// The survey's runner page.
        page: PageId,
        /// Which province.
        province: usize,
    },
}

#[derive(Serialize)]
struct FeedView<'a> {
    title: String,
    url: String,
    alternate: String,
    updated: String,
    pages: Vec<PageSummaryView<'a>>,
}

#[derive(Serialize)]
struct SitemapEntry<'a> {
    permalink: &'a str,
    lastmod: Option<String>,
}

/// Counts of what was written, and how each template output was made.
#[derive(Debug, Clone, Default)]
pub struct RenderedSite {
    /// Files copied or written as they are.
    pub copied: usize,
    /// Each rendered file, in the order of `plan`.
    pub made: Vec<Made>,
}

/// One output as it was made: its job, the template it used and what it read of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// What was rendered.
    pub job: Job,
    /// The template named for it (its parents and includes are found from the theme).
    pub template: String,
    /// The pages it showed.
    pub reads: Reads,
}

/// Which template a page uses: its own, its section's, or by kind (`document.html`, `consultation.html`) when
/// the theme has one.
fn page_template<'a>(site: &'a Site, theme: &Theme, id: PageId) -> &'a str {
    let page = &site.pages[id];
    let section = &site.sections[page.section].meta;
    if let Some(t) = page.meta.template.as_deref().or(section.page_template.as_deref()) {
        return t;
    }
    let by_kind = match section.page_kind {
        PageKind::Document => "document.html",
        PageKind::Consultation => "consultation.html",
        PageKind::Video => "video.html",
        PageKind::Article => "page.html",
    };
    if theme.has_template(by_kind) { by_kind } else { "page.html" }
}

fn section_template(site: &Site, id: SectionId) -> &str {
    site.sections[id].meta.template.as_deref().unwrap_or(if id == 0 { "index.html" } else { "section.html" })
}

/// Every template a page or section asks for must exist; checked before anything renders.
pub fn check_templates(site: &Site, theme: &Theme) -> Vec<ContentError> {
    let mut errors = Vec::new();
    let missing = |name: &str| !theme.has_template(name);
    for (id, page) in site.pages.iter().enumerate() {
        let name = page_template(site, theme, id);
        if missing(name) {
            errors.push(
                ContentError::new(&page.file, format!("không có mẫu `{name}` trong {}", theme.templates_dir.display()))
                    .field("template"),
            );
        }
    }
    for (id, section) in site.sections.iter().enumerate() {
        let name = section_template(site, id);
        if missing(name) {
            let file = section.file.clone().unwrap_or_else(|| theme.templates_dir.clone());
            errors.push(
                ContentError::new(file, format!("không có mẫu `{name}` trong {}", theme.templates_dir.display()))
                    .field("template"),
            );
        }
    }
    let derived = [
        ("unit-report.html", !site.unit_reports.is_empty(), "trang báo cáo của từng bộ, tỉnh (`unit_reports`)"),
        ("document-filter.html", !site.document_filters.is_empty(), "danh sách văn bản lọc theo cơ quan, loại, năm"),
    ];
    for (name, used, what) in derived {
        if used && missing(name) {
            errors.push(ContentError::new(theme.templates_dir.join(name), format!("giao diện thiếu mẫu này ({what})")));
        }
    }
    for name in ["404.html", "page.html", "section.html"] {
        if missing(name) && !errors.iter().any(|e| e.message.contains(name)) {
            errors.push(ContentError::new(theme.templates_dir.join(name), "giao diện thiếu mẫu bắt buộc này"));
        }
    }
    if !site.taxonomies.is_empty() {
        for name in ["taxonomy.html", "term.html"] {
            if missing(name) {
                errors.push(ContentError::new(
                    theme.templates_dir.join(name),
                    "giao diện thiếu mẫu bắt buộc này (trang từ khóa, danh mục văn bản)",
                ));
            }
        }
    }
    errors
}

/// Every file rendered from a template, in a fixed order.
pub fn plan(site: &Site) -> Vec<Job> {
    let pages = site.pages.iter().filter(|p| !p.meta.sample).count();
    let units = site.unit_reports.iter().filter(|u| !u.sample).count();
    let sitemap_entries =
        site.sections.len() + pages + units + site.taxonomies.iter().map(|t| 1 + t.terms.len()).sum::<usize>();
    jobs(site, sitemap_entries)
}

fn jobs(site: &Site, sitemap_entries: usize) -> Vec<Job> {
    let mut jobs = vec![Job::Home, Job::Robots, Job::NotFound, Job::Feed(None)];
    jobs.extend((0..site.pages.len()).map(Job::Page));
    for page in 0..site.pages.len() {
        if let Some(survey) = survey_units::commune_survey(site, page) {
            jobs.extend((0..survey.province_codes.len()).map(|province| Job::SurveyProvince { page, province }));
        }
    }
    for (id, section) in site.sections.iter().enumerate().skip(1) {
        jobs.extend(
            (1..=page_count(section.pages.len(), section.paginate_by))
                .map(|number| Job::SectionList { section: id, number }),
        );
        if site.section_feed(id).is_some() {
            jobs.push(Job::Feed(Some(id)));
        }
    }
    for (t, taxonomy) in site.taxonomies.iter().enumerate() {
        jobs.push(Job::TaxonomyIndex(t));
        for (i, term) in taxonomy.terms.iter().enumerate() {
            jobs.extend((1..=page_count(term.pages.len(), site.config.paginate_by)).map(|number| Job::TermList {
                taxonomy: t,
                term: i,
                number,
            }));
        }
    }
    jobs.extend((0..site.unit_reports.len()).map(Job::UnitReport));
    for (filter, f) in site.document_filters.iter().enumerate() {
        jobs.extend(
            (1..=page_count(f.pages.len(), site.config.paginate_by))
                .map(|number| Job::DocumentFilter { filter, number }),
        );
    }
    jobs.extend((0..site.aliases.len()).map(Job::Alias));
    let sitemaps = sitemap_entries.div_ceil(SITEMAP_LIMIT).max(1);
    if sitemaps == 1 {
        jobs.push(Job::Sitemap(0));
    } else {
        jobs.extend((0..sitemaps).map(Job::Sitemap));
        jobs.push(Job::SitemapIndex(sitemaps));
    }
    jobs
}

fn sitemap_entries(site: &Site) -> Vec<SitemapEntry<'_>> {
    let mut entries: Vec<SitemapEntry<'_>> =
        site.sections.iter().map(|s| SitemapEntry { permalink: &s.permalink, lastmod: None }).collect();
    // Illustrative content is no page a search engine should send citizens to.
    entries.extend(site.pages.iter().filter(|p| !p.meta.sample).map(|p| SitemapEntry {
        permalink: &p.permalink,
        lastmod: p.meta.updated.or(p.meta.date).map(|d| d.rfc3339()),
    }));
    entries.extend(
        site.unit_reports.iter().filter(|u| !u.sample).map(|u| SitemapEntry { permalink: &u.permalink, lastmod: None }),
    );
    // Filtered document lists are left out: each document is already listed by issuer, type and year alone.
    for taxonomy in &site.taxonomies {
        entries.push(SitemapEntry { permalink: &taxonomy.permalink, lastmod: None });
        entries.extend(taxonomy.terms.iter().map(|t| SitemapEntry { permalink: &t.permalink, lastmod: None }));
    }
    entries
}

/// Renders the site into `staging`. Every template error is collected; identical ones are reported once.
pub fn render_site(
    site: &Site,
    theme: &Theme,
    staging: &Staging,
    today: ContentDate,
) -> Result<RenderedSite, BuildError> {
    let errors = check_templates(site, theme);
    if !errors.is_empty() {
        return Err(BuildError::Content(errors));
    }
    let jobs = plan(site);
    let made = render_jobs(site, theme, staging, today, &jobs)?;
    // A file in content/ must not silently replace (or be replaced by) a generated one.
    let clashes: Vec<ContentError> = site
        .assets
        .iter()
        .filter(|a| staging.exists(&a.rel))
        .map(|a| {
            ContentError::new(
                format!("content/{}", a.rel),
                "tệp này trùng đường dẫn với một trang được tạo; đổi tên tệp",
            )
        })
        .collect();
    if !clashes.is_empty() {
        return Err(BuildError::Content(clashes));
    }
    let copied: Vec<Result<(), BuildError>> = theme
        .statics
        .par_iter()
        .map(|file| match file {
            StaticFile::Copy { source, rel } => staging.copy(source, rel),
            StaticFile::Bytes { bytes, rel } => staging.write(rel, bytes),
        })
        .chain(site.assets.par_iter().map(|a| staging.copy(&a.path, &a.rel)))
        .chain(site.images.copies.par_iter().map(|(source, rel)| staging.copy(source, rel)))
        .collect();
    let communes = survey_units::json_files(site, today.at().date_naive());
    let written = communes.len();
    for (rel, bytes) in communes {
        staging.write(&rel, &bytes)?;
    }
    copied.into_iter().collect::<Result<Vec<()>, _>>()?;
    staging.write(crate::cms::config::CONFIG_PATH, crate::cms::config::config_yaml(site).as_bytes())?;
    staging.write(crate::cms::config::LOOK_PATH, crate::cms::config::look_json(site, theme).as_bytes())?;
    let copied = theme.statics.len() + site.assets.len() + site.images.copies.len() + written + 2;
    Ok(RenderedSite { copied, made })
}

/// Renders `jobs` (from `plan`) into `staging` and says how each was made. Every template error is collected;
/// identical ones are reported once.
pub fn render_jobs(
    site: &Site,
    theme: &Theme,
    staging: &Staging,
    today: ContentDate,
    jobs: &[Job],
) -> Result<Vec<Made>, BuildError> {
    render_jobs_into(site, theme, today, jobs, |path, bytes| staging.write(&path, &bytes))
}

/// Renders `jobs` (from `plan`), handing each output's path and bytes to `sink` (called from rendering threads),
/// and says how each was made. Every template error is collected; identical ones are reported once.
///
/// The bytes are UTF-8 (tera writes only `str`s) but are not checked again: `Tera::render` checked every output
/// with the standard library's validation, 5 % of a 10,000-page build's CPU on Vietnamese text.
pub fn render_jobs_into(
    site: &Site,
    theme: &Theme,
    today: ContentDate,
    jobs: &[Job],
    sink: impl Fn(String, Vec<u8>) -> Result<(), BuildError> + Sync,
) -> Result<Vec<Made>, BuildError> {
    let views = Views::new(site, today);
    let communes = if jobs.iter().any(|j| matches!(j, Job::SurveyProvince { .. })) {
        crate::content::survey_files::communes(&site.data).ok()
    } else {
        None
    };
    let mut base = Context::new();
    base.insert("config", &site.config);
    base.insert("assets", &theme.assets);
    let menu_sections: Vec<_> = site.sections[0].subsections.iter().map(|&s| views.section(s)).collect();
    base.insert("sections", &menu_sections);
    let taxonomy_links: Vec<_> = site
        .taxonomies
        .iter()
        .map(|t| serde_json::json!({ "kind": t.kind, "label": t.kind.label(), "permalink": t.permalink }))
        .collect();
    base.insert("taxonomies", &taxonomy_links);
    let sitemap = if jobs.iter().any(|j| matches!(j, Job::Sitemap(_))) { sitemap_entries(site) } else { Vec::new() };
    let results: Vec<Result<Made, BuildError>> = jobs
        .par_iter()
        .map(|&job| {
            let ((template, text), reads) = views::record(|| {
                let (template, path, context) = prepare(site, theme, &views, &base, &sitemap, communes.as_ref(), job);
                let mut bytes = Vec::with_capacity(OUTPUT_CAPACITY);
                (template, theme.tera.render_to(template, &context, &mut bytes).map(|()| (path, bytes)))
            });
            let (path, text) = text.map_err(|e| {
                let mut error = template_content_error(&theme.templates_dir, Some(template), &e);
                error.file = theme.template_file(template);
                BuildError::Content(vec![error])
            })?;
            sink(path, text)?;
            Ok(Made { job, template: template.to_string(), reads })
        })
        .collect();
    let mut errors: Vec<ContentError> = Vec::new();
    let mut made = Vec::with_capacity(jobs.len());
    for result in results {
        match result {
            Ok(m) => made.push(m),
            Err(BuildError::Content(found)) => {
                for e in found {
                    if !errors.contains(&e) {
                        errors.push(e);
                    }
                }
            }
            Err(io) => return Err(io),
        }
    }
    if !errors.is_empty() {
        return Err(BuildError::Content(errors));
    }
    Ok(made)
}

/// The newest dated pages of a section, or of the whole site.
fn feed_pages(site: &Site, section: Option<SectionId>) -> Vec<PageId> {
    match section {
        Some(id) => site.sections[id]
            .pages
            .iter()
            .copied()
            .filter(|&p| site.pages[p].meta.date.is_some())
            .take(FEED_SIZE)
            .collect(),
        None => {
            let dated = (0..site.pages.len()).filter(|&p| site.pages[p].meta.date.is_some()).collect();
            order::first_n(dated, FEED_SIZE, |&a, &b| order::newest_first(&site.pages[a], &site.pages[b]))
        }
    }
}

/// The pages a list output shows, in order (empty for other outputs): two builds whose lists differ must
/// render it again even if none of its pages changed (another page moved into it).
pub fn listed(site: &Site, job: Job) -> Vec<PageId> {
    match job {
        Job::Home => {
            let home = &site.sections[0];
            let mut shown = home.pages.clone();
            for &id in &home.subsections {
                shown.extend(site.sections[id].pages.iter().take(HOME_SECTION_SIZE));
            }
            shown
        }
        Job::SectionList { section: id, number } => {
            let section = &site.sections[id];
            views::pager_items(&section.pages, section.paginate_by, number).to_vec()
        }
        Job::TermList { taxonomy: t, term: i, number } => {
            views::pager_items(&site.taxonomies[t].terms[i].pages, site.config.paginate_by, number).to_vec()
        }
        Job::Feed(section) => feed_pages(site, section),
        Job::DocumentFilter { filter, number } => {
            views::pager_items(&site.document_filters[filter].pages, site.config.paginate_by, number).to_vec()
        }
        Job::UnitReport(unit) => site.unit_reports[unit].rows.iter().map(|r| r.page).collect(),
        _ => Vec::new(),
    }
}

fn index_path(permalink: &str) -> String {
    format!("{}index.html", permalink.trim_start_matches('/'))
}

fn prepare<'a>(
    site: &'a Site,
    theme: &Theme,
    views: &Views<'a>,
    base: &Context,
    sitemap: &[SitemapEntry<'_>],
    communes: Option<&cchc_functions::survey::Communes>,
    job: Job,
) -> (&'a str, String, Context) {
    let mut context = base.clone();
    let set_path = |context: &mut Context, permalink: &str| context.insert("current_path", permalink);
    match job {
        Job::Home => {
            let home = &site.sections[0];
            set_path(&mut context, "/");
            context.insert("section", &views.section(0));
            context.insert("home_sections", &views.home_sections(HOME_SECTION_SIZE));
            context.insert("paginator", &views.paginator(&home.pages, home.paginate_by.max(home.pages.len()), 1, "/"));
            (section_template(site, 0), "index.html".into(), context)
        }
        Job::Page(id) => {
            let page = &site.pages[id];
            set_path(&mut context, &page.permalink);
            context.insert("page", &views.page(id));
            context.insert("section", &views.section(page.section));
            (page_template(site, theme, id), index_path(&page.permalink), context)
        }
        Job::SurveyProvince { page: id, province } => {
            let page = &site.pages[id];
            let day = views.today().at().date_naive();
            let view = survey_units::commune_survey(site, id)
                .zip(communes)
                .and_then(|(survey, communes)| survey_units::province(survey, communes, province, day));
            let id_part = view.as_ref().map_or_else(|| province.to_string(), |v| v.id.clone());
            let permalink = format!("{}tinh/{id_part}/", page.permalink);
            set_path(&mut context, &permalink);
            context.insert("page", &views.page(id));
            context.insert("section", &views.section(page.section));
            context.insert("province", &view);
            (page_template(site, theme, id), index_path(&permalink), context)
        }
        Job::SectionList { section: id, number } => {
            let section = &site.sections[id];
            let permalink = views::pager_permalink(&section.permalink, number);
            set_path(&mut context, &permalink);
            context.insert("section", &views.section(id));
            context
                .insert("paginator", &views.paginator(&section.pages, section.paginate_by, number, &section.permalink));
            (section_template(site, id), index_path(&permalink), context)
        }
        Job::TaxonomyIndex(t) => {
            let taxonomy = &site.taxonomies[t];
            set_path(&mut context, &taxonomy.permalink);
            context.insert("taxonomy", &views.taxonomy(taxonomy));
            ("taxonomy.html", index_path(&taxonomy.permalink), context)
        }
        Job::TermList { taxonomy: t, term: i, number } => {
            let taxonomy = &site.taxonomies[t];
            let term = &taxonomy.terms[i];
            let permalink = views::pager_permalink(&term.permalink, number);
            set_path(&mut context, &permalink);
            context.insert("taxonomy", &views.taxonomy(taxonomy));
            context.insert("term", &views::term_view(term));
            context
                .insert("paginator", &views.paginator(&term.pages, site.config.paginate_by, number, &term.permalink));
            ("term.html", index_path(&permalink), context)
        }
        Job::Feed(section) => {
            let pages = feed_pages(site, section);
            let (title, alternate): (String, &str) = match section {
                Some(id) => {
                    let s = &site.sections[id];
                    (format!("{} - {}", s.meta.title, site.config.title), &s.permalink)
                }
                None => (site.config.title.clone(), "/"),
            };
            let updated = pages
                .iter()
                .filter_map(|&p| site.pages[p].meta.updated.or(site.pages[p].meta.date))
                .max()
                .map(|d| DateView::from(d).iso)
                .unwrap_or_else(|| "1970-01-01T00:00:00+07:00".into());
            let path = format!("{}atom.xml", alternate.trim_start_matches('/'));
            let feed = FeedView {
                title,
                url: site.config.absolute(&format!("/{path}")),
                alternate: site.config.absolute(alternate),
                updated,
                pages: pages.iter().map(|&p| views.summary(p)).collect(),
            };
            context.insert("feed", &feed);
            ("atom.xml", path, context)
        }
        Job::UnitReport(i) => {
            let unit = &site.unit_reports[i];
            set_path(&mut context, &unit.permalink);
            context.insert("section", &views.section(unit.section));
            context.insert("unit", &unit_view::view(site, views, unit));
            ("unit-report.html", index_path(&unit.permalink), context)
        }
        Job::DocumentFilter { filter, number } => {
            let f = &site.document_filters[filter];
            let permalink = views::pager_permalink(&f.permalink, number);
            set_path(&mut context, &permalink);
            context.insert("section", &views.section(site.document_facets[f.facets].section));
            context.insert("filter", &filter_view::view(site, views, f));
            context.insert("paginator", &filter_view::paginator(site, views, f, number));
            ("document-filter.html", index_path(&permalink), context)
        }
        Job::Alias(i) => {
            let (from, to) = &site.aliases[i];
            context.insert("target", to);
            let path = if from.ends_with('/') { index_path(from) } else { from.trim_start_matches('/').to_string() };
            ("alias.html", path, context)
        }
        Job::Sitemap(i) => {
            let chunk: Vec<&SitemapEntry<'_>> = sitemap.iter().skip(i * SITEMAP_LIMIT).take(SITEMAP_LIMIT).collect();
            context.insert("entries", &chunk);
            let whole = sitemap.len() <= SITEMAP_LIMIT;
            ("sitemap.xml", if whole { "sitemap.xml".into() } else { format!("sitemap-{}.xml", i + 1) }, context)
        }
        Job::SitemapIndex(count) => {
            let files: Vec<String> = (1..=count).map(|i| format!("/sitemap-{i}.xml")).collect();
            context.insert("sitemaps", &files);
            ("sitemap_index.xml", "sitemap.xml".into(), context)
        }
        Job::Robots => ("robots.txt", "robots.txt".into(), context),
        Job::NotFound => {
            set_path(&mut context, "/404.html");
            ("404.html", "404.html".into(), context)
        }
    }
}
