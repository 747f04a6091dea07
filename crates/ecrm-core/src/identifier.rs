//! Customer identifiers, parsed and normalised at the edge so that only valid values exist inside.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::phone::{PhoneRegion, normalize_phone};

/// The kind of an identifier, in merge priority order: the lowest kind names the customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// The store's own customer or user id (`userId` in Segment messages).
    UserId,
    /// An id issued by another system, namespaced by that system (`ext.shopify`, `ext.wechat`).
    External(String),
    /// An email address, lower-cased and trimmed.
    Email,
    /// A phone number in E.164.
    Phone,
    /// A device or browser id (`anonymousId`).
    AnonymousId,
}

impl IdentifierKind {
    /// The kind as written in APIs and tables: `user_id`, `ext.shopify`, `email`, `phone`, `anonymous_id`.
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            IdentifierKind::UserId => "user_id".into(),
            IdentifierKind::External(source) => format!("ext.{source}").into(),
            IdentifierKind::Email => "email".into(),
            IdentifierKind::Phone => "phone".into(),
            IdentifierKind::AnonymousId => "anonymous_id".into(),
        }
    }

    /// Parses a kind name; external kinds are `ext.SOURCE` with a lower-case alphanumeric source.
    pub fn parse(text: &str) -> Result<IdentifierKind, DomainError> {
        match text {
            "user_id" | "customer_id" => Ok(IdentifierKind::UserId),
            "email" => Ok(IdentifierKind::Email),
            "phone" => Ok(IdentifierKind::Phone),
            "anonymous_id" => Ok(IdentifierKind::AnonymousId),
            other => match other.strip_prefix("ext.") {
                Some(source) if is_source_name(source) => {
                    Ok(IdentifierKind::External(source.to_string()))
                }
                _ => Err(DomainError::InvalidIdentifier(
                    text.to_string(),
                    "unknown kind; expected user_id, email, phone, anonymous_id or ext.SOURCE",
                )),
            },
        }
    }

    fn rank(&self) -> u8 {
        match self {
            IdentifierKind::UserId => 0,
            IdentifierKind::External(_) => 1,
            IdentifierKind::Email => 2,
            IdentifierKind::Phone => 3,
            IdentifierKind::AnonymousId => 4,
        }
    }
}

/// One normalised identifier of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

/// Maximum identifier value length in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 256;

impl Identifier {
    /// A user id, kept exactly as written (`00004` stays `00004`) apart from surrounding spaces.
    pub fn user_id(text: &str) -> Result<Identifier, DomainError> {
        Self::opaque(IdentifierKind::UserId, text)
    }

    /// An anonymous (device) id, kept as written.
    pub fn anonymous_id(text: &str) -> Result<Identifier, DomainError> {
        Self::opaque(IdentifierKind::AnonymousId, text)
    }

    /// An email address: trimmed, lower-cased, one `@` with text on both sides, no spaces.
    pub fn email(text: &str) -> Result<Identifier, DomainError> {
        let value = text.trim().to_lowercase();
        let valid = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !value.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid || value.len() > MAX_IDENTIFIER_LEN {
            return Err(DomainError::InvalidEmail(text.to_string()));
        }
        Ok(Identifier {
            kind: IdentifierKind::Email,
            value,
        })
    }

    /// A phone number normalised to E.164, national numbers read in `region`.
    pub fn phone(text: &str, region: PhoneRegion) -> Result<Identifier, DomainError> {
        let value = normalize_phone(text, region)?;
        Ok(Identifier {
            kind: IdentifierKind::Phone,
            value,
        })
    }

    /// Builds an identifier of any kind from raw text, normalising as the kind requires.
    pub fn new(
        kind: IdentifierKind,
        text: &str,
        region: PhoneRegion,
    ) -> Result<Identifier, DomainError> {
        match kind {
            IdentifierKind::Email => Self::email(text),
            IdentifierKind::Phone => Self::phone(text, region),
            other => Self::opaque(other, text),
        }
    }

    /// Parses `kind:value` (`email:ann@example.com`, `phone:+8613800138000`, `ext.shopify:991`);
    /// text without a known kind prefix is a user id.
    pub fn parse_reference(text: &str, region: PhoneRegion) -> Result<Identifier, DomainError> {
        if let Some((kind_text, value)) = text.split_once(':')
            && let Ok(kind) = IdentifierKind::parse(kind_text)
        {
            return Identifier::new(kind, value, region);
        }
        Identifier::user_id(text)
    }

    /// The customer id this identifier gives a customer it names: user ids bare, others `kind:value`.
    pub fn customer_id(&self) -> String {
        match self.kind {
            IdentifierKind::UserId => self.value.clone(),
            _ => format!("{}:{}", self.kind.as_str(), self.value),
        }
    }

    fn opaque(kind: IdentifierKind, text: &str) -> Result<Identifier, DomainError> {
        let value = text.trim();
        if value.is_empty() {
            return Err(DomainError::InvalidIdentifier(text.to_string(), "empty"));
        }
        if value.len() > MAX_IDENTIFIER_LEN {
            return Err(DomainError::InvalidIdentifier(
                text.to_string(),
                "longer than 256 bytes",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(DomainError::InvalidIdentifier(
                text.to_string(),
                "contains control characters",
            ));
        }
        Ok(Identifier {
            kind,
            value: value.to_string(),
        })
    }
}

/// Canonical order: by kind priority, then value byte-wise. The smallest identifier of a customer names it.
impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        self.kind
            .rank()
            .cmp(&other.kind.rank())
            .then_with(|| self.kind.cmp(&other.kind))
            .then_with(|| self.value.as_bytes().cmp(other.value.as_bytes()))
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.value)
    }
}

fn is_source_name(source: &str) -> bool {
    !source.is_empty()
        && source.len() <= 32
        && source
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CN: PhoneRegion = PhoneRegion::CN;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let id = Identifier::email("  Ann@Example.COM ").map(|i| i.value);
        assert_eq!(id, Ok("ann@example.com".to_string()));
        for bad in [
            "ann",
            "@example.com",
            "ann@",
            "a b@c.d",
            "a@b@c",
            "ann@.com",
        ] {
            assert!(Identifier::email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_ids_keep_leading_zeros() {
        assert_eq!(
            Identifier::user_id("00004").map(|i| i.customer_id()),
            Ok("00004".to_string())
        );
    }

    #[test]
    fn references_parse_by_prefix() {
        let email = Identifier::parse_reference("email:Ann@example.com", CN);
        assert_eq!(
            email.map(|i| i.customer_id()),
            Ok("email:ann@example.com".to_string())
        );
        let external = Identifier::parse_reference("ext.shopify:991", CN);
        assert_eq!(
            external.map(|i| i.kind),
            Ok(IdentifierKind::External("shopify".into()))
        );
        let bare = Identifier::parse_reference("c0000001", CN);
        assert_eq!(bare.map(|i| i.kind), Ok(IdentifierKind::UserId));
    }

    #[test]
    fn canonical_order_prefers_user_ids() {
        let mut ids = [
            Identifier::anonymous_id("zzz").unwrap_or_else(|_| unreachable!()),
            Identifier::email("a@b.c").unwrap_or_else(|_| unreachable!()),
            Identifier::user_id("9").unwrap_or_else(|_| unreachable!()),
        ];
        ids.sort();
        assert_eq!(ids[0].kind, IdentifierKind::UserId);
        assert_eq!(ids[2].kind, IdentifierKind::AnonymousId);
    }
}
