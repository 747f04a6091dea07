//! What the store holds for a chunk of trait writes, read with one range scan per trait name
//! instead of one point lookup per trait. The write-backs of `ecrm compute` hand over their
//! traits in customer-id byte order, and `traits` is clustered by name, then customer (migration
//! 0010), so a chunk's stored rows of one name sit together in one key range; a first run finds
//! nothing there at all. Chunks that are not sorted, repeat a key or span far more stored rows
//! than they write are left to the point lookups.

use std::cmp::Ordering;

use ecrm_core::time::Millis;
use rusqlite::{Transaction, params};

use crate::analytics_model::TraitWrite;
use crate::error::StoreResult;

const RANGE: &str = "SELECT customer_id, name, value, label, coalesce(label_since, computed_at) \
     FROM traits WHERE name = ?1 AND customer_id >= ?2 AND customer_id <= ?3 \
     ORDER BY customer_id LIMIT ?4";

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

/// What the store holds for each of `items` (in their order), or `None` when the chunk is not
/// in customer order, writes a key twice or a name's customer range holds too many other rows.
pub(super) fn stored_in_range(
    tx: &Transaction<'_>,
    items: &[TraitWrite],
) -> StoreResult<Option<Vec<Found>>> {
    let in_customer_order = items
        .windows(2)
        .all(|pair| pair[0].customer_id.as_bytes() <= pair[1].customer_id.as_bytes());
    if !in_customer_order {
        return Ok(None);
    }
    // Each name's writes, in customer order (the chunk's order).
    let mut by_name: Vec<(&str, Vec<u32>)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let position = match by_name.iter().position(|(name, _)| *name == item.name) {
            Some(position) => position,
            None => {
                by_name.push((&item.name, Vec::new()));
                by_name.len() - 1
            }
        };
        by_name[position].1.push(index as u32);
    }
    let mut found: Vec<Found> = Vec::with_capacity(items.len());
    found.resize_with(items.len(), Found::default);
    let mut statement = tx.prepare_cached(RANGE)?;
    for (name, order) in &by_name {
        let customer = |position: usize| items[order[position] as usize].customer_id.as_bytes();
        let repeats_a_key =
            (1..order.len()).any(|position| customer(position - 1) == customer(position));
        if repeats_a_key {
            return Ok(None);
        }
        let (Some(&first), Some(&last)) = (order.first(), order.last()) else {
            continue;
        };
        let limit = order.len() * ROWS_PER_WRITE + 1_024;
        let mut rows = statement.query(params![
            name,
            items[first as usize].customer_id,
            items[last as usize].customer_id,
            limit as i64
        ])?;
        let mut next = 0;
        let mut read = 0;
        while let Some(row) = rows.next()? {
            read += 1;
            let stored = bytes(row, 0)?;
            // Skip the writes that sort before this row: nothing is stored under their keys.
            while next < order.len() && customer(next) < stored {
                next += 1;
            }
            if next == order.len() {
                break;
            }
            if customer(next).cmp(stored) == Ordering::Equal {
                let index = order[next] as usize;
                found[index] = found_from_row(row, &items[index].value)?;
                next += 1;
            }
        }
        if read >= limit {
            return Ok(None);
        }
    }
    Ok(Some(found))
}
