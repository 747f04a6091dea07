//! Errors of the segment language: where, what was found, what was expected.

use serde::Serialize;

/// A parse or type error with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}, column {column}: found {found}, expected {expected}{}", hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct SegmentError {
    pub line: usize,
    pub column: usize,
    pub found: String,
    pub expected: String,
    /// A suggestion, e.g. `did you mean rfm.class?`
    pub hint: Option<String>,
}

impl SegmentError {
    pub fn syntax(line: usize, column: usize, found: &str, expected: &str) -> SegmentError {
        SegmentError {
            line,
            column,
            found: found.to_string(),
            expected: expected.to_string(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: String) -> SegmentError {
        self.hint = Some(hint);
        self
    }
}
