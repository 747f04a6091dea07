//! Events for PostgreSQL: a request's events inserted in one statement, reads of a customer's
//! stored events, and the order a whole refund returns.

use std::collections::HashSet;

use postgres::GenericClient;

use super::Session;
use crate::error::StoreResult;
use crate::tracked::{EventQuery, StoredEvent};
use crate::write::{NewEvent, StoredLine, StoredOrder};

const CUSTOMER_EVENTS: &str = "SELECT e.id, e.message_id, e.type, e.name, e.channel, e.source, \
     e.occurred_at, e.sent_at, e.received_at, e.properties, e.context \
     FROM events e JOIN identifiers i ON e.identifier_id = i.id \
     WHERE i.customer_id = $1 AND ($2::TEXT IS NULL OR e.type = $2) AND ($3::TEXT IS NULL OR e.name = $3) \
       AND ($4::BIGINT IS NULL OR e.occurred_at >= $4) AND ($5::BIGINT IS NULL OR e.occurred_at < $5) \
       AND (e.occurred_at, e.id) < ($6, $7) \
     ORDER BY e.occurred_at DESC, e.id DESC LIMIT $8";

/// Events of the customer newest first, by (occurred_at, id), filtered as `query` says.
pub(crate) fn customer_events<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
    query: &EventQuery,
) -> StoreResult<Vec<StoredEvent>> {
    let (before_at, before_id) = query.before.map_or((i64::MAX, i64::MAX), |cursor| {
        (cursor.occurred_at, cursor.id)
    });
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let rows = session.query(
        CUSTOMER_EVENTS,
        &[
            &customer_id,
            &query.kind,
            &query.name,
            &query.from,
            &query.to,
            &before_at,
            &before_id,
            &limit,
        ],
    )?;
    let mut res = Vec::with_capacity(rows.len());
    for row in rows {
        let properties: String = row.try_get(9)?;
        let context: String = row.try_get(10)?;
        res.push(StoredEvent {
            id: row.try_get(0)?,
            message_id: row.try_get(1)?,
            kind: row.try_get(2)?,
            name: row.try_get(3)?,
            channel: row.try_get(4)?,
            source: row.try_get(5)?,
            occurred_at: row.try_get(6)?,
            sent_at: row.try_get(7)?,
            received_at: row.try_get(8)?,
            properties: serde_json::from_str(&properties).unwrap_or(serde_json::Value::Null),
            context: serde_json::from_str(&context).unwrap_or(serde_json::Value::Null),
        });
    }
    Ok(res)
}

const INSERT_EVENTS: &str = "INSERT INTO events (message_id, identifier_id, type, name, channel, source, \
     occurred_at, sent_at, received_at, properties, context, client_time) \
     SELECT m, i, t, n, c, $6, o, s, r, p, x, k FROM unnest($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], \
     $5::TEXT[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::TEXT[], $11::TEXT[], $12::BIGINT[]) \
     AS d(m, i, t, n, c, o, s, r, p, x, k) \
     ON CONFLICT (client_time, message_id) DO NOTHING RETURNING client_time, message_id";

/// Inserts the events in one statement (arrays bound column by column); for each, whether it was new
/// (its deduplication key, [`crate::EventInput::dedup_time`] and message id, not stored).
pub(crate) fn insert_events<C: GenericClient>(
    session: &mut Session<'_, C>,
    events: &[NewEvent<'_>],
    source: &str,
) -> StoreResult<Vec<bool>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let message_ids: Vec<&str> = events.iter().map(|e| e.event.message_id.as_str()).collect();
    let identifier_ids: Vec<Option<i64>> = events.iter().map(|e| e.identifier_row).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.event.kind.as_str()).collect();
    let names: Vec<Option<&str>> = events.iter().map(|e| e.event.name.as_deref()).collect();
    let channels: Vec<Option<&str>> = events.iter().map(|e| e.event.channel.as_deref()).collect();
    let occurred: Vec<i64> = events.iter().map(|e| e.event.occurred_at).collect();
    let sent: Vec<Option<i64>> = events.iter().map(|e| e.event.sent_at).collect();
    let received: Vec<i64> = events.iter().map(|e| e.event.received_at).collect();
    let properties: Vec<&str> = events.iter().map(|e| e.properties).collect();
    let contexts: Vec<&str> = events.iter().map(|e| e.context).collect();
    let dedup_times: Vec<i64> = events.iter().map(|e| e.event.dedup_time()).collect();
    let rows = session.query(
        INSERT_EVENTS,
        &[
            &message_ids,
            &identifier_ids,
            &kinds,
            &names,
            &channels,
            &source,
            &occurred,
            &sent,
            &received,
            &properties,
            &contexts,
            &dedup_times,
        ],
    )?;
    let mut inserted = HashSet::with_capacity(rows.len());
    for row in &rows {
        inserted.insert((row.try_get::<_, i64>(0)?, row.try_get::<_, &str>(1)?));
    }
    Ok(dedup_times
        .iter()
        .zip(&message_ids)
        .map(|(time, id)| inserted.contains(&(*time, *id)))
        .collect())
}

/// The stored order `order_key` with its lines and the total of its refund row.
pub(crate) fn order_for_refund<C: GenericClient>(
    session: &mut Session<'_, C>,
    order_key: &str,
) -> StoreResult<Option<StoredOrder>> {
    let Some(header) = session.query_opt(
        "SELECT id, currency, total_cents FROM orders WHERE order_key = $1",
        &[&order_key],
    )?
    else {
        return Ok(None);
    };
    let order_row: i64 = header.try_get(0)?;
    let rows = session.query(
        "SELECT product_id, product_name, category, quantity, unit_price_cents, amount_cents \
         FROM order_lines WHERE order_id = $1 ORDER BY line_key",
        &[&order_row],
    )?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        lines.push(StoredLine {
            product_id: row.try_get(0)?,
            product_name: row.try_get(1)?,
            category: row.try_get(2)?,
            quantity: row.try_get(3)?,
            unit_price_cents: row.try_get(4)?,
            amount_cents: row.try_get(5)?,
        });
    }
    let refund_key = format!("refund:{order_key}");
    let refunded = session.query_one(
        "SELECT coalesce(sum(total_cents), 0)::BIGINT FROM orders WHERE order_key = $1",
        &[&refund_key],
    )?;
    Ok(Some(StoredOrder {
        currency: header.try_get(1)?,
        total_cents: header.try_get(2)?,
        lines,
        refunded_cents: refunded.try_get(0)?,
    }))
}
