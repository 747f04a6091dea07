//! Reads for PostgreSQL: the 360° view, timelines, lists.
//!
//! Text keys are compared and sorted with `COLLATE "C"` (byte order), as SQLite's BINARY collation
//! does, so pagination and ordering agree whatever the database's default collation is.

use ecrm_core::Identifier;
use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use super::Session;
use crate::error::{StoreError, StoreResult};
use crate::model::{
    ApiKeyRecord, Customer360, CustomerListItem, CustomerQuery, CustomerRecord, IdentifierRecord,
    MergeRecord, OrderLineRecord, OrderRecord, OrderSummary, StoreStats, TimelineCursor,
    TimelineEntry,
};
use crate::sql_common::order_detail;

pub(crate) fn find_customer_id<C: GenericClient>(
    session: &mut Session<'_, C>,
    identifier: &Identifier,
) -> StoreResult<Option<String>> {
    let kind = identifier.kind.as_str();
    let found = session.query_opt(
        "SELECT customer_id FROM identifiers WHERE kind = $1 AND value = $2",
        &[&kind.as_ref(), &identifier.value],
    )?;
    match found {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

pub(crate) fn customer_360<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
    latest_orders: usize,
) -> StoreResult<Customer360> {
    let found = session.query_opt(
        "SELECT id, name, gender, birthday, country, city, signup_at, attributes, created_at, updated_at \
         FROM customers WHERE id = $1",
        &[&customer_id],
    )?;
    let Some(row) = found else {
        return Err(StoreError::NotFound(format!("customer {customer_id}")));
    };
    Ok(Customer360 {
        customer: customer_from_row(&row)?,
        identifiers: identifiers_of(session, customer_id)?,
        order_summary: order_summary(session, customer_id)?,
        latest_orders: latest_orders_of(session, customer_id, latest_orders)?,
        merges: merge_history(session, customer_id)?,
    })
}

fn customer_from_row(row: &Row) -> StoreResult<CustomerRecord> {
    let attributes: String = row.try_get(7)?;
    Ok(CustomerRecord {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        gender: row.try_get(2)?,
        birthday: row.try_get(3)?,
        country: row.try_get(4)?,
        city: row.try_get(5)?,
        signup_at: row.try_get(6)?,
        attributes: serde_json::from_str(&attributes)?,
        created_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
    })
}

fn identifiers_of<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
) -> StoreResult<Vec<IdentifierRecord>> {
    let rows = session.query(
        "SELECT kind, value, source, first_seen, last_seen FROM identifiers WHERE customer_id = $1 \
         ORDER BY kind COLLATE \"C\", value COLLATE \"C\"",
        &[&customer_id],
    )?;
    let mut res = Vec::with_capacity(rows.len());
    for row in rows {
        res.push(IdentifierRecord {
            kind: row.try_get(0)?,
            value: row.try_get(1)?,
            source: row.try_get(2)?,
            first_seen: row.try_get(3)?,
            last_seen: row.try_get(4)?,
        });
    }
    Ok(res)
}

fn order_summary<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
) -> StoreResult<OrderSummary> {
    let row = session.query_one(
        "SELECT coalesce(sum(CASE WHEN o.kind = 'order' THEN 1 ELSE 0 END), 0)::BIGINT, \
         coalesce(sum(CASE WHEN o.kind = 'refund' THEN 1 ELSE 0 END), 0)::BIGINT, \
         coalesce(sum(CASE WHEN o.kind = 'order' THEN o.total_cents END), 0)::BIGINT, \
         coalesce(sum(CASE WHEN o.kind = 'refund' THEN o.total_cents END), 0)::BIGINT, \
         min(CASE WHEN o.kind = 'order' THEN o.ordered_at END), max(CASE WHEN o.kind = 'order' THEN o.ordered_at END) \
         FROM orders o JOIN identifiers i ON o.identifier_id = i.id WHERE i.customer_id = $1",
        &[&customer_id],
    )?;
    let orders: i64 = row.try_get(0)?;
    let refunds: i64 = row.try_get(1)?;
    let revenue_cents: i64 = row.try_get(2)?;
    let refunded_cents: i64 = row.try_get(3)?;
    Ok(OrderSummary {
        orders: orders.max(0) as u64,
        refunds: refunds.max(0) as u64,
        revenue_cents,
        refunded_cents,
        net_cents: revenue_cents + refunded_cents,
        first_order_at: row.try_get(4)?,
        last_order_at: row.try_get(5)?,
    })
}

