use ecrm_core::Identifier;
use ecrm_store::{CustomerAttributes, CustomerInput, Store};

use crate::support::{anon, ctx, customer_of, email, user, who};

pub fn shared_email_links_device_to_user(store: &dyn Store) {
    store
        .resolve_identity(&who(&[anon("dev1"), email("ann@x.io")]), &ctx(1))
        .expect("first");
    assert_eq!(customer_of(store, &anon("dev1")), "email:ann@x.io");
    let resolution = store
        .resolve_identity(&who(&[user("u1"), email("ann@x.io")]), &ctx(2))
        .expect("second");
    assert_eq!(resolution.customer_id.as_deref(), Some("u1"));
    assert_eq!(customer_of(store, &anon("dev1")), "u1");
    let merges = store.merge_history("u1").expect("history");
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0].from_customer, "email:ann@x.io");
    assert_eq!(store.stats().expect("stats").customers, 1);
}

pub fn two_user_ids_never_merge(store: &dyn Store) {
    store
        .resolve_identity(&who(&[user("u1"), email("shared@x.io")]), &ctx(1))
        .expect("u1");
    let second = store
        .resolve_identity(&who(&[user("u2"), email("shared@x.io")]), &ctx(2))
        .expect("u2");
    assert_eq!(second.customer_id.as_deref(), Some("u2"));
    assert_eq!(customer_of(store, &email("shared@x.io")), "u1");
    assert_eq!(store.stats().expect("stats").customers, 2);
    assert!(store.merge_history("u2").expect("history").is_empty());
}

pub fn unmerge_splits_and_keeps_apart(store: &dyn Store) {
    store
        .resolve_identity(&who(&[anon("d1")]), &ctx(1))
        .expect("device alone");
    store
        .resolve_identity(&who(&[anon("d1"), user("u1")]), &ctx(2))
        .expect("link");
    assert_eq!(customer_of(store, &anon("d1")), "u1");
    let merge = store
        .merge_history("u1")
        .expect("history")
        .into_iter()
        .next()
        .expect("a merge");
    let customers = store.unmerge(merge.id, &ctx(5)).expect("unmerge");
    assert_eq!(
        customers,
        vec!["anonymous_id:d1".to_string(), "u1".to_string()]
    );
    assert_eq!(customer_of(store, &anon("d1")), "anonymous_id:d1");
    store
        .resolve_identity(&who(&[anon("d1"), user("u1")]), &ctx(6))
        .expect("seen together again");
    assert_eq!(
        customer_of(store, &anon("d1")),
        "anonymous_id:d1",
        "an undone merge stays undone"
    );
    assert!(
        store.unmerge(merge.id, &ctx(7)).is_err(),
        "undoing twice is a conflict"
    );
}

/// The same observations in different orders give the same customers.
pub fn arrival_order_does_not_change_customers(store: &dyn Store) {
    let observations: Vec<Vec<Identifier>> = vec![
        vec![anon("a1"), email("x@x.io")],
        vec![user("u1"), email("x@x.io")],
        vec![user("u2"), email("x@x.io")],
        vec![user("u2"), anon("a2")],
        vec![anon("a2"), email("y@x.io")],
        vec![anon("a3"), email("y@x.io")],
        vec![user("u1"), anon("a4")],
    ];
    let all: Vec<Identifier> = observations.iter().flatten().cloned().collect();
    let mut outcomes = Vec::new();
    for (round, order) in [
        [0, 1, 2, 3, 4, 5, 6],
        [6, 5, 4, 3, 2, 1, 0],
        [2, 0, 4, 6, 1, 3, 5],
    ]
    .iter()
    .enumerate()
    {
        let source_store = crate::support::sqlite_store();
        let target: &dyn Store = if round == 0 { store } else { &*source_store };
        for idx in order {
            target
                .resolve_identity(&who(&observations[*idx]), &ctx(*idx as i64))
                .expect("resolve");
        }
        let mapping: Vec<(String, String)> = all
            .iter()
            .map(|identifier| (identifier.to_string(), customer_of(target, identifier)))
            .collect();
        outcomes.push(mapping);
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert_eq!(outcomes[0], outcomes[2]);
    assert_eq!(customer_of(store, &email("x@x.io")), "u1");
}

pub fn customer_rows_merge_attributes(store: &dyn Store) {
    let row = CustomerInput {
        customer: who(&[user("u9"), email("nine@x.io")]),
        attributes: CustomerAttributes {
            name: Some("Nine Li".to_string()),
            country: Some("CN".to_string()),
            extra: serde_json::json!({"plan": "gold"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..CustomerAttributes::default()
        },
    };
    let counts = store
        .write_customers(std::slice::from_ref(&row), &ctx(1))
        .expect("write");
    assert_eq!(counts.customers_created, 1);
    let again = store.write_customers(&[row], &ctx(2)).expect("rewrite");
    assert_eq!(again.customers_created, 0);
    let view = store.customer_360("u9", 1).expect("360");
    assert_eq!(view.customer.name.as_deref(), Some("Nine Li"));
    assert_eq!(view.customer.attributes["plan"], "gold");
    assert_eq!(view.identifiers.len(), 2);
}
