//! A customer's tracked events and order lines reduced to what the profile traits read
//! (behaviour, interests, spending), and the split of events into sessions.
//!
//! Conventions:
//! * a session is a run of events with no gap longer than [`SESSION_GAP_MILLIS`] (30 minutes);
//! * a page's category is the `category` property, or `NAME` of a `/c/NAME` path;
//! * a page's dwell time is its `dwell_seconds` property;
//! * a product view's dwell time is its `dwell_seconds` property when tracked, otherwise the time
//!   until the customer's next event in the same session; both capped at [`MAX_DWELL_SECONDS`].

use std::sync::Arc;

use serde_json::Value;

use crate::time::Millis;

/// A gap longer than this (30 minutes) between two events starts a new session.
pub const SESSION_GAP_MILLIS: Millis = 30 * 60 * 1000;

/// Dwell times are capped at 5 minutes (a tab left open is not attention).
pub const MAX_DWELL_SECONDS: f64 = 300.0;

/// What kind of event an [`Activity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// A `page` message.
    Page,
    /// `Product Viewed`.
    ProductViewed,
    /// `Product Added` (to the cart).
    ProductAdded,
    /// `Products Searched`.
    Searched,
    /// `Checkout Started`.
    CheckoutStarted,
    /// `Order Completed`.
    OrderCompleted,
    /// Anything else (identify, tickets, custom events): counts for sessions only.
    Other,
}

/// One tracked event, reduced.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// When it happened (UTC epoch millis).
    pub at: Millis,
    /// The kind.
    pub kind: ActivityKind,
    /// The product's or page's category (shared: a store has few, and a customer's activities
    /// repeat them).
    pub category: Option<Arc<str>>,
    /// The product's brand (shared, as the category).
    pub brand: Option<Arc<str>>,
    /// Seconds spent, when tracked (`dwell_seconds`), capped.
    pub dwell_seconds: Option<f64>,
    /// The search terms of a search (trimmed, lower-cased).
    pub query: Option<String>,
    /// The coupon code of a checkout or order.
    pub coupon: Option<String>,
    /// The order id of a checkout or order.
    pub order_id: Option<String>,
}

/// The event properties an [`Activity`] reads, from a parsed JSON value or straight from the
/// stored text ([`EventProperties`]).
pub trait PropertySource {
    /// A non-blank string (trimmed) or a number (as written) under `key`.
    fn text(&self, key: &str) -> Option<String>;
    /// A string under `key`, as is.
    fn string(&self, key: &str) -> Option<String>;
    /// A number under `key`.
    fn number(&self, key: &str) -> Option<f64>;
}

impl PropertySource for Value {
    fn text(&self, key: &str) -> Option<String> {
        match &self[key] {
            Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    fn string(&self, key: &str) -> Option<String> {
        self[key].as_str().map(str::to_string)
    }

    fn number(&self, key: &str) -> Option<f64> {
        self[key].as_f64()
    }
}

/// The properties an [`Activity`] reads, parsed from the stored JSON text without building a
/// [`Value`] tree: every other key is skipped, strings without escapes are borrowed.
#[derive(Debug, Default, serde::Deserialize)]
pub struct EventProperties<'a> {
    #[serde(borrow, default)]
    category: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    brand: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    path: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    query: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    coupon: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    order_id: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    dwell_seconds: Option<&'a serde_json::value::RawValue>,
}

impl<'a> EventProperties<'a> {
    /// Parses the properties' JSON text; `None` when it is not an object this type reads (a
    /// duplicate key, say), for which the caller falls back to a [`Value`].
    pub fn parse(text: &'a str) -> Option<EventProperties<'a>> {
        serde_json::from_str(text).ok()
    }

    fn raw(&self, key: &str) -> Option<&'a serde_json::value::RawValue> {
        match key {
            "category" => self.category,
            "brand" => self.brand,
            "path" => self.path,
            "query" => self.query,
            "coupon" => self.coupon,
            "order_id" => self.order_id,
            "dwell_seconds" => self.dwell_seconds,
            _ => None,
        }
    }
}

impl PropertySource for EventProperties<'_> {
    fn text(&self, key: &str) -> Option<String> {
        let raw = self.raw(key)?.get();
        if raw.starts_with('"') {
            let text: std::borrow::Cow<'_, str> = serde_json::from_str(raw).ok()?;
            let trimmed = text.trim();
            return (!trimmed.is_empty()).then(|| trimmed.to_string());
        }
        let number: serde_json::Number = serde_json::from_str(raw).ok()?;
        Some(number.to_string())
    }

