//! Identifier rows a PostgreSQL write transaction has already read, so that resolving the customers
//! of a group commit costs one query for all its identifiers instead of one round trip each. It
//! lives for one transaction, which holds the schema's write lock, so no other writer can change an
//! identifier under it; this transaction's own inserts and moves keep it current.

use std::collections::HashMap;

use ecrm_core::Identifier;
use postgres::GenericClient;

use super::Session;
use crate::error::StoreResult;
use crate::write::IdentifierRow;

const PREFETCH: &str = "SELECT d.kind, d.value, i.id, i.customer_id \
     FROM unnest($1::TEXT[], $2::TEXT[]) AS d(kind, value) \
     JOIN identifiers i ON i.kind = d.kind AND i.value = d.value";

/// Identifier → its stored row and customer, or `None` when it is known not to be stored.
#[derive(Default)]
pub(crate) struct KnownIdentifiers {
    rows: HashMap<Identifier, Option<(i64, String)>>,
}

impl KnownIdentifiers {
    /// Reads the rows of all `identifiers` in one query.
    pub(crate) fn prefetch<C: GenericClient>(
        &mut self,
        session: &mut Session<'_, C>,
        identifiers: &[&Identifier],
    ) -> StoreResult<()> {
        let wanted: Vec<&Identifier> = identifiers
            .iter()
            .copied()
            .filter(|identifier| !self.rows.contains_key(*identifier))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let kinds: Vec<String> = wanted
            .iter()
            .map(|i| i.kind.as_str().into_owned())
            .collect();
        let values: Vec<&str> = wanted.iter().map(|i| i.value.as_str()).collect();
        let mut found: HashMap<(String, String), (i64, String)> = HashMap::new();
        for row in session.query(PREFETCH, &[&kinds, &values])? {
            found.insert(
                (row.try_get(0)?, row.try_get(1)?),
                (row.try_get(2)?, row.try_get(3)?),
            );
        }
        for (identifier, kind) in wanted.into_iter().zip(kinds) {
            let stored = found.get(&(kind, identifier.value.clone())).cloned();
            self.rows.insert(identifier.clone(), stored);
        }
        Ok(())
    }

    /// The stored row of `identifier`, from what is known or else from the database.
    pub(crate) fn identifier_get<C: GenericClient>(
        &self,
        session: &mut Session<'_, C>,
        identifier: &Identifier,
    ) -> StoreResult<Option<IdentifierRow>> {
        let stored = match self.rows.get(identifier) {
            Some(known) => known.clone(),
            None => {
                let kind = identifier.kind.as_str();
                let found = session.query_opt(
                    "SELECT id, customer_id FROM identifiers WHERE kind = $1 AND value = $2",
                    &[&kind.as_ref(), &identifier.value],
                )?;
                match found {
                    Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
                    None => None,
                }
            }
        };
        Ok(stored.map(|(row, customer_id)| IdentifierRow {
            row,
            identifier: identifier.clone(),
            customer_id,
        }))
    }

    /// `identifier` was inserted as `row` of `customer_id`.
    pub(crate) fn inserted(&mut self, identifier: &Identifier, row: i64, customer_id: &str) {
        self.rows
            .insert(identifier.clone(), Some((row, customer_id.to_string())));
    }

    /// Identifier row `row` moved to `customer_id`.
    pub(crate) fn moved(&mut self, row: i64, customer_id: &str) {
        for (stored_row, stored_customer) in self.rows.values_mut().flatten() {
            if *stored_row == row {
                *stored_customer = customer_id.to_string();
            }
        }
    }
}
