//! Personal data at rest: what a dump of the store shows (ciphertext) and what the back office reads (the values),
//! on SQLite with the local key file and on DynamoDB with KMS (both on the moto server named by
//! `CCHC_TEST_DYNAMODB_ENDPOINT`); and a deletion request leaves nothing of the person behind.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use cchc_functions::domain::{
    Actor, AttachmentMeta, AuditAction, AuditEntry, Comment, CommentContact, ConsultationId, IdempotencyKey, Question,
    QuestionContact, Status, StoredResponse,
};
use cchc_functions::sealed::Sealer;
use cchc_functions::sealed::store::Sealed;
use cchc_functions::store::{ContactItem, DynamoStore, SqliteStore, Store, SurveyWrite};
use cchc_functions::survey::{Answer, RawAnswers, Record, Survey, SurveySource, Unit};
use chrono::Utc;
use ulid::Ulid;

const EMAIL: &str = "nguyen.an@vidu.vn";
const PHONE: &str = "0912345678";
const ASKER: &str = "Phạm Thị Hỏi";
const FREE_TEXT: &str = "Thủ tục cấp phép xây dựng còn rườm rà";

/// What one person sent: a comment, a question with an attachment, and a survey response with free text.
struct Sent {
    comment: Comment,
    question: Question,
    response: Ulid,
    survey: Survey,
}

fn survey() -> Survey {
    let today = Utc::now().date_naive();
    let yaml = format!(
        "id: khao-sat-kin\nopens: {}\ncloses: {}\n{}",
        today - chrono::Duration::days(3),
        today + chrono::Duration::days(3),
        include_str!("fixtures/survey.yaml")
    );
    let source: SurveySource = serde_yaml::from_str(&yaml).expect("survey YAML");
    let units = vec![Unit { id: "tinh-a".into(), name: "Tỉnh A".into(), from: None, to: None }];
    Survey::check(source, units).expect("valid survey")
}

async fn send<S: Store>(store: &S) -> Sent {
    let consultation = ConsultationId::parse("du-thao-bao-mat").expect("id");
    let today = Utc::now().date_naive();
    store
        .put_consultation(&cchc_functions::domain::Consultation {
            id: consultation.clone(),
            title: "Dự thảo".into(),
            opens: today - chrono::Duration::days(1),
            closes: today + chrono::Duration::days(1),
        })
        .await
        .expect("consultation");
    let comment = Comment {
        id: Ulid::new(),
        consultation,
        status: Status::Pending,
        created_at: Utc::now(),
        name: Some("Nguyễn Văn An".into()),
        organisation: None,
        section: None,
        text: "Góp ý về Điều 3".into(),
        reason: None,
        decided: None,
        response: None,
    };
    let ok = StoredResponse { status: 202, body: String::new() };
    let contact = CommentContact { email: EMAIL.into() };
    store.save_comment(&key("k-comment"), "fp", &comment, &contact, &ok).await.expect("comment");
    let question = Question {
        id: Ulid::new(),
        created_at: Utc::now(),
        text: "Hồ sơ nộp ở đâu?".into(),
        attachment: Some(AttachmentMeta {
            key: "questions/abc.pdf".into(),
            content_type: "application/pdf".into(),
            size: 3,
            sha256: "abc".into(),
        }),
        answer: None,
        answered: None,
        consent: false,
        published: false,
    };
    let asker = QuestionContact { name: ASKER.into(), email: Some(EMAIL.into()), phone: Some(PHONE.into()) };
    store.save_question(&key("k-question"), "fp", &question, &asker, &ok).await.expect("question");
    let survey = survey();
    store.put_survey(&survey).await.expect("survey");
    let mut raw = RawAnswers::new();
    raw.insert("q1".into(), vec!["khong".into()]);
    raw.insert("q3".into(), vec![FREE_TEXT.into()]);
    let response = survey.validate("tinh-a", &raw, today).expect("valid response");
    let record = Record { id: Ulid::new(), created_at: Utc::now(), version: survey.version, response };
    let counters = record.response.counters(&survey);
    let write = SurveyWrite { survey: &survey.id, record: &record, counters: &counters, code: None };
    store.save_survey_response(&key("k-survey"), "fp", &write, &ok).await.expect("response");
    Sent { comment, question, response: record.id, survey }
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::parse(k).expect("key")
}

/// The back office, through the sealed store, reads every value as sent.
async fn the_back_office_reads_it<S: Store>(store: &Sealed<S>, sent: &Sent) {
    let comments = store.export_comments(&sent.comment.consultation).await.expect("export");
    assert_eq!(comments[0].1.email, EMAIL);
    let (_, asker) = store.question(sent.question.id).await.expect("read").expect("question");
    assert_eq!(
        (asker.name.as_str(), asker.email.as_deref(), asker.phone.as_deref()),
        (ASKER, Some(EMAIL), Some(PHONE))
    );
    let responses = store.survey_responses(&sent.survey.id, sent.survey.version).await.expect("responses");
    let record = responses.iter().find(|r| r.id == sent.response).expect("response");
    assert_eq!(record.response.answers.get("q3"), Some(&Answer::One(FREE_TEXT.into())));
    assert_eq!(record.response.answers.get("q1"), Some(&Answer::One("khong".into())), "options stay as they are");
}

