//! Durability of the real binary: `ecrm serve` on a SQLite file takes batches from several clients,
//! is killed with SIGKILL mid-stream and restarted; every acknowledged event is there exactly once,
//! and retrying the unacknowledged batches stores each of their events once.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecrm::app::keys::{KeyRole, create_key};
use serde_json::{Value, json};

use crate::support::{TempDir, basic, http};

const CLIENTS: usize = 4;
const EVENTS_PER_BATCH: usize = 50;

fn start_server(db_url: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecrm"))
        .args(["--db", db_url, "serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecrm serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the serving line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr)
}

fn batch(id: usize) -> Value {
    let messages: Vec<Value> = (0..EVENTS_PER_BATCH)
        .map(|n| {
            json!({"type": "track", "event": "Product Viewed", "userId": format!("kill-{id}"),
            "messageId": format!("kill-{id}-{n}"), "properties": {"n": n}})
        })
        .collect();
    json!({ "batch": messages })
}

/// The stored message ids of batch `id`, read through the admin API.
fn stored(addr: SocketAddr, admin: &str, id: usize) -> Vec<String> {
    let reply = http(
        addr,
        "GET",
        &format!("/v1/customers/kill-{id}/events?limit=500"),
        &[("Authorization", &format!("Bearer {admin}"))],
        b"",
    );
    let mut ids: Vec<String> = reply.body["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["messageId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn expected(id: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..EVENTS_PER_BATCH)
        .map(|n| format!("kill-{id}-{n}"))
        .collect();
    ids.sort();
    ids
}

pub fn run() {
    let dir = TempDir::new("kill9");
    let db_url = format!("sqlite://{}", dir.path().join("ecrm.db").display());
    let (write_key, admin_key) = {
        let store = ecrm_store::open(&db_url).expect("open");
        let write = create_key(&*store, KeyRole::Write, Some("kill"), "kill", "test").expect("key");
        let admin = create_key(&*store, KeyRole::Admin, None, "admin", "test").expect("key");
        (write.key, admin.key)
    };
    let (mut server, addr) = start_server(&db_url);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (acknowledged, sent, stop) = (acknowledged.clone(), sent.clone(), stop.clone());
        let auth = basic(&write_key);
        clients.push(std::thread::spawn(move || {
            for n in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let id = n * CLIENTS + client;
                sent.lock().expect("lock").push(id);
                let body = batch(id).to_string();
                let reply = http(
                    addr,
                    "POST",
                    "/v1/batch",
                    &[("Authorization", &auth)],
                    body.as_bytes(),
                );
                if reply.status != 200 {
                    break;
                }
                acknowledged.lock().expect("lock").push(id);
            }
        }));
    }
    let started = Instant::now();
    while acknowledged.lock().expect("lock").len() < 40
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().expect("SIGKILL the server");
    let _ = server.wait();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged: Vec<usize> = acknowledged.lock().expect("lock").clone();
    let sent: Vec<usize> = sent.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 40,
        "the server acknowledged too little before the kill"
    );

    let (mut restarted, addr) = start_server(&db_url);
    for id in &acknowledged {
        assert_eq!(
            stored(addr, &admin_key, *id),
            expected(*id),
            "acknowledged batch {id} after kill -9"
        );
    }
    let unacknowledged: Vec<usize> = sent
        .iter()
        .copied()
        .filter(|id| !acknowledged.contains(id))
        .collect();
    let auth = basic(&write_key);
    for id in &unacknowledged {
        let before = stored(addr, &admin_key, *id);
        assert!(
            before.is_empty() || before == expected(*id),
            "batch {id} is all or nothing"
        );
        let reply = http(
            addr,
            "POST",
            "/v1/batch",
            &[("Authorization", &auth)],
            batch(*id).to_string().as_bytes(),
        );
        assert_eq!(reply.status, 200);
        let accepted = reply.body["accepted"].as_u64().unwrap_or(0)
            + reply.body["duplicates"].as_u64().unwrap_or(0);
        assert_eq!(accepted as usize, EVENTS_PER_BATCH);
        assert_eq!(
            stored(addr, &admin_key, *id),
            expected(*id),
            "retried batch {id}"
        );
    }
    for id in &acknowledged {
        let reply = http(
            addr,
            "POST",
            "/v1/batch",
            &[("Authorization", &auth)],
            batch(*id).to_string().as_bytes(),
        );
        assert_eq!(
            reply.body["duplicates"].as_u64(),
            Some(EVENTS_PER_BATCH as u64),
            "client retry of {id}"
        );
    }
    let _ = restarted.kill();
    let _ = restarted.wait();
    let store = ecrm_store::open(&db_url).expect("reopen");
    let total = store.stats().expect("stats").events as usize;
    assert_eq!(
        total,
        sent.len() * EVENTS_PER_BATCH,
        "every event stored exactly once"
    );
    eprintln!(
        "kill -9: {} batches acknowledged, {} unacknowledged retried, {total} events stored once each",
        acknowledged.len(),
        unacknowledged.len()
    );
}
