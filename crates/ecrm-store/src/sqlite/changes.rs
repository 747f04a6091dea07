//! The change cursor, segment facts and event aggregates for SQLite.

use ecrm_core::segment::{Aggregate, AggregateFn};
use ecrm_core::time::Millis;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::SqliteStore;
use crate::error::StoreResult;
use crate::segments_model::{ChangeBatch, ChangeCursor, ChangeKind, CustomerChange, FactRow};
use crate::sql_segments::{Bound, aggregate_sql, journal_changes, op, sqlite_path};

const JOURNAL: &str = "SELECT id, customer_id, kind, detail FROM customer_changes \
     WHERE id > ?1 ORDER BY id LIMIT ?2";
const EVENTS: &str = "SELECT e.id, i.customer_id, e.type, e.name FROM events e \
     LEFT JOIN identifiers i ON i.id = e.identifier_id WHERE e.id > ?1 ORDER BY e.id LIMIT ?2";

const PROFILES: &str =
    "SELECT id, name, gender, birthday, country, city, signup_at, attributes FROM customers";
const ORDERS: &str = "SELECT i.customer_id, coalesce(sum(o.kind = 'order'), 0), coalesce(sum(o.total_cents), 0), \
       min(CASE WHEN o.kind = 'order' THEN o.ordered_at END), max(CASE WHEN o.kind = 'order' THEN o.ordered_at END) \
     FROM orders o JOIN identifiers i ON i.id = o.identifier_id WHERE o.kind IN ('order', 'refund')";
/// Everyone's traits, name by name (the table's order).
const TRAITS: &str = "SELECT customer_id, name, value FROM traits";
/// Everyone's traits of one name (`?1`): one range of the table.
const TRAITS_NAMED: &str = "SELECT customer_id, name, value FROM traits WHERE name = ?1";
/// One trait (`?1`) of one customer (`?2`).
const TRAIT_OF: &str =
    "SELECT customer_id, name, value FROM traits WHERE name = ?1 AND customer_id = ?2";
/// One customer's kinds (everyone's come from `fact_scan`).
const IDENTIFIER_KINDS: &str = "SELECT DISTINCT customer_id, kind FROM identifiers";

impl SqliteStore {
    pub(crate) fn changes_since(
        &self,
        cursor: &ChangeCursor,
        limit: usize,
    ) -> StoreResult<ChangeBatch> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut batch = ChangeBatch {
                changes: Vec::new(),
                next: *cursor,
            };
            let mut journal = conn.prepare_cached(JOURNAL)?;
            let mut rows = journal.query(params![cursor.journal, limit])?;
            while let Some(row) = rows.next()? {
                batch.next.journal = row.get(0)?;
                journal_changes(
                    row.get(1)?,
                    &row.get::<_, String>(2)?,
                    row.get(3)?,
                    &mut batch.changes,
                );
            }
            let mut events = conn.prepare_cached(EVENTS)?;
            let mut rows = events.query(params![cursor.events, limit])?;
            while let Some(row) = rows.next()? {
                batch.next.events = row.get(0)?;
                if let Some(customer_id) = row.get::<_, Option<String>>(1)? {
                    batch.changes.push(CustomerChange {
                        customer_id,
                        change: ChangeKind::Event {
                            kind: row.get(2)?,
                            name: row.get(3)?,
                        },
                    });
                }
            }
            Ok(batch)
        })
    }

    pub(crate) fn cursor_head(&self) -> StoreResult<ChangeCursor> {
        self.read(|conn| {
            Ok(ChangeCursor {
                journal: conn.query_row(
                    "SELECT coalesce(max(id), 0) FROM customer_changes",
                    [],
                    |row| row.get(0),
                )?,
                events: conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |row| {
                    row.get(0)
                })?,
            })
        })
    }

    pub(crate) fn consumer_position(&self, consumer: &str) -> StoreResult<Option<ChangeCursor>> {
        self.read(|conn| {
            let position: Option<String> = conn
                .query_row(
                    "SELECT position FROM change_consumers WHERE name = ?1",
                    [consumer],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(position.as_deref().and_then(ChangeCursor::decode))
        })
    }

    pub(crate) fn save_consumer_position(
        &self,
        consumer: &str,
        cursor: &ChangeCursor,
        at: Millis,
    ) -> StoreResult<()> {
        self.write_plain(|tx| {
            tx.execute(
                "INSERT INTO change_consumers (name, position, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
                params![consumer, cursor.encode(), at],
            )?;
            Ok(())
        })
    }

    pub(crate) fn facts(
        &self,
        customers: Option<&[String]>,
        traits: Option<&[String]>,
        sink: &mut dyn FnMut(FactRow) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            let mut count = 0u64;
            let mut counted = |row: FactRow| {
                count += 1;
                sink(row)
            };
            match customers {
                None => {
                    stream_facts(conn, "", &[], traits, &mut counted)?;
                }
                Some(ids) => {
                    for id in ids {
                        let args = [Value::Text(id.clone())];
                        stream_facts(conn, " WHERE", &args, traits, &mut counted)?;
                    }
                }
            }
            Ok(count)
        })
    }

    pub(crate) fn aggregates(
        &self,
        aggregate: &Aggregate,
        since: Option<Millis>,
        customers: Option<&[String]>,
    ) -> StoreResult<Vec<(String, f64)>> {
        let (sql, values) = aggregate_query(aggregate, since, customers)?;
        self.read(|conn| {
            let mut statement = conn.prepare(&sql)?;
            let mut rows = statement.query(params_from_iter(values.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let value: Option<f64> = row.get(1)?;
                if let Some(value) = value {
                    out.push((row.get(0)?, value));
                }
            }
            Ok(out)
        })
    }
}

