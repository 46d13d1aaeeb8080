//! The back office, `/quan-tri/`: pages rendered on the server (plain forms: every action works without
//! JavaScript), for the editorial board. Each page checks the session and the role it needs; each change checks
//! the form's token and is written with its audit entry in one store transaction. The same router runs in the
//! moderation Lambda and inside `cchc serve`.

/// The value of a `Result<T, Response>`, or, from the handler, the page that refused the request.
macro_rules! or_return {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(refusal) => return refusal,
        }
    };
}

mod audit;
mod erasure;
mod moderation;
mod outcomes;
mod questions;
mod sign_in;
mod surveys;

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::auth::{Role, Session, SessionKeys, SignIn, Staff};
use crate::domain::{AuditEntry, display_time};
use crate::http::AppState;
use crate::mail::Mail;
use crate::store::Store;

/// What the back office needs beyond the functions' settings.
#[derive(Debug, Clone)]
pub struct BackOffice {
    /// How staff sign in.
    pub sign_in: SignIn,
    /// Session and form-token keys.
    pub keys: SessionKeys,
    /// Where mail to citizens goes; `None`: no mail is sent (the page says so).
    pub mail: Option<Mail>,
    /// The public site's address, for links in mail (`https://…`, no trailing slash).
    pub public_url: String,
}

/// The templates, compiled once.
static TEMPLATES: LazyLock<tera::Tera> = LazyLock::new(|| {
    let mut tera = tera::Tera::default();
    let sources = [
        ("base.html", include_str!("../../templates/quan-tri/base.html")),
        ("message.html", include_str!("../../templates/quan-tri/message.html")),
        ("sign-in.html", include_str!("../../templates/quan-tri/sign-in.html")),
        ("home.html", include_str!("../../templates/quan-tri/home.html")),
        ("moderation.html", include_str!("../../templates/quan-tri/moderation.html")),
        ("reasons.html", include_str!("../../templates/quan-tri/reasons.html")),
        ("comment.html", include_str!("../../templates/quan-tri/comment.html")),
        ("history.html", include_str!("../../templates/quan-tri/history.html")),
        ("questions.html", include_str!("../../templates/quan-tri/questions.html")),
        ("question.html", include_str!("../../templates/quan-tri/question.html")),
        ("audit.html", include_str!("../../templates/quan-tri/audit.html")),
        ("surveys.html", include_str!("../../templates/quan-tri/surveys.html")),
        ("survey.html", include_str!("../../templates/quan-tri/survey.html")),
        ("codes.html", include_str!("../../templates/quan-tri/codes.html")),
        ("outcomes.html", include_str!("../../templates/quan-tri/outcomes.html")),
        ("outcome.html", include_str!("../../templates/quan-tri/outcome.html")),
        ("noi-dung.html", include_str!("../../templates/quan-tri/noi-dung.html")),
        ("erasure.html", include_str!("../../templates/quan-tri/erasure.html")),
    ];
    // tera's built-in `urlencode` comes with its `builtins` feature (and its dependencies); this is the one we need.
    tera.register_filter("urlencode", |value: &tera::Value, _: &std::collections::HashMap<String, tera::Value>| {
        Ok(tera::Value::String(urlencode(value.as_str().unwrap_or_default())))
    });
    if let Err(error) = tera.add_raw_templates(sources) {
        // The templates are part of the binary; the back-office tests render every one.
        tracing::error!(error = %error, "back-office templates do not compile");
    }
    tera
});

/// The stylesheet and the keyboard shortcuts.
const STYLE: &str = include_str!("../../templates/quan-tri/giao-dien.css");
const SHORTCUTS: &str = include_str!("../../templates/quan-tri/phim-tat.js");

