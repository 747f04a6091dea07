//! ecrm: an e-commerce CRM and customer data platform in one binary.
//!
//! This crate owns the outside world: the HTTP API (`http`), the command line (`cli`), the web console (`console`), the use cases
//! both call (`app`) and telemetry. Rules and models live in `ecrm_core`; persistence in `ecrm_store`.

pub mod app;
pub mod cli;
pub mod console;
pub mod http;
pub mod telemetry;
