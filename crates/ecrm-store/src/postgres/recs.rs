//! Recommender reads and writes for PostgreSQL: customer order lines and product interactions
//! (streamed with `query_raw`), the catalogue's serving flags, and stored models.

use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::PostgresStore;
use crate::error::StoreResult;
use crate::recs_model::{
    InteractionKind, RecsInteraction, RecsLine, RecsModelInput, RecsModelRecord, RecsProduct,
};

const LINES: &str = "SELECT i.customer_id, o.order_key, o.ordered_at, l.product_id, l.quantity, \
       l.unit_price_cents \
     FROM orders o JOIN identifiers i ON i.id = o.identifier_id \
     JOIN order_lines l ON l.order_id = o.id \
     WHERE o.kind = 'order' AND l.product_id IS NOT NULL";

const CUSTOMER_LINES: &str = "SELECT i.customer_id, o.order_key, o.ordered_at, l.product_id, \
       l.quantity, l.unit_price_cents \
     FROM identifiers i JOIN orders o ON o.identifier_id = i.id \
     JOIN order_lines l ON l.order_id = o.id \
     WHERE i.customer_id = $1 AND o.kind = 'order' AND l.product_id IS NOT NULL";

const INTERACTIONS: &str = "SELECT i.customer_id, p ->> 'product_id', e.name, e.occurred_at, \
       CASE WHEN jsonb_typeof(p -> 'dwell_seconds') = 'number' \
         THEN (p ->> 'dwell_seconds')::NUMERIC::BIGINT END \
     FROM events e JOIN identifiers i ON i.id = e.identifier_id, \
       LATERAL (SELECT e.properties::JSONB AS p) props \
     WHERE e.type = 'track' AND e.name IN ('Product Viewed', 'Product Added') \
       AND p ->> 'product_id' IS NOT NULL";

const MODEL_COLUMNS: &str =
    "SELECT id, kind, parameters, payload, trained_at FROM recommendation_models";

impl PostgresStore {
    pub(crate) fn recs_lines(
        &self,
        customer_id: Option<&str>,
        sink: &mut dyn FnMut(&RecsLine<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            let mut rows = match customer_id {
                Some(id) => {
                    let params: [&(dyn ToSql + Sync); 1] = [&id];
                    conn.client.query_raw(CUSTOMER_LINES, params)?
                }
                None => conn
                    .client
                    .query_raw(LINES, std::iter::empty::<&(dyn ToSql + Sync)>())?,
            };
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                sink(&RecsLine {
                    customer_id: row.try_get(0)?,
                    order_key: row.try_get(1)?,
                    ordered_at: row.try_get(2)?,
                    product_id: row.try_get(3)?,
                    quantity: row.try_get(4)?,
                    unit_price_cents: row.try_get(5)?,
                })?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn recs_interactions(
        &self,
        sink: &mut dyn FnMut(&RecsInteraction<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            let mut rows = conn
                .client
                .query_raw(INTERACTIONS, std::iter::empty::<&(dyn ToSql + Sync)>())?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                let name: &str = row.try_get(2)?;
                let kind = if name == "Product Added" {
                    InteractionKind::CartAdd
                } else {
                    InteractionKind::View
                };
                sink(&RecsInteraction {
                    customer_id: row.try_get(0)?,
                    product_id: row.try_get(1)?,
                    kind,
                    occurred_at: row.try_get(3)?,
                    dwell_seconds: row.try_get(4)?,
                })?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn recs_products(&self) -> StoreResult<Vec<RecsProduct>> {
        self.with_connection(|conn| {
            let rows = conn.client.query(
                "SELECT id, name, category, active, in_stock FROM products ORDER BY id COLLATE \"C\"",
                &[],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(RecsProduct {
                        product_id: row.try_get(0)?,
                        name: row.try_get(1)?,
                        category: row.try_get(2)?,
                        active: flag(row, 3)?,
                        in_stock: flag(row, 4)?,
                    })
                })
                .collect()
        })
    }

    pub(crate) fn recs_model_write(&self, model: &RecsModelInput) -> StoreResult<i64> {
        self.with_connection(|conn| {
            let row = conn.client.query_one(
                "INSERT INTO recommendation_models (kind, parameters, payload, trained_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    &model.kind,
                    &model.parameters,
                    &model.payload,
                    &model.trained_at,
                ],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    pub(crate) fn recs_model_latest(&self, kind: &str) -> StoreResult<Option<RecsModelRecord>> {
        self.with_connection(|conn| {
            let sql = format!("{MODEL_COLUMNS} WHERE kind = $1 ORDER BY id DESC LIMIT 1");
            let row = conn.client.query_opt(sql.as_str(), &[&kind])?;
            row.map(|row| {
                Ok(RecsModelRecord {
                    id: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    parameters: row.try_get(2)?,
                    payload: row.try_get(3)?,
                    trained_at: row.try_get(4)?,
                })
            })
            .transpose()
        })
    }
}

/// A 0/1 flag column.
fn flag(row: &Row, index: usize) -> StoreResult<bool> {
    Ok(row.try_get::<_, i64>(index)? != 0)
}
