//! Trait writes for SQLite. What the store holds for a chunk of traits is read with one range
//! scan when the chunk is in customer order (`trait_prefetch`), else by one lookup per trait, and
//! each trait is written only when its value changed (an insert or an update; a changed label also ends its history period in
//! `trait_history`); every customer whose traits changed
//! gets one change-journal row naming them. All of these are single-row statements, so SQLite
//! needs no statement journal for them (the upsert with a trigger it replaced spent a third of
//! its time copying pages into one). Traits are committed in transactions of `CHUNK`, so a
//! million-customer run never builds a WAL of gigabytes and the checkpoint thread keeps up
//! beside the writer; every committed trait is complete with its history and journal rows. The
//! chunks commit without syncing the WAL and the call returns after one sync of all of them
//! (`SqliteStore::wait_durable`): a write that returned is as durable as with a sync per chunk.

use ecrm_core::time::Millis;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::trait_prefetch::{Found, found_from_row, stored_in_range};
use crate::analytics_model::{TraitWrite, TraitWriteCounts};
use crate::error::StoreResult;
use crate::trait_journal::TraitJournal;

/// Traits written per transaction.
const CHUNK: usize = 50_000;

/// One customer's traits (`?1`) in name order: customer id, name, value, computed at, model fit.
/// `traits` is clustered by name (migration 0010), so the names are walked first, each found with
/// one seek of the primary key (a loose index scan), and the customer's row under each with
/// another: a few seeks instead of a scan of the table.
pub(super) const CUSTOMER_TRAITS: &str = "WITH RECURSIVE names(name) AS ( \
       SELECT min(name) FROM traits \
       UNION ALL \
       SELECT (SELECT min(name) FROM traits WHERE name > names.name) FROM names \
       WHERE names.name IS NOT NULL) \
     SELECT t.customer_id, t.name, t.value, t.computed_at, t.model_fit_id \
     FROM names CROSS JOIN traits t \
     WHERE t.name = names.name AND t.customer_id = ?1 ORDER BY t.name";

/// Columns as in `trait_prefetch::RANGE` (the key first), for `found_from_row`.
const CURRENT: &str = "SELECT customer_id, name, value, label, coalesce(label_since, computed_at) \
     FROM traits \
     WHERE customer_id = ?1 AND name = ?2";
const INSERT: &str = "INSERT INTO traits \
     (customer_id, name, value, computed_at, model_fit_id, label, label_since) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const UPDATE: &str = "UPDATE traits SET value = ?3, computed_at = ?4, model_fit_id = ?5, \
     label = ?6, label_since = ?7 WHERE customer_id = ?1 AND name = ?2";
const END_PERIOD: &str = "INSERT OR REPLACE INTO trait_history (customer_id, name, value, computed_at) \
     VALUES (?1, ?2, ?3, ?4)";
const JOURNAL: &str =
    "INSERT INTO customer_changes (customer_id, kind, detail) VALUES (?1, 'trait', ?2)";

impl SqliteStore {
    pub(crate) fn traits_write(
        &self,
        traits: &mut dyn Iterator<Item = TraitWrite>,
        computed_at: Millis,
        model_fit_id: Option<i64>,
    ) -> StoreResult<TraitWriteCounts> {
        let mut counts = TraitWriteCounts::default();
        loop {
            let taken = self.write_chunk(traits, computed_at, model_fit_id, &mut counts)?;
            if taken < CHUNK {
                break;
            }
        }
        self.wait_durable()?;
        Ok(counts)
    }

    /// Writes up to `CHUNK` traits in one transaction; returns how many it took.
    fn write_chunk(
        &self,
        traits: &mut dyn Iterator<Item = TraitWrite>,
        computed_at: Millis,
        model_fit_id: Option<i64>,
        counts: &mut TraitWriteCounts,
    ) -> StoreResult<usize> {
        let items: Vec<TraitWrite> = traits.take(CHUNK).collect();
        if items.is_empty() {
            return Ok(0);
        }
        self.write_unsynced(|tx| write_items(tx, &items, computed_at, model_fit_id, counts))?;
        Ok(items.len())
    }
}

/// Writes `items` inside the write transaction `tx`.
fn write_items(
    tx: &rusqlite::Transaction<'_>,
    items: &[TraitWrite],
    computed_at: Millis,
    model_fit_id: Option<i64>,
    counts: &mut TraitWriteCounts,
) -> StoreResult<()> {
    let mut prefetched = stored_in_range(tx, items)?;
    let mut current = tx.prepare_cached(CURRENT)?;
    let mut insert = tx.prepare_cached(INSERT)?;
    let mut update = tx.prepare_cached(UPDATE)?;
    let mut end_period = tx.prepare_cached(END_PERIOD)?;
    let mut journal_insert = tx.prepare_cached(JOURNAL)?;
    let mut journal = TraitJournal::default();
    for (index, item) in items.iter().enumerate() {
        counts.written += 1;
        let found = match prefetched.as_mut() {
            Some(found) => std::mem::take(&mut found[index]),
            // Compared here rather than in SQL: binding the value would copy it again.
            None => current
                .query_row(params![item.customer_id, item.name], |row| {
                    found_from_row(row, &item.value)
                })
                .optional()?
                .unwrap_or(Found::Absent),
        };
        // Both statements take the same parameters; only the period's start differs.
        let (statement, since) = match found {
            Found::Same => continue,
            Found::Absent => (&mut insert, computed_at),
            Found::Differs(stored) => {
                let same_class = item.label.is_some()
                    && stored.labelled
                    && item.label.as_deref() == Some(stored.label.as_str());
                let since = if same_class {
                    stored.since
                } else {
                    end_period.execute(params![
                        item.customer_id,
                        item.name,
                        stored.label,
                        stored.since
                    ])?;
                    computed_at
                };
                (&mut update, since)
            }
        };
        statement.execute(params![
            item.customer_id,
            item.name,
            item.value,
            computed_at,
            model_fit_id,
            item.label,
            since
        ])?;
        counts.changed += 1;
        if let Some((customer, names)) = journal.changed(&item.customer_id, &item.name) {
            journal_insert.execute(params![customer, names])?;
        }
    }
    if let Some((customer, names)) = journal.finish() {
        journal_insert.execute(params![customer, names])?;
    }
    Ok(())
}
