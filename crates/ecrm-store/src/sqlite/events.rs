//! Reads of a customer's stored events for SQLite.

use rusqlite::{Connection, params};

use crate::error::StoreResult;
use crate::tracked::{EventQuery, StoredEvent};

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
