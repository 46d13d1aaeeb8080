//! The theme: tera templates (loaded once per build) and static files (CSS and JS fingerprinted).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use cchc_functions::hash::sha256_hex;
use walkdir::WalkDir;

use crate::error::{BuildError, ContentError};

/// Templates every site gets; a theme may override any of them with a file of the same name.
const BUILTIN_TEMPLATES: [(&str, &str); 5] = [
    ("atom.xml", include_str!("../../builtin/atom.xml")),
    ("sitemap.xml", include_str!("../../builtin/sitemap.xml")),
    ("sitemap_index.xml", include_str!("../../builtin/sitemap_index.xml")),
    ("alias.html", include_str!("../../builtin/alias.html")),
    ("robots.txt", include_str!("../../builtin/robots.txt")),
];

/// The stylesheet the generated highlighting CSS is appended to, so pages load one CSS file.
pub const MAIN_STYLESHEET: &str = "style.css";

/// A static file of the theme, ready to write.
#[derive(Debug, Clone)]
pub enum StaticFile {
    /// Copied as it is.
    Copy {
        /// Source on disk.
        source: PathBuf,
        /// Path in the output.
        rel: String,
    },
    /// Written from memory (fingerprinted CSS and JS).
    Bytes {
        /// Content.
        bytes: Vec<u8>,
        /// Path in the output, with the fingerprint.
        rel: String,
    },
}

/// A loaded theme.
#[derive(Debug)]
pub struct Theme {
    /// Site-relative folder of the templates, for errors.
    pub templates_dir: PathBuf,
    /// The templates, parsed.
    pub tera: tera::Tera,
    /// Static files to write.
    pub statics: Vec<StaticFile>,
    /// Logical name (`style.css`) → URL with fingerprint (`/style.1a2b3c4d.css`).
    pub assets: BTreeMap<String, String>,
}

impl Theme {
    /// Loads `themes/<name>/` under `root`. `extra_css` is appended to the main stylesheet.
    pub fn load(root: &Path, name: &str, extra_css: &str) -> Result<Theme, BuildError> {
        let theme_rel = PathBuf::from("themes").join(name);
        let theme_dir = root.join(&theme_rel);
        if !theme_dir.is_dir() {
            return Err(BuildError::Content(vec![
                ContentError::new(
                    crate::content::config::CONFIG_FILE,
                    format!("không có giao diện `{name}` (thư mục {} không tồn tại)", theme_rel.display()),
                )
                .field("theme"),
            ]));
        }
        let templates_dir = theme_rel.join("templates");
        let tera = load_templates(&root.join(&templates_dir), &templates_dir)?;
        let (statics, assets) = load_statics(&theme_dir.join("static"), extra_css)?;
        Ok(Theme { templates_dir, tera, statics, assets })
    }

    /// Whether the theme (or the builtins) has a template of that name.
    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }

    /// The file an error in `template` should point at.
    pub fn template_file(&self, template: &str) -> PathBuf {
        if BUILTIN_TEMPLATES.iter().any(|(n, _)| *n == template) && !self.has_theme_file(template) {
            PathBuf::from(format!("(mẫu có sẵn) {template}"))
        } else {
            self.templates_dir.join(template)
        }
    }

    /// The templates whose output may change when the templates named in `changed` do: themselves, and those
    /// that extend, import or include them, transitively. A template's source is searched for the other names in
    /// quotes, which over-counts (a name in a string) rather than misses.
    pub fn templates_using(&self, changed: &HashSet<String>) -> HashSet<String> {
        let names: Vec<&String> = self.tera.templates.keys().collect();
        let uses: HashMap<&str, Vec<&str>> = self
            .tera
            .templates
            .iter()
            .map(|(name, t)| {
                let source = t.path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
                let used = names
                    .iter()
                    .filter(|other| {
                        t.parents.contains(other)
                            || t.imported_macro_files.iter().any(|(file, _)| file == **other)
                            || source.contains(&format!("\"{other}\""))
                            || source.contains(&format!("'{other}'"))
                    })
                    .map(|s| s.as_str())
                    .collect();
                (name.as_str(), used)
            })
            .collect();
        let mut affected = changed.clone();
        loop {
            let before = affected.len();
            for (name, used) in &uses {
                if used.iter().any(|u| affected.contains(*u)) {
                    affected.insert((*name).to_string());
                }
            }
            if affected.len() == before {
                return affected;
            }
        }
    }

    fn has_theme_file(&self, template: &str) -> bool {
        self.tera.templates.get(template).is_some_and(|t| t.path.is_some())
    }
}

