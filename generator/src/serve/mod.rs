//! `cchc serve`: builds the site into a temporary folder, serves it, rebuilds when `content/`, `themes/` or
//! `site.yaml` change, and tells open browser tabs to reload (or shows the build's errors over the page).

mod api;
mod burst;
pub mod headers;
pub mod live;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Response, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use serde::Serialize;
use tokio::sync::watch;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::WatchStream;
use tower_http::services::{ServeDir, ServeFile};

use cchc_functions::domain::Consultation;

use cchc_functions::survey::Survey;

use crate::commands::StoreTarget;
use crate::pipeline::{BuildOptions, BuildReport};
use crate::serve::api::{LocalApi, fixed_today, local_api};
use crate::serve::burst::Burst;
use crate::serve::live::LiveSite;
use crate::site::document_filters::query_target;

/// Where the browser listens for build events.
pub const EVENTS_PATH: &str = "/__cchc/events";

/// Where the preview serves its live-reload script (a file, not inline, so the site's script policy holds).
pub const RELOAD_SCRIPT_PATH: &str = "/__cchc/live-reload.js";

/// The live-reload script: reloads on a newer successful build, shows a failed build's errors over the page.
const RELOAD_SCRIPT: &str = include_str!("../../builtin/live-reload.js");

/// How long editing must pause before the search index catches up with the pages (on a thread of its own).
const SEARCH_PAUSE: Duration = Duration::from_millis(300);

/// Settings of `cchc serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Site root.
    pub root: PathBuf,
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Whether drafts are shown (they are, by default, in a preview).
    pub drafts: bool,
}

/// The outcome of the latest build, sent to every open tab.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BuildStatus {
    /// Increases with every build, failed or not.
    pub generation: u64,
    /// Whether it succeeded.
    pub ok: bool,
    /// The errors, one per line, when it failed.
    pub errors: String,
}

/// The site being previewed, and what was last written to the local store from it.
struct Preview {
    live: LiveSite,
    published: Option<(Vec<Consultation>, Vec<Survey>)>,
}

/// Rebuilds after `changed` (everything when empty), then writes the consultation windows and surveys to the
/// local store (when they changed) so the API enforces what the pages show.
fn run_build(preview: &mut Preview, changed: &[PathBuf], generation: u64, api: &LocalApi) -> BuildStatus {
    // A preview left running overnight judges consultation windows on the day of each rebuild.
    let today = fixed_today().unwrap_or_else(crate::content::date::ContentDate::now);
    match preview.live.rebuild(changed, today) {
        Ok(report) => {
            log_report(&report);
            let content = (report.consultations, report.surveys);
            if preview.published.as_ref() != Some(&content) {
                let published = api.runtime.block_on(crate::commands::sync::publish_preview(
                    api.state.store.inner(),
                    &content.0,
                    &content.1,
                ));
                if let Err(e) = published {
                    // A changed survey version is the editor's to fix: show it like a build error.
                    let text = format!("lỗi: không ghi được nội dung vào kho dữ liệu: {e}");
                    eprintln!("{text}");
                    return BuildStatus { generation, ok: false, errors: text };
                }
                preview.published = Some(content);
            }
            BuildStatus { generation, ok: true, errors: String::new() }
        }
        Err(error) => {
            let text = crate::error_lines(&error);
            eprintln!("{text}");
            BuildStatus { generation, ok: false, errors: text }
        }
    }
}

fn log_report(report: &BuildReport) {
    eprintln!("Đã dựng: {}", report.summary());
}

