//! Profile-trait reads for SQLite: customers' events and order lines grouped by customer, customer
//! ids, and service tickets.

use ecrm_core::time::Millis;
use rusqlite::{Row, params};

use super::{SqliteStore, lock};
use crate::error::StoreResult;
use crate::profile_model::{ActivityRecord, PurchaseLineRecord, TicketInput};
use crate::purchase_scan::IdentifierMap;

const ACTIVITY: &str = "SELECT i.customer_id, e.id, e.type, e.name, e.occurred_at, e.properties \
     FROM identifiers i JOIN events e ON e.identifier_id = i.id";

/// Events in storage order from a row id on, up to a last one (the whole-store activity pass).
const EVENTS_SCAN: &str = "SELECT identifier_id, id, type, name, occurred_at, properties \
     FROM events WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3";
/// Events read per read transaction by the whole-store pass: short transactions let the WAL
/// restart while a compute writes beside the scan (one 30 s transaction made the WAL grow by
/// gigabytes, and every new WAL block cost the writer a zeroed page).
const EVENTS_PER_READ: i64 = 262_144;

/// Every order and refund in row-id order (the orders side of the merge in `purchase_lines`).
const ORDERS_BY_ID: &str = "SELECT id, identifier_id, kind = 'refund', ordered_at FROM orders \
     WHERE kind IN ('order', 'refund') ORDER BY id";
/// Every order line in order-id order, straight from the clustered primary key.
const LINES_BY_ORDER: &str = "SELECT order_id, product_id, category, quantity, unit_price_cents, \
     amount_cents FROM order_lines ORDER BY order_id, line_key";

const LINES: &str = "SELECT i.customer_id, o.id, o.kind, o.ordered_at, \
       coalesce(l.category, p.category), p.brand, l.quantity, l.unit_price_cents, l.amount_cents \
     FROM identifiers i JOIN orders o ON o.identifier_id = i.id \
     JOIN order_lines l ON l.order_id = o.id LEFT JOIN products p ON p.id = l.product_id \
     WHERE o.kind IN ('order', 'refund')";

