//! `ecrm bench segments`: preview latency of typical queries over the store's snapshot, and the
//! delay from a tracking event being acknowledged to its segment entry being recorded, under a
//! steady tracking load, with the server and the membership worker running in this process.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use ecrm_store::{SegmentChangeQuery, Store};
use serde::Serialize;

use super::GlobalOptions;
use crate::app::keys::{KeyRole, create_key};
use crate::app::segments::live::{WorkerConfig, spawn_worker};
use crate::app::segments::{SegmentEngine, SegmentInput, crud, preview};
use crate::http::AppState;

#[derive(Debug, Args)]
pub struct SegmentsBenchArgs {
    /// Queries to preview (default: a trait-only query and one with an event aggregate).
    #[arg(long = "query")]
    pub queries: Vec<String>,
    /// Previews per query (after one warm-up).
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Evaluate as of this day (YYYY-MM-DD) instead of now (generated data ends in the past).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Tracked events per second for the membership delay (0: skip that part).
    #[arg(long, default_value_t = 20)]
    pub events_per_second: u64,
    /// How long the tracking load runs.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// The membership worker's poll interval.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct QueryTiming {
    query: String,
    count: usize,
    min_ms: f64,
    p50_ms: f64,
    max_ms: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    snapshot_load_seconds: f64,
    customers: usize,
    previews: Vec<QueryTiming>,
    events_sent: u64,
    entries_seen: usize,
    delay_p50_ms: f64,
    delay_p99_ms: f64,
    delay_max_ms: f64,
}

const DEFAULT_QUERIES: &[&str] = &[
    r#"rfm.class = "重要价值客户" and clv.p_alive > 0.5"#,
    r#"lifecycle in ("at_risk", "churned") and has email"#,
    r#"rfm.class = "重要挽留客户" and count(event "Product Viewed" in last 30 days) >= 3"#,
    r#"value_tier = "platinum" and count(event "Product Viewed" in last 30 days) >= 1"#,
];

