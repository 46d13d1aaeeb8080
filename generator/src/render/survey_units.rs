//! The commune step of surveys that ask it (`units: xa`): one small JSON file per province for the runner's
//! dependent list (`/khao-sat/xa-phuong/<province>.json`, loaded only for the province chosen), and, for readers
//! without JavaScript, one page per province (`<survey page>/tinh/<province>/`) whose form lists that province's
//! communes. Pre-rendered, not served by a function: the pages are static, cacheable at the CDN, cost nothing to
//! serve, and only two surveys ask the commune (34 pages each).

use std::collections::BTreeMap;

use cchc_functions::survey::{Communes, Survey};
use serde::Serialize;

use crate::content::survey_files;
use crate::site::{PageId, Site};

/// Where the runner finds a province's communes.
pub const JSON_DIR: &str = "khao-sat/xa-phuong";

/// A commune for the templates and the runner.
#[derive(Debug, Serialize)]
pub struct CommuneView {
    /// GSO code: what the form sends.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A province with its communes in force on the day of the build.
#[derive(Debug, Serialize)]
pub struct ProvinceView {
    /// Unit id (`tinh-thanh-hoa`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Its communes.
    pub communes: Vec<CommuneView>,
}

/// The survey a page runs, when that survey asks the commune and the page is its runner.
pub fn commune_survey(site: &Site, page: PageId) -> Option<&Survey> {
    let meta = &site.pages[page].meta;
    if meta.template.as_deref() != Some("survey.html") {
        return None;
    }
    let survey = &site.surveys.get(meta.survey.as_deref()?)?.survey;
    survey.communes.then_some(survey)
}

/// The provinces of a survey that asks the commune, in the order of `province_codes` (the order of the jobs).
pub fn provinces(survey: &Survey) -> impl Iterator<Item = (&String, &String)> {
    survey.province_codes.iter()
}

/// The name of province `id` (its latest entry: a province kept its name through the 2025 merger).
fn name_of<'a>(survey: &'a Survey, id: &'a str) -> &'a str {
    survey.units.iter().rev().find(|u| u.id == id).map_or(id, |u| u.name.as_str())
}

/// Province `index` of `survey` with its communes on `day`.
pub fn province(survey: &Survey, communes: &Communes, index: usize, day: chrono::NaiveDate) -> Option<ProvinceView> {
    let (id, code) = provinces(survey).nth(index)?;
    Some(ProvinceView {
        id: id.clone(),
        name: name_of(survey, id).to_string(),
        communes: communes.of(code, day).map(|c| CommuneView { code: c.code.clone(), name: c.name.clone() }).collect(),
    })
}

/// The runner's files: `<JSON_DIR>/<province id>.json`, each `[[code, name], …]` of the communes in force on
/// `day`, for every province with a GSO code in `content/data/don-vi/tinh-thanh.yaml`. Nothing when the site has
/// no commune list.
pub fn json_files(site: &Site, day: chrono::NaiveDate) -> Vec<(String, Vec<u8>)> {
    let Ok(communes) = survey_files::communes(&site.data) else { return Vec::new() };
    let Some(units) = site.data.get("don-vi/tinh-thanh").and_then(|v| v.get("units")).and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    let mut codes = BTreeMap::new();
    for u in units {
        if let (Some(name), Some(code)) =
            (u.get("name").and_then(|n| n.as_str()), u.get("code").and_then(|c| c.as_str()))
        {
            codes.insert(crate::content::slug::slugify(name), code.to_string());
        }
    }
    codes
        .iter()
        .map(|(id, code)| {
            let rows: Vec<[&str; 2]> = communes.of(code, day).map(|c| [c.code.as_str(), c.name.as_str()]).collect();
            let json = serde_json::to_vec(&rows).unwrap_or_default();
            (format!("{JSON_DIR}/{id}.json"), json)
        })
        .collect()
}