/// Runs `sql` (ending in a condition or table) over the listed customers, one at a time in byte
/// order, calling `each` per row (the whole-store reads are the sequential scans below).
fn grouped(
    conn: &rusqlite::Connection,
    sql: &str,
    has_where: bool,
    customers: &[String],
    each: &mut dyn FnMut(&Row<'_>) -> StoreResult<()>,
) -> StoreResult<u64> {
    let joiner = if has_where { "AND" } else { "WHERE" };
    let mut statement = conn.prepare_cached(&format!("{sql} {joiner} i.customer_id = ?1"))?;
    let mut sorted: Vec<&String> = customers.iter().collect();
    sorted.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    sorted.dedup();
    let mut count = 0u64;
    for id in sorted {
        let mut rows = statement.query([id])?;
        while let Some(row) = rows.next()? {
            each(row)?;
            count += 1;
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
            let Some(list) = customers else {
                return all_activity(conn, EVENTS_PER_READ, sink);
            };
            grouped(conn, ACTIVITY, false, list, &mut |row| {
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
        self.read(|conn| {
            if let Some(list) = customers {
                return grouped(conn, LINES, true, list, &mut |row| {
                    sink(&PurchaseLineRecord {
                        customer_id: text(row, 0)?,
                        order_id: row.get(1)?,
                        kind: text(row, 2)?,
                        ordered_at: row.get(3)?,
                        category: optional_text(row, 4)?,
                        brand: optional_text(row, 5)?,
                        quantity: row.get(6)?,
                        unit_price_cents: row.get(7)?,
                        amount_cents: row.get(8)?,
                    })
                });
            }
            // Everyone: identifiers and products mapped in memory, then the orders and the lines
            // scanned side by side in order-id order (both clustered on it): no join, no seek.
            let tx = conn.unchecked_transaction()?;
            let count = merge_lines(&tx, sink)?;
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

/// A catalogue product's category and brand.
type ProductFacts = (Option<String>, Option<String>);

/// One order or refund of a known customer, as the merge in [`merge_lines`] reads it.
struct OrderHead {
    id: i64,
    customer: Option<u32>,
    refund: bool,
    at: Millis,
}

/// Streams every customer's order lines: the orders and the lines are both read in order-id
/// order and merged, products and identifiers come from maps built by one scan each.
fn merge_lines(
    conn: &rusqlite::Connection,
    sink: &mut dyn FnMut(&PurchaseLineRecord<'_>) -> StoreResult<()>,
) -> StoreResult<u64> {
    let identifiers = identifier_map(conn)?;
    let mut products: foldhash::HashMap<String, ProductFacts> = foldhash::HashMap::default();
    let mut statement = conn.prepare("SELECT id, category, brand FROM products")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        products.insert(row.get(0)?, (row.get(1)?, row.get(2)?));
    }
    let mut order_statement = conn.prepare(ORDERS_BY_ID)?;
    let mut orders = order_statement.query([])?;
    let next_order = |orders: &mut rusqlite::Rows<'_>| -> StoreResult<Option<OrderHead>> {
        let Some(row) = orders.next()? else {
            return Ok(None);
        };
        Ok(Some(OrderHead {
            id: row.get(0)?,
            customer: row
                .get::<_, Option<i64>>(1)?
                .and_then(|id| identifiers.customer_of(id)),
            refund: row.get(2)?,
            at: row.get(3)?,
        }))
    };
    let mut order = next_order(&mut orders)?;
    let mut line_statement = conn.prepare(LINES_BY_ORDER)?;
    let mut lines = line_statement.query([])?;
    let mut count = 0u64;
    while let Some(row) = lines.next()? {
        let order_id: i64 = row.get(0)?;
        while order.as_ref().is_some_and(|head| head.id < order_id) {
            order = next_order(&mut orders)?;
        }
        let Some(head) = order.as_ref().filter(|head| head.id == order_id) else {
            continue;
        };
        let Some(customer) = head.customer else {
            continue;
        };
        let product = optional_text(row, 1)?.and_then(|id| products.get(id));
        let category = optional_text(row, 2)?
            .or_else(|| product.and_then(|(category, _)| category.as_deref()));
        sink(&PurchaseLineRecord {
            customer_id: identifiers.customer_id(customer),
            order_id,
            kind: if head.refund { "refund" } else { "order" },
            ordered_at: head.at,
            category,
            brand: product.and_then(|(_, brand)| brand.as_deref()),
            quantity: row.get(3)?,
            unit_price_cents: row.get(4)?,
            amount_cents: row.get(5)?,
        })?;
        count += 1;
    }
    Ok(count)
}

/// Identifier row ids to customers, from one scan of the identifiers in customer order.
/// Every event of a known customer up to the last one stored when the pass began, in storage
/// order (one sequential read), each event's customer from an in-memory map of the identifiers;
/// read in short transactions of `EVENTS_PER_READ` (events are only appended, so the pass sees
/// each event once).
fn all_activity(
    conn: &rusqlite::Connection,
    per_read: i64,
    sink: &mut dyn FnMut(&ActivityRecord<'_>) -> StoreResult<()>,
) -> StoreResult<u64> {
    // The last event first: every identifier an event up to it names is then in the map.
    let last: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |row| {
        row.get(0)
    })?;
    let identifiers = identifier_map(conn)?;
    let mut after = 0i64;
    let mut count = 0u64;
    loop {
        let tx = conn.unchecked_transaction()?;
        let mut read = 0i64;
        {
            let mut statement = tx.prepare_cached(EVENTS_SCAN)?;
            let mut rows = statement.query(params![after, last, per_read])?;
            while let Some(row) = rows.next()? {
                read += 1;
                after = row.get(1)?;
                let customer = row
                    .get::<_, Option<i64>>(0)?
                    .and_then(|id| identifiers.customer_of(id));
                let Some(customer) = customer else { continue };
                sink(&ActivityRecord {
                    customer_id: identifiers.customer_id(customer),
                    event_id: after,
                    kind: text(row, 2)?,
                    name: optional_text(row, 3)?,
                    occurred_at: row.get(4)?,
                    properties: text(row, 5)?,
                })?;
                count += 1;
            }
        }
        tx.commit()?;
        if read < per_read {
            return Ok(count);
        }
    }
}

/// Every identifier row to its customer, from one scan of the customer index.
pub(super) fn identifier_map(conn: &rusqlite::Connection) -> StoreResult<IdentifierMap> {
    let mut identifiers = IdentifierMap::default();
    let mut statement =
        conn.prepare("SELECT id, customer_id FROM identifiers ORDER BY customer_id")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        identifiers.add(row.get(0)?, text(row, 1)?);
    }
    Ok(identifiers)
}

#[cfg(test)]
mod tests {
    use ecrm_core::identity::IdentityLimits;
    use ecrm_core::order::CustomerRef;
    use ecrm_core::{Identifier, IdentifierKind};

    use super::all_activity;
    use crate::sqlite::SqliteStore;
    use crate::{EventInput, Store, WriteContext};

    #[test]
    fn the_whole_store_pass_reads_every_event_once_whatever_its_read_size() {
        let dir = std::env::temp_dir().join(format!("ecrm-activity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("store.db");
        let _ = std::fs::remove_file(&path);
        let store = SqliteStore::open(&path).expect("open");
        let events: Vec<EventInput> = (0..7)
            .map(|n| EventInput {
                message_id: format!("m{n}"),
                kind: "track".to_string(),
                name: Some("Product Viewed".to_string()),
                customer: CustomerRef::new(
                    vec![Identifier {
                        kind: IdentifierKind::UserId,
                        value: format!("c{}", n % 3),
                    }],
                    None,
                    None,
                ),
                channel: None,
                occurred_at: n,
                client_time: None,
                sent_at: None,
                received_at: n,
                properties: serde_json::json!({}),
                context: serde_json::json!({}),
            })
            .collect();
        let context = WriteContext {
            source: "test".to_string(),
            at: 1,
            limits: IdentityLimits::standard(),
        };
        store.write_events(&events, &context).expect("events");
        let read_with = |per_read: i64| {
            let mut seen = Vec::new();
            let count = store
                .read(|conn| {
                    all_activity(conn, per_read, &mut |event| {
                        seen.push((event.customer_id.to_string(), event.occurred_at));
                        Ok(())
                    })
                })
                .expect("scan");
            assert_eq!(count as usize, seen.len());
            seen
        };
        let whole = read_with(1_000);
        assert_eq!(whole.len(), 7);
        for per_read in [1, 2, 3, 7] {
            assert_eq!(read_with(per_read), whole, "{per_read} events per read");
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
