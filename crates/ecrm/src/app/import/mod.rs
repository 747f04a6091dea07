//! Bulk import of orders, customers, products and events from files: streaming, batched, with a
//! rejects file naming the line, field and reason of every row that was not kept.

mod mapping;
mod rejects;
mod rows;
mod source;

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use anyhow::{Context, bail};
use ecrm_core::event::{MessageOptions, parse_message};
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::DateFormat;
use ecrm_store::{EventInput, Store, WriteContext, WriteCounts};
use serde::Serialize;

use mapping::ColumnMap;
pub use mapping::parse_map_arg;
use rejects::RejectWriter;
pub use source::Format;
use source::{Record, RecordReader, open_decoded};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    Orders,
    Customers,
    Products,
    Events,
}

/// How to read the files.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub kind: ImportKind,
    /// `None`: guessed from each file name.
    pub format: Option<Format>,
    pub no_header: bool,
    pub map: Vec<(String, String)>,
    pub date_format: DateFormat,
    pub currency: String,
    /// Order ids starting with this are cancellations/returns (the retail dataset's `C`).
    pub cancel_prefix: Option<String>,
    pub phone_region: PhoneRegion,
    /// Where rejected rows go; default `ecrm-rejects-<kind>.csv` in the working directory.
    pub rejects_path: Option<PathBuf>,
    pub batch_rows: usize,
    pub write: WriteContext,
}

/// What one import run read and created.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub files: usize,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    #[serde(flatten)]
    pub created: WriteCounts,
    /// True when order ids were derived from row number and content (the file had no order id).
    pub derived_order_ids: bool,
    pub rejects_file: Option<String>,
    pub seconds: f64,
    pub rows_per_second: f64,
}

/// A batch of parsed rows on its way to the store.
enum Batch {
    Orders(Vec<ecrm_core::order::OrderLine>),
    Customers(Vec<ecrm_store::CustomerInput>),
    Products(Vec<ecrm_store::ProductInput>),
    Events(Vec<EventInput>, Vec<ecrm_store::CustomerInput>),
}

