//! End-to-end tests of the web console in real headless Chromium (driven through chromedriver):
//! sign-in, the dashboard against the API, customer search and the 360° page, languages, the
//! agent role's limits, the 404 page and an expired session. Screenshots of every page are saved
//! under the target dir (paths printed). Without chromium and chromedriver the test prints a skip
//! line, unless `CI` is set, where it fails.

mod bench;
mod webdriver;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use webdriver::{Browser, browser_paths, http};

const ADMIN_PASSWORD: &str = "admin-password-1";
const AGENT_PASSWORD: &str = "agent-password-1";

fn ecrm(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ecrm"))
        .current_dir(dir)
        .arg("--db")
        .arg(format!("sqlite://{}", dir.join("console.db").display()))
        .args(args)
        .output()
        .expect("run ecrm");
    assert!(
        output.status.success(),
        "ecrm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn create_user(dir: &Path, name: &str, role: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecrm"))
        .current_dir(dir)
        .arg("--db")
        .arg(format!("sqlite://{}", dir.join("console.db").display()))
        .args(["users", "create", name, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run ecrm users create");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    assert!(child.wait().expect("wait").success());
}

/// A generated store with traits, two console users and an admin key, served on a free port.
struct Served {
    server: Child,
    addr: SocketAddr,
    api_key: String,
    _dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn serve_generated_store(dir: &Path) -> Served {
    let data = dir.join("data");
    let data_arg = data.display().to_string();
    ecrm(
        dir,
        &[
            "generate",
            "--customers",
            "1200",
            "--seed",
            "7",
            "--end-date",
            "2024-12-29",
            "--out",
            &data_arg,
        ],
    );
    for (kind, file) in [
        ("products", "products.csv"),
        ("customers", "customers.csv"),
        ("orders", "orders.csv"),
        ("events", "events.jsonl"),
    ] {
        ecrm(
            dir,
            &["import", kind, &data.join(file).display().to_string()],
        );
    }
    ecrm(dir, &["compute"]);
    create_user(dir, "admin", "admin", ADMIN_PASSWORD);
    create_user(dir, "agent", "agent", AGENT_PASSWORD);
    let api_key = ecrm(dir, &["keys", "create", "--role", "admin"])
        .trim()
        .to_string();
    let mut server = Command::new(env!("CARGO_BIN_EXE_ecrm"))
        .current_dir(dir)
        .arg("--db")
        .arg(format!("sqlite://{}", dir.join("console.db").display()))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecrm serve");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the address");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Served {
        server,
        addr,
        api_key,
        _dir: dir.to_path_buf(),
    }
}

fn api(served: &Served, path: &str) -> Value {
    let bearer = format!("Bearer {}", served.api_key);
    let (status, body) = http(served.addr, "GET", path, &[("Authorization", &bearer)], "");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("json")
}

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn sign_in(browser: &Browser, base: &str, username: &str, password: &str) {
    browser.goto(&format!("{base}/login"));
    browser.type_into("#username", username);
    browser.type_into("#password", password);
    browser.click_to_load("#sign-in");
    browser.find("header.top nav a");
}

/// Waits for the builder's live count to differ from `before` and returns it. The count is `busy`
/// from a keystroke until the preview of what was typed has answered, so no preview is left to
/// fire after this returns (one fired later, after the session cookie was deleted, sent the page to
/// the sign-in page before the test typed into it).
fn live_count(browser: &Browser, before: &str) -> String {
    let script = format!(
        "const c = document.getElementById('live-count'); return c.textContent !== {before:?} && c.textContent !== '—' && !c.classList.contains('busy');"
    );
    browser.wait_for("the live count", &script);
    browser.text("#live-count")
}

fn digits(text: &str) -> u64 {
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(u64::MAX)
}

/// The first-paint figures of the page now shown (navigation timing).
fn paint_millis(browser: &Browser) -> String {
    browser
        .eval(
            "const n = performance.getEntriesByType('navigation')[0];\
             const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');\
             return `response ${Math.round(n.responseEnd)} ms, first contentful paint ${p ? Math.round(p.startTime) : '?'} ms`;",
        )
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn console_in_a_real_browser() {
    let Some((driver, chromium)) = browser_paths() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium/chromedriver are missing (.ci/install-browser installs them)"
        );
        eprintln!(
            "skipping the console browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("ecrm-console-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let served = serve_generated_store(&dir);
    let base = format!("http://{}", served.addr);
    let shots = screenshots_dir();
    let browser = Browser::start(&driver, &chromium);

    // Signed out: any page leads to the sign-in page, which remembers where it was going.
    browser.goto(&format!("{base}/customers?q=x"));
    assert!(
        browser.url().contains("/login?next=%2Fcustomers%3Fq%3Dx"),
        "{}",
        browser.url()
    );
    // Bad input: the error is shown next to the empty field.
    browser.click_to_load("#sign-in");
    assert_eq!(browser.count(".field-error"), 2);
    browser.type_into("#username", "admin");
    browser.type_into("#password", "wrong-password");
    browser.click_to_load("#sign-in");
    assert!(
        browser
            .text(".form-error")
            .contains("Wrong username or password")
    );
    browser.screenshot(&shots.join("01-login-error.png"));
    sign_in(&browser, &base, "admin", ADMIN_PASSWORD);

    // The dashboard shows the API's figures.
    browser.goto(&format!("{base}/dashboard"));
    println!("dashboard: {}", paint_millis(&browser));
    let figures = api(&served, "/v1/dashboard");
    for (kpi, field) in [
        ("customers", "customers"),
        ("active", "active"),
        ("new", "new_customers"),
    ] {
        let shown = digits(&browser.text(&format!("[data-kpi={kpi}]")));
        assert_eq!(Some(shown), figures[field].as_u64(), "{kpi}");
    }
    let repeat = browser.text("[data-kpi=repeat]");
    let expected = format!(
        "{:.1}%",
        figures["repeat_purchase_rate"].as_f64().expect("rate") * 100.0
    );
    assert_eq!(repeat, expected);
    assert!(figures["customers"].as_u64().expect("customers") >= 1200);
    for chart in [
        "chart-rfm",
        "chart-rf",
        "chart-clv",
        "chart-funnel",
        "chart-cohorts",
    ] {
        assert_eq!(browser.count(&format!("svg#{chart}")), 1, "{chart}");
    }
    assert_eq!(browser.count("a.csv"), 5);
    browser.screenshot(&shots.join("02-dashboard.png"));
    let cookie = browser.eval("return document.cookie");
    assert!(
        !cookie.as_str().unwrap_or("").contains("ecrm_session"),
        "the session cookie is HttpOnly"
    );

    // Search a customer by email and open the 360° page.
    let listed = api(&served, "/v1/customers?limit=50");
    let items = listed["customers"].as_array().cloned().unwrap_or_default();
    let customer = items
        .iter()
        .find(|c| c["email"].is_string() && c["phone"].is_string())
        .expect("a customer with an email");
    let email = customer["email"].as_str().expect("email");
    browser.goto(&format!("{base}/customers"));
    browser.type_into("#customer-search", email);
    browser.click_to_load("#search-button");
    assert_eq!(browser.count("#customer-results tbody tr"), 1);
    browser.screenshot(&shots.join("03-customer-search.png"));
    browser.click_to_load("a.customer-link");
    browser.find("#customer-name");
    println!("customer 360: {}", paint_millis(&browser));
    assert!(browser.text("#identity").contains(email));
    for section in ["#traits", "#orders", "#timeline", "#recommendations"] {
        browser.find(section);
    }
    assert!(browser.count("#timeline tbody tr") > 0);
    assert!(
        browser.count("details.trait") >= 3,
        "rfm, lifecycle and risk traits"
    );
    browser.click("details.trait[data-trait=rfm] summary");
    browser.wait_for(
        "the trait explanation",
        "const e = document.querySelector('details.trait[data-trait=rfm] .explain'); return !!e && e.dataset.loaded === '1' && e.textContent.length > 20;",
    );
    browser.screenshot(&shots.join("04-customer-360.png"));

    // Segments: the list, then the builder with a live count, inline errors and saving.
    browser.goto(&format!("{base}/segments"));
    assert!(
        browser.count("#segment-list tbody tr") >= 28,
        "built-in segments are listed"
    );
    let as_of = browser.text("#sizes-as-of");
    assert!(
        as_of.contains("as of") || as_of.contains("counted just now"),
        "the sizes say when they were counted: {as_of}"
    );
    browser.screenshot(&shots.join("05-segments.png"));
    browser.click_to_load("#new-segment");
    browser.type_into("#segment-query", "rfm.r >= 4");
    let broad = live_count(&browser, "—");
    browser.type_into("#segment-query", "rfm.r >= 4 and rfm.f >= 3");
    let narrow = live_count(&browser, &broad);
    assert!(digits(&narrow) < digits(&broad), "{narrow} < {broad}");
    assert!(
        browser
            .eval("return document.getElementById('segment-json').value")
            .as_str()
            .unwrap_or("")
            .contains("\"and\"")
    );
    assert_eq!(
        browser.count("#rows .row"),
        2,
        "the condition rows follow the query"
    );
    // A condition row changes the count too.
    browser.type_into("#rows .row:nth-child(2) .value", "5");
    browser.wait_for(
        "the query to follow the rows",
        "return document.getElementById('segment-query').value.includes('rfm.f >= 5') && !document.getElementById('live-count').classList.contains('busy');",
    );
    let narrower = browser.text("#live-count");
    assert!(digits(&narrower) < digits(&narrow), "{narrower} < {narrow}");
    // A typo: the error with a suggestion, next to the query box.
    browser.type_into("#segment-query", "rfm.clas = \"x\"");
    browser.wait_for(
        "the query error",
        "return document.getElementById('query-error').textContent.includes('rfm.class');",
    );
    browser.screenshot(&shots.join("06-segment-builder-error.png"));
    browser.type_into("#segment-query", "rfm.r >= 4 and rfm.f >= 3");
    let count = live_count(&browser, "—");
    assert_eq!(count, narrow);
    browser.type_into("#segment-name", "e2e-loyal");
    browser.screenshot(&shots.join("07-segment-builder.png"));
    browser.click_to_load("#save-segment");
    assert!(
        browser.url().ends_with("/segments/e2e-loyal"),
        "{}",
        browser.url()
    );
    assert_eq!(browser.text("#segment-size"), count);
    assert_eq!(browser.count("#export"), 1);
    browser.screenshot(&shots.join("08-segment.png"));
    let (status, body) = http(
        served.addr,
        "GET",
        "/v1/segments/e2e-loyal",
        &[("Authorization", &format!("Bearer {}", served.api_key))],
        "",
    );
    assert_eq!(status, 200, "{body}");

    // 简体中文: labels and RFM class names.
    browser.goto(&format!("{base}/dashboard"));
    browser.click_to_load("#lang-switch");
    browser.find("#chart-rfm");
    assert_eq!(browser.text("main h1"), "仪表盘");
    assert!(browser.text("#card-rfm_classes").contains("重要价值客户"));
    assert!(browser.text("header.top nav").contains("客户"));
    browser.screenshot(&shots.join("09-dashboard-zh.png"));
    browser.click_to_load("#lang-switch");
    browser.find("#chart-rfm");
    assert_eq!(browser.text("main h1"), "Dashboard");

    // The 404 page.
    browser.goto(&format!("{base}/no/such/page"));
    assert!(browser.text("#not-found").contains("404"));
    browser.screenshot(&shots.join("10-not-found.png"));

    // An agent: no exports, masked emails and phones.
    browser.goto(&format!("{base}/dashboard"));
    browser.click_to_load("header.top form button");
    browser.find("#sign-in");
    sign_in(&browser, &base, "agent", AGENT_PASSWORD);
    browser.goto(&format!("{base}/dashboard"));
    browser.find("#chart-rfm");
    assert_eq!(browser.count("a.csv"), 0, "agents get no CSV links");
    let (status, _) = http(served.addr, "GET", "/dashboard/csv/kpis", &[], "");
    assert_eq!(status, 303, "signed out: back to the sign-in page");
    browser.goto(&format!("{base}/dashboard/csv/kpis"));
    assert!(
        browser
            .eval("return document.body.innerText")
            .as_str()
            .unwrap_or("")
            .contains("may not")
    );
    browser.goto(&format!("{base}/customers?q={}", email.replace('@', "%40")));
    let row = browser.text("#customer-results tbody tr");
    assert!(!row.contains(email) && row.contains("***@"), "{row}");
    browser.click_to_load("a.customer-link");
    let identity = browser.text("#identity");
    assert!(
        !identity.contains(email) && identity.contains("***"),
        "{identity}"
    );
    browser.screenshot(&shots.join("11-agent-customer.png"));
    browser.goto(&format!("{base}/segments/e2e-loyal"));
    assert_eq!(browser.count("#export"), 0, "agents get no export link");
    let agent_row = browser.text("#members tbody tr");
    assert!(agent_row.contains("***"), "{agent_row}");
    browser.goto(&format!("{base}/segments/e2e-loyal/export.csv"));
    assert!(
        browser
            .eval("return document.body.innerText")
            .as_str()
            .unwrap_or("")
            .contains("may not")
    );

    // An expired session while building a segment: back to sign-in, and the typed query survives.
    browser.goto(&format!("{base}/segments/new"));
    browser.type_into("#segment-query", "rfm.m >= 4");
    live_count(&browser, "—");
    browser.delete_cookie("ecrm_session");
    browser.type_into("#segment-query", "rfm.m >= 5");
    browser.wait_for("the sign-in page", "return location.pathname === '/login';");
    assert!(browser.text(".form-error").contains("session"));
    browser.type_into("#username", "agent");
    browser.type_into("#password", AGENT_PASSWORD);
    browser.click_to_load("#sign-in");
    browser.find("#segment-query");
    let kept = browser.eval("return document.getElementById('segment-query').value");
    assert_eq!(kept.as_str(), Some("rfm.m >= 5"));

    // An expired session goes back to sign-in and then to where it was.
    browser.delete_cookie("ecrm_session");
    browser.goto(&format!("{base}/customers?q=abc"));
    assert!(browser.url().contains("/login?next="), "{}", browser.url());
    browser.type_into("#username", "agent");
    browser.type_into("#password", AGENT_PASSWORD);
    browser.click_to_load("#sign-in");
    browser.find("#customer-search");
    assert!(
        browser.url().ends_with("/customers?q=abc"),
        "{}",
        browser.url()
    );
    drop(browser);
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
}
