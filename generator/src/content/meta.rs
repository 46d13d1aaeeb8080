//! The content model: what an editor may write in a page's or a section's front matter, parsed into types
//! that hold only valid values. Parsing is pure: `text` in, typed value or located errors out.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::content::date::ContentDate;
use crate::content::front_matter::{self, Split};
use crate::content::slug::{page_slug, slugify};
use crate::error::ContentError;

/// What kind of pages a section holds; set by `page_kind` in its `_index.md`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageKind {
    /// News, models, about pages: the common fields only.
    #[default]
    Article,
    /// Legal and policy documents: number, type, issuer, signing date, attachments, relations.
    Document,
    /// Drafts open for public comment: window, drafting agency, attachments.
    Consultation,
    /// The video library: a self-hosted video with its poster and captions; the body is the transcript.
    Video,
}

impl PageKind {
    /// Front matter keys only this kind accepts.
    fn own_keys(self) -> &'static [&'static str] {
        match self {
            PageKind::Article => &[],
            PageKind::Document => &[
                "number",
                "doc_type",
                "issuer",
                "issuing_body",
                "signed",
                "effective",
                "status",
                "attachments",
                "amends",
                "replaces",
            ],
            PageKind::Consultation => &["opens", "closes", "drafting_agency", "attachments"],
            PageKind::Video => &["video"],
        }
    }

    /// How editors name the kind in `page_kind`.
    pub fn key(self) -> &'static str {
        match self {
            PageKind::Article => "article",
            PageKind::Document => "document",
            PageKind::Consultation => "consultation",
            PageKind::Video => "video",
        }
    }
}

/// Who issued a document: the four groups of the portal's documents section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Issuer {
    /// The Party (Đảng).
    Dang,
    /// The Government (Chính phủ).
    ChinhPhu,
    /// Ministries and agencies (Bộ, ngành).
    BoNganh,
    /// Provinces and cities (Tỉnh, thành phố).
    TinhThanh,
}

impl Issuer {
    /// All issuers, in the portal's order.
    pub const ALL: [Issuer; 4] = [Issuer::Dang, Issuer::ChinhPhu, Issuer::BoNganh, Issuer::TinhThanh];

    /// The value written in front matter and used in URLs.
    pub fn key(self) -> &'static str {
        match self {
            Issuer::Dang => "dang",
            Issuer::ChinhPhu => "chinh-phu",
            Issuer::BoNganh => "bo-nganh",
            Issuer::TinhThanh => "tinh-thanh",
        }
    }

    /// The name shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Issuer::Dang => "Đảng",
            Issuer::ChinhPhu => "Chính phủ",
            Issuer::BoNganh => "Bộ, ngành",
            Issuer::TinhThanh => "Tỉnh, thành phố",
        }
    }
}

/// Whether a document is still in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentStatus {
    /// In force.
    #[default]
    ConHieuLuc,
    /// In force, amended by a later document.
    DuocSuaDoi,
    /// Replaced by a later document.
    BiThayThe,
    /// No longer in force.
    HetHieuLuc,
}

impl DocumentStatus {
    /// Every status, in the order forms offer them.
    pub const ALL: [DocumentStatus; 4] =
        [DocumentStatus::ConHieuLuc, DocumentStatus::DuocSuaDoi, DocumentStatus::BiThayThe, DocumentStatus::HetHieuLuc];

    /// The value written in front matter.
    pub fn key(self) -> &'static str {
        match self {
            DocumentStatus::ConHieuLuc => "con-hieu-luc",
            DocumentStatus::DuocSuaDoi => "duoc-sua-doi",
            DocumentStatus::BiThayThe => "bi-thay-the",
            DocumentStatus::HetHieuLuc => "het-hieu-luc",
        }
    }

    /// The name shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            DocumentStatus::ConHieuLuc => "Còn hiệu lực",
            DocumentStatus::DuocSuaDoi => "Còn hiệu lực, đã được sửa đổi",
            DocumentStatus::BiThayThe => "Đã bị thay thế",
            DocumentStatus::HetHieuLuc => "Hết hiệu lực",
        }
    }
}

