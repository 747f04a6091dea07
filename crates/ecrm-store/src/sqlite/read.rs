//! Reads for SQLite: the 360° view, timelines, lists.

use ecrm_core::Identifier;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::error::{StoreError, StoreResult};
use crate::model::{
    ApiKeyRecord, Customer360, CustomerListItem, CustomerQuery, CustomerRecord, IdentifierRecord,
    MergeRecord, OrderLineRecord, OrderRecord, OrderSummary, StoreStats, TimelineCursor,
    TimelineEntry,
};
use crate::sql_common::{in_list, order_detail};

pub(crate) fn find_customer_id(
    conn: &Connection,
    identifier: &Identifier,
) -> StoreResult<Option<String>> {
    let mut statement =
        conn.prepare_cached("SELECT customer_id FROM identifiers WHERE kind = ?1 AND value = ?2")?;
    Ok(statement
        .query_row(params![identifier.kind.as_str(), identifier.value], |row| {
            row.get(0)
        })
        .optional()?)
}

pub(crate) fn customer_360(
    conn: &Connection,
    customer_id: &str,
    latest_orders: usize,
) -> StoreResult<Customer360> {
    let customer = conn
        .prepare_cached(
            "SELECT id, name, gender, birthday, country, city, signup_at, attributes, created_at, updated_at \
             FROM customers WHERE id = ?1",
        )?
        .query_row([customer_id], customer_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("customer {customer_id}")))?;
    let customer = CustomerRecord {
        attributes: serde_json::from_str(customer.attributes.as_str().unwrap_or("{}"))?,
        ..customer
    };
    Ok(Customer360 {
        identifiers: identifiers_of(conn, customer_id)?,
        order_summary: order_summary(conn, customer_id)?,
        latest_orders: latest_orders_of(conn, customer_id, latest_orders)?,
        merges: merge_history(conn, customer_id)?,
        customer,
    })
}

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<CustomerRecord> {
    Ok(CustomerRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        gender: row.get(2)?,
        birthday: row.get(3)?,
        country: row.get(4)?,
        city: row.get(5)?,
        signup_at: row.get(6)?,
        attributes: serde_json::Value::String(row.get(7)?),
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

fn identifiers_of(conn: &Connection, customer_id: &str) -> StoreResult<Vec<IdentifierRecord>> {
    let mut statement = conn.prepare_cached(
        "SELECT kind, value, source, first_seen, last_seen FROM identifiers WHERE customer_id = ?1 ORDER BY kind, value",
    )?;
    let rows = statement.query_map([customer_id], |row| {
        Ok(IdentifierRecord {
            kind: row.get(0)?,
            value: row.get(1)?,
            source: row.get(2)?,
            first_seen: row.get(3)?,
            last_seen: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn order_summary(conn: &Connection, customer_id: &str) -> StoreResult<OrderSummary> {
    let mut statement = conn.prepare_cached(
        "SELECT coalesce(sum(o.kind = 'order'), 0), coalesce(sum(o.kind = 'refund'), 0), \
         coalesce(sum(CASE WHEN o.kind = 'order' THEN o.total_cents END), 0), \
         coalesce(sum(CASE WHEN o.kind = 'refund' THEN o.total_cents END), 0), \
         min(CASE WHEN o.kind = 'order' THEN o.ordered_at END), max(CASE WHEN o.kind = 'order' THEN o.ordered_at END) \
         FROM orders o JOIN identifiers i ON o.identifier_id = i.id WHERE i.customer_id = ?1",
    )?;
    let summary = statement.query_row([customer_id], |row| {
        let revenue_cents: i64 = row.get(2)?;
        let refunded_cents: i64 = row.get(3)?;
        Ok(OrderSummary {
            orders: row.get::<_, i64>(0)?.max(0) as u64,
            refunds: row.get::<_, i64>(1)?.max(0) as u64,
            revenue_cents,
            refunded_cents,
            net_cents: revenue_cents + refunded_cents,
            first_order_at: row.get(4)?,
            last_order_at: row.get(5)?,
        })
    })?;
    Ok(summary)
}

fn latest_orders_of(
    conn: &Connection,
    customer_id: &str,
    limit: usize,
) -> StoreResult<Vec<OrderRecord>> {
    let mut statement = conn.prepare_cached(
        "SELECT o.id, o.order_key, o.kind, o.ordered_at, o.total_cents, o.currency, o.status, o.source \
         FROM orders o JOIN identifiers i ON o.identifier_id = i.id WHERE i.customer_id = ?1 \
         ORDER BY o.ordered_at DESC, o.id DESC LIMIT ?2",
    )?;
    let headers = statement.query_map(params![customer_id, limit as i64], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            OrderRecord {
                order_key: row.get(1)?,
                kind: row.get(2)?,
                ordered_at: row.get(3)?,
                total_cents: row.get(4)?,
                currency: row.get(5)?,
                status: row.get(6)?,
                source: row.get(7)?,
                lines: Vec::new(),
            },
        ))
    })?;
    let mut orders: Vec<(i64, OrderRecord)> = headers.collect::<Result<_, _>>()?;
    let ids: Vec<i64> = orders.iter().map(|(id, _)| *id).collect();
    let sql = format!(
        "SELECT order_id, product_id, product_name, category, quantity, unit_price_cents, amount_cents \
         FROM order_lines WHERE order_id IN ({}) ORDER BY order_id, line_key",
        in_list(&ids)
    );
    let mut lines_statement = conn.prepare(&sql)?;
    let lines = lines_statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            OrderLineRecord {
                product_id: row.get(1)?,
                product_name: row.get(2)?,
                category: row.get(3)?,
                quantity: row.get(4)?,
                unit_price_cents: row.get(5)?,
                amount_cents: row.get(6)?,
            },
        ))
    })?;
    for line in lines {
        let (order_id, record) = line?;
        if let Some((_, order)) = orders.iter_mut().find(|(id, _)| *id == order_id) {
            order.lines.push(record);
        }
    }
    Ok(orders.into_iter().map(|(_, order)| order).collect())
}

