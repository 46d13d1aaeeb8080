//! Markdown to HTML: one place sets the parser's options; links to other Markdown files become permalinks;
//! headings get anchors and a table of contents; code is highlighted; a summary is cut out.

pub mod highlight;
mod packed;

pub use packed::{Html, PackedHtml};

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd, html};
use serde::Serialize;

use crate::content::slug::slugify;
use crate::markdown::highlight::Highlighter;

/// What marks the end of the summary when an editor places it.
pub const MORE_MARKER: &str = "<!-- more -->";

/// The parser options every Markdown text in the site is read with.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Where links in one file point: the site's permalinks and assets, and the file's own folder.
#[derive(Debug, Clone, Copy)]
pub struct LinkContext<'a> {
    /// Folder of the file, relative to `content/`, `/`-separated, empty for the root.
    pub dir: &'a str,
    /// Content-relative Markdown path (`tin-tuc/a.md`) → permalink (`/tin-tuc/a/`).
    pub permalinks: &'a HashMap<String, String>,
    /// Content-relative paths of the files copied to the output as they are.
    pub assets: &'a HashSet<String>,
}

/// One heading, for the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// The anchor, unique in the page.
    pub id: String,
    /// The heading's text.
    pub title: String,
}

/// A Markdown text rendered to HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// The whole body, compressed: it is held from parsing to output.
    pub html: PackedHtml,
    /// The part before `<!-- more -->`, or the first paragraph.
    pub summary_html: String,
    /// Whether the editor placed a `<!-- more -->` marker.
    pub has_more: bool,
    /// Headings in order.
    pub toc: Vec<Heading>,
    /// Links to a `#fragment` of this page or of another page, checked once every page's headings are known.
    pub fragments: Vec<FragmentLink>,
}

/// A link to a heading's anchor, as written, where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentLink {
    /// 1-based line in the file.
    pub line: usize,
    /// The link as written.
    pub target: String,
    /// The page's permalink; `None` for this page's own anchors (`#muc-2`).
    pub page: Option<String>,
    /// The anchor, without `#`.
    pub fragment: String,
}

/// A link that leads nowhere, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// 1-based line in the file.
    pub line: usize,
    /// The link as written.
    pub target: String,
    /// Why it is broken.
    pub reason: String,
}

