//! A response checked against the exact published version: the unit exists on the day, each answer has its
//! question's type, required answers are there, and no answer sits off the respondent's own path.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::communes::Communes;
use super::definition::{Next, QuestionKind, Scale, Survey};
use crate::domain::{FieldError, clean};

/// Answers as sent: field name → values. A matrix row is `question.item`; several options repeat the name.
pub type RawAnswers = BTreeMap<String, Vec<String>>;

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// A scale point or a number.
    Number(i64),
    /// One option, or text.
    One(String),
    /// Several options.
    Many(Vec<String>),
    /// A point per matrix item.
    Rows(BTreeMap<String, i64>),
}

/// A response that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The unit picked (for `units: xa`, the province).
    pub unit: String,
    /// The commune picked (its GSO code), when the survey asks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    /// Answers, by question id.
    pub answers: BTreeMap<String, Answer>,
    /// The questions the respondent met, in order.
    pub path: Vec<String>,
}

/// A stored response, as the export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Id (time-ordered).
    pub id: ulid::Ulid,
    /// When it was received.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Version of the survey it answered.
    pub version: u32,
    /// The checked response.
    pub response: Response,
}

/// The counter every response adds one to, per scope (`{scope}#_#n`).
pub const RESPONSES: &str = "_#n";
/// Prefix of the counters of responses per unit one level down (`{scope}#_u#{unit}`): under [`ALL`], per unit
/// picked (province, ministry); under a province, per commune.
pub const PER_UNIT: &str = "_u#";
/// The scope of the whole survey, every unit together. Unit ids are slugs and commune ids GSO codes: neither can
/// be `*`.
pub const ALL: &str = "*";

impl Response {
    /// The scopes this response is counted in, widest first: [`ALL`], its unit, and its commune if it has one.
    pub fn scopes(&self) -> Vec<&str> {
        let mut scopes = vec![ALL, self.unit.as_str()];
        scopes.extend(self.commune.as_deref());
        scopes
    }

    /// Counter keys this response adds one to, in a fixed order (the aggregator cuts them into chunks and must
    /// cut them the same way every time it meets the response). In each scope of [`Response::scopes`]:
    /// `{scope}#_#n`, `{scope}#_u#{next scope}` (all but the narrowest), and `{scope}#{question}#{option or
    /// point}` (a matrix row is `{question}.{item}`; text and numbers count as `{question}#_`).
    pub fn counters(&self, survey: &Survey) -> Vec<String> {
        let mut answers = Vec::new();
        for q in &survey.questions {
            let Some(answer) = self.answers.get(&q.id) else { continue };
            let id = &q.id;
            match (&q.kind, answer) {
                (QuestionKind::Text { .. } | QuestionKind::LongText { .. } | QuestionKind::Number { .. }, _) => {
                    answers.push(format!("{id}#_"))
                }
                (_, Answer::One(option)) => answers.push(format!("{id}#{option}")),
                (_, Answer::Number(point)) => answers.push(format!("{id}#{point}")),
                (_, Answer::Many(options)) => answers.extend(options.iter().map(|o| format!("{id}#{o}"))),
                (_, Answer::Rows(rows)) => answers.extend(rows.iter().map(|(item, p)| format!("{id}.{item}#{p}"))),
            }
        }
        let scopes = self.scopes();
        let mut keys = Vec::with_capacity(scopes.len() * (answers.len() + 2));
        for (i, scope) in scopes.iter().enumerate() {
            keys.push(format!("{scope}#{RESPONSES}"));
            if let Some(next) = scopes.get(i + 1) {
                keys.push(format!("{scope}#{PER_UNIT}{next}"));
            }
            keys.extend(answers.iter().map(|a| format!("{scope}#{a}")));
        }
        keys
    }
}

/// One sent field of a question: the matrix item it names, if any, and its non-blank values.
type Field<'a> = (Option<&'a str>, Vec<&'a str>);

fn invalid(field: &'static str, message: String) -> FieldError {
    FieldError::new(field, message)
}

fn point(raw: &str, scale: &Scale) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|p| (scale.min..=scale.max).contains(p))
}

impl Survey {
    /// Label for a question in messages: "Câu 3".
    fn label(&self, i: usize) -> String {
        format!("Câu {}", self.questions[i].number)
    }

