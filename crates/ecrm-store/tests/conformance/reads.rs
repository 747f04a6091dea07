use ecrm_store::{CustomerAttributes, CustomerInput, CustomerQuery, Store, StoreError};

use crate::support::{ctx, email, line, user, who};

pub fn search_by_identifier_and_name_with_pagination(store: &dyn Store) {
    let rows: Vec<CustomerInput> = (1..=5)
        .map(|n| CustomerInput {
            customer: who(&[user(&format!("c{n}")), email(&format!("c{n}@x.io"))]),
            attributes: CustomerAttributes {
                name: Some(format!("Zhang Wei {n}")),
                ..CustomerAttributes::default()
            },
        })
        .collect();
    store.write_customers(&rows, &ctx(1)).expect("write");
    let by_email = store
        .list_customers(&CustomerQuery {
            identifiers: vec![email("c3@x.io")],
            limit: 10,
            ..CustomerQuery::default()
        })
        .expect("by email");
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0].id, "c3");
    assert_eq!(by_email[0].email.as_deref(), Some("c3@x.io"));
    let page1 = store
        .list_customers(&CustomerQuery {
            search: Some("zhang".to_string()),
            limit: 2,
            ..CustomerQuery::default()
        })
        .expect("page 1");
    assert_eq!(
        page1.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    let page2 = store
        .list_customers(&CustomerQuery {
            search: Some("ZHANG".to_string()),
            after: Some("c2".to_string()),
            limit: 2,
            ..CustomerQuery::default()
        })
        .expect("page 2");
    assert_eq!(
        page2.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c3", "c4"]
    );
    let none = store
        .list_customers(&CustomerQuery {
            search: Some("li".to_string()),
            limit: 2,
            ..CustomerQuery::default()
        })
        .expect("none");
    assert!(none.is_empty());
}

pub fn timeline_is_newest_first_with_cursor(store: &dyn Store) {
    let lines: Vec<_> = (1..=5)
        .map(|n| line(&format!("o{n}"), n, &[user("u1")], n * 1_000, 100))
        .collect();
    store.write_orders(&lines, &ctx(1)).expect("write");
    let first = store.timeline("u1", None, 2).expect("page 1");
    assert_eq!(
        first.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(),
        ["o5", "o4"]
    );
    let next = store
        .timeline("u1", Some(first[1].cursor), 10)
        .expect("page 2");
    assert_eq!(
        next.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(),
        ["o3", "o2", "o1"]
    );
    assert_eq!(next[0].detail["total_cents"], 100);
}

pub fn unknown_customer_is_not_found(store: &dyn Store) {
    assert!(matches!(
        store.customer_360("nobody", 5),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .find_customer_id(&email("nobody@x.io"))
            .expect("lookup"),
        None
    );
    assert!(
        store
            .timeline("nobody", None, 5)
            .expect("empty timeline")
            .is_empty()
    );
}
