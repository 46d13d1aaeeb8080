//! `POST /api/surveys/{id}/responses` (checked against the exact published version, stored with its access code in
//! one transaction; counted behind it, `aggregate`) and the results, cacheable briefly: `GET …/results` and
//! `…/results.json` (JSON), `…/results.csv` (open data), `…/results.html` (the page for a unit or a commune, for
//! readers without JavaScript, in the site's layout).

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
use crate::survey::{Access, RawAnswers, Record, Results, ResultsView, Survey, UnitChoice};

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
        .route("/api/surveys/{id}/code", post(check_code::<S>))
        .route("/api/surveys/{id}/results", get(results::<S>))
        .route("/api/surveys/{id}/results.json", get(results::<S>))
        .route("/api/surveys/{id}/results.csv", get(results_csv::<S>))
        .route("/api/surveys/{id}/results.html", get(results_page::<S>))
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
    let version = version(submission)?;
    let survey = cache.get(state.store.as_ref(), id, version).await?.ok_or_else(|| not_found(id))?;
    let today = state.settings.today.unwrap_or_else(today_in_vietnam);
    let code = code_hash(state, &survey, submission.get("code"))?;
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
    if let Some(code) = &code {
        // A wrong, used or revoked code is refused before the rate limit counts it (the save checks it again, in
        // its transaction): a typo on the code sheet must not cost a respondent without JavaScript a try. A
        // retry of the stored response (whose code is used by it) gets its first answer.
        if let Some(first) = state.store.replay(KeyScope::Survey, &key, &fingerprint).await? {
            return Ok(Accepted::replayed(first));
        }
        state.store.check_access_code(&survey.id, code, &response.unit).await?;
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

/// The survey version a submission answers (its `version` field).
fn version(submission: &super::body::Submission) -> Result<u32, ApiError> {
    match submission.get("version") {
        None => Err(FieldError::new("version", "thiếu phiên bản khảo sát (`version`)").into()),
        Some(v) => v.parse::<u32>().map_err(|_| {
            FieldError::new("version", "phiên bản khảo sát (`version`) phải là một số nguyên không âm").into()
        }),
    }
}

/// The keyed hash of the access code sent (`None` for a public survey), or why it cannot be taken: a restricted
/// survey needs one, a public one takes none.
fn code_hash<S: Store>(state: &AppState<S>, survey: &Survey, sent: Option<&str>) -> Result<Option<String>, ApiError> {
    match (survey.access, sent) {
        (Access::Code, Some(code)) => {
            Ok(Some(state.settings.secrets.access_code(&survey.id, code).ok_or_else(|| {
                ApiError::Unavailable(anyhow::anyhow!("no access-code key configured (Secrets::with_code_key)"))
            })?))
        }
        (Access::Code, None) => {
            Err(FieldError::new("code", "Nhập mã truy cập được cấp để tham gia khảo sát này").into())
        }
        (Access::Public, Some(_)) => Err(FieldError::new("code", "khảo sát này không dùng mã truy cập").into()),
        (Access::Public, None) => Ok(None),
    }
}

/// Largest code check: a version, a unit id and a code.
const CODE_CHECK_LIMIT: usize = 1024;

/// `POST /api/surveys/{id}/code` (`version`, `unit`, `code`): whether the code would be taken for that unit now,
/// asked by the runner on the first step so that a wrong, used or another unit's code is said before any question
/// is answered. 204, or the error the response would get (403 for a wrong or used code, 422 on the unit for another
/// unit's). Nothing is spent: the code is used only by the response. A POST so the code is never in a URL or a log;
/// limited per client (`spam::CODE_CHECKS`), though a code's 50 random bits are out of reach of guessing anyway.
#[tracing::instrument(skip_all, fields(survey = %id))]
async fn check_code<S: Store>(
    State((state, cache)): State<(AppState<S>, SurveyCache)>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let incoming = Incoming::read(request, CODE_CHECK_LIMIT, false).await?;
    let submission = &incoming.submission;
    submission.single(&["version", "unit", "code"])?;
    let survey = cache.get(state.store.as_ref(), &id, version(submission)?).await?.ok_or_else(|| not_found(&id))?;
    let today = state.settings.today.unwrap_or_else(today_in_vietnam);
    let unit = submission.get("unit").unwrap_or_default();
    if !survey.units.iter().any(|u| u.id == unit && u.valid_on(today)) {
        return Err(FieldError::new("unit", format!("{}: chọn một đơn vị trong danh sách", survey.unit_label)).into());
    }
    let Some(code) = code_hash(&state, &survey, submission.get("code"))? else {
        return Ok(axum::http::StatusCode::NO_CONTENT.into_response());
    };
    if state.settings.spam_checks {
        let client = guard::client(&state, &incoming);
        let limit = crate::spam::CODE_CHECKS;
        let (window, retry_after) = limit.window("c");
        if state.store.count_request(&client, &window, limit.seconds as i64 + 60).await? > limit.requests {
            let message =
                format!("Bạn đã kiểm tra mã quá nhiều lần. Vui lòng thử lại sau {} phút.", retry_after.div_ceil(60));
            return Err(ApiError::RateLimited { retry_after, message });
        }
    }
    state.store.check_access_code(&survey.id, &code, unit).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// How long results may be cached: they change by the second while a survey is open, and a minute's delay costs
/// nobody anything.
const RESULTS_CACHE: &str = "public, max-age=30, s-maxage=60";

/// The open-data licence, as a `Link` header.
fn licence_link() -> HeaderValue {
    HeaderValue::from_str(&format!("<{}>; rel=\"license\"", crate::survey::LICENCE_URL))
        .unwrap_or(HeaderValue::from_static(""))
}

/// The scope a results request asks for: the whole survey, a unit, or a commune (of a unit).
#[derive(Debug, Default)]
struct Scope {
    unit: Option<String>,
    commune: Option<String>,
}

impl Scope {
    /// The counters' scope: the commune, else the unit, else the whole survey.
    fn key(&self) -> &str {
        self.commune.as_deref().or(self.unit.as_deref()).unwrap_or(crate::survey::ALL)
    }
}

/// A commune is named by its General Statistics Office code: digits only.
fn commune_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 10 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The survey version, the scope and its results a results request asks for (`version`, `unit`, `commune`).
async fn scoped_results<S: Store>(
    state: &AppState<S>,
    cache: &SurveyCache,
    id: &str,
    query: &Params,
) -> Result<(Arc<Survey>, Scope, Results), ApiError> {
    let survey = match query.number("version")? {
        Some(v) => cache.get(state.store.as_ref(), id, v).await?,
        None => state.store.survey(id, None).await?.map(Arc::new),
    }
    .ok_or_else(|| not_found(id))?;
    let scope =
        Scope { unit: query.get("unit").map(str::to_string), commune: query.get("commune").map(str::to_string) };
    if let Some(unit) = &scope.unit
        && !survey.units.iter().any(|u| &u.id == unit)
    {
        return Err(ApiError::NotFound(format!("khảo sát không có đơn vị `{unit}`")));
    }
    let in_unit = |code: &str| {
        let province = scope.unit.as_ref().and_then(|u| survey.province_codes.get(u));
        crate::survey::Communes::embedded().get(code).is_some_and(|c| Some(&c.parent) == province)
    };
    if let Some(commune) = &scope.commune
        && (scope.unit.is_none() || !commune_code(commune) || !in_unit(commune))
    {
        return Err(ApiError::NotFound(format!("không có xã, phường, đặc khu mã `{commune}` trong đơn vị đã chọn")));
    }
    let counts = state.store.survey_counts(&survey.id, survey.version, scope.key()).await?;
    let results = Results::from_counts(&survey, &counts, Some(scope.key()).filter(|k| *k != crate::survey::ALL));
    Ok((survey, scope, results))
}

/// `GET …/results` and `…/results.json`: the results of the whole survey, a unit or a commune, with the licence
/// (open data).
#[tracing::instrument(skip_all, fields(survey = %id))]
async fn results<S: Store>(
    State((state, cache)): State<(AppState<S>, SurveyCache)>,
    Path(id): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    let (survey, _, results) = scoped_results(&state, &cache, &id, &query).await?;
    let mut body = serde_json::to_value(&results).map_err(|e| ApiError::Unavailable(e.into()))?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("title".into(), survey.title.clone().into());
        fields.insert("licence".into(), crate::survey::LICENCE.into());
        fields.insert("licence_url".into(), crate::survey::LICENCE_URL.into());
    }
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(RESULTS_CACHE));
    response.headers_mut().insert(header::LINK, licence_link());
    Ok(response)
}

