//! Merge history over HTTP and undoing a merge (once).

use ecrm::app::import::ImportKind;
use ecrm::app::write_context;
use ecrm_core::Identifier;
use ecrm_core::identity::IdentityLimits;
use ecrm_core::order::CustomerRef;
use serde_json::Value;

use crate::http_basics::assert_error;
use crate::support::{TestApp, import, import_options, spawn_app};

/// `u-ann` and `email:ann@example.com` start apart, then a row with both merges them.
fn app_with_a_merge() -> (TestApp, i64) {
    let app = spawn_app();
    let file = app.dir.write(
        "customers.csv",
        "customer_id,email,name,city\nu-ann,,Ann,Paris\n,ann@example.com,,\nu-ann,ann@example.com,,\nu-bob,bob@example.com,Bob,\n",
    );
    let summary = import(
        &*app.store,
        &[file],
        &import_options(&app.dir, ImportKind::Customers, ""),
    )
    .expect("import");
    assert_eq!(summary.rows_accepted, 4);
    assert_eq!(summary.created.customers_created, 3);
    assert_eq!(summary.created.customers_merged, 1);

    let response = app.get("/v1/customers/u-ann/merges");
    assert_eq!(response.status, 200, "{}", response.body);
    let merges = response.json();
    let merges = merges.as_array().expect("a list of merges");
    assert_eq!(merges.len(), 1, "{merges:?}");
    assert_eq!(merges[0]["from_customer"], "email:ann@example.com");
    assert_eq!(merges[0]["into_customer"], "u-ann");
    assert_eq!(merges[0]["undone_at"], Value::Null);
    let merge_id = merges[0]["id"].as_i64().expect("a merge id");
    (app, merge_id)
}

#[test]
fn merged_identifiers_name_one_customer_with_its_history() {
    let (app, merge_id) = app_with_a_merge();
    let by_email = app.get("/v1/customers/email:ann@example.com");
    assert_eq!(by_email.status, 200, "{}", by_email.body);
    let view = by_email.json();
    assert_eq!(view["customer"]["id"], "u-ann");
    assert_eq!(view["customer"]["city"], "Paris");
    assert_eq!(view["merges"][0]["id"], merge_id);
    let via_email = app.get("/v1/customers/email:ann@example.com/merges").json();
    assert_eq!(via_email[0]["id"], merge_id);
    assert_eq!(
        app.get("/v1/customers/u-bob/merges").json(),
        Value::Array(Vec::new())
    );
}

#[test]
fn undoing_a_merge_splits_the_customer_once() {
    let (app, merge_id) = app_with_a_merge();
    let undo = app.post(&format!("/v1/merges/{merge_id}/undo"));
    assert_eq!(undo.status, 200, "{}", undo.body);
    let customers = undo.json();
    assert_eq!(
        customers,
        serde_json::json!(["email:ann@example.com", "u-ann"])
    );

    let ann = app.get("/v1/customers/u-ann").json();
    let kinds: Vec<&str> = ann["identifiers"]
        .as_array()
        .expect("identifiers")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["user_id"], "the email left u-ann");
    let email = app.get("/v1/customers/email:ann@example.com").json();
    assert_eq!(email["customer"]["id"], "email:ann@example.com");
    let history = app.get("/v1/customers/u-ann/merges").json();
    assert!(
        history[0]["undone_at"].is_string(),
        "the merge is marked undone: {history}"
    );

    let again = app.post(&format!("/v1/merges/{merge_id}/undo"));
    assert_error(&again, 409, "conflict");

    // The two sides stay apart when they are seen together again.
    let ctx = write_context("test", &IdentityLimits::standard());
    let both = CustomerRef::new(
        vec![
            Identifier::user_id("u-ann").expect("id"),
            Identifier::email("ann@example.com").expect("email"),
        ],
        None,
        None,
    );
    app.store.resolve_identity(&both, &ctx).expect("resolve");
    let email_again = app.get("/v1/customers/email:ann@example.com").json();
    assert_eq!(
        email_again["customer"]["id"], "email:ann@example.com",
        "an undone merge stays undone"
    );
}

