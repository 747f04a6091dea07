//! Segment-format messages (`identify`, `track`, `page`, `screen`, `group`, `alias`) parsed into
//! validated events, with the item index and field of every reject.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::order::CustomerRef;
use crate::phone::PhoneRegion;
use crate::time::{DateFormat, Millis, parse_timestamp};
use crate::{Identifier, IdentifierKind};

/// The message types of the Segment spec.
pub const MESSAGE_TYPES: [&str; 6] = ["identify", "track", "page", "screen", "group", "alias"];

/// A message that passed validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub message_id: String,
    pub kind: String,
    /// The event name for `track`, the page/screen name, the group id for `group`.
    pub name: Option<String>,
    /// Everyone this message names: userId, anonymousId, previousId (alias), traits.email/phone.
    pub customer: CustomerRef,
    pub channel: Option<String>,
    /// When it happened (after clock-skew correction where the caller asked for it).
    pub occurred_at: Millis,
    /// The time the client stamped on it (`timestamp`, else `originalTimestamp`), as sent and
    /// before any correction: a retry carries the same, so with `message_id` it keys the store's
    /// deduplication.
    pub client_time: Option<Millis>,
    pub sent_at: Option<Millis>,
    pub properties: Value,
    pub traits: Map<String, Value>,
    pub context: Value,
}

/// Why one message was refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub index: usize,
    pub field: String,
    pub reason: String,
}

/// How to read timestamps.
#[derive(Debug, Clone, Copy)]
pub struct MessageOptions {
    /// The server's receive time: the default timestamp, and the base of clock-skew correction.
    pub received_at: Millis,
    /// Correct `timestamp` by the client's clock skew (`receivedAt - sentAt`), as Segment does for live calls.
    pub correct_skew: bool,
    pub phone_region: PhoneRegion,
}

/// Parses one message (`index` names it in rejects).
pub fn parse_message(
    raw: &Value,
    index: usize,
    options: &MessageOptions,
) -> Result<Message, Reject> {
    let context = raw.get("context").cloned();
    let properties = raw.get("properties").cloned();
    let payload = Payload::Values {
        context,
        properties,
    };
    parse_fields(raw, payload, index, options)
}

/// [`parse_message`] of a message the caller gives up, so its `properties` and `context` move into
/// the result instead of being copied.
pub fn parse_message_owned(
    mut raw: Value,
    index: usize,
    options: &MessageOptions,
) -> Result<Message, Reject> {
    let has_id = raw.get("messageId").is_some_and(|id| !id.is_null());
    let Some(object) = raw.as_object_mut().filter(|_| has_id) else {
        // The derived message id hashes the whole message, so nothing may move out of it first.
        return parse_message(&raw, index, options);
    };
    let context = object.remove("context");
    let properties = object.remove("properties");
    let payload = Payload::Values {
        context,
        properties,
    };
    parse_fields(&raw, payload, index, options)
}

/// What a message's `context` contributes to its validation: the channel and the traits (whose
/// `email` and `phone` identify the sender when the message's own traits do not).
#[derive(Debug, Clone, Copy, Default)]
pub struct ContextFields<'a> {
    pub channel: Option<&'a str>,
    pub traits: Option<&'a Map<String, Value>>,
}