/// Imports `files` in order. Parsing runs on one thread and writing on another; each batch is one
/// transaction. `progress` is called with the rows read so far.
pub fn run_import(
    store: &dyn Store,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let mut maps = Vec::new();
    for path in files {
        maps.push(prepare_file(path, options)?);
    }
    let rejects_path = options.rejects_path.clone().unwrap_or_else(|| {
        PathBuf::from(format!("ecrm-rejects-{:?}.csv", options.kind).to_lowercase())
    });
    let mut rejects = RejectWriter::new(rejects_path);
    let mut summary = ImportSummary {
        files: files.len(),
        ..ImportSummary::default()
    };
    let (sender, receiver) = sync_channel::<Batch>(2);
    let written = std::thread::scope(|scope| -> anyhow::Result<WriteCounts> {
        let writer = scope.spawn(move || -> anyhow::Result<WriteCounts> {
            let mut counts = WriteCounts::default();
            for batch in receiver {
                counts.add(&write_batch(store, batch, &options.write)?);
            }
            Ok(counts)
        });
        let read_result = (|| -> anyhow::Result<()> {
            for (path, map) in files.iter().zip(&maps) {
                read_file(
                    path,
                    map.as_ref(),
                    options,
                    &mut summary,
                    &mut rejects,
                    &sender,
                    progress,
                )?;
            }
            Ok(())
        })();
        drop(sender);
        let counts = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the writer thread panicked"))??;
        read_result?;
        Ok(counts)
    })?;
    summary.created = written;
    summary.rejects_file = rejects.finish()?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rows_per_second = summary.rows_read as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// Reads the header and resolves the column mapping, failing before any row is read.
fn prepare_file(path: &Path, options: &ImportOptions) -> anyhow::Result<Option<ColumnMap>> {
    let format = options.format.unwrap_or_else(|| Format::guess(path));
    if options.kind == ImportKind::Events {
        if format != Format::JsonLines {
            bail!(
                "{}: events are imported from JSONL (one Segment message per line)",
                path.display()
            );
        }
        return Ok(None);
    }
    if format == Format::JsonLines {
        bail!(
            "{}: {:?} are imported from CSV/TSV/whitespace files",
            path.display(),
            options.kind
        );
    }
    let header = if options.no_header {
        None
    } else {
        let mut reader = RecordReader::new(open_decoded(path)?, format);
        match reader.next_record()? {
            Some(Record::Fields { fields, .. }) => Some(fields),
            Some(Record::Broken { reason, .. }) => {
                bail!("{}: cannot read the header: {reason}", path.display())
            }
            Some(Record::Json { .. }) | None => bail!("{}: the file is empty", path.display()),
        }
    };
    let fields = match options.kind {
        ImportKind::Orders => rows::ORDER_FIELDS,
        ImportKind::Customers => rows::CUSTOMER_FIELDS,
        ImportKind::Products => rows::PRODUCT_FIELDS,
        ImportKind::Events => &[],
    };
    let map = ColumnMap::resolve(fields, &options.map, header.as_deref())
        .with_context(|| path.display().to_string())?;
    let check = match options.kind {
        ImportKind::Orders => rows::check_order_columns(&map),
        ImportKind::Customers => rows::check_customer_columns(&map),
        ImportKind::Products => rows::check_product_columns(&map),
        ImportKind::Events => Ok(()),
    };
    check.with_context(|| format!("{}", path.display()))?;
    Ok(Some(map))
}

fn read_file(
    path: &Path,
    map: Option<&ColumnMap>,
    options: &ImportOptions,
    summary: &mut ImportSummary,
    rejects: &mut RejectWriter,
    sender: &std::sync::mpsc::SyncSender<Batch>,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<()> {
    let format = options.format.unwrap_or_else(|| Format::guess(path));
    let mut reader = RecordReader::new(open_decoded(path)?, format);
    if !options.no_header && map.is_some() {
        reader.next_record()?;
    }
    if options.kind == ImportKind::Orders && map.is_some_and(|m| !m.has("order_id")) {
        summary.derived_order_ids = true;
    }
    let mut batch = new_batch(options.kind, options.batch_rows);
    let file_name = path.display().to_string();
    while let Some(record) = reader.next_record()? {
        summary.rows_read += 1;
        let (line, outcome) = match record {
            Record::Broken { line, reason } => (line, Err((String::new(), reason))),
            Record::Fields {
                line,
                fields,
                invalid,
            } => (
                line,
                accept_fields(&mut batch, map, &fields, &invalid, line, options),
            ),
            Record::Json { line, value } => (line, accept_json(&mut batch, &value, line, options)),
        };
        match outcome {
            Ok(()) => summary.rows_accepted += 1,
            Err((field, reason)) => {
                summary.rows_rejected += 1;
                rejects.write(&file_name, line, &field, &reason)?;
            }
        }
        if batch_len(&batch) >= options.batch_rows {
            let full = std::mem::replace(&mut batch, new_batch(options.kind, options.batch_rows));
            sender
                .send(full)
                .map_err(|_| anyhow::anyhow!("the writer stopped"))?;
            progress(summary.rows_read);
        }
    }
    if batch_len(&batch) > 0 {
        sender
            .send(batch)
            .map_err(|_| anyhow::anyhow!("the writer stopped"))?;
    }
    progress(summary.rows_read);
    Ok(())
}

fn new_batch(kind: ImportKind, capacity: usize) -> Batch {
    match kind {
        ImportKind::Orders => Batch::Orders(Vec::with_capacity(capacity)),
        ImportKind::Customers => Batch::Customers(Vec::with_capacity(capacity)),
        ImportKind::Products => Batch::Products(Vec::with_capacity(capacity)),
        ImportKind::Events => Batch::Events(Vec::with_capacity(capacity), Vec::new()),
    }
}

fn batch_len(batch: &Batch) -> usize {
    match batch {
        Batch::Orders(rows) => rows.len(),
        Batch::Customers(rows) => rows.len(),
        Batch::Products(rows) => rows.len(),
        Batch::Events(rows, _) => rows.len(),
    }
}

type RowOutcome = Result<(), (String, String)>;

fn accept_fields(
    batch: &mut Batch,
    map: Option<&ColumnMap>,
    fields: &[String],
    invalid: &[usize],
    line: u64,
    options: &ImportOptions,
) -> RowOutcome {
    let Some(map) = map else {
        return Err((String::new(), "expected a JSON line".to_string()));
    };
    if let Some(field) = invalid.iter().find_map(|column| map.field_at(*column)) {
        return Err((field.to_string(), "is not valid UTF-8".to_string()));
    }
    if let Some(field) = map.missing_column(fields) {
        let reason = format!(
            "the row has {} columns; this field's column is missing",
            fields.len()
        );
        return Err((field.to_string(), reason));
    }
    let owned = |(field, reason): rows::FieldError| (field.to_string(), reason);
    match batch {
        Batch::Orders(rows) => {
            rows.push(rows::order_line(map, fields, line, options).map_err(owned)?)
        }
        Batch::Customers(rows) => {
            rows.push(rows::customer_row(map, fields, options).map_err(owned)?)
        }
        Batch::Products(rows) => rows.push(rows::product_row(map, fields).map_err(owned)?),
        Batch::Events(..) => return Err((String::new(), "expected a JSON line".to_string())),
    }
    Ok(())
}

fn accept_json(
    batch: &mut Batch,
    value: &serde_json::Value,
    line: u64,
    options: &ImportOptions,
) -> RowOutcome {
    let Batch::Events(events, profiles) = batch else {
        return Err((String::new(), "expected delimited fields".to_string()));
    };
    let message_options = MessageOptions {
        received_at: options.write.at,
        correct_skew: false,
        phone_region: options.phone_region,
    };
    let message = parse_message(value, line as usize, &message_options)
        .map_err(|reject| (reject.field, reject.reason))?;
    let (event, profile) = crate::app::ingest::event_from_message(message, options.write.at);
    events.push(event);
    profiles.extend(profile);
    Ok(())
}

fn write_batch(store: &dyn Store, batch: Batch, ctx: &WriteContext) -> anyhow::Result<WriteCounts> {
    let counts = match batch {
        Batch::Orders(rows) => store.write_orders(&rows, ctx)?,
        Batch::Customers(rows) => store.write_customers(&rows, ctx)?,
        Batch::Products(rows) => store.write_products(&rows, ctx)?,
        Batch::Events(rows, profiles) => {
            let mut counts = store.write_events(&rows, ctx)?;
            counts.add(&store.write_customers(&profiles, ctx)?);
            counts
        }
    };
    Ok(counts)
}
