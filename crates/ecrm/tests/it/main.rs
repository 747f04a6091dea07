//! Black-box tests of the `ecrm` crate: real SQLite files, the real server on port 0, the built binary.

mod cli;
mod console_cli;
mod http_basics;
mod http_customers;
mod http_merges;
mod import_bad_input;
mod import_datasets;
mod import_events;
mod import_formats;
mod intelligence_profile;
mod playbooks;
mod playbooks_delivery;
mod segments_cli;
mod segments_http;
mod support;
