use ecrm_core::playbook::Action;
use ecrm_store::{ActionOutcome, JobResult, Store};

use super::{act, customer, pool};

fn coupon(pool: &str) -> Action {
    Action::IssueCoupon {
        pool: pool.to_string(),
    }
}

fn skipped(reason: &str) -> ActionOutcome {
    ActionOutcome::Skipped {
        reason: reason.to_string(),
    }
}

pub fn pools_hand_out_codes_within_limits_once_per_key(store: &dyn Store) {
    pool(store, "gift", 2, 5);
    let again = store.add_coupon_codes("gift", &["gift-C0".to_string(), "gift-X".to_string()], 2);
    let again = again.expect("add");
    assert_eq!((again.added, again.duplicates), (1, 1));
    assert!(
        store
            .add_coupon_codes("nope", &["A1B".to_string()], 2)
            .is_err()
    );
    let c = customer(store, "u1");
    let outcomes = store
        .apply_playbook_actions(&[
            act("k1", &c, coupon("gift"), 10),
            act("k1", &c, coupon("gift"), 11),
            act("k2", &c, coupon("gift"), 12),
            act("k3", &c, coupon("gift"), 13),
            act("k4", "nobody", coupon("gift"), 14),
        ])
        .expect("apply");
    match &outcomes[0] {
        ActionOutcome::Done { detail } => {
            assert_eq!(detail["code"], "gift-C0");
            assert_eq!(detail["expires_at"], 10_i64 + 30 * 86_400_000);
        }
        other => panic!("expected a coupon, got {other:?}"),
    }
    assert_eq!(outcomes[1], ActionOutcome::AlreadyDone);
    assert!(matches!(outcomes[2], ActionOutcome::Done { .. }));
    assert_eq!(outcomes[3], skipped("limit_reached"));
    assert_eq!(outcomes[4], skipped("unknown_customer"));
    assert_eq!(
        store
            .apply_playbook_actions(&[act("k2", &c, coupon("gift"), 20)])
            .expect("again"),
        [ActionOutcome::AlreadyDone]
    );
    let perks = store.customer_perks(&c).expect("perks");
    let codes: Vec<&str> = perks.coupons.iter().map(|h| h.code.as_str()).collect();
    assert_eq!(codes, ["gift-C0", "gift-C1"]);
    assert_eq!(perks.coupons[0].title, "gift coupon");
    let listed = store.coupon_pools().expect("pools");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].codes_total, listed[0].codes_issued), (6, 2));
    assert_eq!(
        store
            .coupon_pool("gift")
            .expect("pool")
            .map(|p| p.codes_issued),
        Some(2)
    );
    assert!(store.coupon_pool("none").expect("pool").is_none());
    let done = store
        .playbook_keys_done(&["k1".to_string(), "k9".to_string()])
        .expect("keys");
    assert_eq!(done, [true, false]);
}

pub fn pool_windows_and_empty_pools_are_skipped(store: &dyn Store) {
    pool(store, "empty", 1, 0);
    let mut windowed = ecrm_store::CouponPoolInput {
        name: "summer".to_string(),
        title: "Summer".to_string(),
        value_kind: "percent".to_string(),
        value: 15,
        currency: None,
        valid_days: None,
        valid_from: Some(100),
        valid_until: Some(200),
        per_customer_limit: 1,
        created_at: 1,
    };
    assert!(store.create_coupon_pool(&windowed).expect("create"));
    windowed.title = "changed".to_string();
    assert!(!store.create_coupon_pool(&windowed).expect("exists"));
    store
        .add_coupon_codes("summer", &["S-1".to_string(), "S-2".to_string()], 1)
        .expect("codes");
    let c = customer(store, "u2");
    let outcomes = store
        .apply_playbook_actions(&[
            act("a", &c, coupon("empty"), 150),
            act("b", &c, coupon("summer"), 99),
            act("c", &c, coupon("summer"), 200),
            act("d", &c, coupon("summer"), 150),
            act("e", &c, coupon("missing"), 150),
        ])
        .expect("apply");
    assert_eq!(outcomes[0], skipped("pool_empty"));
    assert_eq!(outcomes[1], skipped("pool_not_valid"));
    assert_eq!(outcomes[2], skipped("pool_not_valid"));
    assert!(matches!(&outcomes[3], ActionOutcome::Done { detail } if detail["expires_at"] == 200));
    assert_eq!(outcomes[4], skipped("pool_missing"));
    assert_eq!(
        store
            .coupon_pool("summer")
            .expect("pool")
            .map(|p| p.pool.title),
        Some("Summer".to_string())
    );
}

