//! Generated coupon codes: a prefix and ten characters of an unambiguous alphabet, derived from a
//! seed so that the caller controls randomness (this crate reads no clock and no entropy).

use sha2::{Digest, Sha256};

/// Letters and digits without 0/O, 1/I/L.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// `count` codes for `pool`, the `start`-th onwards, from `seed`: `PREFIX-XXXXXXXXXX`.
pub fn generate_codes(prefix: &str, pool: &str, seed: u64, start: u64, count: u64) -> Vec<String> {
    (start..start + count)
        .map(|n| {
            let mut hasher = Sha256::new();
            hasher.update(pool.as_bytes());
            hasher.update(seed.to_le_bytes());
            hasher.update(n.to_le_bytes());
            let digest = hasher.finalize();
            let body: String = digest
                .iter()
                .take(10)
                .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
                .collect();
            if prefix.is_empty() {
                body
            } else {
                format!("{prefix}-{body}")
            }
        })
        .collect()
}

/// Checks an imported code: 3 to 64 printable ASCII characters without spaces or commas.
pub fn check_code(code: &str) -> Result<(), &'static str> {
    if code.len() < 3 || code.len() > 64 {
        return Err("a code has 3 to 64 characters");
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_graphic() && c != ',' && c != '"')
    {
        return Err("a code has printable ASCII characters only, without commas or quotes");
    }
    Ok(())
}
