//! `cchc sync`: what the functions must enforce (consultation windows, survey versions) written from the content
//! into the store, so the content in git stays the single source of truth. `cchc serve` does it after every build.
//! Also the other way: survey results read from the store for the results pages' snapshot.

use std::collections::BTreeMap;

use cchc_functions::domain::{Consultation, ConsultationId};
use cchc_functions::http::PublicAnswer;
use cchc_functions::store::{Publication, Store, StoreError, changed_version};
use cchc_functions::survey::{Results, Survey};

use crate::commands::{StoreJob, StoreTarget};
use crate::error::{BuildError, ContentError};
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

/// What `publish` wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Consultations written.
    pub consultations: usize,
    /// Survey versions published for the first time.
    pub new_surveys: usize,
    /// Survey versions already published with the same content.
    pub unchanged_surveys: usize,
}

/// `publish` as a job for the store a command chose.
pub struct Publish<'a> {
    /// The site's consultations.
    pub consultations: &'a [Consultation],
    /// The site's surveys.
    pub surveys: &'a [Survey],
}

impl StoreJob for Publish<'_> {
    type Output = Published;

    async fn run<S: Store>(self, store: &S) -> Result<Published, StoreError> {
        publish(store, self.consultations, self.surveys).await
    }
}

/// Writes every consultation and survey version to `store`. A survey version already published with other content
/// is refused (`Conflict`, saying which version to use): published versions are immutable.
pub async fn publish<S: Store>(
    store: &S,
    consultations: &[Consultation],
    surveys: &[Survey],
) -> Result<Published, StoreError> {
    publish_with(store, consultations, surveys, async |survey| store.put_survey(survey).await).await
}

/// `publish` for the preview's own store (`cchc serve`): a survey version whose definition changed replaces the
/// previous one instead of being refused, since the editor is still drafting it; `cchc sync` alone freezes versions.
pub async fn publish_preview(
    store: &cchc_functions::store::SqliteStore,
    consultations: &[Consultation],
    surveys: &[Survey],
) -> Result<Published, StoreError> {
    publish_with(store, consultations, surveys, async |survey| store.put_survey_draft(survey).await).await
}

/// Writes every consultation, then every survey with `put_survey`, counting what each did.
async fn publish_with<S: Store>(
    store: &S,
    consultations: &[Consultation],
    surveys: &[Survey],
    put_survey: impl AsyncFn(&Survey) -> Result<Publication, StoreError>,
) -> Result<Published, StoreError> {
    let mut published = Published::default();
    for consultation in consultations {
        store.put_consultation(consultation).await?;
        published.consultations += 1;
    }
    for survey in surveys {
        match put_survey(survey).await? {
            Publication::New => published.new_surveys += 1,
            Publication::Unchanged => published.unchanged_surveys += 1,
        }
    }
    Ok(published)
}

/// The results of every survey of the site, as its latest published version in `store` counts them.
/// Refuses a survey whose version the store already has with other content (published versions are immutable).
pub fn results_snapshot(
    store: &StoreTarget,
    site: &Site,
) -> Result<(BTreeMap<String, serde_json::Value>, Vec<serde_json::Value>), BuildError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(BuildError::Runtime)?;
    match runtime.block_on(store.run(Snapshot { site })) {
        Ok(Ok(results)) => Ok(results),
        Ok(Err(changed)) => Err(BuildError::Content(changed)),
        Err(source) => Err(BuildError::Store { store: store.describe(), source }),
    }
}

/// How many published answers a build writes into `/hoi-dap/` (the page's script shows the rest).
const ANSWERS_SNAPSHOT: usize = 50;

/// Reads every survey's results, and the newest published questions and answers (for `/hoi-dap/` without a
/// script); a survey whose published version differs from the content is an error of its file instead.
struct Snapshot<'a> {
    site: &'a Site,
}

impl StoreJob for Snapshot<'_> {
    type Output = Result<(BTreeMap<String, serde_json::Value>, Vec<serde_json::Value>), Vec<ContentError>>;

    async fn run<S: Store>(self, store: &S) -> Result<Self::Output, StoreError> {
        let mut changed = Vec::new();
        for (id, file) in &self.site.surveys {
            let content = &file.survey;
            if let Some(published) = store.survey(id, Some(content.version)).await?
                && published.content_hash() != content.content_hash()
            {
                changed.push(
                    ContentError::new(&file.file, changed_version(id, content.version))
                        .at_opt_line(file.version_line)
                        .field("version"),
                );
            }
        }
        if !changed.is_empty() {
            return Ok(Err(changed));
        }
        let mut snapshot = BTreeMap::new();
        for id in self.site.surveys.keys() {
            let Some(survey) = store.survey(id, None).await? else { continue };
            let counts = store.survey_counts(id, survey.version, cchc_functions::survey::ALL).await?;
            let results = Results::from_counts(&survey, &counts, None);
            snapshot.insert(id.clone(), serde_json::to_value(results).unwrap_or_default());
        }
        let answers = store
            .published_answers(None, ANSWERS_SNAPSHOT)
            .await?
            .items
            .iter()
            .map(|q| serde_json::to_value(PublicAnswer::from(q)).unwrap_or_default())
            .collect();
        Ok(Ok((snapshot, answers)))
    }
}