impl<'a> ContextFields<'a> {
    /// The fields of a context object.
    pub fn of(context: &'a Value) -> ContextFields<'a> {
        ContextFields {
            channel: context.get("channel").and_then(Value::as_str),
            traits: context.get("traits").and_then(Value::as_object),
        }
    }
}

/// Parses a message whose `properties` and `context` objects the caller keeps as the JSON text the
/// client sent, so they are neither parsed into values nor encoded again: `rest` is the message
/// without those two keys and `context` what validation reads of the context. The caller has
/// checked that both texts are objects and that the message has a `messageId` (a derived id hashes
/// the whole message: use [`parse_message`] then). The result's `properties` and `context` are
/// `Null`; the caller keeps the texts.
pub fn parse_message_split(
    rest: &Value,
    context: ContextFields<'_>,
    index: usize,
    options: &MessageOptions,
) -> Result<Message, Reject> {
    parse_fields(rest, Payload::Kept(context), index, options)
}

/// The `properties` and `context` of a message being parsed.
enum Payload<'a> {
    /// As values taken from the message (absent: empty objects).
    Values {
        context: Option<Value>,
        properties: Option<Value>,
    },
    /// Kept as text by the caller, who checked that both are objects.
    Kept(ContextFields<'a>),
}

fn parse_fields(
    raw: &Value,
    payload: Payload<'_>,
    index: usize,
    options: &MessageOptions,
) -> Result<Message, Reject> {
    let reject = |field: &str, reason: &str| Reject {
        index,
        field: field.to_string(),
        reason: reason.to_string(),
    };
    let object = raw
        .as_object()
        .ok_or_else(|| reject("", "a message must be a JSON object"))?;
    let kind = match object.get("type") {
        Some(Value::String(kind)) if MESSAGE_TYPES.contains(&kind.as_str()) => kind.clone(),
        Some(Value::String(_)) => {
            return Err(reject(
                "type",
                "must be one of identify, track, page, screen, group, alias",
            ));
        }
        Some(_) => return Err(reject("type", "must be a string")),
        None => return Err(reject("type", "is required")),
    };
    let traits = object_field(object, "traits").map_err(|reason| reject("traits", reason))?;
    let (context, properties, kept) = match payload {
        Payload::Values {
            context,
            properties,
        } => {
            let context = context.unwrap_or_else(|| Value::Object(Map::new()));
            if !context.is_object() {
                return Err(reject("context", "must be an object"));
            }
            let properties = properties.unwrap_or_else(|| Value::Object(Map::new()));
            if !properties.is_object() {
                return Err(reject("properties", "must be an object"));
            }
            (context, properties, None)
        }
        Payload::Kept(fields) => (Value::Null, Value::Null, Some(fields)),
    };
    let fields = kept.unwrap_or_else(|| ContextFields::of(&context));
    let identifiers = identifiers_of(object, &kind, &traits, fields.traits, options)
        .map_err(|(field, reason)| reject(field, &reason))?;
    let name = name_of(object, &kind).map_err(|(field, reason)| reject(field, reason))?;
    let Times {
        occurred_at,
        client_time,
        sent_at,
    } = times_of(object, options).map_err(|(field, reason)| reject(field, &reason))?;
    let message_id = match object.get("messageId") {
        Some(Value::String(id)) if !id.trim().is_empty() && id.len() <= 256 => {
            id.trim().to_string()
        }
        Some(Value::String(_)) => return Err(reject("messageId", "must be 1 to 256 characters")),
        Some(Value::Null) | None => derived_message_id(raw),
        Some(_) => return Err(reject("messageId", "must be a string")),
    };
    let channel = fields.channel.map(str::to_string);
    Ok(Message {
        message_id,
        kind,
        name,
        customer: CustomerRef::new(
            identifiers,
            trait_text(&traits, "name"),
            trait_text(&traits, "country"),
        ),
        channel,
        occurred_at,
        client_time,
        sent_at,
        properties,
        traits,
        context,
    })
}

fn object_field(
    object: &Map<String, Value>,
    field: &str,
) -> Result<Map<String, Value>, &'static str> {
    match object.get(field) {
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(Value::Null) | None => Ok(Map::new()),
        Some(_) => Err("must be an object"),
    }
}

