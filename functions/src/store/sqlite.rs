//! The embedded store for `cchc serve`: SQLite (bundled) in WAL mode, one file under `.cchc/`, with the same
//! semantics as DynamoDB: contacts in their own table, idempotency keys checked in the same transaction.
//!
//! One thread owns the connection and commits in groups: it takes every call waiting (up to [`MAX_GROUP`]), runs
//! each in a savepoint of one transaction (a failed call rolls back its own savepoint only), commits with a flush
//! of the WAL (`synchronous = FULL`), and only then answers the callers. Sixty-four concurrent submissions cost one
//! disk flush, not sixty-four, and no caller hears "saved" before its write is on disk.
//!
//! Checkpoints (copying the WAL back into the database file, and flushing that) run on a second thread with a
//! connection of its own, so a commit waits for the WAL's flush only, and they run when the writer falls idle
//! ([`IDLE_BEFORE_CHECKPOINT`]) or the WAL passes [`WAL_LIMIT_BYTES`], not while submissions keep coming: the
//! database file's flush shares the disk with the WAL's, and a checkpoint every 64 commits under load was the API's
//! 99th percentile (closed loop, comments: p99 6.8-8.1 ms with it, 3.8-4.0 ms without; the disk probe beside it saw
//! flushes of 11-13 ms with it and none over 2.5 ms without). A checkpoint copies each page once, however many
//! commits rewrote it, so a long WAL costs less to copy back than many short ones. The bundled SQLite flushes with
//! `fdatasync` (`LIBSQLITE3_FLAGS` in `.cargo/config.toml`): a WAL reused in place needs no inode write.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use ulid::Ulid;

use super::{Cursor, IDEMPOTENCY_TTL_SECONDS, KeyScope, Page, Publication, Saved, Store, StoreError, SurveyWrite};
use crate::domain::{
    AnswerText, AttachmentMeta, Comment, CommentContact, Consultation, ConsultationId, Decision, IdempotencyKey,
    Question, QuestionContact, Status, StoredResponse,
};
use crate::survey::{Record, Survey};

