//! A survey as the editor writes it (`SurveySource`, read from YAML) and as it is published (`Survey`): checked
//! once, so the runner, the function and the results pages never meet a dangling target or a cycle.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Most counters one response may touch in one unit scope (the survey as a whole, a province, a commune): a
/// sanity limit, not a transaction's. The response is written alone and counted behind it in chunks of
/// [`crate::survey::CHUNK`] counters a transaction (`survey::tally`), so a long survey costs more transactions, never
/// a refusal; 3,000 keeps a response under a few seconds of counting and its stream record far under DynamoDB's
/// 400 KB item limit (a 300-question survey with matrices stays below it).
pub const MAX_COUNTERS: usize = 3_000;

/// Who the survey is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// PAR Index: assessment of administrative reform.
    Par,
    /// SIPAS: satisfaction with public administrative services.
    Sipas,
    /// A topical survey.
    ChuyenDe,
}

/// Who may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Anyone.
    #[default]
    Public,
    /// Holders of a one-time access code.
    Code,
}

/// The question types an editor may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuestionType {
    /// One option.
    Single,
    /// Several options, between `min` and `max`.
    Multiple,
    /// A point on a scale.
    Rating,
    /// A line of text.
    Text,
    /// A paragraph.
    LongText,
    /// A whole number.
    Number,
    /// Several items, each on the same scale.
    Matrix,
}

/// One option of a choice question, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stable id (letters, digits, `-`), used in answers and counters.
    pub id: String,
    /// What the respondent reads.
    pub label: String,
    /// Where to go when this option is chosen (a question id or `end`); single choice only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A scale, as written: `{ min: 1, max: 5, labels: { 1: "Rất không hài lòng", 5: "Rất hài lòng" } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Lowest point.
    pub min: i64,
    /// Highest point.
    pub max: i64,
    /// Labels of some points.
    #[serde(default)]
    pub labels: BTreeMap<i64, String>,
}

/// A condition on an earlier answer: the question is asked only when `question`'s answer is one of `is`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// An earlier question.
    pub question: String,
    /// Option ids (or scale points) any of which makes the condition hold.
    pub is: Vec<String>,
}

/// A question, as written. Which fields apply depends on `type`; the check says which are missing or extra.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSource {
    /// Stable id (`q1`, `q2a`, …).
    pub id: String,
    /// The type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question.
    pub text: String,
    /// A hint under the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Whether an answer is needed when the question is on the respondent's path (default: yes).
    #[serde(default = "yes")]
    pub required: bool,
    /// Ask only when an earlier answer matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Where to go after this question (a question id or `end`); by default the next question in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Options (single, multiple).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Fewest options (multiple).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Most options (multiple) or largest number (number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The scale (rating, matrix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    /// The rows (matrix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Choice>,
    /// Most characters (text, long text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
}

fn yes() -> bool {
    true
}

/// A survey file, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveySource {
    /// Stable id, used in URLs and in the store.
    pub id: String,
    /// Published version; a published version never changes, so a change needs a new number.
    pub version: u32,
    /// Title.
    pub title: String,
    /// Group.
    pub group: Group,
    /// What the survey is about, shown before the first question.
    #[serde(default)]
    pub description: String,
    /// First day responses are accepted.
    pub opens: NaiveDate,
    /// Last day responses are accepted.
    pub closes: NaiveDate,
    /// Who may answer.
    #[serde(default)]
    pub access: Access,
    /// Which units the respondent picks first: `tinh` (a province), `xa` (a province, then one of its communes,
    /// wards or special zones), or the name of another list under `content/data/don-vi/` (`bo-nganh`). Files
    /// written before the commune level say `unit:` with a list's name; it is read the same way.
    #[serde(alias = "unit")]
    pub units: String,
    /// How the unit is asked for (e.g. "Tỉnh, thành phố nơi Ông/Bà thực hiện thủ tục").
    #[serde(default)]
    pub unit_label: Option<String>,
    /// The questions, in order.
    pub questions: Vec<QuestionSource>,
}

