//! Group-committed tracking writes and filtered event reads.

use ecrm_core::Identifier;
use ecrm_store::{
    CustomerAttributes, EventCursor, EventInput, EventQuery, Store, TrackedBatch, TrackedItem,
    WholeRefund,
};

use crate::support::{anon, ctx, line, user, who};

fn event(message_id: &str, kind: &str, name: &str, customer: &[Identifier], at: i64) -> EventInput {
    EventInput {
        message_id: message_id.to_string(),
        kind: kind.to_string(),
        name: Some(name.to_string()),
        customer: who(customer),
        channel: Some("web".to_string()),
        occurred_at: at,
        client_time: Some(at),
        sent_at: Some(at),
        received_at: at + 10,
        properties: serde_json::json!({"path": format!("/{name}")}),
        context: serde_json::json!({"ip": "127.0.0.1"}),
    }
}

fn item(event: EventInput) -> TrackedItem {
    TrackedItem::new(event, None, Vec::new())
}

fn batch(source: &str, items: Vec<TrackedItem>) -> TrackedBatch {
    TrackedBatch {
        source: source.to_string(),
        items,
    }
}

fn query(limit: usize) -> EventQuery {
    EventQuery {
        limit,
        ..EventQuery::default()
    }
}

/// Several requests in one transaction keep their own counts and sources; a retry writes nothing,
/// not even the profile and order writes its messages carry.
pub fn tracked_batches_commit_together_and_retries_change_nothing(store: &dyn Store) {
    let mut identify = item(event("m-1", "identify", "identify", &[user("u1")], 1_000));
    identify.profile = Some(CustomerAttributes {
        name: Some("Ann".to_string()),
        ..CustomerAttributes::default()
    });
    let mut order = item(event(
        "m-2",
        "track",
        "Order Completed",
        &[user("u1")],
        2_000,
    ));
    order.order_lines = vec![line("o-1", 1, &[user("u1")], 2_000, 1_500)];
    let first = batch("api:web", vec![identify, order]);
    let second = batch(
        "api:app",
        vec![item(event("m-3", "screen", "Home", &[anon("d9")], 3_000))],
    );
    let counts = store
        .write_tracked(&[first.clone(), second.clone()], &ctx(10))
        .expect("write");
    assert_eq!(counts.len(), 2);
    assert_eq!(counts[0].events_created, 2);
    assert_eq!(counts[0].orders_created, 1);
    assert_eq!(counts[0].order_lines_created, 1);
    assert_eq!(counts[1].events_created, 1);

    let mut renamed = first;
    if let Some(profile) = renamed.items[0].profile.as_mut() {
        profile.name = Some("Changed".to_string());
    }
    let retry = store
        .write_tracked(&[renamed, second], &ctx(20))
        .expect("retry");
    assert_eq!(retry[0].events_created + retry[1].events_created, 0);
    assert_eq!(retry[0].duplicates_skipped + retry[1].duplicates_skipped, 3);
    assert_eq!(retry[0].order_lines_created, 0);

    let view = store.customer_360("u1", 10).expect("360");
    assert_eq!(view.customer.name.as_deref(), Some("Ann"));
    assert_eq!(view.order_summary.orders, 1);
    assert_eq!(view.order_summary.revenue_cents, 1_500);
    let events = store.customer_events("u1", &query(10)).expect("events");
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|stored| stored.source == "api:web"));
    let device_customer = store
        .find_customer_id(&anon("d9"))
        .expect("find")
        .expect("device customer");
    assert_eq!(
        store
            .customer_events(&device_customer, &query(10))
            .expect("device events")[0]
            .source,
        "api:app"
    );
}

/// Events come newest first, filtered by type, name and a half-open time range, paged by cursor,
/// across every identifier of a merged customer.
pub fn customer_events_filter_and_page(store: &dyn Store) {
    let items = vec![
        item(event("e-1", "page", "Home", &[anon("d1")], 1_000)),
        item(event(
            "e-2",
            "track",
            "Product Viewed",
            &[anon("d1")],
            2_000,
        )),
        item(event("e-3", "track", "Product Added", &[anon("d1")], 3_000)),
        item(event(
            "e-4",
            "track",
            "Product Viewed",
            &[user("u1")],
            4_000,
        )),
        item(event(
            "e-5",
            "alias",
            "alias",
            &[user("u1"), anon("d1")],
            5_000,
        )),
    ];
    store
        .write_tracked(&[batch("api:web", items)], &ctx(10))
        .expect("write");
    let all = store.customer_events("u1", &query(50)).expect("all");
    let ids: Vec<&str> = all.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(ids, ["e-5", "e-4", "e-3", "e-2", "e-1"]);
    assert_eq!(all[4].properties["path"], "/Home");

    let viewed = EventQuery {
        kind: Some("track".to_string()),
        name: Some("Product Viewed".to_string()),
        ..query(50)
    };
    let found = store.customer_events("u1", &viewed).expect("viewed");
    let ids: Vec<&str> = found.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(ids, ["e-4", "e-2"]);

    let window = EventQuery {
        from: Some(2_000),
        to: Some(4_000),
        ..query(50)
    };
    let found = store.customer_events("u1", &window).expect("window");
    let ids: Vec<&str> = found.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(ids, ["e-3", "e-2"]);

    let first_page = store.customer_events("u1", &query(2)).expect("page 1");
    let cursor: EventCursor = first_page[1].cursor();
    let next = EventQuery {
        before: Some(cursor),
        ..query(2)
    };
    let second_page = store.customer_events("u1", &next).expect("page 2");
    let ids: Vec<&str> = second_page.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(ids, ["e-3", "e-2"]);
    assert!(
        store
            .customer_events("nobody", &query(5))
            .expect("none")
            .is_empty()
    );
}

