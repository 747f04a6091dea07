//! File formats and order semantics: delimiters, date formats, gzip, line-level orders, refunds, guests.

use std::io::Write;

use ecrm::app::import::{Format, ImportKind};
use ecrm_core::time::DateFormat;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::support::{TempDir, fresh_store, import, import_options};

const SMALL_ORDERS: &str = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n\
A1,00042,2024-03-05 14:30:00,P1,2,10.00\n\
A1,00042,2024-03-05 14:30:00,P2,1,0.99\n\
A2,00042,2024-04-01 09:00:00,P1,1,10.00\n";

#[test]
fn rows_sharing_an_order_id_form_one_order() {
    let dir = TempDir::new("line-level");
    let store = fresh_store(&dir);
    let file = dir.write("orders.csv", SMALL_ORDERS);
    let summary = import(
        &*store,
        &[file],
        &import_options(&dir, ImportKind::Orders, ""),
    )
    .expect("import");
    assert_eq!(summary.created.orders_created, 2);
    assert_eq!(summary.created.order_lines_created, 3);
    assert!(!summary.derived_order_ids);

    let view = store.customer_360("00042", 10).expect("00042 stays 00042");
    assert_eq!(view.order_summary.orders, 2);
    assert_eq!(view.order_summary.revenue_cents, 30_99);
    let first = view
        .latest_orders
        .iter()
        .find(|order| order.order_key == "A1")
        .expect("order A1");
    assert_eq!(first.lines.len(), 2);
    assert_eq!(first.total_cents, 20_99);
}

#[test]
fn tab_separated_files_are_read_by_name_and_by_delimiter() {
    let dir = TempDir::new("tsv");
    let tsv = SMALL_ORDERS.replace(',', "\t");
    for (name, format) in [
        ("orders.tsv", None),
        ("orders-tab.data", Format::parse("\\t")),
    ] {
        let store_dir = TempDir::new("tsv-store");
        let store = fresh_store(&store_dir);
        let file = dir.write(name, &tsv);
        let mut options = import_options(&dir, ImportKind::Orders, "");
        options.format = format;
        let summary = import(&*store, &[file], &options).expect("import TSV");
        assert_eq!(
            (summary.rows_accepted, summary.rows_rejected),
            (3, 0),
            "{name}"
        );
        assert_eq!(
            store
                .customer_360("00042", 1)
                .expect("00042")
                .order_summary
                .revenue_cents,
            30_99
        );
    }
}

#[test]
fn semicolon_files_with_a_strftime_date_format() {
    let dir = TempDir::new("semicolon");
    let store = fresh_store(&dir);
    let file = dir.write(
        "orders.csv",
        "Invoice;Customer;When;Amount\nX1;k-1;05/03/2024 14:30;12.50\nX2;k-1;31/12/2023 23:59;7.50\nX3;k-1;2024-03-05;1.00\n",
    );
    let mut options = import_options(
        &dir,
        ImportKind::Orders,
        "order_id=Invoice,customer_id=Customer,ordered_at=When,total=Amount",
    );
    options.format = Format::parse(";");
    options.date_format = DateFormat::Strftime("%d/%m/%Y %H:%M".to_string());

    let summary = import(&*store, &[file], &options).expect("import");
    assert_eq!(
        (summary.rows_accepted, summary.rows_rejected),
        (2, 1),
        "the ISO date does not fit the format"
    );
    let view = store.customer_360("k-1", 5).expect("k-1");
    assert_eq!(view.order_summary.revenue_cents, 20_00);
    let times: Vec<i64> = [
        view.order_summary.first_order_at,
        view.order_summary.last_order_at,
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(
        times,
        vec![
            millis("2023-12-31T23:59:00Z"),
            millis("2024-03-05T14:30:00Z")
        ],
        "day first, then month"
    );
}

#[test]
fn gzip_files_are_decompressed_by_content() {
    let dir = TempDir::new("gzip");
    let store = fresh_store(&dir);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(SMALL_ORDERS.as_bytes())
        .expect("compress");
    let compressed = encoder.finish().expect("finish gzip");
    let named = dir.write("orders.csv.gz", &compressed);
    let unnamed = dir.write("more-orders.csv", &compressed);

    let options = import_options(&dir, ImportKind::Orders, "");
    let summary = import(&*store, &[named, unnamed], &options).expect("import gzip");
    assert_eq!(summary.files, 2);
    assert_eq!(summary.rows_read, 6);
    assert_eq!(summary.rows_rejected, 0);
    assert_eq!(
        summary.created.orders_created, 2,
        "the same orders in a second file are not duplicated"
    );
}

#[test]
fn whitespace_files_without_a_header_use_positions() {
    let dir = TempDir::new("whitespace");
    let store = fresh_store(&dir);
    let file = dir.write(
        "tx.dat",
        "  00007   19970101  2  29.33\r\n00007 19970118 1 11.77\r\n\r\n00008 19970102 1 5.00\r\n",
    );
    let mut options = import_options(
        &dir,
        ImportKind::Orders,
        "customer_id=1,ordered_at=2,quantity=3,total=4",
    );
    options.no_header = true;
    options.format = Format::parse("whitespace");
    let summary = import(&*store, &[file], &options).expect("import");
    assert_eq!(
        (summary.rows_read, summary.rows_accepted),
        (3, 3),
        "blank lines are skipped"
    );
    assert!(summary.derived_order_ids);
    let view = store.customer_360("00007", 5).expect("00007");
    assert_eq!(view.order_summary.orders, 2);
    assert_eq!(view.order_summary.revenue_cents, 41_10);
    assert_eq!(
        view.order_summary.first_order_at,
        Some(millis("1997-01-01T00:00:00Z"))
    );
}

#[test]
fn refunds_and_guest_orders_are_kept_apart_from_revenue() {
    let dir = TempDir::new("refunds");
    let store = fresh_store(&dir);
    let file = dir.write(
        "orders.csv",
        "order_id,customer_id,email,ordered_at,quantity,unit_price\n\
         100,r1,,2024-01-01,2,10.00\n\
         C100,r1,,2024-01-02,-1,10.00\n\
         101,r1,,2024-01-03,-3,1.00\n\
         102,,,2024-01-04,1,99.00\n\
         103,,guest@example.com,2024-01-05,1,1.00\n",
    );
    let mut options = import_options(&dir, ImportKind::Orders, "");
    options.cancel_prefix = Some("C".to_string());
    let summary = import(&*store, &[file], &options).expect("import");
    assert_eq!(summary.created.orders_created, 2, "{:?}", summary.created);
    assert_eq!(
        summary.created.refunds_created, 2,
        "a C prefix or a negative quantity is a refund"
    );
    assert_eq!(
        summary.created.guest_orders_created, 1,
        "a row without any identifier is a guest order"
    );

    let view = store.customer_360("r1", 10).expect("r1");
    assert_eq!(view.order_summary.orders, 1);
    assert_eq!(
        view.order_summary.revenue_cents, 20_00,
        "refunds are not revenue"
    );
    assert_eq!(view.order_summary.refunds, 2);
    assert_eq!(view.order_summary.refunded_cents.abs(), 13_00);
    assert_eq!(view.order_summary.net_cents, 7_00);
    let stats = store.stats().expect("stats");
    assert_eq!(stats.orders, 5);
    assert_eq!(
        stats.customers, 2,
        "r1 and the email-only buyer; the guest is no customer"
    );
}

fn millis(text: &str) -> i64 {
    ecrm_core::time::parse_timestamp(text, &DateFormat::Auto).expect("a test timestamp")
}
