//! The embedded SQLite store: one file in WAL mode, one writer connection, a pool of readers.

mod analytics;
mod changes;
mod checkpoint;
mod console;
mod events;
mod fact_scan;
mod identifier_cache;
mod playbooks;
mod profile;
mod read;
mod recs;
mod segments;
mod syncer;
mod trait_prefetch;
mod traits;
mod tx;
mod tx_sql;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use ecrm_core::Identifier;
use ecrm_core::order::{CustomerRef, OrderLine};
use rusqlite::{Connection, OpenFlags};

use crate::api::{Backend, Store};
use crate::error::{StoreError, StoreResult};
use crate::migrations::{CREATE_MIGRATIONS_TABLE, MIGRATIONS};
use crate::model::{
    ApiKeyRecord, AuditEntry, Customer360, CustomerInput, CustomerListItem, CustomerQuery,
    EventInput, MergeRecord, ProductInput, Resolution, StoreStats, TimelineCursor, TimelineEntry,
    WriteContext, WriteCounts,
};
use crate::tracked::{Durability, EventQuery, StoredEvent, TrackedBatch};
use crate::write;
use tx::SqliteTx;

/// Readers kept open for reuse.
const MAX_IDLE_READERS: usize = 8;

/// A SQLite database file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Identifier rows known to the writer across transactions; locked only under `writer`.
    known: Mutex<identifier_cache::IdentifierCache>,
    /// Syncs the WAL after tracked group commits, off the writer (see `syncer`).
    syncer: syncer::Syncer,
    /// Declared last so it drops last: its connection is then the last one to close.
    checkpointer: checkpoint::Checkpointer,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let writer = open_connection(path)?;
        migrate(&writer)?;
        writer.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::WRITER_AUTOCHECKPOINT_PAGES,
        )?;
        // Plans stay as first prepared: otherwise a statement whose plan may depend on a bound
        // value (the customer fold's UPDATE ... FROM) is compiled again on every new binding.
        writer.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            known: Mutex::new(identifier_cache::IdentifierCache::default()),
            syncer: syncer::Syncer::start(path)?,
            checkpointer: checkpoint::Checkpointer::start(path)?,
        })
    }

    fn write<R>(&self, body: impl FnOnce(&mut SqliteTx<'_>) -> StoreResult<R>) -> StoreResult<R> {
        let mut conn = lock(&self.writer)?;
        self.write_on(&mut conn, body)
    }

    /// Commits `body` with `synchronous = NORMAL` (the WAL frames are written, not synced) and
    /// returns at once; the returned [`Durability`] reports when the sync thread has made the
    /// commit durable. The connection is back to `FULL` before the write lock is released.
    fn write_deferred<R>(
        &self,
        body: impl FnOnce(&mut SqliteTx<'_>) -> StoreResult<R>,
    ) -> StoreResult<(R, Durability)> {
        let mut conn = lock(&self.writer)?;
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let result = self.write_on(&mut conn, body);
        let restored = conn.execute_batch("PRAGMA synchronous = FULL");
        let result = result?;
        restored?;
        Ok((result, self.syncer.after_commit()))
    }

    /// Runs `body` in one write transaction committed with `synchronous = NORMAL`: its WAL frames
    /// are written, not synced (the connection is back to `FULL` before the write lock is
    /// released). For the chunks of one bulk write, which ends with [`SqliteStore::wait_durable`],
    /// so the whole write is durable when it returns, for one sync instead of one per chunk.
    fn write_unsynced<R>(
        &self,
        body: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut conn = lock(&self.writer)?;
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let result = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)
            .and_then(|tx| {
                let result = body(&tx)?;
                tx.commit()?;
                Ok(result)
            });
        let restored = conn.execute_batch("PRAGMA synchronous = FULL");
        drop(conn);
        self.checkpointer.wake();
        let result = result?;
        restored?;
        Ok(result)
    }

    /// Returns once every commit so far is durable: the sync thread's next `fdatasync` of the WAL
    /// covers every frame written before it starts (the reasoning is in `syncer`).
    fn wait_durable(&self) -> StoreResult<()> {
        let (done, waited) = std::sync::mpsc::channel();
        self.syncer.after_commit().then(move |synced| {
            let _ = done.send(synced);
        });
        waited
            .recv()
            .map_err(|_| StoreError::Unavailable("the WAL sync thread has stopped".to_string()))?
    }

    fn write_on<R>(
        &self,
        conn: &mut Connection,
        body: impl FnOnce(&mut SqliteTx<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut known = lock(&self.known)?;
        let transaction =
            conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Read under the write lock: no other connection can commit until this transaction ends.
        let data_version: i64 =
            transaction.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        known.begin(data_version);
        let result = {
            let mut tx = SqliteTx::new(&transaction, &mut known);
            body(&mut tx).and_then(|result| tx.finish().map(|()| result))
        };
        let committed = result.and_then(|result| {
            transaction.commit()?;
            Ok(result)
        });
        if committed.is_err() {
            known.clear();
        }
        self.checkpointer.wake();
        committed
    }

    fn read<R>(&self, body: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        let pooled = lock(&self.readers)?.pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = body(&conn);
        let mut idle = lock(&self.readers)?;
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

impl Drop for SqliteStore {
    /// Refreshes the query planner's statistics where they went stale (SQLite's advice on close).
    fn drop(&mut self) {
        if let Ok(conn) = self.writer.lock()
            && let Err(err) = conn.execute_batch("PRAGMA optimize;")
        {
            tracing::warn!(error = %err, "PRAGMA optimize failed");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> StoreResult<MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| StoreError::Other("a database connection lock was poisoned".to_string()))
}

fn open_connection(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|err| StoreError::Unavailable(format!("{}: {err}", path.display())))?;
    // Reads go through a memory map of up to 2 GiB (SQLite's default ceiling) instead of a
    // read() copy of every page: whole-store scans (compute, the segment snapshot) spent a
    // fifth of their time in those copies.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; \
         PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; \
         PRAGMA mmap_size = 2147418112;",
    )?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    migrate_through(conn, i64::MAX)
}

/// Applies the pending migrations up to version `last`.
fn migrate_through(conn: &Connection, last: i64) -> StoreResult<()> {
    conn.execute_batch(CREATE_MIGRATIONS_TABLE)?;
    for migration in MIGRATIONS.iter().filter(|m| m.version <= last) {
        let applied: i64 = conn.query_row(
            "SELECT count(*) FROM schema_migrations WHERE version = ?1",
            [migration.version],
            |row| row.get(0),
        )?;
        if applied > 0 {
            continue;
        }
        let sql = format!(
            "BEGIN; {} INSERT INTO schema_migrations (version, name, applied_at) VALUES ({}, '{}', \
             CAST(unixepoch('subsec') * 1000 AS INTEGER)); COMMIT;",
            migration.sqlite, migration.version, migration.name
        );
        conn.execute_batch(&sql)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied sqlite migration"
        );
    }
    Ok(())
}

impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn recs_order_lines(
        &self,
        customer_id: Option<&str>,
        sink: &mut dyn FnMut(&crate::RecsLine<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.recs_lines(customer_id, sink)
    }

    fn recs_interactions(
        &self,
        sink: &mut dyn FnMut(&crate::RecsInteraction<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        SqliteStore::recs_interactions(self, sink)
    }

    fn recs_products(&self) -> StoreResult<Vec<crate::RecsProduct>> {
        SqliteStore::recs_products(self)
    }

    fn write_recs_model(&self, model: &crate::RecsModelInput) -> StoreResult<i64> {
        self.recs_model_write(model)
    }

    fn latest_recs_model(&self, kind: &str) -> StoreResult<Option<crate::RecsModelRecord>> {
        self.recs_model_latest(kind)
    }

    fn customer_activity(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&crate::ActivityRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.activity(customers, sink)
    }

    fn customer_purchase_lines(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&crate::PurchaseLineRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.purchase_lines(customers, sink)
    }

    fn customer_ids(&self, sink: &mut dyn FnMut(&str) -> StoreResult<()>) -> StoreResult<u64> {
        self.all_customer_ids(sink)
    }

    fn write_ticket(&self, ticket: &crate::TicketInput) -> StoreResult<i64> {
        self.ticket_insert(ticket)
    }

    fn complaint_counts(&self, from: i64, until: i64) -> StoreResult<Vec<(String, u32)>> {
        self.complaints(from, until)
    }

    fn customer_purchase_days(
        &self,
        until: ecrm_core::time::Millis,
        sink: &mut dyn FnMut(crate::CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.purchase_days(until, sink)
    }

    fn write_traits(
        &self,
        traits: &mut dyn Iterator<Item = crate::TraitWrite>,
        computed_at: ecrm_core::time::Millis,
        model_fit_id: Option<i64>,
    ) -> StoreResult<crate::TraitWriteCounts> {
        self.traits_write(traits, computed_at, model_fit_id)
    }

    fn customer_traits(&self, customer_id: &str) -> StoreResult<Vec<crate::TraitRecord>> {
        self.traits_of(customer_id)
    }

    fn trait_periods(&self, customer_id: &str, name: &str) -> StoreResult<Vec<crate::TraitPeriod>> {
        self.periods_of(customer_id, name)
    }

    fn write_model_fit(&self, fit: &crate::ModelFitInput) -> StoreResult<i64> {
        self.fit_insert(fit)
    }

    fn model_fit(&self, id: i64) -> StoreResult<Option<crate::ModelFitRecord>> {
        self.fit_by_id(id)
    }

    fn latest_model_fit(&self, model: &str) -> StoreResult<Option<crate::ModelFitRecord>> {
        self.fit_latest(model)
    }

    fn write_orders(&self, lines: &[OrderLine], ctx: &WriteContext) -> StoreResult<WriteCounts> {
        self.write(|tx| write::write_orders(tx, lines, ctx))
    }

    fn write_customers(
        &self,
        rows: &[CustomerInput],
        ctx: &WriteContext,
    ) -> StoreResult<WriteCounts> {
        self.write(|tx| write::write_customers(tx, rows, ctx))
    }

    fn write_products(
        &self,
        rows: &[ProductInput],
        ctx: &WriteContext,
    ) -> StoreResult<WriteCounts> {
        self.write(|tx| write::write_products(tx, rows, ctx))
    }

    fn write_events(&self, rows: &[EventInput], ctx: &WriteContext) -> StoreResult<WriteCounts> {
        self.write(|tx| write::write_events(tx, rows, ctx))
    }

    fn resolve_identity(
        &self,
        customer: &CustomerRef,
        ctx: &WriteContext,
    ) -> StoreResult<Resolution> {
        self.write(|tx| write::resolve_and_touch(tx, customer, ctx.at, ctx))
    }

    fn find_customer_id(&self, identifier: &Identifier) -> StoreResult<Option<String>> {
        self.read(|conn| read::find_customer_id(conn, identifier))
    }

    fn customer_360(&self, customer_id: &str, latest_orders: usize) -> StoreResult<Customer360> {
        self.read(|conn| read::customer_360(conn, customer_id, latest_orders))
    }

    fn timeline(
        &self,
        customer_id: &str,
        before: Option<TimelineCursor>,
        limit: usize,
    ) -> StoreResult<Vec<TimelineEntry>> {
        self.read(|conn| read::timeline(conn, customer_id, before, limit))
    }

    fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Vec<CustomerListItem>> {
        self.read(|conn| read::list_customers(conn, query))
    }

    fn merge_history(&self, customer_id: &str) -> StoreResult<Vec<MergeRecord>> {
        self.read(|conn| read::merge_history(conn, customer_id))
    }

    fn unmerge(&self, merge_id: i64, ctx: &WriteContext) -> StoreResult<Vec<String>> {
        self.write(|tx| write::unmerge(tx, merge_id, ctx))
    }

    fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<i64> {
        self.write(|tx| tx.api_key_insert(key))
    }

    fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.read(|conn| read::find_api_key(conn, key_hash))
    }

    fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        self.read(read::list_api_keys)
    }

    fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.write(|tx| tx.audit_insert(entry))
    }

    fn stats(&self) -> StoreResult<StoreStats> {
        self.read(read::stats)
    }

    fn write_tracked(
        &self,
        batches: &[TrackedBatch],
        ctx: &WriteContext,
    ) -> StoreResult<Vec<WriteCounts>> {
        self.write(|tx| write::write_tracked(tx, batches, ctx))
    }

    fn write_tracked_deferred(
        &self,
        batches: &[TrackedBatch],
        ctx: &WriteContext,
    ) -> StoreResult<(Vec<WriteCounts>, Durability)> {
        self.write_deferred(|tx| write::write_tracked(tx, batches, ctx))
    }

    fn customer_events(
        &self,
        customer_id: &str,
        query: &EventQuery,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.read(|conn| events::customer_events(conn, customer_id, query))
    }

    segment_store_methods!();
    console_store_methods!();
}

#[cfg(test)]
mod migration_tests;
