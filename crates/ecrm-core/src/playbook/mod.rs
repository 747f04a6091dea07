//! Playbooks: per-segment operations declared in configuration (`docs/playbooks.md`).
//!
//! `doc` is the located document the loader reads (built from TOML or JSON by the binary, which
//! knows the file); `load` turns it into the typed [`PlaybookSet`] naming the line and field of every
//! mistake; `validate` checks references to segments and coupon pools; `plan` decides which actions a
//! membership change runs and keys each one so that running it twice does nothing; `codes` makes
//! generated coupon codes. Everything here is pure.

pub mod codes;
pub mod doc;
mod load;
pub mod model;
pub mod plan;
mod validate;

#[cfg(test)]
mod tests;

pub use doc::{Located, Node};
pub use load::load;
pub use model::{Action, Playbook, PlaybookSet, PoolDecl, PoolValue};
pub use plan::{Change, ChangeKind, PlannedAction, plan_change};
pub use validate::{Known, validate};

/// One mistake in a playbook configuration: where it is (line, when the input has lines), which
/// field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line: Option<u32>,
    /// The field's path, e.g. `playbook[2].on_enter[1].pool`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}
