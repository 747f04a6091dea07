//! `ecrm segments` on the built binary: preview JSON shape, errors with positions, create, list,
//! show, export; and the store-backed evaluator agreeing with `ecrm_core::segment::evaluate`.

use std::collections::HashMap;

use ecrm::app::segments::eval::Evaluator;
use ecrm::app::segments::snapshot::Snapshot;
use ecrm_core::segment::{Aggregate, Expr, FactValue, Facts, evaluate, parse};
use ecrm_store::{CustomerAttributes, CustomerInput, EventInput, Store, TraitWrite, WriteContext};
use serde_json::json;

use crate::support::{TempDir, fresh_store, output_text, run_ecrm};

fn ctx() -> WriteContext {
    WriteContext {
        source: "test".to_string(),
        at: 1,
        limits: ecrm_core::identity::IdentityLimits::standard(),
    }
}

fn reference(text: &str) -> ecrm_core::Identifier {
    ecrm_core::Identifier::parse_reference(text, ecrm_core::phone::PhoneRegion::CN)
        .expect("identifier")
}

/// A small varied store: customers with and without emails, countries, traits and events.
fn seed(store: &dyn Store) {
    let rows: Vec<CustomerInput> = (0..40)
        .map(|i| {
            let mut ids = vec![reference(&format!("u{i:02}"))];
            if i % 3 != 0 {
                ids.push(reference(&format!("email:u{i}@x.io")));
            }
            CustomerInput {
                customer: ecrm_core::order::CustomerRef::new(ids, None, None),
                attributes: CustomerAttributes {
                    country: (i % 4 != 0).then(|| ["CN", "US", "DE"][i % 3].to_string()),
                    signup_at: Some(1_700_000_000_000 + i as i64 * 86_400_000),
                    ..CustomerAttributes::default()
                },
            }
        })
        .collect();
    store.write_customers(&rows, &ctx()).expect("customers");
    let mut traits = Vec::new();
    for i in 0..40usize {
        let id = format!("u{i:02}");
        let stages = ["active", "churned", "new", "at_risk"];
        if i % 5 != 4 {
            traits.push(TraitWrite {
                customer_id: id.clone(),
                name: "lifecycle".to_string(),
                value: json!({ "stage": stages[i % 4] }).to_string(),
                label: None,
            });
        }
        traits.push(TraitWrite {
            customer_id: id.clone(),
            name: "rfm".to_string(),
            value: json!({ "r": i % 5 + 1, "monetary_cents": i * 1_000 }).to_string(),
            label: None,
        });
        if i % 2 == 0 {
            traits.push(TraitWrite {
                customer_id: id,
                name: "interests".to_string(),
                value: json!({ "category": { "shoes": (i % 10) as f64 / 10.0 } }).to_string(),
                label: None,
            });
        }
    }
    store
        .write_traits(&mut traits.into_iter(), 2, None)
        .expect("traits");
    let mut events = Vec::new();
    for i in 0..40usize {
        for n in 0..(i % 4) {
            events.push(EventInput {
                message_id: format!("e{i}-{n}"),
                kind: "track".to_string(),
                name: Some("Product Viewed".to_string()),
                customer: ecrm_core::order::CustomerRef::new(vec![reference(&format!("u{i:02}"))], None, None),
                channel: None,
                occurred_at: 1_000 * (n as i64 + 1),
                client_time: None,
                sent_at: None,
                received_at: 1,
                properties: json!({ "category": if n % 2 == 0 { "shoes" } else { "hats" }, "price": n * 10 }),
                context: json!({}),
            });
        }
    }
    store.write_events(&events, &ctx()).expect("events");
}

