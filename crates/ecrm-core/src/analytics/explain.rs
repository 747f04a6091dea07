//! Plain-words explanations of stored traits: each says how the value was reached for this
//! customer, with the numbers used (inputs, thresholds, model parameters).
//!
//! A trait's value holds its own inputs; the compute run that wrote it holds the shared context
//! (as-of day, RFM score ranges and mean scores, fitted parameters, rule settings). Both are JSON
//! documents with the keys `ecrm compute` writes; an explanation is a function of the two.

use serde_json::Value;

/// Explains trait `name` with value `value`, written by the run whose parameters are `run`.
pub fn explain_trait(name: &str, value: &Value, run: &Value) -> String {
    match name {
        "rfm" => explain_rfm(value, run),
        "clv" => explain_clv(value, run),
        "lifecycle" => explain_lifecycle(value, run),
        "value_tier" => explain_value_tier(value, run),
        "risk_level" => explain_risk(value, run),
        "behaviour" => super::explain_profile::explain_behaviour(value),
        "interests" => super::explain_profile::explain_interests(value, run),
        "spending" => super::explain_profile::explain_spending(value),
        _ => format!("{name} = {value}: no explanation is known for this trait"),
    }
}

fn num(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or(f64::NAN)
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value[key].as_str().unwrap_or("?")
}

/// "R = 5: the top quintile is 0 to 12 days".
fn score_range(run: &Value, dimension: &str, score: u64, unit: &str) -> String {
    let range = &run["rfm"]["thresholds"][dimension][score.saturating_sub(1) as usize];
    if range.is_null() {
        return String::new();
    }
    format!(
        "score {score} covers {} to {} {unit} ({} customers)",
        range["min"], range["max"], range["customers"]
    )
}

fn explain_rfm(value: &Value, run: &Value) -> String {
    let (r, f, m) = (
        value["r"].as_u64().unwrap_or(0),
        value["f"].as_u64().unwrap_or(0),
        value["m"].as_u64().unwrap_or(0),
    );
    let means = &run["rfm"]["mean_scores"];
    let high = |score: u64, key: &str| {
        if score as f64 > num(means, key) {
            "high"
        } else {
            "low"
        }
    };
    format!(
        "As of {as_of}: R = {r}: last order {recency} days before ({r_range}); F = {f}: {frequency} \
         orders ({f_range}); M = {m}: net spend {monetary} cents after refunds ({m_range}). \
         Scores are quintiles (SQL NTILE(5), ties broken by customer id). R, F, M are {rh}, {fh}, \
         {mh} against the mean scores {mr:.3}, {mf:.3}, {mm:.3}, so the value class is {class} \
         ({class_en}); R {r} with F {f} puts the customer in the R×F segment \"{segment}\".",
        as_of = text(run, "as_of"),
        recency = value["recency_days"],
        r_range = score_range(run, "r", r, "days"),
        frequency = value["frequency"],
        f_range = score_range(run, "f", f, "orders"),
        monetary = value["monetary_cents"],
        m_range = score_range(run, "m", m, "cents"),
        rh = high(r, "r"),
        fh = high(f, "f"),
        mh = high(m, "m"),
        mr = num(means, "r"),
        mf = num(means, "f"),
        mm = num(means, "m"),
        class = text(value, "class"),
        class_en = text(value, "class_en"),
        segment = text(value, "segment"),
    )
}

