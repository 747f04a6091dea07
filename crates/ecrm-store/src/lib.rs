//! ecrm's storage: one [`Store`] interface with an embedded SQLite implementation (the default, one
//! file) and a PostgreSQL implementation, both passing the same conformance suite (`tests/conformance`).
//!
//! Architecture invariant: no HTTP, no clock, no business rule of its own; merge decisions come from
//! `ecrm_core::identity`, and the shared write logic in `write/` runs unchanged on both backends.

#[macro_use]
mod segments_delegate;
#[macro_use]
mod console_delegate;

mod analytics_model;
mod api;
mod console_model;
mod error;
mod migrations;
mod model;
mod playbooks;
mod postgres;
mod profile_model;
mod purchase_scan;
mod recs_model;
mod segments_model;
mod sql_common;
mod sql_segments;
mod sqlite;
mod tracked;
mod trait_journal;
mod trait_periods;
mod write;

use std::path::Path;
use std::sync::Arc;

pub use analytics_model::*;
pub use api::{Backend, Store};
pub use console_model::*;
pub use error::{StoreError, StoreResult};
pub use model::*;
pub use playbooks::PlaybookStore;
pub use playbooks::model::*;
pub use postgres::PostgresStore;
pub use profile_model::*;
pub use recs_model::*;
pub use segments_model::*;
pub use sqlite::SqliteStore;
pub use tracked::{
    Durability, EventCursor, EventQuery, OnDurable, StoredEvent, TrackedBatch, TrackedItem,
    WholeRefund,
};

/// Opens a store from a URL: `sqlite://PATH` (or a bare path) or `postgres://...`.
pub fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::connect(url)?));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.is_empty() {
        return Err(StoreError::Unavailable("empty sqlite path".to_string()));
    }
    Ok(Arc::new(SqliteStore::open(Path::new(path))?))
}
