use std::collections::HashMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::*;
use crate::analytics::rfm_classes::{
    RfSegment, ValueClass, rf_segment, summarize_rfm, value_classes,
};
use crate::analytics::test_data::cdnow_file;

fn input(
    customer_id: &str,
    last_order_day: i64,
    frequency: u64,
    monetary_cents: i64,
) -> CustomerRfmInput {
    CustomerRfmInput {
        customer_id: customer_id.to_string(),
        last_order_day,
        frequency,
        monetary_cents,
    }
}

#[test]
fn ntile_bucket_sizes_match_sql() {
    let sizes = |count: usize| {
        let mut sizes = [0usize; RFM_BUCKETS];
        for position in 0..count {
            sizes[ntile(position, count, RFM_BUCKETS) - 1] += 1;
        }
        sizes
    };
    assert_eq!(sizes(2357), [472, 472, 471, 471, 471]);
    assert_eq!(sizes(10), [2, 2, 2, 2, 2]);
    assert_eq!(sizes(7), [2, 2, 1, 1, 1]);
    assert_eq!(sizes(3), [1, 1, 1, 0, 0]);
    assert_eq!(sizes(0), [0, 0, 0, 0, 0]);
}

#[test]
fn a_small_case_checked_by_hand() {
    // as of day 100; ids deliberately out of order, "b" and "a" tie on recency, frequency, money.
    let customers = [
        input("e", 99, 1, 500),
        input("b", 90, 3, 2_000),
        input("a", 90, 3, 2_000),
        input("d", 50, 10, 100),
        input("c", 10, 2, 9_000),
        input("f", 99, 1, 50),
        input("g", 1, 1, 10),
    ];
    let rows = compute_rfm(&customers, 100);
    let ids: Vec<&str> = rows.iter().map(|row| row.customer_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f", "g"]);
    // 7 rows: buckets of 2, 2, 1, 1, 1.
    // R order (recency desc, id): g99 c90 d50 a10 b10 e1 f1 -> g1 c1 d2 a2 b3 e4 f5.
    // F order (frequency asc, id): e1 f1 g1 c2 a3 b3 d10 -> e1 f1 g2 c2 a3 b4 d5.
    // M order (money asc, id): g10 f50 d100 e500 a2000 b2000 c9000 -> g1 f1 d2 e2 a3 b4 c5.
    let scores: Vec<(i64, u8, u8, u8)> = rows
        .iter()
        .map(|row| (row.recency_days, row.r_score, row.f_score, row.m_score))
        .collect();
    assert_eq!(
        scores,
        [
            (10, 2, 3, 3),
            (10, 3, 4, 4),
            (90, 1, 2, 5),
            (50, 2, 5, 2),
            (1, 4, 1, 2),
            (1, 5, 1, 1),
            (99, 1, 2, 1)
        ]
    );
    assert_eq!(
        rfm_export_lines(&rows[..2]),
        "a,10,3,2000,2,3,3\nb,10,3,2000,3,4,4\n"
    );
    let thresholds = rfm_thresholds(&rows);
    assert_eq!(
        thresholds.recency_days[0],
        Some(ScoreRange {
            customers: 2,
            min: 90,
            max: 99
        })
    );
    assert_eq!(
        thresholds.recency_days[4],
        Some(ScoreRange {
            customers: 1,
            min: 1,
            max: 1
        })
    );
    assert_eq!(
        thresholds.monetary_cents[4],
        Some(ScoreRange {
            customers: 1,
            min: 9_000,
            max: 9_000
        })
    );
    // The mean score of 7 customers is 17/7 ≈ 2.43, so 3 and above count as high.
    let classes = value_classes(&rows);
    assert_eq!(classes[0], ValueClass::ImportantToRetain);
    assert_eq!(classes[6], ValueClass::GeneralToWinBack);
    assert_eq!(classes[1], ValueClass::ImportantValue);
    assert_eq!(classes[2], ValueClass::ImportantToWinBack);
    assert_eq!(classes[5], ValueClass::GeneralToDevelop);
}

#[test]
fn the_segment_map_is_total_and_matches_the_brief() {
    let expected = [
        // F = 1 .. 5 for R = 1 .. 5.
        [
            "hibernating",
            "hibernating",
            "at risk",
            "at risk",
            "can't lose them",
        ],
        [
            "hibernating",
            "hibernating",
            "at risk",
            "at risk",
            "can't lose them",
        ],
        [
            "about to sleep",
            "about to sleep",
            "need attention",
            "loyal customers",
            "loyal customers",
        ],
        [
            "promising",
            "potential loyalists",
            "potential loyalists",
            "loyal customers",
            "loyal customers",
        ],
        [
            "new customers",
            "potential loyalists",
            "potential loyalists",
            "champions",
            "champions",
        ],
    ];
    for (r_index, row) in expected.iter().enumerate() {
        for (f_index, name) in row.iter().enumerate() {
            assert_eq!(
                rf_segment(r_index as u8 + 1, f_index as u8 + 1).name(),
                *name,
                "R{} F{}",
                r_index + 1,
                f_index + 1
            );
        }
    }
    assert_eq!(rf_segment(0, 9), RfSegment::CantLoseThem);
    assert_eq!(
        ValueClass::ImportantToWinBack.chinese_name(),
        "重要挽留客户"
    );
}

/// RFM inputs from a raw CDNOW file: one order per row; `id_column` picks the customer id.
fn cdnow_inputs(
    name: &str,
    id_column: usize,
    date_column: usize,
    dollars_column: usize,
) -> Option<Vec<CustomerRfmInput>> {
    let path = cdnow_file(name)?;
    let text = std::fs::read_to_string(path).expect("readable CDNOW file");
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut by_id: HashMap<String, CustomerRfmInput> = HashMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || !fields[0].bytes().all(|byte| byte.is_ascii_digit()) {
            continue; // the header of CDNOW_master.txt
        }
        let date = NaiveDate::parse_from_str(fields[date_column], "%Y%m%d").expect("date");
        let day = (date - epoch).num_days();
        let (whole, fraction) = fields[dollars_column]
            .split_once('.')
            .unwrap_or((fields[dollars_column], "0"));
        let cents = whole.parse::<i64>().expect("dollars") * 100
            + format!("{fraction:0<2}").parse::<i64>().expect("cents");
        let entry = by_id
            .entry(fields[id_column].to_string())
            .or_insert_with(|| input(fields[id_column], day, 0, 0));
        entry.last_order_day = entry.last_order_day.max(day);
        entry.frequency += 1;
        entry.monetary_cents += cents;
    }
    Some(by_id.into_values().collect())
}

