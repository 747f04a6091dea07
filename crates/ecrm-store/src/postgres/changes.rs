//! The change cursor, segment facts and event aggregates for PostgreSQL.

use ecrm_core::segment::{Aggregate, AggregateFn};
use ecrm_core::time::Millis;
use postgres::types::ToSql;

use super::PostgresStore;
use crate::error::StoreResult;
use crate::segments_model::{ChangeBatch, ChangeCursor, ChangeKind, CustomerChange, FactRow};
use crate::sql_segments::{Bound, aggregate_sql, journal_changes, op, path_parts};

const JOURNAL: &str = "SELECT id, customer_id, kind, detail FROM customer_changes \
     WHERE id > $1 ORDER BY id LIMIT $2";
const EVENTS: &str = "SELECT e.id, i.customer_id, e.type, e.name FROM events e \
     LEFT JOIN identifiers i ON i.id = e.identifier_id WHERE e.id > $1 ORDER BY e.id LIMIT $2";

const PROFILES: &str = "SELECT id, name, gender, birthday, country, city, signup_at, attributes FROM customers \
     WHERE $1::TEXT[] IS NULL OR id = ANY($1)";
const ORDERS: &str = "SELECT i.customer_id, (count(*) FILTER (WHERE o.kind = 'order'))::BIGINT, \
       coalesce(sum(o.total_cents), 0)::BIGINT, \
       min(o.ordered_at) FILTER (WHERE o.kind = 'order'), max(o.ordered_at) FILTER (WHERE o.kind = 'order') \
     FROM orders o JOIN identifiers i ON i.id = o.identifier_id \
     WHERE o.kind IN ('order', 'refund') AND ($1::TEXT[] IS NULL OR i.customer_id = ANY($1)) \
     GROUP BY i.customer_id";
const TRAITS: &str = "SELECT customer_id, name, value FROM traits \
     WHERE ($1::TEXT[] IS NULL OR customer_id = ANY($1)) AND ($2::TEXT[] IS NULL OR name = ANY($2))";
const IDENTIFIER_KINDS: &str = "SELECT DISTINCT customer_id, kind FROM identifiers \
     WHERE $1::TEXT[] IS NULL OR customer_id = ANY($1)";

