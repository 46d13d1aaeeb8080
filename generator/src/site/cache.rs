//! What parsing and rendering each page gave in the previous build, kept by `cchc serve`: a page whose text and
//! section kind are unchanged is not parsed again, and not rendered again while every permalink and content file
//! stays the same (its links resolve the same way).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::content::front_matter;
use crate::content::meta::{PageFrontMatter, PageKind};
use crate::error::ContentError;
use crate::markdown::highlight::Highlighter;
use crate::markdown::{Body, LinkContext};
use crate::site::links::{LinkMap, site_path};
use crate::site::model::Kind;
use crate::site::pages::{PageResult, PageText, ParsedPage, render_body};

/// The previous build's pages, by path under `content/`, and the links their bodies were rendered against.
#[derive(Debug, Default)]
pub struct ParseCache {
    pages: HashMap<String, CachedPage>,
    /// The link map and content files the cached bodies were rendered against.
    links: Option<(HashMap<String, String>, HashSet<String>)>,
}

/// One page as the previous build left it.
#[derive(Debug, Clone)]
pub(crate) struct CachedPage {
    /// The folder its relative links start from.
    dir: String,
    text: Arc<str>,
    kind: PageKind,
    pub(crate) front: PageFrontMatter,
    pub(crate) body_start: usize,
    pub(crate) body_line: usize,
    pub(crate) body: Option<(Arc<Body>, Kind)>,
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
    ) -> Option<Result<Arc<Body>, Vec<ContentError>>> {
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

    /// The front matter of the page at `rel` parsed from its new `text`, when its body is unchanged and `allowed`
    /// accepts the change from the cached front matter to the new one; `None` when it is new, its body changed, or
    /// the change is not allowed. Errors of the new front matter are returned as a full build would report them.
    /// The cache then holds the new text (only when it parsed and was allowed).
    pub fn front_only(
        &mut self,
        rel: &str,
        text: &Arc<str>,
        allowed: impl FnOnce(&PageFrontMatter, &PageFrontMatter) -> bool,
    ) -> Option<Result<PageFrontMatter, Vec<ContentError>>> {
        let cached = self.pages.get_mut(rel)?;
        cached.body.as_ref()?;
        let file = site_path(rel);
        let split = front_matter::split(&file, text).ok()?;
        if split.body != &cached.text[cached.body_start..] || split.body_line != cached.body_line {
            return None;
        }
        let front = match PageFrontMatter::parse(&file, &split, cached.kind) {
            Ok(front) => front,
            Err(errors) => return Some(Err(errors)),
        };
        if !allowed(&cached.front, &front) {
            return None;
        }
        cached.body_start = split.body.as_ptr() as usize - text.as_ptr() as usize;
        cached.text = text.clone();
        cached.front = front.clone();
        Some(Ok(front))
    }

    /// The cached page at `rel` if its text and kind are the ones given.
    pub(crate) fn get(&self, rel: &str, text: &Arc<str>, kind: PageKind) -> Option<&CachedPage> {
        self.pages.get(rel).filter(|c| c.kind == kind && (Arc::ptr_eq(&c.text, text) || *c.text == **text))
    }

    /// Whether the cached bodies were rendered against these very links (then they can be reused).
    pub(crate) fn same_links(&self, links: &LinkMap) -> bool {
        self.links.as_ref().is_some_and(|(p, a)| *p == links.permalinks && *a == links.assets)
    }

    /// The cached body and kind of `page`, if its text (held) and kind are unchanged.
    pub(crate) fn body(&self, page: &ParsedPage) -> Option<(Arc<Body>, Kind)> {
        let PageText::Held(text) = &page.text else { return None };
        self.get(&page.rel(), text, page.kind).and_then(|c| c.body.clone())
    }

    /// Replaces the cache with this build's pages (those whose text it held) and the links they were rendered
    /// against.
    pub(crate) fn remember(
        &mut self,
        parsed: &[ParsedPage],
        results: &[PageResult],
        permalinks: HashMap<String, String>,
        assets: HashSet<String>,
    ) {
        self.pages = parsed
            .iter()
            .zip(results)
            .filter_map(|(page, result)| {
                let PageText::Held(text) = &page.text else { return None };
                let cached = CachedPage {
                    dir: page.dir.clone(),
                    text: text.clone(),
                    kind: page.kind,
                    front: page.front.clone(),
                    body_start: page.body_start,
                    body_line: page.body_line,
                    body: result.as_ref().ok().cloned(),
                };
                Some((page.rel(), cached))
            })
            .collect();
        self.links = Some((permalinks, assets));
    }
}
