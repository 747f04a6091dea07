//! `ecrm rfm`: RFM scores as of a day, with thresholds and class/segment shares.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use ecrm_core::analytics::{RfmThresholds, ScoreRange, rfm_export_lines};
use serde_json::{Value, json};

use super::GlobalOptions;
use crate::app::intelligence::parse_day;
use crate::app::intelligence::rfm::{RfmReport, run_rfm};

#[derive(Debug, Args)]
pub struct RfmArgs {
    /// Orders strictly before this day (YYYY-MM-DD, UTC) count; default: the day after the latest order.
    #[arg(long)]
    as_of: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Write `customer_id,recency_days,frequency,monetary_cents,R,F,M` lines in customer-id order.
    #[arg(long)]
    export: Option<PathBuf>,
}

pub fn run(global: &GlobalOptions, args: RfmArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let as_of = args
        .as_of
        .as_deref()
        .map(|text| parse_day("--as-of", text))
        .transpose()?;
    let report = run_rfm(&*store, as_of)?;
    if let Some(path) = &args.export {
        std::fs::write(path, rfm_export_lines(&report.rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
    } else {
        print_report(&report);
    }
    if let Some(path) = &args.export {
        eprintln!(
            "wrote {} customers to {}",
            report.rows.len(),
            path.display()
        );
    }
    Ok(())
}

fn ranges_json(ranges: &[Option<ScoreRange>; 5]) -> Value {
    ranges
        .iter()
        .enumerate()
        .map(|(index, range)| match range {
            Some(r) => {
                json!({"score": index + 1, "min": r.min, "max": r.max, "customers": r.customers})
            }
            None => json!({"score": index + 1, "customers": 0}),
        })
        .collect()
}

fn thresholds_json(thresholds: &RfmThresholds) -> Value {
    json!({
        "recency_days": ranges_json(&thresholds.recency_days),
        "frequency": ranges_json(&thresholds.frequency),
        "monetary_cents": ranges_json(&thresholds.monetary_cents),
    })
}

fn report_json(report: &RfmReport) -> Value {
    let summary = &report.summary;
    let share = |mut name: Value, customers: u64, monetary_cents: i64, revenue_share: f64| {
        if let Some(target) = name.as_object_mut() {
            target.insert("customers".into(), json!(customers));
            target.insert(
                "customer_share".into(),
                json!(ratio(customers, summary.customers)),
            );
            target.insert("monetary_cents".into(), json!(monetary_cents));
            target.insert("revenue_share".into(), json!(revenue_share));
        }
        name
    };
    json!({
        "as_of": report.as_of.to_string(),
        "customers": summary.customers,
        "monetary_cents": summary.monetary_cents,
        "thresholds": thresholds_json(&report.thresholds),
        "classes": summary.classes.iter().map(|c| share(
            json!({"class": c.group.chinese_name(), "class_en": c.group.english_name()}), c.customers, c.monetary_cents, c.revenue_share)).collect::<Vec<_>>(),
        "segments": summary.segments.iter().map(|s| share(json!({"segment": s.group.name()}), s.customers, s.monetary_cents, s.revenue_share)).collect::<Vec<_>>(),
        "load_seconds": report.load_seconds,
        "compute_seconds": report.compute_seconds,
    })
}

fn ratio(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

fn print_report(report: &RfmReport) {
    let summary = &report.summary;
    println!(
        "RFM as of {} (orders before that day): {} customers, net revenue {:.2}",
        report.as_of,
        summary.customers,
        summary.monetary_cents as f64 / 100.0
    );
    println!("\nscore thresholds (min..max per score, customers):");
    let dims = [
        ("R recency days", &report.thresholds.recency_days),
        ("F orders", &report.thresholds.frequency),
        ("M net cents", &report.thresholds.monetary_cents),
    ];
    for (name, ranges) in dims {
        let cells: Vec<String> = ranges
            .iter()
            .enumerate()
            .map(|(index, range)| match range {
                Some(r) => format!("{}: {}..{} ({})", index + 1, r.min, r.max, r.customers),
                None => format!("{}: -", index + 1),
            })
            .collect();
        println!("  {name:<16} {}", cells.join("  "));
    }
    println!("\nvalue classes:");
    for class in &summary.classes {
        println!(
            "  {} {:<22} {:>9} customers {:>6.2}%  revenue {:>6.2}%",
            class.group.chinese_name(),
            class.group.english_name(),
            class.customers,
            100.0 * ratio(class.customers, summary.customers),
            100.0 * class.revenue_share
        );
    }
    println!("\nR×F segments:");
    for segment in &summary.segments {
        println!(
            "  {:<22} {:>9} customers {:>6.2}%  revenue {:>6.2}%",
            segment.group.name(),
            segment.customers,
            100.0 * ratio(segment.customers, summary.customers),
            100.0 * segment.revenue_share
        );
    }
    println!(
        "\nload {:.3} s, compute {:.3} s",
        report.load_seconds, report.compute_seconds
    );
}
