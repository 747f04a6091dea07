//! Webhook delivery: queued jobs (written in the same transaction as the action) are POSTed with
//! retries and exponential backoff; a 2xx answer completes the job.

use std::time::Duration;

use ecrm_core::time::Millis;
use ecrm_store::{JobRecord, JobResult, Store};

use crate::app::AppError;

/// Attempts before a job is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The first retry waits this long; each next one twice as long.
const FIRST_BACKOFF_MS: Millis = 30_000;
/// Jobs delivered per call.
const JOBS_PER_CALL: usize = 100;

/// The HTTP client webhooks use (rustls with ring; http and https).
pub fn client() -> Result<reqwest::blocking::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("ecrm/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| err.to_string())
}

/// When the job's next attempt is due after `attempts` failed ones.
pub fn backoff(attempts: i64, now: Millis) -> Millis {
    let shift = attempts.clamp(0, 16) as u32;
    now + FIRST_BACKOFF_MS.saturating_mul(1 << shift)
}

/// Delivers the due webhook jobs; returns how many were delivered.
pub fn deliver_due(
    store: &dyn Store,
    client: &reqwest::blocking::Client,
    now: Millis,
) -> Result<u64, AppError> {
    let mut delivered = 0;
    for job in store.jobs_due("webhook", now, JOBS_PER_CALL)? {
        let result = attempt(client, &job, now);
        if result == JobResult::Done {
            delivered += 1;
        } else {
            tracing::warn!(
                job = job.id,
                attempts = job.attempts + 1,
                ?result,
                "webhook attempt failed"
            );
        }
        store.finish_job(job.id, &result)?;
    }
    Ok(delivered)
}

fn attempt(client: &reqwest::blocking::Client, job: &JobRecord, now: Millis) -> JobResult {
    let fail = |error: String| {
        if job.attempts + 1 >= MAX_ATTEMPTS {
            JobResult::Failed { error }
        } else {
            JobResult::Retry {
                run_after: backoff(job.attempts, now),
                error,
            }
        }
    };
    let payload: serde_json::Value = match serde_json::from_str(&job.payload) {
        Ok(value) => value,
        Err(err) => {
            return JobResult::Failed {
                error: format!("bad job payload: {err}"),
            };
        }
    };
    let Some(url) = payload["url"].as_str() else {
        return JobResult::Failed {
            error: "job payload has no url".to_string(),
        };
    };
    let body = payload["body"].as_str().unwrap_or("{}").to_string();
    let key = payload["key"].as_str().unwrap_or_default().to_string();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body)
        .send();
    match response {
        Ok(response) if response.status().is_success() => JobResult::Done,
        Ok(response) => fail(format!("HTTP {}", response.status())),
        Err(err) => fail(err.to_string()),
    }
}
