//! `cchc serve`'s incremental rebuilds on a copy of the portal's real content: after each kind of edit, the
//! output equals a fresh full build of the edited sources, byte for byte, and only the outputs that show the
//! change are written.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cchc_generator::render::output::MARKER;
use cchc_generator::serve::live::LiveSite;
use cchc_generator::{BuildOptions, build};
use common::{copy_tree, repo_root, today};

fn files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file() && e.file_name() != MARKER)
        .map(|e| {
            let rel = e.path().strip_prefix(out).expect("inside").to_string_lossy().into_owned();
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

fn options(root: &Path, out: PathBuf) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        out: Some(out),
        base_url: None,
        drafts: false,
        today: today(),
        results_from: None,
        production: false,
    }
}

/// What a full build of the sources as they are now makes.
fn fresh(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("public");
    build(&options(root, out.clone())).expect("full build");
    files(&out)
}

fn assert_same(out: &Path, root: &Path, after: &str) {
    let (live, full) = (files(out), fresh(root));
    let differ: Vec<&String> = full.keys().chain(live.keys()).filter(|k| live.get(*k) != full.get(*k)).collect();
    assert!(differ.is_empty(), "after {after}, these files differ from a full build: {differ:?}");
}

struct Site {
    _dir: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
    live: LiveSite,
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("site");
        for part in ["content", "themes"] {
            copy_tree(&repo_root().join(part), &root.join(part));
        }
        std::fs::copy(repo_root().join("site.yaml"), root.join("site.yaml")).expect("copy site.yaml");
        let out = dir.path().join("public");
        let mut live = LiveSite::new(options(&root, out.clone())).expect("live site");
        live.rebuild(&[], today()).expect("first build");
        Self { _dir: dir, root, out, live }
    }

    /// Edits a file the way an editor saves it, then rebuilds for that path; returns how many outputs were
    /// rendered again (`None`: the whole site).
    fn edit(&mut self, rel: &str, change: impl FnOnce(String) -> String) -> Option<usize> {
        let path = self.root.join(rel);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, change(text)).expect("write");
        let report = self.live.rebuild(&[path], today()).expect("rebuild");
        self.live.update_search().expect("search index");
        report.rerendered
    }
}

const NEWS: &str = "content/tin-tuc/chi-thi-23-doan-kiem-tra.md";

#[test]
fn the_first_build_equals_a_full_build() {
    let site = Site::new();
    assert_same(&site.out, &site.root, "the first build");
}

#[test]
fn a_body_edit_rewrites_the_page_and_the_lists_that_show_it_and_nothing_else() {
    let mut site = Site::new();
    let total = files(&site.out).len();
    let rendered = site.edit(NEWS, |t| format!("{t}\nMột câu mới ở cuối bài, về cải cách thủ tục.\n"));
    assert_same(&site.out, &site.root, "a sentence added at the end of a page");
    assert!(rendered.is_some_and(|n| n >= 1 && n < total / 10), "{rendered:?} of {total} files rendered again");
    let page = common::read(site.out.join("tin-tuc/chi-thi-23-doan-kiem-tra/index.html"));
    assert!(page.contains("Một câu mới ở cuối bài"));

    // The first paragraph is the summary every list shows.
    site.edit(NEWS, |t| t.replacen("\n---\n", "\n---\nĐoạn mở đầu mới của bài.\n\n", 1));
    assert_same(&site.out, &site.root, "a new first paragraph");
}