/// A file attached to a document, as written in front matter (`file` relative to the Markdown file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    /// Path of the file, relative to the page's folder or, starting with `/`, to `content/`.
    pub file: String,
    /// What the reader sees, e.g. "Toàn văn Nghị quyết (PDF)".
    pub label: String,
    /// An illustrative file standing in for the real one: badged, and refused by `--production`.
    #[serde(default)]
    pub sample: bool,
}

/// A video of the video library, as written in front matter: files relative to the page (or, starting with `/`,
/// to `content/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoRef {
    /// The video itself: `.mp4` or `.webm`, kept small (it is served by the site, not a third party).
    pub file: String,
    /// The still shown until it is played (`.jpg`, `.png`, `.webp`): the only part downloaded before.
    pub poster: String,
    /// Vietnamese captions, WebVTT (`.vtt`).
    pub captions: String,
    /// Length as shown (`0:20`, `12:05`).
    pub duration: Option<String>,
}

impl VideoRef {
    /// The file-type problems of the three files, in Vietnamese; empty when all is well.
    fn problems(&self) -> Vec<String> {
        let ext = |f: &str| f.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let mut problems = Vec::new();
        if !["mp4", "webm"].contains(&ext(&self.file).as_str()) {
            problems.push(format!("tệp video `{}` phải là .mp4 hoặc .webm", self.file));
        }
        if !["jpg", "jpeg", "png", "webp"].contains(&ext(&self.poster).as_str()) {
            problems.push(format!("ảnh đại diện `{}` phải là .jpg, .png hoặc .webp", self.poster));
        }
        if ext(&self.captions) != "vtt" {
            problems.push(format!("phụ đề `{}` phải là tệp WebVTT (.vtt)", self.captions));
        }
        problems
    }
}

/// Front matter as written: every key any page kind accepts, so a typo is an error with a suggestion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    title: String,
    date: Option<ContentDate>,
    updated: Option<ContentDate>,
    summary: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    sample: bool,
    slug: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    image: Option<String>,
    image_alt: Option<String>,
    weight: Option<i64>,
    template: Option<String>,
    number: Option<String>,
    doc_type: Option<String>,
    issuer: Option<Issuer>,
    issuing_body: Option<String>,
    signed: Option<ContentDate>,
    effective: Option<ContentDate>,
    status: Option<DocumentStatus>,
    #[serde(default)]
    attachments: Vec<AttachmentRef>,
    #[serde(default)]
    amends: Vec<String>,
    #[serde(default)]
    replaces: Vec<String>,
    opens: Option<ContentDate>,
    closes: Option<ContentDate>,
    drafting_agency: Option<String>,
    video: Option<VideoRef>,
    #[serde(default)]
    data: Vec<String>,
    #[serde(default = "yes")]
    search: bool,
    survey: Option<String>,
}

fn yes() -> bool {
    true
}

