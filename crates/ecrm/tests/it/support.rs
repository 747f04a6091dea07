//! Shared set-up for the black-box tests: temp dirs, fresh SQLite stores, imports, the real server on
//! port 0 with a tiny HTTP/1.1 client, and the built `ecrm` binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ecrm::app::import::{ImportKind, ImportOptions, ImportSummary, parse_map_arg, run_import};
use ecrm::app::keys::{KeyRole, create_key};
use ecrm::app::write_context;
use ecrm::http::{AppState, router};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::DateFormat;
use ecrm_store::Store;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A directory of its own for one test, removed when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("ecrm-it-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to `name` in the dir and returns its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }

    /// The `--db` URL of this dir's database file.
    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self.path.join("ecrm.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A fresh SQLite store in `dir`.
pub fn fresh_store(dir: &TempDir) -> Arc<dyn Store> {
    ecrm_store::open(&dir.db_url()).expect("open a fresh sqlite store")
}

/// The shared datasets folder (`../shared/data` next to the repository), or `None` with a skip line.
pub fn shared_data(sub_path: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(sub_path);
    if path.exists() {
        return Some(path);
    }
    eprintln!("skipping: {} not found", path.display());
    None
}

/// Import options as `ecrm import` builds them, with the rejects file in `dir`.
pub fn import_options(dir: &TempDir, kind: ImportKind, map: &str) -> ImportOptions {
    ImportOptions {
        kind,
        format: None,
        no_header: false,
        map: parse_map_arg(map).expect("a valid --map"),
        date_format: DateFormat::Auto,
        currency: "USD".to_string(),
        cancel_prefix: None,
        phone_region: PhoneRegion::CN,
        rejects_path: Some(dir.path().join("rejects.csv")),
        batch_rows: 20_000,
        write: write_context("import:test", &IdentityLimits::standard()),
    }
}

/// Runs an import to completion.
pub fn import(
    store: &dyn Store,
    files: &[PathBuf],
    options: &ImportOptions,
) -> anyhow::Result<ImportSummary> {
    run_import(store, files, options, &|_| {})
}

/// The rejects file as (file, line, field, reason) rows.
pub fn read_rejects(path: &Path) -> Vec<(String, u64, String, String)> {
    let mut reader = csv::Reader::from_path(path).expect("open the rejects file");
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.expect("a rejects row");
        let line = record[1].parse().expect("a line number");
        rows.push((
            record[0].to_string(),
            line,
            record[2].to_string(),
            record[3].to_string(),
        ));
    }
    rows
}

/// The real server on 127.0.0.1 port 0 over a fresh store, with an admin key.
pub struct TestApp {
    pub dir: TempDir,
    pub store: Arc<dyn Store>,
    pub addr: SocketAddr,
    pub admin_key: String,
    _runtime: tokio::runtime::Runtime,
}

/// Starts the app on a fresh store.
pub fn spawn_app() -> TestApp {
    let dir = TempDir::new("app");
    let store = fresh_store(&dir);
    spawn_app_on(dir, store)
}

/// Starts the app over an existing store.
pub fn spawn_app_on(dir: TempDir, store: Arc<dyn Store>) -> TestApp {
    let admin = create_key(&*store, KeyRole::Admin, None, "test admin", "test")
        .expect("create an admin key");
    let state = AppState::new(store.clone(), PhoneRegion::CN, IdentityLimits::standard());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind port 0");
    let addr = listener.local_addr().expect("the bound address");
    runtime.spawn(async move {
        if let Err(err) = axum::serve(listener, router(state)).await {
            eprintln!("test server stopped: {err}");
        }
    });
    TestApp {
        dir,
        store,
        addr,
        admin_key: admin.key,
        _runtime: runtime,
    }
}

impl TestApp {
    /// GET with the admin key.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, Some(&format!("Bearer {}", self.admin_key)))
    }

    /// POST (empty body) with the admin key.
    pub fn post(&self, path: &str) -> Response {
        self.request("POST", path, Some(&format!("Bearer {}", self.admin_key)))
    }

    /// A request with the given `Authorization` header value, or none.
    pub fn request(&self, method: &str, path: &str, authorization: Option<&str>) -> Response {
        http_request(self.addr, method, path, authorization)
    }

    /// A request with a JSON body and the admin key.
    pub fn send_json(&self, method: &str, path: &str, body: &serde_json::Value) -> Response {
        let auth = format!("Bearer {}", self.admin_key);
        http_request_json(self.addr, method, path, Some(&auth), body)
    }

    /// A write key for the source `web`.
    pub fn write_key(&self) -> String {
        create_key(
            &*self.store,
            KeyRole::Write,
            Some("web"),
            "test writer",
            "test",
        )
        .expect("create a write key")
        .key
    }
}

/// An HTTP response, body decoded.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request over a new connection (`Connection: close`).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect to the test server");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    if let Some(value) = authorization {
        head.push_str(&format!("Authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    parse_response(&raw)
}

/// One HTTP/1.1 request with a JSON body over a new connection (`Connection: close`).
pub fn http_request_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &serde_json::Value,
) -> Response {
    let payload = body.to_string();
    let mut stream = TcpStream::connect(addr).expect("connect to the test server");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if let Some(value) = authorization {
        head.push_str(&format!("Authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the head");
    stream.write_all(payload.as_bytes()).expect("send the body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = std::str::from_utf8(&raw[..split]).expect("a UTF-8 response head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let payload = &raw[split + 4..];
    let body_bytes = if chunked {
        decode_chunked(payload)
    } else {
        payload.to_vec()
    };
    let body = String::from_utf8(body_bytes).expect("a UTF-8 body");
    Response {
        status,
        headers,
        body,
    }
}

fn decode_chunked(mut payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = payload
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size_text = std::str::from_utf8(&payload[..line_end]).expect("a chunk size");
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).expect("a hex chunk size");
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&payload[start..start + size]);
        payload = &payload[start + size + 2..];
    }
}

/// Runs the built `ecrm` binary in `dir` with `args`, without any `ECRM_*` variables from outside.
pub fn run_ecrm(dir: &TempDir, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecrm"));
    command
        .current_dir(dir.path())
        .args(args)
        .env("RUST_LOG", "warn");
    for (name, _) in std::env::vars() {
        if name.starts_with("ECRM_") {
            command.env_remove(name);
        }
    }
    command.output().expect("run the ecrm binary")
}

/// The text of a process's stdout and stderr.
pub fn output_text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// Starts the live segment worker (50 ms poll, no schedule) over `store` and waits (up to 60 s)
/// until it has saved its position, so changes written afterwards are the ones it reacts to.
pub fn start_segment_worker(store: &Arc<dyn Store>) {
    use ecrm::app::segments::live::{WorkerConfig, spawn_worker};
    use std::time::{Duration, Instant};

    spawn_worker(
        store.clone(),
        ecrm::app::segments::SegmentEngine::default(),
        WorkerConfig {
            poll: Duration::from_millis(50),
            schedule: Duration::ZERO,
        },
    )
    .expect("worker");
    let deadline = Instant::now() + Duration::from_secs(60);
    while store
        .change_consumer_position("segments")
        .expect("position")
        .is_none()
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
}
