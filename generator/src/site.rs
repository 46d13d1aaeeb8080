//! Assembles the site model from the content files: sections, pages with permalinks and rendered Markdown,
//! taxonomies, order, previous/next and related pages. Pure: files in, `Site` or every error out.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use cchc_functions::hash::sha256_hex;
use rayon::prelude::*;

use crate::chart::DataTable;
use crate::config::SiteConfig;
use crate::content::{
    AttachmentRef, ConsultationMeta, DocumentMeta, DocumentStatus, KindMeta, PageFrontMatter, PageKind, PageMeta,
    SectionMeta, SortBy,
};
use crate::discover::{AssetFile, ContentFiles, DATA_DIR, SourceFile};
use crate::error::ContentError;
use crate::front_matter;
use crate::highlight::Highlighter;
use crate::markdown::{self, LinkContext, Rendered};
use crate::slug::slugify;
use crate::taxonomy::{Taxonomy, TaxonomyKind};

/// Index of a page in `Site::pages`.
pub type PageId = usize;
/// Index of a section in `Site::sections`; 0 is the home page.
pub type SectionId = usize;

/// How many related pages each page links to.
const RELATED_COUNT: usize = 5;

/// A file attached to a document or a consultation, resolved to its URL, size and checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// What the reader sees.
    pub label: String,
    /// Root-relative URL.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case extension (`pdf`, `docx`), for the file-type label.
    pub extension: String,
    /// SHA-256 of the file, hex, so readers can check the copy they downloaded.
    pub sha256: String,
}

/// A document's own fields, with attachments and relations resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// As written in front matter.
    pub meta: DocumentMeta,
    /// Attachments found in `content/`.
    pub attachments: Vec<Attachment>,
    /// In force, amended, replaced, expired: as written, or else derived from the relations.
    pub status: DocumentStatus,
    /// Documents this one amends.
    pub amends: Vec<PageId>,
    /// Documents this one replaces.
    pub replaces: Vec<PageId>,
    /// Documents that amend this one.
    pub amended_by: Vec<PageId>,
    /// Documents that replace this one.
    pub replaced_by: Vec<PageId>,
}

/// A consultation's own fields, with attachments resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Consultation {
    /// As written in front matter.
    pub meta: ConsultationMeta,
    /// The draft and its explanatory files.
    pub attachments: Vec<Attachment>,
}

/// What a page is, with its kind's fields resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// The common fields only.
    Article,
    /// A legal or policy document (boxed: much larger than the other kinds).
    Document(Box<Document>),
    /// A draft under public consultation.
    Consultation(Consultation),
}

/// A page of the site.
#[derive(Debug, Clone)]
pub struct Page {
    /// Site-relative source path, for errors (`content/tin-tuc/a.md`).
    pub file: PathBuf,
    /// Root-relative URL ending in `/`.
    pub permalink: String,
    /// The section that lists it.
    pub section: SectionId,
    /// Common front matter.
    pub meta: PageMeta,
    /// The fields of its kind.
    pub kind: Kind,
    /// The body, rendered (shared with the parse cache of `cchc serve`).
    pub rendered: Arc<Rendered>,
    /// The page before this one in its section's order.
    pub previous: Option<PageId>,
    /// The page after this one in its section's order.
    pub next: Option<PageId>,
    /// Pages sharing the most tags, most recent first.
    pub related: Vec<PageId>,
}

impl Page {
    /// The last segment of its URL (`du-thao-a` for `/xin-y-kien/du-thao-a/`): what the functions know a
    /// consultation by.
    pub fn last_segment(&self) -> &str {
        self.permalink.trim_end_matches('/').rsplit('/').next().unwrap_or_default()
    }
}

/// A folder with an `_index.md`: a list of pages.
#[derive(Debug, Clone)]
pub struct Section {
    /// Site-relative path of its `_index.md`, if it has one (the home page may not).
    pub file: Option<PathBuf>,
    /// Folder relative to `content/`, empty for the home page.
    pub dir: String,
    /// Root-relative URL ending in `/`.
    pub permalink: String,
    /// Front matter.
    pub meta: SectionMeta,
    /// The intro text, rendered.
    pub rendered: Rendered,
    /// Its pages, in its order.
    pub pages: Vec<PageId>,
    /// Sections in its sub-folders, by weight then title.
    pub subsections: Vec<SectionId>,
    /// The section above, `None` for the home page.
    pub parent: Option<SectionId>,
    /// Pages per list page.
    pub paginate_by: usize,
}

