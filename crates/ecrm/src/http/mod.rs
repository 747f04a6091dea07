//! The HTTP API: thin handlers over `app`, one error type, key extractors, metrics and OpenAPI.

mod auth;
mod customers;
pub mod error;
mod health;
mod metrics;
mod openapi;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::phone::PhoneRegion;
use ecrm_store::Store;

pub use error::ApiError;
pub use metrics::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub region: PhoneRegion,
    pub limits: IdentityLimits,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, region: PhoneRegion, limits: IdentityLimits) -> AppState {
        AppState {
            store,
            region,
            limits,
            metrics: Arc::new(Metrics::default()),
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
        .route("/", get(health::index))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::openapi_json))
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
        .route("/v1/merges/{merge_id}/undo", post(customers::undo_merge))
        .fallback(health::not_found)
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
