//! The CMS's `config.yml`, generated from the content model: one collection per section, the fields of its page
//! kind with the build's own limits, Vietnamese labels and hints. Nothing here is written by hand per field list:
//! the keys come from [`page_keys`], so a field added to the parser without a description here fails the test.

use serde_json::{Value, json};

use crate::content::config::{CmsBackend, SiteConfig};
use crate::content::meta::{DocumentStatus, Issuer, PageKind, page_keys};
use crate::site::Site;

/// Where the CMS's own files are served from (the page itself is the back office's, `/quan-tri/noi-dung/`).
pub const ASSETS_DIR: &str = "quan-tri/noi-dung/tai-nguyen";

/// The generated configuration's path in the output.
pub const CONFIG_PATH: &str = "quan-tri/noi-dung/tai-nguyen/config.yml";

/// What the CMS's preview needs of the theme (its stylesheet, whose name carries a fingerprint).
pub const LOOK_PATH: &str = "quan-tri/noi-dung/tai-nguyen/giao-dien.json";

/// `{"stylesheet": "/style.1a2b3c4d5e.css", "collections": ["tin-tuc", …]}`: the stylesheet, and the collections
/// whose preview is drawn as the theme's `page.html` draws a page.
pub fn look_json(site: &Site, theme: &crate::render::theme::Theme) -> String {
    let stylesheet = theme.assets.get(crate::render::theme::MAIN_STYLESHEET).cloned().unwrap_or_default();
    let collections: Vec<String> = site
        .sections
        .iter()
        .filter(|s| !s.dir.is_empty() && s.file.is_some())
        .map(|s| s.dir.replace('/', "--"))
        .collect();
    json!({ "stylesheet": stylesheet, "collections": collections }).to_string()
}

/// Keys the CMS does not offer, and why: each is still accepted by the parser, for editors who write files.
const NOT_IN_FORMS: &[(&str, &str)] = &[
    // The page's own file name is its address; a second name invites two pages claiming one address.
    ("slug", "địa chỉ trang lấy theo tên tệp"),
];

/// The configuration as YAML text, with a header saying where it comes from.
pub fn config_yaml(site: &Site) -> String {
    let config = config_value(site);
    let body = serde_yaml::to_string(&config).unwrap_or_default();
    format!(
        "# Cấu hình trang biên tập nội dung, do `cchc` tạo từ mô hình nội dung (cchc cms-config): không sửa tay.\n{body}"
    )
}

/// The configuration as a JSON value (the test reads it back).
pub fn config_value(site: &Site) -> Value {
    let collections: Vec<Value> = site
        .sections
        .iter()
        .filter(|s| !s.dir.is_empty() && s.file.is_some())
        .map(|section| {
            let title = section_title(site, section);
            collection(site, &section.dir, &title, section.meta.page_kind)
        })
        .collect();
    let mut config = json!({
        "locale": "vi",
        "backend": backend(&site.config),
        "publish_mode": "editorial_workflow",
        "site_url": site.config.base_url,
        "display_url": site.config.base_url,
        // Uploads go beside the page that uses them (each collection says where); this is the fallback.
        "media_folder": "content/tep-tai-len",
        "public_folder": "/tep-tai-len",
        "slug": { "encoding": "ascii", "clean_accents": true, "sanitize_replacement": "-" },
        "editor": { "preview": true },
        "collections": collections,
    });
    if let Some(logo) = site.config.cms.as_ref().and_then(|c| c.logo_url.clone()) {
        config["logo_url"] = json!(logo);
    }
    config
}

/// The largest upload the CMS accepts: a photo from a phone, not a video.
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024;

fn backend(config: &SiteConfig) -> Value {
    let Some(cms) = &config.cms else {
        // Without `cms:` in site.yaml only the local preview can save (cchc serve answers the CMS itself).
        return json!({ "name": "proxy", "proxy_url": "/quan-tri/noi-dung/api/v1", "branch": "main" });
    };
    let mut value = match cms.backend {
        CmsBackend::Gitlab => json!({ "name": "gitlab", "auth_type": "pkce" }),
        CmsBackend::Github => json!({ "name": "github" }),
    };
    value["repo"] = json!(cms.repo);
    value["branch"] = json!(cms.branch.clone().unwrap_or_else(|| "main".into()));
    for (key, field) in [("app_id", &cms.app_id), ("base_url", &cms.base_url), ("api_root", &cms.api_root)] {
        if let Some(v) = field {
            value[key] = json!(v);
        }
    }
    value
}