/// Streams the facts of all customers (`filter` empty) or of one (`filter` " WHERE"): profiles,
/// order summaries, traits and identifier kinds.
fn stream_facts(
    conn: &Connection,
    filter: &str,
    args: &[Value],
    traits: Option<&[String]>,
    sink: &mut dyn FnMut(FactRow) -> StoreResult<()>,
) -> StoreResult<()> {
    let one = !filter.is_empty();
    // Everyone in id order, the order of every other fact query below, so the snapshot's rows
    // follow the ids and its columns fill front to back (insertion order made every trait
    // leaf a cache miss on a million customers).
    let sql = if one {
        format!("{PROFILES} WHERE id = ?1")
    } else {
        format!("{PROFILES} ORDER BY id")
    };
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(args.iter()))?;
    while let Some(row) = rows.next()? {
        sink(FactRow::Profile {
            customer_id: row.get(0)?,
            name: row.get(1)?,
            gender: row.get(2)?,
            birthday: row.get(3)?,
            country: row.get(4)?,
            city: row.get(5)?,
            signup_at: row.get(6)?,
            attributes: row.get(7)?,
        })?;
    }
    if !one {
        // Everyone: two scans grouped in memory instead of the join below.
        super::fact_scan::order_and_identifier_facts(conn, sink)?;
        return stream_traits(conn, args, traits, sink);
    }
    let sql = format!("{ORDERS} AND i.customer_id = ?1 GROUP BY i.customer_id");
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(args.iter()))?;
    while let Some(row) = rows.next()? {
        sink(FactRow::Orders {
            customer_id: row.get(0)?,
            orders: row.get(1)?,
            revenue_cents: row.get(2)?,
            first_order_at: row.get(3)?,
            last_order_at: row.get(4)?,
        })?;
    }
    stream_traits(conn, args, traits, sink)?;
    let mut statement =
        conn.prepare_cached(&format!("{IDENTIFIER_KINDS} WHERE customer_id = ?1"))?;
    let mut rows = statement.query(params_from_iter(args.iter()))?;
    while let Some(row) = rows.next()? {
        sink(FactRow::Identifier {
            customer_id: row.get(0)?,
            kind: row.get(1)?,
        })?;
    }
    Ok(())
}

