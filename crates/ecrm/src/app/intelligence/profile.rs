//! The profile traits: `behaviour` and `interests` (event-driven: recomputed for the customers an
//! event or order touches, and for everyone by `ecrm compute`) and `spending` (batch: its price
//! percentiles compare with every customer's lines).
//!
//! Order lines are loaded once into a compact table (categories and brands interned); events are
//! streamed grouped by customer and never held for more than one customer at a time. Customers
//! without tracked events get no `behaviour` (their orders and returns are in `spending`), and
//! customers without a single interest signal (no categorised view, cart add or purchase) no
//! `interests`.

use ecrm_core::analytics::activity::{Activity, EventProperties, PurchaseLine};
use ecrm_core::analytics::behaviour::behaviour;
use ecrm_core::analytics::interests::{InterestRules, interests};
use ecrm_core::analytics::spending::{PriceIndex, spending};
use ecrm_core::time::Millis;
use ecrm_store::{ActivityRecord, EventNameCount, Store, TraitWrite};
use serde::Serialize;

use super::activity_table::ActivityTable;
use super::grouping::{Names, group_by_customer};
use super::write_back::write_traits_pipelined;
use crate::app::AppError;

/// The model name of the stored context of event-driven profile writes.
pub const PROFILE_MODEL: &str = "profile";

/// Customers whose traits are written per store transaction while streaming.
const WRITE_BATCH: usize = 20_000;

#[derive(Debug, Clone, Copy)]
struct CompactLine {
    order: u32,
    refund: bool,
    at: Millis,
    category: u32,
    brand: u32,
    quantity: i64,
    unit_price_cents: i64,
    amount_cents: i64,
}

/// Every loaded customer's order lines, flat: customer `i` owns `lines[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Default)]
pub struct LineTable {
    ids: Vec<String>,
    offsets: Vec<usize>,
    lines: Vec<CompactLine>,
    /// Interned category and brand names.
    names: Names,
}

impl LineTable {
    fn name(&self, index: u32) -> Option<&str> {
        self.names.name(index)
    }

    /// Customers loaded.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no customer was loaded.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The customer id at `index`.
    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    /// The index of `customer_id`, if loaded.
    pub fn position(&self, customer_id: &str) -> Option<usize> {
        self.ids
            .binary_search_by(|id| id.as_bytes().cmp(customer_id.as_bytes()))
            .ok()
    }

    /// The lines of customer `index`, in the core's form.
    pub fn lines_of(&self, index: usize) -> Vec<PurchaseLine<'_>> {
        self.lines[self.offsets[index]..self.offsets[index + 1]]
            .iter()
            .map(|line| PurchaseLine {
                order: u64::from(line.order),
                refund: line.refund,
                at: line.at,
                category: self.name(line.category),
                brand: self.name(line.brand),
                quantity: line.quantity,
                unit_price_cents: line.unit_price_cents,
                amount_cents: line.amount_cents,
            })
            .collect()
    }

    /// The unit prices of every bought line by category, for the price percentiles.
    pub fn price_index(&self) -> PriceIndex {
        let mut index = PriceIndex::new();
        for line in self.lines.iter().filter(|line| !line.refund) {
            index.add(self.name(line.category), line.unit_price_cents);
        }
        index.finish();
        index
    }
}

/// Loads the order lines placed before `until` of every customer, or of the listed ones (the
/// store streams them in any customer order; each order's lines come together).
pub fn load_lines(
    store: &dyn Store,
    customers: Option<&[String]>,
    until: Millis,
) -> Result<LineTable, AppError> {
    let mut table = LineTable::default();
    let mut customer_index: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    let mut rows: Vec<(u32, CompactLine)> = Vec::new();
    let mut last_customer: Option<(String, u32)> = None;
    let mut last_order: Option<(u32, i64)> = None;
    let mut orders = 0u32;
    store.customer_purchase_lines(customers, &mut |line| {
        if line.ordered_at >= until {
            return Ok(());
        }
        let customer = match &mut last_customer {
            Some((id, index)) if id.as_str() == line.customer_id => *index,
            _ => {
                // Looked up without copying the id; copied once per new customer.
                let index = match customer_index.get(line.customer_id) {
                    Some(&index) => index,
                    None => {
                        let index = table.ids.len() as u32;
                        table.ids.push(line.customer_id.to_string());
                        customer_index.insert(line.customer_id.to_string(), index);
                        index
                    }
                };
                match &mut last_customer {
                    Some((id, last)) => {
                        id.clear();
                        id.push_str(line.customer_id);
                        *last = index;
                    }
                    None => last_customer = Some((line.customer_id.to_string(), index)),
                }
                index
            }
        };
        if last_order != Some((customer, line.order_id)) {
            orders += 1;
            last_order = Some((customer, line.order_id));
        }
        let category = table.names.intern(line.category);
        let brand = table.names.intern(line.brand);
        rows.push((
            customer,
            CompactLine {
                order: orders,
                refund: line.kind == "refund",
                at: line.ordered_at,
                category,
                brand,
                quantity: line.quantity,
                unit_price_cents: line.unit_price_cents,
                amount_cents: line.amount_cents,
            },
        ));
        Ok(())
    })?;
    drop(customer_index);
    // Customers in byte order, each one's lines together.
    let owners: Vec<u32> = rows.iter().map(|(customer, _)| *customer).collect();
    let grouped = group_by_customer(&mut table.ids, &owners);
    table.lines = grouped
        .order
        .iter()
        .map(|&row| rows[row as usize].1)
        .collect();
    table.offsets = grouped.offsets;
    Ok(table)
}