#[test]
fn front_matter_edits_reorder_lists_and_rename_links() {
    let mut site = Site::new();
    site.edit(NEWS, |t| {
        let date = t.lines().find(|l| l.starts_with("date:")).expect("a dated page").to_string();
        t.replacen(&date, "date: 2025-11-20", 1)
    });
    assert_same(&site.out, &site.root, "a page made the newest");
    site.edit(NEWS, |t| {
        let title = t.lines().find(|l| l.starts_with("title:")).expect("a title").to_string();
        t.replacen(&title, "title: \"Tiêu đề đã sửa\"", 1)
    });
    assert_same(&site.out, &site.root, "a new title");
    // The title's new length moves the body in the file: the body the cache keeps must still be found.
    site.edit(NEWS, |t| format!("{t}\nMột câu mới sau khi đổi tiêu đề.\n"));
    assert_same(&site.out, &site.root, "a body edit after a new title");
    site.edit(NEWS, |t| {
        let summary = "summary: \"Tóm tắt mới do biên tập viên viết.\"";
        match t.lines().find(|l| l.starts_with("summary:")).map(str::to_string) {
            Some(line) => t.replacen(&line, summary, 1),
            None => t.replacen("title: ", &format!("{summary}\ntitle: "), 1),
        }
    });
    assert_same(&site.out, &site.root, "a new summary");
    let broken = site.root.join(NEWS);
    let before = std::fs::read_to_string(&broken).expect("read");
    std::fs::write(&broken, before.replacen("title: ", "title: [không đóng\ntitle2: ", 1)).expect("write");
    assert!(site.live.rebuild(std::slice::from_ref(&broken), today()).is_err(), "a broken title is an error");
    std::fs::write(&broken, before.replacen("title: \"Tiêu đề đã sửa\"", "title: \"Tiêu đề sửa lần hai\"", 1))
        .expect("write");
    site.live.rebuild(std::slice::from_ref(&broken), today()).expect("fixed");
    site.live.update_search().expect("search index");
    assert_same(&site.out, &site.root, "a broken title fixed with another one");
    site.edit(NEWS, |t| {
        let tags = t.lines().find(|l| l.starts_with("tags:")).expect("tags").to_string();
        t.replacen(&tags, "tags: [\"Từ khoá mới riêng\"]", 1)
    });
    assert_same(&site.out, &site.root, "a new tag (a new term page)");
}

#[test]
fn a_template_edit_rewrites_only_the_outputs_that_use_it() {
    let mut site = Site::new();
    let home = site.out.join("index.html");
    let home_before = std::fs::read(&home).expect("home");
    let total = files(&site.out).len();
    let rendered = site.edit("themes/default/templates/page.html", |t| {
        t.replacen("{% block content %}", "{% block content %}<!-- sửa mẫu trang -->", 1)
    });
    assert_same(&site.out, &site.root, "page.html edited");
    assert!(rendered.is_some_and(|n| n > 10 && n < total / 2), "{rendered:?} of {total} rendered again");
    assert_eq!(std::fs::read(&home).expect("home"), home_before, "the home page does not use page.html");
    let rendered =
        site.edit("themes/default/templates/base.html", |t| t.replacen("</body>", "<!-- sửa -->\n</body>", 1));
    assert_same(&site.out, &site.root, "base.html edited");
    assert!(rendered.is_some_and(|n| n > total / 2), "every page uses base.html: {rendered:?} of {total}");
}

#[test]
fn a_template_that_fails_on_one_page_leaves_every_output_as_it_was() {
    // Outputs are written over the previous ones only once all of them rendered: the pages rendered before the
    // failing one must not reach the output folder either.
    let mut site = Site::new();
    let before = files(&site.out);
    let template = site.root.join("themes/default/templates/page.html");
    let original = std::fs::read_to_string(&template).expect("read");
    let failing = original.replacen(
        "{% block content %}",
        "{% block content %}<!-- sửa -->{% if current_path is containing(\"chi-thi-23\") %}{{ khong_co_bien_nay }}{% endif %}",
        1,
    );
    assert_ne!(failing, original, "page.html has a content block");
    std::fs::write(&template, failing).expect("write");
    assert!(site.live.rebuild(std::slice::from_ref(&template), today()).is_err(), "an undefined variable fails");
    assert_eq!(files(&site.out), before, "a failed rebuild leaves the output untouched");
    std::fs::write(&template, &original).expect("write");
    site.live.rebuild(std::slice::from_ref(&template), today()).expect("mended");
    assert_same(&site.out, &site.root, "page.html mended");
}

