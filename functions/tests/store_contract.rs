//! The `Store` contract, run against both backends: SQLite (a file in a temporary folder) and DynamoDB (the moto
//! server started by `tests/run`; each test gets a table of its own).

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use cchc_functions::domain::{
    Actor, AgencyResponse, AnswerText, AuditAction, AuditEntry, CodeBatch, Comment, CommentContact, Consultation,
    ConsultationId, Decision, IdempotencyKey, Question, QuestionContact, Reason, Status, StoredResponse, Uptake,
};
use std::collections::BTreeMap;

use cchc_functions::aggregate::Aggregator;
use cchc_functions::store::{
    Cursor, DynamoStore, KeyScope, Publication, Saved, SqliteStore, Store, StoreError, SurveyWrite,
};
use cchc_functions::survey::{ALL, RawAnswers, Record, Survey, SurveySource, Unit};
use serde_json::json;

/// A keyed code hash, as the functions store it.
fn code_hash(survey: &str, code: &str) -> String {
    cchc_functions::secrets::access_code_hash(b"khoa-thu", survey, code)
}
use chrono::{Duration, NaiveDate, Utc};
use ulid::Ulid;

#[path = "support/stream.rs"]
mod stream;

async fn sqlite() -> (SqliteStore, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("tempdir");
    (SqliteStore::open(&dir.path().join("cchc.sqlite3")).expect("open"), Some(dir))
}

