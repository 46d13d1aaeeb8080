-- The local store's schema, applied at every start (every statement is idempotent).
-- 1 KiB pages (for a new database): a commit writes each page it touched whole into the WAL, and a submission
-- touches a few rows in several b-trees (tests/bench/README.md, "SQLite page size").
PRAGMA page_size = 1024;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
-- Checkpoints are run by the store's own thread (checkpoints.rs), never by a commit.
PRAGMA wal_autocheckpoint = 0;
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS consultations (
  id TEXT PRIMARY KEY, title TEXT NOT NULL, opens TEXT NOT NULL, closes TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS comments (
  id TEXT PRIMARY KEY, consultation TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  name TEXT, organisation TEXT, section TEXT, text TEXT NOT NULL, reason TEXT, decided_by TEXT, decided_at TEXT,
  response_uptake TEXT, response_text TEXT);
CREATE INDEX IF NOT EXISTS comments_public ON comments (consultation, status, id);
CREATE INDEX IF NOT EXISTS comments_queue ON comments (status, id);
-- Contacts apart from what they sent, as on DynamoDB.
CREATE TABLE IF NOT EXISTS comment_contacts (
  comment_id TEXT PRIMARY KEY REFERENCES comments (id), email TEXT NOT NULL, expires_at INTEGER);

CREATE TABLE IF NOT EXISTS questions (
  id TEXT PRIMARY KEY, created_at TEXT NOT NULL, text TEXT NOT NULL, attachment TEXT, answer TEXT,
  answered_by TEXT, answered_at TEXT, consent INTEGER NOT NULL DEFAULT 0, published INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS questions_queue ON questions (answer, id);
CREATE TABLE IF NOT EXISTS question_contacts (
  question_id TEXT PRIMARY KEY REFERENCES questions (id), name TEXT NOT NULL, email TEXT, phone TEXT,
  expires_at INTEGER);

-- A consultation's outcome report, once the editor published it.
CREATE TABLE IF NOT EXISTS outcomes (
  consultation TEXT PRIMARY KEY, published_by TEXT NOT NULL, published_at TEXT NOT NULL);

-- The back office's audit trail: who did what to which item, before and after; never deleted.
CREATE TABLE IF NOT EXISTS audit (
  id TEXT PRIMARY KEY, at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, action TEXT NOT NULL,
  subject TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, id);

CREATE TABLE IF NOT EXISTS idempotency (
  key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
  expires_at INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS surveys (
  id TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, definition TEXT NOT NULL,
  PRIMARY KEY (id, version));
-- `counted`: 0 until the aggregator has added the response's counters (behind the response's own commit, as
-- DynamoDB Streams does on AWS); rows from before the aggregator were counted with their write (1).
CREATE TABLE IF NOT EXISTS survey_responses (
  id TEXT PRIMARY KEY, survey TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL,
  response TEXT NOT NULL, counted INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS survey_responses_by_version ON survey_responses (survey, version, id);
CREATE INDEX IF NOT EXISTS survey_responses_uncounted ON survey_responses (id) WHERE counted = 0;
-- One row per counted chunk of a response's counters (`survey::chunks`): a chunk is added once, however often
-- it is delivered.
CREATE TABLE IF NOT EXISTS survey_counted (
  response TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (response, chunk));
CREATE TABLE IF NOT EXISTS survey_counters (
  survey TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (survey, version, key));
-- Access codes are issued in batches, each for one unit of the survey; a code answers only for its batch's unit.
-- The codes of before batches (table `access_codes`, no unit) answer for no unit, so their table goes.
DROP TABLE IF EXISTS access_codes;
CREATE TABLE IF NOT EXISTS code_batches (
  survey TEXT NOT NULL, id TEXT NOT NULL, unit TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  revoked_at TEXT, PRIMARY KEY (survey, id));
CREATE TABLE IF NOT EXISTS batch_codes (
  survey TEXT NOT NULL, hash TEXT NOT NULL, batch TEXT NOT NULL, unit TEXT NOT NULL, used_at TEXT, revoked_at TEXT,
  PRIMARY KEY (survey, hash), FOREIGN KEY (survey, batch) REFERENCES code_batches (survey, id));
CREATE INDEX IF NOT EXISTS batch_codes_by_batch ON batch_codes (survey, batch);

CREATE TABLE IF NOT EXISTS rate_limits (
  client TEXT NOT NULL, window TEXT NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (client, window));
