//! Surveys, for their owners (`quan-tri`): live results as tables per question (for a unit, a date range), the
//! responses as CSV in words (never contact details), and access codes issued per unit: a batch, its printable
//! sheet (the codes are shown once; the store keeps keyed hashes), used and unused counts, revocation.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ulid::Ulid;

use super::{Fields, Page, Signed, field, flash, history, signed_change, signed_in, unavailable};
use crate::access_codes;
use crate::auth::Role;
use crate::domain::{AuditAction, AuditEntry, CodeBatch, display_time, vietnam};
use crate::export::survey_responses_csv;
use crate::http::AppState;
use crate::store::{Store, StoreError};
use crate::survey::{Access, QuestionKind, Results, Survey};

/// Most codes in one batch (a printable sheet, a few thousand hashed writes).
const MOST_CODES: usize = 2_000;

pub(super) fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/quan-tri/khao-sat", get(list::<S>))
        .route("/quan-tri/khao-sat/{id}", get(one::<S>))
        .route("/quan-tri/khao-sat/{id}/phieu.csv", get(export::<S>))
        .route("/quan-tri/khao-sat/{id}/ma", post(issue::<S>))
        .route("/quan-tri/khao-sat/{id}/ma/{batch}/thu-hoi", post(revoke::<S>))
}

fn subject(id: &str) -> String {
    format!("survey/{id}")
}

#[tracing::instrument(skip_all)]
async fn list<S: Store>(State(state): State<AppState<S>>, headers: HeaderMap, uri: Uri) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Admin)));
    #[derive(Serialize)]
    struct Row {
        id: String,
        title: String,
        version: u32,
    }
    match state.store.surveys().await {
        Ok(surveys) => {
            let rows: Vec<Row> =
                surveys.into_iter().map(|s| Row { id: s.id, title: s.title, version: s.version }).collect();
            Page::new("surveys.html", "Khảo sát", "surveys").with("surveys", &rows).render(Some(&signed))
        }
        Err(e) => unavailable(Some(&signed), &e),
    }
}

/// The results filters, as the form sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
struct Filter {
    #[serde(rename(deserialize = "don-vi"), default)]
    unit: String,
    #[serde(rename(deserialize = "tu"), default)]
    from: String,
    #[serde(rename(deserialize = "den"), default)]
    to: String,
}

#[derive(Serialize)]
struct UnitView<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Row {
    label: String,
    count: u64,
    percent: u64,
}

#[derive(Serialize)]
struct QuestionView {
    number: usize,
    text: String,
    rows: Vec<Row>,
    /// A matrix question, as a grid: its scale's points across, its items down.
    grid: Option<Grid>,
    note: &'static str,
}

/// A matrix question's counts: one row per item, one column per point of the scale.
#[derive(Serialize)]
struct Grid {
    points: Vec<String>,
    rows: Vec<GridRow>,
}

#[derive(Serialize)]
struct GridRow {
    label: String,
    counts: Vec<u64>,
}

/// The grid of a matrix question, or `None` for any other.
fn grid(question: &crate::survey::Question, results: &Results) -> Option<Grid> {
    let QuestionKind::Matrix { items, scale } = &question.kind else { return None };
    let points: Vec<i64> = (scale.min..=scale.max).collect();
    let labels =
        points.iter().map(|p| scale.labels.get(p).map_or_else(|| p.to_string(), |l| format!("{p} — {l}"))).collect();
    let rows = items
        .iter()
        .map(|item| {
            let found = results.questions.get(&format!("{}.{}", question.id, item.id));
            let counts =
                points.iter().map(|p| found.and_then(|f| f.get(&p.to_string())).copied().unwrap_or(0)).collect();
            GridRow { label: item.label.clone(), counts }
        })
        .collect();
    Some(Grid { points: labels, rows })
}

#[derive(Serialize)]
struct BatchView {
    id: String,
    unit: String,
    created: String,
    by: String,
    total: u64,
    used: u64,
    usable: u64,
    revoked: Option<String>,
}

#[derive(Serialize)]
struct SurveyView<'a> {
    id: &'a str,
    title: &'a str,
    version: u32,
    opens: String,
    closes: String,
    unit_label: &'a str,
}

