//! Bad input: malformed rows are rejected one by one with file, line, field and reason, every valid row
//! is kept, and files that cannot be imported at all fail before anything is written.

use ecrm::app::import::ImportKind;
use ecrm_core::Identifier;
use ecrm_store::{StoreStats, WriteCounts};

use crate::support::{TempDir, fresh_store, import, import_options, read_rejects};

const ORDERS_MAP: &str = "";

#[test]
fn malformed_rows_go_to_the_rejects_file_and_valid_rows_are_kept() {
    let dir = TempDir::new("malformed");
    let store = fresh_store(&dir);
    let mut bytes = b"order_id,customer_id,email,ordered_at,quantity,unit_price\n\
o1,c1,ann@example.com,2024-01-05,2,10.00\n\
o2,c2,bob@example.com,2024-01-06,two,5.00\n\
o3,c3,cat@example.com,not-a-date,1,5.00\n\
o4,c4,not-an-email,2024-01-07,1,5.00\n\
o5,c5\n"
        .to_vec();
    bytes.extend_from_slice(b"o6,c6,d\xff\xfe@example.com,2024-01-08,1,5.00\n");
    bytes.extend_from_slice(b"o7,c7,dan@example.com,2024-01-09,1,abc\n");
    bytes.extend_from_slice(b"o8,c8,eve@example.com,2024-01-10,3,1.50\n");
    let file = dir.write("orders.csv", &bytes);
    let options = import_options(&dir, ImportKind::Orders, ORDERS_MAP);

    let summary =
        import(&*store, std::slice::from_ref(&file), &options).expect("the import itself succeeds");
    assert_eq!(summary.rows_read, 8);
    assert_eq!(summary.rows_accepted, 2);
    assert_eq!(summary.rows_rejected, 6);
    assert_eq!(summary.created.orders_created, 2);
    assert_eq!(summary.created.customers_created, 2);

    let rejects_path = summary
        .rejects_file
        .clone()
        .expect("a rejects file is named in the summary");
    let rejects = read_rejects(std::path::Path::new(&rejects_path));
    let lines: Vec<u64> = rejects.iter().map(|(_, line, _, _)| *line).collect();
    assert_eq!(
        lines,
        vec![3, 4, 5, 6, 7, 8],
        "line numbers count the header as line 1: {rejects:#?}"
    );
    let file_name = file.display().to_string();
    assert!(
        rejects.iter().all(|(name, ..)| *name == file_name),
        "each reject names its file: {rejects:#?}"
    );
    let field_of = |line: u64| {
        rejects
            .iter()
            .find(|r| r.1 == line)
            .map(|r| r.2.clone())
            .unwrap_or_default()
    };
    let reason_of = |line: u64| {
        rejects
            .iter()
            .find(|r| r.1 == line)
            .map(|r| r.3.clone())
            .unwrap_or_default()
    };
    assert_eq!(field_of(3), "quantity");
    assert!(
        reason_of(3).contains("two"),
        "the reason quotes the bad value: {}",
        reason_of(3)
    );
    assert_eq!(field_of(4), "ordered_at");
    assert!(reason_of(4).contains("not-a-date"), "{}", reason_of(4));
    assert_eq!(field_of(5), "email");
    assert!(reason_of(5).contains("not-an-email"), "{}", reason_of(5));
    assert!(
        reason_of(6).contains("columns"),
        "too few columns: {}",
        reason_of(6)
    );
    assert!(
        reason_of(7).contains("UTF-8"),
        "invalid UTF-8: {}",
        reason_of(7)
    );
    assert_eq!(field_of(8), "unit_price");

    let kept = store.customer_360("c1", 5).expect("c1 was kept");
    assert_eq!(kept.order_summary.revenue_cents, 20_00);
    let kept = store.customer_360("c8", 5).expect("c8 was kept");
    assert_eq!(kept.order_summary.revenue_cents, 4_50);
    for rejected in ["c2", "c3", "c4", "c5", "c6", "c7"] {
        let identifier = Identifier::user_id(rejected).expect("a user id");
        assert_eq!(
            store.find_customer_id(&identifier).expect("lookup"),
            None,
            "{rejected} was rejected"
        );
    }
    let stats = store.stats().expect("stats");
    assert_eq!((stats.orders, stats.customers), (2, 2));
}

#[test]
fn a_clean_import_writes_no_rejects_file() {
    let dir = TempDir::new("clean");
    let store = fresh_store(&dir);
    let file = dir.write(
        "orders.csv",
        "order_id,customer_id,ordered_at,unit_price\no1,c1,2024-01-05,3.00\n",
    );
    let summary = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Orders, ORDERS_MAP),
    )
    .expect("import");
    assert_eq!(summary.rows_rejected, 0);
    assert_eq!(summary.rejects_file, None);
    assert!(!dir.path().join("rejects.csv").exists());
}

