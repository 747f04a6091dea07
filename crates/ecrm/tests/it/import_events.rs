//! JSONL import of Segment messages: duplicates by messageId, rejects naming the field, and identity
//! resolution of anonymous visitors into known customers with a merge history.

use ecrm::app::customers::find_customer;
use ecrm::app::import::ImportKind;
use ecrm_core::phone::PhoneRegion;
use ecrm_store::WriteCounts;

use crate::support::{TempDir, fresh_store, import, import_options, read_rejects};

const EVENTS: &str = r#"{"type":"track","event":"Product Viewed","anonymousId":"anon-1","messageId":"m1","timestamp":"2024-02-01T10:00:00Z","properties":{"product_id":"p1"},"context":{"channel":"web"}}
{"type":"track","event":"Product Viewed","anonymousId":"anon-1","messageId":"m1","timestamp":"2024-02-01T10:00:00Z"}
{"type":"page","userId":"u-100","name":"Home","messageId":"m2","timestamp":"2024-02-01T11:00:00Z"}
this is not json
{"type":"purchase","userId":"u-100","messageId":"m9"}
{"type":"identify","userId":"u-100","anonymousId":"anon-1","messageId":"m3","timestamp":"2024-02-01T12:00:00Z","traits":{"email":" Ann@Example.COM ","name":"Ann Lee","plan":"gold"}}
{"type":"track","userId":"u-100","messageId":"m4","timestamp":"2024-02-01T13:00:00Z"}
"#;

#[test]
fn events_import_dedupes_rejects_and_links_identities() {
    let dir = TempDir::new("events");
    let store = fresh_store(&dir);
    let file = dir.write("events.jsonl", EVENTS);
    let options = import_options(&dir, ImportKind::Events, "");

    let summary = import(&*store, std::slice::from_ref(&file), &options).expect("import events");
    assert_eq!(summary.rows_read, 7);
    assert_eq!(summary.rows_accepted, 4);
    assert_eq!(summary.rows_rejected, 3);
    assert_eq!(summary.created.events_created, 3);
    assert_eq!(
        summary.created.duplicates_skipped, 1,
        "the second m1 is a duplicate"
    );
    assert_eq!(
        summary.created.customers_created, 2,
        "anon-1 and u-100 before the identify"
    );
    assert_eq!(
        summary.created.customers_merged, 1,
        "the identify joins them"
    );

    let rejects = read_rejects(&dir.path().join("rejects.csv"));
    let by_line: Vec<(u64, &str)> = rejects
        .iter()
        .map(|(_, line, field, _)| (*line, field.as_str()))
        .collect();
    assert_eq!(
        by_line,
        vec![(4, ""), (5, "type"), (7, "event")],
        "{rejects:#?}"
    );
    assert!(rejects[0].3.contains("JSON"), "{}", rejects[0].3);

    let via_anonymous =
        find_customer(&*store, "anonymous_id:anon-1", PhoneRegion::CN).expect("anon-1 is known");
    let via_email = find_customer(&*store, "email:ann@example.com", PhoneRegion::CN)
        .expect("the email is known");
    assert_eq!(via_anonymous, "u-100");
    assert_eq!(via_email, "u-100");

    let view = store.customer_360("u-100", 5).expect("u-100");
    assert_eq!(view.customer.name.as_deref(), Some("Ann Lee"));
    assert_eq!(
        view.customer
            .attributes
            .get("plan")
            .and_then(|v| v.as_str()),
        Some("gold")
    );
    let kinds: Vec<&str> = view
        .identifiers
        .iter()
        .map(|identifier| identifier.kind.as_str())
        .collect();
    for kind in ["user_id", "email", "anonymous_id"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(view.merges.len(), 1);
    assert_eq!(view.merges[0].from_customer, "anonymous_id:anon-1");
    assert_eq!(view.merges[0].into_customer, "u-100");
    assert_eq!(view.merges[0].undone_at, None);

    let timeline = store.timeline("u-100", None, 50).expect("timeline");
    assert_eq!(
        timeline.len(),
        3,
        "one view, one page and one identify: {timeline:#?}"
    );
    assert!(
        timeline.windows(2).all(|pair| pair[0].at >= pair[1].at),
        "newest first"
    );
    assert_eq!(store.stats().expect("stats").customers, 1);

    let again = import(&*store, &[file], &options).expect("re-import events");
    assert_eq!(again.created.duplicates_skipped, 4);
    assert_eq!(
        again.created,
        WriteCounts {
            duplicates_skipped: 4,
            ..WriteCounts::default()
        }
    );
}

#[test]
fn events_must_come_from_jsonl_files() {
    let dir = TempDir::new("events-csv");
    let store = fresh_store(&dir);
    let file = dir.write("events.csv", "type,userId\ntrack,u1\n");
    let err = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Events, ""),
    )
    .expect_err("CSV events");
    assert!(format!("{err:#}").contains("JSONL"), "{err:#}");
}
