//! The HTTP API through its real router and a real SQLite store: every error status, privacy of contact details,
//! idempotent retries, the anti-spam rules, plain HTML forms, attachments and moderation.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cchc_functions::domain::{CodeBatch, Consultation, ConsultationId};
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings, api_router};
use cchc_functions::secrets::access_code_hash;
use cchc_functions::spam::{self, Secrets};
use cchc_functions::store::{SqliteStore, Store};
use cchc_functions::survey::{Survey, SurveySource, Unit};
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "ma-kiem-duyet-thu";
const CODE_KEY: &str = "khoa-ma-truy-cap-thu";
const OPEN: &str = "du-thao-dang-mo";
/// The shared test survey's questions; each survey here gets its own id, access and window.
const SURVEY: &str = include_str!("fixtures/survey.yaml");

struct Api {
    router: Router,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    attachments: std::path::PathBuf,
}

async fn api() -> Api {
    let dir = tempfile::tempdir().expect("tempdir");
    let attachments = dir.path().join("tep");
    api_with(dir, Attachments::Dir(attachments)).await
}

async fn api_with(dir: tempfile::TempDir, attachments: Attachments) -> Api {
    let db = dir.path().join("cchc.sqlite3");
    let store = SqliteStore::open(&db).expect("store");
    let today = Utc::now().date_naive();
    for (id, opens, closes) in [
        (OPEN, today - Duration::days(3), today + Duration::days(3)),
        ("du-thao-da-dong", today - Duration::days(30), today - Duration::days(1)),
        ("du-thao-sap-mo", today + Duration::days(2), today + Duration::days(30)),
    ] {
        let c =
            Consultation {
                id: ConsultationId::parse(id).expect("id"), title: format!("Dự thảo {id}"), opens, closes
            };
        store.put_consultation(&c).await.expect("put");
    }
    for (id, access, opens, closes) in [
        ("khao-sat-mo", "public", today - Duration::days(3), today + Duration::days(3)),
        ("khao-sat-da-dong", "public", today - Duration::days(30), today - Duration::days(1)),
        ("khao-sat-co-ma", "code", today - Duration::days(3), today + Duration::days(3)),
    ] {
        let yaml = format!("id: {id}\naccess: {access}\nopens: {opens}\ncloses: {closes}\n{SURVEY}");
        let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
        let units = vec![
            Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None },
            Unit { id: "tinh-c".into(), name: "Tỉnh C".into(), from: None, to: None },
        ];
        store.put_survey(&Survey::check(source, units).expect("valid survey")).await.expect("publish");
    }
    // Kept as an HMAC under the server's code key, and the unkeyed SHA-256 of another code beside it: a table
    // that leaked (or predates the key) must not let an offline guess in.
    let hashes = [
        access_code_hash(CODE_KEY.as_bytes(), "khao-sat-co-ma", "ABCDE-12345"),
        cchc_functions::hash::sha256_hex("khao-sat-co-ma:FGHJK67890"),
    ];
    let batch = CodeBatch::new("tinh-a", "Kiểm thử");
    store.add_access_codes("khao-sat-co-ma", &batch, &hashes).await.expect("codes");
    let for_c = CodeBatch::new("tinh-c", "Kiểm thử");
    let hash_c = access_code_hash(CODE_KEY.as_bytes(), "khao-sat-co-ma", "KMNPQ-23456");
    store.add_access_codes("khao-sat-co-ma", &for_c, &[hash_c]).await.expect("codes");
    let folder = match &attachments {
        Attachments::Dir(path) => path.clone(),
        _ => dir.path().join("khong-dung"),
    };
    let settings = Settings {
        secrets: Secrets::new("khoa-thu-thach", "muoi").with_code_key(CODE_KEY),
        moderation: ModerationAuth::Token(TOKEN.into()),
        attachments,
        site_url: String::new(),
        spam_checks: true,
        today: None,
        back_office: None,
    };
    Api { router: api_router(AppState::new(store, settings)), _dir: dir, db, attachments: folder }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(api: &Api, request: Request<Body>) -> Reply {
    let response = api.router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    Reply { status, headers, body }
}

