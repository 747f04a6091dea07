//! Health, readiness, metrics, the OpenAPI document, authentication and the error bodies.

use crate::support::{Response, spawn_app};

#[test]
fn health_and_readiness_answer() {
    let app = spawn_app();
    let health = app.request("GET", "/healthz", None);
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let ready = app.request("GET", "/readyz", None);
    assert_eq!(ready.status, 200, "{}", ready.body);
}

#[test]
fn metrics_count_requests_by_route() {
    let app = spawn_app();
    let first = app.get("/v1/customers/nobody");
    assert_eq!(first.status, 404);
    let listed = app.get("/v1/customers");
    assert_eq!(listed.status, 200);

    let metrics = app.request("GET", "/metrics", None);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/plain"))
    );
    let text = &metrics.body;
    assert!(
        text.contains(r#"ecrm_http_requests_total{method="GET",route="/v1/customers/{identifier}",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"ecrm_http_requests_total{method="GET",route="/v1/customers",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("ecrm_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("ecrm_rows_imported_total"), "{text}");
    assert!(text.contains("ecrm_ingest_queue_depth"), "{text}");
}

#[test]
fn openapi_document_lists_the_customer_paths() {
    let app = spawn_app();
    let response = app.request("GET", "/openapi.json", None);
    assert_eq!(response.status, 200);
    let document = response.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|version| version.starts_with('3')),
        "{document}"
    );
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/v1/customers",
        "/v1/customers/{identifier}",
        "/v1/customers/{identifier}/timeline",
        "/v1/customers/{identifier}/merges",
        "/v1/merges/{merge_id}/undo",
        "/v1/dashboard",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} in {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(
        document["components"]["securitySchemes"]["api_key"].is_object(),
        "{document}"
    );
    assert!(
        document["components"]["schemas"]["Dashboard"]["properties"]["funnel"].is_object(),
        "{document}"
    );
}

#[test]
fn customer_endpoints_need_a_key() {
    let app = spawn_app();
    let missing = app.request("GET", "/v1/customers", None);
    assert_error(&missing, 401, "unauthorized");
    let wrong = app.request("GET", "/v1/customers", Some("Bearer ek_a_not-a-real-key"));
    assert_error(&wrong, 401, "unauthorized");
    let garbage = app.request("GET", "/v1/customers", Some("Token whatever"));
    assert_error(&garbage, 401, "unauthorized");
    let undo = app.request("POST", "/v1/merges/1/undo", None);
    assert_error(&undo, 401, "unauthorized");
}

#[test]
fn admin_keys_work_as_bearer_and_as_basic_username() {
    let app = spawn_app();
    let bearer = app.get("/v1/customers");
    assert_eq!(bearer.status, 200, "{}", bearer.body);
    let basic = app.request(
        "GET",
        "/v1/customers",
        Some(&format!("Basic {}", base64(&format!("{}:", app.admin_key)))),
    );
    assert_eq!(basic.status, 200, "{}", basic.body);
}

#[test]
fn write_keys_are_forbidden_on_admin_endpoints() {
    let app = spawn_app();
    let write_key = app.write_key();
    let bearer = format!("Bearer {write_key}");
    let list = app.request("GET", "/v1/customers", Some(&bearer));
    assert_error(&list, 403, "forbidden");
    let undo = app.request("POST", "/v1/merges/1/undo", Some(&bearer));
    assert_error(&undo, 403, "forbidden");
}

#[test]
fn unknown_routes_and_customers_are_json_404s() {
    let app = spawn_app();
    let route = app.get("/v2/nothing/here");
    assert_error(&route, 404, "not_found");
    assert!(
        route.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("/v2/nothing/here")),
        "{}",
        route.body
    );
    let customer = app.get("/v1/customers/nobody");
    assert_error(&customer, 404, "not_found");
    let by_email = app.get("/v1/customers/email:nobody@example.com");
    assert_error(&by_email, 404, "not_found");
}

/// Asserts an error response in the one error shape.
pub fn assert_error(response: &Response, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json")),
        "{:?}",
        response.headers
    );
    let body = response.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{body}"
    );
    assert!(body["type"].is_string(), "{body}");
    assert!(body["link"].is_string(), "{body}");
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bytes = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for idx in 0..4 {
            if idx <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * idx)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
