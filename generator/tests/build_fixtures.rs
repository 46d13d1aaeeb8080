//! Builds the fixture sites and asserts on their output and on the exact errors of the invalid ones.

mod common;

use std::path::{Path, PathBuf};

use cchc_generator::{BuildError, BuildOptions, ContentError, build};
use common::{dangling_links, fixture, read};

fn build_into(root: &Path, out: &Path, drafts: bool) -> Result<cchc_generator::BuildReport, BuildError> {
    build(&BuildOptions {
        root: root.to_path_buf(),
        out: Some(out.to_path_buf()),
        base_url: None,
        drafts,
        today: common::today(),
        results_from: None,
        production: false,
    })
}

fn errors_of(name: &str) -> Vec<ContentError> {
    let site = fixture(name);
    match build(&BuildOptions {
        root: site.path().to_path_buf(),
        out: None,
        base_url: None,
        drafts: false,
        today: common::today(),
        results_from: None,
        production: false,
    }) {
        Err(BuildError::Content(errors)) => errors,
        other => panic!("{name}: expected content errors, got {other:?}"),
    }
}

fn located(e: &ContentError) -> (PathBuf, Option<usize>, Option<&str>) {
    (e.file.clone(), e.line, e.field.as_deref())
}

#[test]
fn the_fixture_site_builds_every_kind_of_output() {
    let site = fixture("site");
    let out = site.path().join("public");
    let report = build_into(site.path(), &out, false).expect("builds");
    assert_eq!(report.pages, 9, "5 news + old-URL news + bundle + 2 documents, draft left out");
    for file in [
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "atom.xml",
        "tin-tuc/index.html",
        "tin-tuc/trang/2/index.html",
        "tin-tuc/trang/4/index.html",
        "tin-tuc/atom.xml",
        "tin-tuc/tin-1/index.html",
        "tin-tuc/tin-doi-ten/index.html",
        "tin-tuc/bai-co-anh/index.html",
        "tin-tuc/bai-co-anh/anh.svg",
        "tin-cu-2019/index.html",
        "van-ban/nq-76/index.html",
        "van-ban/nq-76.pdf",
        "tu-khoa/index.html",
        "tu-khoa/cai-cach/index.html",
        "tu-khoa/nhom-1/index.html",
        "co-quan-ban-hanh/chinh-phu/index.html",
        "loai-van-ban/quyet-dinh/index.html",
        "nam-ban-hanh/2021/index.html",
    ] {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    assert!(!out.join("tin-tuc/trang/5/index.html").exists(), "7 news at 2 a page make 4 pages");
    assert!(!out.join("tin-tuc/ban-nhap").exists(), "drafts are left out");
    assert_eq!(dangling_links(&out), Vec::<(String, String)>::new());

    // Newest first, 2 a page; page 2 links back to page 1 and on to page 3.
    let first = read(out.join("tin-tuc/index.html"));
    assert!(first.find("Tin số 5").expect("5") < first.find("Tin số 4").expect("4"));
    assert!(!first.contains("Tin số 3"));
    let second = read(out.join("tin-tuc/trang/2/index.html"));
    assert!(
        second.contains("href=\"/tin-tuc/\" rel=\"prev\"")
            && second.contains("href=\"/tin-tuc/trang/3/\" rel=\"next\"")
    );

    // Tags merge spellings by slug; internal .md links became permalinks with their fragment.
    let tag = read(out.join("tu-khoa/cai-cach/index.html"));
    assert!(tag.contains("6 bài viết"), "5 'Cải cách' + 1 'cải cách'");
    let old = read(out.join("tin-tuc/tin-doi-ten/index.html"));
    assert!(old.contains("href=\"/van-ban/nq-76/#dieu-1\""));
    assert!(read(out.join("tin-cu-2019/index.html")).contains("url=/tin-tuc/tin-doi-ten/"));

    // The document shows its fields and its attachment with size.
    let doc = read(out.join("van-ban/nq-76/index.html"));
    let size = std::fs::metadata(site.path().join("content/van-ban/nq-76.pdf")).expect("pdf").len();
    for text in [
        "76/NQ-CP",
        "Nghị quyết",
        "15-07-2021",
        "Còn hiệu lực",
        "href=\"/van-ban/nq-76.pdf\"",
        &format!("(PDF, {size} B)"),
    ] {
        assert!(doc.contains(text), "document page lacks {text}");
    }
    let page = read(out.join("tin-tuc/tin-1/index.html"));
    assert!(page.contains("<time datetime=\"2024-01-10T08:01:00+07:00\">08:01 10-01-2024</time>"));
    assert!(page.contains("Trang chủ") && page.contains("href=\"/tin-tuc/\""), "breadcrumb");

    // Feeds and sitemap use absolute URLs from base_url.
    let feed = read(out.join("tin-tuc/atom.xml"));
    assert!(feed.contains("<id>https://thu.example.vn/tin-tuc/tin-5/</id>"));
    let sitemap = read(out.join("sitemap.xml"));
    assert!(sitemap.contains("<loc>https://thu.example.vn/van-ban/qd-979/</loc>"));
    assert!(!sitemap.contains("ban-nhap"));
    let css: Vec<_> = std::fs::read_dir(&out)
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("style.") && n.ends_with(".css"))
        .collect();
    assert_eq!(css.len(), 1, "one fingerprinted stylesheet: {css:?}");
    assert!(read(out.join(&css[0])).contains(".hl-"), "highlighting CSS is in the one stylesheet");
}