    /// Checks a response sent on `day` for `unit` (a survey that asks the commune needs `validate_at`).
    pub fn validate(&self, unit: &str, raw: &RawAnswers, day: NaiveDate) -> Result<Response, Vec<FieldError>> {
        self.validate_at(unit, None, raw, day)
    }

    /// The commune `code` of province `unit` on `day`, or why not (in Vietnamese, for the `commune` field).
    pub fn commune_of(&self, unit: &str, code: Option<&str>, day: NaiveDate) -> Result<Option<String>, String> {
        match (self.communes, code.map(str::trim).filter(|c| !c.is_empty())) {
            (false, None) => Ok(None),
            (false, Some(_)) => Err("khảo sát này không hỏi xã, phường".into()),
            (true, None) => Err("Chọn xã, phường, đặc khu trong danh sách của tỉnh, thành phố đã chọn".into()),
            (true, Some(code)) => {
                let Some(commune) = Communes::embedded().get(code) else {
                    return Err(format!("không có xã, phường, đặc khu mã `{code}`"));
                };
                if self.province_codes.get(unit) != Some(&commune.parent) {
                    return Err(format!("{} không thuộc tỉnh, thành phố đã chọn", commune.name));
                }
                if !commune.valid_on(day) {
                    return Err(format!(
                        "{} không còn (hoặc chưa) là đơn vị hành chính vào ngày {}",
                        commune.name,
                        day.format(crate::time::DATE_VI)
                    ));
                }
                Ok(Some(commune.code.clone()))
            }
        }
    }