#[test]
fn undo_rejects_unknown_and_malformed_merge_ids() {
    let (app, _) = app_with_a_merge();
    assert_error(&app.post("/v1/merges/99999/undo"), 404, "not_found");
    let malformed = app.post("/v1/merges/abc/undo");
    assert_error(&malformed, 400, "invalid_parameter");
    assert_eq!(malformed.json()["parameter"], "merge_id");
    let wrong_method = app.get("/v1/merges/1/undo");
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.body);
}

#[test]
fn identities_resolved_through_the_store_merge_into_one_customer() {
    let app = spawn_app();
    let ctx = write_context("test", &IdentityLimits::standard());
    let anonymous = Identifier::anonymous_id("device-9").expect("anonymous id");
    let user = Identifier::user_id("u-9").expect("user id");
    app.store
        .resolve_identity(&CustomerRef::new(vec![anonymous.clone()], None, None), &ctx)
        .expect("anonymous");
    app.store
        .resolve_identity(&CustomerRef::new(vec![user.clone()], None, None), &ctx)
        .expect("user");
    let joined = app
        .store
        .resolve_identity(&CustomerRef::new(vec![user, anonymous], None, None), &ctx)
        .expect("join");
    assert_eq!(joined.customer_id.as_deref(), Some("u-9"));
    assert_eq!(joined.customers_merged, 1);

    let view = app.get("/v1/customers/anonymous_id:device-9");
    assert_eq!(view.status, 200, "{}", view.body);
    let view = view.json();
    assert_eq!(view["customer"]["id"], "u-9");
    assert_eq!(view["merges"][0]["from_customer"], "anonymous_id:device-9");
}

#[test]
fn two_user_ids_never_merge_through_a_shared_email() {
    let app = spawn_app();
    let file = app.dir.write(
        "customers.csv",
        "customer_id,email\nu-1,shared@example.com\nu-2,shared@example.com\n",
    );
    let summary = import(
        &*app.store,
        &[file],
        &import_options(&app.dir, ImportKind::Customers, ""),
    )
    .expect("import");
    assert_eq!(summary.rows_accepted, 2);
    assert_eq!(summary.created.customers_merged, 0);
    for id in ["u-1", "u-2"] {
        let view = app.get(&format!("/v1/customers/{id}"));
        assert_eq!(view.status, 200, "{}", view.body);
        assert_eq!(view.json()["customer"]["id"], id);
    }
    let owner = app.get("/v1/customers/email:shared@example.com").json();
    assert!(
        owner["customer"]["id"] == "u-1" || owner["customer"]["id"] == "u-2",
        "{owner}"
    );
}

#[test]
fn the_same_rows_in_any_order_give_the_same_customers() {
    let rows = [
        "u-1,a@example.com,",
        ",a@example.com,+8613800000001",
        ",b@example.com,+8613800000001",
        "u-2,b@example.com,",
    ];
    let forward = customers_after_import(&rows);
    let reversed: Vec<&str> = rows.iter().rev().copied().collect();
    assert_eq!(customers_after_import(&reversed), forward);
    assert_eq!(forward.len(), 2, "two user ids stay apart: {forward:?}");
}

/// Each customer id with its identifiers, after importing `rows` (customer_id,email,phone).
fn customers_after_import(rows: &[&str]) -> Vec<(String, Vec<String>)> {
    let app = spawn_app();
    let file = app.dir.write(
        "customers.csv",
        format!("customer_id,email,phone\n{}\n", rows.join("\n")),
    );
    import(
        &*app.store,
        &[file],
        &import_options(&app.dir, ImportKind::Customers, ""),
    )
    .expect("import");
    let list = app.get("/v1/customers").json();
    let mut customers = Vec::new();
    for item in list["customers"].as_array().expect("customers") {
        let id = item["id"].as_str().expect("an id").to_string();
        let view = app.get(&format!("/v1/customers/{id}")).json();
        let mut identifiers: Vec<String> = view["identifiers"]
            .as_array()
            .expect("identifiers")
            .iter()
            .map(|identifier| format!("{}:{}", identifier["kind"], identifier["value"]))
            .collect();
        identifiers.sort();
        customers.push((id, identifiers));
    }
    customers
}
