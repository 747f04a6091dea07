//! Playbooks (`docs/playbooks.md`): configuration loading and validation (`config`), coupon pools
//! (`pools`), the engine that turns segment changes into idempotent actions and computes dry runs
//! (`engine`), the live configuration and worker inside `ecrm serve` (`runtime`), webhook delivery
//! (`webhooks`) and the suppression list export (`suppression`).

pub mod config;
pub mod engine;
pub mod pools;
pub mod runtime;
pub mod suppression;
pub mod webhooks;
