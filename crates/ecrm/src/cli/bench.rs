//! `ecrm bench lookup`: 360° lookup latency, in-process and over HTTP, on an existing store;
//! `ecrm bench dashboard`: the console snapshot refresh, phase by phase.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use ecrm_core::generate::random::Rng;
use ecrm_store::{CustomerQuery, Store};
use serde::Serialize;

use super::GlobalOptions;
use crate::app::customers::customer_view;
use crate::app::keys::{KeyRole, create_key};
use crate::http::AppState;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Latency of the customer 360° view for random customers (store call and HTTP round trip).
    Lookup(LookupArgs),
    /// Tracking API throughput: `/v1/batch` requests from concurrent connections over loopback.
    Ingest(super::bench_ingest::IngestArgs),
    /// Segment preview latency, and event-acknowledged → segment-entry delay under tracking load.
    Segments(super::bench_segments::SegmentsBenchArgs),
    /// Refreshes the console's dashboard and segment-trend snapshots once (as `ecrm serve` does in
    /// the background) and prints how long each phase took.
    Dashboard {
        /// Print the phases as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// Lookups to time (after a warm-up of a tenth as many).
    #[arg(long, default_value_t = 5_000)]
    pub requests: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub requests: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub per_second: f64,
}

#[derive(Debug, Serialize)]
struct LookupReport {
    customers_sampled_from: usize,
    store_call: Latency,
    http: Latency,
}

pub fn run(global: &GlobalOptions, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Lookup(args) => lookup(global, args),
        BenchCommand::Ingest(args) => super::bench_ingest::run(global, args),
        BenchCommand::Segments(args) => super::bench_segments::run(global, args),
        BenchCommand::Dashboard { json } => dashboard(global, json),
    }
}

fn dashboard(global: &GlobalOptions, json: bool) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let started = Instant::now();
    let (_, phases) =
        crate::app::console::dashboard::refresh_dashboard_timed(&*store, crate::app::now_millis())?;
    let total = started.elapsed().as_secs_f64();
    if json {
        let phases: Vec<serde_json::Value> = phases
            .iter()
            .map(|(phase, seconds)| serde_json::json!({"phase": phase, "seconds": seconds}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"phases": phases, "total_seconds": total})
        );
    } else {
        for (phase, seconds) in &phases {
            println!("{phase:<28} {seconds:>9.2} s");
        }
        println!("{:<28} {total:>9.2} s", "total");
    }
    Ok(())
}

fn lookup(global: &GlobalOptions, args: LookupArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let region = global.region()?;
    let ids = all_customer_ids(&*store)?;
    if ids.is_empty() {
        bail!("the store has no customers: import or `ecrm demo --no-serve` first");
    }
    let mut rng = Rng::seeded(args.seed);
    let sample: Vec<String> = (0..args.requests + args.requests / 10)
        .map(|_| rng.pick(&ids).clone())
        .collect();
    let (warm, timed) = sample.split_at(args.requests / 10);
    for id in warm {
        customer_view(&*store, id, region, 10, 20)?;
    }
    let mut durations = Vec::with_capacity(timed.len());
    let started = Instant::now();
    for id in timed {
        let begin = Instant::now();
        customer_view(&*store, id, region, 10, 20)?;
        durations.push(begin.elapsed());
    }
    let store_call = percentiles(durations, started.elapsed());
    let key = create_key(&*store, KeyRole::Admin, None, "bench", "bench")?.key;
    let http = http_lookups(store.clone(), region, global, &key, warm, timed)?;
    let report = LookupReport {
        customers_sampled_from: ids.len(),
        store_call,
        http,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for (label, latency) in [
            ("store call", &report.store_call),
            ("HTTP GET /v1/customers/{id}", &report.http),
        ] {
            println!(
                "{label}: {} lookups, p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {:.0}/s",
                latency.requests,
                latency.p50_ms,
                latency.p90_ms,
                latency.p99_ms,
                latency.max_ms,
                latency.per_second
            );
        }
    }
    Ok(())
}

fn all_customer_ids(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_customers(&CustomerQuery {
            after: after.clone(),
            limit: 500,
            ..CustomerQuery::default()
        })?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        ids.extend(page.into_iter().map(|item| item.id));
    }
    Ok(ids)
}

fn http_lookups(
    store: std::sync::Arc<dyn Store>,
    region: ecrm_core::phone::PhoneRegion,
    global: &GlobalOptions,
    key: &str,
    warm: &[String],
    timed: &[String],
) -> anyhow::Result<Latency> {
    let runtime = tokio::runtime::Runtime::new()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store, region, global.limits());
    runtime.spawn(async move { axum::serve(listener, crate::http::router(state)).await });
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    for id in warm {
        get(
            &mut stream,
            &mut reader,
            &format!("/v1/customers/{}", encode(id)),
            key,
        )?;
    }
    let mut durations = Vec::with_capacity(timed.len());
    let started = Instant::now();
    for id in timed {
        let begin = Instant::now();
        get(
            &mut stream,
            &mut reader,
            &format!("/v1/customers/{}", encode(id)),
            key,
        )?;
        durations.push(begin.elapsed());
    }
    Ok(percentiles(durations, started.elapsed()))
}

/// One keep-alive HTTP/1.1 GET; fails unless the answer is 200.
fn get(
    stream: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    path: &str,
    key: &str,
) -> anyhow::Result<Vec<u8>> {
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n\r\n"
    )?;
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().context("content-length")?;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    if !status_line.contains(" 200 ") {
        bail!("GET {path}: {}", status_line.trim());
    }
    Ok(body)
}

fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn percentiles(mut durations: Vec<Duration>, total: Duration) -> Latency {
    durations.sort_unstable();
    let pick = |q: f64| -> f64 {
        if durations.is_empty() {
            return 0.0;
        }
        let idx = ((durations.len() as f64 - 1.0) * q).round() as usize;
        durations[idx].as_secs_f64() * 1000.0
    };
    Latency {
        requests: durations.len(),
        p50_ms: pick(0.50),
        p90_ms: pick(0.90),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        per_second: durations.len() as f64 / total.as_secs_f64().max(1e-9),
    }
}