/// Every front-matter key a page may carry, as the parser knows them: read from [`RawPage`]'s own field list, so
/// a field added to the parser is a field the CMS configuration must describe (its test says which is missing).
pub fn page_keys() -> &'static [&'static str] {
    struct Fields(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Done;
    impl std::fmt::Display for Done {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names read")
        }
    }
    impl std::error::Error for Done {}
    impl serde::de::Error for Done {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Done
        }
    }
    impl<'de> serde::Deserializer<'de> for &mut Fields {
        type Error = Done;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Done> {
            Err(Done)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Done> {
            self.0 = Some(fields);
            Err(Done)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    static KEYS: std::sync::LazyLock<&'static [&'static str]> = std::sync::LazyLock::new(|| {
        let mut fields = Fields(None);
        let _ = RawPage::deserialize(&mut fields);
        fields.0.unwrap_or_default()
    });
    &KEYS
}

impl PageKind {
    /// Every kind, for tools that describe them all (the CMS configuration).
    pub const ALL: [PageKind; 4] = [PageKind::Article, PageKind::Document, PageKind::Consultation, PageKind::Video];

    /// Whether a page of this kind may carry `key` (the common keys, and its own).
    pub fn accepts(self, key: &str) -> bool {
        let owned_by_some = PageKind::ALL.iter().any(|k| k.own_keys().contains(&key));
        !owned_by_some || self.own_keys().contains(&key)
    }

    /// Whether the parser refuses a page of this kind without `key`.
    pub fn requires(self, key: &str) -> bool {
        match self {
            PageKind::Article => key == "title",
            PageKind::Document => matches!(key, "title" | "number" | "doc_type" | "issuer" | "signed"),
            PageKind::Consultation => matches!(key, "title" | "opens" | "closes"),
            PageKind::Video => matches!(key, "title" | "video"),
        }
    }
}

impl RawPage {
    /// The kind-specific keys this front matter sets.
    fn present_keys(&self) -> Vec<&'static str> {
        [
            ("number", self.number.is_some()),
            ("doc_type", self.doc_type.is_some()),
            ("issuer", self.issuer.is_some()),
            ("issuing_body", self.issuing_body.is_some()),
            ("signed", self.signed.is_some()),
            ("effective", self.effective.is_some()),
            ("status", self.status.is_some()),
            ("attachments", !self.attachments.is_empty()),
            ("amends", !self.amends.is_empty()),
            ("replaces", !self.replaces.is_empty()),
            ("opens", self.opens.is_some()),
            ("closes", self.closes.is_some()),
            ("drafting_agency", self.drafting_agency.is_some()),
            ("video", self.video.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, present)| present.then_some(key))
        .collect()
    }
}

/// A tag (or a document's type) as written on a page, with its slug: the URL segment of its list, and what makes
/// two spellings one term. Found once, as the front matter is read, not wherever the term is shown (a tag is shown
/// in every list its page is in: slugifying it there was 3.5 % of a 10,000-page build's CPU).
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// As written, trimmed.
    pub name: String,
    /// Its slug, never empty.
    pub slug: String,
}

impl Tag {
    /// The term `name` (trimmed), or `None` if it has no letter or digit to make a slug of.
    pub fn new(name: &str) -> Option<Self> {
        let slug = slugify(name);
        (!slug.is_empty()).then(|| Self { name: name.to_string(), slug })
    }
}

/// Fields every page has.
#[derive(Debug, Clone, PartialEq)]
pub struct PageMeta {
    /// The title, never empty.
    pub title: String,
    /// When it was posted.
    pub date: Option<ContentDate>,
    /// When it was last changed.
    pub updated: Option<ContentDate>,
    /// A summary written by the editor (plain text).
    pub summary: Option<String>,
    /// Tags, trimmed, never empty.
    pub tags: Vec<Tag>,
    /// Drafts are left out unless `--drafts`.
    pub draft: bool,
    /// Illustrative content that must never pass for real: badged wherever it appears, left out of the sitemap,
    /// and refused by `cchc build --production`.
    pub sample: bool,
    /// The last URL segment, already a valid slug.
    pub slug: Option<String>,
    /// Old URLs that redirect here, as root-relative paths ending in `/`.
    pub aliases: Vec<String>,
    /// Lead image (path as written).
    pub image: Option<String>,
    /// Text alternative for the lead image.
    pub image_alt: Option<String>,
    /// Sort key when the section sorts by weight.
    pub weight: Option<i64>,
    /// A template other than the section's default.
    pub template: Option<String>,
    /// Data files (`content/data/<key>.yaml`) shown on the page as charts and tables.
    pub data: Vec<String>,
    /// Whether site search lists it (`search: false` for thank-you and utility pages).
    pub search: bool,
    /// The survey the page runs or shows the results of (`content/khao-sat/<id>.yaml`).
    pub survey: Option<String>,
}

