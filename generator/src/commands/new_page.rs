//! `cchc new SECTION "Tiêu đề"`: a new Markdown file with its front matter filled in.

use std::path::{Path, PathBuf};

use crate::content::date::ContentDate;
use crate::content::front_matter;
use crate::content::meta::{PageKind, SectionMeta};
use crate::content::slug::page_slug;
use crate::error::{BuildError, ContentError};

/// Writes `content/<section>/<slug>.md` as a draft and returns its path. Refuses to overwrite.
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
    let path = dir.join(format!("{slug}.md"));
    if path.exists() {
        return Err(BuildError::usage(&path, "tệp đã có; chọn tiêu đề khác"));
    }
    std::fs::write(&path, front_matter_for(meta.page_kind, title, now)).map_err(|e| BuildError::io(&path, e))?;
    Ok(path)
}

fn front_matter_for(kind: PageKind, title: &str, now: ContentDate) -> String {
    let title = title.replace('\\', "\\\\").replace('"', "\\\"");
    let mut text =
        format!("---\ntitle: \"{title}\"\ndate: {}\nsummary: \"\"\ntags: []\ndraft: true\n", now.iso_minutes());
    if kind == PageKind::Document {
        text.push_str(&format!(
            "number: \"\" # ví dụ 76/NQ-CP\ndoc_type: \"\" # Nghị quyết, Quyết định, Chỉ thị, Kế hoạch, Thông tư, …\nissuer: chinh-phu # dang | chinh-phu | bo-nganh | tinh-thanh\nissuing_body: \"\"\nsigned: {}\nstatus: con-hieu-luc\nattachments: []\n",
            now.iso_date()
        ));
    }
    text.push_str("---\n\nViết nội dung ở đây. Bỏ dòng `draft: true` khi sẵn sàng xuất bản.\n");
    text
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

    #[test]
    fn a_document_gets_the_document_fields() {
        let text = front_matter_for(PageKind::Document, "Nghị quyết", ContentDate::parse("2024-03-05").expect("date"));
        assert!(text.contains("issuer: chinh-phu") && text.contains("signed: 2024-03-05"), "{text}");
    }
}
