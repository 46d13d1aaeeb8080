//! Incremental rebuilds for `cchc serve`. The previous build stays in memory: the sources, each page's parse
//! and rendered body, the site, the theme, and what every output read while it was rendered. A change re-reads
//! only the files the watcher named, parses and renders only those pages, and re-renders only the outputs that
//! showed something that changed (or whose template changed); the search index follows afterwards
//! (`update_search`). What it cannot reason about (`site.yaml`, data, surveys, attachments, static files, pages
//! added, removed or moved) gets the whole pipeline, still without re-parsing unchanged pages. An incremental
//! rebuild renders its outputs into memory and, once all of them succeeded, writes the changed ones over the
//! previous files in place (`write_in_place`), not through a staging folder as a full build does.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::commands::sync;
use crate::content::date::ContentDate;
use crate::content::discover::{self, ContentFiles, SourceFile, slash_path};
use crate::content::meta::{PageFrontMatter, SortBy};
use crate::error::{BuildError, ContentError};
use crate::markdown::highlight::{self, Highlighter};
use crate::pipeline::{BuildOptions, BuildReport, Timer};
use crate::render::output::{Changes, Staging};
use crate::render::theme::Theme;
use crate::render::{self, Job, Made};
use crate::render::{search, template_functions};
use crate::site::{Page, ParseCache, Section, Site, Taxonomy, Term};

/// A site kept in memory between builds.
pub struct LiveSite {
    options: BuildOptions,
    out: PathBuf,
    roots: Vec<PathBuf>,
    highlighter: Highlighter,
    cache: ParseCache,
    files: Option<ContentFiles>,
    theme: Option<Theme>,
    last: Option<Last>,
    /// Whether `last` holds every page body the parse cache holds: a failed rebuild may have rendered bodies it
    /// did not write, and then the next one assembles the site from the cache instead of patching `last`.
    patchable: bool,
    search_stale: bool,
    /// How many builds reached the output folder; held while one does, so a search index made in the
    /// background is written only if no build came after the one it was made from.
    committed: Arc<Mutex<u64>>,
}

/// The search index of one build, to make off the rebuild's path (it takes ~0.5 s at 10,000 pages).
pub struct SearchUpdate {
    site: Arc<Site>,
    out: PathBuf,
    committed: Arc<Mutex<u64>>,
    generation: u64,
}

impl SearchUpdate {
    /// Makes the index on a thread of its own and writes it, unless a later build has been written since.
    pub fn run(self) -> Result<Changes, BuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .start_handler(|_| lower_priority())
            .build()
            .map_err(|e| BuildError::Runtime(std::io::Error::other(e)))?;
        let index = pool.install(|| search::index(&self.site))?;
        let committed = self.committed.lock().unwrap_or_else(PoisonError::into_inner);
        if *committed != self.generation {
            return Ok(Changes::default());
        }
        let staging = Staging::partial(&self.out, &[search::BUNDLE_DIR])?;
        for file in &index {
            staging.write(&file.rel, &file.bytes)?;
        }
        staging.commit()
    }
}

/// The last successful build.
struct Last {
    site: Arc<Site>,
    today: ContentDate,
    /// Every output of `render::plan`, in its order.
    made: Vec<Made>,
    files: usize,
}

/// The watcher's paths, sorted by what they take to rebuild.
#[derive(Debug, Default)]
struct Changed {
    /// Markdown files under `content/`, relative to it.
    pages: Vec<String>,
    /// Templates of the site's theme, by name.
    templates: HashSet<String>,
    /// Other files under `content/` (data, surveys, attachments) or folders.
    content: bool,
    /// `site.yaml`, the theme's static files, anything else.
    other: bool,
}

impl Changed {
    /// Markdown files changed, and nothing else.
    fn only_pages(&self) -> bool {
        !self.pages.is_empty() && self.templates.is_empty() && !self.content && !self.other
    }

