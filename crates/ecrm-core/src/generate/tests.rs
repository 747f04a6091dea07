//! Tests of the synthetic store generator.

use std::collections::HashSet;

use super::random::{CumulativeTable, Rng};
use super::*;
use crate::Identifier;
use crate::phone::{PhoneRegion, normalize_phone};

fn small_store(customers: u64, seed: u64) -> Generator {
    Generator::new(GeneratorConfig::standard(customers, seed))
}

#[test]
fn same_config_gives_identical_output() {
    let first: Vec<_> = small_store(300, 7)
        .customers()
        .map(|c| format!("{c:?}"))
        .collect();
    let second: Vec<_> = small_store(300, 7)
        .customers()
        .map(|c| format!("{c:?}"))
        .collect();
    assert_eq!(first, second);
    let other_seed: Vec<_> = small_store(300, 8)
        .customers()
        .map(|c| format!("{c:?}"))
        .collect();
    assert_ne!(first, other_seed);
}

#[test]
fn customers_are_independent_of_order() {
    let generator = small_store(50, 3);
    let in_order: Vec<_> = generator.customers().map(|c| format!("{c:?}")).collect();
    let backwards: Vec<_> = (0..50)
        .rev()
        .map(|idx| format!("{:?}", generator.customer(idx)))
        .collect();
    let reversed: Vec<_> = backwards.into_iter().rev().collect();
    assert_eq!(in_order, reversed);
}

#[test]
fn marginals_are_reasonable() {
    let generator = small_store(4_000, 11);
    let (mut prospects, mut buyers, mut repeaters, mut orders, mut lines, mut guests) =
        (0, 0, 0, 0, 0, 0);
    let mut events = 0;
    for customer in generator.customers() {
        let sales = customer
            .orders
            .iter()
            .filter(|o| o.status == OrderStatus::Completed)
            .count();
        match sales {
            0 => prospects += usize::from(customer.profile.is_prospect),
            1 => buyers += 1,
            _ => {
                buyers += 1;
                repeaters += 1;
            }
        }
        orders += sales;
        lines += customer
            .orders
            .iter()
            .filter(|o| o.status == OrderStatus::Completed)
            .map(|o| o.lines.len())
            .sum::<usize>();
        guests += customer.guest_orders.len();
        events += customer.events.len();
    }
    let repeat_share = repeaters as f64 / buyers as f64;
    assert!(
        (0.25..0.75).contains(&repeat_share),
        "repeat share {repeat_share}"
    );
    assert!((300..500).contains(&prospects), "prospects {prospects}");
    let lines_per_order = lines as f64 / orders as f64;
    assert!(
        (1.8..2.2).contains(&lines_per_order),
        "lines per order {lines_per_order}"
    );
    let guest_share = guests as f64 / (orders + guests) as f64;
    assert!(
        (0.01..0.03).contains(&guest_share),
        "guest share {guest_share}"
    );
    let events_per_customer = events as f64 / 4_000.0;
    assert!(
        (8.0..25.0).contains(&events_per_customer),
        "events per customer {events_per_customer}"
    );
}

#[test]
fn orders_reference_products_and_refunds_reference_orders() {
    let generator = small_store(2_000, 5);
    let product_ids: HashSet<&str> = generator.products().iter().map(|p| p.id.as_str()).collect();
    let (start, end) = generator.config().window();
    let mut refunds = 0;
    for customer in generator.customers() {
        let order_ids: HashSet<&str> = customer
            .orders
            .iter()
            .map(|o| o.order_id.as_str())
            .collect();
        for order in customer.orders.iter().chain(&customer.guest_orders) {
            assert!(
                order.ordered_at >= start && order.ordered_at < end,
                "{}",
                order.order_id
            );
            assert!(!order.lines.is_empty());
            for line in &order.lines {
                assert!(product_ids.contains(line.product.id.as_str()));
                assert!(line.unit_price_cents > 0);
                assert_eq!(line.quantity < 0, order.status == OrderStatus::Refunded);
            }
        }
        for refund in customer
            .orders
            .iter()
            .filter(|o| o.status == OrderStatus::Refunded)
        {
            refunds += 1;
            let original = refund.order_id.strip_suffix("-R").unwrap_or("");
            assert!(order_ids.contains(original), "{}", refund.order_id);
        }
        assert!(
            customer
                .guest_orders
                .iter()
                .all(|o| o.customer_id.is_none() && o.email.is_none())
        );
    }
    assert!(refunds > 20, "refunds {refunds}");
}

