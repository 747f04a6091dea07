//! Fresh stores for each test: a new SQLite file, or a new PostgreSQL schema.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ecrm_core::identity::IdentityLimits;
use ecrm_core::order::{CustomerRef, OrderKind, OrderLine};
use ecrm_core::{Identifier, IdentifierKind};
use ecrm_store::{PostgresStore, SqliteStore, Store, WriteContext};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A store on a new SQLite file in the system temp directory.
pub fn sqlite_store() -> Arc<dyn Store> {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("ecrm-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("store-{n}.db"));
    let _ = std::fs::remove_file(&path);
    Arc::new(SqliteStore::open(&path).expect("open sqlite"))
}

/// A store in a new PostgreSQL schema named after the test, or `None` (with a message) without a database.
pub fn postgres_store(test: &str) -> Option<Arc<dyn Store>> {
    let Ok(url) = std::env::var("ECRM_TEST_DATABASE_URL") else {
        eprintln!("skipping PostgreSQL conformance test {test}: ECRM_TEST_DATABASE_URL is not set");
        return None;
    };
    let schema = format!("ct_{test}");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls)
        .expect("connect to ECRM_TEST_DATABASE_URL");
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .expect("drop schema");
    Some(Arc::new(
        PostgresStore::connect_in_schema(&url, &schema).expect("open postgres"),
    ))
}

pub fn ctx(at: i64) -> WriteContext {
    WriteContext {
        source: "test".to_string(),
        at,
        limits: IdentityLimits::standard(),
    }
}

pub fn user(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::UserId,
        value: value.to_string(),
    }
}

pub fn email(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::Email,
        value: value.to_string(),
    }
}

pub fn anon(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::AnonymousId,
        value: value.to_string(),
    }
}

pub fn who(identifiers: &[Identifier]) -> CustomerRef {
    CustomerRef::new(identifiers.to_vec(), None, None)
}

/// One order line of `amount_cents` for `customer` (guest when empty).
pub fn line(
    order_key: &str,
    line_key: i64,
    customer: &[Identifier],
    at: i64,
    amount_cents: i64,
) -> OrderLine {
    let kind = if amount_cents < 0 {
        OrderKind::Refund
    } else {
        OrderKind::Order
    };
    OrderLine {
        order_key: order_key.to_string(),
        kind,
        customer: who(customer),
        ordered_at: at,
        line_key,
        product_id: Some(format!("p{line_key}")),
        product_name: None,
        category: Some("shoes".to_string()),
        quantity: if amount_cents < 0 { -1 } else { 1 },
        unit_price_cents: amount_cents.abs(),
        amount_cents,
        currency: "USD".to_string(),
        status: None,
    }
}

pub fn customer_of(store: &dyn Store, identifier: &Identifier) -> String {
    store
        .find_customer_id(identifier)
        .expect("lookup")
        .unwrap_or_default()
}