/// A DynamoDB client for the local server named by `CCHC_TEST_DYNAMODB_ENDPOINT`.
pub fn dynamo_client() -> aws_sdk_dynamodb::Client {
    let endpoint = std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "CCHC_TEST_DYNAMODB_ENDPOINT is not set. The DynamoDB half of the contract runs against a local server: \
             run tests/run (it installs moto[server] from PyPI into a virtual environment and starts it), or start \
             one yourself with `moto_server -H 127.0.0.1 -p 5123` and export CCHC_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:5123"
        )
    });
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(cchc_functions::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

async fn dynamo() -> (DynamoStore, Option<tempfile::TempDir>) {
    let client = dynamo_client();
    let table = format!("cchc-test-{}", Ulid::new().to_string().to_lowercase());
    DynamoStore::create_table(&client, &table).await.expect("create table on the moto server");
    (DynamoStore::new(client, table), None)
}

/// What a test does before reading counters: lets them catch up with the responses stored. The embedded store
/// counts behind each commit (waited for here); on DynamoDB the test reads the table's stream from moto, from its
/// start every time (so every record is delivered again: the aggregator must count nothing twice), and gives it to
/// the aggregator in batches, as the event source mapping does on AWS.
trait Settle: Store + Sized {
    async fn settle(&self);
}

impl Settle for SqliteStore {
    async fn settle(&self) {
        self.count_uncounted().await.expect("count the responses");
    }
}

impl Settle for DynamoStore {
    async fn settle(&self) {
        let aggregator = Aggregator::new(Arc::new(self.clone()));
        let endpoint = std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").expect("CCHC_TEST_DYNAMODB_ENDPOINT");
        for batch in stream::stream_batches(&dynamo_client(), &endpoint, self.table()).await {
            let answer = aggregator.stream_batch(&batch).await;
            assert_eq!(answer, json!({ "batchItemFailures": [] }), "every record is counted");
        }
    }
}

fn consultation(id: &str) -> Consultation {
    let today = Utc::now().date_naive();
    Consultation {
        id: ConsultationId::parse(id).expect("id"),
        title: format!("Dự thảo {id}"),
        opens: today - Duration::days(10),
        closes: today + Duration::days(10),
    }
}

fn comment(consultation: &str, text: &str) -> Comment {
    Comment {
        id: Ulid::new(),
        consultation: ConsultationId::parse(consultation).expect("id"),
        status: Status::Pending,
        created_at: Utc::now(),
        name: Some("Nguyễn Văn An".into()),
        organisation: None,
        section: Some("Điều 5".into()),
        text: text.into(),
        reason: None,
        decided: None,
        response: None,
    }
}

/// An audit entry of `who` about `subject` (the stores write it with the change).
fn audit(who: &str, action: AuditAction, subject: String) -> AuditEntry {
    AuditEntry::now(&Actor { id: format!("id-{who}"), name: who.into() }, action, subject, "trước".into(), "sau".into())
}

/// `moderate_comment` by `who`, with its audit entry.
async fn decide<S: Store>(
    store: &S,
    c: &ConsultationId,
    id: Ulid,
    d: &Decision,
    who: &str,
) -> Result<Comment, StoreError> {
    let action =
        if matches!(d, Decision::Approve) { AuditAction::CommentApproved } else { AuditAction::CommentRejected };
    store.moderate_comment(c, id, d, &audit(who, action, AuditEntry::comment_subject(c, id))).await
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::parse(k).expect("key")
}

fn response(body: &str) -> StoredResponse {
    StoredResponse { status: 202, body: body.into() }
}

fn contact(email: &str) -> CommentContact {
    CommentContact { email: email.into() }
}

async fn save<S: Store>(store: &S, k: &str, c: &Comment) -> Saved {
    store
        .save_comment(&key(k), &format!("fp-{}", c.text), c, &contact("an@vidu.vn"), &response(&c.id.to_string()))
        .await
        .expect("save")
}

async fn consultations_round_trip_and_replace<S: Store>(store: S) {
    let mut c = consultation("du-thao-a");
    assert_eq!(store.consultation(&c.id).await.expect("read"), None);
    store.put_consultation(&c).await.expect("put");
    assert_eq!(store.consultation(&c.id).await.expect("read"), Some(c.clone()));
    c.closes = NaiveDate::from_ymd_opt(2030, 1, 1).expect("date");
    store.put_consultation(&c).await.expect("put again");
    assert_eq!(store.consultation(&c.id).await.expect("read").map(|x| x.closes), Some(c.closes));
}

async fn a_retry_with_the_same_key_replays_and_stores_nothing<S: Store>(store: S) {
    let first = comment("du-thao-a", "Góp ý thứ nhất");
    assert_eq!(save(&store, "khoa-00000001", &first).await, Saved::Created);
    let retry = Comment { id: Ulid::new(), ..first.clone() };
    assert_eq!(save(&store, "khoa-00000001", &retry).await, Saved::Replayed(response(&first.id.to_string())));
    let all = store.export_comments(&first.consultation).await.expect("export");
    assert_eq!(all.len(), 1, "the retry stored nothing");
    assert_eq!(all[0].0.id, first.id);
}

/// The read-only lookup the HTTP guard makes before spending a proof of work or a rate-limit slot.
async fn a_stored_key_is_replayed_without_writing_and_scopes_stay_apart<S: Store>(store: S) {
    let k = key("khoa-tra-lai-01");
    assert!(store.replay(KeyScope::Comment, &k, "fp").await.expect("read").is_none(), "a free key");
    let first = comment("du-thao-a", "Góp ý");
    store.save_comment(&k, "fp", &first, &contact("an@vidu.vn"), &response("1")).await.expect("save");
    assert_eq!(store.replay(KeyScope::Comment, &k, "fp").await.expect("read"), Some(response("1")));
    assert!(matches!(store.replay(KeyScope::Comment, &k, "khac").await, Err(StoreError::KeyReused)));
    assert!(store.replay(KeyScope::Question, &k, "fp").await.expect("read").is_none(), "another scope");
    assert!(store.replay(KeyScope::Survey, &k, "fp").await.expect("read").is_none(), "another scope");
}

async fn a_reused_key_with_other_content_is_refused<S: Store>(store: S) {
    let first = comment("du-thao-a", "Một");
    save(&store, "khoa-00000002", &first).await;
    let other = comment("du-thao-a", "Hai");
    let result = store.save_comment(&key("khoa-00000002"), "khac", &other, &contact("b@vidu.vn"), &response("x")).await;
    assert!(matches!(result, Err(StoreError::KeyReused)), "{result:?}");
    assert_eq!(store.export_comments(&first.consultation).await.expect("export").len(), 1);
}

async fn only_approved_comments_are_public_newest_first_in_pages<S: Store>(store: S) {
    let id = ConsultationId::parse("du-thao-b").expect("id");
    let mut ids = Vec::new();
    for i in 0..7 {
        let c = comment("du-thao-b", &format!("Góp ý {i}"));
        save(&store, &format!("khoa-b-{i:04}"), &c).await;
        ids.push(c.id);
        // ULIDs made in the same millisecond still sort by creation thanks to their random part only
        // when monotonic; keep them a millisecond apart so "newest first" is well defined.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    save(&store, "khoa-khac-dt", &comment("du-thao-khac", "Dự thảo khác")).await;
    assert!(
        store.approved_comments(&id, None, 10).await.expect("list").items.is_empty(),
        "pending ones are not public"
    );
    for (i, c) in ids.iter().enumerate() {
        if i != 3 {
            decide(&store, &id, *c, &Decision::Approve, "KD").await.expect("approve");
        }
    }
    decide(&store, &id, ids[3], &Decision::Reject(Reason::parse("Quảng cáo").expect("reason")), "KD")
        .await
        .expect("reject");
    let first = store.approved_comments(&id, None, 4).await.expect("page 1");
    let cursor = first.next.clone().expect("a second page");
    let second = store.approved_comments(&id, Some(&cursor), 4).await.expect("page 2");
    assert_eq!(second.next, None);
    let listed: Vec<Ulid> = first.items.iter().chain(&second.items).map(|c| c.id).collect();
    let expected: Vec<Ulid> = ids.iter().rev().filter(|c| **c != ids[3]).copied().collect();
    assert_eq!(listed, expected, "approved only, newest first, no gap or repeat across pages");
    assert!(first.items.iter().chain(&second.items).all(|c| c.status == Status::Approved && c.consultation == id));
}

async fn the_moderation_queue_empties_as_moderators_decide<S: Store>(store: S) {
    let a = comment("du-thao-c", "A");
    save(&store, "khoa-c-0001", &a).await;
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let b = comment("du-thao-c", "B");
    save(&store, "khoa-c-0002", &b).await;
    let queue = store.pending_comments(None, 10).await.expect("queue");
    assert_eq!(queue.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![a.id, b.id], "oldest first");
    let page = store.pending_comments(None, 1).await.expect("queue page");
    let rest = store.pending_comments(page.next.as_ref(), 1).await.expect("queue page 2");
    assert_eq!((page.items[0].id, rest.items[0].id), (a.id, b.id));
    let approved = decide(&store, &a.consultation, a.id, &Decision::Approve, "Nguyễn A").await.expect("approve");
    assert_eq!(approved.status, Status::Approved);
    assert_eq!(approved.decided.as_ref().map(|d| d.by.as_str()), Some("Nguyễn A"), "stamped with who decided");
    assert_eq!(store.comment(&a.consultation, a.id).await.expect("read"), Some(approved.clone()));
    assert_eq!(
        store.pending_comments(None, 10).await.expect("queue").items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![b.id]
    );
    let again = decide(&store, &a.consultation, a.id, &Decision::Approve, "Trần B").await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let unknown = decide(&store, &a.consultation, Ulid::new(), &Decision::Approve, "Trần B").await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let trail =
        store.audit_trail(Some(&AuditEntry::comment_subject(&a.consultation, a.id)), None, 10).await.expect("trail");
    let names: Vec<&str> = trail.items.iter().map(|e| e.actor.name.as_str()).collect();
    assert_eq!(names, ["Nguyễn A"], "a refused decision leaves no audit entry");
}

async fn two_moderators_deciding_at_once_store_exactly_one_decision<S: Store>(store: S) {
    let store = Arc::new(store);
    let c = comment("du-thao-tranh", "Một góp ý hai người cùng duyệt");
    save(&*store, "khoa-tranh-01", &c).await;
    let mut tasks = Vec::new();
    for (who, decision) in
        [("Người 1", Decision::Approve), ("Người 2", Decision::Reject(Reason::parse("Trùng").expect("r")))]
    {
        let (store, id, consultation) = (store.clone(), c.id, c.consultation.clone());
        tasks.push(tokio::spawn(async move { (who, decide(&*store, &consultation, id, &decision, who).await) }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (who, Ok(_)) => winners.push(who),
            (_, Err(StoreError::Conflict(_))) => {}
            (_, Err(other)) => panic!("{other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one decision: {winners:?}");
    let stored = store.comment(&c.consultation, c.id).await.expect("read").expect("there");
    assert_eq!(stored.decided.map(|d| d.by), Some(winners[0].to_string()), "the stored decision is the winner's");
    let trail =
        store.audit_trail(Some(&AuditEntry::comment_subject(&c.consultation, c.id)), None, 10).await.expect("trail");
    assert_eq!(trail.items.len(), 1, "one audit entry, the winner's");
}

async fn the_export_has_every_comment_with_its_contact<S: Store>(store: S) {
    let a = comment("du-thao-d", "A");
    store.save_comment(&key("khoa-d-0001"), "a", &a, &contact("a@vidu.vn"), &response("a")).await.expect("save");
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let b = comment("du-thao-d", "B");
    store.save_comment(&key("khoa-d-0002"), "b", &b, &contact("b@vidu.vn"), &response("b")).await.expect("save");
    decide(&store, &a.consultation, b.id, &Decision::Reject(Reason::parse("Trùng").expect("r")), "KD")
        .await
        .expect("reject");
    let rows = store.export_comments(&a.consultation).await.expect("export");
    let emails: Vec<(&str, Status)> = rows.iter().map(|(c, k)| (k.email.as_str(), c.status)).collect();
    assert_eq!(emails, vec![("a@vidu.vn", Status::Pending), ("b@vidu.vn", Status::Rejected)]);
    assert_eq!(rows[1].0.reason.as_deref(), Some("Trùng"));
}

fn question(text: &str, consent: bool) -> Question {
    Question {
        id: Ulid::new(),
        created_at: Utc::now(),
        text: text.into(),
        attachment: None,
        answer: None,
        answered: None,
        consent,
        published: false,
    }
}

async fn answer<S: Store>(store: &S, id: Ulid, text: &str, who: &str) -> Result<Question, StoreError> {
    let entry = audit(who, AuditAction::QuestionAnswered, AuditEntry::question_subject(id));
    store.answer_question(id, &AnswerText::parse(text).expect("answer"), &entry).await
}

async fn publish<S: Store>(store: &S, id: Ulid, on: bool) -> Result<Question, StoreError> {
    let action = if on { AuditAction::AnswerPublished } else { AuditAction::AnswerWithdrawn };
    store.publish_answer(id, on, &audit("BT", action, AuditEntry::question_subject(id))).await
}

async fn questions_are_answered_corrected_and_published_with_consent<S: Store>(store: S) {
    let q = question("Tôi nộp hồ sơ ở đâu?", true);
    let who = QuestionContact { name: "Trần Thị Bình".into(), email: None, phone: Some("0912345678".into()) };
    assert_eq!(
        store.save_question(&key("khoa-q-0001"), "q", &q, &who, &response("q")).await.expect("save"),
        Saved::Created
    );
    assert_eq!(
        store.save_question(&key("khoa-q-0001"), "q", &q, &who, &response("other")).await.expect("retry"),
        Saved::Replayed(response("q"))
    );
    let pending = store.pending_questions(None, 10).await.expect("queue");
    assert_eq!(pending.items.len(), 1);
    assert_eq!(pending.items[0].1, who);
    assert!(matches!(publish(&store, q.id, true).await, Err(StoreError::Conflict(_))), "no answer yet");
    let answered = answer(&store, q.id, "Tại Trung tâm phục vụ hành chính công.", "Biên tập A").await.expect("answer");
    assert_eq!(answered.answer.as_deref(), Some("Tại Trung tâm phục vụ hành chính công."));
    assert_eq!(answered.answered.as_ref().map(|a| a.by.as_str()), Some("Biên tập A"));
    assert!(store.pending_questions(None, 10).await.expect("queue").items.is_empty());
    assert!(store.published_answers(None, 10).await.expect("public").items.is_empty(), "not published yet");
    let published = publish(&store, q.id, true).await.expect("publish");
    assert!(published.published);
    let corrected = answer(&store, q.id, "Tại Trung tâm, hoặc trực tuyến.", "Biên tập B").await.expect("correct");
    assert!(corrected.published, "a correction keeps the answer published");
    let public = store.published_answers(None, 10).await.expect("public");
    assert_eq!(
        public.items.iter().map(|q| q.answer.as_deref()).collect::<Vec<_>>(),
        [Some("Tại Trung tâm, hoặc trực tuyến.")]
    );
    let listed = store.answered_questions(None, 10).await.expect("answered");
    assert_eq!(
        listed.items.iter().map(|(q, c)| (q.id, c.name.as_str())).collect::<Vec<_>>(),
        [(q.id, "Trần Thị Bình")]
    );
    assert_eq!(store.question(q.id).await.expect("read").map(|(q, _)| q.published), Some(true));
    publish(&store, q.id, false).await.expect("withdraw");
    assert!(store.published_answers(None, 10).await.expect("public").items.is_empty(), "withdrawn");
    let unknown = answer(&store, Ulid::new(), "x", "BT").await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let trail = store.audit_trail(Some(&AuditEntry::question_subject(q.id)), None, 10).await.expect("trail");
    let actions: Vec<AuditAction> = trail.items.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::AnswerWithdrawn,
            AuditAction::QuestionAnswered,
            AuditAction::AnswerPublished,
            AuditAction::QuestionAnswered
        ],
        "every change, newest first"
    );
}

async fn an_answer_without_consent_is_never_published<S: Store>(store: S) {
    let q = question("Câu hỏi riêng", false);
    let who = QuestionContact { name: "Lê C".into(), email: Some("c@vidu.vn".into()), phone: None };
    store.save_question(&key("khoa-q-rieng"), "r", &q, &who, &response("r")).await.expect("save");
    answer(&store, q.id, "Trả lời riêng.", "BT").await.expect("answer");
    assert!(matches!(publish(&store, q.id, true).await, Err(StoreError::Conflict(_))));
    assert!(store.published_answers(None, 10).await.expect("public").items.is_empty());
}

async fn agency_responses_and_the_outcome_report_are_kept<S: Store>(store: S) {
    let c = consultation("du-thao-ket-qua");
    store.put_consultation(&c).await.expect("put");
    assert!(store.consultations().await.expect("list").contains(&c), "listed as written");
    let (a, b) = (comment("du-thao-ket-qua", "Đã đăng"), comment("du-thao-ket-qua", "Chờ duyệt"));
    save(&store, "khoa-kq-a", &a).await;
    save(&store, "khoa-kq-b", &b).await;
    decide(&store, &c.id, a.id, &Decision::Approve, "KD").await.expect("approve");
    let accepted = AgencyResponse { uptake: Uptake::Accepted, text: "Đã sửa Điều 2.".into() };
    let stored = store.respond_to_comment(&c.id, a.id, Some(&accepted)).await.expect("respond");
    assert_eq!(stored.response, Some(accepted.clone()));
    assert_eq!(store.comment(&c.id, a.id).await.expect("read").and_then(|c| c.response), Some(accepted));
    let pending = store
        .respond_to_comment(&c.id, b.id, Some(&AgencyResponse { uptake: Uptake::Explained, text: "x".into() }))
        .await;
    assert!(matches!(pending, Err(StoreError::Conflict(_))), "only approved comments get a response: {pending:?}");
    let unknown = store.respond_to_comment(&c.id, Ulid::new(), None).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    assert_eq!(store.respond_to_comment(&c.id, a.id, None).await.expect("clear").response, None);
    assert_eq!(store.outcome(&c.id).await.expect("read"), None);
    store
        .publish_outcome(
            &c.id,
            true,
            &audit("Biên tập", AuditAction::OutcomePublished, "consultation/du-thao-ket-qua".into()),
        )
        .await
        .expect("publish");
    assert_eq!(store.outcome(&c.id).await.expect("read").map(|s| s.by), Some("Biên tập".into()));
    store
        .publish_outcome(
            &c.id,
            false,
            &audit("Biên tập", AuditAction::OutcomeWithdrawn, "consultation/du-thao-ket-qua".into()),
        )
        .await
        .expect("withdraw");
    assert_eq!(store.outcome(&c.id).await.expect("read"), None);
    let trail = store.audit_trail(Some("consultation/du-thao-ket-qua"), None, 10).await.expect("trail");
    assert_eq!(trail.items.len(), 2, "each publication audited with it");
}

async fn the_audit_trail_lists_every_entry_newest_first<S: Store>(store: S) {
    let first = audit("QT", AuditAction::Exported, "audit".into());
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let second = audit("QT", AuditAction::CodesIssued, "survey/khao-sat".into());
    store.record_audit(&first).await.expect("record");
    store.record_audit(&second).await.expect("record");
    let page = store.audit_trail(None, None, 1).await.expect("page 1");
    let rest = store.audit_trail(None, page.next.as_ref(), 10).await.expect("page 2");
    let ids: Vec<Ulid> = page.items.iter().chain(&rest.items).map(|e| e.id).collect();
    assert_eq!(&ids[..2], [second.id, first.id]);
    assert_eq!(rest.items[0], first, "read back whole");
}

async fn request_counters_count_per_client_and_window<S: Store>(store: S) {
    assert_eq!(store.count_request("khach-a", "w1", 60).await.expect("count"), 1);
    assert_eq!(store.count_request("khach-a", "w1", 60).await.expect("count"), 2);
    assert_eq!(store.count_request("khach-a", "w2", 60).await.expect("count"), 1);
    assert_eq!(store.count_request("khach-b", "w1", 60).await.expect("count"), 1);
}

async fn a_forged_cursor_is_refused<S: Store>(store: S) {
    let forged = Cursor::parse("bm90LWEtY3Vyc29y").expect("well-formed base64");
    let id = ConsultationId::parse("du-thao-e").expect("id");
    assert!(matches!(store.approved_comments(&id, Some(&forged), 5).await, Err(StoreError::BadCursor)));
}

async fn concurrent_posts_are_each_stored_exactly_once<S: Store>(store: S) {
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    // 200 different comments, each sent twice at the same time (a client retrying too early).
    for i in 0..200 {
        let c = comment("du-thao-f", &format!("Góp ý số {i}"));
        for _ in 0..2 {
            let (store, c) = (store.clone(), c.clone());
            tasks.push(tokio::spawn(async move { save(&*store, &format!("khoa-f-{i:05}"), &c).await }));
        }
    }
    let mut created = 0;
    for task in tasks {
        if task.await.expect("task") == Saved::Created {
            created += 1;
        }
    }
    assert_eq!(created, 200);
    let stored = store.export_comments(&ConsultationId::parse("du-thao-f").expect("id")).await.expect("export");
    assert_eq!(stored.len(), 200, "every comment once, none twice");
}

/// A deletion request: every item still holding a person's contact is listed, erased with one audit entry (the
/// texts stay), and a retry changes nothing more.
async fn a_deletion_request_erases_contacts_and_keeps_the_texts<S: Store>(store: S) {
    use cchc_functions::domain::AttachmentMeta;
    use cchc_functions::store::ContactItem;
    store.put_consultation(&consultation("du-thao-xoa")).await.expect("consultation");
    let (mine, theirs) = (comment("du-thao-xoa", "Góp ý của tôi"), comment("du-thao-xoa", "Góp ý của người khác"));
    for (i, (c, email)) in [(&mine, "toi@vidu.vn"), (&theirs, "ho@vidu.vn")].into_iter().enumerate() {
        let saved = store
            .save_comment(&key(&format!("khoa-xoa-{i}")), "fp", c, &contact(email), &response(""))
            .await
            .expect("save");
        assert_eq!(saved, Saved::Created);
    }
    let mut q = question("Câu hỏi của tôi", false);
    q.attachment = Some(AttachmentMeta {
        key: "questions/abc.pdf".into(),
        content_type: "application/pdf".into(),
        size: 3,
        sha256: "abc".into(),
    });
    let asker =
        QuestionContact { name: "Tôi".into(), email: Some("toi@vidu.vn".into()), phone: Some("0912345678".into()) };
    store.save_question(&key("khoa-xoa-q"), "fp", &q, &asker, &response("")).await.expect("question");

    let all = store.contacts().await.expect("contacts");
    assert_eq!(all.len(), 3, "{all:?}");
    let found: Vec<ContactItem> =
        all.iter().filter(|e| e.email.as_deref() == Some("toi@vidu.vn")).map(|e| e.item.clone()).collect();
    assert_eq!(
        found,
        [ContactItem::Comment { consultation: mine.consultation.clone(), id: mine.id }, ContactItem::Question(q.id)]
    );
    let question_entry = all.iter().find(|e| e.item == ContactItem::Question(q.id)).expect("question listed");
    assert_eq!(question_entry.phone.as_deref(), Some("0912345678"));
    assert_eq!(question_entry.attachment.as_ref().map(|a| a.key.as_str()), Some("questions/abc.pdf"));

    let entry = audit("QT", AuditAction::ContactsErased, "erasure/1".into());
    assert_eq!(store.erase_contacts(&found, &entry).await.expect("erase"), 2);
    let left: Vec<Option<String>> = store.contacts().await.expect("contacts").into_iter().map(|e| e.email).collect();
    assert_eq!(left, [Some("ho@vidu.vn".to_string())], "only the other person's contact is left");
    let kept = store.comment(&mine.consultation, mine.id).await.expect("read").expect("the comment stays");
    assert_eq!((kept.name, kept.text.as_str()), (None, "Góp ý của tôi"));
    let (kept, contact) = store.question(q.id).await.expect("read").expect("the question stays");
    assert_eq!(
        (kept.attachment, kept.text.as_str(), contact.email, contact.phone),
        (None, "Câu hỏi của tôi", None, None)
    );
    let exported = store.export_comments(&mine.consultation).await.expect("export");
    assert!(exported.iter().all(|(c, k)| c.id != mine.id || k.email.is_empty()), "exports lose it too");
    assert_eq!(store.audit_trail(Some("erasure/1"), None, 10).await.expect("audit").items, [entry]);

    // A retry (the page sent twice) finds the items and erases nothing more.
    let again = audit("QT", AuditAction::ContactsErased, "erasure/2".into());
    assert_eq!(store.erase_contacts(&found, &again).await.expect("retry"), 2);
    assert_eq!(store.contacts().await.expect("contacts").len(), 1);
    // An unknown item is not created.
    let ghost = [ContactItem::Question(Ulid::new())];
    assert_eq!(
        store
            .erase_contacts(&ghost, &audit("QT", AuditAction::ContactsErased, "erasure/3".into()))
            .await
            .expect("ghost"),
        0
    );
    assert!(store.question(ghost_id(&ghost)).await.expect("read").is_none());
}

fn ghost_id(items: &[cchc_functions::store::ContactItem]) -> Ulid {
    match items.first() {
        Some(cchc_functions::store::ContactItem::Question(id)) => *id,
        _ => Ulid::nil(),
    }
}

const SURVEY: &str = r#"
id: khao-sat-thu
version: 1
title: Khảo sát thử
group: sipas
opens: 2026-01-01
closes: 2026-12-31
access: code
unit: tinh-thanh
questions:
  - id: q1
    type: single
    text: Ông/Bà có biết không?
    options:
      - { id: co, label: Có biết, next: q2 }
      - { id: khong, label: Không biết, next: q3 }
  - id: q2
    type: multiple
    text: Qua kênh nào?
    options: [{ id: a, label: A }, { id: b, label: B }]
  - id: q3
    type: rating
    text: Mức độ hài lòng
    scale: { min: 1, max: 5 }
    next: end
"#;

fn survey(title: &str, version: u32) -> Survey {
    let mut source: SurveySource = serde_yaml::from_str(SURVEY).expect("survey YAML");
    source.title = title.into();
    source.version = version;
    let units = vec![
        Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None },
        Unit { id: "tinh-b".into(), name: "Tỉnh B".into(), from: None, to: None },
    ];
    Survey::check(source, units).expect("valid survey")
}

/// A checked response for `unit`: "co" with options a and b when `i` is even, else "khong"; rating `i % 5 + 1`.
fn survey_record_for(s: &Survey, i: usize, unit: &str) -> Record {
    let mut raw = RawAnswers::new();
    if i.is_multiple_of(2) {
        raw.insert("q1".into(), vec!["co".into()]);
        raw.insert("q2".into(), vec!["a".into(), "b".into()]);
    } else {
        raw.insert("q1".into(), vec!["khong".into()]);
    }
    raw.insert("q3".into(), vec![(i % 5 + 1).to_string()]);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let response = s.validate(unit, &raw, day).expect("valid response");
    Record { id: Ulid::new(), created_at: chrono::Utc::now(), version: s.version, response }
}

async fn respond<S: Store>(store: &S, s: &Survey, k: &str, i: usize, code: Option<&str>) -> Result<Saved, StoreError> {
    respond_for(store, s, "tinh-a", k, i, code).await
}

/// [`respond`] for `unit`.
async fn respond_for<S: Store>(
    store: &S,
    s: &Survey,
    unit: &str,
    k: &str,
    i: usize,
    code: Option<&str>,
) -> Result<Saved, StoreError> {
    let record = survey_record_for(s, i, unit);
    let counters = record.response.counters(s);
    let write = SurveyWrite { survey: &s.id, record: &record, counters: &counters, code };
    store.save_survey_response(&key(k), &format!("fp-{i}"), &write, &response("{}")).await
}

async fn survey_versions_are_immutable<S: Store>(store: S) {
    assert_eq!(store.put_survey(&survey("Khảo sát thử", 1)).await.expect("publish"), Publication::New);
    assert_eq!(store.put_survey(&survey("Khảo sát thử", 1)).await.expect("again"), Publication::Unchanged);
    match store.put_survey(&survey("Khảo sát đã sửa", 1)).await {
        Err(StoreError::Conflict(message)) => assert!(message.contains("tăng `version` lên 2"), "{message}"),
        other => panic!("a changed version 1 must be refused, got {other:?}"),
    }
    assert_eq!(store.put_survey(&survey("Khảo sát đã sửa", 2)).await.expect("v2"), Publication::New);
    let latest = store.survey("khao-sat-thu", None).await.expect("read").expect("published");
    assert_eq!((latest.version, latest.title.as_str()), (2, "Khảo sát đã sửa"));
    let first = store.survey("khao-sat-thu", Some(1)).await.expect("read").expect("published");
    assert_eq!(first, survey("Khảo sát thử", 1));
    assert!(store.survey("khong-co", None).await.expect("read").is_none());
}

/// The counters of `unit`'s scope (or the whole survey's) of version 1, once they caught up.
async fn counts_of<S: Settle>(store: &S, s: &Survey, unit: Option<&str>) -> BTreeMap<String, u64> {
    store.settle().await;
    store.survey_counts(&s.id, 1, unit.unwrap_or(ALL)).await.expect("counts")
}

fn ones(keys: &[&str]) -> BTreeMap<String, u64> {
    keys.iter().map(|k| (k.to_string(), 1)).collect()
}

async fn a_response_is_stored_once_and_counted_once_behind_it<S: Settle>(store: S) {
    let s = survey("Khảo sát thử", 1);
    store.put_survey(&s).await.expect("publish");
    let hashes = [code_hash(&s.id, "MA-1"), code_hash(&s.id, "MA-2")];
    store.add_access_codes(&s.id, &batch("tinh-a"), &hashes).await.expect("codes");
    let hash1 = code_hash(&s.id, "ma1");
    assert_eq!(respond(&store, &s, "khoa-khao-sat-1", 0, Some(&hash1)).await.expect("stored"), Saved::Created);
    let expected = ones(&["tinh-a#_#n", "tinh-a#q1#co", "tinh-a#q2#a", "tinh-a#q2#b", "tinh-a#q3#1"]);
    assert_eq!(counts_of(&store, &s, Some("tinh-a")).await, expected);
    let whole = ones(&["*#_#n", "*#_u#tinh-a", "*#q1#co", "*#q2#a", "*#q2#b", "*#q3#1"]);
    assert_eq!(counts_of(&store, &s, None).await, whole, "the whole survey, with responses per unit");
    assert!(counts_of(&store, &s, Some("tinh-b")).await.is_empty(), "a scope is its own unit's only");
    // The same key again replays (the code is not consumed twice and nothing is counted twice).
    assert!(matches!(respond(&store, &s, "khoa-khao-sat-1", 0, Some(&hash1)).await, Ok(Saved::Replayed(_))));
    // A used code, or an unknown one, writes nothing.
    assert!(matches!(respond(&store, &s, "khoa-khao-sat-2", 1, Some(&hash1)).await, Err(StoreError::CodeRejected)));
    let unknown = code_hash(&s.id, "MA-9");
    assert!(matches!(respond(&store, &s, "khoa-khao-sat-3", 1, Some(&unknown)).await, Err(StoreError::CodeRejected)));
    // A reused key with other content writes nothing either.
    let hash2 = code_hash(&s.id, "MA-2");
    assert!(matches!(respond(&store, &s, "khoa-khao-sat-1", 3, Some(&hash2)).await, Err(StoreError::KeyReused)));
    assert_eq!(counts_of(&store, &s, Some("tinh-a")).await, expected);
    assert_eq!(store.survey_responses(&s.id, 1).await.expect("responses").len(), 1);
    // The second code still works.
    assert_eq!(respond(&store, &s, "khoa-khao-sat-4", 1, Some(&hash2)).await.expect("stored"), Saved::Created);
    let records = store.survey_responses(&s.id, 1).await.expect("responses");
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].response.path, ["q1", "q3"]);
    assert_eq!(counts_of(&store, &s, None).await["*#_#n"], 2);
    // A chunk of a response that is not stored is not counted.
    let missing = store.count_chunk(&s.id, 1, Ulid::new(), 0, &["*#_#n".to_string()]).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

/// A survey of `questions` single-choice questions, each with options `a`, `b`, `c`.
fn long_survey(questions: usize) -> Survey {
    let mut yaml = String::from(
        "id: khao-sat-dai\nversion: 1\ntitle: Khảo sát dài\ngroup: sipas\nopens: 2026-01-01\ncloses: 2026-12-31\n\
         unit: tinh-thanh\nquestions:\n",
    );
    for i in 0..questions {
        let end = if i + 1 == questions { ", next: end" } else { "" };
        yaml.push_str(&format!(
            "  - {{ id: q{i}, type: single, text: Câu số {i}, options: [{{ id: a, label: A }}, {{ id: b, label: B }}, {{ id: c, label: C }}]{end} }}\n"
        ));
    }
    let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
    let units = vec![Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None }];
    Survey::check(source, units).expect("a survey of any length is valid")
}

