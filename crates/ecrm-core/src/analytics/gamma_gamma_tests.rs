use super::*;
use crate::analytics::test_data::{assert_relative, csv_rows, reference_figures};

/// `(ID, customer)` from `cdnow_customers_summary_with_transactions.csv` (ID,x,t_x,T,zbar).
pub fn cdnow_spend() -> Option<Vec<(String, GammaGammaCustomer)>> {
    let rows = csv_rows("cdnow_customers_summary_with_transactions.csv")?;
    let parsed = rows
        .iter()
        .map(|row| {
            let customer = GammaGammaCustomer {
                frequency: row[1].parse().expect("x"),
                mean_value: row[4].parse().expect("zbar"),
            };
            (row[0].clone(), customer)
        })
        .collect();
    Some(parsed)
}

#[test]
fn fit_reproduces_the_published_cdnow_estimates() {
    let Some(rows) = cdnow_spend() else { return };
    let customers: Vec<GammaGammaCustomer> = rows.iter().map(|(_id, customer)| *customer).collect();
    let fit = fit_gamma_gamma(&customers).expect("fit");
    assert!(fit.converged, "{fit:?}");
    assert_eq!(fit.repeat_customers, 946);
    assert_relative("p", fit.params.p, 6.25, 0.005);
    assert_relative("q", fit.params.q, 3.74, 0.005);
    assert_relative("gamma", fit.params.gamma, 15.44, 0.005);
    assert!(
        (fit.log_likelihood - -4055.92).abs() < 0.05,
        "{}",
        fit.log_likelihood
    );

    let Some(reference) = reference_figures() else {
        return;
    };
    let lifetimes = &reference["reproduced_with_lifetimes_0.11.3"]["gamma_gamma"];
    let read = |name: &str| lifetimes[name].as_f64().expect("figure");
    assert_relative("p vs lifetimes", fit.params.p, read("p"), 1e-4);
    assert_relative("q vs lifetimes", fit.params.q, read("q"), 1e-4);
    assert_relative(
        "gamma vs lifetimes",
        fit.params.gamma,
        read("v_gamma"),
        1e-4,
    );
    assert_relative(
        "population mean",
        population_mean_order_value(&fit.params),
        read("population_mean_pv_over_q_minus_1"),
        1e-5,
    );
    let correlation = frequency_value_correlation(&customers).expect("correlation");
    assert_relative(
        "correlation",
        correlation,
        read("corr_frequency_monetary"),
        1e-5,
    );
    let mean_expected: f64 = customers
        .iter()
        .map(|customer| expected_order_value(&fit.params, customer))
        .sum::<f64>()
        / customers.len() as f64;
    let want = reference["reproduced_with_lifetimes_0.11.3"]["gg_mean_conditional_expected_avg_profit_all_2357"]
        .as_f64()
        .expect("mean");
    assert_relative("mean E[M]", mean_expected, want, 1e-5);
}

#[test]
fn expected_order_values_match_lifetimes() {
    let (Some(rows), Some(reference)) = (cdnow_spend(), reference_figures()) else {
        return;
    };
    let lifetimes = &reference["reproduced_with_lifetimes_0.11.3"]["gamma_gamma"];
    let read = |name: &str| lifetimes[name].as_f64().expect("figure");
    let params = GammaGammaParams {
        p: read("p"),
        q: read("q"),
        gamma: read("v_gamma"),
    };
    let per_customer = reference["reproduced_with_lifetimes_0.11.3"]["per_customer"]
        .as_object()
        .expect("rows");
    let mut checked = 0;
    for (id, expected) in per_customer {
        let Some((_id, customer)) = rows.iter().find(|(candidate, _)| candidate == id) else {
            continue;
        };
        let want = expected["E[M]"].as_f64().expect("E[M]");
        assert_relative(
            &format!("E[M] of {id}"),
            expected_order_value(&params, customer),
            want,
            1e-4,
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn customers_without_repeat_purchases_are_not_fitted() {
    let only_first = [GammaGammaCustomer {
        frequency: 0,
        mean_value: 0.0,
    }];
    assert_eq!(fit_gamma_gamma(&only_first), Err(ModelError::NoCustomers));
    let negative = [GammaGammaCustomer {
        frequency: 2,
        mean_value: -1.0,
    }];
    assert!(matches!(
        fit_gamma_gamma(&negative),
        Err(ModelError::InvalidCustomer { index: 0, .. })
    ));
}