/// Fields only documents have.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentMeta {
    /// E.g. `76/NQ-CP`.
    pub number: String,
    /// E.g. `Nghị quyết`, with its slug (`nghi-quyet`: its list under `/loai-van-ban/`).
    pub doc_type: Tag,
    /// Which of the four groups issued it.
    pub issuer: Issuer,
    /// E.g. `Chính phủ`, `Bộ Nội vụ`.
    pub issuing_body: Option<String>,
    /// Signing date.
    pub signed: ContentDate,
    /// Date it takes effect.
    pub effective: Option<ContentDate>,
    /// In force, amended, replaced, expired.
    pub status: DocumentStatus,
    /// Attached files, as written.
    pub attachments: Vec<AttachmentRef>,
    /// Documents this one amends (Markdown paths, as written).
    pub amends: Vec<String>,
    /// Documents this one replaces (Markdown paths, as written).
    pub replaces: Vec<String>,
}

/// Fields only consultations have.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsultationMeta {
    /// First day comments are accepted.
    pub opens: ContentDate,
    /// Last day comments are accepted (inclusive), never before `opens`.
    pub closes: ContentDate,
    /// The agency that drafted the text and answers the comments.
    pub drafting_agency: Option<String>,
    /// The draft and its explanatory files.
    pub attachments: Vec<AttachmentRef>,
}

/// What a page is, with the fields of its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum KindMeta {
    /// The common fields only.
    Article,
    /// A legal or policy document.
    Document(DocumentMeta),
    /// A draft under public consultation.
    Consultation(ConsultationMeta),
    /// A video of the video library.
    Video(VideoRef),
}

/// A page's front matter, typed for its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFrontMatter {
    /// Fields every page has.
    pub meta: PageMeta,
    /// Fields of the page's kind.
    pub kind: KindMeta,
}

