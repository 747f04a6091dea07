//! Profile-trait reads: events and order lines grouped by customer, customer ids, complaint tickets.

use ecrm_store::{EventInput, ProductInput, Store, TicketInput};

use crate::support::{ctx, customer_of, line, user, who};

fn viewed(message_id: &str, customer: &str, at: i64) -> EventInput {
    EventInput {
        message_id: message_id.to_string(),
        kind: "track".to_string(),
        name: Some("Product Viewed".to_string()),
        customer: who(&[user(customer)]),
        channel: Some("web".to_string()),
        occurred_at: at,
        client_time: None,
        sent_at: None,
        received_at: at,
        properties: serde_json::json!({"product_id": "p1", "category": "shoes"}),
        context: serde_json::json!({}),
    }
}

fn activity_of(store: &dyn Store, customers: Option<&[String]>) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    let count = store
        .customer_activity(customers, &mut |event| {
            let properties: serde_json::Value =
                serde_json::from_str(event.properties).expect("json");
            assert_eq!(event.kind, "track");
            assert_eq!(event.name, Some("Product Viewed"));
            out.push((
                event.customer_id.to_string(),
                event.occurred_at,
                properties["category"].as_str().unwrap_or("").to_string(),
            ));
            Ok(())
        })
        .expect("activity");
    assert_eq!(count as usize, out.len());
    out
}

pub fn activity_and_lines_are_grouped_by_customer(store: &dyn Store) {
    let events = [
        viewed("m1", "b", 30),
        viewed("m2", "a", 20),
        viewed("m3", "b", 10),
    ];
    store.write_events(&events, &ctx(1)).expect("events");
    // Everyone: every event of a known customer, in no set order.
    let mut all = activity_of(store, None);
    all.sort();
    let ids: Vec<&str> = all.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(ids, ["a", "b", "b"]);
    assert_eq!(all[1], ("b".to_string(), 10, "shoes".to_string()));
    let only_b = activity_of(store, Some(&["b".to_string(), "zz".to_string()]));
    assert_eq!(
        only_b.len(),
        2,
        "listed customers only; unknown ones give nothing"
    );

    store
        .write_products(
            &[ProductInput {
                product_id: "p1".to_string(),
                name: None,
                category: Some("boots".to_string()),
                brand: Some("acme".to_string()),
                price_cents: Some(100),
                currency: None,
                active: true,
                in_stock: true,
            }],
            &ctx(1),
        )
        .expect("products");
    let mut from_catalogue = line("o1", 1, &[user("b")], 50, 300);
    from_catalogue.category = None;
    let lines = [
        from_catalogue,
        line("o2", 2, &[user("a")], 60, 200),
        line("Co2", 3, &[user("a")], 70, -200),
        line("g1", 4, &[], 70, 900),
    ];
    store.write_orders(&lines, &ctx(2)).expect("orders");
    let mut seen = Vec::new();
    let count = store
        .customer_purchase_lines(None, &mut |line| {
            seen.push((
                line.customer_id.to_string(),
                line.order_id,
                line.kind.to_string(),
                line.category.map(str::to_string),
                line.brand.map(str::to_string),
                line.amount_cents,
            ));
            Ok(())
        })
        .expect("lines");
    assert_eq!(count, 3, "guest orders left out");
    seen.sort();
    assert_eq!(seen[1].0, "a");
    assert_eq!(seen[1].2, "refund");
    assert_eq!(seen[1].5, -200);
    assert_ne!(
        seen[0].1, seen[1].1,
        "an order and its refund are two orders"
    );
    assert_eq!(
        seen[0].3.as_deref(),
        Some("shoes"),
        "the line's own category wins"
    );
    assert_eq!(
        (seen[2].3.as_deref(), seen[2].4.as_deref()),
        (Some("boots"), Some("acme")),
        "else the catalogue's"
    );
    let mut only_b = 0;
    store
        .customer_purchase_lines(Some(&["b".to_string()]), &mut |line| {
            assert_eq!(line.customer_id, "b");
            only_b += 1;
            Ok(())
        })
        .expect("lines of b");
    assert_eq!(only_b, 1);

    let mut ids = Vec::new();
    store
        .customer_ids(&mut |id| {
            ids.push(id.to_string());
            Ok(())
        })
        .expect("ids");
    assert_eq!(ids, ["a", "b"]);
}

pub fn complaint_tickets_are_counted_per_customer(store: &dyn Store) {
    store
        .write_orders(&[line("o1", 1, &[user("c1")], 5, 100)], &ctx(1))
        .expect("orders");
    let c1 = customer_of(store, &user("c1"));
    let ticket = |customer: Option<&str>, topic: &str, at: i64| TicketInput {
        customer_id: customer.map(str::to_string),
        order_key: Some("o1".to_string()),
        channel: "chat".to_string(),
        topic: topic.to_string(),
        status: "open".to_string(),
        opened_at: at,
    };
    let first = store
        .write_ticket(&ticket(Some(&c1), "complaint", 100))
        .expect("ticket");
    let second = store
        .write_ticket(&ticket(Some(&c1), "complaint", 200))
        .expect("ticket");
    assert!(second > first, "ids grow");
    store
        .write_ticket(&ticket(Some(&c1), "question", 150))
        .expect("ticket");
    store
        .write_ticket(&ticket(None, "complaint", 150))
        .expect("ticket");
    store
        .write_ticket(&ticket(Some("c2"), "complaint", 300))
        .expect("ticket");
    assert_eq!(
        store.complaint_counts(0, 1_000).expect("counts"),
        [(c1.clone(), 2), ("c2".to_string(), 1)]
    );
    assert_eq!(
        store.complaint_counts(150, 300).expect("window"),
        [(c1, 1)],
        "from inclusive, until exclusive"
    );
}
