//! Trait writes for SQLite. Each trait is looked up by its key and written only when its value
//! changed (an insert or an update, with its history row); every customer whose traits changed
//! gets one change-journal row naming them. All of these are single-row statements, so SQLite
//! needs no statement journal for them (the upsert with a trigger it replaced spent a third of
//! its time copying pages into one). Traits are committed in transactions of `CHUNK`, so a
//! million-customer run never builds a WAL of gigabytes and the checkpoint thread keeps up
//! beside the writer; every committed trait is complete with its history and journal rows.

use ecrm_core::time::Millis;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, lock};
use crate::analytics_model::{TraitWrite, TraitWriteCounts};
use crate::error::StoreResult;
use crate::trait_journal::TraitJournal;

/// Traits written per transaction.
const CHUNK: usize = 50_000;

const CURRENT: &str = "SELECT value FROM traits WHERE customer_id = ?1 AND name = ?2";
const INSERT: &str = "INSERT INTO traits (customer_id, name, value, computed_at, model_fit_id) \
     VALUES (?1, ?2, ?3, ?4, ?5)";
const UPDATE: &str = "UPDATE traits SET value = ?3, computed_at = ?4, model_fit_id = ?5 \
     WHERE customer_id = ?1 AND name = ?2";
const HISTORY: &str = "INSERT OR REPLACE INTO trait_history (customer_id, name, value, computed_at) \
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
            self.checkpointer.wake();
            if taken < CHUNK {
                return Ok(counts);
            }
        }
    }

    /// Writes up to `CHUNK` traits in one transaction; returns how many it took.
    fn write_chunk(
        &self,
        traits: &mut dyn Iterator<Item = TraitWrite>,
        computed_at: Millis,
        model_fit_id: Option<i64>,
        counts: &mut TraitWriteCounts,
    ) -> StoreResult<usize> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut taken = 0;
        {
            let mut current = tx.prepare_cached(CURRENT)?;
            let mut insert = tx.prepare_cached(INSERT)?;
            let mut update = tx.prepare_cached(UPDATE)?;
            let mut history = tx.prepare_cached(HISTORY)?;
            let mut journal_insert = tx.prepare_cached(JOURNAL)?;
            let mut journal = TraitJournal::default();
            for item in traits.take(CHUNK) {
                taken += 1;
                counts.written += 1;
                // Compared here rather than in SQL: binding the value would copy it once more.
                let same: Option<bool> = current
                    .query_row(params![item.customer_id, item.name], |row| {
                        Ok(row.get_ref(0)?.as_str().ok() == Some(item.value.as_str()))
                    })
                    .optional()?;
                let write = match same {
                    Some(true) => continue,
                    Some(false) => &mut update,
                    None => &mut insert,
                };
                write.execute(params![
                    item.customer_id,
                    item.name,
                    item.value,
                    computed_at,
                    model_fit_id
                ])?;
                history.execute(params![
                    item.customer_id,
                    item.name,
                    item.value,
                    computed_at
                ])?;
                counts.changed += 1;
                if let Some((customer, names)) = journal.changed(&item.customer_id, &item.name) {
                    journal_insert.execute(params![customer, names])?;
                }
            }
            if let Some((customer, names)) = journal.finish() {
                journal_insert.execute(params![customer, names])?;
            }
        }
        tx.commit()?;
        Ok(taken)
    }
}
