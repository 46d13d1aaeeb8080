//! Checkpoints: copying the WAL back into the database file (and flushing that) on a thread and connection of
//! their own, so that a commit waits for the WAL's flush only. They run when the writer falls idle or the WAL
//! passes [`WAL_LIMIT_BYTES`], not while submissions keep coming: the database file's flush shares the disk with
//! the WAL's, and frequent checkpoints under load were the API's tail (tests/bench/README.md, "Checkpoints").
//! A checkpoint copies each page once, however many commits rewrote it, so a long WAL costs less to copy back than
//! many short ones.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rusqlite::Connection;

use super::sql;
use crate::store::StoreError;

/// WAL size past which it is copied back under load and then rewound by the writer. A passive checkpoint never
/// catches up with a writer that never pauses, and SQLite rewinds the WAL only once everything in it is copied back:
/// the writer copies the last frames itself (the commits made during the checkpoint). About half a minute of
/// 5,000 comments a second; smaller limits were reached every few seconds at higher loads, and the file is written
/// over in place rather than cut back (tests/bench/README.md, "WAL limit").
pub(super) const WAL_LIMIT_BYTES: i64 = 1 << 30;

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

/// The checkpoint thread, as the writer sees it.
pub(super) struct Checkpoints {
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
    /// Starts the checkpoint thread on `own` (a second connection to the database `writer` writes), with the WAL's
    /// limit in bytes, and has `writer` note the WAL's length after each commit.
    pub(super) fn start(writer: &Connection, own: Connection, limit_bytes: i64) -> Result<Self, StoreError> {
        // A database made before pages were 1 KiB keeps its 4 KiB pages.
        let page_size: i64 = writer.query_row("PRAGMA page_size", [], |row| row.get(0)).map_err(sql)?;
        writer.wal_hook(Some(note_wal_pages));
        own.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        own.execute_batch("PRAGMA synchronous = FULL;").map_err(sql)?;
        let (waker, woken) = mpsc::sync_channel(1);
        let shared = Arc::new(CheckpointState {
            limit_pages: limit_bytes / page_size.max(512),
            restart_due: AtomicBool::new(false),
            running: Mutex::new(()),
        });
        let theirs = shared.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpointer(own, woken, theirs))
            .map_err(StoreError::unavailable)?;
        Ok(Self { waker, shared })
    }

    /// Asks the checkpoint thread for a pass without waiting for it: at most one wake waits, and a pass already
    /// running sees the frames committed meanwhile.
    pub(super) fn wake(&self) {
        let _ = self.waker.try_send(());
    }

    /// After a commit: rewinds the WAL if that is due and the checkpoint thread is idle, and asks for a pass while
    /// the WAL is past its limit and no rewind is due yet (so a rewind that could not be made is asked for again).
    /// Says whether it asked.
    pub(super) fn after_commit(&self, connection: &Connection) -> bool {
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