/// A unit the respondent may pick, with the days it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Slug of the name.
    pub id: String,
    /// Name.
    pub name: String,
    /// First day it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Last day it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

impl Unit {
    /// Whether the unit exists on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t)
    }
}

/// Where a step leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Next {
    /// The question at this index.
    Question(usize),
    /// The end of the survey.
    End,
}

/// A question's type with what it needs, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuestionKind {
    /// One option; an option may lead elsewhere.
    Single {
        /// Options.
        options: Vec<Choice>,
    },
    /// Between `min` and `max` options.
    Multiple {
        /// Options.
        options: Vec<Choice>,
        /// Fewest.
        min: usize,
        /// Most.
        max: usize,
    },
    /// A point of the scale.
    Rating {
        /// The scale.
        scale: Scale,
    },
    /// A line of text.
    Text {
        /// Most characters.
        max_length: usize,
    },
    /// A paragraph.
    LongText {
        /// Most characters.
        max_length: usize,
    },
    /// A whole number in a range.
    Number {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// Several items on one scale.
    Matrix {
        /// Items.
        items: Vec<Choice>,
        /// The scale.
        scale: Scale,
    },
}

impl QuestionKind {
    /// Counter updates one answer to this question makes at most.
    pub fn counters(&self) -> usize {
        match self {
            QuestionKind::Multiple { max, .. } => *max,
            QuestionKind::Matrix { items, .. } => items.len(),
            _ => 1,
        }
    }
}

/// A checked question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Id.
    pub id: String,
    /// Its number in the file, from 1 ("Câu 3").
    pub number: usize,
    /// The question.
    pub text: String,
    /// A hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Needs an answer when on the path.
    pub required: bool,
    /// Asked only when this holds (index of the earlier question, accepted values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<(usize, Vec<String>)>,
    /// Where to go after it when no option says otherwise.
    pub next: Next,
    /// Type and what it needs.
    pub kind: QuestionKind,
}

/// A survey whose graph was checked: every target exists, there is no cycle, every question is reachable and
/// every path ends. Only `Survey::check` and `Survey::from_published` make one.
// Non-exhaustive: outside this crate a survey cannot be written as a literal, only checked into being.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Survey {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Title.
    pub title: String,
    /// Group.
    pub group: Group,
    /// Description.
    pub description: String,
    /// First day open.
    pub opens: NaiveDate,
    /// Last day open.
    pub closes: NaiveDate,
    /// Who may answer.
    pub access: Access,
    /// Name of the units list.
    pub unit_list: String,
    /// How the unit is asked for.
    pub unit_label: String,
    /// Units that may be picked.
    pub units: Vec<Unit>,
    /// Whether the respondent also picks a commune of the chosen province (`units: xa`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub communes: bool,
    /// The GSO code of each province, by unit id, to find its communes (`units: xa` only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub province_codes: BTreeMap<String, String>,
    /// Questions, in file order.
    pub questions: Vec<Question>,
    /// Option targets, per question and option id (single choice).
    #[serde(default)]
    pub branches: Vec<BTreeMap<String, Next>>,
}