async fn get(api: &Api, uri: &str) -> Reply {
    send(api, Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn proof(api: &Api) -> String {
    let c = get(api, "/api/challenge").await.json();
    let challenge = spam::Challenge {
        salt: c["salt"].as_str().expect("salt").into(),
        difficulty: c["difficulty"].as_u64().expect("difficulty") as u32,
        signature: c["signature"].as_str().expect("signature").into(),
    };
    spam::solve(&challenge)
}

fn json_post(uri: &str, body: Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn comments_uri(id: &str) -> String {
    format!("/api/consultations/{id}/comments")
}

async fn post_comment(api: &Api, id: &str, mut body: Value) -> Reply {
    body["pow"] = json!(proof(api).await);
    send(api, json_post(&comments_uri(id), body)).await
}

fn with_token(mut request: Request<Body>) -> Request<Body> {
    request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {TOKEN}").parse().expect("header"));
    request
}

async fn moderate(api: &Api, id: &str, comment: &str, decision: Value) -> Reply {
    send(api, with_token(json_post(&format!("/api/moderation/consultations/{id}/comments/{comment}"), decision))).await
}

#[tokio::test]
async fn a_comment_is_public_only_after_approval_and_never_with_its_email() {
    let api = api().await;
    let reply = post_comment(&api, OPEN, json!({ "name": "Lê Văn Cường", "email": "cuong@vidu.vn", "text": "<script>alert(1)</script> Đề nghị rút gọn hồ sơ." })).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let id = reply.json()["id"].as_str().expect("id").to_string();
    assert!(
        get(&api, &comments_uri(OPEN)).await.json()["comments"].as_array().expect("list").is_empty(),
        "pending is private"
    );

    assert_eq!(moderate(&api, OPEN, &id, json!({ "decision": "approve" })).await.status, StatusCode::OK);
    let list = get(&api, &comments_uri(OPEN)).await;
    assert_eq!(list.header("cache-control"), Some("public, max-age=0, s-maxage=60"));
    let comments = list.json()["comments"].clone();
    assert_eq!(comments[0]["id"], id.as_str());
    assert_eq!(comments[0]["text"], "<script>alert(1)</script> Đề nghị rút gọn hồ sơ.", "stored as sent");
    assert!(!list.text().contains("cuong@vidu.vn") && !list.text().contains("email"), "{}", list.text());

    let html = get(&api, &format!("{}?format=html", comments_uri(OPEN))).await;
    assert!(
        html.text().contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.text().contains("<script>"),
        "escaped"
    );
    assert!(!html.text().contains("cuong@vidu.vn"));
}

#[tokio::test]
async fn a_retry_with_the_same_key_gets_the_first_answer_and_stores_nothing() {
    let api = api().await;
    let mut request = json!({ "email": "an@vidu.vn", "text": "Góp ý một lần" });
    request["pow"] = json!(proof(&api).await);
    let keyed = |body: &Value| {
        let mut r = json_post(&comments_uri(OPEN), body.clone());
        r.headers_mut().insert("idempotency-key", "khoa-gui-lai-0001".parse().expect("header"));
        r
    };
    let first = send(&api, keyed(&request)).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    request["pow"] = json!(proof(&api).await);
    let retry = send(&api, keyed(&request)).await;
    assert_eq!((retry.status, retry.json()), (StatusCode::ACCEPTED, first.json()));
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    request["text"] = json!("Nội dung khác");
    request["pow"] = json!(proof(&api).await);
    assert_eq!(send(&api, keyed(&request)).await.status, StatusCode::CONFLICT, "a key reused for other content");
    let csv = send(
        &api,
        with_token(
            Request::get(format!("/api/moderation/consultations/{OPEN}/comments.csv")).body(Body::empty()).expect("r"),
        ),
    )
    .await;
    assert_eq!(csv.text().lines().count(), 2, "header and one comment: {}", csv.text());
}

/// Waits, if need be, for the next window of `limit`: windows are aligned to the clock (`Limit::window`), and a test
/// that posts up to a limit saw the count start again when a window ended halfway through it (a CI run failed so,
/// 202 where 429 was due).
async fn room_in_window(limit: spam::Limit) {
    const ROOM_SECONDS: u64 = 15;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs();
    let left = limit.seconds - now % limit.seconds;
    if left < ROOM_SECONDS {
        tokio::time::sleep(std::time::Duration::from_secs(left)).await;
    }
}

#[tokio::test]
async fn a_retry_of_a_stored_key_is_answered_before_its_proof_or_the_rate_limit_is_spent() {
    let api = api().await;
    room_in_window(spam::WITH_PROOF).await;
    let keyed = |body: &Value, key: &str| {
        let mut r = json_post(&comments_uri(OPEN), body.clone());
        r.headers_mut().insert("idempotency-key", key.parse().expect("header"));
        r
    };
    // The very same request again (same key, body and proof), as a browser re-sends it after a lost answer.
    let request = json!({ "email": "an@vidu.vn", "text": "Gửi lại nguyên vẹn", "pow": proof(&api).await });
    let first = send(&api, keyed(&request, "khoa-mat-tra-loi-01")).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text());
    let again = send(&api, keyed(&request, "khoa-mat-tra-loi-01")).await;
    assert_eq!((again.status, again.json()), (StatusCode::ACCEPTED, first.json()), "{}", again.text());
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    // The proof is still spent for anything else.
    let mut other = request.clone();
    other["text"] = json!("Một góp ý khác");
    let reused = send(&api, keyed(&other, "khoa-mat-tra-loi-02")).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reused.text());
    assert_eq!(reused.json()["errors"][0]["field"], "pow");

    // At the rate limit, the retry of the last accepted post still gets its answer.
    let mut last = (Value::Null, Value::Null);
    for i in 1..10 {
        let body = json!({ "email": "an@vidu.vn", "text": format!("Góp ý {i}"), "pow": proof(&api).await });
        let reply = send(&api, keyed(&body, &format!("khoa-gioi-han-{i:02}"))).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{i}: {}", reply.text());
        last = (body, reply.json());
    }
    let limited = post_comment(&api, OPEN, json!({ "email": "an@vidu.vn", "text": "Quá giới hạn" })).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry = send(&api, keyed(&last.0, "khoa-gioi-han-09")).await;
    assert_eq!((retry.status, retry.json()), (StatusCode::ACCEPTED, last.1), "{}", retry.text());

    // A plain form over its stricter limit: a double submission is still answered as the first was.
    room_in_window(spam::WITHOUT_PROOF).await;
    let body = "email=b%40vidu.vn&text=Bi%E1%BB%83u+m%E1%BA%ABu";
    for i in 0..3 {
        let text = format!("email=b%40vidu.vn&text=m%E1%BA%ABu+{i}");
        assert_eq!(
            send(&api, form(&comments_uri(OPEN), if i == 2 { body } else { &text })).await.status,
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(
        send(&api, form(&comments_uri(OPEN), "email=c%40vidu.vn&text=kh%C3%A1c")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let double = send(&api, form(&comments_uri(OPEN), body)).await;
    assert_eq!(double.status, StatusCode::SEE_OTHER, "{}", double.text());

    // The same for a survey response and a question (from a client under its limit).
    let api = crate::api().await;
    let response = json!({ "version": 1, "unit": "tinh-a", "q1": "khong", "pow": proof(&api).await });
    let post = |body: &Value, uri: &str| {
        let mut r = json_post(uri, body.clone());
        r.headers_mut().insert("idempotency-key", "khoa-khao-sat-01".parse().expect("header"));
        r
    };
    let survey_uri = "/api/surveys/khao-sat-mo/responses";
    let first = send(&api, post(&response, survey_uri)).await;
    let again = send(&api, post(&response, survey_uri)).await;
    assert_eq!((again.status, again.json()), (StatusCode::ACCEPTED, first.json()), "{}", again.text());
    let question = json!({ "question": "Hồ sơ nộp ở đâu, thưa Bộ?", "name": "An", "email": "an@vidu.vn", "pow": proof(&api).await });
    let first = send(&api, post(&question, "/api/questions")).await;
    let again = send(&api, post(&question, "/api/questions")).await;
    assert_eq!((again.status, again.json()), (StatusCode::ACCEPTED, first.json()), "{}", again.text());
}

#[tokio::test]
async fn malformed_too_large_and_wrongly_typed_bodies_are_refused_before_anything_is_stored() {
    let api = api().await;
    let malformed = send(
        &api,
        Request::post(comments_uri(OPEN))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"text\": "))
            .expect("r"),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.header("content-type"), Some("application/problem+json"));
    assert_eq!(malformed.json()["status"], 400);

    let declared = send(
        &api,
        Request::post(comments_uri(OPEN))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "10000000")
            .body(Body::from("{}"))
            .expect("r"),
    )
    .await;
    assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE);
    let big = "x".repeat(200_000);
    let actual = send(&api, json_post(&comments_uri(OPEN), json!({ "text": big }))).await;
    assert_eq!(actual.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(actual.json()["detail"].as_str().expect("detail").contains("quá lớn"));

    let typed = send(
        &api,
        Request::post(comments_uri(OPEN))
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("xin chào"))
            .expect("r"),
    )
    .await;
    assert_eq!(typed.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        get(&api, &format!("{}?cursor=khong-phai-con-tro!", comments_uri(OPEN))).await.status,
        StatusCode::BAD_REQUEST
    );
}

/// The problem details of `reply`, checked: problem+json, the status, a Vietnamese detail without library text.
fn problem(reply: &Reply, status: StatusCode) -> String {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{}", reply.text());
    let detail = reply.json()["detail"].as_str().expect("detail").to_string();
    for english in ["expected", "invalid", "EOF", "Failed", "error", "at line", "column", "boundary", "digit"] {
        assert!(!detail.contains(english), "library text `{english}` in: {detail}");
    }
    detail
}

#[tokio::test]
async fn every_error_is_problem_json_in_vietnamese_and_moderation_checks_credentials_first() {
    let api = api().await;
    let limit = get(&api, &format!("{}?limit=abc", comments_uri(OPEN))).await;
    assert!(problem(&limit, StatusCode::BAD_REQUEST).contains("`limit`"));
    let version = get(&api, "/api/surveys/khao-sat-mo/results?version=abc").await;
    assert!(problem(&version, StatusCode::BAD_REQUEST).contains("`version`"));
    let twice = get(&api, &format!("{}?limit=1&limit=2", comments_uri(OPEN))).await;
    assert!(problem(&twice, StatusCode::BAD_REQUEST).contains("`limit`"));

    let method = send(&api, Request::delete("/api/questions").body(Body::empty()).expect("r")).await;
    problem(&method, StatusCode::METHOD_NOT_ALLOWED);
    assert!(method.header("allow").is_some_and(|a| a.contains("POST")), "{:?}", method.headers);
    problem(&get(&api, "/api/khong-co/dau").await, StatusCode::NOT_FOUND);
    problem(&get(&api, "/api/consultations/%FF%FE/comments").await, StatusCode::BAD_REQUEST);

    let json = |body: &str| {
        Request::post(comments_uri(OPEN))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("r")
    };
    assert!(problem(&send(&api, json("{\"text\": ")).await, StatusCode::BAD_REQUEST).contains("dòng 1"));
    problem(&send(&api, json("[1, 2]")).await, StatusCode::BAD_REQUEST);
    let no_boundary = Request::post("/api/questions")
        .header(header::CONTENT_TYPE, "multipart/form-data")
        .body(Body::from("--x\r\n"))
        .expect("r");
    problem(&send(&api, no_boundary).await, StatusCode::BAD_REQUEST);
    let cut = Request::post("/api/questions")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from("--x\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nkhông hết"))
        .expect("r");
    problem(&send(&api, cut).await, StatusCode::BAD_REQUEST);

    // Without credentials, nothing else of the request is looked at.
    for uri in ["/api/moderation/comments?limit=abc", "/api/moderation/surveys/khao-sat-mo/responses.csv?version=x"] {
        problem(&get(&api, uri).await, StatusCode::UNAUTHORIZED);
    }
    let body = Request::post(format!("/api/moderation/consultations/{OPEN}/comments/khong-phai-ulid"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{"))
        .expect("r");
    problem(&send(&api, body).await, StatusCode::UNAUTHORIZED);
    let authorised =
        send(&api, with_token(Request::get("/api/moderation/comments?limit=abc").body(Body::empty()).expect("r")))
            .await;
    assert!(problem(&authorised, StatusCode::BAD_REQUEST).contains("`limit`"));
}

#[tokio::test]
async fn invalid_fields_are_named_in_vietnamese() {
    let api = api().await;
    let reply = post_comment(&api, OPEN, json!({ "email": "khong-phai-thu", "text": "   " })).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = reply.json()["errors"].clone();
    let fields: Vec<&str> = errors.as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["email", "text"]);
    assert_eq!(errors[1]["message"], "Nhập nội dung góp ý");
    let unknown = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": "x", "dien_thoai": "1" })).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text().contains("dien_thoai"));
    let long = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": "ệ".repeat(5_001) })).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY, "5,001 characters");
}

#[tokio::test]
async fn input_is_read_strictly_and_refusals_name_the_field() {
    let api = api().await;
    let raw_json = |body: String| {
        Request::post(comments_uri(OPEN))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("r")
    };
    let pow = proof(&api).await;
    let twice = format!(r#"{{"email": "a@vidu.vn", "text": "Một", "text": "Hai", "pow": "{pow}"}}"#);
    assert!(problem(&send(&api, raw_json(twice)).await, StatusCode::BAD_REQUEST).contains("`text`"));

    let bad_form = send(&api, form(&comments_uri(OPEN), "email=a%40vidu.vn&text=C%E1%BA")).await;
    assert_eq!(bad_form.status, StatusCode::BAD_REQUEST);
    assert!(bad_form.text().contains("`text`") && !bad_form.text().contains('\u{FFFD}'), "{}", bad_form.text());
    let mut latin1 = b"--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nL\xea\r\n--x--\r\n".to_vec();
    latin1.shrink_to_fit();
    let multipart_latin1 = Request::post("/api/questions")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from(latin1))
        .expect("r");
    let reply = send(&api, multipart_latin1).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(reply.text().contains("`name`"), "{}", reply.text());

    for extra in [json!(["a", "b"]), json!(null), json!([]), json!("")] {
        let reply =
            post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": "Góp ý", "dien_thoai": extra })).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}: {}", reply.text());
        assert!(reply.text().contains("dien_thoai"), "{extra}: {}", reply.text());
    }
    let repeated = send(&api, form(&comments_uri(OPEN), "email=a%40vidu.vn&text=M%E1%BB%99t&text=Hai")).await;
    assert_eq!(repeated.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(repeated.text().contains("`text`"), "{}", repeated.text());
    let listed = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": ["Một", "Hai"] })).await;
    assert_eq!(listed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", listed.text());

    let invisible = "\u{200B}\u{200D}\u{202E}\u{2066}\u{FEFF}";
    let reply = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": invisible, "name": invisible })).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text());
    let fields: Vec<String> = reply.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(fields.contains(&"text".to_string()) && fields.contains(&"name".to_string()), "{fields:?}");
    let question =
        json!({ "question": invisible.repeat(4), "name": "An", "email": "a@vidu.vn", "pow": proof(&api).await });
    let reply = send(&api, json_post("/api/questions", question)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text());
    assert_eq!(reply.json()["errors"][0]["field"], "question");
}

#[tokio::test]
async fn comments_outside_the_window_are_a_conflict_and_unknown_drafts_not_found() {
    let api = api().await;
    for id in ["du-thao-da-dong", "du-thao-sap-mo"] {
        let reply = post_comment(&api, id, json!({ "email": "a@vidu.vn", "text": "Muộn" })).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{id}");
        assert!(reply.json()["detail"].as_str().expect("detail").contains("lấy ý kiến"));
    }
    assert_eq!(
        post_comment(&api, "khong-co", json!({ "email": "a@vidu.vn", "text": "x" })).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn writes_need_a_proof_of_work_each_usable_once() {
    let api = api().await;
    let without = send(&api, json_post(&comments_uri(OPEN), json!({ "email": "a@vidu.vn", "text": "x" }))).await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(without.json()["errors"][0]["field"], "pow");
    let pow = proof(&api).await;
    let body = json!({ "email": "a@vidu.vn", "text": "x", "pow": pow });
    assert_eq!(send(&api, json_post(&comments_uri(OPEN), body.clone())).await.status, StatusCode::ACCEPTED);
    let mut again = body;
    again["text"] = json!("y");
    assert_eq!(
        send(&api, json_post(&comments_uri(OPEN), again)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "proof reused"
    );
}

#[tokio::test]
async fn too_many_posts_are_told_when_to_retry() {
    let api = api().await;
    room_in_window(spam::WITH_PROOF).await;
    for i in 0..10 {
        let reply = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": format!("Góp ý {i}") })).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{i}: {}", reply.text());
    }
    let limited = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": "Thêm nữa" })).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&retry));
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .expect("request")
}

#[tokio::test]
async fn plain_html_forms_work_without_javascript_under_a_stricter_limit_that_says_so() {
    let api = api().await;
    room_in_window(spam::WITHOUT_PROOF).await;
    let ok =
        send(&api, form(&comments_uri(OPEN), "name=L%C3%AA+An&email=an%40vidu.vn&text=C%E1%BA%A3i+c%C3%A1ch")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.header("location"), Some("/cam-on-gop-y/"));
    let double =
        send(&api, form(&comments_uri(OPEN), "name=L%C3%AA+An&email=an%40vidu.vn&text=C%E1%BA%A3i+c%C3%A1ch")).await;
    assert_eq!(double.status, StatusCode::SEE_OTHER, "a double submission is answered the same");
    let csv = send(
        &api,
        with_token(
            Request::get(format!("/api/moderation/consultations/{OPEN}/comments.csv")).body(Body::empty()).expect("r"),
        ),
    )
    .await;
    assert_eq!(csv.text().lines().count(), 2, "and stored once: {}", csv.text());

    let bad = send(&api, form(&comments_uri(OPEN), "email=&text=x")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("<title>Lỗi: ") && bad.text().contains("Nhập thư điện tử"), "{}", bad.text());
    // The way back is a real link (the API's policy forbids `javascript:` URLs), to the form's page.
    assert!(!bad.text().contains("javascript:") && bad.text().contains("mở lại trang biểu mẫu</a>"), "{}", bad.text());
    // Neither the double submission (answered as a replay) nor a refused form counts against the limit (both are
    // answered before it is spent): two more forms fit in it.
    for text in ["th%E1%BB%A9+hai", "th%E1%BB%A9+ba"] {
        let more = send(&api, form(&comments_uri(OPEN), &format!("email=b%40vidu.vn&text={text}"))).await;
        assert_eq!(more.status, StatusCode::SEE_OTHER, "{}", more.text());
    }
    let limited = send(&api, form(&comments_uri(OPEN), "email=b%40vidu.vn&text=th%E1%BB%A9+t%C6%B0")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.text());
    assert!(limited.text().contains("JavaScript"), "says why the limit is stricter");
    assert!(limited.header("retry-after").is_some());
}

#[tokio::test]
async fn a_filled_honeypot_looks_accepted_but_stores_nothing() {
    let api = api().await;
    let reply =
        send(&api, form(&comments_uri(OPEN), "email=bot%40spam.vn&text=mua+ngay&website=http%3A%2F%2Fspam")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let csv = send(
        &api,
        with_token(
            Request::get(format!("/api/moderation/consultations/{OPEN}/comments.csv")).body(Body::empty()).expect("r"),
        ),
    )
    .await;
    assert_eq!(csv.text().lines().count(), 1, "header only");
}

#[tokio::test]
async fn a_broken_store_is_a_503_with_retry_after_and_no_internal_detail() {
    let api = api().await;
    let other = rusqlite::Connection::open(&api.db).expect("second connection");
    other.execute_batch("DROP TABLE comment_contacts; DROP TABLE comments;").expect("break the store");
    let reply = post_comment(&api, OPEN, json!({ "email": "a@vidu.vn", "text": "x" })).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.text());
    assert!(reply.header("retry-after").is_some());
    assert!(
        !reply.text().to_lowercase().contains("sqlite") && !reply.text().contains("no such table"),
        "{}",
        reply.text()
    );
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Request<Body> {
    let boundary = "ranh-gioi-thu-nghiem";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    Request::post("/api/questions")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn a_question_with_an_attachment_checked_by_content_and_private_contacts() {
    let api = api().await;
    let fields =
        [("question", "Tôi nộp hồ sơ ở đâu sau khi sắp xếp?"), ("name", "Phạm Thị Dung"), ("phone", "0912 345 678")];
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    let ok = send(&api, multipart(&fields, Some(("ho-so.pdf", pdf)))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(ok.header("location"), Some("/cam-on-cau-hoi/"));
    let stored: Vec<_> = walk(&api.attachments);
    assert_eq!(stored.len(), 1);
    assert_eq!(std::fs::read(&stored[0]).expect("file"), pdf);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&stored[0]).expect("file").permissions().mode();
    assert_eq!(mode & 0o077, 0, "a citizen's document is readable by the server only: {mode:o}");

    let fake = send(&api, multipart(&fields, Some(("ho-so.pdf", b"MZ\x90\x00 not a pdf")))).await;
    assert_eq!(fake.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fake.text().contains("PDF, DOCX, JPG hoặc PNG"));
    let huge = vec![b'%'; 6 * 1024 * 1024];
    assert_eq!(send(&api, multipart(&fields, Some(("to.pdf", &huge)))).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let no_contact =
        send(&api, multipart(&[("question", "Câu hỏi không có liên hệ"), ("name", "Ẩn danh")], None)).await;
    assert_eq!(no_contact.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_contact.text().contains("thư điện tử hoặc số điện thoại"));

    let queue =
        send(&api, with_token(Request::get("/api/moderation/questions").body(Body::empty()).expect("r"))).await.json();
    let question = &queue["questions"][0];
    assert_eq!(
        (question["phone"].as_str(), question["attachment"]["content_type"].as_str()),
        (Some("0912345678"), Some("application/pdf"))
    );
    let id = question["id"].as_str().expect("id");
    let answered = send(
        &api,
        with_token(json_post(
            &format!("/api/moderation/questions/{id}/answer"),
            json!({ "answer": "Tại Trung tâm phục vụ hành chính công." }),
        )),
    )
    .await;
    assert_eq!(answered.status, StatusCode::OK);
    // A retry of the same answer is safe, and an answer stays editable (a correction replaces it).
    let corrected = send(
        &api,
        with_token(json_post(&format!("/api/moderation/questions/{id}/answer"), json!({ "answer": "Đã sửa" }))),
    )
    .await;
    assert_eq!(corrected.status, StatusCode::OK);
    assert_eq!(corrected.json()["answer"], "Đã sửa");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

#[tokio::test]
async fn moderation_needs_the_token_and_exports_csv_for_excel() {
    let api = api().await;
    for uri in ["/api/moderation/comments", "/api/moderation/questions"] {
        let reply = get(&api, uri).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        let wrong =
            send(&api, Request::get(uri).header(header::AUTHORIZATION, "Bearer sai").body(Body::empty()).expect("r"))
                .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let id = post_comment(
        &api,
        OPEN,
        json!({ "name": "Võ Thị Én", "email": "en@vidu.vn", "text": "Nội dung, có dấu phẩy \"và ngoặc\"" }),
    )
    .await
    .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let reject = moderate(&api, OPEN, &id, json!({ "decision": "reject", "reason": "Không liên quan" })).await;
    assert_eq!(reject.json()["status"], "rejected");
    // A retry of the same decision (its answer lost) gets the same answer; another decision is a conflict.
    let retry = moderate(&api, OPEN, &id, json!({ "decision": "reject", "reason": "Không liên quan" })).await;
    assert_eq!((retry.status, retry.json()), (StatusCode::OK, reject.json()), "{}", retry.text());
    let other_reason = moderate(&api, OPEN, &id, json!({ "decision": "reject", "reason": "Trùng lặp" })).await;
    assert_eq!(other_reason.status, StatusCode::CONFLICT);
    assert_eq!(moderate(&api, OPEN, &id, json!({ "decision": "approve" })).await.status, StatusCode::CONFLICT);
    assert_eq!(
        moderate(&api, OPEN, "01HZZZZZZZZZZZZZZZZZZZZZZZ", json!({ "decision": "approve" })).await.status,
        StatusCode::NOT_FOUND
    );
    let csv = send(
        &api,
        with_token(
            Request::get(format!("/api/moderation/consultations/{OPEN}/comments.csv")).body(Body::empty()).expect("r"),
        ),
    )
    .await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let text = csv.text();
    assert!(
        text.contains("Võ Thị Én,en@vidu.vn")
            && text.contains("\"Nội dung, có dấu phẩy \"\"và ngoặc\"\"\"")
            && text.contains("Không liên quan"),
        "{text}"
    );
}

#[tokio::test]
async fn health_answers_and_challenges_are_never_cached() {
    let api = api().await;
    let health = get(&api, "/api/health").await;
    assert_eq!((health.status, health.json()["status"].as_str()), (StatusCode::OK, Some("ok")));
    let challenge = get(&api, "/api/challenge").await;
    assert_eq!(challenge.header("cache-control"), Some("no-store"));
    assert_eq!(challenge.json()["difficulty"], spam::DIFFICULTY_BITS);
}

#[tokio::test]
async fn on_aws_an_attachment_goes_to_the_private_bucket() {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let endpoint = std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("CCHC_TEST_DYNAMODB_ENDPOINT is not set: run tests/run, which starts the moto server (it serves S3 too)")
    });
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(cchc_functions::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let bucket = format!("cchc-tep-{}", ulid::Ulid::new().to_string().to_lowercase());
    client.create_bucket().bucket(&bucket).send().await.expect("bucket on the moto server");
    let api = api_with(
        tempfile::tempdir().expect("tempdir"),
        Attachments::S3 { client: client.clone(), bucket: bucket.clone() },
    )
    .await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    let fields =
        [("question", "Ảnh chụp biên nhận có hợp lệ không?"), ("name", "Hồ Văn Lâm"), ("email", "lam@vidu.vn")];
    assert_eq!(send(&api, multipart(&fields, Some(("bien-nhan.png", png)))).await.status, StatusCode::SEE_OTHER);
    let listed = client.list_objects_v2().bucket(&bucket).send().await.expect("list");
    let keys: Vec<String> = listed.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with("questions/") && keys[0].ends_with(".png"), "{keys:?}");
    let object = client.get_object().bucket(&bucket).key(&keys[0]).send().await.expect("get");
    assert_eq!(object.content_type(), Some("image/png"));
    assert_eq!(object.body.collect().await.expect("bytes").into_bytes().as_ref(), png);
}

async fn respond(api: &Api, id: &str, mut body: Value) -> Reply {
    body["pow"] = json!(proof(api).await);
    send(api, json_post(&format!("/api/surveys/{id}/responses"), body)).await
}

#[tokio::test]
async fn a_survey_response_is_checked_along_its_path_and_counted() {
    let api = api().await;
    let ok = respond(
        &api,
        "khao-sat-mo",
        json!({ "version": 1, "unit": "tinh-a", "q1": "co", "q2": ["a", "b"], "q3": "<b>Tốt</b>" }),
    )
    .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.text());
    let results = get(&api, "/api/surveys/khao-sat-mo/results").await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.header("cache-control").is_some_and(|c| c.starts_with("public")));
    let r = results.json();
    assert_eq!(
        (r["responses"].clone(), r["questions"]["q2"]["b"].clone(), r["questions"]["q3"]["_"].clone()),
        (json!(1), json!(1), json!(1))
    );
    assert_eq!(get(&api, "/api/surveys/khao-sat-mo/results?unit=tinh-a").await.json()["responses"], json!(1));
    assert_eq!(get(&api, "/api/surveys/khao-sat-mo/results?unit=tinh-b").await.status, StatusCode::NOT_FOUND);

    let skipped =
        respond(&api, "khao-sat-mo", json!({ "version": 1, "unit": "tinh-a", "q1": "khong", "q2": ["a"] })).await;
    assert_eq!(skipped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(skipped.json()["detail"].as_str().is_some_and(|d| d.contains("Câu 2 (`q2`) không thuộc lượt trả lời")));
    let typed = respond(&api, "khao-sat-mo", json!({ "version": 1, "unit": "tinh-x", "q1": "co", "q2": ["z"] })).await;
    assert_eq!(typed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let messages: Vec<String> = typed.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(messages.iter().any(|m| m.starts_with("Đơn vị")), "{messages:?}");
    assert!(messages.iter().any(|m| m == "Câu 2: không có lựa chọn `z`"), "{messages:?}");
    let wrong_version = respond(&api, "khao-sat-mo", json!({ "version": 2, "unit": "tinh-a", "q1": "khong" })).await;
    assert_eq!(wrong_version.status, StatusCode::NOT_FOUND);
    assert_eq!(respond(&api, "khong-co", json!({ "version": 1 })).await.status, StatusCode::NOT_FOUND);
    let closed = respond(&api, "khao-sat-da-dong", json!({ "version": 1, "unit": "tinh-a", "q1": "khong" })).await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert!(closed.json()["detail"].as_str().is_some_and(|d| d.starts_with("Khảo sát đã kết thúc")));
    let huge = respond(
        &api,
        "khao-sat-mo",
        json!({ "version": 1, "unit": "tinh-a", "q1": "khong", "q3": "x".repeat(70_000) }),
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        get(&api, "/api/surveys/khao-sat-mo/results").await.json()["responses"],
        json!(1),
        "refusals store nothing"
    );

    // The moderators' export has the answers (a formula made harmless for spreadsheets); without the token it is
    // refused.
    let formula = json!({ "version": 1, "unit": "tinh-a", "q1": "khong", "q3": "=HYPERLINK(\"http://x\")" });
    assert_eq!(respond(&api, "khao-sat-mo", formula).await.status, StatusCode::ACCEPTED);
    let csv_uri = "/api/moderation/surveys/khao-sat-mo/responses.csv";
    assert_eq!(get(&api, csv_uri).await.status, StatusCode::UNAUTHORIZED);
    let csv = send(&api, with_token(Request::get(csv_uri).body(Body::empty()).expect("request"))).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    // In words: the question's text over its column, option labels, the unit's name.
    assert!(text.contains("Câu 2. Qua kênh nào?") && text.contains("A; B") && text.contains("<b>Tốt</b>"), "{text}");
    assert!(text.contains(",Tỉnh A,") && !text.contains("tinh-a") && text.contains("Có biết"), "{text}");
    assert!(text.contains("'=HYPERLINK") && !text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"), "{text}");
}

/// A site serving one results page, as the build writes it (its section between the markers), on loopback.
async fn site_with_results_page() -> String {
    use cchc_functions::survey::{SECTION_END, SECTION_START};
    let page = format!(
        "<!doctype html><html lang=\"vi\"><head><title>Kết quả</title></head><body><header class=\"site-header\">\
         <nav>Trang chủ · Khảo sát</nav></header><main>{SECTION_START}<p>ảnh chụp lúc dựng</p>{SECTION_END}\
         <p>Tham gia khảo sát</p></main><footer>Bộ Nội vụ</footer></body></html>"
    );
    let site = Router::new().route(
        "/ket-qua-khao-sat/thu/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, site).await });
    address.to_string()
}

#[tokio::test]
async fn results_are_open_data_and_a_page_per_unit_in_the_sites_layout() {
    let api = api().await;
    let answers = json!({ "version": 1, "unit": "tinh-a", "q1": "co", "q2": ["a", "b"], "q3": "Tốt" });
    assert_eq!(respond(&api, "khao-sat-mo", answers).await.status, StatusCode::ACCEPTED);

    // JSON at a stable address, with its licence.
    let data = get(&api, "/api/surveys/khao-sat-mo/results.json?unit=tinh-a").await;
    assert_eq!(data.status, StatusCode::OK);
    let body = data.json();
    assert_eq!((body["responses"].clone(), body["questions"]["q1"]["co"].clone()), (json!(1), json!(1)));
    assert!(body["licence"].as_str().is_some_and(|l| l.contains("CC BY 4.0")), "{body}");
    assert!(data.header("link").is_some_and(|l| l.contains("rel=\"license\"")));
    assert_eq!(get(&api, "/api/surveys/khao-sat-mo/results").await.json()["units"], json!({ "tinh-a": 1 }));

    // CSV: a row per question and option.
    let csv = get(&api, "/api/surveys/khao-sat-mo/results.csv").await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    assert!(text.starts_with("khao_sat,phien_ban,don_vi,so_phieu,cau,"), "{text}");
    assert!(text.contains("\"q1\",\"Ông/Bà có biết không?\",\"co\",\"Có biết\",1\n"), "{text}");
    assert!(text.contains("\"q1\",\"Ông/Bà có biết không?\",\"khong\",\"Không biết\",0\n"), "{text}");

    // Without JavaScript the filter asks the function for a page: the site's own page around the unit's results,
    // a chart beside each table.
    let site = site_with_results_page().await;
    let request = Request::get("/api/surveys/khao-sat-mo/results.html?trang=%2Fket-qua-khao-sat%2Fthu%2F&unit=tinh-a")
        .header(header::HOST, &site)
        .body(Body::empty())
        .expect("request");
    let page = send(&api, request).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let html = page.text();
    assert!(html.contains("<header class=\"site-header\"><nav>Trang chủ · Khảo sát</nav></header>"), "{html}");
    assert!(html.contains("<footer>Bộ Nội vụ</footer>") && html.contains("Tham gia khảo sát"), "{html}");
    assert!(!html.contains("ảnh chụp lúc dựng"), "the build's section is replaced");
    assert!(html.contains("Kết quả tổng hợp: Tỉnh A") && html.contains("<option value=\"tinh-a\" selected>"));
    assert!(html.contains("Số phiếu: <strong data-total>1</strong>"), "{html}");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2, "a chart for each choice question");
    assert!(html.contains("results.csv?unit=tinh-a") && html.contains("rel=\"license\""), "{html}");
    // The section alone, for the page's script; a page outside the results pages is never fetched.
    let part = get(&api, "/api/surveys/khao-sat-mo/results.html?unit=tinh-a&phan=1").await.text();
    assert!(part.starts_with("<!--ket-qua-khao-sat--><section") && !part.contains("<html"), "{part}");
    let elsewhere = get(&api, "/api/surveys/khao-sat-mo/results.html?trang=%2Fquan-tri%2F").await.text();
    assert!(elsewhere.contains("<header class=\"site-header\">") && elsewhere.contains("<svg"), "{elsewhere}");
    // Unknown units and communes outside a unit are not found.
    for uri in ["results.html?unit=tinh-x", "results.csv?commune=16279", "results.json?unit=tinh-a&commune=abc"] {
        assert_eq!(get(&api, &format!("/api/surveys/khao-sat-mo/{uri}")).await.status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn a_restricted_survey_takes_each_access_code_once() {
    let api = api().await;
    let body = |code: Option<&str>| {
        let mut b = json!({ "version": 1, "unit": "tinh-a", "q1": "khong" });
        if let Some(c) = code {
            b["code"] = json!(c);
        }
        b
    };
    assert_eq!(respond(&api, "khao-sat-co-ma", body(None)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(respond(&api, "khao-sat-co-ma", body(Some("ZZZZZ-99999"))).await.status, StatusCode::FORBIDDEN);
    // Unit C's code, for unit A: refused at the unit field, so the respondent can pick the unit on the code sheet.
    let wrong_unit = respond(&api, "khao-sat-co-ma", body(Some("KMNPQ-23456"))).await;
    assert_eq!(wrong_unit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_unit.header("content-type"), Some("application/problem+json"));
    assert_eq!(wrong_unit.json()["errors"][0]["field"], json!("unit"));
    assert!(wrong_unit.json()["detail"].as_str().is_some_and(|d| d.contains("đơn vị khác")), "{}", wrong_unit.text());
    assert_eq!(
        respond(&api, "khao-sat-co-ma", body(Some("FGHJK-67890"))).await.status,
        StatusCode::FORBIDDEN,
        "a code stored unkeyed is not accepted"
    );
    // Case and the dash do not matter.
    assert_eq!(respond(&api, "khao-sat-co-ma", body(Some("abcde12345"))).await.status, StatusCode::ACCEPTED);
    // The same post again (a double click) replays the first answer; other answers with the used code are refused.
    let replay = respond(&api, "khao-sat-co-ma", body(Some("ABCDE-12345"))).await;
    assert_eq!((replay.status, replay.header("idempotency-replayed")), (StatusCode::ACCEPTED, Some("true")));
    let mut other = body(Some("ABCDE-12345"));
    other["q3"] = json!("Một phiếu khác");
    let again = respond(&api, "khao-sat-co-ma", other).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert_eq!(again.json()["detail"], json!("mã truy cập không đúng hoặc đã được dùng"));
    assert_eq!(respond(&api, "khao-sat-mo", body(Some("ABCDE-12345"))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(get(&api, "/api/surveys/khao-sat-co-ma/results").await.json()["responses"], json!(1));
}

/// What the runner's first step asks: `POST …/code`.
async fn check_code(api: &Api, unit: &str, code: &str) -> Reply {
    send(api, form("/api/surveys/khao-sat-co-ma/code", &format!("version=1&unit={unit}&code={code}"))).await
}

#[tokio::test]
async fn an_access_code_is_checked_on_the_first_step_without_being_spent() {
    let api = api().await;
    assert_eq!(check_code(&api, "tinh-a", "ABCDE-12345").await.status, StatusCode::NO_CONTENT);
    assert_eq!(check_code(&api, "tinh-a", "abcde12345").await.status, StatusCode::NO_CONTENT, "as typed");
    let wrong = check_code(&api, "tinh-a", "ZZZZZ-99999").await;
    assert_eq!((wrong.status, wrong.header("content-type")), (StatusCode::FORBIDDEN, Some("application/problem+json")));
    assert_eq!(wrong.json()["detail"], json!("mã truy cập không đúng hoặc đã được dùng"));
    let other_unit = check_code(&api, "tinh-a", "KMNPQ-23456").await;
    assert_eq!(other_unit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other_unit.json()["errors"][0]["field"], json!("unit"));
    assert_eq!(check_code(&api, "tinh-c", "KMNPQ-23456").await.status, StatusCode::NO_CONTENT);
    let no_unit = check_code(&api, "tinh-x", "KMNPQ-23456").await;
    assert_eq!(no_unit.json()["errors"][0]["field"], json!("unit"), "{}", no_unit.text());
    let no_code = send(&api, form("/api/surveys/khao-sat-co-ma/code", "version=1&unit=tinh-a")).await;
    assert_eq!(no_code.json()["errors"][0]["field"], json!("code"));
    // Checked, the code was not spent: the response takes it, and after that the check refuses it.
    let body = json!({ "version": 1, "unit": "tinh-a", "q1": "khong", "code": "ABCDE-12345" });
    assert_eq!(respond(&api, "khao-sat-co-ma", body).await.status, StatusCode::ACCEPTED);
    assert_eq!(check_code(&api, "tinh-a", "ABCDE-12345").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_wrong_code_sent_without_javascript_does_not_cost_one_of_the_three_tries() {
    let api = api().await;
    let post = |code: &str| {
        form("/api/surveys/khao-sat-co-ma/responses", &format!("version=1&unit=tinh-a&q1=khong&code={code}"))
    };
    for wrong in ["ZZZZZ-99991", "ZZZZZ-99992", "ZZZZZ-99993", "KMNPQ-23456"] {
        let refused = send(&api, post(wrong)).await;
        assert!(refused.status.is_client_error() && refused.status != StatusCode::TOO_MANY_REQUESTS, "{wrong}");
        assert!(refused.text().contains("<title>Lỗi: "), "{}", refused.text());
    }
    let ok = send(&api, post("ABCDE-12345")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(get(&api, "/api/surveys/khao-sat-co-ma/results").await.json()["responses"], json!(1));
}