/// Builds, then serves until Ctrl+C or SIGTERM. Returns the address actually bound through `on_ready`.
pub async fn serve(options: ServeOptions, on_ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let out_parent = tempfile::Builder::new().prefix("cchc-serve-").tempdir().context("không tạo được thư mục tạm")?;
    let out = out_parent.path().join("site");
    // Listened for from the start: Ctrl+C during the first build ends the preview the same way, folder removed.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        let _ = stop_tx.send(true);
    });
    let listener = tokio::net::TcpListener::bind((options.bind, options.port))
        .await
        .with_context(|| format!("không mở được cổng {}:{}", options.bind, options.port))?;
    let address = listener.local_addr()?;
    let host = if address.ip().is_unspecified() { "127.0.0.1".to_string() } else { address.ip().to_string() };
    let base = format!("http://{host}:{}", address.port());
    let (state, token) = local_api(&options.root, &base)?;
    // What DynamoDB's TTL does on AWS: expired idempotency records and rate counters go, at start and every
    // ten minutes (hashed client addresses must not pile up).
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(error) = store.inner().purge_expired().await {
                tracing::warn!(%error, "expired rows were not purged");
            }
        }
    });
    let api = LocalApi { state: state.clone(), runtime: tokio::runtime::Handle::current() };
    let build_options = BuildOptions {
        root: options.root.clone(),
        out: Some(out.clone()),
        base_url: None,
        drafts: options.drafts,
        today: crate::content::date::ContentDate::now(),
        results_from: Some(StoreTarget::Sqlite(crate::pipeline::local_store_path(&options.root))),
        production: false,
    };
    let preview = Preview { live: LiveSite::new(build_options)?, published: None };
    let (first, preview) = tokio::task::spawn_blocking({
        let api = api.clone();
        move || {
            let mut preview = preview;
            let status = run_build(&mut preview, &[], 1, &api);
            (status, preview)
        }
    })
    .await?;
    let (status_tx, status_rx) = watch::channel(first);
    let _watcher = watch_and_rebuild(&options.root, preview, status_tx, api)?;

    let cms = crate::cms::local::LocalCms { root: options.root.clone(), authorize: editor_check(&state) };
    let app = router(&out, status_rx, stop_rx.clone())
        .merge(cms_routes(&out, &base, cms))
        .merge(cchc_functions::http::api_router(state))
        .layer(axum::middleware::from_fn(headers::add));
    eprintln!("API tại /api; kiểm duyệt với tiêu đề: Authorization: Bearer {token}");
    eprintln!("Trang quản trị: {base}/quan-tri/ (người dùng trong .cchc/nguoi-dung.yaml, mã đăng nhập: {token})");
    on_ready(address);
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    // Requests under way get a moment to finish; then the preview ends whatever is still open, and its
    // temporary folder goes with it.
    tokio::select! {
        served = server.into_future() => served?,
        () = async {
            stopped(stop_rx).await;
            tokio::time::sleep(STOP_GRACE).await;
        } => {}
    }
    Ok(())
}

/// How long requests under way may take to finish once the preview is asked to stop.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Ctrl+C, or SIGTERM (what `kill`, systemd, `docker stop` and `tests/run` send): either stops the preview, which
/// then removes its temporary folder (killed without stopping, it left 300 MB behind for a 10,000-page site).
async fn stop_signal() {
    #[cfg(unix)]
    if let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Resolves once the preview is asked to stop.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Whether a request comes from a signed-in editor (the back office's session, `bien-tap` or `quan-tri`).
fn editor_check<S>(state: &cchc_functions::http::AppState<S>) -> crate::cms::local::Authorize {
    let settings = state.settings.clone();
    std::sync::Arc::new(move |headers: &axum::http::HeaderMap| {
        settings
            .back_office
            .as_ref()
            .and_then(|office| office.keys.read(headers).ok())
            .is_some_and(|session| session.staff.can(cchc_functions::auth::Role::Editor))
    })
}

/// The CMS as the preview runs it: its files from the build (before the back office's own `/quan-tri/…`
/// routes), its configuration with the local backend (this server's address), and that backend.
fn cms_routes(out: &Path, base: &str, cms: crate::cms::local::LocalCms) -> Router {
    use crate::cms::config::{ASSETS_DIR, CONFIG_PATH};
    let config = out.join(CONFIG_PATH);
    let local = format!("\nlocal_backend:\n  url: {base}{}\n", crate::cms::local::API_PATH);
    Router::new()
        .route(
            &format!("/{CONFIG_PATH}"),
            get(move || {
                let config = config.clone();
                let local = local.clone();
                async move {
                    let text = tokio::fs::read_to_string(&config).await.unwrap_or_default();
                    (
                        [(header::CONTENT_TYPE, "text/yaml; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
                        text + &local,
                    )
                }
            }),
        )
        .nest_service(&format!("/{ASSETS_DIR}"), ServeDir::new(out.join(ASSETS_DIR)))
        .route(crate::cms::local::API_PATH, axum::routing::post(crate::cms::local::handle).with_state(cms))
}

/// The preview's routes: build events (each tab's stream ends once `stop` turns true), then the built files (the
/// API is merged in by `serve`).
pub fn router(out: &Path, status: watch::Receiver<BuildStatus>, stop: watch::Receiver<bool>) -> Router {
    let files = ServeDir::new(out)
        .append_index_html_on_directories(true)
        .not_found_service(ServeFile::new(out.join("404.html")));
    let events_status = status.clone();
    Router::new()
        .route(
            RELOAD_SCRIPT_PATH,
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], RELOAD_SCRIPT) }),
        )
        .route(
            EVENTS_PATH,
            get(move || {
                // Each build's status, until the preview stops: an open tab must not hold the server up.
                let builds = WatchStream::new(events_status.clone()).map(Some);
                let stopping = WatchStream::from_changes(stop.clone()).map(|_| None);
                let stream = builds.merge(stopping).map_while(|status| status).map(|s| {
                    Ok::<_, Infallible>(
                        Event::default().event("build").data(serde_json::to_string(&s).unwrap_or_default()),
                    )
                });
                async move { Sse::new(stream).keep_alive(KeepAlive::default()) }
            }),
        )
        .fallback_service(files)
        .layer(axum::middleware::from_fn(filter_query))
        .layer(axum::middleware::map_response(move |response: Response<Body>| {
            let generation = status.borrow().generation;
            inject_reload(response, generation)
        }))
}