    fn string(&self, key: &str) -> Option<String> {
        let raw = self.raw(key)?.get();
        if !raw.starts_with('"') {
            return None;
        }
        serde_json::from_str::<std::borrow::Cow<'_, str>>(raw)
            .ok()
            .map(std::borrow::Cow::into_owned)
    }

    fn number(&self, key: &str) -> Option<f64> {
        let raw = self.raw(key)?.get();
        let number: serde_json::Number = serde_json::from_str(raw).ok()?;
        number.as_f64()
    }
}

fn page_category(properties: &impl PropertySource) -> Option<String> {
    properties.text("category").or_else(|| {
        let path = properties.string("path")?;
        let name = path.strip_prefix("/c/")?.split(['/', '?', '#']).next()?;
        (!name.is_empty()).then(|| name.to_string())
    })
}

impl Activity {
    /// Reduces a stored event: its message type (`track`, `page`, ...), name, time and properties.
    pub fn from_event(
        message_type: &str,
        name: Option<&str>,
        at: Millis,
        properties: &impl PropertySource,
    ) -> Self {
        let kind = match (message_type, name) {
            ("page", _) => ActivityKind::Page,
            ("track", Some("Product Viewed")) => ActivityKind::ProductViewed,
            ("track", Some("Product Added")) => ActivityKind::ProductAdded,
            ("track", Some("Products Searched")) => ActivityKind::Searched,
            ("track", Some("Checkout Started")) => ActivityKind::CheckoutStarted,
            ("track", Some("Order Completed")) => ActivityKind::OrderCompleted,
            _ => ActivityKind::Other,
        };
        let dwell_seconds = properties
            .number("dwell_seconds")
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .map(|seconds| seconds.min(MAX_DWELL_SECONDS));
        let category = match kind {
            ActivityKind::Page => page_category(properties),
            ActivityKind::ProductViewed | ActivityKind::ProductAdded => properties.text("category"),
            _ => None,
        };
        let brand = match kind {
            ActivityKind::ProductViewed | ActivityKind::ProductAdded => properties.text("brand"),
            _ => None,
        };
        let query = match kind {
            ActivityKind::Searched => properties.text("query").map(|q| q.to_lowercase()),
            _ => None,
        };
        let (coupon, order_id) = match kind {
            ActivityKind::CheckoutStarted | ActivityKind::OrderCompleted => {
                (properties.text("coupon"), properties.text("order_id"))
            }
            _ => (None, None),
        };
        Activity {
            at,
            kind,
            category: category.map(Arc::from),
            brand: brand.map(Arc::from),
            dwell_seconds,
            query,
            coupon,
            order_id,
        }
    }
}

/// One order or refund line of a customer, with the catalogue's category and brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseLine<'a> {
    /// The order (or refund) it belongs to: any number unique among the customer's orders.
    pub order: u64,
    /// Whether it is a refund line.
    pub refund: bool,
    /// When the order was placed (UTC epoch millis).
    pub at: Millis,
    /// The product's category, if known.
    pub category: Option<&'a str>,
    /// The product's brand, if known.
    pub brand: Option<&'a str>,
    /// Units.
    pub quantity: i64,
    /// Price paid per unit, in cents.
    pub unit_price_cents: i64,
    /// Line amount, in cents (negative for refunds).
    pub amount_cents: i64,
}

/// Splits time-ordered activities into sessions (index ranges into `activities`).
pub fn sessions(activities: &[Activity]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for index in 1..activities.len() {
        if activities[index].at - activities[index - 1].at > SESSION_GAP_MILLIS {
            out.push(start..index);
            start = index;
        }
    }
    if !activities.is_empty() {
        out.push(start..activities.len());
    }
    out
}

/// The dwell time of each product view (see the module conventions); `None` for other events or
/// a view with no later event in its session and no tracked dwell.
pub fn view_dwell_seconds(activities: &[Activity]) -> Vec<Option<f64>> {
    let mut out = vec![None; activities.len()];
    for range in sessions(activities) {
        for index in range.clone() {
            let activity = &activities[index];
            if activity.kind != ActivityKind::ProductViewed {
                continue;
            }
            out[index] = activity.dwell_seconds.or_else(|| {
                (index + 1 < range.end).then(|| {
                    let gap = (activities[index + 1].at - activity.at).max(0) as f64 / 1000.0;
                    gap.min(MAX_DWELL_SECONDS)
                })
            });
        }
    }
    out
}
