//! Values the recommenders read and write: customer order lines, product interactions from
//! events, the catalogue's serving flags, and stored (versioned) recommendation models.

use ecrm_core::time::Millis;
use serde::Serialize;

/// One line of a customer order (kind `order`, with a customer; guests and refunds left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecsLine<'a> {
    /// The customer's id.
    pub customer_id: &'a str,
    /// The order's key.
    pub order_key: &'a str,
    /// When the order was placed.
    pub ordered_at: Millis,
    /// The product's id.
    pub product_id: &'a str,
    /// Units.
    pub quantity: i64,
    /// Price per unit in cents.
    pub unit_price_cents: i64,
}

/// What a customer did with a product, from tracked events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InteractionKind {
    /// `Product Viewed`.
    View,
    /// `Product Added` (to cart).
    CartAdd,
}

/// One product interaction of a known customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecsInteraction<'a> {
    /// The customer's id.
    pub customer_id: &'a str,
    /// The product's id (`properties.product_id`).
    pub product_id: &'a str,
    /// View or cart add.
    pub kind: InteractionKind,
    /// When it happened.
    pub occurred_at: Millis,
    /// Seconds on the product (`properties.dwell_seconds`), when tracked.
    pub dwell_seconds: Option<i64>,
}

/// A catalogue product as serving rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecsProduct {
    /// The product's id.
    pub product_id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its category.
    pub category: Option<String>,
    /// Sold at all.
    pub active: bool,
    /// In stock.
    pub in_stock: bool,
}

/// A trained recommendation model to store.
#[derive(Debug, Clone, PartialEq)]
pub struct RecsModelInput {
    /// What it is (`default`, ...).
    pub kind: String,
    /// Hyper-parameters and sizes as JSON text.
    pub parameters: String,
    /// The encoded model.
    pub payload: Vec<u8>,
    /// When it was trained.
    pub trained_at: Millis,
}

/// A stored recommendation model; its id is the version.
#[derive(Debug, Clone, PartialEq)]
pub struct RecsModelRecord {
    /// The version (later models have larger ids).
    pub id: i64,
    /// What it is.
    pub kind: String,
    /// Hyper-parameters and sizes as JSON text.
    pub parameters: String,
    /// The encoded model.
    pub payload: Vec<u8>,
    /// When it was trained.
    pub trained_at: Millis,
}
