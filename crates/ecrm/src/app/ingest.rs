//! Turning validated Segment messages into stored events and profile updates; shared by file import
//! and the tracking API.

use ecrm_core::event::Message;
use ecrm_core::time::Millis;
use ecrm_store::{CustomerAttributes, CustomerInput, EventInput};

/// The event to store and, for an `identify` with traits, the profile update it carries.
pub fn event_from_message(
    message: Message,
    received_at: Millis,
) -> (EventInput, Option<CustomerInput>) {
    let profile =
        (message.kind == "identify" && !message.traits.is_empty()).then(|| CustomerInput {
            customer: message.customer.clone(),
            attributes: attributes_from_traits(&message.traits),
        });
    let properties = if message.kind == "identify" {
        serde_json::Value::Object(message.traits)
    } else {
        message.properties
    };
    let event = EventInput {
        message_id: message.message_id,
        kind: message.kind,
        name: message.name,
        customer: message.customer,
        channel: message.channel,
        occurred_at: message.occurred_at,
        client_time: message.client_time,
        sent_at: message.sent_at,
        received_at,
        properties,
        context: message.context,
    };
    (event, profile)
}

/// Segment's reserved traits become attributes; the rest are kept as extra attributes.
fn attributes_from_traits(
    traits: &serde_json::Map<String, serde_json::Value>,
) -> CustomerAttributes {
    let text = |key: &str| {
        traits
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let name = text("name").or_else(|| match (text("firstName"), text("lastName")) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (first, last) => first.or(last),
    });
    let address = traits.get("address").and_then(|v| v.as_object());
    let address_text = |key: &str| {
        address
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let reserved = [
        "name",
        "firstName",
        "lastName",
        "email",
        "phone",
        "gender",
        "birthday",
        "address",
        "createdAt",
        "country",
        "city",
    ];
    let extra = traits
        .iter()
        .filter(|(key, _)| !reserved.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    CustomerAttributes {
        name,
        gender: text("gender"),
        birthday: text("birthday"),
        country: address_text("country").or_else(|| text("country")),
        city: address_text("city").or_else(|| text("city")),
        signup_at: text("createdAt").and_then(|t| {
            ecrm_core::time::parse_timestamp(&t, &ecrm_core::time::DateFormat::Auto).ok()
        }),
        extra,
    }
}
