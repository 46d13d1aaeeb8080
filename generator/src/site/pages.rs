//! Pages: each Markdown file parsed in parallel (front matter by its section's kind, drafts left out unless
//! asked), given its URL, then its body rendered against the full link map and its kind's fields resolved.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::content::discover::{AssetFile, SourceFile};
use crate::content::front_matter;
use crate::content::meta::{KindMeta, PageFrontMatter, PageKind};
use crate::content::slug::slugify;
use crate::error::ContentError;
use crate::markdown::highlight::Highlighter;
use crate::markdown::{self, Body, LinkContext};
use crate::site::attachments::Attachments;
use crate::site::cache::ParseCache;
use crate::site::links::{LinkMap, dir_permalink, parent_dir, rel_of, site_path};
use crate::site::model::{Kind, Page};
use crate::site::sections::SectionTree;

/// A page's rendered body and resolved kind, or its errors.
pub(crate) type PageResult = Result<(Arc<Body>, Kind), Vec<ContentError>>;

/// A page's front matter parsed and its URL known; its body not yet rendered.
pub(crate) struct ParsedPage {
    pub(crate) file: PathBuf,
    /// The folder its relative links start from (a bundle's own folder).
    pub(crate) dir: String,
    pub(crate) permalink: String,
    pub(crate) front: PageFrontMatter,
    pub(crate) section: usize,
    pub(crate) kind: PageKind,
    pub(crate) body_start: usize,
    pub(crate) body_line: usize,
    pub(crate) text: Arc<str>,
    /// Whether it is a bundle (`folder/index.md`): then the files of its folder are its own.
    pub(crate) bundle: bool,
}

impl ParsedPage {
    /// Its path under `content/`.
    pub(crate) fn rel(&self) -> String {
        rel_of(&self.file)
    }

    /// Paths under `content/` of the files it attaches.
    fn attachments(&self) -> Vec<String> {
        let files: Vec<&str> = match &self.front.kind {
            KindMeta::Article => Vec::new(),
            KindMeta::Document(meta) => meta.attachments.iter().map(|a| a.file.as_str()).collect(),
            KindMeta::Consultation(meta) => meta.attachments.iter().map(|a| a.file.as_str()).collect(),
            KindMeta::Video(video) => vec![&video.file, &video.poster, &video.captions],
        };
        files.into_iter().filter_map(|f| markdown::join(&self.dir, f)).collect()
    }
}

/// The pages to publish, and the drafts left out of this build.
pub(crate) struct ParsedPages {
    /// Published (and drafts, when the build includes them), in file order.
    pub(crate) pages: Vec<ParsedPage>,
    /// Drafts left out: what they own must not reach the output either.
    pub(crate) drafts: Vec<ParsedPage>,
}

impl ParsedPages {
    /// Whether `rel` (a file under `content/`) belongs to a draft left out: a file in a draft bundle's folder, or
    /// a draft's attachment that no published page attaches too. Such files are neither copied nor linkable.
    pub(crate) fn draft_owned(&self) -> impl Fn(&str) -> bool + use<> {
        let folders: Vec<String> = self.drafts.iter().filter(|d| d.bundle).map(|d| format!("{}/", d.dir)).collect();
        let published: HashSet<String> = self.pages.iter().flat_map(ParsedPage::attachments).collect();
        let attached: HashSet<String> =
            self.drafts.iter().flat_map(ParsedPage::attachments).filter(|a| !published.contains(a)).collect();
        move |rel: &str| attached.contains(rel) || folders.iter().any(|f| rel.starts_with(f.as_str()))
    }
}

/// Parses every page in parallel, in file order; drafts are set apart unless `drafts`.
pub(crate) fn parse(
    files: Vec<SourceFile>,
    sections: &SectionTree,
    drafts: bool,
    previous: Option<&ParseCache>,
    errors: &mut Vec<ContentError>,
) -> ParsedPages {
    let results: Vec<Result<ParsedPage, Vec<ContentError>>> =
        files.into_par_iter().map(|source| parse_one(source, sections, previous)).collect();
    let mut parsed = ParsedPages { pages: Vec::new(), drafts: Vec::new() };
    for result in results {
        match result {
            Ok(page) if page.front.meta.draft && !drafts => parsed.drafts.push(page),
            Ok(page) => parsed.pages.push(page),
            Err(e) => errors.extend(e),
        }
    }
    parsed.pages.sort_by(|a, b| a.file.cmp(&b.file));
    parsed
}

