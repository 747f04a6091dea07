//! Customer-intelligence reads and writes for SQLite: purchase days per customer (one GROUP BY
//! streamed), bulk trait writes with history, and model fits.

use ecrm_core::time::Millis;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, lock};
use crate::analytics_model::{
    CustomerDays, ModelFitInput, ModelFitRecord, PurchaseDay, TraitRecord, TraitWrite,
    TraitWriteCounts,
};
use crate::error::StoreResult;
use crate::sql_common::CustomerDaysGrouper;

/// Orders and refunds per customer and UTC day (floor division, so times before 1970 work too).
const PURCHASE_DAYS: &str = "SELECT i.customer_id, \
       (o.ordered_at - (((o.ordered_at % 86400000) + 86400000) % 86400000)) / 86400000 AS day, \
       sum(o.kind = 'order'), \
       sum(CASE WHEN o.kind = 'order' THEN o.total_cents ELSE 0 END), \
       sum(CASE WHEN o.kind = 'refund' THEN o.total_cents ELSE 0 END) \
     FROM orders o JOIN identifiers i ON i.id = o.identifier_id \
     WHERE o.ordered_at < ?1 AND o.kind IN ('order', 'refund') \
     GROUP BY i.customer_id, day ORDER BY i.customer_id, day";

const FIT_COLUMNS: &str =
    "id, model, parameters, log_likelihood, window_start, window_end, fitted_at";

impl SqliteStore {
    pub(crate) fn purchase_days(
        &self,
        until: Millis,
        sink: &mut dyn FnMut(CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(PURCHASE_DAYS)?;
            let mut rows = statement.query([until])?;
            let mut grouper = CustomerDaysGrouper::new();
            while let Some(row) = rows.next()? {
                let customer_id: String = row.get(0)?;
                let day = PurchaseDay {
                    day: row.get(1)?,
                    orders: row.get(2)?,
                    order_cents: row.get(3)?,
                    refund_cents: row.get(4)?,
                };
                grouper.push(customer_id, day, sink)?;
            }
            grouper.finish(sink)
        })
    }

    pub(crate) fn traits_write(
        &self,
        traits: &mut dyn Iterator<Item = TraitWrite>,
        computed_at: Millis,
        model_fit_id: Option<i64>,
    ) -> StoreResult<TraitWriteCounts> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut counts = TraitWriteCounts::default();
        {
            let mut current =
                tx.prepare_cached("SELECT value FROM traits WHERE customer_id = ?1 AND name = ?2")?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO traits (customer_id, name, value, computed_at, model_fit_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (customer_id, name) DO UPDATE SET \
                 value = excluded.value, computed_at = excluded.computed_at, \
                 model_fit_id = excluded.model_fit_id",
            )?;
            let mut history = tx.prepare_cached(
                "INSERT INTO trait_history (customer_id, name, value, computed_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for item in traits {
                let old: Option<String> = current
                    .query_row(params![item.customer_id, item.name], |row| row.get(0))
                    .optional()?;
                upsert.execute(params![
                    item.customer_id,
                    item.name,
                    item.value,
                    computed_at,
                    model_fit_id
                ])?;
                counts.written += 1;
                if old.as_deref() != Some(item.value.as_str()) {
                    history.execute(params![
                        item.customer_id,
                        item.name,
                        item.value,
                        computed_at
                    ])?;
                    counts.changed += 1;
                }
            }
        }
        tx.commit()?;
        Ok(counts)
    }

    pub(crate) fn traits_of(&self, customer_id: &str) -> StoreResult<Vec<TraitRecord>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT name, value, computed_at, model_fit_id FROM traits \
                 WHERE customer_id = ?1 ORDER BY name",
            )?;
            let rows = statement.query_map([customer_id], |row| {
                Ok(TraitRecord {
                    name: row.get(0)?,
                    value: row.get(1)?,
                    computed_at: row.get(2)?,
                    model_fit_id: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn fit_insert(&self, fit: &ModelFitInput) -> StoreResult<i64> {
        let conn = lock(&self.writer)?;
        conn.execute(
            "INSERT INTO model_fits (model, parameters, log_likelihood, window_start, window_end, \
             fitted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                fit.model,
                fit.parameters,
                fit.log_likelihood,
                fit.window_start,
                fit.window_end,
                fit.fitted_at
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    pub(crate) fn fit_by_id(&self, id: i64) -> StoreResult<Option<ModelFitRecord>> {
        self.read(|conn| {
            let sql = format!("SELECT {FIT_COLUMNS} FROM model_fits WHERE id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id], fit_from_row)
                .optional()?)
        })
    }

    pub(crate) fn fit_latest(&self, model: &str) -> StoreResult<Option<ModelFitRecord>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT {FIT_COLUMNS} FROM model_fits WHERE model = ?1 ORDER BY id DESC LIMIT 1"
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([model], fit_from_row)
                .optional()?)
        })
    }
}

fn fit_from_row(row: &Row<'_>) -> rusqlite::Result<ModelFitRecord> {
    Ok(ModelFitRecord {
        id: row.get(0)?,
        model: row.get(1)?,
        parameters: row.get(2)?,
        log_likelihood: row.get(3)?,
        window_start: row.get(4)?,
        window_end: row.get(5)?,
        fitted_at: row.get(6)?,
    })
}