/// The back-office routes.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/quan-tri", get(|| async { axum::response::Redirect::permanent("/quan-tri/") }))
        .route("/quan-tri/", get(home::<S>))
        .route("/quan-tri/giao-dien.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
        .route("/quan-tri/phim-tat.js", get(|| async { asset("text/javascript; charset=utf-8", SHORTCUTS) }))
        .merge(sign_in::routes())
        .merge(moderation::routes())
        .merge(questions::routes())
        .merge(audit::routes())
        .merge(surveys::routes())
        .merge(outcomes::routes())
        .merge(erasure::routes())
        .route("/quan-tri/noi-dung", get(|| async { axum::response::Redirect::permanent("/quan-tri/noi-dung/") }))
        .route("/quan-tri/noi-dung/", get(content_editor::<S>))
        .route("/quan-tri/{*rest}", get(not_found))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

async fn not_found() -> Response {
    Page::message(StatusCode::NOT_FOUND, "Không tìm thấy trang", &["Địa chỉ này không có trong trang quản trị."])
        .render(None)
}

/// What every page's layout shows of the signed-in person.
#[derive(Serialize)]
struct StaffView {
    name: String,
    roles: String,
}

/// Which menus a person sees.
#[derive(Serialize)]
struct Can {
    moderate: bool,
    edit: bool,
    admin: bool,
}

/// A signed-in request: the session, the token its forms carry, and what the last action left to say.
pub(crate) struct Signed {
    session: Session,
    csrf: String,
    flash: Option<Flash>,
}

/// What an action says on the page it returns to (a sealed cookie that lives one minute).
#[derive(Debug, Default, Serialize, serde::Deserialize)]
struct Flash {
    notice: Option<String>,
    problem: Option<String>,
}

const FLASH_COOKIE: &str = "cchc-thong-bao";

/// `response` (a redirect after an action), carrying `notice` and `problem` to the next page.
fn flash<S>(mut response: Response, state: &AppState<S>, notice: Option<&str>, problem: Option<&str>) -> Response {
    if let Some(office) = &state.settings.back_office {
        let value =
            serde_json::to_string(&Flash { notice: notice.map(String::from), problem: problem.map(String::from) })
                .unwrap_or_default();
        if let Ok(cookie) = office.keys.flow_cookie(FLASH_COOKIE, &value, 60, "/quan-tri/").parse() {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

impl Signed {
    fn staff(&self) -> &Staff {
        &self.session.staff
    }
}

/// A page to render: a template, its status and its context.
pub(crate) struct Page {
    status: StatusCode,
    template: &'static str,
    context: tera::Context,
}

impl Page {
    fn new(template: &'static str, title: &str, section: &str) -> Self {
        let mut context = tera::Context::new();
        context.insert("title", title);
        context.insert("section", section);
        Self { status: StatusCode::OK, template, context }
    }

    fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn with(mut self, key: &str, value: &impl Serialize) -> Self {
        self.context.insert(key, value);
        self
    }

    /// A page with a title and a few lines of text.
    fn message(status: StatusCode, title: &str, lines: &[&str]) -> Self {
        Self::new("message.html", title, "").status(status).with("lines", &lines)
    }

    /// The HTML, with the person's menu when signed in. Never cached, never framed.
    fn render(mut self, signed: Option<&Signed>) -> Response {
        let shown_flash = signed.and_then(|s| s.flash.as_ref());
        if let Some(flash) = shown_flash {
            self.context.insert("notice", &flash.notice);
            self.context.insert("problem", &flash.problem);
        }
        if let Some(signed) = signed {
            let staff = signed.staff();
            self.context.insert("staff", &StaffView { name: staff.actor.name.clone(), roles: staff.role_labels() });
            self.context.insert("csrf", &signed.csrf);
            self.context.insert(
                "can",
                &Can {
                    moderate: staff.can(Role::Moderator),
                    edit: staff.can(Role::Editor),
                    admin: staff.can(Role::Admin),
                },
            );
        }
        match TEMPLATES.render(self.template, &self.context) {
            Ok(html) => {
                let mut response = (self.status, html_headers(), html).into_response();
                // Shown once: the cookie goes with this page.
                if shown_flash.is_some() {
                    let clear = format!("{FLASH_COOKIE}=; Path=/quan-tri/; Max-Age=0; HttpOnly; SameSite=Lax");
                    if let Ok(value) = clear.parse() {
                        response.headers_mut().append(header::SET_COOKIE, value);
                    }
                }
                response
            }
            Err(error) => {
                tracing::error!(error = ?error, template = self.template, "back-office page did not render");
                let page = "<!doctype html><html lang=\"vi\"><title>Lỗi — Quản trị Cổng CCHC</title><main><h1>Lỗi hiển thị \
                            trang quản trị</h1><p>Hãy tải lại trang; nếu vẫn lỗi, hãy báo bộ phận công nghệ thông tin.</p></main></html>";
                (StatusCode::INTERNAL_SERVER_ERROR, html_headers(), page).into_response()
            }
        }
    }
}

/// Headers of every back-office page: HTML, not stored by any cache, not shown in a frame, scripts from here only.
fn html_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'",
            ),
        ),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ]
}

