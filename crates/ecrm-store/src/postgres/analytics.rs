//! Customer-intelligence reads and writes for PostgreSQL: purchase days per customer (one GROUP BY
//! streamed with `query_raw`), bulk trait writes through `unnest` arrays, and model fits.

use ecrm_core::time::Millis;
use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::{PostgresStore, WRITE_LOCK};
use crate::analytics_model::{
    CustomerDays, ModelFitInput, ModelFitRecord, PurchaseDay, TraitPeriod, TraitRecord, TraitWrite,
    TraitWriteCounts,
};
use crate::error::StoreResult;
use crate::sql_common::CustomerDaysGrouper;
use crate::trait_periods::{TRAIT_PERIODS, periods};

/// Orders and refunds per customer and UTC day, customers in byte order (`COLLATE "C"`).
const PURCHASE_DAYS: &str = "SELECT i.customer_id, \
       floor(o.ordered_at / 86400000.0)::BIGINT AS day, \
       count(*) FILTER (WHERE o.kind = 'order')::BIGINT, \
       coalesce(sum(o.total_cents) FILTER (WHERE o.kind = 'order'), 0)::BIGINT, \
       coalesce(sum(o.total_cents) FILTER (WHERE o.kind = 'refund'), 0)::BIGINT \
     FROM orders o JOIN identifiers i ON i.id = o.identifier_id \
     WHERE o.ordered_at < $1 AND o.kind IN ('order', 'refund') \
     GROUP BY i.customer_id, day ORDER BY i.customer_id COLLATE \"C\", day";

/// Upserts one chunk of traits, ends the history period of every changed trait whose label (or
/// value, without labels) changed, and journals one row per customer naming its changed traits
/// (the `trait_journal` convention); every CTE sees the traits as they were before the
/// statement, so the comparison is with the old values.
const WRITE_TRAITS: &str = "WITH input AS ( \
       SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[]) \
       AS t(customer_id, name, value, label) \
     ), changed AS ( \
       SELECT i.customer_id, i.name, i.label, t.customer_id IS NULL AS is_new, \
       coalesce(t.label, t.value) AS old_label, t.label AS stored_label, \
       coalesce(t.label_since, t.computed_at) AS old_since \
       FROM input i LEFT JOIN traits t ON t.customer_id = i.customer_id AND t.name = i.name \
       WHERE t.value IS DISTINCT FROM i.value \
     ), ended AS ( \
       INSERT INTO trait_history (customer_id, name, value, computed_at) \
       SELECT customer_id, name, old_label, old_since FROM changed \
       WHERE NOT is_new AND (label IS NULL OR stored_label IS DISTINCT FROM label) RETURNING 1 \
     ), journaled AS ( \
       INSERT INTO customer_changes (customer_id, kind, detail) \
       SELECT customer_id, 'trait', string_agg(name, ',' ORDER BY name COLLATE \"C\") \
       FROM changed GROUP BY customer_id RETURNING 1 \
     ), upserted AS ( \
       INSERT INTO traits (customer_id, name, value, computed_at, model_fit_id, label, label_since) \
       SELECT customer_id, name, value, $5, $6, label, $5 FROM input \
       ON CONFLICT (customer_id, name) DO UPDATE SET value = excluded.value, \
       computed_at = excluded.computed_at, model_fit_id = excluded.model_fit_id, \
       label = excluded.label, label_since = CASE WHEN excluded.label IS NOT NULL \
         AND traits.label IS NOT DISTINCT FROM excluded.label \
         THEN coalesce(traits.label_since, traits.computed_at) ELSE excluded.label_since END \
       WHERE traits.value IS DISTINCT FROM excluded.value RETURNING 1 \
     ) SELECT (SELECT count(*) FROM input), (SELECT count(*) FROM changed), \
       (SELECT count(*) FROM upserted), (SELECT count(*) FROM journaled), \
       (SELECT count(*) FROM ended)";

/// Traits sent per statement.
const TRAIT_CHUNK: usize = 20_000;

const FIT_COLUMNS: &str = "SELECT id, model, parameters, log_likelihood, window_start, window_end, fitted_at FROM model_fits";

