//! Whole-order refunds: an `Order Refunded` or `Order Cancelled` that names only the order takes
//! back what the store holds of that order and has not refunded yet.

use ecrm_core::order::{OrderKind, OrderLine, line_key};

use super::WriteTx;
use crate::error::StoreResult;
use crate::model::EventInput;
use crate::tracked::WholeRefund;

/// The refund lines that return the rest of `refund.order_key`, for `event`'s customer at its time.
///
/// Nothing was refunded yet: every stored line comes back negated, so returns per product are
/// kept. Part was refunded: one line of the remaining amount. The order is unknown or already
/// refunded in full: no lines (the event itself is still stored).
pub(crate) fn whole_refund_lines<T: WriteTx>(
    tx: &mut T,
    event: &EventInput,
    refund: &WholeRefund,
) -> StoreResult<Vec<OrderLine>> {
    let Some(order) = tx.order_for_refund(&refund.order_key)? else {
        return Ok(Vec::new());
    };
    let remaining = order.total_cents + order.refunded_cents;
    if remaining <= 0 {
        return Ok(Vec::new());
    }
    let template = OrderLine {
        order_key: format!("refund:{}", refund.order_key),
        kind: OrderKind::Refund,
        customer: event.customer.clone(),
        ordered_at: event.occurred_at,
        line_key: 0,
        product_id: None,
        product_name: None,
        category: None,
        quantity: -1,
        unit_price_cents: remaining,
        amount_cents: -remaining,
        currency: order.currency,
        status: Some(refund.status.clone()),
    };
    if order.refunded_cents < 0 || order.lines.is_empty() {
        return Ok(vec![OrderLine {
            line_key: line_key(0, &[event.message_id.as_str(), "total"]),
            ..template
        }]);
    }
    Ok(order
        .lines
        .into_iter()
        .enumerate()
        .map(|(idx, line)| OrderLine {
            line_key: line_key(
                idx as u64,
                &[
                    event.message_id.as_str(),
                    line.product_id.as_deref().unwrap_or(""),
                ],
            ),
            quantity: -line.quantity,
            unit_price_cents: line.unit_price_cents,
            amount_cents: -line.amount_cents,
            product_id: line.product_id,
            product_name: line.product_name,
            category: line.category,
            ..template.clone()
        })
        .collect())
}