pub fn benefits_tags_attributes_and_suppression(store: &dyn Store) {
    let c = customer(store, "u3");
    let benefit = || Action::GrantBenefit {
        benefit: "vip_service".to_string(),
    };
    store
        .apply_playbook_actions(&[
            act("1", &c, benefit(), 10),
            act(
                "2",
                &c,
                Action::AddTag {
                    tag: "vip".to_string(),
                },
                10,
            ),
            act(
                "3",
                &c,
                Action::SuppressAds {
                    reason: "low value".to_string(),
                },
                10,
            ),
            act(
                "4",
                &c,
                Action::SetAttribute {
                    key: "tier".to_string(),
                    value: serde_json::json!("gold"),
                },
                10,
            ),
            act("5", &c, Action::RaisePriority { level: 2 }, 10),
            act("6", &c, Action::RaisePriority { level: 1 }, 11),
        ])
        .expect("apply");
    let perks = store.customer_perks(&c).expect("perks");
    assert_eq!(perks.benefits.len(), 1);
    assert_eq!(perks.benefits[0].source, "playbook:test");
    assert_eq!(perks.tags, ["vip"]);
    let suppressed = perks.ads_suppressed.expect("suppressed");
    assert_eq!(suppressed.email.as_deref(), Some("u3@example.com"));
    let view = store.customer_360(&c, 1).expect("360");
    assert_eq!(view.customer.attributes["tier"], "gold");
    assert_eq!(view.customer.attributes["service_priority"], 2);
    let list = store.ads_suppressions(None, 10).expect("list");
    assert_eq!(list.len(), 1);
    assert!(
        store
            .ads_suppressions(Some(&c), 10)
            .expect("after")
            .is_empty()
    );
    store
        .apply_playbook_actions(&[
            act(
                "7",
                &c,
                Action::RevokeBenefit {
                    benefit: "vip_service".to_string(),
                },
                20,
            ),
            act(
                "8",
                &c,
                Action::RemoveTag {
                    tag: "vip".to_string(),
                },
                20,
            ),
            act("9", &c, Action::UnsuppressAds, 20),
        ])
        .expect("reverse");
    let perks = store.customer_perks(&c).expect("perks");
    assert!(perks.benefits.is_empty() && perks.tags.is_empty() && perks.ads_suppressed.is_none());
    let ledger = store.customer_playbook_actions(&c, 100).expect("ledger");
    assert_eq!(ledger.len(), 9);
    assert_eq!(ledger[0].at, 20);
    assert!(ledger.iter().all(|a| a.outcome == "done"));
    assert_eq!(store.playbook_state("cursor").expect("state"), None);
    store.set_playbook_state("cursor", "41", 1).expect("set");
    store.set_playbook_state("cursor", "42", 2).expect("set");
    assert_eq!(
        store.playbook_state("cursor").expect("state").as_deref(),
        Some("42")
    );
}

pub fn webhooks_queue_jobs_that_retry(store: &dyn Store) {
    let c = customer(store, "u4");
    let mut input = act(
        "w",
        &c,
        Action::Webhook {
            url: "https://hooks.example.com/x".to_string(),
        },
        100,
    );
    input.webhook_body = Some(r#"{"customer":"u4"}"#.to_string());
    store
        .apply_playbook_actions(&[input.clone(), input])
        .expect("apply");
    let due = store.jobs_due("webhook", 100, 10).expect("due");
    assert_eq!(
        due.len(),
        1,
        "the second run of the same key queues nothing"
    );
    let payload: serde_json::Value = serde_json::from_str(&due[0].payload).expect("json");
    assert_eq!(payload["url"], "https://hooks.example.com/x");
    assert!(store.jobs_due("webhook", 99, 10).expect("early").is_empty());
    let retry = JobResult::Retry {
        run_after: 500,
        error: "503".to_string(),
    };
    store.finish_job(due[0].id, &retry).expect("retry");
    assert!(
        store
            .jobs_due("webhook", 499, 10)
            .expect("not yet")
            .is_empty()
    );
    let again = store.jobs_due("webhook", 500, 10).expect("due again");
    assert_eq!(again[0].attempts, 1);
    store
        .finish_job(again[0].id, &JobResult::Done)
        .expect("done");
    assert!(
        store
            .jobs_due("webhook", 10_000, 10)
            .expect("none")
            .is_empty()
    );
}

pub fn actions_show_on_the_timeline(store: &dyn Store) {
    pool(store, "gift", 1, 1);
    let c = customer(store, "u5");
    store
        .apply_playbook_actions(&[act("t", &c, coupon("gift"), 50)])
        .expect("apply");
    let timeline = store.timeline(&c, None, 10).expect("timeline");
    let entry = timeline
        .iter()
        .find(|e| e.kind == "playbook")
        .expect("playbook entry");
    assert_eq!(entry.title, "test: issue_coupon");
    assert_eq!(entry.source, "playbook:test");
    assert_eq!(entry.detail["code"], "gift-C0");
}
