//! Property tests of what reads untrusted input: the body readers (JSON, form, multipart), the survey response
//! validator, the pagination cursor and the whole router. For any input up to 1 MiB: no panic, no 5xx, every
//! refusal a problem+json 4xx. Cases are bounded so the suite stays well under a minute; `tests/bench/fuzz.sh`
//! searches further with the same readers.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, header};
use cchc_functions::domain::{Consultation, ConsultationId};
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings, Submission, api_router};
use cchc_functions::spam::Secrets;
use cchc_functions::store::{Cursor, SqliteStore, Store};
use cchc_functions::survey::{RawAnswers, Survey, SurveySource, Unit};
use http_body_util::BodyExt;
use proptest::prelude::*;
use tower::ServiceExt;

const QUESTIONS: &str = include_str!("fixtures/survey.yaml");
const MIB: usize = 1024 * 1024;

fn survey() -> Survey {
    let yaml = format!("id: khao-sat-thu\naccess: public\nopens: 2020-01-01\ncloses: 2099-12-31\n{QUESTIONS}");
    let source: SurveySource = serde_yaml::from_str(&yaml).expect("fixture YAML");
    let units = vec![Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None }];
    Survey::check(source, units).expect("valid fixture")
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime"))
}

/// Bytes up to 1 MiB: mostly short, sometimes a short piece repeated up to the limit (deep nesting, long runs).
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(any::<u8>(), 0..512),
        1 => (prop::collection::vec(any::<u8>(), 1..16), 1..MIB / 16).prop_map(|(piece, n)| piece.repeat(n)),
    ]
}

/// Text shaped like the inputs: JSON and form syntax, percent escapes, invisible and multi-byte characters.
fn shaped() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(":".to_string()),
        Just(",".to_string()),
        Just("\"".to_string()),
        Just("&".to_string()),
        Just("=".to_string()),
        Just("%".to_string()),
        Just("%E1%BA".to_string()),
        Just("%C3%A1".to_string()),
        Just("+".to_string()),
        Just("\\u0000".to_string()),
        Just("\\ud800".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{202E}".to_string()),
        Just("text".to_string()),
        Just("email".to_string()),
        Just("q1".to_string()),
        Just("null".to_string()),
        Just("1e999".to_string()),
        "[a-zA-Z0-9ệ@. -]{0,12}",
    ];
    prop::collection::vec(token, 0..64).prop_map(|tokens| tokens.concat().into_bytes())
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![bytes(), shaped()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_json_reader_reads_or_refuses_with_a_4xx(body in input()) {
        if let Err(e) = Submission::from_json(&body) {
            prop_assert!(e.parts().0.is_client_error(), "{e}");
        }
    }

    #[test]
    fn the_form_reader_reads_or_refuses_with_a_4xx(body in input()) {
        if let Err(e) = Submission::from_form(&body) {
            prop_assert!(e.parts().0.is_client_error(), "{e}");
        }
    }

    #[test]
    fn the_multipart_reader_reads_or_refuses_with_a_4xx(body in input()) {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=ranh-gioi")
            .body(Body::from(body))
            .expect("request");
        if let Err(e) = runtime().block_on(Submission::read(request, 6 * MIB, true)) {
            prop_assert!(e.parts().0.is_client_error(), "{e}");
        }
    }

    #[test]
    fn the_cursor_decoder_never_panics(text in prop_oneof![".{0,64}", "[A-Za-z0-9_-]{0,3000}"]) {
        if let Ok(cursor) = Cursor::parse(&text) {
            let _ = cursor.position();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_response_validator_answers_any_answers(
        unit in prop_oneof![Just("tinh-a".to_string()), ".{0,8}"],
        answers in prop::collection::btree_map(
            prop_oneof![Just("q1".to_string()), Just("q2".to_string()), Just("q3".to_string()), Just("q2.x".to_string()), ".{0,6}"],
            prop::collection::vec(prop_oneof![Just("co".to_string()), Just("khong".to_string()), Just("a".to_string()), Just("b".to_string()), ".{0,40}", "\\PC{0,2000}"], 0..4),
            0..6,
        ),
    ) {
        static CHECKED: OnceLock<Survey> = OnceLock::new();
        let survey = CHECKED.get_or_init(survey);
        let raw: RawAnswers = answers;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        if let Err(errors) = survey.validate(&unit, &raw, today) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| !e.message.is_empty()));
        }
    }
}