/// The document filter form's query (`/van-ban/loc/?co-quan=…`) sent on to its combination's page, as the CDN's
/// viewer-request function does in production (`infra/template.yaml`).
async fn filter_query(request: axum::extract::Request, next: axum::middleware::Next) -> Response<Body> {
    let target = request.uri().query().and_then(|q| query_target(request.uri().path(), q));
    match target.and_then(|t| HeaderValue::from_str(&t).ok()) {
        Some(location) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = axum::http::StatusCode::FOUND;
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        None => next.run(request).await,
    }
}

/// Adds the live-reload script to HTML responses and forbids caching, so a preview is never stale.
async fn inject_reload(response: Response<Body>, generation: u64) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut html = String::from_utf8_lossy(&bytes).into_owned();
    let script = reload_script(generation);
    match html.rfind("</body>") {
        Some(at) => html.insert_str(at, &script),
        None => html.push_str(&script),
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// The tag that loads the live-reload script, with the build it belongs to.
fn reload_script(generation: u64) -> String {
    format!(
        r#"<script src="{RELOAD_SCRIPT_PATH}" data-generation="{generation}" data-events="{EVENTS_PATH}"></script>"#
    )
}

/// Watches the site's sources on a thread of its own; each settled burst of changes triggers one rebuild.
/// Reads are not changes: the build's own reads would otherwise trigger the next build.
fn watch_and_rebuild(
    root: &Path,
    mut preview: Preview,
    status: watch::Sender<BuildStatus>,
    api: LocalApi,
) -> anyhow::Result<RecommendedWatcher> {
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx).context("không theo dõi được thay đổi tệp")?;
    for (path, mode) in [
        ("content", RecursiveMode::Recursive),
        ("themes", RecursiveMode::Recursive),
        (crate::content::config::CONFIG_FILE, RecursiveMode::NonRecursive),
    ] {
        let path = root.join(path);
        if path.exists() {
            watcher.watch(&path, mode).with_context(|| format!("không theo dõi được {}", path.display()))?;
        }
    }
    std::thread::spawn(move || {
        let mut generation = status.borrow().generation;
        let mut search_pending = false;
        loop {
            // The search index waits for a pause in the editing, so that it does not slow the next rebuild.
            let first = if search_pending {
                match rx.recv_timeout(SEARCH_PAUSE) {
                    Ok(event) => event,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        search_pending = false;
                        if let Some(update) = preview.live.search_update() {
                            std::thread::spawn(move || {
                                if let Err(e) = update.run() {
                                    eprintln!("lỗi: không cập nhật được chỉ mục tìm kiếm: {}", crate::error_lines(&e));
                                }
                            });
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match rx.recv() {
                    Ok(event) => event,
                    Err(_) => return,
                }
            };
            let mut burst = Burst::default();
            burst.add(first);
            // A save is often several events (truncate, write, close; or a rename): wait until they stop coming.
            loop {
                match rx.recv_timeout(burst.wait()) {
                    Ok(event) => burst.add(event),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            let changed = burst.into_changed();
            let Some(path) = changed.first() else { continue };
            let others = changed.len() - 1;
            let more = if others > 0 { format!(" (và {others} thay đổi khác)") } else { String::new() };
            eprintln!("Thay đổi: {}{more}", path.display());
            generation += 1;
            let result = run_build(&mut preview, &changed, generation, &api);
            if status.send(result).is_err() {
                break;
            }
            search_pending = true;
        }
    });
    Ok(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn html_gets_the_reload_script_and_nothing_is_cached() {
        let response = Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from("<html><body><p>A</p></body></html>"))
            .expect("response");
        let response = inject_reload(response, 7).await;
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        let html = String::from_utf8(body.to_vec()).expect("utf8");
        assert!(html.contains(r#"data-generation="7""#) && html.ends_with("</script></body></html>"), "{html}");
    }

    #[tokio::test]
    async fn other_files_are_left_alone() {
        let response =
            Response::builder().header(header::CONTENT_TYPE, "text/css").body(Body::from("a{}")).expect("response");
        let response = inject_reload(response, 1).await;
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        assert_eq!(&body[..], b"a{}");
    }
}
