//! Console reads and writes for SQLite: users, sessions, trait values and event counts for the
//! dashboard, and stored snapshots.

use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, lock};
use crate::console_model::{
    ConsoleSession, ConsoleSessionRecord, ConsoleUserInput, ConsoleUserRecord, EventNameCount,
    SnapshotRecord,
};
use crate::error::{StoreError, StoreResult};

const USER_COLUMNS: &str =
    "SELECT id, username, role, password_hash, created_at FROM console_users";

fn user_of(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<ConsoleUserRecord> {
    Ok(ConsoleUserRecord {
        id: row.get(first)?,
        username: row.get(first + 1)?,
        role: row.get(first + 2)?,
        password_hash: row.get(first + 3)?,
        created_at: row.get(first + 4)?,
    })
}

impl SqliteStore {
    pub(crate) fn console_user_insert(&self, user: &ConsoleUserInput) -> StoreResult<i64> {
        let conn = lock(&self.writer)?;
        let inserted = conn.execute(
            "INSERT INTO console_users (username, role, password_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (username) DO NOTHING",
            params![
                user.username,
                user.role,
                user.password_hash,
                user.created_at
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "console user {} already exists",
                user.username
            )));
        }
        Ok(conn.last_insert_rowid())
    }

    pub(crate) fn console_user_by_name(
        &self,
        username: &str,
    ) -> StoreResult<Option<ConsoleUserRecord>> {
        self.read(|conn| {
            let sql = format!("{USER_COLUMNS} WHERE username = ?1");
            Ok(conn
                .query_row(&sql, [username], |row| user_of(row, 0))
                .optional()?)
        })
    }

    pub(crate) fn console_users(&self) -> StoreResult<Vec<ConsoleUserRecord>> {
        self.read(|conn| {
            let sql = format!("{USER_COLUMNS} ORDER BY username");
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map([], |row| user_of(row, 0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn console_session_insert(&self, session: &ConsoleSessionRecord) -> StoreResult<()> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM console_sessions WHERE expires_at <= ?1",
            [session.created_at],
        )?;
        tx.execute(
            "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                session.token_hash,
                session.user_id,
                session.csrf_token,
                session.created_at,
                session.expires_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn console_session_find(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<ConsoleSession>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT u.id, u.username, u.role, u.password_hash, u.created_at, \
                       s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at \
                     FROM console_sessions s JOIN console_users u ON u.id = s.user_id \
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    params![token_hash, now],
                    |row| {
                        Ok(ConsoleSession {
                            user: user_of(row, 0)?,
                            session: ConsoleSessionRecord {
                                token_hash: row.get(5)?,
                                user_id: row.get(6)?,
                                csrf_token: row.get(7)?,
                                created_at: row.get(8)?,
                                expires_at: row.get(9)?,
                            },
                        })
                    },
                )
                .optional()?)
        })
    }

    pub(crate) fn console_session_delete(&self, token_hash: &str) -> StoreResult<()> {
        let conn = lock(&self.writer)?;
        conn.execute(
            "DELETE FROM console_sessions WHERE token_hash = ?1",
            [token_hash],
        )?;
        Ok(())
    }

    pub(crate) fn trait_values_of(
        &self,
        name: &str,
        sink: &mut dyn FnMut(&str, &str) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        self.read(|conn| {
            let mut statement =
                conn.prepare_cached("SELECT customer_id, value FROM traits WHERE name = ?1")?;
            let mut rows = statement.query([name])?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                let customer = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                let value = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
                sink(customer, value)?;
                count += 1;
            }
            Ok(count)
        })
    }

    pub(crate) fn event_counts(&self) -> StoreResult<Vec<EventNameCount>> {
        self.read(|conn| {
            let mut statement = conn.prepare(
                "SELECT e.name, count(*), count(DISTINCT i.customer_id) \
                 FROM events e LEFT JOIN identifiers i ON i.id = e.identifier_id \
                 WHERE e.type = 'track' AND e.name IS NOT NULL GROUP BY e.name ORDER BY e.name",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(EventNameCount {
                    name: row.get(0)?,
                    events: row.get::<_, i64>(1)?.max(0) as u64,
                    customers: row.get::<_, i64>(2)?.max(0) as u64,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub(crate) fn snapshot_write(&self, snapshot: &SnapshotRecord) -> StoreResult<()> {
        let conn = lock(&self.writer)?;
        conn.execute(
            "INSERT INTO console_snapshots (name, payload, computed_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET payload = excluded.payload, \
               computed_at = excluded.computed_at",
            params![snapshot.name, snapshot.payload, snapshot.computed_at],
        )?;
        Ok(())
    }

    pub(crate) fn snapshot_read(&self, name: &str) -> StoreResult<Option<SnapshotRecord>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT name, payload, computed_at FROM console_snapshots WHERE name = ?1",
                    [name],
                    |row| {
                        Ok(SnapshotRecord {
                            name: row.get(0)?,
                            payload: row.get(1)?,
                            computed_at: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }
}
