//! Saved segments and memberships with their recorded entries and exits.

use ecrm_store::{MembershipChange, NewSegment, SegmentChangeQuery, Store, StoreError};

pub fn segments_and_memberships(store: &dyn Store) {
    let new = |name: &str, builtin: bool| NewSegment {
        name: name.to_string(),
        definition: "{\"has\":{\"identifier\":\"email\"}}".to_string(),
        builtin,
        at: 10,
    };
    let vip = store.create_segment(&new("vip", false)).expect("create");
    let hv = store
        .create_segment(&new("high-value", true))
        .expect("builtin");
    assert!(hv.builtin && !vip.builtin);
    assert!(matches!(
        store.create_segment(&new("vip", false)),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.segment_by_name("vip").expect("by name"),
        Some(vip.clone())
    );
    assert_eq!(store.segment(vip.id).expect("by id"), Some(vip.clone()));
    let names: Vec<String> = store
        .segments()
        .expect("list")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["high-value", "vip"]);
    let renamed = store
        .update_segment(vip.id, "vips", "{}", 20)
        .expect("update");
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.definition.as_str(),
            renamed.updated_at,
            renamed.created_at
        ),
        ("vips", "{}", 20, 10)
    );
    assert!(matches!(
        store.update_segment(vip.id, "high-value", "{}", 21),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.update_segment(9_999, "x", "{}", 21),
        Err(StoreError::NotFound(_))
    ));

    let change = |segment_id: i64, customer: &str, enter: bool, at: i64| MembershipChange {
        segment_id,
        customer_id: customer.to_string(),
        enter,
        cause: "import".to_string(),
        at,
    };
    let recorded = store
        .apply_membership_changes(&[
            change(vip.id, "c1", true, 30),
            change(vip.id, "c2", true, 30),
            change(vip.id, "c3", true, 30),
            change(hv.id, "c1", true, 30),
        ])
        .expect("enter");
    assert_eq!(recorded, 4);
    assert_eq!(
        store
            .apply_membership_changes(&[
                change(vip.id, "c1", true, 31),
                change(vip.id, "c9", false, 31)
            ])
            .expect("no-ops"),
        0,
        "re-entering or leaving a segment one is not in changes nothing"
    );
    let page = store.segment_members(vip.id, None, 2).expect("page");
    assert_eq!(
        page.iter()
            .map(|m| m.customer_id.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(page[0].entered_at, 30);
    let rest = store
        .segment_members(vip.id, Some("c2"), 2)
        .expect("next page");
    assert_eq!(
        rest.iter()
            .map(|m| m.customer_id.as_str())
            .collect::<Vec<_>>(),
        ["c3"]
    );
    assert_eq!(
        store
            .apply_membership_changes(&[change(vip.id, "c2", false, 40)])
            .expect("exit"),
        1
    );
    let mut sizes = store.segment_sizes().expect("sizes");
    sizes.sort();
    let mut expected = vec![(vip.id, 2), (hv.id, 1)];
    expected.sort();
    assert_eq!(sizes, expected);
    let flows = store.segment_flows(35).expect("flows");
    assert_eq!(flows.len(), 1);
    assert_eq!(
        (flows[0].segment_id, flows[0].entered, flows[0].exited),
        (vip.id, 0, 1)
    );
    let periods: Vec<(i64, u64, u64, u64)> = store
        .segment_flows_by_period(5, 10)
        .expect("flows by period")
        .into_iter()
        .map(|f| (f.segment_id, f.period, f.entered, f.exited))
        .collect();
    let mut expected = vec![(vip.id, 2, 3, 0), (vip.id, 3, 0, 1), (hv.id, 2, 1, 0)];
    expected.sort();
    assert_eq!(
        periods, expected,
        "enters at 30 and the exit at 40, in 10 ms periods from 5"
    );
    assert!(
        store
            .segment_flows_by_period(41, 10)
            .expect("none")
            .is_empty()
    );
    assert!(store.segment_flows_by_period(0, 0).is_err());
    let c1: Vec<i64> = store
        .customer_memberships("c1")
        .expect("c1")
        .into_iter()
        .map(|m| m.segment_id)
        .collect();
    let mut expected = vec![vip.id, hv.id];
    expected.sort();
    assert_eq!(c1, expected);

    let all = store
        .segment_changes(&SegmentChangeQuery {
            limit: 100,
            ..SegmentChangeQuery::default()
        })
        .expect("all");
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "id order");
    assert_eq!(
        (
            all[4].change.as_str(),
            all[4].customer_id.as_str(),
            all[4].cause.as_str(),
            all[4].at
        ),
        ("exit", "c2", "import", 40)
    );
    let after = store
        .segment_changes(&SegmentChangeQuery {
            after: all[2].id,
            limit: 100,
            ..SegmentChangeQuery::default()
        })
        .expect("after");
    assert_eq!(after.len(), 2);
    let of_c1 = store
        .segment_changes(&SegmentChangeQuery {
            customer_id: Some("c1".to_string()),
            limit: 100,
            ..SegmentChangeQuery::default()
        })
        .expect("c1");
    assert_eq!(of_c1.len(), 2);
    let of_hv = store
        .segment_changes(&SegmentChangeQuery {
            segment_id: Some(hv.id),
            limit: 100,
            ..SegmentChangeQuery::default()
        })
        .expect("hv");
    assert_eq!(of_hv.len(), 1);
    let both = store
        .segment_changes(&SegmentChangeQuery {
            segment_id: Some(vip.id),
            customer_id: Some("c2".to_string()),
            limit: 1,
            ..SegmentChangeQuery::default()
        })
        .expect("both");
    assert_eq!(both.len(), 1);

    store.delete_segment(vip.id).expect("delete");
    assert_eq!(store.segment(vip.id).expect("gone"), None);
    assert!(
        store
            .segment_members(vip.id, None, 10)
            .expect("members")
            .is_empty()
    );
    assert!(matches!(
        store.delete_segment(vip.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .segment_changes(&SegmentChangeQuery {
                limit: 100,
                ..SegmentChangeQuery::default()
            })
            .expect("kept")
            .len(),
        5,
        "history is kept"
    );
}

/// A chunked write records exactly what one transaction would: an entry of a member and an exit
/// of a non-member change nothing, also across chunk boundaries, and everything is readable
/// (and durable) once the call returns.
pub fn chunked_membership_writes_match_one_transaction(store: &dyn Store) {
    let segment = store
        .create_segment(&NewSegment {
            name: "chunked".to_string(),
            definition: "{\"has\":{\"identifier\":\"email\"}}".to_string(),
            builtin: false,
            at: 1,
        })
        .expect("create");
    let change = |customer: &str, enter: bool, at: i64| MembershipChange {
        segment_id: segment.id,
        customer_id: customer.to_string(),
        enter,
        cause: "traits recomputed".to_string(),
        at,
    };
    let changes = vec![
        change("c1", true, 10),
        change("c2", true, 10),
        change("c1", true, 11),
        change("c3", false, 11),
        change("c2", false, 12),
        change("c4", true, 12),
        change("c2", true, 13),
    ];
    let recorded = store
        .apply_membership_changes_chunked(&mut changes.into_iter(), 2)
        .expect("chunked");
    assert_eq!(
        recorded, 5,
        "the repeated entry and the stray exit record nothing"
    );
    let members: Vec<String> = store
        .segment_members(segment.id, None, 10)
        .expect("members")
        .into_iter()
        .map(|m| m.customer_id)
        .collect();
    assert_eq!(members, ["c1", "c2", "c4"]);
    let recorded_changes: Vec<(String, String, i64)> = store
        .segment_changes(&SegmentChangeQuery {
            segment_id: Some(segment.id),
            limit: 100,
            ..SegmentChangeQuery::default()
        })
        .expect("changes")
        .into_iter()
        .map(|c| (c.customer_id, c.change, c.at))
        .collect();
    let expected = [
        ("c1", "enter", 10),
        ("c2", "enter", 10),
        ("c2", "exit", 12),
        ("c4", "enter", 12),
        ("c2", "enter", 13),
    ]
    .map(|(c, k, at)| (c.to_string(), k.to_string(), at));
    assert_eq!(recorded_changes, expected);
    let entered_again = [change("c1", true, 14), change("c4", true, 14)];
    assert_eq!(
        store
            .apply_membership_changes_chunked(&mut entered_again.into_iter(), 1)
            .expect("again"),
        0,
        "entries of members record nothing"
    );
    assert_eq!(
        store
            .apply_membership_changes_chunked(&mut std::iter::empty(), 3)
            .expect("empty"),
        0
    );
    let twice = [change("c5", true, 15), change("c5", true, 15)];
    assert_eq!(
        store
            .apply_membership_changes_chunked(&mut twice.into_iter(), 10)
            .expect("twice"),
        1,
        "an entry repeated in one chunk is recorded once"
    );
}
