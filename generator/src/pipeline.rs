//! The build, stage by stage: read `site.yaml` and `content/` (content), assemble the model (site), render it and
//! make the search index (render), and swap the output in (render::output). Each stage is timed; errors from
//! every file are gathered and reported together.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::commands::{StoreTarget, sync};
use crate::content::config::{CONFIG_FILE, SiteConfig};
use crate::content::date::ContentDate;
use crate::content::discover;
use crate::error::{BuildError, ContentError};
use crate::markdown::highlight::{self, Highlighter};
use crate::render::output::{self, Staging};
use crate::render::theme::Theme;
use crate::render::{self, search, template_functions};
use crate::site::Site;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Folder holding `site.yaml`, `content/` and `themes/`.
    pub root: PathBuf,
    /// Where the site goes; `None` checks everything and writes nothing.
    pub out: Option<PathBuf>,
    /// Overrides `base_url` from `site.yaml`.
    pub base_url: Option<String>,
    /// Includes pages marked `draft: true`.
    pub drafts: bool,
    /// The day the build is for: consultation windows and unit lists are judged on it.
    pub today: ContentDate,
    /// The store to read survey results from, for the results pages' snapshot.
    pub results_from: Option<StoreTarget>,
    /// The build for the public site: illustrative content (`sample: true`) is an error, so none reaches it.
    pub production: bool,
}

impl BuildOptions {
    /// For commands that only read the content (`sync`, `codes`): published pages as of now, nothing written.
    pub fn content_only(root: PathBuf) -> Self {
        Self {
            root,
            out: None,
            base_url: None,
            drafts: false,
            today: ContentDate::now(),
            results_from: None,
            production: false,
        }
    }

    /// `site.yaml`, with `base_url` replaced when asked.
    pub(crate) fn config(&self) -> Result<SiteConfig, BuildError> {
        let config = load_config(&self.root)?;
        Ok(match &self.base_url {
            Some(url) => config.with_base_url(url),
            None => config,
        })
    }
}

/// Where a site's resized photos are kept between builds (`.cchc/anh/`, by the source's content hash).
pub fn image_cache(root: &Path) -> PathBuf {
    root.join(".cchc").join("anh")
}

/// The embedded store of a site folder: where `cchc serve` keeps what citizens send, and where `sync` and
/// `codes` write without `--dynamodb-table`.
pub fn local_store_path(root: &Path) -> PathBuf {
    root.join(".cchc").join("cchc.sqlite3")
}

/// The local master key of personal data (`.cchc/khoa-du-lieu-ca-nhan`, made on first use, 0600): `cchc serve`
/// seals contacts, free-text answers and attachments with it, and `cchc export --personal-data` opens them.
pub fn local_personal_data_key(root: &Path) -> PathBuf {
    root.join(".cchc").join("khoa-du-lieu-ca-nhan")
}

/// The key access codes are hashed under locally (`.cchc/code-key`, made on first use, readable by its owner
/// only): `cchc codes` hashes with it and `cchc serve`'s API checks with it.
pub fn local_code_key(root: &Path) -> std::io::Result<String> {
    let dir = root.join(".cchc");
    std::fs::create_dir_all(&dir)?;
    cchc_functions::secrets::secret_file(&dir.join("code-key"))
}

/// What a build did, for the progress line.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Pages published.
    pub pages: usize,
    /// Sections, the home page included.
    pub sections: usize,
    /// Taxonomy terms.
    pub terms: usize,
    /// Files the site is made of.
    pub files: usize,
    /// When `cchc serve` found only some outputs out of date: how many it rendered again (`None`: all).
    pub rerendered: Option<usize>,
    /// What the build changed in the output folder (nothing for a build without one).
    pub changes: output::Changes,
    /// Each stage's name and duration.
    pub stages: Vec<(&'static str, Duration)>,
    /// The consultations the functions must enforce, as the content defines them.
    pub consultations: Vec<cchc_functions::domain::Consultation>,
    /// The surveys the functions must enforce, as the content defines them.
    pub surveys: Vec<cchc_functions::survey::Survey>,
}

impl BuildReport {
    pub(crate) fn new(
        site: &Site,
        files: usize,
        rerendered: Option<usize>,
        changes: output::Changes,
        timer: Timer,
    ) -> Self {
        BuildReport {
            pages: site.pages.len(),
            sections: site.sections.len(),
            terms: site.taxonomies.iter().map(|t| t.terms.len()).sum(),
            files,
            rerendered,
            changes,
            stages: timer.stages,
            consultations: sync::consultations(site),
            surveys: site.surveys.values().map(|f| f.survey.clone()).collect(),
        }
    }