/// A problem with a survey definition, naming the question when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", question.as_deref().map(|q| format!("câu `{q}`: ")).unwrap_or_default())]
pub struct DefinitionError {
    /// The question's id.
    pub question: Option<String>,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

fn error(question: Option<&str>, message: impl Into<String>) -> DefinitionError {
    DefinitionError { question: question.map(str::to_string), message: message.into() }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The word `end` in `next:`.
pub const END: &str = "end";

/// `units: tinh`: a province.
pub const LEVEL_PROVINCE: &str = "tinh";
/// `units: xa`: a province, then one of its communes.
pub const LEVEL_COMMUNE: &str = "xa";

/// The list under `content/data/don-vi/` that `units:` names: `tinh-thanh` for both levels of local
/// government, else the list itself (`bo-nganh`).
pub fn unit_list(units: &str) -> &str {
    match units {
        LEVEL_PROVINCE | LEVEL_COMMUNE => "tinh-thanh",
        list => list,
    }
}

impl Survey {
    /// Checks `source` and resolves its units; returns every problem found, not just the first.
    pub fn check(source: SurveySource, units: Vec<Unit>) -> Result<Survey, Vec<DefinitionError>> {
        Survey::check_with_codes(source, units, BTreeMap::new())
    }

    /// `check`, with the GSO code of each province (by unit id) that a survey asking the commune (`units: xa`)
    /// needs to find a province's communes.
    pub fn check_with_codes(
        source: SurveySource,
        units: Vec<Unit>,
        province_codes: BTreeMap<String, String>,
    ) -> Result<Survey, Vec<DefinitionError>> {
        let mut errors = Vec::new();
        let communes = source.units == LEVEL_COMMUNE;
        if communes && province_codes.is_empty() {
            errors.push(error(None, "`units: xa` cần danh sách tỉnh có mã (`code`) của Tổng cục Thống kê"));
        }
        if !valid_id(&source.id) {
            errors.push(error(None, format!("id `{}` chỉ được gồm chữ thường không dấu, số và `-`", source.id)));
        }
        if source.version == 0 {
            errors.push(error(None, "version bắt đầu từ 1"));
        }
        if source.closes < source.opens {
            errors.push(error(None, format!("closes ({}) trước opens ({})", source.closes, source.opens)));
        }
        if units.is_empty() {
            errors.push(error(None, format!("danh sách đơn vị `{}` trống hoặc không có", source.units)));
        }
        if source.questions.is_empty() {
            errors.push(error(None, "khảo sát cần ít nhất một câu hỏi"));
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, q) in source.questions.iter().enumerate() {
            if !valid_id(&q.id) || q.id == END {
                errors.push(error(
                    Some(&q.id),
                    "id chỉ được gồm chữ thường không dấu, số, `-` và `_` (không phải `end`)",
                ));
            }
            if index.insert(q.id.as_str(), i).is_some() {
                errors.push(error(Some(&q.id), "id bị trùng với một câu khác"));
            }
        }
        let target = |from: &str, name: &str, errors: &mut Vec<DefinitionError>| -> Option<Next> {
            if name == END {
                return Some(Next::End);
            }
            match index.get(name) {
                Some(&i) => Some(Next::Question(i)),
                None => {
                    errors.push(error(Some(from), format!("`next: {name}` trỏ tới câu không có")));
                    None
                }
            }
        };
        let count = source.questions.len();
        let mut questions = Vec::with_capacity(count);
        let mut branches = Vec::with_capacity(count);
        for (i, q) in source.questions.iter().enumerate() {
            let next = match &q.next {
                Some(name) => target(&q.id, name, &mut errors).unwrap_or(Next::End),
                None if i + 1 < count => Next::Question(i + 1),
                None => {
                    errors.push(error(Some(&q.id), "câu cuối cần nói rõ `next: end`"));
                    Next::End
                }
            };
            let mut branch = BTreeMap::new();
            for option in q.options.iter().filter(|o| o.next.is_some()) {
                if q.kind != QuestionType::Single {
                    errors.push(error(Some(&q.id), format!("chỉ câu một lựa chọn mới rẽ nhánh (`{}`)", option.id)));
                } else if let Some(t) = option.next.as_deref().and_then(|n| target(&q.id, n, &mut errors)) {
                    branch.insert(option.id.clone(), t);
                }
            }
            let kind = match kind_of(q) {
                Ok(kind) => kind,
                Err(message) => {
                    errors.push(error(Some(&q.id), message));
                    QuestionKind::Text { max_length: 1 }
                }
            };
            let when = q.when.as_ref().and_then(|c| match index.get(c.question.as_str()) {
                Some(&j) => Some((j, c.is.clone())),
                None => {
                    errors.push(error(Some(&q.id), format!("`when` nhắc đến câu `{}` không có", c.question)));
                    None
                }
            });
            questions.push(Question {
                id: q.id.clone(),
                number: i + 1,
                text: q.text.trim().to_string(),
                help: q.help.clone(),
                required: q.required,
                when,
                next,
                kind,
            });
            branches.push(branch);
        }
        let survey = Survey {
            id: source.id,
            version: source.version,
            title: source.title,
            group: source.group,
            description: source.description,
            opens: source.opens,
            closes: source.closes,
            access: source.access,
            unit_label: source.unit_label.unwrap_or_else(|| "Đơn vị".into()),
            unit_list: unit_list(&source.units).to_string(),
            units,
            communes,
            province_codes: if communes { province_codes } else { BTreeMap::new() },
            questions,
            branches,
        };
        if errors.is_empty() {
            errors.extend(survey.graph_errors());
        }
        if errors.is_empty() { Ok(survey) } else { Err(errors) }
    }

    /// Reads a published definition (JSON written by `cchc sync`) and checks it again.
    pub fn from_published(json: &str) -> Result<Survey, String> {
        let survey: Survey = serde_json::from_str(json).map_err(|e| format!("định nghĩa khảo sát hỏng: {e}"))?;
        let errors = survey.graph_errors();
        if errors.is_empty() {
            Ok(survey)
        } else {
            Err(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        }
    }

    /// The published form: canonical JSON.
    pub fn to_published(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("a survey serialises"))
    }

    /// SHA-256 of the published form, hex: the same definition always has the same hash.
    pub fn content_hash(&self) -> String {
        crate::hash::sha256_hex(self.to_published())
    }

    /// Where question `i` leads when its answer is `option` (or unanswered).
    pub fn next_after(&self, i: usize, option: Option<&str>) -> Next {
        option.and_then(|o| self.branches.get(i).and_then(|b| b.get(o)).copied()).unwrap_or(self.questions[i].next)
    }

    /// Every step a question may lead to. The default `next` counts unless every answer leaves by an option's
    /// own target (a required single choice whose options all say where to go).
    fn successors(&self, i: usize) -> impl Iterator<Item = Next> + '_ {
        let q = &self.questions[i];
        let branches = self.branches.get(i);
        let all_branch = match &q.kind {
            QuestionKind::Single { options } => {
                q.required && q.when.is_none() && branches.is_some_and(|b| b.len() == options.len())
            }
            _ => false,
        };
        (!all_branch).then_some(q.next).into_iter().chain(branches.into_iter().flat_map(|b| b.values().copied()))
    }

    /// The questions a question may lead to (the end left out).
    fn following(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.successors(i).filter_map(|n| match n {
            Next::Question(j) => Some(j),
            Next::End => None,
        })
    }

    fn graph_errors(&self) -> Vec<DefinitionError> {
        let mut errors = Vec::new();
        let count = self.questions.len();
        if self.branches.len() != count {
            return vec![error(None, "nhánh không khớp với câu hỏi")];
        }
        for (i, q) in self.questions.iter().enumerate() {
            for next in self.successors(i) {
                if let Next::Question(j) = next
                    && j >= count
                {
                    errors.push(error(Some(&q.id), "trỏ tới câu không có"));
                }
            }
        }
        if !errors.is_empty() {
            return errors;
        }
        // Cycles: depth-first search with colours.
        let mut state = vec![0u8; count];
        let mut reported = HashSet::new();
        for start in 0..count {
            self.visit(start, &mut state, &mut Vec::new(), &mut errors, &mut reported);
        }
        if !errors.is_empty() {
            return errors;
        }
        // Reachability from the first question.
        let mut reached = vec![false; count];
        let mut stack = vec![0];
        while let Some(i) = stack.pop() {
            if count == 0 || reached[i] {
                continue;
            }
            reached[i] = true;
            stack.extend(self.following(i));
        }
        for (i, q) in self.questions.iter().enumerate() {
            if !reached[i] {
                errors.push(error(Some(&q.id), "không câu nào dẫn tới câu này (không bao giờ được hỏi)"));
            }
        }
        // Conditions must look back: the question they name must be able to come before.
        for (i, q) in self.questions.iter().enumerate() {
            if let Some((j, values)) = &q.when {
                let before = &self.questions[*j];
                if !self.leads_to(*j, i) {
                    errors.push(error(
                        Some(&q.id),
                        format!("`when` nhắc đến câu `{}`, câu không đứng trước câu này", before.id),
                    ));
                }
                for v in values {
                    if !accepts_value(&before.kind, v) {
                        errors.push(error(Some(&q.id), format!("`when`: câu `{}` không có lựa chọn `{v}`", before.id)));
                    }
                }
            }
        }
        let counters: usize = self.questions.iter().map(|q| q.kind.counters()).sum();
        if counters > MAX_COUNTERS {
            errors.push(error(
                None,
                format!(
                    "một lượt trả lời cập nhật tới {counters} bộ đếm cho mỗi đơn vị, quá {MAX_COUNTERS}; tách khảo sát"
                ),
            ));
        }
        errors
    }

    fn visit(
        &self,
        i: usize,
        state: &mut [u8],
        trail: &mut Vec<usize>,
        errors: &mut Vec<DefinitionError>,
        reported: &mut HashSet<usize>,
    ) {
        match state[i] {
            2 => return,
            1 => {
                if reported.insert(i) {
                    let from = trail.iter().position(|&t| t == i).unwrap_or(0);
                    let cycle: Vec<&str> =
                        trail[from..].iter().chain([&i]).map(|&t| self.questions[t].id.as_str()).collect();
                    errors.push(error(Some(&self.questions[i].id), format!("vòng lặp: {}", cycle.join(" → "))));
                }
                return;
            }
            _ => {}
        }
        state[i] = 1;
        trail.push(i);
        let next: Vec<usize> = self.following(i).collect();
        for j in next {
            self.visit(j, state, trail, errors, reported);
        }
        trail.pop();
        state[i] = 2;
    }

    /// Whether some path goes from question `from` to question `to`.
    fn leads_to(&self, from: usize, to: usize) -> bool {
        let mut seen = vec![false; self.questions.len()];
        let mut stack: Vec<usize> = self.following(from).collect();
        while let Some(i) = stack.pop() {
            if i == to {
                return true;
            }
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            stack.extend(self.following(i));
        }
        false
    }

    /// Index of a question by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }

    /// Questions that every respondent meets whatever they answer.
    pub fn always_asked(&self) -> Vec<bool> {
        // A question is always asked when it has no condition and every path from the start passes it.
        let count = self.questions.len();
        (0..count).map(|target| self.questions[target].when.is_none() && !self.path_avoiding(target)).collect()
    }

    /// Whether some path from the start reaches the end without passing `avoid`.
    fn path_avoiding(&self, avoid: usize) -> bool {
        if avoid == 0 {
            return false;
        }
        let mut seen = vec![false; self.questions.len()];
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            if i == avoid || std::mem::replace(&mut seen[i], true) {
                continue;
            }
            for n in self.successors(i) {
                match n {
                    Next::End => return true,
                    Next::Question(j) => stack.push(j),
                }
            }
        }
        false
    }

