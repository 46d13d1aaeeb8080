//! `cchc codes generate`: one-time access codes for a restricted survey. The store keeps only their hashes, keyed
//! with a server secret (a leaked table cannot be searched offline); the codes themselves are shown once.

use std::collections::HashSet;

use cchc_functions::secrets::access_code_hash;
use cchc_functions::store::{Store, StoreError};
use cchc_functions::survey::Access;

use crate::commands::StoreJob;
use crate::site::Site;

/// A one-time code: 10 characters of Crockford's base32 (50 random bits), shown as `XXXXX-XXXXX`.
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

/// `count` distinct new codes for `survey`, if the site has that survey and it takes codes; else why not.
pub fn generate(site: &Site, survey: &str, count: usize) -> Result<Vec<String>, String> {
    match site.surveys.get(survey).map(|f| f.survey.access) {
        Some(Access::Code) => {}
        Some(Access::Public) => return Err(format!("khảo sát `{survey}` không dùng mã truy cập (access: public)")),
        None => return Err(format!("không có khảo sát content/khao-sat/{survey}.yaml")),
    }
    let mut codes = Vec::with_capacity(count);
    let mut seen = HashSet::with_capacity(count);
    while codes.len() < count {
        let code = new_code();
        if seen.insert(code.clone()) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// Stores the keyed hashes of `codes` for `survey`; gives how many were added.
pub struct AddCodes<'a> {
    /// The survey's id.
    pub survey: &'a str,
    /// The codes, as shown to people.
    pub codes: &'a [String],
    /// The key the functions check codes with (`.cchc/code-key` locally, the SSM parameter on AWS).
    pub key: &'a str,
}

impl StoreJob for AddCodes<'_> {
    type Output = usize;

    async fn run<S: Store>(self, store: &S) -> Result<usize, StoreError> {
        let hashes: Vec<String> =
            self.codes.iter().map(|c| access_code_hash(self.key.as_bytes(), self.survey, c)).collect();
        store.add_access_codes(self.survey, &hashes).await
    }
}
