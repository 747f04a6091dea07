//! The customer 360° view by any identifier, the list and search with cursor pagination, timeline
//! pages and invalid query parameters.

use std::collections::BTreeSet;

use ecrm::app::import::ImportKind;
use serde_json::Value;

use crate::http_basics::assert_error;
use crate::support::{TestApp, import, import_options, spawn_app};

const ORDERS: &str = "order_id,customer_id,email,phone,name,country,ordered_at,product_id,quantity,unit_price\n\
A1,00004,ann@example.com,+86 138 0013 8000,Ann Lee,CN,2024-01-05 10:00:00,P1,2,10.00\n\
A1,00004,ann@example.com,+86 138 0013 8000,Ann Lee,CN,2024-01-05 10:00:00,P2,1,5.50\n\
A2,00004,ann@example.com,,Ann Lee,CN,2024-02-05 10:00:00,P2,1,5.50\n\
A3,00004,,,,,2024-03-05 10:00:00,P3,1,1.00\n\
A4,00004,,,,,2024-04-05 10:00:00,P3,1,1.00\n\
A5,00004,,,,,2024-05-05 10:00:00,P3,1,1.00\n\
B1,b-07,bob@example.com,,Bob Stone,GB,2024-01-06 10:00:00,P1,1,10.00\n\
B2,b-08,zed1@example.com,,Zed One,GB,2024-01-07 10:00:00,P1,1,10.00\n\
B3,b-09,zed2@example.com,,Zed Two,GB,2024-01-08 10:00:00,P1,1,10.00\n\
B4,b-10,zed3@example.com,,Zed Three,GB,2024-01-09 10:00:00,P1,1,10.00\n\
B5,b-11,zed4@example.com,,Zed Four,GB,2024-01-10 10:00:00,P1,1,10.00\n\
B6,b-12,zed5@example.com,,Zed Five,GB,2024-01-11 10:00:00,P1,1,10.00\n";

/// The app with seven customers, `00004` with five orders.
fn app_with_orders() -> TestApp {
    let app = spawn_app();
    let file = app.dir.write("orders.csv", ORDERS);
    let summary = import(
        &*app.store,
        &[file],
        &import_options(&app.dir, ImportKind::Orders, ""),
    )
    .expect("import");
    assert_eq!(
        summary.rows_rejected, 0,
        "fixture rejects: {:?}",
        summary.rejects_file
    );
    assert_eq!(summary.created.customers_created, 7);
    app
}

