//! Segments storage: the change cursor, consumer positions, facts and event aggregates.

use ecrm_core::segment::{Aggregate, AggregateFn, Cmp, Literal, PropertyFilter};
use ecrm_store::{
    ChangeCursor, ChangeKind, CustomerAttributes, CustomerInput, EventInput, FactRow, Store,
    TraitWrite,
};

use crate::support::{anon, ctx, customer_of, email, line, user, who};

fn event(
    id: &str,
    customer: &[ecrm_core::Identifier],
    name: &str,
    at: i64,
    props: serde_json::Value,
) -> EventInput {
    EventInput {
        message_id: id.to_string(),
        kind: "track".to_string(),
        name: Some(name.to_string()),
        customer: who(customer),
        channel: None,
        occurred_at: at,
        client_time: None,
        sent_at: None,
        received_at: at,
        properties: props,
        context: serde_json::json!({}),
    }
}

fn changes_of(
    store: &dyn Store,
    cursor: &ChangeCursor,
) -> (Vec<(String, ChangeKind)>, ChangeCursor) {
    let batch = store
        .customer_changes_since(cursor, 1_000)
        .expect("changes");
    let pairs = batch
        .changes
        .into_iter()
        .map(|change| (change.customer_id, change.change))
        .collect();
    (pairs, batch.next)
}

pub fn change_cursor_reports_what_changed(store: &dyn Store) {
    let start = store.change_cursor_head().expect("head");
    assert_eq!(
        start,
        ChangeCursor::default(),
        "an empty store starts at zero"
    );
    let rows = vec![CustomerInput {
        customer: who(&[user("u1"), email("a@x.io")]),
        attributes: CustomerAttributes {
            name: Some("Ann".to_string()),
            ..CustomerAttributes::default()
        },
    }];
    store.write_customers(&rows, &ctx(1)).expect("customers");
    let u1 = customer_of(store, &user("u1"));
    store
        .write_orders(&[line("o1", 1, &[user("u1")], 10, 500)], &ctx(2))
        .expect("orders");
    store
        .write_events(
            &[event(
                "m1",
                &[user("u1")],
                "Product Viewed",
                20,
                serde_json::json!({}),
            )],
            &ctx(3),
        )
        .expect("events");
    let traits = vec![TraitWrite {
        customer_id: u1.clone(),
        name: "rfm".to_string(),
        value: "{\"r\":5}".to_string(),
        label: None,
    }];
    store
        .write_traits(&mut traits.into_iter(), 4, None)
        .expect("traits");

    let (changes, next) = changes_of(store, &start);
    let has = |kind: &ChangeKind| changes.contains(&(u1.clone(), kind.clone()));
    assert!(
        has(&ChangeKind::Identifiers {
            kind: "email".to_string()
        }),
        "{changes:?}"
    );
    assert!(has(&ChangeKind::Identifiers {
        kind: "user_id".to_string()
    }));
    assert!(has(&ChangeKind::Attributes));
    assert!(has(&ChangeKind::Order {
        kind: "order".to_string()
    }));
    assert!(has(&ChangeKind::Trait {
        name: "rfm".to_string()
    }));
    assert!(has(&ChangeKind::Event {
        kind: "track".to_string(),
        name: Some("Product Viewed".to_string())
    }));
    assert_eq!(next, store.change_cursor_head().expect("head"));
    assert!(
        changes_of(store, &next).0.is_empty(),
        "nothing after the head"
    );

    // A write that changes nothing (same trait value) adds no change.
    let same = vec![TraitWrite {
        customer_id: u1.clone(),
        name: "rfm".to_string(),
        value: "{\"r\":5}".to_string(),
        label: None,
    }];
    store
        .write_traits(&mut same.into_iter(), 5, None)
        .expect("traits");
    assert!(changes_of(store, &next).0.is_empty());

    // The changed traits of one customer in one write are one journal row, read back as one
    // change per trait; the unchanged one is not among them.
    let trait_write = |name: &str, value: &str| TraitWrite {
        customer_id: u1.clone(),
        name: name.to_string(),
        value: value.to_string(),
        label: None,
    };
    let several = vec![
        trait_write("clv", "{\"p_alive\":0.5}"),
        trait_write("lifecycle", "{\"stage\":\"new\"}"),
        trait_write("rfm", "{\"r\":5}"),
    ];
    let counts = store
        .write_traits(&mut several.into_iter(), 6, None)
        .expect("traits");
    assert_eq!((counts.written, counts.changed), (3, 2));
    let (changes, after_traits) = changes_of(store, &next);
    let trait_change = |name: &str| ChangeKind::Trait {
        name: name.to_string(),
    };
    assert_eq!(
        changes,
        vec![
            (u1.clone(), trait_change("clv")),
            (u1.clone(), trait_change("lifecycle"))
        ]
    );
    assert_eq!(after_traits.journal, next.journal + 1, "one journal row");
    let next = after_traits;

    // A limit of one reads one of each source and continues from there.
    let first = store.customer_changes_since(&start, 1).expect("limited");
    assert!(first.changes.len() <= 2);
    assert!(first.next.journal <= next.journal && first.next.events <= next.events);

    // A merge moves an identifier and removes the merged customer.
    store
        .write_events(
            &[event(
                "m2",
                &[anon("d1")],
                "Page",
                30,
                serde_json::json!({}),
            )],
            &ctx(6),
        )
        .expect("anonymous");
    let device = customer_of(store, &anon("d1"));
    let (_, before_merge) = changes_of(store, &next);
    store
        .write_events(
            &[event(
                "m3",
                &[anon("d1"), user("u1")],
                "Signed In",
                40,
                serde_json::json!({}),
            )],
            &ctx(7),
        )
        .expect("merge");
    let (changes, _) = changes_of(store, &before_merge);
    assert!(
        changes.contains(&(device.clone(), ChangeKind::Removed)),
        "{changes:?}"
    );
    assert!(changes.contains(&(
        u1.clone(),
        ChangeKind::Identifiers {
            kind: "anonymous_id".to_string()
        }
    )));

    assert_eq!(
        store.change_consumer_position("segments").expect("none"),
        None
    );
    store
        .save_change_consumer_position("segments", &next, 8)
        .expect("save");
    store
        .save_change_consumer_position("segments", &next, 9)
        .expect("save again");
    assert_eq!(
        store.change_consumer_position("segments").expect("load"),
        Some(next)
    );
    assert_eq!(ChangeCursor::decode(&next.encode()), Some(next));
}