impl PostgresStore {
    pub(crate) fn purchase_days(
        &self,
        until: Millis,
        sink: &mut dyn FnMut(CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            let params: [&(dyn ToSql + Sync); 1] = [&until];
            let mut rows = conn.client.query_raw(PURCHASE_DAYS, params)?;
            let mut grouper = CustomerDaysGrouper::new();
            while let Some(row) = rows.next()? {
                let customer_id: String = row.try_get(0)?;
                let orders: i64 = row.try_get(2)?;
                let day = PurchaseDay {
                    day: row.try_get(1)?,
                    orders: u32::try_from(orders).unwrap_or(u32::MAX),
                    order_cents: row.try_get(3)?,
                    refund_cents: row.try_get(4)?,
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
        self.with_connection(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute(WRITE_LOCK, &[])?;
            let statement = tx.prepare(WRITE_TRAITS)?;
            let mut counts = TraitWriteCounts::default();
            let (mut ids, mut names, mut values) = (Vec::new(), Vec::new(), Vec::new());
            let mut labels: Vec<Option<String>> = Vec::new();
            // One statement cannot upsert a key twice: a key repeated within a chunk starts the
            // next one, so the writes apply in order.
            let mut keys: std::collections::HashSet<(String, String)> = Default::default();
            let mut carried: Option<TraitWrite> = None;
            loop {
                ids.clear();
                names.clear();
                values.clear();
                labels.clear();
                keys.clear();
                let mut exhausted = false;
                while ids.len() < TRAIT_CHUNK {
                    let Some(item) = carried.take().or_else(|| traits.next()) else {
                        exhausted = true;
                        break;
                    };
                    if !keys.insert((item.customer_id.clone(), item.name.clone())) {
                        carried = Some(item);
                        break;
                    }
                    ids.push(item.customer_id);
                    names.push(item.name);
                    values.push(item.value);
                    labels.push(item.label);
                }
                if !ids.is_empty() {
                    let row = tx.query_one(
                        &statement,
                        &[&ids, &names, &values, &labels, &computed_at, &model_fit_id],
                    )?;
                    let written: i64 = row.try_get(0)?;
                    let changed: i64 = row.try_get(1)?;
                    counts.written += u64::try_from(written).unwrap_or(0);
                    counts.changed += u64::try_from(changed).unwrap_or(0);
                }
                if exhausted {
                    break;
                }
            }
            tx.commit()?;
            Ok(counts)
        })
    }

    pub(crate) fn traits_of(&self, customer_id: &str) -> StoreResult<Vec<TraitRecord>> {
        self.read(|session| {
            let rows = session.query(
                "SELECT name, value, computed_at, model_fit_id FROM traits \
                 WHERE customer_id = $1 ORDER BY name COLLATE \"C\"",
                &[&customer_id],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(TraitRecord {
                        name: row.try_get(0)?,
                        value: row.try_get(1)?,
                        computed_at: row.try_get(2)?,
                        model_fit_id: row.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    pub(crate) fn periods_of(
        &self,
        customer_id: &str,
        name: &str,
    ) -> StoreResult<Vec<TraitPeriod>> {
        self.read(|session| {
            let rows = session.query(TRAIT_PERIODS, &[&customer_id, &name])?;
            let rows = rows
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(periods(rows))
        })
    }

    pub(crate) fn fit_insert(&self, fit: &ModelFitInput) -> StoreResult<i64> {
        self.with_connection(|conn| {
            let row = conn.client.query_one(
                "INSERT INTO model_fits (model, parameters, log_likelihood, window_start, \
                 window_end, fitted_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &fit.model,
                    &fit.parameters,
                    &fit.log_likelihood,
                    &fit.window_start,
                    &fit.window_end,
                    &fit.fitted_at,
                ],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    pub(crate) fn fit_by_id(&self, id: i64) -> StoreResult<Option<ModelFitRecord>> {
        self.with_connection(|conn| {
            let sql = format!("{FIT_COLUMNS} WHERE id = $1");
            let row = conn.client.query_opt(sql.as_str(), &[&id])?;
            row.as_ref().map(fit_from_row).transpose()
        })
    }

    pub(crate) fn fit_latest(&self, model: &str) -> StoreResult<Option<ModelFitRecord>> {
        self.with_connection(|conn| {
            let sql = format!("{FIT_COLUMNS} WHERE model = $1 ORDER BY id DESC LIMIT 1");
            let row = conn.client.query_opt(sql.as_str(), &[&model])?;
            row.as_ref().map(fit_from_row).transpose()
        })
    }
}

fn fit_from_row(row: &Row) -> StoreResult<ModelFitRecord> {
    Ok(ModelFitRecord {
        id: row.try_get(0)?,
        model: row.try_get(1)?,
        parameters: row.try_get(2)?,
        log_likelihood: row.try_get(3)?,
        window_start: row.try_get(4)?,
        window_end: row.try_get(5)?,
        fitted_at: row.try_get(6)?,
    })
}