    /// Templates changed (or nothing did), and nothing else.
    fn only_templates(&self) -> bool {
        self.pages.is_empty() && !self.content && !self.other
    }
}

impl LiveSite {
    /// A site to build from `options` (which must have an output folder).
    pub fn new(options: BuildOptions) -> Result<Self, BuildError> {
        let out =
            options.out.clone().ok_or_else(|| BuildError::usage(&options.root, "cchc serve cần một thư mục đầu ra"))?;
        let mut roots = vec![options.root.clone()];
        if let Ok(canonical) = options.root.canonicalize() {
            roots.push(canonical);
        }
        Ok(Self {
            options,
            out,
            roots,
            highlighter: Highlighter::new(),
            cache: ParseCache::default(),
            files: None,
            theme: None,
            last: None,
            patchable: false,
            search_stale: false,
            committed: Arc::default(),
        })
    }

    /// Rebuilds after the files at `changed` changed (all of it the first time), as of `today`.
    pub fn rebuild(&mut self, changed: &[PathBuf], today: ContentDate) -> Result<BuildReport, BuildError> {
        let report = self.try_rebuild(changed, today);
        self.patchable = report.is_ok();
        report
    }

    fn try_rebuild(&mut self, changed: &[PathBuf], today: ContentDate) -> Result<BuildReport, BuildError> {
        let mut timer = Timer::new();
        let mut changed = self.classify(changed);
        // A new day moves consultation windows: as if everything changed.
        if self.last.as_ref().is_some_and(|last| last.today.iso_date() != today.iso_date()) {
            changed.other = true;
        }
        let content_dir = self.options.root.join("content");
        match self.files.as_mut() {
            Some(files) if !changed.content => {
                for rel in &changed.pages {
                    update_markdown(files, &content_dir, rel)?;
                }
            }
            _ => {
                if changed.content {
                    // An attachment may have changed, and its checksum is read with its page.
                    self.cache.clear();
                }
                self.files = Some(discover::discover(&content_dir, discover::Reading::All)?);
            }
        }
        timer.lap("đọc");

        let unchanged = self.last.as_ref().filter(|_| self.patchable && changed.only_templates());
        let site = match unchanged {
            // The content is as it was: the site too (survey results are read again with the next content change).
            Some(last) => last.site.clone(),
            None => {
                let mut site = match self.page_edits(&changed) {
                    Some(site) => site?,
                    None => {
                        let config = self.options.config()?;
                        let files = self.files.clone().unwrap_or_default();
                        Site::assemble_cached(config, files, self.options.drafts, &self.highlighter, &mut self.cache)
                            .map_err(BuildError::Content)?
                    }
                };
                timer.lap("phân tích");
                if let Some(path) = &self.options.results_from {
                    (site.results, site.answers) = sync::results_snapshot(path, &site)?;
                    timer.lap("kết quả khảo sát");
                }
                site.images =
                    crate::render::images::prepare(&site.assets, &crate::pipeline::image_cache(&self.options.root))?;
                timer.lap("ảnh");
                Arc::new(site)
            }
        };

        if self.theme.is_none() || changed.other || !changed.templates.is_empty() {
            // Forgotten first: if loading fails, the next rebuild must try again whatever it is for.
            self.theme = None;
            self.theme = Some(Theme::load(&self.options.root, &site.config.theme, &highlight::stylesheet())?);
        }
        let Some(theme) = self.theme.as_mut() else { unreachable!("loaded above") };
        template_functions::register(&mut theme.tera, site.clone(), today);
        timer.lap("giao diện");

        let incremental = self.last.as_ref().filter(|last| {
            !changed.other
                && !changed.content
                && same_structure(&last.site, &site)
                && last.made.iter().map(|m| m.job).eq(render::plan(&site))
        });
        let Some(last) = incremental else {
            return self.full(site, today, timer);
        };

        let affected_templates = theme.templates_using(&changed.templates);
        let selected = outdated(last, &site, &affected_templates);
        let content_changed = selected.content_changed;
        if !changed.templates.is_empty() {
            let errors = render::check_templates(&site, theme);
            if !errors.is_empty() {
                return Err(BuildError::Content(errors));
            }
        }
        let picked: Vec<Job> = selected.jobs.iter().map(|&i| last.made[i].job).collect();
        // Held until every output is rendered: a failed rebuild leaves the output folder as it was.
        let rendered = Mutex::new(Vec::with_capacity(picked.len()));
        let made = render::render_jobs_into(&site, theme, today, &picked, |path, bytes| {
            rendered.lock().unwrap_or_else(PoisonError::into_inner).push((path, bytes));
            Ok(())
        })?;
        timer.lap("dựng trang");
        let rendered = rendered.into_inner().unwrap_or_else(PoisonError::into_inner);
        let changes = write_in_place(&self.out, &rendered, &self.committed, content_changed)?;
        drop(rendered);
        timer.lap("ghi");
        let Some(last) = self.last.as_mut() else { unreachable!("checked above") };
        for (i, m) in selected.jobs.into_iter().zip(made) {
            last.made[i] = m;
        }
        last.site = site.clone();
        self.search_stale |= content_changed;
        Ok(BuildReport::new(&site, last.files, Some(picked.len()), changes, timer))
    }

