//! Phone numbers to E.164 (`+8613800138000`), with a default region for national numbers.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The region whose national format applies to numbers written without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneRegion {
    /// The country calling code, e.g. 86 for China, 44 for the United Kingdom.
    pub calling_code: u16,
    /// Whether national numbers start with a trunk prefix `0` that E.164 drops.
    pub trunk_zero: bool,
}

impl PhoneRegion {
    pub const CN: PhoneRegion = PhoneRegion {
        calling_code: 86,
        trunk_zero: true,
    };
    pub const US: PhoneRegion = PhoneRegion {
        calling_code: 1,
        trunk_zero: false,
    };
    pub const GB: PhoneRegion = PhoneRegion {
        calling_code: 44,
        trunk_zero: true,
    };

    /// Parses an ISO 3166 alpha-2 region code (`CN`, `US`, `GB`, `DE`, ...).
    pub fn parse(code: &str) -> Option<PhoneRegion> {
        let (calling_code, trunk_zero) = match code.to_ascii_uppercase().as_str() {
            "CN" => (86, true),
            "US" | "CA" => (1, false),
            "GB" | "UK" => (44, true),
            "DE" => (49, true),
            "FR" => (33, true),
            "NL" => (31, true),
            "IE" => (353, true),
            "AU" => (61, true),
            "JP" => (81, true),
            "HK" => (852, false),
            "SG" => (65, false),
            "ES" => (34, false),
            "IT" => (39, false),
            _ => return None,
        };
        Some(PhoneRegion {
            calling_code,
            trunk_zero,
        })
    }
}

/// Normalises a written phone number: `+`/`00` international prefixes, separators ` -.()` removed,
/// national numbers prefixed with the region's calling code; 8 to 15 digits in the result.
pub fn normalize_phone(text: &str, region: PhoneRegion) -> Result<String, DomainError> {
    let err = || DomainError::InvalidPhone(text.to_string());
    let trimmed = text.trim();
    let mut digits = String::with_capacity(trimmed.len());
    for (idx, ch) in trimmed.chars().enumerate() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if idx == 0 => {}
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(err()),
        }
    }
    let international = if trimmed.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else {
        let national = if region.trunk_zero {
            digits.strip_prefix('0').unwrap_or(&digits)
        } else {
            &digits
        };
        let code = region.calling_code.to_string();
        if region.calling_code == 1 && national.len() == 11 && national.starts_with('1') {
            national.to_string()
        } else {
            format!("{code}{national}")
        }
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return Err(err());
    }
    Ok(format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_forms() {
        let cases = [
            ("138 0013 8000", PhoneRegion::CN, "+8613800138000"),
            ("+86 138-0013-8000", PhoneRegion::CN, "+8613800138000"),
            ("0086 13800138000", PhoneRegion::CN, "+8613800138000"),
            ("020 7946 0958", PhoneRegion::GB, "+442079460958"),
            ("(415) 555-2671", PhoneRegion::US, "+14155552671"),
            ("1 415 555 2671", PhoneRegion::US, "+14155552671"),
        ];
        for (text, region, expected) in cases {
            assert_eq!(
                normalize_phone(text, region),
                Ok(expected.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for text in ["", "abc", "12", "+1 (555) call-me", "1234567890123456789"] {
            assert!(normalize_phone(text, PhoneRegion::CN).is_err(), "{text}");
        }
    }
}
