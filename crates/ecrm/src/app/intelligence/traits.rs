//! Reading stored traits and explaining them for one customer.

use ecrm_core::analytics::explain::explain_trait;
use ecrm_core::phone::PhoneRegion;
use ecrm_store::{Store, TraitRecord};
use serde_json::Value;

use crate::app::AppError;
use crate::app::customers::find_customer;

/// One trait with its explanation.
#[derive(Debug, Clone)]
pub struct ExplainedTrait {
    /// The stored trait.
    pub record: TraitRecord,
    /// Its value parsed as JSON.
    pub value: Value,
    /// How it was reached, in plain words with the numbers used.
    pub explanation: String,
}

/// A customer's stored traits (by customer id).
pub fn traits_of(store: &dyn Store, customer_id: &str) -> Result<Vec<TraitRecord>, AppError> {
    Ok(store.customer_traits(customer_id)?)
}

/// Explains trait `name` of the customer `reference` names.
pub fn explain_customer_trait(
    store: &dyn Store,
    reference: &str,
    name: &str,
    region: PhoneRegion,
) -> Result<ExplainedTrait, AppError> {
    let customer_id = find_customer(store, reference, region)?;
    let record = store
        .customer_traits(&customer_id)?
        .into_iter()
        .find(|record| record.name == name)
        .ok_or_else(|| AppError::NotFound(format!("trait {name} of customer {customer_id}")))?;
    explain_record(store, record)
}

/// Explains one stored trait with the context of the run that wrote it.
pub fn explain_record(store: &dyn Store, record: TraitRecord) -> Result<ExplainedTrait, AppError> {
    let value: Value = serde_json::from_str(&record.value).unwrap_or(Value::Null);
    let run = match record.model_fit_id {
        Some(id) => store
            .model_fit(id)?
            .and_then(|fit| serde_json::from_str(&fit.parameters).ok())
            .unwrap_or(Value::Null),
        None => Value::Null,
    };
    let explanation = explain_trait(&record.name, &value, &run);
    Ok(ExplainedTrait {
        record,
        value,
        explanation,
    })
}