    /// Where the response window stands on `day`.
    pub fn window(&self, day: NaiveDate) -> crate::domain::Window {
        crate::domain::Window::on(day, self.opens, self.closes)
    }
}

/// Whether `value` names an option or a point of the question's scale.
fn accepts_value(kind: &QuestionKind, value: &str) -> bool {
    match kind {
        QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
            options.iter().any(|o| o.id == value)
        }
        QuestionKind::Rating { scale } => value.parse::<i64>().is_ok_and(|v| (scale.min..=scale.max).contains(&v)),
        _ => false,
    }
}

fn check_options(options: &[Choice], what: &str) -> Result<(), String> {
    if options.len() < 2 {
        return Err(format!("cần ít nhất hai {what}"));
    }
    let mut seen = HashSet::new();
    for o in options {
        if !valid_id(&o.id) {
            return Err(format!("id `{}` chỉ được gồm chữ thường không dấu, số, `-` và `_`", o.id));
        }
        if !seen.insert(o.id.as_str()) {
            return Err(format!("{what} `{}` bị trùng", o.id));
        }
        if o.label.trim().is_empty() {
            return Err(format!("{what} `{}` thiếu nhãn", o.id));
        }
    }
    Ok(())
}

fn check_scale(scale: &Scale) -> Result<(), String> {
    if scale.max <= scale.min || scale.max - scale.min > 10 {
        return Err(format!("thang điểm {}–{} không hợp lệ (2 đến 11 mức)", scale.min, scale.max));
    }
    if let Some(point) = scale.labels.keys().find(|p| !(scale.min..=scale.max).contains(p)) {
        return Err(format!("nhãn cho mức {point} nằm ngoài thang điểm"));
    }
    Ok(())
}