impl PostgresStore {
    pub(crate) fn changes_since(
        &self,
        cursor: &ChangeCursor,
        limit: usize,
    ) -> StoreResult<ChangeBatch> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|session| {
            let mut batch = ChangeBatch {
                changes: Vec::new(),
                next: *cursor,
            };
            for row in session.query(JOURNAL, &[&cursor.journal, &limit])? {
                batch.next.journal = row.try_get(0)?;
                let kind: String = row.try_get(2)?;
                journal_changes(row.try_get(1)?, &kind, row.try_get(3)?, &mut batch.changes);
            }
            for row in session.query(EVENTS, &[&cursor.events, &limit])? {
                batch.next.events = row.try_get(0)?;
                if let Some(customer_id) = row.try_get::<_, Option<String>>(1)? {
                    batch.changes.push(CustomerChange {
                        customer_id,
                        change: ChangeKind::Event {
                            kind: row.try_get(2)?,
                            name: row.try_get(3)?,
                        },
                    });
                }
            }
            Ok(batch)
        })
    }

    pub(crate) fn cursor_head(&self) -> StoreResult<ChangeCursor> {
        self.read(|session| {
            let row = session.query_one(
                "SELECT (SELECT coalesce(max(id), 0) FROM customer_changes)::BIGINT, \
                 (SELECT coalesce(max(id), 0) FROM events)::BIGINT",
                &[],
            )?;
            Ok(ChangeCursor {
                journal: row.try_get(0)?,
                events: row.try_get(1)?,
            })
        })
    }

    pub(crate) fn consumer_position(&self, consumer: &str) -> StoreResult<Option<ChangeCursor>> {
        self.read(|session| {
            let row = session.query_opt(
                "SELECT position FROM change_consumers WHERE name = $1",
                &[&consumer],
            )?;
            let position: Option<String> = row.map(|row| row.try_get(0)).transpose()?;
            Ok(position.as_deref().and_then(ChangeCursor::decode))
        })
    }

    pub(crate) fn save_consumer_position(
        &self,
        consumer: &str,
        cursor: &ChangeCursor,
        at: Millis,
    ) -> StoreResult<()> {
        self.with_connection(|conn| {
            conn.client.execute(
                "INSERT INTO change_consumers (name, position, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
                &[&consumer, &cursor.encode(), &at],
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
        use postgres::fallible_iterator::FallibleIterator;
        let ids: Option<Vec<String>> = customers.map(<[String]>::to_vec);
        let names: Option<Vec<String>> = traits.map(<[String]>::to_vec);
        self.with_connection(|conn| {
            let mut count = 0u64;
            let params: [&(dyn ToSql + Sync); 1] = [&ids];
            {
                let mut rows = conn.client.query_raw(PROFILES, params)?;
                while let Some(row) = rows.next()? {
                    count += 1;
                    sink(FactRow::Profile {
                        customer_id: row.try_get(0)?,
                        name: row.try_get(1)?,
                        gender: row.try_get(2)?,
                        birthday: row.try_get(3)?,
                        country: row.try_get(4)?,
                        city: row.try_get(5)?,
                        signup_at: row.try_get(6)?,
                        attributes: row.try_get(7)?,
                    })?;
                }
            }
            {
                let mut rows = conn.client.query_raw(ORDERS, params)?;
                while let Some(row) = rows.next()? {
                    count += 1;
                    sink(FactRow::Orders {
                        customer_id: row.try_get(0)?,
                        orders: row.try_get(1)?,
                        revenue_cents: row.try_get(2)?,
                        first_order_at: row.try_get(3)?,
                        last_order_at: row.try_get(4)?,
                    })?;
                }
            }
            {
                let trait_params: [&(dyn ToSql + Sync); 2] = [&ids, &names];
                let mut rows = conn.client.query_raw(TRAITS, trait_params)?;
                while let Some(row) = rows.next()? {
                    count += 1;
                    sink(FactRow::Trait {
                        customer_id: row.try_get(0)?,
                        name: row.try_get(1)?,
                        value: row.try_get(2)?,
                    })?;
                }
            }
            {
                let mut rows = conn.client.query_raw(IDENTIFIER_KINDS, params)?;
                while let Some(row) = rows.next()? {
                    count += 1;
                    sink(FactRow::Identifier {
                        customer_id: row.try_get(0)?,
                        kind: row.try_get(1)?,
                    })?;
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
        let mut values: Vec<Box<dyn ToSql + Sync>> = vec![
            Box::new(aggregate.event.clone()),
            Box::new(since.unwrap_or(i64::MIN)),
        ];
        let value_sql = match &aggregate.property {
            Some(property) => {
                values.push(Box::new(path_parts(property)));
                let n = values.len();
                format!(
                    "CASE WHEN jsonb_typeof(e.properties::jsonb #> ${n}::TEXT[]) = 'number' \
                     THEN (e.properties::jsonb #>> ${n}::TEXT[])::FLOAT8 END"
                )
            }
            None => "NULL::FLOAT8".to_string(),
        };
        let function = match aggregate.function {
            AggregateFn::Sum => format!("coalesce(sum({value_sql}), 0)"),
            other => aggregate_sql(other, &value_sql, "sum"),
        };
        let mut sql = format!(
            "SELECT i.customer_id, ({function})::FLOAT8 FROM events e \
             JOIN identifiers i ON i.id = e.identifier_id WHERE e.name = $1 AND e.occurred_at >= $2"
        );
        if let Some(ids) = customers {
            values.push(Box::new(ids.to_vec()));
            sql.push_str(&format!(
                " AND i.customer_id = ANY(${}::TEXT[])",
                values.len()
            ));
        }
        for filter in &aggregate.filters {
            values.push(Box::new(path_parts(&filter.property)));
            let path = values.len();
            let (kind, cast) = match Bound::from(&filter.value) {
                Bound::Number(n) => {
                    values.push(Box::new(n));
                    ("number", "::FLOAT8")
                }
                Bound::Text(text) => {
                    values.push(Box::new(text));
                    ("string", " COLLATE \"C\"")
                }
                Bound::Bool(b) => {
                    values.push(Box::new(b));
                    ("boolean", "::BOOLEAN")
                }
            };
            sql.push_str(&format!(
                " AND (CASE WHEN jsonb_typeof(e.properties::jsonb #> ${path}::TEXT[]) = '{kind}' \
                 THEN (e.properties::jsonb #>> ${path}::TEXT[]) END){cast} {} ${}",
                op(filter.cmp),
                values.len()
            ));
        }
        sql.push_str(" GROUP BY i.customer_id");
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|value| value.as_ref()).collect();
        self.read(|session| {
            let rows = session.query_uncached(&sql, &params)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                if let Some(value) = row.try_get::<_, Option<f64>>(1)? {
                    out.push((row.try_get(0)?, value));
                }
            }
            Ok(out)
        })
    }
}
