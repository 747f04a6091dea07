use ecrm_store::{EventInput, InteractionKind, ProductInput, RecsModelInput, Store};

use crate::support::{anon, ctx, customer_of, line, user, who};

/// (customer, order key, ordered_at, product, quantity, unit price) of every streamed line, sorted.
fn streamed(
    store: &dyn Store,
    customer: Option<&str>,
) -> Vec<(String, String, i64, String, i64, i64)> {
    let mut out = Vec::new();
    let count = store
        .recs_order_lines(customer, &mut |l| {
            out.push((
                l.customer_id.to_string(),
                l.order_key.to_string(),
                l.ordered_at,
                l.product_id.to_string(),
                l.quantity,
                l.unit_price_cents,
            ));
            Ok(())
        })
        .expect("stream lines");
    assert_eq!(count as usize, out.len());
    out.sort();
    out
}

pub fn order_lines_stream_customer_orders_only(store: &dyn Store) {
    let mut no_product = line("o1", 3, &[user("u1")], 1_000, 700);
    no_product.product_id = None;
    store
        .write_orders(
            &[
                line("o1", 1, &[user("u1")], 1_000, 500),
                line("o1", 2, &[user("u1")], 1_000, 300),
                no_product,
                line("o2", 4, &[user("u2")], 2_000, 900),
                line("r1", 5, &[user("u1")], 3_000, -500),
                line("g1", 6, &[], 4_000, 100),
            ],
            &ctx(1),
        )
        .expect("write");
    let (u1, u2) = (
        customer_of(store, &user("u1")),
        customer_of(store, &user("u2")),
    );
    let all = streamed(store, None);
    let mut expected = vec![
        (
            u1.clone(),
            "o1".to_string(),
            1_000,
            "p1".to_string(),
            1,
            500,
        ),
        (
            u1.clone(),
            "o1".to_string(),
            1_000,
            "p2".to_string(),
            1,
            300,
        ),
        (
            u2.clone(),
            "o2".to_string(),
            2_000,
            "p4".to_string(),
            1,
            900,
        ),
    ];
    expected.sort();
    assert_eq!(
        all, expected,
        "guests, refunds and lines without a product are left out"
    );
    let one = streamed(store, Some(&u2));
    assert_eq!(
        one,
        vec![(u2, "o2".to_string(), 2_000, "p4".to_string(), 1, 900)]
    );
    assert!(streamed(store, Some("nobody")).is_empty());
}

pub fn interactions_come_from_product_events(store: &dyn Store) {
    let event = |id: &str, name: &str, properties: serde_json::Value, identifiers| EventInput {
        message_id: id.to_string(),
        kind: "track".to_string(),
        name: Some(name.to_string()),
        customer: who(identifiers),
        channel: None,
        occurred_at: 5_000,
        client_time: None,
        sent_at: None,
        received_at: 5_000,
        properties,
        context: serde_json::json!({}),
    };
    store
        .write_events(
            &[
                event(
                    "m1",
                    "Product Viewed",
                    serde_json::json!({"product_id": "p1", "dwell_seconds": 42}),
                    &[user("u1")],
                ),
                event(
                    "m2",
                    "Product Added",
                    serde_json::json!({"product_id": "p2", "quantity": 1}),
                    &[user("u1")],
                ),
                event(
                    "m3",
                    "Product Viewed",
                    serde_json::json!({"name": "no id"}),
                    &[user("u1")],
                ),
                event(
                    "m4",
                    "Checkout Started",
                    serde_json::json!({"product_id": "p3"}),
                    &[user("u1")],
                ),
                event(
                    "m5",
                    "Product Viewed",
                    serde_json::json!({"product_id": "p9", "dwell_seconds": "long"}),
                    &[anon("d1")],
                ),
            ],
            &ctx(1),
        )
        .expect("write events");
    let u1 = customer_of(store, &user("u1"));
    let d1 = customer_of(store, &anon("d1"));
    let mut seen = Vec::new();
    store
        .recs_interactions(&mut |i| {
            seen.push((
                i.customer_id.to_string(),
                i.product_id.to_string(),
                i.kind,
                i.occurred_at,
                i.dwell_seconds,
            ));
            Ok(())
        })
        .expect("stream interactions");
    seen.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        seen,
        vec![
            (
                u1.clone(),
                "p1".to_string(),
                InteractionKind::View,
                5_000,
                Some(42)
            ),
            (u1, "p2".to_string(), InteractionKind::CartAdd, 5_000, None),
            (d1, "p9".to_string(), InteractionKind::View, 5_000, None),
        ]
    );
}

pub fn products_and_models_for_serving(store: &dyn Store) {
    let product = |id: &str, active, in_stock| ProductInput {
        product_id: id.to_string(),
        name: Some(format!("name {id}")),
        category: Some("shoes".to_string()),
        brand: None,
        price_cents: Some(100),
        currency: Some("USD".to_string()),
        active,
        in_stock,
    };
    store
        .write_products(
            &[product("b", false, true), product("a", true, false)],
            &ctx(1),
        )
        .expect("products");
    let products = store.recs_products().expect("read products");
    let flags: Vec<_> = products
        .iter()
        .map(|p| (p.product_id.as_str(), p.active, p.in_stock))
        .collect();
    assert_eq!(flags, vec![("a", true, false), ("b", false, true)]);
    assert_eq!(products[0].category.as_deref(), Some("shoes"));

    assert!(
        store
            .latest_recs_model("default")
            .expect("none yet")
            .is_none()
    );
    let model = |payload: Vec<u8>, at| RecsModelInput {
        kind: "default".to_string(),
        parameters: "{\"factors\":2}".to_string(),
        payload,
        trained_at: at,
    };
    let first = store
        .write_recs_model(&model(vec![0, 1, 255], 10))
        .expect("first");
    let second = store
        .write_recs_model(&model(vec![7; 70_000], 20))
        .expect("second");
    assert!(second > first);
    let latest = store
        .latest_recs_model("default")
        .expect("latest")
        .expect("some");
    assert_eq!(
        (latest.id, latest.trained_at, latest.payload.len()),
        (second, 20, 70_000)
    );
    assert!(
        store
            .latest_recs_model("other")
            .expect("other kind")
            .is_none()
    );
}