/// 300 questions, answered from a commune: 3 scopes × (300 answers + 1) + 2 = 905 counters a response, 10
/// transactions behind it. Counted exactly once even when a delivery died after its first chunk and every record
/// is delivered again.
async fn a_survey_of_300_questions_is_counted_exactly_once_in_chunks<S: Settle>(store: S) {
    let s = long_survey(300);
    store.put_survey(&s).await.expect("publish");
    let options = ["a", "b", "c"];
    let mut records = Vec::new();
    for r in 0..3 {
        let raw: RawAnswers = (0..300).map(|i| (format!("q{i}"), vec![options[(i + r) % 3].to_string()])).collect();
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        let mut answered = s.validate("tinh-a", &raw, day).expect("valid response");
        answered.commune = Some("16279".into());
        let record = Record { id: Ulid::new(), created_at: Utc::now(), version: 1, response: answered };
        let counters = record.response.counters(&s);
        assert_eq!(counters.len(), 905);
        let write = SurveyWrite { survey: &s.id, record: &record, counters: &counters, code: None };
        let saved = store.save_survey_response(&key(&format!("khoa-dai-{r}")), "fp", &write, &response("{}")).await;
        assert_eq!(saved.expect("one write, whatever the survey's length"), Saved::Created);
        records.push((record, counters));
    }
    // A delivery that counted the first chunk of the first response and died.
    let (first, counters) = &records[0];
    let chunk: Vec<String> = counters[..99].to_vec();
    // (The embedded store may have counted it already, behind the commit: then this first call counts nothing.)
    store.count_chunk(&s.id, 1, first.id, 0, &chunk).await.expect("count");
    let again = store.count_chunk(&s.id, 1, first.id, 0, &chunk).await.expect("count again");
    assert!(!again, "a chunk is counted once");
    store.settle().await;
    store.settle().await;
    // Every record once more, straight through the aggregator.
    let aggregator = Aggregator::new(Arc::new(store));
    for (record, _) in &records {
        assert_eq!(aggregator.count(&s.id, record, Some(10)).await.expect("count"), 0, "nothing left to count");
    }
    let store = aggregator.into_store();
    let whole = store.survey_counts(&s.id, 1, ALL).await.expect("counts");
    assert_eq!(whole["*#_#n"], 3);
    assert_eq!(whole["*#_u#tinh-a"], 3);
    for i in 0..300 {
        let per_option: Vec<u64> = options.iter().map(|o| whole[&format!("*#q{i}#{o}")]).collect();
        assert_eq!(per_option, [1, 1, 1], "question {i}");
    }
    let province = store.survey_counts(&s.id, 1, "tinh-a").await.expect("counts");
    assert_eq!((province["tinh-a#_#n"], province["tinh-a#_u#16279"]), (3, 3));
    let commune = store.survey_counts(&s.id, 1, "16279").await.expect("counts");
    assert_eq!(commune.len(), 1 + 300 * 3);
    assert_eq!(commune.values().sum::<u64>(), 3 * 301);
}

