//! The embedded store for `cchc serve`: SQLite (bundled) in WAL mode, one file under `.cchc/`, with the same
//! semantics as DynamoDB: contacts in their own table, idempotency keys checked in the same transaction.
//!
//! - `writer`: the one thread that owns the connection and commits calls in groups;
//! - `checkpoints`: the thread that copies the WAL back into the database file, off the commits' path;
//! - `queries`: the `Store` contract, as closures the writer runs; `rows`: rows into records;
//! - `schema.sql`: the tables.
//!
//! The bundled SQLite flushes with `fdatasync` (`LIBSQLITE3_FLAGS` in `.cargo/config.toml`): a WAL reused in place
//! needs no inode write.

mod checkpoints;
mod erasure;
mod queries;
mod rows;
mod writer;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use self::checkpoints::{Checkpoints, WAL_LIMIT_BYTES};
use self::writer::Writer;
use super::StoreError;

/// The tables and the connection's settings, applied at every start.
const SCHEMA: &str = include_str!("schema.sql");

/// Makes the file at `path` readable and writable by its owner only.
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Columns added after the first release, for database files made before them (`CREATE TABLE IF NOT EXISTS`
/// leaves an existing table as it was).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("comments", "decided_by", "TEXT"),
    ("comments", "decided_at", "TEXT"),
    ("comments", "response_uptake", "TEXT"),
    ("comments", "response_text", "TEXT"),
    ("comment_contacts", "expires_at", "INTEGER"),
    ("question_contacts", "expires_at", "INTEGER"),
    ("questions", "answered_by", "TEXT"),
    ("questions", "answered_at", "TEXT"),
    ("questions", "consent", "INTEGER NOT NULL DEFAULT 0"),
    ("questions", "published", "INTEGER NOT NULL DEFAULT 0"),
    // Responses stored before the aggregator: counted again (`RECOUNT`).
    ("survey_responses", "counted", "INTEGER NOT NULL DEFAULT 1"),
];

/// What a database from before the aggregator needs once its `counted` column is added: its responses were counted
/// per unit only, with no whole-survey or commune scope, so they are all counted again from the responses (the
/// count at start does it) and the old counters go.
const RECOUNT: &str = "UPDATE survey_responses SET counted = 0; DELETE FROM survey_counters;";

/// Adds `ADDED_COLUMNS` missing from tables that exist already.
fn migrate(connection: &Connection) -> Result<(), StoreError> {
    for (table, column, declaration) in ADDED_COLUMNS {
        let mut statement =
            connection.prepare(&format!("SELECT name FROM pragma_table_info('{table}')")).map_err(sql)?;
        let columns: Vec<String> =
            statement.query_map([], |r| r.get(0)).map_err(sql)?.collect::<Result<_, _>>().map_err(sql)?;
        if !columns.is_empty() && !columns.iter().any(|c| c == column) {
            connection.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {declaration}")).map_err(sql)?;
            if (*table, *column) == ("survey_responses", "counted") {
                connection.execute_batch(RECOUNT).map_err(sql)?;
            }
        }
    }
    Ok(())
}

/// SQLite on a writer thread of its own; calls are sent to it and answered after their group commits.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Writer,
    /// Months contact details are kept after their item is closed.
    contact_retention: u32,
}

