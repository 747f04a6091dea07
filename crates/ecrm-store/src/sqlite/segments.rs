//! Saved segments and memberships for SQLite.

use ecrm_core::time::Millis;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{SqliteStore, lock};
use crate::error::{StoreError, StoreResult};
use crate::segments_model::{
    MembershipChange, MembershipRecord, NewSegment, SegmentChangeQuery, SegmentChangeRecord,
    SegmentFlow, SegmentPeriodFlow, SegmentRecord,
};

const SEGMENT_COLUMNS: &str =
    "SELECT id, name, definition, builtin, created_at, updated_at FROM segments";

fn segment_row(row: &Row<'_>) -> rusqlite::Result<SegmentRecord> {
    Ok(SegmentRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        definition: row.get(2)?,
        builtin: row.get::<_, i64>(3)? != 0,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

fn membership_row(row: &Row<'_>) -> rusqlite::Result<MembershipRecord> {
    Ok(MembershipRecord {
        segment_id: row.get(0)?,
        customer_id: row.get(1)?,
        entered_at: row.get(2)?,
    })
}

/// A unique-key violation as a conflict naming the segment.
fn conflict(err: rusqlite::Error, name: &str) -> StoreError {
    match err {
        rusqlite::Error::SqliteFailure(code, _)
            if code.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::Conflict(format!("a segment named \"{name}\" exists"))
        }
        other => other.into(),
    }
}

impl SqliteStore {
    /// Runs `body` in one immediate transaction on the writer connection.
    pub(crate) fn write_plain<R>(
        &self,
        body: impl FnOnce(&Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let result = body(&tx)?;
        tx.commit()?;
        Ok(result)
    }

    pub(crate) fn segments_all(&self) -> StoreResult<Vec<SegmentRecord>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!("{SEGMENT_COLUMNS} ORDER BY name"))?;
            let rows = statement.query_map([], segment_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn segment_get(&self, id: i64) -> StoreResult<Option<SegmentRecord>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!("{SEGMENT_COLUMNS} WHERE id = ?1"))?;
            Ok(statement.query_row([id], segment_row).optional()?)
        })
    }

    pub(crate) fn segment_named(&self, name: &str) -> StoreResult<Option<SegmentRecord>> {
        self.read(|conn| {
            let mut statement =
                conn.prepare_cached(&format!("{SEGMENT_COLUMNS} WHERE name = ?1"))?;
            Ok(statement.query_row([name], segment_row).optional()?)
        })
    }

    pub(crate) fn segment_create(&self, segment: &NewSegment) -> StoreResult<SegmentRecord> {
        let id = self.write_plain(|tx| {
            tx.execute(
                "INSERT INTO segments (name, definition, builtin, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![
                    segment.name,
                    segment.definition,
                    i64::from(segment.builtin),
                    segment.at
                ],
            )
            .map_err(|err| conflict(err, &segment.name))?;
            Ok(tx.last_insert_rowid())
        })?;
        self.segment_get(id)?
            .ok_or_else(|| StoreError::NotFound(format!("segment {id}")))
    }

    pub(crate) fn segment_update(
        &self,
        id: i64,
        name: &str,
        definition: &str,
        at: Millis,
    ) -> StoreResult<SegmentRecord> {
        let updated = self.write_plain(|tx| {
            tx.execute(
                "UPDATE segments SET name = ?2, definition = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, name, definition, at],
            )
            .map_err(|err| conflict(err, name))
        })?;
        if updated == 0 {
            return Err(StoreError::NotFound(format!("segment {id}")));
        }
        self.segment_get(id)?
            .ok_or_else(|| StoreError::NotFound(format!("segment {id}")))
    }

    pub(crate) fn segment_delete(&self, id: i64) -> StoreResult<()> {
        self.write_plain(|tx| {
            tx.execute(
                "DELETE FROM segment_memberships WHERE segment_id = ?1",
                [id],
            )?;
            let deleted = tx.execute("DELETE FROM segments WHERE id = ?1", [id])?;
            if deleted == 0 {
                return Err(StoreError::NotFound(format!("segment {id}")));
            }
            Ok(())
        })
    }

    pub(crate) fn memberships_apply(&self, changes: &[MembershipChange]) -> StoreResult<u64> {
        self.write_plain(|tx| memberships_write(tx, changes))
    }

    /// Chunks committed without syncing the WAL, then one sync for all (see `wait_durable`).
    pub(crate) fn memberships_apply_chunked(
        &self,
        changes: &mut dyn Iterator<Item = MembershipChange>,
        chunk: usize,
    ) -> StoreResult<u64> {
        let recorded = crate::sql_common::in_chunks(changes, chunk, |items| {
            self.write_unsynced(|tx| memberships_write(tx, &items))
        })?;
        self.wait_durable()?;
        Ok(recorded)
    }

    pub(crate) fn members(
        &self,
        segment_id: i64,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<MembershipRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT segment_id, customer_id, entered_at FROM segment_memberships \
                 WHERE segment_id = ?1 AND customer_id > ?2 ORDER BY customer_id LIMIT ?3",
            )?;
            let rows = statement.query_map(
                params![segment_id, after.unwrap_or(""), limit],
                membership_row,
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn sizes(&self) -> StoreResult<Vec<(i64, u64)>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT segment_id, count(*) FROM segment_memberships GROUP BY segment_id",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get(0)?,
                    u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// One period covering everything since `since` (the same sequential scan).
    pub(crate) fn flows(&self, since: Millis) -> StoreResult<Vec<SegmentFlow>> {
        Ok(self
            .period_flows(since, Millis::MAX)?
            .into_iter()
            .map(|flow| SegmentFlow {
                segment_id: flow.segment_id,
                entered: flow.entered,
                exited: flow.exited,
            })
            .collect())
    }

    /// Counted in memory over one sequential scan of `segment_changes`: grouped in SQL, the plan
    /// walks the `(segment_id, id)` index and seeks every row in the table, and a whole
    /// re-evaluation stores a segment's rows apart (they are written in customer order).
    pub(crate) fn period_flows(
        &self,
        since: Millis,
        period_millis: Millis,
    ) -> StoreResult<Vec<SegmentPeriodFlow>> {
        if period_millis <= 0 {
            return Err(StoreError::Other(format!(
                "a period of {period_millis} ms: periods must be positive"
            )));
        }
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT segment_id, at, change = 'enter', change = 'exit' FROM segment_changes \
                 WHERE at >= ?1",
            )?;
            let mut rows = statement.query([since])?;
            let mut flows: std::collections::BTreeMap<(i64, u64), (u64, u64)> =
                std::collections::BTreeMap::new();
            while let Some(row) = rows.next()? {
                let at: i64 = row.get(1)?;
                let period = u64::try_from((at - since) / period_millis).unwrap_or(0);
                let counts = flows.entry((row.get(0)?, period)).or_default();
                counts.0 += u64::from(row.get::<_, bool>(2)?);
                counts.1 += u64::from(row.get::<_, bool>(3)?);
            }
            Ok(flows
                .into_iter()
                .map(
                    |((segment_id, period), (entered, exited))| SegmentPeriodFlow {
                        segment_id,
                        period,
                        entered,
                        exited,
                    },
                )
                .collect())
        })
    }

    pub(crate) fn memberships_of(&self, customer_id: &str) -> StoreResult<Vec<MembershipRecord>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(CUSTOMER_MEMBERSHIPS)?;
            let rows = statement.query_map([customer_id], membership_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn changes_of(
        &self,
        query: &SegmentChangeQuery,
    ) -> StoreResult<Vec<SegmentChangeRecord>> {
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            // One statement per filter, so each uses its index.
            let filter = match (query.segment_id.is_some(), query.customer_id.is_some()) {
                (true, true) => "segment_id = ?2 AND customer_id = ?3",
                (true, false) => "segment_id = ?2 AND ?3 IS NULL",
                (false, true) => "?2 IS NULL AND customer_id = ?3",
                (false, false) => "?2 IS NULL AND ?3 IS NULL",
            };
            let mut statement = conn.prepare_cached(&format!(
                "SELECT id, segment_id, customer_id, change, cause, at FROM segment_changes \
                 WHERE {filter} AND id > ?1 ORDER BY id LIMIT ?4"
            ))?;
            let rows = statement.query_map(
                params![query.after, query.segment_id, query.customer_id, limit],
                |row| {
                    Ok(SegmentChangeRecord {
                        id: row.get(0)?,
                        segment_id: row.get(1)?,
                        customer_id: row.get(2)?,
                        change: row.get(3)?,
                        cause: row.get(4)?,
                        at: row.get(5)?,
                    })
                },
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

/// One customer's (`?1`) memberships in segment order. `segment_memberships` has no index by
/// customer (migration 0011): the segment ids are walked with one seek each of the primary key (a
/// loose index scan), and the customer's row under each is found with another.
const CUSTOMER_MEMBERSHIPS: &str = "WITH RECURSIVE segments_held(id) AS ( \
       SELECT min(segment_id) FROM segment_memberships \
       UNION ALL \
       SELECT (SELECT min(segment_id) FROM segment_memberships WHERE segment_id > segments_held.id) \
       FROM segments_held WHERE segments_held.id IS NOT NULL) \
     SELECT m.segment_id, m.customer_id, m.entered_at \
     FROM segments_held CROSS JOIN segment_memberships m \
     WHERE m.segment_id = segments_held.id AND m.customer_id = ?1 ORDER BY m.segment_id";

/// Applies entries and exits inside the transaction `tx`; returns the changes recorded.
fn memberships_write(tx: &Transaction<'_>, changes: &[MembershipChange]) -> StoreResult<u64> {
    let mut enter = tx.prepare_cached(
        "INSERT INTO segment_memberships (segment_id, customer_id, entered_at) \
             VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?;
    let mut exit = tx.prepare_cached(
        "DELETE FROM segment_memberships WHERE segment_id = ?1 AND customer_id = ?2",
    )?;
    let mut record = tx.prepare_cached(
        "INSERT INTO segment_changes (segment_id, customer_id, change, cause, at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut recorded = 0;
    for change in changes {
        let done = if change.enter {
            enter.execute(params![change.segment_id, change.customer_id, change.at])?
        } else {
            exit.execute(params![change.segment_id, change.customer_id])?
        };
        if done > 0 {
            let kind = if change.enter { "enter" } else { "exit" };
            record.execute(params![
                change.segment_id,
                change.customer_id,
                kind,
                change.cause,
                change.at
            ])?;
            recorded += 1;
        }
    }
    Ok(recorded)
}
