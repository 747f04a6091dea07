//! Playbook tables on both backends. The segment tables are filled with plain SQL through a second
//! connection (`Seeder`), since writing them belongs to the segment engine.

mod actions;
mod limits;
mod segments;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ecrm_core::playbook::Action;
use ecrm_store::{
    CouponPoolInput, CustomerAttributes, CustomerInput, PlaybookActionInput, PostgresStore,
    SqliteStore, Store,
};

use crate::support::{ctx, email, user, who};

/// Runs raw SQL on the database a test store uses.
pub type Seeder = Box<dyn FnMut(&str)>;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A store on a new SQLite file and a raw connection to it.
pub fn sqlite_pair() -> (Arc<dyn Store>, Seeder) {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("ecrm-conformance-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("store-{n}.db"));
    let _ = std::fs::remove_file(&path);
    let store = Arc::new(SqliteStore::open(&path).expect("open sqlite"));
    let conn = rusqlite::Connection::open(&path).expect("raw connection");
    (
        store,
        Box::new(move |sql: &str| conn.execute_batch(sql).expect("seed")),
    )
}

/// A store in a fresh PostgreSQL schema and a raw client on it, or `None` without a database.
pub fn postgres_pair(test: &str) -> Option<(Arc<dyn Store>, Seeder)> {
    let Ok(url) = std::env::var("ECRM_TEST_DATABASE_URL") else {
        eprintln!("skipping PostgreSQL conformance test {test}: ECRM_TEST_DATABASE_URL is not set");
        return None;
    };
    let schema = format!("ct_play_{test}");
    let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .expect("drop schema");
    let store = Arc::new(PostgresStore::connect_in_schema(&url, &schema).expect("open postgres"));
    admin
        .batch_execute(&format!("SET search_path TO {schema}"))
        .expect("search path");
    Some((
        store,
        Box::new(move |sql: &str| admin.batch_execute(sql).expect("seed")),
    ))
}

macro_rules! playbook_suite {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let (store, mut seed) = super::sqlite_pair();
                    super::$module::$name(&*store, &mut seed);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some((store, mut seed)) = super::postgres_pair(stringify!($name)) else { return };
                    super::$module::$name(&*store, &mut seed);
                }
            )*
        }
    };
}

playbook_suite!(
    actions::pools_hand_out_codes_within_limits_once_per_key,
    actions::pool_windows_and_empty_pools_are_skipped,
    actions::benefits_tags_attributes_and_suppression,
    actions::webhooks_queue_jobs_that_retry,
    actions::actions_show_on_the_timeline,
    segments::changes_and_members_are_read_in_order,
);

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
