//! The write-back of a batch of traits on two threads: one builds the traits (JSON encoding is
//! a good part of a million customers' work) while the store writes the ones built before.

use std::sync::mpsc::sync_channel;

use ecrm_core::time::Millis;
use ecrm_store::{Store, TraitWrite, TraitWriteCounts};

/// Traits handed from the building thread to the writer at a time.
const BATCH: usize = 4_096;
/// Batches built ahead of the writer at most.
const AHEAD: usize = 8;

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