#[test]
fn added_removed_and_broken_pages() {
    let mut site = Site::new();
    let new_page = "content/tin-tuc/bai-moi-incremental.md";
    site.edit(new_page, |_| {
        "---\ntitle: Bài mới\ndate: 2025-11-21\ntags: [Cải cách hành chính]\n---\nNội dung.\n".into()
    });
    assert_same(&site.out, &site.root, "a page added");
    assert!(site.out.join("tin-tuc/bai-moi-incremental/index.html").is_file());

    let before = files(&site.out);
    let path = site.root.join(NEWS);
    let original = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, original.replacen("title:", "title: [", 1)).expect("write");
    assert!(site.live.rebuild(std::slice::from_ref(&path), today()).is_err(), "broken front matter fails");
    assert_eq!(files(&site.out), before, "a failed rebuild leaves the output untouched");
    std::fs::write(&path, &original).expect("write");
    site.live.rebuild(std::slice::from_ref(&path), today()).expect("fixed");
    assert_same(&site.out, &site.root, "the page mended");

    // An editor's temporary copy that comes and goes is not a change of the site.
    let scratch = site.root.join("content/tin-tuc/.~bai.md.tmp");
    std::fs::write(&scratch, "x").expect("write");
    std::fs::remove_file(&scratch).expect("remove");
    let gone = site.root.join("content/tin-tuc/bai.md___jb_tmp___");
    let report = site.live.rebuild(&[scratch, gone], today()).expect("rebuild");
    assert_eq!(report.rerendered, Some(0), "nothing to render again");

    std::fs::remove_file(site.root.join(new_page)).expect("remove");
    site.live.rebuild(&[site.root.join(new_page)], today()).expect("rebuild");
    site.live.update_search().expect("search");
    assert_same(&site.out, &site.root, "a page removed");
    assert!(!site.out.join("tin-tuc/bai-moi-incremental").exists());
}

#[test]
fn a_documents_year_or_a_reports_tables_edit_updates_the_derived_pages() {
    let mut site = Site::new();
    let document = "content/van-ban/nghi-quyet-76-nq-cp.md";
    let signed = |year: &'static str| {
        move |t: String| {
            let line = t.lines().find(|l| l.starts_with("signed:")).expect("a signing date").to_string();
            t.replacen(&line, &format!("signed: {year}-07-15"), 1)
        }
    };
    site.edit(document, signed("2022"));
    assert_same(&site.out, &site.root, "a document moved to another year's filtered lists");
    site.edit(document, signed("2009"));
    assert_same(&site.out, &site.root, "a year no document had: new combinations");
    assert!(site.out.join("van-ban/loc/chinh-phu/nghi-quyet/2009/index.html").is_file());

    let report = "content/bao-cao/cai-cach-hanh-chinh/bo-nganh/ty-le-diem-tieu-chi-cchc-bo-nganh-minh-hoa.md";
    site.edit(report, |t| t.replacen("data: [bao-cao/tieu-chi-cchc-bo-nganh-minh-hoa]\n", "", 1));
    assert_same(&site.out, &site.root, "a report page no longer showing its table");
    let unit = common::read(site.out.join("bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/index.html"));
    assert!(!unit.contains("Bình quân năm tiêu chí"), "the unit's page no longer shows that table");
}

#[test]
fn a_new_title_reorders_a_section_sorted_by_title() {
    let mut site = Site::new();
    site.edit("content/tin-tuc/_index.md", |t| t.replacen("title: ", "sort_by: title\ntitle: ", 1));
    assert_same(&site.out, &site.root, "a section now sorted by title");
    site.edit(NEWS, |t| {
        let title = t.lines().find(|l| l.starts_with("title:")).expect("a title").to_string();
        t.replacen(&title, "title: \"Ấn định lịch kiểm tra: tiêu đề đứng đầu theo thứ tự chữ cái\"", 1)
    });
    assert_same(&site.out, &site.root, "a title that moves the page to the top of its list");
}
