//! Statements of the SQLite write transaction that are more than one line: the texts built once
//! (multi-row inserts of order lines and of change-journal rows),
//! the journal rows of new identifiers written at the end of a transaction, and event inserts.

use rusqlite::{Transaction, params};

use crate::error::StoreResult;
use crate::write::NewEvent;

/// Order lines per multi-row INSERT (8 parameters each).
pub(super) const LINES_PER_STATEMENT: usize = 64;

/// The multi-row line insert for a full chunk, built once.
pub(super) fn chunk_insert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| lines_insert_sql(LINES_PER_STATEMENT))
}

/// The one-row line insert, built once.
pub(super) fn single_insert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| lines_insert_sql(1))
}

/// `INSERT INTO order_lines ... VALUES (...), (...)` for `rows` rows.
fn lines_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO order_lines (order_id, line_key, product_id, product_name, category, quantity, \
         unit_price_cents, amount_cents) VALUES ",
    );
    for row in 0..rows {
        let base = row * 8;
        if row > 0 {
            sql.push(',');
        }
        let params: Vec<String> = (1..=8).map(|n| format!("?{}", base + n)).collect();
        sql.push('(');
        sql.push_str(&params.join(","));
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (order_id, line_key) DO NOTHING");
    sql
}

/// `INSERT INTO customer_changes ...` of `rows` identifier rows, `rows` a power of two up to
/// [`JOURNAL_ROWS_PER_STATEMENT`]; each text is built once.
fn journal_insert_sql(rows: usize) -> &'static str {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (0..=JOURNAL_ROWS_PER_STATEMENT.trailing_zeros())
            .map(|power| {
                let values: Vec<String> = (0..1usize << power)
                    .map(|idx| format!("(?{}, 'identifiers', ?{})", 2 * idx + 1, 2 * idx + 2))
                    .collect();
                format!(
                    "INSERT INTO customer_changes (customer_id, kind, detail) VALUES {}",
                    values.join(",")
                )
            })
            .collect()
    });
    &texts[rows.trailing_zeros() as usize]
}

/// Journal rows per multi-row INSERT.
const JOURNAL_ROWS_PER_STATEMENT: usize = 64;

/// Inserts one `customer_changes` row (customer, `identifiers`, kind) per `(customer id, kind)`.
pub(super) fn write_identifier_journal(
    tx: &Transaction<'_>,
    rows: &[(String, String)],
) -> StoreResult<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        // The largest power of two that fits, so a few statement texts serve every count.
        let count = 1usize << rest.len().min(JOURNAL_ROWS_PER_STATEMENT).ilog2();
        let (chunk, tail) = rest.split_at(count);
        rest = tail;
        let mut statement = tx.prepare_cached(journal_insert_sql(count))?;
        for (idx, (customer_id, kind)) in chunk.iter().enumerate() {
            statement.raw_bind_parameter(2 * idx + 1, customer_id)?;
            statement.raw_bind_parameter(2 * idx + 2, kind)?;
        }
        statement.raw_execute()?;
    }
    Ok(())
}

/// Inserts events one statement each; for each, whether it was new (its deduplication key,
/// [`crate::EventInput::dedup_time`] and message id, not stored).
pub(super) fn insert_events(
    tx: &Transaction<'_>,
    events: &[NewEvent<'_>],
    source: &str,
) -> StoreResult<Vec<bool>> {
    let mut statement = tx.prepare_cached(
            "INSERT INTO events (message_id, client_time, identifier_id, type, name, channel, source, occurred_at, sent_at, received_at, properties, context) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (client_time, message_id) DO NOTHING",
        )?;
    let mut res = Vec::with_capacity(events.len());
    for new in events {
        let event = new.event;
        let inserted = statement.execute(params![
            event.message_id,
            event.dedup_time(),
            new.identifier_row,
            event.kind,
            event.name,
            event.channel,
            source,
            event.occurred_at,
            event.sent_at,
            event.received_at,
            new.properties,
            new.context
        ])?;
        res.push(inserted == 1);
    }
    Ok(res)
}
