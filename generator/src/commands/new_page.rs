//! `cchc new SECTION "Tiêu đề"`: a new Markdown file with its front matter filled in.

use std::path::{Path, PathBuf};

use crate::content::date::ContentDate;
use crate::content::front_matter;
use crate::content::meta::{PageKind, SectionMeta};
use crate::content::slug::page_slug;
use crate::error::{BuildError, ContentError};

/// Writes a new draft page in `section` from the theme's archetype and returns its path. Refuses to overwrite, and
/// refuses to leave a file the build would not accept. A consultation is a folder (`<slug>/index.md`) so that its
/// draft's files sit beside it.
pub fn new_page(root: &Path, section: &str, title: &str, now: ContentDate) -> Result<PathBuf, BuildError> {
    let section = section.trim_matches('/');
    let dir = root.join("content").join(section);
    let index = dir.join("_index.md");
    let shown_index = Path::new("content").join(section).join("_index.md");
    let text = std::fs::read_to_string(&index).map_err(|_| {
        BuildError::Content(vec![ContentError::new(
            &shown_index,
            format!("không có chuyên mục `{section}` (cần tệp này)"),
        )])
    })?;
    let split = front_matter::split(&shown_index, &text).map_err(|e| BuildError::Content(vec![e]))?;
    let meta = SectionMeta::parse(&shown_index, &split).map_err(BuildError::Content)?;
    let slug = page_slug(title);
    if slug.is_empty() {
        return Err(BuildError::Content(vec![
            ContentError::new(&shown_index, "tiêu đề cần có ít nhất một chữ hoặc số").field("title"),
        ]));
    }
    let path = match meta.page_kind {
        PageKind::Consultation => dir.join(&slug).join("index.md"),
        _ => dir.join(format!("{slug}.md")),
    };
    if path.exists() || (meta.page_kind == PageKind::Consultation && dir.join(&slug).exists()) {
        return Err(BuildError::usage(&path, "tệp đã có; chọn tiêu đề khác"));
    }
    let archetype = archetype(root, section, meta.page_kind)?;
    let text = fill(&archetype, title, section, now)?;
    // The archetype is the theme's: a page it makes must be one the build accepts.
    let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
    let split = front_matter::split(&shown, &text).map_err(|e| BuildError::Content(vec![e]))?;
    crate::content::meta::PageFrontMatter::parse(&shown, &split, meta.page_kind).map_err(BuildError::Content)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
    }
    std::fs::write(&path, text).map_err(|e| BuildError::io(&path, e))?;
    Ok(path)
}

/// The theme's archetype for the section (`archetypes/<section>.md`, the folder's `/` as `-`), else for its page
/// kind (`archetypes/document.md`, …), else the built-in article.
fn archetype(root: &Path, section: &str, kind: PageKind) -> Result<String, BuildError> {
    let theme = crate::pipeline::load_config(root).map(|c| c.theme).unwrap_or_else(|_| "default".into());
    let dir = root.join("themes").join(theme).join("archetypes");
    for name in [section.replace('/', "-"), kind.key().to_string()] {
        let path = dir.join(format!("{name}.md"));
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BuildError::io(&path, e)),
        }
    }
    Ok(BUILT_IN.to_string())
}

/// The article archetype when the theme has none.
const BUILT_IN: &str = "---\ntitle: \"{{ title }}\"\ndate: {{ now }}\nsummary: \"\"\ntags: []\ndraft: true\n---\n\nViết nội dung ở đây. Bỏ dòng `draft: true` khi sẵn sàng xuất bản.\n";