/// 1 KiB pages (for a new database): a commit writes every page it touched whole into the WAL, and a survey response
/// or a comment touches a few rows in several b-trees; with 4 KiB pages each group wrote and flushed four times the
/// bytes (630 MB of WAL for 50,000 responses, 12.6 KB each), and the flushes were the API's tail.
const SCHEMA: &str = "
PRAGMA page_size = 1024;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA wal_autocheckpoint = 0;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS consultations (
  id TEXT PRIMARY KEY, title TEXT NOT NULL, opens TEXT NOT NULL, closes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS comments (
  id TEXT PRIMARY KEY, consultation TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  name TEXT, organisation TEXT, section TEXT, text TEXT NOT NULL, reason TEXT);
CREATE INDEX IF NOT EXISTS comments_public ON comments (consultation, status, id);
CREATE INDEX IF NOT EXISTS comments_queue ON comments (status, id);
CREATE TABLE IF NOT EXISTS comment_contacts (
  comment_id TEXT PRIMARY KEY REFERENCES comments (id), email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
  id TEXT PRIMARY KEY, created_at TEXT NOT NULL, text TEXT NOT NULL, attachment TEXT, answer TEXT);
CREATE INDEX IF NOT EXISTS questions_queue ON questions (answer, id);
CREATE TABLE IF NOT EXISTS question_contacts (
  question_id TEXT PRIMARY KEY REFERENCES questions (id), name TEXT NOT NULL, email TEXT, phone TEXT);
CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS surveys (
  id TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, definition TEXT NOT NULL,
  PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS survey_responses (
  id TEXT PRIMARY KEY, survey TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL,
  response TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS survey_responses_by_version ON survey_responses (survey, version, id);
CREATE TABLE IF NOT EXISTS survey_counters (
  survey TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (survey, version, key));
CREATE TABLE IF NOT EXISTS access_codes (
  survey TEXT NOT NULL, hash TEXT NOT NULL, used_at TEXT, PRIMARY KEY (survey, hash));
CREATE TABLE IF NOT EXISTS rate_limits (
  client TEXT NOT NULL, window TEXT NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (client, window));
";

/// Calls committed together at most.
pub const MAX_GROUP: usize = 256;

/// How long the writer waits for the next call before it asks for a checkpoint of what it committed. Between
/// citizens' submissions that is almost always; under a sustained load of thousands a second, never.
const IDLE_BEFORE_CHECKPOINT: Duration = Duration::from_millis(20);

/// WAL size past which it is copied back under load and then rewound by the writer. A passive checkpoint never
/// catches up with a writer that never pauses, and SQLite rewinds the WAL only once everything in it is copied back:
/// the writer copies the last frames itself (the commits made during the checkpoint). At 5,000 comments a second the
/// WAL grows 32 MB a second, so this is half a minute of that load; its copy back took 0.14 s for 300 MB, and a
/// minute of that load measured p99 1.5 ms, p99.9 21 ms. 256 MiB kept the file smaller, but at 30,000 comments a
/// second it was reached every few seconds (p99 9.7-17 ms instead of 3.6-4.2 ms). A longer WAL has a longer index
/// for every page read to search (1 GiB measured no slower). The file keeps its size and is written over in place:
/// cutting it back (`journal_size_limit`) and growing it again made the next burst's p99 16-20 ms instead of
/// 1.3-1.8 ms at 5,000 comments a second (freeing and allocating blocks on this disk).
const WAL_LIMIT_BYTES: i64 = 1 << 30;

thread_local! {
    /// Pages in the WAL after the last commit on this thread: SQLite's WAL hook runs on the committing thread, and
    /// only the writer thread commits.
    static WAL_PAGES: Cell<i64> = const { Cell::new(0) };
}

/// SQLite's WAL hook: notes the WAL's length after each commit.
fn note_wal_pages(_: &rusqlite::hooks::Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_PAGES.set(pages.into());
    Ok(())
}

/// SQLite on a writer thread of its own; calls are sent to it and answered after their group commits.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    calls: mpsc::Sender<Call>,
}

/// A call runs on the writer thread and gives back what answers the caller once the group is committed (with
/// the commit's error, if it failed).
type Call = Box<dyn FnOnce(&mut Connection) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Option<&str>) + Send>;

/// The checkpoint thread, as the writer sees it.
struct Checkpoints {
    waker: mpsc::SyncSender<()>,
    shared: Arc<CheckpointState>,
}

/// What the writer and the checkpoint thread share.
struct CheckpointState {
    /// The WAL's limit in pages: past it, it is copied back under load and then rewound.
    limit_pages: i64,
    /// The WAL has grown past its limit and been copied back: the writer should rewind it.
    restart_due: AtomicBool,
    /// Held by whichever connection is checkpointing: the writer restarts the WAL only while the checkpoint thread
    /// is idle (never waiting on SQLite's busy handler, whose sleeps are milliseconds long).
    running: Mutex<()>,
}

impl Checkpoints {
    /// Asks the checkpoint thread for a pass without waiting for it: at most one wake waits, and a pass already
    /// running sees the frames committed meanwhile.
    fn wake(&self) {
        let _ = self.waker.try_send(());
    }

    /// After a commit: rewinds the WAL if that is due and the checkpoint thread is idle, and asks for a pass while
    /// the WAL is past its limit and no rewind is due yet (so a rewind that could not be made is asked for again).
    /// Says whether it asked.
    fn after_commit(&self, connection: &Connection) -> bool {
        let shared = &self.shared;
        if shared.restart_due.load(Ordering::Relaxed)
            && let Ok(_idle) = shared.running.try_lock()
        {
            shared.restart_due.store(false, Ordering::Relaxed);
            checkpoint(connection, "RESTART");
            WAL_PAGES.set(0); // rewound at the next commit, whose hook says whether it was
        }
        let asked = WAL_PAGES.get() >= shared.limit_pages && !shared.restart_due.load(Ordering::Relaxed);
        if asked {
            self.wake();
        }
        asked
    }
}

/// The next call. With `idle` given, a call that does not come within [`IDLE_BEFORE_CHECKPOINT`] first wakes
/// the checkpoint thread, then is waited for.
fn next_call(calls: &mpsc::Receiver<Call>, idle: Option<&Checkpoints>) -> Option<Call> {
    let Some(checkpoints) = idle else { return calls.recv().ok() };
    match calls.recv_timeout(IDLE_BEFORE_CHECKPOINT) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            checkpoints.wake();
            calls.recv().ok()
        }
        received => received.ok(),
    }
}

