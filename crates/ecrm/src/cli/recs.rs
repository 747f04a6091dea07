//! `ecrm recs`: offline evaluation, training a versioned model, and showing a customer's recommendations.

use clap::{Args, Subcommand};
use ecrm_core::recommend::SplitRule;
use ecrm_core::time::date_to_millis;

use super::GlobalOptions;
use crate::app::intelligence::parse_day;
use crate::app::now_millis;
use crate::app::recs::eval::{EvalReport, evaluate};
use crate::app::recs::model::train_and_store;
use crate::app::recs::serve::{RecsCache, ServingRules};
use crate::app::recs::{RecsParams, recommendations_for};

#[derive(Debug, Subcommand)]
pub enum RecsCommand {
    /// Train on a split, print Recall@K, NDCG@K, MAP@K, hit rate, coverage and training seconds.
    Eval(EvalArgs),
    /// Train the default recommender on all customer orders and store it as a new version.
    Train(TrainArgs),
    /// A customer's recommendations from the latest stored model, with reasons.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    params: ParamArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Customer id or identifier (`email:ann@example.com`).
    identifier: String,
    /// How many items.
    #[arg(long, default_value_t = 10)]
    n: usize,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Hyper-parameters shared by `eval` and `train`.
#[derive(Debug, Clone, Args)]
pub struct ParamArgs {
    /// ALS latent factors.
    #[arg(long, default_value_t = 64)]
    factors: usize,
    /// ALS iterations.
    #[arg(long, default_value_t = 15)]
    iterations: usize,
    /// ALS L2 regularisation.
    #[arg(long, default_value_t = 0.01)]
    regularization: f32,
    /// ALS confidence multiplier (confidence = alpha × number of orders with the item).
    #[arg(long, default_value_t = 1.0)]
    alpha: f32,
    /// Seed of the initial factors.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Neighbours kept per item (item-to-item).
    #[arg(long, default_value_t = 100)]
    neighbours: usize,
    /// Half-life in days of a bought item's weight in item-to-item scores (0 = no decay).
    #[arg(long, default_value_t = 14.0)]
    half_life_days: f64,
    /// Half-life in days of the recency boost of the blend's ALS confidences (0 = the plain ALS).
    #[arg(long, default_value_t = 14.0)]
    als_half_life_days: f64,
    /// ALS confidence of one tracked product view (`recs train`; times 1 + dwell minutes, capped at 5).
    #[arg(long, default_value_t = 0.1)]
    view_weight: f32,
    /// ALS confidence of one cart add (`recs train`).
    #[arg(long, default_value_t = 0.3)]
    cart_weight: f32,
    /// Weight of ALS in the default blend.
    #[arg(long, default_value_t = 1.0)]
    blend_als: f32,
    /// Weight of item-to-item in the default blend.
    #[arg(long, default_value_t = 0.75)]
    blend_knn: f32,
    /// Weight of "trending when the customer last bought" in the default blend.
    #[arg(long, default_value_t = 0.25)]
    blend_trend: f32,
    /// Half-life in days of the trending scores.
    #[arg(long, default_value_t = 7.0)]
    trend_half_life_days: f64,
}

impl ParamArgs {
    fn params(&self) -> RecsParams {
        let threads = match self.threads {
            0 => std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1),
            n => n,
        };
        RecsParams {
            factors: self.factors,
            iterations: self.iterations,
            regularization: self.regularization,
            alpha: self.alpha,
            seed: self.seed,
            neighbours: self.neighbours,
            half_life_days: self.half_life_days,
            als_half_life_days: self.als_half_life_days,
            view_weight: self.view_weight,
            cart_weight: self.cart_weight,
            blend_als: self.blend_als,
            blend_knn: self.blend_knn,
            blend_trend: self.blend_trend,
            trend_half_life_days: self.trend_half_life_days,
            ..RecsParams::standard(threads)
        }
    }
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// `last-basket` (leave each customer's last order out) or `time:YYYY-MM-DD` (train before the day).
    #[arg(long, default_value = "last-basket")]
    split: String,
    /// Recommendations per customer.
    #[arg(long, default_value_t = 10)]
    k: usize,
    #[command(flatten)]
    params: ParamArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(global: &GlobalOptions, command: RecsCommand) -> anyhow::Result<()> {
    match command {
        RecsCommand::Train(args) => {
            let store = global.open_store()?;
            let summary = train_and_store(&*store, &args.params.params(), now_millis())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "stored recommendation model version {}: {} customers x {} products from {} lines and {} views/cart adds ({} bytes); load {:.2} s, train {:.2} s",
                    summary.version,
                    summary.users,
                    summary.items,
                    summary.lines,
                    summary.interactions,
                    summary.bytes,
                    summary.load_seconds,
                    summary.train_seconds
                );
            }
            Ok(())
        }
        RecsCommand::Show(args) => {
            let store = global.open_store()?;
            let list = recommendations_for(
                &*store,
                &RecsCache::default(),
                &rules(),
                &args.identifier,
                global.region()?,
                args.n,
                args.category.as_deref(),
                now_millis(),
            )?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{} recommendations (model version {})",
                    list.strategy, list.model_version
                );
                for (rank, item) in list.items.iter().enumerate() {
                    println!(
                        "{:>3}. {:<14} {:<40} {}",
                        rank + 1,
                        item.product_id,
                        item.name.as_deref().unwrap_or(""),
                        item.reason
                    );
                }
            }
            Ok(())
        }
        RecsCommand::Eval(args) => {
            let store = global.open_store()?;
            let rule = parse_split(&args.split)?;
            let report = evaluate(&*store, rule, args.k, &args.params.params())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_eval(&report);
            }
            Ok(())
        }
    }
}

fn parse_split(text: &str) -> anyhow::Result<SplitRule> {
    if text == "last-basket" {
        return Ok(SplitRule::LastBasket);
    }
    match text.strip_prefix("time:") {
        Some(day) => Ok(SplitRule::Before(date_to_millis(parse_day(
            "--split", day,
        )?))),
        None => anyhow::bail!("--split must be last-basket or time:YYYY-MM-DD, got {text:?}"),
    }
}

fn print_eval(report: &EvalReport) {
    let s = &report.split;
    println!(
        "split: {} clean lines ({} skipped), {} customers, {} orders; train {} lines, test {} lines",
        s.lines, s.skipped_lines, s.customers, s.orders, s.train_lines, s.test_lines
    );
    println!(
        "train matrix: {} users x {} items, {} values; {} customers evaluated ({:.2} relevant items each)",
        s.users, s.items, s.train_nnz, s.eval_users, s.mean_relevant
    );
    println!(
        "load {:.2} s, split {:.2} s",
        report.load_seconds, report.split_seconds
    );
    let k = report.k;
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>11} {:>9} {:>8} {:>8}",
        "model",
        format!("Recall@{k}"),
        format!("NDCG@{k}"),
        format!("MAP@{k}"),
        format!("HitRate@{k}"),
        "coverage",
        "train s",
        "rank s"
    );
    for m in &report.models {
        let x = &m.metrics;
        println!(
            "{:<14} {:>10.4} {:>10.4} {:>10.4} {:>11.3} {:>9.3} {:>8.2} {:>8.2}",
            m.model,
            x.recall,
            x.ndcg,
            x.map,
            x.hit_rate,
            x.coverage,
            m.train_seconds,
            m.recommend_seconds
        );
    }
}

/// The serving rules, with the lists from the environment.
fn rules() -> ServingRules {
    ServingRules::from_env(|name| std::env::var(name).ok())
}
