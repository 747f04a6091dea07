//! Identifier rows the writer connection has read or written, kept across transactions so that a
//! returning visitor costs no index lookup.
//!
//! Every change to `identifiers` goes through a write transaction of the store's one writer
//! connection ([`super::tx::SqliteTx`]), which keeps this map current through its own inserts and
//! moves. Other connections (another `ecrm` process on the same file) are caught by SQLite's
//! `PRAGMA data_version`, which changes when any *other* connection commits: it is read at the start
//! of every write transaction, after the write lock is held, and a change empties the map. A
//! transaction that does not commit empties it too, since it may have recorded rows that were
//! rolled back.

use std::collections::HashMap;

use ecrm_core::Identifier;

/// Entries per generation; at most two generations are held (about 30 MiB at 100,000).
const GENERATION: usize = 100_000;

/// Identifier → (row, customer id), in two generations: lookups that hit the old one move the entry
/// to the new one, and a full new generation replaces the old, so the hot identifiers stay.
#[derive(Default)]
pub(crate) struct IdentifierCache {
    data_version: Option<i64>,
    young: HashMap<Identifier, (i64, String)>,
    old: HashMap<Identifier, (i64, String)>,
}

impl IdentifierCache {
    /// Starts a write transaction at `data_version`: what was known is kept only if no other
    /// connection committed since the last transaction.
    pub(crate) fn begin(&mut self, data_version: i64) {
        if self.data_version != Some(data_version) {
            self.clear();
            self.data_version = Some(data_version);
        }
    }

    /// Forgets everything (a transaction rolled back).
    pub(crate) fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
        self.data_version = None;
    }

    /// The row and customer of `identifier`, if known.
    pub(crate) fn get(&mut self, identifier: &Identifier) -> Option<(i64, String)> {
        if let Some(found) = self.young.get(identifier) {
            return Some(found.clone());
        }
        let (key, found) = self.old.remove_entry(identifier)?;
        self.young_insert(key, found.clone());
        Some(found)
    }

    /// `identifier` is stored as `row` of `customer_id`.
    pub(crate) fn put(&mut self, identifier: &Identifier, row: i64, customer_id: &str) {
        if let Some(entry) = self.young.get_mut(identifier) {
            *entry = (row, customer_id.to_string());
            return;
        }
        self.old.remove(identifier);
        self.young_insert(identifier.clone(), (row, customer_id.to_string()));
    }

    fn young_insert(&mut self, identifier: Identifier, entry: (i64, String)) {
        if self.young.len() >= GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(identifier, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(value: &str) -> Identifier {
        Identifier::anonymous_id(value).expect("identifier")
    }

    #[test]
    fn another_connections_commit_empties_it() {
        let mut cache = IdentifierCache::default();
        cache.begin(1);
        cache.put(&anon("a"), 7, "c1");
        assert_eq!(cache.get(&anon("a")), Some((7, "c1".to_string())));
        cache.begin(1);
        assert!(cache.get(&anon("a")).is_some(), "same version: kept");
        cache.begin(2);
        assert_eq!(cache.get(&anon("a")), None);
    }

    #[test]
    fn moves_replace_and_old_entries_survive_one_generation() {
        let mut cache = IdentifierCache::default();
        cache.begin(1);
        cache.put(&anon("a"), 7, "c1");
        cache.put(&anon("a"), 7, "c2");
        assert_eq!(cache.get(&anon("a")), Some((7, "c2".to_string())));
        for n in 0..GENERATION {
            cache.put(&anon(&format!("n{n}")), n as i64, "x");
        }
        assert_eq!(
            cache.get(&anon("a")),
            Some((7, "c2".to_string())),
            "in the old generation"
        );
        cache.clear();
        assert_eq!(cache.get(&anon("a")), None);
    }

    /// A merge committed through another connection (another process) is seen by the next write:
    /// the profile update of a returning visitor lands on the customer it was merged into.
    #[test]
    fn merges_by_another_connection_are_seen() {
        use crate::api::Store;
        use crate::model::{CustomerAttributes, CustomerInput, EventInput, WriteContext};
        use crate::sqlite::SqliteStore;
        use crate::tracked::{TrackedBatch, TrackedItem};
        use ecrm_core::order::CustomerRef;

        let dir = std::env::temp_dir().join(format!("ecrm-known-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("store.db");
        let _ = std::fs::remove_file(&path);
        let ctx = WriteContext {
            source: "test".to_string(),
            at: 1,
            limits: ecrm_core::identity::IdentityLimits::standard(),
        };
        let device = anon("d1");
        let tracked = |message_id: &str, name: Option<&str>| {
            let event = EventInput {
                message_id: message_id.to_string(),
                kind: "identify".to_string(),
                name: None,
                customer: CustomerRef::new(vec![device.clone()], None, None),
                channel: None,
                occurred_at: 10,
                client_time: None,
                sent_at: None,
                received_at: 10,
                properties: serde_json::json!({}),
                context: serde_json::json!({}),
            };
            let profile = CustomerAttributes {
                name: name.map(str::to_string),
                ..CustomerAttributes::default()
            };
            vec![TrackedBatch {
                source: "api:test".to_string(),
                items: vec![TrackedItem::new(event, Some(profile), Vec::new())],
            }]
        };
        let first = SqliteStore::open(&path).expect("open");
        let second = SqliteStore::open(&path).expect("open again");
        first
            .write_tracked(&tracked("m1", None), &ctx)
            .expect("first visit");
        let user = Identifier::user_id("u1").expect("user id");
        let rows = [CustomerInput {
            customer: CustomerRef::new(vec![user.clone(), device.clone()], None, None),
            attributes: CustomerAttributes::default(),
        }];
        second.write_customers(&rows, &ctx).expect("merge");
        first
            .write_tracked(&tracked("m2", Some("Ann")), &ctx)
            .expect("second visit");
        let merged = first.find_customer_id(&device).expect("lookup");
        assert_eq!(merged.as_deref(), Some("u1"));
        let profile = first.customer_360("u1", 1).expect("u1");
        assert_eq!(profile.customer.name.as_deref(), Some("Ann"));
        drop((first, second));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
