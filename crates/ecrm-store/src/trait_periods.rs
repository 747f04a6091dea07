//! The history of a trait as periods, read the same way on both backends: the ended periods
//! (`trait_history`, keyed by the time each began) followed by the current one (`traits`, since
//! its `label_since`). A period lasts until the next one begins.

use ecrm_core::time::Millis;

use crate::analytics_model::TraitPeriod;

/// Starts and labels of one trait's periods, oldest first (`$1` customer, `$2` trait name; the
/// same text works on SQLite, where `$1` is a parameter named by its number).
pub(crate) const TRAIT_PERIODS: &str = "SELECT since, label FROM ( \
       SELECT computed_at AS since, value AS label, 0 AS current FROM trait_history \
       WHERE customer_id = $1 AND name = $2 \
       UNION ALL \
       SELECT coalesce(label_since, computed_at), coalesce(label, value), 1 FROM traits \
       WHERE customer_id = $1 AND name = $2 \
     ) AS periods ORDER BY since, current";

/// Turns `(since, label)` rows, oldest first, into periods that end where the next begins.
pub(crate) fn periods(rows: Vec<(Millis, String)>) -> Vec<TraitPeriod> {
    let starts: Vec<Millis> = rows.iter().map(|(since, _)| *since).collect();
    rows.into_iter()
        .enumerate()
        .map(|(index, (since, label))| TraitPeriod {
            since,
            until: starts.get(index + 1).copied(),
            label,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::periods;

    #[test]
    fn each_period_ends_where_the_next_begins() {
        let out = periods(vec![(10, "new".into()), (20, "active".into())]);
        assert_eq!(out[0].until, Some(20));
        assert_eq!(out[1].until, None);
        assert_eq!(out[1].label, "active");
        assert!(periods(Vec::new()).is_empty());
    }
}
