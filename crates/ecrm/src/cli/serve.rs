//! `ecrm serve`

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ecrm_core::analytics::interests::InterestRules;

use super::GlobalOptions;
use crate::app::intelligence::compute::ComputeOptions;
use crate::app::intelligence::schedule::{spawn_compute_schedule, spawn_profile_updater};
use crate::http::{AppState, serve};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ECRM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Retrain the recommendation model every this many minutes, at once when none is stored (0 = never).
    #[arg(long, env = "ECRM_RECS_RETRAIN_MINUTES", default_value_t = 0)]
    pub recs_retrain_minutes: u64,
    /// Run `ecrm compute` (every batch trait) every this many minutes (0 = never).
    #[arg(long, env = "ECRM_COMPUTE_EVERY_MINUTES", default_value_t = 60)]
    pub compute_every_minutes: u64,
    /// Poll the change cursor every this many milliseconds and update the event-driven traits
    /// (behaviour, interests) of the customers that changed (0 = off).
    #[arg(long, env = "ECRM_PROFILE_POLL_MS", default_value_t = 200)]
    pub profile_poll_ms: u64,
    /// Days after which an interest signal counts half.
    #[arg(long, default_value_t = InterestRules::STANDARD.half_life_days)]
    pub interest_half_life_days: f64,
    /// How often (milliseconds) segment membership follows the store's changes.
    #[arg(long, env = "ECRM_SEGMENTS_POLL_MS", default_value_t = 200)]
    pub segments_poll_ms: u64,
    /// How often (seconds) segments with relative dates or windows are re-evaluated (0 = never).
    #[arg(long, env = "ECRM_SEGMENTS_SCHEDULE_SECONDS", default_value_t = 300)]
    pub segments_schedule_seconds: u64,
    /// The store's currency: tracked order events without `currency` are in it (ISO 4217 code).
    #[arg(long, env = "ECRM_CURRENCY", default_value = "USD")]
    pub currency: String,
    /// Recompute the console dashboard's snapshot every this many minutes, and within a minute
    /// whenever it is missing or older than the latest `ecrm compute` (0 = never).
    #[arg(long, env = "ECRM_CONSOLE_REFRESH_MINUTES", default_value_t = 30)]
    pub console_refresh_minutes: u64,
    /// The playbooks file (`playbooks.toml`); reloaded when it changes or on SIGHUP. Without it the
    /// playbooks set through the API (`PUT /v1/playbooks`) or the defaults are used.
    #[arg(long, env = "ECRM_PLAYBOOKS")]
    pub playbooks: Option<std::path::PathBuf>,
    /// How often the playbook worker checks for segment changes, file edits and due webhooks (seconds).
    #[arg(long, env = "ECRM_PLAYBOOKS_POLL_SECONDS", default_value_t = 2)]
    pub playbooks_poll_seconds: u64,
    /// How often the "while member" pass runs (minutes).
    #[arg(long, env = "ECRM_PLAYBOOKS_PASS_MINUTES", default_value_t = 60)]
    pub playbooks_pass_minutes: u64,
    /// When the console's cookies carry `Secure`: `auto` (unless the request came over plain http
    /// to a host other than localhost/127.0.0.1/::1; a proxy's `X-Forwarded-Proto: https` or
    /// `Forwarded: proto=https` counts as https), `always`, or `never`.
    #[arg(long, env = "ECRM_COOKIE_SECURE", value_enum, default_value = "auto")]
    pub cookie_secure: crate::console::cookies::CookieSecure,
}

pub fn run(global: &GlobalOptions, args: ServeArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let addr: SocketAddr = args
        .addr
        .parse()
        .with_context(|| format!("--addr {:?} is not HOST:PORT", args.addr))?;
    let currency = ecrm_core::money::parse_currency(&args.currency)
        .with_context(|| format!("--currency {:?} is not a currency code", args.currency))?;
    let mut state =
        AppState::with_playbooks(store, global.region()?, global.limits(), args.playbooks);
    state.tracking.currency = currency;
    state.cookie_secure = args.cookie_secure;
    crate::app::playbooks::runtime::spawn_worker(
        state.store.clone(),
        state.playbooks.clone(),
        crate::app::playbooks::runtime::WorkerTimes {
            poll: std::time::Duration::from_secs(args.playbooks_poll_seconds.max(1)),
            member_pass: std::time::Duration::from_secs(args.playbooks_pass_minutes.max(1) * 60),
        },
    )?;
    if args.recs_retrain_minutes > 0 {
        let every = std::time::Duration::from_secs(args.recs_retrain_minutes * 60);
        crate::app::recs::schedule::spawn_retrainer(
            state.store.clone(),
            state.recs.clone(),
            state.recs_rules.clone(),
            every,
        )?;
    }
    let interests = super::compute::interest_rules(args.interest_half_life_days)?;
    if args.profile_poll_ms > 0 {
        let poll = Duration::from_millis(args.profile_poll_ms);
        spawn_profile_updater(state.store.clone(), interests, poll)?;
    }
    if args.compute_every_minutes > 0 {
        let options = ComputeOptions {
            interests,
            ..ComputeOptions::standard()
        };
        let every = Duration::from_secs(args.compute_every_minutes * 60);
        spawn_compute_schedule(state.store.clone(), options, every)?;
    }
    crate::app::segments::live::spawn_worker(
        state.store.clone(),
        state.segments.clone(),
        crate::app::segments::live::WorkerConfig {
            poll: std::time::Duration::from_millis(args.segments_poll_ms.max(10)),
            schedule: std::time::Duration::from_secs(args.segments_schedule_seconds),
        },
    )?;
    if args.console_refresh_minutes > 0 {
        let every = Duration::from_secs(args.console_refresh_minutes * 60);
        crate::app::console::refresh::spawn_refresher(state.store.clone(), every)?;
    }
    // Load the recommendation model now, so the first customer page does not wait for it.
    let (store, cache, rules) = (
        state.store.clone(),
        state.recs.clone(),
        state.recs_rules.clone(),
    );
    std::thread::Builder::new()
        .name("recs-warm-up".to_string())
        .spawn(move || {
            if let Err(err) = cache.warm_up(&*store, &rules) {
                tracing::info!(error = %err, "no recommendation model loaded at start");
            }
        })?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        spawn_sighup_reload(state.playbooks.clone());
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let bound = listener.local_addr()?;
        println!(
            "ecrm is serving http://{bound}/ (database {})",
            super::redact(&global.db)
        );
        serve(listener, state).await
    })
}

/// Re-reads the playbooks file on SIGHUP.
fn spawn_sighup_reload(playbooks: std::sync::Arc<crate::app::playbooks::runtime::PlaybookRuntime>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangup.recv().await.is_some() {
            playbooks.request_reload();
        }
    });
}
