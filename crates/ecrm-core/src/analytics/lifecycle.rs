//! Rule-based labels over model outputs: lifecycle stage, value tier and risk level. Every rule's
//! numbers live in a `*Rules` struct passed in, so they are configurable and can be explained.

use serde::{Deserialize, Serialize};

/// Where a customer is in their relationship with the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    /// Known, but no order yet.
    Prospect,
    /// First order recently.
    New,
    /// Ordering regularly.
    Active,
    /// Longer than usual since the last order.
    AtRisk,
    /// So long since the last order that they are probably gone.
    Churned,
    /// Ordered again after a long gap.
    Reactivated,
}

impl LifecycleStage {
    /// The stage's snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            LifecycleStage::Prospect => "prospect",
            LifecycleStage::New => "new",
            LifecycleStage::Active => "active",
            LifecycleStage::AtRisk => "at_risk",
            LifecycleStage::Churned => "churned",
            LifecycleStage::Reactivated => "reactivated",
        }
    }
}

/// Day thresholds of the lifecycle rules, applied in this order:
/// no order → prospect; more than `churned_after_days` since the last order → churned; more than
/// `at_risk_after_days` → at risk; a gap of more than `reactivation_gap_days` before the last order
/// → reactivated; first order at most `new_within_days` ago → new; otherwise active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRules {
    /// A first order at most this many days ago makes a customer new.
    pub new_within_days: i64,
    /// More days than this since the last order: at risk.
    pub at_risk_after_days: i64,
    /// More days than this since the last order: churned.
    pub churned_after_days: i64,
    /// A gap longer than this before the last order: reactivated.
    pub reactivation_gap_days: i64,
}

impl LifecycleRules {
    /// The defaults: new within 30 days, at risk after 90, churned after 365, reactivated after a
    /// 180-day gap.
    pub const STANDARD: LifecycleRules = LifecycleRules {
        new_within_days: 30,
        at_risk_after_days: 90,
        churned_after_days: 365,
        reactivation_gap_days: 180,
    };
}

/// The order days a lifecycle stage needs, relative to the as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleInput {
    /// Days since the first order (`None`: no order).
    pub days_since_first: Option<i64>,
    /// Days since the last order.
    pub days_since_last: Option<i64>,
    /// Days between the last two order days (`None`: one order day).
    pub gap_before_last: Option<i64>,
}

/// The stage of a customer under `rules`.
pub fn lifecycle_stage(input: &LifecycleInput, rules: &LifecycleRules) -> LifecycleStage {
    let (Some(first), Some(last)) = (input.days_since_first, input.days_since_last) else {
        return LifecycleStage::Prospect;
    };
    if last > rules.churned_after_days {
        LifecycleStage::Churned
    } else if last > rules.at_risk_after_days {
        LifecycleStage::AtRisk
    } else if input
        .gap_before_last
        .is_some_and(|gap| gap > rules.reactivation_gap_days)
    {
        LifecycleStage::Reactivated
    } else if first <= rules.new_within_days {
        LifecycleStage::New
    } else {
        LifecycleStage::Active
    }
}

/// Value tiers by predicted-CLV percentile: the top `platinum_share` of customers are platinum,
/// the next `gold_share` gold, the next `silver_share` silver, the rest bronze.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueTierRules {
    /// Share of customers in the top tier.
    pub platinum_share: f64,
    /// Share in the second tier.
    pub gold_share: f64,
    /// Share in the third tier.
    pub silver_share: f64,
}

impl ValueTierRules {
    /// Top 5 % platinum, next 15 % gold, next 30 % silver, the rest bronze.
    pub const STANDARD: ValueTierRules = ValueTierRules {
        platinum_share: 0.05,
        gold_share: 0.15,
        silver_share: 0.30,
    };
}

/// The CLV cut-offs of each tier, found from the distribution of all customers' CLVs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValueTierCutoffs {
    /// Smallest CLV in platinum.
    pub platinum: f64,
    /// Smallest CLV in gold.
    pub gold: f64,
    /// Smallest CLV in silver.
    pub silver: f64,
}

/// The cut-offs: the CLV at the 1 − share quantiles (sorting a copy of `values`).
pub fn value_tier_cutoffs(values: &[f64], rules: &ValueTierRules) -> ValueTierCutoffs {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let at = |top_share: f64| -> f64 {
        if sorted.is_empty() {
            return f64::INFINITY;
        }
        let index = ((1.0 - top_share.clamp(0.0, 1.0)) * sorted.len() as f64).floor() as usize;
        sorted[index.min(sorted.len() - 1)]
    };
    ValueTierCutoffs {
        platinum: at(rules.platinum_share),
        gold: at(rules.platinum_share + rules.gold_share),
        silver: at(rules.platinum_share + rules.gold_share + rules.silver_share),
    }
}