#[test]
fn cli_previews_creates_lists_shows_and_exports() {
    let dir = TempDir::new("segments-cli");
    let store = fresh_store(&dir);
    seed(&*store);
    drop(store);
    let db = dir.db_url();
    let out = run_ecrm(
        &dir,
        &[
            "--db",
            &db,
            "segments",
            "preview",
            "lifecycle = \"active\" and has email",
            "--json",
        ],
    );
    let (stdout, stderr) = output_text(&out);
    assert!(out.status.success(), "{stderr}");
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON");
    let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["count", "sample"]);
    assert_eq!(
        value["count"], 5,
        "u08 u16 u20 u28 u32: active, with a lifecycle and an email: {value}"
    );

    let out = run_ecrm(
        &dir,
        &["--db", &db, "segments", "preview", "lifecycle = \"actve\""],
    );
    let (_, stderr) = output_text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 1, column 13") && stderr.contains("did you mean \"active\""),
        "{stderr}"
    );

    let out = run_ecrm(
        &dir,
        &[
            "--db",
            &db,
            "segments",
            "create",
            "shoe-lovers",
            "interests.category.shoes >= 0.5",
        ],
    );
    assert!(out.status.success(), "{}", output_text(&out).1);
    let out = run_ecrm(&dir, &["--db", &db, "segments", "list"]);
    let (stdout, _) = output_text(&out);
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("shoe-lovers") && line.contains("\t8\t")),
        "{stdout}"
    );
    assert!(stdout.contains("rfm-important-value"));
    let out = run_ecrm(
        &dir,
        &["--db", &db, "segments", "show", "shoe-lovers", "--json"],
    );
    let shown: serde_json::Value = serde_json::from_str(&output_text(&out).0).expect("JSON");
    assert_eq!(
        (shown["size"].clone(), shown["query"].clone()),
        (json!(8), json!("interests.category.shoes >= 0.5"))
    );
    let out = run_ecrm(
        &dir,
        &["--db", &db, "segments", "export", "shoe-lovers", "--csv"],
    );
    let (stdout, stderr) = output_text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "customer_id,name,email,phone,country,entered_at");
    assert_eq!(lines.len(), 9, "{stdout}");
    assert!(
        lines.iter().any(|line| line.starts_with("u08,,u8@x.io,,")),
        "{stdout}"
    );
    let out = run_ecrm(
        &dir,
        &["--db", &db, "segments", "delete", "rfm-important-value"],
    );
    assert!(!out.status.success() && output_text(&out).1.contains("cannot be deleted"));
}

/// The reference: one customer's facts read from the snapshot row, aggregates from the store.
struct RowFacts<'a> {
    snapshot: &'a Snapshot,
    row: usize,
    store: &'a dyn Store,
}

impl Facts for RowFacts<'_> {
    fn field(&self, name: &str) -> Option<FactValue> {
        self.snapshot.field(self.row, name)
    }
    fn has_identifier(&self, kind: &str) -> bool {
        self.snapshot
            .identifiers
            .get(kind)
            .is_some_and(|bits| bits.get(self.row))
    }
    fn in_segment(&self, _name: &str) -> bool {
        false
    }
    fn aggregate(&self, aggregate: &Aggregate, now: i64) -> f64 {
        let since = aggregate
            .window
            .map(|span| now - i64::from(span.n) * span.unit.millis());
        let id = self.snapshot.ids[self.row].clone();
        let found = self
            .store
            .event_aggregates(aggregate, since, Some(&[id]))
            .expect("aggregate");
        match (found.first(), aggregate.function) {
            (Some((_, value)), _) => *value,
            (
                None,
                ecrm_core::segment::AggregateFn::Count | ecrm_core::segment::AggregateFn::Sum,
            ) => 0.0,
            (None, _) => f64::NAN,
        }
    }
}

#[test]
fn store_backed_evaluation_agrees_with_the_core_evaluator() {
    let dir = TempDir::new("segments-diff");
    let store = fresh_store(&dir);
    seed(&*store);
    let snapshot = Snapshot::load(&*store).expect("snapshot");
    let schema = snapshot.schema();
    let atoms = [
        "lifecycle = \"active\"",
        "lifecycle in (\"churned\", \"at_risk\")",
        "lifecycle != \"new\"",
        "rfm.r >= 3",
        "rfm.monetary < 150",
        "interests.category.shoes > 0.3",
        "has email",
        "country = \"CN\"",
        "country > \"D\"",
        "signup_at after 2023-11-20",
        "signup_at before 30 days ago",
        "count(event \"Product Viewed\" where category = \"shoes\") >= 1",
        "count(event \"Product Viewed\" in last 2 days) > 1",
        "sum(event \"Product Viewed\".price) >= 10",
        "avg(event \"Product Viewed\".price where price > 0) = 10",
        "max(event \"Product Viewed\".price) != 20",
    ];
    let no_segments = HashMap::new();
    let now = 1_000 + 86_400_000;
    let mut state = 0x2545_f491_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..120 {
        let mut text = atoms[next(atoms.len())].to_string();
        for _ in 0..next(4) {
            let op = ["and", "or", "and not"][next(3)];
            let atom = atoms[next(atoms.len())];
            text = if next(2) == 0 {
                format!("({text}) {op} {atom}")
            } else {
                format!("{atom} {op} ({text})")
            };
        }
        if next(5) == 0 {
            text = format!("not ({text})");
        }
        let expr: Expr = parse(&text, &schema).unwrap_or_else(|err| panic!("{text}: {err}"));
        let evaluator = Evaluator {
            store: &*store,
            snapshot: &snapshot,
            now,
            segments: &no_segments,
        };
        let matched = evaluator.matching(&expr).expect("evaluate");
        for row in 0..snapshot.len() {
            let facts = RowFacts {
                snapshot: &snapshot,
                row,
                store: &*store,
            };
            assert_eq!(
                matched.get(row),
                evaluate(&expr, &facts, now),
                "round {round}, {text}, customer {}",
                snapshot.ids[row]
            );
        }
    }
}

