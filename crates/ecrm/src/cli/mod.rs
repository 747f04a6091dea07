//! The command line: one subcommand per job, each a thin layer over `app`.

/// `println!` for the commands: writes through [`out::write_stdout`], so a closed pipe
/// (`ecrm customers list | head`) ends the command quietly instead of panicking.
macro_rules! println {
    () => {
        $crate::cli::out::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod bench;
mod bench_ingest;
mod bench_ingest_load;
mod bench_segments;
mod clv;
mod compute;
mod coupons;
mod customers;
mod demo;
mod import;
mod keys;
pub mod out;
mod playbooks;
mod recs;
mod rfm;
mod segments;
mod serve;
mod users;

use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::phone::PhoneRegion;
use ecrm_store::Store;

use crate::telemetry::LogFormat;

/// ecrm — e-commerce CRM and customer data platform.
#[derive(Debug, Parser)]
#[command(name = "ecrm", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Database: `sqlite://PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "ECRM_DATABASE_URL",
        default_value = "sqlite://ecrm.db"
    )]
    pub db: String,
    /// Region for phone numbers written without a country code (ISO 3166 code, e.g. CN, US, GB).
    #[arg(long, global = true, env = "ECRM_PHONE_REGION", default_value = "CN")]
    pub phone_region: String,
    /// Most user ids one customer may have (1: two user ids never merge).
    #[arg(long, global = true, env = "ECRM_MAX_USER_IDS", default_value_t = 1)]
    pub max_user_ids: usize,
    /// Most email addresses one customer may have.
    #[arg(long, global = true, env = "ECRM_MAX_EMAILS", default_value_t = 5)]
    pub max_emails: usize,
    /// Most phone numbers one customer may have.
    #[arg(long, global = true, env = "ECRM_MAX_PHONES", default_value_t = 5)]
    pub max_phones: usize,
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        env = "ECRM_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

impl GlobalOptions {
    pub fn region(&self) -> anyhow::Result<PhoneRegion> {
        PhoneRegion::parse(&self.phone_region).with_context(|| {
            format!(
                "--phone-region {:?} is not a supported region code",
                self.phone_region
            )
        })
    }

    pub fn limits(&self) -> IdentityLimits {
        let mut limits = IdentityLimits::standard();
        limits
            .max_per_kind
            .insert("user_id".to_string(), self.max_user_ids.max(1));
        limits
            .max_per_kind
            .insert("email".to_string(), self.max_emails.max(1));
        limits
            .max_per_kind
            .insert("phone".to_string(), self.max_phones.max(1));
        limits
    }

    pub fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        ecrm_store::open(&self.db)
            .with_context(|| format!("cannot open the database {}", redact(&self.db)))
    }
}

/// A database URL with any password hidden.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and console.
    Serve(serve::ServeArgs),
    /// Generate a synthetic store, import it into a fresh database and serve it.
    Demo(demo::DemoArgs),
    /// Write a synthetic store as CSV/JSONL files.
    Generate(demo::GenerateArgs),
    /// Import orders, customers, products or events from files.
    Import(import::ImportArgs),
    /// Look up, list and unmerge customers.
    #[command(subcommand)]
    Customers(customers::CustomersCommand),
    /// Create and list API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Create and list console users (`--role admin|marketer|analyst|agent`).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// RFM scores as of a day: thresholds, value classes and R×F segments; `--export` writes the lines.
    Rfm(rfm::RfmArgs),
    /// Lifetime-value models: fit BG/NBD + Gamma-Gamma, predict per customer.
    #[command(subcommand)]
    Clv(clv::ClvCommand),
    /// Recompute RFM, the lifetime-value models and every batch trait, and store them.
    Compute(compute::ComputeArgs),
    /// Recommendations: offline evaluation, training, a customer's list.
    #[command(subcommand)]
    Recs(recs::RecsCommand),
    /// Segments: preview a query, save, list, show, export, and refresh memberships.
    #[command(subcommand)]
    Segments(segments::SegmentsCommand),
    /// Coupon pools: create, import and generate codes, list.
    #[command(subcommand)]
    Coupons(coupons::CouponsCommand),
    /// Playbooks: list, validate a file, dry-run one, run them now.
    #[command(subcommand)]
    Playbooks(playbooks::PlaybooksCommand),
    /// The paid-ads suppression list: export as CSV for ad platforms.
    #[command(subcommand)]
    Suppression(playbooks::SuppressionCommand),
    /// Apply database migrations (also done by every command on open).
    Migrate,
    /// Measure: 360° lookup latency (more benchmarks are added as subcommands).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(&global, args),
        Command::Demo(args) => demo::run_demo(&global, args),
        Command::Generate(args) => demo::run_generate(args),
        Command::Import(args) => import::run(&global, args),
        Command::Customers(command) => customers::run(&global, command),
        Command::Keys(command) => keys::run(&global, command),
        Command::Users(command) => users::run(&global, command),
        Command::Rfm(args) => rfm::run(&global, args),
        Command::Clv(command) => clv::run(&global, command),
        Command::Compute(args) => compute::run(&global, args),
        Command::Bench(command) => bench::run(&global, command),
        Command::Recs(command) => recs::run(&global, command),
        Command::Segments(command) => segments::run(&global, command),
        Command::Coupons(command) => coupons::run(&global, command),
        Command::Playbooks(command) => playbooks::run(&global, command),
        Command::Suppression(command) => playbooks::run_suppression(&global, command),
        Command::Migrate => {
            let store = global.open_store()?;
            let stats = store.stats()?;
            println!(
                "database {} is up to date ({} customers)",
                redact(&global.db),
                stats.customers
            );
            Ok(())
        }
    }
}