#[test]
fn drafts_are_built_on_request() {
    let site = fixture("site");
    let out = site.path().join("public");
    build_into(site.path(), &out, true).expect("builds");
    assert!(out.join("tin-tuc/ban-nhap/index.html").is_file());
}

#[test]
fn the_same_content_builds_the_same_bytes() {
    let site = fixture("site");
    let (a, b) = (site.path().join("a"), site.path().join("b"));
    build_into(site.path(), &a, false).expect("a");
    build_into(site.path(), &b, false).expect("b");
    for entry in walkdir::WalkDir::new(&a).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let rel = entry.path().strip_prefix(&a).expect("prefix");
        assert_eq!(
            std::fs::read(entry.path()).expect("a"),
            std::fs::read(b.join(rel)).expect("b"),
            "{}",
            rel.display()
        );
    }
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = fixture("site");
    let out = site.path().join("public");
    build_into(site.path(), &out, false).expect("first build");
    let before = read(out.join("tin-tuc/tin-1/index.html"));
    std::fs::write(site.path().join("content/tin-tuc/tin-1.md"), "---\ntitle: Tin 1\ndate: 2023-13-45\n---\nMới.\n")
        .expect("write");
    assert!(build_into(site.path(), &out, false).is_err());
    assert_eq!(read(out.join("tin-tuc/tin-1/index.html")), before);
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_impossible_date_names_file_line_and_field() {
    let errors = errors_of("bad-date");
    assert_eq!(errors.len(), 1);
    assert_eq!(located(&errors[0]), (PathBuf::from("content/tin-tuc/a.md"), Some(3), Some("date")));
    assert!(errors[0].message.contains("2023-13-45") && errors[0].message.contains("YYYY-MM-DD"), "{}", errors[0]);
}

#[test]
fn a_missing_title_names_the_field() {
    let errors = errors_of("missing-title");
    assert_eq!(located(&errors[0]), (PathBuf::from("content/tin-tuc/a.md"), Some(2), Some("title")));
}

#[test]
fn a_mistyped_key_is_named_with_a_suggestion() {
    let errors = errors_of("unknown-key");
    assert_eq!(located(&errors[0]), (PathBuf::from("content/tin-tuc/a.md"), Some(2), Some("tittle")));
    assert!(errors[0].message.contains("`title`"), "{}", errors[0]);
}

