//! The real datasets in `../shared/data`, imported without preprocessing and checked against their READMEs.

use std::path::PathBuf;

use ecrm::app::import::{ImportKind, ImportSummary};
use ecrm_core::Identifier;
use ecrm_store::{CustomerQuery, Store, WriteCounts};

use crate::support::{TempDir, fresh_store, import, import_options, shared_data};

const CDNOW_MAP: &str =
    "customer_id=customer_id,ordered_at=date,quantity=number_of_cds,total=dollar_value";
const RETAIL_MAP: &str = "order_id=Invoice,product_id=StockCode,product_name=Description,quantity=Quantity,\
                          ordered_at=InvoiceDate,unit_price=Price,customer_id=CustomerID,country=Country";

#[test]
fn cdnow_master_imports_every_row_as_its_own_order() {
    let Some(file) = shared_data("cdnow/CDNOW_master.txt") else {
        return;
    };
    let dir = TempDir::new("cdnow-master");
    let store = fresh_store(&dir);
    let options = import_options(&dir, ImportKind::Orders, CDNOW_MAP);

    let first =
        import(&*store, std::slice::from_ref(&file), &options).expect("import CDNOW_master.txt");
    assert_eq!(first.rows_read, 69_659);
    assert_eq!(first.rows_accepted, 69_659);
    assert_eq!(first.rows_rejected, 0, "rejects: {:?}", first.rejects_file);
    assert_eq!(
        first.created.orders_created, 69_659,
        "the 215 identical row pairs stay distinct orders"
    );
    assert_eq!(first.created.order_lines_created, 69_659);
    assert_eq!(first.created.customers_created, 23_570);
    assert_eq!(first.created.customers_merged, 0);
    assert_eq!(first.created.guest_orders_created, 0);
    assert_eq!(first.created.refunds_created, 0);
    assert!(
        first.derived_order_ids,
        "the file has no order id, so the summary must say ids were derived"
    );

    let stats = store.stats().expect("stats");
    assert_eq!(stats.customers, 23_570);
    assert_eq!(stats.orders, 69_659);

    let view = store
        .customer_360("00004", 10)
        .expect("customer 00004 keeps its leading zeros");
    assert_eq!(view.order_summary.orders, 4);
    assert_eq!(view.order_summary.revenue_cents, 10_050);
    assert!(
        view.identifiers
            .iter()
            .any(|identifier| identifier.kind == "user_id" && identifier.value == "00004")
    );
    assert_eq!(
        store.find_customer_id(&user("00004")).expect("lookup"),
        Some("00004".to_string())
    );
    assert_eq!(
        store.find_customer_id(&user("4")).expect("lookup"),
        None,
        "ids are kept exactly as written"
    );

    assert_eq!(
        total_revenue_cents(&*store),
        250_031_563,
        "the README's total of $2,500,315.63"
    );

    let second = import(&*store, &[file], &options).expect("re-import CDNOW_master.txt");
    assert_eq!(second.rows_read, 69_659);
    assert_nothing_created(&second);
    assert_eq!(store.stats().expect("stats").orders, 69_659);
}

#[test]
fn cdnow_sample_imports_without_a_header_by_position() {
    let Some(file) = shared_data("cdnow/CDNOW_sample.txt") else {
        return;
    };
    let dir = TempDir::new("cdnow-sample");
    let store = fresh_store(&dir);
    let mut options = import_options(
        &dir,
        ImportKind::Orders,
        "customer_id=2,ordered_at=3,quantity=4,total=5",
    );
    options.no_header = true;

    let summary = import(&*store, &[file], &options).expect("import CDNOW_sample.txt");
    assert_eq!(summary.rows_read, 6_919);
    assert_eq!(summary.rows_accepted, 6_919);
    assert_eq!(summary.rows_rejected, 0);
    assert_eq!(summary.created.orders_created, 6_919);
    assert_eq!(summary.created.customers_created, 2_357);
    assert!(summary.derived_order_ids);
    assert_eq!(store.stats().expect("stats").customers, 2_357);
}

