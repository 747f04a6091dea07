//! The Segment E-commerce Spec v2 order events turned into order lines: `Order Completed` writes an
//! order, `Order Refunded` and `Order Cancelled` write refunds, into the same tables imports fill.

use serde_json::{Map, Value};

use crate::event::Message;
use crate::money::{line_amount_cents, parse_currency, parse_micros};
use crate::order::{OrderKind, OrderLine, line_key};

/// The event that completes an order.
pub const ORDER_COMPLETED: &str = "Order Completed";
/// The events that give an order's money back.
pub const REFUND_EVENTS: [&str; 2] = ["Order Refunded", "Order Cancelled"];

/// Why an order event could not become order lines: the field (under `properties`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEventError {
    pub field: String,
    pub reason: String,
}

/// The order or refund lines a `track` message carries; empty for every other message.
///
/// Lines come from `products[]` (price × quantity each); an order event without products becomes
/// one line of its `total` (or `revenue`). Refund lines are negative and keyed `refund:ORDER_ID`,
/// so several refunds of one order add up on one refund row. A refund without products and without
/// an amount has no lines here: it refunds the whole stored order ([`whole_refund_of`]).
/// An `Order Completed` without `order_id` gets a stable id derived from its `messageId`
/// ([`derived_order_id`]), so a retried message names the same order.
pub fn order_lines_of(
    message: &Message,
    default_currency: &str,
) -> Result<Vec<OrderLine>, OrderEventError> {
    let Some(name) = message.name.as_deref().filter(|_| message.kind == "track") else {
        return Ok(Vec::new());
    };
    let kind = if name == ORDER_COMPLETED {
        OrderKind::Order
    } else if REFUND_EVENTS.contains(&name) {
        OrderKind::Refund
    } else {
        return Ok(Vec::new());
    };
    let empty = Map::new();
    let properties = message.properties.as_object().unwrap_or(&empty);
    let order_id = match (order_id_of(properties), kind) {
        (Some(order_id), _) => order_id,
        (None, OrderKind::Order) => derived_order_id(&message.message_id),
        (None, OrderKind::Refund) => {
            return Err(error("order_id", format!("is required for {name}")));
        }
    };
    let currency = match properties.get("currency").and_then(Value::as_str) {
        Some(code) => parse_currency(code).map_err(|err| error("currency", err.to_string()))?,
        None => default_currency.to_string(),
    };
    let (order_key, status) = match kind {
        OrderKind::Order => (order_id.clone(), None),
        OrderKind::Refund => (
            format!("refund:{order_id}"),
            Some(if name == "Order Cancelled" {
                "cancelled"
            } else {
                "refunded"
            }),
        ),
    };
    let template = OrderLine {
        order_key,
        kind,
        customer: message.customer.clone(),
        ordered_at: message.occurred_at,
        line_key: 0,
        product_id: None,
        product_name: None,
        category: None,
        quantity: 1,
        unit_price_cents: 0,
        amount_cents: 0,
        currency,
        status: status.map(str::to_string),
    };
    let sign = if kind == OrderKind::Refund { -1 } else { 1 };
    let products = match properties.get("products") {
        Some(Value::Array(products)) => products.as_slice(),
        Some(Value::Null) | None => &[],
        Some(_) => return Err(error("products", "must be an array".to_string())),
    };
    let mut lines = Vec::with_capacity(products.len().max(1));
    for (idx, product) in products.iter().enumerate() {
        let field = format!("products[{idx}]");
        let product = product
            .as_object()
            .ok_or_else(|| error(&field, "must be an object".to_string()))?;
        let quantity = match product.get("quantity") {
            None | Some(Value::Null) => 1,
            Some(value) => value.as_i64().filter(|q| *q > 0).ok_or_else(|| {
                error(
                    &format!("{field}.quantity"),
                    "must be a positive integer".to_string(),
                )
            })?,
        };
        let unit_micros = amount_micros(product.get("price"))
            .map_err(|reason| error(&format!("{field}.price"), reason))?
            .unwrap_or(0);
        let product_id = id_text(product.get("product_id"))
            .or_else(|| id_text(product.get("productId")))
            .or_else(|| id_text(product.get("sku")));
        let key_fields = [
            message.message_id.as_str(),
            product_id.as_deref().unwrap_or(""),
        ];
        lines.push(OrderLine {
            line_key: line_key(idx as u64, &key_fields),
            product_id,
            product_name: text(product.get("name")),
            category: text(product.get("category")),
            quantity: sign * quantity,
            unit_price_cents: line_amount_cents(1, unit_micros),
            amount_cents: sign * line_amount_cents(quantity, unit_micros),
            ..template.clone()
        });
    }
    if lines.is_empty() {
        let total = amount_micros(properties.get("total"))
            .map_err(|reason| error("total", reason))?
            .or(amount_micros(properties.get("revenue"))
                .map_err(|reason| error("revenue", reason))?);
        let Some(total) = total else {
            return match kind {
                OrderKind::Order => Err(error(
                    "products",
                    "an order needs products[] or a total".to_string(),
                )),
                OrderKind::Refund => Ok(Vec::new()),
            };
        };
        let cents = line_amount_cents(1, total);
        lines.push(OrderLine {
            line_key: line_key(0, &[message.message_id.as_str(), "total"]),
            quantity: sign,
            unit_price_cents: cents,
            amount_cents: sign * cents,
            ..template
        });
    }
    Ok(lines)
}

/// The order id of an `Order Completed` that names none: `row-` and a hash of its message id, like
/// the derived ids of files without order ids.
pub fn derived_order_id(message_id: &str) -> String {
    crate::order::derive_order_key(0, &["messageId", message_id])
}

/// For an `Order Refunded`/`Order Cancelled` with an `order_id` but no products and no amount
/// (`total` or `revenue`): the order id and the refund status (`refunded` or `cancelled`). Such an
/// event refunds whatever of that order the store holds and has not refunded yet.
pub fn whole_refund_of(message: &Message) -> Option<(String, &'static str)> {
    let name = message
        .name
        .as_deref()
        .filter(|_| message.kind == "track")?;
    let status = match name {
        "Order Refunded" => "refunded",
        "Order Cancelled" => "cancelled",
        _ => return None,
    };
    let properties = message.properties.as_object()?;
    let present = |key: &str| properties.get(key).is_some_and(|value| !value.is_null());
    let has_products = properties
        .get("products")
        .and_then(Value::as_array)
        .is_some_and(|products| !products.is_empty());
    if has_products || present("total") || present("revenue") {
        return None;
    }
    Some((order_id_of(properties)?, status))
}

fn order_id_of(properties: &Map<String, Value>) -> Option<String> {
    id_text(properties.get("order_id")).or_else(|| id_text(properties.get("orderId")))
}

fn error(field: &str, reason: String) -> OrderEventError {
    OrderEventError {
        field: format!("properties.{field}"),
        reason,
    }
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// A money amount given as a JSON number or a decimal string, in millionths; `None` when absent.
fn amount_micros(value: Option<&Value>) -> Result<Option<i64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => parse_micros(&number.to_string())
            .map(Some)
            .map_err(|err| err.to_string()),
        Some(Value::String(text)) => parse_micros(text).map(Some).map_err(|err| err.to_string()),
        Some(_) => Err("must be a number".to_string()),
    }
}

#[cfg(test)]
#[path = "ecommerce_tests.rs"]
mod tests;
