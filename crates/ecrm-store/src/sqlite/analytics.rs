//! Customer-intelligence reads and writes for SQLite: purchase days per customer (two plain scans
//! grouped in memory), trait reads, and model fits (trait writes are in `traits`).

use ecrm_core::time::Millis;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, lock};
use crate::analytics_model::{
    CustomerDays, ModelFitInput, ModelFitRecord, TraitPeriod, TraitRecord,
};
use crate::error::StoreResult;
use crate::purchase_scan::PurchaseScan;
use crate::trait_periods::{TRAIT_PERIODS, periods};

/// Every order and refund before `?1`, in storage order (a plain table scan, no sort).
const ORDERS_SCAN: &str =
    "SELECT identifier_id, ordered_at, kind, total_cents FROM orders WHERE ordered_at < ?1";

const FIT_COLUMNS: &str =
    "id, model, parameters, log_likelihood, window_start, window_end, fitted_at";

impl SqliteStore {
    pub(crate) fn purchase_days(
        &self,
        until: Millis,
        sink: &mut dyn FnMut(CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        let scan = self.read(|conn| {
            // One read transaction: identifiers and orders from the same snapshot.
            let tx = conn.unchecked_transaction()?;
            let mut scan = PurchaseScan::new();
            {
                let mut statement = tx.prepare_cached(
                    "SELECT id, customer_id FROM identifiers ORDER BY customer_id",
                )?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let customer = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
                    scan.identifiers.add(row.get(0)?, customer);
                }
                let mut statement = tx.prepare_cached(ORDERS_SCAN)?;
                let mut rows = statement.query([until])?;
                while let Some(row) = rows.next()? {
                    let Some(identifier) = row.get::<_, Option<i64>>(0)? else {
                        continue;
                    };
                    let kind = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                    match kind {
                        "order" | "refund" => {
                            scan.order(identifier, row.get(1)?, kind == "order", row.get(3)?)
                        }
                        _ => {}
                    }
                }
            }
            tx.commit()?;
            Ok(scan)
        })?;
        scan.finish(sink)
    }

    pub(crate) fn traits_of(&self, customer_id: &str) -> StoreResult<Vec<TraitRecord>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(super::traits::CUSTOMER_TRAITS)?;
            let rows = statement.query_map([customer_id], |row| {
                Ok(TraitRecord {
                    name: row.get(1)?,
                    value: row.get(2)?,
                    computed_at: row.get(3)?,
                    model_fit_id: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn periods_of(
        &self,
        customer_id: &str,
        name: &str,
    ) -> StoreResult<Vec<TraitPeriod>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(TRAIT_PERIODS)?;
            let rows =
                statement.query_map([customer_id, name], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(periods(rows.collect::<Result<Vec<_>, _>>()?))
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
