//! A survey that asks the commune (`units: xa`), through the real router and a real SQLite store: the commune
//! must belong to the chosen province and exist on the day; a closed survey refuses even a valid response (a page
//! may be stale at the CDN). Communes are the committed national list the functions embed.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings, api_router};
use cchc_functions::spam::{self, Secrets};
use cchc_functions::store::{SqliteStore, Store};
use cchc_functions::survey::{Survey, SurveySource, Unit};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const SURVEY: &str = include_str!("fixtures/survey.yaml");

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Thanh Hóa and Hà Nội before and after the 2025 reorganisation, with their GSO codes.
fn survey(id: &str, opens: NaiveDate, closes: NaiveDate) -> Survey {
    let yaml =
        format!("id: {id}\nopens: {opens}\ncloses: {closes}\n{}", SURVEY.replace("unit: tinh-thanh", "units: xa"));
    let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
    let (before, after) = (day(2025, 6, 30), day(2025, 7, 1));
    let unit = |id: &str, name: &str, from, to| Unit { id: id.into(), name: name.into(), from, to };
    let units = vec![
        unit("tinh-thanh-hoa", "Tỉnh Thanh Hóa", Some(after), None),
        unit("thanh-pho-ha-noi", "Thành phố Hà Nội", Some(after), None),
        unit("tinh-thanh-hoa", "Tỉnh Thanh Hóa", None, Some(before)),
    ];
    let codes =
        BTreeMap::from([("tinh-thanh-hoa".to_string(), "38".to_string()), ("thanh-pho-ha-noi".into(), "01".into())]);
    Survey::check_with_codes(source, units, codes).expect("valid survey")
}

