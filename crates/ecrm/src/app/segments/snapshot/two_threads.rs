//! The saved segments' snapshot loaded on two threads: the facts on one, the named traits on the
//! other, into rows from one listing of the customer ids.

use std::collections::BTreeSet;

use ecrm_store::{Store, StoreResult};

use super::Snapshot;

impl Snapshot {
    /// Loads every customer with only the traits named in `traits`, on two threads: one reads
    /// the profiles, order summaries and identifiers, the other the named traits (parsing their
    /// JSON is the larger half), each into a snapshot whose rows are the same listed customer ids;
    /// their columns are then put together. Should a customer appear between the listing and
    /// the reads (its rows would then differ), it loads again on one thread.
    pub fn load_traits(store: &dyn Store, traits: BTreeSet<String>) -> StoreResult<Snapshot> {
        let mut ids = Vec::new();
        store.customer_ids(&mut |id| {
            ids.push(id.to_string());
            Ok(())
        })?;
        let listed = ids.len();
        let index: foldhash::HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(row, id)| (id.clone(), row))
            .collect();
        let mut trait_part = Snapshot {
            ids: ids.clone(),
            index: index.clone(),
            ..Snapshot::default()
        };
        let mut facts = Snapshot {
            ids,
            index,
            traits: Some(BTreeSet::new()),
            ..Snapshot::default()
        };
        let names: Vec<&str> = traits.iter().map(String::as_str).collect();
        let (facts_read, traits_read) = std::thread::scope(|scope| {
            let trait_reader = scope.spawn(|| {
                store.trait_values(&names, &mut |name, customer, value| {
                    trait_part.apply_trait(customer, name, value);
                    Ok(())
                })
            });
            let facts_read = store.segment_facts(None, Some(&[]), &mut |row| {
                facts.apply(row);
                Ok(())
            });
            let traits_read = trait_reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (facts_read, traits_read)
        });
        facts_read?;
        traits_read?;
        let same_rows = facts.ids.len() == listed && trait_part.ids.len() == listed;
        let disjoint = trait_part
            .columns
            .keys()
            .all(|field| !facts.columns.contains_key(field));
        if !(same_rows && disjoint) {
            return Snapshot::load_everyone(store, Some(traits));
        }
        facts.columns.extend(trait_part.columns);
        facts.traits = Some(traits);
        facts.last = None;
        Ok(facts)
    }

    /// Applies one trait of a customer (as `apply` does a `FactRow::Trait`).
    fn apply_trait(&mut self, customer_id: &str, name: &str, value: &str) {
        let row = self.row_for(customer_id);
        self.set_trait(row, name, value);
    }
}
