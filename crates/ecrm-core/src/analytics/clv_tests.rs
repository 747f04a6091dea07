use super::*;
use crate::analytics::bgnbd::fit_bgnbd;
use crate::analytics::gamma_gamma::fit_gamma_gamma;
use crate::analytics::test_data::{assert_relative, csv_rows, reference_figures};

const TWELVE_MONTHS_WEEKLY: ClvConfig = ClvConfig {
    months: 12,
    monthly_discount_rate: 0.01,
    time_units_per_month: WEEKS_PER_MONTH,
};

/// `(ID, customer)` from `cdnow_customers_summary_with_transactions.csv` (ID,x,t_x,T,zbar).
fn cdnow_clv_customers() -> Option<Vec<(String, ClvCustomer)>> {
    let rows = csv_rows("cdnow_customers_summary_with_transactions.csv")?;
    let parsed = rows
        .iter()
        .map(|row| {
            let purchases = BgnbdCustomer {
                frequency: row[1].parse().expect("x"),
                recency: row[2].parse().expect("t_x"),
                age: row[3].parse().expect("T"),
            };
            (
                row[0].clone(),
                ClvCustomer {
                    purchases,
                    mean_value: row[4].parse().expect("zbar"),
                },
            )
        })
        .collect();
    Some(parsed)
}

fn fitted_model(customers: &[ClvCustomer]) -> ClvModel {
    let purchases: Vec<BgnbdCustomer> = customers
        .iter()
        .map(|customer| customer.purchases)
        .collect();
    let spend: Vec<GammaGammaCustomer> = customers
        .iter()
        .map(|customer| GammaGammaCustomer {
            frequency: customer.purchases.frequency,
            mean_value: customer.mean_value,
        })
        .collect();
    let purchase_fit = fit_bgnbd(&purchases).expect("BG/NBD fit");
    let spend_fit = fit_gamma_gamma(&spend).expect("Gamma-Gamma fit");
    trust_models(&purchase_fit, &spend_fit).expect("trusted")
}

#[test]
fn twelve_month_values_match_lifetimes() {
    let (Some(rows), Some(reference)) = (cdnow_clv_customers(), reference_figures()) else {
        return;
    };
    let customers: Vec<ClvCustomer> = rows.iter().map(|(_id, customer)| *customer).collect();
    let model = fitted_model(&customers);
    let daily = ClvConfig {
        time_units_per_month: DAYS_PER_MONTH,
        ..TWELVE_MONTHS_WEEKLY
    };
    let per_customer = reference["reproduced_with_lifetimes_0.11.3"]["per_customer"]
        .as_object()
        .expect("rows");
    let mut checked = 0;
    for (id, expected) in per_customer {
        let Some((_id, customer)) = rows.iter().find(|(candidate, _)| candidate == id) else {
            continue;
        };
        let weekly = customer_lifetime_value(&model, customer, &TWELVE_MONTHS_WEEKLY).expect("clv");
        assert_relative(
            &format!("CLV of {id}"),
            weekly,
            expected["CLV_freqW"].as_f64().expect("CLV"),
            1e-4,
        );
        let quirk = customer_lifetime_value(&model, customer, &daily).expect("clv");
        assert_relative(
            &format!("CLV (freq D) of {id}"),
            quirk,
            expected["CLV_freqD"].as_f64().expect("CLV"),
            1e-4,
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
}

/// Converged fits at the published CDNOW parameters, on enough repeat customers to be trusted.
fn published_fits() -> (BgnbdFit, GammaGammaFit) {
    let purchases = BgnbdFit {
        params: BgnbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        },
        log_likelihood: -1.0,
        iterations: 5,
        converged: true,
        customers: 100,
        repeat_customers: 40,
    };
    let spend = GammaGammaFit {
        params: GammaGammaParams {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        },
        log_likelihood: -1.0,
        iterations: 5,
        converged: true,
        repeat_customers: 40,
    };
    (purchases, spend)
}

#[test]
fn untrustworthy_fits_are_refused() {
    let (purchases, spend) = published_fits();
    assert!(trust_models(&purchases, &spend).is_ok());
    let few = GammaGammaFit {
        repeat_customers: 19,
        ..spend
    };
    assert_eq!(
        trust_models(&purchases, &few),
        Err(ModelError::TooFewRepeatCustomers {
            found: 19,
            required: MIN_REPEAT_CUSTOMERS
        })
    );
    let stuck = BgnbdFit {
        converged: false,
        ..purchases
    };
    assert_eq!(
        trust_models(&stuck, &spend),
        Err(ModelError::NotConverged { model: "BG/NBD" })
    );
    let infinite_mean = GammaGammaFit {
        params: GammaGammaParams {
            q: 0.9,
            ..spend.params
        },
        ..spend
    };
    assert!(matches!(
        trust_models(&purchases, &infinite_mean),
        Err(ModelError::UnusableParameter { name: "q", .. })
    ));
    let model = trust_models(&purchases, &spend).expect("trusted");
    let customer = ClvCustomer {
        purchases: BgnbdCustomer {
            frequency: 2,
            recency: 30.43,
            age: 38.86,
        },
        mean_value: 22.35,
    };
    let bad = ClvConfig {
        time_units_per_month: 0.0,
        ..TWELVE_MONTHS_WEEKLY
    };
    assert!(matches!(
        customer_lifetime_value(&model, &customer, &bad),
        Err(ModelError::InvalidSetting { .. })
    ));
    let zero_months = ClvConfig {
        months: 0,
        ..TWELVE_MONTHS_WEEKLY
    };
    assert_eq!(
        customer_lifetime_value(&model, &customer, &zero_months),
        Ok(0.0)
    );
}

#[test]
fn lifetime_values_from_memory_equal_the_direct_ones_bit_for_bit() {
    let (purchases, spend) = published_fits();
    let model = trust_models(&purchases, &spend).expect("trusted");
    let mut memory = ExpectedPurchases::new(purchases.params);
    for config in [
        TWELVE_MONTHS_WEEKLY,
        ClvConfig {
            time_units_per_month: DAYS_PER_MONTH,
            ..TWELVE_MONTHS_WEEKLY
        },
    ] {
        for (frequency, recency, age, mean_value) in [
            (0, 0.0, 38.86, 0.0),
            (2, 30.43, 38.86, 22.35),
            // The same x and T as the one before: its terms come from memory.
            (2, 1.0, 38.86, 90.0),
            (9, 70.0, 77.0, 41.5),
        ] {
            let customer = ClvCustomer {
                purchases: BgnbdCustomer {
                    frequency,
                    recency,
                    age,
                },
                mean_value,
            };
            let direct = customer_lifetime_value(&model, &customer, &config).expect("clv");
            let remembered =
                customer_lifetime_value_with(&mut memory, &model, &customer, &config).expect("clv");
            assert!(direct > 0.0, "{customer:?}");
            assert_eq!(remembered.to_bits(), direct.to_bits(), "{customer:?}");
        }
    }
}
