//! What templates see: borrowed, serialisable views of the site model. Templates never see internal types.

use std::cell::RefCell;

use serde::Serialize;

use crate::content::date::ContentDate;
use crate::markdown::{Heading, Html};
use crate::site::{Attachment, Consultation, Document, Kind, Page, PageId, Section, SectionId, Site};
use crate::site::{Taxonomy, TaxonomyKind, Term};

/// What one output read of the site while it was made: pages shown whole, pages shown as a summary or a link,
/// and whether a template function reached elsewhere in the site (then any change may concern it). `cchc serve`
/// re-renders an output only when something it read changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reads {
    /// Pages shown whole (their own page).
    pub whole: Vec<PageId>,
    /// Pages shown as a summary or a link: title, date, summary, fields.
    pub summaries: Vec<PageId>,
    /// Whether a template function read other pages (a section's newest, a term's, the terms themselves).
    pub wide: bool,
}

thread_local! {
    static READS: RefCell<Option<Reads>> = const { RefCell::new(None) };
}

/// Runs `f` (which renders one output on this thread) and returns what it read.
pub fn record<T>(f: impl FnOnce() -> T) -> (T, Reads) {
    READS.with(|r| *r.borrow_mut() = Some(Reads::default()));
    let value = f();
    (value, READS.with(|r| r.borrow_mut().take()).unwrap_or_default())
}

fn note(f: impl FnOnce(&mut Reads)) {
    READS.with(|r| {
        if let Some(reads) = r.borrow_mut().as_mut() {
            f(reads);
        }
    });
}

/// Marks the output being recorded as reading the site beyond the pages it was given.
pub fn note_wide() {
    note(|r| r.wide = true);
}

/// A title and where it leads.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView<'a> {
    /// Text.
    pub title: &'a str,
    /// Root-relative URL.
    pub permalink: &'a str,
}

/// A date in every form templates need.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    /// RFC 3339, for `<time datetime>` and feeds.
    pub iso: String,
    /// `08:12 11-06-2023` (or the date alone when no time was given).
    pub display: String,
    /// `11-06-2023`.
    pub date: String,
    /// `2023`.
    pub year: i32,
}

impl From<ContentDate> for DateView {
    fn from(d: ContentDate) -> Self {
        Self { iso: d.rfc3339(), display: d.display_vi(), date: d.date_vi(), year: d.year() }
    }
}

/// A tag with its page.
#[derive(Debug, Clone, Serialize)]
pub struct TagView<'a> {
    /// As written.
    pub name: &'a str,
    /// Root-relative URL of the tag's list.
    pub permalink: String,
}

/// An attachment, with a human size.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView<'a> {
    /// What the reader sees.
    pub label: &'a str,
    /// Root-relative URL.
    pub url: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// `1,2 MB`, `350 KB`.
    pub size_display: String,
    /// `PDF`, `DOCX`.
    pub format: String,
    /// SHA-256, hex.
    pub sha256: &'a str,
    /// An illustrative stand-in for the real file.
    pub sample: bool,
}

/// A video of the video library: its file (with the MIME type `<source>` needs), poster and captions.
#[derive(Debug, Clone, Serialize)]
pub struct VideoView<'a> {
    /// The video file, with its size.
    pub media: AttachmentView<'a>,
    /// `video/mp4` or `video/webm`.
    pub mime: &'static str,
    /// Root-relative URL of the still shown until it is played.
    pub poster: &'a str,
    /// Root-relative URL of the Vietnamese captions (WebVTT).
    pub captions: &'a str,
    /// Length as written.
    pub duration: Option<&'a str>,
}

/// A key and the label readers see.
#[derive(Debug, Clone, Serialize)]
pub struct LabelView<'a> {
    /// Value in front matter and URLs.
    pub key: &'a str,
    /// Shown to readers.
    pub label: &'a str,
    /// The list of documents with this value, if there is one.
    pub permalink: Option<String>,
}

