//! Builds the portal's real `content/` with the default theme and checks that every menu item leads to a page and
//! no internal link in the output is dangling.

mod common;

use cchc_generator::{BuildOptions, build};
use common::{dangling_links, read, repo_root};

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
    })
    .unwrap_or_else(|e| panic!("{}", cchc_generator::error_lines(&e)));
    assert!(report.pages >= 10, "{}", report.summary());
    assert_eq!(dangling_links(&out), Vec::<(String, String)>::new());

    let home = read(out.join("index.html"));
    let config = read(repo_root().join("site.yaml"));
    let menu: Vec<&str> = config
        .lines()
        .filter_map(|l| l.split("url: ").nth(1))
        .filter_map(|u| u.strip_suffix(" }"))
        .filter(|u| u.starts_with('/'))
        .collect();
    assert!(menu.len() >= 9, "{menu:?}");
    for url in menu {
        assert!(home.contains(&format!("href=\"{url}\"")), "home page menu lacks {url}");
        let page = read(out.join(url.trim_start_matches('/')).join("index.html"));
        assert!(page.contains("<h1"), "{url} has no heading");
    }
    assert!(home.contains("lang=\"vi\""));
}