impl PageFrontMatter {
    /// Parses the front matter of a page in a section holding `kind` pages.
    pub fn parse(file: &Path, split: &Split<'_>, kind: PageKind) -> Result<Self, Vec<ContentError>> {
        let raw: RawPage = front_matter::parse_yaml_all(file, split.yaml, split.yaml_line)?;
        let mut errors = Vec::new();
        let at = |key: &str, message: String| {
            ContentError::new(file, message).at_line(front_matter::key_line(split, key)).field(key)
        };
        let title = raw.title.trim().to_string();
        if title.is_empty() {
            errors.push(at("title", "tiêu đề không được để trống".into()));
        }
        if raw.image.as_deref().is_some_and(|i| !i.trim().is_empty()) && raw.image_alt.is_none() {
            errors.push(at(
                "image",
                "ảnh cần mô tả cho người không xem được ảnh: thêm `image_alt: \"…\"` (ảnh chỉ để trang trí: `image_alt: \"\"`)"
                    .into(),
            ));
        }
        let slug = match raw.slug.as_deref().map(page_slug) {
            Some(s) if s.is_empty() => {
                errors.push(at("slug", "slug không được để trống; bỏ trường này để dùng tên tệp".into()));
                None
            }
            other => other,
        };
        let mut aliases = Vec::new();
        for alias in &raw.aliases {
            match normalize_alias(alias) {
                Some(a) => aliases.push(a),
                None => errors.push(at("aliases", format!("đường dẫn cũ `{alias}` phải bắt đầu bằng `/`"))),
            }
        }
        let summary = raw.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(markup) = summary.as_deref().and_then(markdown_in) {
            errors.push(at(
                "summary",
                format!("tóm tắt là văn bản thuần, hiển thị nguyên văn ở danh sách và kết quả tìm kiếm: bỏ {markup}"),
            ));
        }
        let mut tags = Vec::with_capacity(raw.tags.len());
        for name in raw.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            match Tag::new(name) {
                Some(tag) => tags.push(tag),
                None => errors.push(at("tags", format!("từ khóa `{name}` không có chữ hay số nào"))),
            }
        }
        for key in raw.present_keys() {
            if !kind.own_keys().contains(&key) {
                let owners: Vec<&str> = [PageKind::Document, PageKind::Consultation, PageKind::Video]
                    .into_iter()
                    .filter(|k| k.own_keys().contains(&key))
                    .map(PageKind::key)
                    .collect();
                errors.push(at(
                    key,
                    format!(
                        "trường này không dùng cho trang loại `{}`; chỉ dùng khi `_index.md` của chuyên mục đặt `page_kind: {}`",
                        kind.key(),
                        owners.join(" hoặc ")
                    ),
                ));
            }
        }
        // A document's type, with the slug of its list (checked here: `required` below holds `errors`).
        let doc_type_name = raw.doc_type.as_deref().map(str::trim).filter(|v| !v.is_empty());
        let doc_type = doc_type_name.and_then(Tag::new);
        if let Some(name) = doc_type_name
            && doc_type.is_none()
            && kind == PageKind::Document
        {
            errors.push(at("doc_type", format!("loại văn bản `{name}` không có chữ hay số nào")));
        }
        let mut required = |key: &str, present: bool, what: &str| {
            if !present {
                errors.push(at(key, format!("{what} cần trường này")));
            }
        };
        let kind_meta = match kind {
            PageKind::Article => Some(KindMeta::Article),
            PageKind::Document => {
                let number = raw.number.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
                required("number", number.is_some(), "văn bản");
                required("doc_type", doc_type_name.is_some(), "văn bản");
                required("issuer", raw.issuer.is_some(), "văn bản (dang, chinh-phu, bo-nganh hoặc tinh-thanh)");
                required("signed", raw.signed.is_some(), "văn bản");
                match (number, doc_type, raw.issuer, raw.signed) {
                    (Some(number), Some(doc_type), Some(issuer), Some(signed)) => {
                        Some(KindMeta::Document(DocumentMeta {
                            number,
                            doc_type,
                            issuer,
                            issuing_body: raw.issuing_body.filter(|b| !b.trim().is_empty()),
                            signed,
                            effective: raw.effective,
                            status: raw.status.unwrap_or_default(),
                            attachments: raw.attachments,
                            amends: raw.amends,
                            replaces: raw.replaces,
                        }))
                    }
                    _ => None,
                }
            }
            PageKind::Consultation => {
                required("opens", raw.opens.is_some(), "dự thảo lấy ý kiến");
                required("closes", raw.closes.is_some(), "dự thảo lấy ý kiến");
                match (raw.opens, raw.closes) {
                    (Some(opens), Some(closes)) if closes < opens => {
                        errors.push(at("closes", "ngày kết thúc lấy ý kiến phải sau ngày bắt đầu".into()));
                        None
                    }
                    (Some(opens), Some(closes)) => Some(KindMeta::Consultation(ConsultationMeta {
                        opens,
                        closes,
                        drafting_agency: raw.drafting_agency.filter(|a| !a.trim().is_empty()),
                        attachments: raw.attachments,
                    })),
                    _ => None,
                }
            }
            PageKind::Video => {
                required("video", raw.video.is_some(), "trang video (file, poster, captions)");
                let problems = raw.video.as_ref().map(VideoRef::problems).unwrap_or_default();
                for problem in &problems {
                    errors.push(at("video", problem.clone()));
                }
                raw.video.filter(|_| problems.is_empty()).map(KindMeta::Video)
            }
        };
        let (Some(kind_meta), true) = (kind_meta, errors.is_empty()) else {
            return Err(errors);
        };
        let implied_date = match &kind_meta {
            KindMeta::Document(d) => Some(d.signed),
            KindMeta::Consultation(c) => Some(c.opens),
            KindMeta::Article | KindMeta::Video(_) => None,
        };
        Ok(Self {
            meta: PageMeta {
                title,
                // Documents are dated by their signing date, consultations by their opening, unless `date` says.
                date: raw.date.or(implied_date),
                updated: raw.updated,
                summary,
                tags,
                draft: raw.draft,
                sample: raw.sample,
                slug,
                aliases,
                image: raw.image,
                image_alt: raw.image_alt,
                weight: raw.weight,
                template: raw.template,
                data: raw.data,
                search: raw.search,
                survey: raw.survey,
            },
            kind: kind_meta,
        })
    }

    /// The document fields, if the page is a document.
    pub fn document(&self) -> Option<&DocumentMeta> {
        match &self.kind {
            KindMeta::Document(d) => Some(d),
            _ => None,
        }
    }
}