#[test]
fn a_missing_required_column_fails_before_any_row_is_written() {
    let dir = TempDir::new("missing-column");
    let store = fresh_store(&dir);
    let good = dir.write(
        "a.csv",
        "order_id,customer_id,ordered_at,unit_price\no1,c1,2024-01-05,3.00\n",
    );
    let no_time = dir.write("b.csv", "order_id,customer_id,unit_price\no2,c2,3.00\n");
    let options = import_options(&dir, ImportKind::Orders, ORDERS_MAP);

    let err = import(&*store, &[good, no_time], &options).expect_err("b.csv has no order time");
    let message = format!("{err:#}");
    assert!(
        message.contains("ordered_at"),
        "the message names the column: {message}"
    );
    assert!(
        message.contains("b.csv"),
        "the message names the file: {message}"
    );
    assert_eq!(
        store.stats().expect("stats"),
        StoreStats::default(),
        "nothing was written, not even from a.csv"
    );
}

#[test]
fn a_customers_file_without_any_identifier_column_fails() {
    let dir = TempDir::new("customers-no-id");
    let store = fresh_store(&dir);
    let file = dir.write("customers.csv", "name,city\nAnn,Paris\n");
    let err = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Customers, ""),
    )
    .expect_err("no identifier column");
    let message = format!("{err:#}");
    assert!(
        message.contains("customer_id") && message.contains("email"),
        "names the columns: {message}"
    );
    assert_eq!(store.stats().expect("stats"), StoreStats::default());
}

#[test]
fn mapping_to_a_column_the_file_lacks_is_a_clear_error() {
    let dir = TempDir::new("bad-map");
    let store = fresh_store(&dir);
    let file = dir.write(
        "orders.csv",
        "order_id,customer_id,ordered_at,unit_price\no1,c1,2024-01-05,3.00\n",
    );
    let options = import_options(&dir, ImportKind::Orders, "ordered_at=InvoiceDate");

    let err = import(&*store, &[file], &options).expect_err("InvoiceDate is not a column");
    let message = format!("{err:#}");
    assert!(
        message.contains("InvoiceDate"),
        "names the missing column: {message}"
    );
    assert!(
        message.contains("ordered_at"),
        "lists the file's columns: {message}"
    );
    assert_eq!(store.stats().expect("stats"), StoreStats::default());
}

#[test]
fn mapping_an_unknown_field_is_a_clear_error() {
    let dir = TempDir::new("unknown-field");
    let store = fresh_store(&dir);
    let file = dir.write(
        "orders.csv",
        "order_id,customer_id,ordered_at,unit_price\no1,c1,2024-01-05,3.00\n",
    );
    let options = import_options(&dir, ImportKind::Orders, "shoe_size=order_id");

    let err = import(&*store, &[file], &options).expect_err("shoe_size is not a field");
    let message = format!("{err:#}");
    assert!(message.contains("shoe_size"), "{message}");
    assert_eq!(store.stats().expect("stats"), StoreStats::default());
}

#[test]
fn an_empty_order_id_rejects_the_row_only() {
    let dir = TempDir::new("empty-order-id");
    let store = fresh_store(&dir);
    let file = dir.write(
        "orders.csv",
        "order_id,customer_id,ordered_at,unit_price\n,c1,2024-01-05,3.00\no2,c2,2024-01-06,4.00\n",
    );
    let summary = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Orders, ORDERS_MAP),
    )
    .expect("import");
    assert_eq!((summary.rows_accepted, summary.rows_rejected), (1, 1));
    let rejects = read_rejects(&dir.path().join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!((rejects[0].1, rejects[0].2.as_str()), (2, "order_id"));
    assert_eq!(
        summary.created,
        WriteCounts {
            orders_created: 1,
            order_lines_created: 1,
            customers_created: 1,
            ..WriteCounts::default()
        }
    );
}

#[test]
fn invalid_utf8_in_a_mapped_column_names_the_field() {
    let dir = TempDir::new("utf8-mapped");
    let store = fresh_store(&dir);
    let mut bytes = b"order_id,customer_id,email,ordered_at,unit_price\n".to_vec();
    bytes.extend_from_slice(b"o1,c1,d\xff\xfe@example.com,2024-01-08,5.00\n");
    let file = dir.write("orders.csv", &bytes);
    let summary = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Orders, ORDERS_MAP),
    )
    .expect("import");
    assert_eq!(summary.rows_rejected, 1);
    let rejects = read_rejects(&dir.path().join("rejects.csv"));
    assert_eq!(rejects[0].1, 2);
    assert!(rejects[0].3.contains("UTF-8"), "{rejects:?}");
    assert_eq!(
        rejects[0].2, "email",
        "the reject names the field whose column holds the bad bytes: {rejects:?}"
    );
}

#[test]
fn invalid_utf8_in_an_unmapped_column_keeps_the_row() {
    let dir = TempDir::new("utf8-unmapped");
    let store = fresh_store(&dir);
    let mut bytes = b"order_id,customer_id,notes,ordered_at,unit_price\n".to_vec();
    bytes.extend_from_slice(b"o1,c1,caf\xe9 cr\xe8me,2024-01-08,5.00\n");
    let file = dir.write("orders.csv", &bytes);
    let summary = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Orders, ORDERS_MAP),
    )
    .expect("import");
    assert_eq!(
        (summary.rows_accepted, summary.rows_rejected),
        (1, 0),
        "Latin-1 bytes in a column ecrm does not import must not lose the row: {:?}",
        std::fs::read_to_string(dir.path().join("rejects.csv")).unwrap_or_default()
    );
    assert_eq!(
        store
            .customer_360("c1", 1)
            .expect("c1")
            .order_summary
            .revenue_cents,
        5_00
    );
}
