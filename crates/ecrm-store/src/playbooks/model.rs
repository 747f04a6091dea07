//! The playbooks' values: coupon pools and codes, what a customer holds (coupons, benefits, tags,
//! ads suppression), the action ledger and webhook jobs.

use ecrm_core::playbook::Action;
use ecrm_core::time::Millis;
use serde::Serialize;

/// A coupon pool to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CouponPoolInput {
    pub name: String,
    pub title: String,
    /// `amount` (value in cents) or `percent`.
    pub value_kind: String,
    pub value: i64,
    pub currency: Option<String>,
    /// Each issued code expires this many days after issue.
    pub valid_days: Option<i64>,
    /// Codes are issued only inside this window.
    pub valid_from: Option<Millis>,
    pub valid_until: Option<Millis>,
    pub per_customer_limit: i64,
    pub created_at: Millis,
}

/// A stored coupon pool with its code counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CouponPool {
    #[serde(flatten)]
    pub pool: CouponPoolInput,
    pub codes_total: i64,
    pub codes_issued: i64,
}

/// What adding codes to a pool did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodeAddCounts {
    pub added: u64,
    /// Codes already in the pool, skipped.
    pub duplicates: u64,
}

/// A coupon a customer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldCoupon {
    pub pool: String,
    pub code: String,
    pub title: String,
    pub value_kind: String,
    pub value: i64,
    pub currency: Option<String>,
    pub issued_at: Millis,
    pub expires_at: Option<Millis>,
}

/// A benefit granted to a customer (for loyalty tiers to read later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BenefitRecord {
    pub benefit: String,
    pub granted_at: Millis,
    /// Who granted it (`playbook:vip-care`).
    pub source: String,
}

/// A customer on the paid-ads suppression list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub customer_id: String,
    pub reason: String,
    pub added_at: Millis,
    pub source: String,
    /// The customer's first email and phone, for ad-platform audience files.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Everything playbooks gave a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CustomerPerks {
    pub coupons: Vec<HeldCoupon>,
    pub benefits: Vec<BenefitRecord>,
    pub tags: Vec<String>,
    pub ads_suppressed: Option<Suppression>,
}

/// One playbook action to run for one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookActionInput {
    /// The idempotency key (`ecrm_core::playbook::plan::action_key`): stored once, so a second
    /// run with the same key does nothing.
    pub key: String,
    pub playbook: String,
    pub trigger: String,
    pub customer_id: String,
    pub action: Action,
    /// The JSON body a webhook action posts (the customer's profile); queued as a job.
    pub webhook_body: Option<String>,
    pub at: Millis,
}

/// What running an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ActionOutcome {
    /// Done now; `detail` says what (`{"code": "..."}` for a coupon).
    Done { detail: serde_json::Value },
    /// Skipped and recorded: `limit_reached`, `pool_empty`, `pool_not_valid`, `unknown_customer`.
    Skipped { reason: String },
    /// This key ran before: nothing happened.
    AlreadyDone,
}

/// One action from the ledger (the customer's timeline shows these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaybookActionRecord {
    pub id: i64,
    pub playbook: String,
    pub trigger: String,
    pub action: String,
    pub customer_id: String,
    /// `done` or `skipped`.
    pub outcome: String,
    pub detail: serde_json::Value,
    pub at: Millis,
}

/// A queued job (webhook calls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub run_after: Millis,
}

/// How a job attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Done,
    /// Try again at `run_after`.
    Retry {
        run_after: Millis,
        error: String,
    },
    /// Give up.
    Failed {
        error: String,
    },
}
