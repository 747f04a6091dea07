//! Group-committed writes of the tracking API over [`WriteTx`]: the messages of many requests in one
//! transaction, each request keeping its own source and counts.

use super::WriteTx;
use super::import::{ResolvedCache, write_orders};
use crate::error::StoreResult;
use crate::model::{WriteContext, WriteCounts};
use crate::tracked::TrackedBatch;

/// Writes every batch; an event whose `message_id` is already stored is skipped together with the
/// profile and order writes it carries, so a retried request changes nothing.
pub(crate) fn write_tracked<T: WriteTx>(
    tx: &mut T,
    batches: &[TrackedBatch],
    ctx: &WriteContext,
) -> StoreResult<Vec<WriteCounts>> {
    let mut cache = ResolvedCache::new();
    let mut res = Vec::with_capacity(batches.len());
    for batch in batches {
        let batch_ctx = WriteContext {
            source: batch.source.clone(),
            at: ctx.at,
            limits: ctx.limits.clone(),
        };
        let mut counts = WriteCounts::default();
        for item in &batch.items {
            let event = &item.event;
            let anchor = cache.anchor(
                tx,
                &event.customer,
                event.occurred_at,
                &batch_ctx,
                &mut counts,
            )?;
            if !tx.event_insert(event, anchor.as_ref().map(|(row, _)| *row), &batch.source)? {
                counts.duplicates_skipped += 1;
                continue;
            }
            counts.events_created += 1;
            if let (Some(attributes), Some((_, customer_id))) = (&item.profile, &anchor) {
                tx.customer_update(customer_id, attributes, ctx.at)?;
            }
            if !item.order_lines.is_empty() {
                let order_counts = write_orders(tx, &item.order_lines, &batch_ctx)?;
                counts.add(&order_counts);
            }
        }
        res.push(counts);
    }
    cache.flush_touches(tx)?;
    Ok(res)
}
