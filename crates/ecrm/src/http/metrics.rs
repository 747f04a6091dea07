//! Prometheus metrics: requests and latencies by route, rows imported, ingestion queue depth.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// Latency histogram bucket bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    /// Rows written by imports and ingestion since start.
    pub rows_imported: AtomicU64,
    /// Events accepted but not yet committed.
    pub queue_depth: AtomicI64,
}

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = routes
            .entry((method.to_string(), route.to_string()))
            .or_default();
        *stats.by_status.entry(status).or_default() += 1;
        stats.count += 1;
        stats.sum_seconds += seconds;
        for (idx, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.buckets[idx] += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ecrm_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE ecrm_http_requests_total counter");
        let routes = match self.routes.lock() {
            Ok(routes) => routes,
            Err(poisoned) => poisoned.into_inner(),
        };
        for ((method, route), stats) in routes.iter() {
            for (status, count) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "ecrm_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP ecrm_http_request_duration_seconds HTTP request latency by route."
        );
        let _ = writeln!(out, "# TYPE ecrm_http_request_duration_seconds histogram");
        for ((method, route), stats) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (idx, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "ecrm_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    stats.buckets[idx]
                );
            }
            let _ = writeln!(
                out,
                "ecrm_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "ecrm_http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_seconds
            );
            let _ = writeln!(
                out,
                "ecrm_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP ecrm_rows_imported_total Rows written by imports and ingestion."
        );
        let _ = writeln!(out, "# TYPE ecrm_rows_imported_total counter");
        let _ = writeln!(
            out,
            "ecrm_rows_imported_total {}",
            self.rows_imported.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP ecrm_ingest_queue_depth Events accepted and waiting to be committed."
        );
        let _ = writeln!(out, "# TYPE ecrm_ingest_queue_depth gauge");
        let _ = writeln!(
            out,
            "ecrm_ingest_queue_depth {}",
            self.queue_depth.load(Ordering::Relaxed)
        );
        out
    }
}

/// Middleware: times every request and logs one structured line.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.metrics.observe(&method, &route, status, seconds);
    tracing::info!(method = %method, route = %route, status, millis = seconds * 1000.0, "request");
    response
}
