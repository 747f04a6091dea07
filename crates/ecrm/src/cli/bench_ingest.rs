//! `ecrm bench ingest`: a load generator for the tracking API. It posts `/v1/batch` requests of
//! realistic Segment events (pages, product views, carts, checkouts, identifies, orders with
//! products) from concurrent keep-alive connections over loopback, to a server it starts in this
//! process over `--db` or to `--url`, and reports events/s, request latency, CPU and peak memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use ecrm_core::generate::random::Rng;
use serde::Serialize;

use super::GlobalOptions;
use super::bench_ingest_load::{Client, batch_body};
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
    /// CPU seconds of the server's threads (HTTP workers, ingest writer, checkpoints): the process
    /// minus the load generator's threads (in-process server only).
    server_cpu_seconds: Option<f64>,
    server_cores_busy: Option<f64>,
    /// CPU seconds of the single ingest writer thread, and the share of the run it was busy.
    writer_cpu_seconds: Option<f64>,
    writer_busy: Option<f64>,
    /// CPU seconds of the load generator's threads (client runtime and the main thread).
    load_cpu_seconds: f64,
    /// Peak resident memory of this process (with the in-process server: server and load
    /// generator together; the generator holds one request body per connection).
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
    let cpu_before = CpuSplit::now();
    let started = Instant::now();
    let outcome = client_runtime.block_on(drive(&addr, &key, &args))?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = CpuSplit::now().since(&cpu_before);
    let in_process = store.is_some();
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
        cpu_seconds: cpu.process,
        cpu_cores_busy: cpu.process / seconds,
        server_cpu_seconds: in_process.then_some(cpu.process - cpu.load),
        server_cores_busy: in_process.then_some((cpu.process - cpu.load) / seconds),
        writer_cpu_seconds: in_process.then_some(cpu.writer),
        writer_busy: in_process.then_some(cpu.writer / seconds),
        load_cpu_seconds: cpu.load,
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
        "cpu (process)     {:.1} s ({:.2} cores busy)",
        report.cpu_seconds, report.cpu_cores_busy
    );
    if let (Some(server), Some(busy)) = (report.server_cpu_seconds, report.server_cores_busy) {
        println!("cpu (server)      {server:.1} s ({busy:.2} cores busy)");
    }
    if let (Some(writer), Some(busy)) = (report.writer_cpu_seconds, report.writer_busy) {
        println!(
            "cpu (writer)      {writer:.1} s ({:.0} % of the run)",
            busy * 100.0
        );
    }
    println!(
        "cpu (load gen)    {:.1} s ({:.2} cores busy)",
        report.load_cpu_seconds,
        report.load_cpu_seconds / report.seconds
    );
    println!(
        "peak rss          {:.0} MiB (process: server and load generator)",
        report.peak_rss_mib
    );
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
    let auth = crate::http::basic_auth::header_for_key(key);
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

/// CPU seconds so far of the whole process, of the load generator's threads and of the ingest
/// writer thread (Linux; zeros elsewhere).
struct CpuSplit {
    process: f64,
    load: f64,
    writer: f64,
}

impl CpuSplit {
    fn now() -> CpuSplit {
        let process = stat_cpu("/proc/self/stat".as_ref()).map_or(0.0, |(_, cpu)| cpu);
        let mut split = CpuSplit {
            process,
            load: 0.0,
            writer: 0.0,
        };
        let main = std::process::id().to_string();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return split;
        };
        for task in tasks.flatten() {
            let Some((name, cpu)) = stat_cpu(&task.path().join("stat")) else {
                continue;
            };
            // Thread names are cut to 15 bytes; the main thread drives the client runtime.
            if name.starts_with("ecrm-bench-cli") || task.file_name().to_str() == Some(&main) {
                split.load += cpu;
            } else if name.starts_with("ecrm-ingest-wri") {
                split.writer += cpu;
            }
        }
        split
    }

    fn since(&self, before: &CpuSplit) -> CpuSplit {
        CpuSplit {
            process: self.process - before.process,
            load: self.load - before.load,
            writer: self.writer - before.writer,
        }
    }
}

/// The name and user + system CPU seconds in a `/proc/.../stat` file.
fn stat_cpu(path: &std::path::Path) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head
        .split_once('(')
        .map_or("", |(_, name)| name)
        .to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |idx: usize| -> f64 {
        fields
            .get(idx)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; after the name they are at 11 and 12.
    Some((name, (ticks(11) + ticks(12)) / 100.0))
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
