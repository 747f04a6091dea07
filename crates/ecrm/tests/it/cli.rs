//! The `ecrm` binary: `import --json`, `customers show --json`, `keys create`, exit codes, and a key
//! made by the CLI opening the HTTP API on the same database.

use serde_json::Value;

use crate::support::{TempDir, fresh_store, output_text, run_ecrm, spawn_app_on};

const ORDERS: &str = "Invoice,Customer,When,Qty,Price\n\
1,00004,2024-01-05,2,10.00\n\
2,00004,2024-02-05,1,5.50\n\
3,00004,2024-03-05,1,abc\n\
C4,00004,2024-03-06,-1,5.50\n\
5,,2024-03-07,1,8.00\n";
const MAP: &str =
    "order_id=Invoice,customer_id=Customer,ordered_at=When,quantity=Qty,unit_price=Price";
const SUMMARY_KEYS: [&str; 8] = [
    "rows_read",
    "rows_accepted",
    "rows_rejected",
    "orders_created",
    "customers_created",
    "customers_merged",
    "guest_orders_created",
    "refunds_created",
];

fn import_json(dir: &TempDir, file: &str) -> Value {
    let db = dir.db_url();
    let args = [
        "--db",
        &db,
        "import",
        "orders",
        file,
        "--map",
        MAP,
        "--cancel-prefix",
        "C",
        "--rejects",
        "rejects.csv",
        "--json",
    ];
    let output = run_ecrm(dir, &args);
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "import failed: {stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("--json prints one JSON object ({err}): {stdout}"))
}

#[test]
fn import_json_prints_the_documented_counts_and_reimport_prints_zeros() {
    let dir = TempDir::new("cli-import");
    dir.write("orders.csv", ORDERS);
    let first = import_json(&dir, "orders.csv");
    for key in SUMMARY_KEYS {
        assert!(first[key].is_u64(), "{key} in {first}");
    }
    assert_eq!(first["rows_read"], 5);
    assert_eq!(first["rows_accepted"], 4);
    assert_eq!(first["rows_rejected"], 1);
    assert_eq!(first["orders_created"], 2);
    assert_eq!(first["refunds_created"], 1);
    assert_eq!(first["guest_orders_created"], 1);
    assert_eq!(first["customers_created"], 1);
    assert_eq!(first["customers_merged"], 0);
    assert_eq!(first["derived_order_ids"], false);
    let rejects =
        std::fs::read_to_string(dir.path().join("rejects.csv")).expect("the rejects file");
    assert!(rejects.contains("orders.csv,4,unit_price,"), "{rejects}");

    let second = import_json(&dir, "orders.csv");
    assert_eq!(second["rows_read"], 5);
    for key in SUMMARY_KEYS
        .iter()
        .filter(|key| key.ends_with("_created") || key.ends_with("_merged"))
    {
        assert_eq!(second[*key], 0, "{key} on re-import: {second}");
    }
}

#[test]
fn customers_show_json_has_the_order_summary() {
    let dir = TempDir::new("cli-show");
    dir.write("orders.csv", ORDERS);
    import_json(&dir, "orders.csv");
    let db = dir.db_url();
    let output = run_ecrm(&dir, &["--db", &db, "customers", "show", "00004", "--json"]);
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    let view: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("JSON ({err}): {stdout}"));
    assert_eq!(view["customer"]["id"], "00004");
    let summary = &view["order_summary"];
    assert_eq!(summary["orders"], 2);
    assert_eq!(summary["refunds"], 1);
    assert_eq!(summary["revenue_cents"], 25_50);
    assert_eq!(summary["net_cents"], 20_00);
    assert_eq!(summary["first_order_at"], "2024-01-05T00:00:00.000Z");
    assert_eq!(view["latest_orders"].as_array().map(Vec::len), Some(3));

    let text = run_ecrm(&dir, &["--db", &db, "customers", "show", "00004"]);
    let (stdout, _) = output_text(&text);
    assert!(text.status.success());
    assert!(
        stdout.contains("customer 00004") && stdout.contains("orders: 2"),
        "{stdout}"
    );
}

#[test]
fn customers_show_of_an_unknown_customer_fails() {
    let dir = TempDir::new("cli-unknown");
    let db = dir.db_url();
    let output = run_ecrm(
        &dir,
        &[
            "--db",
            &db,
            "customers",
            "show",
            "email:nobody@example.com",
            "--json",
        ],
    );
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("not found"), "{stderr}");
}

#[test]
fn import_with_a_missing_column_fails_and_writes_nothing() {
    let dir = TempDir::new("cli-missing");
    dir.write("orders.csv", "Invoice,Customer,Price\n1,00004,2.00\n");
    let db = dir.db_url();
    let output = run_ecrm(
        &dir,
        &["--db", &db, "import", "orders", "orders.csv", "--json"],
    );
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("ordered_at"), "{stderr}");
    let store = fresh_store(&dir);
    assert_eq!(store.stats().expect("stats").customers, 0);
}

