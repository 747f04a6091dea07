//! ecrm's pure domain: identifiers and the identity-merge rules, order lines and money,
//! and the models built on them.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and has no `async`.
//! Time is passed in; every function is a function over values.

#[cfg(feature = "analytics")]
pub mod analytics;
pub mod ecommerce;
pub mod error;
pub mod event;
#[cfg(feature = "generate")]
pub mod generate;
pub mod identifier;
pub mod identity;
pub mod money;
pub mod order;
pub mod phone;
pub mod playbook;
#[cfg(feature = "recommend")]
pub mod recommend;
pub mod segment;
pub mod time;

pub use error::DomainError;
pub use identifier::{Identifier, IdentifierKind};