/// The checked kind of a question, or what is missing or extra for its type.
fn kind_of(q: &QuestionSource) -> Result<QuestionKind, String> {
    let t = q.kind;
    let used = |present: bool, field: &str, allowed: &[QuestionType]| -> Result<(), String> {
        if present && !allowed.contains(&t) {
            return Err(format!("`{field}` không dùng cho loại câu này"));
        }
        Ok(())
    };
    use QuestionType as T;
    used(!q.options.is_empty(), "options", &[T::Single, T::Multiple])?;
    used(!q.items.is_empty(), "items", &[T::Matrix])?;
    used(q.scale.is_some(), "scale", &[T::Rating, T::Matrix])?;
    used(q.min.is_some(), "min", &[T::Multiple, T::Number])?;
    used(q.max.is_some(), "max", &[T::Multiple, T::Number])?;
    used(q.max_length.is_some(), "max_length", &[T::Text, T::LongText])?;
    let need_scale = || q.scale.clone().ok_or_else(|| "thiếu `scale`".to_string());
    Ok(match t {
        T::Single => {
            check_options(&q.options, "lựa chọn")?;
            QuestionKind::Single { options: q.options.clone() }
        }
        T::Multiple => {
            check_options(&q.options, "lựa chọn")?;
            let min = usize::try_from(q.min.unwrap_or(i64::from(q.required))).map_err(|_| "`min` âm".to_string())?;
            let max = usize::try_from(q.max.unwrap_or(q.options.len() as i64)).map_err(|_| "`max` âm".to_string())?;
            if max == 0 || min > max || max > q.options.len() {
                return Err(format!("`min` {min}, `max` {max} không hợp với {} lựa chọn", q.options.len()));
            }
            QuestionKind::Multiple { options: q.options.clone(), min, max }
        }
        T::Rating => {
            let scale = need_scale()?;
            check_scale(&scale)?;
            QuestionKind::Rating { scale }
        }
        T::Matrix => {
            let scale = need_scale()?;
            check_scale(&scale)?;
            check_options(&q.items, "mục")?;
            QuestionKind::Matrix { items: q.items.clone(), scale }
        }
        T::Text | T::LongText => {
            let limit = if t == T::Text { 500 } else { 5000 };
            let max_length = q.max_length.unwrap_or(if t == T::Text { 200 } else { 2000 });
            if max_length == 0 || max_length > limit {
                return Err(format!("`max_length` từ 1 đến {limit}"));
            }
            if t == T::Text { QuestionKind::Text { max_length } } else { QuestionKind::LongText { max_length } }
        }
        T::Number => {
            let (min, max) = (q.min.unwrap_or(0), q.max.unwrap_or(i64::from(u32::MAX)));
            if min > max {
                return Err(format!("`min` {min} lớn hơn `max` {max}"));
            }
            QuestionKind::Number { min, max }
        }
    })
}
