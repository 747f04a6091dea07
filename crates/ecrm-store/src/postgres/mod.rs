//! The PostgreSQL store (system of record for larger deployments): a small pool of synchronous
//! connections, each with its own cache of prepared statements.
//!
//! Write transactions take a transaction-level advisory lock per schema, so writes are serialised
//! like SQLite's single writer, across processes too; reads run concurrently.

mod analytics;
mod changes;
mod console;
mod events;
mod known;
mod pending;
mod playbooks;
mod profile;
mod read;
mod recs;
mod schema;
mod segments;
mod tx;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ecrm_core::Identifier;
use ecrm_core::order::{CustomerRef, OrderLine};
use postgres::types::ToSql;
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls, Row, Statement};

use crate::api::{Backend, Store};
use crate::error::{StoreError, StoreResult};
use crate::model::{
    ApiKeyRecord, AuditEntry, Customer360, CustomerInput, CustomerListItem, CustomerQuery,
    EventInput, MergeRecord, ProductInput, Resolution, StoreStats, TimelineCursor, TimelineEntry,
    WriteContext, WriteCounts,
};
use crate::tracked::{EventQuery, StoredEvent, TrackedBatch};
use crate::write;
use schema::{migrate, validate_schema};
use tx::PgTx;

/// A PostgreSQL database (optionally one schema of it).
pub struct PostgresStore {
    config: Config,
    schema: Option<String>,
    idle: Mutex<Vec<PgConn>>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and applies pending migrations in the
    /// connection's default schema (the first existing schema of its `search_path`).
    pub fn connect(url: &str) -> StoreResult<PostgresStore> {
        PostgresStore::open(url, None)
    }

    /// Connects to `url` and keeps everything in `schema` (`[a-z0-9_]+`), creating it if missing:
    /// every pooled connection sets its `search_path` to it. Tests use this for isolation.
    pub fn connect_in_schema(url: &str, schema: &str) -> StoreResult<PostgresStore> {
        validate_schema(schema)?;
        PostgresStore::open(url, Some(schema.to_string()))
    }

    fn open(url: &str, schema: Option<String>) -> StoreResult<PostgresStore> {
        let mut config = Config::from_str(url)
            .map_err(|err| StoreError::Unavailable(format!("invalid postgres url: {err}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let store = PostgresStore {
            config,
            schema,
            idle: Mutex::new(Vec::new()),
        };
        store.with_connection(|conn| migrate(&mut conn.client, store.schema.as_deref()))?;
        Ok(store)
    }

    /// Runs `body` in one write transaction that holds the schema's write lock.
    fn write<R>(&self, body: impl FnOnce(&mut PgTx<'_>) -> StoreResult<R>) -> StoreResult<R> {
        self.with_connection(|conn| {
            let mut tx = PgTx::begin(conn)?;
            let result = body(&mut tx)?;
            tx.commit()?;
            Ok(result)
        })
    }

    /// Runs `body` on a pooled connection, outside any explicit transaction.
    fn read<R>(
        &self,
        body: impl FnOnce(&mut Session<'_, Client>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        self.with_connection(|conn| body(&mut conn.session()))
    }

    fn with_connection<R>(
        &self,
        body: impl FnOnce(&mut PgConn) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let pooled = lock(&self.idle)?.pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.open_connection()?,
        };
        let result = body(&mut conn);
        if !conn.client.is_closed() {
            let mut idle = lock(&self.idle)?;
            if idle.len() < MAX_IDLE_CONNECTIONS {
                idle.push(conn);
            }
        }
        result
    }

    fn open_connection(&self) -> StoreResult<PgConn> {
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|err| StoreError::Unavailable(err.to_string()))?;
        if let Some(schema) = &self.schema {
            client.batch_execute(&format!("SET search_path TO \"{schema}\""))?;
        }
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }
}

/// Connections kept open for reuse.
const MAX_IDLE_CONNECTIONS: usize = 8;

/// How long opening a connection may take when the URL sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Serialises migrations of one schema across processes (released at commit).
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended('ecrm-migrate:' || \
     coalesce($1::TEXT, current_schema()::TEXT, ''), 0))";

/// Serialises write transactions of one schema across processes (released at commit or rollback).
const WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended('ecrm-write:' || coalesce(current_schema()::TEXT, ''), 0))";

/// Prepared statements of one connection, keyed by their SQL text.
type StatementCache = HashMap<&'static str, Statement>;

/// A pooled connection and the statements prepared on it.
struct PgConn {
    client: Client,
    statements: StatementCache,
}

impl PgConn {
    fn session(&mut self) -> Session<'_, Client> {
        Session {
            client: &mut self.client,
            statements: &mut self.statements,
        }
    }
}

/// A client (a connection or an open transaction) together with its connection's statement cache.
pub(crate) struct Session<'s, C: GenericClient> {
    client: &'s mut C,
    statements: &'s mut StatementCache,
}

impl<C: GenericClient> Session<'_, C> {
    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.client.query(&statement, params)?)
    }

    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Option<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_opt(&statement, params)?)
    }

    pub(crate) fn query_one(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Row> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_one(&statement, params)?)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        let statement = self.statement(sql)?;
        Ok(self.client.execute(&statement, params)?)
    }

    /// Runs SQL built at run time (not cached: its text varies).
    pub(crate) fn query_uncached(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        Ok(self.client.query(sql, params)?)
    }

    fn statement(&mut self, sql: &'static str) -> StoreResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> StoreResult<MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| StoreError::Other("a database connection lock was poisoned".to_string()))
}

impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
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
        PostgresStore::recs_interactions(self, sink)
    }

    fn recs_products(&self) -> StoreResult<Vec<crate::RecsProduct>> {
        PostgresStore::recs_products(self)
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
        self.read(|session| read::find_customer_id(session, identifier))
    }

    fn customer_360(&self, customer_id: &str, latest_orders: usize) -> StoreResult<Customer360> {
        self.with_connection(|conn| {
            let PgConn { client, statements } = conn;
            let mut snapshot = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let result = {
                let mut session = Session {
                    client: &mut snapshot,
                    statements,
                };
                read::customer_360(&mut session, customer_id, latest_orders)?
            };
            snapshot.commit()?;
            Ok(result)
        })
    }

    fn timeline(
        &self,
        customer_id: &str,
        before: Option<TimelineCursor>,
        limit: usize,
    ) -> StoreResult<Vec<TimelineEntry>> {
        self.read(|session| read::timeline(session, customer_id, before, limit))
    }

    fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Vec<CustomerListItem>> {
        self.read(|session| read::list_customers(session, query))
    }

    fn merge_history(&self, customer_id: &str) -> StoreResult<Vec<MergeRecord>> {
        self.read(|session| read::merge_history(session, customer_id))
    }

    fn unmerge(&self, merge_id: i64, ctx: &WriteContext) -> StoreResult<Vec<String>> {
        self.write(|tx| write::unmerge(tx, merge_id, ctx))
    }

    fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<i64> {
        self.write(|tx| tx.api_key_insert(key))
    }

    fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.read(|session| read::find_api_key(session, key_hash))
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

    fn customer_events(
        &self,
        customer_id: &str,
        query: &EventQuery,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.read(|session| events::customer_events(session, customer_id, query))
    }

    segment_store_methods!();
    console_store_methods!();
}