/// A deletion request by e-mail finds the comment and the question, erases them with one audit entry, and then
/// nothing of the person is found; the texts stay.
async fn a_deletion_request_erases_them<S: Store>(store: &Sealed<S>, sent: &Sent) {
    let mine: Vec<ContactItem> = store
        .contacts()
        .await
        .expect("contacts")
        .into_iter()
        .filter(|e| e.email.as_deref() == Some(EMAIL))
        .map(|e| e.item)
        .collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let actor = Actor { id: "qt".into(), name: "Quản trị".into() };
    let audit = AuditEntry::now(
        &actor,
        AuditAction::ContactsErased,
        format!("erasure/{}", Ulid::new()),
        "2 mục".into(),
        "đã xoá".into(),
    );
    assert_eq!(store.erase_contacts(&mine, &audit).await.expect("erase"), 2);
    assert!(store.contacts().await.expect("contacts").is_empty(), "nothing of anyone is left");
    let (question, asker) = store.question(sent.question.id).await.expect("read").expect("the question stays");
    assert_eq!((question.attachment, asker.email), (None, None));
    let comment = store.comment(&sent.comment.consultation, sent.comment.id).await.expect("read").expect("stays");
    assert_eq!((comment.name, comment.text.as_str()), (None, "Góp ý về Điều 3"));
    let trail = store.audit_trail(None, None, 10).await.expect("audit").items;
    assert_eq!(trail.len(), 1);
    assert!(!format!("{trail:?}").contains(EMAIL), "the audit names items, not the person");
}

#[tokio::test]
async fn sqlite_holds_ciphertext_and_the_back_office_reads_it() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cchc.sqlite3");
    let sealer = Sealer::local_file(&dir.path().join("khoa-du-lieu-ca-nhan")).expect("key file");
    let store = Sealed::new(SqliteStore::open(&path).expect("open"), sealer);
    let sent = send(&store).await;
    // The dump: every text cell of every table.
    let connection = rusqlite::Connection::open(&path).expect("open raw");
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    let mut dump = String::new();
    for table in tables {
        let mut statement = connection.prepare(&format!("SELECT * FROM {table}")).expect("select");
        let columns = statement.column_count();
        let mut rows = statement.query([]).expect("rows");
        while let Some(row) = rows.next().expect("row") {
            for i in 0..columns {
                if let Ok(Some(text)) = row.get::<_, Option<String>>(i) {
                    dump.push_str(&text);
                    dump.push('\n');
                }
            }
        }
    }
    assert!(dump.contains("cchc:v1:"), "sealed values are there");
    for plain in [EMAIL, PHONE, ASKER, FREE_TEXT] {
        assert!(!dump.contains(plain), "the dump shows `{plain}`");
    }
    the_back_office_reads_it(&store, &sent).await;
    a_deletion_request_erases_them(&store, &sent).await;
}

fn moto_endpoint() -> String {
    std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").expect("CCHC_TEST_DYNAMODB_ENDPOINT: the moto server (tests/run)")
}

#[tokio::test]
async fn dynamodb_holds_ciphertext_under_a_kms_key_and_the_back_office_reads_it() {
    let endpoint = moto_endpoint();
    let credentials = Credentials::new("test", "test", None, None, "tests");
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(cchc_functions::aws::http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(credentials.clone())
            .endpoint_url(&endpoint)
            .build(),
    );
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(cchc_functions::aws::http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(credentials)
            .endpoint_url(&endpoint)
            .build(),
    );
    let key = kms.create_key().description("cchc test").send().await.expect("KMS key on moto");
    let key_id = key.key_metadata().expect("metadata").key_id().to_string();
    let table = format!("cchc-test-{}", Ulid::new().to_string().to_lowercase());
    DynamoStore::create_table(&dynamo, &table).await.expect("table");
    let store = Sealed::new(DynamoStore::new(dynamo.clone(), table.clone()), Sealer::kms(kms.clone(), key_id));
    let sent = send(&store).await;
    let dump = format!("{:?}", dynamo.scan().table_name(&table).send().await.expect("scan").items());
    assert!(dump.contains("cchc:v1:"), "sealed values are there");
    for plain in [EMAIL, PHONE, ASKER, FREE_TEXT] {
        assert!(!dump.contains(plain), "the raw items show `{plain}`");
    }
    // Another KMS key (another stack, or a copy of the table elsewhere) cannot open them.
    let other = kms.create_key().send().await.expect("second key").key_metadata().expect("m").key_id().to_string();
    let stranger = Sealed::new(DynamoStore::new(dynamo.clone(), table.clone()), Sealer::kms(kms, other));
    assert!(stranger.export_comments(&sent.comment.consultation).await.is_err(), "opened under another key");
    the_back_office_reads_it(&store, &sent).await;
    a_deletion_request_erases_them(&store, &sent).await;
    let after = format!("{:?}", dynamo.scan().table_name(&table).send().await.expect("scan").items());
    assert!(!after.contains("CONTACT#"), "no contact item is left: {after}");
}