/// A segment created or redefined after the console's size snapshot is in that snapshot at once
/// (its size and the week's entries and exits), so its pages are not counted live until the
/// next refresh.
#[test]
fn created_and_redefined_segments_update_the_size_snapshot() {
    use ecrm::app::console::trends::{WeekFlow, compute_trends, load_trends, store_trends};
    use ecrm::app::segments::SegmentEngine;
    use ecrm::app::segments::crud::{SegmentUpdate, create_segment, update_segment};

    let dir = TempDir::new("segments-trends");
    let store = fresh_store(&dir);
    seed(&*store);
    let engine = SegmentEngine::default();
    let now = 1_800_000_000_000;
    let trends = compute_trends(&*store, now).expect("trends");
    store_trends(&*store, &trends).expect("store trends");

    let input = ecrm::app::segments::SegmentInput {
        query: Some("lifecycle = \"active\"".to_string()),
        definition: None,
    };
    let created =
        create_segment(&*store, &engine, "actives", &input, "test", now + 1).expect("create");
    assert!(created.size > 0, "the seed has active customers");
    let stored = load_trends(&*store).expect("load").expect("snapshot");
    let flow = |entered, exited| WeekFlow { entered, exited };
    assert_eq!(
        stored.size_and_week(created.id),
        Some((created.size, flow(created.size, 0)))
    );

    let update = SegmentUpdate {
        name: None,
        query: Some("lifecycle in (\"active\", \"churned\")".to_string()),
        definition: None,
    };
    let updated =
        update_segment(&*store, &engine, "actives", &update, "test", now + 2).expect("update");
    assert!(updated.size > created.size);
    let stored = load_trends(&*store).expect("load").expect("snapshot");
    assert_eq!(
        stored.size_and_week(created.id),
        Some((updated.size, flow(updated.size, 0)))
    );
}

