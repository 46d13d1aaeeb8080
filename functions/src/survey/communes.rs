//! The communes, wards and special zones (the second level of local government since 1 July 2025), from
//! `content/data/don-vi/xa-phuong.csv` (written by `tools/don-vi.py` from the General Statistics Office list).
//!
//! The functions embed the file at compile time instead of carrying the communes in each published survey: 3,321
//! rows would make a definition of some 300 KB (DynamoDB holds 400 KB an item, and the definition is read on
//! every cold start), while the list is national reference data that changes only by decree, with dated rows
//! (`from`, `to`) that are never deleted. A new list is a deploy, which the publish workflow does anyway.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::Deserialize;

/// The list as committed.
pub const CSV: &str = include_str!("../../../content/data/don-vi/xa-phuong.csv");

/// A commune, ward or special zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Commune {
    /// GSO code, five digits; also its id in responses and URLs (names repeat across provinces).
    pub code: String,
    /// Name ("Phường Hạc Thành").
    pub name: String,
    /// `xa`, `phuong` or `dac-khu`.
    pub kind: String,
    /// GSO code of its province (two digits).
    pub parent: String,
    /// First day it exists.
    #[serde(default, deserialize_with = "date")]
    pub from: Option<NaiveDate>,
    /// Last day it exists.
    #[serde(default, deserialize_with = "date")]
    pub to: Option<NaiveDate>,
}

fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map(Some).map_err(serde::de::Error::custom)
}

impl Commune {
    /// Whether it exists on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t)
    }
}

/// Every commune, with a lookup by code.
#[derive(Debug, Default)]
pub struct Communes {
    list: Vec<Commune>,
    by_code: HashMap<String, usize>,
}

impl Communes {
    /// Reads the CSV (header `code,name,kind,parent,from,to`); a bad row or a repeated code is an error naming
    /// its line.
    pub fn parse(text: &str) -> Result<Communes, String> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut communes = Communes::default();
        for (i, row) in reader.deserialize::<Commune>().enumerate() {
            let line = i + 2;
            let commune = row.map_err(|e| format!("xa-phuong.csv dòng {line}: {e}"))?;
            if commune.code.len() != 5 || !commune.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("xa-phuong.csv dòng {line}: mã `{}` phải gồm 5 chữ số", commune.code));
            }
            if communes.by_code.insert(commune.code.clone(), communes.list.len()).is_some() {
                return Err(format!("xa-phuong.csv dòng {line}: mã `{}` bị trùng", commune.code));
            }
            communes.list.push(commune);
        }
        Ok(communes)
    }

    /// The embedded list, read once per process. The file is checked by this crate's tests, so a broken one
    /// never ships; should it anyway, the list is empty and every commune is refused (no panic on a request).
    pub fn embedded() -> &'static Communes {
        static LIST: OnceLock<Communes> = OnceLock::new();
        LIST.get_or_init(|| {
            Communes::parse(CSV).unwrap_or_else(|e| {
                tracing::error!(error = %e, "embedded commune list unreadable");
                Communes::default()
            })
        })
    }

    /// The commune with this code.
    pub fn get(&self, code: &str) -> Option<&Commune> {
        self.by_code.get(code).map(|&i| &self.list[i])
    }

    /// Every commune, in code order.
    pub fn all(&self) -> &[Commune] {
        &self.list
    }

    /// The communes of the province with GSO code `parent` that exist on `day`.
    pub fn of(&self, parent: &str, day: NaiveDate) -> impl Iterator<Item = &Commune> {
        self.list.iter().filter(move |c| c.parent == parent && c.valid_on(day))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    /// The province list next to the communes, as the generator reads it.
    fn provinces() -> Vec<serde_json::Value> {
        let text = include_str!("../../../content/data/don-vi/tinh-thanh.yaml");
        let file: serde_json::Value = serde_yaml::from_str(text).expect("tinh-thanh.yaml parses");
        file["units"].as_array().expect("units").clone()
    }

    #[test]
    fn the_2025_list_has_34_provinces_and_3321_communes_with_unique_codes_and_existing_parents() {
        let day = NaiveDate::from_ymd_opt(2025, 7, 1).expect("date");
        let provinces: Vec<serde_json::Value> =
            provinces().into_iter().filter(|p| p["from"].as_str() == Some("2025-07-01") && p["to"].is_null()).collect();
        assert_eq!(provinces.len(), 34);
        let codes: HashSet<&str> = provinces.iter().filter_map(|p| p["code"].as_str()).collect();
        assert_eq!(codes.len(), 34, "every province has its own code");
        let communes = Communes::parse(CSV).expect("the committed list parses");
        assert_eq!(communes.all().len(), 3321);
        assert_eq!(communes.all().iter().filter(|c| c.valid_on(day)).count(), 3321);
        assert_eq!(communes.all().iter().map(|c| &c.code).collect::<HashSet<_>>().len(), 3321, "unique codes");
        let orphans: Vec<&str> =
            communes.all().iter().filter(|c| !codes.contains(c.parent.as_str())).map(|c| c.code.as_str()).collect();
        assert!(orphans.is_empty(), "communes whose province is not in tinh-thanh.yaml: {orphans:?}");
        let mut per_province: HashMap<&str, usize> = HashMap::new();
        for c in communes.all() {
            *per_province.entry(c.parent.as_str()).or_default() += 1;
        }
        assert_eq!(per_province.len(), 34, "every province has communes");
        let thanh_hoa = communes.of("38", day).map(|c| c.name.as_str()).collect::<Vec<_>>();
        assert!(thanh_hoa.contains(&"Phường Hạc Thành"), "{thanh_hoa:?}");
        assert!(communes.all().iter().all(|c| ["xa", "phuong", "dac-khu"].contains(&c.kind.as_str())));
    }

    #[test]
    fn a_repeated_code_or_a_bad_date_names_its_line() {
        let header = "code,name,kind,parent,from,to\n";
        let twice = format!("{header}00001,Xã A,xa,01,2025-07-01,\n00001,Xã B,xa,01,2025-07-01,\n");
        assert_eq!(
            Communes::parse(&twice).expect_err("repeated").as_str(),
            "xa-phuong.csv dòng 3: mã `00001` bị trùng"
        );
        let date = format!("{header}00001,Xã A,xa,01,2025-13-01,\n");
        assert!(Communes::parse(&date).expect_err("bad date").starts_with("xa-phuong.csv dòng 2:"));
        let short = format!("{header}1,Xã A,xa,01,,\n");
        assert!(Communes::parse(&short).expect_err("short code").contains("5 chữ số"));
    }
}
