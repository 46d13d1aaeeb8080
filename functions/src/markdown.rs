//! Answers written in Markdown by the editorial board, as HTML for the back office's preview and the public Q&A.
//! Raw HTML in the source is shown as text, never passed through: an answer cannot carry a script or a form.

use pulldown_cmark::{Event, Options, Parser, html};

/// `source` as HTML, with any HTML it contains escaped.
pub fn to_safe_html(source: &str) -> String {
    let parser =
        Parser::new_ext(source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
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
    }
}
