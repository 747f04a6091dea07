//! The WAL fsync of tracked group commits, on its own thread, so the single writer runs the next
//! transaction while the previous one is made durable.
//!
//! Every other write of the store commits with `synchronous = FULL`: SQLite writes the
//! transaction's WAL frames and fsyncs the WAL inside the commit, holding the only write slot for
//! the whole fsync. A tracked group commit (`SqliteStore::write_tracked_deferred`) commits with
//! `synchronous = NORMAL` instead (the frames are written, not synced) and hands its requests'
//! answers to this thread, which calls `fdatasync` on the `-wal` file through its own handle and
//! only then runs them. The guarantee is the one of `FULL`:
//!
//! - Linux syncs an inode's dirty pages whatever descriptor wrote them, and this thread is asked
//!   only after the commit's `write` calls returned, so the sync covers every frame of it.
//! - The WAL is appended in commit order, and recovery replays it up to the last valid commit
//!   frame: the frames of a later transaction, torn or not, never invalidate an earlier one.
//! - Checkpoints stay safe: in both modes SQLite syncs the WAL before it copies frames into the
//!   database file and syncs the database file before it marks them copied; the WAL is rewritten
//!   from its start only once every frame is in the (synced) database file, and the new header is
//!   synced at that moment in `NORMAL` mode too.
//! - One sync serves every commit that finished before it started, so commits that pile up while
//!   a sync runs share the next one (a second level of group commit).
//!
//! What differs from `FULL`: other connections can read a tracked commit up to one fsync before it
//! is durable. Anything derived from it is written by a later transaction, which comes after it in
//! the WAL and is synced (by `FULL`, or by this thread) before it returns, so after a power loss
//! a derived row never outlives the events it came from. A `kill -9` of the process loses nothing
//! in either mode (the frames are in the kernel's page cache once `write` returned).
//!
//! A failed sync fails the waiting commits and every later one: after an fsync error Linux may
//! have dropped the dirty pages and a retried sync could succeed without them (the store then
//! answers errors until it is reopened, as PostgreSQL panics in that case).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use crate::error::{StoreError, StoreResult};
use crate::tracked::{Durability, OnDurable};

/// The handle of the sync thread; dropping it ends the thread after the waiting syncs.
pub(super) struct Syncer {
    jobs: Option<Sender<OnDurable>>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    /// Starts the thread that syncs the WAL of the database at `db_path`.
    pub(super) fn start(db_path: &Path) -> StoreResult<Syncer> {
        let mut wal_path = db_path.as_os_str().to_owned();
        wal_path.push("-wal");
        let wal = Wal {
            path: PathBuf::from(wal_path),
            file: None,
        };
        let (jobs, waiting) = channel();
        let thread = std::thread::Builder::new()
            .name("ecrm-sqlite-sync".to_string())
            .spawn(move || run(wal, &waiting))
            .map_err(|err| StoreError::Other(format!("cannot start the WAL sync thread: {err}")))?;
        Ok(Syncer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// The durability of a commit that just returned: its callback runs after the next sync.
    pub(super) fn after_commit(&self) -> Durability {
        match &self.jobs {
            Some(jobs) => {
                let jobs = jobs.clone();
                Durability::deferred(move |then| {
                    if let Err(failed) = jobs.send(then) {
                        (failed.0)(Err(StoreError::Unavailable(
                            "the WAL sync thread has stopped".to_string(),
                        )));
                    }
                })
            }
            None => Durability::deferred(|then| {
                then(Err(StoreError::Unavailable(
                    "the WAL sync thread has stopped".to_string(),
                )));
            }),
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the WAL sync thread panicked");
        }
    }
}

/// The `-wal` file, opened on first use and again if the path names another file than the one
/// held (SQLite removes the WAL only when the last connection closes, which the store's open
/// connections prevent, so this is a safeguard).
struct Wal {
    path: PathBuf,
    file: Option<(File, (u64, u64))>,
}

impl Wal {
    fn sync(&mut self) -> std::io::Result<()> {
        let current = file_id(&std::fs::metadata(&self.path)?);
        if self.file.as_ref().is_none_or(|(_, id)| *id != current) {
            let file = File::open(&self.path)?;
            let id = file_id(&file.metadata()?);
            self.file = Some((file, id));
        }
        match &self.file {
            Some((file, _)) => file.sync_data(),
            None => Ok(()),
        }
    }
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn run(mut wal: Wal, waiting: &Receiver<OnDurable>) {
    let mut failed: Option<String> = None;
    while let Ok(first) = waiting.recv() {
        // Everything queued so far committed before this sync starts, so one sync covers it all.
        let mut jobs = vec![first];
        jobs.extend(waiting.try_iter());
        if failed.is_none()
            && let Err(err) = wal.sync()
        {
            tracing::error!(error = %err, wal = %wal.path.display(), "WAL sync failed; tracked writes fail until the store is reopened");
            failed = Some(err.to_string());
        }
        for job in jobs {
            job(match &failed {
                None => Ok(()),
                Some(reason) => Err(StoreError::Unavailable(format!(
                    "the write-ahead log could not be synced: {reason}"
                ))),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use super::{Wal, run};
    use crate::Store;
    use crate::sqlite::{SqliteStore, lock};

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ecrm-syncer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// A deferred commit leaves the writer connection in `synchronous = FULL` for every other write.
    #[test]
    fn the_writer_is_back_to_full_after_a_deferred_commit() {
        let dir = temp_dir("full");
        let store = SqliteStore::open(&dir.join("ecrm.db")).expect("open");
        let ctx = crate::WriteContext {
            source: "test".to_string(),
            at: 1,
            limits: ecrm_core::identity::IdentityLimits::standard(),
        };
        let (_, durability) = store.write_tracked_deferred(&[], &ctx).expect("write");
        let (sent, synced) = channel();
        durability.then(move |result| {
            let _ = sent.send(result.is_ok());
        });
        assert_eq!(synced.recv().ok(), Some(true));
        let level: i64 = lock(&store.writer)
            .expect("writer")
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .expect("pragma");
        assert_eq!(level, 2, "FULL");
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A sync that fails fails its commits and every later one, even once the file is back.
    #[test]
    fn a_failed_sync_fails_every_later_commit() {
        let dir = temp_dir("failed");
        let path = dir.join("ecrm.db-wal");
        let (jobs, waiting) = channel();
        let wal = Wal {
            path: path.clone(),
            file: None,
        };
        let thread = std::thread::spawn(move || run(wal, &waiting));
        let (sent, results) = channel();
        let job = |sent: std::sync::mpsc::Sender<bool>| -> crate::OnDurable {
            Box::new(move |result: crate::StoreResult<()>| {
                let _ = sent.send(result.is_ok());
            })
        };
        jobs.send(job(sent.clone())).expect("queue");
        assert_eq!(
            results.recv().ok(),
            Some(false),
            "no WAL file: the sync fails"
        );
        std::fs::write(&path, b"").expect("create the file");
        let mut fresh = Wal {
            path: path.clone(),
            file: None,
        };
        fresh.sync().expect("a fresh handle syncs it");
        jobs.send(job(sent)).expect("queue");
        assert_eq!(results.recv().ok(), Some(false), "still failed");
        drop(jobs);
        thread.join().expect("the thread ends");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
