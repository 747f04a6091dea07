//! Coupon pools: creating them (from configuration, the CLI or the API), generating codes and
//! importing code files with a reject per bad line. Every change is audited.

use ecrm_core::playbook::codes::{check_code, generate_codes};
use ecrm_core::playbook::{PoolDecl, PoolValue};
use ecrm_core::time::Millis;
use ecrm_store::{AuditEntry, CodeAddCounts, CouponPoolInput, Store};
use serde::Serialize;

use crate::app::AppError;

/// Most codes one generate call makes.
pub const MAX_GENERATE: u64 = 1_000_000;

/// A pool as the configuration declares it, ready to store.
pub fn pool_input(decl: &PoolDecl, now: Millis) -> CouponPoolInput {
    let (value_kind, value, currency) = match &decl.value {
        PoolValue::Amount { cents, currency } => ("amount", *cents, Some(currency.clone())),
        PoolValue::Percent { percent } => ("percent", i64::from(*percent), None),
    };
    CouponPoolInput {
        name: decl.name.clone(),
        title: decl.title.clone(),
        value_kind: value_kind.to_string(),
        value,
        currency,
        valid_days: decl.valid_days.map(i64::from),
        valid_from: decl.valid_from,
        valid_until: decl.valid_until,
        per_customer_limit: i64::from(decl.per_customer_limit),
        created_at: now,
    }
}

fn audit(
    store: &dyn Store,
    actor: &str,
    action: &str,
    pool: &str,
    detail: serde_json::Value,
    at: Millis,
) -> Result<(), AppError> {
    store.append_audit(&AuditEntry {
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        target: format!("coupon_pool:{pool}"),
        detail,
    })?;
    Ok(())
}

/// Creates a pool and generates its codes; `Conflict` when it exists.
pub fn create_pool(
    store: &dyn Store,
    decl: &PoolDecl,
    actor: &str,
    now: Millis,
) -> Result<CodeAddCounts, AppError> {
    if !store.create_coupon_pool(&pool_input(decl, now))? {
        return Err(AppError::Conflict(format!(
            "coupon pool {:?} already exists",
            decl.name
        )));
    }
    audit(
        store,
        actor,
        "coupons.pool.create",
        &decl.name,
        serde_json::to_value(decl).unwrap_or_default(),
        now,
    )?;
    if decl.generate == 0 {
        return Ok(CodeAddCounts::default());
    }
    generate(
        store,
        &decl.name,
        u64::from(decl.generate),
        Some(&decl.prefix),
        actor,
        now,
    )
}

/// Creates the declared pools that do not exist yet; returns the names created.
pub fn ensure_pools(
    store: &dyn Store,
    decls: &[PoolDecl],
    actor: &str,
    now: Millis,
) -> Result<Vec<String>, AppError> {
    let mut created = Vec::new();
    for decl in decls {
        if store.coupon_pool(&decl.name)?.is_none() {
            create_pool(store, decl, actor, now)?;
            created.push(decl.name.clone());
        }
    }
    Ok(created)
}

/// Generates `count` new codes into a pool (prefix: the given one, or the pool name's initials).
pub fn generate(
    store: &dyn Store,
    pool: &str,
    count: u64,
    prefix: Option<&str>,
    actor: &str,
    now: Millis,
) -> Result<CodeAddCounts, AppError> {
    if count == 0 || count > MAX_GENERATE {
        return Err(AppError::invalid(
            "count",
            format!("must be between 1 and {MAX_GENERATE}"),
        ));
    }
    let existing = store
        .coupon_pool(pool)?
        .ok_or_else(|| AppError::NotFound(format!("coupon pool {pool:?}")))?;
    let prefix = prefix.map(str::to_string).unwrap_or_else(|| initials(pool));
    let start = u64::try_from(existing.codes_total).unwrap_or(0);
    let codes = generate_codes(&prefix, pool, now as u64, start, count);
    let mut counts = CodeAddCounts::default();
    for chunk in codes.chunks(10_000) {
        let added = store.add_coupon_codes(pool, chunk, now)?;
        counts.added += added.added;
        counts.duplicates += added.duplicates;
    }
    audit(
        store,
        actor,
        "coupons.pool.generate",
        pool,
        serde_json::json!({ "count": count, "added": counts.added }),
        now,
    )?;
    Ok(counts)
}

fn initials(name: &str) -> String {
    name.split(['-', '_'])
        .filter_map(|part| part.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A line of a code file that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodeReject {
    /// 1-based line number in the file.
    pub line: u64,
    pub code: String,
    pub reason: String,
}

/// What importing a code file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodeImportReport {
    pub added: u64,
    pub duplicates: u64,
    pub rejects: Vec<CodeReject>,
}

/// Imports codes, one per line (a CSV's first column; a `code` header line is skipped; blank lines
/// are ignored). Bad lines are rejected by line number and the good ones are kept.
pub fn import_codes(
    store: &dyn Store,
    pool: &str,
    text: &str,
    actor: &str,
    now: Millis,
) -> Result<CodeImportReport, AppError> {
    if store.coupon_pool(pool)?.is_none() {
        return Err(AppError::NotFound(format!("coupon pool {pool:?}")));
    }
    let mut report = CodeImportReport::default();
    let mut codes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index as u64 + 1;
        let code = raw.split(',').next().unwrap_or("").trim().trim_matches('"');
        if code.is_empty() || (line == 1 && code.eq_ignore_ascii_case("code")) {
            continue;
        }
        let reject = |reason: &str| CodeReject {
            line,
            code: code.to_string(),
            reason: reason.to_string(),
        };
        if let Err(reason) = check_code(code) {
            report.rejects.push(reject(reason));
        } else if !seen.insert(code.to_string()) {
            report.rejects.push(reject("repeated earlier in the file"));
        } else {
            codes.push(code.to_string());
        }
    }
    for chunk in codes.chunks(10_000) {
        let added = store.add_coupon_codes(pool, chunk, now)?;
        report.added += added.added;
        report.duplicates += added.duplicates;
    }
    let detail = serde_json::json!({ "added": report.added, "duplicates": report.duplicates, "rejected": report.rejects.len() });
    audit(store, actor, "coupons.pool.import", pool, detail, now)?;
    Ok(report)
}

/// Reads one pool declaration from JSON (the fields of a `[[pool]]` table), with the loader's
/// field-by-field errors.
pub fn pool_decl_from_json(value: serde_json::Value) -> Result<PoolDecl, AppError> {
    let doc = serde_json::json!({ "pool": [value] });
    let origin = "coupon pool";
    let set = super::config::parse(&doc.to_string(), origin)?;
    let known = ecrm_core::playbook::Known::default();
    ecrm_core::playbook::validate(&set, &known).map_err(|errors| super::config::ConfigErrors {
        origin: origin.to_string(),
        errors,
    })?;
    set.pools
        .into_iter()
        .next()
        .ok_or_else(|| AppError::invalid("pool", "no pool given"))
}
