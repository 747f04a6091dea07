//! WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside the commit of the
//! writer connection, so the single writer would copy WAL pages into the database file while every
//! request of the next group commit waits; here the writer only wakes this thread after each commit,
//! and a passive checkpoint (which never blocks the writer) runs on the other core meanwhile, at most
//! once per [`MIN_INTERVAL`], or per [`NEAR_REWIND_INTERVAL`] as the WAL nears the size at which the
//! writer rewinds it ([`WRITER_AUTOCHECKPOINT_PAGES`]).

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::open_connection;
use crate::error::StoreResult;

/// WAL pages after which the writer checkpoints by itself (SQLite's automatic checkpoint): 262,144
/// pages of 4 KiB, 1 GiB (PostgreSQL's default `max_wal_size` is the same). In practice only that
/// checkpoint rewinds the WAL under a steady stream of group commits: SQLite starts the WAL over
/// only when a write transaction begins with every frame copied, and the writer begins its next one
/// as soon as it has committed, so it never finds a checkpoint of this thread complete. That
/// checkpoint holds the writer 35-65 ms (the copy and the database file's fsync) whatever is left
/// to copy, so it sets the tail latency of the tracking API: at 16,384 pages it ran every ~0.2 s,
/// at 65,536 every ~0.8 s (p99 51-68 ms), at this size every ~3 s (`bench ingest`: p99 33-37 ms,
/// 52-58k events/s; `docs/benchmarks-ingest.md`, round 7). The WAL file keeps its largest size
/// until the store is closed (dropping the store checkpoints and removes it).
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 262_144;

/// The handle of the checkpoint thread. Dropping it ends the thread and waits for it, so its
/// connection, the store's last, closes before the store is gone (SQLite then checkpoints the whole
/// WAL into the database file and removes it, as it did before this thread existed).
pub(super) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection to `path` and starts the thread.
    pub(super) fn start(path: &Path) -> StoreResult<Checkpointer> {
        let conn = open_connection(path)?;
        let (wake, woken) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("ecrm-sqlite-checkpoint".to_string())
            .spawn(move || run(&conn, &woken))
            .map_err(|err| {
                crate::error::StoreError::Other(format!(
                    "cannot start the checkpoint thread: {err}"
                ))
            })?;
        Ok(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon; returns at once (a request already waiting covers this one).
    pub(super) fn wake(&self) {
        let Some(wake) = &self.wake else {
            return;
        };
        match wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::warn!("the checkpoint thread has stopped");
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the checkpoint thread panicked");
        }
    }
}

/// The least time between the starts of two checkpoints. A checkpoint copies the newest version of
/// every page written since the previous one, so under a stream of small commits that rewrite the
/// same pages (the tail of `events`, index leaves, returning visitors' identifier rows) one
/// checkpoint per commit copied and synced those pages again and again; now it copies them once
/// per interval. The WAL holds at most this interval's commits more than before.
const MIN_INTERVAL: Duration = Duration::from_millis(250);

/// The interval once the WAL nears [`WRITER_AUTOCHECKPOINT_PAGES`] ([`NEAR_REWIND_PAGES`]): the
/// writer's own checkpoint, which rewinds the WAL, then finds at most this interval's pages left to
/// copy while its next group waits (up to a quarter of a second's before). Between these short
/// passes the checkpoint lock is free for it; it retries after every commit when it finds it taken.
/// `bench ingest` with the rewind at 65,536 pages: p99 56-60 ms against 64-67 ms
/// (`docs/benchmarks-ingest.md`, round 7); the commit that rewinds still takes 35-65 ms.
const NEAR_REWIND_INTERVAL: Duration = Duration::from_millis(20);

/// WAL pages past which passes come every [`NEAR_REWIND_INTERVAL`].
const NEAR_REWIND_PAGES: i64 = WRITER_AUTOCHECKPOINT_PAGES as i64 * 3 / 4;

fn run(conn: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        loop {
            let started = Instant::now();
            let interval = match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                row.get::<_, i64>(1)
            }) {
                Ok(pages) if pages >= NEAR_REWIND_PAGES => NEAR_REWIND_INTERVAL,
                Ok(_) => MIN_INTERVAL,
                Err(err) => {
                    tracing::warn!(error = %err, "WAL checkpoint failed");
                    MIN_INTERVAL
                }
            };
            // Wakes that come before the interval is over ask for one checkpoint at its end.
            let mut asked = false;
            loop {
                let left = interval.saturating_sub(started.elapsed());
                if left.is_zero() {
                    break;
                }
                match woken.recv_timeout(left) {
                    Ok(()) => asked = true,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            if !asked {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use crate::sqlite::SqliteStore;

    /// After the store is dropped, everything is in the database file and the WAL is gone, so
    /// copying the `.db` file alone copies every committed write.
    #[test]
    fn dropping_the_store_leaves_everything_in_the_database_file() {
        let dir = std::env::temp_dir().join(format!("ecrm-checkpoint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("ecrm.db");
        let store = SqliteStore::open(&path).expect("open");
        for n in 0..20 {
            store
                .append_audit(&crate::model::AuditEntry {
                    at: n,
                    actor: "test".to_string(),
                    action: "write".to_string(),
                    target: format!("t{n}"),
                    detail: serde_json::json!({"n": n}),
                })
                .expect("write");
        }
        drop(store);
        let wal = dir.join("ecrm.db-wal");
        assert!(
            std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
            "the WAL is checkpointed and removed at close"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