/// Renders `body` (starting at file line `first_line`), resolving links against `links`.
pub fn render(
    body: &str,
    first_line: usize,
    links: &LinkContext<'_>,
    highlighter: &Highlighter,
) -> Result<Body, Vec<BrokenLink>> {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut broken = Vec::new();
    let mut toc = Vec::new();
    let mut used_ids: HashMap<String, usize> = HashMap::new();
    let mut heading: Option<(usize, HeadingLevel, String)> = None;
    let mut code: Option<(String, String)> = None;
    let mut more_at = None;
    let mut first_paragraph: Option<(usize, Option<usize>)> = None;
    let mut depth = 0usize;
    let mut fragments = Vec::new();
    let mut lines = Lines { body, first_line, offset: 0, newlines: 0 };

    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            // `<name@example.vn>`: an address, written without `mailto:` (the renderer adds it), never a page.
            Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id }) => {
                depth += 1;
                events.push(Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id }));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let written = dest_url.to_string();
                let dest_url = resolve(&dest_url, links, false).unwrap_or_else(|reason| {
                    broken.push(BrokenLink { line: lines.at(range.start), target: dest_url.to_string(), reason });
                    dest_url
                });
                if let Some(link) = fragment_link(&written, &dest_url, || lines.at(range.start)) {
                    fragments.push(link);
                }
                depth += 1;
                events.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let dest_url = resolve(&dest_url, links, true).unwrap_or_else(|reason| {
                    broken.push(BrokenLink { line: lines.at(range.start), target: dest_url.to_string(), reason });
                    dest_url
                });
                depth += 1;
                events.push(Event::Start(Tag::Image { link_type, dest_url, title, id }));
            }
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                heading = Some((events.len(), level, id.map(|i| i.to_string()).unwrap_or_default()));
                depth += 1;
                events.push(Event::Start(Tag::Heading { level, id: None, classes, attrs }));
            }
            Event::End(TagEnd::Heading(level)) => {
                depth -= 1;
                if let Some((start, _, explicit_id)) = heading.take() {
                    let title = heading_text(&events[start + 1..]);
                    let base = if explicit_id.is_empty() { slugify(&title) } else { explicit_id };
                    let base = if base.is_empty() { "muc".to_string() } else { base };
                    let count = used_ids.entry(base.clone()).or_insert(0);
                    let id = if *count == 0 { base.clone() } else { format!("{base}-{count}") };
                    *count += 1;
                    if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start] {
                        *slot = Some(CowStr::from(id.clone()));
                    }
                    toc.push(Heading { level: level as u8, id, title });
                }
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => info.split([' ', ',', '{']).next().unwrap_or_default().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((language, String::new()));
            }
            Event::Text(text) if code.is_some() => {
                if let Some((_, buffer)) = code.as_mut() {
                    buffer.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((language, source)) = code.take() {
                    events.push(Event::Html(code_block(&language, &source, highlighter).into()));
                }
            }
            Event::Html(ref text) | Event::InlineHtml(ref text) if text.trim() == MORE_MARKER => {
                more_at.get_or_insert(events.len());
            }
            Event::Start(tag) => {
                if depth == 0 && matches!(tag, Tag::Paragraph) && first_paragraph.is_none() {
                    first_paragraph = Some((events.len(), None));
                }
                depth += 1;
                events.push(Event::Start(tag));
            }
            Event::End(tag) => {
                depth -= 1;
                events.push(Event::End(tag));
                if depth == 0
                    && tag == TagEnd::Paragraph
                    && let Some((_, end @ None)) = first_paragraph.as_mut()
                {
                    *end = Some(events.len());
                }
            }
            other => events.push(other),
        }
    }
    if !broken.is_empty() {
        return Err(broken);
    }
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events.iter().cloned());
    // Images in the text are below the title: the browser fetches them as the reader scrolls to them.
    if out.contains("<img src=") {
        out = out.replace("<img src=", "<img loading=\"lazy\" decoding=\"async\" src=");
    }
    let summary_events = match (more_at, first_paragraph) {
        (Some(end), _) => &events[..end],
        (None, Some((start, Some(end)))) => &events[start..end],
        _ => &events[..0],
    };
    let mut summary_html = String::new();
    html::push_html(&mut summary_html, summary_events.iter().cloned());
    // Every page's summary is held until the last list is written: without the room its growth left (a third of it).
    summary_html.shrink_to_fit();
    Ok(Body { html: PackedHtml::new(&out), summary_html, has_more: more_at.is_some(), toc, fragments })
}

/// The file line of a byte offset in a body, counted on from the offset asked for last. Links come in the order
/// they are written, so a body's newlines are counted about once. Counting from the body's start for every link
/// was a fifth of the CPU of building 10,000 real READMEs and changelogs, which carry hundreds of links.
struct Lines<'a> {
    body: &'a str,
    first_line: usize,
    offset: usize,
    newlines: usize,
}

impl Lines<'_> {
    /// The file line of the byte at `offset` (an earlier offset than the last is counted again from the start).
    fn at(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.newlines = 0;
        }
        let skipped = self.body.as_bytes().get(self.offset..offset).unwrap_or_default();
        self.newlines += skipped.iter().filter(|&&b| b == b'\n').count();
        self.offset = offset;
        self.first_line + self.newlines
    }
}

/// A link to a heading: this page's (`#muc`) or another Markdown page's (`a.md#muc`, resolved to `/a/#muc`).
/// Links to files, other sites and root-relative addresses are not checked.
fn fragment_link(written: &str, resolved: &str, line: impl FnOnce() -> usize) -> Option<FragmentLink> {
    let (path, fragment) = written.split_once('#')?;
    if fragment.is_empty() {
        return None;
    }
    let page = if path.is_empty() {
        None
    } else if path.split('?').next().is_some_and(|p| p.ends_with(".md")) {
        Some(resolved.split('#').next().unwrap_or_default().split('?').next().unwrap_or_default().to_string())
    } else {
        return None;
    };
    Some(FragmentLink { line: line(), target: written.to_string(), page, fragment: fragment.to_string() })
}

fn heading_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        if let Event::Text(t) | Event::Code(t) = event {
            text.push_str(t);
        }
    }
    text
}

fn code_block(language: &str, source: &str, highlighter: &Highlighter) -> String {
    let highlighted = (!language.is_empty()).then(|| highlighter.highlight(language, source)).flatten();
    match highlighted {
        Some(inner) => format!("<pre class=\"code\" data-lang=\"{}\"><code>{inner}</code></pre>\n", escape(language)),
        None => format!("<pre class=\"code\"><code>{}</code></pre>\n", escape(source)),
    }
}

