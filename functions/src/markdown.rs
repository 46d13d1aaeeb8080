//! Answers written in Markdown by the editorial board, as HTML for the back office's preview and the public Q&A.
//! Raw HTML in the source is shown as text, never passed through: an answer cannot carry a script or a form.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// A link or image destination kept as written: the web, mail, or a path on the portal. Anything else
/// (`javascript:`, `data:`) becomes `#`.
fn safe_destination(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim_start().to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:"].iter().any(|s| lower.starts_with(s))
        || (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with('#');
    if allowed { url } else { CowStr::Borrowed("#") }
}

/// `source` as HTML, with any HTML it contains escaped and links only to the web, mail or the portal.
pub fn to_safe_html(source: &str) -> String {
    let parser =
        Parser::new_ext(source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Link { link_type, dest_url: safe_destination(dest_url), title, id })
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Image { link_type, dest_url: safe_destination(dest_url), title, id })
            }
            other => other,
        });
    let mut out = String::with_capacity(source.len() * 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_html_is_escaped() {
        let html = to_safe_html("**Trả lời**: xem [Nghị định](https://example.vn)\n\n<script>alert(1)</script>");
        assert!(html.contains("<strong>Trả lời</strong>"));
        assert!(html.contains("<a href=\"https://example.vn\">Nghị định</a>"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        let links = to_safe_html(
            "[a](javascript:alert(1)) [b](JavaScript:x) [c](/hoi-dap/) [d](mailto:a@vidu.vn) ![e](data:x)",
        );
        assert!(!links.to_lowercase().contains("javascript:") && !links.contains("data:"), "{links}");
        assert!(links.contains("href=\"/hoi-dap/\"") && links.contains("href=\"mailto:a@vidu.vn\""), "{links}");
    }
}
