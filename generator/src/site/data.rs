//! Files under `content/data/`: parsed as YAML (a `.csv` kept as text) and keyed by path without extension
//! (`bao-cao/par-index-2023`).

use std::collections::BTreeMap;

use crate::content::discover::{DATA_DIR, SourceFile};
use crate::content::front_matter;
use crate::error::ContentError;
use crate::site::links::site_path;

/// Every data file, by key; a file that does not parse is an error.
pub(crate) fn parse(files: &[SourceFile], errors: &mut Vec<ContentError>) -> BTreeMap<String, serde_json::Value> {
    let mut data = BTreeMap::new();
    for file in files {
        if let Some(key) = file.rel.strip_suffix(".csv") {
            // A CSV table (the communes) is kept as text: its reader knows its columns.
            let key = key.strip_prefix(DATA_DIR).unwrap_or(key).trim_start_matches('/');
            data.insert(key.to_string(), serde_json::Value::String(file.text.to_string()));
            continue;
        }
        let path = site_path(&file.rel);
        match front_matter::parse_yaml::<serde_json::Value>(&path, &file.text, 1) {
            Ok(value) => {
                let key = file.rel.strip_prefix(DATA_DIR).unwrap_or(&file.rel).trim_start_matches('/');
                let key = key.rsplit_once('.').map_or(key, |(k, _)| k);
                data.insert(key.to_string(), value);
            }
            Err(e) => errors.push(e),
        }
    }
    data
}
