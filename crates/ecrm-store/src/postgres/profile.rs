//! Profile-trait reads for PostgreSQL: customers' events and order lines grouped by customer
//! (byte order, `COLLATE "C"`), customer ids, and service tickets.

use ecrm_core::time::Millis;
use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::{PgConn, PostgresStore};
use crate::error::StoreResult;
use crate::profile_model::{ActivityRecord, PurchaseLineRecord, TicketInput};

const ACTIVITY: &str = "SELECT i.customer_id, e.id, e.type, e.name, e.occurred_at, e.properties \
     FROM identifiers i JOIN events e ON e.identifier_id = i.id";

const LINES: &str = "SELECT i.customer_id, o.id, o.kind, o.ordered_at, \
       coalesce(l.category, p.category), p.brand, l.quantity, l.unit_price_cents, l.amount_cents \
     FROM identifiers i JOIN orders o ON o.identifier_id = i.id \
     JOIN order_lines l ON l.order_id = o.id LEFT JOIN products p ON p.id = l.product_id \
     WHERE o.kind IN ('order', 'refund')";

/// Runs `sql` over every customer or, one at a time, over the listed customers in byte order.
fn grouped(
    conn: &mut PgConn,
    sql: &str,
    has_where: bool,
    customers: Option<&[String]>,
    each: &mut dyn FnMut(&Row) -> StoreResult<()>,
) -> StoreResult<u64> {
    let mut count = 0u64;
    match customers {
        None => {
            let sql = format!("{sql} ORDER BY i.customer_id COLLATE \"C\"");
            let mut rows = conn
                .client
                .query_raw(sql.as_str(), std::iter::empty::<&(dyn ToSql + Sync)>())?;
            while let Some(row) = rows.next()? {
                each(&row)?;
                count += 1;
            }
        }
        Some(list) => {
            let joiner = if has_where { "AND" } else { "WHERE" };
            let statement = conn
                .client
                .prepare(&format!("{sql} {joiner} i.customer_id = $1"))?;
            let mut sorted: Vec<&String> = list.iter().collect();
            sorted.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            sorted.dedup();
            for id in sorted {
                for row in conn.client.query(&statement, &[id])? {
                    each(&row)?;
                    count += 1;
                }
            }
        }
    }
    Ok(count)
}

impl PostgresStore {
    pub(crate) fn activity(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&ActivityRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            grouped(conn, ACTIVITY, false, customers, &mut |row| {
                sink(&ActivityRecord {
                    customer_id: row.try_get(0)?,
                    event_id: row.try_get(1)?,
                    kind: row.try_get(2)?,
                    name: row.try_get(3)?,
                    occurred_at: row.try_get(4)?,
                    properties: row.try_get(5)?,
                })
            })
        })
    }

    pub(crate) fn purchase_lines(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&PurchaseLineRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            grouped(conn, LINES, true, customers, &mut |row| {
                sink(&PurchaseLineRecord {
                    customer_id: row.try_get(0)?,
                    order_id: row.try_get(1)?,
                    kind: row.try_get(2)?,
                    ordered_at: row.try_get(3)?,
                    category: row.try_get(4)?,
                    brand: row.try_get(5)?,
                    quantity: row.try_get(6)?,
                    unit_price_cents: row.try_get(7)?,
                    amount_cents: row.try_get(8)?,
                })
            })
        })
    }

    pub(crate) fn all_customer_ids(
        &self,
        sink: &mut dyn FnMut(&str) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            let mut rows = conn.client.query_raw(
                "SELECT id FROM customers WHERE erased_at IS NULL ORDER BY id COLLATE \"C\"",
                std::iter::empty::<&(dyn ToSql + Sync)>(),
            )?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                sink(row.try_get(0)?)?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn ticket_insert(&self, ticket: &TicketInput) -> StoreResult<i64> {
        self.with_connection(|conn| {
            let row = conn.client.query_one(
                "INSERT INTO tickets (customer_id, order_key, channel, topic, status, opened_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &ticket.customer_id,
                    &ticket.order_key,
                    &ticket.channel,
                    &ticket.topic,
                    &ticket.status,
                    &ticket.opened_at,
                ],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    pub(crate) fn complaints(
        &self,
        from: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(String, u32)>> {
        self.with_connection(|conn| {
            let rows = conn.client.query(
                "SELECT customer_id, count(*) FROM tickets WHERE topic = 'complaint' \
                 AND customer_id IS NOT NULL AND opened_at >= $1 AND opened_at < $2 \
                 GROUP BY customer_id ORDER BY customer_id COLLATE \"C\"",
                &[&from, &until],
            )?;
            rows.iter()
                .map(|row| {
                    let count: i64 = row.try_get(1)?;
                    Ok((row.try_get(0)?, u32::try_from(count).unwrap_or(u32::MAX)))
                })
                .collect()
        })
    }
}
