//! `POST /api/surveys/{id}/responses` (checked against the exact published version, stored with its counters and
//! access code in one transaction) and `GET /api/surveys/{id}/results` (the counters, cacheable briefly).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use ulid::Ulid;

use super::context::AppState;
use super::guard::{self, Accepted, Incoming, Receipt};
use super::problem::ApiError;
use super::query::Params;
use crate::domain::{FieldError, StoredResponse, Window, today_in_vietnam};
use crate::hash::sha256_hex;
use crate::store::{KeyScope, Store, SurveyWrite};
use crate::survey::{Access, RawAnswers, Record, Results, Survey};

/// Largest response: the longest survey with every text answer at its limit, form-encoded.
pub const BODY_LIMIT: usize = 64 * 1024;
const THANK_YOU: &str = "/cam-on-khao-sat/";
/// Fields of a response that are not answers.
const META: [&str; 7] = ["version", "unit", "commune", "code", guard::KEY_FIELD, guard::HONEYPOT, guard::PROOF];

/// Published versions never change, so each process keeps the ones it has read.
#[derive(Debug, Default, Clone)]
pub struct SurveyCache(Arc<Mutex<HashMap<VersionKey, Arc<Survey>>>>);

/// A survey id and version.
type VersionKey = (String, u32);

impl SurveyCache {
    async fn get<S: Store>(&self, store: &S, id: &str, version: u32) -> Result<Option<Arc<Survey>>, ApiError> {
        let key = (id.to_string(), version);
        if let Some(hit) = self.0.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok(Some(hit));
        }
        let Some(survey) = store.survey(id, Some(version)).await? else { return Ok(None) };
        let survey = Arc::new(survey);
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(key, survey.clone());
        }
        Ok(Some(survey))
    }
}

/// The survey routes.
pub fn router<S: Store>(state: AppState<S>) -> Router {
    let cache = SurveyCache::default();
    Router::new()
        .route("/api/surveys/{id}/responses", post(submit::<S>))
        .route("/api/surveys/{id}/results", get(results::<S>))
        .with_state((state, cache))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("không có khảo sát `{id}`"))
}

#[tracing::instrument(skip_all, fields(survey = %id))]
async fn submit<S: Store>(
    State((state, cache)): State<(AppState<S>, SurveyCache)>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let incoming = Incoming::read(request, BODY_LIMIT, false).await?;
    let origin = incoming.submission.origin;
    let result = accept(&state, &cache, &id, &incoming).await;
    Ok(guard::respond(result, origin, &state.settings.site_url, THANK_YOU, "/khao-sat/"))
}

