//! The site model: what the assembling stages produce and the render stage reads. Plain data with a few
//! look-ups; the stages that fill it are the other modules of `site`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::content::config::SiteConfig;
use crate::content::data_table::DataTable;
use crate::content::discover::AssetFile;
use crate::content::meta::{ConsultationMeta, DocumentMeta, DocumentStatus, PageMeta, SectionMeta};
use crate::content::slug::slugify;
use crate::content::survey_files::SurveyFile;
use crate::markdown::Body;
use crate::site::document_filters::{DocumentFacets, DocumentFilter};
use crate::site::unit_reports::UnitReport;

/// Index of a page in `Site::pages`.
pub type PageId = usize;
/// Index of a section in `Site::sections`; 0 is the home page.
pub type SectionId = usize;

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
    /// An illustrative stand-in for the real file (`sample: true` on the attachment).
    pub sample: bool,
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

/// A video of the video library, its three files found among the content's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Video {
    /// The video file.
    pub media: Attachment,
    /// The still shown until it is played.
    pub poster: Attachment,
    /// Vietnamese captions (WebVTT).
    pub captions: Attachment,
    /// Length as written.
    pub duration: Option<String>,
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
    /// A video of the video library (boxed, as documents are).
    Video(Box<Video>),
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
    pub rendered: Arc<Body>,
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
    pub rendered: Body,
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
    /// All published pages, each shared: a copy of the site (the preview patches one per save) copies no page.
    pub pages: Vec<Arc<Page>>,
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
    pub surveys: BTreeMap<String, SurveyFile>,
    /// Survey results read at build time (`--results-from`), by survey id.
    pub results: BTreeMap<String, serde_json::Value>,
    /// Published questions and answers read at build time (`--results-from`), newest first.
    pub answers: Vec<serde_json::Value>,
    /// The pages of each ministry and province in the report sections that ask for them.
    pub unit_reports: Vec<UnitReport>,
    /// What each document section's filter form offers.
    pub document_facets: Vec<DocumentFacets>,
    /// Every issuer + type + year combination of each document section, with its documents.
    pub document_filters: Vec<DocumentFilter>,
    /// Photos' sizes and their smaller copies (filled by the pipeline after assembling: it reads the image cache).
    pub images: crate::render::images::Images,
}

/// The ways pages are grouped besides sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaxonomyKind {
    /// Free tags, on any page.
    Tags,
    /// Documents by issuer group.
    Issuer,
    /// Documents by type (Nghị quyết, Quyết định, …).
    DocType,
    /// Documents by signing year.
    Year,
}

impl TaxonomyKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [TaxonomyKind; 4] =
        [TaxonomyKind::Tags, TaxonomyKind::Issuer, TaxonomyKind::DocType, TaxonomyKind::Year];

    /// First URL segment of the taxonomy's pages.
    pub fn segment(self) -> &'static str {
        match self {
            TaxonomyKind::Tags => "tu-khoa",
            TaxonomyKind::Issuer => "co-quan-ban-hanh",
            TaxonomyKind::DocType => "loai-van-ban",
            TaxonomyKind::Year => "nam-ban-hanh",
        }
    }

    /// Heading of the taxonomy's pages.
    pub fn label(self) -> &'static str {
        match self {
            TaxonomyKind::Tags => "Từ khóa",
            TaxonomyKind::Issuer => "Cơ quan ban hành",
            TaxonomyKind::DocType => "Loại văn bản",
            TaxonomyKind::Year => "Năm ban hành",
        }
    }
}

/// One value of a taxonomy and the pages that have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// As shown (the first spelling met, in file order).
    pub name: String,
    /// URL segment.
    pub slug: String,
    /// Root-relative URL.
    pub permalink: String,
    /// Pages, newest first.
    pub pages: Vec<PageId>,
}

/// A taxonomy and its terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    /// Which one.
    pub kind: TaxonomyKind,
    /// Root-relative URL of the list of terms.
    pub permalink: String,
    /// Terms in display order.
    pub terms: Vec<Term>,
}

impl Taxonomy {
    /// The term a page was filed under by `name`, if any.
    pub fn term_named(&self, name: &str) -> Option<&Term> {
        let slug = slugify(name);
        self.terms.iter().find(|t| t.slug == slug)
    }
}

impl Site {
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