async fn concurrent_submissions_keep_counters_exact<S: Settle>(store: S) {
    let store = Arc::new(store);
    let s = Arc::new(survey("Khảo sát thử", 1));
    store.put_survey(&s).await.expect("publish");
    let hashes: Vec<String> = (0..1000).map(|i| code_hash(&s.id, &format!("C{i}"))).collect();
    assert_eq!(store.add_access_codes(&s.id, &batch("tinh-a"), &hashes).await.expect("codes"), 1000);
    let tasks: Vec<_> = hashes
        .into_iter()
        .enumerate()
        .map(|(i, hash)| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move { respond(&*store, &s, &format!("khoa-c-{i:05}"), i, Some(&hash)).await })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        if task.await.expect("task").expect("every submission is stored") == Saved::Created {
            created += 1;
        }
    }
    assert_eq!(created, 1000);
    let stored = store.survey_responses(&s.id, 1).await.expect("responses").len() as u64;
    let counts = counts_of(&*store, &s, Some("tinh-a")).await;
    assert_eq!(stored, 1000);
    // (Read without settling again: on moto every record delivered again is a transaction refused, and slow.)
    let whole = store.survey_counts(&s.id, 1, ALL).await.expect("counts");
    assert_eq!(whole["*#_#n"], stored, "the whole survey's counter too");
    assert_eq!(counts["tinh-a#_#n"], stored, "the response counter equals the responses stored");
    assert_eq!(counts["tinh-a#q1#co"] + counts["tinh-a#q1#khong"], stored);
    assert_eq!(counts["tinh-a#q2#a"], counts["tinh-a#q1#co"]);
    assert_eq!((1..=5).map(|p| counts[&format!("tinh-a#q3#{p}")]).sum::<u64>(), stored);
}

