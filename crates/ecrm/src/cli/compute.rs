//! `ecrm compute`: recompute RFM, the lifetime-value models and every batch trait.

use clap::Args;
use ecrm_core::analytics::interests::InterestRules;
use ecrm_core::analytics::lifecycle::{LifecycleRules, RiskRules, ValueTierRules};

use super::GlobalOptions;
use super::clv::UnitArg;
use crate::app::intelligence::compute::{ComputeOptions, run_compute};
use crate::app::intelligence::parse_day;
use crate::app::now_millis;

#[derive(Debug, Args)]
pub struct ComputeArgs {
    /// Orders strictly before this day (YYYY-MM-DD, UTC) count; default: the day after the latest order.
    #[arg(long)]
    as_of: Option<String>,
    /// Time unit of the BG/NBD summaries.
    #[arg(long, value_enum, default_value = "day")]
    time_unit: UnitArg,
    /// A first order at most this many days ago makes a customer `new`.
    #[arg(long, default_value_t = LifecycleRules::STANDARD.new_within_days)]
    new_within_days: i64,
    /// More days than this since the last order: `at_risk`.
    #[arg(long, default_value_t = LifecycleRules::STANDARD.at_risk_after_days)]
    at_risk_after_days: i64,
    /// More days than this since the last order: `churned`.
    #[arg(long, default_value_t = LifecycleRules::STANDARD.churned_after_days)]
    churned_after_days: i64,
    /// A gap longer than this before the last order: `reactivated`.
    #[arg(long, default_value_t = LifecycleRules::STANDARD.reactivation_gap_days)]
    reactivation_gap_days: i64,
    /// Days after which an interest signal (view, cart add, purchase) counts half.
    #[arg(long, default_value_t = InterestRules::STANDARD.half_life_days)]
    interest_half_life_days: f64,
    /// Complaint tickets (in the last 365 days) that raise the risk level by one; 0 ignores them.
    #[arg(long, default_value_t = RiskRules::STANDARD.complaints_to_raise)]
    complaints_to_raise: u32,
    #[arg(long)]
    json: bool,
}

pub fn run(global: &GlobalOptions, args: ComputeArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let options = ComputeOptions {
        as_of: args
            .as_of
            .as_deref()
            .map(|text| parse_day("--as-of", text))
            .transpose()?,
        unit: args.time_unit.into(),
        lifecycle: LifecycleRules {
            new_within_days: args.new_within_days,
            at_risk_after_days: args.at_risk_after_days,
            churned_after_days: args.churned_after_days,
            reactivation_gap_days: args.reactivation_gap_days,
        },
        tiers: ValueTierRules::STANDARD,
        risk: RiskRules {
            complaints_to_raise: args.complaints_to_raise,
            ..RiskRules::STANDARD
        },
        interests: interest_rules(args.interest_half_life_days)?,
    };
    let report = run_compute(&*store, &options, now_millis())?;
    follow_and_refresh_console(&*store, report.event_names.clone())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "as of {}: {} customers, {} with repeat purchases",
        report.as_of, report.customers, report.repeat_customers
    );
    match &report.untrusted_reason {
        None => println!("lifetime-value models trusted: clv and value_tier traits written"),
        Some(reason) => println!(
            "lifetime-value models NOT trusted ({reason}): no clv or value_tier traits written"
        ),
    }
    println!(
        "{} traits written ({} changed), run {}; {} prospects",
        report.traits_written, report.traits_changed, report.run_id, report.prospects
    );
    println!(
        "behaviour and interests of {} customers from {} events: {} traits written ({} changed)",
        report.profiles.customers,
        report.profiles.events,
        report.profiles.written,
        report.profiles.changed
    );
    println!("{:<16} {:>9} {:>14}", "phase", "seconds", "peak RSS MiB");
    for phase in &report.phases {
        let rss = phase
            .peak_rss_mib
            .map_or("-".to_string(), |mib| format!("{mib:.0}"));
        println!("{:<16} {:>9.3} {:>14}", phase.name, phase.seconds, rss);
    }
    println!("{:<16} {:>9.3}", "total", report.seconds);
    if report
        .phases
        .iter()
        .any(|phase| phase.name == "events_scan")
    {
        println!("(events_scan ran beside load_lines to write_back; the total is wall time)");
    }
    Ok(())
}

/// After a compute: brings segment memberships up to date and, beside that, computes the
/// console's figures that do not depend on them (purchases, traits, the funnel counted by the
/// compute's events scan); then stores the console snapshot with the segment trends.
///
/// When the catch-up will re-evaluate every segment (a first run, or a backlog too large, as
/// after a compute of many customers), its segment snapshot is loaded first, on both cores; the
/// figures then run on the core the catch-up leaves idle while it evaluates and writes (one
/// SQLite writer), instead of halving the snapshot load's share of the machine.
pub fn follow_and_refresh_console(
    store: &dyn ecrm_store::Store,
    event_names: Vec<ecrm_store::EventNameCount>,
) -> anyhow::Result<()> {
    use crate::app::console::dashboard::{compute_dashboard_counted, store_dashboard};
    use crate::app::segments::{SegmentEngine, builtin, live};
    let now = now_millis();
    let engine = SegmentEngine::for_saved_segments();
    // The built-ins first, so the snapshot holds the traits they read.
    builtin::ensure_builtins(store, now)?;
    // A small backlog reads only its changed customers: nothing to load ahead then.
    if live::catches_up_in_bulk(store)? {
        let started = std::time::Instant::now();
        let customers = engine.snapshot(store)?.len();
        tracing::info!(
            customers,
            seconds = started.elapsed().as_secs_f64(),
            "segment snapshot loaded before the catch-up"
        );
    }
    std::thread::scope(|scope| {
        let figures = scope.spawn(|| {
            let started = std::time::Instant::now();
            let figures = compute_dashboard_counted(store, now, Some(event_names));
            let seconds = started.elapsed().as_secs_f64();
            tracing::info!(
                seconds,
                "console figures computed beside the segment catch-up"
            );
            figures
        });
        let followed =
            super::segments::follow_changes_with(store, &engine, live::TRAITS_RECOMPUTED);
        let figures = figures
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        followed?;
        let started = std::time::Instant::now();
        store_dashboard(store, now, figures?)?;
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(seconds, "console snapshot stored with the segment trends");
        Ok(())
    })
}

/// The interest rules with a half-life from the command line (a positive number of days).
pub fn interest_rules(half_life_days: f64) -> anyhow::Result<InterestRules> {
    if !(half_life_days.is_finite() && half_life_days > 0.0) {
        anyhow::bail!("--interest-half-life-days must be a positive number of days");
    }
    Ok(InterestRules {
        half_life_days,
        ..InterestRules::STANDARD
    })
}

/// Prints a customer's stored traits with their explanations (for `ecrm customers show`).
pub fn print_traits(store: &dyn ecrm_store::Store, customer_id: &str) -> anyhow::Result<()> {
    let traits = crate::app::intelligence::traits::traits_of(store, customer_id)?;
    if traits.is_empty() {
        println!("traits: none yet (run `ecrm compute`)");
        return Ok(());
    }
    println!("traits:");
    for record in traits {
        let explained = crate::app::intelligence::traits::explain_record(store, record)?;
        println!("  {}: {}", explained.record.name, explained.value);
        println!("    why: {}", explained.explanation);
    }
    Ok(())
}