#[test]
fn retail_dataset_imports_all_thirteen_gzip_files_in_one_call() {
    let Some(folder) = shared_data("online-retail-ii-2009-2010") else {
        return;
    };
    let files = retail_files(&folder);
    assert_eq!(files.len(), 13, "the README lists 13 monthly files");
    let dir = TempDir::new("retail");
    let store = fresh_store(&dir);
    let mut options = import_options(&dir, ImportKind::Orders, RETAIL_MAP);
    options.currency = "GBP".to_string();
    options.cancel_prefix = Some("C".to_string());

    let first = import(&*store, &files, &options).expect("import the retail dataset");
    assert_eq!(first.files, 13);
    assert_eq!(first.rows_read, 525_461);
    assert_eq!(first.rows_accepted, 525_461);
    assert_eq!(first.rows_rejected, 0, "rejects: {:?}", first.rejects_file);
    assert!(!first.derived_order_ids);
    assert_eq!(first.created.order_lines_created, 525_461);
    assert_eq!(first.created.customers_created, 4_383);
    assert_eq!(first.created.customers_merged, 0);
    let created = &first.created;
    let invoices = created.orders_created + created.refunds_created + created.guest_orders_created;
    assert_eq!(
        invoices, 28_816,
        "every invoice is one order, refund or guest order: {created:?}"
    );
    assert!(
        created.refunds_created >= 4_592,
        "the 4,592 C invoices are refunds: {created:?}"
    );
    assert!(
        created.guest_orders_created > 0,
        "invoices without a CustomerID are guest orders"
    );

    let stats = store.stats().expect("stats");
    assert_eq!(stats.customers, 4_383);
    assert_eq!(stats.orders, 28_816);
    assert_eq!(stats.order_lines, 525_461);

    // The README's top customer: 89 invoices, revenue 349,164.35 GBP; its 6 C invoices are refunds.
    let top = store.customer_360("18102", 5).expect("customer 18102");
    assert_eq!(top.order_summary.orders, 89);
    assert_eq!(top.order_summary.revenue_cents, 34_916_435);
    assert_eq!(top.order_summary.refunds, 6);
    assert_eq!(top.order_summary.refunded_cents.abs(), 738_762);
    assert_eq!(top.customer.country.as_deref(), Some("United Kingdom"));
    assert!(
        top.latest_orders
            .iter()
            .all(|order| order.currency == "GBP")
    );

    let second = import(&*store, &files, &options).expect("re-import the retail dataset");
    assert_eq!(second.rows_read, 525_461);
    assert_nothing_created(&second);
    assert_eq!(store.stats().expect("stats").order_lines, 525_461);
}

fn retail_files(folder: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("read the retail folder")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".csv.gz"))
        .collect();
    files.sort();
    files
}

fn assert_nothing_created(summary: &ImportSummary) {
    assert_eq!(summary.rows_rejected, 0);
    assert_eq!(
        summary.created,
        WriteCounts::default(),
        "re-importing must create nothing"
    );
}

fn user(value: &str) -> Identifier {
    Identifier::user_id(value).expect("a user id")
}

/// Net revenue over every customer, page by page through the customer list and the 360° view.
fn total_revenue_cents(store: &dyn Store) -> i64 {
    let mut total = 0;
    let mut after = None;
    loop {
        let query = CustomerQuery {
            identifiers: Vec::new(),
            search: None,
            after: after.clone(),
            limit: 500,
        };
        let page = store.list_customers(&query).expect("list customers");
        for item in &page {
            total += store
                .customer_360(&item.id, 0)
                .expect("a customer's 360")
                .order_summary
                .revenue_cents;
        }
        match page.last() {
            Some(last) if page.len() == 500 => after = Some(last.id.clone()),
            _ => return total,
        }
    }
}