async fn one_access_code_used_fifty_times_at_once_admits_one<S: Settle>(store: S) {
    let store = Arc::new(store);
    let s = Arc::new(survey("Khảo sát thử", 1));
    store.put_survey(&s).await.expect("publish");
    let hash = code_hash(&s.id, "MOT-MA");
    store.add_access_codes(&s.id, &batch("tinh-a"), std::slice::from_ref(&hash)).await.expect("code");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (store, s, hash) = (store.clone(), s.clone(), hash.clone());
            tokio::spawn(async move { respond(&*store, &s, &format!("khoa-m-{i:03}"), i, Some(&hash)).await })
        })
        .collect();
    let (mut created, mut rejected) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(Saved::Created) => created += 1,
            Err(StoreError::CodeRejected) => rejected += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created, rejected), (1, 49));
    assert_eq!(store.survey_responses(&s.id, 1).await.expect("responses").len(), 1);
    assert_eq!(counts_of(&*store, &s, Some("tinh-a")).await["tinh-a#_#n"], 1);
}

/// A new batch for `unit`, made by a test.
fn batch(unit: &str) -> CodeBatch {
    CodeBatch::new(unit, "Kiểm thử")
}

/// A batch for `unit` made a millisecond after `before` (two ULIDs of one millisecond have no order).
fn batch_after(before: &CodeBatch, unit: &str) -> CodeBatch {
    let id = Ulid::from_parts(before.id.timestamp_ms() + 1, Ulid::new().random());
    CodeBatch { id, ..batch(unit) }
}

