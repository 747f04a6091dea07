//! Purchase days without a GROUP BY: one scan of the identifiers (id → customer) and one scan of
//! the orders in storage order, grouped per customer and day in memory, then handed out in
//! customer-id byte order. On large stores this is several times faster than letting the database
//! join, group and sort (no temporary B-tree over millions of rows).

use std::collections::HashMap;

use crate::analytics_model::{CustomerDays, PurchaseDay};
use crate::error::StoreResult;

const DAY_MILLIS: i64 = 86_400_000;

#[derive(Clone, Copy)]
struct Row {
    customer: u32,
    day: i64,
    orders: u32,
    order_cents: i64,
    refund_cents: i64,
}

/// Collects identifiers, then orders, then streams the per-customer days.
#[derive(Default)]
pub(crate) struct PurchaseScan {
    customers: Vec<String>,
    customer_index: HashMap<String, u32>,
    by_identifier: Vec<u32>,
    rows: Vec<Row>,
}

impl PurchaseScan {
    pub(crate) fn new() -> PurchaseScan {
        PurchaseScan::default()
    }

    /// Records that identifier `id` belongs to `customer_id`.
    pub(crate) fn identifier(&mut self, id: i64, customer_id: &str) {
        let Ok(slot) = usize::try_from(id) else {
            return;
        };
        let index = match self.customer_index.get(customer_id) {
            Some(&index) => index,
            None => {
                let index = self.customers.len() as u32;
                self.customers.push(customer_id.to_string());
                self.customer_index.insert(customer_id.to_string(), index);
                index
            }
        };
        if self.by_identifier.len() <= slot {
            self.by_identifier.resize(slot + 1, u32::MAX);
        }
        self.by_identifier[slot] = index;
    }

    /// Adds one order (`is_order`) or refund of identifier `identifier_id`; unknown identifiers
    /// (guests have none) are skipped.
    pub(crate) fn order(&mut self, identifier_id: i64, at: i64, is_order: bool, cents: i64) {
        let customer = usize::try_from(identifier_id)
            .ok()
            .and_then(|slot| self.by_identifier.get(slot).copied())
            .unwrap_or(u32::MAX);
        if customer == u32::MAX {
            return;
        }
        self.rows.push(Row {
            customer,
            day: at.div_euclid(DAY_MILLIS),
            orders: u32::from(is_order),
            order_cents: if is_order { cents } else { 0 },
            refund_cents: if is_order { 0 } else { cents },
        });
    }

    /// Hands every customer with an order or refund to `sink`, in byte order, days merged and
    /// oldest first; returns the number of customers.
    pub(crate) fn finish(
        mut self,
        sink: &mut dyn FnMut(CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        drop(std::mem::take(&mut self.customer_index));
        drop(std::mem::take(&mut self.by_identifier));
        let mut order: Vec<u32> = (0..self.customers.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            self.customers[a as usize]
                .as_bytes()
                .cmp(self.customers[b as usize].as_bytes())
        });
        let mut rank = vec![0u32; self.customers.len()];
        for (position, &customer) in order.iter().enumerate() {
            rank[customer as usize] = position as u32;
        }
        self.rows
            .sort_unstable_by_key(|row| (rank[row.customer as usize], row.day));
        let mut count = 0u64;
        let mut start = 0;
        while start < self.rows.len() {
            let customer = self.rows[start].customer;
            let mut end = start;
            let mut days: Vec<PurchaseDay> = Vec::new();
            while end < self.rows.len() && self.rows[end].customer == customer {
                let row = self.rows[end];
                match days.last_mut() {
                    Some(last) if last.day == row.day => {
                        last.orders += row.orders;
                        last.order_cents += row.order_cents;
                        last.refund_cents += row.refund_cents;
                    }
                    _ => days.push(PurchaseDay {
                        day: row.day,
                        orders: row.orders,
                        order_cents: row.order_cents,
                        refund_cents: row.refund_cents,
                    }),
                }
                end += 1;
            }
            sink(CustomerDays {
                customer_id: std::mem::take(&mut self.customers[customer as usize]),
                days,
            })?;
            count += 1;
            start = end;
        }
        Ok(count)
    }
}
