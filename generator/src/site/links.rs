//! The link map: every page's and section's URL, checked to have exactly one source (a page's own URL or one of
//! its `aliases`), and the content files links may point to. Markdown is rendered against it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::content::discover::{self, AssetFile};
use crate::content::slug::slugify;
use crate::error::ContentError;
use crate::markdown::LinkContext;
use crate::site::pages::ParsedPage;
use crate::site::sections::SectionTree;

/// Where every source file is published, and which other files exist.
#[derive(Debug)]
pub(crate) struct LinkMap {
    /// Path under `content/` (`tin-tuc/a.md`) → root-relative URL.
    pub(crate) permalinks: HashMap<String, String>,
    /// Paths under `content/` of the files copied as they are.
    pub(crate) assets: HashSet<String>,
    /// Old URL → permalink, for redirect pages.
    pub(crate) aliases: Vec<(String, String)>,
}

impl LinkMap {
    /// Claims every URL for its source; a URL claimed twice is an error of the second file.
    pub(crate) fn build(
        sections: &SectionTree,
        pages: &[ParsedPage],
        assets: &[AssetFile],
        errors: &mut Vec<ContentError>,
    ) -> Self {
        let mut owners: HashMap<String, &PathBuf> = HashMap::new();
        let mut permalinks = HashMap::new();
        for (section, rel, link) in sections.permalinks() {
            owners.insert(link.clone(), &section.file);
            permalinks.insert(rel, link);
        }
        // Pages' own URLs first, then old URLs: an alias that clashes is the alias's error, whatever the file order.
        for page in pages {
            if let Some(other) = owners.insert(page.permalink.clone(), &page.file) {
                errors.push(ContentError::new(&page.file, clash_message(&page.permalink, &page.file, other)));
            }
            permalinks.insert(page.rel(), page.permalink.clone());
        }
        let mut aliases = Vec::new();
        for page in pages {
            for alias in &page.front.meta.aliases {
                if let Some(other) = owners.insert(alias.clone(), &page.file) {
                    let text = page.source().ok();
                    let line = text.and_then(|t| t.lines().position(|l| l.starts_with("aliases:"))).map(|n| n + 1);
                    errors.push(
                        ContentError::new(
                            &page.file,
                            format!(
                                "đường dẫn cũ {alias} trùng với đường dẫn của {}; bỏ nó khỏi `aliases`",
                                other.display()
                            ),
                        )
                        .at_opt_line(line)
                        .field("aliases"),
                    );
                }
                aliases.push((alias.clone(), page.permalink.clone()));
            }
        }
        aliases.sort();
        LinkMap { permalinks, assets: assets.iter().map(|a| a.rel.clone()).collect(), aliases }
    }

    /// What Markdown in folder `dir` resolves its links against.
    pub(crate) fn context<'a>(&'a self, dir: &'a str) -> LinkContext<'a> {
        LinkContext { dir, permalinks: &self.permalinks, assets: &self.assets }
    }
}

/// `content/tin-tuc/a.md` → `tin-tuc/a.md`.
pub(crate) fn rel_of(file: &Path) -> String {
    discover::relative(Path::new("content"), file)
}

/// `tin-tuc/a.md` → `content/tin-tuc/a.md`, as errors name files.
pub(crate) fn site_path(rel: &str) -> PathBuf {
    PathBuf::from("content").join(rel)
}

/// `tin-tuc/a.md` → `tin-tuc`; `a.md` → ``.
pub(crate) fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The URL of folder `dir`: each segment slugified (`Văn bản/` → `/van-ban/`).
pub(crate) fn dir_permalink(dir: &str) -> String {
    let mut link = String::from("/");
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        let slug = slugify(part);
        link.push_str(if slug.is_empty() { part } else { &slug });
        link.push('/');
    }
    link
}

/// Two pages claim one address. When their file names are the same text written with different Unicode forms
/// (a precomposed "à" against "a" + a combining grave, as some systems and copy-pastes write it), say so: the
/// names look identical, and renaming either is the cure.
fn clash_message(permalink: &str, file: &std::path::Path, other: &std::path::Path) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let nfc = |p: &std::path::Path| p.to_string_lossy().nfc().collect::<String>();
    if file != other && nfc(file) == nfc(other) {
        format!(
            "tên tệp này và {} trông giống hệt nhau nhưng khác cách mã hoá Unicode (chữ dựng sẵn và chữ tổ hợp); \
             cả hai cho cùng đường dẫn {permalink}: xoá hoặc đổi tên một tệp",
            other.display()
        )
    } else {
        format!("đường dẫn {permalink} trùng với {}; đặt `slug` khác cho một trong hai trang", other.display())
    }
}
