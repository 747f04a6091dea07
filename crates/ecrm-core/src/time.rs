//! Timestamps as UTC milliseconds since the Unix epoch, parsed from the formats files use.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use crate::DomainError;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// Milliseconds in a day.
pub const DAY_MILLIS: i64 = 86_400_000;

const AUTO_FORMATS: &str =
    "RFC 3339, YYYY-MM-DD HH:MM:SS, YYYY-MM-DDTHH:MM:SS, YYYY-MM-DD or YYYYMMDD";

/// How timestamps in a file are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateFormat {
    /// RFC 3339 with an offset, or a naive ISO date-time / date / `YYYYMMDD` taken as UTC.
    Auto,
    /// A strftime pattern (`%d/%m/%Y %H:%M`); naive values are taken as UTC.
    Strftime(String),
}

/// Parses a timestamp to UTC milliseconds.
pub fn parse_timestamp(text: &str, format: &DateFormat) -> Result<Millis, DomainError> {
    let value = text.trim();
    let parsed = match format {
        DateFormat::Auto => parse_auto(value),
        DateFormat::Strftime(pattern) => parse_with(value, pattern),
    };
    parsed.ok_or_else(|| DomainError::InvalidDate {
        value: text.to_string(),
        expected: match format {
            DateFormat::Auto => AUTO_FORMATS.to_string(),
            DateFormat::Strftime(pattern) => format!("the format {pattern:?}"),
        },
    })
}

/// Formats milliseconds as RFC 3339 (`2024-01-02T03:04:05.000Z`).
pub fn format_millis(millis: Millis) -> String {
    match DateTime::<Utc>::from_timestamp_millis(millis) {
        Some(time) => time.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => millis.to_string(),
    }
}

/// The UTC calendar day (days since the epoch) of a timestamp.
pub fn day_number(millis: Millis) -> i64 {
    millis.div_euclid(DAY_MILLIS)
}

/// Midnight UTC of a calendar date.
pub fn date_to_millis(date: NaiveDate) -> Millis {
    date.and_hms_opt(0, 0, 0)
        .map(|time| time.and_utc().timestamp_millis())
        .unwrap_or(0)
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| DomainError::InvalidDate {
        value: text.to_string(),
        expected: "YYYY-MM-DD".to_string(),
    })
}

fn parse_auto(value: &str) -> Option<Millis> {
    if let Some(millis) = parse_iso_fast(value.as_bytes()) {
        return Some(millis);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Some(time.timestamp_millis());
    }
    for pattern in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(time) = NaiveDateTime::parse_from_str(value, pattern) {
            return Some(time.and_utc().timestamp_millis());
        }
    }
    for pattern in ["%Y-%m-%d", "%Y%m%d"] {
        if let Ok(date) = NaiveDate::parse_from_str(value, pattern) {
            return Some(date_to_millis(date));
        }
    }
    None
}

/// The common shapes without chrono's format machinery: `YYYY-MM-DD`, `YYYYMMDD`, and
/// `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z]` (UTC); anything else returns `None` for the general parsers.
fn parse_iso_fast(bytes: &[u8]) -> Option<Millis> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let mut out = 0u32;
        for byte in bytes.get(range)? {
            if !byte.is_ascii_digit() {
                return None;
            }
            out = out * 10 + u32::from(byte - b'0');
        }
        Some(out)
    };
    let (year, month, day, rest) = match bytes.len() {
        8 => (digits(0..4)?, digits(4..6)?, digits(6..8)?, &bytes[8..]),
        len if len >= 10 && bytes[4] == b'-' && bytes[7] == b'-' => {
            (digits(0..4)?, digits(5..7)?, digits(8..10)?, &bytes[10..])
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let mut millis = date_to_millis(date);
    if rest.is_empty() {
        return Some(millis);
    }
    if rest.len() < 9 || !(rest[0] == b'T' || rest[0] == b' ') || rest[3] != b':' || rest[6] != b':'
    {
        return None;
    }
    let time_digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let mut out = 0i64;
        for byte in rest.get(range)? {
            if !byte.is_ascii_digit() {
                return None;
            }
            out = out * 10 + i64::from(byte - b'0');
        }
        Some(out)
    };
    let (hour, minute, second) = (time_digits(1..3)?, time_digits(4..6)?, time_digits(7..9)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    millis += ((hour * 60 + minute) * 60 + second) * 1000;
    let mut tail = &rest[9..];
    if let Some(fraction) = tail.strip_prefix(b".") {
        let len = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let mut scaled = 0i64;
        for (idx, byte) in fraction[..len].iter().take(3).enumerate() {
            scaled += i64::from(byte - b'0') * [100, 10, 1][idx];
        }
        millis += scaled;
        tail = &fraction[len..];
    }
    match tail {
        b"" | b"Z" | b"z" | b"+00:00" => Some(millis),
        _ => None,
    }
}

fn parse_with(value: &str, pattern: &str) -> Option<Millis> {
    if let Ok(time) = DateTime::parse_from_str(value, pattern) {
        return Some(time.timestamp_millis());
    }
    if let Ok(time) = NaiveDateTime::parse_from_str(value, pattern) {
        return Some(time.and_utc().timestamp_millis());
    }
    NaiveDate::parse_from_str(value, pattern)
        .ok()
        .map(date_to_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_datasets_formats() {
        let auto = DateFormat::Auto;
        assert_eq!(parse_timestamp("19970101", &auto), Ok(852_076_800_000));
        assert_eq!(
            parse_timestamp("2009-12-01 07:45:00", &auto),
            Ok(1_259_653_500_000)
        );
        assert_eq!(
            parse_timestamp("2023-03-14T09:26:53Z", &auto),
            Ok(1_678_786_013_000)
        );
        let custom = DateFormat::Strftime("%d/%m/%Y %H:%M".to_string());
        assert_eq!(
            parse_timestamp("01/12/2009 07:45", &custom),
            Ok(1_259_653_500_000)
        );
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        let auto = DateFormat::Auto;
        for text in [
            "2024-02-29T23:59:59.5Z",
            "2024-02-29 23:59:59.123",
            "2023-03-14T09:26:53+00:00",
            "1997-01-01",
        ] {
            let fast = parse_iso_fast(text.as_bytes());
            let slow = DateTime::parse_from_rfc3339(&text.replace(' ', "T"))
                .map(|t| t.timestamp_millis())
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                        .ok()
                        .map(|t| t.and_utc().timestamp_millis())
                })
                .or_else(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()
                        .map(date_to_millis)
                });
            assert_eq!(fast, slow, "{text}");
        }
        for text in [
            "2023-02-30",
            "2023-13-01",
            "2023-01-01T25:00:00Z",
            "2023-01-01T10:00:00+02:00",
        ] {
            assert_eq!(parse_iso_fast(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            parse_timestamp("2023-01-01T10:00:00+02:00", &auto),
            Ok(1_672_560_000_000)
        );
    }

    #[test]
    fn unknown_formats_say_what_was_expected() {
        let err = parse_timestamp("next tuesday", &DateFormat::Auto);
        assert!(matches!(err, Err(DomainError::InvalidDate { .. })));
        assert!(format!("{}", err.unwrap_err()).contains("YYYY-MM-DD"));
    }

    #[test]
    fn formats_and_days() {
        assert_eq!(format_millis(1_678_786_013_000), "2023-03-14T09:26:53.000Z");
        assert_eq!(day_number(DAY_MILLIS * 3 + 5), 3);
        assert_eq!(day_number(-1), -1);
    }
}
