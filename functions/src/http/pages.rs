//! The few HTML answers: plain form posts get a redirect on success and an accessible error page on failure;
//! approved comments have a page for readers without JavaScript. All user text is escaped.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::problem::ApiError;
use crate::domain::PublicComment;

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1b1b1b}}\
         .error-summary{{border:4px solid #b00020;padding:.75rem 1rem}}a{{color:#0b4ea2}}li{{margin-bottom:1rem}}.meta{{color:#4a4a4a}}</style></head>\
         <body><main id=\"noi-dung\">{body}</main></body></html>",
        escape(title)
    )
}

/// `303 See Other` to a thank-you page.
pub fn redirect(site_url: &str, path: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{site_url}{path}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The error page a plain form post gets: the error-summary pattern, and a way back with the answers kept.
pub fn form_error(error: ApiError, back: &str) -> Response {
    let (status, _, title) = error.parts();
    let retry = error.retry_after();
    let items: String = if error.field_errors().is_empty() {
        format!("<li>{}</li>", escape(&error.to_string()))
    } else {
        error.field_errors().iter().map(|e| format!("<li>{}</li>", escape(&e.message))).collect()
    };
    let body = format!(
        "<div class=\"error-summary\" role=\"alert\"><h1>{}</h1><ul>{items}</ul></div>\
         <p>Dùng nút Quay lại của trình duyệt để sửa (những gì bạn đã nhập vẫn còn), hoặc <a href=\"{}\">mở lại trang biểu mẫu</a>.</p>",
        escape(title),
        escape(back)
    );
    let mut response = (status, Html(page(&format!("Lỗi: {title}"), &body))).into_response();
    if let Some(seconds) = retry {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Approved comments, for readers without JavaScript.
pub fn comments(title: &str, back: &str, comments: &[PublicComment], next: Option<&str>) -> Response {
    let mut body =
        format!("<p><a href=\"{}\">« Quay lại dự thảo</a></p><h1>Các góp ý: {}</h1>", escape(back), escape(title));
    if comments.is_empty() {
        body.push_str("<p>Chưa có góp ý nào được đăng.</p>");
    } else {
        body.push_str("<ol>");
        for c in comments {
            let who = [
                c.name.as_deref(),
                c.organisation.as_deref(),
                c.section.as_deref(),
                Some(c.created_at_display.as_str()),
            ]
            .into_iter()
            .flatten()
            .map(escape)
            .collect::<Vec<_>>()
            .join(" · ");
            body.push_str(&format!(
                "<li><p class=\"meta\">{who}</p><p>{}</p></li>",
                escape(&c.text).replace('\n', "<br>")
            ));
        }
        body.push_str("</ol>");
    }
    if let Some(cursor) = next {
        body.push_str(&format!("<p><a href=\"?format=html&amp;cursor={}\">Các góp ý cũ hơn »</a></p>", escape(cursor)));
    }
    let mut response = Html(page(&format!("Các góp ý: {title}"), &body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0, s-maxage=60"));
    response
}

/// Published questions and answers as a page, for browsers without JavaScript (the Q&A page links here).
pub fn answers(answers: &[PublicAnswer], next: Option<&str>) -> Response {
    let mut body = String::from("<p><a href=\"/hoi-dap/\">« Trang Hỏi - Đáp</a></p><h1>Câu hỏi đã được trả lời</h1>");
    if answers.is_empty() {
        body.push_str("<p>Chưa có câu trả lời nào được công bố.</p>");
    }
    for a in answers {
        body.push_str(&format!(
            "<article id=\"hoi-{}\"><h2>{}</h2><p class=\"meta\">Trả lời ngày {}</p>{}</article>",
            escape(&a.id),
            escape(&a.question).replace('\n', "<br>"),
            escape(&a.answered_at_display),
            a.answer_html
        ));
    }
    if let Some(cursor) = next {
        body.push_str(&format!(
            "<p><a href=\"?format=html&amp;cursor={}\">Các câu trả lời cũ hơn »</a></p>",
            escape(cursor)
        ));
    }
    let mut response = Html(page("Câu hỏi đã được trả lời", &body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0, s-maxage=60"));
    response
}

/// A consultation's outcome report as a page, for browsers without JavaScript.
pub fn outcome(title: &str, back: &str, report: &crate::outcome::Report) -> Response {
    let mut body = format!(
        "<p><a href=\"{}\">« Quay lại dự thảo</a></p><h1>Báo cáo tổng hợp, tiếp thu, giải trình: {}</h1><p><strong>{}</strong></p>",
        escape(back),
        escape(title),
        escape(&report.summary())
    );
    for group in &report.groups {
        body.push_str(&format!("<h2>{}</h2><ol>", escape(&group.section)));
        for e in &group.entries {
            body.push_str(&format!(
                "<li><p class=\"meta\">{} · {}</p><p>{}</p><p><strong>{}</strong>{}</p></li>",
                escape(&e.author),
                escape(&e.created),
                escape(&e.text).replace('\n', "<br>"),
                escape(e.uptake_label),
                if e.response.is_empty() { String::new() } else { format!(": {}", escape(&e.response)) }
            ));
        }
        body.push_str("</ol>");
    }
    let mut response = Html(page(&format!("Báo cáo tiếp thu, giải trình: {title}"), &body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0, s-maxage=60"));
    response
}

/// A published question and its answer, as the public sees them (never the asker's name or contact).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicAnswer {
    /// Question id.
    pub id: String,
    /// The question.
    pub question: String,
    /// The answer, as HTML made from its Markdown (raw HTML escaped).
    pub answer_html: String,
    /// When it was answered (RFC 3339).
    pub answered_at: String,
    /// The same, as the site shows dates.
    pub answered_at_display: String,
}

impl From<&crate::domain::Question> for PublicAnswer {
    fn from(q: &crate::domain::Question) -> Self {
        let at = q.answered.as_ref().map_or(q.created_at, |a| a.at);
        Self {
            id: q.id.to_string(),
            question: q.text.clone(),
            answer_html: crate::markdown::to_safe_html(q.answer.as_deref().unwrap_or_default()),
            answered_at: at.to_rfc3339(),
            answered_at_display: crate::domain::display_time(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
