//! The customer 360° view and customer search.

use ecrm_core::phone::PhoneRegion;
use ecrm_core::{Identifier, IdentifierKind};
use ecrm_store::{
    Customer360, CustomerListItem, CustomerQuery, Store, TimelineCursor, TimelineEntry,
};

use super::AppError;

/// Most items one page may ask for.
pub const MAX_PAGE: usize = 500;

/// Finds the customer an identifier reference (`email:ann@x.io`, `phone:+86...`, or a bare customer id) names.
pub fn find_customer(
    store: &dyn Store,
    reference: &str,
    region: PhoneRegion,
) -> Result<String, AppError> {
    let identifier = Identifier::parse_reference(reference, region)
        .map_err(|err| AppError::invalid("identifier", err.to_string()))?;
    if let Some(customer_id) = store.find_customer_id(&identifier)? {
        return Ok(customer_id);
    }
    // A canonical id of a customer without a user id (`email:...`) is also its own reference.
    if identifier.kind == IdentifierKind::UserId && store.customer_360(reference, 0).is_ok() {
        return Ok(reference.to_string());
    }
    Err(AppError::NotFound(format!("customer {reference}")))
}

/// The 360° view of the customer `reference` names, with its first timeline page.
pub fn customer_view(
    store: &dyn Store,
    reference: &str,
    region: PhoneRegion,
    latest_orders: usize,
    timeline_limit: usize,
) -> Result<(Customer360, Vec<TimelineEntry>), AppError> {
    let customer_id = find_customer(store, reference, region)?;
    let view = store.customer_360(&customer_id, latest_orders)?;
    let timeline = store.timeline(&customer_id, None, timeline_limit)?;
    Ok((view, timeline))
}

/// One page of a customer's timeline.
pub fn timeline_page(
    store: &dyn Store,
    reference: &str,
    region: PhoneRegion,
    before: Option<TimelineCursor>,
    limit: usize,
) -> Result<Vec<TimelineEntry>, AppError> {
    let customer_id = find_customer(store, reference, region)?;
    Ok(store.timeline(&customer_id, before, check_limit(limit)?)?)
}

/// Searches customers: the text is tried as every identifier kind it could be, and as a name prefix.
/// Returns one page and whether more customers follow it.
pub fn search_customers(
    store: &dyn Store,
    text: Option<&str>,
    after: Option<String>,
    limit: usize,
    region: PhoneRegion,
) -> Result<(Vec<CustomerListItem>, bool), AppError> {
    let limit = check_limit(limit)?;
    let mut identifiers = Vec::new();
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        if let Ok(identifier) = Identifier::parse_reference(text, region) {
            identifiers.push(identifier);
        }
        for kind in [
            IdentifierKind::Email,
            IdentifierKind::Phone,
            IdentifierKind::AnonymousId,
        ] {
            if let Ok(identifier) = Identifier::new(kind, text, region)
                && !identifiers.contains(&identifier)
            {
                identifiers.push(identifier);
            }
        }
    }
    let query = CustomerQuery {
        identifiers,
        search: text.map(str::to_string),
        after,
        limit: limit + 1,
    };
    let mut items = store.list_customers(&query)?;
    let more = items.len() > limit;
    items.truncate(limit);
    Ok((items, more))
}

fn check_limit(limit: usize) -> Result<usize, AppError> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(limit)
}
