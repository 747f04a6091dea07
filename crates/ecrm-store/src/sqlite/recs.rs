//! Recommender reads and writes for SQLite: customer order lines and product interactions
//! (streamed), the catalogue's serving flags, and stored models.

use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, lock};
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
     WHERE i.customer_id = ?1 AND o.kind = 'order' AND l.product_id IS NOT NULL";

const INTERACTIONS: &str = "SELECT i.customer_id, \
       CAST(json_extract(e.properties, '$.product_id') AS TEXT), e.name, e.occurred_at, \
       CASE WHEN json_type(e.properties, '$.dwell_seconds') IN ('integer', 'real') \
         THEN CAST(json_extract(e.properties, '$.dwell_seconds') AS INTEGER) END \
     FROM events e JOIN identifiers i ON i.id = e.identifier_id \
     WHERE e.type = 'track' AND e.name IN ('Product Viewed', 'Product Added') \
       AND json_extract(e.properties, '$.product_id') IS NOT NULL";

const MODEL_COLUMNS: &str =
    "SELECT id, kind, parameters, payload, trained_at FROM recommendation_models";

impl SqliteStore {
    pub(crate) fn recs_lines(
        &self,
        customer_id: Option<&str>,
        sink: &mut dyn FnMut(&RecsLine<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(match customer_id {
                Some(_) => CUSTOMER_LINES,
                None => LINES,
            })?;
            let mut rows = match customer_id {
                Some(id) => statement.query([id])?,
                None => statement.query([])?,
            };
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                let customer: &str = text(row, 0)?;
                let order_key: &str = text(row, 1)?;
                let product: &str = text(row, 3)?;
                sink(&RecsLine {
                    customer_id: customer,
                    order_key,
                    ordered_at: row.get(2)?,
                    product_id: product,
                    quantity: row.get(4)?,
                    unit_price_cents: row.get(5)?,
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
        self.read(|conn| {
            let mut statement = conn.prepare_cached(INTERACTIONS)?;
            let mut rows = statement.query([])?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                let name: String = row.get(2)?;
                let kind = if name == "Product Added" {
                    InteractionKind::CartAdd
                } else {
                    InteractionKind::View
                };
                sink(&RecsInteraction {
                    customer_id: text(row, 0)?,
                    product_id: text(row, 1)?,
                    kind,
                    occurred_at: row.get(3)?,
                    dwell_seconds: row.get(4)?,
                })?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn recs_products(&self) -> StoreResult<Vec<RecsProduct>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, name, category, active, in_stock FROM products ORDER BY id",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(RecsProduct {
                    product_id: row.get(0)?,
                    name: row.get(1)?,
                    category: row.get(2)?,
                    active: row.get::<_, i64>(3)? != 0,
                    in_stock: row.get::<_, i64>(4)? != 0,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn recs_model_write(&self, model: &RecsModelInput) -> StoreResult<i64> {
        let conn = lock(&self.writer)?;
        conn.execute(
            "INSERT INTO recommendation_models (kind, parameters, payload, trained_at) \
             VALUES (?1, ?2, ?3, ?4)",
            params![
                model.kind,
                model.parameters,
                model.payload,
                model.trained_at
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    pub(crate) fn recs_model_latest(&self, kind: &str) -> StoreResult<Option<RecsModelRecord>> {
        self.read(|conn| {
            let sql = format!("{MODEL_COLUMNS} WHERE kind = ?1 ORDER BY id DESC LIMIT 1");
            Ok(conn
                .query_row(&sql, [kind], |row| {
                    Ok(RecsModelRecord {
                        id: row.get(0)?,
                        kind: row.get(1)?,
                        parameters: row.get(2)?,
                        payload: row.get(3)?,
                        trained_at: row.get(4)?,
                    })
                })
                .optional()?)
        })
    }
}

/// A text column, borrowed from the row.
fn text<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> StoreResult<&'r str> {
    Ok(row
        .get_ref(index)?
        .as_str()
        .map_err(rusqlite::Error::from)?)
}