async fn a_code_answers_only_for_its_unit<S: Settle>(store: S) {
    let s = survey("Khảo sát thử", 1);
    store.put_survey(&s).await.expect("publish");
    let for_b = batch("tinh-b");
    let hash = code_hash(&s.id, "MA-B");
    assert_eq!(store.add_access_codes(&s.id, &for_b, std::slice::from_ref(&hash)).await.expect("codes"), 1);
    // Unit A's response with unit B's code: refused as such, and nothing written (not even the code's use).
    let refused = respond_for(&store, &s, "tinh-a", "khoa-don-vi-1", 0, Some(&hash)).await;
    assert!(matches!(refused, Err(StoreError::CodeForAnotherUnit)), "{refused:?}");
    assert!(store.survey_responses(&s.id, 1).await.expect("responses").is_empty());
    assert!(counts_of(&store, &s, None).await.is_empty());
    assert_eq!(store.code_batches(&s.id).await.expect("batches")[0].used, 0);
    // The key was not spent either: the respondent picks the right unit and sends again with it.
    let stored = respond_for(&store, &s, "tinh-b", "khoa-don-vi-2", 0, Some(&hash)).await.expect("stored");
    assert_eq!(stored, Saved::Created);
    let records = store.survey_responses(&s.id, 1).await.expect("responses");
    assert_eq!(records.iter().map(|r| r.response.unit.as_str()).collect::<Vec<_>>(), ["tinh-b"]);
    // Used, it is refused for any unit, as a used code (not as another unit's).
    let again = respond_for(&store, &s, "tinh-a", "khoa-don-vi-3", 1, Some(&hash)).await;
    assert!(matches!(again, Err(StoreError::CodeRejected)), "{again:?}");
}