    /// The search index of the last build to make, if it lags behind (then it no longer does, as far as the
    /// next call knows).
    pub fn search_update(&mut self) -> Option<SearchUpdate> {
        let last = self.last.as_ref().filter(|_| self.search_stale)?;
        self.search_stale = false;
        Some(SearchUpdate {
            site: last.site.clone(),
            out: self.out.clone(),
            committed: self.committed.clone(),
            generation: *self.committed.lock().unwrap_or_else(PoisonError::into_inner),
        })
    }

    /// Makes and writes the search index of the last build now, if it lags behind.
    pub fn update_search(&mut self) -> Result<Changes, BuildError> {
        self.search_update().map_or(Ok(Changes::default()), SearchUpdate::run)
    }

    /// The whole pipeline from the assembled site.
    fn full(&mut self, site: Arc<Site>, today: ContentDate, mut timer: Timer) -> Result<BuildReport, BuildError> {
        let Some(theme) = self.theme.as_ref() else { unreachable!("loaded by rebuild") };
        let staging = Staging::create(&self.out)?;
        let (rendered, files) = crate::pipeline::render_all(&site, theme, &staging, today, &mut timer)?;
        let changes = commit(staging, &self.committed, true)?;
        timer.lap("ghi");
        self.last = Some(Last { site: site.clone(), today, made: rendered.made, files });
        self.search_stale = false;
        Ok(BuildReport::new(&site, files, None, changes, timer))
    }

    /// When only existing pages changed, each in its body or only in what lists and links show of it (its
    /// title or summary; `shown_only`): the last site with those bodies rendered again and those fields replaced.
    /// The link map, the order and the groups are then the same, so nothing else can differ. `None` when anything
    /// else may have changed.
    fn page_edits(&mut self, changed: &Changed) -> Option<Result<Site, BuildError>> {
        let last = self.last.as_ref().filter(|_| self.patchable)?;
        if !changed.only_pages() {
            return None;
        }
        let files = self.files.as_ref()?;
        let mut edits = Vec::with_capacity(changed.pages.len());
        for rel in &changed.pages {
            let file = Path::new("content").join(rel);
            let id = last.site.pages.iter().position(|p| p.file == file)?;
            let text = files.markdown.iter().find(|f| f.rel == *rel)?.text.clone();
            edits.push((rel, id, text));
        }
        let mut site = (*last.site).clone();
        for (rel, id, text) in edits {
            if let Some(body) = self.cache.body_only(rel, &text, &self.highlighter) {
                match body {
                    Ok(rendered) => Arc::make_mut(&mut site.pages[id]).rendered = rendered,
                    Err(errors) => return Some(Err(BuildError::Content(errors))),
                }
                continue;
            }
            let by_title = site.sections[site.pages[id].section].meta.sort_by == SortBy::Title;
            match self.cache.front_only(rel, &text, |old, new| shown_only(old, new, by_title))? {
                Ok(front) => Arc::make_mut(&mut site.pages[id]).meta = front.meta,
                Err(errors) => return Some(Err(BuildError::Content(errors))),
            }
        }
        Some(Ok(site))
    }

