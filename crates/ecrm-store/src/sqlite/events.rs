//! Reads of a customer's stored events, and of an order a whole refund returns, for SQLite.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreResult;
use crate::tracked::{EventQuery, StoredEvent};
use crate::write::{StoredLine, StoredOrder};

/// Events of the customer newest first, by (occurred_at, id), filtered as `query` says.
pub(crate) fn customer_events(
    conn: &Connection,
    customer_id: &str,
    query: &EventQuery,
) -> StoreResult<Vec<StoredEvent>> {
    let (before_at, before_id) = query.before.map_or((i64::MAX, i64::MAX), |cursor| {
        (cursor.occurred_at, cursor.id)
    });
    let mut statement = conn.prepare_cached(
        "SELECT e.id, e.message_id, e.type, e.name, e.channel, e.source, e.occurred_at, e.sent_at, \
                e.received_at, e.properties, e.context \
           FROM events e JOIN identifiers i ON e.identifier_id = i.id \
          WHERE i.customer_id = ?1 AND (?2 IS NULL OR e.type = ?2) AND (?3 IS NULL OR e.name = ?3) \
            AND (?4 IS NULL OR e.occurred_at >= ?4) AND (?5 IS NULL OR e.occurred_at < ?5) \
            AND (e.occurred_at, e.id) < (?6, ?7) \
          ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?8",
    )?;
    let rows = statement.query_map(
        params![
            customer_id,
            query.kind,
            query.name,
            query.from,
            query.to,
            before_at,
            before_id,
            i64::try_from(query.limit).unwrap_or(i64::MAX)
        ],
        |row| {
            let properties: String = row.get(9)?;
            let context: String = row.get(10)?;
            Ok(StoredEvent {
                id: row.get(0)?,
                message_id: row.get(1)?,
                kind: row.get(2)?,
                name: row.get(3)?,
                channel: row.get(4)?,
                source: row.get(5)?,
                occurred_at: row.get(6)?,
                sent_at: row.get(7)?,
                received_at: row.get(8)?,
                properties: serde_json::from_str(&properties).unwrap_or(serde_json::Value::Null),
                context: serde_json::from_str(&context).unwrap_or(serde_json::Value::Null),
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The stored order `order_key` with its lines and the total of its refund row.
pub(crate) fn order_for_refund(
    conn: &Connection,
    order_key: &str,
) -> StoreResult<Option<StoredOrder>> {
    let header = conn
        .prepare_cached("SELECT id, currency, total_cents FROM orders WHERE order_key = ?1")?
        .query_row([order_key], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })
        .optional()?;
    let Some((order_row, currency, total_cents)) = header else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT product_id, product_name, category, quantity, unit_price_cents, amount_cents \
           FROM order_lines WHERE order_id = ?1 ORDER BY line_key",
    )?;
    let lines = statement
        .query_map([order_row], |row| {
            Ok(StoredLine {
                product_id: row.get(0)?,
                product_name: row.get(1)?,
                category: row.get(2)?,
                quantity: row.get(3)?,
                unit_price_cents: row.get(4)?,
                amount_cents: row.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let refunded_cents: i64 = conn
        .prepare_cached("SELECT coalesce(sum(total_cents), 0) FROM orders WHERE order_key = ?1")?
        .query_row([format!("refund:{order_key}")], |row| row.get(0))?;
    Ok(Some(StoredOrder {
        currency,
        total_cents,
        lines,
        refunded_cents,
    }))
}
