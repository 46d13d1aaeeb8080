//! The CMS's local backend, answered by `cchc serve` itself: Decap CMS's proxy protocol (`POST …/api/v1` with an
//! `action`), reading and writing the working copy's `content/` folder, so an editor tries the CMS offline with
//! no account and no Node. Only signed-in editors may call it, only from the preview's own pages, and only inside
//! `content/`; a page is saved only if the build would accept its front matter (the error names the field).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cms::config::MAX_UPLOAD_BYTES;
use crate::content::front_matter;
use crate::content::meta::{PageFrontMatter, PageKind, SectionMeta};

/// The endpoint, as the generated configuration's `local_backend.url` names it (after the preview's address).
pub const API_PATH: &str = "/quan-tri/noi-dung/api/v1";

/// File kinds an editor may upload, by extension.
const UPLOADS: &[&str] = &["jpg", "jpeg", "png", "webp", "avif", "svg", "pdf", "docx", "xlsx", "odt", "vtt"];

/// Who may save: the back office's check (signed in, with the editor role), given by `cchc serve`.
pub type Authorize = Arc<dyn Fn(&HeaderMap) -> bool + Send + Sync>;

/// The working copy the CMS edits, and who may.
#[derive(Clone)]
pub struct LocalCms {
    /// The site folder (`content/` is inside).
    pub root: PathBuf,
    /// The editor check.
    pub authorize: Authorize,
}

/// One request of the protocol.
#[derive(Debug, Deserialize)]
struct Request {
    action: String,
    #[serde(default)]
    params: Value,
}

/// Why a request was refused, as the CMS shows it (`{"error": "…"}`).
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

/// `POST /quan-tri/noi-dung/api/v1`.
pub async fn handle(State(cms): State<LocalCms>, headers: HeaderMap, body: Bytes) -> Response {
    // A page elsewhere cannot drive it: browsers say where a request comes from, and only JSON is taken (a
    // cross-site JSON request needs a preflight this endpoint never answers).
    let same_origin = headers.get("sec-fetch-site").is_none_or(|v| v == "same-origin");
    let json = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !same_origin || !json {
        return Refusal(StatusCode::FORBIDDEN, "chỉ trang biên tập của chính máy này được gọi".into()).into_response();
    }
    if !(cms.authorize)(&headers) {
        return Refusal(
            StatusCode::UNAUTHORIZED,
            "cần đăng nhập trang quản trị với vai trò Biên tập (/quan-tri/dang-nhap)".into(),
        )
        .into_response();
    }
    let request: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return bad("yêu cầu không hợp lệ").into_response(),
    };
    let root = cms.root.clone();
    let result = tokio::task::spawn_blocking(move || answer(&root, &request)).await;
    match result {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(refusal)) => refusal.into_response(),
        Err(_) => Refusal(StatusCode::INTERNAL_SERVER_ERROR, "lỗi máy chủ".into()).into_response(),
    }
}

fn answer(root: &Path, request: &Request) -> Result<Value, Refusal> {
    let p = &request.params;
    let text = |key: &str| p[key].as_str().ok_or_else(|| bad(format!("thiếu `{key}`")));
    match request.action.as_str() {
        "info" => Ok(json!({
            "repo": root.file_name().and_then(|n| n.to_str()).unwrap_or("site"),
            "publish_modes": ["simple"],
            "type": "local_fs",
        })),
        "entriesByFolder" => {
            let folder = inside(root, text("folder")?)?;
            let extension = p["extension"].as_str().unwrap_or("md");
            let depth = p["depth"].as_u64().unwrap_or(1).min(8) as usize;
            let mut files = Vec::new();
            list(&folder, depth, &mut |path| {
                // A section's own `_index.md` is the section, not one of its pages.
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if name.ends_with(&format!(".{extension}")) && name != "_index.md" {
                    files.push(path.to_path_buf());
                }
            });
            files.sort();
            Ok(Value::Array(files.iter().map(|f| entry(root, f, None)).collect()))
        }
        "entriesByFiles" => {
            let files = p["files"].as_array().cloned().unwrap_or_default();
            let mut entries = Vec::new();
            for file in &files {
                let path = inside(root, file["path"].as_str().unwrap_or_default())?;
                entries.push(entry(root, &path, file["label"].as_str()));
            }
            Ok(Value::Array(entries))
        }
        "getEntry" => Ok(entry(root, &inside(root, text("path")?)?, None)),
        "persistEntry" => persist_entry(root, p),
        "getMedia" => {
            let folder = inside(root, text("mediaFolder")?)?;
            let mut files = Vec::new();
            list(&folder, 1, &mut |path| files.push(path.to_path_buf()));
            files.sort();
            Ok(Value::Array(files.iter().filter_map(|f| media(root, f).ok()).collect()))
        }
        "getMediaFile" => media(root, &inside(root, text("path")?)?),
        "persistMedia" => {
            let asset = &p["asset"];
            let path = inside(root, asset["path"].as_str().unwrap_or_default())?;
            write_upload(&path, asset)?;
            media(root, &path)
        }
        "deleteFile" => {
            remove(&inside(root, text("path")?)?)?;
            Ok(json!({ "message": "đã xoá" }))
        }
        "deleteFiles" => {
            for path in p["paths"].as_array().into_iter().flatten() {
                remove(&inside(root, path.as_str().unwrap_or_default())?)?;
            }
            Ok(json!({ "message": "đã xoá" }))
        }
        // "Xem trước trên trang": the preview's page for the entry (the collection name is its section folder).
        "getDeployPreview" => {
            let dir = p["collection"].as_str().unwrap_or_default().replace("--", "/");
            let slug = p["slug"].as_str().unwrap_or_default();
            Ok(json!({ "url": format!("/{dir}/{slug}/"), "status": "SUCCESS" }))
        }
        other => Err(bad(format!("thao tác `{other}` không được hỗ trợ khi chạy trên máy"))),
    }
}