    fn classify(&self, paths: &[PathBuf]) -> Changed {
        let mut changed = Changed::default();
        if self.last.is_none() {
            changed.other = true;
        }
        let theme_templates =
            self.last.as_ref().map(|last| PathBuf::from("themes").join(&last.site.config.theme).join("templates"));
        for path in paths {
            let Some(rel) = self.roots.iter().find_map(|root| path.strip_prefix(root).ok()) else {
                changed.other = true;
                continue;
            };
            if let Ok(inside) = rel.strip_prefix("content") {
                let hidden = inside.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
                if hidden {
                    continue;
                }
                let rel = slash_path(inside);
                if path.extension().is_some_and(|e| e == "md") && !path.is_dir() {
                    changed.pages.push(rel);
                } else if path.exists() || self.files.as_ref().is_none_or(|files| files.has(&rel)) {
                    changed.content = true;
                }
                // Else a file that came and went (an editor's temporary copy) and that the site never had.
            } else if let Some(name) = theme_templates.as_ref().and_then(|t| rel.strip_prefix(t).ok())
                && !path.is_dir()
            {
                changed.templates.insert(slash_path(name));
            } else {
                changed.other = true;
            }
        }
        changed
    }
}

/// Whether the front matter `new` differs from `old` only in what a page's own output, its list entries and links
/// show (its title, unless its section is sorted by title, and its summary), not in anything that places, orders,
/// groups or relates pages.
fn shown_only(old: &PageFrontMatter, new: &PageFrontMatter, sorted_by_title: bool) -> bool {
    let mut placed = new.clone();
    placed.meta.summary.clone_from(&old.meta.summary);
    if !sorted_by_title {
        placed.meta.title.clone_from(&old.meta.title);
    }
    placed == *old
}

/// Lets every other thread of the machine go first on this one (the nicest priority, 19): the next rebuild must
/// not wait behind the search index.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
        eprintln!("(không hạ được độ ưu tiên của luồng lập chỉ mục tìm kiếm: {e})");
    }
}

/// Moves a build into the output folder, one build at a time, and counts it if its pages changed (which makes a
/// search index still being made from the previous pages out of date).
fn commit(staging: Staging, committed: &Mutex<u64>, pages_changed: bool) -> Result<Changes, BuildError> {
    let mut count = committed.lock().unwrap_or_else(PoisonError::into_inner);
    let changes = staging.commit()?;
    if pages_changed {
        *count += 1;
    }
    Ok(changes)
}

/// Writes the outputs of an incremental rebuild over the previous ones, in place and in parallel, one build at a
/// time, and counts the build if its pages changed (as `commit` does).
///
/// Not through a staging folder: on this machine's ext4 (no journal) every file created there is a new inode and
/// every file it replaces a freed one, and the allocator skips inodes freed in the last minutes one by one, so a
/// template every page uses took seconds more to write each time it was saved (`tests/bench/README.md`,
/// "The preview's rebuilds"). Writing over the file keeps its inode and folder. The price: a browser asking for a
/// page while it is being written may get part of it, and then reloads on this build's message.
fn write_in_place(
    out: &Path,
    files: &[(String, Vec<u8>)],
    committed: &Mutex<u64>,
    pages_changed: bool,
) -> Result<Changes, BuildError> {
    let mut count = committed.lock().unwrap_or_else(PoisonError::into_inner);
    let written = files
        .par_iter()
        .map(|(rel, bytes)| overwrite(out, rel, bytes).map(usize::from))
        .try_reduce(|| 0, |a, b| Ok(a + b))?;
    if pages_changed {
        *count += 1;
    }
    Ok(Changes { written, unchanged: files.len() - written, deleted: 0 })
}