/// `GET …/results.csv`: the same results as CSV, one row per question and option (open data).
#[tracing::instrument(skip_all, fields(survey = %id))]
async fn results_csv<S: Store>(
    State((state, cache)): State<(AppState<S>, SurveyCache)>,
    Path(id): Path<String>,
    query: Params,
) -> Result<Response, ApiError> {
    let (survey, scope, results) = scoped_results(&state, &cache, &id, &query).await?;
    let name = format!(
        "ket-qua-{}{}.csv",
        survey.id,
        scope.unit.as_ref().map(|_| format!("-{}", scope.key())).unwrap_or_default()
    );
    let mut response = crate::survey::csv(&survey, &results).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(RESULTS_CACHE));
    headers.insert(header::LINK, licence_link());
    if let Ok(disposition) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// `GET …/results.html?unit=…&commune=…&trang=…`: the results page for a unit or a commune, for readers without
/// JavaScript (the filter's plain GET), in the site's own layout: the results page `trang` as published, its results
/// section swapped for this one. With `phan=1`, the section alone (what the page's script loads in place).
#[tracing::instrument(skip_all, fields(survey = %id))]
async fn results_page<S: Store>(
    State((state, cache)): State<(AppState<S>, SurveyCache)>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    query: Params,
) -> Result<Response, ApiError> {
    let (survey, scope, results) = scoped_results(&state, &cache, &id, &query).await?;
    let page = query.get("trang").filter(|p| layout::page_path(p)).unwrap_or("/");
    let communes = results_communes(&state, &survey, &scope, &results).await?;
    let view = ResultsView {
        survey: &survey,
        results: Some(&results),
        unit: scope.unit.as_deref(),
        commune: scope.commune.as_deref(),
        communes: &communes,
        page,
    };
    let section = view.html();
    let html = if query.get("phan") == Some("1") {
        section
    } else {
        let origin = match state.settings.site_url.trim_end_matches('/') {
            "" => headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|h| format!("http://{h}")),
            url => Some(url.to_string()),
        };
        layout::page(origin.as_deref(), page, &section, &survey.title).await
    };
    let mut response = axum::response::Html(html).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(RESULTS_CACHE));
    Ok(response)
}

