//! `ecrm serve`

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;

use super::GlobalOptions;
use crate::http::{AppState, serve};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ECRM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Retrain the recommendation model every this many minutes, at once when none is stored (0 = never).
    #[arg(long, env = "ECRM_RECS_RETRAIN_MINUTES", default_value_t = 0)]
    pub recs_retrain_minutes: u64,
}

pub fn run(global: &GlobalOptions, args: ServeArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let addr: SocketAddr = args
        .addr
        .parse()
        .with_context(|| format!("--addr {:?} is not HOST:PORT", args.addr))?;
    let state = AppState::new(store, global.region()?, global.limits());
    if args.recs_retrain_minutes > 0 {
        let every = std::time::Duration::from_secs(args.recs_retrain_minutes * 60);
        crate::app::recs::schedule::spawn_retrainer(
            state.store.clone(),
            state.recs.clone(),
            state.recs_rules.clone(),
            every,
        )?;
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
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
