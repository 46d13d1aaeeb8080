//! A survey definition shaped for the runner and results templates: steps, options, conditions and the units in
//! force on the day of the build.

use cchc_functions::domain::Window;
use cchc_functions::survey::{Access, Next, QuestionKind, Survey};
use serde::Serialize;

use crate::content::date::{ContentDate, DATE_VI};

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
    /// When the default next step is not the following question: its number, or 0 for the end (the hint
    /// readers without JavaScript follow, as they do an option's).
    jumps_to: Option<usize>,
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
    /// Whether the respondent also picks a commune of the province (`units: xa`).
    communes: bool,
    /// Where the response window stands on the day of the build: `upcoming`, `open` or `closed`.
    state: &'static str,
    /// Units valid on the day of the build.
    pub(crate) units: Vec<UnitView>,
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

/// Where the response window of `survey` stands on `day`, as the templates name it.
pub fn state(survey: &Survey, day: chrono::NaiveDate) -> &'static str {
    match survey.window(day) {
        Window::Upcoming => "upcoming",
        Window::Open => "open",
        Window::Closed => "closed",
    }
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
                jumps_to: match q.next {
                    Next::Question(j) if j == i + 1 => None,
                    Next::Question(j) => Some(survey.questions[j].number),
                    Next::End if i + 1 == survey.questions.len() => None,
                    Next::End => Some(0),
                },
                when,
            }
        })
        .collect();
    SurveyView {
        id: survey.id.clone(),
        version: survey.version,
        title: survey.title.clone(),
        description: survey.description.clone(),
        opens: survey.opens.format(DATE_VI).to_string(),
        closes: survey.closes.format(DATE_VI).to_string(),
        code: survey.access == Access::Code,
        unit_label: survey.unit_label.clone(),
        communes: survey.communes,
        state: state(survey, day),
        units: survey
            .units
            .iter()
            .filter(|u| u.valid_on(day))
            .map(|u| UnitView { id: u.id.clone(), name: u.name.clone() })
            .collect(),
        questions,
    }
}