/// The catch-up of `ecrm import` and `ecrm compute` loads only the traits the saved segments
/// read; it must match exactly the members a full snapshot gives, and skip the other traits.
#[test]
fn a_snapshot_of_the_traits_segments_read_matches_the_full_one() {
    let dir = TempDir::new("segments-traits-read");
    let store = fresh_store(&dir);
    seed(&*store);
    let full = Snapshot::load(&*store).expect("full snapshot");
    let schema = full.schema();
    let now = 1_000 + 86_400_000;
    for (queries, interests_read) in [
        (
            vec![
                "lifecycle = \"active\" and rfm.r >= 3",
                "has email and country = \"US\"",
                "rfm.monetary < 150 or count(event \"Product Viewed\") >= 1",
            ],
            false,
        ),
        (
            vec!["interests.category.shoes > 0.3 and not lifecycle = \"new\""],
            true,
        ),
    ] {
        let segments: HashMap<String, Expr> = queries
            .iter()
            .enumerate()
            .map(|(n, text)| {
                let expr = parse(text, &schema).unwrap_or_else(|err| panic!("{text}: {err}"));
                (format!("s{n}"), expr)
            })
            .collect();
        let traits = ecrm::app::segments::traits_read_by(&segments);
        let limited = Snapshot::load_traits(&*store, traits).expect("limited snapshot");
        assert_eq!(
            limited.columns.keys().any(|c| c.starts_with("interests")),
            interests_read,
            "{queries:?}"
        );
        for (name, expr) in &segments {
            let members = |snapshot: &Snapshot| -> Vec<String> {
                let evaluator = Evaluator {
                    store: &*store,
                    snapshot,
                    now,
                    segments: &segments,
                };
                let matched = evaluator.matching(expr).expect("evaluate");
                let mut ids: Vec<String> = matched
                    .rows()
                    .map(|row| snapshot.ids[row].clone())
                    .collect();
                ids.sort();
                ids
            };
            let expected = members(&full);
            assert!(!expected.is_empty(), "{name} matches someone");
            assert_eq!(members(&limited), expected, "{name}");
        }
        assert_same_cells(&limited, &full);
    }
    // A trait of a customer the store does not list (the two-thread load's rows would differ):
    // the load falls back to one thread and still matches the full snapshot.
    store
        .write_traits(
            &mut vec![ecrm_store::TraitWrite {
                customer_id: "zz-unlisted".to_string(),
                name: "lifecycle".to_string(),
                value: "{\"stage\":\"new\"}".to_string(),
                label: None,
            }]
            .into_iter(),
            now,
            None,
        )
        .expect("write");
    let full = Snapshot::load(&*store).expect("full snapshot");
    let traits = ["lifecycle".to_string()].into_iter().collect();
    let limited = Snapshot::load_traits(&*store, traits).expect("limited snapshot");
    assert!(limited.index_of("zz-unlisted").is_some());
    assert_same_cells(&limited, &full);
}

/// Every cell, alive bit and identifier kind of `limited` equals the full snapshot's for the
/// same customer.
fn assert_same_cells(limited: &Snapshot, full: &Snapshot) {
    assert_eq!(limited.len(), full.len());
    for (row, id) in limited.ids.iter().enumerate() {
        let full_row = full.index_of(id).expect("customer in the full snapshot");
        assert_eq!(limited.alive.get(row), full.alive.get(full_row), "{id}");
        for (field, column) in &limited.columns {
            assert_eq!(column.get(row), full.field(full_row, field), "{id} {field}");
        }
        for (kind, bits) in &limited.identifiers {
            assert_eq!(
                bits.get(row),
                full.identifiers[kind].get(full_row),
                "{id} {kind}"
            );
        }
    }
}

/// `ecrm compute` loads the whole snapshot ahead only when the catch-up will re-evaluate every
/// segment: on a first run, not for a small backlog (that reads only its changed customers); and
/// the catch-up reuses a snapshot loaded at the current change cursor.
#[test]
fn the_catch_up_is_in_bulk_only_on_a_first_run_or_a_large_backlog() {
    use ecrm::app::segments::{SegmentEngine, live};
    let dir = TempDir::new("segments-bulk-catch-up");
    let store = fresh_store(&dir);
    seed(&*store);
    let now = 1_000 + 86_400_000;
    assert!(live::catches_up_in_bulk(&*store).expect("bulk?"));
    let engine = SegmentEngine::for_saved_segments();
    ecrm::app::segments::builtin::ensure_builtins(&*store, now).expect("built-ins");
    let head = store.change_cursor_head().expect("head");
    assert!(!engine.is_current_at(&*store, &head).expect("current?"));
    engine.snapshot(&*store).expect("snapshot");
    assert!(engine.is_current_at(&*store, &head).expect("current?"));
    let recorded = live::catch_up(&*store, &engine, live::IMPORT, now).expect("catch up");
    assert!(recorded > 0);
    assert!(!live::catches_up_in_bulk(&*store).expect("bulk?"));
    // A trait that changes (u01 was `churned`): a backlog of one change, and the loaded
    // snapshot is no longer current.
    store
        .write_traits(
            &mut vec![TraitWrite {
                customer_id: "u01".to_string(),
                name: "lifecycle".to_string(),
                value: "{\"stage\":\"active\"}".to_string(),
                label: None,
            }]
            .into_iter(),
            now,
            None,
        )
        .expect("write");
    assert!(!live::catches_up_in_bulk(&*store).expect("bulk?"));
    let head = store.change_cursor_head().expect("head");
    assert!(!engine.is_current_at(&*store, &head).expect("current?"));
}
