//! The write-back of a batch of traits on two threads: one builds the traits (JSON encoding is
//! a good part of a million customers' work) while the store writes the ones built before.

use std::sync::mpsc::sync_channel;

use ecrm_core::time::Millis;
use ecrm_store::{Store, TraitWrite, TraitWriteCounts};

/// Traits handed from the building thread to the writer at a time.
const BATCH: usize = 4_096;
/// Batches built ahead of the writer at most: more than the store's chunk (50,000 traits on
/// SQLite, collected before it writes them), so the builder never waits while a chunk is written.
const AHEAD: usize = 16;

/// Writes every trait `traits` yields through `Store::write_traits`, building them on a second
/// thread. A store error stops the building thread too.
pub fn write_traits_pipelined(
    store: &dyn Store,
    traits: impl Iterator<Item = TraitWrite> + Send,
    computed_at: Millis,
    model_fit_id: Option<i64>,
) -> Result<TraitWriteCounts, ecrm_store::StoreError> {
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel::<Vec<TraitWrite>>(AHEAD);
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for item in traits {
                batch.push(item);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if sender.send(full).is_err() {
                        return;
                    }
                }
            }
            // The writer may have stopped on an error; nothing is left to tell it then.
            let _ = sender.send(batch);
        });
        let mut written = receiver.iter().flatten();
        let counts = store.write_traits(&mut written, computed_at, model_fit_id);
        // Dropping the receiver ends the builder early when the write failed.
        drop(written);
        counts
    })
}

/// A stream of traits in customer-id byte order, a customer's traits together.
pub type CustomerStream<'a> = Box<dyn Iterator<Item = TraitWrite> + Send + 'a>;

/// Merges streams that are each in customer-id byte order into one in that order, every
/// customer's traits from all streams together: the store then writes each customer's rows
/// once, front to back, with one journal row per customer.
pub fn merge_by_customer(
    streams: Vec<CustomerStream<'_>>,
) -> impl Iterator<Item = TraitWrite> + Send + '_ {
    let mut streams: Vec<_> = streams.into_iter().map(Iterator::peekable).collect();
    let mut pending = std::collections::VecDeque::new();
    std::iter::from_fn(move || {
        if pending.is_empty() {
            let first = streams
                .iter_mut()
                .filter_map(|stream| stream.peek().map(|t| t.customer_id.clone()))
                .min_by(|a, b| a.as_bytes().cmp(b.as_bytes()))?;
            for stream in &mut streams {
                while let Some(item) = stream.next_if(|t| t.customer_id == first) {
                    pending.push_back(item);
                }
            }
        }
        pending.pop_front()
    })
}

#[cfg(test)]
mod tests {
    use ecrm_store::TraitWrite;

    use super::{CustomerStream, merge_by_customer};

    fn stream(items: &[(&str, &str)]) -> CustomerStream<'static> {
        let items: Vec<TraitWrite> = items
            .iter()
            .map(|(customer, name)| TraitWrite {
                customer_id: customer.to_string(),
                name: name.to_string(),
                value: "1".to_string(),
                label: None,
            })
            .collect();
        Box::new(items.into_iter())
    }

    #[test]
    fn merges_in_byte_order_with_each_customer_together() {
        let merged: Vec<(String, String)> = merge_by_customer(vec![
            stream(&[("a", "rfm"), ("a", "clv"), ("c", "rfm")]),
            stream(&[("b", "lifecycle")]),
            stream(&[("a", "spending"), ("c", "spending"), ("d", "spending")]),
        ])
        .map(|t| (t.customer_id, t.name))
        .collect();
        let expected = [
            ("a", "rfm"),
            ("a", "clv"),
            ("a", "spending"),
            ("b", "lifecycle"),
            ("c", "rfm"),
            ("c", "spending"),
            ("d", "spending"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, n)| (c.to_string(), n.to_string()))
            .collect();
        assert_eq!(merged, expected);
    }
}