fn router() -> &'static axum::Router {
    static ROUTER: OnceLock<axum::Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        runtime().block_on(async {
            let store = SqliteStore::in_memory().expect("store");
            let today = chrono::Utc::now().date_naive();
            let consultation = Consultation {
                id: ConsultationId::parse("du-thao").expect("id"),
                title: "Dự thảo".into(),
                opens: today - chrono::Duration::days(1),
                closes: today + chrono::Duration::days(1),
            };
            store.put_consultation(&consultation).await.expect("put");
            store.put_survey(&survey()).await.expect("publish");
            let settings = Settings {
                secrets: Secrets::new("khoa", "muoi"),
                moderation: ModerationAuth::Token("ma".into()),
                attachments: Attachments::MetadataOnly,
                site_url: String::new(),
                // Off, so random bodies reach the readers and validators behind the proof of work.
                spam_checks: false,
                today: None,
                back_office: None,
            };
            api_router(AppState::new(store, settings))
        })
    })
}

fn route() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        Just(("POST", "/api/consultations/du-thao/comments")),
        Just(("POST", "/api/questions")),
        Just(("POST", "/api/surveys/khao-sat-thu/responses")),
        Just(("POST", "/api/moderation/questions/01HZZZZZZZZZZZZZZZZZZZZZZZ/answer")),
        Just(("GET", "/api/consultations/du-thao/comments?limit=")),
        Just(("GET", "/api/surveys/khao-sat-thu/results?version=")),
        Just(("DELETE", "/api/questions")),
        Just(("GET", "/api/khong-co/")),
    ]
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("application/json"),
        Just("application/x-www-form-urlencoded"),
        Just("multipart/form-data; boundary=ranh-gioi"),
        Just("multipart/form-data"),
        Just("text/plain"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_api_never_answers_5xx_and_every_error_is_problem_json(
        (method, uri) in route(),
        query in "[a-z0-9%=&]{0,12}",
        content_type in content_type(),
        body in input(),
    ) {
        let uri = if uri.ends_with('=') { format!("{uri}{query}") } else { uri.to_string() };
        let request = Request::builder()
            .method(method)
            .uri(&uri)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::AUTHORIZATION, "Bearer ma")
            .body(Body::from(body))
            .expect("request");
        let response = runtime().block_on(router().clone().oneshot(request)).expect("infallible");
        let status = response.status();
        prop_assert!(!status.is_server_error(), "{method} {uri}: {status}");
        let kind = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body = runtime().block_on(response.into_body().collect()).expect("body").to_bytes();
        if status.is_client_error() && !kind.starts_with("text/html") {
            prop_assert_eq!(kind.as_str(), "application/problem+json", "{} {}: {}", method, uri, String::from_utf8_lossy(&body));
            let problem: serde_json::Value = serde_json::from_slice(&body).expect("problem JSON");
            prop_assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
    }
}

/// The fuzz corpus (`fuzz/corpus/<target>/`), replayed on stable: the interesting inputs found so far stay tested.
#[test]
fn the_fuzz_corpus_is_read_or_refused_with_a_4xx() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let inputs = |target: &str| -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
            .flatten()
            .map(|entry| entry.path())
            .collect();
        files.sort();
        files.iter().map(|path| std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).collect()
    };
    let client_error = |result: Result<Submission, cchc_functions::http::ApiError>| {
        if let Err(e) = result {
            assert!(e.parts().0.is_client_error(), "{e}");
        }
    };
    for body in inputs("json_body") {
        client_error(Submission::from_json(&body));
    }
    for body in inputs("form_body") {
        client_error(Submission::from_form(&body));
    }
    for body in inputs("multipart_body") {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=ranh-gioi")
            .body(Body::from(body))
            .expect("request");
        client_error(runtime().block_on(Submission::read(request, 6 * MIB, true)));
    }
    let survey = survey();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    for body in inputs("survey_response") {
        if let Ok(submission) = Submission::from_form(&body) {
            let mut raw = RawAnswers::new();
            for (name, value) in &submission.values {
                raw.entry(name.clone()).or_default().push(value.clone());
            }
            let _ = survey.validate(submission.get("unit").unwrap_or_default(), &raw, today);
        }
    }
    for text in inputs("cursor") {
        if let Ok(cursor) = Cursor::parse(&String::from_utf8_lossy(&text)) {
            let _ = cursor.position();
        }
    }
}
