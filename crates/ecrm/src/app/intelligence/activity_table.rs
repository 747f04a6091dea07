//! Every customer's tracked events for the whole-store profile pass of `ecrm compute`, read in
//! one sequential scan of the store (storage order) and grouped by customer in memory.
//!
//! Reading the events grouped by customer from the database meant a random read per event
//! through the identifier index (minutes on a 9 GB events table); here each event is reduced to
//! a compact activity as it streams by (categories and brands interned, the rare search terms,
//! coupons and order ids boxed), then a counting sort orders them by customer without moving
//! them.

use ecrm_core::analytics::activity::{Activity, ActivityKind};
use ecrm_core::time::Millis;
use ecrm_store::{EventNameCount, Store};

use super::grouping::{Names, group_by_customer};
use super::profile::reduce;
use crate::app::AppError;

/// The rare parts of an activity.
#[derive(Debug)]
struct Extra {
    query: Option<String>,
    coupon: Option<String>,
    order_id: Option<String>,
}

/// One activity in 40 bytes.
#[derive(Debug)]
struct CompactActivity {
    at: Millis,
    dwell_seconds: Option<f64>,
    category: u32,
    brand: u32,
    extra: Option<Box<Extra>>,
    kind: ActivityKind,
}

/// Every loaded customer's activities: customer `i` (in byte order) owns
/// `order[offsets[i]..offsets[i + 1]]`, indexes into `rows` in storage order.
#[derive(Debug, Default)]
pub struct ActivityTable {
    ids: Vec<String>,
    offsets: Vec<usize>,
    order: Vec<u32>,
    rows: Chunked<CompactActivity>,
    /// Interned category and brand names.
    names: Names,
    /// Events read (before the cut-off).
    pub events: u64,
    /// Every `track` event name seen (whatever its time) with its events and distinct customers:
    /// the console's funnel, counted in the same scan so its refresh need not read the events
    /// table again.
    pub event_names: Vec<EventNameCount>,
}

/// Rows in chunks of fixed size: a table of 15M activities grows without copying what it holds
/// (a doubling `Vec` copied it and touched twice its memory, 8 % of a compute's samples).
#[derive(Debug)]
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
}

/// Rows per chunk (40 MiB of activities).
const CHUNK_ROWS: usize = 1 << 20;

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new() }
    }
}

impl<T> Chunked<T> {
    fn push(&mut self, row: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK_ROWS => chunk.push(row),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK_ROWS);
                chunk.push(row);
                self.chunks.push(chunk);
            }
        }
    }

    fn get(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK_ROWS][index % CHUNK_ROWS]
    }
}

/// Events of one name and the customers who sent them (a bit per customer index).
#[derive(Default)]
struct NameTally {
    events: u64,
    customers: Vec<u64>,
}

impl NameTally {
    fn add(&mut self, customer: u32) {
        self.events += 1;
        let (word, bit) = (customer as usize / 64, customer % 64);
        if self.customers.len() <= word {
            self.customers.resize(word + 1, 0);
        }
        self.customers[word] |= 1 << bit;
    }
}

impl ActivityTable {
    /// Loads the events that happened before `until` of every customer with one.
    pub fn load(store: &dyn Store, until: Millis) -> Result<ActivityTable, AppError> {
        let mut table = ActivityTable::default();
        let mut customer_index: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
        let mut customers: Vec<u32> = Vec::new();
        let mut names: foldhash::HashMap<String, NameTally> = foldhash::HashMap::default();
        // The table slot of each customer seen (`u32::MAX`: only events after the cut-off so far).
        let mut slots: Vec<u32> = Vec::new();
        store.customer_activity(None, &mut |record| {
            let customer = match customer_index.get(record.customer_id) {
                Some(&index) => index,
                None => {
                    let index = customer_index.len() as u32;
                    customer_index.insert(record.customer_id.to_string(), index);
                    index
                }
            };
            if let (Some(name), "track") = (record.name, record.kind) {
                match names.get_mut(name) {
                    Some(tally) => tally.add(customer),
                    None => names.entry(name.to_string()).or_default().add(customer),
                }
            }
            if record.occurred_at >= until {
                return Ok(());
            }
            let customer = match slots.get(customer as usize) {
                Some(&slot) if slot != u32::MAX => slot,
                _ => {
                    let slot = table.ids.len() as u32;
                    table.ids.push(record.customer_id.to_string());
                    if slots.len() <= customer as usize {
                        slots.resize(customer as usize + 1, u32::MAX);
                    }
                    slots[customer as usize] = slot;
                    slot
                }
            };
            let (_, activity) = reduce(record);
            let compact = table.compact(activity);
            table.rows.push(compact);
            customers.push(customer);
            table.events += 1;
            Ok(())
        })?;
        drop(customer_index);
        drop(slots);
        let grouped = group_by_customer(&mut table.ids, &customers);
        table.offsets = grouped.offsets;
        table.order = grouped.order;
        let mut event_names: Vec<EventNameCount> = names
            .into_iter()
            .map(|(name, tally)| EventNameCount {
                name,
                events: tally.events,
                customers: tally
                    .customers
                    .iter()
                    .map(|w| u64::from(w.count_ones()))
                    .sum(),
            })
            .collect();
        event_names.sort_by(|a, b| a.name.cmp(&b.name));
        table.event_names = event_names;
        Ok(table)
    }

    fn compact(&mut self, activity: Activity) -> CompactActivity {
        let Activity {
            at,
            kind,
            category,
            brand,
            dwell_seconds,
            query,
            coupon,
            order_id,
        } = activity;
        let extra = (query.is_some() || coupon.is_some() || order_id.is_some()).then(|| {
            Box::new(Extra {
                query,
                coupon,
                order_id,
            })
        });
        CompactActivity {
            at,
            dwell_seconds,
            category: self.names.intern(category.as_deref()),
            brand: self.names.intern(brand.as_deref()),
            extra,
            kind,
        }
    }

    /// Customers loaded.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no customer has an event.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The customer id at `index` (byte order).
    pub fn id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    /// The activities of customer `index` in event-id order, numbered in that order.
    pub fn activities_of(&self, index: usize) -> Vec<(i64, Activity)> {
        self.order[self.offsets[index]..self.offsets[index + 1]]
            .iter()
            .enumerate()
            .map(|(sequence, &row)| {
                let compact = self.rows.get(row as usize);
                let extra = compact.extra.as_deref();
                let activity = Activity {
                    at: compact.at,
                    kind: compact.kind,
                    category: self.names.shared(compact.category),
                    brand: self.names.shared(compact.brand),
                    dwell_seconds: compact.dwell_seconds,
                    query: extra.and_then(|e| e.query.clone()),
                    coupon: extra.and_then(|e| e.coupon.clone()),
                    order_id: extra.and_then(|e| e.order_id.clone()),
                };
                (sequence as i64, activity)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK_ROWS, Chunked};

    #[test]
    fn chunked_rows_read_back_in_order_across_chunks() {
        let mut rows = Chunked::default();
        let count = 2 * CHUNK_ROWS + 3;
        for n in 0..count {
            rows.push(n);
        }
        assert_eq!(rows.chunks.len(), 3);
        for n in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, 2 * CHUNK_ROWS + 2] {
            assert_eq!(*rows.get(n), n);
        }
    }
}