/// The back office's settings, or a page saying it is not set up.
fn back_office<S>(state: &AppState<S>) -> Result<&BackOffice, Response> {
    state.settings.back_office.as_ref().ok_or_else(|| {
        Page::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Trang quản trị chưa được cấu hình",
            &["Chức năng đăng nhập chưa được cấu hình cho máy chủ này (xem infra/README.md)."],
        )
        .render(None)
    })
}

/// A page refused to someone without `role`.
fn forbidden(signed: &Signed, role: Role) -> Response {
    let line =
        format!("Thao tác này cần vai trò “{}”; tài khoản của bạn có: {}.", role.label(), signed.staff().role_labels());
    Page::message(StatusCode::FORBIDDEN, "Không được phép", &[&line]).render(Some(signed))
}

/// The session of a page request that needs `role`: without one, a redirect to the sign-in that comes back here.
fn signed_in<S>(state: &AppState<S>, headers: &HeaderMap, uri: &Uri, role: Option<Role>) -> Result<Signed, Response> {
    let office = back_office(state)?;
    let session = office.keys.read(headers).map_err(|_| {
        let next = uri.path_and_query().map_or("/quan-tri/", |p| p.as_str());
        axum::response::Redirect::to(&format!("/quan-tri/dang-nhap?tiep={}", urlencode(next))).into_response()
    })?;
    let flash = office.keys.read_flow_cookie(headers, FLASH_COOKIE).and_then(|v| serde_json::from_str(&v).ok());
    let signed = Signed { csrf: office.keys.csrf(&session), session, flash };
    match role {
        Some(role) if !signed.staff().can(role) => Err(forbidden(&signed, role)),
        _ => Ok(signed),
    }
}

/// A form sent to the back office, as its fields in order.
pub(crate) type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A field resent on the "sign in again" page.
#[derive(Serialize)]
struct Kept<'a> {
    name: &'a str,
    value: &'a str,
    long: bool,
}

/// What the form can be sent again with.
#[derive(Serialize)]
struct Resend<'a> {
    action: &'a str,
    csrf: Option<&'a str>,
    fields: Vec<Kept<'a>>,
    label: &'a str,
}

/// A link on a message page.
#[derive(Serialize)]
struct Link<'a> {
    href: &'a str,
    text: &'a str,
    new_tab: bool,
}