fn whole_refund(message_id: &str, order_key: &str, at: i64) -> TrackedItem {
    let mut refund = item(event(
        message_id,
        "track",
        "Order Refunded",
        &[user("u5")],
        at,
    ));
    refund.refund_whole_order = Some(WholeRefund {
        order_key: order_key.to_string(),
        status: "refunded".to_string(),
    });
    refund
}

/// A refund naming only its order returns every stored line the first time (also when the order
/// came in the same transaction), then nothing; after a partial refund, the rest in one line; an
/// unknown order gets no refund. The same message twice in one transaction is stored once.
pub fn whole_refunds_return_what_is_left_of_the_stored_order(store: &dyn Store) {
    let mut order = item(event(
        "w-1",
        "track",
        "Order Completed",
        &[user("u5")],
        1_000,
    ));
    order.order_lines = vec![
        line("o-5", 1, &[user("u5")], 1_000, 1_500),
        line("o-5", 2, &[user("u5")], 1_000, 500),
    ];
    let mut partial_order = item(event(
        "w-2",
        "track",
        "Order Completed",
        &[user("u5")],
        1_000,
    ));
    partial_order.order_lines = vec![line("o-6", 1, &[user("u5")], 1_000, 4_000)];
    let mut partial = item(event(
        "w-3",
        "track",
        "Order Refunded",
        &[user("u5")],
        1_500,
    ));
    partial.order_lines = vec![line("refund:o-6", 1, &[user("u5")], 1_500, -1_000)];
    let first = batch(
        "api:web",
        vec![
            order,
            partial_order,
            partial,
            whole_refund("w-4", "o-5", 2_000),
        ],
    );
    let again = batch(
        "api:web",
        vec![
            whole_refund("w-5", "o-5", 3_000),
            whole_refund("w-6", "o-6", 3_000),
            whole_refund("w-6", "o-6", 3_000),
            whole_refund("w-7", "o-404", 3_000),
        ],
    );
    let counts = store
        .write_tracked(&[first, again], &ctx(10))
        .expect("write");
    assert_eq!(counts[0].events_created, 4);
    assert_eq!(counts[1].events_created, 3);
    assert_eq!(counts[1].duplicates_skipped, 1);
    let view = store.customer_360("u5", 10).expect("360");
    let mut refunds: Vec<(String, i64, Vec<i64>)> = view
        .latest_orders
        .iter()
        .filter(|o| o.order_key.starts_with("refund:"))
        .map(|o| {
            let mut amounts: Vec<i64> = o.lines.iter().map(|l| l.amount_cents).collect();
            amounts.sort_unstable();
            (o.order_key.clone(), o.total_cents, amounts)
        })
        .collect();
    refunds.sort();
    assert_eq!(
        refunds,
        [
            ("refund:o-5".to_string(), -2_000, vec![-1_500, -500]),
            ("refund:o-6".to_string(), -4_000, vec![-3_000, -1_000]),
        ]
    );
    let o5 = view
        .latest_orders
        .iter()
        .find(|o| o.order_key == "refund:o-5");
    let product_ids: Vec<Option<String>> = o5
        .map(|o| o.lines.iter().map(|l| l.product_id.clone()).collect())
        .unwrap_or_default();
    assert!(
        product_ids.contains(&Some("p1".to_string())),
        "{product_ids:?}"
    );
}

