//! `ecrm generate` and `ecrm demo`: the seeded synthetic store, as files or imported and served.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use ecrm_core::generate::GeneratorConfig;
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::{DAY_MILLIS, DateFormat};

use super::GlobalOptions;
use crate::app::console::users::{ConsoleRole, create_user, random_password};
use crate::app::generate_files::write_store;
use crate::app::import::{ImportKind, ImportOptions, run_import};
use crate::app::intelligence::compute::{ComputeOptions, run_compute};
use crate::app::intelligence::{date_of, day_of, parse_day};
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
    /// Random seed: the same seed, size and end date give byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The day the data ends (YYYY-MM-DD, or `today`): the 104-week window stops at the start of
    /// this UTC day, so the last orders and events fall on the day before. Default: today's UTC
    /// date, so relative windows ("in last 30 days") find recent activity; pass a date to reproduce
    /// a store (2024-12-29 gives the window of earlier releases, 2023-01-01 to 2024-12-28).
    #[arg(long, default_value = "today")]
    pub end_date: String,
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
    /// The day the data ends (YYYY-MM-DD, or `today`, the default): see `ecrm generate --end-date`.
    #[arg(long, default_value = "today")]
    pub end_date: String,
    /// Address to serve on.
    #[arg(long, env = "ECRM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Only build the demo database, do not serve it.
    #[arg(long)]
    pub no_serve: bool,
}

/// The generator's end day (days since 1970-01-01) from `--end-date`: `today` is today's UTC date.
fn end_day(text: &str, now: i64) -> anyhow::Result<i64> {
    if text.eq_ignore_ascii_case("today") {
        return Ok(now.div_euclid(DAY_MILLIS));
    }
    Ok(day_of(parse_day("--end-date", text)?))
}

/// The standard generator config of `customers` and `seed`, ending on `--end-date`.
fn generator_config(customers: u64, seed: u64, end_date: &str) -> anyhow::Result<GeneratorConfig> {
    let end = end_day(end_date, now_millis())?;
    eprintln!(
        "data window ends before {} (--end-date)",
        date_of(end).format("%Y-%m-%d")
    );
    Ok(GeneratorConfig::standard(customers, seed).ending_on(end))
}

pub fn run_generate(args: GenerateArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let config = generator_config(args.customers, args.seed, &args.end_date)?;
    let summary = write_store(&config, &args.out)?;
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
    let config = generator_config(args.customers, args.seed, &args.end_date)?;
    let data_dir = std::env::temp_dir().join(format!(
        "ecrm-demo-{}-{}-{}",
        args.customers, args.seed, config.end_day
    ));
    eprintln!(
        "generating {} customers (seed {}) into {}",
        args.customers,
        args.seed,
        data_dir.display()
    );
    write_store(&config, &data_dir)?;
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
    // Memberships before the snapshot, so the console's segment sizes are not zeros until the
    // next refresh.
    super::compute::follow_and_refresh_console(&*store, report.event_names.clone())?;
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
            cookie_secure: crate::console::cookies::CookieSecure::Auto,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_date_is_a_utc_day_or_today() {
        let now = 20_425 * DAY_MILLIS + 5 * 3_600_000;
        assert_eq!(end_day("today", now).ok(), Some(20_425));
        assert_eq!(end_day("TODAY", now).ok(), Some(20_425));
        assert_eq!(end_day("2024-12-29", now).ok(), Some(20_086));
        assert!(end_day("2024-13-01", now).is_err());
        assert!(end_day("yesterday", now).is_err());
    }
}
