//! Survey definitions (`content/khao-sat/<id>.yaml`): read, their units resolved from `content/data/don-vi/`,
//! and checked (errors name the file, the line and the question). `render::survey_view` shapes them for the
//! templates.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cchc_functions::survey::{Communes, LEVEL_COMMUNE, Survey, SurveySource, Unit, unit_list};

use crate::content::discover::SourceFile;
use crate::content::front_matter::parse_yaml;
use crate::content::slug::slugify;
use crate::error::ContentError;

/// A checked survey and the file it came from.
#[derive(Debug, Clone)]
pub struct SurveyFile {
    /// `content/khao-sat/<id>.yaml`.
    pub file: PathBuf,
    /// The survey.
    pub survey: Survey,
    /// The line of its `version:`, for errors about the version.
    pub version_line: Option<usize>,
}

/// The 1-based line where question `id` is defined, if it can be found.
fn question_line(text: &str, id: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches("- ").trim();
            l == format!("id: {id}") || l == format!("id: \"{id}\"") || l == format!("id: '{id}'")
        })
        .map(|i| i + 1)
}

/// The units of the list `name` (`content/data/don-vi/<name>.yaml`), each with its effective dates, and the GSO
/// code of those that have one (provinces since 2025), by unit id.
fn units_of(data: &BTreeMap<String, serde_json::Value>, name: &str) -> (Vec<Unit>, BTreeMap<String, String>) {
    let mut codes = BTreeMap::new();
    let Some(list) = data.get(&format!("don-vi/{name}")).and_then(|v| v.get("units")).and_then(|v| v.as_array()) else {
        return (Vec::new(), codes);
    };
    let date = |u: &serde_json::Value, key: &str| {
        u.get(key).and_then(|d| d.as_str()).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let units = list
        .iter()
        .filter_map(|u| {
            let name = u.get("name")?.as_str()?.to_string();
            let id = slugify(&name);
            if let Some(code) = u.get("code").and_then(|c| c.as_str()) {
                codes.insert(id.clone(), code.to_string());
            }
            Some(Unit { id, from: date(u, "from"), to: date(u, "to"), name })
        })
        .collect();
    (units, codes)
}

/// The communes (`content/data/don-vi/xa-phuong.csv`), if the file is there and reads.
pub fn communes(data: &BTreeMap<String, serde_json::Value>) -> Result<Communes, String> {
    match data.get(COMMUNES).and_then(|v| v.as_str()) {
        Some(text) => Communes::parse(text),
        None => Err(format!("không có tệp content/data/{COMMUNES}.csv")),
    }
}

/// Where the communes are, as a data key.
pub const COMMUNES: &str = "don-vi/xa-phuong";

/// Reads and checks every survey file; gathers every error.
pub fn load(
    sources: Vec<SourceFile>,
    data: &BTreeMap<String, serde_json::Value>,
) -> (BTreeMap<String, SurveyFile>, Vec<ContentError>) {
    let mut surveys = BTreeMap::new();
    let mut errors = Vec::new();
    for source in sources {
        let file = PathBuf::from("content").join(&source.rel);
        let parsed: SurveySource = match parse_yaml(&file, &source.text, 1) {
            Ok(parsed) => parsed,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let stem = source.rel.rsplit('/').next().unwrap_or_default().trim_end_matches(".yaml").trim_end_matches(".yml");
        if stem != parsed.id {
            errors.push(
                ContentError::new(&file, format!("tệp phải mang tên của khảo sát: {}.yaml", parsed.id))
                    .at_opt_line(question_line(&source.text, &parsed.id))
                    .field("id"),
            );
            continue;
        }
        let (units, codes) = units_of(data, unit_list(&parsed.units));
        if parsed.units == LEVEL_COMMUNE
            && let Err(e) = communes(data)
        {
            errors.push(ContentError::new(&file, e).field("units"));
            continue;
        }
        match Survey::check_with_codes(parsed, units, codes) {
            Ok(survey) => {
                let version_line = source.text.lines().position(|l| l.starts_with("version:")).map(|i| i + 1);
                surveys.insert(survey.id.clone(), SurveyFile { file, survey, version_line });
            }
            Err(found) => errors.extend(found.into_iter().map(|e| {
                let line = e.question.as_deref().and_then(|q| question_line(&source.text, q));
                let error = ContentError::new(&file, e.to_string()).at_opt_line(line);
                match &e.question {
                    Some(q) => error.field(format!("questions.{q}")),
                    None => error,
                }
            })),
        }
    }
    (surveys, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::date::ContentDate;

    fn data() -> BTreeMap<String, serde_json::Value> {
        let units = serde_json::json!({ "units": [{ "name": "Tỉnh A" }, { "name": "Tỉnh Cũ", "to": "2025-06-30" }] });
        BTreeMap::from([("don-vi/tinh-thanh".to_string(), units)])
    }

    const SURVEY: &str = "id: thu\nversion: 1\ntitle: Thử\ngroup: par\nopens: 2026-01-01\ncloses: 2026-12-31\n\
        unit: tinh-thanh\nquestions:\n  - id: q1\n    type: single\n    text: Có biết không?\n    options:\n      \
        - { id: co, label: Có, next: q2 }\n      - { id: khong, label: Không, next: end }\n  - id: q2\n    \
        type: rating\n    text: Mức độ\n    scale: { min: 1, max: 5 }\n    next: end\n";

    fn load_one(rel: &str, text: &str) -> (BTreeMap<String, SurveyFile>, Vec<ContentError>) {
        load(vec![SourceFile { rel: rel.into(), text: text.into() }], &data())
    }

    #[test]
    fn a_valid_survey_gets_its_units_with_their_dates() {
        let (surveys, errors) = load_one("khao-sat/thu.yaml", SURVEY);
        assert!(errors.is_empty(), "{errors:?}");
        let units: Vec<&str> = surveys["thu"].survey.units.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(units, ["tinh-a", "tinh-cu"]);
        let view =
            crate::render::survey_view::view(&surveys["thu"].survey, ContentDate::parse("2026-06-01").expect("date"));
        assert_eq!(view.units.len(), 1, "the old province is not offered after it ended");
    }

    #[test]
    fn a_survey_asking_the_commune_carries_the_province_codes_and_needs_the_commune_list() {
        let xa = SURVEY.replace("unit: tinh-thanh", "units: xa");
        let mut data = data();
        data.insert(
            "don-vi/tinh-thanh".into(),
            serde_json::json!({ "units": [{ "name": "Tỉnh A", "code": "38" }, { "name": "Tỉnh Cũ", "to": "2025-06-30" }] }),
        );
        let source = || vec![SourceFile { rel: "khao-sat/thu.yaml".into(), text: xa.clone().into() }];
        let (_, errors) = load(source(), &data);
        assert!(errors[0].message.contains("không có tệp content/data/don-vi/xa-phuong.csv"), "{errors:?}");
        data.insert(COMMUNES.into(), "code,name,kind,parent,from,to\n38001,Xã B,xa,38,2025-07-01,\n".into());
        let (surveys, errors) = load(source(), &data);
        assert!(errors.is_empty(), "{errors:?}");
        let survey = &surveys["thu"].survey;
        assert!(survey.communes);
        assert_eq!(survey.unit_list, "tinh-thanh");
        assert_eq!(survey.province_codes, BTreeMap::from([("tinh-a".to_string(), "38".to_string())]));
        // A survey of provinces only publishes no codes: its content hash does not change with the commune level.
        let (surveys, _) = load_one("khao-sat/thu.yaml", &SURVEY.replace("unit: tinh-thanh", "units: tinh"));
        assert!(!surveys["thu"].survey.communes && surveys["thu"].survey.province_codes.is_empty());
    }

    #[test]
    fn graph_errors_name_the_file_the_line_and_the_question() {
        let (_, errors) = load_one("khao-sat/thu.yaml", &SURVEY.replace("next: q2 }", "next: q9 }"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(e.file, PathBuf::from("content/khao-sat/thu.yaml"));
        assert_eq!(e.line, Some(9), "the line of `- id: q1`");
        assert_eq!(e.field.as_deref(), Some("questions.q1"));
        assert!(e.message.contains("`next: q9` trỏ tới câu không có"), "{}", e.message);
    }

    #[test]
    fn syntax_and_type_errors_name_the_line_and_field() {
        let (_, errors) = load_one("khao-sat/thu.yaml", &SURVEY.replace("type: rating", "type: thang-diem"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, Some(16));
        assert!(errors[0].to_string().contains("questions"), "{}", errors[0]);
        let (_, errors) = load_one("khao-sat/khac.yaml", SURVEY);
        assert!(errors[0].message.contains("tệp phải mang tên của khảo sát: thu.yaml"), "{:?}", errors);
        let (_, errors) = load_one("khao-sat/thu.yaml", &SURVEY.replace("unit: tinh-thanh", "unit: xa-phuong"));
        assert!(errors[0].message.contains("danh sách đơn vị `xa-phuong` trống hoặc không có"), "{:?}", errors);
    }
}
