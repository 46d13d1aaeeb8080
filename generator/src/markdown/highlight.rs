//! Code highlighting with syntect, as CSS classes so one stylesheet serves every page.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Prefix of every class syntect writes, so the theme's own classes never clash.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Highlights code blocks. The syntax set is loaded from syntect's binary dump on first use, once.
#[derive(Debug, Default)]
pub struct Highlighter {
    syntaxes: OnceLock<SyntaxSet>,
}

impl Highlighter {
    /// A highlighter that has loaded nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The inner HTML of a `<code>` for `code` in `language`, or `None` if the language is unknown.
    pub fn highlight(&self, language: &str, code: &str) -> Option<String> {
        let syntaxes = self.syntaxes.get_or_init(SyntaxSet::load_defaults_newlines);
        let syntax = syntaxes.find_syntax_by_token(language)?;
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            generator.parse_html_for_line_which_includes_newline(line).ok()?;
        }
        Some(generator.finalize())
    }
}

/// The stylesheet for highlighted code, generated from a light syntect theme with good contrast.
pub fn stylesheet() -> String {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    themes
        .themes
        .get("InspiredGitHub")
        .and_then(|theme| css_for_theme_with_class_style(theme, CLASS_STYLE).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_classes_and_unknown_ones_none() {
        let h = Highlighter::new();
        let html = h.highlight("json", "{\"a\": 1}\n").expect("json is known");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(h.highlight("khong-co-ngon-ngu-nay", "x").is_none());
    }

    #[test]
    fn the_stylesheet_uses_the_same_prefix() {
        assert!(stylesheet().contains(".hl-"));
    }
}
