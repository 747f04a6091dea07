//! Batch writes of orders, customers, products and events over [`WriteTx`].

use std::collections::HashMap;

use ecrm_core::Identifier;
use ecrm_core::order::{CustomerRef, OrderKind, OrderLine};
use ecrm_core::time::Millis;

use super::{NewOrder, WriteTx, resolve};
use crate::error::StoreResult;
use crate::model::{
    CustomerAttributes, CustomerInput, EventInput, ProductInput, WriteContext, WriteCounts,
};

/// Resolved customers of one batch, so repeated identifiers cost one lookup per batch.
pub(super) struct ResolvedCache {
    anchors: HashMap<Vec<Identifier>, CachedResolution>,
    seen: HashMap<i64, (Millis, Millis)>,
}

/// The anchor row and customer of a resolved observation, and all its identifier rows.
type CachedResolution = (Option<(i64, String)>, Vec<i64>);

impl ResolvedCache {
    pub(super) fn new() -> ResolvedCache {
        ResolvedCache {
            anchors: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    /// The anchor row and customer of `customer`, resolving it on first sight in this batch.
    pub(super) fn anchor<T: WriteTx>(
        &mut self,
        tx: &mut T,
        customer: &CustomerRef,
        seen_at: Millis,
        ctx: &WriteContext,
        counts: &mut WriteCounts,
    ) -> StoreResult<Option<(i64, String)>> {
        if customer.is_guest() {
            return Ok(None);
        }
        if let Some((anchor, rows)) = self.anchors.get(&customer.identifiers) {
            for row in rows {
                let range = self.seen.entry(*row).or_insert((seen_at, seen_at));
                range.0 = range.0.min(seen_at);
                range.1 = range.1.max(seen_at);
            }
            return Ok(anchor.clone());
        }
        let resolution = resolve(tx, customer, seen_at, ctx)?;
        counts.customers_created += resolution.customers_created;
        counts.customers_merged += resolution.customers_merged;
        for row in &resolution.identifier_rows {
            self.seen.entry(*row).or_insert((seen_at, seen_at));
        }
        let anchor = resolution.anchor_row.zip(resolution.customer_id);
        if resolution.customers_merged > 0 {
            self.anchors.clear();
        }
        self.anchors.insert(
            customer.identifiers.clone(),
            (anchor.clone(), resolution.identifier_rows),
        );
        let has_attributes = customer.name.is_some() || customer.country.is_some();
        if has_attributes && let Some((_, customer_id)) = &anchor {
            let attributes = CustomerAttributes {
                name: customer.name.clone(),
                country: customer.country.clone(),
                ..CustomerAttributes::default()
            };
            tx.customer_update(customer_id, &attributes, ctx.at)?;
        }
        Ok(anchor)
    }

    pub(super) fn flush_touches<T: WriteTx>(&self, tx: &mut T) -> StoreResult<()> {
        for (row, (first, last)) in &self.seen {
            tx.identifier_touch(*row, *first)?;
            if last != first {
                tx.identifier_touch(*row, *last)?;
            }
        }
        Ok(())
    }
}

/// The order being written and what its new lines add to it.
struct OpenOrder {
    key: String,
    row: i64,
    amount_cents: i64,
    lines: i64,
}

pub(crate) fn write_orders<T: WriteTx>(
    tx: &mut T,
    lines: &[OrderLine],
    ctx: &WriteContext,
) -> StoreResult<WriteCounts> {
    let mut counts = WriteCounts::default();
    let mut cache = ResolvedCache::new();
    let mut open: Option<OpenOrder> = None;
    for line in lines {
        let anchor = cache.anchor(tx, &line.customer, line.ordered_at, ctx, &mut counts)?;
        let same_order = open
            .as_ref()
            .is_some_and(|order| order.key == line.order_key);
        if !same_order {
            if let Some(done) = open.take() {
                tx.order_add_totals(done.row, done.amount_cents, done.lines)?;
            }
            let row = open_order(tx, line, anchor.map(|(row, _)| row), ctx, &mut counts)?;
            open = Some(OpenOrder {
                key: line.order_key.clone(),
                row,
                amount_cents: 0,
                lines: 0,
            });
        }
        if let Some(order) = open.as_mut()
            && tx.order_line_insert(order.row, line)?
        {
            order.amount_cents += line.amount_cents;
            order.lines += 1;
            counts.order_lines_created += 1;
        }
    }
    if let Some(done) = open.take() {
        tx.order_add_totals(done.row, done.amount_cents, done.lines)?;
    }
    cache.flush_touches(tx)?;
    Ok(counts)
}

fn open_order<T: WriteTx>(
    tx: &mut T,
    line: &OrderLine,
    identifier_row: Option<i64>,
    ctx: &WriteContext,
    counts: &mut WriteCounts,
) -> StoreResult<i64> {
    let order = NewOrder {
        order_key: &line.order_key,
        kind: line.kind.as_str(),
        identifier_row,
        ordered_at: line.ordered_at,
        currency: &line.currency,
        status: line.status.as_deref(),
        source: &ctx.source,
        derived_key: line.order_key.starts_with("row-"),
        created_at: ctx.at,
    };
    if let Some(row) = tx.order_insert(&order)? {
        match (line.kind, identifier_row) {
            (OrderKind::Refund, _) => counts.refunds_created += 1,
            (OrderKind::Order, None) => counts.guest_orders_created += 1,
            (OrderKind::Order, Some(_)) => counts.orders_created += 1,
        }
        return Ok(row);
    }
    match tx.order_row(&line.order_key)? {
        Some(row) => Ok(row),
        None => Err(crate::error::StoreError::Other(format!(
            "order {} vanished",
            line.order_key
        ))),
    }
}

pub(crate) fn write_customers<T: WriteTx>(
    tx: &mut T,
    rows: &[CustomerInput],
    ctx: &WriteContext,
) -> StoreResult<WriteCounts> {
    let mut counts = WriteCounts::default();
    for row in rows {
        let resolution = resolve(tx, &row.customer, ctx.at, ctx)?;
        counts.customers_created += resolution.customers_created;
        counts.customers_merged += resolution.customers_merged;
        if let Some(customer_id) = resolution.customer_id {
            tx.customer_update(&customer_id, &row.attributes, ctx.at)?;
        }
    }
    Ok(counts)
}

pub(crate) fn write_products<T: WriteTx>(
    tx: &mut T,
    rows: &[ProductInput],
    ctx: &WriteContext,
) -> StoreResult<WriteCounts> {
    let mut counts = WriteCounts::default();
    for row in rows {
        if tx.product_upsert(row, ctx.at)? {
            counts.products_created += 1;
        } else {
            counts.products_updated += 1;
        }
    }
    Ok(counts)
}

pub(crate) fn write_events<T: WriteTx>(
    tx: &mut T,
    rows: &[EventInput],
    ctx: &WriteContext,
) -> StoreResult<WriteCounts> {
    let mut counts = WriteCounts::default();
    let mut cache = ResolvedCache::new();
    for event in rows {
        let anchor = cache.anchor(tx, &event.customer, event.occurred_at, ctx, &mut counts)?;
        if tx.event_insert(event, anchor.map(|(row, _)| row), &ctx.source)? {
            counts.events_created += 1;
        } else {
            counts.duplicates_skipped += 1;
        }
    }
    cache.flush_touches(tx)?;
    Ok(counts)
}
