//! The playbook part of the store: [`PlaybookStore`] (a supertrait of [`crate::Store`], so every
//! store has it) with its SQL written once over the small [`sql::Sql`] interface each backend
//! implements (`sqlite/playbooks.rs`, `postgres/playbooks.rs`).

pub(crate) mod model;
mod read;
pub(crate) mod sql;
mod write;

use ecrm_core::time::Millis;

use crate::error::StoreResult;
use model::{
    ActionOutcome, CodeAddCounts, CouponPool, CouponPoolInput, CustomerPerks, JobRecord, JobResult,
    PlaybookActionInput, PlaybookActionRecord, Suppression,
};
use sql::Sql;

/// Coupon pools, playbook actions and what they gave customers, and webhook jobs. Each write method is one transaction.
pub trait PlaybookStore {
    /// Creates a coupon pool; false (and nothing changed) when one of that name exists.
    fn create_coupon_pool(&self, pool: &CouponPoolInput) -> StoreResult<bool>;
    /// Adds codes to a pool (`NotFound` when the pool does not exist); known codes are duplicates.
    fn add_coupon_codes(
        &self,
        pool: &str,
        codes: &[String],
        at: Millis,
    ) -> StoreResult<CodeAddCounts>;
    /// Every coupon pool with its code counts, by name.
    fn coupon_pools(&self) -> StoreResult<Vec<CouponPool>>;
    /// One coupon pool.
    fn coupon_pool(&self, name: &str) -> StoreResult<Option<CouponPool>>;
    /// Runs playbook actions in one transaction, each at most once per key; returns each outcome.
    fn apply_playbook_actions(
        &self,
        actions: &[PlaybookActionInput],
    ) -> StoreResult<Vec<ActionOutcome>>;
    /// Which of these idempotency keys already ran.
    fn playbook_keys_done(&self, keys: &[String]) -> StoreResult<Vec<bool>>;
    /// The newest `limit` playbook actions of a customer.
    fn customer_playbook_actions(
        &self,
        customer_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<PlaybookActionRecord>>;
    /// Coupons held, benefits, tags and ads suppression of a customer.
    fn customer_perks(&self, customer_id: &str) -> StoreResult<CustomerPerks>;
    /// A page of the paid-ads suppression list, in customer-id order after `after`.
    fn ads_suppressions(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Suppression>>;
    /// A named value of the playbook engine (`cursor`, `config`).
    fn playbook_state(&self, name: &str) -> StoreResult<Option<String>>;
    /// Sets a named value of the playbook engine.
    fn set_playbook_state(&self, name: &str, value: &str, at: Millis) -> StoreResult<()>;
    /// Pending jobs of `kind` due at `now`, oldest first.
    fn jobs_due(&self, kind: &str, now: Millis, limit: usize) -> StoreResult<Vec<JobRecord>>;
    /// Records how a job attempt ended.
    fn finish_job(&self, id: i64, result: &JobResult) -> StoreResult<()>;
}

/// How a backend runs the shared playbook SQL.
pub(crate) trait SqlBackend {
    /// Runs `body` in one write transaction.
    fn sql_write<R>(&self, body: impl FnOnce(&mut dyn Sql) -> StoreResult<R>) -> StoreResult<R>;
    /// Runs `body` on a read connection.
    fn sql_read<R>(&self, body: impl FnOnce(&mut dyn Sql) -> StoreResult<R>) -> StoreResult<R>;
}

/// Implements [`PlaybookStore`] for a backend that implements [`SqlBackend`].
macro_rules! impl_playbook_store {
    ($store:ty) => {
        impl $crate::playbooks::PlaybookStore for $store {
            fn create_coupon_pool(
                &self,
                pool: &$crate::CouponPoolInput,
            ) -> $crate::StoreResult<bool> {
                self.sql_write(|sql| $crate::playbooks::pool_create(sql, pool))
            }
            fn add_coupon_codes(
                &self,
                pool: &str,
                codes: &[String],
                at: ecrm_core::time::Millis,
            ) -> $crate::StoreResult<$crate::CodeAddCounts> {
                self.sql_write(|sql| $crate::playbooks::codes_add(sql, pool, codes, at))
            }
            fn coupon_pools(&self) -> $crate::StoreResult<Vec<$crate::CouponPool>> {
                self.sql_read(|sql| $crate::playbooks::pools(sql))
            }
            fn coupon_pool(&self, name: &str) -> $crate::StoreResult<Option<$crate::CouponPool>> {
                self.sql_read(|sql| $crate::playbooks::pool(sql, name))
            }
            fn apply_playbook_actions(
                &self,
                actions: &[$crate::PlaybookActionInput],
            ) -> $crate::StoreResult<Vec<$crate::ActionOutcome>> {
                self.sql_write(|sql| $crate::playbooks::actions_apply(sql, actions))
            }
            fn playbook_keys_done(&self, keys: &[String]) -> $crate::StoreResult<Vec<bool>> {
                self.sql_read(|sql| $crate::playbooks::keys_done(sql, keys))
            }
            fn customer_playbook_actions(
                &self,
                customer_id: &str,
                limit: usize,
            ) -> $crate::StoreResult<Vec<$crate::PlaybookActionRecord>> {
                self.sql_read(|sql| $crate::playbooks::actions_of(sql, customer_id, limit))
            }
            fn customer_perks(
                &self,
                customer_id: &str,
            ) -> $crate::StoreResult<$crate::CustomerPerks> {
                self.sql_read(|sql| $crate::playbooks::perks(sql, customer_id))
            }
            fn ads_suppressions(
                &self,
                after: Option<&str>,
                limit: usize,
            ) -> $crate::StoreResult<Vec<$crate::Suppression>> {
                self.sql_read(|sql| $crate::playbooks::suppressions(sql, after, limit))
            }
            fn playbook_state(&self, name: &str) -> $crate::StoreResult<Option<String>> {
                self.sql_read(|sql| $crate::playbooks::state(sql, name))
            }
            fn set_playbook_state(
                &self,
                name: &str,
                value: &str,
                at: ecrm_core::time::Millis,
            ) -> $crate::StoreResult<()> {
                self.sql_write(|sql| $crate::playbooks::state_set(sql, name, value, at))
            }
            fn jobs_due(
                &self,
                kind: &str,
                now: ecrm_core::time::Millis,
                limit: usize,
            ) -> $crate::StoreResult<Vec<$crate::JobRecord>> {
                self.sql_read(|sql| $crate::playbooks::jobs_due(sql, kind, now, limit))
            }
            fn finish_job(&self, id: i64, result: &$crate::JobResult) -> $crate::StoreResult<()> {
                self.sql_write(|sql| $crate::playbooks::job_finish(sql, id, result))
            }
        }
    };
}
pub(crate) use impl_playbook_store;

pub(crate) use read::{actions_of, jobs_due, keys_done, perks, pool, pools, state, suppressions};
pub(crate) use write::{actions_apply, codes_add, job_finish, pool_create, state_set};
