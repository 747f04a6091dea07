//! Profile-trait reads for SQLite: customers' events and order lines grouped by customer, customer
//! ids, and service tickets.

use ecrm_core::time::Millis;
use rusqlite::{Row, Statement, params};

use super::{SqliteStore, lock};
use crate::error::StoreResult;
use crate::profile_model::{ActivityRecord, PurchaseLineRecord, TicketInput};
use crate::purchase_scan::IdentifierMap;

const ACTIVITY: &str = "SELECT i.customer_id, e.id, e.type, e.name, e.occurred_at, e.properties \
     FROM identifiers i JOIN events e ON e.identifier_id = i.id";

/// Every customer's order lines in storage order: orders scanned by row id, each order's lines
/// from the clustered primary key (no sort, no random access to the orders table).
const LINES_SCAN: &str = "SELECT o.identifier_id, o.order_key, o.kind, o.ordered_at, \
       coalesce(l.category, p.category), p.brand, l.quantity, l.unit_price_cents, l.amount_cents \
     FROM orders o JOIN order_lines l ON l.order_id = o.id \
     LEFT JOIN products p ON p.id = l.product_id WHERE o.kind IN ('order', 'refund')";

const LINES: &str = "SELECT i.customer_id, o.order_key, o.kind, o.ordered_at, \
       coalesce(l.category, p.category), p.brand, l.quantity, l.unit_price_cents, l.amount_cents \
     FROM identifiers i JOIN orders o ON o.identifier_id = i.id \
     JOIN order_lines l ON l.order_id = o.id LEFT JOIN products p ON p.id = l.product_id \
     WHERE o.kind IN ('order', 'refund')";

/// Runs `sql` (ending in a condition or table) over every customer or, one at a time, over the
/// listed customers in byte order, calling `each` per row.
fn grouped(
    conn: &rusqlite::Connection,
    sql: &str,
    has_where: bool,
    customers: Option<&[String]>,
    each: &mut dyn FnMut(&Row<'_>) -> StoreResult<()>,
) -> StoreResult<u64> {
    let mut count = 0u64;
    let mut run = |statement: &mut Statement<'_>, id: Option<&str>| -> StoreResult<()> {
        let mut rows = match id {
            Some(id) => statement.query([id])?,
            None => statement.query([])?,
        };
        while let Some(row) = rows.next()? {
            each(row)?;
            count += 1;
        }
        Ok(())
    };
    let joiner = if has_where { "AND" } else { "WHERE" };
    match customers {
        None => {
            let mut statement = conn.prepare(&format!("{sql} ORDER BY i.customer_id"))?;
            run(&mut statement, None)?;
        }
        Some(list) => {
            let mut statement =
                conn.prepare_cached(&format!("{sql} {joiner} i.customer_id = ?1"))?;
            let mut sorted: Vec<&String> = list.iter().collect();
            sorted.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            sorted.dedup();
            for id in sorted {
                run(&mut statement, Some(id))?;
            }
        }
    }
    Ok(count)
}

fn text<'r>(row: &'r Row<'_>, index: usize) -> StoreResult<&'r str> {
    Ok(row
        .get_ref(index)?
        .as_str()
        .map_err(rusqlite::Error::from)?)
}

fn optional_text<'r>(row: &'r Row<'_>, index: usize) -> StoreResult<Option<&'r str>> {
    Ok(row
        .get_ref(index)?
        .as_str_or_null()
        .map_err(rusqlite::Error::from)?)
}

impl SqliteStore {
    pub(crate) fn activity(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&ActivityRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            grouped(conn, ACTIVITY, false, customers, &mut |row| {
                sink(&ActivityRecord {
                    customer_id: text(row, 0)?,
                    event_id: row.get(1)?,
                    kind: text(row, 2)?,
                    name: optional_text(row, 3)?,
                    occurred_at: row.get(4)?,
                    properties: text(row, 5)?,
                })
            })
        })
    }

    pub(crate) fn purchase_lines(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&PurchaseLineRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        let mut line = |customer_id: &str, row: &Row<'_>| -> StoreResult<()> {
            sink(&PurchaseLineRecord {
                customer_id,
                order_key: text(row, 1)?,
                kind: text(row, 2)?,
                ordered_at: row.get(3)?,
                category: optional_text(row, 4)?,
                brand: optional_text(row, 5)?,
                quantity: row.get(6)?,
                unit_price_cents: row.get(7)?,
                amount_cents: row.get(8)?,
            })
        };
        self.read(|conn| {
            if customers.is_some() {
                return grouped(conn, LINES, true, customers, &mut |row| {
                    line(text(row, 0)?, row)
                });
            }
            // Everyone: map identifiers to customers in memory, then scan the orders.
            let tx = conn.unchecked_transaction()?;
            let mut identifiers = IdentifierMap::default();
            let mut count = 0u64;
            {
                let mut statement =
                    tx.prepare("SELECT id, customer_id FROM identifiers ORDER BY customer_id")?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    identifiers.add(row.get(0)?, text(row, 1)?);
                }
                let mut statement = tx.prepare(LINES_SCAN)?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let customer = row
                        .get::<_, Option<i64>>(0)?
                        .and_then(|id| identifiers.customer_of(id));
                    if let Some(customer) = customer {
                        line(identifiers.customer_id(customer), row)?;
                        count += 1;
                    }
                }
            }
            tx.commit()?;
            Ok(count)
        })
    }

    pub(crate) fn all_customer_ids(
        &self,
        sink: &mut dyn FnMut(&str) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            let mut statement =
                conn.prepare("SELECT id FROM customers WHERE erased_at IS NULL ORDER BY id")?;
            let mut rows = statement.query([])?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                sink(text(row, 0)?)?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn ticket_insert(&self, ticket: &TicketInput) -> StoreResult<i64> {
        let conn = lock(&self.writer)?;
        conn.execute(
            "INSERT INTO tickets (customer_id, order_key, channel, topic, status, opened_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                ticket.customer_id,
                ticket.order_key,
                ticket.channel,
                ticket.topic,
                ticket.status,
                ticket.opened_at
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    pub(crate) fn complaints(
        &self,
        from: Millis,
        until: Millis,
    ) -> StoreResult<Vec<(String, u32)>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT customer_id, count(*) FROM tickets WHERE topic = 'complaint' \
                 AND customer_id IS NOT NULL AND opened_at >= ?1 AND opened_at < ?2 \
                 GROUP BY customer_id ORDER BY customer_id",
            )?;
            let rows = statement.query_map([from, until], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