fn trait_text(traits: &Map<String, Value>, key: &str) -> Option<String> {
    traits
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

fn identifiers_of(
    object: &Map<String, Value>,
    kind: &str,
    traits: &Map<String, Value>,
    context_traits: Option<&Map<String, Value>>,
    options: &MessageOptions,
) -> Result<Vec<Identifier>, (&'static str, String)> {
    let mut identifiers = Vec::new();
    let user_id = id_text(object.get("userId"));
    let anonymous_id = id_text(object.get("anonymousId"));
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(("userId", "userId or anonymousId is required".to_string()));
    }
    if let Some(text) = user_id {
        identifiers.push(Identifier::user_id(&text).map_err(|err| ("userId", err.to_string()))?);
    }
    if let Some(text) = anonymous_id {
        identifiers
            .push(Identifier::anonymous_id(&text).map_err(|err| ("anonymousId", err.to_string()))?);
    }
    if kind == "alias" {
        let previous = id_text(object.get("previousId"))
            .ok_or(("previousId", "is required for alias".to_string()))?;
        let previous_kind = if previous.contains('@') {
            IdentifierKind::Email
        } else {
            IdentifierKind::UserId
        };
        let parsed = Identifier::new(previous_kind, &previous, options.phone_region)
            .or_else(|_| Identifier::anonymous_id(&previous))
            .map_err(|err| ("previousId", err.to_string()))?;
        // Two user ids cannot share a customer; an alias from a user id renames an anonymous visitor.
        let previous_identifier = match parsed.kind {
            IdentifierKind::UserId => Identifier {
                kind: IdentifierKind::AnonymousId,
                value: parsed.value,
            },
            _ => parsed,
        };
        identifiers.push(previous_identifier);
    }
    for (field, identifier_kind) in [
        ("email", IdentifierKind::Email),
        ("phone", IdentifierKind::Phone),
    ] {
        let text =
            trait_text(traits, field).or_else(|| context_traits.and_then(|t| trait_text(t, field)));
        if let Some(text) = text {
            let identifier = Identifier::new(identifier_kind, &text, options.phone_region)
                .map_err(|err| {
                    (
                        if field == "email" {
                            "traits.email"
                        } else {
                            "traits.phone"
                        },
                        err.to_string(),
                    )
                })?;
            identifiers.push(identifier);
        }
    }
    Ok(identifiers)
}

fn name_of(
    object: &Map<String, Value>,
    kind: &str,
) -> Result<Option<String>, (&'static str, &'static str)> {
    let text = |field: &str| {
        object
            .get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
    };
    match kind {
        "track" => match text("event") {
            Some(event) if event.len() <= 200 => Ok(Some(event.to_string())),
            Some(_) => Err(("event", "must be at most 200 characters")),
            None => Err(("event", "is required for track")),
        },
        "page" | "screen" => Ok(text("name").map(str::to_string)),
        "group" => match id_text(object.get("groupId")) {
            Some(group) => Ok(Some(group)),
            None => Err(("groupId", "is required for group")),
        },
        _ => Ok(None),
    }
}

/// A message's times: when it happened, as the client stamped it, and when the client sent it.
struct Times {
    occurred_at: Millis,
    client_time: Option<Millis>,
    sent_at: Option<Millis>,
}

fn times_of(
    object: &Map<String, Value>,
    options: &MessageOptions,
) -> Result<Times, (&'static str, String)> {
    let parse = |field: &'static str| -> Result<Option<Millis>, (&'static str, String)> {
        match object.get(field) {
            Some(Value::String(text)) => parse_timestamp(text, &DateFormat::Auto)
                .map(Some)
                .map_err(|err| (field, err.to_string())),
            Some(Value::Null) | None => Ok(None),
            Some(_) => Err((field, "must be an ISO 8601 string".to_string())),
        }
    };
    let timestamp = parse("timestamp")?;
    let original = parse("originalTimestamp")?;
    let sent_at = parse("sentAt")?;
    let client_time = timestamp.or(original);
    let occurred_at = match (client_time, sent_at) {
        (Some(time), Some(sent)) if options.correct_skew => time + (options.received_at - sent),
        (Some(time), _) => time,
        (None, _) => options.received_at,
    };
    Ok(Times {
        occurred_at,
        client_time,
        sent_at,
    })
}

fn derived_message_id(raw: &Value) -> String {
    let digest = Sha256::digest(raw.to_string().as_bytes());
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("derived-{hex}")
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
