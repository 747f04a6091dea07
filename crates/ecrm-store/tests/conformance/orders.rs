use ecrm_store::Store;

use crate::support::{ctx, email, line, user};

pub fn orders_create_customers_and_reimport_creates_nothing(store: &dyn Store) {
    let lines = vec![
        line("o1", 1, &[user("00004")], 1_000, 1_177),
        line("o1", 2, &[user("00004")], 1_000, 500),
        line("o2", 3, &[user("00007"), email("b@x.io")], 2_000, 2_000),
    ];
    let first = store.write_orders(&lines, &ctx(10)).expect("write");
    assert_eq!(first.orders_created, 2);
    assert_eq!(first.order_lines_created, 3);
    assert_eq!(first.customers_created, 2);
    let again = store.write_orders(&lines, &ctx(20)).expect("rewrite");
    assert_eq!(
        again.orders_created + again.order_lines_created + again.customers_created,
        0
    );
    let view = store.customer_360("00004", 10).expect("360");
    assert_eq!(view.order_summary.orders, 1);
    assert_eq!(view.order_summary.revenue_cents, 1_677);
    assert_eq!(view.latest_orders[0].lines.len(), 2);
    assert_eq!(view.identifiers[0].value, "00004");
    assert_eq!(
        store.find_customer_id(&email("b@x.io")).expect("find"),
        Some("00007".to_string())
    );
}

pub fn lines_of_one_order_across_batches_add_up(store: &dyn Store) {
    store
        .write_orders(&[line("o1", 1, &[user("u1")], 1_000, 100)], &ctx(1))
        .expect("first batch");
    let second = store
        .write_orders(&[line("o1", 2, &[user("u1")], 1_000, 250)], &ctx(2))
        .expect("second batch");
    assert_eq!(second.orders_created, 0);
    assert_eq!(second.order_lines_created, 1);
    let view = store.customer_360("u1", 5).expect("360");
    assert_eq!(view.order_summary.orders, 1);
    assert_eq!(view.latest_orders[0].total_cents, 350);
}

pub fn refunds_and_guest_orders_are_counted_apart(store: &dyn Store) {
    let lines = vec![
        line("o1", 1, &[user("u1")], 1_000, 1_000),
        line("Co1", 2, &[user("u1")], 2_000, -400),
        line("g1", 3, &[], 3_000, 900),
    ];
    let counts = store.write_orders(&lines, &ctx(1)).expect("write");
    assert_eq!(
        (
            counts.orders_created,
            counts.refunds_created,
            counts.guest_orders_created
        ),
        (1, 1, 1)
    );
    let summary = store.customer_360("u1", 5).expect("360").order_summary;
    assert_eq!((summary.orders, summary.refunds), (1, 1));
    assert_eq!(
        (
            summary.revenue_cents,
            summary.refunded_cents,
            summary.net_cents
        ),
        (1_000, -400, 600)
    );
    assert_eq!(store.stats().expect("stats").customers, 1);
}