/// The archetype with the page's title (escaped for a double-quoted YAML string), the section, and dates: `now`
/// (minutes), `today`, and `closes` (30 days on, a consultation's usual window).
fn fill(archetype: &str, title: &str, section: &str, now: ContentDate) -> Result<String, BuildError> {
    let mut context = tera::Context::new();
    context.insert("title", &title.replace('\\', "\\\\").replace('"', "\\\""));
    context.insert("section", section);
    context.insert("now", &now.iso_minutes());
    context.insert("today", &now.iso_date());
    let closes = now.at().date_naive() + chrono::Days::new(30);
    context.insert("closes", &closes.format("%Y-%m-%d").to_string());
    tera::Tera::one_off(archetype, &context, false)
        .map_err(|e| BuildError::usage(Path::new("themes"), format!("mẫu trang mới (archetype) lỗi: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_draft_that_parses_in_its_section() {
        let dir = tempfile::tempdir().expect("tempdir");
        let section = dir.path().join("content/tin-tuc");
        std::fs::create_dir_all(&section).expect("mkdir");
        std::fs::write(section.join("_index.md"), "---\ntitle: Tin tức\n---\n").expect("write");
        let now = ContentDate::parse("2024-03-05 09:30").expect("date");
        let path = new_page(dir.path(), "tin-tuc", "Hội nghị \"Cải cách\" năm 2024", now).expect("new");
        assert_eq!(path, section.join("hoi-nghi-cai-cach-nam-2024.md"));
        let text = std::fs::read_to_string(&path).expect("read");
        let split = front_matter::split(&path, &text).expect("split");
        let fm = crate::content::meta::PageFrontMatter::parse(&path, &split, PageKind::Article).expect("parses");
        assert_eq!(fm.meta.title, "Hội nghị \"Cải cách\" năm 2024");
        assert!(fm.meta.draft);
        assert!(new_page(dir.path(), "tin-tuc", "Hội nghị \"Cải cách\" năm 2024", now).is_err(), "no overwrite");
        assert!(new_page(dir.path(), "khong-co", "A", now).is_err());
    }

    /// The real theme's archetypes, in a site with one section of each kind.
    fn site_with_archetypes() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default/archetypes");
        let archetypes = dir.path().join("themes/default/archetypes");
        std::fs::create_dir_all(&archetypes).expect("mkdir");
        for name in ["article.md", "document.md", "consultation.md"] {
            std::fs::copy(theme.join(name), archetypes.join(name)).expect("copy");
        }
        for (section, kind) in [("van-ban", "document"), ("xin-y-kien", "consultation")] {
            let at = dir.path().join("content").join(section);
            std::fs::create_dir_all(&at).expect("mkdir");
            std::fs::write(at.join("_index.md"), format!("---\ntitle: X\npage_kind: {kind}\n---\n")).expect("write");
        }
        dir
    }

    #[test]
    fn a_document_gets_its_fields_with_values_the_preview_accepts() {
        let dir = site_with_archetypes();
        let now = ContentDate::parse("2024-03-05 09:30").expect("date");
        let path = new_page(dir.path(), "van-ban", "Quyết định ban hành \"Kế hoạch\"", now).expect("new");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("issuer: chinh-phu") && text.contains("signed: 2024-03-05"), "{text}");
        assert!(
            text.contains("# effective:") && text.contains("# attachments:"),
            "optional fields shown, commented: {text}"
        );
        let split = front_matter::split(&path, &text).expect("split");
        let fm = crate::content::meta::PageFrontMatter::parse(&path, &split, PageKind::Document).expect("parses");
        assert_eq!(fm.meta.title, "Quyết định ban hành \"Kế hoạch\"");
    }

    #[test]
    fn a_consultation_is_a_folder_with_its_window() {
        let dir = site_with_archetypes();
        let now = ContentDate::parse("2024-03-05 09:30").expect("date");
        let path = new_page(dir.path(), "xin-y-kien", "Dự thảo Thông tư", now).expect("new");
        assert_eq!(path, dir.path().join("content/xin-y-kien/du-thao-thong-tu/index.md"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("opens: 2024-03-05") && text.contains("closes: 2024-04-04"), "{text}");
        let split = front_matter::split(&path, &text).expect("split");
        crate::content::meta::PageFrontMatter::parse(&path, &split, PageKind::Consultation).expect("parses");
        assert!(new_page(dir.path(), "xin-y-kien", "Dự thảo Thông tư", now).is_err(), "no overwrite");
    }
}