/// Writes the page (after checking its front matter as the build will) and its uploads; moves it when renamed.
fn persist_entry(root: &Path, p: &Value) -> Result<Value, Refusal> {
    let entry = &p["entry"];
    let data_files = p["dataFiles"].as_array().cloned().unwrap_or_else(|| vec![entry.clone()]);
    let mut writes = Vec::new();
    for file in &data_files {
        let shown = file["path"].as_str().unwrap_or_default();
        let path = inside(root, shown)?;
        let raw = file["raw"].as_str().ok_or_else(|| bad("thiếu nội dung trang"))?;
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            return Err(bad(format!("{shown}: trang phải là tệp .md")));
        }
        check_page(root, &path, shown, raw)?;
        let moved = match file["newPath"].as_str() {
            Some(new) => Some(inside(root, new)?),
            None => None,
        };
        writes.push((path, moved, raw.to_string()));
    }
    let assets = p["assets"].as_array().cloned().unwrap_or_default();
    for asset in &assets {
        let path = inside(root, asset["path"].as_str().unwrap_or_default())?;
        write_upload(&path, asset)?;
    }
    for (path, moved, raw) in writes {
        write(&path, raw.as_bytes())?;
        if let Some(new) = moved {
            if let Some(parent) = new.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::rename(&path, &new).map_err(io)?;
        }
    }
    Ok(json!({ "message": "đã lưu" }))
}

/// The build's own check of a page's front matter, for the section the file is in: every problem, one line each.
fn check_page(root: &Path, path: &Path, shown: &str, raw: &str) -> Result<(), Refusal> {
    let kind = section_kind(root, path);
    let shown = Path::new(shown);
    let split = front_matter::split(shown, raw).map_err(|e| bad(e.to_string()))?;
    PageFrontMatter::parse(shown, &split, kind)
        .map(|_| ())
        .map_err(|errors| bad(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))
}

/// The page kind of the nearest section above `path` (the first folder up with an `_index.md`; a bundle's own
/// folder has an `index.md`, not one); a folder without one holds articles.
fn section_kind(root: &Path, path: &Path) -> PageKind {
    let content = root.join("content");
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(&content)) {
        let index = d.join("_index.md");
        if let Ok(text) = std::fs::read_to_string(&index) {
            let meta = front_matter::split(&index, &text)
                .map_err(|e| vec![e])
                .and_then(|split| SectionMeta::parse(&index, &split));
            return meta.map(|m| m.page_kind).unwrap_or_default();
        }
        dir = d.parent();
    }
    PageKind::Article
}

fn write_upload(path: &Path, asset: &Value) -> Result<(), Refusal> {
    let shown = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    if !UPLOADS.contains(&extension.as_str()) {
        return Err(bad(format!("{shown}: chỉ nhận tệp {}", UPLOADS.join(", "))));
    }
    let content = asset["content"].as_str().unwrap_or_default();
    let bytes = match asset["encoding"].as_str() {
        Some("base64") => base64::engine::general_purpose::STANDARD.decode(content).map_err(|_| bad("tệp hỏng"))?,
        _ => content.as_bytes().to_vec(),
    };
    if bytes.len() as u64 > MAX_UPLOAD_BYTES {
        return Err(bad(format!("{shown}: tệp quá {} MB", MAX_UPLOAD_BYTES / 1024 / 1024)));
    }
    // The build measures and resizes every photo: one it cannot read would stop the preview.
    if matches!(extension.as_str(), "jpg" | "jpeg" | "png" | "webp") && image::load_from_memory(&bytes).is_err() {
        return Err(bad(format!("{shown}: ảnh hỏng hoặc không đúng định dạng")));
    }
    write(path, &bytes)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Refusal> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}

fn remove(path: &Path) -> Result<(), Refusal> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
        _ => Ok(()),
    }
}

fn io(error: std::io::Error) -> Refusal {
    tracing::warn!(%error, "the CMS's local backend could not write");
    Refusal(StatusCode::INTERNAL_SERVER_ERROR, "không ghi được tệp trên máy".into())
}

