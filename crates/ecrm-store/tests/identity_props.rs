//! Property tests of identity resolution through a real SQLite store: the same observations in any
//! arrival order give the same customers, and no customer ever breaks the limits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use ecrm_core::identity::IdentityLimits;
use ecrm_core::order::CustomerRef;
use ecrm_core::{Identifier, IdentifierKind};
use ecrm_store::{SqliteStore, Store, WriteContext};
use proptest::prelude::*;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn fresh_store() -> SqliteStore {
    let dir = std::env::temp_dir().join(format!("ecrm-identity-props-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!(
        "props-{}.db",
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_file(&path);
    SqliteStore::open(&path).expect("open")
}

fn limits() -> IdentityLimits {
    let mut limits = IdentityLimits::standard();
    limits.max_per_kind.insert("email".to_string(), 2);
    limits
}

fn identifier() -> impl Strategy<Value = Identifier> {
    prop_oneof![
        (0u8..4).prop_map(|n| Identifier {
            kind: IdentifierKind::UserId,
            value: format!("u{n}")
        }),
        (0u8..5).prop_map(|n| Identifier {
            kind: IdentifierKind::Email,
            value: format!("e{n}@x.io")
        }),
        (0u8..5).prop_map(|n| Identifier {
            kind: IdentifierKind::AnonymousId,
            value: format!("a{n}")
        }),
    ]
}

fn observations() -> impl Strategy<Value = Vec<Vec<Identifier>>> {
    prop::collection::vec(prop::collection::vec(identifier(), 1..4), 1..14)
}

/// Applies observations one call each and returns identifier → customer, plus each customer's identifiers.
fn apply(
    observations: &[Vec<Identifier>],
) -> (BTreeMap<String, String>, BTreeMap<String, Vec<Identifier>>) {
    let store = fresh_store();
    for (idx, observation) in observations.iter().enumerate() {
        let ctx = WriteContext {
            source: "prop".to_string(),
            at: idx as i64,
            limits: limits(),
        };
        store
            .resolve_identity(&CustomerRef::new(observation.clone(), None, None), &ctx)
            .expect("resolve");
    }
    let mut owner = BTreeMap::new();
    let mut members: BTreeMap<String, Vec<Identifier>> = BTreeMap::new();
    for identifier in observations.iter().flatten() {
        let customer = store
            .find_customer_id(identifier)
            .expect("lookup")
            .expect("every identifier has a customer");
        owner.insert(identifier.to_string(), customer.clone());
        let list = members.entry(customer).or_default();
        if !list.contains(identifier) {
            list.push(identifier.clone());
        }
    }
    (owner, members)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn arrival_order_does_not_change_customers(observations in observations(), seed in any::<u64>()) {
        let mut shuffled = observations.clone();
        let mut state = seed | 1;
        for idx in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(idx, (state % (idx as u64 + 1)) as usize);
        }
        let (forward, _) = apply(&observations);
        let (reordered, _) = apply(&shuffled);
        prop_assert_eq!(forward, reordered);
    }

    #[test]
    fn customers_respect_the_limits_and_are_named_by_their_smallest_identifier(observations in observations()) {
        let (_, members) = apply(&observations);
        for (customer, identifiers) in members {
            let refs: Vec<&Identifier> = identifiers.iter().collect();
            prop_assert!(limits().allows(&refs), "{customer} holds {identifiers:?}");
            let smallest = identifiers.iter().min().map(Identifier::customer_id);
            prop_assert_eq!(Some(customer), smallest);
        }
    }
}
