//! The playbook SQL's [`Sql`] interface on SQLite (the SQL itself is shared: `crate::playbooks`).

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior, params_from_iter};

use super::{SqliteStore, lock};
use crate::error::StoreResult;
use crate::playbooks::sql::{Sql, SqlRow, Val};
use crate::playbooks::{SqlBackend, impl_playbook_store};

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Int(i) => ToSqlOutput::from(*i),
            Val::Text(s) => ToSqlOutput::from(s.as_str()),
            Val::Null => ToSqlOutput::from(rusqlite::types::Null),
        })
    }
}

struct Conn<'c>(&'c Connection);

impl Sql for Conn<'_> {
    fn execute(&mut self, sql: &str, params: &[Val]) -> StoreResult<u64> {
        let mut statement = self.0.prepare_cached(sql)?;
        Ok(statement.execute(params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> StoreResult<Vec<SqlRow>> {
        let mut statement = self.0.prepare_cached(sql)?;
        let columns = statement.column_count();
        let mut rows = statement.query(params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for index in 0..columns {
                values.push(match row.get_ref(index)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(i) => Val::Int(i),
                    ValueRef::Real(x) => Val::Int(x as i64),
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        Val::Text(String::from_utf8_lossy(bytes).into_owned())
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl SqlBackend for SqliteStore {
    fn sql_write<R>(&self, body: impl FnOnce(&mut dyn Sql) -> StoreResult<R>) -> StoreResult<R> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let result = body(&mut Conn(&tx))?;
        tx.commit()?;
        Ok(result)
    }

    fn sql_read<R>(&self, body: impl FnOnce(&mut dyn Sql) -> StoreResult<R>) -> StoreResult<R> {
        self.read(|conn| body(&mut Conn(conn)))
    }
}

impl_playbook_store!(SqliteStore);
