//! Group commit for the tracking API: one writer thread drains the queue of pending requests and
//! commits as many as are waiting in one transaction, then answers each request. A request is
//! answered only after the transaction holding its events has committed and is durable, so a `200`
//! means durable, while one fsync is shared by every request that arrived during the previous
//! commit. The writer does not wait for that fsync: it commits the next group meanwhile, and the
//! store's durability callback ([`ecrm_store::Durability`]) sends the answers.

use std::sync::Arc;

use ecrm_core::identity::IdentityLimits;
use ecrm_store::{Store, StoreError, TrackedBatch, WriteContext, WriteCounts};
use tokio::sync::{mpsc, oneshot};

use super::now_millis;

/// Requests that may wait for the writer before senders are slowed down.
const QUEUE_CAPACITY: usize = 4_096;

/// Watches the queue: how many messages wait, and how many rows were committed.
pub trait QueueObserver: Send + Sync {
    /// `messages` joined (positive) or left (negative) the queue.
    fn queue_changed(&self, messages: i64);
    /// A transaction committed `events` new events.
    fn committed(&self, events: u64);
}

/// How the writer groups requests.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Stop adding requests to a transaction once it holds this many messages.
    pub max_messages_per_commit: usize,
    pub limits: IdentityLimits,
}

/// Why a queued write failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the ingest writer has stopped")]
    Stopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sending side of the queue; cheap to clone. The writer thread ends when every clone is dropped.
#[derive(Clone)]
pub struct IngestQueue {
    sender: mpsc::Sender<Job>,
    observer: Arc<dyn QueueObserver>,
}

struct Job {
    batch: TrackedBatch,
    reply: oneshot::Sender<Reply>,
}

/// The outcome of a job, and its batch handed back so the request's task frees it, not the writer.
type Reply = (Result<WriteCounts, StoreError>, TrackedBatch);

impl IngestQueue {
    /// Starts the writer thread over `store`.
    pub fn start(
        store: Arc<dyn Store>,
        config: QueueConfig,
        observer: Arc<dyn QueueObserver>,
    ) -> std::io::Result<IngestQueue> {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let writer_observer = observer.clone();
        std::thread::Builder::new()
            .name("ecrm-ingest-writer".to_string())
            .spawn(move || run_writer(&*store, receiver, &config, &*writer_observer))?;
        Ok(IngestQueue { sender, observer })
    }

    /// Queues one request's messages and waits until they are committed.
    pub async fn write(&self, batch: TrackedBatch) -> Result<WriteCounts, QueueError> {
        let messages = batch.items.len() as i64;
        let (reply, answer) = oneshot::channel();
        self.observer.queue_changed(messages);
        if self.sender.send(Job { batch, reply }).await.is_err() {
            self.observer.queue_changed(-messages);
            return Err(QueueError::Stopped);
        }
        match answer.await {
            Ok((result, _batch)) => Ok(result?),
            Err(_) => Err(QueueError::Stopped),
        }
    }
}

fn run_writer(
    store: &dyn Store,
    mut receiver: mpsc::Receiver<Job>,
    config: &QueueConfig,
    observer: &dyn QueueObserver,
) {
    while let Some(first) = receiver.blocking_recv() {
        let mut messages = first.batch.items.len();
        let mut jobs = vec![first];
        while messages < config.max_messages_per_commit {
            match receiver.try_recv() {
                Ok(job) => {
                    messages += job.batch.items.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        commit_group(store, jobs, config, observer);
        observer.queue_changed(-(messages as i64));
    }
    tracing::debug!("ingest writer stopped");
}

/// Commits the jobs in one transaction; if that fails, each alone, so one bad request cannot fail
/// the others.
fn commit_group(
    store: &dyn Store,
    jobs: Vec<Job>,
    config: &QueueConfig,
    observer: &dyn QueueObserver,
) {
    let ctx = WriteContext {
        source: "api".to_string(),
        at: now_millis(),
        limits: config.limits.clone(),
    };
    let (batches, replies): (Vec<TrackedBatch>, Vec<_>) =
        jobs.into_iter().map(|job| (job.batch, job.reply)).unzip();
    match store.write_tracked_deferred(&batches, &ctx) {
        Ok((counts, durability)) => {
            observer.committed(counts.iter().map(|c| c.events_created).sum());
            // Answered once the commit is durable, while this thread already commits the next
            // group (on SQLite the store's WAL sync thread runs this after its fsync).
            durability.then(move |synced| {
                for ((reply, count), batch) in replies.into_iter().zip(counts).zip(batches) {
                    let _ = reply.send((synced.clone().map(|()| count), batch));
                }
            });
        }
        Err(err) if batches.len() == 1 => {
            tracing::error!(error = %err, "tracking write failed");
            if let (Some(reply), Some(batch)) =
                (replies.into_iter().next(), batches.into_iter().next())
            {
                let _ = reply.send((Err(err), batch));
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, requests = batches.len(), "group commit failed, writing requests one by one");
            for (batch, reply) in batches.into_iter().zip(replies) {
                let result = store
                    .write_tracked(std::slice::from_ref(&batch), &ctx)
                    .map(|mut counts| counts.pop().unwrap_or_default());
                if let Ok(counts) = &result {
                    observer.committed(counts.events_created);
                }
                let _ = reply.send((result, batch));
            }
        }
    }
}
