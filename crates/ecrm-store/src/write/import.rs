//! Batch writes of orders, customers, products and events over [`WriteTx`].

use std::collections::{HashMap, HashSet};

use ecrm_core::Identifier;
use ecrm_core::order::{CustomerRef, OrderKind, OrderLine};
use ecrm_core::time::Millis;

use super::{NewEvent, NewOrder, WriteTx, insert_events, resolve};
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
        self.anchor_with(tx, customer, seen_at, ctx, counts, true)
    }

    /// [`ResolvedCache::anchor`]; `attributes` false leaves the name and country `customer`
    /// carries to a profile update the caller writes itself.
    pub(super) fn anchor_with<T: WriteTx>(
        &mut self,
        tx: &mut T,
        customer: &CustomerRef,
        seen_at: Millis,
        ctx: &WriteContext,
        counts: &mut WriteCounts,
        attributes: bool,
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
        let has_attributes = attributes && (customer.name.is_some() || customer.country.is_some());
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
            tx.identifier_touch(*row, *first, *last)?;
        }
        Ok(())
    }
}

pub(crate) fn write_orders<T: WriteTx>(
    tx: &mut T,
    lines: &[OrderLine],
    ctx: &WriteContext,
) -> StoreResult<WriteCounts> {
    let mut counts = WriteCounts::default();
    let mut cache = ResolvedCache::new();
    let mut new_lines: Vec<(i64, &OrderLine)> = Vec::with_capacity(NEW_LINES_BUFFER);
    let mut start = 0;
    while start < lines.len() {
        let key = &lines[start].order_key;
        let end = start
            + lines[start..]
                .iter()
                .take_while(|line| &line.order_key == key)
                .count();
        let group = &lines[start..end];
        start = end;
        let mut identifier_row = None;
        for (idx, line) in group.iter().enumerate() {
            let anchor = cache.anchor(tx, &line.customer, line.ordered_at, ctx, &mut counts)?;
            if idx == 0 {
                identifier_row = anchor.map(|(row, _)| row);
            }
        }
        let unique = distinct_lines(group);
        let header = order_header(group, &unique, identifier_row, ctx);
        match tx.order_insert(&header)? {
            Some(row) => {
                count_new_order(&group[0], identifier_row, &mut counts);
                counts.order_lines_created += unique.len() as u64;
                new_lines.extend(unique.iter().map(|line| (row, *line)));
                if new_lines.len() >= NEW_LINES_BUFFER {
                    tx.order_lines_insert_new(&new_lines)?;
                    new_lines.clear();
                }
            }
            None => append_to_existing(tx, &group[0].order_key, &unique, &mut counts)?,
        }
    }
    tx.order_lines_insert_new(&new_lines)?;
    cache.flush_touches(tx)?;
    Ok(counts)
}

/// Lines buffered before one multi-row insert.
const NEW_LINES_BUFFER: usize = 4_096;

/// The lines of one order without repeats of a line key (a repeated line is the same line).
fn distinct_lines(group: &[OrderLine]) -> Vec<&OrderLine> {
    let mut seen = std::collections::HashSet::with_capacity(group.len());
    group
        .iter()
        .filter(|line| seen.insert(line.line_key))
        .collect()
}

/// The header of an order from its first line, with the totals of its lines.
fn order_header<'a>(
    group: &'a [OrderLine],
    unique: &[&OrderLine],
    identifier_row: Option<i64>,
    ctx: &'a WriteContext,
) -> NewOrder<'a> {
    let first = &group[0];
    NewOrder {
        order_key: &first.order_key,
        kind: first.kind.as_str(),
        identifier_row,
        ordered_at: first.ordered_at,
        currency: &first.currency,
        status: first.status.as_deref(),
        source: &ctx.source,
        derived_key: first.order_key.starts_with("row-"),
        created_at: ctx.at,
        total_cents: unique.iter().map(|line| line.amount_cents).sum(),
        line_count: unique.len() as i64,
    }
}

fn count_new_order(first: &OrderLine, identifier_row: Option<i64>, counts: &mut WriteCounts) {
    match (first.kind, identifier_row) {
        (OrderKind::Refund, _) => counts.refunds_created += 1,
        (OrderKind::Order, None) => counts.guest_orders_created += 1,
        (OrderKind::Order, Some(_)) => counts.orders_created += 1,
    }
}

/// Adds the lines not yet stored to an order that already exists (re-imports, orders split across batches).
fn append_to_existing<T: WriteTx>(
    tx: &mut T,
    order_key: &str,
    lines: &[&OrderLine],
    counts: &mut WriteCounts,
) -> StoreResult<()> {
    let Some(row) = tx.order_row(order_key)? else {
        return Err(crate::error::StoreError::Other(format!(
            "order {order_key} vanished"
        )));
    };
    let (mut amount_cents, mut added) = (0, 0);
    for line in lines {
        if tx.order_line_insert(row, line)? {
            amount_cents += line.amount_cents;
            added += 1;
        }
    }
    counts.order_lines_created += added as u64;
    tx.order_add_totals(row, amount_cents, added)
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
    let mut anchors = Vec::with_capacity(rows.len());
    for event in rows {
        let anchor = cache.anchor(tx, &event.customer, event.occurred_at, ctx, &mut counts)?;
        anchors.push(anchor.map(|(row, _)| row));
    }
    let json: Vec<(String, String)> = rows
        .iter()
        .map(|event| (event.properties.to_string(), event.context.to_string()))
        .collect();
    let events = rows.iter().zip(&json).zip(anchors).map(
        |((event, (properties, context)), identifier_row)| NewEvent {
            event,
            properties,
            context,
            identifier_row,
        },
    );
    let mut seen_ids = HashSet::new();
    for new in insert_events(tx, events, &ctx.source, &mut seen_ids)? {
        if new {
            counts.events_created += 1;
        } else {
            counts.duplicates_skipped += 1;
        }
    }
    cache.flush_touches(tx)?;
    Ok(counts)
}
