//! The per-customer coupon limit holds whatever the order and repetition of enter/exit changes.

use ecrm_core::playbook::{Change, ChangeKind, Located, Node, load, plan_change};
use ecrm_store::ActionOutcome;
use proptest::prelude::*;

use super::{act, customer, pool};

/// A playbook that issues a coupon on enter and on exit, from a pool with a limit of 2.
fn playbook() -> ecrm_core::playbook::Playbook {
    let doc = serde_json::json!({"playbook": [{
        "name": "p", "segment": "s",
        "on_enter": [{"action": "issue_coupon", "pool": "gift"}, {"action": "grant_benefit", "benefit": "b"}],
        "on_exit": [{"action": "issue_coupon", "pool": "gift"}]
    }]});
    let set = load(&Located::at(None, Node::from_json(&doc))).expect("playbook");
    set.playbooks[0].clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn no_customer_holds_more_coupons_than_the_limit(
        changes in proptest::collection::vec((0usize..3, any::<bool>(), 0u8..4), 1..30)
    ) {
        let store = crate::support::sqlite_store();
        pool(&*store, "gift", 2, 50);
        let customers: Vec<String> = (0..3).map(|n| customer(&*store, &format!("p{n}"))).collect();
        let playbook = playbook();
        for (step, (who, enter, entry)) in changes.into_iter().enumerate() {
            let change = Change {
                customer_id: customers[who].clone(),
                kind: if enter { ChangeKind::Enter } else { ChangeKind::Exit },
                entry: entry.to_string(),
            };
            let inputs: Vec<_> = plan_change(&playbook, &change)
                .into_iter()
                .map(|p| {
                    let mut input = act(&p.key, &p.customer_id, p.action, step as i64);
                    input.trigger = p.trigger.to_string();
                    input
                })
                .collect();
            let outcomes = store.apply_playbook_actions(&inputs).expect("apply");
            let unexpected = outcomes
                .iter()
                .any(|o| matches!(o, ActionOutcome::Skipped { reason } if reason != "limit_reached"));
            prop_assert!(!unexpected, "only the limit may stop a coupon: {:?}", outcomes);
            for id in &customers {
                let held = store.customer_perks(id).expect("perks").coupons.len();
                prop_assert!(held <= 2, "customer {} holds {}", id, held);
            }
        }
    }
}