async fn batches_count_their_codes_and_a_revoked_batch_refuses_its_unused_ones<S: Store>(store: S) {
    let s = survey("Khảo sát thử", 1);
    store.put_survey(&s).await.expect("publish");
    let a = batch("tinh-a");
    let b = batch_after(&a, "tinh-b");
    let codes_a: Vec<String> = (0..3).map(|i| code_hash(&s.id, &format!("A{i}"))).collect();
    let codes_b: Vec<String> = (0..2).map(|i| code_hash(&s.id, &format!("B{i}"))).collect();
    assert_eq!(store.add_access_codes(&s.id, &a, &codes_a).await.expect("batch a"), 3);
    assert_eq!(store.add_access_codes(&s.id, &b, &codes_b).await.expect("batch b"), 2);
    assert_eq!(respond(&store, &s, "khoa-lo-1", 0, Some(&codes_a[0])).await.expect("stored"), Saved::Created);

    let listed = store.code_batches(&s.id).await.expect("batches");
    let counts: Vec<_> = listed.iter().map(|l| (l.batch.unit.as_str(), l.total, l.used, l.usable())).collect();
    assert_eq!(counts, [("tinh-a", 3, 1, 2), ("tinh-b", 2, 0, 2)], "oldest first, counted per batch");
    assert_eq!(listed[0].batch.id, a.id);
    assert_eq!(listed[0].batch.created_by, "Kiểm thử");
    assert_eq!(listed[0].batch.created_at.timestamp(), a.created_at.timestamp());
    assert!(listed.iter().all(|l| l.revoked_at.is_none()));

    // A retry of the same batch stores nothing new and keeps the used code used; the same id for another unit,
    // or another batch's code, is refused.
    assert_eq!(store.add_access_codes(&s.id, &a, &codes_a).await.expect("retry"), 3);
    assert_eq!(store.code_batches(&s.id).await.expect("batches")[0].used, 1);
    let other_unit = CodeBatch { unit: "tinh-b".into(), ..a.clone() };
    assert!(matches!(store.add_access_codes(&s.id, &other_unit, &codes_a).await, Err(StoreError::Conflict(_))));
    let c = batch_after(&b, "tinh-b");
    assert_eq!(store.add_access_codes(&s.id, &c, &codes_a[1..2]).await.expect("batch c"), 0, "a's code stays a's");

    // A check reads what a response would meet and spends nothing.
    let check = |hash: &str, unit: &'static str| {
        let (store, id, hash) = (&store, s.id.clone(), hash.to_string());
        async move { store.check_access_code(&id, &hash, unit).await }
    };
    assert!(check(&codes_a[1], "tinh-a").await.is_ok());
    assert!(check(&codes_a[1], "tinh-a").await.is_ok(), "a check spends nothing");
    assert!(matches!(check(&codes_a[1], "tinh-b").await, Err(StoreError::CodeForAnotherUnit)));
    assert!(matches!(check(&codes_a[0], "tinh-a").await, Err(StoreError::CodeRejected)), "used");
    assert!(matches!(check(&code_hash(&s.id, "Z9"), "tinh-a").await, Err(StoreError::CodeRejected)), "unknown");

    let revoked = store.revoke_code_batch(&s.id, a.id).await.expect("revoke");
    let first_time = revoked.revoked_at.expect("revoked");
    assert!(matches!(check(&codes_a[1], "tinh-a").await, Err(StoreError::CodeRejected)), "revoked");
    assert_eq!((revoked.total, revoked.used, revoked.usable()), (3, 1, 0), "the used code stays counted");
    let again = store.revoke_code_batch(&s.id, a.id).await.expect("revoke again");
    assert_eq!(again.revoked_at, Some(first_time), "revoking twice keeps the first time");
    let unused = respond(&store, &s, "khoa-lo-2", 1, Some(&codes_a[1])).await;
    assert!(matches!(unused, Err(StoreError::CodeRejected)), "{unused:?}");
    assert_eq!(respond_for(&store, &s, "tinh-b", "khoa-lo-3", 1, Some(&codes_b[0])).await.expect("b"), Saved::Created);
    assert_eq!(store.survey_responses(&s.id, 1).await.expect("responses").len(), 2);
    let listed = store.code_batches(&s.id).await.expect("batches");
    let counts: Vec<_> = listed.iter().map(|l| (l.total, l.used, l.revoked_at.is_some())).collect();
    assert_eq!(counts, [(3, 1, true), (2, 1, false), (0, 0, false)]);
    assert!(matches!(store.revoke_code_batch(&s.id, Ulid::new()).await, Err(StoreError::NotFound)));
}