/// The session of a form sent to `uri` that needs `role`. A session that ran out keeps the unsent fields on a
/// page that sends them again once the person signed in (in another tab); a form without this session's token
/// (sent from an older session, or from elsewhere) is shown for confirmation, never applied.
fn signed_change<S>(
    state: &AppState<S>,
    headers: &HeaderMap,
    uri: &Uri,
    fields: &Fields,
    role: Role,
) -> Result<Signed, Response> {
    let office = back_office(state)?;
    // A form sent from another site is refused outright (browsers say where a request comes from): it is never
    // kept to be sent again nor offered for confirmation.
    let from_elsewhere = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    if from_elsewhere {
        return Err(Page::message(
            StatusCode::FORBIDDEN,
            "Không thực hiện",
            &["Biểu mẫu này được gửi từ một trang web khác, không phải trang quản trị: thao tác không được thực hiện."],
        )
        .render(None));
    }
    let action = uri.path();
    let kept: Vec<Kept<'_>> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| Kept { name: k, value: v, long: v.len() > 80 || v.contains('\n') })
        .collect();
    let session = match office.keys.read(headers) {
        Ok(session) => session,
        Err(_) => {
            let sign_in = format!("/quan-tri/dang-nhap?tiep={}", urlencode("/quan-tri/dang-nhap/xong-tab"));
            return Err(Page::message(
                StatusCode::UNAUTHORIZED,
                "Phiên đăng nhập đã hết hạn",
                &[
                    "Thao tác chưa được thực hiện; nội dung bạn vừa nhập vẫn còn dưới đây.",
                    "Hãy đăng nhập lại trong một thẻ mới, rồi quay lại đây và bấm “Gửi lại”.",
                ],
            )
            .with("links", &[Link { href: &sign_in, text: "Đăng nhập lại (mở thẻ mới)", new_tab: true }])
            .with("resend", &Resend { action, csrf: None, fields: kept, label: "Gửi lại" })
            .render(None));
        }
    };
    let signed = Signed { csrf: office.keys.csrf(&session), session, flash: None };
    if !office.keys.csrf_ok(&signed.session, field(fields, "csrf")) {
        return Err(Page::message(
            StatusCode::FORBIDDEN,
            "Xác nhận thao tác",
            &["Biểu mẫu này được gửi từ một phiên khác hoặc một trang khác. Kiểm tra nội dung rồi bấm “Xác nhận” để thực hiện."],
        )
        .with("resend", &Resend { action, csrf: Some(&signed.csrf), fields: kept, label: "Xác nhận" })
        .render(Some(&signed)));
    }
    if !signed.staff().can(role) {
        return Err(forbidden(&signed, role));
    }
    Ok(signed)
}

/// `text` for a query string: everything but unreserved characters and `/` percent-encoded.
fn urlencode(text: &str) -> String {
    const QUERY: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');
    percent_encoding::utf8_percent_encode(text, QUERY).to_string()
}

/// A back-office path to return to, or the home page: never another site.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/quan-tri/")
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.into()
        }
        _ => "/quan-tri/".into(),
    }
}

/// How long ago, in words.
fn age(at: chrono::DateTime<chrono::Utc>) -> String {
    let minutes = (chrono::Utc::now() - at).num_minutes().max(0);
    match minutes {
        0..60 => format!("{minutes} phút trước"),
        60..1440 => format!("{} giờ trước", minutes / 60),
        _ => format!("{} ngày trước", minutes / 1440),
    }
}

/// An audit entry as pages show it.
#[derive(Serialize)]
struct EntryView {
    at: String,
    actor: String,
    action: &'static str,
    subject: String,
    link: Option<String>,
    before: String,
    after: String,
}

impl From<&AuditEntry> for EntryView {
    fn from(e: &AuditEntry) -> Self {
        let link = [
            ("comment/", "/quan-tri/kiem-duyet/"),
            ("question/", "/quan-tri/cau-hoi/"),
            ("survey/", "/quan-tri/khao-sat/"),
            ("consultation/", "/quan-tri/y-kien/"),
        ]
        .iter()
        .find_map(|(prefix, page)| e.subject.strip_prefix(prefix).map(|rest| format!("{page}{rest}")));
        Self {
            at: display_time(e.at),
            actor: e.actor.name.clone(),
            action: e.action.label(),
            subject: e.subject.clone(),
            link,
            before: e.before.clone(),
            after: e.after.clone(),
        }
    }
}