/// A document's own fields.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView<'a> {
    /// `76/NQ-CP`.
    pub number: &'a str,
    /// `Nghị quyết`, with its list.
    pub doc_type: LabelView<'a>,
    /// Issuer group, with its list.
    pub issuer: LabelView<'a>,
    /// `Chính phủ`.
    pub issuing_body: Option<&'a str>,
    /// Signing date.
    pub signed: DateView,
    /// Date it takes effect.
    pub effective: Option<DateView>,
    /// In force, amended, replaced, expired.
    pub status: LabelView<'a>,
    /// Attached files.
    pub attachments: Vec<AttachmentView<'a>>,
    /// Documents this one amends.
    pub amends: Vec<LinkView<'a>>,
    /// Documents this one replaces.
    pub replaces: Vec<LinkView<'a>>,
    /// Documents that amend this one.
    pub amended_by: Vec<LinkView<'a>>,
    /// Documents that replace this one.
    pub replaced_by: Vec<LinkView<'a>>,
}

/// A consultation's own fields and where it stands on the day of the build.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationView<'a> {
    /// Stable identifier the functions know it by (the last segment of its URL).
    pub id: &'a str,
    /// First day of the window.
    pub opens: DateView,
    /// Last day of the window.
    pub closes: DateView,
    /// `sap-mo` (upcoming), `dang-mo` (open) or `da-dong` (closed), on the day of the build.
    pub state: &'static str,
    /// The state in words.
    pub state_label: &'static str,
    /// Who drafted the text.
    pub drafting_agency: Option<&'a str>,
    /// The draft and its explanatory files.
    pub attachments: Vec<AttachmentView<'a>>,
}

/// A page as a list shows it: no body.
#[derive(Debug, Clone, Serialize)]
pub struct PageSummaryView<'a> {
    /// Title.
    pub title: &'a str,
    /// Root-relative URL.
    pub permalink: &'a str,
    /// Posted.
    pub date: Option<DateView>,
    /// Last changed.
    pub updated: Option<DateView>,
    /// The editor's summary, plain text.
    pub summary: Option<&'a str>,
    /// The body's summary, HTML.
    pub summary_html: &'a str,
    /// Tags.
    pub tags: Vec<TagView<'a>>,
    /// Lead image.
    pub image: Option<&'a str>,
    /// Its text alternative.
    pub image_alt: Option<&'a str>,
    /// Document fields.
    pub document: Option<DocumentView<'a>>,
    /// Consultation fields.
    pub consultation: Option<ConsultationView<'a>>,
    /// Video fields.
    pub video: Option<VideoView<'a>>,
    /// The survey it runs or shows results of.
    pub survey: Option<&'a str>,
    /// Keys of the data files shown on the page.
    pub data: &'a [String],
    /// Whether it is a draft (only with `--drafts`).
    pub draft: bool,
    /// Whether it is illustrative content (`sample: true`): templates show a badge wherever it appears.
    pub sample: bool,
}

/// A whole page.
#[derive(Debug, Clone, Serialize)]
pub struct PageView<'a> {
    /// The fields a list shows.
    #[serde(flatten)]
    pub summary: PageSummaryView<'a>,
    /// The body, HTML (unpacked for this view).
    pub content: Html,
    /// Whether the editor placed a `<!-- more -->`.
    pub has_more: bool,
    /// Headings.
    pub toc: &'a [Heading],
    /// Home page down to its section.
    pub breadcrumbs: Vec<LinkView<'a>>,
    /// Previous page in the section's order.
    pub previous: Option<LinkView<'a>>,
    /// Next page in the section's order.
    pub next: Option<LinkView<'a>>,
    /// Pages sharing its tags.
    pub related: Vec<PageSummaryView<'a>>,
}

/// A section, without its pages (they come in the paginator).
#[derive(Debug, Clone, Serialize)]
pub struct SectionView<'a> {
    /// Title.
    pub title: &'a str,
    /// One sentence.
    pub description: Option<&'a str>,
    /// Root-relative URL.
    pub permalink: &'a str,
    /// Intro text, HTML (unpacked for this view).
    pub content: Html,
    /// Folder under `content/`.
    pub dir: &'a str,
    /// Number of pages.
    pub page_count: usize,
    /// Sub-sections.
    pub subsections: Vec<LinkView<'a>>,
    /// Home page down to the section above.
    pub breadcrumbs: Vec<LinkView<'a>>,
    /// `article` or `document`.
    pub page_kind: crate::content::meta::PageKind,
    /// Root-relative URL of its Atom feed, if it has one.
    pub feed: Option<String>,
}