pub fn segment_facts_and_event_aggregates(store: &dyn Store) {
    let rows = vec![CustomerInput {
        customer: who(&[user("a"), email("a@x.io")]),
        attributes: CustomerAttributes {
            country: Some("CN".to_string()),
            signup_at: Some(5),
            ..CustomerAttributes::default()
        },
    }];
    store.write_customers(&rows, &ctx(1)).expect("customers");
    let lines = vec![
        line("o1", 1, &[user("a")], 100, 1_000),
        line("o2", 2, &[user("a")], 300, 500),
        line("Co2", 3, &[user("a")], 400, -200),
    ];
    store.write_orders(&lines, &ctx(2)).expect("orders");
    let a = customer_of(store, &user("a"));
    store
        .write_traits(
            &mut vec![
                TraitWrite {
                    customer_id: a.clone(),
                    name: "interests".to_string(),
                    value: "{\"category\":{\"shoes\":1.0}}".to_string(),
                    label: None,
                },
                TraitWrite {
                    customer_id: a.clone(),
                    name: "lifecycle".to_string(),
                    value: "{\"stage\":\"active\"}".to_string(),
                    label: None,
                },
            ]
            .into_iter(),
            3,
            None,
        )
        .expect("traits");
    let events = vec![
        event(
            "e1",
            &[user("a")],
            "Product Viewed",
            1_000,
            serde_json::json!({"category": "shoes", "price": 10}),
        ),
        event(
            "e2",
            &[user("a")],
            "Product Viewed",
            2_000,
            serde_json::json!({"category": "shoes", "price": 30}),
        ),
        event(
            "e3",
            &[user("a")],
            "Product Viewed",
            3_000,
            serde_json::json!({"category": "hats", "price": "12"}),
        ),
        event(
            "e4",
            &[user("b")],
            "Product Viewed",
            3_000,
            serde_json::json!({"category": "shoes", "vip": true}),
        ),
        event(
            "e5",
            &[user("b")],
            "Order Completed",
            3_000,
            serde_json::json!({"revenue": 99.5}),
        ),
    ];
    store.write_events(&events, &ctx(4)).expect("events");
    let b = customer_of(store, &user("b"));

    let mut facts = Vec::new();
    store
        .segment_facts(None, None, &mut |row| {
            facts.push(row);
            Ok(())
        })
        .expect("facts");
    assert!(
        facts.contains(&FactRow::Orders {
            customer_id: a.clone(),
            orders: 2,
            revenue_cents: 1_300,
            first_order_at: Some(100),
            last_order_at: Some(300)
        }),
        "{facts:?}"
    );
    assert!(facts.contains(&FactRow::Trait {
        customer_id: a.clone(),
        name: "lifecycle".to_string(),
        value: "{\"stage\":\"active\"}".to_string()
    }));
    assert!(facts.contains(&FactRow::Identifier {
        customer_id: a.clone(),
        kind: "email".to_string()
    }));
    let profile = facts
        .iter()
        .find(|row| matches!(row, FactRow::Profile { customer_id, .. } if *customer_id == a));
    assert!(
        matches!(profile, Some(FactRow::Profile { country: Some(c), signup_at: Some(5), .. }) if c == "CN")
    );
    let first_other = facts
        .iter()
        .position(|row| !matches!(row, FactRow::Profile { .. }))
        .expect("other rows");
    assert!(
        facts[first_other..]
            .iter()
            .all(|row| !matches!(row, FactRow::Profile { .. })),
        "profiles come first"
    );

    let mut only_b = Vec::new();
    store
        .segment_facts(Some(std::slice::from_ref(&b)), None, &mut |row| {
            only_b.push(row);
            Ok(())
        })
        .expect("facts of b");
    assert!(
        !only_b.is_empty() && only_b.iter().all(|row| row.customer_id() == b),
        "{only_b:?}"
    );
    // Everyone's stream (scans grouped in memory on SQLite) holds exactly each customer's own.
    for customer in [&a, &b] {
        let mut one = Vec::new();
        store
            .segment_facts(Some(std::slice::from_ref(customer)), None, &mut |row| {
                one.push(format!("{row:?}"));
                Ok(())
            })
            .expect("facts of one");
        let mut from_all: Vec<String> = facts
            .iter()
            .filter(|row| row.customer_id() == customer.as_str())
            .map(|row| format!("{row:?}"))
            .collect();
        one.sort();
        from_all.sort();
        assert_eq!(from_all, one, "facts of {customer}");
    }
    // Only the traits asked for, of everyone and of one customer; every other fact as before.
    let traits_of = |customers: Option<&[String]>, names: Option<&[String]>| {
        let mut rows = Vec::new();
        store
            .segment_facts(customers, names, &mut |row| {
                rows.push(row);
                Ok(())
            })
            .expect("facts");
        rows.into_iter()
            .filter_map(|row| match row {
                FactRow::Trait {
                    customer_id, name, ..
                } => Some((customer_id, name)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let lifecycle = ["lifecycle".to_string()];
    let only_a = [a.clone()];
    assert_eq!(
        traits_of(None, None).len(),
        2,
        "both of a's traits without a filter"
    );
    for customers in [None, Some(&only_a[..])] {
        assert_eq!(
            traits_of(customers, Some(&lifecycle)),
            vec![(a.clone(), "lifecycle".to_string())]
        );
        assert_eq!(traits_of(customers, Some(&[])), Vec::new());
    }
    let mut filtered = 0;
    store
        .segment_facts(None, Some(&lifecycle), &mut |row| {
            filtered += usize::from(!matches!(row, FactRow::Trait { .. }));
            Ok(())
        })
        .expect("facts");
    assert_eq!(
        filtered,
        facts
            .iter()
            .filter(|row| !matches!(row, FactRow::Trait { .. }))
            .count()
    );

    let mut count = Aggregate {
        function: AggregateFn::Count,
        event: "Product Viewed".to_string(),
        property: None,
        filters: vec![PropertyFilter {
            property: "category".to_string(),
            cmp: Cmp::Eq,
            value: Literal::Text("shoes".to_string()),
        }],
        window: None,
    };
    let mut all = store.event_aggregates(&count, None, None).expect("count");
    all.sort_by(|x, y| x.0.cmp(&y.0));
    let mut expected = vec![(a.clone(), 2.0), (b.clone(), 1.0)];
    expected.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(all, expected);
    assert_eq!(
        store
            .event_aggregates(&count, Some(1_500), None)
            .expect("since")
            .len(),
        2
    );
    assert_eq!(
        store
            .event_aggregates(&count, Some(1_500), Some(std::slice::from_ref(&a)))
            .expect("a"),
        [(a.clone(), 1.0)]
    );
    count.filters = vec![PropertyFilter {
        property: "vip".to_string(),
        cmp: Cmp::Eq,
        value: Literal::Bool(true),
    }];
    assert_eq!(
        store.event_aggregates(&count, None, None).expect("bool"),
        [(b.clone(), 1.0)]
    );

    let sum = Aggregate {
        function: AggregateFn::Sum,
        event: "Product Viewed".to_string(),
        property: Some("price".to_string()),
        filters: vec![PropertyFilter {
            property: "price".to_string(),
            cmp: Cmp::Gt,
            value: Literal::Number(5.0),
        }],
        window: None,
    };
    assert_eq!(
        store
            .event_aggregates(&sum, None, Some(std::slice::from_ref(&a)))
            .expect("sum"),
        [(a.clone(), 40.0)],
        "a text price is not a number"
    );
    let max = Aggregate {
        function: AggregateFn::Max,
        event: "Order Completed".to_string(),
        property: Some("revenue".to_string()),
        filters: vec![],
        window: None,
    };
    assert_eq!(
        store.event_aggregates(&max, None, None).expect("max"),
        [(b, 99.5)]
    );
}