fn latest_orders_of<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
    limit: usize,
) -> StoreResult<Vec<OrderRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let headers = session.query(
        "SELECT o.id, o.order_key, o.kind, o.ordered_at, o.total_cents, o.currency, o.status, o.source \
         FROM orders o JOIN identifiers i ON o.identifier_id = i.id WHERE i.customer_id = $1 \
         ORDER BY o.ordered_at DESC, o.id DESC LIMIT $2",
        &[&customer_id, &limit],
    )?;
    let mut orders: Vec<(i64, OrderRecord)> = Vec::with_capacity(headers.len());
    for row in headers {
        let order = OrderRecord {
            order_key: row.try_get(1)?,
            kind: row.try_get(2)?,
            ordered_at: row.try_get(3)?,
            total_cents: row.try_get(4)?,
            currency: row.try_get(5)?,
            status: row.try_get(6)?,
            source: row.try_get(7)?,
            lines: Vec::new(),
        };
        orders.push((row.try_get(0)?, order));
    }
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = orders.iter().map(|(id, _)| *id).collect();
    let lines = session.query(
        "SELECT order_id, product_id, product_name, category, quantity, unit_price_cents, amount_cents \
         FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, line_key",
        &[&ids],
    )?;
    for row in lines {
        let order_id: i64 = row.try_get(0)?;
        let record = OrderLineRecord {
            product_id: row.try_get(1)?,
            product_name: row.try_get(2)?,
            category: row.try_get(3)?,
            quantity: row.try_get(4)?,
            unit_price_cents: row.try_get(5)?,
            amount_cents: row.try_get(6)?,
        };
        if let Some((_, order)) = orders.iter_mut().find(|(id, _)| *id == order_id) {
            order.lines.push(record);
        }
    }
    Ok(orders.into_iter().map(|(_, order)| order).collect())
}

pub(crate) fn merge_from_row(row: &Row) -> StoreResult<MergeRecord> {
    Ok(MergeRecord {
        id: row.try_get(0)?,
        from_customer: row.try_get(1)?,
        into_customer: row.try_get(2)?,
        from_identifier: row.try_get(3)?,
        into_identifier: row.try_get(4)?,
        cause: row.try_get(5)?,
        merged_at: row.try_get(6)?,
        undone_at: row.try_get(7)?,
    })
}

pub(crate) fn merge_history<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
) -> StoreResult<Vec<MergeRecord>> {
    let rows = session.query(
        "SELECT id, from_customer, into_customer, from_identifier, into_identifier, cause, merged_at, undone_at \
         FROM merges WHERE from_customer = $1 OR into_customer = $1 ORDER BY merged_at DESC, id DESC",
        &[&customer_id],
    )?;
    let mut res = Vec::with_capacity(rows.len());
    for row in rows {
        res.push(merge_from_row(&row)?);
    }
    Ok(res)
}

/// Orders (stream 0), events (stream 1) and playbook actions (stream 2) of a customer, newest first, strictly before the cursor.
const TIMELINE: &str = "SELECT t.stream, t.id, t.at, t.kind, t.title, t.channel, t.source, t.total_cents, t.currency, \
     t.line_count, t.status, t.properties FROM ( \
       SELECT 0::BIGINT AS stream, o.id AS id, o.ordered_at AS at, o.kind AS kind, o.order_key AS title, \
              NULL::TEXT AS channel, o.source AS source, o.total_cents AS total_cents, o.currency AS currency, \
              o.line_count AS line_count, o.status AS status, NULL::TEXT AS properties \
         FROM orders o JOIN identifiers i ON o.identifier_id = i.id WHERE i.customer_id = $1 \
       UNION ALL \
       SELECT 1::BIGINT, e.id, e.occurred_at, e.type, coalesce(e.name, e.type), e.channel, e.source, NULL::BIGINT, \
              NULL::TEXT, NULL::BIGINT, NULL::TEXT, e.properties \
         FROM events e JOIN identifiers i ON e.identifier_id = i.id WHERE i.customer_id = $1 \
       UNION ALL \
       SELECT 2::BIGINT, p.id, p.at, 'playbook', p.playbook || ': ' || p.action, NULL::TEXT, 'playbook:' || p.playbook, \
              NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::TEXT, p.detail \
         FROM playbook_actions p WHERE p.customer_id = $1 AND p.outcome <> 'pending' \
     ) AS t WHERE (t.at, t.stream, t.id) < ($2, $3, $4) ORDER BY t.at DESC, t.stream DESC, t.id DESC LIMIT $5";

pub(crate) fn timeline<C: GenericClient>(
    session: &mut Session<'_, C>,
    customer_id: &str,
    before: Option<TimelineCursor>,
    limit: usize,
) -> StoreResult<Vec<TimelineEntry>> {
    let cursor = before.unwrap_or(TimelineCursor {
        at: i64::MAX,
        stream: i64::MAX,
        id: i64::MAX,
    });
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = session.query(
        TIMELINE,
        &[&customer_id, &cursor.at, &cursor.stream, &cursor.id, &limit],
    )?;
    let mut res = Vec::with_capacity(rows.len());
    for row in rows {
        let at: i64 = row.try_get(2)?;
        let properties: Option<String> = row.try_get(11)?;
        let detail = match properties {
            Some(text) => serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            None => order_detail(
                row.try_get(7)?,
                row.try_get(8)?,
                row.try_get(9)?,
                row.try_get(10)?,
            ),
        };
        res.push(TimelineEntry {
            kind: row.try_get(3)?,
            at,
            title: row.try_get(4)?,
            channel: row.try_get(5)?,
            source: row.try_get(6)?,
            detail,
            cursor: TimelineCursor {
                at,
                stream: row.try_get(0)?,
                id: row.try_get(1)?,
            },
        });
    }
    Ok(res)
}

