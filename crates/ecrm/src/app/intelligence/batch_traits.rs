//! The batch traits of one customer as `ecrm compute` writes them: `rfm`, `lifecycle`,
//! `risk_level` and, with trusted model fits, `clv` and `value_tier` (a customer without an
//! order gets the lifecycle stage `prospect`), each with the class its history follows.

use std::collections::HashMap;

use ecrm_core::analytics::RfmRow;
use ecrm_core::analytics::lifecycle::{
    LifecycleInput, LifecycleStage, ValueTierCutoffs, churn_band, lifecycle_stage, risk_level,
    value_tier,
};
use ecrm_core::analytics::rf_segment;
use ecrm_store::TraitWrite;

use super::clv::Prediction;
use super::compute::ComputeOptions;
use super::trait_values::{ClvValue, LifecycleValue, RfmValue, RiskValue, ValueTierValue, to_text};

/// What every customer's traits share.
pub struct TraitContext<'a> {
    /// The as-of day (days since the epoch).
    pub as_of_day: i64,
    /// The value-tier cut-offs of this run.
    pub cutoffs: &'a ValueTierCutoffs,
    /// Complaint tickets in the risk window, per customer.
    pub complaints: &'a HashMap<String, u32>,
    /// The run's rules.
    pub options: &'a ComputeOptions,
}

/// The lifecycle trait of a customer without an order.
pub fn prospect_trait(customer_id: &str) -> TraitWrite {
    TraitWrite {
        customer_id: customer_id.to_string(),
        name: "lifecycle".to_string(),
        value: to_text(&LifecycleValue {
            days_since_first: None,
            days_since_last: None,
            gap_before_last: None,
            stage: LifecycleStage::Prospect.name(),
        }),
        label: Some(LifecycleStage::Prospect.name().to_string()),
    }
}

/// The traits of one customer with an order.
pub fn customer_traits(
    row: &RfmRow,
    class: ecrm_core::analytics::ValueClass,
    days: &[ecrm_core::analytics::PurchaseDay],
    prediction: Option<&Prediction>,
    context: &TraitContext<'_>,
) -> Vec<TraitWrite> {
    let TraitContext {
        as_of_day,
        cutoffs,
        complaints,
        options,
    } = *context;
    let trait_of = |name: &str, value: String, label: String| TraitWrite {
        customer_id: row.customer_id.clone(),
        name: name.to_string(),
        value,
        label: Some(label),
    };
    let segment = rf_segment(row.r_score, row.f_score).name();
    let mut out = Vec::with_capacity(5);
    out.push(trait_of(
        "rfm",
        to_text(&RfmValue {
            class: class.chinese_name(),
            class_en: class.english_name(),
            f: row.f_score,
            frequency: row.frequency,
            m: row.m_score,
            monetary_cents: row.monetary_cents,
            r: row.r_score,
            recency_days: row.recency_days,
            segment,
        }),
        format!("{segment}/{}", class.english_name()),
    ));
    let order_days: Vec<i64> = days
        .iter()
        .filter(|d| d.orders > 0)
        .map(|d| d.day)
        .collect();
    let input = LifecycleInput {
        days_since_first: order_days.first().map(|first| as_of_day - first),
        days_since_last: order_days.last().map(|last| as_of_day - last),
        gap_before_last: (order_days.len() >= 2)
            .then(|| order_days[order_days.len() - 1] - order_days[order_days.len() - 2]),
    };
    let stage = lifecycle_stage(&input, &options.lifecycle).name();
    out.push(trait_of(
        "lifecycle",
        to_text(&LifecycleValue {
            days_since_first: input.days_since_first,
            days_since_last: input.days_since_last,
            gap_before_last: input.gap_before_last,
            stage,
        }),
        stage.to_string(),
    ));
    let ordered: i64 = days.iter().map(|d| d.order_cents).sum();
    let refunded: i64 = -days.iter().map(|d| d.refund_cents).sum::<i64>();
    let refund_rate = if ordered > 0 {
        refunded.max(0) as f64 / ordered as f64
    } else {
        0.0
    };
    let churn_risk = prediction.map(|p| 1.0 - p.probability_alive);
    let complaints = complaints.get(&row.customer_id).copied().unwrap_or(0);
    let level = risk_level(churn_risk, refund_rate, complaints, &options.risk);
    out.push(trait_of(
        "risk_level",
        to_text(&RiskValue {
            churn_risk,
            complaints,
            level,
            refund_rate,
        }),
        level.to_string(),
    ));
    if let Some(p) = prediction {
        let risk = 1.0 - p.probability_alive;
        let band = churn_band(risk, &options.risk);
        out.push(trait_of(
            "clv",
            to_text(&ClvValue {
                age: p.history.age,
                churn_band: band,
                churn_risk: risk,
                clv_12m: p.clv,
                expected_order_value: p.expected_order_value,
                expected_purchases_365d: p.expected_purchases,
                m_x: p.history.mean_value,
                p_alive: p.probability_alive,
                t_x: p.history.recency,
                x: p.history.frequency,
            }),
            band.to_string(),
        ));
        let tier = value_tier(p.clv, cutoffs);
        out.push(trait_of(
            "value_tier",
            to_text(&ValueTierValue {
                clv_12m: p.clv,
                tier,
            }),
            tier.to_string(),
        ));
    }
    out
}
