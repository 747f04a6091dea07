//! Migrations applied to a store written by an earlier version.

use rusqlite::Connection;

use super::SqliteStore;
use crate::Store;
use crate::model::{EventInput, WriteContext};

/// A fresh directory for one test's store, and the store's path in it.
fn fresh_store_path(test: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ecrm-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ecrm.db");
    (dir, path)
}

/// The one value `sql` reads from the store file at `path` (its schema, say).
fn schema_value<T: rusqlite::types::FromSql>(path: &std::path::Path, sql: &str) -> T {
    Connection::open(path)
        .expect("open")
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

/// A store at schema `version` (migrations up to it applied) at `path`.
fn store_at_version(path: &std::path::Path, version: i64) -> Connection {
    let conn = Connection::open(path).expect("open");
    super::migrate_through(&conn, version).expect("migrations");
    conn
}

/// Migration 9 rebuilds `events` keyed by (client_time, message_id): ids and rows are kept, the
/// client's time is reconstructed, and a retry of a stored message is still a duplicate.
#[test]
fn the_event_dedup_key_migration_keeps_events_and_their_deduplication() {
    let (dir, path) = fresh_store_path("migration-9");
    let conn = store_at_version(&path, 8);
    // A tracking API event whose timestamp 1,000 was corrected by a skew of 500 (sent 1,500,
    // received 2,000); a file-imported event (no sentAt); a message sent without a time, which took
    // its receive time.
    conn.execute_batch(
        "INSERT INTO events (id, message_id, type, source, occurred_at, sent_at, received_at) VALUES
             (7, 'api', 'track', 'api:web', 1500, 1500, 2000),
             (8, 'file', 'track', 'import', 3000, NULL, 9000),
             (9, 'undated', 'page', 'api:web', 4000, 4100, 4000);",
    )
    .expect("events of version 8");
    drop(conn);
    let store = SqliteStore::open(&path).expect("migrate");
    let rows: Vec<(i64, String, i64)> = {
        let conn = Connection::open(&path).expect("open");
        let mut statement = conn
            .prepare("SELECT id, message_id, client_time FROM events ORDER BY id")
            .expect("prepare");
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(
        rows,
        [
            (7, "api".to_string(), 1_000),
            (8, "file".to_string(), 3_000),
            (9, "undated".to_string(), 0),
        ]
    );
    let retry = |message_id: &str, client_time: Option<i64>| EventInput {
        message_id: message_id.to_string(),
        kind: "track".to_string(),
        name: None,
        customer: ecrm_core::order::CustomerRef::new(Vec::new(), None, None),
        channel: None,
        occurred_at: 5_000,
        client_time,
        sent_at: None,
        received_at: 5_000,
        properties: serde_json::json!({}),
        context: serde_json::json!({}),
    };
    let ctx = WriteContext {
        source: "test".to_string(),
        at: 5_000,
        limits: ecrm_core::identity::IdentityLimits::standard(),
    };
    let counts = store
        .write_events(
            &[
                retry("api", Some(1_000)),
                retry("file", Some(3_000)),
                retry("undated", None),
            ],
            &ctx,
        )
        .expect("retries");
    assert_eq!(counts.duplicates_skipped, 3, "{counts:?}");
    assert_eq!(counts.events_created, 0, "{counts:?}");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Migration 10 re-clusters `traits` by name: every row is kept with its columns, a customer's
/// traits still read back in name order, and a later write replaces the migrated row.
#[test]
fn the_traits_by_name_migration_keeps_every_trait() {
    let (dir, path) = fresh_store_path("migration-10");
    let conn = store_at_version(&path, 9);
    conn.execute_batch(
        "INSERT INTO traits (customer_id, name, value, computed_at, model_fit_id, label, label_since)
         VALUES ('b', 'rfm', '{\"r\":5}', 10, 3, 'champions', 7),
                ('a', 'rfm', '{\"r\":1}', 10, 3, 'hibernating', 10),
                ('a', 'lifecycle', '{\"stage\":\"new\"}', 11, NULL, 'new', 11),
                ('b', 'behaviour', '{\"sessions\":2}', 12, NULL, NULL, 12);",
    )
    .expect("traits of version 9");
    drop(conn);
    let store = SqliteStore::open(&path).expect("migrate");
    let key: String = schema_value(
        &path,
        "SELECT group_concat(name, ',') FROM pragma_index_info('sqlite_autoindex_traits_1')",
    );
    assert_eq!(key, "name,customer_id");
    let of = |customer: &str| -> Vec<(String, String, i64, Option<i64>)> {
        store
            .customer_traits(customer)
            .expect("traits")
            .into_iter()
            .map(|t| (t.name, t.value, t.computed_at, t.model_fit_id))
            .collect()
    };
    assert_eq!(
        of("a"),
        [
            (
                "lifecycle".to_string(),
                "{\"stage\":\"new\"}".to_string(),
                11,
                None
            ),
            ("rfm".to_string(), "{\"r\":1}".to_string(), 10, Some(3)),
        ]
    );
    assert_eq!(of("b").len(), 2);
    assert!(of("c").is_empty());
    let periods = store.trait_periods("b", "rfm").expect("periods");
    assert_eq!(periods.len(), 1);
    assert_eq!(
        (periods[0].since, periods[0].label.as_str()),
        (7, "champions")
    );
    let counts = store
        .write_traits(
            &mut vec![crate::TraitWrite {
                customer_id: "b".to_string(),
                name: "rfm".to_string(),
                value: "{\"r\":4}".to_string(),
                label: Some("loyal customers".to_string()),
            }]
            .into_iter(),
            20,
            None,
        )
        .expect("write");
    assert_eq!((counts.written, counts.changed), (1, 1));
    let periods = store.trait_periods("b", "rfm").expect("periods");
    assert_eq!(
        periods.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
        ["champions", "loyal customers"]
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Migration 11 drops the memberships' index by customer: every membership is kept, and a
/// customer's memberships are still found, in segment order, through the primary key.
#[test]
fn the_memberships_by_segment_only_migration_keeps_every_membership() {
    let (dir, path) = fresh_store_path("migration-11");
    let conn = store_at_version(&path, 10);
    conn.execute_batch(
        "INSERT INTO segment_memberships (segment_id, customer_id, entered_at)
         VALUES (9, 'a', 30), (2, 'a', 10), (2, 'b', 11), (5, 'b', 12), (7, 'c', 13);",
    )
    .expect("memberships of version 10");
    drop(conn);
    let store = SqliteStore::open(&path).expect("migrate");
    let indexes: i64 = schema_value(
        &path,
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' \
         AND name = 'segment_memberships_customer'",
    );
    assert_eq!(indexes, 0);
    let of = |customer: &str| -> Vec<(i64, i64)> {
        store
            .customer_memberships(customer)
            .expect("memberships")
            .into_iter()
            .map(|m| {
                assert_eq!(m.customer_id, customer);
                (m.segment_id, m.entered_at)
            })
            .collect()
    };
    assert_eq!(of("a"), [(2, 10), (9, 30)]);
    assert_eq!(of("b"), [(2, 11), (5, 12)]);
    assert_eq!(of("c"), [(7, 13)]);
    assert!(of("d").is_empty());
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