/// An item's audit entries, newest first (the last 50).
async fn history<S: Store>(state: &AppState<S>, subject: &str) -> Result<Vec<EntryView>, crate::store::StoreError> {
    Ok(state.store.audit_trail(Some(subject), None, 50).await?.items.iter().map(EntryView::from).collect())
}

/// A page for a store failure: what happened, and that nothing was lost.
fn unavailable(signed: Option<&Signed>, error: &crate::store::StoreError) -> Response {
    tracing::error!(error = %error, "back office: store call failed");
    Page::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Hệ thống tạm thời bận",
        &["Kho dữ liệu chưa phản hồi; thao tác chưa được thực hiện. Hãy thử lại sau ít phút."],
    )
    .render(signed)
}

#[tracing::instrument(skip_all)]
async fn home<S: Store>(
    axum::extract::State(state): axum::extract::State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, None));
    let comments = state.store.pending_comments(None, 200).await;
    let questions = state.store.pending_questions(None, 200).await;
    match (comments, questions) {
        (Ok(comments), Ok(questions)) => Page::new("home.html", "Tổng quan", "home")
            .with("pending_comments", &comments.items.len())
            .with("more_comments", &comments.next.is_some())
            .with("pending_questions", &questions.items.len())
            .with("more_questions", &questions.next.is_some())
            .render(Some(&signed)),
        (Err(e), _) | (_, Err(e)) => unavailable(Some(&signed), &e),
    }
}

/// The Decap CMS release the site's theme vendors (`tools/vendor-decap.sh`), whose files the editor page loads.
pub const DECAP_CMS_VERSION: &str = "3.16.3";

/// `/quan-tri/noi-dung/`: the content editor (Decap CMS), for editors. The page is the back office's, so the
/// same sign-in guards it; the editor's files are the site's (`/quan-tri/noi-dung/tai-nguyen/`), and saving
/// goes to the repository host (on AWS) or the working copy (`cchc serve`).
async fn content_editor<S: Store>(
    axum::extract::State(state): axum::extract::State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let _signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Editor)));
    let mut context = tera::Context::new();
    context.insert("version", DECAP_CMS_VERSION);
    match TEMPLATES.render("noi-dung.html", &context) {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html)
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "the content editor's page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A CSV download (UTF-8 with a byte-order mark, so spreadsheet programs read Vietnamese); cells that would start a
/// formula get a leading apostrophe (OWASP's advice for CSV injection).
fn csv_file(header: &[&str], rows: impl Iterator<Item = Vec<String>>, filename: &str) -> Response {
    let mut writer = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let mut result = writer.write_record(header);
    for row in rows {
        if result.is_ok() {
            result = writer.write_record(row.iter().map(|c| crate::export::cell(c).into_owned()));
        }
    }
    let bytes = result.map_err(|e| e.to_string()).and_then(|()| writer.into_inner().map_err(|e| e.to_string()));
    match bytes {
        Ok(bytes) => download(bytes, filename),
        Err(error) => {
            tracing::error!(error, "CSV export failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A CSV file as a download named `filename`, never cached.
fn download(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for name in [
            "base.html",
            "message.html",
            "sign-in.html",
            "home.html",
            "moderation.html",
            "comment.html",
            "noi-dung.html",
            "erasure.html",
        ] {
            assert!(TEMPLATES.get_template_names().any(|n| n == name), "{name} missing");
        }
        assert_eq!(TEMPLATES.get_template_names().count(), 18);
    }

    #[test]
    fn only_back_office_paths_are_returned_to() {
        assert_eq!(local_path(Some("/quan-tri/cau-hoi")), "/quan-tri/cau-hoi");
        for bad in
            ["https://evil.example/", "//evil.example/quan-tri/", "/quan-tri\\..\\", "/khac", "/quan-tri/\r\nX: y"]
        {
            assert_eq!(local_path(Some(bad)), "/quan-tri/", "{bad}");
        }
    }
}