fn escape(text: &str) -> String {
    crate::render::theme::escape_html(text)
}

/// Rewrites a link or image target: `.md` paths to permalinks, relative asset paths to root-relative ones.
/// External URLs, anchors and root-relative paths are kept as written.
fn resolve<'a>(target: &CowStr<'a>, links: &LinkContext<'_>, image: bool) -> Result<CowStr<'a>, String> {
    let raw: &str = target;
    if raw.is_empty()
        || raw.starts_with('#')
        || raw.contains("://")
        || raw.starts_with("mailto:")
        || raw.starts_with("tel:")
        || raw.starts_with("//")
    {
        return Ok(target.clone());
    }
    let (path, fragment) = match raw.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (raw, None),
    };
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let is_markdown = path.ends_with(".md");
    if path.starts_with('/') && !is_markdown {
        return Ok(target.clone());
    }
    let joined = join(links.dir, path).ok_or_else(|| "đường dẫn ra ngoài thư mục content/".to_string())?;
    let resolved = if is_markdown {
        links.permalinks.get(&joined).cloned().ok_or_else(|| {
            let mut message = format!("không có trang content/{joined}");
            if let Some(near) = nearest(&joined, links.permalinks.keys()) {
                message.push_str(&format!(" (có phải content/{near}?)"));
            }
            message
        })?
    } else if links.assets.contains(&joined) {
        format!("/{joined}")
    } else {
        let what = if image { "ảnh" } else { "tệp" };
        return Err(format!("không có {what} content/{joined}"));
    };
    let mut out = resolved;
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Ok(CowStr::from(out))
}

/// The page path most like `missing`, if one is close enough to be a likely typo (asked on the error path only).
fn nearest<'a>(missing: &str, pages: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    nearest_name(missing, pages.map(String::as_str))
}

/// The name among `names` closest to `missing` (a typo's likely intent), if one is close enough.
pub fn nearest_name<'a>(missing: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|p| (strsim::normalized_damerau_levenshtein(missing, p), p))
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, p)| p)
}

