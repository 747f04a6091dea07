//! Live membership: whole segments are re-evaluated when their definition changes or time
//! passes; changed customers are re-evaluated from the store's change cursor, only for the
//! segments that depend on what changed. Every entry and exit is recorded with its cause.

use std::collections::{BTreeSet, HashMap, HashSet};

use ecrm_core::segment::{Dependencies, Expr, dependencies, plan};
use ecrm_core::time::Millis;
use ecrm_store::{ChangeCursor, ChangeKind, CustomerChange, MembershipChange, Store};

use super::bits::Bits;
use super::eval::Evaluator;
use super::snapshot::Snapshot;
use super::writes::{write, write_in_customer_order};
use super::{SegmentEngine, builtin, decode, definitions};
use crate::app::AppError;

pub const DEFINITION_CHANGED: &str = "definition changed";
pub const TIME_PASSED: &str = "schedule: time passed";
pub const TRAITS_RECOMPUTED: &str = "traits recomputed";
pub const IMPORT: &str = "import";
/// The change-cursor consumer name under which the membership position is saved.
pub const CONSUMER: &str = "segments";
/// Changes read per source and step.
const STEP: usize = 5_000;
/// A backlog larger than this is caught up by re-evaluating everything at once.
const BULK_BACKLOG: i64 = 200_000;
/// Membership changes written per transaction.
pub(super) const WRITE_CHUNK: usize = 50_000;

/// Profile fields an attribute change can move.
const PROFILE_FIELDS: &[&str] = &["name", "gender", "birthday", "country", "city", "signup_at"];
/// Fields an order change can move.
const ORDER_FIELDS: &[&str] = &["orders", "revenue", "first_order_at", "last_order_at"];

/// Re-evaluates these segments for every customer and records the differences with `cause`.
pub fn refresh_segments(
    store: &dyn Store,
    engine: &SegmentEngine,
    ids: &[i64],
    cause: &str,
    now: Millis,
) -> Result<u64, AppError> {
    let started = std::time::Instant::now();
    let snapshot = engine.snapshot(store)?;
    tracing::info!(
        customers = snapshot.len(),
        seconds = started.elapsed().as_secs_f64(),
        "segment snapshot ready"
    );
    let segments = definitions(store)?;
    let evaluator = Evaluator {
        store,
        snapshot: &snapshot,
        now,
        segments: &segments,
    };
    let mut refreshed = Vec::new();
    // Every segment's entries (snapshot row, segment) and exits, written together afterwards.
    let mut entries: Vec<(u32, i64)> = Vec::new();
    let mut exits: Vec<MembershipChange> = Vec::new();
    for record in store.segments()? {
        if !ids.contains(&record.id) {
            continue;
        }
        let started = std::time::Instant::now();
        let matched = evaluator.matching(&decode(&record)?)?;
        let mut members = HashSet::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.segment_members(record.id, after.as_deref(), 50_000)?;
            let Some(last) = page.last() else { break };
            after = Some(last.customer_id.clone());
            members.extend(page.into_iter().map(|member| member.customer_id));
        }
        let (mut size, mut entered, mut exited) = (0u64, 0u64, 0u64);
        for row in matched.rows() {
            size += 1;
            if !members.remove(&snapshot.ids[row]) {
                entries.push((row as u32, record.id));
                entered += 1;
            }
        }
        for id in members {
            exits.push(change(record.id, &id, false, cause, now));
            exited += 1;
        }
        refreshed.push(RefreshedSegment {
            segment_id: record.id,
            size,
            entered,
            exited,
        });
        tracing::debug!(
            segment = record.name,
            entered,
            exited,
            evaluate_seconds = started.elapsed().as_secs_f64(),
            "segment re-evaluated"
        );
    }
    let recorded = write_in_customer_order(store, &snapshot.ids, entries, exits, cause, now)?;
    // The console's size snapshot learns the new sizes now, so a segment just created or
    // redefined is not counted live on every page view until the next refresh.
    crate::app::console::trends::note_refreshed(store, &refreshed, now)?;
    tracing::info!(
        segments = refreshed.len(),
        recorded,
        seconds = started.elapsed().as_secs_f64(),
        "segments re-evaluated"
    );
    Ok(recorded)
}

/// A segment's size after a whole re-evaluation, and the entries and exits it recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshedSegment {
    pub segment_id: i64,
    pub size: u64,
    pub entered: u64,
    pub exited: u64,
}

/// Re-evaluates every segment.
pub fn refresh_all(
    store: &dyn Store,
    engine: &SegmentEngine,
    cause: &str,
    now: Millis,
) -> Result<u64, AppError> {
    let ids: Vec<i64> = store.segments()?.iter().map(|s| s.id).collect();
    refresh_segments(store, engine, &ids, cause, now)
}

/// Re-evaluates the segments whose result can change with time alone (`90 days ago`, windows).
pub fn refresh_time_relative(
    store: &dyn Store,
    engine: &SegmentEngine,
    now: Millis,
) -> Result<u64, AppError> {
    let segments = definitions(store)?;
    let ids: Vec<i64> = store
        .segments()?
        .into_iter()
        .filter(|record| deep_dependencies(&record.name, &segments).time_relative)
        .map(|record| record.id)
        .collect();
    refresh_segments(store, engine, &ids, TIME_PASSED, now)
}