/// The first Markdown construct in `text` (a summary, shown as plain text), named for the editor; `None` when
/// Markdown would show it as it is.
fn markdown_in(text: &str) -> Option<&'static str> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(text).find_map(|event| match event {
        Event::Start(Tag::Link { .. }) => Some("liên kết `[…](…)`"),
        Event::Start(Tag::Image { .. }) => Some("hình `![…](…)`"),
        Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough) => Some("chữ nhấn mạnh `*…*` hoặc `**…**`"),
        Event::Start(Tag::Heading { .. }) => Some("tiêu đề `#`"),
        Event::Start(Tag::List(_)) => Some("danh sách `-` hoặc `1.`"),
        Event::Start(Tag::BlockQuote(_)) => Some("trích dẫn `>`"),
        Event::Start(Tag::CodeBlock(_)) | Event::Code(_) => Some("mã `` ` ``"),
        Event::Html(_) | Event::InlineHtml(_) => Some("thẻ HTML"),
        _ => None,
    })
}

/// `/cu/duong-dan` → `/cu/duong-dan/`; `None` unless root-relative.
fn normalize_alias(alias: &str) -> Option<String> {
    let alias = alias.trim();
    if !alias.starts_with('/') || alias.contains("..") {
        return None;
    }
    if alias.ends_with('/') || alias.rsplit('/').next().is_some_and(|last| last.contains('.')) {
        Some(alias.to_string())
    } else {
        Some(format!("{alias}/"))
    }
}

/// How a section orders its pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortBy {
    /// Newest first.
    #[default]
    Date,
    /// Lightest `weight` first.
    Weight,
    /// Alphabetical by title.
    Title,
}

/// A section's `_index.md` front matter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionMeta {
    /// Title shown in the menu, breadcrumbs and list heading.
    pub title: String,
    /// One sentence for the list page and search engines.
    pub description: Option<String>,
    /// Page order.
    #[serde(default)]
    pub sort_by: SortBy,
    /// Pages per list page; the site's default when absent.
    pub paginate_by: Option<usize>,
    /// Template for the section's list pages.
    pub template: Option<String>,
    /// Template for the section's pages.
    pub page_template: Option<String>,
    /// What kind of pages the section holds.
    #[serde(default)]
    pub page_kind: PageKind,
    /// Order among sibling sections.
    pub weight: Option<i64>,
    /// Whether each ministry or province named in the rows of its pages' data tables gets a page of its own
    /// (`<section>/<unit>/`): the report sections' "Báo cáo" buttons lead there.
    #[serde(default)]
    pub unit_reports: bool,
}

