//! Fault injection: the API's DynamoDB client talks to the moto server (started by `tests/run`) through
//! `tests/faults/proxy.py`, which fails a seeded share of the calls (HTTP 500, `ProvisionedThroughputExceeded`,
//! `Throttling`, connection resets before and after the write was applied, 3-second stalls) or, for a while,
//! every call. Under 200 concurrent keyed submissions: every 2xx is stored exactly once, every failure is a 503
//! problem+json with `Retry-After`, a retry with the same key completes it, and the survey counters equal the
//! responses stored. What was stored is read directly from moto, not through the proxy.
//!
//! The client is built by `DynamoStore::client_from_env`, as production builds it (standard retry mode, 5
//! attempts), so the figures printed (`--nocapture`) show what the SDK's retries absorb and what reaches the API.
//! `CCHC_FAULT_SEED` picks another fault sequence (default 23).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cchc_functions::domain::{Consultation, ConsultationId};
use cchc_functions::http::{AppState, Attachments, ModerationAuth, Settings, api_router};
use cchc_functions::spam::Secrets;
use cchc_functions::store::{DynamoStore, Store};
use cchc_functions::survey::{Answer, Survey, SurveySource, Unit};
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use ulid::Ulid;

#[path = "support/stream.rs"]
mod stream;

const CONSULTATION: &str = "du-thao-chap-chon";
const SURVEY_ID: &str = "khao-sat-chap-chon";
/// The shared test survey's questions; each survey here gets its own id, access and window.
const SURVEY: &str = include_str!("fixtures/survey.yaml");
/// Concurrent submissions under the seeded faults: half comments, half survey responses.
const SUBMISSIONS: usize = 200;
/// Concurrent submissions during the outage (every call fails).
const DURING_OUTAGE: usize = 40;
/// Sends of one submission, its first included, before the test gives up on it.
const MAX_SENDS: usize = 12;

/// The moto server's endpoint, as `tests/run` exports it.
fn moto_endpoint() -> String {
    std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "CCHC_TEST_DYNAMODB_ENDPOINT is not set: run tests/run, or start `tests/moto_server.py PORT` and export \
             CCHC_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and \
             AWS_REGION"
        )
    })
}

/// `tests/faults/proxy.py`, running; stopped (and its stdin closed, which also stops it) when dropped.
struct Proxy {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
}