/// The tier name of a CLV.
pub fn value_tier(clv: f64, cutoffs: &ValueTierCutoffs) -> &'static str {
    if clv >= cutoffs.platinum {
        "platinum"
    } else if clv >= cutoffs.gold {
        "gold"
    } else if clv >= cutoffs.silver {
        "silver"
    } else {
        "bronze"
    }
}

/// Risk bands: churn risk (1 − P(alive)) at or above `high_churn` is high, at or above
/// `medium_churn` medium; a refund rate (refunded over ordered value) at or above `high_refund_rate`
/// raises the level by one, and so do `complaints_to_raise` or more complaint tickets (topic
/// `complaint`) opened in the `complaint_window_days` before the as-of day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskRules {
    /// Churn risk from which the risk is medium.
    pub medium_churn: f64,
    /// Churn risk from which the risk is high.
    pub high_churn: f64,
    /// Refund rate that raises the level by one.
    pub high_refund_rate: f64,
    /// Complaint tickets in the window that raise the level by one (0: complaints are ignored).
    pub complaints_to_raise: u32,
    /// Days before the as-of day in which complaint tickets count.
    pub complaint_window_days: i64,
}

impl RiskRules {
    /// Medium from 30 % churn risk, high from 60 %, raised by a refund rate of 20 % or more and
    /// by one complaint ticket or more in the last 365 days.
    pub const STANDARD: RiskRules = RiskRules {
        medium_churn: 0.3,
        high_churn: 0.6,
        high_refund_rate: 0.2,
        complaints_to_raise: 1,
        complaint_window_days: 365,
    };
}

/// The churn-risk band: `low`, `medium` or `high`.
pub fn churn_band(churn_risk: f64, rules: &RiskRules) -> &'static str {
    if churn_risk >= rules.high_churn {
        "high"
    } else if churn_risk >= rules.medium_churn {
        "medium"
    } else {
        "low"
    }
}

/// The risk level from the churn risk (when the models are trusted), the refund rate and the
/// complaint tickets in the window.
pub fn risk_level(
    churn_risk: Option<f64>,
    refund_rate: f64,
    complaints: u32,
    rules: &RiskRules,
) -> &'static str {
    let base = match churn_risk.map(|risk| churn_band(risk, rules)) {
        Some("high") => 2,
        Some("medium") => 1,
        _ => 0,
    };
    let complained = rules.complaints_to_raise > 0 && complaints >= rules.complaints_to_raise;
    let level = base + usize::from(refund_rate >= rules.high_refund_rate) + usize::from(complained);
    ["low", "medium", "high"][level.min(2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(first: i64, last: i64, gap: Option<i64>) -> LifecycleInput {
        LifecycleInput {
            days_since_first: Some(first),
            days_since_last: Some(last),
            gap_before_last: gap,
        }
    }

    #[test]
    fn lifecycle_rules_apply_in_order() {
        let rules = LifecycleRules::STANDARD;
        let none = LifecycleInput {
            days_since_first: None,
            days_since_last: None,
            gap_before_last: None,
        };
        let cases = [
            (none, LifecycleStage::Prospect),
            (input(10, 10, None), LifecycleStage::New),
            (input(200, 5, Some(20)), LifecycleStage::Active),
            (input(200, 100, Some(20)), LifecycleStage::AtRisk),
            (input(800, 400, None), LifecycleStage::Churned),
            (input(600, 5, Some(300)), LifecycleStage::Reactivated),
        ];
        for (case, expected) in cases {
            assert_eq!(lifecycle_stage(&case, &rules), expected, "{case:?}");
        }
    }

    #[test]
    fn tiers_follow_percentiles_and_risk_is_raised_by_refunds() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let cutoffs = value_tier_cutoffs(&values, &ValueTierRules::STANDARD);
        assert_eq!(
            (cutoffs.platinum, cutoffs.gold, cutoffs.silver),
            (95.0, 80.0, 50.0)
        );
        assert_eq!(value_tier(99.0, &cutoffs), "platinum");
        assert_eq!(value_tier(49.0, &cutoffs), "bronze");
        let rules = RiskRules::STANDARD;
        assert_eq!(risk_level(Some(0.1), 0.0, 0, &rules), "low");
        assert_eq!(risk_level(Some(0.1), 0.5, 0, &rules), "medium");
        assert_eq!(risk_level(Some(0.7), 0.5, 0, &rules), "high");
        assert_eq!(risk_level(None, 0.0, 0, &rules), "low");
        assert_eq!(
            risk_level(None, 0.0, 1, &rules),
            "medium",
            "a complaint raises"
        );
        assert_eq!(
            risk_level(Some(0.4), 0.5, 2, &rules),
            "high",
            "capped at high"
        );
        let ignore = RiskRules {
            complaints_to_raise: 0,
            ..rules
        };
        assert_eq!(risk_level(None, 0.0, 5, &ignore), "low");
    }
}