#[test]
fn import_with_an_unknown_delimiter_is_a_usage_error() {
    let dir = TempDir::new("cli-delimiter");
    dir.write("orders.csv", ORDERS);
    let db = dir.db_url();
    let output = run_ecrm(
        &dir,
        &[
            "--db",
            &db,
            "import",
            "orders",
            "orders.csv",
            "--delimiter",
            "#",
        ],
    );
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("--delimiter"), "{stderr}");
}

#[test]
fn write_keys_need_a_source() {
    let dir = TempDir::new("cli-keys");
    let db = dir.db_url();
    let output = run_ecrm(&dir, &["--db", &db, "keys", "create", "--role", "write"]);
    let (stdout, stderr) = output_text(&output);
    assert!(!output.status.success());
    assert!(stdout.is_empty(), "no key is printed: {stdout}");
    assert!(
        stderr.contains("--source"),
        "the message says what to pass: {stderr}"
    );

    let with_source = run_ecrm(
        &dir,
        &[
            "--db", &db, "keys", "create", "--role", "write", "--source", "web", "--json",
        ],
    );
    let (stdout, stderr) = output_text(&with_source);
    assert!(with_source.status.success(), "{stderr}");
    let created: Value = serde_json::from_str(&stdout).expect("key JSON");
    assert_eq!(created["role"], "write");
    assert_eq!(created["source"], "web");
    let listed = run_ecrm(&dir, &["--db", &db, "keys", "list"]);
    let (list_text, _) = output_text(&listed);
    let secret = created["key"].as_str().expect("the secret");
    assert!(
        list_text.contains("write") && !list_text.contains(secret),
        "keys list never shows secrets: {list_text}"
    );
}

#[test]
fn an_admin_key_from_the_cli_opens_the_api() {
    let dir = TempDir::new("cli-admin");
    dir.write("orders.csv", ORDERS);
    import_json(&dir, "orders.csv");
    let db = dir.db_url();
    let output = run_ecrm(&dir, &["--db", &db, "keys", "create", "--role", "admin"]);
    let (stdout, stderr) = output_text(&output);
    assert!(output.status.success(), "{stderr}");
    let key = stdout.trim().to_string();
    assert!(key.starts_with("ek_a_"), "{key}");

    let store = fresh_store(&dir);
    let app = spawn_app_on(dir, store);
    let response = app.request("GET", "/v1/customers/00004", Some(&format!("Bearer {key}")));
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["order_summary"]["orders"], 2);
}

#[test]
fn customers_merges_and_unmerge_from_the_cli() {
    let dir = TempDir::new("cli-unmerge");
    dir.write(
        "customers.csv",
        "customer_id,email\nu-ann,\n,ann@example.com\nu-ann,ann@example.com\n",
    );
    let db = dir.db_url();
    let import = run_ecrm(
        &dir,
        &[
            "--db",
            &db,
            "import",
            "customers",
            "customers.csv",
            "--json",
        ],
    );
    let (stdout, stderr) = output_text(&import);
    assert!(import.status.success(), "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).expect("summary JSON");
    assert_eq!(summary["customers_merged"], 1);

    let merges = run_ecrm(
        &dir,
        &["--db", &db, "customers", "merges", "email:ann@example.com"],
    );
    let (merges_text, _) = output_text(&merges);
    assert!(merges.status.success());
    assert!(
        merges_text.contains("email:ann@example.com -> u-ann"),
        "{merges_text}"
    );
    let merge_id = merges_text
        .split('\t')
        .next()
        .expect("a merge id")
        .trim()
        .to_string();

    let unmerge = run_ecrm(&dir, &["--db", &db, "customers", "unmerge", &merge_id]);
    let (unmerge_text, stderr) = output_text(&unmerge);
    assert!(unmerge.status.success(), "{stderr}");
    assert!(
        unmerge_text.contains("email:ann@example.com") && unmerge_text.contains("u-ann"),
        "{unmerge_text}"
    );
    let again = run_ecrm(&dir, &["--db", &db, "customers", "unmerge", &merge_id]);
    let (_, again_err) = output_text(&again);
    assert_eq!(again.status.code(), Some(1));
    assert!(again_err.contains("already undone"), "{again_err}");

    let show = run_ecrm(
        &dir,
        &[
            "--db",
            &db,
            "customers",
            "show",
            "email:ann@example.com",
            "--json",
        ],
    );
    let (show_text, _) = output_text(&show);
    let view: Value = serde_json::from_str(&show_text).expect("view JSON");
    assert_eq!(view["customer"]["id"], "email:ann@example.com");
}
