//! Saved segments and memberships for PostgreSQL; writes hold the schema's write lock, so
//! `segment_changes` ids follow commit order like every other id consumers read after.

use ecrm_core::time::Millis;
use postgres::error::SqlState;
use postgres::{Row, Transaction};

use super::{PostgresStore, WRITE_LOCK};
use crate::error::{StoreError, StoreResult};
use crate::segments_model::{
    MembershipChange, MembershipRecord, NewSegment, SegmentChangeQuery, SegmentChangeRecord,
    SegmentFlow, SegmentPeriodFlow, SegmentRecord,
};

fn segment_row(row: &Row) -> StoreResult<SegmentRecord> {
    Ok(SegmentRecord {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        definition: row.try_get(2)?,
        builtin: row.try_get::<_, i64>(3)? != 0,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
    })
}

fn membership_row(row: &Row) -> StoreResult<MembershipRecord> {
    Ok(MembershipRecord {
        segment_id: row.try_get(0)?,
        customer_id: row.try_get(1)?,
        entered_at: row.try_get(2)?,
    })
}

/// A unique-key violation as a conflict naming the segment.
fn conflict(err: postgres::Error, name: &str) -> StoreError {
    if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StoreError::Conflict(format!("a segment named \"{name}\" exists"));
    }
    err.into()
}

/// Membership changes sent per statement.
const MEMBERSHIP_CHUNK: usize = 20_000;