/// Runs the calls in groups. After each commit, the checkpoint thread (if any) is woken when the WAL is past its
/// limit, and otherwise when no call comes for [`IDLE_BEFORE_CHECKPOINT`]; the writer rewinds the WAL when the
/// checkpoint thread has copied it back.
fn writer(mut connection: Connection, calls: mpsc::Receiver<Call>, checkpoints: Option<Checkpoints>) {
    let mut wake_when_idle = false; // the last commit did not wake the checkpoint thread
    while let Some(first) = next_call(&calls, checkpoints.as_ref().filter(|_| wake_when_idle)) {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match calls.try_recv() {
                Ok(call) => group.push(call),
                Err(_) => break,
            }
        }
        let began = connection.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string());
        let answers: Vec<Answer> = group
            .into_iter()
            .map(|call| match &began {
                Ok(()) => std::panic::catch_unwind(AssertUnwindSafe(|| call(&mut connection)))
                    .unwrap_or_else(|_| Box::new(|_| {})),
                Err(_) => Box::new(|_: Option<&str>| {}) as Answer,
            })
            .collect();
        let outcome = began.and_then(|()| connection.execute_batch("COMMIT").map_err(|e| e.to_string()));
        if outcome.is_err() && !connection.is_autocommit() {
            let _ = connection.execute_batch("ROLLBACK");
        }
        for answer in answers {
            answer(outcome.as_ref().err().map(String::as_str));
        }
        if let Some(checkpoints) = &checkpoints {
            wake_when_idle = !checkpoints.after_commit(&connection);
        }
    }
}

/// Copies the WAL back into the database when woken (a passive checkpoint: it never blocks the writer), and once
/// more when the writer has stopped; says when the WAL has grown past its limit.
fn checkpointer(connection: Connection, wake: mpsc::Receiver<()>, shared: Arc<CheckpointState>) {
    while wake.recv().is_ok() {
        let _running = shared.running.lock();
        if checkpoint(&connection, "PASSIVE").is_some_and(|pages| pages >= shared.limit_pages) {
            // Once more at once, so that the writer's restart has only the last few milliseconds of commits to copy.
            checkpoint(&connection, "PASSIVE");
            shared.restart_due.store(true, Ordering::Relaxed);
        }
    }
    checkpoint(&connection, "PASSIVE");
}

/// Runs a checkpoint in `mode`; gives the WAL's length in pages.
fn checkpoint(connection: &Connection, mode: &str) -> Option<i64> {
    match connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| row.get::<_, i64>(1)) {
        Ok(pages) => Some(pages),
        Err(e) => {
            tracing::warn!("checkpoint of the local store failed (retried after the next commits): {e}");
            None
        }
    }
}

fn sql(error: rusqlite::Error) -> StoreError {
    StoreError::unavailable(error)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::unavailable(anyhow::anyhow!("stored time `{text}`: {e}")))
}