/// The `spending` trait of every customer in `table`.
pub fn spending_traits(table: &LineTable) -> impl Iterator<Item = TraitWrite> + '_ {
    let index = table.price_index();
    (0..table.len()).map(move |i| {
        let spending = spending(&table.lines_of(i), &index);
        TraitWrite {
            customer_id: table.ids[i].clone(),
            name: "spending".to_string(),
            value: json_text(&spending),
            label: Some(spending.price_band.unwrap_or("none").to_string()),
        }
    })
}

fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

/// The `behaviour` (only with tracked events) and `interests` (only with a signal) traits of one
/// customer.
fn event_traits_of(
    customer_id: &str,
    activities: &mut Vec<(i64, Activity)>,
    lines: &[PurchaseLine<'_>],
    as_of: Millis,
    rules: &InterestRules,
) -> Vec<TraitWrite> {
    activities.sort_by_key(|(id, activity)| (activity.at, *id));
    let list: Vec<Activity> = activities.drain(..).map(|(_, a)| a).collect();
    // Behaviour and interests follow every event: their whole value is what the history keeps.
    let trait_of = |name: &str, value: String| TraitWrite {
        customer_id: customer_id.to_string(),
        name: name.to_string(),
        value,
        label: None,
    };
    let mut out = Vec::with_capacity(2);
    if !list.is_empty() {
        out.push(trait_of("behaviour", json_text(&behaviour(&list, lines))));
    }
    let interests = interests(&list, lines, as_of, rules);
    if interests.signals > 0 {
        out.push(trait_of("interests", json_text(&interests)));
    }
    out
}

/// One event reduced to its activity; the properties are read straight from their text, with
/// a full parse only for objects that reader does not take (duplicate keys).
pub(super) fn reduce(record: &ActivityRecord<'_>) -> (i64, Activity) {
    let activity = match EventProperties::parse(record.properties) {
        Some(properties) => {
            Activity::from_event(record.kind, record.name, record.occurred_at, &properties)
        }
        None => {
            let properties =
                serde_json::from_str(record.properties).unwrap_or(serde_json::Value::Null);
            Activity::from_event(record.kind, record.name, record.occurred_at, &properties)
        }
    };
    (record.event_id, activity)
}

/// The settings of one profile pass.
#[derive(Debug, Clone, Copy)]
pub struct ProfileRun {
    /// Ages (for the interest decay) count from here.
    pub as_of: Millis,
    /// Events from here on are left out.
    pub until: Millis,
    /// Interest weights and half-life.
    pub rules: InterestRules,
    /// The stored context the traits point at (for their explanations).
    pub model_fit_id: Option<i64>,
}

/// What a profile pass wrote.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProfileCounts {
    /// Customers profiled.
    pub customers: u64,
    /// Events read.
    pub events: u64,
    /// Traits written.
    pub written: u64,
    /// Of those, changed values.
    pub changed: u64,
}