const APPLY_MEMBERSHIPS: &str = "WITH input AS ( \
       SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::BOOLEAN[], $4::TEXT[], $5::BIGINT[]) \
       WITH ORDINALITY AS t(segment_id, customer_id, enter, cause, at, ord) \
     ), entered AS ( \
       INSERT INTO segment_memberships (segment_id, customer_id, entered_at) \
       SELECT segment_id, customer_id, at FROM input WHERE enter ON CONFLICT DO NOTHING \
       RETURNING segment_id, customer_id \
     ), exited AS ( \
       DELETE FROM segment_memberships m USING input i \
       WHERE NOT i.enter AND m.segment_id = i.segment_id AND m.customer_id = i.customer_id \
       RETURNING m.segment_id, m.customer_id \
     ), firsts AS ( \
       SELECT DISTINCT ON (i.segment_id, i.customer_id, i.enter) \
         i.segment_id, i.customer_id, i.enter, i.cause, i.at, i.ord \
       FROM input i WHERE (i.enter AND (i.segment_id, i.customer_id) IN (SELECT * FROM entered)) \
          OR (NOT i.enter AND (i.segment_id, i.customer_id) IN (SELECT * FROM exited)) \
       ORDER BY i.segment_id, i.customer_id, i.enter, i.ord \
     ), recorded AS ( \
       INSERT INTO segment_changes (segment_id, customer_id, change, cause, at) \
       SELECT segment_id, customer_id, CASE WHEN enter THEN 'enter' ELSE 'exit' END, cause, at \
       FROM firsts ORDER BY ord RETURNING 1 \
     ) SELECT count(*)::BIGINT FROM recorded";

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl PostgresStore {
    /// Runs `body` in one transaction holding the schema's write lock.
    fn write_locked<R>(
        &self,
        body: impl FnOnce(&mut Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        self.with_connection(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute(WRITE_LOCK, &[])?;
            let result = body(&mut tx)?;
            tx.commit()?;
            Ok(result)
        })
    }

    pub(crate) fn segments_all(&self) -> StoreResult<Vec<SegmentRecord>> {
        self.read(|session| {
            let rows = session.query(
                "SELECT id, name, definition, builtin, created_at, updated_at FROM segments \
                 ORDER BY name COLLATE \"C\"",
                &[],
            )?;
            rows.iter().map(segment_row).collect()
        })
    }

    pub(crate) fn segment_get(&self, id: i64) -> StoreResult<Option<SegmentRecord>> {
        self.read(|session| {
            let row = session.query_opt(
                "SELECT id, name, definition, builtin, created_at, updated_at FROM segments WHERE id = $1",
                &[&id],
            )?;
            row.as_ref().map(segment_row).transpose()
        })
    }

    pub(crate) fn segment_named(&self, name: &str) -> StoreResult<Option<SegmentRecord>> {
        self.read(|session| {
            let row = session.query_opt(
                "SELECT id, name, definition, builtin, created_at, updated_at FROM segments WHERE name = $1",
                &[&name],
            )?;
            row.as_ref().map(segment_row).transpose()
        })
    }

    pub(crate) fn segment_create(&self, segment: &NewSegment) -> StoreResult<SegmentRecord> {
        let builtin = i64::from(segment.builtin);
        self.write_locked(|tx| {
            let row = tx
                .query_one(
                    "INSERT INTO segments (name, definition, builtin, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) \
                     RETURNING id, name, definition, builtin, created_at, updated_at",
                    &[&segment.name, &segment.definition, &builtin, &segment.at],
                )
                .map_err(|err| conflict(err, &segment.name))?;
            segment_row(&row)
        })
    }

    pub(crate) fn segment_update(
        &self,
        id: i64,
        name: &str,
        definition: &str,
        at: Millis,
    ) -> StoreResult<SegmentRecord> {
        self.write_locked(|tx| {
            let row = tx
                .query_opt(
                    "UPDATE segments SET name = $2, definition = $3, updated_at = $4 WHERE id = $1 \
                     RETURNING id, name, definition, builtin, created_at, updated_at",
                    &[&id, &name, &definition, &at],
                )
                .map_err(|err| conflict(err, name))?;
            match row {
                Some(row) => segment_row(&row),
                None => Err(StoreError::NotFound(format!("segment {id}"))),
            }
        })
    }

    pub(crate) fn segment_delete(&self, id: i64) -> StoreResult<()> {
        self.write_locked(|tx| {
            tx.execute(
                "DELETE FROM segment_memberships WHERE segment_id = $1",
                &[&id],
            )?;
            if tx.execute("DELETE FROM segments WHERE id = $1", &[&id])? == 0 {
                return Err(StoreError::NotFound(format!("segment {id}")));
            }
            Ok(())
        })
    }

    /// One statement per chunk: entries inserted, exits deleted, and only the rows that changed
    /// recorded, in input order. A statement sees one snapshot, so a chunk should hold at most one
    /// change per segment and customer (re-evaluations make one); an entry repeated in a chunk is
    /// recorded once, as on SQLite.
    pub(crate) fn memberships_apply(&self, changes: &[MembershipChange]) -> StoreResult<u64> {
        self.write_locked(|tx| {
            let statement = tx.prepare(APPLY_MEMBERSHIPS)?;
            let mut recorded = 0;
            for chunk in changes.chunks(MEMBERSHIP_CHUNK) {
                let segments: Vec<i64> = chunk.iter().map(|c| c.segment_id).collect();
                let customers: Vec<&str> = chunk.iter().map(|c| c.customer_id.as_str()).collect();
                let enters: Vec<bool> = chunk.iter().map(|c| c.enter).collect();
                let causes: Vec<&str> = chunk.iter().map(|c| c.cause.as_str()).collect();
                let ats: Vec<i64> = chunk.iter().map(|c| c.at).collect();
                let row =
                    tx.query_one(&statement, &[&segments, &customers, &enters, &causes, &ats])?;
                recorded += count(row.try_get(0)?);
            }
            Ok(recorded)
        })
    }

    /// One transaction per chunk; each commit is synced, so every chunk is durable when written.
    pub(crate) fn memberships_apply_chunked(
        &self,
        changes: &mut dyn Iterator<Item = MembershipChange>,
        chunk: usize,
    ) -> StoreResult<u64> {
        crate::sql_common::in_chunks(changes, chunk, |items| self.memberships_apply(&items))
    }

    pub(crate) fn members(
        &self,
        segment_id: i64,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<MembershipRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.unwrap_or("");
        self.read(|session| {
            let rows = session.query(
                "SELECT segment_id, customer_id, entered_at FROM segment_memberships \
                 WHERE segment_id = $1 AND customer_id COLLATE \"C\" > $2 \
                 ORDER BY customer_id COLLATE \"C\" LIMIT $3",
                &[&segment_id, &after, &limit],
            )?;
            rows.iter().map(membership_row).collect()
        })
    }

    pub(crate) fn sizes(&self) -> StoreResult<Vec<(i64, u64)>> {
        self.read(|session| {
            let rows = session.query(
                "SELECT segment_id, count(*)::BIGINT FROM segment_memberships GROUP BY segment_id",
                &[],
            )?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, count(row.try_get(1)?))))
                .collect()
        })
    }

    pub(crate) fn flows(&self, since: Millis) -> StoreResult<Vec<SegmentFlow>> {
        self.read(|session| {
            let rows = session.query(
                "SELECT segment_id, (count(*) FILTER (WHERE change = 'enter'))::BIGINT, \
                 (count(*) FILTER (WHERE change = 'exit'))::BIGINT FROM segment_changes \
                 WHERE at >= $1 GROUP BY segment_id ORDER BY segment_id",
                &[&since],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(SegmentFlow {
                        segment_id: row.try_get(0)?,
                        entered: count(row.try_get(1)?),
                        exited: count(row.try_get(2)?),
                    })
                })
                .collect()
        })
    }

    pub(crate) fn period_flows(
        &self,
        since: Millis,
        period_millis: Millis,
    ) -> StoreResult<Vec<SegmentPeriodFlow>> {
        self.read(|session| {
            let rows = session.query(
                "SELECT segment_id, (at - $1) / $2 AS period, \
                 (count(*) FILTER (WHERE change = 'enter'))::BIGINT, \
                 (count(*) FILTER (WHERE change = 'exit'))::BIGINT FROM segment_changes \
                 WHERE at >= $1 GROUP BY segment_id, period ORDER BY segment_id, period",
                &[&since, &period_millis],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(SegmentPeriodFlow {
                        segment_id: row.try_get(0)?,
                        period: count(row.try_get(1)?),
                        entered: count(row.try_get(2)?),
                        exited: count(row.try_get(3)?),
                    })
                })
                .collect()
        })
    }

    pub(crate) fn memberships_of(&self, customer_id: &str) -> StoreResult<Vec<MembershipRecord>> {
        self.read(|session| {
            let rows = session.query(
                "SELECT segment_id, customer_id, entered_at FROM segment_memberships \
                 WHERE customer_id = $1 ORDER BY segment_id",
                &[&customer_id],
            )?;
            rows.iter().map(membership_row).collect()
        })
    }

    pub(crate) fn changes_of(
        &self,
        query: &SegmentChangeQuery,
    ) -> StoreResult<Vec<SegmentChangeRecord>> {
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        self.read(|session| {
            let rows = session.query(
                "SELECT id, segment_id, customer_id, change, cause, at FROM segment_changes \
                 WHERE id > $1 AND ($2::BIGINT IS NULL OR segment_id = $2) \
                 AND ($3::TEXT IS NULL OR customer_id = $3) ORDER BY id LIMIT $4",
                &[&query.after, &query.segment_id, &query.customer_id, &limit],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(SegmentChangeRecord {
                        id: row.try_get(0)?,
                        segment_id: row.try_get(1)?,
                        customer_id: row.try_get(2)?,
                        change: row.try_get(3)?,
                        cause: row.try_get(4)?,
                        at: row.try_get(5)?,
                    })
                })
                .collect()
        })
    }
}