#[test]
fn a_broken_internal_link_names_its_line() {
    let errors = errors_of("broken-link");
    assert_eq!(located(&errors[0]), (PathBuf::from("content/tin-tuc/a.md"), Some(7), Some("liên kết")));
    assert!(errors[0].message.contains("../van-ban/khong-co.md"), "{}", errors[0]);
}

#[test]
fn duplicate_permalinks_name_both_files() {
    let errors = errors_of("duplicate");
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.contains("content/tin-tuc/a.md")
            && text.contains("content/tin-tuc/b.md")
            && text.contains("/tin-tuc/trung/"),
        "{text}"
    );
}

#[test]
fn a_template_error_names_the_template_and_line() {
    let errors = errors_of("template-error");
    assert_eq!(errors[0].file, PathBuf::from("themes/hong/templates/page.html"));
    assert_eq!(errors[0].line, Some(4), "{}", errors[0]);
}

#[test]
fn every_error_of_a_build_is_reported_together() {
    let errors = errors_of("many-errors");
    let found: Vec<_> = errors.iter().map(located).collect();
    assert_eq!(
        found,
        vec![
            (PathBuf::from("content/tin-tuc/a.md"), Some(3), Some("date")),
            (PathBuf::from("content/tin-tuc/b.md"), Some(3), Some("weight")),
            (PathBuf::from("content/tin-tuc/c.md"), Some(5), Some("liên kết")),
        ]
    );
}

#[test]
fn a_content_file_that_clashes_with_a_generated_one_is_an_error() {
    let site = fixture("site");
    std::fs::write(site.path().join("content/robots.txt"), "User-agent: *\n").expect("write");
    let out = site.path().join("public");
    match build_into(site.path(), &out, false) {
        Err(BuildError::Content(errors)) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].file, PathBuf::from("content/robots.txt"));
        }
        other => panic!("expected a clash, got {other:?}"),
    }
}