/// Records the exit of every member of a segment.
pub fn exit_all(
    store: &dyn Store,
    segment_id: i64,
    cause: &str,
    now: Millis,
) -> Result<u64, AppError> {
    let mut recorded = 0;
    loop {
        let page = store.segment_members(segment_id, None, WRITE_CHUNK)?;
        if page.is_empty() {
            return Ok(recorded);
        }
        let changes: Vec<MembershipChange> = page
            .iter()
            .map(|member| change(segment_id, &member.customer_id, false, cause, now))
            .collect();
        recorded += store.apply_membership_changes(&changes)?;
    }
}

/// Whether the changes from `saved` to `head` are too many to take customer by customer.
fn is_bulk_backlog(saved: &ChangeCursor, head: &ChangeCursor) -> bool {
    (head.journal - saved.journal) + (head.events - saved.events) > BULK_BACKLOG
}

/// Whether [`catch_up`] would now re-evaluate every segment at once (no saved position, or a
/// backlog too large), and so load the whole snapshot.
pub fn catches_up_in_bulk(store: &dyn Store) -> Result<bool, AppError> {
    let head = store.change_cursor_head()?;
    Ok(store
        .change_consumer_position(CONSUMER)?
        .is_none_or(|saved| is_bulk_backlog(&saved, &head)))
}

/// Processes the store's changes since the saved position and saves the new one. The first run
/// (no saved position), and a backlog too large to take customer by customer, re-evaluate every
/// segment at once with `bulk_cause`. Returns the entries and exits recorded.
pub fn catch_up(
    store: &dyn Store,
    engine: &SegmentEngine,
    bulk_cause: &str,
    now: Millis,
) -> Result<u64, AppError> {
    builtin::ensure_builtins(store, now)?;
    let head = store.change_cursor_head()?;
    let saved = store.change_consumer_position(CONSUMER)?;
    let Some(mut cursor) = saved.filter(|saved| !is_bulk_backlog(saved, &head)) else {
        // A snapshot loaded at this very cursor (`ecrm compute` loads it before it starts the
        // console figures beside the catch-up) would read the same again.
        if engine.is_loaded() && !engine.is_current_at(store, &head)? {
            engine.reload(store)?;
        }
        let cause = if saved.is_none() {
            DEFINITION_CHANGED
        } else {
            bulk_cause
        };
        let recorded = refresh_all(store, engine, cause, now)?;
        store.save_change_consumer_position(CONSUMER, &head, now)?;
        return Ok(recorded);
    };
    let mut recorded = 0;
    loop {
        let batch = store.customer_changes_since(&cursor, STEP)?;
        if batch.next == cursor {
            return Ok(recorded);
        }
        recorded += apply_customer_changes(store, engine, &batch.changes, now)?;
        cursor = batch.next;
        store.save_change_consumer_position(CONSUMER, &cursor, now)?;
    }
}

/// Re-evaluates the changed customers for the segments that depend on what changed.
pub fn apply_customer_changes(
    store: &dyn Store,
    engine: &SegmentEngine,
    changes: &[CustomerChange],
    now: Millis,
) -> Result<u64, AppError> {
    let mut by_customer: HashMap<&str, Vec<&ChangeKind>> = HashMap::new();
    for change in changes {
        by_customer
            .entry(change.customer_id.as_str())
            .or_default()
            .push(&change.change);
    }
    if by_customer.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = by_customer.keys().map(|id| id.to_string()).collect();
    let local;
    let guard;
    let snapshot: &Snapshot = if engine.is_loaded() {
        engine.refresh(store, &ids)?;
        guard = engine.snapshot(store)?;
        &guard
    } else {
        local = Snapshot::load_some(store, &ids)?;
        &local
    };
    let segments = definitions(store)?;
    let evaluator = Evaluator {
        store,
        snapshot,
        now,
        segments: &segments,
    };
    let memberships: HashMap<&str, BTreeSet<i64>> = by_customer
        .keys()
        .map(|id| {
            let current = store.customer_memberships(id)?;
            Ok((*id, current.into_iter().map(|m| m.segment_id).collect()))
        })
        .collect::<Result<_, AppError>>()?;
    let mut out = Vec::new();
    for record in store.segments()? {
        let deps = deep_dependencies(&record.name, &segments);
        let mut mask = Bits::default();
        let mut gone = Vec::new();
        for (id, kinds) in &by_customer {
            if !kinds.iter().any(|kind| touches(kind, &deps)) {
                continue;
            }
            match snapshot.row_of(id) {
                Some(row) => mask.set(row, true),
                None => gone.push(*id),
            }
        }
        for id in gone {
            if memberships
                .get(id)
                .is_some_and(|set| set.contains(&record.id))
            {
                out.push(change(record.id, id, false, "merged", now));
            }
        }
        if mask.is_empty() {
            continue;
        }
        let expr: Expr = plan(decode(&record)?);
        let matched = evaluator.narrow(&expr, &mask, 0)?;
        for row in mask.rows() {
            let id = snapshot.ids[row].as_str();
            let was = memberships
                .get(id)
                .is_some_and(|set| set.contains(&record.id));
            let is = matched.get(row);
            if was != is {
                let cause = cause_of(&by_customer[id], &deps);
                out.push(change(record.id, id, is, &cause, now));
            }
        }
    }
    write(store, out)
}

