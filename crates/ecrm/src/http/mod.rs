//! The HTTP API: thin handlers over `app`, one error type, key extractors, metrics and OpenAPI.

mod auth;
pub mod basic_auth;
mod coupons;
mod customers;
mod dashboard;
pub mod error;
mod health;
mod metrics;
mod openapi;
mod playbooks;
mod recs;
mod segments;
mod tracking;
mod tracking_body;
pub mod tracking_views;
mod traits;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::phone::PhoneRegion;
use ecrm_store::Store;

use crate::app::ingest_queue::{IngestQueue, QueueConfig};
use crate::app::tracking::TrackingConfig;

pub use error::ApiError;
pub use metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub region: PhoneRegion,
    pub limits: IdentityLimits,
    pub metrics: Arc<Metrics>,
    /// How tracking messages are read.
    pub tracking: TrackingConfig,
    /// The group-commit queue tracking calls write through.
    pub ingest: IngestQueue,
    pub recs: crate::app::recs::serve::RecsCache,
    pub recs_rules: Arc<crate::app::recs::serve::ServingRules>,
    /// The segment evaluator's snapshot, kept current by the membership worker.
    pub segments: crate::app::segments::SegmentEngine,
    /// Failed console sign-ins per username (rate limiting).
    pub console_logins: Arc<crate::console::auth::LoginLimiter>,
    /// When the console's cookies carry `Secure` (`ecrm serve --cookie-secure`).
    pub cookie_secure: crate::console::cookies::CookieSecure,
    /// The playbook configuration in force.
    pub playbooks: Arc<crate::app::playbooks::runtime::PlaybookRuntime>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, region: PhoneRegion, limits: IdentityLimits) -> AppState {
        AppState::with_playbooks(store, region, limits, None)
    }

    /// The state with the playbooks read from `playbooks_file` (else from the store or the defaults).
    pub fn with_playbooks(
        store: Arc<dyn Store>,
        region: PhoneRegion,
        limits: IdentityLimits,
        playbooks_file: Option<std::path::PathBuf>,
    ) -> AppState {
        let playbooks =
            crate::app::playbooks::runtime::PlaybookRuntime::open(&*store, playbooks_file);
        let metrics = Arc::new(Metrics::default());
        let queue_config = QueueConfig {
            max_messages_per_commit: 20_000,
            limits: limits.clone(),
        };
        #[allow(clippy::expect_used)]
        let ingest = IngestQueue::start(store.clone(), queue_config, metrics.clone())
            .expect("cannot start the ingest writer thread");
        if let Err(err) =
            crate::app::segments::builtin::ensure_builtins(&*store, crate::app::now_millis())
        {
            tracing::warn!(error = %err, "cannot create the built-in segments");
        }
        AppState {
            store,
            region,
            limits,
            metrics,
            tracking: TrackingConfig {
                region,
                currency: "USD".to_string(),
            },
            ingest,
            recs: Default::default(),
            recs_rules: Arc::new(crate::app::recs::serve::ServingRules::from_env(|name| {
                std::env::var(name).ok()
            })),
            segments: Default::default(),
            console_logins: Default::default(),
            cookie_secure: Default::default(),
            playbooks,
        }
    }

    /// Runs blocking store work off the async threads.
    pub async fn blocking<R: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Store) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(&*store))
            .await
            .map_err(|err| ApiError::Internal(format!("worker failed: {err}")))?
    }
}

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/v1/dashboard", get(dashboard::get_dashboard))
        .route("/v1/customers", get(customers::list_customers))
        .route("/v1/customers/{identifier}", get(customers::get_customer))
        .route(
            "/v1/customers/{identifier}/timeline",
            get(customers::get_timeline),
        )
        .route(
            "/v1/customers/{identifier}/merges",
            get(customers::get_merges),
        )
        .route(
            "/v1/customers/{identifier}/traits/{name}/explain",
            get(traits::explain),
        )
        .route("/v1/merges/{merge_id}/undo", post(customers::undo_merge))
        .route(
            "/v1/segments",
            get(segments::list_segments).post(segments::create_segment),
        )
        .route("/v1/segments/preview", post(segments::preview_segment))
        .route("/v1/segments/changes", get(segments::all_changes))
        .route(
            "/v1/segments/{id}",
            get(segments::get_segment)
                .patch(segments::update_segment)
                .put(segments::update_segment)
                .delete(segments::delete_segment),
        )
        .route("/v1/segments/{id}/members", get(segments::members))
        .route("/v1/segments/{id}/changes", get(segments::segment_changes))
        .route(
            "/v1/customers/{identifier}/segments",
            get(segments::customer_segments),
        )
        .route(
            "/v1/customers/{identifier}/recommendations",
            get(recs::customer_recommendations),
        )
        .route("/v1/products/{id}/similar", get(recs::similar))
        .route(
            "/v1/customers/{identifier}/events",
            get(tracking::customer_events),
        )
        .route(
            "/v1/playbooks",
            get(playbooks::get_playbooks).put(playbooks::put_playbooks),
        )
        .route("/v1/playbooks/run", post(playbooks::run_playbooks))
        .route(
            "/v1/playbooks/{name}/dry-run",
            post(playbooks::dry_run_playbook),
        )
        .route("/v1/ads-suppressions", get(playbooks::ads_suppressions))
        .route(
            "/v1/coupon-pools",
            get(coupons::list_pools).post(coupons::create),
        )
        .route("/v1/coupon-pools/{name}/codes", post(coupons::import))
        .route(
            "/v1/coupon-pools/{name}/generate",
            post(coupons::generate_codes),
        )
        .route("/v1/identify", post(tracking::track))
        .route("/v1/track", post(tracking::track))
        .route("/v1/page", post(tracking::track))
        .route("/v1/screen", post(tracking::track))
        .route("/v1/group", post(tracking::track))
        .route("/v1/alias", post(tracking::track))
        .route("/v1/batch", post(tracking::track))
        .route("/v1/import", post(tracking::track))
        .merge(crate::console::routes())
        .fallback(health::not_found)
        .method_not_allowed_fallback(health::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> anyhow::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