#[test]
fn nothing_a_draft_owns_reaches_the_output() {
    let site = fixture("site");
    let content = site.path().join("content");
    let write = |rel: &str, text: &str| {
        let path = content.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    };
    // An unpublished decision with its PDF, a draft article with a photo in its folder, and a PDF that a draft
    // and a published document both attach (published, so it stays).
    write(
        "van-ban/qd-mat.md",
        "---\ntitle: Quyết định chưa ban hành\nnumber: 1/QĐ-X\ndoc_type: Quyết định\nissuer: chinh-phu\n\
         signed: 2024-01-02\ndraft: true\nattachments:\n  - file: qd-mat.pdf\n    label: Toàn văn\n  \
         - file: nq-76.pdf\n    label: Văn bản liên quan\n---\nDự thảo.\n",
    );
    write("van-ban/qd-mat.pdf", "%PDF-1.4 chưa công bố");
    write("tin-tuc/bai-nhap-co-anh/index.md", "---\ntitle: Bài nháp có ảnh\ndraft: true\n---\nChưa đăng.\n");
    write("tin-tuc/bai-nhap-co-anh/anh-mat.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let out = site.path().join("public");
    build_into(site.path(), &out, false).expect("builds");
    assert!(!out.join("van-ban/qd-mat.pdf").exists(), "a draft's attachment is not published");
    assert!(!out.join("tin-tuc/bai-nhap-co-anh").exists(), "nothing of a draft bundle's folder is published");
    assert!(out.join("van-ban/nq-76.pdf").is_file(), "a file a published page attaches stays");

    // A published page that links to a draft's file is told, rather than publishing a dead link.
    write(
        "tin-tuc/tin-1.md",
        &format!("{}\n[Dự thảo](../van-ban/qd-mat.pdf)\n", read(content.join("tin-tuc/tin-1.md"))),
    );
    match build_into(site.path(), &out, false) {
        Err(BuildError::Content(errors)) => {
            assert!(errors.iter().any(|e| e.message.contains("qd-mat.pdf")), "{errors:?}")
        }
        other => panic!("expected a broken link, got {other:?}"),
    }
    let with_drafts = site.path().join("with-drafts");
    build_into(site.path(), &with_drafts, true).expect("a preview with drafts builds");
    assert!(
        with_drafts.join("van-ban/qd-mat.pdf").is_file()
            && with_drafts.join("tin-tuc/bai-nhap-co-anh/anh-mat.svg").is_file()
    );
}

#[test]
fn sample_content_is_badged_left_out_of_the_sitemap_and_refused_for_production() {
    let site = fixture("site");
    let page = site.path().join("content/van-ban/qd-979.md");
    std::fs::write(&page, read(&page).replacen("---\n", "---\nsample: true\n", 1)).expect("mark as sample");
    let out = site.path().join("public");
    build_into(site.path(), &out, false).expect("a preview or test build shows samples");
    let sitemap = read(out.join("sitemap.xml"));
    assert!(sitemap.contains("/van-ban/nq-76/") && !sitemap.contains("/van-ban/qd-979/"), "{sitemap}");
    let feed = read(out.join("atom.xml"));
    assert!(feed.contains("[Nội dung minh hoạ] "), "the feed entry's title says so: {feed}");
    for listing in ["van-ban/index.html", "van-ban/qd-979/index.html", "loai-van-ban/quyet-dinh/index.html"] {
        let html = read(out.join(listing));
        assert_eq!(html.matches("badge-sample").count(), 1, "one badge in {listing}");
    }
    assert!(!read(out.join("van-ban/nq-76/index.html")).contains("badge-sample"), "real content has none");

    let production = build(&BuildOptions {
        root: site.path().to_path_buf(),
        out: Some(site.path().join("production")),
        base_url: None,
        drafts: false,
        today: common::today(),
        results_from: None,
        production: true,
    });
    match production {
        Err(BuildError::Content(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(located(&errors[0]), (PathBuf::from("content/van-ban/qd-979.md"), Some(2), Some("sample")));
        }
        other => panic!("expected the sample to be refused, got {other:?}"),
    }
    assert!(!site.path().join("production").exists(), "nothing written");
}

#[test]
fn a_file_that_is_not_utf8_is_reported_with_the_other_errors_in_vietnamese() {
    let site = fixture("site");
    let content = site.path().join("content");
    std::fs::write(content.join("tin-tuc/latin1.md"), b"---\ntitle: Ti\xeau \xf0\xe8\n---\n").expect("write");
    std::fs::write(content.join("tin-tuc/tin-2.md"), "---\ntitle: Tin\ndate: 2023-11-31\n---\n").expect("write");
    match build_into(site.path(), &site.path().join("public"), false) {
        Err(BuildError::Content(errors)) => {
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(errors.len(), 2, "{shown:?}");
            assert!(shown.iter().any(|e| e.contains("tin-tuc/latin1.md") && e.contains("không phải văn bản UTF-8")));
            assert!(shown.iter().any(|e| e.contains("tin-tuc/tin-2.md:3") && e.contains("không có ngày 31")));
        }
        other => panic!("expected content errors, got {other:?}"),
    }
}

#[test]
fn an_alias_that_clashes_with_a_page_names_the_aliases_line() {
    let site = fixture("site");
    let page = site.path().join("content/tin-tuc/tin-2.md");
    std::fs::write(&page, read(&page).replacen("---\n", "---\naliases: [/tin-tuc/tin-1/]\n", 1)).expect("write");
    match build_into(site.path(), &site.path().join("public"), false) {
        Err(BuildError::Content(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(located(&errors[0]), (PathBuf::from("content/tin-tuc/tin-2.md"), Some(2), Some("aliases")));
            assert!(errors[0].message.contains("/tin-tuc/tin-1/"), "{}", errors[0].message);
        }
        other => panic!("expected the clash, got {other:?}"),
    }
}

/// Writes `text` at `rel` under the fixture's `content/`.
fn write_content(site: &Path, rel: &str, text: &str) {
    let path = site.join("content").join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn the_documents_are_filtered_by_every_combination_and_the_form_query_lands_on_one() {
    let site = fixture("site");
    let out = site.path().join("public");
    build_into(site.path(), &out, false).expect("builds");
    // Two documents: Chính phủ / Nghị quyết / 2021 and Bộ, ngành / Quyết định / 2020 (qd-979).
    let form = read(out.join("van-ban/index.html"));
    assert!(form.contains("<form class=\"document-filter\" method=\"get\" action=\"/van-ban/loc/\""), "{form}");
    let combination = read(out.join("van-ban/loc/chinh-phu/nghi-quyet/2021/index.html"));
    assert!(combination.contains("href=\"/van-ban/nq-76/\""), "{combination}");
    assert!(!combination.contains("/van-ban/qd-979/"));
    let empty = read(out.join("van-ban/loc/chinh-phu/quyet-dinh/2021/index.html"));
    assert!(empty.contains("Không có văn bản nào khớp với: Chính phủ, Quyết định, năm 2021"), "{empty}");
    assert!(
        empty.contains("href=\"/van-ban/loc/tat-ca/quyet-dinh/2021/\"")
            || empty.contains("href=\"/van-ban/loc/chinh-phu/tat-ca/2021/\"")
    );
    // 3 issuer choices (any, the two present) x 3 types x 3 years.
    let pages = walkdir::WalkDir::new(out.join("van-ban/loc"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "index.html")
        .count();
    assert_eq!(pages, 3 * 3 * 3 + 1, "every combination, and the form's action redirecting to the list");
    assert_eq!(
        cchc_generator::site::document_filters::query_target("/van-ban/loc/", "co-quan=chinh-phu&loai=&nam=2021")
            .as_deref(),
        Some("/van-ban/loc/chinh-phu/tat-ca/2021/")
    );
}

#[test]
fn a_page_under_the_filtered_lists_path_is_an_error_of_the_section() {
    let site = fixture("site");
    write_content(
        site.path(),
        "van-ban/loc.md",
        "---\ntitle: Lộc\nnumber: 1/X\ndoc_type: Quyết định\nissuer: dang\nsigned: 2020-01-01\n---\nx\n",
    );
    match build_into(site.path(), &site.path().join("public"), false) {
        Err(BuildError::Content(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(located(&errors[0]), (PathBuf::from("content/van-ban/_index.md"), None, Some("page_kind")));
            assert!(errors[0].message.contains("content/van-ban/loc.md"), "{}", errors[0].message);
        }
        other => panic!("expected the clash, got {other:?}"),
    }
}

const UNIT_TABLE: &str = "title: Chỉ số\nlabel: Bộ\ncolumns:\n  - { name: Chỉ số, chart: bars, max: 100 }\n  - { name: Xếp hạng }\nrows:\n  - [Bộ A, 90, 1]\n  - [Bộ B, 70, 2]\n";

#[test]
fn each_unit_of_a_report_section_gets_a_page_with_its_figures() {
    let site = fixture("site");
    write_content(site.path(), "bao-cao/_index.md", "---\ntitle: Báo cáo\nunit_reports: true\n---\n");
    write_content(site.path(), "data/bao-cao/chi-so-bo.yaml", UNIT_TABLE);
    write_content(site.path(), "bao-cao/chi-so.md", "---\ntitle: Chỉ số các bộ\ndata: [bao-cao/chi-so-bo]\n---\nx\n");
    let out = site.path().join("public");
    build_into(site.path(), &out, false).expect("builds");
    let unit = read(out.join("bao-cao/bo-a/index.html"));
    assert!(unit.contains("<h1>Báo cáo: Bộ A</h1>"), "{unit}");
    assert!(unit.contains("class=\"chart-bar\"") && unit.contains("trung bình 80"), "{unit}");
    assert!(unit.contains("href=\"/bao-cao/chi-so/\""), "links its report");
    assert!(out.join("bao-cao/bo-b/index.html").exists());
    assert!(read(out.join("sitemap.xml")).contains("/bao-cao/bo-a/"));
}

#[test]
fn a_unit_page_that_takes_a_pages_url_is_an_error_of_the_section() {
    let site = fixture("site");
    write_content(site.path(), "bao-cao/_index.md", "---\ntitle: Báo cáo\nunit_reports: true\n---\n");
    write_content(site.path(), "data/bao-cao/chi-so-bo.yaml", UNIT_TABLE);
    write_content(site.path(), "bao-cao/bo-a.md", "---\ntitle: Bộ A\ndata: [bao-cao/chi-so-bo]\n---\nx\n");
    match build_into(site.path(), &site.path().join("public"), false) {
        Err(BuildError::Content(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(located(&errors[0]), (PathBuf::from("content/bao-cao/_index.md"), None, Some("unit_reports")));
            assert!(errors[0].message.contains("content/bao-cao/bo-a.md"), "{}", errors[0].message);
        }
        other => panic!("expected the clash, got {other:?}"),
    }
}

const VIDEO_SECTION: &str = "---\ntitle: Thư viện video\npage_kind: video\n---\n";

#[test]
fn a_video_page_plays_only_when_asked_with_captions() {
    let site = fixture("site");
    write_content(site.path(), "video/_index.md", VIDEO_SECTION);
    write_content(
        site.path(),
        "video/mot/index.md",
        "---\ntitle: Một video\nvideo:\n  file: v.webm\n  poster: p.png\n  captions: p.vtt\n  duration: \"0:05\"\n---\n## Lời thoại\n\nXin chào.\n",
    );
    for (file, bytes) in [("v.webm", &b"\x1a\x45\xdf\xa3"[..]), ("p.png", b"\x89PNG"), ("p.vtt", b"WEBVTT\n")] {
        std::fs::write(site.path().join("content/video/mot").join(file), bytes).expect("write");
    }
    let out = site.path().join("public");
    build_into(site.path(), &out, false).expect("builds");
    let html = read(out.join("video/mot/index.html"));
    assert!(html.contains("preload=\"none\" playsinline poster=\"/video/mot/p.png\""), "{html}");
    assert!(html.contains("<source src=\"/video/mot/v.webm\" type=\"video/webm\">"), "{html}");
    assert!(html.contains("<track kind=\"captions\" src=\"/video/mot/p.vtt\" srclang=\"vi\""), "{html}");
    assert!(read(out.join("video/index.html")).contains("src=\"/video/mot/p.png\""), "the list shows the poster");
}

#[test]
fn a_video_page_names_each_wrong_or_missing_file() {
    let site = fixture("site");
    write_content(site.path(), "video/_index.md", VIDEO_SECTION);
    write_content(
        site.path(),
        "video/sai.md",
        "---\ntitle: Sai\nvideo:\n  file: v.avi\n  poster: p.gif\n  captions: p.srt\n---\nx\n",
    );
    write_content(
        site.path(),
        "video/thieu.md",
        "---\ntitle: Thiếu\nvideo:\n  file: khong-co.mp4\n  poster: p.jpg\n  captions: p.vtt\n---\nx\n",
    );
    write_content(site.path(), "video/khong.md", "---\ntitle: Không có video\n---\nx\n");
    match build_into(site.path(), &site.path().join("public"), false) {
        Err(BuildError::Content(errors)) => {
            let shown: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.file.display(), e.message)).collect();
            assert!(errors.iter().all(|e| e.field.as_deref() == Some("video")), "{shown:?}");
            for expected in [
                "sai.md: tệp video `v.avi`",
                "sai.md: ảnh đại diện `p.gif`",
                "sai.md: phụ đề `p.srt`",
                "thieu.md: không có tệp đính kèm `khong-co.mp4`",
                "khong.md: trang video",
            ] {
                assert!(shown.iter().any(|e| e.contains(expected)), "{expected} in {shown:?}");
            }
        }
        other => panic!("expected content errors, got {other:?}"),
    }
}
