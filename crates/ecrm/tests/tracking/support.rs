//! Set-up for the tracking black-box tests: the real app on 127.0.0.1 port 0 over a fresh SQLite
//! file or a fresh PostgreSQL schema (when `ECRM_TEST_DATABASE_URL` is set), keys, and a small
//! HTTP/1.1 client that can send raw and gzip bodies.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ecrm::app::keys::{KeyRole, create_key};
use ecrm::http::{AppState, router};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::phone::PhoneRegion;
use ecrm_store::{PostgresStore, Store};
use serde_json::Value;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A directory of its own for one test, removed when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("ecrm-tracking-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The real server over a fresh store, with an admin key and a write key of source `web-shop`.
pub struct TestApp {
    _dir: TempDir,
    pub store: Arc<dyn Store>,
    pub addr: SocketAddr,
    pub admin_key: String,
    pub write_key: String,
    _runtime: tokio::runtime::Runtime,
}

/// Starts the app, or `None` (with a skip line) for PostgreSQL without `ECRM_TEST_DATABASE_URL`.
pub fn spawn_app(db: Db, test: &str) -> Option<TestApp> {
    spawn_app_with_currency(db, test, "USD")
}

/// [`spawn_app`] with `currency` as the store's currency (`ecrm serve --currency`).
pub fn spawn_app_with_currency(db: Db, test: &str, currency: &str) -> Option<TestApp> {
    let dir = TempDir::new(test);
    let store: Arc<dyn Store> = match db {
        Db::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("ecrm.db").display());
            ecrm_store::open(&url).expect("open a fresh sqlite store")
        }
        Db::Postgres => {
            let Ok(url) = std::env::var("ECRM_TEST_DATABASE_URL") else {
                eprintln!(
                    "skipping PostgreSQL tracking test {test}: ECRM_TEST_DATABASE_URL is not set"
                );
                return None;
            };
            let schema = format!("tt_{test}");
            let mut admin =
                postgres::Client::connect(&url, postgres::NoTls).expect("connect to the test db");
            admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .expect("drop the test schema");
            Arc::new(PostgresStore::connect_in_schema(&url, &schema).expect("open postgres"))
        }
    };
    let admin_key = create_key(&*store, KeyRole::Admin, None, "test admin", "test")
        .expect("admin key")
        .key;
    let write_key = create_key(&*store, KeyRole::Write, Some("web-shop"), "web", "test")
        .expect("write key")
        .key;
    let mut state = AppState::new(store.clone(), PhoneRegion::CN, IdentityLimits::standard());
    state.tracking.currency = currency.to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    runtime.spawn(async move {
        let _ = axum::serve(listener, router(state)).await;
    });
    Some(TestApp {
        _dir: dir,
        store,
        addr,
        admin_key,
        write_key,
        _runtime: runtime,
    })
}

/// An HTTP response: status and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// Basic credentials as Segment's SDKs send them: the key as username, an empty password.
pub fn basic(key: &str) -> String {
    ecrm::http::basic_auth::header_for_key(key)
}

impl TestApp {
    /// POSTs JSON with the write key as Segment's SDKs send it.
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        let auth = basic(&self.write_key);
        self.send(
            "POST",
            path,
            &[("Authorization", &auth)],
            body.to_string().as_bytes(),
        )
    }

    /// GETs with the admin key.
    pub fn get(&self, path: &str) -> Reply {
        let auth = format!("Bearer {}", self.admin_key);
        self.send("GET", path, &[("Authorization", &auth)], b"")
    }

    /// Sends any request; JSON content type unless a header overrides it.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        http(self.addr, method, path, headers, body)
    }
}

/// One HTTP/1.1 request on a new connection; status 0 when the server cannot be reached (a killed
/// server refuses connections, which a client counts as not acknowledged).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let unreachable = Reply {
        status: 0,
        body: Value::Null,
    };
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return unreachable;
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\nContent-Type: application/json\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return unreachable;
    }
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// Gzips bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}
