use super::*;
use crate::analytics::test_data::{assert_relative, csv_rows, reference_figures};

const PUBLISHED: BgnbdParams = BgnbdParams {
    r: 0.243,
    alpha: 4.414,
    a: 0.793,
    b: 2.426,
};
const PUBLISHED_LOG_LIKELIHOOD: f64 = -9582.4;

/// `(ID, customer)` from `cdnow_customers_summary.csv`.
fn cdnow_customers() -> Option<Vec<(String, BgnbdCustomer)>> {
    let rows = csv_rows("cdnow_customers_summary.csv")?;
    let parsed = rows
        .iter()
        .map(|row| {
            let customer = BgnbdCustomer {
                frequency: row[1].parse().expect("frequency"),
                recency: row[2].parse().expect("recency"),
                age: row[3].parse().expect("T"),
            };
            (row[0].clone(), customer)
        })
        .collect();
    Some(parsed)
}

fn lifetimes_params(reference: &serde_json::Value) -> BgnbdParams {
    let fitted = &reference["reproduced_with_lifetimes_0.11.3"]["bgnbd"];
    let read = |name: &str| fitted[name].as_f64().expect("parameter");
    BgnbdParams {
        r: read("r"),
        alpha: read("alpha"),
        a: read("a"),
        b: read("b"),
    }
}

#[test]
fn fit_reproduces_the_published_cdnow_estimates() {
    let Some(customers) = cdnow_customers() else {
        return;
    };
    let summaries: Vec<BgnbdCustomer> = customers.iter().map(|(_id, customer)| *customer).collect();
    assert_eq!(summaries.len(), 2357);
    let fit = fit_bgnbd(&summaries).expect("fit");
    assert!(fit.converged, "{fit:?}");
    assert_eq!(fit.repeat_customers, 946);
    assert_relative("r", fit.params.r, PUBLISHED.r, 0.005);
    assert_relative("alpha", fit.params.alpha, PUBLISHED.alpha, 0.005);
    assert_relative("a", fit.params.a, PUBLISHED.a, 0.005);
    assert_relative("b", fit.params.b, PUBLISHED.b, 0.005);
    assert!(
        (fit.log_likelihood - PUBLISHED_LOG_LIKELIHOOD).abs() < 0.5,
        "{}",
        fit.log_likelihood
    );

    let Some(reference) = reference_figures() else {
        return;
    };
    let lifetimes = lifetimes_params(&reference);
    assert_relative("r vs lifetimes", fit.params.r, lifetimes.r, 1e-4);
    assert_relative(
        "alpha vs lifetimes",
        fit.params.alpha,
        lifetimes.alpha,
        1e-4,
    );
    assert_relative("a vs lifetimes", fit.params.a, lifetimes.a, 1e-4);
    assert_relative("b vs lifetimes", fit.params.b, lifetimes.b, 1e-4);
    let lifetimes_log_likelihood =
        reference["reproduced_with_lifetimes_0.11.3"]["bgnbd"]["loglik_full_eq6"]
            .as_f64()
            .expect("loglik");
    assert!((fit.log_likelihood - lifetimes_log_likelihood).abs() < 0.01);
    assert!(fit.log_likelihood >= bgnbd_log_likelihood(&lifetimes, &summaries).expect("ll") - 1e-9);
}