/// One numbered link of a paginator.
#[derive(Debug, Clone, Serialize)]
pub struct PagerLink {
    /// 1-based.
    pub number: usize,
    /// Root-relative URL.
    pub permalink: String,
    /// Whether it is the page shown.
    pub current: bool,
    /// Whether pages are left out between the link before and this one (shown as an ellipsis).
    pub gap_before: bool,
}

/// How many pages on each side of the current one a paginator links to by number, besides the first and the last.
/// Linking every page made a list of 124 pages carry 124 links on each of them (a long stop for a screen reader or
/// a keyboard, and 154,000 links rendered for a 10,000-page site); the pattern of GOV.UK's pagination instead.
const PAGER_NEIGHBOURS: usize = 2;

/// The page numbers a paginator links to, in order: the first, the last, and [`PAGER_NEIGHBOURS`] on each side of
/// `current` (of `total`, at least 1). Made directly, not by filtering every number of the list for each of its pages.
fn pager_numbers(current: usize, total: usize) -> Vec<usize> {
    let near = current.saturating_sub(PAGER_NEIGHBOURS).max(1)..=(current + PAGER_NEIGHBOURS).min(total);
    let mut numbers: Vec<usize> = std::iter::once(1).chain(near).chain(std::iter::once(total)).collect();
    numbers.dedup();
    numbers
}

/// One page of a paginated list.
#[derive(Debug, Clone, Serialize)]
pub struct PaginatorView<'a> {
    /// 1-based number of this page.
    pub current: usize,
    /// Number of pages.
    pub total_pages: usize,
    /// Number of items over all pages.
    pub total_items: usize,
    /// URL of the previous page.
    pub previous: Option<String>,
    /// URL of the next page.
    pub next: Option<String>,
    /// The numbered links: the first page, the last, and those near this one.
    pub links: Vec<PagerLink>,
    /// The items on this page.
    pub pages: Vec<PageSummaryView<'a>>,
}

/// A taxonomy term in a list of terms.
#[derive(Debug, Clone, Serialize)]
pub struct TermView<'a> {
    /// As shown.
    pub name: &'a str,
    /// Root-relative URL.
    pub permalink: &'a str,
    /// Number of pages.
    pub count: usize,
}

/// A taxonomy.
#[derive(Debug, Clone, Serialize)]
pub struct TaxonomyView<'a> {
    /// Which one.
    pub kind: TaxonomyKind,
    /// Heading.
    pub label: &'static str,
    /// Root-relative URL.
    pub permalink: &'a str,
    /// Its terms.
    pub terms: Vec<TermView<'a>>,
}

/// A section on the home page: its latest pages.
#[derive(Debug, Clone, Serialize)]
pub struct HomeSectionView<'a> {
    /// The section.
    pub section: SectionView<'a>,
    /// Its newest pages.
    pub pages: Vec<PageSummaryView<'a>>,
}

/// `1,2 MB` in Vietnamese number style.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    let text = if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    };
    text.replace('.', ",")
}

/// Builds views from the site model, as of `today` (the day of the build).
#[derive(Debug, Clone, Copy)]
pub struct Views<'a> {
    site: &'a Site,
    today: ContentDate,
}

fn attachment_view(a: &Attachment) -> AttachmentView<'_> {
    AttachmentView {
        label: &a.label,
        url: &a.url,
        size: a.size,
        size_display: human_size(a.size),
        format: a.extension.to_uppercase(),
        sha256: &a.sha256,
        sample: a.sample,
    }
}

impl<'a> Views<'a> {
    /// Views over `site`, with consultation windows judged on `today`.
    pub fn new(site: &'a Site, today: ContentDate) -> Self {
        Self { site, today }
    }

    /// The day of the build.
    pub fn today(&self) -> ContentDate {
        self.today
    }