/// Rows of one question: each option (or point, or matrix cell) with its count and share of `responses`.
fn rows(question: &crate::survey::Question, results: &Results, responses: u64) -> Vec<Row> {
    let share = |count: u64| (count * 100 + responses / 2).checked_div(responses).unwrap_or(0);
    let row = |label: String, count: u64| Row { label, count, percent: share(count) };
    let counts = |key: &str| results.questions.get(key).cloned().unwrap_or_default();
    let points = |scale: &crate::survey::Scale| {
        (scale.min..=scale.max)
            .map(|p| (p, scale.labels.get(&p).map_or_else(|| p.to_string(), |l| format!("{p} — {l}"))))
            .collect::<Vec<_>>()
    };
    match &question.kind {
        QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
            let found = counts(&question.id);
            options.iter().map(|o| row(o.label.clone(), found.get(&o.id).copied().unwrap_or(0))).collect()
        }
        QuestionKind::Rating { scale } => {
            let found = counts(&question.id);
            points(scale).into_iter().map(|(p, l)| row(l, found.get(&p.to_string()).copied().unwrap_or(0))).collect()
        }
        QuestionKind::Matrix { .. }
        | QuestionKind::Text { .. }
        | QuestionKind::LongText { .. }
        | QuestionKind::Number { .. } => Vec::new(),
    }
}

/// The results `filter` asks for: the stored counters, or (with dates) the responses of those days recounted.
async fn results<S: Store>(store: &S, survey: &Survey, filter: &Filter) -> Result<Results, StoreError> {
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let unit = Some(filter.unit.as_str()).filter(|u| !u.is_empty());
    let (from, to) = (day(&filter.from), day(&filter.to));
    let counts = if from.is_none() && to.is_none() {
        store.survey_counts(&survey.id, survey.version, unit.unwrap_or(crate::survey::ALL)).await?
    } else {
        let mut counts = BTreeMap::new();
        for record in store.survey_responses(&survey.id, survey.version).await? {
            let on = record.created_at.with_timezone(&vietnam()).date_naive();
            if from.is_some_and(|f| on < f) || to.is_some_and(|t| on > t) {
                continue;
            }
            for key in record.response.counters(survey) {
                *counts.entry(key).or_insert(0u64) += 1;
            }
        }
        counts
    };
    Ok(Results::from_counts(survey, &counts, unit))
}

async fn survey_or_page<S: Store>(state: &AppState<S>, signed: &Signed, id: &str) -> Result<Survey, Response> {
    match state.store.survey(id, None).await {
        Ok(Some(survey)) => Ok(survey),
        Ok(None) => Err(Page::message(StatusCode::NOT_FOUND, "Không có khảo sát này", &[]).render(Some(signed))),
        Err(e) => Err(unavailable(Some(signed), &e)),
    }
}

#[tracing::instrument(skip_all, fields(survey = %id))]
async fn one<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Query(filter): Query<Filter>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Admin)));
    let survey = or_return!(survey_or_page(&state, &signed, &id).await);
    let results = match results(&*state.store, &survey, &filter).await {
        Ok(results) => results,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let questions: Vec<QuestionView> = survey
        .questions
        .iter()
        .map(|q| QuestionView {
            number: q.number,
            text: q.text.clone(),
            rows: rows(q, &results, results.responses),
            grid: grid(q, &results),
            note: "Câu trả lời tự do: xem trong tệp CSV.",
        })
        .collect();
    let codes = survey.access == Access::Code;
    let batches = if codes {
        match state.store.code_batches(&survey.id).await {
            Ok(batches) => batches,
            Err(e) => return unavailable(Some(&signed), &e),
        }
    } else {
        Vec::new()
    };
    let unit_name =
        |id: &str| survey.units.iter().find(|u| u.id == id).map_or_else(|| id.to_string(), |u| u.name.clone());
    let batches: Vec<BatchView> = batches
        .iter()
        .map(|b| BatchView {
            id: b.batch.id.to_string(),
            unit: unit_name(&b.batch.unit),
            created: display_time(b.batch.created_at),
            by: b.batch.created_by.clone(),
            total: b.total,
            used: b.used,
            usable: b.usable(),
            revoked: b.revoked_at.map(display_time),
        })
        .collect();
    let history = match history(&state, &subject(&survey.id)).await {
        Ok(history) => history,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let units: Vec<UnitView<'_>> = survey.units.iter().map(|u| UnitView { id: &u.id, name: &u.name }).collect();
    let view = SurveyView {
        id: &survey.id,
        title: &survey.title,
        version: survey.version,
        opens: survey.opens.format(crate::time::DATE_VI).to_string(),
        closes: survey.closes.format(crate::time::DATE_VI).to_string(),
        unit_label: &survey.unit_label,
    };
    Page::new("survey.html", &survey.title, "surveys")
        .with("s", &view)
        .with("filter", &filter)
        .with("units", &units)
        .with("responses", &results.responses)
        .with("questions", &questions)
        .with("codes", &codes)
        .with("batches", &batches)
        .with("history", &history)
        .render(Some(&signed))
}

#[tracing::instrument(skip_all, fields(survey = %id))]
async fn export<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = or_return!(signed_in(&state, &headers, &uri, Some(Role::Admin)));
    let survey = or_return!(survey_or_page(&state, &signed, &id).await);
    let records = match state.store.survey_responses(&survey.id, survey.version).await {
        Ok(records) => records,
        Err(e) => return unavailable(Some(&signed), &e),
    };
    let audit = AuditEntry::now(
        &signed.staff().actor,
        AuditAction::Exported,
        subject(&survey.id),
        String::new(),
        format!("Phiếu trả lời phiên bản {} (CSV), {} dòng", survey.version, records.len()),
    );
    if let Err(e) = state.store.record_audit(&audit).await {
        return unavailable(Some(&signed), &e);
    }
    match survey_responses_csv(&survey, &records) {
        Ok(bytes) => super::download(bytes, &format!("khao-sat-{}-v{}.csv", survey.id, survey.version)),
        Err(error) => unavailable(Some(&signed), &StoreError::unavailable(error)),
    }
}

