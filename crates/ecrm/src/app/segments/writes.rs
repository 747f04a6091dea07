//! Writing membership changes: in chunks of `WRITE_CHUNK` per transaction, and for a whole
//! re-evaluation every segment's entries and exits together in customer-id order.

use ecrm_core::time::Millis;
use ecrm_store::{MembershipChange, Store};

use super::live::{WRITE_CHUNK, change};
use crate::app::AppError;

/// Writes the entries and exits of a whole re-evaluation in customer-id order across all
/// segments, so the store's per-customer indexes of memberships and changes are each written
/// front to back once rather than swept once per segment.
pub(super) fn write_in_customer_order(
    store: &dyn Store,
    ids: &[String],
    mut entries: Vec<(u32, i64)>,
    mut exits: Vec<MembershipChange>,
    cause: &str,
    now: Millis,
) -> Result<u64, AppError> {
    sort_by_customer(ids, &mut entries);
    exits.sort_unstable_by(|a, b| {
        (a.customer_id.as_bytes(), a.segment_id).cmp(&(b.customer_id.as_bytes(), b.segment_id))
    });
    let mut changes = exits.into_iter().chain(
        entries
            .into_iter()
            .map(|(row, segment)| change(segment, &ids[row as usize], true, cause, now)),
    );
    Ok(store.apply_membership_changes_chunked(&mut changes, WRITE_CHUNK)?)
}

/// Sorts entries `(snapshot row, segment)` by the row's customer id in byte order, then segment:
/// by row number alone when the snapshot's ids are in byte order (as after a whole load), by the
/// ids themselves otherwise (rows added later sit at the end).
fn sort_by_customer(ids: &[String], entries: &mut [(u32, i64)]) {
    let in_byte_order = ids
        .windows(2)
        .all(|pair| pair[0].as_bytes() < pair[1].as_bytes());
    if in_byte_order {
        entries.sort_unstable();
    } else {
        entries.sort_unstable_by(|a, b| {
            (ids[a.0 as usize].as_bytes(), a.1).cmp(&(ids[b.0 as usize].as_bytes(), b.1))
        });
    }
}

pub(super) fn write(store: &dyn Store, changes: Vec<MembershipChange>) -> Result<u64, AppError> {
    Ok(store.apply_membership_changes_chunked(&mut changes.into_iter(), WRITE_CHUNK)?)
}

#[cfg(test)]
mod tests {
    use super::sort_by_customer;

    fn customers_of(ids: &[&str], entries: &[(u32, i64)]) -> Vec<(String, i64)> {
        entries
            .iter()
            .map(|&(row, segment)| (ids[row as usize].to_string(), segment))
            .collect()
    }

    #[test]
    fn entries_sort_by_customer_id_then_segment_whatever_the_row_order() {
        let entries = vec![(2, 7), (0, 9), (1, 3), (0, 3), (2, 1)];
        let sorted_ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut by_row = entries.clone();
        sort_by_customer(&sorted_ids, &mut by_row);
        assert_eq!(
            customers_of(&["a", "b", "c"], &by_row),
            [("a", 3), ("a", 9), ("b", 3), ("c", 1), ("c", 7)].map(|(c, s)| (c.to_string(), s))
        );
        // A customer added after the load sits at the end of the snapshot.
        let appended: Vec<String> = ["b", "c", "a"].map(String::from).to_vec();
        let mut by_id = entries;
        sort_by_customer(&appended, &mut by_id);
        assert_eq!(
            customers_of(&["b", "c", "a"], &by_id),
            [("a", 1), ("a", 7), ("b", 3), ("b", 9), ("c", 3)].map(|(c, s)| (c.to_string(), s))
        );
    }
}