impl SectionMeta {
    /// Parses a section's front matter.
    pub fn parse(file: &Path, split: &Split<'_>) -> Result<Self, Vec<ContentError>> {
        let meta: SectionMeta = front_matter::parse_yaml_all(file, split.yaml, split.yaml_line)?;
        let mut errors = Vec::new();
        if meta.title.trim().is_empty() {
            errors.push(
                ContentError::new(file, "tiêu đề không được để trống")
                    .at_line(front_matter::key_line(split, "title"))
                    .field("title"),
            );
        }
        if meta.paginate_by == Some(0) {
            errors.push(
                ContentError::new(file, "phải là số trang lớn hơn 0")
                    .at_line(front_matter::key_line(split, "paginate_by"))
                    .field("paginate_by"),
            );
        }
        if errors.is_empty() { Ok(meta) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str, kind: PageKind) -> Result<PageFrontMatter, Vec<ContentError>> {
        let file = Path::new("content/van-ban/a.md");
        let split = front_matter::split(file, text).map_err(|e| vec![e])?;
        PageFrontMatter::parse(file, &split, kind)
    }

    #[test]
    fn an_image_needs_its_description_or_says_it_is_decorative() {
        let errors = page("---\ntitle: A\nimage: /a/anh.jpg\n---\n", PageKind::Article).expect_err("refused");
        assert!(errors[0].to_string().contains("image_alt"), "{errors:?}");
        assert!(
            page("---\ntitle: A\nimage: /a/anh.jpg\nimage_alt: \"\"\n---\n", PageKind::Article).is_ok(),
            "decorative"
        );
        assert!(page("---\ntitle: A\nimage: /a/anh.jpg\nimage_alt: Quang cảnh\n---\n", PageKind::Article).is_ok());
    }

    #[test]
    fn an_article_reads_every_common_field() {
        let fm = page(
            "---\ntitle: \" Tin A \"\ndate: 2023-06-11 08:12\nsummary: Tóm tắt\ntags: [Chuyển đổi số, \" \"]\ndraft: true\nslug: Tin Á\naliases: [/cu/tin-a]\nimage: a.jpg\nimage_alt: Ảnh\nweight: 3\n---\n",
            PageKind::Article,
        )
        .expect("valid");
        assert_eq!(fm.meta.title, "Tin A");
        assert_eq!(fm.meta.tags, [Tag { name: "Chuyển đổi số".into(), slug: "chuyen-doi-so".into() }]);
        assert_eq!(fm.meta.slug.as_deref(), Some("tin-a"));
        assert_eq!(fm.meta.aliases, vec!["/cu/tin-a/"]);
        assert!(fm.meta.draft);
        assert_eq!(fm.meta.date.map(|d| d.display_vi()), Some("08:12 11-06-2023".into()));
        assert_eq!(fm.kind, KindMeta::Article);
    }

    #[test]
    fn a_summary_with_markdown_is_refused_on_its_line() {
        let errors = page(
            "---\ntitle: Tin\nsummary: Xem [Nghị quyết 76](../van-ban/nq-76.md) để biết thêm.\n---\n",
            PageKind::Article,
        )
        .expect_err("markdown in the summary");
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field.as_deref()), (Some(3), Some("summary")));
        assert!(errors[0].message.contains("liên kết `[…](…)`"), "{}", errors[0].message);
        for plain in ["Năm 2023: 76/NQ-CP (sửa đổi) – 100% đơn vị; 3*4 = 12.", "Chỉ số PAR INDEX 2023"]
        {
            let text = format!("---\ntitle: Tin\nsummary: \"{plain}\"\n---\n");
            assert!(page(&text, PageKind::Article).is_ok(), "{plain}");
        }
    }

    #[test]
    fn sample_content_says_so() {
        let fm = page("---\ntitle: Văn bản minh hoạ\nsample: true\n---\n", PageKind::Article).expect("valid");
        assert!(fm.meta.sample);
        assert!(!page("---\ntitle: Tin\n---\n", PageKind::Article).expect("valid").meta.sample);
    }

    #[test]
    fn a_document_needs_number_type_issuer_and_signing_date() {
        let errors =
            page("---\ntitle: Nghị quyết\ndoc_type: Nghị quyết\n---\n", PageKind::Document).expect_err("incomplete");
        let fields: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, vec!["number", "issuer", "signed"]);
    }

    #[test]
    fn a_document_is_dated_by_its_signing_date() {
        let fm = page(
            "---\ntitle: Nghị quyết 76\nnumber: 76/NQ-CP\ndoc_type: Nghị quyết\nissuer: chinh-phu\nsigned: 2021-07-15\nattachments:\n  - file: nq76.pdf\n    label: Toàn văn\n---\n",
            PageKind::Document,
        )
        .expect("valid");
        let doc = fm.document().expect("document").clone();
        assert_eq!(doc.issuer, Issuer::ChinhPhu);
        assert_eq!(doc.status, DocumentStatus::ConHieuLuc);
        assert_eq!(fm.meta.date, Some(doc.signed));
        assert_eq!(doc.attachments[0].label, "Toàn văn");
        assert_eq!((doc.doc_type.name.as_str(), doc.doc_type.slug.as_str()), ("Nghị quyết", "nghi-quyet"));
    }

    #[test]
    fn a_document_type_without_a_letter_or_digit_is_an_error_on_its_line() {
        let errors = page(
            "---\ntitle: A\nnumber: 1/QĐ\ndoc_type: \"—\"\nissuer: chinh-phu\nsigned: 2021-01-01\n---\n",
            PageKind::Document,
        )
        .expect_err("no slug");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].field.as_deref()), (Some(4), Some("doc_type")));
        assert!(errors[0].message.contains("không có chữ hay số"), "{}", errors[0].message);
    }

    #[test]
    fn a_consultation_needs_a_window_in_order() {
        let fm = page("---\ntitle: Dự thảo\nopens: 2023-09-21\ncloses: 2023-11-21\n---\n", PageKind::Consultation)
            .expect("valid");
        let KindMeta::Consultation(c) = &fm.kind else { panic!("consultation") };
        assert_eq!((c.opens.date_vi(), c.closes.date_vi()), ("21-09-2023".into(), "21-11-2023".into()));
        assert_eq!(fm.meta.date, Some(c.opens));
        let errors = page("---\ntitle: Dự thảo\nopens: 2023-09-21\ncloses: 2023-09-01\n---\n", PageKind::Consultation)
            .expect_err("backwards");
        assert_eq!((errors[0].line, errors[0].field.as_deref()), (Some(4), Some("closes")));
        let errors = page("---\ntitle: Dự thảo\n---\n", PageKind::Consultation).expect_err("no window");
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn an_unknown_issuer_lists_the_valid_ones() {
        let errors = page(
            "---\ntitle: A\nnumber: 1\ndoc_type: x\nissuer: quoc-hoi\nsigned: 2021-01-01\n---\n",
            PageKind::Document,
        )
        .expect_err("bad issuer");
        assert_eq!((errors[0].line, errors[0].field.as_deref()), (Some(5), Some("issuer")));
        assert!(errors[0].message.contains("chinh-phu"), "{}", errors[0]);
    }

    #[test]
    fn document_fields_on_an_article_are_an_error() {
        let errors = page("---\ntitle: A\nnumber: 1/QĐ\n---\n", PageKind::Article).expect_err("misplaced");
        assert_eq!((errors[0].line, errors[0].field.as_deref()), (Some(3), Some("number")));
    }

    #[test]
    fn empty_title_and_bad_alias_are_reported_together() {
        let errors = page("---\ntitle: \"  \"\naliases: [cu/tin]\n---\n", PageKind::Article).expect_err("two errors");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field.as_deref(), Some("title"));
        assert_eq!(errors[1].field.as_deref(), Some("aliases"));
    }

    #[test]
    fn a_section_reads_its_settings() {
        let file = Path::new("content/van-ban/_index.md");
        let split = front_matter::split(
            file,
            "---\ntitle: Văn bản\npage_kind: document\npaginate_by: 20\nsort_by: weight\n---\n",
        )
        .expect("split");
        let meta = SectionMeta::parse(file, &split).expect("valid");
        assert_eq!((meta.page_kind, meta.paginate_by, meta.sort_by), (PageKind::Document, Some(20), SortBy::Weight));
        let split = front_matter::split(file, "---\ntitle: A\npaginate_by: 0\n---\n").expect("split");
        let errors = SectionMeta::parse(file, &split).expect_err("zero");
        assert_eq!((errors[0].line, errors[0].field.as_deref()), (Some(3), Some("paginate_by")));
    }
}
