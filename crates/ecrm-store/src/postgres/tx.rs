//! [`WriteTx`] for PostgreSQL: statements prepared once per connection, inside one transaction that
//! holds the schema's write lock.

use ecrm_core::Identifier;
use ecrm_core::order::OrderLine;
use ecrm_core::time::Millis;
use postgres::Transaction;

use super::known::KnownIdentifiers;
use super::pending::Pending;
use super::{PgConn, Session, StatementCache, WRITE_LOCK};
use crate::error::StoreResult;
use crate::model::{ApiKeyRecord, AuditEntry, CustomerAttributes, MergeRecord, ProductInput};
use crate::sql_common::{identifier_from_parts, merge_extra};
use crate::write::{IdentifierRow, NewEvent, NewOrder, StoredOrder, WriteTx};

pub(crate) struct PgTx<'a> {
    tx: Transaction<'a>,
    statements: &'a mut StatementCache,
    pending: Pending,
    /// The row of the last order whose insert hit an existing key, which `order_row` asks for next.
    existing_order: Option<(String, i64)>,
    known: KnownIdentifiers,
}

impl<'a> PgTx<'a> {
    /// Opens a write transaction on `conn` and waits for the schema's write lock.
    pub(crate) fn begin(conn: &'a mut PgConn) -> StoreResult<PgTx<'a>> {
        let PgConn { client, statements } = conn;
        let tx = client.transaction()?;
        let mut res = PgTx {
            tx,
            statements,
            pending: Pending::default(),
            existing_order: None,
            known: KnownIdentifiers::default(),
        };
        res.session().execute(WRITE_LOCK, &[])?;
        Ok(res)
    }

    /// Sends the deferred writes and commits; the changes are durable when this returns.
    pub(crate) fn commit(mut self) -> StoreResult<()> {
        let mut session = Session {
            client: &mut self.tx,
            statements: self.statements,
        };
        self.pending.flush(&mut session)?;
        self.tx.commit()?;
        Ok(())
    }

    pub(crate) fn api_key_insert(&mut self, key: &ApiKeyRecord) -> StoreResult<i64> {
        let row = self.session().query_one(
            "INSERT INTO api_keys (name, role, source, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id",
            &[&key.name, &key.role, &key.source, &key.prefix, &key.key_hash, &key.created_at],
        )?;
        Ok(row.try_get(0)?)
    }

    pub(crate) fn audit_insert(&mut self, entry: &AuditEntry) -> StoreResult<()> {
        self.session().execute(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
            &[
                &entry.at,
                &entry.actor,
                &entry.action,
                &entry.target,
                &entry.detail.to_string(),
            ],
        )?;
        Ok(())
    }

    /// The session beside the deferred writes and the known identifiers, borrowed apart.
    fn split(
        &mut self,
    ) -> (
        Session<'_, Transaction<'a>>,
        &mut Pending,
        &mut KnownIdentifiers,
    ) {
        let session = Session {
            client: &mut self.tx,
            statements: self.statements,
        };
        (session, &mut self.pending, &mut self.known)
    }

    fn session(&mut self) -> Session<'_, Transaction<'a>> {
        Session {
            client: &mut self.tx,
            statements: self.statements,
        }
    }

    fn identifier_rows(
        &mut self,
        sql: &'static str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> StoreResult<Vec<IdentifierRow>> {
        let rows = self.session().query(sql, args)?;
        let mut res = Vec::with_capacity(rows.len());
        for row in rows {
            let kind: String = row.try_get(1)?;
            let value: String = row.try_get(2)?;
            res.push(IdentifierRow {
                row: row.try_get(0)?,
                identifier: identifier_from_parts(&kind, &value)?,
                customer_id: row.try_get(3)?,
            });
        }
        Ok(res)
    }

    fn pairs(&mut self, sql: &'static str, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let found = self.session().query(sql, &[&rows])?;
        let mut res = Vec::with_capacity(found.len());
        for row in found {
            res.push((row.try_get(0)?, row.try_get(1)?));
        }
        Ok(res)
    }
}

impl WriteTx for PgTx<'_> {
    fn identifier_get(&mut self, identifier: &Identifier) -> StoreResult<Option<IdentifierRow>> {
        let (mut session, _, known) = self.split();
        known.identifier_get(&mut session, identifier)
    }

