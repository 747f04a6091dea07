//! Errors of the use-case layer, mapped to HTTP in `http::error` and to messages in the CLI.

use ecrm_store::StoreError;

/// A use case's failure: the caller's fault (not found, invalid) or the store's.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid {parameter}: {message}")]
    Invalid { parameter: String, message: String },
    #[error("{0}")]
    Conflict(String),
    /// A segment query that does not parse or type-check, with its position.
    #[error("invalid {parameter}: {error}")]
    Query {
        parameter: String,
        error: ecrm_core::segment::SegmentError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    pub fn invalid(parameter: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}
