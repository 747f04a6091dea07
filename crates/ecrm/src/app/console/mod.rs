//! The console's use cases: console users with slow password hashes and sessions (`users`), the
//! password hash itself (`password`) and the dashboard's aggregates kept as a snapshot (`dashboard`).

pub mod dashboard;
pub mod password;
pub mod refresh;
pub mod trends;
pub mod users;
