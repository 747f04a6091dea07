//! Playbook webhooks against a real local HTTP server (retries with backoff, one delivery per
//! key) and the playbook and coupon CLI.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

use crate::playbooks::customers;
use crate::support::{TempDir, spawn_app};

/// A server that answers 503 to the first request and 200 to the next, and hands over each body.
fn flaky_server() -> (std::net::SocketAddr, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buf) {
                raw.extend_from_slice(&buf[..read]);
                let text = String::from_utf8_lossy(&raw).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        let _ = sender.send(text.clone());
                        break;
                    }
                }
                if read == 0 {
                    break;
                }
            }
            let status = if n == 0 {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let _ = stream.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    (addr, receiver)
}

#[test]
fn webhooks_post_the_profile_and_retry_with_backoff() {
    use ecrm::app::playbooks::webhooks::{backoff, client, deliver_due};
    let app = spawn_app();
    customers(&*app.store);
    let (addr, requests) = flaky_server();
    let url = format!("http://{addr}/hook");
    let action = ecrm_core::playbook::Action::Webhook { url: url.clone() };
    let planned = vec![ecrm_core::playbook::PlannedAction {
        key: "k1".to_string(),
        playbook: "hooks".to_string(),
        trigger: "on_enter",
        customer_id: "c1".to_string(),
        action,
    }];
    ecrm::app::playbooks::engine::apply(&*app.store, planned.clone(), 1_000).expect("apply");
    ecrm::app::playbooks::engine::apply(&*app.store, planned, 1_000).expect("apply again");
    let client = client().expect("client");
    assert_eq!(
        deliver_due(&*app.store, &client, 1_000).expect("first attempt"),
        0
    );
    let first = requests
        .recv_timeout(Duration::from_secs(30))
        .expect("first request");
    assert!(first.starts_with("POST /hook"), "{first}");
    assert!(
        first.to_ascii_lowercase().contains("idempotency-key: k1"),
        "{first}"
    );
    let body: Value =
        serde_json::from_str(first.split_once("\r\n\r\n").expect("body").1).expect("json");
    assert_eq!(body["profile"]["customer"]["id"], "c1", "{body}");
    assert_eq!(
        deliver_due(&*app.store, &client, 1_001).expect("not due"),
        0,
        "the retry waits"
    );
    assert!(requests.try_recv().is_err());
    let due = backoff(0, 1_000);
    assert_eq!(deliver_due(&*app.store, &client, due).expect("retry"), 1);
    assert!(requests.recv_timeout(Duration::from_secs(30)).is_ok());
    assert_eq!(
        deliver_due(&*app.store, &client, due + 10_000_000).expect("done"),
        0
    );
    assert!(
        requests.try_recv().is_err(),
        "one job for the key, delivered once"
    );
}

#[test]
fn cli_validates_a_file_with_lines_and_imports_codes_with_rejects() {
    let dir = TempDir::new("playbooks-cli");
    let file = dir.write(
        "p.toml",
        "[[playbook]]\nname = \"x\"\nsegment = \"potentail\"\n",
    );
    let output = crate::support::run_ecrm(
        &dir,
        &["playbooks", "validate", file.to_str().expect("path")],
    );
    let (_, stderr) = crate::support::output_text(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("p.toml: line 3: playbook[1].segment: unknown segment \"potentail\"; did you mean \"potential\"?"), "{stderr}");
    let created = crate::support::run_ecrm(
        &dir,
        &[
            "coupons",
            "pool",
            "create",
            "spring",
            "--amount",
            "5.00",
            "--currency",
            "USD",
            "--generate",
            "3",
        ],
    );
    assert!(
        created.status.success(),
        "{:?}",
        crate::support::output_text(&created)
    );
    let codes = dir.write("codes.txt", "GOOD-1\nx\nGOOD-2\n");
    let imported = crate::support::run_ecrm(
        &dir,
        &[
            "coupons",
            "pool",
            "import",
            "spring",
            codes.to_str().expect("path"),
            "--json",
        ],
    );
    let (stdout, _) = crate::support::output_text(&imported);
    let report: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        (
            report["added"].as_u64(),
            report["rejects"][0]["line"].as_u64()
        ),
        (Some(2), Some(2)),
        "{report}"
    );
    let dry = crate::support::run_ecrm(&dir, &["playbooks", "dry-run", "vip-care", "--json"]);
    let (stdout, stderr) = crate::support::output_text(&dry);
    let dry: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    assert_eq!(
        (dry["segment"].as_str(), dry["members"].as_u64()),
        (Some("rfm-important-value"), Some(0)),
        "{dry}"
    );
}