fn explain_clv(value: &Value, run: &Value) -> String {
    let models = &run["models"];
    let bgnbd = &models["bgnbd"];
    let spend = &models["gamma_gamma"];
    let unit = text(models, "time_unit");
    format!(
        "BG/NBD (r = {r:.4}, α = {alpha:.4}, a = {a:.4}, b = {b:.4}, fitted on orders up to \
         {end}) with this customer's x = {x} repeat purchase days, t_x = {tx:.2} and T = {big_t:.2} \
         {unit}s gives P(alive) = {alive:.4} (churn risk {churn:.4}, band {band}) and \
         {purchases:.4} expected orders in the next 365 days. Gamma-Gamma (p = {p:.4}, q = {q:.4}, \
         γ = {gamma:.4}) shrinks the mean repeat order value {mx:.2} towards the population mean, \
         giving an expected order value of {eov:.2}. The 12-month CLV, discounted at {rate}% a \
         month, is {clv:.2}.",
        r = num(bgnbd, "r"),
        alpha = num(bgnbd, "alpha"),
        a = num(bgnbd, "a"),
        b = num(bgnbd, "b"),
        end = text(models, "calibration_end"),
        x = value["x"],
        tx = num(value, "t_x"),
        big_t = num(value, "T"),
        alive = num(value, "p_alive"),
        churn = num(value, "churn_risk"),
        band = text(value, "churn_band"),
        purchases = num(value, "expected_purchases_365d"),
        p = num(spend, "p"),
        q = num(spend, "q"),
        gamma = num(spend, "gamma"),
        mx = num(value, "m_x"),
        eov = num(value, "expected_order_value"),
        rate = num(models, "monthly_discount") * 100.0,
        clv = num(value, "clv_12m"),
    )
}

fn explain_lifecycle(value: &Value, run: &Value) -> String {
    let rules = &run["lifecycle_rules"];
    if text(value, "stage") == "prospect" {
        return format!(
            "Stage prospect: as of {as_of}, the customer is known but has placed no order.",
            as_of = text(run, "as_of"),
        );
    }
    let gap = match value["gap_before_last"].as_i64() {
        Some(gap) => format!("{gap} days between the last two order days"),
        None => "a single order day".to_string(),
    };
    format!(
        "Stage {stage}: as of {as_of}, first order {first} days ago, last order {last} days ago, \
         {gap}. Rules in order: churned after {churned} days without an order, at risk after \
         {risk}, reactivated after a gap over {reactivation} days, new when the first order is at \
         most {new} days old, otherwise active.",
        stage = text(value, "stage"),
        as_of = text(run, "as_of"),
        first = value["days_since_first"],
        last = value["days_since_last"],
        churned = rules["churned_after_days"],
        risk = rules["at_risk_after_days"],
        reactivation = rules["reactivation_gap_days"],
        new = rules["new_within_days"],
    )
}

fn explain_value_tier(value: &Value, run: &Value) -> String {
    let cutoffs = &run["value_tier_cutoffs"];
    let rules = &run["value_tier_rules"];
    format!(
        "Tier {tier}: 12-month CLV {clv:.2}. Tiers by CLV percentile: platinum from {p:.2} (top \
         {ps}%), gold from {g:.2} (next {gs}%), silver from {s:.2} (next {ss}%), bronze below.",
        tier = text(value, "tier"),
        clv = num(value, "clv_12m"),
        p = num(cutoffs, "platinum"),
        g = num(cutoffs, "gold"),
        s = num(cutoffs, "silver"),
        ps = num(rules, "platinum_share") * 100.0,
        gs = num(rules, "gold_share") * 100.0,
        ss = num(rules, "silver_share") * 100.0,
    )
}

fn explain_risk(value: &Value, run: &Value) -> String {
    let rules = &run["risk_rules"];
    let churn = match value["churn_risk"].as_f64() {
        Some(risk) => format!("churn risk {risk:.4} (1 − P(alive))"),
        None => "no churn risk (the lifetime models could not be trusted)".to_string(),
    };
    format!(
        "Risk {level}: {churn}, refund rate {refund:.4}, {complaints} complaint tickets in the last \
         {window} days. Medium from a churn risk of {medium}, high from {high}; a refund rate of \
         {raise} or more raises the level by one, and so do {to_raise} or more complaints (0: \
         complaints ignored).",
        level = text(value, "level"),
        refund = num(value, "refund_rate"),
        medium = rules["medium_churn"],
        high = rules["high_churn"],
        raise = rules["high_refund_rate"],
        complaints = value["complaints"],
        window = rules["complaint_window_days"],
        to_raise = rules["complaints_to_raise"],
    )
}
