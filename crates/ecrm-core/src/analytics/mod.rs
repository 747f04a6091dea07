//! Customer-value models: RFM, BG/NBD, Gamma-Gamma and CLV (functions over values).
//!
//! * [`rfm`]: recency, frequency and monetary value as of a day, NTILE(5) scores, the 8 value
//!   classes and the R×F segment map, per-score thresholds, summaries and the export lines.
//! * [`bgnbd`]: the BG/NBD purchase model (Fader, Hardie & Lee 2005): maximum-likelihood fit,
//!   expected purchases, P(alive), expected time to the next order.
//! * [`gamma_gamma`]: the Gamma-Gamma spend model: fit and expected order value.
//! * [`clv`]: lifetime value over months with a monthly discount rate, refused when the fits
//!   cannot be trusted.
//! * [`activity`], [`behaviour`], [`interests`], [`spending`]: the profile traits from tracked
//!   events and order lines (sessions, browse paths, decayed affinities, price percentiles).
//! * [`hyp2f1`] and [`special`]: the special functions the models need.
//!
//! Architecture invariant: no I/O and no clock; the as-of day and the horizons are arguments.
//! The CDNOW data of Fader & Hardie pins every model to its published figures in the tests.

pub mod activity;
pub mod behaviour;
pub mod bgnbd;
mod bgnbd_likelihood;
pub mod clv;
pub mod error;
pub mod explain;
pub mod explain_profile;
pub mod gamma_gamma;
pub mod hyp2f1;
pub mod interests;
pub mod lifecycle;
mod optimize;
#[cfg(test)]
mod profile_tests;
pub mod purchases;
pub mod rfm;
mod rfm_classes;
pub mod special;
pub mod spending;
#[cfg(test)]
mod test_data;

pub use bgnbd::{
    BgnbdCustomer, BgnbdFit, BgnbdParams, ExpectedPurchases, bgnbd_log_likelihood,
    expected_purchases, expected_purchases_unconditional, expected_time_to_next_purchase,
    fit_bgnbd, probability_alive,
};
pub use clv::{
    ClvConfig, ClvCustomer, ClvModel, customer_lifetime_value, customer_lifetime_value_with,
    trust_models,
};
pub use error::ModelError;
pub use gamma_gamma::{
    GammaGammaCustomer, GammaGammaFit, GammaGammaParams, expected_order_value, fit_gamma_gamma,
    frequency_value_correlation,
};
pub use purchases::{PurchaseDay, PurchaseHistory, TimeUnit, purchase_history, rfm_input};
pub use rfm::{
    CustomerRfmInput, RFM_BUCKETS, RfmRow, RfmThresholds, ScoreRange, compute_rfm, ntile,
    rfm_export_lines, rfm_thresholds,
};
pub use rfm_classes::{
    GroupShare, RfSegment, RfmSummary, ValueClass, rf_segment, summarize_rfm, value_class,
    value_classes,
};
