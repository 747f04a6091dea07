//! The request side of the tracking API: the `TrackingRequest` extractor authenticates the write
//! key exactly as Segment does (HTTP Basic username with an empty password, or `writeKey` in the
//! body), reads the body within Segment's size limits, inflates `Content-Encoding: gzip` bodies
//! with the same cap on the inflated size (so a gzip bomb stops at the limit), and parses the JSON.

use std::io::Read;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_ENCODING;
use flate2::read::GzDecoder;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::auth::presented_key;
use super::{ApiError, AppState};
use crate::app::keys::{KeyRole, Principal, verify_key};
use crate::app::tracking::{KeptJson, MAX_BATCH_BYTES, MAX_EVENT_BYTES, RawMessage};

/// A verified write key: the only kind of key that may send events. Admin keys are refused with
/// `403` so every event is attributed to a source and no admin secret is ever embedded in a page.
#[derive(Debug, Clone)]
pub struct WriteKey {
    pub key_id: i64,
    /// The source events sent with this key are recorded under.
    pub source: String,
}

/// An authenticated tracking request and its messages.
pub struct TrackingRequest {
    pub key: WriteKey,
    pub messages: Vec<RawMessage>,
}

/// A batch envelope; `context` and `integrations` apply to every message that lacks them.
#[derive(Deserialize)]
struct BatchEnvelope<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    context: Option<Value>,
}

impl FromRequest<AppState> for TrackingRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let is_batch =
            parts.uri.path().ends_with("/batch") || parts.uri.path().ends_with("/import");
        let limit = if is_batch {
            MAX_BATCH_BYTES
        } else {
            MAX_EVENT_BYTES
        };
        let header_key = presented_key(&parts);
        let header_principal = match header_key {
            Some(key) => Some(verify(state, key).await?),
            None => None,
        };
        let encoding = parts
            .headers
            .get(CONTENT_ENCODING)
            .map(|value| value.to_str().unwrap_or("?").trim().to_ascii_lowercase());
        let raw = axum::body::to_bytes(body, limit + 1)
            .await
            .map_err(|_| too_large(is_batch, limit + 1))?;
        let bytes = decode(raw, encoding.as_deref(), limit, is_batch)?;
        let (messages, body_key) = if is_batch {
            parse_batch(&bytes)?
        } else {
            let endpoint = parts.uri.path().rsplit('/').next().unwrap_or_default();
            parse_single(&bytes, endpoint)?
        };
        let principal = match (header_principal, body_key) {
            (Some(principal), _) => principal,
            (None, Some(key)) => verify(state, key).await?,
            (None, None) => return Err(ApiError::Unauthorized),
        };
        let key = write_key(principal)?;
        Ok(TrackingRequest { key, messages })
    }
}

async fn verify(state: &AppState, key: String) -> Result<Principal, ApiError> {
    let found = state
        .blocking(move |store| Ok(verify_key(store, &key)?))
        .await?;
    found.ok_or(ApiError::Unauthorized)
}

fn write_key(principal: Principal) -> Result<WriteKey, ApiError> {
    match principal.role {
        KeyRole::Write => Ok(WriteKey {
            key_id: principal.key_id,
            source: principal.source.unwrap_or_else(|| "unknown".to_string()),
        }),
        KeyRole::Admin => Err(ApiError::Forbidden(
            "send events with an admin key (use a write key: ecrm keys create --role write --source NAME)".to_string(),
        )),
    }
}

fn too_large(is_batch: bool, bytes: usize) -> ApiError {
    if is_batch {
        ApiError::BatchTooLarge(bytes)
    } else {
        ApiError::EventTooLarge(bytes)
    }
}

/// The body as sent, or inflated; never more than `limit` bytes either way.
fn decode(
    raw: Bytes,
    encoding: Option<&str>,
    limit: usize,
    is_batch: bool,
) -> Result<Bytes, ApiError> {
    match encoding {
        None | Some("identity") | Some("") => Ok(raw),
        Some("gzip") | Some("x-gzip") => {
            let mut inflated = Vec::with_capacity(raw.len().saturating_mul(4).min(limit + 1));
            GzDecoder::new(raw.as_ref())
                .take(limit as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|err| {
                    ApiError::InvalidJson(format!("the gzip body cannot be inflated: {err}"))
                })?;
            if inflated.len() > limit {
                return Err(too_large(is_batch, inflated.len()));
            }
            Ok(Bytes::from(inflated))
        }
        Some(other) => Err(ApiError::UnsupportedEncoding(other.to_string())),
    }
}

/// One message; its type is the endpoint's (`/v1/track` stores a `track`), as Segment does.
fn parse_single(
    bytes: &[u8],
    endpoint: &str,
) -> Result<(Vec<RawMessage>, Option<String>), ApiError> {
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|err| ApiError::InvalidJson(err.to_string()))?;
    let key = body_key(&value);
    if let Some(object) = value.as_object_mut() {
        object.insert("type".to_string(), Value::String(endpoint.to_string()));
    }
    Ok((
        vec![RawMessage {
            value,
            bytes: bytes.len(),
            kept: None,
        }],
        key,
    ))
}