/// "Tin tức › Ảnh" for a nested section.
fn section_title(site: &Site, section: &crate::site::Section) -> String {
    let mut names = vec![section.meta.title.clone()];
    let mut parent = section.parent;
    while let Some(id) = parent {
        let above = &site.sections[id];
        if above.dir.is_empty() {
            break;
        }
        names.push(above.meta.title.clone());
        parent = above.parent;
    }
    names.reverse();
    names.join(" › ")
}

fn collection(site: &Site, dir: &str, title: &str, kind: PageKind) -> Value {
    let fields: Vec<Value> = page_keys()
        .iter()
        .filter(|key| kind.accepts(key))
        .filter_map(|key| field(site, key, kind))
        .chain(std::iter::once(json!({
            "name": "body",
            "label": "Nội dung",
            "widget": "markdown",
            "required": false,
            "hint": "Viết bằng Markdown; tiêu đề mục dùng ##. Ảnh trong bài cần mô tả (alt).",
        })))
        .collect();
    let mut value = json!({
        "name": dir.replace('/', "--"),
        "label": title,
        "label_singular": "trang",
        "folder": format!("content/{dir}"),
        "create": true,
        "extension": "md",
        "format": "yaml-frontmatter",
        "slug": "{{slug}}",
        "preview_path": format!("{dir}/{{{{slug}}}}/"),
        "summary": "{{title}}",
        "sortable_fields": ["date", "title"],
        "media_folder": format!("/content/{dir}/anh"),
        "public_folder": format!("/{dir}/anh"),
        "fields": fields,
    });
    if matches!(kind, PageKind::Consultation | PageKind::Video) {
        // A consultation or a video is a folder: its page and its files (the draft's, the clip's) side by side.
        value["path"] = json!("{{slug}}/index");
        value["preview_path"] = json!(format!("{dir}/{{{{dirname}}}}/"));
        value["media_folder"] = json!("");
        value["public_folder"] = json!("");
    }
    value
}

