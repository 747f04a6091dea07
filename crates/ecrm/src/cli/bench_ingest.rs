//! `ecrm bench ingest`: a load generator for the tracking API. It posts `/v1/batch` requests of
//! realistic Segment events (pages, product views, carts, checkouts, identifies, orders with
//! products) from concurrent keep-alive connections over loopback, to a server it starts in this
//! process over `--db` or to `--url`, and reports events/s, request latency, CPU and peak memory.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use ecrm_core::generate::random::Rng;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::GlobalOptions;
use crate::app::keys::{KeyRole, create_key};
use crate::http::AppState;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Send to a running server instead of starting one over `--db` in this process.
    #[arg(long)]
    pub url: Option<String>,
    /// Write key for `--url` (a key is created when the server runs in this process).
    #[arg(long, env = "ECRM_WRITE_KEY")]
    pub key: Option<String>,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Events per `/v1/batch` request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Requests to send in all (the run also stops after `--seconds`).
    #[arg(long, default_value_t = 3_000)]
    pub requests: usize,
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Distinct visitors the events are spread over.
    #[arg(long, default_value_t = 20_000)]
    pub visitors: u64,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct IngestReport {
    target: String,
    connections: usize,
    events_per_request: usize,
    requests_ok: usize,
    requests_failed: usize,
    events_acknowledged: u64,
    seconds: f64,
    events_per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// CPU seconds of this process (server and load generator when the server runs in-process).
    cpu_seconds: f64,
    cpu_cores_busy: f64,
    peak_rss_mib: f64,
    /// Events in the store after the run (in-process server only).
    events_stored: Option<u64>,
}

pub fn run(global: &GlobalOptions, args: IngestArgs) -> anyhow::Result<()> {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ecrm-server")
        .enable_all()
        .build()?;
    let (addr, key, store) = match &args.url {
        Some(url) => {
            let addr = url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string();
            let key = args
                .key
                .clone()
                .context("--url needs --key (a write key)")?;
            (addr, key, None)
        }
        None => {
            let store = global.open_store()?;
            let key = create_key(
                &*store,
                KeyRole::Write,
                Some("bench"),
                "bench ingest",
                "bench",
            )?
            .key;
            let state = AppState::new(store.clone(), global.region()?, global.limits());
            let listener = server_runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
            let addr = listener.local_addr()?.to_string();
            server_runtime
                .spawn(async move { axum::serve(listener, crate::http::router(state)).await });
            (addr, key, Some(store))
        }
    };
    let before = store
        .as_ref()
        .map(|s| s.stats())
        .transpose()?
        .map(|s| s.events);
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("ecrm-bench-client")
        .enable_all()
        .build()?;
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let outcome = client_runtime.block_on(drive(&addr, &key, &args))?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_seconds() - cpu_before;
    let events_stored = match (&store, before) {
        (Some(store), Some(before)) => Some(store.stats()?.events - before),
        _ => None,
    };
    let mut latencies = outcome.latencies;
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let idx = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[idx.min(latencies.len() - 1)]
    };
    let report = IngestReport {
        target: args
            .url
            .clone()
            .unwrap_or_else(|| format!("in-process server over {}", super::redact(&global.db))),
        connections: args.connections,
        events_per_request: args.batch,
        requests_ok: latencies.len(),
        requests_failed: outcome.failed,
        events_acknowledged: outcome.acknowledged,
        seconds,
        events_per_second: outcome.acknowledged as f64 / seconds,
        p50_ms: pick(0.50),
        p90_ms: pick(0.90),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        cpu_seconds,
        cpu_cores_busy: cpu_seconds / seconds,
        peak_rss_mib: peak_rss_mib(),
        events_stored,
    };
    print_report(&report, args.json)?;
    if outcome.failed > 0 {
        bail!(
            "{} requests failed (first: {})",
            outcome.failed,
            outcome.first_error
        );
    }
    if let Some(stored) = report.events_stored
        && stored != report.events_acknowledged
    {
        bail!(
            "acknowledged {} events but {stored} are stored",
            report.events_acknowledged
        );
    }
    Ok(())
}