fn comment_from(row: &Row<'_>) -> rusqlite::Result<CommentRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

/// The columns of `COMMENT_COLUMNS`, in order.
type CommentRow =
    (String, String, String, String, Option<String>, Option<String>, Option<String>, String, Option<String>);

fn comment(row: CommentRow) -> Result<Comment, StoreError> {
    let (id, consultation, status, created_at, name, organisation, section, text, reason) = row;
    Ok(Comment {
        id: Ulid::from_string(&id).map_err(StoreError::unavailable)?,
        consultation: ConsultationId::parse(&consultation)
            .map_err(|e| StoreError::unavailable(anyhow::anyhow!(e.message)))?,
        status: Status::parse(&status).ok_or_else(|| StoreError::unavailable(anyhow::anyhow!("status `{status}`")))?,
        created_at: parse_time(&created_at)?,
        name,
        organisation,
        section,
        text,
        reason,
    })
}

const COMMENT_COLUMNS: &str = "id, consultation, status, created_at, name, organisation, section, text, reason";

fn now_seconds() -> i64 {
    Utc::now().timestamp()
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
        Self::init(connection, Some((Connection::open(path).map_err(sql)?, limit_bytes)))
    }

    /// A private database in memory, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(sql)?, None)
    }

    /// Starts the writer on `connection` and, for a database file, the checkpoint thread on `second` with the
    /// WAL's limit in bytes.
    fn init(connection: Connection, second: Option<(Connection, i64)>) -> Result<Self, StoreError> {
        connection.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        connection.execute_batch(SCHEMA).map_err(sql)?;
        let checkpoints = match second {
            Some((second, limit_bytes)) => {
                // A database made before pages were 1 KiB keeps its 4 KiB pages.
                let page_size: i64 = connection.query_row("PRAGMA page_size", [], |row| row.get(0)).map_err(sql)?;
                let limit_pages = limit_bytes / page_size.max(512);
                connection.wal_hook(Some(note_wal_pages));
                second.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
                second.execute_batch("PRAGMA synchronous = FULL;").map_err(sql)?;
                let (waker, woken) = mpsc::sync_channel(1);
                let shared = Arc::new(CheckpointState {
                    limit_pages,
                    restart_due: AtomicBool::new(false),
                    running: Mutex::new(()),
                });
                let theirs = shared.clone();
                std::thread::Builder::new()
                    .name("sqlite-checkpoint".into())
                    .spawn(move || checkpointer(second, woken, theirs))
                    .map_err(StoreError::unavailable)?;
                Some(Checkpoints { waker, shared })
            }
            None => None,
        };
        let (calls, received) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(connection, received, checkpoints))
            .map_err(StoreError::unavailable)?;
        Ok(Self { calls })
    }

    /// Runs `work` on the writer thread, in a savepoint of the current group, and answers once the group is
    /// committed. `work` that fails must leave its savepoint rolled back (dropping a `Savepoint` does).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let call: Call = Box::new(move |connection| {
            let result = work(connection);
            Box::new(move |commit_error| {
                let _ = answer.send(match commit_error {
                    Some(e) => Err(StoreError::unavailable(anyhow::anyhow!("không ghi được: {e}"))),
                    None => result,
                });
            })
        });
        self.calls.send(call).map_err(|_| StoreError::unavailable(anyhow::anyhow!("luồng ghi đã dừng")))?;
        answered.await.map_err(|_| StoreError::unavailable(anyhow::anyhow!("luồng ghi dừng giữa chừng")))?
    }
}

/// Inserts the idempotency record, or says what the first request got.
fn claim_key(
    tx: &Connection,
    key: &str,
    fingerprint: &str,
    response: &StoredResponse,
) -> Result<Option<Saved>, StoreError> {
    let now = now_seconds();
    let existing: Option<(String, u16, String, i64)> = tx
        .prepare_cached("SELECT fingerprint, status, body, expires_at FROM idempotency WHERE key = ?1")
        .and_then(|mut s| s.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional())
        .map_err(sql)?;
    if let Some((stored, status, body, expires_at)) = existing {
        if expires_at < now {
            // Expired: the key is free again (looked up once; deleted only in this rare case).
            exec(tx, "DELETE FROM idempotency WHERE key = ?1", params![key])?;
        } else if stored == fingerprint {
            return Ok(Some(Saved::Replayed(StoredResponse { status, body })));
        } else {
            return Err(StoreError::KeyReused);
        }
    }
    exec(
        tx,
        "INSERT INTO idempotency (key, fingerprint, status, body, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![key, fingerprint, response.status, response.body, now + IDEMPOTENCY_TTL_SECONDS],
    )?;
    Ok(None)
}

/// Runs a statement kept prepared: the write paths run the same few statements thousands of times a second.
fn exec(connection: &Connection, statement: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    connection.prepare_cached(statement).and_then(|mut s| s.execute(params)).map_err(sql)
}

