//! Segments: preview, saved segments, members, changes, export and live membership, as plain
//! functions over a `Store` and a [`SegmentEngine`] (the in-memory snapshot the evaluator reads),
//! returning serialisable values; HTTP handlers, CLI commands and the console call these.

pub mod bits;
pub mod builtin;
pub mod crud;
pub mod eval;
pub mod leaves;
pub mod live;
pub mod read;
pub mod snapshot;
pub mod writes;

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ecrm_core::segment::{Expr, Schema, check, parse, to_text};
use ecrm_core::time::Millis;
use ecrm_store::{SegmentRecord, Store};
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use eval::Evaluator;
use snapshot::Snapshot;

/// Customers shown with a preview.
pub const SAMPLE_SIZE: usize = 10;

/// The snapshot the evaluator reads, shared by the HTTP handlers and the membership worker.
/// Loaded on first use (or at `ecrm serve` start) and kept current by [`live`].
#[derive(Clone, Default)]
pub struct SegmentEngine {
    snapshot: Arc<RwLock<Option<Snapshot>>>,
    /// Load only the traits that saved segments read (see [`SegmentEngine::for_saved_segments`]).
    saved_segments_only: bool,
}

impl SegmentEngine {
    /// An engine for bringing the saved segments' memberships up to date once (`ecrm import`,
    /// `ecrm compute`): its snapshot holds only the traits those segments read, so it skips
    /// parsing the others (behaviour, interests, spending: most of the trait text on a large
    /// store). It cannot preview other queries; `ecrm serve` keeps the full engine.
    pub fn for_saved_segments() -> SegmentEngine {
        SegmentEngine {
            saved_segments_only: true,
            ..SegmentEngine::default()
        }
    }

    fn load(&self, store: &dyn Store) -> Result<Snapshot, AppError> {
        let head = store.change_cursor_head()?;
        let mut snapshot = if self.saved_segments_only {
            Snapshot::load_traits(store, traits_read_by(&definitions(store)?))?
        } else {
            Snapshot::load(store)?
        };
        snapshot.loaded_at = Some(head);
        Ok(snapshot)
    }

    /// Whether the loaded snapshot is a whole load taken at the change cursor `head` (nothing
    /// changed since) holding every trait the saved segments read: reloading it would read the
    /// same.
    pub fn is_current_at(
        &self,
        store: &dyn Store,
        head: &ecrm_store::ChangeCursor,
    ) -> Result<bool, AppError> {
        let guard = self.read_lock()?;
        let Some(snapshot) = guard.as_ref() else {
            return Ok(false);
        };
        Ok(snapshot.loaded_at.as_ref() == Some(head)
            && snapshot.has_traits(&traits_read_by(&definitions(store)?)))
    }

    /// The snapshot, loaded from the store on first use.
    pub fn snapshot<'a>(&'a self, store: &dyn Store) -> Result<SnapshotGuard<'a>, AppError> {
        {
            let guard = self.read_lock()?;
            if guard.is_some() {
                return Ok(SnapshotGuard(guard));
            }
        }
        {
            let mut guard = self.write_lock()?;
            if guard.is_none() {
                *guard = Some(self.load(store)?);
            }
        }
        Ok(SnapshotGuard(self.read_lock()?))
    }

    /// Whether the snapshot is loaded.
    pub fn is_loaded(&self) -> bool {
        self.read_lock()
            .map(|guard| guard.is_some())
            .unwrap_or(false)
    }

    /// Replaces the snapshot with a fresh load.
    pub fn reload(&self, store: &dyn Store) -> Result<(), AppError> {
        let fresh = self.load(store)?;
        *self.write_lock()? = Some(fresh);
        Ok(())
    }

    /// Re-reads these customers into the snapshot (when loaded).
    pub fn refresh(&self, store: &dyn Store, customers: &[String]) -> Result<(), AppError> {
        let mut guard = self.write_lock()?;
        if let Some(snapshot) = guard.as_mut() {
            snapshot.refresh(store, customers)?;
        }
        Ok(())
    }

    fn read_lock(&self) -> Result<RwLockReadGuard<'_, Option<Snapshot>>, AppError> {
        self.snapshot
            .read()
            .map_err(|_| AppError::Conflict("the segment snapshot lock was poisoned".to_string()))
    }

    fn write_lock(&self) -> Result<RwLockWriteGuard<'_, Option<Snapshot>>, AppError> {
        self.snapshot
            .write()
            .map_err(|_| AppError::Conflict("the segment snapshot lock was poisoned".to_string()))
    }
}

/// A read view of a loaded snapshot.
pub struct SnapshotGuard<'a>(RwLockReadGuard<'a, Option<Snapshot>>);

