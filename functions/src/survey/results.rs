//! A survey version's results: the stored counters summed per question and per unit. Served by the API and
//! written into the results pages by `cchc sync`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{RESPONSES, Survey};

/// The aggregates of a survey version, for one unit or all.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Results {
    /// Survey id.
    pub survey: String,
    /// Version counted.
    pub version: u32,
    /// The unit asked for, if any.
    pub unit: Option<String>,
    /// Responses counted.
    pub responses: u64,
    /// Responses per unit (all units when none was asked for).
    pub units: BTreeMap<String, u64>,
    /// Per question (a matrix row is `question.item`): option or point → count.
    pub questions: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Results {
    /// Sums the stored counters (`{unit}#{question}#{option}`) for `unit`, or across units.
    pub fn from_counts(survey: &Survey, counts: &BTreeMap<String, u64>, unit: Option<&str>) -> Self {
        let mut results = Results {
            survey: survey.id.clone(),
            version: survey.version,
            unit: unit.map(str::to_string),
            responses: 0,
            units: BTreeMap::new(),
            questions: BTreeMap::new(),
        };
        for (key, &count) in counts {
            let Some((u, rest)) = key.split_once('#') else { continue };
            if unit.is_some_and(|wanted| wanted != u) {
                continue;
            }
            if rest == RESPONSES {
                results.responses += count;
                *results.units.entry(u.to_string()).or_default() += count;
                continue;
            }
            if let Some((question, option)) = rest.split_once('#') {
                *results.questions.entry(question.to_string()).or_default().entry(option.to_string()).or_default() +=
                    count;
            }
        }
        results
    }
}
