//! Segment-format messages (`identify`, `page`, `track`) as typed values that serialise to the
//! Segment HTTP Tracking API JSON shape without building a `serde_json::Value` first.

use std::fmt;

use serde::{Serialize, Serializer};

use super::catalogue::Product;
use crate::time::{DAY_MILLIS, Millis};

/// The Segment message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    /// Ties an anonymous id to a user id and carries traits.
    Identify,
    /// A named action with properties.
    Track,
    /// A page view.
    Page,
}

/// One Segment message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentEvent<'g> {
    /// `identify`, `track` or `page`.
    #[serde(rename = "type")]
    pub message_type: MessageType,
    /// The track event name (`Product Viewed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'static str>,
    /// The page name (`Home`, `Category`, `Product`, `Search`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    /// Deterministic and unique: `gen-<seed>-<customer index>-<n>`.
    pub message_id: String,
    /// The customer's id once signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The device id, for customers who browsed before signing in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// When it happened, written as RFC 3339 UTC with milliseconds.
    #[serde(serialize_with = "serialize_timestamp")]
    pub timestamp: Millis,
    /// Properties of `page` and `track` messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<EventProperties<'g>>,
    /// Traits of `identify` messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traits: Option<IdentifyTraits>,
    /// Channel, user agent, locale and campaign.
    pub context: EventContext,
}

impl SegmentEvent<'_> {
    /// The message as a JSON value, e.g. to feed the ingestion path directly.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The properties of a message, by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventProperties<'g> {
    /// A page view.
    Page(PageProperties),
    /// `Product Viewed` and `Product Added`.
    Product(ProductProperties<'g>),
    /// `Products Searched`.
    Search(SearchProperties),
    /// `Checkout Started`.
    Checkout(CheckoutProperties<'g>),
    /// `Ticket Opened`.
    Ticket(TicketProperties),
}

/// Properties of a `page` message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageProperties {
    /// `/`, `/c/shoes`, `/p/p00123` or `/search?q=...`.
    pub path: String,
    /// The full URL on shop.example.com.
    pub url: String,
    /// Where the visitor came from, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<&'static str>,
    /// Seconds spent on the page.
    pub dwell_seconds: u32,
}

/// A product as the Segment E-commerce Spec writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductProperties<'g> {
    /// The product's id (`p00123`).
    pub product_id: &'g str,
    /// The product's name.
    pub name: &'g str,
    /// The product's category.
    pub category: &'g str,
    /// The product's brand.
    pub brand: &'g str,
    /// List price per unit in currency units (19.99).
    pub price: f64,
    /// Units, for carts and checkouts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// The currency, except inside a checkout's product list (the checkout carries it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<&'g str>,
}

impl<'g> ProductProperties<'g> {
    /// The product's properties, with `quantity` for carts and `currency` outside checkouts.
    pub fn of(
        product: &'g Product,
        quantity: Option<i64>,
        currency: Option<&'g str>,
    ) -> ProductProperties<'g> {
        ProductProperties {
            product_id: &product.id,
            name: &product.name,
            category: &product.category,
            brand: &product.brand,
            price: product.price_cents as f64 / 100.0,
            quantity,
            currency,
        }
    }
}

/// Properties of `Products Searched`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchProperties {
    /// The search terms.
    pub query: String,
}

/// Properties of `Checkout Started`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckoutProperties<'g> {
    /// The order this checkout became (see orders.csv).
    pub order_id: String,
    /// Order value in currency units.
    pub value: f64,
    /// The order's currency.
    pub currency: &'g str,
    /// The coupon code used, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<&'static str>,
    /// The products in the cart.
    pub products: Vec<ProductProperties<'g>>,
}

/// Properties of `Ticket Opened`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketProperties {
    /// `t<customer number>-1`.
    pub ticket_id: String,
    /// `chat`, `email`, `phone` or `social`.
    pub channel: &'static str,
    /// `return`, `delivery`, `complaint` or `question`.
    pub topic: &'static str,
    /// The order it is about, if any.
    pub order_id: Option<String>,
}

/// Traits of an `identify` message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentifyTraits {
    /// The customer's email.
    pub email: String,
    /// `First Last`.
    pub name: String,
    /// The phone as the customer wrote it, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Sign-up time.
    #[serde(serialize_with = "serialize_timestamp")]
    pub created_at: Millis,
}

/// The `context` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventContext {
    /// `web`, `app`, `mini-program` or `service`.
    pub channel: &'static str,
    /// The browser's or app's user agent.
    pub user_agent: &'static str,
    /// The customer's locale (`zh-CN`).
    pub locale: &'static str,
    /// UTM parameters, for sessions that came from a campaign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<UtmCampaign>,
}

/// UTM campaign parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UtmCampaign {
    /// `utm_source`.
    pub source: &'static str,
    /// `utm_medium`.
    pub medium: &'static str,
    /// `utm_campaign`.
    pub name: &'static str,
}

/// Formats UTC milliseconds as RFC 3339 with milliseconds, `2023-01-01T08:30:00.000Z`.
pub fn format_timestamp(millis: Millis) -> String {
    Rfc3339(millis).to_string()
}

fn serialize_timestamp<S: Serializer>(millis: &Millis, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&Rfc3339(*millis))
}

/// Displays UTC milliseconds as RFC 3339 without allocating (civil-from-days, Howard Hinnant).
struct Rfc3339(Millis);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(DAY_MILLIS);
        let in_day = self.0.rem_euclid(DAY_MILLIS);
        let (year, month, day) = civil_from_days(days);
        let (hour, minute) = (in_day / 3_600_000, in_day / 60_000 % 60);
        let (second, milli) = (in_day / 1000 % 60, in_day % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"
        )
    }
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
