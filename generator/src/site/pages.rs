//! Pages: each Markdown file parsed in parallel (front matter by its section's kind, drafts left out unless
//! asked), given its URL, then its body rendered against the full link map and its kind's fields resolved.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::content::discover::{self, AssetFile, ListedFile, SourceFile};
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
    pub(crate) text: PageText,
    /// Whether it is a bundle (`folder/index.md`): then the files of its folder are its own.
    pub(crate) bundle: bool,
}

/// Where a page's text is between its parse and its body's rendering.
pub(crate) enum PageText {
    /// In memory: `cchc serve` keeps every text between builds.
    Held(Arc<str>),
    /// On disk, read again to render the body (a full build: `Reading::SectionsOnly`). `front` is a hash of the
    /// front matter as parsed: a file whose front matter changed in between is an error, not a page made of two
    /// versions.
    OnDisk { path: PathBuf, front: u64 },
}

impl ParsedPage {
    /// Its text: the one held, or read again from disk, its front matter still the one parsed.
    pub(crate) fn source(&self) -> Result<Arc<str>, ContentError> {
        let (path, front) = match &self.text {
            PageText::Held(text) => return Ok(text.clone()),
            PageText::OnDisk { path, front } => (path, *front),
        };
        let text = discover::read_text(path).map_err(|e| ContentError::new(&self.file, discover::unreadable(&e)))?;
        match text.get(..self.body_start) {
            Some(head) if hash(head) == front => Ok(text),
            _ => Err(ContentError::new(
                &self.file,
                "tệp đã thay đổi phần đầu trang (front matter) trong khi đang dựng: dựng lại trang web",
            )),
        }
    }

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

/// Parses every page in parallel, in file order; drafts are set apart unless `drafts`. The `listed` pages are read
/// here, one at a time on each thread, and their texts let go once parsed (`PageText::OnDisk`).
pub(crate) fn parse(
    files: Vec<SourceFile>,
    listed: Vec<ListedFile>,
    sections: &SectionTree,
    drafts: bool,
    previous: Option<&ParseCache>,
    errors: &mut Vec<ContentError>,
) -> ParsedPages {
    let held = files.into_par_iter().map(|source| parse_one(source, sections, previous));
    let read = listed.into_par_iter().map(|listed| {
        let text = discover::read_text(&listed.path)
            .map_err(|e| vec![ContentError::new(site_path(&listed.rel), discover::unreadable(&e))])?;
        let mut page = parse_one(SourceFile { rel: listed.rel, text: text.clone() }, sections, None)?;
        page.text = PageText::OnDisk { path: listed.path, front: hash(&text[..page.body_start]) };
        Ok(page)
    });
    let results: Vec<Result<ParsedPage, Vec<ContentError>>> = held.chain(read).collect();
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
        text: PageText::Held(source.text),
        bundle,
    })
}

/// A hash of a page's front matter, to tell whether it changed between two reads.
fn hash(front: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    front.hash(&mut hasher);
    hasher.finish()
}

/// Renders every page's body and resolves its kind, in parallel; a page the cache holds, rendered against the
/// same links, is taken from it. A page on disk is read again, and its text let go once its body is rendered.
pub(crate) fn render(
    pages: &[ParsedPage],
    links: &LinkMap,
    assets: &[AssetFile],
    highlighter: &Highlighter,
    previous: Option<&ParseCache>,
) -> Vec<PageResult> {
    let attachments = Attachments::new(assets);
    let reusable = previous.filter(|c| c.same_links(links));
    pages
        .par_iter()
        .map(|p| {
            if let Some(cached) = reusable.and_then(|c| c.body(p)) {
                return Ok(cached);
            }
            let text = p.source().map_err(|e| vec![e])?;
            let context = links.context(&p.dir);
            let body = render_body(&text[p.body_start..], p.body_line, &context, &p.file, highlighter);
            let kind = attachments.resolve_kind(&p.front.kind, &p.dir, &p.file, &text);
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::content::config::SiteConfig;

    fn listed(dir: &Path, rel: &str, bytes: &[u8]) -> ListedFile {
        let path = dir.join(rel);
        std::fs::write(&path, bytes).expect("write");
        ListedFile { rel: rel.into(), path }
    }

    fn parse_listed(files: Vec<ListedFile>) -> (ParsedPages, Vec<ContentError>) {
        let mut errors = Vec::new();
        let tree = SectionTree::parse(Vec::new(), &SiteConfig::default_for_test(), &mut errors);
        let parsed = parse(Vec::new(), files, &tree, false, None, &mut errors);
        (parsed, errors)
    }

    #[test]
    fn a_listed_page_lets_its_text_go_once_parsed_and_reads_it_again_unless_its_front_matter_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (parsed, errors) =
            parse_listed(vec![listed(dir.path(), "a.md", b"---\ntitle: A\n---\nTh\xc3\xa2n c\xc5\xa9.\n")]);
        assert!(errors.is_empty(), "{errors:?}");
        let page = &parsed.pages[0];
        assert_eq!(page.front.meta.title, "A");
        assert!(matches!(page.text, PageText::OnDisk { .. }), "the text is not held after the parse");

        let write = |text: &str| std::fs::write(dir.path().join("a.md"), text).expect("write");
        write("---\ntitle: A\n---\nThân mới.\n");
        assert_eq!(&page.source().expect("same front matter")[page.body_start..], "Thân mới.\n");

        let changed = |text: &str| {
            write(text);
            let error = page.source().expect_err("front matter changed");
            assert_eq!(error.file, Path::new("content/a.md"));
            error.message
        };
        assert!(changed("---\ntitle: B\n---\nThân mới.\n").contains("front matter"));
        // A letter of three bytes across where the front matter ended (byte 17): no slice inside it.
        assert!(changed("---\ntitle: AAAAAẮ\n---\n").contains("front matter"));
        assert!(changed("---\nt").contains("front matter"));
        std::fs::remove_file(dir.path().join("a.md")).expect("remove");
        assert_eq!(
            page.source().expect_err("deleted").message,
            discover::unreadable(&std::io::ErrorKind::NotFound.into())
        );
    }

    #[test]
    fn a_listed_page_that_is_not_utf8_is_an_error_of_its_file_and_the_others_are_parsed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (parsed, errors) = parse_listed(vec![
            listed(dir.path(), "a.md", b"---\ntitle: A\n---\n"),
            listed(dir.path(), "b.md", b"---\ntitle: B\n---\nTh\xe2n\n"),
        ]);
        assert_eq!(parsed.pages.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, Path::new("content/b.md"));
        assert!(errors[0].message.contains("UTF-8"), "{}", errors[0].message);
    }
}