pub(crate) fn merge_from_row(row: &Row<'_>) -> rusqlite::Result<MergeRecord> {
    Ok(MergeRecord {
        id: row.get(0)?,
        from_customer: row.get(1)?,
        into_customer: row.get(2)?,
        from_identifier: row.get(3)?,
        into_identifier: row.get(4)?,
        cause: row.get(5)?,
        merged_at: row.get(6)?,
        undone_at: row.get(7)?,
    })
}

pub(crate) fn merge_history(conn: &Connection, customer_id: &str) -> StoreResult<Vec<MergeRecord>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, from_customer, into_customer, from_identifier, into_identifier, cause, merged_at, undone_at \
         FROM merges WHERE from_customer = ?1 OR into_customer = ?1 ORDER BY merged_at DESC, id DESC",
    )?;
    let rows = statement.query_map([customer_id], merge_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn timeline(
    conn: &Connection,
    customer_id: &str,
    before: Option<TimelineCursor>,
    limit: usize,
) -> StoreResult<Vec<TimelineEntry>> {
    let cursor = before.unwrap_or(TimelineCursor {
        at: i64::MAX,
        stream: i64::MAX,
        id: i64::MAX,
    });
    let mut statement = conn.prepare_cached(
        "SELECT stream, id, at, kind, title, channel, source, total_cents, currency, line_count, status, properties FROM ( \
           SELECT 0 AS stream, o.id AS id, o.ordered_at AS at, o.kind AS kind, o.order_key AS title, NULL AS channel, \
                  o.source AS source, o.total_cents AS total_cents, o.currency AS currency, o.line_count AS line_count, \
                  o.status AS status, NULL AS properties \
             FROM orders o JOIN identifiers i ON o.identifier_id = i.id WHERE i.customer_id = ?1 \
           UNION ALL \
           SELECT 1, e.id, e.occurred_at, e.type, coalesce(e.name, e.type), e.channel, e.source, NULL, NULL, NULL, NULL, \
                  e.properties \
             FROM events e JOIN identifiers i ON e.identifier_id = i.id WHERE i.customer_id = ?1 \
           UNION ALL \
           SELECT 2, p.id, p.at, 'playbook', p.playbook || ': ' || p.action, NULL, 'playbook:' || p.playbook, \
                  NULL, NULL, NULL, NULL, p.detail \
             FROM playbook_actions p WHERE p.customer_id = ?1 AND p.outcome <> 'pending' \
         ) WHERE (at, stream, id) < (?2, ?3, ?4) ORDER BY at DESC, stream DESC, id DESC LIMIT ?5",
    )?;
    let rows = statement.query_map(
        params![
            customer_id,
            cursor.at,
            cursor.stream,
            cursor.id,
            limit as i64
        ],
        |row| {
            let stream: i64 = row.get(0)?;
            let properties: Option<String> = row.get(11)?;
            let detail = match properties {
                Some(text) => serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
                None => order_detail(row.get(7)?, row.get(8)?, row.get(9)?, row.get(10)?),
            };
            Ok(TimelineEntry {
                kind: row.get(3)?,
                at: row.get(2)?,
                title: row.get(4)?,
                channel: row.get(5)?,
                source: row.get(6)?,
                detail,
                cursor: TimelineCursor {
                    at: row.get(2)?,
                    stream,
                    id: row.get(1)?,
                },
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn list_customers(
    conn: &Connection,
    query: &CustomerQuery,
) -> StoreResult<Vec<CustomerListItem>> {
    let mut conditions = vec!["c.id > ?1".to_string()];
    let mut args: Vec<String> = vec![query.after.clone().unwrap_or_default()];
    let mut alternatives = Vec::new();
    for identifier in &query.identifiers {
        args.push(identifier.kind.as_str().into_owned());
        args.push(identifier.value.clone());
        let (kind_arg, value_arg) = (args.len() - 1, args.len());
        alternatives.push(format!(
            "c.id IN (SELECT customer_id FROM identifiers WHERE kind = ?{kind_arg} AND value = ?{value_arg})"
        ));
    }
    if let Some(prefix) = query.search.as_ref().filter(|text| !text.trim().is_empty()) {
        let lowered = prefix.trim().to_lowercase();
        args.push(lowered.clone());
        args.push(format!("{lowered}\u{10FFFF}"));
        alternatives.push(format!(
            "(lower(c.name) >= ?{} AND lower(c.name) < ?{})",
            args.len() - 1,
            args.len()
        ));
    }
    if !alternatives.is_empty() {
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    let sql = format!(
        "SELECT c.id, c.name, \
         (SELECT value FROM identifiers WHERE customer_id = c.id AND kind = 'email' ORDER BY value LIMIT 1), \
         (SELECT value FROM identifiers WHERE customer_id = c.id AND kind = 'phone' ORDER BY value LIMIT 1), \
         c.country, c.created_at FROM customers c WHERE {} ORDER BY c.id LIMIT {}",
        conditions.join(" AND "),
        query.limit.max(1)
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(args.iter()), |row| {
        Ok(CustomerListItem {
            id: row.get(0)?,
            name: row.get(1)?,
            email: row.get(2)?,
            phone: row.get(3)?,
            country: row.get(4)?,
            created_at: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn api_key_from_row(row: &Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        role: row.get(2)?,
        source: row.get(3)?,
        prefix: row.get(4)?,
        key_hash: row.get(5)?,
        created_at: row.get(6)?,
        revoked_at: row.get(7)?,
    })
}

const API_KEY_COLUMNS: &str = "id, name, role, source, prefix, key_hash, created_at, revoked_at";

pub(crate) fn find_api_key(conn: &Connection, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([key_hash], api_key_from_row)
        .optional()?)
}

pub(crate) fn list_api_keys(conn: &Connection) -> StoreResult<Vec<ApiKeyRecord>> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id");
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([], api_key_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn stats(conn: &Connection) -> StoreResult<StoreStats> {
    let count = |table: &str| -> StoreResult<u64> {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })?;
        Ok(n.max(0) as u64)
    };
    Ok(StoreStats {
        customers: count("customers")?,
        identifiers: count("identifiers")?,
        orders: count("orders")?,
        order_lines: count("order_lines")?,
        products: count("products")?,
        events: count("events")?,
    })
}
