//! [`WriteTx`] for SQLite: cached prepared statements inside one immediate transaction.

use ecrm_core::Identifier;
use ecrm_core::order::OrderLine;
use ecrm_core::time::Millis;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::error::StoreResult;
use crate::model::{ApiKeyRecord, AuditEntry, CustomerAttributes, MergeRecord, ProductInput};
use crate::sql_common::{identifier_from_parts, in_list, merge_extra};
use crate::write::{IdentifierRow, NewEvent, NewOrder, SEEN_GRANULARITY_MS, StoredOrder, WriteTx};

use super::identifier_cache::IdentifierCache;
use super::tx_sql::{
    LINES_PER_STATEMENT, chunk_insert_sql, insert_events, single_insert_sql,
    write_identifier_journal,
};

pub(crate) struct SqliteTx<'a> {
    tx: &'a Transaction<'a>,
    /// Identifier rows known across transactions, kept current by this one's inserts and moves.
    known: &'a mut IdentifierCache,
    /// The `customer_changes` rows of identifiers inserted so far, (customer id, kind): written
    /// together by [`SqliteTx::finish`] (migration 0006 replaced the per-row trigger).
    new_identifiers: Vec<(String, String)>,
    /// Identifier rows inserted by this transaction, with the time they were inserted as seen at:
    /// a touch that adds nothing to that is skipped.
    inserted_at: std::collections::HashMap<i64, Millis>,
}

impl<'a> SqliteTx<'a> {
    pub(crate) fn new(tx: &'a Transaction<'a>, known: &'a mut IdentifierCache) -> SqliteTx<'a> {
        SqliteTx {
            tx,
            known,
            new_identifiers: Vec::new(),
            inserted_at: std::collections::HashMap::new(),
        }
    }

    /// Writes what this transaction left for its end: one `customer_changes` row of kind
    /// `identifiers` per inserted identifier, as the trigger of migration 0003 did, in few
    /// statements. Call before commit.
    pub(crate) fn finish(self) -> StoreResult<()> {
        write_identifier_journal(self.tx, &self.new_identifiers)
    }

    pub(crate) fn api_key_insert(&mut self, key: &ApiKeyRecord) -> StoreResult<i64> {
        self.tx.execute(
            "INSERT INTO api_keys (name, role, source, prefix, key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![key.name, key.role, key.source, key.prefix, key.key_hash, key.created_at],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    pub(crate) fn audit_insert(&mut self, entry: &AuditEntry) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                entry.at,
                entry.actor,
                entry.action,
                entry.target,
                entry.detail.to_string()
            ],
        )?;
        Ok(())
    }

    fn identifier_rows(
        &mut self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> StoreResult<Vec<IdentifierRow>> {
        let mut statement = self.tx.prepare_cached(sql)?;
        let rows = statement.query_map(args, |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, value, customer_id) = row?;
            out.push(IdentifierRow {
                row: id,
                identifier: identifier_from_parts(&kind, &value)?,
                customer_id,
            });
        }
        Ok(out)
    }