pub(crate) fn list_customers<C: GenericClient>(
    session: &mut Session<'_, C>,
    query: &CustomerQuery,
) -> StoreResult<Vec<CustomerListItem>> {
    let mut conditions = vec!["c.id COLLATE \"C\" > $1".to_string()];
    let mut args: Vec<String> = vec![query.after.clone().unwrap_or_default()];
    let mut alternatives = Vec::new();
    for identifier in &query.identifiers {
        args.push(identifier.kind.as_str().into_owned());
        args.push(identifier.value.clone());
        let (kind_arg, value_arg) = (args.len() - 1, args.len());
        alternatives.push(format!(
            "c.id IN (SELECT customer_id FROM identifiers WHERE kind = ${kind_arg} AND value = ${value_arg})"
        ));
    }
    if let Some(prefix) = query.search.as_ref().filter(|text| !text.trim().is_empty()) {
        args.push(format!("{}%", escape_like(&prefix.trim().to_lowercase())));
        alternatives.push(format!("lower(c.name) LIKE ${} ESCAPE '\\'", args.len()));
    }
    if !alternatives.is_empty() {
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    let sql = format!(
        "SELECT c.id, c.name, \
         (SELECT value FROM identifiers WHERE customer_id = c.id AND kind = 'email' ORDER BY value COLLATE \"C\" LIMIT 1), \
         (SELECT value FROM identifiers WHERE customer_id = c.id AND kind = 'phone' ORDER BY value COLLATE \"C\" LIMIT 1), \
         c.country, c.created_at FROM customers c WHERE {} ORDER BY c.id COLLATE \"C\" LIMIT {}",
        conditions.join(" AND "),
        query.limit.max(1)
    );
    let params: Vec<&(dyn ToSql + Sync)> =
        args.iter().map(|arg| arg as &(dyn ToSql + Sync)).collect();
    let rows = session.query_uncached(&sql, &params)?;
    let mut res = Vec::with_capacity(rows.len());
    for row in rows {
        res.push(CustomerListItem {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            email: row.try_get(2)?,
            phone: row.try_get(3)?,
            country: row.try_get(4)?,
            created_at: row.try_get(5)?,
        });
    }
    Ok(res)
}

/// Escapes `%`, `_` and the escape character itself, so `text` matches literally in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            res.push('\\');
        }
        res.push(ch);
    }
    res
}

fn api_key_from_row(row: &Row) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        role: row.try_get(2)?,
        source: row.try_get(3)?,
        prefix: row.try_get(4)?,
        key_hash: row.try_get(5)?,
        created_at: row.try_get(6)?,
        revoked_at: row.try_get(7)?,
    })
}

pub(crate) fn find_api_key<C: GenericClient>(
    session: &mut Session<'_, C>,
    key_hash: &str,
) -> StoreResult<Option<ApiKeyRecord>> {
    let found = session.query_opt(
        "SELECT id, name, role, source, prefix, key_hash, created_at, revoked_at FROM api_keys WHERE key_hash = $1",
        &[&key_hash],
    )?;
    match found {
        Some(row) => Ok(Some(api_key_from_row(&row)?)),
        None => Ok(None),
    }
}

pub(crate) fn list_api_keys<C: GenericClient>(
    session: &mut Session<'_, C>,
) -> StoreResult<Vec<ApiKeyRecord>> {
    let rows = session.query(
        "SELECT id, name, role, source, prefix, key_hash, created_at, revoked_at FROM api_keys ORDER BY id",
        &[],
    )?;
    let mut res = Vec::with_capacity(rows.len());
    for row in rows {
        res.push(api_key_from_row(&row)?);
    }
    Ok(res)
}

pub(crate) fn stats<C: GenericClient>(session: &mut Session<'_, C>) -> StoreResult<StoreStats> {
    let row = session.query_one(
        "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM identifiers), (SELECT count(*) FROM orders), \
         (SELECT count(*) FROM order_lines), (SELECT count(*) FROM products), (SELECT count(*) FROM events)",
        &[],
    )?;
    let count = |idx: usize| -> StoreResult<u64> {
        let n: i64 = row.try_get(idx)?;
        Ok(n.max(0) as u64)
    };
    Ok(StoreStats {
        customers: count(0)?,
        identifiers: count(1)?,
        orders: count(2)?,
        order_lines: count(3)?,
        products: count(4)?,
        events: count(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(escape_like("ann"), "ann");
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
