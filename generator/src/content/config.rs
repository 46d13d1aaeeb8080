//! The site configuration: one YAML file, `site.yaml`, at the root of the site.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::content::front_matter;
use crate::error::ContentError;

/// The configuration file's name, at the site root.
pub const CONFIG_FILE: &str = "site.yaml";

/// One link of the main menu or the footer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Text shown.
    pub name: String,
    /// Root-relative path or absolute URL.
    pub url: String,
}

/// A prominent link on the home page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Banner {
    /// Text shown.
    pub name: String,
    /// Root-relative path or absolute URL.
    pub url: String,
    /// A second line, such as the site's address.
    pub note: Option<String>,
}

/// The announcement line under the header ("Thông báo: …").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// The text.
    pub text: String,
    /// Where it links to, if anywhere.
    pub url: Option<String>,
}

/// The footer: the agency responsible for the portal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Footer {
    /// Agency that runs the portal.
    pub owner: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Fax number.
    pub fax: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Who is responsible for the content.
    pub editor: Option<String>,
    /// Licence or legal lines.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Links shown in the footer.
    #[serde(default)]
    pub links: Vec<Link>,
}

/// `site.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site title.
    pub title: String,
    /// One-sentence description, for search engines and feeds.
    #[serde(default)]
    pub description: String,
    /// Absolute URL the site is published at, without trailing slash.
    pub base_url: String,
    /// Language of the content.
    #[serde(default = "default_language")]
    pub language: String,
    /// Folder name under `themes/`.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Default number of pages per list page.
    #[serde(default = "default_paginate_by")]
    pub paginate_by: usize,
    /// Where the functions answer, as the forms post to it.
    #[serde(default = "default_api_base_url")]
    pub api_base_url: String,
    /// The announcement line, if any.
    pub announcement: Option<Announcement>,
    /// The main menu, in order.
    #[serde(default)]
    pub menu: Vec<Link>,
    /// Prominent links on the home page (the national public-service portal, …).
    #[serde(default)]
    pub banners: Vec<Banner>,
    /// The footer.
    #[serde(default)]
    pub footer: Footer,
    /// Where the content editor (`/quan-tri/noi-dung/`) saves on the public site: the repository host. Without
    /// it only `cchc serve` saves (into the working copy).
    pub cms: Option<CmsSettings>,
}

/// The repository host the CMS commits to, as Decap CMS names its settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CmsSettings {
    /// `gitlab` (sign-in with PKCE: no server secret) or `github` (needs an OAuth client, see infra/README.md).
    pub backend: CmsBackend,
    /// `group/project` on GitLab, `owner/name` on GitHub.
    pub repo: String,
    /// The branch the publish workflow builds (default `main`).
    pub branch: Option<String>,
    /// The OAuth application id (GitLab).
    pub app_id: Option<String>,
    /// The host's address for a self-managed GitLab (`https://gitlab.example.gov.vn`).
    pub base_url: Option<String>,
    /// Its API (`https://gitlab.example.gov.vn/api/v4`).
    pub api_root: Option<String>,
    /// A logo on the CMS's sign-in screen.
    pub logo_url: Option<String>,
}

/// The repository hosts the CMS can commit to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CmsBackend {
    /// GitLab (gitlab.com or self-managed), which many agencies run.
    Gitlab,
    /// GitHub.
    Github,
}

fn default_language() -> String {
    "vi".into()
}
fn default_theme() -> String {
    "default".into()
}
fn default_paginate_by() -> usize {
    10
}
fn default_api_base_url() -> String {
    "/api".into()
}

impl SiteConfig {
    /// Parses the configuration text; `file` is only used in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Self, ContentError> {
        let mut config: SiteConfig = front_matter::parse_yaml(file, text, 1)?;
        config.base_url = config.base_url.trim().trim_end_matches('/').to_string();
        let line_of = |key: &str| text.lines().position(|l| l.starts_with(key)).map_or(1, |i| i + 1);
        if !(config.base_url.starts_with("https://") || config.base_url.starts_with("http://")) {
            return Err(ContentError::new(file, "cần một địa chỉ tuyệt đối, ví dụ https://cchc.gov.vn")
                .at_line(line_of("base_url"))
                .field("base_url"));
        }
        if config.paginate_by == 0 {
            return Err(ContentError::new(file, "phải lớn hơn 0").at_line(line_of("paginate_by")).field("paginate_by"));
        }
        Ok(config)
    }

    /// Replaces the base URL (from `--base-url`).
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_string();
        self
    }

    /// A configuration for tests.
    pub fn default_for_test() -> Self {
        Self::parse(Path::new(CONFIG_FILE), "title: Thử\nbase_url: https://example.gov.vn/\n")
            .unwrap_or_else(|e| panic!("test config: {e}"))
    }

    /// The absolute URL of a root-relative path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_is_not_written() {
        let c = SiteConfig::default_for_test();
        assert_eq!(c.base_url, "https://example.gov.vn");
        assert_eq!((c.language.as_str(), c.theme.as_str(), c.paginate_by), ("vi", "default", 10));
        assert_eq!(c.absolute("/tin-tuc/"), "https://example.gov.vn/tin-tuc/");
    }

    #[test]
    fn a_relative_base_url_is_rejected_with_its_line() {
        let e = SiteConfig::parse(Path::new("site.yaml"), "title: A\nbase_url: cchc.gov.vn\n").expect_err("relative");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("base_url")));
    }

    #[test]
    fn an_unknown_key_is_rejected() {
        let e = SiteConfig::parse(Path::new("site.yaml"), "title: A\nbase_url: https://a.vn\nmenus: []\n")
            .expect_err("typo");
        assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("menus")));
    }
}
