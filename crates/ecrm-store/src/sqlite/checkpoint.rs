//! WAL checkpoints on their own thread. SQLite's automatic checkpoint runs inside the commit of the
//! writer connection, so the single writer would copy WAL pages into the database file while every
//! request of the next group commit waits; here the writer only wakes this thread after each commit,
//! and a passive checkpoint (which never blocks the writer) runs on the other core meanwhile.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use rusqlite::Connection;

use super::open_connection;
use crate::error::StoreResult;

/// WAL pages after which the writer checkpoints by itself (SQLite's automatic checkpoint), as a
/// bound should this thread fall behind: 16,384 pages of 4 KiB, 64 MiB.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// The handle of the checkpoint thread; the thread ends when this is dropped.
pub(super) struct Checkpointer {
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Opens a connection to `path` and starts the thread.
    pub(super) fn start(path: &Path) -> StoreResult<Checkpointer> {
        let conn = open_connection(path)?;
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("ecrm-sqlite-checkpoint".to_string())
            .spawn(move || run(&conn, &woken))
            .map_err(|err| {
                crate::error::StoreError::Other(format!(
                    "cannot start the checkpoint thread: {err}"
                ))
            })?;
        Ok(Checkpointer { wake })
    }

    /// Asks for a checkpoint soon; returns at once (a request already waiting covers this one).
    pub(super) fn wake(&self) {
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::warn!("the checkpoint thread has stopped");
            }
        }
    }
}

fn run(conn: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}