#[test]
fn phones_normalise_and_emails_parse() {
    let generator = small_store(3_000, 9);
    let mut phones = 0;
    let mut emails = HashSet::new();
    for customer in generator.customers() {
        let profile = &customer.profile;
        let email = Identifier::email(&profile.email).map(|id| id.value);
        assert_eq!(email.as_deref(), Ok(profile.email.as_str()));
        let domain = profile.email.rsplit('@').next().unwrap_or("");
        assert!(["example.com", "example.org", "example.net"].contains(&domain));
        assert!(
            emails.insert(profile.email.clone()),
            "duplicate {}",
            profile.email
        );
        if let Some(phone) = &profile.phone {
            phones += 1;
            let normalised = normalize_phone(phone, PhoneRegion::CN);
            assert!(
                matches!(&normalised, Ok(e164) if e164.len() == 14 && e164.starts_with("+861")),
                "{phone}"
            );
        }
    }
    let phone_share = phones as f64 / 3_000.0;
    assert!(
        (0.6..0.8).contains(&phone_share),
        "phone share {phone_share}"
    );
}

#[test]
fn events_are_segment_messages_with_unique_ids() {
    let generator = small_store(500, 2);
    let mut ids = HashSet::new();
    let mut identifies = 0;
    for customer in generator.customers() {
        for event in &customer.events {
            let json = event.to_json();
            assert!(ids.insert(event.message_id.clone()));
            assert!(json["userId"].is_string() || json["anonymousId"].is_string());
            assert!(json["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
            assert_ne!(json["event"], "Order Completed");
            if event.message_type == MessageType::Identify {
                identifies += 1;
                assert!(
                    json["anonymousId"]
                        .as_str()
                        .is_some_and(|a| a.starts_with("anon-"))
                );
                assert_eq!(json["traits"]["email"], customer.profile.email.as_str());
            }
        }
        let is_sorted = customer
            .events
            .windows(2)
            .all(|pair| pair[0].timestamp <= pair[1].timestamp);
        assert!(is_sorted);
        for order in customer
            .orders
            .iter()
            .filter(|o| o.status == OrderStatus::Completed)
        {
            let checkout = customer
                .events
                .iter()
                .find(|event| match &event.properties {
                    Some(EventProperties::Checkout(checkout)) => {
                        checkout.order_id == order.order_id
                    }
                    _ => false,
                });
            let before_order = checkout.is_some_and(|event| event.timestamp < order.ordered_at);
            assert!(before_order, "{}", order.order_id);
        }
    }
    assert!((150..350).contains(&identifies), "identifies {identifies}");
}

#[test]
fn timestamps_match_chrono() {
    for millis in [
        0,
        1_672_531_200_000,
        1_709_164_799_999,
        951_782_400_123,
        -86_400_001,
    ] {
        assert_eq!(
            format_timestamp(millis),
            crate::time::format_millis(millis),
            "{millis}"
        );
    }
}

#[test]
fn samplers_have_the_right_means() {
    let mut rng = Rng::seeded(42);
    let n = 200_000;
    let mean = |values: Vec<f64>| values.iter().sum::<f64>() / values.len() as f64;
    let gamma_small = mean((0..n).map(|_| rng.gamma(0.243, 1.0 / 4.414)).collect());
    assert!((gamma_small - 0.243 / 4.414).abs() < 0.003, "{gamma_small}");
    let gamma_large = mean((0..n).map(|_| rng.gamma(6.25, 2.0)).collect());
    assert!((gamma_large - 12.5).abs() < 0.1, "{gamma_large}");
    let beta = mean((0..n).map(|_| rng.beta(0.793, 2.426)).collect());
    assert!((beta - 0.793 / 3.219).abs() < 0.005, "{beta}");
    let poisson = mean((0..n).map(|_| rng.poisson(1.0) as f64).collect());
    assert!((poisson - 1.0).abs() < 0.01, "{poisson}");
    let exponential = mean((0..n).map(|_| rng.exponential(2.0)).collect());
    assert!((exponential - 0.5).abs() < 0.01, "{exponential}");
}

#[test]
fn zipf_favours_the_top_ranks() {
    let mut rng = Rng::seeded(1);
    let table = CumulativeTable::zipf(&[3, 1, 2, 4], 1.0);
    let mut counts = [0usize; 4];
    for _ in 0..100_000 {
        counts[table.sample(&mut rng)] += 1;
    }
    assert!(
        counts[1] > counts[2] && counts[2] > counts[0] && counts[0] > counts[3],
        "{counts:?}"
    );
    let share_top = counts[1] as f64 / 100_000.0;
    assert!((share_top - 12.0 / 25.0).abs() < 0.01, "{share_top}");
}

#[test]
fn catalogue_covers_every_category_with_shop_prices() {
    let generator = small_store(20_000, 1);
    let products = generator.products();
    assert_eq!(products.len(), 2_000);
    assert_eq!(products[0].id, "p00001");
    for category_idx in 0..generator.config().categories.len() {
        assert!(products.iter().any(|p| p.category_idx == category_idx));
    }
    assert!(
        products
            .iter()
            .all(|p| p.price_cents % 100 == 99 || p.price_cents % 100 == 0)
    );
}

#[test]
fn the_standard_window_ends_on_2024_12_29() {
    let config = GeneratorConfig::standard(10, 1);
    assert_eq!(config.end_day, DEFAULT_END_DAY);
    let (start, end) = config.window();
    assert_eq!(format_timestamp(start), "2023-01-01T00:00:00.000Z");
    assert_eq!(format_timestamp(end), "2024-12-29T00:00:00.000Z");
}

#[test]
fn moving_the_end_day_moves_every_time_by_whole_days() {
    let shift = 700;
    let standard = small_store(200, 9);
    let moved =
        Generator::new(GeneratorConfig::standard(200, 9).ending_on(DEFAULT_END_DAY + shift));
    let (_, moved_end) = moved.config().window();
    let mut recent_orders = 0;
    for (before, after) in standard.customers().zip(moved.customers()) {
        assert_eq!(
            after.profile.signup_at - before.profile.signup_at,
            shift * DAY_MILLIS
        );
        assert_eq!(
            after.profile.birthday,
            before
                .profile
                .birthday
                .and_then(|day| day.checked_add_days(chrono::Days::new(shift as u64)))
        );
        assert_eq!(before.orders.len(), after.orders.len());
        for (old, new) in before.orders.iter().zip(&after.orders) {
            assert_eq!(new.ordered_at - old.ordered_at, shift * DAY_MILLIS);
            assert!(new.ordered_at < moved_end, "{}", new.order_id);
            recent_orders += usize::from(new.ordered_at >= moved_end - 30 * DAY_MILLIS);
        }
        assert_eq!(before.events.len(), after.events.len());
        for (old, new) in before.events.iter().zip(&after.events) {
            assert_eq!(new.timestamp - old.timestamp, shift * DAY_MILLIS);
            assert!(new.timestamp < moved_end);
        }
    }
    assert!(
        recent_orders > 0,
        "no order in the last 30 days of the window"
    );
}
