//! The survey response validator: any answers (read as a form body) give a response or field errors, never a
//! panic.
#![no_main]

use std::sync::OnceLock;

use cchc_functions::http::Submission;
use cchc_functions::survey::{RawAnswers, Survey, SurveySource, Unit};
use libfuzzer_sys::fuzz_target;

const SURVEY: &str = include_str!("../../functions/tests/fixtures/survey.yaml");

fn survey() -> &'static Survey {
    static SURVEY_CHECKED: OnceLock<Survey> = OnceLock::new();
    SURVEY_CHECKED.get_or_init(|| {
        let yaml = format!("id: khao-sat-thu\naccess: public\nopens: 2020-01-01\ncloses: 2099-12-31\n{SURVEY}");
        let source: SurveySource = serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("fixture: {e}"));
        let units = vec![Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None }];
        Survey::check(source, units).unwrap_or_else(|e| panic!("fixture: {e:?}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(submission) = Submission::from_form(data) else { return };
    let mut raw = RawAnswers::new();
    for (name, value) in &submission.values {
        raw.entry(name.clone()).or_default().push(value.clone());
    }
    let unit = submission.get("unit").unwrap_or_default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let _ = survey().validate(unit, &raw, today);
});
