//! Group-committed writes of the tracking API over [`WriteTx`]: the messages of many requests in one
//! transaction, each request keeping its own source and counts.
//!
//! The transaction runs in three passes so that the events go to the database in few statements
//! (one per request on PostgreSQL, instead of one round trip per event): resolve every message's
//! customer, insert the events of each request together, then write the profile updates, orders and
//! refunds of the events that were new.

use std::collections::HashSet;

use ecrm_core::time::Millis;

use super::import::{ResolvedCache, write_orders};
use super::refund::whole_refund_lines;
use super::{NewEvent, WriteTx};
use crate::error::StoreResult;
use crate::model::{WriteContext, WriteCounts};
use crate::tracked::{TrackedBatch, TrackedItem};

/// Where one message's customer resolved to.
struct Resolved {
    anchor: Option<(i64, String)>,
    /// Merges done in this transaction before this resolution; if more happen later, the
    /// customer id is read again before the profile update.
    merges_before: u64,
}

/// Writes every batch; an event whose deduplication key (`EventInput::dedup_time` and
/// `message_id`) is already stored (or came earlier in this transaction) is skipped together with
/// the profile and order writes it carries, so a retried request changes nothing.
pub(crate) fn write_tracked<T: WriteTx>(
    tx: &mut T,
    batches: &[TrackedBatch],
    ctx: &WriteContext,
) -> StoreResult<Vec<WriteCounts>> {
    let identifiers: Vec<&ecrm_core::Identifier> = batches
        .iter()
        .flat_map(|batch| &batch.items)
        .flat_map(|item| &item.event.customer.identifiers)
        .collect();
    tx.identifiers_prefetch(&identifiers)?;
    let mut cache = ResolvedCache::new();
    let mut merges = 0u64;
    let mut counts = vec![WriteCounts::default(); batches.len()];
    let mut resolved: Vec<Vec<Resolved>> = Vec::with_capacity(batches.len());
    for (batch, counts) in batches.iter().zip(counts.iter_mut()) {
        let batch_ctx = batch_context(batch, ctx);
        let mut batch_resolved = Vec::with_capacity(batch.items.len());
        for item in &batch.items {
            let event = &item.event;
            let merges_before = merges;
            let before = counts.customers_merged;
            // An identify's profile update (written once its event is known to be new) holds
            // the name and country its customer reference carries.
            let attributes = item.profile.is_none();
            let anchor = cache.anchor_with(
                tx,
                &event.customer,
                event.occurred_at,
                &batch_ctx,
                counts,
                attributes,
            )?;
            merges += counts.customers_merged - before;
            batch_resolved.push(Resolved {
                anchor,
                merges_before,
            });
        }
        resolved.push(batch_resolved);
    }
    let mut seen_ids: HashSet<(Millis, &str)> = HashSet::new();
    let mut new_flags = Vec::with_capacity(batches.len());
    for (batch, batch_resolved) in batches.iter().zip(&resolved) {
        let events = batch
            .items
            .iter()
            .zip(batch_resolved)
            .map(|(item, r)| NewEvent {
                event: &item.event,
                properties: item.properties_json(),
                context: item.context_json(),
                identifier_row: r.anchor.as_ref().map(|(row, _)| *row),
            });
        new_flags.push(insert_events(tx, events, &batch.source, &mut seen_ids)?);
    }
    for (((batch, batch_resolved), flags), counts) in batches
        .iter()
        .zip(&resolved)
        .zip(&new_flags)
        .zip(counts.iter_mut())
    {
        let batch_ctx = batch_context(batch, ctx);
        for ((item, r), new) in batch.items.iter().zip(batch_resolved).zip(flags) {
            if !new {
                counts.duplicates_skipped += 1;
                continue;
            }
            counts.events_created += 1;
            write_side_effects(tx, item, r, merges, &batch_ctx, counts)?;
        }
    }
    cache.flush_touches(tx)?;
    Ok(counts)
}

fn batch_context(batch: &TrackedBatch, ctx: &WriteContext) -> WriteContext {
    WriteContext {
        source: batch.source.clone(),
        at: ctx.at,
        limits: ctx.limits.clone(),
    }
}

/// The profile update, order lines and whole refund a new event carries.
fn write_side_effects<T: WriteTx>(
    tx: &mut T,
    item: &TrackedItem,
    resolved: &Resolved,
    merges: u64,
    ctx: &WriteContext,
    counts: &mut WriteCounts,
) -> StoreResult<()> {
    if let (Some(attributes), Some((row, customer_id))) = (&item.profile, &resolved.anchor) {
        let current = if merges > resolved.merges_before {
            tx.identifiers_by_rows(&[*row])?
                .pop()
                .map_or_else(|| customer_id.clone(), |found| found.customer_id)
        } else {
            customer_id.clone()
        };
        tx.customer_update(&current, attributes, ctx.at)?;
    }
    if !item.order_lines.is_empty() {
        counts.add(&write_orders(tx, &item.order_lines, ctx)?);
    }
    if let Some(refund) = &item.refund_whole_order {
        let lines = whole_refund_lines(tx, &item.event, refund)?;
        if !lines.is_empty() {
            counts.add(&write_orders(tx, &lines, ctx)?);
        }
    }
    Ok(())
}

/// Inserts `events` and says for each whether it was new. An event whose deduplication key came
/// earlier in this transaction (`seen_ids`) counts as a duplicate without being sent.
pub(crate) fn insert_events<'a, T: WriteTx>(
    tx: &mut T,
    events: impl Iterator<Item = NewEvent<'a>>,
    source: &str,
    seen_ids: &mut HashSet<(Millis, &'a str)>,
) -> StoreResult<Vec<bool>> {
    let mut flags = Vec::new();
    let mut distinct = Vec::new();
    let mut positions = Vec::new();
    for event in events {
        if seen_ids.insert((event.event.dedup_time(), event.event.message_id.as_str())) {
            positions.push(flags.len());
            distinct.push(event);
        }
        flags.push(false);
    }
    let inserted = tx.events_insert(&distinct, source)?;
    for (position, new) in positions.into_iter().zip(inserted) {
        flags[position] = new;
    }
    Ok(flags)
}
