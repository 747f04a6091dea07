//! `ecrm segments preview|create|list|show|export|update|delete|refresh`

use anyhow::Context;
use clap::Subcommand;
use ecrm_store::Store;

use super::GlobalOptions;
use crate::app::now_millis;
use crate::app::segments::crud::{self, SegmentUpdate};
use crate::app::segments::{SegmentEngine, SegmentInput, builtin, live, preview, read};

#[derive(Debug, Subcommand)]
pub enum SegmentsCommand {
    /// Count and sample the customers a query matches (`--json`: `{"count": N, "sample": [...]}`).
    Preview {
        /// The query, e.g. 'rfm.class = "重要价值客户" and has email'.
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Save a segment and record its members.
    Create { name: String, query: String },
    /// Saved segments with their sizes.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One segment (by name or id).
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Redefine a segment (members are re-evaluated).
    Update { name: String, query: String },
    /// Delete a segment (not a built-in).
    Delete { name: String },
    /// Write a segment's members with their identifiers.
    Export {
        name: String,
        /// CSV on stdout (the only format for now).
        #[arg(long)]
        csv: bool,
    },
    /// Bring memberships up to date with the store's changes (also run after import and compute).
    Refresh {
        /// Re-evaluate every segment for every customer.
        #[arg(long)]
        all: bool,
    },
}

pub fn run(global: &GlobalOptions, command: SegmentsCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let store: &dyn Store = &*store;
    let engine = SegmentEngine::default();
    let now = now_millis();
    builtin::ensure_builtins(store, now)?;
    match command {
        SegmentsCommand::Preview { query, json } => {
            let found = preview(store, &engine, &SegmentInput::text(&query), now)?;
            if json {
                println!("{}", serde_json::to_string(&found)?);
            } else {
                println!("{} customers match", found.count);
                for customer in found.sample {
                    println!(
                        "{}\t{}\t{}",
                        customer.id,
                        customer.name.unwrap_or_default(),
                        customer.email.unwrap_or_default()
                    );
                }
            }
        }
        SegmentsCommand::Create { name, query } => {
            let created = crud::create_segment(
                store,
                &engine,
                &name,
                &SegmentInput::text(&query),
                "cli",
                now,
            )?;
            println!(
                "created segment {} ({}) with {} members",
                created.name, created.id, created.size
            );
        }
        SegmentsCommand::List { json } => {
            let segments = crud::list_segments(store, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&segments)?);
            } else {
                for segment in segments {
                    let trend = i128::from(segment.entered_7d) - i128::from(segment.exited_7d);
                    println!(
                        "{}\t{}\t{}\t{:+}\t{}",
                        segment.id, segment.name, segment.size, trend, segment.query
                    );
                }
            }
        }
        SegmentsCommand::Show { name, json } => {
            let segment = crud::get_segment(store, &name, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&segment)?);
            } else {
                println!("{} ({}): {}", segment.name, segment.title, segment.query);
                println!(
                    "{} members ({:+} entered, -{} exited in 7 days)",
                    segment.size, segment.entered_7d, segment.exited_7d
                );
            }
        }
        SegmentsCommand::Update { name, query } => {
            let update = SegmentUpdate {
                query: Some(query),
                ..SegmentUpdate::default()
            };
            let updated = crud::update_segment(store, &engine, &name, &update, "cli", now)?;
            println!("updated segment {}: {} members", updated.name, updated.size);
        }
        SegmentsCommand::Delete { name } => {
            crud::delete_segment(store, &name, "cli", now)?;
            println!("deleted segment {name}");
        }
        SegmentsCommand::Export { name, csv } => {
            if !csv {
                anyhow::bail!("give --csv (the only export format)");
            }
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            out.write_record([
                "customer_id",
                "name",
                "email",
                "phone",
                "country",
                "entered_at",
            ])?;
            let mut failed = None;
            read::export_rows(store, &name, &mut |row| {
                let record = [
                    row.customer_id,
                    row.name.unwrap_or_default(),
                    row.email.unwrap_or_default(),
                    row.phone.unwrap_or_default(),
                    row.country.unwrap_or_default(),
                    ecrm_core::time::format_millis(row.entered_at),
                ];
                if let Err(err) = out.write_record(&record) {
                    failed = Some(err);
                }
                Ok(())
            })?;
            if let Some(err) = failed {
                return Err(err).context("cannot write the export");
            }
            out.flush()?;
        }
        SegmentsCommand::Refresh { all } => {
            let recorded = if all {
                live::refresh_all(store, &engine, live::DEFINITION_CHANGED, now)?
            } else {
                live::catch_up(store, &engine, live::IMPORT, now)?
            };
            println!("{recorded} segment entries and exits recorded");
        }
    }
    Ok(())
}

/// Brings segment memberships up to date after a command changed the store (the same path the
/// worker in `ecrm serve` takes); the count goes to stderr so `--json` output stays clean.
pub fn follow_changes(store: &dyn Store, bulk_cause: &str) -> anyhow::Result<()> {
    follow_changes_with(store, &SegmentEngine::for_saved_segments(), bulk_cause)
}

/// [`follow_changes`] with an engine whose snapshot may already be loaded (it is reused when
/// nothing changed since).
pub fn follow_changes_with(
    store: &dyn Store,
    engine: &SegmentEngine,
    bulk_cause: &str,
) -> anyhow::Result<()> {
    let recorded = live::catch_up(store, engine, bulk_cause, now_millis())
        .context("cannot update segment memberships")?;
    eprintln!("segments: {recorded} entries and exits recorded");
    Ok(())
}