pub fn run(global: &GlobalOptions, args: SegmentsBenchArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let now = match &args.as_of {
        Some(day) => {
            let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .with_context(|| format!("--as-of {day:?} is not YYYY-MM-DD"))?;
            ecrm_core::time::date_to_millis(date)
        }
        None => crate::app::now_millis(),
    };
    let engine = SegmentEngine::default();
    let started = Instant::now();
    engine.reload(&*store)?;
    let snapshot_load_seconds = started.elapsed().as_secs_f64();
    let customers = engine.snapshot(&*store)?.alive.count();
    let queries: Vec<String> = if args.queries.is_empty() {
        DEFAULT_QUERIES.iter().map(|q| q.to_string()).collect()
    } else {
        args.queries.clone()
    };
    let mut previews = Vec::new();
    for query in &queries {
        let input = SegmentInput::text(query);
        let warm = preview(&*store, &engine, &input, now)?;
        let mut times = Vec::with_capacity(args.runs);
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            preview(&*store, &engine, &input, now)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        previews.push(QueryTiming {
            query: query.clone(),
            count: warm.count,
            min_ms: times[0],
            p50_ms: times[times.len() / 2],
            max_ms: times[times.len() - 1],
        });
    }
    let mut report = Report {
        snapshot_load_seconds,
        customers,
        previews,
        events_sent: 0,
        entries_seen: 0,
        delay_p50_ms: 0.0,
        delay_p99_ms: 0.0,
        delay_max_ms: 0.0,
    };
    if args.events_per_second > 0 {
        membership_delay(global, store, engine, &args, &mut report)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("snapshot: {customers} customers loaded in {snapshot_load_seconds:.1} s");
    for timing in &report.previews {
        println!(
            "preview {:>8} matches  min {:>8.1} ms  p50 {:>8.1} ms  max {:>8.1} ms  {}",
            timing.count, timing.min_ms, timing.p50_ms, timing.max_ms, timing.query
        );
    }
    if args.events_per_second > 0 {
        println!(
            "event acknowledged → segment entry recorded: {} events, {} entries, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            report.events_sent,
            report.entries_seen,
            report.delay_p50_ms,
            report.delay_p99_ms,
            report.delay_max_ms
        );
    }
    Ok(())
}

/// Starts the server and the worker, sends one `Bench Ping` per new visitor at a steady rate and
/// times each acknowledgement to the moment its entry into the ping segment is visible.
fn membership_delay(
    global: &GlobalOptions,
    store: Arc<dyn Store>,
    engine: SegmentEngine,
    args: &SegmentsBenchArgs,
    report: &mut Report,
) -> anyhow::Result<()> {
    let run = crate::app::now_millis();
    let event = format!("Bench Ping {run}");
    let segment = crud::create_segment(
        &*store,
        &engine,
        &format!("bench-ping-{run}"),
        &SegmentInput::text(&format!("count(event \"{event}\") >= 1")),
        "bench",
        crate::app::now_millis(),
    )?;
    let key = create_key(
        &*store,
        KeyRole::Write,
        Some("bench"),
        "bench segments",
        "bench",
    )?
    .key;
    let mut state = AppState::new(store.clone(), global.region()?, global.limits());
    state.segments = engine.clone();
    spawn_worker(
        store.clone(),
        engine,
        WorkerConfig {
            poll: Duration::from_millis(args.poll_ms.max(10)),
            schedule: Duration::ZERO,
        },
    )?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while store
        .change_consumer_position(crate::app::segments::live::CONSUMER)?
        .is_none()
    {
        if Instant::now() > deadline {
            bail!("the membership worker did not start within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    runtime.spawn(async move { axum::serve(listener, crate::http::router(state)).await });

    let acked: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let observer = {
        let (store, seen, stop) = (store.clone(), seen.clone(), stop.clone());
        std::thread::spawn(move || -> anyhow::Result<()> {
            let mut after = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let query = SegmentChangeQuery {
                    segment_id: Some(segment.id),
                    customer_id: None,
                    after,
                    limit: 10_000,
                };
                for change in store.segment_changes(&query)? {
                    after = change.id;
                    if let Ok(mut seen) = seen.lock() {
                        seen.entry(change.customer_id).or_insert_with(Instant::now);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        })
    };
    let interval = Duration::from_secs_f64(1.0 / args.events_per_second as f64);
    let total = args.events_per_second * args.seconds;
    let start = Instant::now();
    for n in 0..total {
        let due = start + interval * u32::try_from(n).unwrap_or(u32::MAX);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let user = format!("bench-{run}-{n}");
        let body = serde_json::json!({
            "writeKey": key, "type": "track", "event": event, "userId": user,
            "messageId": format!("{user}-ping"), "properties": { "n": n },
        });
        post(addr, "/v1/track", &body.to_string())?;
        if let Ok(mut acked) = acked.lock() {
            acked.insert(user, Instant::now());
        }
        report.events_sent += 1;
    }
    let wait_until = Instant::now() + Duration::from_secs(30);
    while seen.lock().map(|s| s.len()).unwrap_or(0) < report.events_sent as usize
        && Instant::now() < wait_until
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    observer
        .join()
        .map_err(|_| anyhow::anyhow!("the observer thread panicked"))??;
    let acked = acked.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let seen = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let mut delays: Vec<f64> = acked
        .iter()
        .filter_map(|(user, at)| {
            seen.get(user)
                .map(|entered| entered.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    report.entries_seen = delays.len();
    if let Some(max) = delays.last() {
        report.delay_max_ms = *max;
        report.delay_p50_ms = delays[delays.len() / 2];
        report.delay_p99_ms = delays[(delays.len() * 99 / 100).min(delays.len() - 1)];
    }
    Ok(())
}

/// One POST over a new connection; fails unless the answer is 200.
fn post(addr: SocketAddr, path: &str, body: &str) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") {
        bail!(
            "tracking call failed: {}",
            answer.lines().next().unwrap_or("")
        );
    }
    Ok(())
}
