//! Segment sizes and migration over time for the console: members per segment, and entries and exits
//! per segment per week over the last `WEEKS` weeks, kept as the `segment_trends` snapshot (refreshed
//! with the dashboard), because counting a large store's memberships and changes is too slow for a
//! page (about 2 s on the 1M-customer store).

use std::collections::BTreeMap;

use ecrm_core::time::Millis;
use ecrm_store::{SnapshotRecord, Store};
use serde::{Deserialize, Serialize};

use crate::app::AppError;

/// The snapshot's name.
pub const SNAPSHOT: &str = "segment_trends";

/// Weeks shown.
pub const WEEKS: usize = 12;

const WEEK_MILLIS: Millis = 7 * 86_400_000;

/// Entries and exits of one week.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct WeekFlow {
    /// Customers who entered.
    pub entered: u64,
    /// Customers who left.
    pub exited: u64,
}

/// Weekly flows of every segment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SegmentTrends {
    /// When they were computed.
    pub computed_at: Millis,
    /// The start of each week, oldest first.
    pub week_starts: Vec<Millis>,
    /// Per segment id, one flow per week (oldest first; the last is the last 7 days).
    pub segments: BTreeMap<i64, Vec<WeekFlow>>,
    /// Members per segment id when computed.
    #[serde(default)]
    pub sizes: BTreeMap<i64, u64>,
}

/// Computes the weekly flows from the recorded changes (cumulative flows since each week start,
/// differenced).
pub fn compute_trends(store: &dyn Store, now: Millis) -> Result<SegmentTrends, AppError> {
    let starts: Vec<Millis> = (0..=WEEKS)
        .rev()
        .map(|k| now - k as Millis * WEEK_MILLIS)
        .collect();
    // since[i][segment] = flows at or after starts[i]
    let mut since: Vec<BTreeMap<i64, WeekFlow>> = Vec::with_capacity(starts.len());
    for start in &starts {
        let flows = store.segment_flows(*start)?;
        since.push(
            flows
                .into_iter()
                .map(|f| {
                    let flow = WeekFlow {
                        entered: f.entered,
                        exited: f.exited,
                    };
                    (f.segment_id, flow)
                })
                .collect(),
        );
    }
    let mut segments: BTreeMap<i64, Vec<WeekFlow>> = BTreeMap::new();
    for id in since.iter().flat_map(|m| m.keys().copied()) {
        let at = |i: usize| since[i].get(&id).copied().unwrap_or_default();
        let weeks = (0..WEEKS)
            .map(|i| WeekFlow {
                entered: at(i).entered.saturating_sub(at(i + 1).entered),
                exited: at(i).exited.saturating_sub(at(i + 1).exited),
            })
            .collect();
        segments.insert(id, weeks);
    }
    Ok(SegmentTrends {
        computed_at: now,
        week_starts: starts[..WEEKS].to_vec(),
        segments,
        sizes: store.segment_sizes()?.into_iter().collect(),
    })
}

impl SegmentTrends {
    /// A segment's size and its last 7 days' entries and exits, if the snapshot knows it.
    pub fn size_and_week(&self, segment_id: i64) -> Option<(u64, WeekFlow)> {
        let size = *self.sizes.get(&segment_id)?;
        let week = self
            .segments
            .get(&segment_id)
            .and_then(|weeks| weeks.last().copied())
            .unwrap_or_default();
        Some((size, week))
    }
}

/// Computes and stores the snapshot.
pub fn refresh_trends(store: &dyn Store, now: Millis) -> Result<SegmentTrends, AppError> {
    let trends = compute_trends(store, now)?;
    store.write_snapshot(&SnapshotRecord {
        name: SNAPSHOT.to_string(),
        payload: serde_json::to_string(&trends)
            .map_err(|err| AppError::Conflict(format!("segment trends snapshot: {err}")))?,
        computed_at: now,
    })?;
    Ok(trends)
}

/// The stored snapshot, if any.
pub fn load_trends(store: &dyn Store) -> Result<Option<SegmentTrends>, AppError> {
    Ok(store
        .snapshot(SNAPSHOT)?
        .and_then(|record| serde_json::from_str(&record.payload).ok()))
}
