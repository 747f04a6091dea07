//! An in-memory, columnar snapshot of what segments test about every customer: profile
//! attributes, the order summary, every trait's JSON leaves and identifier presence. Trait
//! values are flattened generically (`interests.category.shoes` is the leaf `category.shoes` of
//! the trait `interests`), so a new trait needs no change here, and the schema grows with it.

use std::collections::{BTreeMap, BTreeSet};

use ecrm_core::segment::{FactValue, FieldType, Schema, standard_schema};
use ecrm_core::time::{Millis, date_to_millis};
use ecrm_store::{FactRow, Store, StoreResult};

use super::bits::Bits;

mod two_threads;

/// A trait whose whole value reads as one of its keys (`lifecycle` is `lifecycle.stage`).
const PRIMARY_KEYS: &[(&str, &str)] = &[
    ("lifecycle", "stage"),
    ("value_tier", "tier"),
    ("risk_level", "level"),
];

/// Text values stored once, cells hold their code.
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    pub codes: Vec<u32>,
    pub dict: Vec<String>,
    lookup: foldhash::HashMap<String, u32>,
}

impl TextColumn {
    /// Sets a cell to `text`, copying it only when the column has not seen it before.
    fn set_str(&mut self, row: usize, text: &str) {
        let code = match self.lookup.get(text) {
            Some(&code) => code,
            None => {
                let code = u32::try_from(self.dict.len()).unwrap_or(NO_TEXT);
                self.lookup.insert(text.to_string(), code);
                self.dict.push(text.to_string());
                code
            }
        };
        put(&mut self.codes, row, code, NO_TEXT);
    }
}

/// No text value.
pub const NO_TEXT: u32 = u32::MAX;
/// No time value.
pub const NO_TIME: i64 = i64::MIN;
/// No boolean value.
pub const NO_BOOL: u8 = 2;

/// One field's values, indexed by customer row; missing cells read as absent.
#[derive(Debug, Clone)]
pub enum Column {
    Number(Vec<f64>),
    Time(Vec<i64>),
    Bool(Vec<u8>),
    Text(TextColumn),
}

impl Column {
    /// An empty column of `value`'s type with room for `rows` cells: a column grown by doubling
    /// instead copied itself and faulted in fresh pages at every step.
    fn new_like(value: &FactValue, rows: usize) -> Column {
        match value {
            FactValue::Number(_) => Column::Number(Vec::with_capacity(rows)),
            FactValue::Time(_) => Column::Time(Vec::with_capacity(rows)),
            FactValue::Bool(_) => Column::Bool(Vec::with_capacity(rows)),
            FactValue::Text(_) => Column::Text(TextColumn {
                codes: Vec::with_capacity(rows),
                ..TextColumn::default()
            }),
        }
    }

    /// Sets a cell; a value of another type than the column's is left out (read as absent).
    fn set(&mut self, row: usize, value: FactValue) {
        match (self, value) {
            (Column::Number(cells), FactValue::Number(n)) => put(cells, row, n, f64::NAN),
            (Column::Time(cells), FactValue::Time(t)) => put(cells, row, t, NO_TIME),
            (Column::Bool(cells), FactValue::Bool(b)) => put(cells, row, u8::from(b), NO_BOOL),
            (Column::Text(column), FactValue::Text(text)) => column.set_str(row, &text),
            _ => {}
        }
    }

    fn clear(&mut self, row: usize) {
        match self {
            Column::Number(cells) if row < cells.len() => cells[row] = f64::NAN,
            Column::Time(cells) if row < cells.len() => cells[row] = NO_TIME,
            Column::Bool(cells) if row < cells.len() => cells[row] = NO_BOOL,
            Column::Text(column) if row < column.codes.len() => column.codes[row] = NO_TEXT,
            _ => {}
        }
    }

    /// A cell's value, or `None` when absent.
    pub fn get(&self, row: usize) -> Option<FactValue> {
        match self {
            Column::Number(cells) => cells
                .get(row)
                .filter(|n| !n.is_nan())
                .map(|n| FactValue::Number(*n)),
            Column::Time(cells) => cells
                .get(row)
                .filter(|t| **t != NO_TIME)
                .map(|t| FactValue::Time(*t)),
            Column::Bool(cells) => cells
                .get(row)
                .filter(|b| **b != NO_BOOL)
                .map(|b| FactValue::Bool(*b == 1)),
            Column::Text(column) => column
                .codes
                .get(row)
                .and_then(|code| column.dict.get(*code as usize))
                .map(|text| FactValue::Text(text.clone())),
        }
    }

    fn field_type(&self) -> FieldType {
        match self {
            Column::Number(_) => FieldType::Number,
            Column::Time(_) => FieldType::Date,
            Column::Bool(_) => FieldType::Bool,
            Column::Text(_) => FieldType::Text,
        }
    }
}

