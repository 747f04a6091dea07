//! Customer intelligence inside `ecrm serve`: the event-driven updater of `behaviour` and
//! `interests`, and the batch `compute` on a schedule.
//!
//! The updater follows the store's change cursor as the consumer [`UPDATER_CONSUMER`] (its
//! position is saved, so a restart resumes where it stopped; a new consumer starts at the head,
//! since `ecrm compute` covers everything before). Every poll reads the changes after its position;
//! customers with a new event, order line or identifier get their event-driven traits recomputed
//! and written with `write_traits`, so the trait history and the segment engine see them. Trait
//! and profile-attribute changes are not its input (its own writes must not wake it up again).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ecrm_core::analytics::interests::InterestRules;
use ecrm_store::{ChangeCursor, ChangeKind, ModelFitInput, Store};
use serde_json::json;

use super::compute::{ComputeOptions, run_compute};
use super::profile::{PROFILE_MODEL, ProfileCounts, ProfileRun, load_lines, write_event_traits};
use crate::app::{AppError, now_millis};

/// The change-cursor consumer name of the event-driven updater.
pub const UPDATER_CONSUMER: &str = "intelligence-profile-updater";

/// Changes read per poll.
const CHANGES_PER_POLL: usize = 2_000;

/// What one updater step did.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateStep {
    /// Changes read.
    pub changes: usize,
    /// Customers recomputed.
    pub customers: usize,
    /// Traits written and changed.
    pub counts: ProfileCounts,
}

/// The event-driven updater's state: its cursor and the stored context of its writes.
pub struct ProfileUpdater {
    cursor: ChangeCursor,
    rules: InterestRules,
    context_id: i64,
}

impl ProfileUpdater {
    /// Resumes from the saved position (or starts at the head) and stores the context its trait
    /// explanations read.
    pub fn start(store: &dyn Store, rules: InterestRules) -> Result<ProfileUpdater, AppError> {
        let cursor = match store.change_consumer_position(UPDATER_CONSUMER)? {
            Some(cursor) => cursor,
            None => store.change_cursor_head()?,
        };
        let context_id = store.write_model_fit(&ModelFitInput {
            model: PROFILE_MODEL.to_string(),
            parameters: json!({ "interest_rules": rules, "source": "event-driven updater" })
                .to_string(),
            log_likelihood: None,
            window_start: None,
            window_end: None,
            fitted_at: now_millis(),
        })?;
        Ok(ProfileUpdater {
            cursor,
            rules,
            context_id,
        })
    }

    /// Reads the next changes, recomputes the affected customers and saves the new position.
    pub fn step(&mut self, store: &dyn Store) -> Result<UpdateStep, AppError> {
        let batch = store.customer_changes_since(&self.cursor, CHANGES_PER_POLL)?;
        let mut step = UpdateStep {
            changes: batch.changes.len(),
            ..UpdateStep::default()
        };
        let customers: BTreeSet<String> = batch
            .changes
            .into_iter()
            .filter(|change| {
                matches!(
                    change.change,
                    ChangeKind::Event { .. }
                        | ChangeKind::Order { .. }
                        | ChangeKind::Identifiers { .. }
                )
            })
            .map(|change| change.customer_id)
            .collect();
        if !customers.is_empty() {
            let list: Vec<String> = customers.into_iter().collect();
            let now = now_millis();
            let lines = load_lines(store, Some(&list), i64::MAX)?;
            let run = ProfileRun {
                as_of: now,
                until: i64::MAX,
                rules: self.rules,
                model_fit_id: Some(self.context_id),
            };
            step.counts = write_event_traits(store, Some(&list), &lines, &run)?;
            step.customers = list.len();
        }
        if batch.next != self.cursor {
            store.save_change_consumer_position(UPDATER_CONSUMER, &batch.next, now_millis())?;
            self.cursor = batch.next;
        }
        Ok(step)
    }
}

/// Starts the updater thread: a step every `poll` while idle, at once again while changes queue.
pub fn spawn_profile_updater(
    store: Arc<dyn Store>,
    rules: InterestRules,
    poll: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // Started on the caller's thread: a new updater begins at the head of the change cursor,
    // so it must have read the head before the caller answers any request (started inside the
    // thread, it could read a head that is already past the first events).
    let first = ProfileUpdater::start(&*store, rules)
        .inspect_err(|err| tracing::error!(error = %err, "profile updater cannot start; retrying"))
        .ok();
    std::thread::Builder::new()
        .name("profile-updater".to_string())
        .spawn(move || {
            let mut updater = match first {
                Some(updater) => updater,
                None => loop {
                    std::thread::sleep(poll.max(Duration::from_secs(1)));
                    match ProfileUpdater::start(&*store, rules) {
                        Ok(updater) => break updater,
                        Err(err) => {
                            tracing::error!(error = %err, "profile updater cannot start; retrying");
                        }
                    }
                },
            };
            loop {
                match updater.step(&*store) {
                    Ok(step) if step.changes >= CHANGES_PER_POLL => continue,
                    Ok(step) => {
                        if step.customers > 0 {
                            tracing::debug!(
                                customers = step.customers,
                                changed = step.counts.changed,
                                "profile traits updated"
                            );
                        }
                    }
                    Err(err) => tracing::error!(error = %err, "profile update failed"),
                }
                std::thread::sleep(poll);
            }
        })
}

/// Starts the thread that runs `ecrm compute` every `every` (the first run after one interval).
pub fn spawn_compute_schedule(
    store: Arc<dyn Store>,
    options: ComputeOptions,
    every: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("compute-schedule".to_string())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                match run_compute(&*store, &options, now_millis()) {
                    Ok(report) => tracing::info!(
                        run = report.run_id,
                        customers = report.customers,
                        changed = report.traits_changed,
                        seconds = report.seconds,
                        "scheduled compute finished"
                    ),
                    Err(err) => tracing::error!(error = %err, "scheduled compute failed"),
                }
            }
        })
}
