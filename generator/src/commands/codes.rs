//! `cchc codes generate`: one-time access codes for a restricted survey, in a batch for one unit of the survey.
//! The store keeps only their hashes, keyed with a server secret (a leaked table cannot be searched offline); the
//! codes themselves are shown once. Making and hashing codes lives in `cchc_functions::access_codes`, which the
//! back office uses too.

use cchc_functions::access_codes::{self, check_unit};
use cchc_functions::domain::CodeBatch;
use cchc_functions::store::{Store, StoreError};
use cchc_functions::survey::Access;

use crate::commands::StoreJob;
use crate::site::Site;

/// Who a batch made on the command line is recorded as made by.
pub const CREATED_BY: &str = "cchc codes";

/// `count` distinct new codes for `unit` of `survey`, if the site has that survey, it takes codes and `unit` is
/// one of its units; else why not.
pub fn generate(site: &Site, survey: &str, unit: &str, count: usize) -> Result<Vec<String>, String> {
    let Some(file) = site.surveys.get(survey) else {
        return Err(format!("không có khảo sát content/khao-sat/{survey}.yaml"));
    };
    if file.survey.access == Access::Public {
        return Err(format!("khảo sát `{survey}` không dùng mã truy cập (access: public)"));
    }
    check_unit(&file.survey, unit)?;
    Ok(access_codes::new_codes(count))
}

/// Stores the keyed hashes of `codes` for `survey` in a new batch for `unit`; gives how many were stored.
pub struct AddCodes<'a> {
    /// The survey's id.
    pub survey: &'a str,
    /// The batch the codes belong to.
    pub batch: &'a CodeBatch,
    /// The codes, as shown to people.
    pub codes: &'a [String],
    /// The key the functions check codes with (`.cchc/code-key` locally, the SSM parameter on AWS).
    pub key: &'a str,
}

impl StoreJob for AddCodes<'_> {
    type Output = usize;

    async fn run<S: Store>(self, store: &S) -> Result<usize, StoreError> {
        let hashes = access_codes::hashes(self.key.as_bytes(), self.survey, self.codes);
        store.add_access_codes(self.survey, self.batch, &hashes).await
    }
}