fn parse_one(
    source: SourceFile,
    sections: &SectionTree,
    previous: Option<&ParseCache>,
) -> Result<ParsedPage, Vec<ContentError>> {
    let file = site_path(&source.rel);
    let mut dir = parent_dir(&source.rel).to_string();
    let stem = source.rel.rsplit('/').next().unwrap_or_default().trim_end_matches(".md");
    // A page bundle (`bai-viet/index.md`) is named by its folder and listed by the section above it.
    let bundle = stem == "index";
    let (own_dir, default_slug) = if bundle {
        let bundle = dir.clone();
        dir = parent_dir(&bundle).to_string();
        (bundle.clone(), slugify(bundle.rsplit('/').next().unwrap_or_default()))
    } else {
        (dir.clone(), slugify(stem))
    };
    let section = sections.section_of(&dir);
    let kind = sections.sections[section].meta.page_kind;
    let (front, body_start, body_line) = match previous.and_then(|c| c.get(&source.rel, &source.text, kind)) {
        Some(cached) => (cached.front.clone(), cached.body_start, cached.body_line),
        None => {
            let split = front_matter::split(&file, &source.text).map_err(|e| vec![e])?;
            let front = PageFrontMatter::parse(&file, &split, kind)?;
            (front, split.body.as_ptr() as usize - source.text.as_ptr() as usize, split.body_line)
        }
    };
    let slug = front.meta.slug.clone().unwrap_or(default_slug);
    let permalink = format!("{}{}/", dir_permalink(&dir), slug);
    Ok(ParsedPage {
        file,
        dir: own_dir,
        permalink,
        front,
        section,
        kind,
        body_start,
        body_line,
        text: source.text,
        bundle,
    })
}

/// Renders every page's body and resolves its kind, in parallel; a page the cache holds, rendered against the
/// same links, is taken from it. Without a cache to fill (`cchc build`), each page's source is let go once its
/// body is rendered: holding every source beside every body was the build's peak of memory.
pub(crate) fn render(
    pages: &mut [ParsedPage],
    links: &LinkMap,
    assets: &[AssetFile],
    highlighter: &Highlighter,
    previous: Option<&ParseCache>,
) -> Vec<PageResult> {
    let attachments = Attachments::new(assets);
    let reusable = previous.filter(|c| c.same_links(links));
    let release_sources = previous.is_none();
    pages
        .par_iter_mut()
        .map(|p| {
            if let Some(cached) = reusable.and_then(|c| c.body(p)) {
                return Ok(cached);
            }
            let context = links.context(&p.dir);
            let body = render_body(&p.text[p.body_start..], p.body_line, &context, &p.file, highlighter);
            let kind = attachments.resolve_kind(&p.front.kind, &p.dir, &p.file, &p.text);
            if release_sources {
                p.text = Arc::from("");
            }
            match (body, kind) {
                (Ok(b), Ok(k)) => Ok((Arc::new(b), k)),
                (b, k) => Err(b.err().into_iter().flatten().chain(k.err().into_iter().flatten()).collect()),
            }
        })
        .collect()
}

/// The pages that rendered, not yet ordered or related; the errors of the others.
pub(crate) fn finish(parsed: Vec<ParsedPage>, results: Vec<PageResult>, errors: &mut Vec<ContentError>) -> Vec<Page> {
    let mut pages = Vec::with_capacity(parsed.len());
    for (parsed, result) in parsed.into_iter().zip(results) {
        match result {
            Ok((rendered, kind)) => pages.push(Page {
                file: parsed.file,
                permalink: parsed.permalink,
                section: parsed.section,
                meta: parsed.front.meta,
                kind,
                rendered,
                previous: None,
                next: None,
                related: Vec::new(),
            }),
            Err(e) => errors.extend(e),
        }
    }
    pages
}

/// A page's or section's body as HTML; broken links are errors of `file`.
pub(crate) fn render_body(
    body: &str,
    body_line: usize,
    links: &LinkContext<'_>,
    file: &PathBuf,
    highlighter: &Highlighter,
) -> Result<Body, Vec<ContentError>> {
    markdown::render(body, body_line, links, highlighter).map_err(|broken| {
        broken
            .into_iter()
            .map(|b| {
                ContentError::new(file, format!("liên kết hỏng `{}`: {}", b.target, b.reason))
                    .at_line(b.line)
                    .field("liên kết")
            })
            .collect()
    })
}