fn parse_batch(bytes: &[u8]) -> Result<(Vec<RawMessage>, Option<String>), ApiError> {
    let envelope: BatchEnvelope<'_> = serde_json::from_slice(bytes).map_err(|err| {
        ApiError::InvalidJson(format!(
            "a batch is an object with a \"batch\" array: {err}"
        ))
    })?;
    let mut messages = Vec::with_capacity(envelope.batch.len());
    for raw in envelope.batch {
        let text = raw.get();
        if envelope.context.is_none()
            && let Some(message) = split_message(text)
        {
            messages.push(message);
            continue;
        }
        let mut value: Value =
            serde_json::from_str(text).map_err(|err| ApiError::InvalidJson(err.to_string()))?;
        if let (Some(shared), Some(object)) = (&envelope.context, value.as_object_mut()) {
            inherit_context(object, shared);
        }
        messages.push(RawMessage {
            value,
            bytes: text.len(),
            kept: None,
        });
    }
    Ok((
        messages,
        envelope.write_key.filter(|k| !k.trim().is_empty()),
    ))
}

/// A message whose `properties` and `context` stay JSON text, when it is an object with a
/// `messageId` and those two are objects; `None` sends it the way of a whole value.
fn split_message(text: &str) -> Option<RawMessage> {
    let split: SplitMessage = serde_json::from_str(text).ok()?;
    let is_object = |kept: &Option<String>| kept.as_ref().is_none_or(|t| t.starts_with('{'));
    let has_id = split.rest.get("messageId").is_some_and(|id| !id.is_null());
    if !has_id || !is_object(&split.properties) || !is_object(&split.context) {
        return None;
    }
    Some(RawMessage {
        value: Value::Object(split.rest),
        bytes: text.len(),
        kept: Some(KeptJson {
            properties: split.properties,
            context: split.context,
        }),
    })
}

/// A message read with its `properties` and `context` as text and everything else as values.
struct SplitMessage {
    rest: serde_json::Map<String, Value>,
    properties: Option<String>,
    context: Option<String>,
}

impl<'de> Deserialize<'de> for SplitMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SplitVisitor)
    }
}

struct SplitVisitor;

impl<'de> serde::de::Visitor<'de> for SplitVisitor {
    type Value = SplitMessage;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a message object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<SplitMessage, A::Error> {
        let mut message = SplitMessage {
            rest: serde_json::Map::new(),
            properties: None,
            context: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "properties" => {
                    message.properties = Some(map.next_value::<&'de RawValue>()?.get().to_string());
                }
                "context" => {
                    message.context = Some(map.next_value::<&'de RawValue>()?.get().to_string())
                }
                _ => {
                    let value = map.next_value::<Value>()?;
                    message.rest.insert(key, value);
                }
            }
        }
        Ok(message)
    }
}

fn body_key(value: &Value) -> Option<String> {
    value
        .get("writeKey")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_string)
}

/// Adds the batch's shared context keys to a message's context where it has none of its own.
fn inherit_context(message: &mut serde_json::Map<String, Value>, shared: &Value) {
    let Some(shared) = shared.as_object() else {
        return;
    };
    let context = message
        .entry("context")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    let Some(context) = context.as_object_mut() else {
        return;
    };
    for (key, value) in shared {
        if !context.contains_key(key) {
            context.insert(key.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    #[test]
    fn gzip_bombs_stop_at_the_limit() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&vec![b' '; 10 * 1024 * 1024])
            .expect("gzip");
        let bomb = Bytes::from(encoder.finish().expect("gzip"));
        assert!(bomb.len() < 64 * 1024);
        let err = decode(bomb, Some("gzip"), MAX_BATCH_BYTES, true).expect_err("too large");
        assert!(matches!(err, ApiError::BatchTooLarge(_)));
    }

    #[test]
    fn batch_context_fills_in_missing_keys() {
        let body = br#"{"batch":[{"type":"page","anonymousId":"a","context":{"ip":"1.1.1.1"}}],
            "context":{"ip":"2.2.2.2","locale":"de"},"writeKey":"k"}"#;
        let (messages, key) = parse_batch(body).expect("parse");
        assert_eq!(key.as_deref(), Some("k"));
        assert_eq!(messages[0].value["context"]["ip"], "1.1.1.1");
        assert_eq!(messages[0].value["context"]["locale"], "de");
    }

    #[test]
    fn properties_and_context_stay_text_when_they_are_objects() {
        let body = br#"{"batch":[
            {"type":"page","messageId":"m1","anonymousId":"a","properties":{"x":[1, 2]},"context":{"ip":"1.1.1.1"}},
            {"type":"page","anonymousId":"a","properties":{}},
            {"type":"page","messageId":"m3","anonymousId":"a","context":null},
            "not an object"]}"#;
        let (messages, _) = parse_batch(body).expect("parse");
        let kept = messages[0].kept.as_ref().expect("kept as text");
        assert_eq!(kept.properties.as_deref(), Some(r#"{"x":[1, 2]}"#));
        assert_eq!(kept.context.as_deref(), Some(r#"{"ip":"1.1.1.1"}"#));
        assert!(messages[0].value.get("properties").is_none());
        assert!(
            messages[1].kept.is_none(),
            "no messageId: the derived id hashes the whole message"
        );
        assert!(
            messages[2].kept.is_none(),
            "a null context is refused as a value"
        );
        assert!(messages[3].kept.is_none());
    }
}
