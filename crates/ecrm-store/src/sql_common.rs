//! Small helpers both SQL backends share.

use ecrm_core::{Identifier, IdentifierKind};

use crate::error::{StoreError, StoreResult};

/// Rebuilds a stored identifier (values are stored normalised, so no re-normalisation happens).
pub(crate) fn identifier_from_parts(kind: &str, value: &str) -> StoreResult<Identifier> {
    let kind = IdentifierKind::parse(kind)
        .map_err(|err| StoreError::Other(format!("stored identifier: {err}")))?;
    Ok(Identifier {
        kind,
        value: value.to_string(),
    })
}

/// Takes `items` in chunks of `chunk` (at least one) and adds up what `write` returns for each.
pub(crate) fn in_chunks<T>(
    items: &mut dyn Iterator<Item = T>,
    chunk: usize,
    mut write: impl FnMut(Vec<T>) -> StoreResult<u64>,
) -> StoreResult<u64> {
    let mut total = 0;
    loop {
        let batch: Vec<T> = items.take(chunk.max(1)).collect();
        if batch.is_empty() {
            return Ok(total);
        }
        total += write(batch)?;
    }
}

/// A comma-separated list of integers for an `IN (...)` clause (integers only, so no injection).
pub(crate) fn in_list(rows: &[i64]) -> String {
    if rows.is_empty() {
        return "NULL".to_string();
    }
    rows.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Merges `extra` keys into a stored JSON object text; the stored value wins on no key (extra replaces).
pub(crate) fn merge_extra(
    stored: &str,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> StoreResult<String> {
    let mut object: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(stored)?
    {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    for (key, value) in extra {
        object.insert(key.clone(), value.clone());
    }
    Ok(serde_json::Value::Object(object).to_string())
}

/// The timeline detail of an order.
pub(crate) fn order_detail(
    total_cents: Option<i64>,
    currency: Option<String>,
    line_count: Option<i64>,
    status: Option<String>,
) -> serde_json::Value {
    serde_json::json!({ "total_cents": total_cents, "currency": currency, "lines": line_count, "status": status })
}

/// Groups rows that arrive sorted by customer into one [`crate::CustomerDays`] per customer, handing
/// each finished customer to a sink (both backends stream the purchase-days query through it).
pub(crate) struct CustomerDaysGrouper {
    current: Option<crate::CustomerDays>,
    customers: u64,
}

impl CustomerDaysGrouper {
    pub(crate) fn new() -> CustomerDaysGrouper {
        CustomerDaysGrouper {
            current: None,
            customers: 0,
        }
    }

    /// Adds one day of `customer_id`; a new customer id finishes the previous customer.
    pub(crate) fn push(
        &mut self,
        customer_id: String,
        day: crate::PurchaseDay,
        sink: &mut dyn FnMut(crate::CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<()> {
        match self.current.as_mut() {
            Some(open) if open.customer_id == customer_id => open.days.push(day),
            _ => {
                if let Some(done) = self.current.take() {
                    self.customers += 1;
                    sink(done)?;
                }
                self.current = Some(crate::CustomerDays {
                    customer_id,
                    days: vec![day],
                });
            }
        }
        Ok(())
    }

    /// Finishes the last customer and returns how many customers were handed over.
    pub(crate) fn finish(
        mut self,
        sink: &mut dyn FnMut(crate::CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        if let Some(done) = self.current.take() {
            self.customers += 1;
            sink(done)?;
        }
        Ok(self.customers)
    }
}