/// Recomputes `behaviour` and `interests` as of `as_of` (events from then on are left out) of
/// every customer with events or lines (`None`), or of the listed customers, and writes them in
/// batches under `model_fit_id`.
pub fn write_event_traits(
    store: &dyn Store,
    customers: Option<&[String]>,
    lines: &LineTable,
    run: &ProfileRun,
) -> Result<ProfileCounts, AppError> {
    if customers.is_none() {
        return write_all_event_traits(store, lines, run).map(|(counts, _)| counts);
    }
    let ProfileRun {
        as_of,
        until,
        ref rules,
        model_fit_id,
    } = *run;
    let mut counts = ProfileCounts::default();
    let mut pending: Vec<TraitWrite> = Vec::new();
    let flush = |pending: &mut Vec<TraitWrite>, counts: &mut ProfileCounts| {
        let written = store.write_traits(&mut pending.drain(..), as_of, model_fit_id)?;
        counts.written += written.written;
        counts.changed += written.changed;
        Ok::<(), ecrm_store::StoreError>(())
    };
    let mut seen = vec![false; lines.len()];
    let mut current: Option<String> = None;
    let mut activities: Vec<(i64, Activity)> = Vec::new();
    let mut finish = |id: &str, activities: &mut Vec<(i64, Activity)>, pending: &mut Vec<_>| {
        let index = lines.position(id);
        if let Some(index) = index {
            seen[index] = true;
        }
        let own = index.map(|i| lines.lines_of(i)).unwrap_or_default();
        pending.extend(event_traits_of(id, activities, &own, as_of, rules));
        activities.clear();
    };
    store.customer_activity(customers, &mut |record| {
        if record.occurred_at >= until {
            return Ok(());
        }
        counts.events += 1;
        if current.as_deref() != Some(record.customer_id) {
            if let Some(id) = current.take() {
                finish(&id, &mut activities, &mut pending);
                counts.customers += 1;
                if pending.len() >= 2 * WRITE_BATCH {
                    flush(&mut pending, &mut counts)?;
                }
            }
            current = Some(record.customer_id.to_string());
        }
        activities.push(reduce(record));
        Ok(())
    })?;
    if let Some(id) = current.take() {
        finish(&id, &mut activities, &mut pending);
        counts.customers += 1;
    }
    for index in (0..lines.len()).filter(|&i| !seen[i]) {
        let own = lines.lines_of(index);
        pending.extend(event_traits_of(
            lines.id(index),
            &mut Vec::new(),
            &own,
            as_of,
            rules,
        ));
        counts.customers += 1;
        if pending.len() >= 2 * WRITE_BATCH {
            flush(&mut pending, &mut counts)?;
        }
    }
    flush(&mut pending, &mut counts)?;
    Ok(counts)
}

/// The whole-store pass: every customer with events or lines, the events read in one sequential
/// scan and grouped in memory, the traits built on a second thread in customer order while the
/// store writes the ones before. Also returns the `track` event names the scan counted (the
/// console's funnel).
pub fn write_all_event_traits(
    store: &dyn Store,
    lines: &LineTable,
    run: &ProfileRun,
) -> Result<(ProfileCounts, Vec<EventNameCount>), AppError> {
    let table = ActivityTable::load(store, run.until)?;
    write_table_event_traits(store, table, lines, run)
}

/// `write_all_event_traits` with the events already loaded (`ActivityTable::load` up to
/// `run.until`).
pub fn write_table_event_traits(
    store: &dyn Store,
    mut table: ActivityTable,
    lines: &LineTable,
    run: &ProfileRun,
) -> Result<(ProfileCounts, Vec<EventNameCount>), AppError> {
    let event_names = std::mem::take(&mut table.event_names);
    // Every customer with events, lines or both, in byte order.
    let mut customers: Vec<(Option<usize>, Option<usize>)> = Vec::new();
    let (mut a, mut l) = (0, 0);
    while a < table.len() || l < lines.len() {
        let order = match (a < table.len(), l < lines.len()) {
            (true, true) => table.id(a).as_bytes().cmp(lines.id(l).as_bytes()),
            (true, false) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let pair = match order {
            std::cmp::Ordering::Less => (Some(a), None),
            std::cmp::Ordering::Greater => (None, Some(l)),
            std::cmp::Ordering::Equal => (Some(a), Some(l)),
        };
        a += usize::from(pair.0.is_some());
        l += usize::from(pair.1.is_some());
        customers.push(pair);
    }
    let ProfileRun {
        as_of,
        ref rules,
        model_fit_id,
        ..
    } = *run;
    let table = &table;
    let traits = customers.iter().flat_map(move |&(a, l)| {
        let id = match (a, l) {
            (Some(a), _) => table.id(a),
            (None, Some(l)) => lines.id(l),
            (None, None) => "",
        };
        let mut activities = a.map(|a| table.activities_of(a)).unwrap_or_default();
        let own = l.map(|l| lines.lines_of(l)).unwrap_or_default();
        event_traits_of(id, &mut activities, &own, as_of, rules)
    });
    let written = write_traits_pipelined(store, traits, as_of, model_fit_id)?;
    let counts = ProfileCounts {
        customers: customers.len() as u64,
        events: table.events,
        written: written.written,
        changed: written.changed,
    };
    Ok((counts, event_names))
}