/// One front-matter key as a CMS field; `None` for keys the forms leave out ([`NOT_IN_FORMS`]).
fn field(site: &Site, key: &str, kind: PageKind) -> Option<Value> {
    let required = kind.requires(key);
    let text = |label: &str, hint: &str| json!({ "label": label, "widget": "string", "hint": hint });
    let date = |label: &str, hint: &str| {
        json!({ "label": label, "widget": "datetime", "format": "YYYY-MM-DD", "date_format": "DD-MM-YYYY",
                "time_format": false, "hint": hint })
    };
    let list = |label: &str, hint: &str| json!({ "label": label, "widget": "list", "hint": hint });
    let attachments = json!({
        "label": "Tệp đính kèm",
        "widget": "list",
        "hint": "PDF, DOCX…: tệp để cùng thư mục với trang.",
        "fields": [
            { "name": "file", "label": "Tệp", "widget": "file" },
            { "name": "label", "label": "Tên hiển thị", "widget": "string" },
            { "name": "sample", "label": "Tệp minh hoạ", "widget": "boolean", "default": false, "required": false },
        ],
    });
    let mut value = match key {
        "title" => json!({ "label": "Tiêu đề", "widget": "string",
            "pattern": ["\\S", "Tiêu đề không được để trống"] }),
        "date" => json!({ "label": "Ngày đăng", "widget": "datetime", "format": "YYYY-MM-DD HH:mm",
        "date_format": "DD-MM-YYYY", "time_format": "HH:mm",
        }),
        "updated" => json!({ "label": "Ngày cập nhật", "widget": "datetime", "format": "YYYY-MM-DD HH:mm",
            "date_format": "DD-MM-YYYY", "time_format": "HH:mm" }),
        "summary" => json!({ "label": "Tóm tắt", "widget": "text",
            "hint": "Văn bản thuần, hiện ở danh sách và kết quả tìm kiếm: không dùng Markdown (*, [..](..), #…).",
            "pattern": [NO_MARKDOWN, "Tóm tắt là văn bản thuần: bỏ ký hiệu Markdown"] }),
        "tags" => list("Từ khóa", "Mỗi từ khóa có ít nhất một chữ hoặc số."),
        "draft" => json!({ "label": "Bản nháp (chưa xuất bản)", "widget": "boolean", "default": false }),
        "sample" => json!({ "label": "Nội dung minh hoạ", "widget": "boolean", "default": false,
            "hint": "Trang có dấu “Nội dung minh hoạ” và không được xuất bản bản chính thức (cchc build --production)." }),
        "aliases" => list("Đường dẫn cũ", "Bắt đầu bằng /, ví dụ /tin-cu/bai-viet/: chuyển hướng về trang này."),
        "image" => json!({ "label": "Ảnh đại diện", "widget": "image",
            "hint": "JPEG, PNG, WebP hoặc SVG, tối đa 5 MB; cần điền mô tả ảnh bên dưới." }),
        "image_alt" => text("Mô tả ảnh", "Bắt buộc khi có ảnh: mô tả cho người không xem được ảnh."),
        "weight" => json!({ "label": "Thứ tự", "widget": "number", "value_type": "int",
            "hint": "Số nhỏ đứng trước (chuyên mục xếp theo thứ tự)." }),
        "template" => text("Mẫu trang", "Để trống: mẫu mặc định của chuyên mục."),
        "data" => json!({ "label": "Bảng số liệu", "widget": "select", "multiple": true,
            "options": site.tables.keys().collect::<Vec<_>>(),
            "hint": "Bảng trong content/data/ hiện dưới nội dung (biểu đồ và bảng)." }),
        "search" => json!({ "label": "Có trong tìm kiếm", "widget": "boolean", "default": true }),
        "survey" => json!({ "label": "Khảo sát", "widget": "select",
            "options": site.surveys.keys().collect::<Vec<_>>(), "hint": "Phiếu khảo sát hiện trên trang." }),
        "number" => text("Số, ký hiệu", "Ví dụ 76/NQ-CP."),
        "doc_type" => json!({ "label": "Loại văn bản", "widget": "string",
            "hint": "Nghị quyết, Quyết định, Chỉ thị, Kế hoạch, Thông tư, Nghị định, Công văn…" }),
        "issuer" => json!({ "label": "Cơ quan ban hành (nhóm)", "widget": "select",
            "options": Issuer::ALL.iter().map(|i| json!({ "label": i.label(), "value": i.key() })).collect::<Vec<_>>() }),
        "issuing_body" => text("Cơ quan ban hành", "Tên cơ quan, ví dụ Bộ Nội vụ."),
        "signed" => date("Ngày ký", ""),
        "effective" => date("Ngày có hiệu lực", ""),
        "status" => json!({ "label": "Tình trạng hiệu lực", "widget": "select", "default": "con-hieu-luc",
            "options": DocumentStatus::ALL.iter().map(|s| json!({ "label": s.label(), "value": s.key() })).collect::<Vec<_>>() }),
        "attachments" => attachments,
        "amends" => list("Sửa đổi văn bản", "Tên tệp của văn bản được sửa đổi, ví dụ nghi-dinh-61-2018-nd-cp.md."),
        "replaces" => list("Thay thế văn bản", "Tên tệp của văn bản bị thay thế."),
        "opens" => date("Ngày bắt đầu lấy ý kiến", ""),
        "closes" => date("Ngày kết thúc lấy ý kiến", "Sau ngày bắt đầu."),
        "drafting_agency" => text("Cơ quan soạn thảo", ""),
        "video" => json!({ "label": "Video", "widget": "object", "fields": [
            { "name": "file", "label": "Tệp video (.mp4 hoặc .webm)", "widget": "file" },
            { "name": "poster", "label": "Ảnh đại diện (.jpg, .png, .webp)", "widget": "image" },
            { "name": "captions", "label": "Phụ đề tiếng Việt (.vtt)", "widget": "file" },
            { "name": "duration", "label": "Thời lượng (ví dụ 2:05)", "widget": "string", "required": false },
        ] }),
        other => {
            if NOT_IN_FORMS.iter().any(|(k, _)| *k == other) {
                return None;
            }
            // A key the parser accepts and this table does not describe: the test names it.
            json!({ "label": other, "widget": "string", "undescribed": true })
        }
    };
    value["name"] = json!(key);
    value["required"] = json!(required);
    Some(value)
}