/// What a segment reads, following `in segment` references.
pub fn deep_dependencies(name: &str, segments: &HashMap<String, Expr>) -> Dependencies {
    let mut out = Dependencies::default();
    let mut todo = vec![name.to_string()];
    let mut seen = HashSet::new();
    while let Some(next) = todo.pop() {
        if !seen.insert(next.clone()) {
            continue;
        }
        let Some(expr) = segments.get(&next) else {
            continue;
        };
        let deps = dependencies(expr);
        out.fields.extend(deps.fields);
        out.identifiers.extend(deps.identifiers);
        out.events.extend(deps.events);
        out.time_relative |= deps.time_relative;
        todo.extend(deps.segments.iter().cloned());
        out.segments.extend(deps.segments);
    }
    out
}

/// Whether a change can move a segment with these dependencies. Identifier changes may be
/// merges, which bring events, orders and traits along, so they touch every segment.
fn touches(kind: &ChangeKind, deps: &Dependencies) -> bool {
    match kind {
        ChangeKind::Identifiers { .. } | ChangeKind::Removed => true,
        ChangeKind::Event { name, .. } => {
            name.as_ref().is_some_and(|name| deps.events.contains(name))
        }
        ChangeKind::Order { .. } => deps
            .fields
            .iter()
            .any(|f| ORDER_FIELDS.contains(&f.as_str())),
        ChangeKind::Attributes => deps
            .fields
            .iter()
            .any(|f| PROFILE_FIELDS.contains(&f.as_str()) || f.starts_with("attributes.")),
        ChangeKind::Trait { name } => deps.fields.iter().any(|f| trait_field(f, name)),
    }
}

fn trait_field(field: &str, trait_name: &str) -> bool {
    field == trait_name
        || field
            .strip_prefix(trait_name)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Why a customer's membership moved: the event the segment counts, a trait recompute, the
/// latest event, or an import.
fn cause_of(kinds: &[&ChangeKind], deps: &Dependencies) -> String {
    let event = |wanted: bool| {
        kinds.iter().rev().find_map(|kind| match kind {
            ChangeKind::Event {
                name: Some(name), ..
            } if !wanted || deps.events.contains(name) => Some(format!("event \"{name}\"")),
            ChangeKind::Event { kind, name: None } if !wanted => Some(kind.clone()),
            _ => None,
        })
    };
    if let Some(cause) = event(true) {
        return cause;
    }
    let traits = kinds.iter().any(|kind| {
        matches!(kind, ChangeKind::Trait { name } if deps.fields.iter().any(|f| trait_field(f, name)))
    });
    if traits {
        return TRAITS_RECOMPUTED.to_string();
    }
    event(false).unwrap_or_else(|| IMPORT.to_string())
}

pub(super) fn change(
    segment_id: i64,
    customer_id: &str,
    enter: bool,
    cause: &str,
    at: Millis,
) -> MembershipChange {
    MembershipChange {
        segment_id,
        customer_id: customer_id.to_string(),
        enter,
        cause: cause.to_string(),
        at,
    }
}

/// How the membership worker inside `ecrm serve` runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// How often the change cursor is polled.
    pub poll: std::time::Duration,
    /// How often time-relative segments are re-evaluated (zero: never).
    pub schedule: std::time::Duration,
}

/// Starts the membership worker: loads the snapshot, then polls the change cursor and applies
/// what changed, and re-evaluates time-relative segments on the schedule. Errors are logged and
/// retried on the next poll.
pub fn spawn_worker(
    store: std::sync::Arc<dyn Store>,
    engine: SegmentEngine,
    config: WorkerConfig,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("segments".to_string())
        .spawn(move || {
            if let Err(err) = engine.reload(&*store) {
                tracing::warn!(error = %err, "segment snapshot load failed");
            }
            let mut scheduled = std::time::Instant::now();
            loop {
                match catch_up(&*store, &engine, IMPORT, crate::app::now_millis()) {
                    Ok(0) => {}
                    Ok(recorded) => tracing::debug!(recorded, "segment memberships changed"),
                    Err(err) => tracing::warn!(error = %err, "segment membership update failed"),
                }
                if !config.schedule.is_zero() && scheduled.elapsed() >= config.schedule {
                    scheduled = std::time::Instant::now();
                    if let Err(err) =
                        refresh_time_relative(&*store, &engine, crate::app::now_millis())
                    {
                        tracing::warn!(error = %err, "scheduled segment re-evaluation failed");
                    }
                }
                std::thread::sleep(config.poll);
            }
        })
}
