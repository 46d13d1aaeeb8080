//! Sections: every `_index.md` parsed (a page's kind comes from its section), the home page made when there is
//! none, the tree ordered parents first, and each section's introduction rendered.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::content::config::SiteConfig;
use crate::content::discover::{SourceFile, is_section_file};
use crate::content::front_matter;
use crate::content::meta::{PageKind, SectionMeta, SortBy};
use crate::error::ContentError;
use crate::markdown::highlight::Highlighter;
use crate::site::links::{LinkMap, dir_permalink, parent_dir, site_path};
use crate::site::model::{Section, SectionId};
use crate::site::pages::render_body;

/// An `_index.md`, parsed, its introduction not yet rendered.
pub(crate) struct ParsedSection {
    pub(crate) dir: String,
    pub(crate) file: PathBuf,
    pub(crate) meta: SectionMeta,
    body_start: usize,
    body_line: usize,
    text: Arc<str>,
}

/// Every section, the home page first and parents before children.
pub(crate) struct SectionTree {
    pub(crate) sections: Vec<ParsedSection>,
    by_dir: HashMap<String, SectionId>,
}

/// Splits the Markdown files into sections' `_index.md` and pages.
pub(crate) fn split_index_files(markdown: Vec<SourceFile>) -> (Vec<SourceFile>, Vec<SourceFile>) {
    markdown.into_iter().partition(|f| is_section_file(&f.rel))
}

impl SectionTree {
    /// Parses every `_index.md`; a site without one for its root gets a home page titled as the site.
    pub(crate) fn parse(index_files: Vec<SourceFile>, config: &SiteConfig, errors: &mut Vec<ContentError>) -> Self {
        let mut sections: Vec<ParsedSection> = Vec::new();
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
                Ok((meta, body_start, body_line)) => sections.push(ParsedSection {
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
        if !sections.iter().any(|s| s.dir.is_empty()) {
            sections.push(ParsedSection {
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
                    unit_reports: false,
                },
                body_start: 0,
                body_line: 1,
                text: Arc::from(""),
            });
        }
        // Home first, then parents before children.
        sections.sort_by(|a, b| {
            let key = |s: &ParsedSection| (!s.dir.is_empty(), s.dir.matches('/').count(), s.dir.clone());
            key(a).cmp(&key(b))
        });
        let by_dir = sections.iter().enumerate().map(|(i, s)| (s.dir.clone(), i)).collect();
        SectionTree { sections, by_dir }
    }

    /// The section that lists what is in folder `dir`: the nearest folder upwards with an `_index.md`.
    pub(crate) fn section_of(&self, dir: &str) -> SectionId {
        let mut dir = dir;
        loop {
            if let Some(id) = self.by_dir.get(dir) {
                return *id;
            }
            if dir.is_empty() {
                return 0;
            }
            dir = parent_dir(dir);
        }
    }

    /// The `_index.md` path (under `content/`) and URL of every section.
    pub(crate) fn permalinks(&self) -> impl Iterator<Item = (&ParsedSection, String, String)> {
        self.sections.iter().map(|section| {
            let rel =
                if section.dir.is_empty() { "_index.md".to_string() } else { format!("{}/_index.md", section.dir) };
            (section, rel, dir_permalink(&section.dir))
        })
    }

    /// The sections with their introductions rendered; their lists are filled once the pages are known.
    pub(crate) fn render(
        &self,
        links: &LinkMap,
        default_paginate_by: usize,
        highlighter: &Highlighter,
        errors: &mut Vec<ContentError>,
    ) -> Vec<Section> {
        self.sections
            .iter()
            .map(|parsed| {
                let context = links.context(&parsed.dir);
                let body = &parsed.text[parsed.body_start..];
                let rendered =
                    render_body(body, parsed.body_line, &context, &parsed.file, highlighter).unwrap_or_else(|e| {
                        errors.extend(e);
                        Default::default()
                    });
                Section {
                    file: (!parsed.text.is_empty()).then(|| parsed.file.clone()),
                    dir: parsed.dir.clone(),
                    permalink: dir_permalink(&parsed.dir),
                    paginate_by: parsed.meta.paginate_by.unwrap_or(default_paginate_by),
                    meta: parsed.meta.clone(),
                    rendered,
                    pages: Vec::new(),
                    subsections: Vec::new(),
                    parent: (!parsed.dir.is_empty()).then(|| self.section_of(parent_dir(&parsed.dir))),
                }
            })
            .collect()
    }
}