impl Proxy {
    fn start(upstream: &str, seed: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/');
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/faults/proxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(upstream)
            .arg(seed)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs tests/faults/proxy.py");
        let stdin = child.stdin.take().expect("proxy stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("proxy stdout")).read_line(&mut line).expect("proxy port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the proxy printed `{line}`, not its port"));
        Self { child, _stdin: stdin, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends a control request (`on`, `off`, `outage`, `blackhole`, `stats`) and returns its JSON answer.
    fn control(&self, what: &str) -> Value {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("proxy control");
        let method = if what == "stats" { "GET" } else { "POST" };
        write!(stream, "{method} /__faults/{what} HTTP/1.1\r\nHost: proxy\r\nContent-Length: 0\r\n\r\n")
            .expect("control request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("control answer");
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|_| panic!("proxy control answered `{answer}`"))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A table on moto with the open consultation and the published survey, a store reading it directly, and the
/// API whose store reaches the same table through the proxy.
struct Setup {
    direct: DynamoStore,
    /// The store the API uses, through the proxy (the aggregator counts through it too).
    faulty: DynamoStore,
    router: Router,
    proxy: Proxy,
}

async fn setup(seed: &str) -> Setup {
    let endpoint = moto_endpoint();
    let direct_client = DynamoStore::client_from_env(Some(&endpoint)).await;
    let table = format!("cchc-faults-{}", Ulid::new().to_string().to_lowercase());
    DynamoStore::create_table(&direct_client, &table).await.expect("create table on the moto server");
    let direct = DynamoStore::new(direct_client, table.clone());
    let today = Utc::now().date_naive();
    let consultation = Consultation {
        id: ConsultationId::parse(CONSULTATION).expect("id"),
        title: "Dự thảo thử khi kho dữ liệu chập chờn".into(),
        opens: today - Duration::days(3),
        closes: today + Duration::days(3),
    };
    direct.put_consultation(&consultation).await.expect("consultation");
    let yaml = format!(
        "id: {SURVEY_ID}\nopens: {}\ncloses: {}\n{SURVEY}",
        today - Duration::days(3),
        today + Duration::days(3)
    );
    let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
    let units = vec![Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None }];
    direct.put_survey(&Survey::check(source, units).expect("valid survey")).await.expect("publish");

    let proxy = Proxy::start(&endpoint, seed);
    // The client as production builds it: same loader, same retry configuration; only the endpoint differs.
    let faulty = DynamoStore::new(DynamoStore::client_from_env(Some(&proxy.url())).await, table);
    let settings = Settings {
        secrets: Secrets::new("khoa-thu-thach", "muoi"),
        moderation: ModerationAuth::Token("ma-kiem-duyet-thu".into()),
        attachments: Attachments::MetadataOnly,
        site_url: String::new(),
        spam_checks: false,
        today: None,
        back_office: None,
    };
    Setup { direct, faulty: faulty.clone(), router: api_router(AppState::new(faulty, settings)), proxy }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Comment,
    Survey,
}

/// One submission a client keeps re-sending, with the same key and body, until it is acknowledged.
#[derive(Debug, Clone)]
struct Submission {
    kind: Kind,
    /// What identifies it once stored: the comment's text, or the survey's free-text answer.
    marker: String,
    key: String,
    uri: String,
    body: Value,
}

fn submission(i: usize) -> Submission {
    let key = format!("khoa-loi-{i:05}");
    if i.is_multiple_of(2) {
        let marker = format!("Góp ý số {i} khi kho dữ liệu chập chờn");
        let body = json!({ "email": format!("nguoi{i}@vidu.vn"), "text": marker });
        Submission {
            kind: Kind::Comment,
            marker,
            key,
            uri: format!("/api/consultations/{CONSULTATION}/comments"),
            body,
        }
    } else {
        let marker = format!("Phản hồi số {i}");
        let body = if i % 4 == 1 {
            json!({ "version": 1, "unit": "tinh-a", "q1": "co", "q2": ["a", "b"], "q3": marker })
        } else {
            json!({ "version": 1, "unit": "tinh-a", "q1": "khong", "q3": marker })
        };
        Submission { kind: Kind::Survey, marker, key, uri: format!("/api/surveys/{SURVEY_ID}/responses"), body }
    }
}

/// What the API answered.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(router: &Router, s: &Submission) -> Reply {
    let request = Request::post(&s.uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", &s.key)
        .body(Body::from(s.body.to_string()))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// How the submissions fared, and every answer that broke the rules.
#[derive(Debug, Default)]
struct Ledger {
    /// Submission index → the id every 2xx answer gave it.
    acknowledged: BTreeMap<usize, String>,
    /// Sends per submission until acknowledged (or `MAX_SENDS`).
    sends: BTreeMap<usize, usize>,
    /// 2xx answers that replayed a stored answer (the first send's write was applied, its answer lost).
    replayed: usize,
    /// 503 answers.
    unavailable: usize,
    /// Answers that were neither a 2xx nor a 503 problem+json with `Retry-After`, and acknowledgements that
    /// named another id than an earlier one.
    violations: Vec<String>,
}

impl Ledger {
    /// Checks one answer to submission `i` and records it; true when it was acknowledged.
    fn record(&mut self, i: usize, reply: &Reply) -> bool {
        *self.sends.entry(i).or_default() += 1;
        if reply.status.is_success() {
            let id = serde_json::from_str::<Value>(&reply.body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string))
                .unwrap_or_default();
            if reply.headers.get("idempotency-replayed").is_some() {
                self.replayed += 1;
            }
            match self.acknowledged.get(&i) {
                Some(first) if *first != id => {
                    self.violations.push(format!("submission {i}: acknowledged as {first}, then as {id}"))
                }
                Some(_) => {}
                None => {
                    self.acknowledged.insert(i, id);
                }
            }
            return true;
        }
        self.unavailable += usize::from(reply.status == StatusCode::SERVICE_UNAVAILABLE);
        let problem: Option<Value> = serde_json::from_str(&reply.body).ok();
        let content_type = reply.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let retry_after = reply.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let detail = problem.as_ref().and_then(|p| p["detail"].as_str()).unwrap_or_default();
        let well_formed = reply.status == StatusCode::SERVICE_UNAVAILABLE
            && content_type == Some("application/problem+json")
            && retry_after.is_some_and(|s| s > 0)
            && problem.as_ref().is_some_and(|p| p["status"] == 503)
            && !detail.is_empty()
            && !detail.contains("DynamoDB")
            && !detail.contains("panicked");
        if !well_formed {
            self.violations.push(format!(
                "submission {i}: {} {content_type:?} Retry-After {retry_after:?}: {}",
                reply.status, reply.body
            ));
        }
        false
    }
}

/// Submissions in flight at once: many clients together, as at a peak, but not more than one moto process on a
/// busy 2-core machine answers within the client's attempt timeout. With every one of 240 at once, each attempt
/// that timed out left moto a request to finish anyway, so the next round met a longer queue: every answer was 503
/// for minutes, a test of the machine, not of the code.
const IN_FLIGHT: usize = 32;

/// Sends every submission in `which` concurrently, [`IN_FLIGHT`] at a time (each is sent once).
async fn burst(router: &Router, all: &Arc<Vec<Submission>>, which: &[usize]) -> Vec<(usize, Reply)> {
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let tasks: Vec<_> = which
        .iter()
        .map(|&i| {
            let (router, all, slots) = (router.clone(), all.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
                (i, send(&router, &all[i]).await)
            })
        })
        .collect();
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.expect("task"));
    }
    replies
}

/// What the table holds for the submissions, read directly from moto: marker → stored ids.
async fn stored(direct: &DynamoStore) -> (HashMap<String, Vec<String>>, BTreeMap<String, u64>, usize) {
    let mut by_marker: HashMap<String, Vec<String>> = HashMap::new();
    let id = ConsultationId::parse(CONSULTATION).expect("id");
    for (comment, _) in direct.export_comments(&id).await.expect("export comments from moto") {
        by_marker.entry(comment.text.clone()).or_default().push(comment.id.to_string());
    }
    let records = direct.survey_responses(SURVEY_ID, 1).await.expect("survey responses from moto");
    for record in &records {
        let text = match record.response.answers.get("q3") {
            Some(Answer::One(text)) => text.clone(),
            other => format!("{other:?}"),
        };
        by_marker.entry(text).or_default().push(record.id.to_string());
    }
    let counts = direct.survey_counts(SURVEY_ID, 1, "tinh-a").await.expect("survey counters from moto");
    (by_marker, counts, records.len())
}

fn figures(label: &str, stats: &Value) {
    eprintln!("[faults] {label}: {stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faulted_dynamodb_calls_answer_503_and_keyed_retries_store_each_submission_once() {
    let seed = std::env::var("CCHC_FAULT_SEED").unwrap_or_else(|_| "23".into());
    let Setup { direct, faulty, router, proxy } = setup(&seed).await;
    let all: Arc<Vec<Submission>> = Arc::new((0..SUBMISSIONS + DURING_OUTAGE).map(submission).collect());
    let mut ledger = Ledger::default();
    let started = std::time::Instant::now();

    // 1. 200 concurrent submissions while 20 % of DynamoDB calls fail.
    proxy.control("on");
    let first_minute = Utc::now().timestamp() / 60;
    let first: Vec<usize> = (0..SUBMISSIONS).collect();
    for (i, reply) in burst(&router, &all, &first).await {
        ledger.record(i, &reply);
    }
    let seeded = proxy.control("stats");
    let (acknowledged_first, replayed_first, unavailable_first) =
        (ledger.acknowledged.len(), ledger.replayed, ledger.unavailable);
    figures(&format!("seed {seed}, after the 200 concurrent submissions (20 % of calls faulted)"), &seeded);

    // Every acknowledged submission is stored exactly once, under the acknowledged id, before any retry.
    let (by_marker, _, _) = stored(&direct).await;
    let mut applied_though_refused = 0;
    for &i in &first {
        let ids = by_marker.get(&all[i].marker).cloned().unwrap_or_default();
        match ledger.acknowledged.get(&i) {
            Some(id) => assert_eq!(ids, vec![id.clone()], "acknowledged submission {i} is stored once, as answered"),
            None => {
                assert!(ids.len() <= 1, "refused submission {i} is stored at most once: {ids:?}");
                applied_though_refused += ids.len();
            }
        }
    }

    // 2. An outage longer than the SDK's retries: every call fails; every answer must be a 503.
    proxy.control("outage");
    let outage: Vec<usize> = (SUBMISSIONS..SUBMISSIONS + DURING_OUTAGE).collect();
    let mut acknowledged_in_outage = 0;
    for (i, reply) in burst(&router, &all, &outage).await {
        acknowledged_in_outage += usize::from(ledger.record(i, &reply));
    }
    figures("after the outage", &proxy.control("stats"));

    // 3. The faults go on (20 %); every refused submission is sent again with its key until it is acknowledged.
    proxy.control("on");
    let mut pending: Vec<usize> = (0..all.len()).filter(|i| !ledger.acknowledged.contains_key(i)).collect();
    let refused_total = pending.len();
    let mut rounds = 0;
    while !pending.is_empty() && rounds + 1 < MAX_SENDS {
        rounds += 1;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut still = Vec::new();
        for (i, reply) in burst(&router, &all, &pending).await {
            if !ledger.record(i, &reply) {
                still.push(i);
            }
        }
        pending = still;
    }
    figures("after the retries", &proxy.control("stats"));

    // 4. Faults off: a client that lost every answer sends each submission once more, in a later minute than
    // its first send (as a browser retrying after a lost answer may); each replays its answer.
    proxy.control("off");
    while Utc::now().timestamp() / 60 == first_minute {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // All 240 at once can still find moto too slow for the client's attempt timeout: such a send is answered 503
    // (busy, try again), which is itself a correct answer, and is sent again like the retries above. What must
    // never happen is an answer other than the replayed one.
    let mut waiting: Vec<usize> = (0..all.len()).collect();
    let mut replay_mismatches = Vec::new();
    let mut busy_resends = 0;
    for round in 0..MAX_SENDS {
        let mut busy = Vec::new();
        for (i, reply) in burst(&router, &all, &waiting).await {
            let id = serde_json::from_str::<Value>(&reply.body).ok().and_then(|v| v["id"].as_str().map(str::to_string));
            let replayed = reply.headers.get("idempotency-replayed").is_some();
            if reply.status == StatusCode::SERVICE_UNAVAILABLE && round + 1 < MAX_SENDS {
                busy.push(i);
            } else if reply.status != StatusCode::ACCEPTED || !replayed || id.as_ref() != ledger.acknowledged.get(&i) {
                replay_mismatches.push(format!("submission {i}: {} replayed={replayed} {}", reply.status, reply.body));
            }
        }
        if busy.is_empty() {
            break;
        }
        busy_resends += busy.len();
        waiting = busy;
        // Backing off as a client does: 0.5 s, 1 s, 2 s, then 4 s.
        tokio::time::sleep(std::time::Duration::from_millis(500 << round.min(3))).await;
    }
    eprintln!("[faults] replays after the faults: {busy_resends} sends answered 503 (busy) and sent again");

    // 4. The aggregator counts the responses from the stream through the same faults. A batch that reports a failed
    // record is given again from that record, as the event source mapping does; every record is then delivered once
    // more from the start. Counted exactly once all the same.
    proxy.control("on");
    let mut redeliveries = 0;
    let aggregator = cchc_functions::aggregate::Aggregator::new(Arc::new(faulty));
    let client = DynamoStore::client_from_env(Some(&moto_endpoint())).await;
    let batches = stream::stream_batches(&client, &moto_endpoint(), direct.table()).await;
    for batch in batches.iter().chain(&batches) {
        let mut records = batch["Records"].as_array().cloned().unwrap_or_default();
        loop {
            let answer = aggregator.stream_batch(&json!({ "Records": records })).await;
            let Some(failed) = answer["batchItemFailures"][0]["itemIdentifier"].as_str() else { break };
            redeliveries += 1;
            assert!(redeliveries < 10_000, "the aggregator never gets through");
            let from = records.iter().position(|r| r["dynamodb"]["SequenceNumber"] == failed).expect("a record");
            records.drain(..from);
        }
    }
    proxy.control("off");
    eprintln!(
        "[faults] aggregator: {} stream batches delivered twice, {redeliveries} redeliveries after a failed record",
        batches.len()
    );

    let (by_marker, counts, responses) = stored(&direct).await;
    let comments_stored: usize =
        all.iter().filter(|s| s.kind == Kind::Comment).map(|s| by_marker.get(&s.marker).map_or(0, Vec::len)).sum();
    let retries_needed: BTreeMap<usize, usize> =
        ledger.sends.values().filter(|&&n| n > 1).fold(BTreeMap::new(), |mut m, &n| {
            *m.entry(n - 1).or_default() += 1;
            m
        });
    let total_retries: usize = ledger.sends.values().map(|n| n - 1).sum();
    eprintln!(
        "[faults] seed {seed}: {} submissions ({SUBMISSIONS} under 20 % faults, {DURING_OUTAGE} during the outage) in \
         {:.1} s\n[faults] under 20 % faults: SDK invocations {}, faulted {} (absorbed by the SDK's retries {}, \
         given up {}), retry attempts {}; API answers: acknowledged {acknowledged_first} (of which replays of a write \
         whose answer was lost {replayed_first}), 503 {unavailable_first}, refused but applied \
         {applied_though_refused}\n[faults] outage: acknowledged {acknowledged_in_outage} of {DURING_OUTAGE}\n\
         [faults] retried {refused_total} submissions with their keys; retries needed (retries → submissions) \
         {retries_needed:?}, {total_retries} retries in all, {} of the acknowledgements replays of a write applied \
         before its 503, {} still refused after {MAX_SENDS} sends\n[faults] \
         stored: {comments_stored} comments, {responses} survey responses; counters {counts:?}\n[faults] answers \
         that broke the rules: {}",
        all.len(),
        started.elapsed().as_secs_f64(),
        seeded["invocations"],
        seeded["invocations_faulted"],
        seeded["invocations_recovered"],
        seeded["invocations_failed"],
        seeded["retry_attempts"],
        ledger.replayed - replayed_first,
        pending.len(),
        ledger.violations.len(),
    );

    assert!(
        ledger.violations.is_empty(),
        "every failure is a 503 problem+json with Retry-After: {:#?}",
        ledger.violations
    );
    assert!(
        seeded["faulted"].as_object().is_some_and(|f| f.values().all(|n| n.as_u64() > Some(0))),
        "every kind of fault was injected: {seeded}"
    );
    assert_eq!(acknowledged_in_outage, 0, "nothing is acknowledged while every call fails");
    assert!(pending.is_empty(), "every submission is acknowledged within {MAX_SENDS} sends: {pending:?} are not");
    assert!(replay_mismatches.is_empty(), "a re-sent submission replays its answer: {replay_mismatches:#?}");
    for (i, s) in all.iter().enumerate() {
        let ids = by_marker.get(&s.marker).cloned().unwrap_or_default();
        assert_eq!(ids.len(), 1, "submission {i} ({:?}) is stored exactly once: {ids:?}", s.kind);
        assert_eq!(
            Some(&ids[0]),
            ledger.acknowledged.get(&i),
            "submission {i} is stored under the id it was answered with"
        );
    }
    let surveys = all.iter().filter(|s| s.kind == Kind::Survey).count() as u64;
    assert_eq!(responses as u64, surveys, "one stored response per survey submission");
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    assert_eq!(count("tinh-a#_#n"), surveys, "the response counter equals the responses stored");
    assert_eq!(count("tinh-a#q1#co") + count("tinh-a#q1#khong"), surveys);
    assert_eq!(count("tinh-a#q2#a"), count("tinh-a#q1#co"));
    assert_eq!(count("tinh-a#q2#b"), count("tinh-a#q1#co"));
    assert_eq!(count("tinh-a#q3#_"), surveys);
    // The public results, through the API, count the same.
    let request = Request::get(format!("/api/surveys/{SURVEY_ID}/results")).body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let results: Value =
        serde_json::from_slice(&response.into_body().collect().await.expect("body").to_bytes()).expect("results JSON");
    assert_eq!(results["responses"], json!(surveys), "the published results count every response once");
}

/// A DynamoDB call that is never answered must not hold the request for ever: the client's attempt and operation
/// timeouts end it, and the API answers 503. The bound here (60 s) only tells a hang from an answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamodb_call_never_answered_ends_in_a_503_not_a_hang() {
    let Setup { router, proxy, .. } = setup("23").await;
    proxy.control("blackhole");
    let s = submission(0);
    let reply = tokio::time::timeout(std::time::Duration::from_secs(60), send(&router, &s)).await;
    let stats = proxy.control("stats");
    eprintln!("[faults] blackhole: {stats}");
    let reply = reply.unwrap_or_else(|_| panic!("no answer within 60 s while DynamoDB never answers: {stats}"));
    let mut ledger = Ledger::default();
    assert!(!ledger.record(0, &reply), "nothing can be acknowledged");
    assert!(ledger.violations.is_empty(), "{:?}", ledger.violations);
}
