//! The writer: one thread owns the connection and commits in groups. It takes every call waiting (up to
//! [`MAX_GROUP`]), runs each in a savepoint of one transaction (a failed call rolls back its own savepoint only),
//! commits with a flush of the WAL (`synchronous = FULL`), and only then answers the callers. Many concurrent
//! submissions cost one disk flush, not one each, and no caller hears "saved" before its write is on disk.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rusqlite::Connection;

use super::checkpoints::Checkpoints;
use crate::store::StoreError;

/// Calls committed together at most.
const MAX_GROUP: usize = 256;

/// How long the writer waits for the next call before it asks for a checkpoint of what it committed. Between
/// citizens' submissions that is almost always; under a sustained load of thousands a second, never.
const IDLE_BEFORE_CHECKPOINT: Duration = Duration::from_millis(20);

/// A call runs on the writer thread and gives back what answers the caller once the group is committed (with
/// the commit's error, if it failed).
type Call = Box<dyn FnOnce(&mut Connection) -> Answer + Send>;
type Answer = Box<dyn FnOnce(Option<&CommitFailed>) + Send>;

/// A group could not be begun or committed: every call in it hears this, and none of its writes was kept.
#[derive(Debug, Clone, thiserror::Error)]
#[error("không ghi được")]
struct CommitFailed(#[source] Arc<rusqlite::Error>);

impl From<rusqlite::Error> for CommitFailed {
    fn from(error: rusqlite::Error) -> Self {
        Self(Arc::new(error))
    }
}

/// The writer thread, as callers see it.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    calls: mpsc::Sender<Call>,
}

impl Writer {
    /// Starts the writer thread on `connection`, with the checkpoint thread of a database file.
    pub(super) fn start(connection: Connection, checkpoints: Option<Checkpoints>) -> Result<Self, StoreError> {
        let (calls, received) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write(connection, received, checkpoints))
            .map_err(StoreError::unavailable)?;
        Ok(Self { calls })
    }

    /// Runs `work` on the writer thread, in a savepoint of the current group, and answers once the group is
    /// committed. `work` that fails must leave its savepoint rolled back (dropping a `Savepoint` does).
    pub(super) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let call: Call = Box::new(move |connection| {
            let result = work(connection);
            Box::new(move |commit_error| {
                let _ = answer.send(match commit_error {
                    Some(e) => Err(StoreError::unavailable(e.clone())),
                    None => result,
                });
            })
        });
        self.calls.send(call).map_err(|_| StoreError::unavailable(anyhow::anyhow!("luồng ghi đã dừng")))?;
        answered.await.map_err(|_| StoreError::unavailable(anyhow::anyhow!("luồng ghi dừng giữa chừng")))?
    }

    /// Runs `work` on the writer thread in a later group, without waiting for it: what a write sets in motion
    /// behind it (a survey response's counting). A failure is logged; `work` must be safe to run again.
    pub(super) fn spawn(&self, work: impl FnOnce(&mut Connection) -> Result<(), StoreError> + Send + 'static) {
        let call: Call = Box::new(move |connection| {
            if let Err(error) = work(connection) {
                tracing::warn!(error = %error, "follow-up write failed; it runs again at the next start");
            }
            Box::new(|_| {})
        });
        if self.calls.send(call).is_err() {
            tracing::warn!("the writer has stopped; the follow-up write runs at the next start");
        }
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
fn write(mut connection: Connection, calls: mpsc::Receiver<Call>, checkpoints: Option<Checkpoints>) {
    let mut wake_when_idle = false; // the last commit did not wake the checkpoint thread
    while let Some(first) = next_call(&calls, checkpoints.as_ref().filter(|_| wake_when_idle)) {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match calls.try_recv() {
                Ok(call) => group.push(call),
                Err(_) => break,
            }
        }
        let began = connection.execute_batch("BEGIN IMMEDIATE").map_err(CommitFailed::from);
        let answers: Vec<Answer> = group
            .into_iter()
            .map(|call| match &began {
                Ok(()) => std::panic::catch_unwind(AssertUnwindSafe(|| call(&mut connection)))
                    .unwrap_or_else(|_| Box::new(|_| {})),
                Err(_) => Box::new(|_: Option<&CommitFailed>| {}) as Answer,
            })
            .collect();
        let outcome = began.and_then(|()| connection.execute_batch("COMMIT").map_err(CommitFailed::from));
        if outcome.is_err() && !connection.is_autocommit() {
            let _ = connection.execute_batch("ROLLBACK");
        }
        for answer in answers {
            answer(outcome.as_ref().err());
        }
        if let Some(checkpoints) = &checkpoints {
            wake_when_idle = !checkpoints.after_commit(&connection);
        }
    }
}