    fn links(&self, ids: &[PageId]) -> Vec<LinkView<'a>> {
        ids.iter().map(|&i| self.link_page(i)).collect()
    }

    fn document(&self, d: &'a Document) -> DocumentView<'a> {
        let term_link =
            |kind: TaxonomyKind, slug: &str| self.site.taxonomy(kind).map(|t| format!("{}{slug}/", t.permalink));
        DocumentView {
            number: &d.meta.number,
            doc_type: LabelView {
                key: &d.meta.doc_type.name,
                label: &d.meta.doc_type.name,
                permalink: term_link(TaxonomyKind::DocType, &d.meta.doc_type.slug),
            },
            issuer: LabelView {
                key: d.meta.issuer.key(),
                label: d.meta.issuer.label(),
                permalink: term_link(TaxonomyKind::Issuer, d.meta.issuer.key()),
            },
            issuing_body: d.meta.issuing_body.as_deref(),
            signed: d.meta.signed.into(),
            effective: d.meta.effective.map(DateView::from),
            status: LabelView { key: d.status.key(), label: d.status.label(), permalink: None },
            attachments: d.attachments.iter().map(attachment_view).collect(),
            amends: self.links(&d.amends),
            replaces: self.links(&d.replaces),
            amended_by: self.links(&d.amended_by),
            replaced_by: self.links(&d.replaced_by),
        }
    }

    fn consultation(&self, page: &'a Page, c: &'a Consultation) -> ConsultationView<'a> {
        let today = self.today.iso_date();
        let (state, state_label) = if today < c.meta.opens.iso_date() {
            ("sap-mo", "Sắp lấy ý kiến")
        } else if today <= c.meta.closes.iso_date() {
            ("dang-mo", "Đang lấy ý kiến")
        } else {
            ("da-dong", "Đã kết thúc lấy ý kiến")
        };
        ConsultationView {
            id: page.last_segment(),
            opens: c.meta.opens.into(),
            closes: c.meta.closes.into(),
            state,
            state_label,
            drafting_agency: c.meta.drafting_agency.as_deref(),
            attachments: c.attachments.iter().map(attachment_view).collect(),
        }
    }

    /// A page's title and URL.
    pub fn link_page(&self, id: PageId) -> LinkView<'a> {
        note(|r| r.summaries.push(id));
        let p = &self.site.pages[id];
        LinkView { title: &p.meta.title, permalink: &p.permalink }
    }

    fn link_section(&self, id: SectionId) -> LinkView<'a> {
        let s = &self.site.sections[id];
        LinkView { title: &s.meta.title, permalink: &s.permalink }
    }

    /// A page for lists.
    pub fn summary(&self, id: PageId) -> PageSummaryView<'a> {
        note(|r| r.summaries.push(id));
        let p: &'a Page = &self.site.pages[id];
        PageSummaryView {
            title: &p.meta.title,
            permalink: &p.permalink,
            date: p.meta.date.map(DateView::from),
            updated: p.meta.updated.map(DateView::from),
            summary: p.meta.summary.as_deref(),
            summary_html: &p.rendered.summary_html,
            tags: p
                .meta
                .tags
                .iter()
                .map(|t| TagView { name: &t.name, permalink: format!("/{}/{}/", TaxonomyKind::Tags.segment(), t.slug) })
                .collect(),
            image: p.meta.image.as_deref(),
            image_alt: p.meta.image_alt.as_deref(),
            document: match &p.kind {
                Kind::Document(d) => Some(self.document(d)),
                _ => None,
            },
            consultation: match &p.kind {
                Kind::Consultation(c) => Some(self.consultation(p, c)),
                _ => None,
            },
            video: match &p.kind {
                Kind::Video(v) => Some(VideoView {
                    media: attachment_view(&v.media),
                    mime: if v.media.extension == "webm" { "video/webm" } else { "video/mp4" },
                    poster: &v.poster.url,
                    captions: &v.captions.url,
                    duration: v.duration.as_deref(),
                }),
                _ => None,
            },
            data: &p.meta.data,
            survey: p.meta.survey.as_deref(),
            draft: p.meta.draft,
            sample: p.meta.sample,
        }
    }

    /// A whole page.
    pub fn page(&self, id: PageId) -> PageView<'a> {
        note(|r| r.whole.push(id));
        let p: &'a Page = &self.site.pages[id];
        PageView {
            summary: self.summary(id),
            content: p.rendered.html.unpack(),
            has_more: p.rendered.has_more,
            toc: &p.rendered.toc,
            breadcrumbs: self.site.ancestors(p.section).into_iter().map(|s| self.link_section(s)).collect(),
            previous: p.previous.map(|i| self.link_page(i)),
            next: p.next.map(|i| self.link_page(i)),
            related: p.related.iter().map(|&i| self.summary(i)).collect(),
        }
    }

    /// A section.
    pub fn section(&self, id: SectionId) -> SectionView<'a> {
        let s: &'a Section = &self.site.sections[id];
        let mut breadcrumbs: Vec<LinkView<'a>> =
            self.site.ancestors(id).into_iter().map(|s| self.link_section(s)).collect();
        breadcrumbs.pop();
        SectionView {
            title: &s.meta.title,
            description: s.meta.description.as_deref(),
            permalink: &s.permalink,
            content: s.rendered.html.unpack(),
            dir: &s.dir,
            page_count: s.pages.len(),
            subsections: s.subsections.iter().map(|&i| self.link_section(i)).collect(),
            breadcrumbs,
            page_kind: s.meta.page_kind,
            feed: self.site.section_feed(id),
        }
    }

    /// Page `number` (1-based) of `items`, `per_page` at a time, under `base`.
    pub fn paginator(&self, items: &[PageId], per_page: usize, number: usize, base: &str) -> PaginatorView<'a> {
        let total_pages = page_count(items.len(), per_page);
        let url = |n: usize| pager_permalink(base, n);
        PaginatorView {
            current: number,
            total_pages,
            total_items: items.len(),
            previous: (number > 1).then(|| url(number - 1)),
            next: (number < total_pages).then(|| url(number + 1)),
            links: {
                let numbers = pager_numbers(number, total_pages);
                let before = std::iter::once(0).chain(numbers.iter().copied());
                numbers
                    .iter()
                    .zip(before)
                    .map(|(&n, before)| PagerLink {
                        number: n,
                        permalink: url(n),
                        current: n == number,
                        gap_before: n > before + 1,
                    })
                    .collect()
            },
            pages: pager_items(items, per_page, number).iter().map(|&i| self.summary(i)).collect(),
        }
    }

    /// A taxonomy with its terms.
    pub fn taxonomy(&self, taxonomy: &'a Taxonomy) -> TaxonomyView<'a> {
        TaxonomyView {
            kind: taxonomy.kind,
            label: taxonomy.kind.label(),
            permalink: &taxonomy.permalink,
            terms: taxonomy.terms.iter().map(term_view).collect(),
        }
    }

    /// Top-level sections with their newest `count` pages, for the home page.
    pub fn home_sections(&self, count: usize) -> Vec<HomeSectionView<'a>> {
        self.site.sections[0]
            .subsections
            .iter()
            .map(|&id| HomeSectionView {
                section: self.section(id),
                pages: self.site.sections[id].pages.iter().take(count).map(|&p| self.summary(p)).collect(),
            })
            .collect()
    }
}

