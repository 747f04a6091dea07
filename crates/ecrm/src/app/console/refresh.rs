//! The dashboard snapshot's refresher inside `ecrm serve`, on its own thread (never on a request):
//! at start when the snapshot is missing or older than the latest `ecrm compute`, then every
//! interval, and within a minute of each later compute run.

use std::sync::Arc;
use std::time::Duration;

use ecrm_store::Store;

use super::dashboard::{dashboard_is_stale, refresh_dashboard};
use crate::app::now_millis;

/// How often the thread checks whether the snapshot is older than the latest compute run.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// Starts the refresher thread.
pub fn spawn_refresher(
    store: Arc<dyn Store>,
    every: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("console-refresh".to_string())
        .spawn(move || {
            // A fresh stored snapshot is served as it is after a restart.
            let fresh = !dashboard_is_stale(&*store).unwrap_or(true);
            let mut last = fresh.then(std::time::Instant::now);
            loop {
                let due = last.is_none_or(|at| at.elapsed() >= every);
                if due || dashboard_is_stale(&*store).unwrap_or(false) {
                    let started = std::time::Instant::now();
                    match refresh_dashboard(&*store, now_millis()) {
                        Ok(_) => tracing::info!(
                            seconds = started.elapsed().as_secs_f64(),
                            "console dashboard snapshot refreshed"
                        ),
                        Err(err) => {
                            tracing::error!(error = %err, "console dashboard refresh failed");
                        }
                    }
                    last = Some(std::time::Instant::now());
                }
                std::thread::sleep(CHECK_EVERY);
            }
        })
}