async fn a_revocation_racing_responses_leaves_each_code_used_or_refused<S: Store>(store: S) {
    let store = Arc::new(store);
    let s = Arc::new(survey("Khảo sát thử", 1));
    store.put_survey(&s).await.expect("publish");
    let lot = batch("tinh-a");
    let hashes: Vec<String> = (0..40).map(|i| code_hash(&s.id, &format!("R{i}"))).collect();
    assert_eq!(store.add_access_codes(&s.id, &lot, &hashes).await.expect("codes"), 40);
    let responses: Vec<_> = hashes
        .into_iter()
        .enumerate()
        .map(|(i, hash)| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move { respond(&*store, &s, &format!("khoa-r-{i:03}"), i, Some(&hash)).await })
        })
        .collect();
    let revoked = store.revoke_code_batch(&s.id, lot.id).await.expect("revoke");
    let (mut created, mut refused) = (0, 0);
    for task in responses {
        match task.await.expect("task") {
            Ok(Saved::Created) => created += 1,
            Err(StoreError::CodeRejected) => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created + refused, 40);
    let after = store.code_batches(&s.id).await.expect("batches");
    assert_eq!((after[0].used, after[0].revoked_at), (created, revoked.revoked_at), "every stored one is counted");
    assert_eq!(store.survey_responses(&s.id, 1).await.expect("responses").len() as u64, created);
}

/// Contact details are kept `ContactRetentionMonths` after their item is closed: the decision and the answer start
/// the clock in the same write (DynamoDB's TTL then deletes them; the embedded store's purge does the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_item_starts_its_contacts_retention_clock_on_dynamodb() {
    let client = dynamo_client();
    let table = format!("cchc-test-{}", Ulid::new().to_string().to_lowercase());
    DynamoStore::create_table(&client, &table).await.expect("create table on the moto server");
    let store = DynamoStore::new(client.clone(), table.clone()).with_contact_retention(6);
    let c = comment("du-thao-luu-giu", "Góp ý");
    save(&store, "khoa-luu-giu", &c).await;
    let contact_ttl = |pk: String, sk: String| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            let item = client
                .get_item()
                .table_name(table)
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
                .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(sk))
                .consistent_read(true)
                .send()
                .await
                .expect("get")
                .item
                .expect("the contact is there");
            item.get("ttl").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok())
        }
    };
    let (pk, sk) = (format!("CONSULT#{}", c.consultation), format!("CONTACT#{}", c.id));
    assert_eq!(contact_ttl(pk.clone(), sk.clone()).await, None, "kept while the comment waits");
    let decided = decide(&store, &c.consultation, c.id, &Decision::Approve, "KD").await.expect("approve");
    let at = decided.decided.expect("stamped").at;
    let expected = at.checked_add_months(chrono::Months::new(6)).expect("date").timestamp();
    assert_eq!(contact_ttl(pk, sk).await, Some(expected), "deleted six months after the decision");
}

/// A local database from before the aggregator counted its responses per unit only: opened now, it counts them
/// again in every scope (SQLite only: DynamoDB tables were never deployed with the old counters).
#[tokio::test]
async fn an_old_sqlite_database_counts_its_responses_again_in_every_scope() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cchc.sqlite3");
    let s = survey("Khảo sát thử", 1);
    {
        let store = SqliteStore::open(&path).expect("open");
        store.put_survey(&s).await.expect("publish");
        for i in 0..3 {
            respond(&store, &s, &format!("khoa-cu-{i}"), i, None).await.expect("stored");
        }
        store.settle().await;
    }
    // Back to the old layout: no `counted` column, no chunk markers, counters of the unit only.
    let old = rusqlite::Connection::open(&path).expect("open the file");
    old.execute_batch(
        "DROP INDEX survey_responses_uncounted; ALTER TABLE survey_responses DROP COLUMN counted;
         DELETE FROM survey_counted; DELETE FROM survey_counters WHERE key NOT LIKE 'tinh-a#%';",
    )
    .expect("the old layout");
    drop(old);
    let store = SqliteStore::open(&path).expect("reopen");
    let whole = counts_of(&store, &s, None).await;
    assert_eq!(whole.get("*#_#n"), Some(&3), "{whole:?}");
    assert_eq!(whole.get("*#_u#tinh-a"), Some(&3));
    let unit = counts_of(&store, &s, Some("tinh-a")).await;
    assert_eq!(unit.get("tinh-a#_#n"), Some(&3), "counted once, not added to the old counters: {unit:?}");
}

macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod sqlite_store {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                let (store, _dir) = super::sqlite().await;
                super::$test(store).await;
            })*
        }
        mod dynamo_store {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                let (store, _dir) = super::dynamo().await;
                super::$test(store).await;
            })*
        }
    };
}

contract!(
    consultations_round_trip_and_replace,
    a_retry_with_the_same_key_replays_and_stores_nothing,
    a_stored_key_is_replayed_without_writing_and_scopes_stay_apart,
    a_reused_key_with_other_content_is_refused,
    only_approved_comments_are_public_newest_first_in_pages,
    the_moderation_queue_empties_as_moderators_decide,
    the_export_has_every_comment_with_its_contact,
    two_moderators_deciding_at_once_store_exactly_one_decision,
    questions_are_answered_corrected_and_published_with_consent,
    an_answer_without_consent_is_never_published,
    the_audit_trail_lists_every_entry_newest_first,
    agency_responses_and_the_outcome_report_are_kept,
    request_counters_count_per_client_and_window,
    a_forged_cursor_is_refused,
    concurrent_posts_are_each_stored_exactly_once,
    survey_versions_are_immutable,
    a_response_is_stored_once_and_counted_once_behind_it,
    a_survey_of_300_questions_is_counted_exactly_once_in_chunks,
    concurrent_submissions_keep_counters_exact,
    one_access_code_used_fifty_times_at_once_admits_one,
    a_code_answers_only_for_its_unit,
    batches_count_their_codes_and_a_revoked_batch_refuses_its_unused_ones,
    a_revocation_racing_responses_leaves_each_code_used_or_refused,
    a_deletion_request_erases_contacts_and_keeps_the_texts,
);
