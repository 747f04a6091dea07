//! The JSON values of the batch traits as typed records, serialized straight to text. The
//! fields are declared in byte order of their names, so the text is the same as that of the
//! `serde_json::Value` maps these replaced (whose keys sort), without building a map per trait.

use serde::Serialize;

/// `rfm`: the customer's RFM inputs, quintile scores, value class and R×F segment.
#[derive(Debug, Serialize)]
pub struct RfmValue<'a> {
    pub class: &'a str,
    pub class_en: &'a str,
    pub f: u8,
    pub frequency: u64,
    pub m: u8,
    pub monetary_cents: i64,
    pub r: u8,
    pub recency_days: i64,
    pub segment: &'a str,
}

/// `lifecycle`: the stage and the gaps it was decided on.
#[derive(Debug, Serialize)]
pub struct LifecycleValue<'a> {
    pub days_since_first: Option<i64>,
    pub days_since_last: Option<i64>,
    pub gap_before_last: Option<i64>,
    pub stage: &'a str,
}

/// `risk_level`: the level and its inputs.
#[derive(Debug, Serialize)]
pub struct RiskValue<'a> {
    pub churn_risk: Option<f64>,
    pub complaints: u32,
    pub level: &'a str,
    pub refund_rate: f64,
}

/// `clv`: the BG/NBD and Gamma-Gamma predictions with their inputs.
#[derive(Debug, Serialize)]
pub struct ClvValue<'a> {
    #[serde(rename = "T")]
    pub age: f64,
    pub churn_band: &'a str,
    pub churn_risk: f64,
    pub clv_12m: f64,
    pub expected_order_value: f64,
    pub expected_purchases_365d: f64,
    pub m_x: f64,
    pub p_alive: f64,
    pub t_x: f64,
    pub x: u32,
}

/// `value_tier`: the tier and the value it was decided on.
#[derive(Debug, Serialize)]
pub struct ValueTierValue<'a> {
    pub clv_12m: f64,
    pub tier: &'a str,
}

/// The value as JSON text (these records always serialize).
pub fn to_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_text_is_that_of_the_json_maps() {
        let rfm = RfmValue {
            class: "重要价值客户",
            class_en: "important value",
            f: 5,
            frequency: 7,
            m: 4,
            monetary_cents: -1250,
            r: 3,
            recency_days: 12,
            segment: "champions",
        };
        let map = json!({
            "recency_days": 12, "frequency": 7u64, "monetary_cents": -1250, "r": 3u8, "f": 5u8,
            "m": 4u8, "class": "重要价值客户", "class_en": "important value",
            "segment": "champions",
        });
        assert_eq!(to_text(&rfm), map.to_string());
        let lifecycle = LifecycleValue {
            days_since_first: Some(400),
            days_since_last: None,
            gap_before_last: Some(3),
            stage: "active",
        };
        let map = json!({
            "stage": "active", "days_since_first": Some(400), "days_since_last": None::<i64>,
            "gap_before_last": Some(3),
        });
        assert_eq!(to_text(&lifecycle), map.to_string());
        let risk = RiskValue {
            churn_risk: Some(f64::NAN),
            complaints: 2,
            level: "high",
            refund_rate: 0.125,
        };
        let map = json!({
            "level": "high", "churn_risk": Some(f64::NAN), "refund_rate": 0.125, "complaints": 2u32,
        });
        assert_eq!(to_text(&risk), map.to_string());
        let clv = ClvValue {
            age: 52.285714285714285,
            churn_band: "low",
            churn_risk: 0.1,
            clv_12m: 1234.5678,
            expected_order_value: 33.3,
            expected_purchases_365d: 1.0e-7,
            m_x: 0.0,
            p_alive: 0.9,
            t_x: 40.0,
            x: 3,
        };
        let map = json!({
            "x": 3u32, "t_x": 40.0, "T": 52.285714285714285, "m_x": 0.0,
            "expected_purchases_365d": 1.0e-7, "p_alive": 0.9, "churn_risk": 0.1,
            "churn_band": "low", "expected_order_value": 33.3, "clv_12m": 1234.5678,
        });
        assert_eq!(to_text(&clv), map.to_string());
        let tier = ValueTierValue {
            clv_12m: f64::INFINITY,
            tier: "gold",
        };
        let map = json!({ "tier": "gold", "clv_12m": f64::INFINITY });
        assert_eq!(to_text(&tier), map.to_string());
    }
}