    /// Runs a statement through the connection's statement cache.
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }

    fn pairs(&mut self, sql: &str) -> StoreResult<Vec<(i64, i64)>> {
        let mut statement = self.tx.prepare(sql)?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

impl WriteTx for SqliteTx<'_> {
    fn identifier_get(&mut self, identifier: &Identifier) -> StoreResult<Option<IdentifierRow>> {
        if let Some((row, customer_id)) = self.known.get(identifier) {
            return Ok(Some(IdentifierRow {
                row,
                identifier: identifier.clone(),
                customer_id,
            }));
        }
        let mut statement = self.tx.prepare_cached(
            "SELECT id, customer_id FROM identifiers WHERE kind = ?1 AND value = ?2",
        )?;
        let found = statement
            .query_row(params![identifier.kind.as_str(), identifier.value], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .optional()?;
        if let Some((row, customer_id)) = &found {
            self.known.put(identifier, *row, customer_id);
        }
        Ok(found.map(|(row, customer_id)| IdentifierRow {
            row,
            identifier: identifier.clone(),
            customer_id,
        }))
    }

    fn identifier_insert(
        &mut self,
        identifier: &Identifier,
        customer_id: &str,
        source: &str,
        at: Millis,
    ) -> StoreResult<i64> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO identifiers (kind, value, customer_id, source, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )?;
        statement.execute(params![
            identifier.kind.as_str(),
            identifier.value,
            customer_id,
            source,
            at
        ])?;
        let row = self.tx.last_insert_rowid();
        self.known.put(identifier, row, customer_id);
        self.new_identifiers.push((
            customer_id.to_string(),
            identifier.kind.as_str().into_owned(),
        ));
        self.inserted_at.insert(row, at);
        Ok(row)
    }

    fn identifier_set_customer(&mut self, at: &IdentifierRow, to: &str) -> StoreResult<()> {
        let mut statement = self
            .tx
            .prepare_cached("UPDATE identifiers SET customer_id = ?2 WHERE id = ?1")?;
        statement.execute(params![at.row, to])?;
        self.known.put(&at.identifier, at.row, to);
        Ok(())
    }

    fn identifier_touch(&mut self, row: i64, first: Millis, last: Millis) -> StoreResult<()> {
        if first == last && self.inserted_at.get(&row) == Some(&first) {
            return Ok(());
        }
        let mut statement = self.tx.prepare_cached(
            "UPDATE identifiers SET first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?3) \
             WHERE id = ?1 AND (first_seen > ?2 + ?4 OR last_seen < ?3 - ?4)",
        )?;
        statement.execute(params![row, first, last, SEEN_GRANULARITY_MS])?;
        Ok(())
    }

    fn identifiers_of_customer(&mut self, customer_id: &str) -> StoreResult<Vec<IdentifierRow>> {
        self.identifier_rows(
            "SELECT id, kind, value, customer_id FROM identifiers WHERE customer_id = ?1",
            &[&customer_id],
        )
    }

    fn identifiers_by_rows(&mut self, rows: &[i64]) -> StoreResult<Vec<IdentifierRow>> {
        let sql = format!(
            "SELECT id, kind, value, customer_id FROM identifiers WHERE id IN ({})",
            in_list(rows)
        );
        self.identifier_rows(&sql, &[])
    }

    fn customer_insert(&mut self, customer_id: &str, at: Millis) -> StoreResult<bool> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO customers (id, created_at, updated_at) VALUES (?1, ?2, ?2) ON CONFLICT (id) DO NOTHING",
        )?;
        Ok(statement.execute(params![customer_id, at])? == 1)
    }

    fn customer_conflicted(&mut self, customer_id: &str) -> StoreResult<bool> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT conflicted FROM customers WHERE id = ?1")?;
        let flag: Option<i64> = statement
            .query_row([customer_id], |row| row.get(0))
            .optional()?;
        Ok(flag.unwrap_or(0) != 0)
    }

    fn customer_set_conflicted(&mut self, customer_id: &str, conflicted: bool) -> StoreResult<()> {
        self.exec(
            "UPDATE customers SET conflicted = ?2 WHERE id = ?1",
            params![customer_id, i64::from(conflicted)],
        )?;
        Ok(())
    }

    fn customer_update(
        &mut self,
        customer_id: &str,
        attributes: &CustomerAttributes,
        at: Millis,
    ) -> StoreResult<()> {
        let mut statement = self.tx.prepare_cached(
            "UPDATE customers SET name = coalesce(?2, name), gender = coalesce(?3, gender), \
             birthday = coalesce(?4, birthday), country = coalesce(?5, country), city = coalesce(?6, city), \
             signup_at = coalesce(?7, signup_at), updated_at = ?8 WHERE id = ?1",
        )?;
        statement.execute(params![
            customer_id,
            attributes.name,
            attributes.gender,
            attributes.birthday,
            attributes.country,
            attributes.city,
            attributes.signup_at,
            at
        ])?;
        if !attributes.extra.is_empty() {
            let stored: String = self
                .tx
                .prepare_cached("SELECT attributes FROM customers WHERE id = ?1")?
                .query_row([customer_id], |row| row.get(0))?;
            let merged = merge_extra(&stored, &attributes.extra)?;
            self.tx
                .prepare_cached("UPDATE customers SET attributes = ?2 WHERE id = ?1")?
                .execute(params![customer_id, merged])?;
        }
        Ok(())
    }

    fn customer_fold(&mut self, from: &str, into: &str, at: Millis) -> StoreResult<()> {
        self.exec(
            "UPDATE customers SET name = coalesce(customers.name, f.name), \
             gender = coalesce(customers.gender, f.gender), birthday = coalesce(customers.birthday, f.birthday), \
             country = coalesce(customers.country, f.country), city = coalesce(customers.city, f.city), \
             signup_at = coalesce(customers.signup_at, f.signup_at), \
             created_at = min(customers.created_at, f.created_at), updated_at = ?3 \
             FROM (SELECT * FROM customers WHERE id = ?1) AS f WHERE customers.id = ?2",
            params![from, into, at],
        )?;
        let attributes: Vec<String> = {
            let mut statement = self.tx.prepare_cached(
                "SELECT attributes FROM customers WHERE id IN (?1, ?2) ORDER BY id = ?2",
            )?;
            statement
                .query_map(params![from, into], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        if let [from_attributes, into_attributes] = attributes.as_slice() {
            let into_map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(into_attributes)?;
            let merged = merge_extra(from_attributes, &into_map)?;
            self.exec(
                "UPDATE customers SET attributes = ?2 WHERE id = ?1",
                params![into, merged],
            )?;
        }
        self.exec("DELETE FROM customers WHERE id = ?1", [from])?;
        Ok(())
    }

    fn link_insert(&mut self, a: i64, b: i64, source: &str, at: Millis) -> StoreResult<()> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO identity_links (a, b, source, first_seen) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (a, b) DO NOTHING",
        )?;
        statement.execute(params![a, b, source, at])?;
        Ok(())
    }

    fn links_touching(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let list = in_list(rows);
        self.pairs(&format!("SELECT a, b FROM identity_links WHERE a IN ({list}) UNION SELECT a, b FROM identity_links WHERE b IN ({list})"))
    }

    fn separation_insert(&mut self, a: i64, b: i64, reason: &str, at: Millis) -> StoreResult<()> {
        self.exec(
            "INSERT INTO identity_separations (a, b, reason, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (a, b) DO NOTHING",
            params![a, b, reason, at],
        )?;
        Ok(())
    }

    fn separations_touching(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let list = in_list(rows);
        self.pairs(&format!(
            "SELECT a, b FROM identity_separations WHERE a IN ({list}) AND b IN ({list})"
        ))
    }

    fn merge_insert(&mut self, merge: &MergeRecord) -> StoreResult<i64> {
        self.exec(
            "INSERT INTO merges (from_customer, into_customer, from_identifier, into_identifier, cause, merged_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![merge.from_customer, merge.into_customer, merge.from_identifier, merge.into_identifier, merge.cause, merge.merged_at],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn merge_get(&mut self, merge_id: i64) -> StoreResult<Option<MergeRecord>> {
        let found = self
            .tx
            .query_row(
                "SELECT id, from_customer, into_customer, from_identifier, into_identifier, cause, merged_at, undone_at \
                 FROM merges WHERE id = ?1",
                [merge_id],
                super::read::merge_from_row,
            )
            .optional()?;
        Ok(found)
    }

    fn merge_mark_undone(&mut self, merge_id: i64, at: Millis) -> StoreResult<()> {
        self.exec(
            "UPDATE merges SET undone_at = ?2 WHERE id = ?1",
            params![merge_id, at],
        )?;
        Ok(())
    }

    fn order_insert(&mut self, order: &NewOrder<'_>) -> StoreResult<Option<i64>> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO orders (order_key, kind, identifier_id, ordered_at, currency, status, source, derived_key, created_at, \
             total_cents, line_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (order_key) DO NOTHING",
        )?;
        let inserted = statement.execute(params![
            order.order_key,
            order.kind,
            order.identifier_row,
            order.ordered_at,
            order.currency,
            order.status,
            order.source,
            i64::from(order.derived_key),
            order.created_at,
            order.total_cents,
            order.line_count
        ])?;
        Ok((inserted == 1).then(|| self.tx.last_insert_rowid()))
    }

    fn order_row(&mut self, order_key: &str) -> StoreResult<Option<i64>> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT id FROM orders WHERE order_key = ?1")?;
        Ok(statement
            .query_row([order_key], |row| row.get(0))
            .optional()?)
    }

    fn order_lines_insert_new(&mut self, lines: &[(i64, &OrderLine)]) -> StoreResult<()> {
        let full = lines.len() / LINES_PER_STATEMENT * LINES_PER_STATEMENT;
        let (chunked, rest) = lines.split_at(full);
        for chunk in chunked.chunks(LINES_PER_STATEMENT).chain(rest.chunks(1)) {
            let sql = if chunk.len() == LINES_PER_STATEMENT {
                chunk_insert_sql()
            } else {
                single_insert_sql()
            };
            let mut statement = self.tx.prepare_cached(sql)?;
            let mut idx = 1;
            for (order_row, line) in chunk {
                statement.raw_bind_parameter(idx, order_row)?;
                statement.raw_bind_parameter(idx + 1, line.line_key)?;
                statement.raw_bind_parameter(idx + 2, &line.product_id)?;
                statement.raw_bind_parameter(idx + 3, &line.product_name)?;
                statement.raw_bind_parameter(idx + 4, &line.category)?;
                statement.raw_bind_parameter(idx + 5, line.quantity)?;
                statement.raw_bind_parameter(idx + 6, line.unit_price_cents)?;
                statement.raw_bind_parameter(idx + 7, line.amount_cents)?;
                idx += 8;
            }
            statement.raw_execute()?;
        }
        Ok(())
    }

    fn order_line_insert(&mut self, order_row: i64, line: &OrderLine) -> StoreResult<bool> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO order_lines (order_id, line_key, product_id, product_name, category, quantity, unit_price_cents, amount_cents) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (order_id, line_key) DO NOTHING",
        )?;
        let inserted = statement.execute(params![
            order_row,
            line.line_key,
            line.product_id,
            line.product_name,
            line.category,
            line.quantity,
            line.unit_price_cents,
            line.amount_cents
        ])?;
        Ok(inserted == 1)
    }

    fn order_add_totals(
        &mut self,
        order_row: i64,
        amount_cents: i64,
        lines: i64,
    ) -> StoreResult<()> {
        if lines == 0 {
            return Ok(());
        }
        let mut statement = self.tx.prepare_cached(
            "UPDATE orders SET total_cents = total_cents + ?2, line_count = line_count + ?3 WHERE id = ?1",
        )?;
        statement.execute(params![order_row, amount_cents, lines])?;
        Ok(())
    }

    fn product_upsert(&mut self, product: &ProductInput, at: Millis) -> StoreResult<bool> {
        let existed: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM products WHERE id = ?1",
                [&product.product_id],
                |row| row.get(0),
            )
            .optional()?;
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO products (id, name, category, brand, price_cents, currency, active, in_stock, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT (id) DO UPDATE SET \
             name = coalesce(excluded.name, name), category = coalesce(excluded.category, category), \
             brand = coalesce(excluded.brand, brand), price_cents = coalesce(excluded.price_cents, price_cents), \
             currency = coalesce(excluded.currency, currency), active = excluded.active, in_stock = excluded.in_stock, \
             updated_at = excluded.updated_at",
        )?;
        statement.execute(params![
            product.product_id,
            product.name,
            product.category,
            product.brand,
            product.price_cents,
            product.currency,
            i64::from(product.active),
            i64::from(product.in_stock),
            at
        ])?;
        Ok(existed.is_none())
    }

    fn events_insert(&mut self, events: &[NewEvent<'_>], source: &str) -> StoreResult<Vec<bool>> {
        insert_events(self.tx, events, source)
    }

    fn order_for_refund(&mut self, order_key: &str) -> StoreResult<Option<StoredOrder>> {
        super::events::order_for_refund(self.tx, order_key)
    }
}