    /// Checks a response sent on `day` for `unit` and, when the survey asks it, the commune `commune`.
    pub fn validate_at(
        &self,
        unit: &str,
        commune: Option<&str>,
        raw: &RawAnswers,
        day: NaiveDate,
    ) -> Result<Response, Vec<FieldError>> {
        let mut errors = Vec::new();
        let province_ok = self.units.iter().any(|u| u.id == unit && u.valid_on(day));
        if !province_ok {
            errors.push(invalid("unit", format!("{}: chọn một đơn vị trong danh sách", self.unit_label)));
        }
        let commune = match self.commune_of(unit, commune, day) {
            Ok(commune) => commune,
            Err(message) => {
                if province_ok {
                    errors.push(invalid("commune", message));
                }
                None
            }
        };
        // Group the fields by question.
        let mut sent: BTreeMap<usize, Vec<Field<'_>>> = BTreeMap::new();
        for (field, values) in raw {
            let values: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
            if values.is_empty() {
                continue;
            }
            let (id, item) = match field.split_once('.') {
                Some((id, item)) => (id, Some(item)),
                None => (field.as_str(), None),
            };
            match self.index_of(id) {
                Some(i) => sent.entry(i).or_default().push((item, values)),
                None => errors.push(invalid("answers", format!("khảo sát không có câu `{id}`"))),
            }
        }
        let mut answers: BTreeMap<usize, Answer> = BTreeMap::new();
        for (&i, fields) in &sent {
            match self.parse_answer(i, fields) {
                Ok(answer) => {
                    answers.insert(i, answer);
                }
                Err(message) => errors.push(invalid("answers", format!("{}: {message}", self.label(i)))),
            }
        }
        // Walk the respondent's own path.
        let mut path = Vec::new();
        let mut at = Next::Question(0);
        let mut steps = 0;
        while let Next::Question(i) = at {
            steps += 1;
            if steps > self.questions.len() {
                break; // unreachable for a checked survey (no cycles)
            }
            let q = &self.questions[i];
            if let Some((j, values)) = &q.when
                && !holds(answers.get(j), values)
            {
                at = q.next;
                continue;
            }
            path.push(i);
            let answer = answers.get(&i);
            if answer.is_none() && q.required {
                errors.push(invalid("answers", format!("{}: cần trả lời câu này", self.label(i))));
            }
            let option = match answer {
                Some(Answer::One(o)) if matches!(q.kind, QuestionKind::Single { .. }) => Some(o.as_str()),
                _ => None,
            };
            at = self.next_after(i, option);
        }
        for &i in answers.keys() {
            if !path.contains(&i) {
                errors.push(invalid(
                    "answers",
                    format!(
                        "{} (`{}`) không thuộc lượt trả lời này: theo các câu trả lời trước, câu này được bỏ qua",
                        self.label(i),
                        self.questions[i].id
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Response {
            unit: unit.to_string(),
            commune,
            answers: answers.into_iter().map(|(i, a)| (self.questions[i].id.clone(), a)).collect(),
            path: path.into_iter().map(|i| self.questions[i].id.clone()).collect(),
        })
    }

    fn parse_answer(&self, i: usize, fields: &[Field<'_>]) -> Result<Answer, String> {
        let q = &self.questions[i];
        let single = || -> Result<&str, String> {
            match fields {
                [(None, values)] if values.len() == 1 => Ok(values[0]),
                _ => Err("chỉ được một câu trả lời".into()),
            }
        };
        match &q.kind {
            QuestionKind::Single { options } => {
                let v = single()?;
                options
                    .iter()
                    .find(|o| o.id == v)
                    .map(|o| Answer::One(o.id.clone()))
                    .ok_or_else(|| format!("không có lựa chọn `{v}`"))
            }
            QuestionKind::Multiple { options, min, max } => {
                let [(None, values)] = fields else { return Err("câu trả lời không đúng dạng".into()) };
                let mut chosen: Vec<String> = Vec::new();
                for o in options {
                    if values.contains(&o.id.as_str()) {
                        chosen.push(o.id.clone());
                    }
                }
                if let Some(v) = values.iter().find(|v| !options.iter().any(|o| o.id == **v)) {
                    return Err(format!("không có lựa chọn `{v}`"));
                }
                if chosen.len() != values.len() {
                    return Err("một lựa chọn bị gửi hai lần".into());
                }
                if chosen.len() < *min || chosen.len() > *max {
                    return Err(format!("chọn từ {min} đến {max} phương án (đã chọn {})", chosen.len()));
                }
                Ok(Answer::Many(chosen))
            }
            QuestionKind::Rating { scale } => {
                let v = single()?;
                point(v, scale)
                    .map(Answer::Number)
                    .ok_or_else(|| format!("chọn một mức từ {} đến {}", scale.min, scale.max))
            }
            QuestionKind::Text { max_length } | QuestionKind::LongText { max_length } => {
                let text = clean(single()?);
                let length = text.chars().count();
                if length > *max_length {
                    return Err(format!("không được dài quá {max_length} ký tự (hiện có {length})"));
                }
                Ok(Answer::One(text))
            }
            QuestionKind::Number { min, max } => {
                let v = single()?;
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (min..=max).contains(&n))
                    .map(Answer::Number)
                    .ok_or_else(|| format!("nhập một số nguyên từ {min} đến {max}"))
            }
            QuestionKind::Matrix { items, scale } => {
                let mut rows = BTreeMap::new();
                for (item, values) in fields {
                    let Some(item) = item.filter(|it| items.iter().any(|x| x.id == *it)) else {
                        return Err(format!("không có mục `{}`", item.unwrap_or("")));
                    };
                    let [v] = values.as_slice() else {
                        return Err(format!("mục `{item}`: chỉ được một mức"));
                    };
                    let p = point(v, scale)
                        .ok_or_else(|| format!("mục `{item}`: chọn một mức từ {} đến {}", scale.min, scale.max))?;
                    rows.insert(item.to_string(), p);
                }
                if q.required && rows.len() < items.len() {
                    let missing: Vec<&str> =
                        items.iter().filter(|x| !rows.contains_key(&x.id)).map(|x| x.label.as_str()).collect();
                    return Err(format!("cần đánh giá cả: {}", missing.join("; ")));
                }
                Ok(Answer::Rows(rows))
            }
        }
    }
}

/// Whether an earlier answer satisfies a condition.
pub(super) fn holds(answer: Option<&Answer>, values: &[String]) -> bool {
    match answer {
        Some(Answer::One(o)) => values.contains(o),
        Some(Answer::Many(os)) => os.iter().any(|o| values.contains(o)),
        Some(Answer::Number(p)) => values.contains(&p.to_string()),
        _ => false,
    }
}
