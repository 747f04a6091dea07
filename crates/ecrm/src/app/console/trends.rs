//! Segment sizes and migration over time for the console: members per segment, and entries and exits
//! per segment per week over the last `WEEKS` weeks, kept as the `segment_trends` snapshot (refreshed
//! with the dashboard), because counting a large store's memberships and changes is too slow for a
//! page (about 2 s on the 1M-customer store).

use std::collections::BTreeMap;

use ecrm_core::time::Millis;
use ecrm_store::{SnapshotRecord, Store};
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::app::segments::live::RefreshedSegment;

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

/// Computes the weekly flows from the recorded changes, in one pass over them.
pub fn compute_trends(store: &dyn Store, now: Millis) -> Result<SegmentTrends, AppError> {
    let first = now - WEEKS as Millis * WEEK_MILLIS;
    let week_starts: Vec<Millis> = (0..WEEKS)
        .map(|week| first + week as Millis * WEEK_MILLIS)
        .collect();
    let mut segments: BTreeMap<i64, Vec<WeekFlow>> = BTreeMap::new();
    for flow in store.segment_flows_by_period(first, WEEK_MILLIS)? {
        // Changes stamped after `now` (a clock step) fall outside the weeks shown.
        let Some(week) = usize::try_from(flow.period).ok().filter(|w| *w < WEEKS) else {
            continue;
        };
        let weeks = segments
            .entry(flow.segment_id)
            .or_insert_with(|| vec![WeekFlow::default(); WEEKS]);
        weeks[week] = WeekFlow {
            entered: flow.entered,
            exited: flow.exited,
        };
    }
    // Every segment has a size, 0 included: one missing from the snapshot is counted live.
    let counted: BTreeMap<i64, u64> = store.segment_sizes()?.into_iter().collect();
    let sizes = store
        .segments()?
        .iter()
        .map(|segment| (segment.id, counted.get(&segment.id).copied().unwrap_or(0)))
        .collect();
    Ok(SegmentTrends {
        computed_at: now,
        week_starts,
        segments,
        sizes,
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

/// Stores computed trends as the snapshot.
pub fn store_trends(store: &dyn Store, trends: &SegmentTrends) -> Result<(), AppError> {
    store.write_snapshot(&SnapshotRecord {
        name: SNAPSHOT.to_string(),
        payload: serde_json::to_string(trends)
            .map_err(|err| AppError::Conflict(format!("segment trends snapshot: {err}")))?,
        computed_at: trends.computed_at,
    })?;
    Ok(())
}

/// Records segments just re-evaluated as a whole in the stored snapshot (when there is one):
/// their sizes, and their entries and exits in the last week's flow. A store without a snapshot
/// is left without one (pages count live until the first refresh).
pub fn note_refreshed(
    store: &dyn Store,
    refreshed: &[RefreshedSegment],
    now: Millis,
) -> Result<(), AppError> {
    if refreshed.is_empty() {
        return Ok(());
    }
    let Some(mut trends) = load_trends(store)? else {
        return Ok(());
    };
    let in_last_week = trends.week_starts.last().is_some_and(|start| now >= *start);
    for segment in refreshed {
        trends.sizes.insert(segment.segment_id, segment.size);
        if in_last_week {
            let weeks = trends
                .segments
                .entry(segment.segment_id)
                .or_insert_with(|| vec![WeekFlow::default(); trends.week_starts.len()]);
            if let Some(last) = weeks.last_mut() {
                last.entered += segment.entered;
                last.exited += segment.exited;
            }
        }
    }
    store_trends(store, &trends)
}

/// The stored snapshot, if any.
pub fn load_trends(store: &dyn Store) -> Result<Option<SegmentTrends>, AppError> {
    Ok(store
        .snapshot(SNAPSHOT)?
        .and_then(|record| serde_json::from_str(&record.payload).ok()))
}