async fn accept<S: Store>(
    state: &AppState<S>,
    cache: &SurveyCache,
    id: &str,
    incoming: &Incoming,
) -> Result<Accepted, ApiError> {
    if guard::trapped(incoming) {
        return Ok(Accepted::trap());
    }
    let client = guard::client(state, incoming);
    let submission = &incoming.submission;
    submission.single(&META)?;
    let version = match submission.get("version") {
        None => return Err(FieldError::new("version", "thiếu phiên bản khảo sát (`version`)").into()),
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| FieldError::new("version", "phiên bản khảo sát (`version`) phải là một số nguyên không âm"))?,
    };
    let survey = cache.get(state.store.as_ref(), id, version).await?.ok_or_else(|| not_found(id))?;
    let today = state.settings.today.unwrap_or_else(today_in_vietnam);
    let code = match (survey.access, submission.get("code")) {
        (Access::Code, Some(code)) => Some(state.settings.secrets.access_code(&survey.id, code).ok_or_else(|| {
            ApiError::Unavailable(anyhow::anyhow!("no access-code key configured (Secrets::with_code_key)"))
        })?),
        (Access::Code, None) => {
            return Err(FieldError::new("code", "Nhập mã truy cập được cấp để tham gia khảo sát này").into());
        }
        (Access::Public, Some(_)) => {
            return Err(FieldError::new("code", "khảo sát này không dùng mã truy cập").into());
        }
        (Access::Public, None) => None,
    };
    let mut raw = RawAnswers::new();
    for (name, value) in &submission.values {
        if !META.contains(&name.as_str()) {
            raw.entry(name.clone()).or_default().push(value.clone());
        }
    }
    let unit = submission.get("unit").unwrap_or_default();
    let response = survey.validate_at(unit, submission.get("commune"), &raw, today).map_err(ApiError::Invalid)?;
    let answers = serde_json::to_string(&response).map_err(|e| ApiError::Unavailable(e.into()))?;
    let mut fingerprint = format!("{}\0{version}\0{answers}\0{}", survey.id, code.as_deref().unwrap_or_default());
    if !incoming.has_key() {
        // A plain form has no key of its own: the same answers from the same address count once per minute
        // (a double click or a resend), not once a day (two colleagues behind one address).
        fingerprint.push_str(&format!("\0{}", Utc::now().timestamp() / 60));
    }
    let fingerprint = sha256_hex(&fingerprint);
    let key = guard::idempotency_key(incoming, &client, &fingerprint)?;
    // A retry of a stored response gets the first answer even if the survey has closed since; a response outside
    // the window is refused before the rate limit counts it (a page stale at the CDN must not cost a respondent
    // without JavaScript one of their three tries).
    let window = survey.window(today);
    if window != Window::Open
        && let Some(first) = state.store.replay(KeyScope::Survey, &key, &fingerprint).await?
    {
        return Ok(Accepted::replayed(first));
    }
    let period = || {
        format!("từ {} đến {}", survey.opens.format(crate::time::DATE_VI), survey.closes.format(crate::time::DATE_VI))
    };
    match window {
        Window::Open => {}
        Window::Upcoming => {
            return Err(ApiError::Conflict(format!("Khảo sát chưa mở; thời gian nhận ý kiến {}.", period())));
        }
        Window::Closed => {
            return Err(ApiError::Conflict(format!("Khảo sát đã kết thúc (nhận ý kiến {}).", period())));
        }
    }
    if let Some(first) = guard::admit(state, incoming, &client, (KeyScope::Survey, &key, &fingerprint)).await? {
        return Ok(first);
    }
    let record = Record { id: Ulid::new(), created_at: Utc::now(), version, response };
    let counters = record.response.counters(&survey);
    let body = Receipt::json(
        Some(record.id.to_string()),
        "accepted",
        "Cảm ơn Ông/Bà đã tham gia khảo sát. Ý kiến đã được ghi nhận.",
    );
    let stored = StoredResponse { status: 202, body: body.clone() };
    let write = SurveyWrite { survey: &survey.id, record: &record, counters: &counters, code: code.as_deref() };
    let saved = state.store.save_survey_response(&key, &fingerprint, &write, &stored).await?;
    Ok(Accepted::from_saved(saved, body))
}

#[tracing::instrument(skip_all, fields(survey = %id))]
async fn results<S: Store>(
    State((state, cache)): State<(AppState<S>, SurveyCache)>,
    Path(id): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    let results = {
        let unit = query.get("unit");
        let survey = match query.number("version")? {
            Some(v) => cache.get(state.store.as_ref(), &id, v).await?,
            None => state.store.survey(&id, None).await?.map(Arc::new),
        }
        .ok_or_else(|| not_found(&id))?;
        if let Some(unit) = unit
            && !survey.units.iter().any(|u| u.id == unit)
        {
            return Err(ApiError::NotFound(format!("khảo sát không có đơn vị `{unit}`")));
        }
        let counts = state.store.survey_counts(&survey.id, survey.version).await?;
        Results::from_counts(&survey, &counts, unit)
    };
    let mut response = axum::Json(results).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=30, s-maxage=60"));
    Ok(response)
}
