//! Retraining on a schedule inside `ecrm serve`: a background thread trains a new model version
//! every interval (at once when the store has none) and swaps it into the serving cache.

use std::sync::Arc;
use std::time::Duration;

use ecrm_store::Store;

use super::RecsParams;
use super::model::{KIND, train_and_store};
use super::serve::{RecsCache, Serving, ServingRules};
use crate::app::{AppError, now_millis};

/// Starts the retraining thread.
pub fn spawn_retrainer(
    store: Arc<dyn Store>,
    cache: RecsCache,
    rules: Arc<ServingRules>,
    every: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("recs-retrain".to_string())
        .spawn(move || {
            let mut first = true;
            loop {
                let missing = matches!(store.latest_recs_model(KIND), Ok(None));
                if !(first && missing) {
                    std::thread::sleep(every);
                }
                first = false;
                match retrain(&*store, &cache, &rules) {
                    Ok(version) => tracing::info!(version, "recommendation model retrained"),
                    Err(err) => tracing::error!(error = %err, "recommendation retraining failed"),
                }
            }
        })
}

/// Trains and stores a new version, then serves it.
fn retrain(store: &dyn Store, cache: &RecsCache, rules: &ServingRules) -> Result<i64, AppError> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    let summary = train_and_store(store, &RecsParams::standard(threads), now_millis())?;
    cache.replace(Arc::new(Serving::load(store, rules.clone())?));
    Ok(summary.version)
}
