//! Customer-intelligence storage: purchase days per customer, traits with history, model fits.

use ecrm_store::{CustomerDays, ModelFitInput, PurchaseDay, Store, TraitWrite};

use crate::support::{ctx, line, user};

const DAY: i64 = 86_400_000;

fn days_of(store: &dyn Store, until: i64) -> Vec<CustomerDays> {
    let mut out = Vec::new();
    let count = store
        .customer_purchase_days(until, &mut |customer| {
            out.push(customer);
            Ok(())
        })
        .expect("purchase days");
    assert_eq!(count as usize, out.len());
    out
}

fn day(day: i64, orders: u32, order_cents: i64, refund_cents: i64) -> PurchaseDay {
    PurchaseDay {
        day,
        orders,
        order_cents,
        refund_cents,
    }
}

pub fn purchase_days_merge_same_day_and_skip_guests(store: &dyn Store) {
    let lines = vec![
        line("o1", 1, &[user("b")], 10 * DAY + 5, 1_000),
        line("o1", 2, &[user("b")], 10 * DAY + 5, 500),
        line("o2", 3, &[user("b")], 10 * DAY + 7_000, 250),
        line("o3", 4, &[user("b")], 12 * DAY, 100),
        line("Co3", 5, &[user("b")], 13 * DAY, -300),
        line("o4", 6, &[user("a")], 11 * DAY, 700),
        line("o5", 7, &[user("a")], 20 * DAY, 900),
        line("g1", 8, &[], 11 * DAY, 5_000),
        line("o6", 9, &[user("B")], 12 * DAY, 1),
    ];
    store.write_orders(&lines, &ctx(1)).expect("write");
    let all = days_of(store, 20 * DAY);
    let ids: Vec<&str> = all.iter().map(|c| c.customer_id.as_str()).collect();
    assert_eq!(ids, ["B", "a", "b"], "byte order, guests left out");
    assert_eq!(
        all[1].days,
        [day(11, 1, 700, 0)],
        "the 20th is not before until"
    );
    assert_eq!(
        all[2].days,
        [
            day(10, 2, 1_750, 0),
            day(12, 1, 100, 0),
            day(13, 0, 0, -300)
        ]
    );
    assert!(days_of(store, 10 * DAY).is_empty());
}

pub fn traits_upsert_and_record_changes(store: &dyn Store) {
    store
        .write_orders(&[line("o1", 1, &[user("c1")], DAY, 100)], &ctx(1))
        .expect("write");
    let write = |values: &[(&str, &str)], at: i64| {
        let mut items = values.iter().map(|(name, value)| TraitWrite {
            customer_id: "c1".to_string(),
            name: name.to_string(),
            value: value.to_string(),
            label: None,
        });
        store.write_traits(&mut items, at, Some(7)).expect("traits")
    };
    let first = write(&[("rfm", "{\"r\":5}"), ("lifecycle", "\"new\"")], 100);
    assert_eq!((first.written, first.changed), (2, 2));
    let second = write(&[("rfm", "{\"r\":4}"), ("lifecycle", "\"new\"")], 200);
    assert_eq!((second.written, second.changed), (2, 1));
    let traits = store.customer_traits("c1").expect("read");
    let names: Vec<&str> = traits.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["lifecycle", "rfm"]);
    assert_eq!(traits[1].value, "{\"r\":4}");
    assert_eq!(traits[1].computed_at, 200);
    assert_eq!(traits[1].model_fit_id, Some(7));
    assert_eq!(
        traits[0].computed_at, 100,
        "an unchanged value keeps its row (and the run it points at)"
    );
    assert!(store.customer_traits("nobody").expect("read").is_empty());
    let mut none = std::iter::empty();
    assert_eq!(
        store
            .write_traits(&mut none, 300, None)
            .expect("empty")
            .written,
        0
    );
}

pub fn trait_history_keeps_periods_of_labels(store: &dyn Store) {
    let write = |name: &str, value: &str, label: Option<&str>, at: i64| {
        let mut items = std::iter::once(TraitWrite {
            customer_id: "c1".to_string(),
            name: name.to_string(),
            value: value.to_string(),
            label: label.map(str::to_string),
        });
        store.write_traits(&mut items, at, None).expect("traits")
    };
    let periods_of = |name: &str| -> Vec<(i64, Option<i64>, String)> {
        store
            .trait_periods("c1", name)
            .expect("periods")
            .into_iter()
            .map(|p| (p.since, p.until, p.label))
            .collect()
    };
    // Labelled: numbers that drift within a class start no period; a new class does.
    write("rfm", "{\"recency\":1}", Some("champions"), 100);
    write("rfm", "{\"recency\":2}", Some("champions"), 200);
    write("rfm", "{\"recency\":2}", Some("champions"), 250);
    write("rfm", "{\"recency\":90}", Some("at_risk"), 300);
    write("rfm", "{\"recency\":91}", Some("at_risk"), 400);
    assert_eq!(
        periods_of("rfm"),
        [
            (100, Some(300), "champions".to_string()),
            (300, None, "at_risk".to_string())
        ]
    );
    let current = store.customer_traits("c1").expect("read");
    assert_eq!(current[0].value, "{\"recency\":91}");
    assert_eq!(current[0].computed_at, 400);
    // Without a label every new value is a period of its own.
    write("behaviour", "{\"views\":1}", None, 100);
    write("behaviour", "{\"views\":1}", None, 150);
    write("behaviour", "{\"views\":2}", None, 200);
    assert_eq!(
        periods_of("behaviour"),
        [
            (100, Some(200), "{\"views\":1}".to_string()),
            (200, None, "{\"views\":2}".to_string())
        ]
    );
    assert!(periods_of("clv").is_empty());
}

