//! Key extractors: a handler that takes `AdminKey` can only run for an admin key.
//! Keys come as `Authorization: Bearer KEY` or as the HTTP Basic username (Segment's way).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::app::keys::{KeyRole, Principal, verify_key};

/// A verified admin key.
pub struct AdminKey(pub Principal);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = principal(parts, state).await?;
        if principal.role != KeyRole::Admin {
            return Err(ApiError::Forbidden(
                "use admin endpoints (write keys only send events)".to_string(),
            ));
        }
        Ok(AdminKey(principal))
    }
}

async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let presented = presented_key(parts).ok_or(ApiError::Unauthorized)?;
    let found = state
        .blocking(move |store| Ok(verify_key(store, &presented)?))
        .await?;
    found.ok_or(ApiError::Unauthorized)
}

/// The key in the request, if any.
pub fn presented_key(parts: &Parts) -> Option<String> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    if let Some(token) = header.strip_prefix("Bearer ") {
        return Some(token.trim().to_string()).filter(|t| !t.is_empty());
    }
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = decode_base64(encoded.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(user, _)| user);
    Some(user.to_string()).filter(|u| !u.is_empty())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |byte: u8| -> Option<u32> {
        match byte {
            b'A'..=b'Z' => Some(u32::from(byte - b'A')),
            b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes().filter(|b| *b != b'=') {
        buffer = (buffer << 6) | value(byte)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_basic_credentials() {
        assert_eq!(decode_base64("ZWtfd19hYmM6"), Some(b"ek_w_abc:".to_vec()));
        assert_eq!(decode_base64("YQ=="), Some(b"a".to_vec()));
        assert_eq!(decode_base64("!!"), None);
    }
}
