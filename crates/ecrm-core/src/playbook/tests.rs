use std::collections::BTreeSet;

use serde_json::json;

use super::codes::{check_code, generate_codes};
use super::*;

fn doc(value: serde_json::Value) -> Located<Node> {
    Located::at(None, Node::from_json(&value))
}

fn sample() -> serde_json::Value {
    json!({
        "pool": [{"name": "welcome", "amount": "10.00", "currency": "CNY", "generate": 5}],
        "playbook": [{
            "name": "vip-care", "segment": "rfm-important-value",
            "on_enter": [
                {"action": "grant_benefit", "benefit": "vip_service"},
                {"action": "issue_coupon", "pool": "welcome"},
                {"action": "suppress_ads", "reason": "low value"}
            ],
            "on_exit": [{"action": "remove_tag", "tag": "never-added"}],
            "while_member": [{"action": "issue_coupon", "pool": "welcome"}],
            "every_days": 30
        }]
    })
}

fn known() -> Known {
    Known {
        segments: BTreeSet::from(["rfm-important-value".to_string(), "potential".to_string()]),
        pools: BTreeSet::new(),
    }
}

#[test]
fn a_valid_document_loads_and_validates() {
    let set = load(&doc(sample())).expect("loads");
    assert_eq!(set.pools[0].prefix, "W");
    assert_eq!(set.pools[0].per_customer_limit, 1);
    assert_eq!(
        set.pools[0].value,
        PoolValue::Amount {
            cents: 1000,
            currency: "CNY".to_string()
        }
    );
    assert_eq!(set.playbooks[0].on_enter.len(), 3);
    validate(&set, &known()).expect("valid");
}

#[test]
fn unknown_fields_and_actions_are_named() {
    let mut value = sample();
    value["playbook"][0]["on_enter"][0] = json!({"action": "grant_benefit", "benfit": "vip"});
    value["playbook"][0]["on_exit"][0] = json!({"action": "send_sms"});
    value["playbook"][0]["colour"] = json!("red");
    let errors = load(&doc(value)).expect_err("rejected");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|e| e.starts_with("playbook[1].on_enter[1].benefit: missing")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.starts_with("playbook[1].on_enter[1].benfit: unknown field")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("unknown action \"send_sms\"")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.starts_with("playbook[1].colour: unknown field")),
        "{text:?}"
    );
}

#[test]
fn wrong_types_and_bad_pools_are_named() {
    let value = json!({
        "pool": [{"name": "p", "percent_off": 150}, {"name": "q"}],
        "playbook": [{"name": "x", "segment": 3}]
    });
    let errors = load(&doc(value)).expect_err("rejected");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "pool[1].percent_off",
            "pool[2].amount",
            "playbook[1].segment"
        ]
    );
    assert!(
        errors[2]
            .message
            .contains("expected a string, found an integer")
    );
}

#[test]
fn missing_segment_and_pool_are_rejected_with_a_suggestion() {
    let mut value = sample();
    value["playbook"][0]["segment"] = json!("potentail");
    value["playbook"][0]["on_enter"][1] = json!({"action": "issue_coupon", "pool": "welcom"});
    let set = load(&doc(value)).expect("loads");
    let errors = validate(&set, &known()).expect_err("rejected");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].field, "playbook[1].segment");
    assert!(errors[0].message.contains("did you mean \"potential\""));
    assert_eq!(errors[1].field, "playbook[1].on_enter[2].pool");
    assert!(errors[1].message.contains("did you mean \"welcome\""));
}

#[test]
fn duplicates_and_bad_urls_are_rejected() {
    let mut value = sample();
    value["playbook"][0]["on_exit"] = json!([
        {"action": "webhook", "url": "ftp://x"},
        {"action": "add_tag", "tag": "a"},
        {"action": "add_tag", "tag": "a"}
    ]);
    let set = load(&doc(value)).expect("loads");
    let errors = validate(&set, &known()).expect_err("rejected");
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn enter_exit_and_member_plans_are_keyed_by_entry() {
    let set = load(&doc(sample())).expect("loads");
    let playbook = &set.playbooks[0];
    let enter = |entry: &str| Change {
        customer_id: "c1".into(),
        kind: ChangeKind::Enter,
        entry: entry.into(),
    };
    let first = plan_change(playbook, &enter("17"));
    assert_eq!(first.len(), 3);
    assert_eq!(
        first,
        plan_change(playbook, &enter("17")),
        "same entry, same keys"
    );
    assert_ne!(first[1].key, plan_change(playbook, &enter("18"))[1].key);
    let exit = plan_change(
        playbook,
        &Change {
            customer_id: "c1".into(),
            kind: ChangeKind::Exit,
            entry: "20".into(),
        },
    );
    let actions: Vec<&str> = exit.iter().map(|p| p.action.name()).collect();
    assert_eq!(actions, ["remove_tag", "revoke_benefit", "unsuppress_ads"]);
    let member = |now| Change {
        customer_id: "c1".into(),
        kind: ChangeKind::Member { now },
        entry: "1000".into(),
    };
    let day = 86_400_000;
    assert_eq!(
        plan_change(playbook, &member(1000 + 29 * day))[0].key,
        plan_change(playbook, &member(1000))[0].key
    );
    assert_ne!(
        plan_change(playbook, &member(1000 + 30 * day))[0].key,
        plan_change(playbook, &member(1000))[0].key
    );
}

#[test]
fn keep_on_exit_and_disabled_playbooks() {
    let mut set = load(&doc(sample())).expect("loads");
    set.playbooks[0].keep_on_exit = true;
    let exit = Change {
        customer_id: "c".into(),
        kind: ChangeKind::Exit,
        entry: "1".into(),
    };
    assert_eq!(plan_change(&set.playbooks[0], &exit).len(), 1);
    set.playbooks[0].enabled = false;
    assert!(plan_change(&set.playbooks[0], &exit).is_empty());
}

#[test]
fn generated_codes_are_deterministic_distinct_and_valid() {
    let codes = generate_codes("NEW", "gift", 7, 0, 1000);
    let unique: BTreeSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), 1000);
    assert_eq!(codes[..3], generate_codes("NEW", "gift", 7, 0, 3)[..]);
    assert_ne!(codes[0], generate_codes("NEW", "gift", 8, 0, 1)[0]);
    assert!(
        codes
            .iter()
            .all(|c| check_code(c).is_ok() && c.starts_with("NEW-"))
    );
    assert!(check_code("a b").is_err());
    assert!(check_code("ab").is_err());
}
