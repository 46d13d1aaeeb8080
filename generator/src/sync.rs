//! `cchc sync`: what the functions must enforce (consultation windows) written from the content into the store,
//! so the content in git stays the single source of truth. `cchc serve` does it after every build.

use cchc_functions::domain::{Consultation, ConsultationId};
use cchc_functions::store::{Store, StoreError};

use crate::site::{Kind, Site};

/// The consultations of the site, as the functions know them.
pub fn consultations(site: &Site) -> Vec<Consultation> {
    site.pages
        .iter()
        .filter_map(|page| {
            let Kind::Consultation(c) = &page.kind else { return None };
            Some(Consultation {
                id: ConsultationId::parse(page.last_segment()).ok()?,
                title: page.meta.title.clone(),
                opens: c.meta.opens.at().date_naive(),
                closes: c.meta.closes.at().date_naive(),
            })
        })
        .collect()
}

/// Writes every consultation to `store`; returns how many.
pub async fn publish<S: Store>(store: &S, consultations: &[Consultation]) -> Result<usize, StoreError> {
    for consultation in consultations {
        store.put_consultation(consultation).await?;
    }
    Ok(consultations.len())
}
