//! Customer intelligence on the real CDNOW data, starting from the raw transactions imported
//! through the app layer: RFM export hashes equal the peers' (`../shared/peers/RESULTS.md`), and
//! BG/NBD + Gamma-Gamma reproduce the published figures and the per-customer reference values.
//! Each test prints a skip line and passes when `../shared/data` is absent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use ecrm::app::import::{ImportKind, ImportOptions, parse_map_arg, run_import};
use ecrm::app::intelligence::clv::{predict, predict_customer, run_clv_fit};
use ecrm::app::intelligence::rfm::run_rfm;
use ecrm::app::write_context;
use ecrm_core::analytics::{ExpectedPurchases, PurchaseHistory, TimeUnit, rfm_export_lines};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::DateFormat;
use ecrm_store::Store;
use sha2::{Digest, Sha256};

/// `../shared/data` next to the repository, or `ECRM_SHARED_DATA` when set.
fn shared_data(sub_path: &str) -> Option<PathBuf> {
    let root = std::env::var_os("ECRM_SHARED_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    let path = root.join(sub_path);
    if path.exists() {
        return Some(path);
    }
    eprintln!("skipping: {} not found", path.display());
    None
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecrm-intel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn import_orders(file: &Path, map: &str, no_header: bool, name: &str) -> Arc<dyn Store> {
    let dir = temp_dir(name);
    let store = ecrm_store::open(&format!("sqlite://{}", dir.join("ecrm.db").display()))
        .expect("open a fresh store");
    let options = ImportOptions {
        kind: ImportKind::Orders,
        format: None,
        no_header,
        map: parse_map_arg(map).expect("a valid --map"),
        date_format: DateFormat::Auto,
        currency: "USD".to_string(),
        cancel_prefix: None,
        phone_region: PhoneRegion::CN,
        rejects_path: Some(dir.join("rejects.csv")),
        batch_rows: 20_000,
        write: write_context("import:test", &IdentityLimits::standard()),
    };
    let summary = run_import(&*store, &[file.to_path_buf()], &options, &|_| {}).expect("import");
    assert_eq!(summary.rows_rejected, 0);
    store
}

fn rfm_sha256(store: &dyn Store, as_of: &str) -> (usize, String) {
    let as_of: NaiveDate = as_of.parse().expect("a date");
    let report = run_rfm(store, Some(as_of)).expect("rfm");
    let digest = Sha256::digest(rfm_export_lines(&report.rows).as_bytes());
    let hex = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    (report.rows.len(), hex)
}

#[test]
fn cdnow_master_rfm_export_matches_the_peers() {
    let Some(file) = shared_data("cdnow/CDNOW_master.txt") else {
        return;
    };
    let map = "customer_id=customer_id,ordered_at=date,quantity=number_of_cds,total=dollar_value";
    let store = import_orders(&file, map, false, "master");
    let (customers, hash) = rfm_sha256(&*store, "1998-07-01");
    assert_eq!(customers, 23_570);
    assert_eq!(
        hash,
        "4cf361928b40e71095c43c050be2ad95123cd83ab4d70297146b76815717092a"
    );
}

#[test]
fn cdnow_sample_rfm_export_with_master_ids_matches_the_peers() {
    let Some(file) = shared_data("cdnow/CDNOW_sample.txt") else {
        return;
    };
    let map = "customer_id=1,ordered_at=3,quantity=4,total=5";
    let store = import_orders(&file, map, true, "sample-master-ids");
    let (customers, hash) = rfm_sha256(&*store, "1998-07-01");
    assert_eq!(customers, 2_357);
    assert_eq!(
        hash,
        "ff5be8b76f2f43cbf6e25ce8a208d3e65b5534978346eab9468c0151e337aeae"
    );
}

fn within(found: f64, expected: f64, relative: f64, what: &str) {
    let error = ((found - expected) / expected).abs();
    assert!(
        error <= relative,
        "{what}: {found} vs {expected} (relative error {error:.2e})"
    );
}

#[test]
fn cdnow_sample_clv_reproduces_the_published_figures() {
    let Some(file) = shared_data("cdnow/CDNOW_sample.txt") else {
        return;
    };
    let Some(reference) = shared_data("cdnow/reference_figures.json") else {
        return;
    };
    let store = import_orders(
        &file,
        "customer_id=2,ordered_at=3,quantity=4,total=5",
        true,
        "sample",
    );
    let end: NaiveDate = "1997-09-30".parse().expect("a date");
    let report = run_clv_fit(&*store, Some(end), TimeUnit::Week, 0).expect("fit");
    let fits = &report.fits;
    assert_eq!((fits.customers, fits.repeat_customers), (2_357, 946));
    let bgnbd = fits.bgnbd.as_ref().expect("a BG/NBD fit");
    within(bgnbd.params.r, 0.243, 0.005, "r");
    within(bgnbd.params.alpha, 4.414, 0.005, "alpha");
    within(bgnbd.params.a, 0.793, 0.005, "a");
    within(bgnbd.params.b, 2.426, 0.005, "b");
    within(bgnbd.log_likelihood, -9582.4, 0.005, "log-likelihood");
    assert!(
        (bgnbd.log_likelihood + 9582.4).abs() < 0.1,
        "LL {}",
        bgnbd.log_likelihood
    );
    let spend = fits.gamma_gamma.as_ref().expect("a Gamma-Gamma fit");
    assert_eq!(spend.repeat_customers, 946);
    within(spend.params.p, 6.25, 0.005, "p");
    within(spend.params.q, 3.74, 0.005, "q");
    within(spend.params.gamma, 15.44, 0.005, "gamma");
    assert!(fits.trusted.is_ok());

    let text = std::fs::read_to_string(reference).expect("read the reference figures");
    let figures: serde_json::Value = serde_json::from_str(&text).expect("json");
    let per_customer = figures["reproduced_with_lifetimes_0.11.3"]["per_customer"]
        .as_object()
        .expect("per-customer figures");
    let mut checked = 0;
    // One memory across the customers, as `ecrm compute` keeps it.
    let mut memory = None;
    for (id, expected) in per_customer {
        let Ok(number) = id.parse::<u32>() else {
            continue;
        };
        let customer_id = format!("{number:04}");
        let (models, p) = predict_customer(&*store, &customer_id, Some(39.0)).expect("predict");
        let value = |key: &str| expected[key].as_f64().expect("a number");
        // The summary derived from the raw transactions equals the reference's (which is rounded
        // to 2 decimals).
        assert_eq!(f64::from(p.history.frequency), value("x"), "x of {id}");
        assert!(
            (p.history.recency - value("t_x")).abs() < 0.005,
            "t_x of {id}"
        );
        assert!((p.history.age - value("T")).abs() < 0.005, "T of {id}");
        assert!(
            (p.history.mean_value - value("m_x")).abs() < 0.005 + 1e-9,
            "m_x of {id}"
        );
        // On the reference's own (rounded) inputs, the predictions match within 1e-4 relative.
        let rounded = PurchaseHistory {
            frequency: p.history.frequency,
            recency: value("t_x"),
            age: value("T"),
            mean_value: value("m_x"),
            ..p.history
        };
        let end_day = models
            .calibration_end
            .signed_duration_since(NaiveDate::default())
            .num_days();
        let memory =
            memory.get_or_insert_with(|| ExpectedPurchases::new(*models.model.purchase_params()));
        let q = predict(
            memory,
            &models.model,
            &rounded,
            end_day,
            TimeUnit::Week,
            39.0,
            false,
        )
        .expect("predict");
        within(
            q.expected_purchases,
            value("E[X(39)]"),
            1e-4,
            &format!("E[X(39)] of {id}"),
        );
        within(
            q.probability_alive,
            value("P(alive)"),
            1e-4,
            &format!("P(alive) of {id}"),
        );
        within(
            q.expected_order_value,
            value("E[M]"),
            1e-4,
            &format!("E[M] of {id}"),
        );
        within(q.clv, value("CLV_freqW"), 1e-4, &format!("CLV of {id}"));
        // From the unrounded raw-transaction inputs they differ only by that rounding.
        within(
            p.expected_purchases,
            value("E[X(39)]"),
            2e-3,
            &format!("raw E[X(39)] of {id}"),
        );
        within(
            p.probability_alive,
            value("P(alive)"),
            2e-3,
            &format!("raw P(alive) of {id}"),
        );
        within(
            p.expected_order_value,
            value("E[M]"),
            2e-3,
            &format!("raw E[M] of {id}"),
        );
        within(p.clv, value("CLV_freqW"), 2e-3, &format!("raw CLV of {id}"));
        checked += 1;
    }
    assert!(checked >= 9, "checked {checked} customers");
}