/// What a plain-text summary may not contain: the Markdown the build refuses in `summary` (links, emphasis,
/// headings, lists, quotes, code, HTML), as a pattern the CMS checks while the editor types.
const NO_MARKDOWN: &str = r"^(?![\s\S]*(\[[^\]]*\]\([^)]*\)|\*\*|__|`|<[a-zA-Z/]|^\s*(#|>|[-*+]\s|\d+\.\s)))[\s\S]*$";

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let options = crate::pipeline::BuildOptions {
            root,
            out: None,
            base_url: None,
            drafts: true,
            today: crate::content::date::ContentDate::now(),
            results_from: None,
            production: false,
        };
        crate::pipeline::load_site(&options).expect("the real site loads")
    }

    #[test]
    fn every_key_the_parser_accepts_is_a_field_or_left_out_on_purpose() {
        let site = site();
        let config = config_value(&site);
        for kind in PageKind::ALL {
            let collection = config["collections"]
                .as_array()
                .and_then(|c| c.iter().find(|c| kind_of(&site, c) == Some(kind)))
                .unwrap_or_else(|| panic!("no collection for {kind:?}"));
            let names: Vec<&str> =
                collection["fields"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str()).collect();
            for key in page_keys().iter().filter(|k| kind.accepts(k)) {
                let left_out = NOT_IN_FORMS.iter().any(|(k, _)| k == key);
                assert!(names.contains(key) || left_out, "{kind:?}: `{key}` has no field");
            }
            for field in collection["fields"].as_array().into_iter().flatten() {
                assert!(field["undescribed"].is_null(), "{kind:?}: `{}` needs a label and a widget", field["name"]);
                let name = field["name"].as_str().unwrap_or_default();
                assert!(name == "body" || page_keys().contains(&name), "{name} is not a front-matter key");
                assert_eq!(field["required"].as_bool(), Some(kind.requires(name)), "{name}");
            }
        }
    }

    fn kind_of(site: &Site, collection: &Value) -> Option<PageKind> {
        let folder = collection["folder"].as_str()?.strip_prefix("content/")?;
        site.sections.iter().find(|s| s.dir == folder).map(|s| s.meta.page_kind)
    }

    #[test]
    fn required_fields_are_the_parsers() {
        // For each kind, a page missing a field the CMS requires is refused by the parser, naming that field.
        use crate::content::front_matter;
        use crate::content::meta::PageFrontMatter;
        let full = "title: T\nnumber: 1/QĐ\ndoc_type: Quyết định\nissuer: chinh-phu\nsigned: 2024-01-02\nopens: 2024-01-02\ncloses: 2024-02-02\n";
        for kind in PageKind::ALL {
            for key in page_keys().iter().filter(|k| kind.requires(k)) {
                let yaml: String = full
                    .lines()
                    .filter(|l| kind.accepts(l.split(':').next().unwrap_or_default()))
                    .filter(|l| !l.starts_with(&format!("{key}:")))
                    .map(|l| format!("{l}\n"))
                    .collect();
                let text = format!("---\n{yaml}---\n");
                let path = std::path::Path::new("content/x.md");
                let split = front_matter::split(path, &text).expect("split");
                let errors = PageFrontMatter::parse(path, &split, kind).expect_err("refused");
                assert!(errors.iter().any(|e| e.to_string().contains(key)), "{kind:?} without {key}: {errors:?}");
            }
        }
    }
}
