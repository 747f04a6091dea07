//! Values the customer-intelligence reads and writes carry: per-customer purchase days, traits and
//! model fits.

use ecrm_core::time::Millis;
use serde::Serialize;

/// One customer's orders and refunds on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PurchaseDay {
    /// UTC day number (days since 1970-01-01).
    pub day: i64,
    /// Orders (kind `order`) placed that day.
    pub orders: u32,
    /// Sum of those orders' totals, in cents.
    pub order_cents: i64,
    /// Sum of that day's refunds, in cents (zero or negative).
    pub refund_cents: i64,
}

/// A customer's purchase days, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerDays {
    /// The customer's id.
    pub customer_id: String,
    /// One entry per day with an order or a refund, oldest first.
    pub days: Vec<PurchaseDay>,
}

/// One trait value to store for a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraitWrite {
    /// The customer's id.
    pub customer_id: String,
    /// The trait's name (`rfm`, `clv`, `lifecycle`, ...).
    pub name: String,
    /// The value as JSON text.
    pub value: String,
    /// The class the value falls in (`champions`, `at_risk`, `gold`, ...), which the trait history
    /// follows: a new label starts a new period, a new value in the same class does not. `None`
    /// makes the whole value the label (every change starts a period).
    pub label: Option<String>,
}

/// One period of a trait's history: from `since` the trait was in class `label` (or had the
/// value `label`, for traits without classes) until `until` (`None`: still is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraitPeriod {
    /// When the period began (UTC epoch millis).
    pub since: Millis,
    /// When it ended, if it did.
    pub until: Option<Millis>,
    /// The class, or the whole value of a trait without classes.
    pub label: String,
}

/// A stored trait value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraitRecord {
    /// The trait's name.
    pub name: String,
    /// The value as JSON text.
    pub value: String,
    /// When it was computed (UTC epoch millis).
    pub computed_at: Millis,
    /// The model fit (or compute run) it came from.
    pub model_fit_id: Option<i64>,
}

/// What one bulk trait write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TraitWriteCounts {
    /// Traits given (changed or confirmed unchanged).
    pub written: u64,
    /// Of those, values that changed (a changed class also ends a history period).
    pub changed: u64,
}

/// A model fit to store: its parameters, quality and data window.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFitInput {
    /// The model (`bgnbd`, `gamma_gamma`, `compute`, ...).
    pub model: String,
    /// The parameters and context as JSON text.
    pub parameters: String,
    /// The log-likelihood of the fit, when the model has one.
    pub log_likelihood: Option<f64>,
    /// Start of the data window (UTC epoch millis), if bounded.
    pub window_start: Option<Millis>,
    /// End of the data window (UTC epoch millis, exclusive).
    pub window_end: Option<Millis>,
    /// When the fit ran.
    pub fitted_at: Millis,
}

/// A stored model fit (versioned by its id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFitRecord {
    /// The fit's id; later fits have larger ids.
    pub id: i64,
    /// The model.
    pub model: String,
    /// The parameters and context as JSON text.
    pub parameters: String,
    /// The log-likelihood, when the model has one.
    pub log_likelihood: Option<f64>,
    /// Start of the data window.
    pub window_start: Option<Millis>,
    /// End of the data window (exclusive).
    pub window_end: Option<Millis>,
    /// When the fit ran.
    pub fitted_at: Millis,
}