#[tracing::instrument(skip_all, fields(survey = %id))]
async fn issue<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Admin));
    let survey = or_return!(survey_or_page(&state, &signed, &id).await);
    let back = format!("/quan-tri/khao-sat/{}", survey.id);
    let refuse = |problem: &str| flash(Redirect::to(&back).into_response(), &state, None, Some(problem));
    if survey.access != Access::Code {
        return refuse("Khảo sát này không dùng mã truy cập.");
    }
    let Some(key) = state.settings.secrets.code_key.as_deref() else {
        return refuse("Máy chủ chưa có khoá mã truy cập (xem infra/README.md): chưa cấp được mã.");
    };
    let unit = match access_codes::check_unit(&survey, field(&fields, "don-vi").unwrap_or_default()) {
        Ok(unit) => unit.clone(),
        Err(problem) => return refuse(&problem),
    };
    let count = match field(&fields, "so-luong").and_then(|n| n.trim().parse::<usize>().ok()) {
        Some(n @ 1..=MOST_CODES) => n,
        _ => return refuse(&format!("Số mã phải từ 1 đến {MOST_CODES}.")),
    };
    let batch = CodeBatch::new(unit.id.clone(), signed.staff().actor.name.clone());
    let codes = access_codes::new_codes(count);
    let hashes = access_codes::hashes(key, &survey.id, &codes);
    // The audit entry first: a batch is never on the sheet without being in the trail.
    let audit = AuditEntry::now(
        &signed.staff().actor,
        AuditAction::CodesIssued,
        subject(&survey.id),
        String::new(),
        format!("{count} mã cho {} (đợt {})", unit.name, batch.id),
    );
    if let Err(e) = state.store.record_audit(&audit).await {
        return unavailable(Some(&signed), &e);
    }
    match state.store.add_access_codes(&survey.id, &batch, &hashes).await {
        Ok(stored) if stored == count => {}
        Ok(stored) => {
            tracing::error!(stored, count, "a code batch was stored in part");
            return refuse("Chưa lưu được đủ mã; đợt này không dùng được, hãy thu hồi và cấp lại.");
        }
        Err(e) => return unavailable(Some(&signed), &e),
    }
    let url = format!(
        "{}/khao-sat/{}/",
        state.settings.back_office.as_ref().map_or("", |o| o.public_url.as_str()),
        survey.id
    );
    Page::new("codes.html", "Phiếu mã truy cập", "surveys")
        .with("survey_id", &survey.id)
        .with("title", &survey.title)
        .with("unit", &unit.name)
        .with("batch", &batch.id.to_string())
        .with("created", &display_time(batch.created_at))
        .with("count", &count)
        .with("url", &url)
        .with("codes", &codes)
        .render(Some(&signed))
}

#[tracing::instrument(skip_all, fields(survey = %id))]
async fn revoke<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    uri: Uri,
    Path((id, batch)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = or_return!(signed_change(&state, &headers, &uri, &fields, Role::Admin));
    let back = format!("/quan-tri/khao-sat/{id}");
    let Ok(batch) = Ulid::from_string(&batch) else {
        return Page::message(StatusCode::NOT_FOUND, "Không có đợt cấp mã này", &[]).render(Some(&signed));
    };
    match state.store.revoke_code_batch(&id, batch).await {
        Ok(summary) => {
            let audit = AuditEntry::now(
                &signed.staff().actor,
                AuditAction::CodesRevoked,
                subject(&id),
                format!("{} mã còn dùng được", summary.total - summary.used),
                format!("Thu hồi đợt {batch} ({}); {} mã đã dùng vẫn được tính", summary.batch.unit, summary.used),
            );
            if let Err(e) = state.store.record_audit(&audit).await {
                return unavailable(Some(&signed), &e);
            }
            flash(Redirect::to(&back).into_response(), &state, Some("Đã thu hồi các mã chưa dùng của đợt này."), None)
        }
        Err(StoreError::NotFound) => {
            Page::message(StatusCode::NOT_FOUND, "Không có đợt cấp mã này", &[]).render(Some(&signed))
        }
        Err(e) => unavailable(Some(&signed), &e),
    }
}
