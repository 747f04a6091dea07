//! The change-journal rows of a trait write: one row per customer (and run of consecutive
//! writes of that customer) naming every trait whose value changed, comma-separated
//! (`rfm,lifecycle,clv`), instead of one row per trait. Trait names are the product's own
//! (`rfm`, `clv`, `behaviour`, ...) and never contain a comma; the change reader splits them
//! back into one change per trait (`sql_segments::journal_changes`).

/// Collects the changed trait names of consecutive writes of one customer.
#[derive(Debug, Default)]
pub(crate) struct TraitJournal {
    customer: String,
    names: String,
}

impl TraitJournal {
    /// Records that trait `name` of `customer` changed; when `customer` differs from the
    /// customer collected so far, returns that customer's finished row `(customer, names)`.
    pub(crate) fn changed(&mut self, customer: &str, name: &str) -> Option<(String, String)> {
        let finished = if self.customer == customer {
            None
        } else {
            let done = self.finish();
            self.customer.push_str(customer);
            done
        };
        if !self.names.is_empty() {
            self.names.push(',');
        }
        self.names.push_str(name);
        finished
    }

    /// The row of the customer collected last, if any trait of it changed.
    pub(crate) fn finish(&mut self) -> Option<(String, String)> {
        let row = (!self.names.is_empty()).then(|| {
            (
                std::mem::take(&mut self.customer),
                std::mem::take(&mut self.names),
            )
        });
        self.customer.clear();
        row
    }
}

#[cfg(test)]
mod tests {
    use super::TraitJournal;

    #[test]
    fn one_row_per_run_of_a_customer() {
        let mut journal = TraitJournal::default();
        assert_eq!(journal.changed("a", "rfm"), None);
        assert_eq!(journal.changed("a", "clv"), None);
        assert_eq!(
            journal.changed("b", "rfm"),
            Some(("a".to_string(), "rfm,clv".to_string()))
        );
        assert_eq!(
            journal.changed("a", "spending"),
            Some(("b".to_string(), "rfm".to_string()))
        );
        assert_eq!(
            journal.finish(),
            Some(("a".to_string(), "spending".to_string()))
        );
        assert_eq!(journal.finish(), None);
    }
}