impl std::ops::Deref for SnapshotGuard<'_> {
    type Target = Snapshot;
    fn deref(&self) -> &Snapshot {
        static EMPTY: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        self.0
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(Snapshot::default))
    }
}

/// A segment as the caller gives it: the text language or the JSON form (exactly one).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SegmentInput {
    /// The query in the segment language, e.g. `rfm.class = "重要价值客户" and has email`.
    #[serde(default)]
    pub query: Option<String>,
    /// The JSON form (the console builder's).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub definition: Option<serde_json::Value>,
}

impl SegmentInput {
    /// A text query.
    pub fn text(query: &str) -> SegmentInput {
        SegmentInput {
            query: Some(query.to_string()),
            definition: None,
        }
    }

    /// Parses and type-checks the input against `schema`.
    pub fn expr(&self, schema: &Schema) -> Result<Expr, AppError> {
        match (&self.query, &self.definition) {
            (Some(query), None) => parse(query, schema).map_err(|error| AppError::Query {
                parameter: "query".to_string(),
                error,
            }),
            (None, Some(definition)) => {
                let expr: Expr = serde_json::from_value(definition.clone())
                    .map_err(|err| AppError::invalid("definition", err.to_string()))?;
                check(&expr, schema).map_err(|error| AppError::Query {
                    parameter: "definition".to_string(),
                    error,
                })?;
                Ok(expr)
            }
            (Some(_), Some(_)) => Err(AppError::invalid(
                "query",
                "give either `query` (text) or `definition` (JSON form), not both",
            )),
            (None, None) => Err(AppError::invalid(
                "query",
                "give `query` (text) or `definition` (JSON form)",
            )),
        }
    }
}

/// A customer in a preview sample or a member list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerSummary {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
}

/// How many customers match, and a few of them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub count: usize,
    pub sample: Vec<CustomerSummary>,
}

/// The saved segments' expressions by name, for `in segment` references.
pub fn definitions(store: &dyn Store) -> Result<HashMap<String, Expr>, AppError> {
    let mut out = HashMap::new();
    for segment in store.segments()? {
        out.insert(segment.name.clone(), decode(&segment)?);
    }
    Ok(out)
}

/// The traits these segments read: the first part of every field they test (`rfm` for
/// `rfm.class`, `lifecycle`); names that are not traits (`country`, `orders`) do no harm.
pub fn traits_read_by(segments: &HashMap<String, Expr>) -> std::collections::BTreeSet<String> {
    segments
        .values()
        .flat_map(|expr| ecrm_core::segment::dependencies(expr).fields)
        .map(|field| field.split('.').next().unwrap_or_default().to_string())
        .collect()
}

/// A stored segment's expression.
pub fn decode(segment: &SegmentRecord) -> Result<Expr, AppError> {
    serde_json::from_str(&segment.definition).map_err(|err| {
        AppError::invalid(
            "definition",
            format!("stored segment \"{}\": {err}", segment.name),
        )
    })
}

/// The text of a stored segment.
pub fn query_text(segment: &SegmentRecord) -> String {
    decode(segment)
        .map(|expr| to_text(&expr))
        .unwrap_or_else(|_| segment.definition.clone())
}

/// Counts the customers that match and returns a sample of them (the first by row).
pub fn preview(
    store: &dyn Store,
    engine: &SegmentEngine,
    input: &SegmentInput,
    now: Millis,
) -> Result<Preview, AppError> {
    let snapshot = engine.snapshot(store)?;
    let expr = input.expr(&snapshot.schema())?;
    let segments = definitions(store)?;
    crud::check_references(&expr, &segments, None)?;
    let evaluator = Evaluator {
        store,
        snapshot: &snapshot,
        now,
        segments: &segments,
    };
    let matched = evaluator.matching(&expr)?;
    let ids: Vec<String> = matched
        .rows()
        .take(SAMPLE_SIZE)
        .map(|row| snapshot.ids[row].clone())
        .collect();
    Ok(Preview {
        count: matched.count(),
        sample: summaries(store, &ids)?,
    })
}

/// Customer summaries (name, first email and phone, country) of these ids, in order.
pub fn summaries(store: &dyn Store, ids: &[String]) -> Result<Vec<CustomerSummary>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let view = match store.customer_360(id, 0) {
            Ok(view) => view,
            Err(ecrm_store::StoreError::NotFound(_)) => continue,
            Err(err) => return Err(err.into()),
        };
        let first = |kind: &str| {
            view.identifiers
                .iter()
                .find(|identifier| identifier.kind == kind)
                .map(|identifier| identifier.value.clone())
        };
        out.push(CustomerSummary {
            id: id.clone(),
            name: view.customer.name.clone(),
            email: first("email"),
            phone: first("phone"),
            country: view.customer.country.clone(),
        });
    }
    Ok(out)
}
