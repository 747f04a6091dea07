//! The storage layer's one error type.

/// What went wrong in the store, in terms a caller can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The write conflicts with what is stored (a unique key, an undone merge, a limit).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or opened.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match err {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("row".to_string()),
            rusqlite::Error::SqliteFailure(code, _)
                if code.code == rusqlite::ErrorCode::CannotOpen =>
            {
                StoreError::Unavailable(err.to_string())
            }
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(err: postgres::Error) -> Self {
        if err.is_closed() {
            return StoreError::Unavailable(err.to_string());
        }
        match err.as_db_error() {
            Some(db) => StoreError::Other(format!("{}: {}", db.code().code(), db.message())),
            None => StoreError::Other(err.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::Other(format!("stored json: {err}"))
    }
}

/// Results of store calls.
pub type StoreResult<T> = Result<T, StoreError>;
