//! Explanations of the profile traits (`behaviour`, `interests`, `spending`), with the numbers
//! their values hold and the rules of the run that wrote them (`interest_rules`).

use serde_json::Value;

fn num(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or(f64::NAN)
}

fn or_none(value: &Value, key: &str, unit: &str) -> String {
    match value[key].as_f64() {
        Some(number) => format!("{number}{unit}"),
        None => "none".to_string(),
    }
}

fn counted(list: &Value) -> String {
    let items: Vec<String> = list
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    format!(
                        "\"{}\" ({})",
                        item["value"].as_str().unwrap_or("?"),
                        item["count"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// Explains the `behaviour` trait.
pub fn explain_behaviour(value: &Value) -> String {
    format!(
        "{sessions} sessions (a gap of over 30 minutes starts a new one) with {pages} page views \
         (average dwell {dwell}) and {views} product views. Top browse paths (categories in \
         visiting order per session): {paths}. {searches} searches, top terms: {terms}. {adds} \
         cart adds in {carts} sessions, {abandoned} of which ended without a checkout or an order \
         within 30 minutes (abandoned). {coupons} of {checkouts} checkouts used a coupon (rate \
         {coupon_rate}). {refunds} of {orders} orders were refunded (return rate {return_rate}); \
         refunded value over ordered value: {refund_rate}.",
        sessions = value["sessions"],
        pages = value["page_views"],
        dwell = or_none(value, "avg_dwell_seconds", " s"),
        views = value["product_views"],
        paths = counted(&value["top_paths"]),
        searches = value["searches"],
        terms = counted(&value["search_terms"]),
        adds = value["cart_adds"],
        carts = value["cart_sessions"],
        abandoned = value["cart_abandonments"],
        coupons = value["coupon_checkouts"],
        checkouts = value["checkouts"],
        coupon_rate = or_none(value, "coupon_rate", ""),
        refunds = value["refunds"],
        orders = value["orders"],
        return_rate = or_none(value, "return_rate", ""),
        refund_rate = or_none(value, "refund_rate", ""),
    )
}

fn scores(map: &Value) -> String {
    let mut items: Vec<(&String, f64)> = map
        .as_object()
        .map(|object| {
            object
                .iter()
                .map(|(name, score)| (name, score.as_f64().unwrap_or(0.0)))
                .collect()
        })
        .unwrap_or_default();
    items.sort_by(|a, b| b.1.total_cmp(&a.1));
    if items.is_empty() {
        return "none".to_string();
    }
    items
        .iter()
        .map(|(name, score)| format!("{name} {score:.4}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Explains the `interests` trait with the rules of the run that wrote it.
pub fn explain_interests(value: &Value, run: &Value) -> String {
    let rules = &run["interest_rules"];
    format!(
        "Categories: {categories}. Brands: {brands}. From {signals} signals: each product view \
         weighs {view} × (1 + dwell seconds / 60, dwell capped at 300 s), each cart add {cart}, \
         each purchased line {purchase}, halved every {half_life} days of age. Scores are each \
         name's share of the customer's decayed weight in that dimension (they sum to 1; the top \
         10 are kept).",
        categories = scores(&value["category"]),
        brands = scores(&value["brand"]),
        signals = value["signals"],
        view = rules["view_weight"],
        cart = rules["cart_weight"],
        purchase = rules["purchase_weight"],
        half_life = value["half_life_days"],
    )
}

/// Explains the `spending` trait.
pub fn explain_spending(value: &Value) -> String {
    let band = match value["price_band"].as_str() {
        Some(band) => format!(
            "price band {band}: the bought unit prices sit on average at percentile {} of their \
             categories' bought prices ({} lines; budget below 33.3, premium from 66.7)",
            num(value, "price_percentile"),
            value["priced_lines"]
        ),
        None => "no price band (no bought line to compare)".to_string(),
    };
    let aov = match value["aov_cents"].as_i64() {
        Some(cents) => format!("{cents} cents"),
        None => "none".to_string(),
    };
    format!(
        "{orders} orders worth {ordered} cents, {total} cents after refunds ({refunds} refunds, \
         return rate {return_rate}); average order value {aov}; {band}.",
        refunds = value["refunds"],
        return_rate = or_none(value, "return_rate", ""),
        orders = value["orders"],
        ordered = value["ordered_cents"],
        total = value["total_spend_cents"],
    )
}
