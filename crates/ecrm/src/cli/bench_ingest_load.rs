//! The load side of `ecrm bench ingest`: a minimal keep-alive HTTP/1.1 client and the generator of
//! realistic `/v1/batch` bodies (pages, product views, carts, checkouts, identifies, orders).

use std::fmt::Write as _;

use anyhow::{Context, bail};
use ecrm_core::generate::random::{Rng, split_mix64};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A minimal HTTP/1.1 keep-alive client for `POST /v1/batch`.
pub(super) struct Client {
    pub(super) addr: String,
    pub(super) auth: String,
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    pub(super) async fn connect(addr: &str, auth: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            addr: addr.to_string(),
            auth: auth.to_string(),
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends one batch and returns the number of events the server stored.
    pub(super) async fn post_batch(&mut self, body: &str) -> anyhow::Result<u64> {
        let head = format!(
            "POST /v1/batch HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            self.auth,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body.as_bytes()).await?;
        self.buffer.clear();
        let (header_end, content_length) = loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .context("a response without content-length")?;
                break (end + 4, length);
            }
        };
        while self.buffer.len() < header_end + content_length {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection mid-response");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        let status_ok = self.buffer.starts_with(b"HTTP/1.1 200");
        let body = String::from_utf8_lossy(&self.buffer[header_end..header_end + content_length])
            .to_string();
        if !status_ok {
            bail!("{}", body);
        }
        let parsed: serde_json::Value = serde_json::from_str(&body)?;
        Ok(parsed["accepted"].as_u64().unwrap_or(0))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

const PAGES: [(&str, &str); 5] = [
    ("/", "Home"),
    ("/c/shoes", "Shoes"),
    ("/c/bags", "Bags"),
    ("/c/sale", "Sale"),
    ("/help", "Help"),
];
const PRODUCTS: [(&str, &str, &str, &str); 5] = [
    ("p-100", "Trail Runner", "shoes", "89.90"),
    ("p-101", "City Sneaker", "shoes", "64.00"),
    ("p-200", "Canvas Tote", "bags", "24.50"),
    ("p-201", "Leather Backpack", "bags", "129.00"),
    ("p-300", "Wool Socks", "accessories", "9.99"),
];

/// A UUIDv4-shaped message id, as the Segment SDKs send: random-looking, so the store's
/// `messageId` index sees the scattered inserts of real traffic (ids that grow in a few runs
/// would be written near a few places). Unique within a run: `split_mix64` is a bijection of
/// the state, which differs for every (request, index below 2^20).
fn message_uuid(run: u64, request: usize, idx: usize) -> String {
    let mut state = run ^ ((request as u64) << 20) ^ idx as u64;
    let high = split_mix64(&mut state);
    let low = split_mix64(&mut state);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        ((low >> 48) & 0x3fff) | 0x8000,
        low & 0xffff_ffff_ffff
    )
}

/// One `/v1/batch` body of `size` events with fresh message ids.
pub(super) fn batch_body(
    rng: &mut Rng,
    run_id: &str,
    request: usize,
    size: usize,
    visitors: u64,
) -> String {
    let mut out = String::with_capacity(size * 700);
    out.push_str("{\"batch\":[");
    let now = chrono::DateTime::from_timestamp_millis(crate::app::now_millis())
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    let run = run_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
        });
    for idx in 0..size {
        let message_id = message_uuid(run, request, idx);
        if idx > 0 {
            out.push(',');
        }
        let visitor = rng.below(visitors);
        let user = if visitor.is_multiple_of(3) {
            format!("\"userId\":\"user-{visitor}\",")
        } else {
            String::new()
        };
        let (page_path, page_name) = PAGES[rng.below(PAGES.len() as u64) as usize];
        let (product_id, product, category, price) =
            PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
        let _ = write!(
            out,
            "{{\"messageId\":\"{message_id}\",\"anonymousId\":\"anon-{visitor}\",{user}\"timestamp\":\"{now}\",\"sentAt\":\"{now}\",\
             \"context\":{{\"ip\":\"10.0.{}.{}\",\"locale\":\"en-US\",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36\",\
             \"library\":{{\"name\":\"analytics.js\",\"version\":\"4.1.0\"}},\"page\":{{\"path\":\"{page_path}\",\"referrer\":\"https://www.google.com/\",\"url\":\"https://shop.example{page_path}\"}},\
             \"campaign\":{{\"source\":\"newsletter\",\"medium\":\"email\",\"name\":\"spring\"}}}},",
            visitor % 250,
            visitor % 200
        );
        let roll = rng.below(100);
        if roll < 40 {
            let _ = write!(
                out,
                "\"type\":\"page\",\"name\":\"{page_name}\",\"properties\":{{\"path\":\"{page_path}\",\"title\":\"{page_name}\"}}}}"
            );
        } else if roll < 75 {
            let _ = write!(
                out,
                "\"type\":\"track\",\"event\":\"Product Viewed\",\"properties\":{{\"product_id\":\"{product_id}\",\"name\":\"{product}\",\"category\":\"{category}\",\"price\":{price},\"currency\":\"USD\"}}}}"
            );
        } else if roll < 87 {
            let _ = write!(
                out,
                "\"type\":\"track\",\"event\":\"Product Added\",\"properties\":{{\"product_id\":\"{product_id}\",\"name\":\"{product}\",\"category\":\"{category}\",\"price\":{price},\"quantity\":1}}}}"
            );
        } else if roll < 93 {
            let _ = write!(
                out,
                "\"type\":\"track\",\"event\":\"Checkout Started\",\"properties\":{{\"value\":{price},\"currency\":\"USD\"}}}}"
            );
        } else if roll < 98 {
            let _ = write!(
                out,
                "\"type\":\"identify\",\"traits\":{{\"email\":\"visitor{visitor}@example.com\",\"name\":\"Visitor {visitor}\",\"plan\":\"free\"}}}}"
            );
        } else {
            let _ = write!(
                out,
                "\"type\":\"track\",\"event\":\"Order Completed\",\"properties\":{{\"order_id\":\"{run_id}-{request}-{idx}\",\"total\":{price},\"currency\":\"USD\",\
                 \"products\":[{{\"product_id\":\"{product_id}\",\"name\":\"{product}\",\"category\":\"{category}\",\"price\":{price},\"quantity\":1}}]}}}}"
            );
        }
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::message_uuid;

    #[test]
    fn message_ids_are_uuid_shaped_and_unique_within_a_run() {
        let mut seen = std::collections::HashSet::new();
        for request in 0..200 {
            for idx in 0..100 {
                let id = message_uuid(0x1234_5678, request, idx);
                let parts: Vec<&str> = id.split('-').collect();
                let lengths: Vec<usize> = parts.iter().map(|part| part.len()).collect();
                assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
                assert!(parts[2].starts_with('4'), "version 4: {id}");
                assert!(
                    matches!(&parts[3][..1], "8" | "9" | "a" | "b"),
                    "variant: {id}"
                );
                assert!(seen.insert(id));
            }
        }
    }
}
