//! Splitting a Markdown file into YAML front matter and body, and reading YAML into typed structs
//! with errors that name the line and the field.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::ContentError;

/// A Markdown file cut into its front matter and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the `---` lines.
    pub yaml: &'a str,
    /// 1-based file line of the first YAML line.
    pub yaml_line: usize,
    /// The Markdown after the closing `---`.
    pub body: &'a str,
    /// 1-based file line where the body starts.
    pub body_line: usize,
}

/// Cuts `text` at its `---` fences. The opening fence must be the first line.
pub fn split<'a>(file: &Path, text: &'a str) -> Result<Split<'a>, ContentError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let missing = || {
        ContentError::new(file, "thiếu phần đầu (front matter): tệp phải bắt đầu bằng một dòng `---`, rồi các trường YAML, rồi một dòng `---`")
            .at_line(1)
    };
    let first_end = text.find('\n').ok_or_else(missing)?;
    if text[..first_end].trim_end() != "---" {
        return Err(missing());
    }
    let yaml_start = first_end + 1;
    let mut offset = yaml_start;
    // The YAML starts on line 2, after the opening fence.
    for (line, raw_line) in (2..).zip(text[yaml_start..].split_inclusive('\n')) {
        if raw_line.trim_end() == "---" {
            let body_start = offset + raw_line.len();
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[body_start..],
                body_line: line + 1,
            });
        }
        offset += raw_line.len();
    }
    Err(ContentError::new(file, "phần đầu (front matter) không có dòng `---` đóng").at_line(1))
}

/// Reads YAML into `T`, mapping serde's errors to the file's line and the field's path.
/// `first_line` is the file line of the YAML's first line.
pub fn parse_yaml<T: DeserializeOwned>(file: &Path, yaml: &str, first_line: usize) -> Result<T, ContentError> {
    // An empty front matter is an empty mapping, so that "missing field" errors name the field.
    let yaml = if yaml.trim().is_empty() { "{}" } else { yaml };
    let deserializer = serde_yaml::Deserializer::from_str(yaml);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        // A syntax error is not about any field: say so, with the parser's own position.
        if let Err(syntax) = serde_yaml::from_str::<serde_yaml::Value>(yaml) {
            let line = syntax.location().map_or(first_line, |l| l.line() + first_line - 1);
            let text = syntax.to_string();
            let text = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]).to_string();
            return ContentError::new(file, format!("lỗi cú pháp YAML: {text}")).at_line(line);
        }
        let path = error.path().to_string();
        let inner = error.into_inner();
        let reported = inner.location().map_or(first_line, |l| l.line() + first_line - 1);
        // Some errors are placed at the start of the mapping; the field's own line is never before it.
        let top_key = path.split(['.', '[']).next().unwrap_or_default();
        let key_line = yaml
            .lines()
            .position(|l| {
                !top_key.is_empty() && l.strip_prefix(top_key).is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map_or(0, |i| i + first_line);
        let line = reported.max(key_line);
        let (field, message) = explain(&path, &inner);
        let error = ContentError::new(file, message).at_line(line);
        match field {
            Some(field) => error.field(field),
            None => error,
        }
    })
}

/// Like [`parse_yaml`], but a mapping with several wrong fields reports each of them, not only the first: after an
/// error, the field it is about is set aside and the rest is read again (up to every top-level key once).
pub fn parse_yaml_all<T: DeserializeOwned>(file: &Path, yaml: &str, first_line: usize) -> Result<T, Vec<ContentError>> {
    let first = match parse_yaml(file, yaml, first_line) {
        Ok(value) => return Ok(value),
        Err(first) => first,
    };
    let Ok(serde_yaml::Value::Mapping(mut rest)) = serde_yaml::from_str::<serde_yaml::Value>(yaml) else {
        return Err(vec![first]);
    };
    let mut set_aside: Vec<String> = Vec::new();
    let mut next = top_key(first.field.as_deref());
    let mut errors = vec![first];
    while let Some(key) = next.take() {
        if rest.remove(key.as_str()).is_none() || set_aside.len() > 64 {
            break;
        }
        set_aside.push(key);
        let Err(error) = serde_path_to_error::deserialize::<_, T>(serde_yaml::Value::Mapping(rest.clone())) else {
            break;
        };
        let path = error.path().to_string();
        let (field, message) = explain(&path, error.inner());
        let key = top_key(field.as_deref());
        // A required field set aside above now reads as missing: that is not a new error.
        if key.as_ref().is_none_or(|k| set_aside.contains(k)) {
            break;
        }
        let line = key.as_deref().and_then(|k| line_of_key(yaml, k)).map_or(first_line, |i| i + first_line);
        let found = ContentError::new(file, message).at_line(line);
        errors.push(match field {
            Some(field) => found.field(field),
            None => found,
        });
        next = key;
    }
    Err(errors)
}

/// The top-level key an error is about (`attachments[0].file` → `attachments`).
fn top_key(field: Option<&str>) -> Option<String> {
    field.and_then(|f| f.split(['.', '[']).next()).filter(|k| !k.is_empty()).map(str::to_string)
}

/// The 0-based line of a top-level `key:` in `yaml`.
fn line_of_key(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines().position(|l| l.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':')))
}

