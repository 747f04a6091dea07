use ecrm_store::{
    ConsoleSessionRecord, ConsoleUserInput, EventInput, SnapshotRecord, Store, StoreError,
    TraitWrite,
};

use crate::support::{anon, ctx, user, who};

fn console_user(name: &str, role: &str) -> ConsoleUserInput {
    ConsoleUserInput {
        username: name.to_string(),
        role: role.to_string(),
        password_hash: format!("hash-of-{name}"),
        created_at: 10,
    }
}

pub fn console_users_and_sessions(store: &dyn Store) {
    let ann = store
        .create_console_user(&console_user("ann", "admin"))
        .expect("create");
    let bob = store
        .create_console_user(&console_user("bob", "agent"))
        .expect("create");
    assert_ne!(ann, bob);
    let taken = store.create_console_user(&console_user("ann", "agent"));
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let found = store.find_console_user("bob").expect("find").expect("bob");
    assert_eq!((found.id, found.role.as_str()), (bob, "agent"));
    assert_eq!(found.password_hash, "hash-of-bob");
    assert!(store.find_console_user("carol").expect("find").is_none());
    let names: Vec<String> = store
        .list_console_users()
        .expect("list")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["ann", "bob"]);

    let session =
        |hash: &str, user_id: i64, created_at: i64, expires_at: i64| ConsoleSessionRecord {
            token_hash: hash.to_string(),
            user_id,
            csrf_token: format!("csrf-{hash}"),
            created_at,
            expires_at,
        };
    store
        .create_console_session(&session("s1", ann, 100, 200))
        .expect("session");
    let live = store
        .find_console_session("s1", 150)
        .expect("find")
        .expect("live");
    assert_eq!(live.user.username, "ann");
    assert_eq!(live.session.csrf_token, "csrf-s1");
    assert!(
        store
            .find_console_session("s1", 200)
            .expect("find")
            .is_none()
    );
    assert!(
        store
            .find_console_session("s9", 150)
            .expect("find")
            .is_none()
    );
    // A new session sweeps the expired ones away.
    store
        .create_console_session(&session("s2", bob, 300, 400))
        .expect("session");
    assert!(
        store
            .find_console_session("s1", 150)
            .expect("find")
            .is_none()
    );
    store.delete_console_session("s2").expect("delete");
    assert!(
        store
            .find_console_session("s2", 350)
            .expect("find")
            .is_none()
    );
    store.delete_console_session("s2").expect("delete twice");
}

pub fn console_users_deleted_or_repassworded_lose_sessions(store: &dyn Store) {
    let ann = store
        .create_console_user(&console_user("ann", "admin"))
        .expect("create");
    let bob = store
        .create_console_user(&console_user("bob", "agent"))
        .expect("create");
    let session = |hash: &str, user_id: i64| ConsoleSessionRecord {
        token_hash: hash.to_string(),
        user_id,
        csrf_token: format!("csrf-{hash}"),
        created_at: 100,
        expires_at: 1_000,
    };
    for (hash, user_id) in [("a1", ann), ("a2", ann), ("b1", bob)] {
        store
            .create_console_session(&session(hash, user_id))
            .expect("session");
    }
    let live = |hash: &str| {
        store
            .find_console_session(hash, 150)
            .expect("find")
            .is_some()
    };

    assert!(
        store
            .set_console_user_password("ann", "new-hash")
            .expect("password")
    );
    let found = store.find_console_user("ann").expect("find").expect("ann");
    assert_eq!(found.password_hash, "new-hash");
    assert!(!live("a1") && !live("a2"), "ann's sessions end");
    assert!(live("b1"), "bob's session stays");
    assert!(
        !store
            .set_console_user_password("carol", "x")
            .expect("no such user")
    );

    assert!(store.delete_console_user("bob").expect("delete"));
    assert!(store.find_console_user("bob").expect("find").is_none());
    assert!(!live("b1"), "bob's session ends with him");
    assert!(!store.delete_console_user("bob").expect("delete twice"));
    let names: Vec<String> = store
        .list_console_users()
        .expect("list")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["ann"]);
    // The name can be taken again.
    store
        .create_console_user(&console_user("bob", "marketer"))
        .expect("create again");
}

pub fn trait_values_and_event_counts(store: &dyn Store) {
    let event = |id: &str, name: &str, customer: &str| EventInput {
        message_id: id.to_string(),
        kind: "track".to_string(),
        name: Some(name.to_string()),
        customer: who(&[user(customer)]),
        channel: None,
        occurred_at: 1_000,
        client_time: None,
        sent_at: None,
        received_at: 1_000,
        properties: serde_json::json!({}),
        context: serde_json::json!({}),
    };
    let mut page = event("m5", "ignored", "u1");
    page.kind = "page".to_string();
    let mut anonymous = event("m6", "Product Viewed", "x");
    anonymous.customer = who(&[anon("device-1")]);
    store
        .write_events(
            &[
                event("m1", "Product Viewed", "u1"),
                event("m2", "Product Viewed", "u1"),
                event("m3", "Product Viewed", "u2"),
                event("m4", "Order Completed", "u2"),
                page,
                anonymous,
            ],
            &ctx(1),
        )
        .expect("events");
    assert_eq!(
        store.customer_count().expect("customers"),
        store.stats().expect("stats").customers
    );
    assert!(store.customer_count().expect("customers") >= 2);
    let counts = store.event_name_counts().expect("counts");
    let summary: Vec<(&str, u64, u64)> = counts
        .iter()
        .map(|c| (c.name.as_str(), c.events, c.customers))
        .collect();
    assert_eq!(
        summary,
        [("Order Completed", 1, 1), ("Product Viewed", 4, 3)]
    );

    let mut writes = [
        ("u1", "rfm", "{\"r\":5}"),
        ("u2", "rfm", "{\"r\":1}"),
        ("u1", "clv", "9"),
    ]
    .into_iter()
    .map(|(customer, name, value)| TraitWrite {
        customer_id: customer.to_string(),
        name: name.to_string(),
        value: value.to_string(),
        label: None,
    });
    store.write_traits(&mut writes, 10, None).expect("traits");
    let values_of = |names: &[&str]| {
        let mut seen = Vec::new();
        let streamed = store
            .trait_values(names, &mut |name, customer, value| {
                seen.push(format!("{name} {customer} {value}"));
                Ok(())
            })
            .expect("stream");
        seen.sort();
        assert_eq!(streamed as usize, seen.len());
        seen
    };
    assert_eq!(
        values_of(&["rfm"]),
        ["rfm u1 {\"r\":5}", "rfm u2 {\"r\":1}"]
    );
    assert_eq!(
        values_of(&["clv", "rfm", "missing"]),
        ["clv u1 9", "rfm u1 {\"r\":5}", "rfm u2 {\"r\":1}"],
        "several names in one pass"
    );
    assert!(values_of(&["missing"]).is_empty());
    assert!(values_of(&[]).is_empty());
}

pub fn snapshots_are_replaced_whole(store: &dyn Store) {
    assert!(store.snapshot("dashboard").expect("read").is_none());
    let snapshot = |payload: &str, at: i64| SnapshotRecord {
        name: "dashboard".to_string(),
        payload: payload.to_string(),
        computed_at: at,
    };
    store
        .write_snapshot(&snapshot("{\"a\":1}", 5))
        .expect("write");
    store
        .write_snapshot(&snapshot("{\"a\":2}", 6))
        .expect("replace");
    let stored = store.snapshot("dashboard").expect("read").expect("stored");
    assert_eq!(stored, snapshot("{\"a\":2}", 6));
}