    /// The next day after `today` on which some page changes state without an edit: a survey or consultation
    /// opens (its first day) or closes (the day after its last). Pages are built for a day in Viet Nam time, so
    /// the site must be rebuilt just after 00:00 that day (17:00 UTC the day before); `None` when no window
    /// lies ahead.
    pub fn next_change(&self, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        let windows = self
            .surveys
            .iter()
            .map(|s| (s.opens, s.closes))
            .chain(self.consultations.iter().map(|c| (c.opens, c.closes)));
        windows.flat_map(|(opens, closes)| [Some(opens), closes.succ_opt()]).flatten().filter(|d| *d > today).min()
    }

    /// Total time of all stages.
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|(_, d)| *d).sum()
    }

    /// One line for the terminal: counts, then the time of each stage.
    pub fn summary(&self) -> String {
        let stages: Vec<String> = self.stages.iter().map(|(name, d)| format!("{name} {}", ms(*d))).collect();
        let rendered = self.rerendered.map(|n| format!("{n} dựng lại, ")).unwrap_or_default();
        format!(
            "{} trang, {} chuyên mục, {} mục phân loại → {} tệp ({rendered}{} ghi mới, {} xoá) trong {} ({})",
            self.pages,
            self.sections,
            self.terms,
            self.files,
            self.changes.written,
            self.changes.deleted,
            ms(self.total()),
            stages.join(" · ")
        )
    }
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// Times the stages of a build.
pub(crate) struct Timer {
    stages: Vec<(&'static str, Duration)>,
    last: Instant,
}

impl Timer {
    pub(crate) fn new() -> Self {
        Self { stages: Vec::new(), last: Instant::now() }
    }

    pub(crate) fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        tracing::debug!(stage = name, ms = (now - self.last).as_secs_f64() * 1000.0, "build stage");
        self.stages.push((name, now - self.last));
        self.last = now;
    }
}

/// Reads `site.yaml` from `root`.
pub fn load_config(root: &Path) -> Result<SiteConfig, BuildError> {
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| BuildError::io(&path, e))?;
    SiteConfig::parse(Path::new(CONFIG_FILE), &text).map_err(|e| BuildError::Content(vec![e]))
}

/// Reads and assembles the site without rendering it (for `cchc sync`).
pub fn load_site(options: &BuildOptions) -> Result<Site, BuildError> {
    load_site_timed(options, &mut Timer::new())
}

pub(crate) fn load_site_timed(options: &BuildOptions, timer: &mut Timer) -> Result<Site, BuildError> {
    let highlighter = Highlighter::new();
    let config = options.config()?;
    let files = discover::discover(&options.root.join("content"), discover::Reading::SectionsOnly)?;
    timer.lap("đọc");
    let mut site = Site::assemble(config, files, options.drafts, &highlighter).map_err(BuildError::Content)?;
    timer.lap("phân tích");
    site.images = crate::render::images::prepare(&site.assets, &image_cache(&options.root))?;
    timer.lap("ảnh");
    if options.production {
        let samples = samples(&options.root, &site);
        if !samples.is_empty() {
            return Err(BuildError::Content(samples));
        }
    }
    Ok(site)
}

/// Every page and data table marked `sample: true`, as errors of a production build: illustrative content must
/// never reach the public site by accident.
fn samples(root: &Path, site: &Site) -> Vec<ContentError> {
    let error = |file: PathBuf, what: &str| {
        // The line is looked up only here, on the error path.
        let line = std::fs::read_to_string(root.join(&file))
            .ok()
            .and_then(|text| text.lines().position(|l| l.trim_start().starts_with("sample:")))
            .map(|i| i + 1);
        ContentError::new(
            file,
            format!("{what} minh hoạ (sample: true) không được xuất bản với --production: thay bằng nội dung thật hoặc bỏ khỏi trang"),
        )
        .at_opt_line(line)
        .field("sample")
    };
    let pages = site.pages.iter().filter(|p| p.meta.sample).map(|p| error(p.file.clone(), "trang"));
    let attachments = site
        .pages
        .iter()
        .filter(|p| !p.meta.sample && attachments_of(p).iter().any(|a| a.sample))
        .map(|p| error(p.file.clone(), "tệp đính kèm"));
    let tables = site
        .tables
        .iter()
        .filter(|(_, t)| t.sample)
        .map(|(key, _)| error(PathBuf::from(format!("content/data/{key}.yaml")), "bảng số liệu"));
    let mut errors: Vec<ContentError> = pages.chain(attachments).chain(tables).collect();
    errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    errors
}