fn load_templates(dir: &Path, shown_dir: &Path) -> Result<tera::Tera, BuildError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html", ".xml", ".htm"]);
    tera.set_escape_fn(escape_html);
    tera.add_raw_templates(BUILTIN_TEMPLATES).map_err(|e| template_error(Path::new("(mẫu có sẵn)"), None, &e))?;
    let mut files = Vec::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| BuildError::Io { path: dir.to_path_buf(), source: e.into() })?;
        if entry.file_type().is_file() {
            let name = entry.path().strip_prefix(dir).unwrap_or(entry.path()).to_string_lossy().replace('\\', "/");
            files.push((entry.path().to_path_buf(), Some(name)));
        }
    }
    // Parsing all templates together lets `extends` and `import` resolve; errors name the template and line.
    tera.add_template_files(files).map_err(|e| template_error(shown_dir, None, &e))?;
    Ok(tera)
}

/// Escapes `&`, `<`, `>` and `"`: enough for text and double-quoted attributes, without tera's `&#x2F;` for
/// every slash, which only makes pages heavier.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// Turns a tera error into an editor's error naming the template file and, when tera knows it, the line.
pub fn template_error(dir: &Path, template: Option<&str>, error: &tera::Error) -> BuildError {
    BuildError::Content(vec![template_content_error(dir, template, error)])
}

/// Like `template_error`, as one `ContentError`.
pub fn template_content_error(dir: &Path, template: Option<&str>, error: &tera::Error) -> ContentError {
    let mut chain = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let text = chain.join(": ");
    // tera names the template in quotes, by name (`'page.html'`) or by path (`"…/templates/page.html"`).
    let named = template.map(str::to_string).or_else(|| {
        let start = text.find(['\'', '"'])?;
        let quote = text[start..].chars().next()?;
        let end = start + 1 + text[start + 1..].find(quote)?;
        let quoted = &text[start + 1..end];
        Some(quoted.rsplit_once("templates/").map_or(quoted, |(_, name)| name).to_string())
    });
    // Parse errors carry ` --> line:column`.
    let line = text.split("--> ").nth(1).and_then(|rest| rest.split(':').next()).and_then(|n| n.trim().parse().ok());
    let file = match &named {
        Some(name) if name.contains('.') => dir.join(name),
        _ => dir.to_path_buf(),
    };
    let message =
        format!("lỗi mẫu giao diện: {}", text.replace('\n', " ").split_whitespace().collect::<Vec<_>>().join(" "));
    let error = ContentError::new(file, message).at_opt_line(line);
    match named {
        Some(name) => error.field(format!("mẫu {name}")),
        None => error,
    }
}

fn load_statics(dir: &Path, extra_css: &str) -> Result<(Vec<StaticFile>, BTreeMap<String, String>), BuildError> {
    let mut statics = Vec::new();
    let mut assets = BTreeMap::new();
    if !dir.is_dir() {
        return Ok((statics, assets));
    }
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| BuildError::Io { path: dir.to_path_buf(), source: e.into() })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path()).to_string_lossy().replace('\\', "/");
        // The back office's files keep their names: the CMS's bundle loads its chunks by name, and the page
        // that loads it is rendered by the functions, which do not know the build's fingerprints.
        let fingerprint = (rel.ends_with(".css") || rel.ends_with(".js")) && !rel.starts_with("quan-tri/");
        if fingerprint {
            let mut bytes = std::fs::read(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
            if rel == MAIN_STYLESHEET {
                bytes.extend_from_slice(b"\n/* syntax highlighting (generated) */\n");
                bytes.extend_from_slice(extra_css.as_bytes());
            }
            let short = &sha256_hex(&bytes)[..10];
            let hashed = match rel.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
                None => format!("{rel}.{short}"),
            };
            assets.insert(rel, format!("/{hashed}"));
            statics.push(StaticFile::Bytes { bytes, rel: hashed });
        } else {
            assets.insert(rel.clone(), format!("/{rel}"));
            statics.push(StaticFile::Copy { source: entry.path().to_path_buf(), rel });
        }
    }
    Ok((statics, assets))
}