fn page<T>(mut items: Vec<T>, limit: usize, last_id: impl Fn(&T) -> String) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|item| Cursor::encode(&last_id(item)))
    } else {
        None
    };
    Page { items, next }
}

fn cursor_id(cursor: Option<&Cursor>) -> Result<Option<String>, StoreError> {
    cursor
        .map(|c| {
            c.position().and_then(|p| Ulid::from_string(&p).map(|u| u.to_string()).map_err(|_| StoreError::BadCursor))
        })
        .transpose()
}

/// id, created_at, text, attachment, answer, name, email, phone.
type QuestionRow = (String, String, String, Option<String>, Option<String>, String, Option<String>, Option<String>);

fn question_from(row: &Row<'_>) -> rusqlite::Result<QuestionRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?))
}

impl Store for SqliteStore {
    async fn put_survey(&self, survey: &Survey) -> Result<Publication, StoreError> {
        let (id, version, hash, definition) =
            (survey.id.clone(), survey.version, survey.content_hash(), survey.to_published());
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            let existing: Option<String> = tx
                .query_row("SELECT hash FROM surveys WHERE id = ?1 AND version = ?2", params![id, version], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(sql)?;
            match existing {
                Some(stored) if stored == hash => Ok(Publication::Unchanged),
                Some(_) => Err(StoreError::Conflict(super::changed_version(&id, version))),
                None => {
                    tx.execute(
                        "INSERT INTO surveys (id, version, hash, definition) VALUES (?1, ?2, ?3, ?4)",
                        params![id, version, hash, definition],
                    )
                    .map_err(sql)?;
                    tx.commit().map_err(sql)?;
                    Ok(Publication::New)
                }
            }
        })
        .await
    }

    async fn survey(&self, id: &str, version: Option<u32>) -> Result<Option<Survey>, StoreError> {
        let id = id.to_string();
        let json: Option<String> = self
            .run(move |conn| {
                let found = match version {
                    Some(v) => conn.query_row(
                        "SELECT definition FROM surveys WHERE id = ?1 AND version = ?2",
                        params![id, v],
                        |r| r.get(0),
                    ),
                    None => conn.query_row(
                        "SELECT definition FROM surveys WHERE id = ?1 ORDER BY version DESC LIMIT 1",
                        params![id],
                        |r| r.get(0),
                    ),
                };
                found.optional().map_err(sql)
            })
            .await?;
        json.map(|j| Survey::from_published(&j).map_err(|e| StoreError::unavailable(anyhow::anyhow!(e)))).transpose()
    }

    async fn save_survey_response(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        write: &SurveyWrite<'_>,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let key = format!("survey#{}", key.as_str());
        let fingerprint = fingerprint.to_string();
        let survey = write.survey.to_string();
        let record = write.record.clone();
        let counters = write.counters.to_vec();
        let code = write.code.map(str::to_string);
        let response = response.clone();
        let body = serde_json::to_string(&record.response).map_err(StoreError::unavailable)?;
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            if let Some(replay) = claim_key(&tx, &key, &fingerprint, &response)? {
                return Ok(replay);
            }
            if let Some(hash) = code {
                let used = exec(
                    &tx,
                    "UPDATE access_codes SET used_at = ?3 WHERE survey = ?1 AND hash = ?2 AND used_at IS NULL",
                    params![survey, hash, record.created_at.to_rfc3339()],
                )?;
                if used != 1 {
                    return Err(StoreError::CodeRejected); // dropping `tx` rolls back the key
                }
            }
            exec(
                &tx,
                "INSERT INTO survey_responses (id, survey, version, created_at, response) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![record.id.to_string(), survey, record.version, record.created_at.to_rfc3339(), body],
            )?;
            {
                let mut add = tx
                    .prepare_cached(
                        "INSERT INTO survey_counters (survey, version, key, count) VALUES (?1, ?2, ?3, 1)
                         ON CONFLICT (survey, version, key) DO UPDATE SET count = count + 1",
                    )
                    .map_err(sql)?;
                for counter in &counters {
                    add.execute(params![survey, record.version, counter]).map_err(sql)?;
                }
            }
            tx.commit().map_err(sql)?;
            Ok(Saved::Created)
        })
        .await
    }

    async fn survey_counts(
        &self,
        id: &str,
        version: u32,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let mut statement = conn
                .prepare("SELECT key, count FROM survey_counters WHERE survey = ?1 AND version = ?2")
                .map_err(sql)?;
            let rows = statement
                .query_map(params![id, version], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(sql)?;
            let mut counts = std::collections::BTreeMap::new();
            for row in rows {
                let (key, count) = row.map_err(sql)?;
                counts.insert(key, u64::try_from(count).unwrap_or(0));
            }
            Ok(counts)
        })
        .await
    }

    async fn survey_responses(&self, id: &str, version: u32) -> Result<Vec<Record>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT id, created_at, response FROM survey_responses WHERE survey = ?1 AND version = ?2 ORDER BY id",
                )
                .map_err(sql)?;
            let rows = statement
                .query_map(params![id, version], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(sql)?;
            let mut records = Vec::new();
            for row in rows {
                let (rid, created_at, response) = row.map_err(sql)?;
                records.push(Record {
                    id: Ulid::from_string(&rid).map_err(StoreError::unavailable)?,
                    created_at: parse_time(&created_at)?,
                    version,
                    response: serde_json::from_str(&response).map_err(StoreError::unavailable)?,
                });
            }
            Ok(records)
        })
        .await
    }

    async fn add_access_codes(&self, id: &str, hashes: &[String]) -> Result<usize, StoreError> {
        let (id, hashes) = (id.to_string(), hashes.to_vec());
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            let mut added = 0;
            for hash in &hashes {
                added += tx
                    .execute("INSERT OR IGNORE INTO access_codes (survey, hash) VALUES (?1, ?2)", params![id, hash])
                    .map_err(sql)?;
            }
            tx.commit().map_err(sql)?;
            Ok(added)
        })
        .await
    }

    async fn put_consultation(&self, c: &Consultation) -> Result<(), StoreError> {
        let c = c.clone();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO consultations (id, title, opens, closes) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, opens = excluded.opens, closes = excluded.closes",
                params![c.id.as_str(), c.title, c.opens.to_string(), c.closes.to_string()],
            )
            .map_err(sql)?;
            Ok(())
        })
        .await
    }

    async fn consultation(&self, id: &ConsultationId) -> Result<Option<Consultation>, StoreError> {
        let id = id.clone();
        self.run(move |conn| {
            let row: Option<(String, String, String)> = conn
                .query_row("SELECT title, opens, closes FROM consultations WHERE id = ?1", params![id.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(sql)?;
            row.map(|(title, opens, closes)| {
                let date = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(StoreError::unavailable);
                Ok(Consultation { id: id.clone(), title, opens: date(&opens)?, closes: date(&closes)? })
            })
            .transpose()
        })
        .await
    }

    async fn replay(
        &self,
        scope: KeyScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let (key, fingerprint) = (format!("{}#{}", scope.as_str(), key.as_str()), fingerprint.to_string());
        self.run(move |conn| {
            let existing: Option<(String, u16, String)> = conn
                .prepare_cached("SELECT fingerprint, status, body FROM idempotency WHERE key = ?1 AND expires_at >= ?2")
                .and_then(|mut s| {
                    s.query_row(params![key, now_seconds()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()
                })
                .map_err(sql)?;
            match existing {
                Some((stored, status, body)) if stored == fingerprint => Ok(Some(StoredResponse { status, body })),
                Some(_) => Err(StoreError::KeyReused),
                None => Ok(None),
            }
        })
        .await
    }

    async fn save_comment(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        comment: &Comment,
        contact: &CommentContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let (key, fingerprint, c, contact, response) = (
            format!("comment#{}", key.as_str()),
            fingerprint.to_string(),
            comment.clone(),
            contact.clone(),
            response.clone(),
        );
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            if let Some(replay) = claim_key(&tx, &key, &fingerprint, &response)? {
                return Ok(replay);
            }
            exec(
                &tx,
                &format!("INSERT INTO comments ({COMMENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    c.id.to_string(),
                    c.consultation.as_str(),
                    c.status.as_str(),
                    c.created_at.to_rfc3339(),
                    c.name,
                    c.organisation,
                    c.section,
                    c.text,
                    c.reason
                ],
            )?;
            exec(
                &tx,
                "INSERT INTO comment_contacts (comment_id, email) VALUES (?1, ?2)",
                params![c.id.to_string(), contact.email],
            )?;
            tx.commit().map_err(sql)?;
            Ok(Saved::Created)
        })
        .await
    }

    async fn approved_comments(
        &self,
        consultation: &ConsultationId,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<Comment>, StoreError> {
        let (consultation, after) = (consultation.clone(), cursor_id(cursor)?);
        self.run(move |conn| {
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {COMMENT_COLUMNS} FROM comments WHERE consultation = ?1 AND status = 'approved'
                     AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3"
                ))
                .map_err(sql)?;
            let rows = statement
                .query_map(params![consultation.as_str(), after, (limit + 1) as i64], comment_from)
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            let items = rows.into_iter().map(comment).collect::<Result<Vec<_>, _>>()?;
            Ok(page(items, limit, |c: &Comment| c.id.to_string()))
        })
        .await
    }

    async fn pending_comments(&self, cursor: Option<&Cursor>, limit: usize) -> Result<Page<Comment>, StoreError> {
        let after = cursor_id(cursor)?;
        self.run(move |conn| {
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {COMMENT_COLUMNS} FROM comments WHERE status = 'pending' AND (?1 IS NULL OR id > ?1)
                     ORDER BY id LIMIT ?2"
                ))
                .map_err(sql)?;
            let rows = statement
                .query_map(params![after, (limit + 1) as i64], comment_from)
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            let items = rows.into_iter().map(comment).collect::<Result<Vec<_>, _>>()?;
            Ok(page(items, limit, |c: &Comment| c.id.to_string()))
        })
        .await
    }

    async fn moderate_comment(
        &self,
        consultation: &ConsultationId,
        id: Ulid,
        decision: &Decision,
    ) -> Result<Comment, StoreError> {
        let (consultation, decision) = (consultation.clone(), decision.clone());
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            let (status, reason) = match &decision {
                Decision::Approve => (Status::Approved, None),
                Decision::Reject(r) => (Status::Rejected, Some(r.as_str().to_string())),
            };
            let changed = tx
                .execute(
                    "UPDATE comments SET status = ?1, reason = ?2 WHERE id = ?3 AND consultation = ?4 AND status = 'pending'",
                    params![status.as_str(), reason, id.to_string(), consultation.as_str()],
                )
                .map_err(sql)?;
            let row = tx
                .query_row(
                    &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = ?1 AND consultation = ?2"),
                    params![id.to_string(), consultation.as_str()],
                    comment_from,
                )
                .optional()
                .map_err(sql)?;
            tx.commit().map_err(sql)?;
            match (row, changed) {
                (None, _) => Err(StoreError::NotFound),
                (Some(_), 0) => Err(StoreError::Conflict("góp ý này đã được kiểm duyệt trước đó".into())),
                (Some(row), _) => comment(row),
            }
        })
        .await
    }

    async fn export_comments(
        &self,
        consultation: &ConsultationId,
    ) -> Result<Vec<(Comment, CommentContact)>, StoreError> {
        let consultation = consultation.clone();
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT c.id, c.consultation, c.status, c.created_at, c.name, c.organisation, c.section, c.text, c.reason, k.email
                     FROM comments c JOIN comment_contacts k ON k.comment_id = c.id WHERE c.consultation = ?1 ORDER BY c.id",
                )
                .map_err(sql)?;
            let rows = statement
                .query_map(params![consultation.as_str()], |r| Ok((comment_from(r)?, r.get::<_, String>(9)?)))
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            rows.into_iter().map(|(row, email)| Ok((comment(row)?, CommentContact { email }))).collect()
        })
        .await
    }

    async fn save_question(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        q: &Question,
        contact: &QuestionContact,
        response: &StoredResponse,
    ) -> Result<Saved, StoreError> {
        let (key, fingerprint, q, contact, response) = (
            format!("question#{}", key.as_str()),
            fingerprint.to_string(),
            q.clone(),
            contact.clone(),
            response.clone(),
        );
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            if let Some(replay) = claim_key(&tx, &key, &fingerprint, &response)? {
                return Ok(replay);
            }
            let attachment =
                q.attachment.as_ref().map(serde_json::to_string).transpose().map_err(StoreError::unavailable)?;
            tx.execute(
                "INSERT INTO questions (id, created_at, text, attachment, answer) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![q.id.to_string(), q.created_at.to_rfc3339(), q.text, attachment, q.answer],
            )
            .map_err(sql)?;
            tx.execute(
                "INSERT INTO question_contacts (question_id, name, email, phone) VALUES (?1, ?2, ?3, ?4)",
                params![q.id.to_string(), contact.name, contact.email, contact.phone],
            )
            .map_err(sql)?;
            tx.commit().map_err(sql)?;
            Ok(Saved::Created)
        })
        .await
    }

    async fn pending_questions(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<(Question, QuestionContact)>, StoreError> {
        let after = cursor_id(cursor)?;
        self.run(move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT q.id, q.created_at, q.text, q.attachment, q.answer, k.name, k.email, k.phone
                     FROM questions q JOIN question_contacts k ON k.question_id = q.id
                     WHERE q.answer IS NULL AND (?1 IS NULL OR q.id > ?1) ORDER BY q.id LIMIT ?2",
                )
                .map_err(sql)?;
            let rows = statement
                .query_map(params![after, (limit + 1) as i64], question_from)
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            let items = rows
                .into_iter()
                .map(|(id, created_at, text, attachment, answer, name, email, phone)| {
                    Ok((
                        Question {
                            id: Ulid::from_string(&id).map_err(StoreError::unavailable)?,
                            created_at: parse_time(&created_at)?,
                            text,
                            attachment: attachment
                                .map(|a| serde_json::from_str::<AttachmentMeta>(&a))
                                .transpose()
                                .map_err(StoreError::unavailable)?,
                            answer,
                        },
                        QuestionContact { name, email, phone },
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(page(items, limit, |(q, _): &(Question, QuestionContact)| q.id.to_string()))
        })
        .await
    }

    async fn answer_question(&self, id: Ulid, answer: &AnswerText) -> Result<Question, StoreError> {
        let answer = answer.as_str().to_string();
        self.run(move |conn| {
            let tx = conn.savepoint().map_err(sql)?;
            let changed = tx
                .execute(
                    "UPDATE questions SET answer = ?1 WHERE id = ?2 AND answer IS NULL",
                    params![answer, id.to_string()],
                )
                .map_err(sql)?;
            let row: Option<(String, String, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT created_at, text, attachment, answer FROM questions WHERE id = ?1",
                    params![id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(sql)?;
            tx.commit().map_err(sql)?;
            match (row, changed) {
                (None, _) => Err(StoreError::NotFound),
                (Some(_), 0) => Err(StoreError::Conflict("câu hỏi này đã có câu trả lời".into())),
                (Some((created_at, text, attachment, answer)), _) => Ok(Question {
                    id,
                    created_at: parse_time(&created_at)?,
                    text,
                    attachment: attachment
                        .map(|a| serde_json::from_str(&a))
                        .transpose()
                        .map_err(StoreError::unavailable)?,
                    answer,
                }),
            }
        })
        .await
    }

    async fn count_request(&self, client: &str, window: &str, ttl_seconds: i64) -> Result<u64, StoreError> {
        let (client, window) = (client.to_string(), window.to_string());
        self.run(move |conn| {
            let now = now_seconds();
            conn.execute("DELETE FROM rate_limits WHERE client = ?1 AND expires_at < ?2", params![client, now])
                .map_err(sql)?;
            let count: i64 = conn
                .query_row(
                    "INSERT INTO rate_limits (client, window, count, expires_at) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (client, window) DO UPDATE SET count = count + 1 RETURNING count",
                    params![client, window, now + ttl_seconds],
                    |r| r.get(0),
                )
                .map_err(sql)?;
            Ok(count.max(0) as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CommentContact;

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
        }
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