#[test]
fn per_customer_predictions_match_lifetimes() {
    let (Some(customers), Some(reference)) = (cdnow_customers(), reference_figures()) else {
        return;
    };
    let summaries: Vec<BgnbdCustomer> = customers.iter().map(|(_id, customer)| *customer).collect();
    let fitted = fit_bgnbd(&summaries).expect("fit").params;
    let per_customer = reference["reproduced_with_lifetimes_0.11.3"]["per_customer"]
        .as_object()
        .expect("rows");
    let mut checked = 0;
    for (id, expected) in per_customer {
        let Some((_id, customer)) = customers.iter().find(|(candidate, _)| candidate == id) else {
            continue;
        };
        for params in [lifetimes_params(&reference), fitted] {
            let want_purchases = expected["E[X(39)]"].as_f64().expect("E[X(39)]");
            let want_alive = expected["P(alive)"].as_f64().expect("P(alive)");
            assert_relative(
                &format!("E[X(39)] of {id}"),
                expected_purchases(&params, customer, 39.0),
                want_purchases,
                1e-4,
            );
            assert_relative(
                &format!("P(alive) of {id}"),
                probability_alive(&params, customer),
                want_alive,
                1e-4,
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
    // Hardie's spreadsheet value for customer 1 (x=2, t_x=30.43, T=38.86, t=39).
    let first = BgnbdCustomer {
        frequency: 2,
        recency: 30.43,
        age: 38.86,
    };
    assert!((expected_purchases(&fitted, &first, 39.0) - 1.226).abs() < 5e-4);
}

#[test]
fn aggregate_figures_match_lifetimes() {
    let (Some(customers), Some(reference)) = (cdnow_customers(), reference_figures()) else {
        return;
    };
    let params = lifetimes_params(&reference);
    let reproduced = &reference["reproduced_with_lifetimes_0.11.3"];
    for (horizon, want) in reproduced["bgnbd_unconditional_E_X_t"]
        .as_object()
        .expect("E[X(t)]")
    {
        let t: f64 = horizon.parse().expect("horizon");
        let want = want.as_f64().expect("value");
        assert_relative(
            &format!("E[X({t})]"),
            expected_purchases_unconditional(&params, t),
            want,
            1e-4,
        );
    }
    let total: f64 = customers
        .iter()
        .map(|(_id, customer)| expected_purchases(&params, customer, 39.0))
        .sum();
    let want_total = reproduced["bgnbd_sum_E_X39_over_all_2357_customers"]
        .as_f64()
        .expect("sum");
    assert_relative("sum of E[X(39)]", total, want_total, 1e-6);
    for (id, want) in reproduced["top5_by_E_X1"].as_object().expect("top 5") {
        let (_id, customer) = customers
            .iter()
            .find(|(candidate, _)| candidate == id)
            .expect("customer");
        assert_relative(
            &format!("E[X(1)] of {id}"),
            expected_purchases(&params, customer, 1.0),
            want.as_f64().expect("value"),
            1e-4,
        );
    }
}

#[test]
fn next_purchase_time_is_where_one_purchase_is_expected() {
    let frequent = BgnbdCustomer {
        frequency: 26,
        recency: 30.86,
        age: 31.0,
    };
    let Some(wait) = expected_time_to_next_purchase(&PUBLISHED, &frequent, 520.0) else {
        panic!("expected a time")
    };
    assert!(wait > 0.5 && wait < 3.0, "{wait}");
    assert!((expected_purchases(&PUBLISHED, &frequent, wait) - 1.0).abs() < 1e-6);
    let lapsed = BgnbdCustomer {
        frequency: 1,
        recency: 1.0,
        age: 38.86,
    };
    assert_eq!(
        expected_time_to_next_purchase(&PUBLISHED, &lapsed, 52.0),
        None
    );
}

#[test]
fn predictions_are_consistent_with_the_model() {
    let newcomer = BgnbdCustomer {
        frequency: 0,
        recency: 0.0,
        age: 0.0,
    };
    // A customer seen at time 0 with no history is the unconditional customer.
    for t in [0.5, 10.0, 39.0, 200.0] {
        let conditional = expected_purchases(&PUBLISHED, &newcomer, t);
        assert_relative(
            "E[X(t)] at T=0",
            conditional,
            expected_purchases_unconditional(&PUBLISHED, t),
            1e-10,
        );
    }
    assert_eq!(probability_alive(&PUBLISHED, &newcomer), 1.0);
    let recent = BgnbdCustomer {
        frequency: 5,
        recency: 38.0,
        age: 38.5,
    };
    let stale = BgnbdCustomer {
        frequency: 5,
        recency: 5.0,
        age: 38.5,
    };
    assert!(probability_alive(&PUBLISHED, &recent) > probability_alive(&PUBLISHED, &stale));
    assert!(
        expected_purchases(&PUBLISHED, &recent, 52.0)
            > expected_purchases(&PUBLISHED, &stale, 52.0)
    );
    // Very frequent customers and long horizons stay finite and increasing.
    let heavy = BgnbdCustomer {
        frequency: 400,
        recency: 100.0,
        age: 100.0,
    };
    let near = expected_purchases(&PUBLISHED, &heavy, 52.0);
    let far = expected_purchases(&PUBLISHED, &heavy, 5_200.0);
    assert!(
        near.is_finite() && far.is_finite() && far > near && near > 100.0,
        "{near} {far}"
    );
}

#[test]
fn invalid_input_is_rejected() {
    assert_eq!(fit_bgnbd(&[]), Err(ModelError::NoCustomers));
    let bad = [BgnbdCustomer {
        frequency: 1,
        recency: 5.0,
        age: 4.0,
    }];
    assert!(matches!(
        fit_bgnbd(&bad),
        Err(ModelError::InvalidCustomer { index: 0, .. })
    ));
}

#[test]
fn remembered_expectations_equal_the_direct_ones_bit_for_bit() {
    let mut memory = ExpectedPurchases::new(PUBLISHED);
    let mut customers = Vec::new();
    for frequency in [0u32, 1, 2, 7, 40] {
        for age in [0.0, 1.0, 3.0 / 7.0, 38.86, 77.0] {
            for recency in [0.0, age * 0.5, age] {
                if frequency == 0 && recency > 0.0 {
                    continue;
                }
                customers.push(BgnbdCustomer {
                    frequency,
                    recency,
                    age,
                });
            }
        }
    }
    // Twice over: the second pass reads every hypergeometric term from memory, and customers
    // with the same x and T but another t_x share it.
    for _ in 0..2 {
        for customer in &customers {
            for t in [-1.0, 0.0, 1.0, 4.345, 39.0, 52.14, 5_200.0] {
                let direct = expected_purchases(&PUBLISHED, customer, t);
                let remembered = memory.of(customer, t);
                assert_eq!(
                    remembered.to_bits(),
                    direct.to_bits(),
                    "{customer:?} over {t}: {remembered} against {direct}"
                );
            }
        }
    }
    assert_eq!(memory.params(), &PUBLISHED);
}
