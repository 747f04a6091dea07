//! HTTP Basic credentials as Segment's clients send them (the write key as the username, an empty
//! password): the header value for clients (the load generator, tests) and the username read
//! back by the server. Standard base64 with padding out; standard or URL-safe alphabet in.

/// The `Authorization` header value that sends `key` as the Basic username: `Basic a2V5Og==`.
pub fn header_for_key(key: &str) -> String {
    format!("Basic {}", encode(format!("{key}:").as_bytes()))
}

/// The username of a `Basic …` header value, if it decodes to UTF-8 and is not empty.
pub fn username(header: &str) -> Option<String> {
    let encoded = header.strip_prefix("Basic ")?;
    let text = String::from_utf8(decode(encoded.trim())?).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(user, _)| user);
    Some(user.to_string()).filter(|u| !u.is_empty())
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[((n >> (18 - 6 * index)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64 (padding optional); `None` on any other character.
pub fn decode(text: &str) -> Option<Vec<u8>> {
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
    use super::{decode, encode, header_for_key, username};

    #[test]
    fn decodes_basic_credentials() {
        assert_eq!(decode("ZWtfd19hYmM6"), Some(b"ek_w_abc:".to_vec()));
        assert_eq!(decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(decode("!!"), None);
    }

    #[test]
    fn encodes_with_padding_and_round_trips() {
        assert_eq!(encode(b"ek_w_abc:"), "ZWtfd19hYmM6");
        assert_eq!(encode(b"a"), "YQ==");
        assert_eq!(encode(b"ab"), "YWI=");
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn the_key_is_the_username() {
        assert_eq!(
            username(&header_for_key("ek_w_abc")),
            Some("ek_w_abc".to_string())
        );
        assert_eq!(username("Basic Og=="), None, "an empty username is no key");
        assert_eq!(username("Bearer x"), None);
    }
}
