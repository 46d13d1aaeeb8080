//! Making access codes for restricted surveys, shared by `cchc codes generate` and the back office: a code is
//! shown once to the person who hands it out, and only its keyed hash (`secrets::access_code_hash`) is stored.

use std::collections::HashSet;

use crate::secrets::access_code_hash;
use crate::survey::{Survey, Unit};

/// A one-time code: 10 characters of Crockford's base32 (50 random bits from the thread's CSPRNG), shown as
/// `XXXXX-XXXXX`. Typed back in any case, with or without the dash.
pub fn new_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits = ulid::Ulid::new().random();
    let mut code = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[(bits & 31) as usize]));
        bits >>= 5;
    }
    code
}

/// `count` distinct new codes.
pub fn new_codes(count: usize) -> Vec<String> {
    let mut codes = Vec::with_capacity(count);
    let mut seen = HashSet::with_capacity(count);
    while codes.len() < count {
        let code = new_code();
        if seen.insert(code.clone()) {
            codes.push(code);
        }
    }
    codes
}

/// What the store keeps for `codes` of `survey`, under the server's code key.
pub fn hashes(key: &[u8], survey: &str, codes: &[String]) -> Vec<String> {
    codes.iter().map(|code| access_code_hash(key, survey, code)).collect()
}

/// The unit `unit` names in the survey's list, if it exists at some time the survey is open; else why not, in
/// Vietnamese, naming the units codes can be made for.
pub fn check_unit<'a>(survey: &'a Survey, unit: &str) -> Result<&'a Unit, String> {
    let open = |u: &Unit| u.from.is_none_or(|f| f <= survey.closes) && u.to.is_none_or(|t| survey.opens <= t);
    if let Some(found) = survey.units.iter().find(|u| u.id == unit && open(u)) {
        return Ok(found);
    }
    let known: Vec<String> =
        survey.units.iter().filter(|u| open(u)).map(|u| format!("{} ({})", u.id, u.name)).collect();
    Err(format!(
        "khảo sát `{}` không có đơn vị `{unit}` trong danh sách {}; các đơn vị có thể cấp mã: {}",
        survey.id,
        survey.unit_list,
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::SurveySource;

    fn survey() -> Survey {
        let yaml = format!(
            "id: khao-sat-ma\naccess: code\nopens: 2026-06-01\ncloses: 2026-06-30\n{}",
            include_str!("../tests/fixtures/survey.yaml")
        );
        let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 6, d);
        let units = vec![
            Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None },
            Unit {
                id: "tinh-cu".into(),
                name: "Tỉnh cũ".into(),
                from: None,
                to: day(1).map(|d| d.pred_opt().unwrap_or(d)),
            },
        ];
        Survey::check(source, units).expect("valid survey")
    }

    #[test]
    fn codes_are_distinct_and_typed_as_shown() {
        let codes = new_codes(500);
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), 500);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
        let hashed = hashes(b"khoa", "khao-sat-ma", &codes[..1]);
        assert_eq!(hashed, [access_code_hash(b"khoa", "khao-sat-ma", &codes[0].to_lowercase())]);
    }

    #[test]
    fn codes_are_made_only_for_a_unit_of_the_survey_while_it_is_open() {
        let s = survey();
        assert_eq!(check_unit(&s, "tinh-a").map(|u| u.name.as_str()), Ok("Tỉnh A"));
        let unknown = check_unit(&s, "tinh-b").expect_err("not in the list");
        assert!(unknown.contains("`tinh-b`") && unknown.contains("tinh-a (Tỉnh A)"), "{unknown}");
        let gone = check_unit(&s, "tinh-cu").expect_err("gone before the survey opens");
        assert!(!gone.contains("tinh-cu ("), "a unit gone is not offered: {gone}");
    }
}
