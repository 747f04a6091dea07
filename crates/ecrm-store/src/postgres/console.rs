//! Console reads and writes for PostgreSQL: users, sessions, trait values and event counts for the
//! dashboard, and stored snapshots.

use postgres::Row;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::PostgresStore;
use crate::console_model::{
    ConsoleSession, ConsoleSessionRecord, ConsoleUserInput, ConsoleUserRecord, EventNameCount,
    SnapshotRecord,
};
use crate::error::{StoreError, StoreResult};

fn user_of(row: &Row, first: usize) -> StoreResult<ConsoleUserRecord> {
    Ok(ConsoleUserRecord {
        id: row.try_get(first)?,
        username: row.try_get(first + 1)?,
        role: row.try_get(first + 2)?,
        password_hash: row.try_get(first + 3)?,
        created_at: row.try_get(first + 4)?,
    })
}

impl PostgresStore {
    pub(crate) fn console_user_insert(&self, user: &ConsoleUserInput) -> StoreResult<i64> {
        self.with_connection(|conn| {
            let row = conn.client.query_opt(
                "INSERT INTO console_users (username, role, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING id",
                &[
                    &user.username,
                    &user.role,
                    &user.password_hash,
                    &user.created_at,
                ],
            )?;
            match row {
                Some(row) => Ok(row.try_get(0)?),
                None => Err(StoreError::Conflict(format!(
                    "console user {} already exists",
                    user.username
                ))),
            }
        })
    }

    pub(crate) fn console_user_by_name(
        &self,
        username: &str,
    ) -> StoreResult<Option<ConsoleUserRecord>> {
        self.with_connection(|conn| {
            let row = conn.client.query_opt(
                "SELECT id, username, role, password_hash, created_at FROM console_users \
                 WHERE username = $1",
                &[&username],
            )?;
            row.map(|row| user_of(&row, 0)).transpose()
        })
    }

    pub(crate) fn console_users(&self) -> StoreResult<Vec<ConsoleUserRecord>> {
        self.with_connection(|conn| {
            let rows = conn.client.query(
                "SELECT id, username, role, password_hash, created_at FROM console_users \
                 ORDER BY username COLLATE \"C\"",
                &[],
            )?;
            rows.iter().map(|row| user_of(row, 0)).collect()
        })
    }

    pub(crate) fn console_user_delete(&self, username: &str) -> StoreResult<bool> {
        self.with_connection(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute(
                "DELETE FROM console_sessions WHERE user_id IN \
                   (SELECT id FROM console_users WHERE username = $1)",
                &[&username],
            )?;
            let deleted = tx.execute(
                "DELETE FROM console_users WHERE username = $1",
                &[&username],
            )?;
            tx.commit()?;
            Ok(deleted > 0)
        })
    }

    pub(crate) fn console_user_set_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> StoreResult<bool> {
        self.with_connection(|conn| {
            let mut tx = conn.client.transaction()?;
            let updated = tx.execute(
                "UPDATE console_users SET password_hash = $2 WHERE username = $1",
                &[&username, &password_hash],
            )?;
            tx.execute(
                "DELETE FROM console_sessions WHERE user_id IN \
                   (SELECT id FROM console_users WHERE username = $1)",
                &[&username],
            )?;
            tx.commit()?;
            Ok(updated > 0)
        })
    }

    pub(crate) fn console_session_insert(&self, session: &ConsoleSessionRecord) -> StoreResult<()> {
        self.with_connection(|conn| {
            let mut tx = conn.client.transaction()?;
            tx.execute(
                "DELETE FROM console_sessions WHERE expires_at <= $1",
                &[&session.created_at],
            )?;
            tx.execute(
                "INSERT INTO console_sessions \
                   (token_hash, user_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &session.token_hash,
                    &session.user_id,
                    &session.csrf_token,
                    &session.created_at,
                    &session.expires_at,
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    pub(crate) fn console_session_find(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<ConsoleSession>> {
        self.with_connection(|conn| {
            let row = conn.client.query_opt(
                "SELECT u.id, u.username, u.role, u.password_hash, u.created_at, \
                   s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at \
                 FROM console_sessions s JOIN console_users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now],
            )?;
            row.map(|row| {
                Ok(ConsoleSession {
                    user: user_of(&row, 0)?,
                    session: ConsoleSessionRecord {
                        token_hash: row.try_get(5)?,
                        user_id: row.try_get(6)?,
                        csrf_token: row.try_get(7)?,
                        created_at: row.try_get(8)?,
                        expires_at: row.try_get(9)?,
                    },
                })
            })
            .transpose()
        })
    }

    pub(crate) fn console_session_delete(&self, token_hash: &str) -> StoreResult<()> {
        self.with_connection(|conn| {
            conn.client.execute(
                "DELETE FROM console_sessions WHERE token_hash = $1",
                &[&token_hash],
            )?;
            Ok(())
        })
    }

    pub(crate) fn trait_values_of(
        &self,
        names: &[&str],
        sink: &mut dyn FnMut(&str, &str, &str) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.with_connection(|conn| {
            let names: Vec<&str> = names.to_vec();
            let params: [&(dyn ToSql + Sync); 1] = [&names];
            let mut rows = conn.client.query_raw(
                "SELECT name, customer_id, value FROM traits WHERE name = ANY($1)",
                params,
            )?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                sink(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn event_counts(&self) -> StoreResult<Vec<EventNameCount>> {
        self.with_connection(|conn| {
            let rows = conn.client.query(
                "SELECT e.name, count(*), count(DISTINCT i.customer_id) \
                 FROM events e LEFT JOIN identifiers i ON i.id = e.identifier_id \
                 WHERE e.type = 'track' AND e.name IS NOT NULL \
                 GROUP BY e.name ORDER BY e.name COLLATE \"C\"",
                &[],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(EventNameCount {
                        name: row.try_get(0)?,
                        events: row.try_get::<_, i64>(1)?.max(0) as u64,
                        customers: row.try_get::<_, i64>(2)?.max(0) as u64,
                    })
                })
                .collect()
        })
    }

    pub(crate) fn customers_counted(&self) -> StoreResult<u64> {
        self.with_connection(|conn| {
            let row = conn
                .client
                .query_one("SELECT count(*)::BIGINT FROM customers", &[])?;
            Ok(u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or(0))
        })
    }

    pub(crate) fn snapshot_write(&self, snapshot: &SnapshotRecord) -> StoreResult<()> {
        self.with_connection(|conn| {
            conn.client.execute(
                "INSERT INTO console_snapshots (name, payload, computed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET payload = excluded.payload, \
                   computed_at = excluded.computed_at",
                &[&snapshot.name, &snapshot.payload, &snapshot.computed_at],
            )?;
            Ok(())
        })
    }

    pub(crate) fn snapshot_read(&self, name: &str) -> StoreResult<Option<SnapshotRecord>> {
        self.with_connection(|conn| {
            let row = conn.client.query_opt(
                "SELECT name, payload, computed_at FROM console_snapshots WHERE name = $1",
                &[&name],
            )?;
            row.map(|row| {
                Ok(SnapshotRecord {
                    name: row.try_get(0)?,
                    payload: row.try_get(1)?,
                    computed_at: row.try_get(2)?,
                })
            })
            .transpose()
        })
    }
}
