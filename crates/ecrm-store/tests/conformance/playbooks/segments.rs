use ecrm_store::Store;

use super::Seeder;

pub fn changes_and_members_are_read_in_order(store: &dyn Store, seed: &mut Seeder) {
    seed(
        "INSERT INTO segments (id, name, definition, builtin, created_at, updated_at) VALUES \
          (1, 'potential', '{}', 1, 1, 1), (2, 'low-value', '{}', 1, 1, 1); \
          INSERT INTO segment_memberships (segment_id, customer_id, entered_at) VALUES \
          (1, 'a', 10), (1, 'b', 11), (1, 'c', 12), (2, 'a', 13); \
          INSERT INTO segment_changes (id, segment_id, customer_id, change, cause, at) VALUES \
          (1, 1, 'a', 'enter', 'compute', 10), (2, 1, 'b', 'enter', 'compute', 11), \
          (3, 2, 'a', 'enter', 'event', 13), (4, 1, 'd', 'exit', 'event', 14);",
    );
    assert_eq!(
        store.segment_names().expect("names"),
        ["low-value", "potential"]
    );
    let changes = store.segment_changes_after(0, 2).expect("changes");
    let ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(changes[0].segment, "potential");
    let rest = store.segment_changes_after(2, 10).expect("rest");
    assert_eq!(rest.len(), 2);
    assert_eq!(
        (rest[1].change.as_str(), rest[1].customer_id.as_str()),
        ("exit", "d")
    );
    assert!(store.segment_changes_after(4, 10).expect("none").is_empty());
    let page = store
        .segment_members_page("potential", None, 2)
        .expect("members");
    let ids: Vec<&str> = page.iter().map(|m| m.customer_id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    let next = store
        .segment_members_page("potential", Some("b"), 2)
        .expect("next");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].entered_at, 12);
    assert!(
        store
            .segment_members_page("nope", None, 2)
            .expect("unknown")
            .is_empty()
    );
}