/// Writes `bytes` over the file at `rel` inside `out` unless it holds them already; whether it wrote.
fn overwrite(out: &Path, rel: &str, bytes: &[u8]) -> Result<bool, BuildError> {
    let rel = rel.trim_start_matches('/');
    if rel.split('/').any(|part| part == ".." || part == "." || part.is_empty()) {
        return Err(BuildError::usage(Path::new(rel), "đường dẫn đầu ra không hợp lệ"));
    }
    let path = out.join(rel);
    let old_len = std::fs::metadata(&path).ok().filter(|m| m.is_file()).map(|m| m.len());
    let new_len = bytes.len() as u64;
    if old_len == Some(new_len) && std::fs::read(&path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    // Not truncated first: the new text goes over the old one's blocks, and only a longer old file is cut.
    let open = || std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path);
    let file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
            }
            open()
        }
        other => other,
    };
    file.and_then(|mut f| {
        f.write_all(bytes)?;
        if old_len.is_some_and(|old| old > new_len) { f.set_len(new_len) } else { Ok(()) }
    })
    .map_err(|e| BuildError::io(&path, e))?;
    Ok(true)
}

/// Reads one Markdown file again (or forgets it, if it is gone).
fn update_markdown(files: &mut ContentFiles, content_dir: &Path, rel: &str) -> Result<(), BuildError> {
    let path = content_dir.join(rel);
    let shown = Path::new("content").join(rel);
    files.unreadable.retain(|e| e.file != shown);
    let position = files.markdown.iter().position(|f| f.rel == rel);
    match (discover::read_text(&path), position) {
        (Ok(text), Some(i)) => files.markdown[i].text = text,
        (Ok(text), None) => files.markdown.push(SourceFile { rel: rel.to_string(), text }),
        (Err(e), position) => {
            if let Some(i) = position {
                files.markdown.remove(i);
            }
            if e.kind() != std::io::ErrorKind::NotFound {
                // Reported with the build's other errors, as a full build would.
                files.unreadable.push(ContentError::new(shown, discover::unreadable(&e)));
            }
        }
    }
    Ok(())
}

/// Whether two builds make the same files from the same pages, sections, terms and data: then only what pages
/// show can differ, and an output that showed none of the changed pages is still right. Every struct is
/// destructured without `..`, so a new field fails to compile here until it is compared or said not to matter.
fn same_structure(old: &Site, new: &Site) -> bool {
    // Which unit pages and filter combinations exist can change with a page's fields alone; each combination's list
    // is compared per output (`render::listed`).
    let Site {
        config,
        sections,
        pages,
        taxonomies,
        data,
        tables,
        assets,
        aliases,
        surveys,
        results,
        answers,
        unit_reports,
        document_facets,
        document_filters: _,
        images,
    } = old;
    *config == new.config
        && same_all(sections, &new.sections, same_section)
        && same_all(pages, &new.pages, |a, b| Arc::ptr_eq(a, b) || same_place(a, b))
        && same_all(taxonomies, &new.taxonomies, same_taxonomy)
        && same_all(surveys, &new.surveys, |(i, a), (j, b)| i == j && a.survey == b.survey)
        && *aliases == new.aliases
        && *data == new.data
        && *tables == new.tables
        && *results == new.results
        && *answers == new.answers
        && *assets == new.assets
        && *unit_reports == new.unit_reports
        && *document_facets == new.document_facets
        && *images == new.images
}

/// Same length and `same` pairwise.
fn same_all<'a, T: 'a, I: IntoIterator<Item = T>>(a: I, b: I, same: impl Fn(T, T) -> bool) -> bool
where
    I::IntoIter: ExactSizeIterator,
{
    let (a, b) = (a.into_iter(), b.into_iter());
    a.len() == b.len() && a.zip(b).all(|(x, y)| same(x, y))
}

