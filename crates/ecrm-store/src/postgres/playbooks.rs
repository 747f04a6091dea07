//! The playbook SQL's [`Sql`] interface on PostgreSQL (the SQL itself is shared:
//! `crate::playbooks`); `?N` placeholders become `$N`.

use postgres::GenericClient;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::{PostgresStore, WRITE_LOCK};
use crate::error::StoreResult;
use crate::playbooks::sql::{Sql, SqlRow, Val};
use crate::playbooks::{SqlBackend, impl_playbook_store};

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Int(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Val::Int(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Val::Int(i) => i.to_sql(ty, out),
            Val::Text(s) => s.as_str().to_sql(ty, out),
            Val::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// `?1` placeholders as `$1`.
fn dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

struct PgSql<'c, C: GenericClient>(&'c mut C);

impl<C: GenericClient> Sql for PgSql<'_, C> {
    fn execute(&mut self, sql: &str, params: &[Val]) -> StoreResult<u64> {
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        Ok(self.0.execute(dollar(sql).as_str(), &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> StoreResult<Vec<SqlRow>> {
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.0.query(dollar(sql).as_str(), &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut values = Vec::with_capacity(row.len());
            for (index, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                values.push(if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(index)?
                        .map_or(Val::Null, Val::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(index)?
                        .map_or(Val::Null, |i| Val::Int(i.into()))
                } else if *ty == Type::INT2 {
                    row.try_get::<_, Option<i16>>(index)?
                        .map_or(Val::Null, |i| Val::Int(i.into()))
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(index)?
                        .map_or(Val::Null, |b| Val::Int(b.into()))
                } else {
                    row.try_get::<_, Option<String>>(index)?
                        .map_or(Val::Null, Val::Text)
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl SqlBackend for PostgresStore {
    fn sql_write<R>(&self, body: impl FnOnce(&mut dyn Sql) -> StoreResult<R>) -> StoreResult<R> {
        self.with_connection(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute(WRITE_LOCK, &[])?;
            let result = body(&mut PgSql(&mut tx))?;
            tx.commit()?;
            Ok(result)
        })
    }

    fn sql_read<R>(&self, body: impl FnOnce(&mut dyn Sql) -> StoreResult<R>) -> StoreResult<R> {
        self.with_connection(|conn| body(&mut PgSql(&mut conn.client)))
    }
}

impl_playbook_store!(PostgresStore);
