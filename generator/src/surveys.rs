//! Survey definitions (`content/khao-sat/<id>.yaml`): read, their units resolved from `content/data/don-vi/`,
//! checked (errors name the file, the line and the question), and shaped for the runner and results templates.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cchc_functions::survey::{Access, Next, QuestionKind, Survey, SurveySource, Unit};
use serde::Serialize;

use crate::date::ContentDate;
use crate::discover::SourceFile;
use crate::error::ContentError;
use crate::front_matter::parse_yaml;
use crate::slug::slugify;

/// Folder under `content/` whose YAML files are survey definitions.
pub const SURVEY_DIR: &str = "khao-sat";

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

/// The units of the list `name` (`content/data/don-vi/<name>.yaml`), each with its effective dates.
fn units_of(data: &BTreeMap<String, serde_json::Value>, name: &str) -> Vec<Unit> {
    let Some(list) = data.get(&format!("don-vi/{name}")).and_then(|v| v.get("units")).and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    let date = |u: &serde_json::Value, key: &str| {
        u.get(key).and_then(|d| d.as_str()).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    list.iter()
        .filter_map(|u| {
            let name = u.get("name")?.as_str()?.to_string();
            Some(Unit { id: slugify(&name), from: date(u, "from"), to: date(u, "to"), name })
        })
        .collect()
}

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
        let units = units_of(data, &parsed.unit);
        match Survey::check(parsed, units) {
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

/// A point of a scale.
#[derive(Debug, Serialize)]
pub struct PointView {
    value: i64,
    label: Option<String>,
}

/// An option (or matrix item) for the templates.
#[derive(Debug, Serialize)]
pub struct OptionView {
    id: String,
    label: String,
    /// Number of the question it leads to, or 0 for the end; absent when it follows the default.
    goes_to: Option<usize>,
    /// The id it leads to (`end` for the end), for the script.
    next: Option<String>,
}

/// A question for the templates.
#[derive(Debug, Serialize)]
pub struct QuestionView {
    id: String,
    number: usize,
    text: String,
    help: Option<String>,
    required: bool,
    /// Whether every respondent meets it; the others get a "does not apply" choice without JavaScript.
    always: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    options: Vec<OptionView>,
    items: Vec<OptionView>,
    points: Vec<PointView>,
    min: Option<i64>,
    max: Option<i64>,
    max_length: Option<usize>,
    /// Default next step: question id or `end`.
    next: String,
    /// Condition: the earlier question's id and number, accepted values and their labels.
    when: Option<WhenView>,
}

/// A condition for the templates.
#[derive(Debug, Serialize)]
pub struct WhenView {
    question: String,
    number: usize,
    values: Vec<String>,
    labels: Vec<String>,
}

/// A survey for the templates: what the runner needs.
#[derive(Debug, Serialize)]
pub struct SurveyView {
    id: String,
    version: u32,
    title: String,
    description: String,
    opens: String,
    closes: String,
    code: bool,
    unit_label: String,
    /// Units valid on the day of the build.
    units: Vec<UnitView>,
    questions: Vec<QuestionView>,
}

/// A unit for the templates.
#[derive(Debug, Serialize)]
pub struct UnitView {
    id: String,
    name: String,
}

fn step_id(survey: &Survey, next: Next) -> String {
    match next {
        Next::End => cchc_functions::survey::END.to_string(),
        Next::Question(i) => survey.questions[i].id.clone(),
    }
}

fn points(scale: &cchc_functions::survey::Scale) -> Vec<PointView> {
    (scale.min..=scale.max).map(|value| PointView { value, label: scale.labels.get(&value).cloned() }).collect()
}

/// The runner's view of `survey` on `today`.
pub fn view(survey: &Survey, today: ContentDate) -> SurveyView {
    let day = today.at().date_naive();
    let always = survey.always_asked();
    let questions = survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let branch = survey.branches.get(i);
            let choice = |o: &cchc_functions::survey::Choice| {
                let next = branch.and_then(|b| b.get(&o.id)).copied();
                OptionView {
                    id: o.id.clone(),
                    label: o.label.clone(),
                    goes_to: next.map(|n| match n {
                        Next::End => 0,
                        Next::Question(j) => survey.questions[j].number,
                    }),
                    next: next.map(|n| step_id(survey, n)),
                }
            };
            let (kind, options, items, scale_points, min, max, max_length) = match &q.kind {
                QuestionKind::Single { options } => {
                    ("single", options.iter().map(choice).collect(), vec![], vec![], None, None, None)
                }
                QuestionKind::Multiple { options, min, max } => (
                    "multiple",
                    options.iter().map(choice).collect(),
                    vec![],
                    vec![],
                    Some(*min as i64),
                    Some(*max as i64),
                    None,
                ),
                QuestionKind::Rating { scale } => ("rating", vec![], vec![], points(scale), None, None, None),
                QuestionKind::Text { max_length } => ("text", vec![], vec![], vec![], None, None, Some(*max_length)),
                QuestionKind::LongText { max_length } => {
                    ("long-text", vec![], vec![], vec![], None, None, Some(*max_length))
                }
                QuestionKind::Number { min, max } => ("number", vec![], vec![], vec![], Some(*min), Some(*max), None),
                QuestionKind::Matrix { items, scale } => {
                    ("matrix", vec![], items.iter().map(choice).collect(), points(scale), None, None, None)
                }
            };
            let when = q.when.as_ref().map(|(j, values)| {
                let before = &survey.questions[*j];
                let labels = values
                    .iter()
                    .map(|v| match &before.kind {
                        QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                            options.iter().find(|o| &o.id == v).map_or_else(|| v.clone(), |o| o.label.clone())
                        }
                        _ => v.clone(),
                    })
                    .collect();
                WhenView { question: before.id.clone(), number: before.number, values: values.clone(), labels }
            });
            QuestionView {
                id: q.id.clone(),
                number: q.number,
                text: q.text.clone(),
                help: q.help.clone(),
                required: q.required,
                always: always.get(i).copied().unwrap_or(false),
                kind,
                options,
                items,
                points: scale_points,
                min,
                max,
                max_length,
                next: step_id(survey, q.next),
                when,
            }
        })
        .collect();
    SurveyView {
        id: survey.id.clone(),
        version: survey.version,
        title: survey.title.clone(),
        description: survey.description.clone(),
        opens: survey.opens.format("%d/%m/%Y").to_string(),
        closes: survey.closes.format("%d/%m/%Y").to_string(),
        code: survey.access == Access::Code,
        unit_label: survey.unit_label.clone(),
        units: survey
            .units
            .iter()
            .filter(|u| u.valid_on(day))
            .map(|u| UnitView { id: u.id.clone(), name: u.name.clone() })
            .collect(),
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let view = view(&surveys["thu"].survey, ContentDate::parse("2026-06-01").expect("date"));
        assert_eq!(view.units.len(), 1, "the old province is not offered after it ended");
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
