//! What pages name and other files must provide: the data tables a page shows (`data:`), checked for their
//! shape, and the survey a page runs (`survey:`).

use std::collections::BTreeMap;

use crate::content::data_table::DataTable;
use crate::content::survey_files::SurveyFile;
use crate::error::ContentError;
use crate::site::model::Page;

/// The data tables pages show, each parsed and checked once.
pub(crate) fn tables(
    pages: &[Page],
    data: &BTreeMap<String, serde_json::Value>,
    errors: &mut Vec<ContentError>,
) -> BTreeMap<String, DataTable> {
    let mut tables = BTreeMap::new();
    for page in pages {
        for key in &page.meta.data {
            let Some(value) = data.get(key) else {
                errors.push(
                    ContentError::new(&page.file, format!("không có tệp dữ liệu content/data/{key}.yaml"))
                        .field("data"),
                );
                continue;
            };
            if tables.contains_key(key) {
                continue;
            }
            let table = serde_json::from_value::<DataTable>(value.clone())
                .map_err(|e| e.to_string())
                .and_then(|t| t.validate().map(|()| t));
            match table {
                Ok(table) => {
                    tables.insert(key.clone(), table);
                }
                Err(message) => errors.push(ContentError::new(
                    format!("content/data/{key}.yaml"),
                    format!("bảng số liệu không hợp lệ: {message} (cần title, label, columns, rows)"),
                )),
            }
        }
    }
    tables
}

/// Every `survey:` names a survey definition that exists.
pub(crate) fn check_surveys(pages: &[Page], surveys: &BTreeMap<String, SurveyFile>, errors: &mut Vec<ContentError>) {
    for page in pages {
        if let Some(id) = &page.meta.survey
            && !surveys.contains_key(id)
        {
            errors.push(
                ContentError::new(&page.file, format!("không có khảo sát content/khao-sat/{id}.yaml")).field("survey"),
            );
        }
    }
}