/// The same trait writes give the same stored traits and counts whether a chunk arrives in
/// customer order (SQLite reads what it holds with one range scan) or not (one lookup per
/// trait), with stored rows of other customers and traits inside the range, and a key written
/// twice in one chunk.
pub fn trait_writes_agree_in_and_out_of_customer_order(store: &dyn Store) {
    let trait_of = |customer: String, name: &str, value: &str, label: Option<&str>| TraitWrite {
        customer_id: customer,
        name: name.to_string(),
        value: value.to_string(),
        label: label.map(str::to_string),
    };
    let write = |items: Vec<TraitWrite>, at: i64| {
        let counts = store
            .write_traits(&mut items.into_iter(), at, None)
            .expect("traits");
        (counts.written, counts.changed)
    };
    for prefix in ["p", "q"] {
        let id = |n: u32| format!("{prefix}{n}");
        let seed: Vec<TraitWrite> = (1..=5)
            .flat_map(|n| {
                [
                    trait_of(id(n), "a", "1", Some("low")),
                    trait_of(id(n), "b", "1", None),
                ]
            })
            .collect();
        assert_eq!(write(seed, 100), (10, 10));
        let mut changes = vec![
            trait_of(id(2), "a", "1", Some("low")),  // the same value
            trait_of(id(2), "c", "7", None),         // new
            trait_of(id(3), "b", "2", None),         // changed, no label
            trait_of(id(3), "z", "1", None),         // new, sorts after every stored name
            trait_of(id(4), "a", "9", Some("high")), // changed class
        ];
        if prefix == "q" {
            changes.reverse();
        }
        assert_eq!(write(changes, 200), (5, 4), "prefix {prefix}");
        let repeated = vec![
            trait_of(id(4), "a", "8", Some("high")),
            trait_of(id(4), "a", "7", Some("high")),
        ];
        assert_eq!(write(repeated, 300), (2, 2), "prefix {prefix}");
    }
    let shown = |customer: &str| -> Vec<(String, String, i64)> {
        store
            .customer_traits(customer)
            .expect("read")
            .into_iter()
            .map(|t| (t.name, t.value, t.computed_at))
            .collect()
    };
    for n in 1..=5 {
        assert_eq!(
            shown(&format!("p{n}")),
            shown(&format!("q{n}")),
            "customer {n}"
        );
    }
    let owned = |rows: &[(&str, &str, i64)]| -> Vec<(String, String, i64)> {
        rows.iter()
            .map(|(n, v, at)| (n.to_string(), v.to_string(), *at))
            .collect()
    };
    assert_eq!(
        shown("p2"),
        owned(&[("a", "1", 100), ("b", "1", 100), ("c", "7", 200)])
    );
    assert_eq!(
        shown("p3"),
        owned(&[("a", "1", 100), ("b", "2", 200), ("z", "1", 200)])
    );
    assert_eq!(shown("p4"), owned(&[("a", "7", 300), ("b", "1", 100)]));
    for prefix in ["p", "q"] {
        let periods: Vec<(i64, Option<i64>, String)> = store
            .trait_periods(&format!("{prefix}4"), "a")
            .expect("periods")
            .into_iter()
            .map(|p| (p.since, p.until, p.label))
            .collect();
        assert_eq!(
            periods,
            [
                (100, Some(200), "low".to_string()),
                (200, None, "high".to_string())
            ]
        );
    }
}

pub fn model_fits_are_versioned(store: &dyn Store) {
    assert!(store.latest_model_fit("bgnbd").expect("latest").is_none());
    let fit = |at: i64, ll: f64| ModelFitInput {
        model: "bgnbd".to_string(),
        parameters: format!("{{\"r\":{ll}}}"),
        log_likelihood: Some(ll),
        window_start: None,
        window_end: Some(at),
        fitted_at: at,
    };
    let first = store.write_model_fit(&fit(10, -1.5)).expect("fit");
    let second = store.write_model_fit(&fit(20, -2.5)).expect("fit");
    assert!(second > first);
    let latest = store
        .latest_model_fit("bgnbd")
        .expect("latest")
        .expect("a fit");
    assert_eq!(latest.id, second);
    assert_eq!(latest.log_likelihood, Some(-2.5));
    assert_eq!(latest.window_end, Some(20));
    let old = store.model_fit(first).expect("by id").expect("a fit");
    assert_eq!(old.parameters, "{\"r\":-1.5}");
    assert!(store.model_fit(second + 100).expect("by id").is_none());
}
