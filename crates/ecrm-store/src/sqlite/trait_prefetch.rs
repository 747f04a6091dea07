//! What the store holds for a chunk of trait writes, read with one range scan instead of one
//! point lookup per trait. The write-backs of `ecrm compute` hand over their traits in
//! customer-id byte order, so a chunk's stored rows sit together in the clustered primary key
//! of `traits`; a first run finds nothing there at all. Chunks that are not sorted, repeat a
//! key or span far more stored rows than they write are left to the point lookups.

use std::cmp::Ordering;

use ecrm_core::time::Millis;
use rusqlite::{Transaction, params};

use crate::analytics_model::TraitWrite;
use crate::error::StoreResult;

const RANGE: &str = "SELECT customer_id, name, value, label, coalesce(label_since, computed_at) \
     FROM traits WHERE customer_id >= ?1 AND customer_id <= ?2 ORDER BY customer_id, name LIMIT ?3";

/// Stored rows read per trait written at most before the range is given up for point lookups.
const ROWS_PER_WRITE: usize = 16;

/// A stored trait whose value differs from the one being written.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Stored {
    /// Its label, or its whole value when it has none (what its history period shows).
    pub label: String,
    /// Whether it had a label.
    pub labelled: bool,
    /// When its period began.
    pub since: Millis,
}

/// What the store holds under a written trait's key.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) enum Found {
    /// Nothing: the trait is new.
    #[default]
    Absent,
    /// The same value: nothing to write.
    Same,
    /// Another value.
    Differs(Stored),
}

/// Reads a stored row's value as `Found` against the value being written.
pub(super) fn found_from_row(row: &rusqlite::Row<'_>, value: &str) -> rusqlite::Result<Found> {
    if row.get_ref(2)?.as_str().ok() == Some(value) {
        return Ok(Found::Same);
    }
    let label: Option<String> = row.get(3)?;
    let labelled = label.is_some();
    Ok(Found::Differs(Stored {
        label: match label {
            Some(label) => label,
            None => row.get(2)?,
        },
        labelled,
        since: row.get(4)?,
    }))
}

fn bytes<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'r [u8]> {
    row.get_ref(index)?
        .as_bytes()
        .map_err(rusqlite::Error::from)
}

fn key(item: &TraitWrite) -> (&[u8], &[u8]) {
    (item.customer_id.as_bytes(), item.name.as_bytes())
}

/// What the store holds for each of `items` (in their order), or `None` when the chunk is not
/// in customer order, writes a key twice or its customer range holds too many other rows.
pub(super) fn stored_in_range(
    tx: &Transaction<'_>,
    items: &[TraitWrite],
) -> StoreResult<Option<Vec<Found>>> {
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return Ok(Some(Vec::new()));
    };
    let in_customer_order = items
        .windows(2)
        .all(|pair| pair[0].customer_id.as_bytes() <= pair[1].customer_id.as_bytes());
    if !in_customer_order {
        return Ok(None);
    }
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| key(&items[a as usize]).cmp(&key(&items[b as usize])));
    let repeats_a_key = order
        .windows(2)
        .any(|pair| key(&items[pair[0] as usize]) == key(&items[pair[1] as usize]));
    if repeats_a_key {
        return Ok(None);
    }
    let limit = items.len() * ROWS_PER_WRITE + 1_024;
    let mut found: Vec<Found> = Vec::with_capacity(items.len());
    found.resize_with(items.len(), Found::default);
    let mut statement = tx.prepare_cached(RANGE)?;
    let mut rows = statement.query(params![first.customer_id, last.customer_id, limit as i64])?;
    let mut next = 0;
    let mut read = 0;
    while let Some(row) = rows.next()? {
        read += 1;
        let stored_key = (bytes(row, 0)?, bytes(row, 1)?);
        // Skip the writes that sort before this row: nothing is stored under their keys.
        while next < order.len() && key(&items[order[next] as usize]) < stored_key {
            next += 1;
        }
        let Some(&index) = order.get(next) else {
            break;
        };
        let item = &items[index as usize];
        if key(item).cmp(&stored_key) == Ordering::Equal {
            found[index as usize] = found_from_row(row, &item.value)?;
            next += 1;
        }
    }
    if read >= limit {
        return Ok(None);
    }
    Ok(Some(found))
}