#[test]
fn the_360_view_by_customer_id_email_and_phone() {
    let app = app_with_orders();
    let by_id = app.get("/v1/customers/00004");
    assert_eq!(by_id.status, 200, "{}", by_id.body);
    let view = by_id.json();
    assert_eq!(view["customer"]["id"], "00004");
    assert_eq!(view["customer"]["name"], "Ann Lee");
    assert_eq!(view["customer"]["country"], "CN");
    let summary = &view["order_summary"];
    assert_eq!(summary["orders"], 5);
    assert_eq!(summary["revenue_cents"], 34_00);
    assert_eq!(summary["first_order_at"], "2024-01-05T10:00:00.000Z");
    assert_eq!(summary["last_order_at"], "2024-05-05T10:00:00.000Z");
    let identifiers: BTreeSet<String> = view["identifiers"]
        .as_array()
        .expect("identifiers")
        .iter()
        .map(|identifier| {
            format!(
                "{}:{}",
                text(&identifier["kind"]),
                text(&identifier["value"])
            )
        })
        .collect();
    let expected: BTreeSet<String> = [
        "user_id:00004",
        "email:ann@example.com",
        "phone:+8613800138000",
    ]
    .map(str::to_string)
    .into();
    assert_eq!(identifiers, expected);
    for identifier in view["identifiers"].as_array().expect("identifiers") {
        assert_eq!(identifier["source"], "import:test");
        assert!(
            identifier["first_seen"]
                .as_str()
                .is_some_and(|t| t.starts_with("2024-")),
            "{identifier}"
        );
    }
    let latest = view["latest_orders"].as_array().expect("latest orders");
    assert_eq!(latest[0]["order_id"], "A5", "latest first");
    let a1 = latest
        .iter()
        .find(|order| order["order_id"] == "A1")
        .expect("A1");
    assert_eq!(a1["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(view["timeline"].as_array().map(Vec::len), Some(5));
    assert_eq!(view["merges"], Value::Array(Vec::new()));

    let by_email = app.get("/v1/customers/email:Ann@Example.com");
    assert_eq!(by_email.status, 200, "{}", by_email.body);
    assert_eq!(by_email.json()["customer"]["id"], "00004");
    let by_phone = app.get("/v1/customers/phone:%2B8613800138000");
    assert_eq!(by_phone.status, 200, "{}", by_phone.body);
    assert_eq!(by_phone.json()["customer"]["id"], "00004");
    let by_national_phone = app.get("/v1/customers/phone:13800138000");
    assert_eq!(
        by_national_phone.json()["customer"]["id"],
        "00004",
        "national numbers use the default region"
    );
}

#[test]
fn the_360_view_limits_orders_and_timeline() {
    let app = app_with_orders();
    let view = app.get("/v1/customers/00004?orders=2&timeline=3").json();
    assert_eq!(view["latest_orders"].as_array().map(Vec::len), Some(2));
    assert_eq!(view["timeline"].as_array().map(Vec::len), Some(3));
    let next = text(&view["timeline_next"]);
    let rest = app.get(&format!("/v1/customers/00004/timeline?before={next}"));
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(rest.json().as_array().map(Vec::len), Some(2));

    assert_invalid(&app.get("/v1/customers/00004?timeline=0"), "timeline");
    assert_invalid(&app.get("/v1/customers/00004?orders=1000"), "orders");
}

#[test]
fn the_360_view_has_no_timeline_cursor_at_the_end() {
    let app = app_with_orders();
    let view = app.get("/v1/customers/b-07").json();
    assert_eq!(view["timeline"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        view["timeline_next"],
        Value::Null,
        "documented as absent at the end: {}",
        view["timeline_next"]
    );
}

#[test]
fn the_timeline_pages_newest_first_without_gaps_or_repeats() {
    let app = app_with_orders();
    let mut titles = Vec::new();
    let mut times = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..10 {
        let query = match &before {
            Some(cursor) => format!("?limit=2&before={cursor}"),
            None => "?limit=2".to_string(),
        };
        let response = app.get(&format!(
            "/v1/customers/email:ann@example.com/timeline{query}"
        ));
        assert_eq!(response.status, 200, "{}", response.body);
        let page = response.json().as_array().cloned().expect("a page");
        assert!(page.len() <= 2);
        if page.is_empty() {
            break;
        }
        for entry in &page {
            titles.push(text(&entry["title"]));
            times.push(text(&entry["at"]));
        }
        before = page.last().map(|entry| text(&entry["cursor"]));
    }
    assert_eq!(
        titles,
        vec!["A5", "A4", "A3", "A2", "A1"],
        "all five orders, newest first"
    );
    assert!(times.windows(2).all(|pair| pair[0] > pair[1]), "{times:?}");
}

#[test]
fn invalid_query_parameters_are_400s_naming_the_parameter() {
    let app = app_with_orders();
    assert_invalid(&app.get("/v1/customers?limit=0"), "limit");
    assert_invalid(&app.get("/v1/customers?limit=501"), "limit");
    let not_a_number = app.get("/v1/customers?limit=abc");
    assert_error(&not_a_number, 400, "invalid_parameter");
    assert!(
        not_a_number.body.contains("limit"),
        "the message names the parameter: {}",
        not_a_number.body
    );
    let timeline_limit = app.get("/v1/customers/00004/timeline?limit=-1");
    assert_error(&timeline_limit, 400, "invalid_parameter");
    assert!(
        timeline_limit.body.contains("limit"),
        "{}",
        timeline_limit.body
    );
    assert_invalid(
        &app.get("/v1/customers/00004/timeline?before=yesterday"),
        "before",
    );
    assert_invalid(
        &app.get("/v1/customers/00004/timeline?before=1.2"),
        "before",
    );
    assert_invalid(&app.get("/v1/customers/00004/timeline?limit=0"), "limit");
    assert_invalid(&app.get("/v1/customers/email:not-an-email"), "identifier");
    let unknown = app.get("/v1/customers/00005/timeline");
    assert_error(&unknown, 404, "not_found");
}

#[test]
fn a_limit_of_the_wrong_type_names_limit_in_the_parameter_field() {
    let app = app_with_orders();
    assert_invalid(&app.get("/v1/customers?limit=abc"), "limit");
    assert_invalid(&app.get("/v1/customers/00004/timeline?limit=abc"), "limit");
}

#[test]
fn the_list_searches_by_email_phone_and_name() {
    let app = app_with_orders();
    assert_eq!(search_ids(&app, "ann@example.com"), vec!["00004"]);
    assert_eq!(
        search_ids(&app, "ANN@example.com"),
        vec!["00004"],
        "emails match case-insensitively"
    );
    assert_eq!(search_ids(&app, "%2B8613800138000"), vec!["00004"]);
    assert_eq!(search_ids(&app, "Bob"), vec!["b-07"]);
    assert_eq!(
        search_ids(&app, "zed").len(),
        5,
        "a name prefix, case-insensitive"
    );
    assert!(search_ids(&app, "nobody@example.com").is_empty());
}

#[test]
fn the_list_pages_with_the_next_cursor() {
    let app = app_with_orders();
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let query = match &after {
            Some(cursor) => format!("?limit=3&after={cursor}"),
            None => "?limit=3".to_string(),
        };
        let response = app.get(&format!("/v1/customers{query}"));
        assert_eq!(response.status, 200, "{}", response.body);
        let body = response.json();
        let page = body["customers"].as_array().cloned().expect("customers");
        assert!(page.len() <= 3);
        ids.extend(page.iter().map(|item| text(&item["id"])));
        match body["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = ["00004", "b-07", "b-08", "b-09", "b-10", "b-11", "b-12"]
        .map(str::to_string)
        .into();
    assert_eq!(ids, expected, "every customer once, in id order");

    let searched = app.get("/v1/customers?search=zed&limit=2").json();
    assert_eq!(searched["customers"].as_array().map(Vec::len), Some(2));
    let next = text(&searched["next"]);
    let second = app
        .get(&format!("/v1/customers?search=zed&limit=2&after={next}"))
        .json();
    let second_ids: Vec<String> = second["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|item| text(&item["id"]))
        .collect();
    assert_eq!(second_ids, vec!["b-10", "b-11"]);
}

fn search_ids(app: &TestApp, search: &str) -> Vec<String> {
    let response = app.get(&format!("/v1/customers?search={search}"));
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|item| text(&item["id"]))
        .collect()
}

fn assert_invalid(response: &crate::support::Response, parameter: &str) {
    assert_error(response, 400, "invalid_parameter");
    let body = response.json();
    assert_eq!(body["parameter"], parameter, "{body}");
    assert!(text(&body["message"]).contains(parameter), "{body}");
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => panic!("expected a string, got {other}"),
    }
}
