//! Exact decimal money: parsed from text without floating point, kept in integer units.

use crate::DomainError;

/// Micro-units per cent (amounts are parsed to 1e-6 of the currency unit, then rounded to cents).
const MICROS_PER_CENT: i128 = 10_000;

/// Parses a decimal amount (`"12.5"`, `"-0.85"`, `"1,234.50"` is rejected) into millionths of a unit.
pub fn parse_micros(text: &str) -> Result<i64, DomainError> {
    let err = || DomainError::InvalidAmount(text.to_string());
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((int_part, frac_part)) => (int_part, frac_part),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(err());
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err());
    }
    if int_part.len() > 12 {
        return Err(err());
    }
    let whole: i128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| err())?
    };
    let mut micros: i128 = whole * 1_000_000;
    let mut scale: i128 = 100_000;
    let mut round_up = false;
    for (idx, byte) in frac_part.bytes().enumerate() {
        let digit = i128::from(byte - b'0');
        if idx < 6 {
            micros += digit * scale;
            scale /= 10;
        } else if idx == 6 {
            round_up = digit >= 5;
        }
    }
    if round_up {
        micros += 1;
    }
    let signed = if negative { -micros } else { micros };
    i64::try_from(signed).map_err(|_| err())
}

/// Rounds millionths to cents, half away from zero.
pub fn micros_to_cents(micros: i64) -> i64 {
    round_div(i128::from(micros), MICROS_PER_CENT)
}

/// The amount of `quantity` units at `unit_micros` each, in cents, rounded half away from zero.
pub fn line_amount_cents(quantity: i64, unit_micros: i64) -> i64 {
    round_div(
        i128::from(quantity) * i128::from(unit_micros),
        MICROS_PER_CENT,
    )
}

/// Parses an amount straight to cents.
pub fn parse_cents(text: &str) -> Result<i64, DomainError> {
    parse_micros(text).map(micros_to_cents)
}

/// Formats cents as a decimal string with two places (`-1234` → `"-12.34"`).
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A three-letter upper-case ISO 4217 currency code.
pub fn parse_currency(text: &str) -> Result<String, DomainError> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Ok(code);
    }
    Err(DomainError::InvalidCurrency(text.to_string()))
}

fn round_div(numerator: i128, denominator: i128) -> i64 {
    let half = denominator / 2;
    let rounded = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    };
    i64::try_from(rounded).unwrap_or(if numerator >= 0 { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_amounts_exactly() {
        let cases = [
            ("12.5", 1250),
            ("0.85", 85),
            ("-3.20", -320),
            ("7", 700),
            (".5", 50),
            ("1.005", 101),
            ("2.994999", 299),
        ];
        for (text, cents) in cases {
            assert_eq!(parse_cents(text), Ok(cents), "{text}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in ["", "-", "abc", "1,5", "1.2.3", "12e3", "1 2"] {
            assert!(parse_cents(text).is_err(), "{text}");
        }
    }

    #[test]
    fn line_amounts_round_once() {
        assert_eq!(
            line_amount_cents(3, parse_micros("0.333").unwrap_or(0)),
            100
        );
        assert_eq!(
            line_amount_cents(-2, parse_micros("1.25").unwrap_or(0)),
            -250
        );
        assert_eq!(format_cents(-1234), "-12.34");
        assert_eq!(format_cents(5), "0.05");
    }

    #[test]
    fn currencies() {
        assert_eq!(parse_currency(" gbp "), Ok("GBP".to_string()));
        assert!(parse_currency("pounds").is_err());
    }
}
