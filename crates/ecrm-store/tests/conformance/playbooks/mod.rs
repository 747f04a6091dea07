//! Playbook tables on both backends (the bodies are listed in `conformance_suite!`), and the
//! property that no customer ever holds more coupons of a pool than its limit.

mod actions;
mod limits;

pub use actions::{
    actions_show_on_the_timeline, benefits_tags_attributes_and_suppression,
    pool_windows_and_empty_pools_are_skipped, pools_hand_out_codes_within_limits_once_per_key,
    webhooks_queue_jobs_that_retry,
};

use ecrm_core::playbook::Action;
use ecrm_store::{CouponPoolInput, CustomerAttributes, CustomerInput, PlaybookActionInput, Store};

use crate::support::{ctx, email, user, who};

/// A pool of `limit` per customer with `codes` codes `C0`, `C1`, ...
pub fn pool(store: &dyn Store, name: &str, limit: i64, codes: usize) {
    let input = CouponPoolInput {
        name: name.to_string(),
        title: format!("{name} coupon"),
        value_kind: "amount".to_string(),
        value: 1000,
        currency: Some("CNY".to_string()),
        valid_days: Some(30),
        valid_from: None,
        valid_until: None,
        per_customer_limit: limit,
        created_at: 1,
    };
    assert!(store.create_coupon_pool(&input).expect("create pool"));
    let codes: Vec<String> = (0..codes).map(|n| format!("{name}-C{n}")).collect();
    store.add_coupon_codes(name, &codes, 1).expect("codes");
}

/// A customer `u` with an email, returning its id.
pub fn customer(store: &dyn Store, u: &str) -> String {
    let row = CustomerInput {
        customer: who(&[user(u), email(&format!("{u}@example.com"))]),
        attributes: CustomerAttributes::default(),
    };
    store.write_customers(&[row], &ctx(1)).expect("customer");
    crate::support::customer_of(store, &user(u))
}

/// An action input keyed `key`.
pub fn act(key: &str, customer: &str, action: Action, at: i64) -> PlaybookActionInput {
    PlaybookActionInput {
        key: key.to_string(),
        playbook: "test".to_string(),
        trigger: "on_enter".to_string(),
        customer_id: customer.to_string(),
        action,
        webhook_body: None,
        at,
    }
}
