//! Playbook reads, written once over [`Sql`]: pools, what a customer holds, the suppression list,
//! the action ledger and queued jobs.

use ecrm_core::time::Millis;

use super::model::{
    BenefitRecord, CouponPool, CouponPoolInput, CustomerPerks, HeldCoupon, JobRecord,
    PlaybookActionRecord, Suppression,
};
use super::sql::{Sql, SqlRow, Val, col};
use crate::error::StoreResult;

const POOL_COLUMNS: &str = "SELECT p.name, p.title, p.value_kind, p.value, p.currency, p.valid_days, \
     p.valid_from, p.valid_until, p.per_customer_limit, p.created_at, \
     (SELECT count(*) FROM coupon_codes c WHERE c.pool = p.name), \
     (SELECT count(*) FROM coupon_codes c WHERE c.pool = p.name AND c.customer_id IS NOT NULL) \
     FROM coupon_pools p";

fn pool_from(row: &SqlRow) -> StoreResult<CouponPool> {
    Ok(CouponPool {
        pool: CouponPoolInput {
            name: col(row, 0)?.string()?,
            title: col(row, 1)?.string()?,
            value_kind: col(row, 2)?.string()?,
            value: col(row, 3)?.int()?,
            currency: col(row, 4)?.maybe_string()?,
            valid_days: col(row, 5)?.maybe_int()?,
            valid_from: col(row, 6)?.maybe_int()?,
            valid_until: col(row, 7)?.maybe_int()?,
            per_customer_limit: col(row, 8)?.int()?,
            created_at: col(row, 9)?.int()?,
        },
        codes_total: col(row, 10)?.int()?,
        codes_issued: col(row, 11)?.int()?,
    })
}

/// Every pool, by name.
pub(crate) fn pools(sql: &mut dyn Sql) -> StoreResult<Vec<CouponPool>> {
    let rows = sql.query(&format!("{POOL_COLUMNS} ORDER BY p.name"), &[])?;
    rows.iter().map(pool_from).collect()
}

/// One pool.
pub(crate) fn pool(sql: &mut dyn Sql, name: &str) -> StoreResult<Option<CouponPool>> {
    let rows = sql.query(
        &format!("{POOL_COLUMNS} WHERE p.name = ?1"),
        &[Val::text(name)],
    )?;
    rows.first().map(pool_from).transpose()
}