fn export_sha256(customers: &[CustomerRfmInput]) -> String {
    let as_of = NaiveDate::from_ymd_opt(1998, 7, 1).expect("as of");
    let as_of_day = (as_of - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
    let rows = compute_rfm(customers, as_of_day);
    let digest = Sha256::digest(rfm_export_lines(&rows).as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn cdnow_master_matches_the_peer_checksum() {
    let Some(customers) = cdnow_inputs("CDNOW_master.txt", 0, 1, 3) else {
        return;
    };
    assert_eq!(customers.len(), 23_570);
    assert_eq!(
        export_sha256(&customers),
        "4cf361928b40e71095c43c050be2ad95123cd83ab4d70297146b76815717092a"
    );
    let rows = compute_rfm(&customers, 10_408);
    let summary = summarize_rfm(&rows);
    assert_eq!(summary.monetary_cents, 250_031_563);
    let class_total: u64 = summary.classes.iter().map(|share| share.customers).sum();
    let segment_share: f64 = summary
        .segments
        .iter()
        .map(|share| share.revenue_share)
        .sum();
    assert_eq!(class_total, 23_570);
    assert!((segment_share - 1.0).abs() < 1e-12);
}

#[test]
fn cdnow_sample_matches_the_peer_checksum_with_master_ids() {
    // Columns: master id, sample id, date, CDs, dollars; the peers key customers by the master id.
    let Some(customers) = cdnow_inputs("CDNOW_sample.txt", 0, 2, 4) else {
        return;
    };
    assert_eq!(customers.len(), 2_357);
    assert_eq!(
        export_sha256(&customers),
        "ff5be8b76f2f43cbf6e25ce8a208d3e65b5534978346eab9468c0151e337aeae"
    );
}