fn print_report(report: &IngestReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!("target            {}", report.target);
    println!(
        "load              {} connections x {} events/request",
        report.connections, report.events_per_request
    );
    println!(
        "requests          {} ok, {} failed in {:.1} s",
        report.requests_ok, report.requests_failed, report.seconds
    );
    println!(
        "events            {} acknowledged, {:.0} events/s",
        report.events_acknowledged, report.events_per_second
    );
    println!(
        "latency (ms)      p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        report.p50_ms, report.p90_ms, report.p99_ms, report.max_ms
    );
    println!(
        "cpu               {:.1} s ({:.2} cores busy)",
        report.cpu_seconds, report.cpu_cores_busy
    );
    println!("peak rss          {:.0} MiB", report.peak_rss_mib);
    if let Some(stored) = report.events_stored {
        println!(
            "stored            {stored} events (acknowledged {})",
            report.events_acknowledged
        );
    }
    Ok(())
}

struct Outcome {
    latencies: Vec<f64>,
    acknowledged: u64,
    failed: usize,
    first_error: String,
}

async fn drive(addr: &str, key: &str, args: &IngestArgs) -> anyhow::Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let auth = format!("Basic {}", base64(format!("{key}:").as_bytes()));
    let mut tasks = Vec::new();
    for connection in 0..args.connections {
        let mut client = Client::connect(addr, &auth).await?;
        let next = next.clone();
        let acknowledged = acknowledged.clone();
        let (total, batch, visitors) = (args.requests, args.batch, args.visitors);
        let mut rng = Rng::for_stream(args.seed, connection as u64);
        let run_id = format!(
            "{:x}-{connection}",
            args.seed ^ crate::app::now_millis() as u64
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut failed, mut first_error) = (0, String::new());
            loop {
                let request = next.fetch_add(1, Ordering::Relaxed);
                if request >= total || Instant::now() >= deadline {
                    break;
                }
                let body = batch_body(&mut rng, &run_id, request, batch, visitors);
                let begin = Instant::now();
                match client.post_batch(&body).await {
                    Ok(accepted) => {
                        latencies.push(begin.elapsed().as_secs_f64() * 1000.0);
                        acknowledged.fetch_add(accepted, Ordering::Relaxed);
                    }
                    Err(err) => {
                        failed += 1;
                        if first_error.is_empty() {
                            first_error = err.to_string();
                        }
                        match Client::connect(&client.addr, &client.auth).await {
                            Ok(fresh) => client = fresh,
                            Err(_) => break,
                        }
                    }
                }
            }
            (latencies, failed, first_error)
        }));
    }
    let mut outcome = Outcome {
        latencies: Vec::new(),
        acknowledged: 0,
        failed: 0,
        first_error: String::new(),
    };
    for task in tasks {
        let (latencies, failed, first_error) = task.await?;
        outcome.latencies.extend(latencies);
        outcome.failed += failed;
        if outcome.first_error.is_empty() {
            outcome.first_error = first_error;
        }
    }
    outcome.acknowledged = acknowledged.load(Ordering::Relaxed);
    Ok(outcome)
}

/// A minimal HTTP/1.1 keep-alive client for `POST /v1/batch`.
struct Client {
    addr: String,
    auth: String,
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    async fn connect(addr: &str, auth: &str) -> anyhow::Result<Client> {
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
    async fn post_batch(&mut self, body: &str) -> anyhow::Result<u64> {
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

/// One `/v1/batch` body of `size` events with fresh message ids.
fn batch_body(rng: &mut Rng, run_id: &str, request: usize, size: usize, visitors: u64) -> String {
    let mut out = String::with_capacity(size * 700);
    out.push_str("{\"batch\":[");
    let now = chrono::DateTime::from_timestamp_millis(crate::app::now_millis())
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    for idx in 0..size {
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
            "{{\"messageId\":\"{run_id}-{request}-{idx}\",\"anonymousId\":\"anon-{visitor}\",{user}\"timestamp\":\"{now}\",\"sentAt\":\"{now}\",\
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

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for idx in 0..4 {
            if idx <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * idx)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |idx: usize| {
        fields
            .get(idx)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; after the name they are at 11 and 12.
    (ticks(11) + ticks(12)) / 100.0
}

/// The process's peak resident set in MiB (Linux `VmHWM`; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
