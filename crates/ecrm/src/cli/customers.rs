//! `ecrm customers show|list|merges|unmerge`

use clap::Subcommand;
use ecrm_core::money::format_cents;
use ecrm_core::time::format_millis;
use ecrm_store::AuditEntry;

use super::GlobalOptions;
use crate::app::customers::{customer_view, find_customer, search_customers};
use crate::app::intelligence::traits::traits_of;
use crate::app::{now_millis, write_context};
use crate::http::views::CustomerView;

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// The 360° view of a customer: IDENT is a customer id or `email:…`, `phone:…`, `anonymous_id:…`.
    Show {
        ident: String,
        #[arg(long, default_value_t = 5)]
        orders: usize,
        #[arg(long, default_value_t = 20)]
        timeline: usize,
        #[arg(long)]
        json: bool,
    },
    /// List customers, or search by identifier or name prefix.
    List {
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        after: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// The merge history of a customer.
    Merges { ident: String },
    /// Undo a merge (by its id from `merges`); its two sides are kept apart from now on.
    Unmerge { merge_id: i64 },
}

pub fn run(global: &GlobalOptions, command: CustomersCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let region = global.region()?;
    match command {
        CustomersCommand::Show {
            ident,
            orders,
            timeline,
            json,
        } => {
            let (view, entries) = customer_view(&*store, &ident, region, orders, timeline)?;
            let view = CustomerView::new(view, entries, timeline);
            let view = {
                let traits = traits_of(&*store, &view.customer.id)?;
                view.with_traits(traits)
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_view(&view);
                super::compute::print_traits(&*store, &view.customer.id)?;
            }
        }
        CustomersCommand::List {
            search,
            after,
            limit,
            json,
        } => {
            let (items, _more) =
                search_customers(&*store, search.as_deref(), after, limit, region)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for item in items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        item.id,
                        item.name.unwrap_or_default(),
                        item.email.unwrap_or_default(),
                        item.phone.unwrap_or_default(),
                        item.country.unwrap_or_default()
                    );
                }
            }
        }
        CustomersCommand::Merges { ident } => {
            let customer_id = find_customer(&*store, &ident, region)?;
            for merge in store.merge_history(&customer_id)? {
                let undone = merge
                    .undone_at
                    .map(|at| format!(" (undone {})", format_millis(at)))
                    .unwrap_or_default();
                println!(
                    "{}\t{} -> {}\t{}\t{}{undone}",
                    merge.id,
                    merge.from_customer,
                    merge.into_customer,
                    format_millis(merge.merged_at),
                    merge.cause
                );
            }
        }
        CustomersCommand::Unmerge { merge_id } => {
            let ctx = write_context("cli:unmerge", &global.limits());
            let customers = store.unmerge(merge_id, &ctx)?;
            store.append_audit(&AuditEntry {
                at: now_millis(),
                actor: "cli".to_string(),
                action: "customers.unmerge".to_string(),
                target: format!("merge:{merge_id}"),
                detail: serde_json::json!({ "customers": customers }),
            })?;
            println!(
                "merge {merge_id} undone; customers now: {}",
                customers.join(", ")
            );
        }
    }
    Ok(())
}

fn print_view(view: &CustomerView) {
    let customer = &view.customer;
    println!("customer {}", customer.id);
    for (label, value) in [
        ("name", &customer.name),
        ("country", &customer.country),
        ("city", &customer.city),
    ] {
        if let Some(value) = value {
            println!("  {label}: {value}");
        }
    }
    println!("identifiers:");
    for identifier in &view.identifiers {
        println!(
            "  {}:{}  (source {}, first seen {}, last seen {})",
            identifier.kind,
            identifier.value,
            identifier.source,
            identifier.first_seen,
            identifier.last_seen
        );
    }
    let summary = &view.order_summary;
    println!(
        "orders: {} (refunds {}), revenue {}, refunded {}, net {}",
        summary.orders,
        summary.refunds,
        format_cents(summary.revenue_cents),
        format_cents(summary.refunded_cents),
        format_cents(summary.net_cents)
    );
    if let (Some(first), Some(last)) = (&summary.first_order_at, &summary.last_order_at) {
        println!("  first order {}, last order {}", first, last);
    }
    println!("latest orders:");
    for order in &view.latest_orders {
        println!(
            "  {} {} {} {} ({} lines)",
            order.ordered_at,
            order.kind,
            order.order_id,
            format_cents(order.total_cents),
            order.lines.len()
        );
    }
    println!("timeline:");
    for entry in &view.timeline {
        println!(
            "  {} {} {} {}",
            entry.at,
            entry.kind,
            entry.title,
            entry.channel.clone().unwrap_or_default()
        );
    }
    if !view.merges.is_empty() {
        println!("merges:");
        for merge in &view.merges {
            println!(
                "  #{} {} -> {} at {}",
                merge.id, merge.from_customer, merge.into_customer, merge.merged_at
            );
        }
    }
}