fn same_section(a: &Section, b: &Section) -> bool {
    // `file` and `dir` follow from `permalink`; which pages it lists is judged by the outputs that read them.
    let Section { file: _, dir: _, permalink, meta, rendered, pages, subsections, parent, paginate_by } = a;
    *permalink == b.permalink
        && *meta == b.meta
        && *rendered == b.rendered
        && *parent == b.parent
        && *subsections == b.subsections
        && *paginate_by == b.paginate_by
        && pages.len() == b.pages.len()
}

/// Same source, URL and section: what the page shows is compared per output by `outdated`.
fn same_place(a: &Page, b: &Page) -> bool {
    let Page { file, permalink, section, meta: _, kind: _, rendered: _, previous: _, next: _, related: _ } = a;
    *file == b.file && *permalink == b.permalink && *section == b.section
}

fn same_taxonomy(a: &Taxonomy, b: &Taxonomy) -> bool {
    let Taxonomy { kind, permalink, terms } = a;
    *kind == b.kind
        && *permalink == b.permalink
        && same_all(terms, &b.terms, |x: &Term, y: &Term| {
            let Term { name, slug, permalink, pages } = x;
            *name == y.name && *slug == y.slug && *permalink == y.permalink && pages.len() == y.pages.len()
        })
}

/// The outputs of the last build that a change makes out of date, by index in `Last::made`.
struct Outdated {
    jobs: Vec<usize>,
    content_changed: bool,
}

fn outdated(last: &Last, new: &Site, templates: &HashSet<String>) -> Outdated {
    let old = &last.site;
    // A patched site shares every page it did not edit (`page_edits`): only the others are compared.
    let edited: Vec<(usize, &Page, &Page)> = old
        .pages
        .iter()
        .zip(&new.pages)
        .enumerate()
        .filter(|(_, (a, b))| !Arc::ptr_eq(a, b))
        .map(|(id, (a, b))| (id, &**a, &**b))
        .collect();
    let mut summary = vec![false; old.pages.len()];
    let mut whole = vec![false; old.pages.len()];
    for &(id, a, b) in &edited {
        summary[id] = !same_summary(a, b);
        whole[id] = summary[id] || !same_beyond_summary(a, b);
    }
    let content_changed = edited.iter().any(|&(id, _, _)| whole[id]);
    // Lists are ordered and grouped by front matter: while it is the same, so are they.
    let fronts_changed = edited.iter().any(|(_, a, b)| a.meta != b.meta || a.kind != b.kind);
    let dates_changed = edited.iter().any(|(_, a, b)| a.meta.date != b.meta.date || a.meta.updated != b.meta.updated);
    let jobs = (0..last.made.len())
        .filter(|&i| {
            let made = &last.made[i];
            if templates.contains(&made.template) {
                return true;
            }
            if !content_changed {
                return false;
            }
            made.reads.wide
                || made.reads.whole.iter().any(|&p| whole[p])
                || made.reads.summaries.iter().any(|&p| summary[p])
                || (dates_changed && matches!(made.job, Job::Sitemap(_) | Job::SitemapIndex(_)))
                || (fronts_changed && render::listed(old, made.job) != render::listed(new, made.job))
        })
        .collect();
    Outdated { jobs, content_changed }
}

/// What a page's own output shows of it besides its summary.
fn same_beyond_summary(a: &Page, b: &Page) -> bool {
    (Arc::ptr_eq(&a.rendered, &b.rendered) || a.rendered == b.rendered)
        && a.previous == b.previous
        && a.next == b.next
        && a.related == b.related
}

/// Everything a list, a link or a feed shows of a page.
fn same_summary(a: &Page, b: &Page) -> bool {
    a.meta == b.meta
        && a.kind == b.kind
        && a.permalink == b.permalink
        && (Arc::ptr_eq(&a.rendered, &b.rendered) || a.rendered.summary_html == b.rendered.summary_html)
}
