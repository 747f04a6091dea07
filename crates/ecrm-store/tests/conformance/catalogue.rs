use ecrm_store::{EventInput, ProductInput, Store};

use crate::support::{anon, ctx, user, who};

pub fn products_upsert(store: &dyn Store) {
    let mut product = ProductInput {
        product_id: "00042".to_string(),
        name: Some("Trail shoe".to_string()),
        category: Some("shoes".to_string()),
        brand: None,
        price_cents: Some(8_900),
        currency: Some("USD".to_string()),
        active: true,
        in_stock: true,
    };
    assert_eq!(
        store
            .write_products(&[product.clone()], &ctx(1))
            .expect("create")
            .products_created,
        1
    );
    product.price_cents = Some(7_900);
    let counts = store.write_products(&[product], &ctx(2)).expect("update");
    assert_eq!((counts.products_created, counts.products_updated), (0, 1));
    assert_eq!(store.stats().expect("stats").products, 1);
}

pub fn events_deduplicate_by_message_id(store: &dyn Store) {
    let event = EventInput {
        message_id: "m-1".to_string(),
        kind: "track".to_string(),
        name: Some("Product Viewed".to_string()),
        customer: who(&[anon("d1"), user("u1")]),
        channel: Some("web".to_string()),
        occurred_at: 5_000,
        client_time: None,
        sent_at: Some(5_100),
        received_at: 5_200,
        properties: serde_json::json!({"product_id": "p1"}),
        context: serde_json::json!({"ip": "127.0.0.1"}),
    };
    let first = store
        .write_events(&[event.clone(), event.clone()], &ctx(1))
        .expect("write");
    assert_eq!((first.events_created, first.duplicates_skipped), (1, 1));
    let again = store.write_events(&[event], &ctx(2)).expect("retry");
    assert_eq!((again.events_created, again.duplicates_skipped), (0, 1));
    let timeline = store.timeline("u1", None, 10).expect("timeline");
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].title, "Product Viewed");
    assert_eq!(timeline[0].detail["product_id"], "p1");
}