/// Coupons, benefits, tags and suppression of one customer.
pub(crate) fn perks(sql: &mut dyn Sql, customer: &str) -> StoreResult<CustomerPerks> {
    let id = [Val::text(customer)];
    let coupons = sql.query(
        "SELECT c.pool, c.code, p.title, p.value_kind, p.value, p.currency, c.issued_at, c.expires_at \
         FROM coupon_codes c JOIN coupon_pools p ON p.name = c.pool WHERE c.customer_id = ?1 \
         ORDER BY c.issued_at, c.id",
        &id,
    )?;
    let coupons = coupons
        .iter()
        .map(|row| {
            Ok(HeldCoupon {
                pool: col(row, 0)?.string()?,
                code: col(row, 1)?.string()?,
                title: col(row, 2)?.string()?,
                value_kind: col(row, 3)?.string()?,
                value: col(row, 4)?.int()?,
                currency: col(row, 5)?.maybe_string()?,
                issued_at: col(row, 6)?.maybe_int()?.unwrap_or(0),
                expires_at: col(row, 7)?.maybe_int()?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let benefits = sql.query(
        "SELECT benefit, granted_at, source FROM customer_benefits WHERE customer_id = ?1 ORDER BY benefit",
        &id,
    )?;
    let benefits = benefits
        .iter()
        .map(|row| {
            Ok(BenefitRecord {
                benefit: col(row, 0)?.string()?,
                granted_at: col(row, 1)?.int()?,
                source: col(row, 2)?.string()?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let tags = sql.query(
        "SELECT tag FROM customer_tags WHERE customer_id = ?1 ORDER BY tag",
        &id,
    )?;
    let tags = tags
        .iter()
        .map(|row| col(row, 0)?.string())
        .collect::<StoreResult<Vec<_>>>()?;
    let suppressed = sql.query(
        &format!("{SUPPRESSION_COLUMNS} WHERE s.customer_id = ?1"),
        &id,
    )?;
    Ok(CustomerPerks {
        coupons,
        benefits,
        tags,
        ads_suppressed: suppressed.first().map(suppression_from).transpose()?,
    })
}

const SUPPRESSION_COLUMNS: &str = "SELECT s.customer_id, s.reason, s.added_at, s.source, \
     (SELECT min(i.value) FROM identifiers i WHERE i.customer_id = s.customer_id AND i.kind = 'email'), \
     (SELECT min(i.value) FROM identifiers i WHERE i.customer_id = s.customer_id AND i.kind = 'phone') \
     FROM ads_suppressions s";

fn suppression_from(row: &SqlRow) -> StoreResult<Suppression> {
    Ok(Suppression {
        customer_id: col(row, 0)?.string()?,
        reason: col(row, 1)?.string()?,
        added_at: col(row, 2)?.int()?,
        source: col(row, 3)?.string()?,
        email: col(row, 4)?.maybe_string()?,
        phone: col(row, 5)?.maybe_string()?,
    })
}

/// A page of the suppression list in customer-id order, after `after`.
pub(crate) fn suppressions(
    sql: &mut dyn Sql,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<Suppression>> {
    let rows = sql.query(
        &format!("{SUPPRESSION_COLUMNS} WHERE s.customer_id > ?1 ORDER BY s.customer_id LIMIT ?2"),
        &[Val::text(after.unwrap_or("")), Val::Int(limit as i64)],
    )?;
    rows.iter().map(suppression_from).collect()
}

/// The newest `limit` ledger entries of a customer.
pub(crate) fn actions_of(
    sql: &mut dyn Sql,
    customer: &str,
    limit: usize,
) -> StoreResult<Vec<PlaybookActionRecord>> {
    let rows = sql.query(
        "SELECT id, playbook, trigger_name, action, customer_id, outcome, detail, at FROM playbook_actions \
         WHERE customer_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        &[Val::text(customer), Val::Int(limit as i64)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(PlaybookActionRecord {
                id: col(row, 0)?.int()?,
                playbook: col(row, 1)?.string()?,
                trigger: col(row, 2)?.string()?,
                action: col(row, 3)?.string()?,
                customer_id: col(row, 4)?.string()?,
                outcome: col(row, 5)?.string()?,
                detail: serde_json::from_str(&col(row, 6)?.string()?)?,
                at: col(row, 7)?.int()?,
            })
        })
        .collect()
}

/// Which of `keys` are in the ledger.
pub(crate) fn keys_done(sql: &mut dyn Sql, keys: &[String]) -> StoreResult<Vec<bool>> {
    let mut done = Vec::with_capacity(keys.len());
    for key in keys {
        let rows = sql.query(
            "SELECT 1 FROM playbook_actions WHERE action_key = ?1",
            &[Val::text(key)],
        )?;
        done.push(!rows.is_empty());
    }
    Ok(done)
}

/// A named value of the playbook engine.
pub(crate) fn state(sql: &mut dyn Sql, name: &str) -> StoreResult<Option<String>> {
    let rows = sql.query(
        "SELECT value FROM playbook_state WHERE name = ?1",
        &[Val::text(name)],
    )?;
    rows.first().map(|row| col(row, 0)?.string()).transpose()
}

/// Jobs of `kind` still pending whose time has come, oldest first.
pub(crate) fn jobs_due(
    sql: &mut dyn Sql,
    kind: &str,
    now: Millis,
    limit: usize,
) -> StoreResult<Vec<JobRecord>> {
    let rows = sql.query(
        "SELECT id, kind, payload, attempts, run_after FROM jobs \
         WHERE status = 'pending' AND kind = ?1 AND run_after <= ?2 ORDER BY run_after, id LIMIT ?3",
        &[Val::text(kind), Val::Int(now), Val::Int(limit as i64)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(JobRecord {
                id: col(row, 0)?.int()?,
                kind: col(row, 1)?.string()?,
                payload: col(row, 2)?.string()?,
                attempts: col(row, 3)?.int()?,
                run_after: col(row, 4)?.int()?,
            })
        })
        .collect()
}
