//! `ecrm import KIND FILE...`

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use ecrm_core::money::parse_currency;
use ecrm_core::time::DateFormat;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::GlobalOptions;
use crate::app::import::{
    Format, ImportKind, ImportOptions, ImportSummary, parse_map_arg, run_import,
};
use crate::app::write_context;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the files hold.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// Files to import, in order (CSV, TSV, whitespace-separated text or JSONL; plain or .gz).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Our field names to the file's columns: `customer_id=CustomerID,ordered_at=InvoiceDate`
    /// (or 1-based positions with --no-header). Unmapped fields match columns of the same name.
    #[arg(long)]
    pub map: Option<String>,
    /// The files have no header row.
    #[arg(long)]
    pub no_header: bool,
    /// Field separator: `,` `\t` `;` `|` `whitespace` or `jsonl` (default: from the file name).
    #[arg(long)]
    pub delimiter: Option<String>,
    /// strftime format of dates, e.g. `%d/%m/%Y %H:%M` (default: ISO 8601 or YYYYMMDD).
    #[arg(long)]
    pub date_format: Option<String>,
    /// Currency of amounts without a currency column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Order ids starting with this prefix are cancellations/returns (e.g. `C`).
    #[arg(long)]
    pub cancel_prefix: Option<String>,
    /// Where to write rejected rows (default `ecrm-rejects-KIND.csv`).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Rows per transaction.
    #[arg(long, default_value_t = 20_000)]
    pub batch_rows: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalOptions, args: ImportArgs) -> anyhow::Result<()> {
    let format = match args.delimiter.as_deref() {
        Some(text) => match Format::parse(text) {
            Some(format) => Some(format),
            None => bail!("--delimiter {text:?}: use , \\t ; | whitespace or jsonl"),
        },
        None => None,
    };
    let map = match args.map.as_deref() {
        Some(text) => parse_map_arg(text)?,
        None => Vec::new(),
    };
    let source = format!(
        "import:{}",
        args.files
            .first()
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    let options = ImportOptions {
        kind: args.kind,
        format,
        no_header: args.no_header,
        map,
        date_format: args
            .date_format
            .map(DateFormat::Strftime)
            .unwrap_or(DateFormat::Auto),
        currency: parse_currency(&args.currency)?,
        cancel_prefix: args.cancel_prefix,
        phone_region: global.region()?,
        rejects_path: args.rejects,
        batch_rows: args.batch_rows.max(1),
        write: write_context(&source, &global.limits()),
    };
    let store = global.open_store()?;
    let bar = ProgressBar::new_spinner();
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    let summary = run_import(&*store, &args.files, &options, &|rows| {
        bar.set_message(format!("{rows} rows read"))
    })?;
    bar.finish_and_clear();
    super::segments::follow_changes(&*store, crate::app::segments::live::IMPORT)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(())
}

fn print_summary(summary: &ImportSummary) {
    let created = &summary.created;
    println!("files:                {}", summary.files);
    println!("rows read:            {}", summary.rows_read);
    println!("rows accepted:        {}", summary.rows_accepted);
    println!("rows rejected:        {}", summary.rows_rejected);
    println!("orders created:       {}", created.orders_created);
    println!("order lines created:  {}", created.order_lines_created);
    println!("refunds created:      {}", created.refunds_created);
    println!("guest orders created: {}", created.guest_orders_created);
    println!("customers created:    {}", created.customers_created);
    println!("customers merged:     {}", created.customers_merged);
    println!(
        "products created:     {} (updated {})",
        created.products_created, created.products_updated
    );
    println!(
        "events created:       {} (duplicates skipped {})",
        created.events_created, created.duplicates_skipped
    );
    if summary.derived_order_ids {
        println!(
            "note: the file has no order id column; each row became one order with an id derived from its row number and content"
        );
    }
    if let Some(path) = &summary.rejects_file {
        println!("rejected rows:        {path}");
    }
    println!(
        "time:                 {:.2} s ({:.0} rows/s)",
        summary.seconds, summary.rows_per_second
    );
}
