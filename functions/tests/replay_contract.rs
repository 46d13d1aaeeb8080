//! `Store::replay`, the read-only idempotency lookup the HTTP guard makes before spending a proof of work or a
//! rate-limit slot, on both backends (SQLite here; DynamoDB on the moto server named by
//! `CCHC_TEST_DYNAMODB_ENDPOINT`). To be folded into `store_contract.rs` with the store.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use cchc_functions::domain::{Comment, CommentContact, ConsultationId, IdempotencyKey, Status, StoredResponse};
use cchc_functions::store::{DynamoStore, KeyScope, SqliteStore, Store, StoreError};
use chrono::Utc;
use ulid::Ulid;

async fn replays_the_first_answer_reads_nothing_else_and_keeps_scopes_apart<S: Store>(store: S) {
    let key = IdempotencyKey::parse("khoa-tra-lai-01").expect("key");
    assert!(store.replay(KeyScope::Comment, &key, "fp").await.expect("read").is_none(), "a free key");
    let comment = Comment {
        id: Ulid::new(),
        consultation: ConsultationId::parse("du-thao").expect("id"),
        status: Status::Pending,
        created_at: Utc::now(),
        name: None,
        organisation: None,
        section: None,
        text: "Góp ý".into(),
        reason: None,
    };
    let first = StoredResponse { status: 202, body: "{\"id\":\"1\"}".into() };
    let contact = CommentContact { email: "an@vidu.vn".into() };
    store.save_comment(&key, "fp", &comment, &contact, &first).await.expect("save");
    assert_eq!(store.replay(KeyScope::Comment, &key, "fp").await.expect("read"), Some(first));
    assert!(matches!(store.replay(KeyScope::Comment, &key, "khac").await, Err(StoreError::KeyReused)));
    assert!(store.replay(KeyScope::Question, &key, "fp").await.expect("read").is_none(), "another scope");
    assert!(store.replay(KeyScope::Survey, &key, "fp").await.expect("read").is_none(), "another scope");
}

#[tokio::test]
async fn sqlite_replays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("cchc.sqlite3")).expect("open");
    replays_the_first_answer_reads_nothing_else_and_keeps_scopes_apart(store).await;
}

#[tokio::test]
async fn dynamo_replays() {
    let endpoint = std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("CCHC_TEST_DYNAMODB_ENDPOINT is not set: run tests/run (it starts the moto server)")
    });
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let table = format!("cchc-test-{}", Ulid::new().to_string().to_lowercase());
    DynamoStore::create_table(&client, &table).await.expect("create table on the moto server");
    replays_the_first_answer_reads_nothing_else_and_keeps_scopes_apart(DynamoStore::new(client, table)).await;
}
