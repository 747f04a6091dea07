//! Playbook writes, written once over [`Sql`]: coupon pools and codes, and running playbook actions
//! idempotently (the ledger row is inserted first; a key already there means the action ran).

use ecrm_core::playbook::Action;
use ecrm_core::time::Millis;
use serde_json::json;

use super::model::{ActionOutcome, CodeAddCounts, CouponPoolInput, JobResult, PlaybookActionInput};
use super::sql::{Sql, Val, col};
use crate::error::{StoreError, StoreResult};
use crate::sql_common::merge_extra;

const DAY: Millis = 86_400_000;

/// Creates a pool; false when a pool of that name exists (it is left unchanged).
pub(crate) fn pool_create(sql: &mut dyn Sql, pool: &CouponPoolInput) -> StoreResult<bool> {
    let changed = sql.execute(
        "INSERT INTO coupon_pools (name, title, value_kind, value, currency, valid_days, valid_from, \
         valid_until, per_customer_limit, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         ON CONFLICT (name) DO NOTHING",
        &[
            Val::text(&pool.name),
            Val::text(&pool.title),
            Val::text(&pool.value_kind),
            Val::Int(pool.value),
            Val::opt_text(pool.currency.as_deref()),
            Val::opt_int(pool.valid_days),
            Val::opt_int(pool.valid_from),
            Val::opt_int(pool.valid_until),
            Val::Int(pool.per_customer_limit),
            Val::Int(pool.created_at),
        ],
    )?;
    Ok(changed > 0)
}

/// Adds codes to an existing pool; codes already in it are counted as duplicates.
pub(crate) fn codes_add(
    sql: &mut dyn Sql,
    pool: &str,
    codes: &[String],
    at: Millis,
) -> StoreResult<CodeAddCounts> {
    let exists = sql.query(
        "SELECT 1 FROM coupon_pools WHERE name = ?1",
        &[Val::text(pool)],
    )?;
    if exists.is_empty() {
        return Err(StoreError::NotFound(format!("coupon pool {pool:?}")));
    }
    let mut counts = CodeAddCounts::default();
    for code in codes {
        let added = sql.execute(
            "INSERT INTO coupon_codes (pool, code, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (pool, code) DO NOTHING",
            &[Val::text(pool), Val::text(code), Val::Int(at)],
        )?;
        if added > 0 {
            counts.added += 1;
        } else {
            counts.duplicates += 1;
        }
    }
    Ok(counts)
}

