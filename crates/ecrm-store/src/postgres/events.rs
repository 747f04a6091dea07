//! Reads of a customer's stored events for PostgreSQL.

use postgres::GenericClient;

use super::Session;
use crate::error::StoreResult;
use crate::tracked::{EventQuery, StoredEvent};

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
