//! Errors of the domain layer: always a user error about one value.

/// A value that failed to parse or violates a domain rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid email {0:?}")]
    InvalidEmail(String),
    #[error("invalid phone number {0:?}")]
    InvalidPhone(String),
    #[error("invalid identifier {0:?}: {1}")]
    InvalidIdentifier(String, &'static str),
    #[error("invalid amount {0:?}")]
    InvalidAmount(String),
    #[error("invalid integer {0:?}")]
    InvalidInteger(String),
    #[error("invalid date {value:?}: expected {expected}")]
    InvalidDate { value: String, expected: String },
    #[error("invalid currency {0:?}: expected a three-letter ISO 4217 code")]
    InvalidCurrency(String),
}