fn put<T: Copy>(cells: &mut Vec<T>, row: usize, value: T, missing: T) {
    if cells.len() <= row {
        cells.resize(row + 1, missing);
    }
    cells[row] = value;
}

/// Every customer's facts, by row; rows of removed customers stay but are not `alive`.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub ids: Vec<String>,
    index: foldhash::HashMap<String, usize>,
    pub alive: Bits,
    /// Columns by field name (a hash map: loading looks one up per leaf).
    pub columns: foldhash::HashMap<String, Column>,
    pub identifiers: BTreeMap<String, Bits>,
    /// The customer of the last fact applied and its row (facts come grouped by customer).
    last: Option<(String, usize)>,
    /// When set, the only traits read (the store streams no others).
    traits: Option<BTreeSet<String>>,
    /// The store's change cursor just before a whole load read it (`None` for partial loads).
    pub loaded_at: Option<ecrm_store::ChangeCursor>,
}

impl Snapshot {
    /// Loads every customer from the store.
    pub fn load(store: &dyn Store) -> StoreResult<Snapshot> {
        Snapshot::load_everyone(store, None)
    }

    fn load_everyone(store: &dyn Store, traits: Option<BTreeSet<String>>) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot {
            traits,
            ..Snapshot::default()
        };
        let wanted = snapshot.wanted_traits();
        store.segment_facts(None, wanted.as_deref(), &mut |row| {
            snapshot.apply(row);
            Ok(())
        })?;
        Ok(snapshot)
    }

    /// Loads only these customers (those that exist).
    pub fn load_some(store: &dyn Store, customers: &[String]) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot::default();
        snapshot.refresh(store, customers)?;
        Ok(snapshot)
    }

    /// Re-reads these customers from the store: changed ones are replaced, new ones added,
    /// and ones that no longer exist are no longer alive.
    pub fn refresh(&mut self, store: &dyn Store, customers: &[String]) -> StoreResult<()> {
        for id in customers {
            if let Some(&row) = self.index.get(id) {
                self.clear(row);
            }
        }
        let wanted = self.wanted_traits();
        store
            .segment_facts(Some(customers), wanted.as_deref(), &mut |row| {
                self.apply(row);
                Ok(())
            })
            .map(|_| ())
    }

    /// Whether every trait in `names` was loaded (all were when no filter was set).
    pub fn has_traits(&self, names: &BTreeSet<String>) -> bool {
        self.traits
            .as_ref()
            .is_none_or(|loaded| names.is_subset(loaded))
    }

    /// The trait names to ask the store for (`None`: all).
    fn wanted_traits(&self) -> Option<Vec<String>> {
        self.traits
            .as_ref()
            .map(|names| names.iter().cloned().collect())
    }

    /// The number of rows (alive or not).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The row of a customer, if alive.
    pub fn row_of(&self, customer_id: &str) -> Option<usize> {
        self.index
            .get(customer_id)
            .copied()
            .filter(|row| self.alive.get(*row))
    }

    /// The row of a customer, alive or not.
    pub fn index_of(&self, customer_id: &str) -> Option<usize> {
        self.index.get(customer_id).copied()
    }

    /// A field's value for one row.
    pub fn field(&self, row: usize, field: &str) -> Option<FactValue> {
        self.columns.get(field).and_then(|column| column.get(row))
    }

    /// The standard schema plus every trait leaf seen in the data.
    pub fn schema(&self) -> Schema {
        let mut schema = standard_schema();
        let mut names: Vec<&String> = self.columns.keys().collect();
        names.sort_unstable();
        for name in names {
            if name.starts_with("attributes.") || schema.field_type(name).is_ok() {
                continue;
            }
            schema
                .fields
                .push((name.clone(), self.columns[name].field_type()));
        }
        for kind in self.identifiers.keys() {
            if !schema.identifiers.contains(kind) && !kind.starts_with("ext.") {
                schema.identifiers.push(kind.clone());
            }
        }
        schema
    }

    fn clear(&mut self, row: usize) {
        self.alive.set(row, false);
        for column in self.columns.values_mut() {
            column.clear(row);
        }
        for bits in self.identifiers.values_mut() {
            bits.set(row, false);
        }
    }

    fn row_for(&mut self, customer_id: &str) -> usize {
        if let Some((last, row)) = &self.last
            && last == customer_id
        {
            return *row;
        }
        // The fact streams come in id order, as the rows were made: try the next row first.
        let next = self.last.as_ref().map_or(0, |(_, row)| row + 1);
        let row = match self.ids.get(next) {
            Some(id) if id == customer_id => next,
            _ => match self.index.get(customer_id) {
                Some(&row) => row,
                None => {
                    let row = self.ids.len();
                    self.ids.push(customer_id.to_string());
                    self.index.insert(customer_id.to_string(), row);
                    row
                }
            },
        };
        match &mut self.last {
            Some((id, last)) => {
                id.clear();
                id.push_str(customer_id);
                *last = row;
            }
            None => self.last = Some((customer_id.to_string(), row)),
        }
        row
    }

    fn set(&mut self, row: usize, field: &str, value: FactValue) {
        match self.columns.get_mut(field) {
            Some(column) => column.set(row, value),
            None => {
                let mut column = Column::new_like(&value, self.ids.len().max(row + 1));
                column.set(row, value);
                self.columns.insert(field.to_string(), column);
            }
        }
    }

    fn set_text(&mut self, row: usize, field: &str, value: Option<String>) {
        if let Some(text) = value {
            self.set(row, field, FactValue::Text(text));
        }
    }

    fn apply(&mut self, fact: FactRow) {
        if let (FactRow::Trait { name, .. }, Some(wanted)) = (&fact, &self.traits)
            && !wanted.contains(name)
        {
            return;
        }
        let row = self.row_for(fact.customer_id());
        match fact {
            FactRow::Profile {
                name,
                gender,
                birthday,
                country,
                city,
                signup_at,
                attributes,
                ..
            } => {
                self.alive.set(row, true);
                self.set_text(row, "name", name);
                self.set_text(row, "gender", gender);
                self.set_text(row, "country", country);
                self.set_text(row, "city", city);
                if let Some(day) = birthday.as_deref().and_then(parse_day) {
                    self.set(row, "birthday", FactValue::Time(day));
                }
                if let Some(at) = signup_at {
                    self.set(row, "signup_at", FactValue::Time(at));
                }
                if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&attributes) {
                    for (key, value) in map {
                        let text = match value {
                            serde_json::Value::String(text) => text,
                            serde_json::Value::Null
                            | serde_json::Value::Array(_)
                            | serde_json::Value::Object(_) => continue,
                            other => other.to_string(),
                        };
                        self.set(row, &format!("attributes.{key}"), FactValue::Text(text));
                    }
                }
            }
            FactRow::Orders {
                orders,
                revenue_cents,
                first_order_at,
                last_order_at,
                ..
            } => {
                self.set(row, "orders", FactValue::Number(orders as f64));
                self.set(
                    row,
                    "revenue",
                    FactValue::Number(revenue_cents as f64 / 100.0),
                );
                if let Some(at) = first_order_at {
                    self.set(row, "first_order_at", FactValue::Time(at));
                }
                if let Some(at) = last_order_at {
                    self.set(row, "last_order_at", FactValue::Time(at));
                }
            }
            FactRow::Trait { name, value, .. } => self.set_trait(row, &name, &value),
            FactRow::Identifier { kind, .. } => {
                self.identifiers.entry(kind).or_default().set(row, true);
            }
        }
    }

    /// Sets a trait's leaves and the fields derived from them.
    fn set_trait(&mut self, row: usize, name: &str, value: &str) {
        let mut path = name.to_string();
        if super::leaves::set_leaves(self, row, &mut path, value).is_ok() {
            self.derive_trait_fields(row, name);
        }
    }

    /// The documented fields derived from a trait's leaves (set just before).
    fn derive_trait_fields(&mut self, row: usize, name: &str) {
        let number = |snapshot: &Snapshot, key: &str| match snapshot.field(row, key) {
            Some(FactValue::Number(n)) => Some(n),
            _ => None,
        };
        match name {
            "rfm" => {
                if let Some(cents) = number(self, "rfm.monetary_cents") {
                    self.set(row, "rfm.monetary", FactValue::Number(cents / 100.0));
                }
            }
            // The next 365 days' value, undiscounted: expected purchases × expected order value.
            "clv" => {
                if let (Some(purchases), Some(order_value)) = (
                    number(self, "clv.expected_purchases_365d"),
                    number(self, "clv.expected_order_value"),
                ) {
                    self.set(
                        row,
                        "clv.next_365d",
                        FactValue::Number(purchases * order_value),
                    );
                }
            }
            _ => {}
        }
        if let Some((_, key)) = PRIMARY_KEYS
            .iter()
            .find(|(trait_name, _)| *trait_name == name)
            && let Some(text @ FactValue::Text(_)) = self.field(row, &format!("{name}.{key}"))
        {
            self.set(row, name, text);
        }
    }
}

impl super::leaves::LeafSink for Snapshot {
    fn set_leaf(&mut self, row: usize, path: &str, value: FactValue) {
        self.set(row, path, value);
    }

    fn set_text_leaf(&mut self, row: usize, path: &str, text: &str) {
        match self.columns.get_mut(path) {
            Some(Column::Text(column)) => column.set_str(row, text),
            // A value of another type than the column's is left out, as in `Column::set`.
            Some(_) => {}
            None => self.set(row, path, FactValue::Text(text.to_string())),
        }
    }
}

fn parse_day(text: &str) -> Option<Millis> {
    chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
        .ok()
        .map(date_to_millis)
}