/// `rel` (as the CMS writes it, relative to the site folder) as a path inside `content/`; anything else refused.
fn inside(root: &Path, rel: &str) -> Result<PathBuf, Refusal> {
    let rel = Path::new(rel.trim_start_matches('/'));
    let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain || !rel.starts_with("content") {
        return Err(Refusal(StatusCode::FORBIDDEN, format!("{}: ngoài thư mục content/", rel.display())));
    }
    Ok(root.join(rel))
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

fn id(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn entry(root: &Path, path: &Path, label: Option<&str>) -> Value {
    match std::fs::read(path) {
        Ok(bytes) => json!({
            "data": String::from_utf8_lossy(&bytes),
            "file": { "path": relative(root, path), "label": label, "id": id(&bytes) },
        }),
        Err(_) => json!({ "data": null, "file": { "path": relative(root, path), "label": label, "id": null } }),
    }
}

fn media(root: &Path, path: &Path) -> Result<Value, Refusal> {
    let bytes = std::fs::read(path).map_err(|_| Refusal(StatusCode::NOT_FOUND, "không có tệp".into()))?;
    Ok(json!({
        "id": id(&bytes),
        "content": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "encoding": "base64",
        "path": relative(root, path),
        "name": path.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
    }))
}

fn list(dir: &Path, depth: usize, found: &mut dyn FnMut(&Path)) {
    if depth == 0 {
        return;
    }
    let Ok(read) = std::fs::read_dir(dir) else { return };
    for item in read.flatten() {
        let path = item.path();
        match item.file_type() {
            Ok(t) if t.is_dir() => list(&path, depth - 1, found),
            Ok(t) if t.is_file() => found(&path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let tin = dir.path().join("content/tin-tuc");
        std::fs::create_dir_all(&tin).expect("mkdir");
        std::fs::write(tin.join("_index.md"), "---\ntitle: Tin tức\n---\n").expect("write");
        std::fs::write(tin.join("a.md"), "---\ntitle: A\n---\nThân bài\n").expect("write");
        let vb = dir.path().join("content/van-ban");
        std::fs::create_dir_all(&vb).expect("mkdir");
        std::fs::write(vb.join("_index.md"), "---\ntitle: Văn bản\npage_kind: document\n---\n").expect("write");
        dir
    }

    fn call(root: &Path, action: &str, params: Value) -> Result<Value, Refusal> {
        answer(root, &Request { action: action.into(), params })
    }

    #[test]
    fn lists_pages_not_section_intros_and_reads_them() {
        let dir = site();
        let listed =
            call(dir.path(), "entriesByFolder", json!({ "folder": "content/tin-tuc", "extension": "md", "depth": 1 }))
                .unwrap_or_else(|r| panic!("{}", r.1));
        let paths: Vec<&str> =
            listed.as_array().into_iter().flatten().filter_map(|e| e["file"]["path"].as_str()).collect();
        assert_eq!(paths, ["content/tin-tuc/a.md"]);
        assert_eq!(listed[0]["data"], "---\ntitle: A\n---\nThân bài\n");
    }

    #[test]
    fn saves_only_what_the_build_accepts_and_only_inside_content() {
        let dir = site();
        let save = |path: &str, raw: &str| {
            call(dir.path(), "persistEntry", json!({ "entry": { "path": path, "raw": raw }, "assets": [] }))
        };
        let missing = save("content/van-ban/nq.md", "---\ntitle: Nghị quyết\n---\n").expect_err("refused");
        assert!(
            missing.1.contains("number") && missing.1.contains("signed"),
            "every missing field named: {}",
            missing.1
        );
        assert!(!dir.path().join("content/van-ban/nq.md").exists(), "nothing written");
        save("content/tin-tuc/b.md", "---\ntitle: B\ntags: [x]\n---\nNội dung\n").unwrap_or_else(|r| panic!("{}", r.1));
        assert!(dir.path().join("content/tin-tuc/b.md").exists());
        for outside in
            ["../x.md", "content/../../x.md", "/etc/passwd", "site.yaml", "themes/default/templates/page.html"]
        {
            assert!(save(outside, "---\ntitle: X\n---\n").is_err(), "{outside}");
        }
    }

    #[test]
    fn uploads_are_limited_in_kind_and_size() {
        let dir = site();
        let upload = |path: &str, bytes: &[u8]| {
            let content = base64::engine::general_purpose::STANDARD.encode(bytes);
            call(
                dir.path(),
                "persistMedia",
                json!({ "asset": { "path": path, "content": content, "encoding": "base64" } }),
            )
        };
        let mut real = Vec::new();
        image::RgbImage::new(2, 2)
            .write_to(&mut std::io::Cursor::new(&mut real), image::ImageFormat::Png)
            .expect("encode");
        assert!(upload("content/tin-tuc/anh/a.png", &real).is_ok());
        assert!(upload("content/tin-tuc/anh/hong.png", b"\x89PNG").is_err(), "a broken photo is refused");
        assert!(upload("content/tin-tuc/anh/a.exe", b"MZ").is_err());
        let big = vec![0u8; MAX_UPLOAD_BYTES as usize + 1];
        assert!(upload("content/tin-tuc/anh/b.jpg", &big).is_err());
    }
}