    fn identifier_insert(
        &mut self,
        identifier: &Identifier,
        customer_id: &str,
        source: &str,
        at: Millis,
    ) -> StoreResult<i64> {
        let kind = identifier.kind.as_str();
        let row = self.session().query_one(
            "INSERT INTO identifiers (kind, value, customer_id, source, first_seen, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            &[
                &kind.as_ref(),
                &identifier.value,
                &customer_id,
                &source,
                &at,
            ],
        )?;
        let row = row.try_get(0)?;
        self.known.inserted(identifier, row, customer_id);
        Ok(row)
    }

    fn identifiers_prefetch(&mut self, identifiers: &[&Identifier]) -> StoreResult<()> {
        let (mut session, _, known) = self.split();
        known.prefetch(&mut session, identifiers)
    }

    fn identifier_set_customer(&mut self, at: &IdentifierRow, to: &str) -> StoreResult<()> {
        self.known.moved(at.row, to);
        self.session().execute(
            "UPDATE identifiers SET customer_id = $2 WHERE id = $1",
            &[&at.row, &to],
        )?;
        Ok(())
    }

    fn identifier_touch(&mut self, row: i64, first: Millis, last: Millis) -> StoreResult<()> {
        self.pending.touch(row, first);
        self.pending.touch(row, last);
        Ok(())
    }

    fn identifiers_of_customer(&mut self, customer_id: &str) -> StoreResult<Vec<IdentifierRow>> {
        self.identifier_rows(
            "SELECT id, kind, value, customer_id FROM identifiers WHERE customer_id = $1 ORDER BY id",
            &[&customer_id],
        )
    }

    fn identifiers_by_rows(&mut self, rows: &[i64]) -> StoreResult<Vec<IdentifierRow>> {
        self.identifier_rows(
            "SELECT id, kind, value, customer_id FROM identifiers WHERE id = ANY($1) ORDER BY id",
            &[&rows],
        )
    }

    fn customer_insert(&mut self, customer_id: &str, at: Millis) -> StoreResult<bool> {
        let inserted = self.session().execute(
            "INSERT INTO customers (id, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (id) DO NOTHING",
            &[&customer_id, &at],
        )?;
        Ok(inserted == 1)
    }

    fn customer_conflicted(&mut self, customer_id: &str) -> StoreResult<bool> {
        let found = self.session().query_opt(
            "SELECT conflicted FROM customers WHERE id = $1",
            &[&customer_id],
        )?;
        let flag: i64 = match found {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        Ok(flag != 0)
    }

    fn customer_set_conflicted(&mut self, customer_id: &str, conflicted: bool) -> StoreResult<()> {
        self.session().execute(
            "UPDATE customers SET conflicted = $2 WHERE id = $1",
            &[&customer_id, &i64::from(conflicted)],
        )?;
        Ok(())
    }

    fn customer_update(
        &mut self,
        customer_id: &str,
        attributes: &CustomerAttributes,
        at: Millis,
    ) -> StoreResult<()> {
        self.session().execute(
            "UPDATE customers SET name = coalesce($2, name), gender = coalesce($3, gender), \
             birthday = coalesce($4, birthday), country = coalesce($5, country), city = coalesce($6, city), \
             signup_at = coalesce($7, signup_at), updated_at = $8 WHERE id = $1",
            &[
                &customer_id,
                &attributes.name,
                &attributes.gender,
                &attributes.birthday,
                &attributes.country,
                &attributes.city,
                &attributes.signup_at,
                &at,
            ],
        )?;
        if attributes.extra.is_empty() {
            return Ok(());
        }
        let stored_row = self.session().query_one(
            "SELECT attributes FROM customers WHERE id = $1",
            &[&customer_id],
        )?;
        let stored: String = stored_row.try_get(0)?;
        let merged = merge_extra(&stored, &attributes.extra)?;
        self.session().execute(
            "UPDATE customers SET attributes = $2 WHERE id = $1",
            &[&customer_id, &merged],
        )?;
        Ok(())
    }

    fn customer_fold(&mut self, from: &str, into: &str, at: Millis) -> StoreResult<()> {
        self.session().execute(
            "UPDATE customers SET name = coalesce(customers.name, f.name), gender = coalesce(customers.gender, f.gender), \
             birthday = coalesce(customers.birthday, f.birthday), country = coalesce(customers.country, f.country), \
             city = coalesce(customers.city, f.city), signup_at = coalesce(customers.signup_at, f.signup_at), \
             created_at = least(customers.created_at, f.created_at), updated_at = $3 \
             FROM (SELECT * FROM customers WHERE id = $1) AS f WHERE customers.id = $2",
            &[&from, &into, &at],
        )?;
        let stored = self.session().query(
            "SELECT id, attributes FROM customers WHERE id = $1 OR id = $2",
            &[&from, &into],
        )?;
        let mut from_attributes: Option<String> = None;
        let mut into_attributes: Option<String> = None;
        for row in stored {
            let id: String = row.try_get(0)?;
            let attributes: String = row.try_get(1)?;
            if id == into {
                into_attributes = Some(attributes);
            } else {
                from_attributes = Some(attributes);
            }
        }
        if let (Some(from_attributes), Some(into_attributes)) = (from_attributes, into_attributes) {
            let into_map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&into_attributes)?;
            let merged = merge_extra(&from_attributes, &into_map)?;
            self.session().execute(
                "UPDATE customers SET attributes = $2 WHERE id = $1",
                &[&into, &merged],
            )?;
        }
        self.session()
            .execute("DELETE FROM customers WHERE id = $1", &[&from])?;
        Ok(())
    }

    fn link_insert(&mut self, a: i64, b: i64, source: &str, at: Millis) -> StoreResult<()> {
        self.session().execute(
            "INSERT INTO identity_links (a, b, source, first_seen) VALUES ($1, $2, $3, $4) ON CONFLICT (a, b) DO NOTHING",
            &[&a, &b, &source, &at],
        )?;
        Ok(())
    }

    fn links_touching(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        self.pairs(
            "SELECT a, b FROM identity_links WHERE a = ANY($1) UNION SELECT a, b FROM identity_links WHERE b = ANY($1) \
             ORDER BY a, b",
            rows,
        )
    }

    fn separation_insert(&mut self, a: i64, b: i64, reason: &str, at: Millis) -> StoreResult<()> {
        self.session().execute(
            "INSERT INTO identity_separations (a, b, reason, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (a, b) DO NOTHING",
            &[&a, &b, &reason, &at],
        )?;
        Ok(())
    }

    fn separations_touching(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        self.pairs(
            "SELECT a, b FROM identity_separations WHERE a = ANY($1) AND b = ANY($1) ORDER BY a, b",
            rows,
        )
    }

    fn merge_insert(&mut self, merge: &MergeRecord) -> StoreResult<i64> {
        let row = self.session().query_one(
            "INSERT INTO merges (from_customer, into_customer, from_identifier, into_identifier, cause, merged_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &merge.from_customer,
                &merge.into_customer,
                &merge.from_identifier,
                &merge.into_identifier,
                &merge.cause,
                &merge.merged_at,
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn merge_get(&mut self, merge_id: i64) -> StoreResult<Option<MergeRecord>> {
        let found = self.session().query_opt(
            "SELECT id, from_customer, into_customer, from_identifier, into_identifier, cause, merged_at, undone_at \
             FROM merges WHERE id = $1",
            &[&merge_id],
        )?;
        match found {
            Some(row) => Ok(Some(super::read::merge_from_row(&row)?)),
            None => Ok(None),
        }
    }

    fn merge_mark_undone(&mut self, merge_id: i64, at: Millis) -> StoreResult<()> {
        self.session().execute(
            "UPDATE merges SET undone_at = $2 WHERE id = $1",
            &[&merge_id, &at],
        )?;
        Ok(())
    }

    fn order_insert(&mut self, order: &NewOrder<'_>) -> StoreResult<Option<i64>> {
        let found = self.session().query_opt(
            "WITH inserted AS (INSERT INTO orders \
             (order_key, kind, identifier_id, ordered_at, currency, status, source, derived_key, created_at, \
             total_cents, line_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (order_key) DO NOTHING RETURNING id) \
             SELECT id, true FROM inserted \
             UNION ALL SELECT id, false FROM orders WHERE order_key = $1 AND NOT EXISTS (SELECT 1 FROM inserted)",
            &[
                &order.order_key,
                &order.kind,
                &order.identifier_row,
                &order.ordered_at,
                &order.currency,
                &order.status,
                &order.source,
                &i64::from(order.derived_key),
                &order.created_at,
                &order.total_cents,
                &order.line_count,
            ],
        )?;
        let Some(row) = found else {
            return Ok(None);
        };
        let order_row: i64 = row.try_get(0)?;
        let inserted: bool = row.try_get(1)?;
        if !inserted {
            self.existing_order = Some((order.order_key.to_string(), order_row));
            return Ok(None);
        }
        self.pending.order_created(order_row);
        Ok(Some(order_row))
    }

    fn order_row(&mut self, order_key: &str) -> StoreResult<Option<i64>> {
        if let Some((key, order_row)) = self.existing_order.take()
            && key == order_key
        {
            return Ok(Some(order_row));
        }
        let found = self
            .session()
            .query_opt("SELECT id FROM orders WHERE order_key = $1", &[&order_key])?;
        match found {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }

    fn order_lines_insert_new(&mut self, lines: &[(i64, &OrderLine)]) -> StoreResult<()> {
        lines
            .iter()
            .try_for_each(|(order_row, line)| self.order_line_insert(*order_row, line).map(drop))
    }

    fn order_line_insert(&mut self, order_row: i64, line: &OrderLine) -> StoreResult<bool> {
        if let Some(inserted) = self.pending.defer_line(order_row, line) {
            if self.pending.lines_full() {
                let mut session = Session {
                    client: &mut self.tx,
                    statements: self.statements,
                };
                self.pending.flush_lines(&mut session)?;
            }
            return Ok(inserted);
        }
        let inserted = self.session().execute(
            "INSERT INTO order_lines \
             (order_id, line_key, product_id, product_name, category, quantity, unit_price_cents, amount_cents) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id, line_key) DO NOTHING",
            &[
                &order_row,
                &line.line_key,
                &line.product_id,
                &line.product_name,
                &line.category,
                &line.quantity,
                &line.unit_price_cents,
                &line.amount_cents,
            ],
        )?;
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
        self.pending.add_totals(order_row, amount_cents, lines);
        Ok(())
    }

    fn product_upsert(&mut self, product: &ProductInput, at: Millis) -> StoreResult<bool> {
        let existed = self.session().query_opt(
            "SELECT id FROM products WHERE id = $1",
            &[&product.product_id],
        )?;
        self.session().execute(
            "INSERT INTO products (id, name, category, brand, price_cents, currency, active, in_stock, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO UPDATE SET \
             name = coalesce(excluded.name, products.name), category = coalesce(excluded.category, products.category), \
             brand = coalesce(excluded.brand, products.brand), \
             price_cents = coalesce(excluded.price_cents, products.price_cents), \
             currency = coalesce(excluded.currency, products.currency), active = excluded.active, \
             in_stock = excluded.in_stock, updated_at = excluded.updated_at",
            &[
                &product.product_id,
                &product.name,
                &product.category,
                &product.brand,
                &product.price_cents,
                &product.currency,
                &i64::from(product.active),
                &i64::from(product.in_stock),
                &at,
            ],
        )?;
        Ok(existed.is_none())
    }

    fn events_insert(&mut self, events: &[NewEvent<'_>], source: &str) -> StoreResult<Vec<bool>> {
        super::events::insert_events(&mut self.session(), events, source)
    }

    fn order_for_refund(&mut self, order_key: &str) -> StoreResult<Option<StoredOrder>> {
        let (mut session, pending, _) = self.split();
        pending.flush(&mut session)?;
        super::events::order_for_refund(&mut session, order_key)
    }
}