/// Turns serde's English message into a Vietnamese one and finds the field it is about.
fn explain(path: &str, error: &serde_yaml::Error) -> (Option<String>, String) {
    let full = error.to_string();
    let message = match full.rfind(" at line ") {
        Some(at) => &full[..at],
        None => full.as_str(),
    };
    let field_in_path = (path != "." && !path.is_empty()).then(|| path.to_string());
    // serde_yaml puts the path in front of custom messages; the field is reported on its own.
    let message = message.strip_prefix(&format!("{path}: ")).unwrap_or(message);
    let join = |parent: &Option<String>, name: &str| match parent {
        Some(p) => format!("{p}.{name}"),
        None => name.to_string(),
    };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return (Some(join(&field_in_path, name)), "thiếu trường bắt buộc".to_string());
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let expected = backticked(rest.split_once("expected").map(|(_, e)| e).unwrap_or_default());
        let field = if field_in_path.as_deref().is_some_and(|p| p.ends_with(name)) {
            field_in_path.clone().unwrap_or_default()
        } else {
            join(&field_in_path, name)
        };
        let hint = suggestion(name, &expected).map(|s| format!(" (có phải `{s}`?)")).unwrap_or_default();
        return (Some(field), format!("trường không được hỗ trợ{hint}; các trường hợp lệ: {}", expected.join(", ")));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or_default();
        let expected = backticked(rest.split_once("expected").map(|(_, e)| e).unwrap_or_default());
        return (field_in_path, format!("giá trị `{value}` không hợp lệ; cần một trong: {}", expected.join(", ")));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return (field_in_path, format!("sai kiểu dữ liệu: nhận {found}, cần {expected}"));
    }
    (field_in_path, message.to_string())
}

/// The names inside backticks of serde's "expected one of `a`, `b`" lists.
fn backticked(list: &str) -> Vec<String> {
    list.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The expected name closest to a mistyped one, if it is close enough to be a typo.
fn suggestion<'a>(name: &str, expected: &'a [String]) -> Option<&'a str> {
    expected
        .iter()
        .map(|e| (strsim::damerau_levenshtein(name, e), e))
        .filter(|(distance, e)| *distance <= 2.max(e.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, e)| e.as_str())
}

/// The file line of a top-level `key:` in front matter, for errors found after parsing.
pub fn key_line(split: &Split<'_>, key: &str) -> usize {
    split
        .yaml
        .lines()
        .position(|l| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':')))
        .map_or(split.yaml_line.saturating_sub(1).max(1), |i| split.yaml_line + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
        date: Option<crate::content::date::ContentDate>,
    }

    fn parse(text: &str) -> Result<Sample, ContentError> {
        let file = Path::new("content/a.md");
        let split = split(file, text)?;
        parse_yaml(file, split.yaml, split.yaml_line)
    }

    #[test]
    fn splits_front_matter_and_body_with_line_numbers() {
        let s = split(Path::new("a.md"), "---\ntitle: A\n---\n\nBody\n").expect("valid");
        assert_eq!(s.yaml, "title: A\n");
        assert_eq!(s.yaml_line, 2);
        assert_eq!(s.body, "\nBody\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let s = split(Path::new("a.md"), "\u{feff}---\r\ntitle: A\r\n---\r\nBody").expect("valid");
        assert_eq!(s.yaml, "title: A\r\n");
        assert_eq!(s.body, "Body");
    }

    #[test]
    fn a_missing_fence_is_an_error_on_line_one() {
        let e = split(Path::new("a.md"), "title: A\n").expect_err("no fence");
        assert_eq!(e.line, Some(1));
        let e = split(Path::new("a.md"), "---\ntitle: A\n").expect_err("no closing fence");
        assert!(e.message.contains("đóng"), "{e}");
    }

    #[test]
    fn an_unknown_key_names_the_field_line_and_suggestion() {
        let e = parse("---\ntittle: A\n---\n").expect_err("unknown");
        assert_eq!(e.field.as_deref(), Some("tittle"));
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("có phải `title`?"), "{e}");
    }

    #[test]
    fn a_missing_title_names_the_field() {
        let e = parse("---\ntags: [a]\n---\n").expect_err("missing");
        assert_eq!(e.field.as_deref(), Some("title"));
        assert!(e.message.contains("thiếu"), "{e}");
    }

    #[test]
    fn an_invalid_date_names_line_and_field() {
        let e = parse("---\ntitle: A\ndate: 2023-13-45\n---\n").expect_err("bad date");
        assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("date")));
        assert!(e.message.contains("2023-13-45"), "{e}");
    }

    #[test]
    fn a_wrong_type_inside_a_list_names_the_path() {
        let e = parse("---\ntitle: A\ntags:\n  - a\n  - [b]\n---\n").expect_err("bad tag");
        assert_eq!((e.line, e.field.as_deref()), (Some(5), Some("tags[1]")));
    }

    #[test]
    fn a_yaml_syntax_error_gives_its_line() {
        let e = parse("---\ntitle: A\ntags: [a\n---\n").expect_err("syntax");
        assert!(e.message.contains("YAML"), "{e}");
        assert!(e.line.is_some_and(|l| l >= 3), "{e}");
    }
}