/// The whole site, ready to render.
#[derive(Debug, Clone)]
pub struct Site {
    /// `site.yaml`.
    pub config: SiteConfig,
    /// All sections; index 0 is the home page.
    pub sections: Vec<Section>,
    /// All published pages.
    pub pages: Vec<Page>,
    /// Tags, and for documents issuer, type and year.
    pub taxonomies: Vec<Taxonomy>,
    /// Files under `content/data/`, by path without extension (`bao-cao/par-index-2023`).
    pub data: BTreeMap<String, serde_json::Value>,
    /// The data files pages show as figures, checked.
    pub tables: BTreeMap<String, DataTable>,
    /// Files copied as they are.
    pub assets: Vec<AssetFile>,
    /// Old URL → permalink, for redirect pages.
    pub aliases: Vec<(String, String)>,
    /// Survey definitions, checked, by id.
    pub surveys: BTreeMap<String, crate::surveys::SurveyFile>,
    /// Survey results read at build time (`--results-from`), by survey id.
    pub results: BTreeMap<String, serde_json::Value>,
}

/// A page's rendered body and resolved kind, or its errors.
type PageResult = Result<(Arc<Rendered>, Kind), Vec<ContentError>>;

/// What parsing and rendering each page gave in the previous build, for `cchc serve`: a page whose text and
/// section kind are unchanged is not parsed again, and not rendered again while every permalink and content file
/// stays the same (its links resolve the same way).
#[derive(Debug, Default)]
pub struct ParseCache {
    pages: HashMap<String, CachedPage>,
    /// The link map and content files the cached bodies were rendered against.
    links: Option<(HashMap<String, String>, HashSet<String>)>,
}

impl ParseCache {
    /// Forgets every page: for when files other than text changed (an attachment's checksum is read with its
    /// page).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The body of the page at `rel`, rendered from its new `text` against the link map of the last build, when
    /// nothing but its body changed; `None` when it is new, its front matter changed, or it was not rendered.
    /// The cache then holds the new text.
    pub fn body_only(
        &mut self,
        rel: &str,
        text: &Arc<str>,
        highlighter: &Highlighter,
    ) -> Option<Result<Arc<Rendered>, Vec<ContentError>>> {
        let (permalinks, assets) = self.links.as_ref()?;
        let cached = self.pages.get_mut(rel)?;
        let front = &cached.text[..cached.body_start];
        if !text.starts_with(front) || !text.is_char_boundary(cached.body_start) || cached.body.is_none() {
            return None;
        }
        let links = LinkContext { dir: &cached.dir, permalinks, assets };
        let file = site_path(rel);
        let rendered = render_body(&text[cached.body_start..], cached.body_line, &links, &file, highlighter);
        Some(rendered.map(|rendered| {
            let rendered = Arc::new(rendered);
            cached.text = text.clone();
            if let Some((body, _)) = cached.body.as_mut() {
                *body = rendered.clone();
            }
            rendered
        }))
    }

    fn get(&self, rel: &str, text: &Arc<str>, kind: PageKind) -> Option<&CachedPage> {
        self.pages.get(rel).filter(|c| c.kind == kind && (Arc::ptr_eq(&c.text, text) || *c.text == **text))
    }
}

#[derive(Debug, Clone)]
struct CachedPage {
    /// The folder its relative links start from.
    dir: String,
    text: Arc<str>,
    kind: PageKind,
    front: PageFrontMatter,
    body_start: usize,
    body_line: usize,
    body: Option<(Arc<Rendered>, Kind)>,
}

struct ParsedSection {
    dir: String,
    file: PathBuf,
    meta: SectionMeta,
    body_start: usize,
    body_line: usize,
    text: Arc<str>,
}

struct ParsedPage {
    file: PathBuf,
    dir: String,
    permalink: String,
    front: PageFrontMatter,
    section: SectionId,
    kind: PageKind,
    body_start: usize,
    body_line: usize,
    text: Arc<str>,
}

