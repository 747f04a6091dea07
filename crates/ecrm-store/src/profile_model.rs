//! Values the profile traits (behaviour, interests, spending) and the risk level read: a customer's
//! tracked events and order lines (streamed), customer ids, and service tickets.

use ecrm_core::time::Millis;

/// One tracked event of a known customer, as streamed for the profile traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityRecord<'a> {
    /// The customer's id.
    pub customer_id: &'a str,
    /// The stored event's id (ties in time are ordered by it).
    pub event_id: i64,
    /// The message type (`track`, `page`, ...).
    pub kind: &'a str,
    /// The event or page name.
    pub name: Option<&'a str>,
    /// When it happened.
    pub occurred_at: Millis,
    /// The properties as JSON text.
    pub properties: &'a str,
}

/// One order or refund line of a customer, with the catalogue's category and brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseLineRecord<'a> {
    /// The customer's id.
    pub customer_id: &'a str,
    /// The order (or refund): the store's id of it, the same for each of its lines.
    pub order_id: i64,
    /// `order` or `refund`.
    pub kind: &'a str,
    /// When it was placed.
    pub ordered_at: Millis,
    /// The line's category, else the catalogue product's.
    pub category: Option<&'a str>,
    /// The catalogue product's brand.
    pub brand: Option<&'a str>,
    /// Units.
    pub quantity: i64,
    /// Price per unit in cents.
    pub unit_price_cents: i64,
    /// Line amount in cents (negative for refunds).
    pub amount_cents: i64,
}

/// A service ticket to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketInput {
    /// The customer it is from, if known.
    pub customer_id: Option<String>,
    /// The order it is about, if any.
    pub order_key: Option<String>,
    /// `chat`, `email`, `phone` or `social`.
    pub channel: String,
    /// `return`, `refund`, `exchange`, `delivery`, `complaint`, `question`, ...
    pub topic: String,
    /// `open`, `pending`, `resolved`, ...
    pub status: String,
    /// When it was opened.
    pub opened_at: Millis,
}