/// A deferred group commit reports durable once, its events are readable, a retry of it writes
/// nothing, and the ordinary (synchronous) writes after it still commit.
pub fn deferred_tracked_writes_report_durable_and_dedupe(store: &dyn Store) {
    let first = batch(
        "api:web",
        vec![
            item(event(
                "d-1",
                "track",
                "Product Viewed",
                &[anon("a-d")],
                1_000,
            )),
            item(event("d-2", "page", "Home", &[anon("a-d")], 1_100)),
        ],
    );
    let (sent, durable) = std::sync::mpsc::channel();
    let (counts, durability) = store
        .write_tracked_deferred(std::slice::from_ref(&first), &ctx(10))
        .expect("deferred write");
    assert_eq!(counts[0].events_created, 2);
    let first_sent = sent.clone();
    durability.then(move |result| {
        let _ = first_sent.send(result.is_ok());
    });
    let (again, durability) = store
        .write_tracked_deferred(&[first], &ctx(20))
        .expect("retried deferred write");
    assert_eq!(again[0].events_created, 0);
    assert_eq!(again[0].duplicates_skipped, 2);
    durability.then(move |result| {
        let _ = sent.send(result.is_ok());
    });
    let reports: Vec<bool> = durable.iter().collect();
    assert_eq!(reports, [true, true], "each commit reports durable once");
    let customer = store
        .find_customer_id(&anon("a-d"))
        .expect("find")
        .expect("the customer exists");
    let events = store
        .customer_events(&customer, &query(10))
        .expect("events");
    assert_eq!(events.len(), 2);
    let later = batch(
        "api:web",
        vec![item(event(
            "d-3",
            "track",
            "Cart Viewed",
            &[anon("a-d")],
            1_200,
        ))],
    );
    let counts = store.write_tracked(&[later], &ctx(30)).expect("write");
    assert_eq!(counts[0].events_created, 1);
}

/// An event is stored once per (client time, message id): a retry whose skew correction moved
/// `occurred_at` (a later `sentAt`, the same `timestamp`) is a duplicate; the same id stamped with
/// another time is another message; messages sent without a time dedupe on the id alone.
pub fn events_dedupe_on_the_client_time_and_message_id(store: &dyn Store) {
    let sent = |message_id: &str, client_time: Option<i64>, occurred_at: i64| {
        let mut event = event(
            message_id,
            "track",
            "Product Viewed",
            &[anon("a-k")],
            occurred_at,
        );
        event.client_time = client_time;
        item(event)
    };
    let first = batch(
        "api:web",
        vec![
            sent("k-1", Some(5_000), 5_000),
            sent("k-2", None, 6_000),
            // The same id and time twice in one request: one event.
            sent("k-3", Some(7_000), 7_000),
            sent("k-3", Some(7_000), 7_000),
        ],
    );
    let counts = store.write_tracked(&[first], &ctx(10)).expect("write");
    assert_eq!(counts[0].events_created, 3);
    assert_eq!(counts[0].duplicates_skipped, 1);
    let retry = batch(
        "api:web",
        vec![
            // Retried later: skew correction gives another occurred_at, the client's time is kept.
            sent("k-1", Some(5_000), 5_900),
            // Undated: the id alone, whatever time the server gave it.
            sent("k-2", None, 9_000),
            // Another message that reuses an id with its own time.
            sent("k-1", Some(8_000), 8_000),
        ],
    );
    let counts = store.write_tracked(&[retry], &ctx(20)).expect("retry");
    assert_eq!(counts[0].events_created, 1, "{counts:?}");
    assert_eq!(counts[0].duplicates_skipped, 2, "{counts:?}");
    let imported = store
        .write_events(
            &[event(
                "k-1",
                "track",
                "Product Viewed",
                &[anon("a-k")],
                5_000,
            )],
            &ctx(30),
        )
        .expect("import");
    assert_eq!(
        imported.duplicates_skipped, 1,
        "file imports dedupe the same way"
    );
    let customer = store
        .find_customer_id(&anon("a-k"))
        .expect("find")
        .expect("the customer exists");
    let times: Vec<i64> = store
        .customer_events(&customer, &query(10))
        .expect("events")
        .iter()
        .map(|event| event.occurred_at)
        .collect();
    assert_eq!(times, [8_000, 7_000, 6_000, 5_000], "newest first");
}

/// An identifier's first_seen/last_seen move only when a sighting falls more than a minute outside
/// them, and then to the sighting's exact time.
pub fn identifier_sightings_are_kept_to_the_minute(store: &dyn Store) {
    let seen = |message_id: &str, at: i64| {
        batch(
            "api:web",
            vec![item(event(message_id, "page", "Home", &[anon("a-s")], at))],
        )
    };
    let range = |store: &dyn Store| {
        let customer = store
            .find_customer_id(&anon("a-s"))
            .expect("find")
            .expect("the customer exists");
        let view = store.customer_360(&customer, 1).expect("360");
        let record = &view.identifiers[0];
        (record.first_seen, record.last_seen)
    };
    let minute = 60_000;
    store
        .write_tracked(&[seen("s-1", 10 * minute)], &ctx(1))
        .expect("write");
    assert_eq!(range(store), (10 * minute, 10 * minute));
    store
        .write_tracked(&[seen("s-2", 10 * minute + 30_000)], &ctx(2))
        .expect("write");
    assert_eq!(
        range(store),
        (10 * minute, 10 * minute),
        "within the minute"
    );
    store
        .write_tracked(&[seen("s-3", 11 * minute + 1)], &ctx(3))
        .expect("write");
    assert_eq!(
        range(store),
        (10 * minute, 11 * minute + 1),
        "over a minute later"
    );
    store
        .write_tracked(&[seen("s-4", 8 * minute)], &ctx(4))
        .expect("write");
    assert_eq!(
        range(store),
        (8 * minute, 11 * minute + 1),
        "two minutes earlier"
    );
}