fn sql(error: rusqlite::Error) -> StoreError {
    StoreError::unavailable(error)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(StoreError::unavailable)?;
        }
        Self::open_with_wal_limit(path, WAL_LIMIT_BYTES)
    }

    /// [`SqliteStore::open`], with the WAL copied back and rewound under load past `limit_bytes`.
    fn open_with_wal_limit(path: &Path, limit_bytes: i64) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(sql)?;
        // Citizens' contacts are in it: readable by its owner only (SQLite gives its WAL the same mode).
        restrict_to_owner(path).map_err(StoreError::unavailable)?;
        Self::init(connection, Some((Connection::open(path).map_err(sql)?, limit_bytes)))
    }

    /// Deletes the expired idempotency records, rate counters (salted hashes of client addresses) and contact
    /// details kept past their retention, as DynamoDB's TTL does on AWS, and says how many rows went. `cchc serve` runs it at start and every ten minutes.
    pub async fn purge_expired(&self) -> Result<usize, StoreError> {
        self.writer
            .run(|connection| {
                let now = chrono::Utc::now().timestamp();
                let mut purged = 0;
                for table in ["idempotency", "rate_limits", "comment_contacts", "question_contacts"] {
                    purged += connection
                        .execute(&format!("DELETE FROM {table} WHERE expires_at < ?1"), [now])
                        .map_err(sql)?;
                }
                Ok(purged)
            })
            .await
    }

    /// The store, deleting contact details `months` after their item is closed (the purge runs in
    /// `purge_expired`).
    pub fn with_contact_retention(mut self, months: u32) -> Self {
        self.contact_retention = months;
        self
    }

    /// Publishes a survey in the preview (`cchc serve`): an editor drafting a version saves it many times, so a
    /// changed definition replaces the one this local store holds instead of being refused. Only `cchc sync`
    /// (`Store::put_survey`) makes a version immutable, in the store the site is published against.
    pub async fn put_survey_draft(&self, survey: &crate::survey::Survey) -> Result<super::Publication, StoreError> {
        use super::Store;
        match self.put_survey(survey).await {
            Err(StoreError::Conflict(_)) => {
                let (id, version, hash, definition) =
                    (survey.id.clone(), survey.version, survey.content_hash(), survey.to_published());
                self.writer
                    .run(move |connection| {
                        connection
                            .execute(
                                "UPDATE surveys SET hash = ?3, definition = ?4 WHERE id = ?1 AND version = ?2",
                                rusqlite::params![id, version, hash, definition],
                            )
                            .map_err(sql)?;
                        Ok(super::Publication::New)
                    })
                    .await
            }
            other => other,
        }
    }

    /// A private database in memory, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(sql)?, None)
    }

    /// Starts the writer on `connection` and, for a database file, the checkpoint thread on `second` with the
    /// WAL's limit in bytes.
    fn init(mut connection: Connection, second: Option<(Connection, i64)>) -> Result<Self, StoreError> {
        connection.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        migrate(&connection)?;
        connection.execute_batch(SCHEMA).map_err(sql)?;
        // Responses stored but not counted when the last process stopped (between a commit and its follow-up).
        match queries::count_uncounted(&mut connection) {
            Ok(0) => {}
            Ok(counted) => tracing::info!(counted, "survey responses left uncounted were counted"),
            Err(error) => tracing::warn!(error = %error, "could not count the survey responses left uncounted"),
        }
        let checkpoints =
            second.map(|(second, limit_bytes)| Checkpoints::start(&connection, second, limit_bytes)).transpose()?;
        Ok(Self { writer: Writer::start(connection, checkpoints)?, contact_retention: super::CONTACT_RETENTION_MONTHS })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use rusqlite::Connection;
    use ulid::Ulid;

    use super::*;
    use crate::domain::{Comment, CommentContact, ConsultationId, IdempotencyKey, Status, StoredResponse};
    use crate::store::{Saved, Store, StoreError};

    fn pending(consultation: &ConsultationId, text: String) -> Comment {
        Comment {
            id: Ulid::new(),
            consultation: consultation.clone(),
            status: Status::Pending,
            created_at: Utc::now(),
            name: None,
            organisation: None,
            section: None,
            text,
            reason: None,
            decided: None,
            response: None,
        }
    }

    #[tokio::test]
    async fn expired_keys_and_rate_counters_are_purged_and_the_file_is_private() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("cchc.sqlite3");
        let store = SqliteStore::open(&path).expect("open");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the store holds contacts");
        }
        store.count_request("da-het-han", "w1", -60).await.expect("count");
        store.count_request("con-han", "w1", 600).await.expect("count");
        assert_eq!(store.purge_expired().await.expect("purge"), 1, "only the expired counter");
        assert_eq!(store.count_request("con-han", "w1", 600).await.expect("count"), 2, "the live one is kept");
        assert_eq!(store.count_request("da-het-han", "w1", 600).await.expect("count"), 1, "the expired one is gone");
    }

    #[tokio::test]
    async fn contacts_are_purged_after_their_retention_and_their_items_stay() {
        use crate::domain::{Actor, AuditAction, AuditEntry, Decision};
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(&dir.path().join("cchc.sqlite3")).expect("open").with_contact_retention(0);
        let consultation = ConsultationId::parse("du-thao-luu-giu").expect("id");
        let (closed, open) = (pending(&consultation, "Đã duyệt".into()), pending(&consultation, "Chờ duyệt".into()));
        for (i, c) in [&closed, &open].into_iter().enumerate() {
            let key = IdempotencyKey::parse(&format!("khoa-luu-giu-{i}")).expect("key");
            let contact = CommentContact { email: format!("nguoi{i}@vidu.vn") };
            store
                .save_comment(&key, "fp", c, &contact, &StoredResponse { status: 202, body: String::new() })
                .await
                .expect("save");
        }
        let actor = Actor { id: "kd".into(), name: "Kiểm duyệt".into() };
        let audit = AuditEntry::now(&actor, AuditAction::CommentApproved, String::new(), String::new(), String::new());
        let at = audit.at;
        store.moderate_comment(&consultation, closed.id, &Decision::Approve, &audit).await.expect("approve");
        // Zero months: the contact expires at the decision's second.
        while chrono::Utc::now().timestamp() <= at.timestamp() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(store.purge_expired().await.expect("purge"), 1, "the closed comment's contact only");
        let rows = store.export_comments(&consultation).await.expect("export");
        // (Both were made in the same millisecond: their order is not the point.)
        let mut emails: Vec<(&str, &str)> = rows.iter().map(|(c, k)| (c.text.as_str(), k.email.as_str())).collect();
        emails.sort();
        assert_eq!(emails, [("Chờ duyệt", "nguoi1@vidu.vn"), ("Đã duyệt", "")], "the comment stays, its contact went");
    }

    /// Saves comment number `i` of a test's series, with its key and contact, and checks it was created.
    async fn save_numbered(store: &SqliteStore, consultation: &ConsultationId, i: usize) {
        let comment = pending(consultation, format!("Góp ý số {i}: {}", "nội dung ".repeat(20)));
        let key = IdempotencyKey::parse(&format!("khoa-wal-{i:05}")).expect("key");
        let contact = CommentContact { email: "an@vidu.vn".into() };
        let response = StoredResponse { status: 202, body: comment.id.to_string() };
        let saved = store.save_comment(&key, "fp", &comment, &contact, &response).await.expect("save");
        assert!(matches!(saved, Saved::Created));
    }

    /// Under sustained writing the checkpoint thread copies the WAL into the database past its limit and the writer
    /// rewinds it, so the WAL stops growing; every acknowledged write is there when the file is opened again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkpoints_keep_the_wal_short_and_lose_nothing() {
        const COMMITS: usize = 512;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cchc.sqlite3");
        let store = SqliteStore::open_with_wal_limit(&path, 128 * 1024).expect("open");
        let consultation = ConsultationId::parse("du-thao-wal").expect("id");
        let mut largest_wal = 0;
        for i in 0..COMMITS {
            save_numbered(&store, &consultation, i).await;
            largest_wal = largest_wal.max(std::fs::metadata(path.with_extension("sqlite3-wal")).map_or(0, |m| m.len()));
        }
        // Without rewinding, these 512 commits (a comment, its contact, its key, their indexes) take 6 MB of WAL.
        assert!(largest_wal < 1 << 20, "the WAL grew to {largest_wal} bytes");
        drop(store);
        let again = SqliteStore::open(&path).expect("open again");
        let rows = again.export_comments(&consultation).await.expect("export");
        assert_eq!(rows.len(), COMMITS);
        let page_size: i64 =
            Connection::open(&path).and_then(|c| c.query_row("PRAGMA page_size", [], |r| r.get(0))).expect("page size");
        assert_eq!(page_size, 1024);
    }

    /// Far below the WAL's limit, a pause after some writes is when they are copied back into the database file
    /// (which only a checkpoint writes, in WAL mode).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pause_in_writing_copies_the_wal_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cchc.sqlite3");
        let store = SqliteStore::open(&path).expect("open");
        let consultation = ConsultationId::parse("du-thao-nghi").expect("id");
        save_numbered(&store, &consultation, 0).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = std::fs::metadata(&path).expect("database").len();
        for i in 1..200 {
            save_numbered(&store, &consultation, i).await;
        }
        let mut after = before;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            after = std::fs::metadata(&path).expect("database").len();
            if after > before {
                break;
            }
        }
        assert!(after > before, "the database file stayed at {before} bytes: the WAL was not copied back");
    }

    /// A key is looked up once per write; one past its time is deleted then, and the new write is made with it.
    #[tokio::test]
    async fn an_expired_key_is_free_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cchc.sqlite3");
        let store = SqliteStore::open(&path).expect("open");
        let consultation = ConsultationId::parse("du-thao-khoa").expect("id");
        let key = IdempotencyKey::parse("khoa-het-han").expect("key");
        let contact = CommentContact { email: "an@vidu.vn".into() };
        let save = |text: &str, fingerprint: &'static str| {
            let comment = pending(&consultation, text.to_string());
            let response = StoredResponse { status: 202, body: comment.id.to_string() };
            let (store, key, contact) = (store.clone(), key.clone(), contact.clone());
            async move { store.save_comment(&key, fingerprint, &comment, &contact, &response).await }
        };
        assert!(matches!(save("Lần một", "fp-1").await, Ok(Saved::Created)));
        assert!(matches!(save("Lần một", "fp-1").await, Ok(Saved::Replayed(_))));
        assert!(matches!(save("Lần hai", "fp-2").await, Err(StoreError::KeyReused)));
        let connection = Connection::open(&path).expect("open");
        connection.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
        let expired = connection
            .execute("UPDATE idempotency SET expires_at = 0 WHERE key = 'comment#khoa-het-han'", [])
            .expect("expire");
        assert_eq!(expired, 1);
        assert!(matches!(save("Lần hai", "fp-2").await, Ok(Saved::Created)));
        let texts: Vec<String> =
            store.export_comments(&consultation).await.expect("export").into_iter().map(|(c, _)| c.text).collect();
        assert_eq!(texts, ["Lần một", "Lần hai"]);
    }
}