async fn api(today: NaiveDate) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("cchc.sqlite3")).expect("store");
    store.put_survey(&survey("xa-mo", day(2025, 1, 1), day(2026, 12, 31))).await.expect("publish");
    store.put_survey(&survey("xa-da-dong", day(2025, 1, 1), day(2025, 12, 31))).await.expect("publish");
    let settings = Settings {
        secrets: Secrets::new("khoa-thu-thach", "muoi"),
        moderation: ModerationAuth::Token("ma".into()),
        attachments: Attachments::Dir(dir.path().join("tep")),
        site_url: String::new(),
        spam_checks: true,
        today: Some(today),
        back_office: None,
    };
    (api_router(AppState::new(store, settings)), dir)
}

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn respond(router: &Router, id: &str, mut body: Value) -> (StatusCode, Value) {
    let (_, c) = call(router, Request::get("/api/challenge").body(Body::empty()).expect("request")).await;
    let challenge = spam::Challenge {
        salt: c["salt"].as_str().expect("salt").into(),
        difficulty: c["difficulty"].as_u64().expect("difficulty") as u32,
        signature: c["signature"].as_str().expect("signature").into(),
    };
    body["pow"] = json!(spam::solve(&challenge));
    let request = Request::post(format!("/api/surveys/{id}/responses"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    call(router, request).await
}

fn answer(unit: &str, commune: Option<&str>) -> Value {
    let mut body = json!({ "version": 1, "unit": unit, "q1": "khong" });
    if let Some(c) = commune {
        body["commune"] = json!(c);
    }
    body
}

/// The `commune` field's message of a 422.
fn commune_error(reply: &(StatusCode, Value)) -> String {
    assert_eq!(reply.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.1);
    let errors = reply.1["errors"].as_array().cloned().unwrap_or_default();
    let found =
        errors.iter().find(|e| e["field"] == "commune").unwrap_or_else(|| panic!("no commune error: {}", reply.1));
    found["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_commune_must_belong_to_the_chosen_province() {
    let (router, _dir) = api(day(2026, 11, 23)).await;
    // Phường Hạc Thành (14797) is in Thanh Hóa; Phường Hoàn Kiếm (00070) is in Hà Nội.
    let ok = respond(&router, "xa-mo", answer("tinh-thanh-hoa", Some("14797"))).await;
    assert_eq!(ok.0, StatusCode::ACCEPTED, "{}", ok.1);
    let elsewhere = respond(&router, "xa-mo", answer("tinh-thanh-hoa", Some("00070"))).await;
    assert_eq!(commune_error(&elsewhere), "Phường Hoàn Kiếm không thuộc tỉnh, thành phố đã chọn");
    assert!(elsewhere.1["detail"].as_str().is_some_and(|d| d.contains("không thuộc tỉnh")), "{}", elsewhere.1);
    let missing = respond(&router, "xa-mo", answer("tinh-thanh-hoa", None)).await;
    assert!(commune_error(&missing).starts_with("Chọn xã, phường, đặc khu"));
    let unknown = respond(&router, "xa-mo", answer("tinh-thanh-hoa", Some("99999"))).await;
    assert_eq!(commune_error(&unknown), "không có xã, phường, đặc khu mã `99999`");
    let results = call(&router, Request::get("/api/surveys/xa-mo/results").body(Body::empty()).expect("request")).await;
    assert_eq!(results.1["responses"], json!(1), "refusals store nothing");
}

#[tokio::test]
async fn a_commune_not_in_force_on_the_day_is_refused() {
    // 15 June 2025: the old province stands, the new communes do not exist yet.
    let (router, _dir) = api(day(2025, 6, 15)).await;
    let early = respond(&router, "xa-mo", answer("tinh-thanh-hoa", Some("14797"))).await;
    assert_eq!(
        commune_error(&early),
        "Phường Hạc Thành không còn (hoặc chưa) là đơn vị hành chính vào ngày 15-06-2025"
    );
}

#[tokio::test]
async fn a_closed_survey_refuses_even_a_valid_response() {
    let (router, _dir) = api(day(2026, 11, 23)).await;
    let closed = respond(&router, "xa-da-dong", answer("tinh-thanh-hoa", Some("14797"))).await;
    assert_eq!(closed.0, StatusCode::CONFLICT, "{}", closed.1);
    assert!(closed.1["detail"].as_str().is_some_and(|d| d.starts_with("Khảo sát đã kết thúc")), "{}", closed.1);
}

#[tokio::test]
async fn refusals_of_a_closed_survey_do_not_spend_the_plain_form_limit() {
    let (router, _dir) = api(day(2026, 11, 23)).await;
    let form = |id: &str, body: &str| {
        Request::post(format!("/api/surveys/{id}/responses"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    // Three plain forms per 10 minutes: four refusals in a row, then an answer, all from the same client.
    for i in 0..4 {
        let body = format!("version=1&unit=tinh-thanh-hoa&commune=14797&q1=khong&q3=lan+{i}");
        let (status, _) = call(&router, form("xa-da-dong", &body)).await;
        assert_eq!(status, StatusCode::CONFLICT, "attempt {i}");
    }
    let (status, body) = call(&router, form("xa-mo", "version=1&unit=tinh-thanh-hoa&commune=14797&q1=khong")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
}

#[tokio::test]
async fn the_preview_takes_a_changed_draft_version_while_sync_keeps_versions_immutable() {
    let store = SqliteStore::in_memory().expect("store");
    let first = survey("nhap", day(2026, 1, 1), day(2026, 12, 31));
    store.put_survey(&first).await.expect("publish");
    let changed = survey("nhap", day(2026, 1, 1), day(2026, 11, 30));
    assert!(
        matches!(store.put_survey(&changed).await, Err(cchc_functions::store::StoreError::Conflict(_))),
        "published versions are immutable"
    );
    store.put_survey_draft(&changed).await.expect("the preview takes the draft");
    let stored = store.survey("nhap", Some(1)).await.expect("read").expect("there");
    assert_eq!(stored.closes, day(2026, 11, 30));
    assert!(matches!(store.put_survey_draft(&changed).await, Ok(cchc_functions::store::Publication::Unchanged)));
}