/// Runs each action unless its key is in the ledger; every action that runs is recorded with its
/// outcome and audited.
pub(crate) fn actions_apply(
    sql: &mut dyn Sql,
    inputs: &[PlaybookActionInput],
) -> StoreResult<Vec<ActionOutcome>> {
    let mut outcomes = Vec::with_capacity(inputs.len());
    for input in inputs {
        let fresh = sql.execute(
            "INSERT INTO playbook_actions (action_key, playbook, trigger_name, action, customer_id, \
             outcome, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', '{}', ?6) \
             ON CONFLICT (action_key) DO NOTHING",
            &[
                Val::text(&input.key),
                Val::text(&input.playbook),
                Val::text(&input.trigger),
                Val::text(input.action.name()),
                Val::text(&input.customer_id),
                Val::Int(input.at),
            ],
        )?;
        if fresh == 0 {
            outcomes.push(ActionOutcome::AlreadyDone);
            continue;
        }
        let outcome = run_action(sql, input)?;
        let (status, detail) = match &outcome {
            ActionOutcome::Done { detail } => ("done", detail.clone()),
            ActionOutcome::Skipped { reason } => ("skipped", json!({ "reason": reason })),
            ActionOutcome::AlreadyDone => ("done", json!({})),
        };
        sql.execute(
            "UPDATE playbook_actions SET outcome = ?1, detail = ?2 WHERE action_key = ?3",
            &[
                Val::text(status),
                Val::Text(detail.to_string()),
                Val::text(&input.key),
            ],
        )?;
        let audit = json!({ "key": input.key, "trigger": input.trigger, "outcome": status, "detail": detail });
        sql.execute(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                Val::Int(input.at),
                Val::Text(format!("playbook:{}", input.playbook)),
                Val::Text(format!("playbook.{}", input.action.name())),
                Val::Text(format!("customer:{}", input.customer_id)),
                Val::Text(audit.to_string()),
            ],
        )?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn skipped(reason: &str) -> ActionOutcome {
    ActionOutcome::Skipped {
        reason: reason.to_string(),
    }
}

fn done(detail: serde_json::Value) -> ActionOutcome {
    ActionOutcome::Done { detail }
}

fn run_action(sql: &mut dyn Sql, input: &PlaybookActionInput) -> StoreResult<ActionOutcome> {
    let customer = input.customer_id.as_str();
    let known = sql.query(
        "SELECT attributes FROM customers WHERE id = ?1",
        &[Val::text(customer)],
    )?;
    let Some(row) = known.first() else {
        return Ok(skipped("unknown_customer"));
    };
    let attributes = col(row, 0)?.string()?;
    let source = format!("playbook:{}", input.playbook);
    let at = input.at;
    let outcome = match &input.action {
        Action::IssueCoupon { pool } => issue_coupon(sql, pool, customer, at)?,
        Action::GrantBenefit { benefit } => {
            let changed = sql.execute(
                "INSERT INTO customer_benefits (customer_id, benefit, granted_at, source) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (customer_id, benefit) DO NOTHING",
                &[
                    Val::text(customer),
                    Val::text(benefit),
                    Val::Int(at),
                    Val::text(&source),
                ],
            )?;
            done(json!({ "benefit": benefit, "changed": changed > 0 }))
        }
        Action::RevokeBenefit { benefit } => {
            let changed = sql.execute(
                "DELETE FROM customer_benefits WHERE customer_id = ?1 AND benefit = ?2",
                &[Val::text(customer), Val::text(benefit)],
            )?;
            done(json!({ "benefit": benefit, "changed": changed > 0 }))
        }
        Action::AddTag { tag } => {
            let changed = sql.execute(
                "INSERT INTO customer_tags (customer_id, tag, added_at, source) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (customer_id, tag) DO NOTHING",
                &[Val::text(customer), Val::text(tag), Val::Int(at), Val::text(&source)],
            )?;
            done(json!({ "tag": tag, "changed": changed > 0 }))
        }
        Action::RemoveTag { tag } => {
            let changed = sql.execute(
                "DELETE FROM customer_tags WHERE customer_id = ?1 AND tag = ?2",
                &[Val::text(customer), Val::text(tag)],
            )?;
            done(json!({ "tag": tag, "changed": changed > 0 }))
        }
        Action::SuppressAds { reason } => {
            let changed = sql.execute(
                "INSERT INTO ads_suppressions (customer_id, reason, added_at, source) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (customer_id) DO NOTHING",
                &[Val::text(customer), Val::text(reason), Val::Int(at), Val::text(&source)],
            )?;
            done(json!({ "suppressed": true, "changed": changed > 0 }))
        }
        Action::UnsuppressAds => {
            let changed = sql.execute(
                "DELETE FROM ads_suppressions WHERE customer_id = ?1",
                &[Val::text(customer)],
            )?;
            done(json!({ "suppressed": false, "changed": changed > 0 }))
        }
        Action::SetAttribute { key, value } => {
            set_attributes(sql, customer, &attributes, key, value.clone(), at)?;
            done(json!({ "key": key, "value": value }))
        }
        Action::RaisePriority { level } => {
            let stored: serde_json::Value = serde_json::from_str(&attributes)?;
            let current = stored
                .get("service_priority")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            let level = i64::from(*level).max(current);
            if level != current {
                set_attributes(
                    sql,
                    customer,
                    &attributes,
                    "service_priority",
                    json!(level),
                    at,
                )?;
            }
            done(json!({ "service_priority": level, "changed": level != current }))
        }
        Action::Webhook { url } => {
            let payload = json!({ "url": url, "key": input.key, "body": input.webhook_body });
            sql.execute(
                "INSERT INTO jobs (kind, payload, status, attempts, run_after, created_at) \
                 VALUES ('webhook', ?1, 'pending', 0, ?2, ?2)",
                &[Val::Text(payload.to_string()), Val::Int(at)],
            )?;
            done(json!({ "url": url, "queued": true }))
        }
    };
    Ok(outcome)
}

fn set_attributes(
    sql: &mut dyn Sql,
    customer: &str,
    stored: &str,
    key: &str,
    value: serde_json::Value,
    at: Millis,
) -> StoreResult<()> {
    let mut extra = serde_json::Map::new();
    extra.insert(key.to_string(), value);
    let merged = merge_extra(stored, &extra)?;
    sql.execute(
        "UPDATE customers SET attributes = ?1, updated_at = ?2 WHERE id = ?3",
        &[Val::Text(merged), Val::Int(at), Val::text(customer)],
    )?;
    Ok(())
}

/// Hands the customer the pool's oldest free code, within the pool's window and per-customer limit.
fn issue_coupon(
    sql: &mut dyn Sql,
    pool: &str,
    customer: &str,
    at: Millis,
) -> StoreResult<ActionOutcome> {
    let rows = sql.query(
        "SELECT per_customer_limit, valid_days, valid_from, valid_until FROM coupon_pools WHERE name = ?1",
        &[Val::text(pool)],
    )?;
    let Some(row) = rows.first() else {
        return Ok(skipped("pool_missing"));
    };
    let limit = col(row, 0)?.int()?;
    let valid_days = col(row, 1)?.maybe_int()?;
    let valid_from = col(row, 2)?.maybe_int()?;
    let valid_until = col(row, 3)?.maybe_int()?;
    if valid_from.is_some_and(|from| at < from) || valid_until.is_some_and(|until| at >= until) {
        return Ok(skipped("pool_not_valid"));
    }
    let held = sql.query(
        "SELECT count(*) FROM coupon_codes WHERE pool = ?1 AND customer_id = ?2",
        &[Val::text(pool), Val::text(customer)],
    )?;
    let held = held
        .first()
        .map(|row| col(row, 0).and_then(Val::int))
        .transpose()?
        .unwrap_or(0);
    if held >= limit {
        return Ok(skipped("limit_reached"));
    }
    let free = sql.query(
        "SELECT id, code FROM coupon_codes WHERE pool = ?1 AND customer_id IS NULL ORDER BY id LIMIT 1",
        &[Val::text(pool)],
    )?;
    let Some(free) = free.first() else {
        return Ok(skipped("pool_empty"));
    };
    let (id, code) = (col(free, 0)?.int()?, col(free, 1)?.string()?);
    let mut expires_at = valid_days.map(|days| at + days * DAY);
    if let Some(until) = valid_until {
        expires_at = Some(expires_at.map_or(until, |e| e.min(until)));
    }
    sql.execute(
        "UPDATE coupon_codes SET customer_id = ?1, issued_at = ?2, expires_at = ?3 WHERE id = ?4",
        &[
            Val::text(customer),
            Val::Int(at),
            Val::opt_int(expires_at),
            Val::Int(id),
        ],
    )?;
    Ok(done(
        json!({ "pool": pool, "code": code, "expires_at": expires_at }),
    ))
}

/// Records a job attempt's end: done, retried later, or failed for good.
pub(crate) fn job_finish(sql: &mut dyn Sql, id: i64, result: &JobResult) -> StoreResult<()> {
    match result {
        JobResult::Done => sql.execute(
            "UPDATE jobs SET status = 'done', attempts = attempts + 1 WHERE id = ?1",
            &[Val::Int(id)],
        )?,
        JobResult::Retry { run_after, .. } => sql.execute(
            "UPDATE jobs SET attempts = attempts + 1, run_after = ?1 WHERE id = ?2",
            &[Val::Int(*run_after), Val::Int(id)],
        )?,
        JobResult::Failed { .. } => sql.execute(
            "UPDATE jobs SET status = 'failed', attempts = attempts + 1 WHERE id = ?1",
            &[Val::Int(id)],
        )?,
    };
    Ok(())
}

/// Sets a named value of the playbook engine (the segment-change cursor, the stored configuration).
pub(crate) fn state_set(sql: &mut dyn Sql, name: &str, value: &str, at: Millis) -> StoreResult<()> {
    sql.execute(
        "INSERT INTO playbook_state (name, value, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[Val::text(name), Val::text(value), Val::Int(at)],
    )?;
    Ok(())
}
