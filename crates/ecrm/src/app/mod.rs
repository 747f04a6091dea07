//! Use cases shared by the HTTP API, the CLI and the workers: each is a function over a `Store`.

pub mod console;
pub mod customers;
pub mod error;
pub mod generate_files;
pub mod import;
pub mod ingest;
pub mod ingest_queue;
pub mod intelligence;
pub mod keys;
pub mod playbooks;
pub mod recs;
pub mod segments;
pub mod tracking;

use std::time::{SystemTime, UNIX_EPOCH};

use ecrm_core::identity::IdentityLimits;
use ecrm_core::time::Millis;
use ecrm_store::WriteContext;

pub use error::AppError;

/// The wall clock, read here and passed into everything below.
pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// A write context stamped now.
pub fn write_context(source: &str, limits: &IdentityLimits) -> WriteContext {
    WriteContext {
        source: source.to_string(),
        at: now_millis(),
        limits: limits.clone(),
    }
}
