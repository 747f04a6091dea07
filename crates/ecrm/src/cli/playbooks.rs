//! `ecrm playbooks list|validate|dry-run|run` and `ecrm suppression export`

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::GlobalOptions;
use crate::app::now_millis;
use crate::app::playbooks::config::{configured_text, load_checked};
use crate::app::playbooks::engine::{dry_run, member_pass, process_changes};
use crate::app::playbooks::pools::ensure_pools;
use crate::app::playbooks::suppression::export_csv;

#[derive(Debug, Subcommand)]
pub enum PlaybooksCommand {
    /// List the playbooks in force (the file, else those set through the API, else the defaults).
    List {
        #[arg(long, env = "ECRM_PLAYBOOKS")]
        playbooks: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Check a playbooks.toml: syntax, fields, and the segments and coupon pools it names.
    Validate { file: PathBuf },
    /// Show what a playbook would do to its segment's current members, without doing it.
    DryRun {
        name: String,
        #[arg(long, env = "ECRM_PLAYBOOKS")]
        playbooks: Option<PathBuf>,
        /// Customers listed per action.
        #[arg(long, default_value_t = 10)]
        sample: usize,
        #[arg(long)]
        json: bool,
    },
    /// Run the playbooks now on recorded segment changes and the "while member" pass (what
    /// `ecrm serve` does continuously; use after `ecrm compute` or imports).
    Run {
        #[arg(long, env = "ECRM_PLAYBOOKS")]
        playbooks: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SuppressionCommand {
    /// Write the paid-ads suppression list as CSV (with SHA-256 hashed email and phone).
    Export {
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(global: &GlobalOptions, command: PlaybooksCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    match command {
        PlaybooksCommand::List { playbooks, json } => {
            let (text, origin) = configured_text(&*store, playbooks.as_deref())?;
            let set = load_checked(&*store, &text, &origin)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&set)?);
            } else {
                eprintln!("playbooks from {origin}");
                for p in &set.playbooks {
                    let state = if p.enabled { "" } else { " (disabled)" };
                    println!(
                        "{}\t{}\ton_enter {} / on_exit {} / while_member {} every {}d\t{}{state}",
                        p.name,
                        p.segment,
                        p.on_enter.len(),
                        p.on_exit.len(),
                        p.while_member.len(),
                        p.every_days,
                        p.title
                    );
                }
            }
        }
        PlaybooksCommand::Validate { file } => {
            let origin = file.display().to_string();
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {origin}"))?;
            let set = load_checked(&*store, &text, &origin)?;
            println!(
                "{origin}: {} playbooks and {} coupon pools are valid",
                set.playbooks.len(),
                set.pools.len()
            );
        }
        PlaybooksCommand::DryRun {
            name,
            playbooks,
            sample,
            json,
        } => {
            let (text, origin) = configured_text(&*store, playbooks.as_deref())?;
            let set = load_checked(&*store, &text, &origin)?;
            let playbook = set
                .playbook(&name)
                .with_context(|| format!("no playbook {name:?} in {origin}"))?;
            let run = dry_run(&*store, playbook, now_millis(), sample)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                println!(
                    "{} on segment {}: {} members (dry run, nothing done)",
                    run.playbook, run.segment, run.members
                );
                for action in &run.actions {
                    println!(
                        "  {}\t{}\twould run for {}, already done for {}\te.g. {}",
                        action.trigger,
                        action.action,
                        action.would_run,
                        action.already_done,
                        action.sample.join(", ")
                    );
                }
            }
        }
        PlaybooksCommand::Run { playbooks } => {
            let (text, origin) = configured_text(&*store, playbooks.as_deref())?;
            let set = load_checked(&*store, &text, &origin)?;
            let now = now_millis();
            ensure_pools(&*store, &set.pools, "cli", now)?;
            let changes = process_changes(&*store, &set, now, 0)?;
            let pass = member_pass(&*store, &set, now)?;
            println!(
                "{} segment changes: {} actions done, {} skipped, {} already done; member pass: {} done, {} skipped",
                changes.changes,
                changes.done,
                changes.skipped,
                changes.already_done,
                pass.done,
                pass.skipped
            );
        }
    }
    Ok(())
}

pub fn run_suppression(global: &GlobalOptions, command: SuppressionCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let SuppressionCommand::Export { out } = command;
    let count = match out {
        Some(path) => {
            let mut file = std::fs::File::create(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            export_csv(&*store, &mut file)?
        }
        None => export_csv(&*store, &mut std::io::stdout().lock())?,
    };
    eprintln!("{count} customers on the suppression list");
    Ok(())
}
