//! Console reads and writes for SQLite: users, sessions, trait values and event counts for the
//! dashboard, and stored snapshots.

use std::collections::HashMap;

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

/// Events of one name and the customers who sent them (a bit per customer index).
#[derive(Default)]
struct NameCount {
    events: u64,
    customers: Vec<u64>,
}

impl NameCount {
    fn add(&mut self, customer: Option<u32>) {
        self.events += 1;
        if let Some(customer) = customer {
            let (word, bit) = (customer as usize / 64, customer % 64);
            if self.customers.len() <= word {
                self.customers.resize(word + 1, 0);
            }
            self.customers[word] |= 1 << bit;
        }
    }

    fn customers(&self) -> u64 {
        self.customers
            .iter()
            .map(|w| u64::from(w.count_ones()))
            .sum()
    }
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

    pub(crate) fn console_user_delete(&self, username: &str) -> StoreResult<bool> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM console_sessions WHERE user_id IN \
               (SELECT id FROM console_users WHERE username = ?1)",
            [username],
        )?;
        let deleted = tx.execute("DELETE FROM console_users WHERE username = ?1", [username])?;
        tx.commit()?;
        Ok(deleted > 0)
    }

    pub(crate) fn console_user_set_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> StoreResult<bool> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let updated = tx.execute(
            "UPDATE console_users SET password_hash = ?2 WHERE username = ?1",
            params![username, password_hash],
        )?;
        tx.execute(
            "DELETE FROM console_sessions WHERE user_id IN \
               (SELECT id FROM console_users WHERE username = ?1)",
            [username],
        )?;
        tx.commit()?;
        Ok(updated > 0)
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

    /// The rows of the names asked for: one range of the traits table each (it is clustered by
    /// name).
    pub(crate) fn trait_values_of(
        &self,
        names: &[&str],
        sink: &mut dyn FnMut(&str, &str, &str) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        if names.is_empty() {
            return Ok(0);
        }
        let marks = vec!["?"; names.len()].join(", ");
        self.read(|conn| {
            let mut statement = conn.prepare(&format!(
                "SELECT name, customer_id, value FROM traits WHERE name IN ({marks})"
            ))?;
            let mut rows = statement.query(rusqlite::params_from_iter(names.iter()))?;
            let mut count = 0u64;
            while let Some(row) = rows.next()? {
                let name = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                let customer = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
                let value = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                sink(name, customer, value)?;
                count += 1;
            }
            Ok(count)
        })
    }

    /// One scan of the identifiers (id → customer) and one scan of the events table in storage
    /// order, counted in memory with a bit set of customers per name: the join and
    /// `count(DISTINCT ...)` by name read every event through the name index and took minutes
    /// on a 17M-event store.
    pub(crate) fn event_counts(&self) -> StoreResult<Vec<EventNameCount>> {
        self.read(|conn| {
            // One read transaction, so both scans see the same commit.
            let tx = conn.unchecked_transaction()?;
            let identifiers = super::profile::identifier_map(&tx)?;
            let mut names: HashMap<String, NameCount> = HashMap::new();
            {
                let mut statement = tx.prepare(
                    "SELECT name, identifier_id FROM events NOT INDEXED \
                     WHERE type = 'track' AND name IS NOT NULL",
                )?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let name = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                    let customer = row
                        .get::<_, Option<i64>>(1)?
                        .and_then(|id| identifiers.customer_of(id));
                    let count = match names.get_mut(name) {
                        Some(count) => count,
                        None => names.entry(name.to_string()).or_default(),
                    };
                    count.add(customer);
                }
            }
            tx.commit()?;
            let mut counts: Vec<EventNameCount> = names
                .into_iter()
                .map(|(name, count)| EventNameCount {
                    name,
                    events: count.events,
                    customers: count.customers(),
                })
                .collect();
            counts.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(counts)
        })
    }

    pub(crate) fn customers_counted(&self) -> StoreResult<u64> {
        self.read(|conn| {
            let n: i64 = conn.query_row("SELECT count(*) FROM customers", [], |row| row.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
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