/// Joins a content-relative folder and a relative (or `/`-rooted) path, resolving `.` and `..`.
pub fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> =
        if path.starts_with('/') { Vec::new() } else { dir.split('/').filter(|p| !p.is_empty()).collect() };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(permalinks: &'a HashMap<String, String>, assets: &'a HashSet<String>) -> LinkContext<'a> {
        LinkContext { dir: "tin-tuc", permalinks, assets }
    }

    fn site() -> (HashMap<String, String>, HashSet<String>) {
        let permalinks = HashMap::from([
            ("van-ban/nq-76.md".to_string(), "/van-ban/nghi-quyet-76/".to_string()),
            ("tin-tuc/b.md".to_string(), "/tin-tuc/b/".to_string()),
        ]);
        let assets = HashSet::from(["tin-tuc/anh.png".to_string()]);
        (permalinks, assets)
    }

    fn ok(md: &str) -> Body {
        let (p, a) = site();
        render(md, 1, &ctx(&p, &a), &Highlighter::new()).expect("renders")
    }

    /// The whole body's HTML, unpacked.
    fn html(body: &Body) -> String {
        body.html.unpack().as_str().to_string()
    }

    #[test]
    fn markdown_links_become_permalinks_keeping_the_fragment() {
        let r = ok("Xem [NQ 76](../van-ban/nq-76.md#dieu-1) và [B](b.md) và ![ảnh](anh.png).");
        insta::assert_snapshot!(html(&r), @r#"<p>Xem <a href="/van-ban/nghi-quyet-76/#dieu-1">NQ 76</a> và <a href="/tin-tuc/b/">B</a> và <img loading="lazy" decoding="async" src="/tin-tuc/anh.png" alt="ảnh" />.</p>"#);
    }

    #[test]
    fn broken_links_are_reported_with_their_lines() {
        let (p, a) = site();
        let errors = render(
            "Dòng 1\n\n[x](khong-co.md) [y](/van-ban/khong-co.md)\n\n![z](thieu.png)",
            10,
            &ctx(&p, &a),
            &Highlighter::new(),
        )
        .expect_err("broken");
        let found: Vec<_> = errors.iter().map(|e| (e.line, e.target.as_str())).collect();
        assert_eq!(found, vec![(12, "khong-co.md"), (12, "/van-ban/khong-co.md"), (14, "thieu.png")]);
        assert!(errors[0].reason.contains("content/tin-tuc/khong-co.md"));
        assert!(!errors[0].reason.contains("có phải"), "nothing near enough to suggest");
    }

    #[test]
    fn lines_are_counted_on_and_counted_again_when_asked_for_an_earlier_offset() {
        let body = "một\nhai\nba\nbốn";
        let mut lines = Lines { body, first_line: 5, offset: 0, newlines: 0 };
        let line_of = |text: &str| body.find(text).expect("in the body");
        assert_eq!(lines.at(line_of("hai")), 6);
        assert_eq!(lines.at(line_of("bốn")), 8);
        assert_eq!(lines.at(line_of("ba")), 7);
        assert_eq!(lines.at(0), 5);
        assert_eq!(lines.at(body.len()), 8);
    }

    #[test]
    fn a_mistyped_link_suggests_the_nearest_page() {
        let (p, a) = site();
        let errors = render("[NQ](../van-ban/nq-67.md)", 1, &ctx(&p, &a), &Highlighter::new()).expect_err("broken");
        assert!(errors[0].reason.ends_with("(có phải content/van-ban/nq-76.md?)"), "{}", errors[0].reason);
    }

    #[test]
    fn external_and_root_relative_links_are_left_alone() {
        let r = ok("[a](https://dichvucong.gov.vn) [b](/tin-tuc/) [c](#muc) [d](mailto:a@b.vn)");
        assert!(html(&r).contains("href=\"https://dichvucong.gov.vn\""));
        assert!(html(&r).contains("href=\"/tin-tuc/\""));
    }

    #[test]
    fn an_email_autolink_is_an_address_not_a_broken_page_link() {
        let r = ok("Liên hệ <banbientap@moha.gov.vn> hoặc [ban biên tập](mailto:banbientap@moha.gov.vn).");
        assert!(
            html(&r).contains("<a href=\"mailto:banbientap@moha.gov.vn\">banbientap@moha.gov.vn</a>"),
            "{:?}",
            r.html
        );
    }

    #[test]
    fn headings_get_unique_vietnamese_anchors_and_a_toc() {
        let r = ok("## Cải cách thể chế\n\n## Cải cách thể chế\n\n### Đánh giá `PAR`\n\n## Riêng {#rieng-biet}");
        let ids: Vec<_> = r.toc.iter().map(|h| (h.level, h.id.as_str())).collect();
        assert_eq!(
            ids,
            vec![(2, "cai-cach-the-che"), (2, "cai-cach-the-che-1"), (3, "danh-gia-par"), (2, "rieng-biet")]
        );
        assert!(html(&r).contains("<h2 id=\"cai-cach-the-che-1\">"));
    }

    #[test]
    fn summary_is_the_first_paragraph_or_up_to_the_marker() {
        let r = ok("## Tiêu đề\n\nĐoạn *một*.\n\nĐoạn hai.");
        assert_eq!(r.summary_html, "<p>Đoạn <em>một</em>.</p>\n");
        assert!(!r.has_more);
        let r = ok("Đoạn một.\n\nĐoạn hai.\n\n<!-- more -->\n\nĐoạn ba.");
        assert_eq!(r.summary_html, "<p>Đoạn một.</p>\n<p>Đoạn hai.</p>\n");
        assert!(r.has_more);
        assert!(html(&r).contains("Đoạn ba"));
    }

    #[test]
    fn extensions_are_on() {
        let r = ok(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~cũ~~\n\n- [x] xong\n\nChú thích[^1]\n\n[^1]: Ghi chú.\n\n\"Trích dẫn\"",
        );
        insta::assert_snapshot!(html(&r));
    }

    #[test]
    fn code_is_highlighted_with_classes_and_unknown_languages_escaped() {
        let r = ok("```json\n{\"a\": 1}\n```\n\n```khong-ro\n<b>\n```");
        assert!(html(&r).contains("<pre class=\"code\" data-lang=\"json\"><code><span class=\"hl-"), "{:?}", r.html);
        assert!(html(&r).contains("<pre class=\"code\"><code>&lt;b&gt;\n</code></pre>"), "{:?}", r.html);
    }

    #[test]
    fn join_resolves_dots_and_refuses_to_escape() {
        assert_eq!(join("a/b", "../c.md").as_deref(), Some("a/c.md"));
        assert_eq!(join("a", "/x/./y.md").as_deref(), Some("x/y.md"));
        assert_eq!(join("", "../x.md"), None);
    }
}
