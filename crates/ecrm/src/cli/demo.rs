//! `ecrm generate` and `ecrm demo`: the seeded synthetic store, as files or imported and served.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use ecrm_core::generate::GeneratorConfig;
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::DateFormat;

use super::GlobalOptions;
use crate::app::console::users::{ConsoleRole, create_user, random_password};
use crate::app::generate_files::write_store;
use crate::app::import::{ImportKind, ImportOptions, run_import};
use crate::app::intelligence::compute::{ComputeOptions, run_compute};
use crate::app::keys::{KeyRole, create_key};
use crate::app::recs::RecsParams;
use crate::app::recs::model::train_and_store;
use crate::app::{now_millis, write_context};
use ecrm_core::analytics::TimeUnit;
use ecrm_core::analytics::lifecycle::{LifecycleRules, RiskRules, ValueTierRules};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Registered customers to generate.
    #[arg(long, default_value_t = 20_000)]
    pub customers: u64,
    /// Random seed: the same seed and size give byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 20_000)]
    pub customers: u64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Address to serve on.
    #[arg(long, env = "ECRM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Only build the demo database, do not serve it.
    #[arg(long)]
    pub no_serve: bool,
}

pub fn run_generate(args: GenerateArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let summary = write_store(
        &GeneratorConfig::standard(args.customers, args.seed),
        &args.out,
    )?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    eprintln!(
        "wrote {} in {:.1} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The demo database: the `--db` given, or a fresh `ecrm-demo.db` in the working directory.
fn demo_database(global: &GlobalOptions) -> anyhow::Result<GlobalOptions> {
    let mut options = global.clone();
    if global.db != "sqlite://ecrm.db" {
        return Ok(options);
    }
    let path = Path::new("ecrm-demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)?;
        }
    }
    options.db = format!("sqlite://{}", path.display());
    Ok(options)
}

pub fn run_demo(global: &GlobalOptions, args: DemoArgs) -> anyhow::Result<()> {
    if args.customers == 0 {
        bail!("--customers must be at least 1");
    }
    let started = std::time::Instant::now();
    let data_dir = std::env::temp_dir().join(format!("ecrm-demo-{}-{}", args.customers, args.seed));
    eprintln!(
        "generating {} customers (seed {}) into {}",
        args.customers,
        args.seed,
        data_dir.display()
    );
    write_store(
        &GeneratorConfig::standard(args.customers, args.seed),
        &data_dir,
    )?;
    let demo = demo_database(global)?;
    let store = demo.open_store()?;
    let imports = [
        (ImportKind::Products, "products.csv"),
        (ImportKind::Customers, "customers.csv"),
        (ImportKind::Orders, "orders.csv"),
        (ImportKind::Events, "events.jsonl"),
    ];
    for (kind, file) in imports {
        let options = ImportOptions {
            kind,
            format: None,
            no_header: false,
            map: Vec::new(),
            date_format: DateFormat::Auto,
            currency: "USD".to_string(),
            cancel_prefix: None,
            phone_region: PhoneRegion::CN,
            rejects_path: Some(data_dir.join(format!("rejects-{file}.csv"))),
            batch_rows: 20_000,
            write: write_context(&format!("demo:{file}"), &demo.limits()),
        };
        let summary = run_import(&*store, &[data_dir.join(file)], &options, &|_| {})?;
        eprintln!(
            "imported {file}: {} rows in {:.1} s ({} rejected)",
            summary.rows_read, summary.seconds, summary.rows_rejected
        );
    }
    let compute = ComputeOptions {
        as_of: None,
        unit: TimeUnit::Week,
        lifecycle: LifecycleRules::STANDARD,
        tiers: ValueTierRules::STANDARD,
        risk: RiskRules::STANDARD,
        interests: ecrm_core::analytics::interests::InterestRules::STANDARD,
    };
    let report = run_compute(&*store, &compute, now_millis())?;
    eprintln!(
        "computed RFM, lifetime value and lifecycle for {} customers in {:.1} s{}",
        report.customers,
        report.seconds,
        report
            .untrusted_reason
            .as_ref()
            .map(|reason| format!(" (CLV not trusted: {reason})"))
            .unwrap_or_default()
    );
    let recs = train_and_store(&*store, &RecsParams::standard(0), now_millis())?;
    eprintln!(
        "trained the recommender on {} order lines in {:.1} s",
        recs.lines, recs.train_seconds
    );
    let stats = store.stats()?;
    eprintln!(
        "demo store ready in {:.1} s: {} customers, {} orders, {} order lines, {} events, {} products",
        started.elapsed().as_secs_f64(),
        stats.customers,
        stats.orders,
        stats.order_lines,
        stats.events,
        stats.products
    );
    crate::app::console::dashboard::refresh_dashboard(&*store, now_millis())?;
    let key = create_key(&*store, KeyRole::Admin, None, "demo", "demo")?;
    let password = random_password()?;
    create_user(
        &*store,
        "admin",
        ConsoleRole::Admin,
        &password,
        "demo",
        now_millis(),
    )?;
    drop(store);
    println!("admin API key for this demo (shown once): {}", key.key);
    println!(
        "open http://{}/ and log in as admin / {password}",
        args.addr
    );
    println!(
        "try: curl -H 'Authorization: Bearer {}' 'http://{}/v1/customers?limit=5'",
        key.key, args.addr
    );
    if args.no_serve {
        return Ok(());
    }
    super::serve::run(
        &demo,
        super::serve::ServeArgs {
            addr: args.addr,
            recs_retrain_minutes: 0,
            compute_every_minutes: 60,
            profile_poll_ms: 200,
            interest_half_life_days: ecrm_core::analytics::interests::InterestRules::STANDARD
                .half_life_days,
            segments_poll_ms: 200,
            segments_schedule_seconds: 300,
            currency: "USD".to_string(),
            console_refresh_minutes: 30,
            playbooks: None,
            playbooks_poll_seconds: 2,
            playbooks_pass_minutes: 60,
        },
    )
}
