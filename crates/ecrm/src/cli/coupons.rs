//! `ecrm coupons pool create|import|generate|list`

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::GlobalOptions;
use crate::app::now_millis;
use crate::app::playbooks::pools::{create_pool, generate, import_codes, pool_decl_from_json};

#[derive(Debug, Subcommand)]
pub enum CouponsCommand {
    /// Coupon pools: codes with a value, a validity window and a per-customer limit.
    #[command(subcommand)]
    Pool(PoolCommand),
}

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Create a pool (give --amount with --currency, or --percent-off).
    Create {
        name: String,
        #[arg(long, default_value = "")]
        title: String,
        /// Amount off, e.g. 10.00.
        #[arg(long)]
        amount: Option<String>,
        /// ISO 4217 currency of --amount.
        #[arg(long)]
        currency: Option<String>,
        /// Percentage off, 1 to 100.
        #[arg(long)]
        percent_off: Option<u32>,
        /// Each issued code expires this many days after issue.
        #[arg(long)]
        valid_days: Option<u32>,
        /// Issue codes from this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        valid_from: Option<String>,
        /// Issue codes until this date (exclusive); issued codes expire then at the latest.
        #[arg(long)]
        valid_until: Option<String>,
        /// At most this many codes of the pool per customer.
        #[arg(long, default_value_t = 1)]
        per_customer_limit: u32,
        /// Generate this many codes now.
        #[arg(long, default_value_t = 0)]
        generate: u32,
        /// Prefix of generated codes (default: the name's initials).
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Import codes from a file, one per line (or a CSV's first column); bad lines are listed.
    Import {
        name: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Generate codes into a pool.
    Generate {
        name: String,
        #[arg(long)]
        count: u64,
        #[arg(long)]
        prefix: Option<String>,
    },
    /// List pools with their code counts.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(global: &GlobalOptions, command: CouponsCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let CouponsCommand::Pool(command) = command;
    let now = now_millis();
    match command {
        PoolCommand::Create {
            name,
            title,
            amount,
            currency,
            percent_off,
            valid_days,
            valid_from,
            valid_until,
            per_customer_limit,
            generate,
            prefix,
        } => {
            let mut fields = serde_json::json!({ "name": name, "title": title, "per_customer_limit": per_customer_limit, "generate": generate });
            let optional = [
                ("amount", amount.map(serde_json::Value::from)),
                ("currency", currency.map(serde_json::Value::from)),
                ("percent_off", percent_off.map(serde_json::Value::from)),
                ("valid_days", valid_days.map(serde_json::Value::from)),
                ("valid_from", valid_from.map(serde_json::Value::from)),
                ("valid_until", valid_until.map(serde_json::Value::from)),
                ("prefix", prefix.map(serde_json::Value::from)),
            ];
            for (key, value) in optional {
                if let Some(value) = value {
                    fields[key] = value;
                }
            }
            let decl = pool_decl_from_json(fields)?;
            let counts = create_pool(&*store, &decl, "cli", now)?;
            println!(
                "created coupon pool {} ({} codes generated)",
                decl.name, counts.added
            );
        }
        PoolCommand::Import { name, file, json } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let report = import_codes(&*store, &name, &text, "cli", now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{} codes added, {} already in the pool, {} rejected",
                    report.added,
                    report.duplicates,
                    report.rejects.len()
                );
                for reject in &report.rejects {
                    eprintln!(
                        "{}:{}: {:?}: {}",
                        file.display(),
                        reject.line,
                        reject.code,
                        reject.reason
                    );
                }
            }
        }
        PoolCommand::Generate {
            name,
            count,
            prefix,
        } => {
            let counts = generate(&*store, &name, count, prefix.as_deref(), "cli", now)?;
            println!("{} codes generated into {name}", counts.added);
        }
        PoolCommand::List { json } => {
            let pools = store.coupon_pools()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&pools)?);
            } else {
                for pool in pools {
                    let value = match pool.pool.value_kind.as_str() {
                        "percent" => format!("{}% off", pool.pool.value),
                        _ => format!(
                            "{} {} off",
                            ecrm_core::money::format_cents(pool.pool.value),
                            pool.pool.currency.unwrap_or_default()
                        ),
                    };
                    let free = pool.codes_total - pool.codes_issued;
                    println!(
                        "{}\t{value}\t{} issued, {free} free\tlimit {}/customer\t{}",
                        pool.pool.name,
                        pool.codes_issued,
                        pool.pool.per_customer_limit,
                        pool.pool.title
                    );
                }
            }
        }
    }
    Ok(())
}