fn attachments_of(page: &crate::site::Page) -> &[crate::site::Attachment] {
    match &page.kind {
        crate::site::Kind::Document(d) => &d.attachments,
        crate::site::Kind::Consultation(c) => &c.attachments,
        // A video's files are the page's own: its `sample` covers them.
        crate::site::Kind::Article | crate::site::Kind::Video(_) => &[],
    }
}

/// Runs the whole pipeline. With `out`, the output replaces the previous one only if everything succeeded.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let mut timer = Timer::new();
    let mut site = load_site_timed(options, &mut timer)?;
    if let Some(path) = &options.results_from {
        (site.results, site.answers) = sync::results_snapshot(path, &site)?;
        timer.lap("kết quả khảo sát");
    }
    let site = std::sync::Arc::new(site);
    let mut theme = Theme::load(&options.root, &site.config.theme, &highlight::stylesheet())?;
    template_functions::register(&mut theme.tera, site.clone(), options.today);
    timer.lap("giao diện");
    let staging_dir;
    let staging = match &options.out {
        Some(out) => Staging::create(out)?,
        None => {
            // `check` renders too (template errors are errors) but into a throw-away folder.
            staging_dir = tempfile::tempdir().map_err(|e| BuildError::io(Path::new("/tmp"), e))?;
            Staging::create(&staging_dir.path().join("out"))?
        }
    };
    let (_, files) = render_all(&site, &theme, &staging, options.today, &mut timer)?;
    let changes = if options.out.is_some() {
        let changes = staging.commit()?;
        timer.lap("ghi");
        changes
    } else {
        output::Changes::default()
    };
    Ok(BuildReport::new(&site, files, None, changes, timer))
}

/// Renders every output into `staging` and, beside it on the same thread pool, makes the search index; returns
/// how the outputs were made and how many files the site has.
pub(crate) fn render_all(
    site: &Site,
    theme: &Theme,
    staging: &Staging,
    today: ContentDate,
    timer: &mut Timer,
) -> Result<(render::RenderedSite, usize), BuildError> {
    // The index's files are written as they are made, not held until the pages are done.
    let (rendered, index) = rayon::join(
        || render::render_site(site, theme, staging, today),
        || search::index_into(site, &mut |file| staging.write(&file.rel, &file.bytes)),
    );
    let rendered = rendered?;
    let index = index?;
    timer.lap("dựng trang");
    let files = rendered.made.len() + rendered.copied + index;
    Ok((rendered, files))
}

/// Every problem of a failed build, one per line, as editors read them.
pub fn error_lines(error: &BuildError) -> String {
    match error {
        BuildError::Content(errors) => {
            let mut lines: Vec<String> = errors.iter().map(|e| format!("lỗi: {e}")).collect();
            lines.push(format!("Không dựng được trang: {} lỗi, kết quả lần trước được giữ nguyên.", errors.len()));
            lines.join("\n")
        }
        other => format!("lỗi: {other}\nKhông dựng được trang; kết quả lần trước được giữ nguyên."),
    }
}

#[cfg(test)]
mod tests {
    use cchc_functions::domain::{Consultation, ConsultationId};
    use chrono::NaiveDate;

    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    #[test]
    fn the_next_change_is_the_nearest_opening_or_the_day_after_a_closing() {
        let consultation = |opens, closes| Consultation {
            id: ConsultationId::parse("du-thao").expect("id"),
            title: "Dự thảo".into(),
            opens,
            closes,
        };
        let mut report = BuildReport {
            pages: 0,
            sections: 0,
            terms: 0,
            files: 0,
            rerendered: None,
            changes: output::Changes::default(),
            stages: Vec::new(),
            consultations: vec![consultation(day(3, 1), day(3, 31)), consultation(day(1, 1), day(2, 10))],
            surveys: Vec::new(),
        };
        assert_eq!(report.next_change(day(2, 1)), Some(day(2, 11)), "the day after a window's last day");
        assert_eq!(report.next_change(day(2, 11)), Some(day(3, 1)), "an opening");
        assert_eq!(report.next_change(day(3, 31)), Some(day(4, 1)));
        assert_eq!(report.next_change(day(4, 1)), None, "no window ahead");
        report.consultations.clear();
        assert_eq!(report.next_change(day(1, 1)), None);
    }
}
