//! Why a model could not be fitted or should not be trusted.

/// An error of the customer-value models.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The input holds no customer the model can use.
    #[error("no customers to fit")]
    NoCustomers,
    /// One input value violates the model's domain (negative times, recency after age, ...).
    #[error("customer at index {index}: {reason}")]
    InvalidCustomer { index: usize, reason: &'static str },
    /// Too few customers with repeat purchases for the parameters to mean anything.
    #[error("too few repeat customers: {found}, at least {required} needed")]
    TooFewRepeatCustomers { found: u64, required: u64 },
    /// The optimiser stopped before meeting its convergence rule.
    #[error("the {model} fit did not converge")]
    NotConverged { model: &'static str },
    /// A fitted parameter is outside the range a prediction needs.
    #[error("parameter {name} is {value}: {reason}")]
    UnusableParameter {
        name: &'static str,
        value: f64,
        reason: &'static str,
    },
    /// A prediction setting is out of range.
    #[error("invalid setting {name}: {reason}")]
    InvalidSetting {
        name: &'static str,
        reason: &'static str,
    },
}