/// A page's or section's body as HTML; broken links are errors of `file`.
fn render_body(
    body: &str,
    body_line: usize,
    links: &LinkContext<'_>,
    file: &PathBuf,
    highlighter: &Highlighter,
) -> Result<Rendered, Vec<ContentError>> {
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

/// `content/tin-tuc/a.md` → `tin-tuc/a.md`.
fn rel_of(file: &std::path::Path) -> String {
    crate::discover::relative(std::path::Path::new("content"), file)
}

fn site_path(rel: &str) -> PathBuf {
    PathBuf::from("content").join(rel)
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn dir_permalink(dir: &str) -> String {
    let mut link = String::from("/");
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        let slug = slugify(part);
        link.push_str(if slug.is_empty() { part } else { &slug });
        link.push('/');
    }
    link
}

impl Site {
    /// Builds the site model; every error found is returned, not only the first.
    pub fn assemble(
        config: SiteConfig,
        files: ContentFiles,
        drafts: bool,
        highlighter: &Highlighter,
    ) -> Result<Site, Vec<ContentError>> {
        Self::assemble_with(config, files, drafts, highlighter, None)
    }

    /// `assemble`, reusing what `cache` holds of unchanged pages and leaving this build's results in it.
    pub fn assemble_cached(
        config: SiteConfig,
        files: ContentFiles,
        drafts: bool,
        highlighter: &Highlighter,
        cache: &mut ParseCache,
    ) -> Result<Site, Vec<ContentError>> {
        Self::assemble_with(config, files, drafts, highlighter, Some(cache))
    }

    /// Without a cache (a one-off build) nothing is looked up or kept.
    fn assemble_with(
        config: SiteConfig,
        files: ContentFiles,
        drafts: bool,
        highlighter: &Highlighter,
        cache: Option<&mut ParseCache>,
    ) -> Result<Site, Vec<ContentError>> {
        let previous = cache.as_deref();
        let ContentFiles { markdown, data, surveys, assets } = files;
        let mut errors = Vec::new();
        let (index_files, page_files): (Vec<SourceFile>, Vec<SourceFile>) =
            markdown.into_iter().partition(|f| f.rel == "_index.md" || f.rel.ends_with("/_index.md"));

        // Sections first: a page's kind comes from its section.
        let mut parsed_sections: Vec<ParsedSection> = Vec::new();
        for source in index_files {
            let file = site_path(&source.rel);
            let parsed = front_matter::split(&file, &source.text).map_err(|e| vec![e]).and_then(|split| {
                Ok((
                    SectionMeta::parse(&file, &split)?,
                    split.body.as_ptr() as usize - source.text.as_ptr() as usize,
                    split.body_line,
                ))
            });
            match parsed {
                Ok((meta, body_start, body_line)) => parsed_sections.push(ParsedSection {
                    dir: parent_dir(&source.rel).to_string(),
                    file,
                    meta,
                    body_start,
                    body_line,
                    text: source.text,
                }),
                Err(e) => errors.extend(e),
            }
        }
        if !parsed_sections.iter().any(|s| s.dir.is_empty()) {
            parsed_sections.push(ParsedSection {
                dir: String::new(),
                file: site_path("_index.md"),
                meta: SectionMeta {
                    title: config.title.clone(),
                    description: None,
                    sort_by: SortBy::Date,
                    paginate_by: None,
                    template: None,
                    page_template: None,
                    page_kind: PageKind::Article,
                    weight: None,
                },
                body_start: 0,
                body_line: 1,
                text: Arc::from(""),
            });
        }
        // Home first, then parents before children.
        parsed_sections.sort_by(|a, b| {
            let key = |s: &ParsedSection| (!s.dir.is_empty(), s.dir.matches('/').count(), s.dir.clone());
            key(a).cmp(&key(b))
        });
        let section_by_dir: HashMap<&str, SectionId> =
            parsed_sections.iter().enumerate().map(|(i, s)| (s.dir.as_str(), i)).collect();
        let section_of = |dir: &str| -> SectionId {
            let mut dir = dir;
            loop {
                if let Some(id) = section_by_dir.get(dir) {
                    return *id;
                }
                if dir.is_empty() {
                    return 0;
                }
                dir = parent_dir(dir);
            }
        };

        let results: Vec<Result<Option<ParsedPage>, Vec<ContentError>>> = page_files
            .into_par_iter()
            .map(|source| {
                let file = site_path(&source.rel);
                let mut dir = parent_dir(&source.rel).to_string();
                let stem = source.rel.rsplit('/').next().unwrap_or_default().trim_end_matches(".md");
                // A page bundle (`bai-viet/index.md`) is named by its folder and listed by the section above it.
                let (own_dir, default_slug) = if stem == "index" {
                    let bundle = dir.clone();
                    dir = parent_dir(&bundle).to_string();
                    (bundle.clone(), slugify(bundle.rsplit('/').next().unwrap_or_default()))
                } else {
                    (dir.clone(), slugify(stem))
                };
                let section = section_of(&dir);
                let kind = parsed_sections[section].meta.page_kind;
                let (front, body_start, body_line) = match previous.and_then(|c| c.get(&source.rel, &source.text, kind))
                {
                    Some(cached) => (cached.front.clone(), cached.body_start, cached.body_line),
                    None => {
                        let split = front_matter::split(&file, &source.text).map_err(|e| vec![e])?;
                        let front = PageFrontMatter::parse(&file, &split, kind)?;
                        (front, split.body.as_ptr() as usize - source.text.as_ptr() as usize, split.body_line)
                    }
                };
                if front.meta.draft && !drafts {
                    return Ok(None);
                }
                let slug = front.meta.slug.clone().unwrap_or(default_slug);
                let permalink = format!("{}{}/", dir_permalink(&dir), slug);
                Ok(Some(ParsedPage {
                    file,
                    dir: own_dir,
                    permalink,
                    front,
                    section,
                    kind,
                    body_start,
                    body_line,
                    text: source.text,
                }))
            })
            .collect();
        let mut parsed_pages = Vec::new();
        for result in results {
            match result {
                Ok(Some(page)) => parsed_pages.push(page),
                Ok(None) => {}
                Err(e) => errors.extend(e),
            }
        }
        parsed_pages.sort_by(|a, b| a.file.cmp(&b.file));

        // Permalinks: every URL has exactly one source.
        let mut owners: HashMap<&str, &PathBuf> = HashMap::new();
        let mut permalinks: HashMap<String, String> = HashMap::new();
        let section_links: Vec<String> = parsed_sections.iter().map(|s| dir_permalink(&s.dir)).collect();
        for (section, link) in parsed_sections.iter().zip(&section_links) {
            owners.insert(link, &section.file);
            let rel =
                if section.dir.is_empty() { "_index.md".to_string() } else { format!("{}/_index.md", section.dir) };
            permalinks.insert(rel, link.clone());
        }
        let mut aliases = Vec::new();
        for page in &parsed_pages {
            let claims =
                std::iter::once(page.permalink.as_str()).chain(page.front.meta.aliases.iter().map(String::as_str));
            for link in claims {
                if let Some(other) = owners.insert(link, &page.file) {
                    errors.push(ContentError::new(
                        &page.file,
                        format!(
                            "đường dẫn {link} trùng với {}; đặt `slug` khác cho một trong hai trang",
                            other.display()
                        ),
                    ));
                }
            }
            for alias in &page.front.meta.aliases {
                aliases.push((alias.clone(), page.permalink.clone()));
            }
            permalinks.insert(rel_of(&page.file), page.permalink.clone());
        }

        let asset_set: HashSet<String> = assets.iter().map(|a| a.rel.clone()).collect();
        let asset_by_rel: HashMap<&str, &AssetFile> = assets.iter().map(|a| (a.rel.as_str(), a)).collect();

        // Markdown needs the full link map, so it comes after every permalink is known.
        let render = |text: &str, body_start: usize, body_line: usize, dir: &str, file: &PathBuf| {
            let links = LinkContext { dir, permalinks: &permalinks, assets: &asset_set };
            render_body(&text[body_start..], body_line, &links, file, highlighter)
        };
        let same_links =
            previous.and_then(|c| c.links.as_ref()).is_some_and(|(p, a)| *p == permalinks && *a == asset_set);
        let rendered_pages: Vec<PageResult> = parsed_pages
            .par_iter()
            .map(|p| {
                let rel = rel_of(&p.file);
                if let Some((rendered, kind)) = previous
                    .and_then(|c| c.get(&rel, &p.text, p.kind))
                    .and_then(|c| c.body.as_ref())
                    .filter(|_| same_links)
                {
                    return Ok((rendered.clone(), kind.clone()));
                }
                let rendered = render(&p.text, p.body_start, p.body_line, &p.dir, &p.file);
                let kind = resolve_kind(&p.front.kind, &p.dir, &p.file, &p.text, &asset_by_rel);
                match (rendered, kind) {
                    (Ok(r), Ok(d)) => Ok((Arc::new(r), d)),
                    (r, d) => Err(r.err().into_iter().flatten().chain(d.err().into_iter().flatten()).collect()),
                }
            })
            .collect();
        let mut pages = Vec::with_capacity(parsed_pages.len());
        let mut cached = HashMap::new();
        for (parsed, result) in parsed_pages.into_iter().zip(rendered_pages) {
            if cache.is_some() {
                let body = result.as_ref().ok().map(|(r, k)| (r.clone(), k.clone()));
                let page = CachedPage {
                    dir: parsed.dir.clone(),
                    text: parsed.text.clone(),
                    kind: parsed.kind,
                    front: parsed.front.clone(),
                    body_start: parsed.body_start,
                    body_line: parsed.body_line,
                    body,
                };
                cached.insert(rel_of(&parsed.file), page);
            }
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
        let mut sections = Vec::with_capacity(parsed_sections.len());
        for (parsed, permalink) in parsed_sections.iter().zip(section_links) {
            let rendered = render(&parsed.text, parsed.body_start, parsed.body_line, &parsed.dir, &parsed.file)
                .unwrap_or_else(|e| {
                    errors.extend(e);
                    Rendered::default()
                });
            let parent = (!parsed.dir.is_empty()).then(|| section_of(parent_dir(&parsed.dir)));
            sections.push(Section {
                file: (!parsed.text.is_empty()).then(|| parsed.file.clone()),
                dir: parsed.dir.clone(),
                permalink,
                paginate_by: parsed.meta.paginate_by.unwrap_or(config.paginate_by),
                meta: parsed.meta.clone(),
                rendered,
                pages: Vec::new(),
                subsections: Vec::new(),
                parent,
            });
        }
        if let Some(cache) = cache {
            cache.pages = cached;
            cache.links = Some((permalinks, asset_set));
        }
        let data = parse_data(&data, &mut errors);
        let (surveys, survey_errors) = crate::surveys::load(surveys, &data);
        errors.extend(survey_errors);
        for page in &pages {
            if let Some(id) = &page.meta.survey
                && !surveys.contains_key(id)
            {
                errors.push(
                    ContentError::new(&page.file, format!("không có khảo sát content/khao-sat/{id}.yaml"))
                        .field("survey"),
                );
            }
        }
        resolve_relations(&mut pages, &mut errors);
        let mut tables = BTreeMap::new();
        for page in &pages {
            for key in &page.meta.data {
                let Some(value) = data.get(key) else {
                    errors.push(
                        ContentError::new(&page.file, format!("không có tệp dữ liệu content/data/{key}.yaml"))
                            .field("data"),
                    );
                    continue;
                };
                if tables.contains_key(key) {
                    continue;
                }
                let table = serde_json::from_value::<DataTable>(value.clone())
                    .map_err(|e| e.to_string())
                    .and_then(|t| t.validate().map(|()| t));
                match table {
                    Ok(table) => {
                        tables.insert(key.clone(), table);
                    }
                    Err(message) => errors.push(ContentError::new(
                        format!("content/data/{key}.yaml"),
                        format!("bảng số liệu không hợp lệ: {message} (cần title, label, columns, rows)"),
                    )),
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            return Err(errors);
        }

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
            sort_pages(&mut list, &pages, sections[id].meta.sort_by);
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
        let taxonomies: Vec<Taxonomy> = TaxonomyKind::ALL
            .iter()
            .map(|&kind| Taxonomy::collect(kind, &pages))
            .filter(|t| !t.terms.is_empty())
            .collect();
        let related = related_pages(&pages, &taxonomies);
        for (page, related) in pages.iter_mut().zip(related) {
            page.related = related;
        }
        aliases.sort();
        Ok(Site {
            config,
            sections,
            pages,
            taxonomies,
            data,
            tables,
            assets,
            aliases,
            surveys,
            results: BTreeMap::new(),
        })
    }

    /// The taxonomy of `kind`, if any page uses it.
    pub fn taxonomy(&self, kind: TaxonomyKind) -> Option<&Taxonomy> {
        self.taxonomies.iter().find(|t| t.kind == kind)
    }

    /// Root-relative URL of a section's Atom feed; only sections with dated pages have one.
    pub fn section_feed(&self, id: SectionId) -> Option<String> {
        let section = &self.sections[id];
        let dated = section.pages.iter().any(|&p| self.pages[p].meta.date.is_some());
        (id != 0 && dated).then(|| format!("{}atom.xml", section.permalink))
    }

    /// Sections from the home page down to `id`, for breadcrumbs.
    pub fn ancestors(&self, id: SectionId) -> Vec<SectionId> {
        let mut chain = vec![id];
        let mut current = id;
        while let Some(parent) = self.sections[current].parent {
            chain.push(parent);
            current = parent;
        }
        chain.reverse();
        chain
    }
}

/// Newest first with undated pages last; ties broken by permalink so every build is the same.
pub fn sort_pages(list: &mut [PageId], pages: &[Page], by: SortBy) {
    match by {
        SortBy::Date => list.sort_by(|&a, &b| {
            let (a, b) = (&pages[a], &pages[b]);
            b.meta.date.cmp(&a.meta.date).then_with(|| a.permalink.cmp(&b.permalink))
        }),
        SortBy::Weight => list.sort_by(|&a, &b| {
            let (a, b) = (&pages[a], &pages[b]);
            (a.meta.weight.unwrap_or(i64::MAX), &a.permalink).cmp(&(b.meta.weight.unwrap_or(i64::MAX), &b.permalink))
        }),
        SortBy::Title => list.sort_by_cached_key(|&p| (slugify(&pages[p].meta.title), pages[p].permalink.clone())),
    }
}

fn resolve_kind(
    kind: &KindMeta,
    dir: &str,
    file: &PathBuf,
    text: &str,
    assets: &HashMap<&str, &AssetFile>,
) -> Result<Kind, Vec<ContentError>> {
    Ok(match kind {
        KindMeta::Article => Kind::Article,
        KindMeta::Document(meta) => Kind::Document(Box::new(Document {
            attachments: resolve_attachments(&meta.attachments, dir, file, text, assets)?,
            status: meta.status,
            meta: meta.clone(),
            amends: Vec::new(),
            replaces: Vec::new(),
            amended_by: Vec::new(),
            replaced_by: Vec::new(),
        })),
        KindMeta::Consultation(meta) => Kind::Consultation(Consultation {
            attachments: resolve_attachments(&meta.attachments, dir, file, text, assets)?,
            meta: meta.clone(),
        }),
    })
}

/// Finds each attachment among the content's files and reads it once for its checksum.
fn resolve_attachments(
    references: &[AttachmentRef],
    dir: &str,
    file: &PathBuf,
    text: &str,
    assets: &HashMap<&str, &AssetFile>,
) -> Result<Vec<Attachment>, Vec<ContentError>> {
    let mut errors = Vec::new();
    let mut attachments = Vec::new();
    for reference in references {
        let line = || text.lines().position(|l| l.contains(&reference.file)).map(|i| i + 1);
        let found = markdown::join(dir, &reference.file).and_then(|rel| assets.get(rel.as_str()).copied());
        let Some(asset) = found else {
            errors.push(
                ContentError::new(file, format!("không có tệp đính kèm `{}` trong content/{dir}", reference.file))
                    .at_opt_line(line())
                    .field("attachments"),
            );
            continue;
        };
        match std::fs::read(&asset.path) {
            Ok(bytes) => attachments.push(Attachment {
                label: reference.label.clone(),
                url: format!("/{}", asset.rel),
                size: asset.size,
                extension: asset.rel.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default(),
                sha256: sha256_hex(&bytes),
            }),
            Err(e) => errors.push(
                ContentError::new(file, format!("không đọc được tệp đính kèm `{}`: {e}", reference.file))
                    .at_opt_line(line())
                    .field("attachments"),
            ),
        }
    }
    if errors.is_empty() { Ok(attachments) } else { Err(errors) }
}

/// Links documents to the ones they amend or replace, both ways, and derives the status of the documents they
/// act on when the editor did not set it.
fn resolve_relations(pages: &mut [Page], errors: &mut Vec<ContentError>) {
    let by_rel: HashMap<String, PageId> = pages.iter().enumerate().map(|(id, p)| (rel_of(&p.file), id)).collect();
    let mut links: Vec<(PageId, PageId, bool)> = Vec::new();
    for (id, page) in pages.iter().enumerate() {
        let Kind::Document(doc) = &page.kind else { continue };
        let rel = rel_of(&page.file);
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        for (key, targets, replaces) in [("amends", &doc.meta.amends, false), ("replaces", &doc.meta.replaces, true)] {
            for target in targets {
                match markdown::join(dir, target).and_then(|t| by_rel.get(&t).copied()) {
                    Some(other) if matches!(pages[other].kind, Kind::Document(_)) && other != id => {
                        links.push((id, other, replaces));
                    }
                    _ => errors.push(
                        ContentError::new(&page.file, format!("không có văn bản `{target}` (đường dẫn tới tệp .md)"))
                            .field(key),
                    ),
                }
            }
        }
    }
    for (from, to, replaces) in links {
        if let Kind::Document(doc) = &mut pages[from].kind {
            if replaces { doc.replaces.push(to) } else { doc.amends.push(to) }
        }
        if let Kind::Document(doc) = &mut pages[to].kind {
            if replaces { doc.replaced_by.push(from) } else { doc.amended_by.push(from) }
        }
    }
    for page in pages.iter_mut() {
        if let Kind::Document(doc) = &mut page.kind
            && doc.status == DocumentStatus::ConHieuLuc
        {
            if !doc.replaced_by.is_empty() {
                doc.status = DocumentStatus::BiThayThe;
            } else if !doc.amended_by.is_empty() {
                doc.status = DocumentStatus::DuocSuaDoi;
            }
        }
    }
}

fn parse_data(files: &[SourceFile], errors: &mut Vec<ContentError>) -> BTreeMap<String, serde_json::Value> {
    let mut data = BTreeMap::new();
    for file in files {
        let path = site_path(&file.rel);
        match front_matter::parse_yaml::<serde_json::Value>(&path, &file.text, 1) {
            Ok(value) => {
                let key = file.rel.strip_prefix(DATA_DIR).unwrap_or(&file.rel).trim_start_matches('/');
                let key = key.rsplit_once('.').map_or(key, |(k, _)| k);
                data.insert(key.to_string(), value);
            }
            Err(e) => errors.push(e),
        }
    }
    data
}

/// For each page, up to `RELATED_COUNT` recent pages sharing the most tags with it. Candidates are the newest
/// pages of each of its tags, which keeps this linear in the number of pages.
fn related_pages(pages: &[Page], taxonomies: &[Taxonomy]) -> Vec<Vec<PageId>> {
    let Some(tags) = taxonomies.iter().find(|t| t.kind == TaxonomyKind::Tags) else {
        return vec![Vec::new(); pages.len()];
    };
    let term_of: HashMap<&str, usize> = tags.terms.iter().enumerate().map(|(i, t)| (t.slug.as_str(), i)).collect();
    let page_terms: Vec<Vec<usize>> = pages
        .iter()
        .map(|p| p.meta.tags.iter().filter_map(|t| term_of.get(slugify(t).as_str()).copied()).collect())
        .collect();
    (0..pages.len())
        .into_par_iter()
        .map(|id| {
            let mine = &page_terms[id];
            let mut scored: Vec<(usize, PageId)> = Vec::new();
            for &term in mine {
                for &other in tags.terms[term].pages.iter().take(RELATED_COUNT * 4) {
                    if other != id && !scored.iter().any(|&(_, p)| p == other) {
                        let shared = page_terms[other].iter().filter(|t| mine.contains(t)).count();
                        scored.push((shared, other));
                    }
                }
            }
            scored.sort_by(|a, b| {
                b.0.cmp(&a.0).then_with(|| pages[b.1].meta.date.cmp(&pages[a.1].meta.date)).then(a.1.cmp(&b.1))
            });
            scored.into_iter().take(RELATED_COUNT).map(|(_, p)| p).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, text: &str) -> SourceFile {
        SourceFile { rel: rel.into(), text: text.into() }
    }

    fn doc(n: u32, issuer: &str, doc_type: &str, signed: &str, tags: &str) -> String {
        format!(
            "---\ntitle: Văn bản {n}\nnumber: {n}/X\ndoc_type: {doc_type}\nissuer: {issuer}\nsigned: {signed}\ntags: [{tags}]\n---\nNội dung {n}.\n"
        )
    }

    fn site() -> Site {
        let files = ContentFiles {
            markdown: vec![
                file("van-ban/_index.md", "---\ntitle: Văn bản\npage_kind: document\n---\n"),
                file("van-ban/a.md", &doc(1, "bo-nganh", "Quyết định", "2021-03-01", "a, b")),
                file("van-ban/b.md", &doc(2, "dang", "Nghị quyết", "2023-05-01", "a")),
                file("van-ban/c.md", &doc(3, "chinh-phu", "Quyết định", "2022-01-01", "a, b")),
                file("van-ban/d.md", &doc(4, "dang", "Chỉ thị", "2020-01-01", "c")),
            ],
            data: vec![file("data/bao-cao/chi-so.yaml", "diem: 81.5\n")],
            surveys: Vec::new(),
            assets: Vec::new(),
        };
        Site::assemble(SiteConfig::default_for_test(), files, false, &Highlighter::new()).expect("valid site")
    }

    fn titles(site: &Site, ids: &[PageId]) -> Vec<String> {
        ids.iter().map(|&i| site.pages[i].meta.title.clone()).collect()
    }

    #[test]
    fn a_section_lists_newest_first_with_previous_and_next() {
        let site = site();
        let section = &site.sections[1];
        assert_eq!(titles(&site, &section.pages), ["Văn bản 2", "Văn bản 3", "Văn bản 1", "Văn bản 4"]);
        let middle = section.pages[1];
        assert_eq!(site.pages[middle].previous, Some(section.pages[0]));
        assert_eq!(site.pages[middle].next, Some(section.pages[2]));
        assert_eq!(site.pages[section.pages[0]].previous, None);
    }

    #[test]
    fn documents_are_grouped_by_issuer_in_portal_order_type_and_newest_year_first() {
        let site = site();
        let terms = |kind| {
            site.taxonomy(kind)
                .expect("taxonomy")
                .terms
                .iter()
                .map(|t| (t.name.clone(), t.pages.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(terms(TaxonomyKind::Issuer), [("Đảng".into(), 2), ("Chính phủ".into(), 1), ("Bộ, ngành".into(), 1)]);
        assert_eq!(terms(TaxonomyKind::Year).first(), Some(&("2023".to_string(), 1)));
        let doc_types = site.taxonomy(TaxonomyKind::DocType).expect("types");
        let decisions = doc_types.term_named("Quyết định").expect("term");
        assert_eq!(decisions.permalink, "/loai-van-ban/quyet-dinh/");
        assert_eq!(titles(&site, &decisions.pages), ["Văn bản 3", "Văn bản 1"]);
    }

    #[test]
    fn related_pages_share_the_most_tags() {
        let site = site();
        let first = site.pages.iter().position(|p| p.meta.title == "Văn bản 1").expect("page");
        assert_eq!(titles(&site, &site.pages[first].related), ["Văn bản 3", "Văn bản 2"]);
        let lonely = site.pages.iter().position(|p| p.meta.title == "Văn bản 4").expect("page");
        assert!(site.pages[lonely].related.is_empty());
    }

    #[test]
    fn data_files_are_keyed_by_path_without_extension() {
        let site = site();
        assert_eq!(site.data["bao-cao/chi-so"]["diem"], serde_json::json!(81.5));
    }
}