/// Streams the traits of everyone (no `customer`) or of one, all of them or those named in
/// `names` (each name one range of the table, which is clustered by name).
fn stream_traits(
    conn: &Connection,
    customer: &[Value],
    names: Option<&[String]>,
    sink: &mut dyn FnMut(FactRow) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut stream = |sql: &str, args: &[Value]| -> StoreResult<()> {
        let mut statement = conn.prepare_cached(sql)?;
        let mut rows = statement.query(params_from_iter(args.iter()))?;
        while let Some(row) = rows.next()? {
            sink(FactRow::Trait {
                customer_id: row.get(0)?,
                name: row.get(1)?,
                value: row.get(2)?,
            })?;
        }
        Ok(())
    };
    match (names, customer.is_empty()) {
        (None, true) => stream(TRAITS, &[]),
        (None, false) => stream(super::traits::CUSTOMER_TRAITS, customer),
        (Some(names), _) => {
            let sql = if customer.is_empty() {
                TRAITS_NAMED
            } else {
                TRAIT_OF
            };
            for name in names {
                let mut args = vec![Value::Text(name.clone())];
                args.extend(customer.iter().cloned());
                stream(sql, &args)?;
            }
            Ok(())
        }
    }
}

/// The aggregate query and its parameters. With `customers`, the join starts from their
/// identifiers (`CROSS JOIN` keeps that order); without, from the `(name, occurred_at)` index.
fn aggregate_query(
    aggregate: &Aggregate,
    since: Option<Millis>,
    customers: Option<&[String]>,
) -> StoreResult<(String, Vec<Value>)> {
    let mut values = vec![
        Value::Text(aggregate.event.clone()),
        Value::Integer(since.unwrap_or(i64::MIN)),
    ];
    let value_sql = match &aggregate.property {
        Some(property) => {
            values.push(Value::Text(sqlite_path(property)));
            let n = values.len();
            format!(
                "CASE WHEN json_type(e.properties, ?{n}) IN ('integer', 'real') \
                 THEN json_extract(e.properties, ?{n}) END"
            )
        }
        None if aggregate.function == AggregateFn::Count => "1".to_string(),
        None => "NULL".to_string(),
    };
    let mut sql = format!(
        "SELECT i.customer_id, {} ",
        aggregate_sql(aggregate.function, &value_sql, "total")
    );
    match customers {
        Some(ids) => {
            values.push(Value::Text(serde_json::to_string(ids)?));
            sql.push_str(&format!(
                "FROM identifiers i CROSS JOIN events e ON e.identifier_id = i.id \
                 WHERE i.customer_id IN (SELECT value FROM json_each(?{})) AND e.name = ?1 AND e.occurred_at >= ?2",
                values.len()
            ));
        }
        None => sql.push_str(
            "FROM events e JOIN identifiers i ON i.id = e.identifier_id \
             WHERE e.name = ?1 AND e.occurred_at >= ?2",
        ),
    }
    for filter in &aggregate.filters {
        values.push(Value::Text(sqlite_path(&filter.property)));
        let path = values.len();
        let (kinds, read, bound) = match Bound::from(&filter.value) {
            Bound::Number(n) => (
                "'integer', 'real'",
                "json_extract(e.properties, ?P)",
                Value::Real(n),
            ),
            Bound::Text(text) => (
                "'text'",
                "json_extract(e.properties, ?P)",
                Value::Text(text),
            ),
            Bound::Bool(b) => (
                "'true', 'false'",
                "(json_type(e.properties, ?P) = 'true')",
                Value::Integer(i64::from(b)),
            ),
        };
        values.push(bound);
        let read = read.replace("?P", &format!("?{path}"));
        sql.push_str(&format!(
            " AND (CASE WHEN json_type(e.properties, ?{path}) IN ({kinds}) THEN {read} END) {} ?{}",
            op(filter.cmp),
            values.len()
        ));
    }
    sql.push_str(" GROUP BY i.customer_id");
    Ok((sql, values))
}
