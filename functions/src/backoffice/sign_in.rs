//! Signing in and out. On AWS: OpenID Connect against the ministry's provider (`auth::oidc`). Under `cchc serve`:
//! a user from `.cchc/nguoi-dung.yaml` and the token the server printed, so editors can try everything offline.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::{Fields, Link, Page, back_office, field, local_path};
use crate::auth::oidc::Pending;
use crate::auth::{SignIn, Staff, same};
use crate::domain::Actor;
use crate::http::AppState;
use crate::store::Store;

/// The cookie that carries the sign-in's state while the browser is at the provider.
const FLOW_COOKIE: &str = "cchc-dang-nhap";

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/quan-tri/dang-nhap", get(page::<S>).post(local::<S>))
        .route("/quan-tri/dang-nhap/oidc", get(start::<S>))
        .route("/quan-tri/dang-nhap/xong", get(finish::<S>))
        .route("/quan-tri/dang-nhap/xong-tab", get(done_in_tab))
        .route("/quan-tri/dang-xuat", post(sign_out::<S>))
}

#[derive(Deserialize)]
struct Next {
    tiep: Option<String>,
}

/// A local account as the form lists it.
#[derive(Serialize)]
struct UserView<'a> {
    id: &'a str,
    name: &'a str,
    roles: String,
}

#[tracing::instrument(skip_all)]
async fn page<S: Store>(State(state): State<AppState<S>>, Query(next): Query<Next>) -> Response {
    let office = or_return!(back_office(&state));
    let next = local_path(next.tiep.as_deref());
    let page = Page::new("sign-in.html", "Đăng nhập", "").with("next", &next);
    match &office.sign_in {
        SignIn::Oidc(_) => page.with("oidc", &true).render(None),
        SignIn::Local { users, .. } => {
            let users: Vec<UserView<'_>> = users
                .iter()
                .map(|u| UserView {
                    id: &u.id,
                    name: &u.name,
                    roles: Staff::from_groups(
                        Actor { id: u.id.clone(), name: u.name.clone() },
                        u.groups.iter().map(String::as_str),
                    )
                    .map_or_else(|| "không có vai trò".into(), |s| s.role_labels()),
                })
                .collect();
            page.with("users", &users).render(None)
        }
    }
}

/// A session cookie for `staff`, and the way on.
fn signed_in_as<S>(state: &AppState<S>, staff: &Staff, next: &str) -> Response {
    let Ok(office) = back_office(state) else { return StatusCode::SERVICE_UNAVAILABLE.into_response() };
    let (_, cookie) = office.keys.issue(staff);
    tracing::info!(roles = ?staff.roles, "staff signed in");
    let mut response = Redirect::to(next).into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn refused(title: &str, line: &str) -> Response {
    Page::message(StatusCode::UNAUTHORIZED, title, &[line])
        .with("links", &[Link { href: "/quan-tri/dang-nhap", text: "Đăng nhập lại", new_tab: false }])
        .render(None)
}

#[tracing::instrument(skip_all)]
async fn local<S: Store>(State(state): State<AppState<S>>, Form(fields): Form<Fields>) -> Response {
    let office = or_return!(back_office(&state));
    let SignIn::Local { users, token } = &office.sign_in else {
        return refused("Không đăng nhập được", "Máy chủ này dùng đăng nhập bằng tài khoản Bộ.");
    };
    let given = field(&fields, "ma").unwrap_or_default().trim();
    let user = users.iter().find(|u| Some(u.id.as_str()) == field(&fields, "nguoi-dung"));
    match user {
        Some(user) if !token.is_empty() && same(given.as_bytes(), token.as_bytes()) => {
            let actor = Actor { id: format!("local:{}", user.id), name: user.name.clone() };
            match Staff::from_groups(actor, user.groups.iter().map(String::as_str)) {
                Some(staff) => signed_in_as(&state, &staff, &local_path(field(&fields, "tiep"))),
                None => refused("Không có quyền", "Người dùng này không thuộc nhóm kiem-duyet, bien-tap hay quan-tri."),
            }
        }
        _ => refused("Không đăng nhập được", "Người dùng hoặc mã đăng nhập không đúng."),
    }
}

#[tracing::instrument(skip_all)]
async fn start<S: Store>(State(state): State<AppState<S>>, Query(next): Query<Next>) -> Response {
    let office = or_return!(back_office(&state));
    let SignIn::Oidc(provider) = &office.sign_in else { return Redirect::to("/quan-tri/dang-nhap").into_response() };
    match provider.start(&local_path(next.tiep.as_deref())).await {
        Ok((url, pending)) => {
            let value = serde_json::to_string(&pending).unwrap_or_default();
            let cookie = office.keys.flow_cookie(FLOW_COOKIE, &value, 600, "/quan-tri/dang-nhap");
            let mut response = Redirect::to(&url).into_response();
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "sign-in could not start");
            Page::message(
                StatusCode::BAD_GATEWAY,
                "Không kết nối được nhà cung cấp định danh",
                &["Hãy thử lại sau ít phút; nếu vẫn lỗi, báo bộ phận công nghệ thông tin."],
            )
            .render(None)
        }
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn finish<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Query(back): Query<Callback>,
) -> Response {
    let office = or_return!(back_office(&state));
    let SignIn::Oidc(provider) = &office.sign_in else { return Redirect::to("/quan-tri/dang-nhap").into_response() };
    let pending: Option<Pending> =
        office.keys.read_flow_cookie(&headers, FLOW_COOKIE).and_then(|v| serde_json::from_str(&v).ok());
    let (Some(pending), Some(code), Some(returned_state)) = (pending, back.code, back.state) else {
        if let Some(error) = back.error {
            tracing::info!(error, "the provider refused the sign-in");
        }
        return refused("Đăng nhập chưa hoàn tất", "Phiên đăng nhập đã quá 10 phút hoặc bị huỷ. Hãy đăng nhập lại.");
    };
    let mut response = match provider.finish(&pending, &returned_state, &code).await {
        Ok(Some(staff)) => signed_in_as(&state, &staff, &local_path(Some(&pending.next))),
        Ok(None) => refused(
            "Không có quyền",
            "Tài khoản của bạn chưa thuộc nhóm kiem-duyet, bien-tap hay quan-tri. Hãy đề nghị quản trị viên cấp quyền.",
        ),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "sign-in did not complete");
            refused("Đăng nhập không thành công", "Không xác minh được thông tin đăng nhập. Hãy đăng nhập lại.")
        }
    };
    if let Ok(value) = office.keys.flow_cookie(FLOW_COOKIE, "", 0, "/quan-tri/dang-nhap").parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn done_in_tab() -> Response {
    Page::message(
        StatusCode::OK,
        "Đã đăng nhập lại",
        &["Đóng thẻ này, quay lại thẻ trước và bấm “Gửi lại”: nội dung bạn đã nhập vẫn ở đó."],
    )
    .render(None)
}

#[tracing::instrument(skip_all)]
async fn sign_out<S: Store>(State(state): State<AppState<S>>) -> Response {
    let office = or_return!(back_office(&state));
    // Signing out needs no form token: the worst a forged request can do is sign someone out.
    let mut response = Page::message(StatusCode::OK, "Đã đăng xuất", &["Bạn đã đăng xuất khỏi trang quản trị."])
        .with("links", &[Link { href: "/quan-tri/dang-nhap", text: "Đăng nhập", new_tab: false }])
        .render(None);
    if let Ok(value) = office.keys.clear().parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
