//! Builds the portal's real `content/` with the default theme: every menu item leads to a filled page, the content
//! has what the portal needs, and no internal link in the output is dangling.

mod common;

use std::path::Path;

use cchc_generator::content::config::SiteConfig;
use cchc_generator::{BuildOptions, build};
use common::{dangling_links, read, repo_root};

fn count_pages(out: &Path, section: &str) -> usize {
    walkdir::WalkDir::new(out.join(section))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "index.html")
        .filter(|e| {
            let rel = e.path().strip_prefix(out).unwrap_or(e.path()).to_string_lossy().into_owned();
            // Pages, not list pages: a list page's folder holds an `_index.md` in content/.
            !repo_root().join("content").join(rel.trim_end_matches("index.html")).join("_index.md").exists()
                && !rel.contains("/trang/")
        })
        .count()
}

#[test]
fn the_real_site_builds_and_links_only_to_pages_that_exist() {
    let out = tempfile::tempdir().expect("tempdir");
    let out = out.path().join("public");
    let report = build(&BuildOptions {
        root: repo_root(),
        out: Some(out.clone()),
        base_url: None,
        drafts: false,
        today: common::today(),
        results_from: None,
        production: false,
    })
    .unwrap_or_else(|e| panic!("{}", cchc_generator::error_lines(&e)));
    assert_eq!(dangling_links(&out), Vec::<(String, String)>::new(), "{}", report.summary());

    let home = read(out.join("index.html"));
    let config = SiteConfig::parse(Path::new("site.yaml"), &read(repo_root().join("site.yaml"))).expect("config");
    let menu: Vec<&str> = config.menu.iter().map(|item| item.url.as_str()).collect();
    assert_eq!(menu.len(), 9, "the portal's nine menu items: {menu:?}");
    for url in menu {
        assert!(home.contains(&format!("href=\"{url}\"")), "home page menu lacks {url}");
        let page = read(out.join(url.trim_start_matches('/')).join("index.html"));
        assert!(page.contains("<h1"), "{url} has no heading");
    }
    assert!(home.contains("lang=\"vi\""));

    for (section, at_least) in [
        ("tin-tuc", 30),
        ("van-ban", 40),
        ("bao-cao", 12),
        ("mo-hinh-kinh-nghiem", 10),
        ("xin-y-kien", 4),
        ("hoi-dap", 15),
    ] {
        let found = count_pages(&out, section);
        assert!(found >= at_least, "{section}: {found} pages, the portal needs at least {at_least}");
    }
    for issuer in ["dang", "chinh-phu", "bo-nganh", "tinh-thanh"] {
        assert!(out.join("co-quan-ban-hanh").join(issuer).join("index.html").is_file(), "no documents of {issuer}");
    }
    let directory = read(out.join("gioi-thieu/danh-ba/index.html"));
    assert!(
        directory.contains("Tỉnh, thành phố trực thuộc Trung ương <span class=\"count\">(34)</span>"),
        "34 provinces in 2025"
    );
    assert!(!directory.contains("Tỉnh Hà Giang"), "merged provinces are no longer listed");
}

#[test]
fn the_search_index_holds_every_searchable_page_and_no_utility_page() {
    let out = tempfile::tempdir().expect("tempdir");
    let out = out.path().join("public");
    let options = BuildOptions {
        root: repo_root(),
        out: Some(out.clone()),
        base_url: None,
        drafts: false,
        today: common::today(),
        results_from: None,
        production: false,
    };
    build(&options).unwrap_or_else(|e| panic!("{}", cchc_generator::error_lines(&e)));
    let site = cchc_generator::load_site(&options).expect("site");
    let searchable = site.pages.iter().filter(|p| p.meta.search).count();
    assert!(searchable < site.pages.len(), "the search and thank-you pages say `search: false`");
    let entry: serde_json::Value = serde_json::from_str(&read(out.join("search/index.json"))).expect("json");
    assert_eq!(entry["pages"], searchable);
    // Every address, read as the script reads them: the address directory down to its chunks, each line
    // `section,shared,rest` front-coded on the one before (shared counted in UTF-16 units; addresses are ASCII).
    let leaves = |tree: &serde_json::Value| -> Vec<String> {
        let mut level: Vec<String> = tree["list"].as_array().expect("list").iter().map(|e| e[1].to_string()).collect();
        for _ in 0..tree["depth"].as_u64().expect("depth") {
            level = level
                .iter()
                .flat_map(|file| {
                    let page: serde_json::Value =
                        serde_json::from_str(&read(out.join("search").join(file.trim_matches('"')))).expect("json");
                    page.as_array().expect("a directory page").iter().map(|e| e[1].to_string()).collect::<Vec<_>>()
                })
                .collect();
        }
        level.into_iter().map(|f| f.trim_matches('"').to_string()).collect()
    };
    let mut addresses = 0;
    for file in leaves(&entry["addresses"]) {
        let mut url = String::new();
        for line in read(out.join("search").join(&file)).lines() {
            let mut parts = line.splitn(3, ',');
            let (section, shared, rest) = (parts.next(), parts.next(), parts.next().expect("front-coded"));
            assert!(section.and_then(|s| s.parse::<usize>().ok()).is_some(), "{line}: a section number");
            url = format!("{}{rest}", &url[..shared.and_then(|s| s.parse::<usize>().ok()).expect("count")]);
            assert!(out.join(url.trim_start_matches('/')).join("index.html").is_file(), "{url} is a page");
            addresses += 1;
        }
    }
    assert_eq!(addresses, searchable, "one address per searchable page");
    for file in leaves(&entry["words"]) {
        assert!(out.join("search").join(&file).is_file(), "word chunk {file} is published");
    }
    let section_filter = &entry["filters"]["muc"]["Văn bản"];
    assert!(section_filter[0].as_u64().is_some_and(|n| n > 0), "documents can be filtered by section");
    assert!(out.join("search").join(section_filter[1].as_str().expect("file")).is_file(), "with its list");
    let search_page = read(out.join("tim-kiem/index.html"));
    assert!(search_page.contains("cần bật JavaScript"), "the search page says what works without JavaScript");
}