/// The communes the filter offers once a unit is chosen: those of the unit with responses (a commune without any
/// has nothing to show), named from the commune list.
async fn results_communes<S: Store>(
    state: &AppState<S>,
    survey: &Survey,
    scope: &Scope,
    results: &Results,
) -> Result<Vec<UnitChoice>, ApiError> {
    let Some(unit) = &scope.unit else { return Ok(Vec::new()) };
    let per_commune = if scope.commune.is_some() {
        let counts = state.store.survey_counts(&survey.id, survey.version, unit).await?;
        Results::from_counts(survey, &counts, Some(unit)).units
    } else {
        results.units.clone()
    };
    let communes = crate::survey::Communes::embedded();
    let mut named: Vec<UnitChoice> = per_commune
        .into_keys()
        .map(|code| {
            let name = communes.get(&code).map_or_else(|| format!("Mã {code}"), |c| c.name.clone());
            (code, name)
        })
        .collect();
    named.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(named)
}

/// The site's layout for pages the function renders: the published page itself, fetched from the site and kept a
/// few minutes, with the marked section replaced.
mod layout {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    use crate::http::escape;
    use crate::survey::{SECTION_END, SECTION_START};

    /// How long a fetched layout is used before it is fetched again (a deploy changes it).
    const KEEP: Duration = Duration::from_secs(300);

    /// A path of the site's results pages, and nothing else (the function fetches it from the site).
    pub(super) fn page_path(path: &str) -> bool {
        path.starts_with("/ket-qua-khao-sat/")
            && path.len() <= 200
            && !path.contains("..")
            && !path.contains("//")
            && path.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-/_".contains(&b))
    }

    fn kept() -> &'static Mutex<HashMap<String, (Instant, String)>> {
        static KEPT: OnceLock<Mutex<HashMap<String, (Instant, String)>>> = OnceLock::new();
        KEPT.get_or_init(|| Mutex::new(HashMap::new()))
    }

    /// The published page at `origin` + `path`, from the cache or the site.
    async fn shell(origin: &str, path: &str) -> Option<String> {
        let url = format!("{origin}{path}");
        if let Some((at, html)) = kept().lock().ok().and_then(|k| k.get(&url).cloned())
            && at.elapsed() < KEEP
        {
            return Some(html);
        }
        let client = openidconnect::reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .ok()?;
        let fetched = client.get(&url).send().await.ok()?.error_for_status().ok()?.text().await.ok()?;
        if !fetched.contains(SECTION_START) {
            return None;
        }
        if let Ok(mut k) = kept().lock() {
            k.insert(url, (Instant::now(), fetched.clone()));
        }
        Some(fetched)
    }

    /// `section` in the layout of the page at `path`, or, when that page cannot be had, in a plain page of its own.
    pub(super) async fn page(origin: Option<&str>, path: &str, section: &str, title: &str) -> String {
        if let Some(origin) = origin
            && path != "/"
            && let Some(shell) = shell(origin, path).await
            && let (Some(start), Some(end)) = (shell.find(SECTION_START), shell.find(SECTION_END))
            && start < end
        {
            return format!("{}{section}{}", &shell[..start], &shell[end + SECTION_END.len()..]);
        }
        tracing::warn!(path, "results page layout not available; answering in the plain layout");
        format!(
            "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Kết quả: {}</title></head><body><header class=\"site-header\"><a href=\"/\">Cổng thông tin Cải cách hành chính</a></header>\
             <main id=\"noi-dung\">{section}</main></body></html>",
            escape(title)
        )
    }
}