/// A term in a list of terms.
pub fn term_view(term: &Term) -> TermView<'_> {
    TermView { name: &term.name, permalink: &term.permalink, count: term.pages.len() }
}

/// The items on list page `number` (1-based), `per_page` at a time.
pub fn pager_items<T>(items: &[T], per_page: usize, number: usize) -> &[T] {
    let start = ((number - 1) * per_page).min(items.len());
    &items[start..(start + per_page).min(items.len())]
}

/// Number of list pages for `items` items; an empty list still has one page.
pub fn page_count(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page.max(1)).max(1)
}

/// `/tin-tuc/` for page 1, `/tin-tuc/trang/2/` after.
pub fn pager_permalink(base: &str, number: usize) -> String {
    if number <= 1 { base.to_string() } else { format!("{base}trang/{number}/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paginator_links_the_first_the_last_and_the_pages_near_the_current_one() {
        let numbers = pager_numbers;
        assert_eq!(numbers(1, 1), [1]);
        assert_eq!(numbers(2, 5), [1, 2, 3, 4, 5], "a short list links every page");
        assert_eq!(numbers(1, 124), [1, 2, 3, 124]);
        assert_eq!(numbers(60, 124), [1, 58, 59, 60, 61, 62, 124]);
        assert_eq!(numbers(124, 124), [1, 122, 123, 124]);
        assert_eq!(numbers(4, 9), [1, 2, 3, 4, 5, 6, 9]);
    }

    #[test]
    fn sizes_read_naturally_in_vietnamese() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(350 * 1024), "350 KB");
        assert_eq!(human_size(1_258_291), "1,2 MB");
    }

    #[test]
    fn pagination_counts_and_urls() {
        assert_eq!((page_count(0, 20), page_count(20, 20), page_count(21, 20)), (1, 1, 2));
        assert_eq!(pager_permalink("/tin-tuc/", 1), "/tin-tuc/");
        assert_eq!(pager_permalink("/tin-tuc/", 3), "/tin-tuc/trang/3/");
    }
}
