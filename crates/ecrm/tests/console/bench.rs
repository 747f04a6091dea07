//! First paint of every console page on a running server (the 1M-customer store in
//! `docs/benchmarks-console.md`): ignored by default; run with
//! `ECRM_CONSOLE_BENCH_URL=http://127.0.0.1:8080 ECRM_CONSOLE_BENCH_USER=admin
//! ECRM_CONSOLE_BENCH_PASSWORD=... cargo test -p ecrm --test console -- --ignored --nocapture`.
//! Prints the navigation timing of each page (three loads each): response end, and first contentful
//! paint (the load event's end when Chromium reports no paint entry); asserts nothing about time.

use crate::webdriver::{Browser, browser_paths};

fn timing(browser: &Browser) -> (f64, f64) {
    let value = browser.eval(
        "const n = performance.getEntriesByType('navigation')[0];\
         const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');\
         return [n.responseEnd, p ? p.startTime : n.loadEventEnd];",
    );
    let at = |i: usize| value[i].as_f64().unwrap_or(-1.0);
    (at(0), at(1))
}

#[test]
#[ignore = "needs a running server: set ECRM_CONSOLE_BENCH_URL, _USER and _PASSWORD"]
fn first_paint_of_every_page() {
    let (Ok(base), Ok(user), Ok(password)) = (
        std::env::var("ECRM_CONSOLE_BENCH_URL"),
        std::env::var("ECRM_CONSOLE_BENCH_USER"),
        std::env::var("ECRM_CONSOLE_BENCH_PASSWORD"),
    ) else {
        eprintln!(
            "skipping: set ECRM_CONSOLE_BENCH_URL, ECRM_CONSOLE_BENCH_USER and ECRM_CONSOLE_BENCH_PASSWORD"
        );
        return;
    };
    let Some((driver, chromium)) = browser_paths() else {
        eprintln!("skipping: chromium and chromedriver are not installed");
        return;
    };
    let browser = Browser::start(&driver, &chromium);
    browser.goto(&format!("{base}/login"));
    browser.type_into("#username", &user);
    browser.type_into("#password", &password);
    browser.click_to_load("#sign-in");
    // A customer and a segment to open, taken from the pages themselves.
    browser.goto(&format!("{base}/customers"));
    let customer = browser
        .eval("return document.querySelector('a.customer-link').getAttribute('href')")
        .as_str()
        .unwrap_or("/customers")
        .to_string();
    let name =
        browser.eval("return document.querySelector('#customer-results tbody td.pii').textContent");
    let email = name.as_str().unwrap_or("").to_string();
    let pages = [
        "/dashboard".to_string(),
        "/customers".to_string(),
        format!("/customers?q={}", email.replace('@', "%40")),
        "/customers?q=Wang".to_string(),
        customer,
        "/segments".to_string(),
        "/segments/rfm-important-value".to_string(),
        "/segments/new?from=churn-risk".to_string(),
    ];
    println!("| page | response end (ms) | first contentful paint or load end (ms) |");
    println!("| --- | --- | --- |");
    for page in &pages {
        let mut runs = Vec::new();
        for _ in 0..3 {
            browser.goto(&format!("{base}{page}"));
            runs.push(timing(&browser));
        }
        let text = |pick: fn(&(f64, f64)) -> f64| {
            runs.iter()
                .map(|r| format!("{:.0}", pick(r)))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        println!("| `{page}` | {} | {} |", text(|r| r.0), text(|r| r.1));
    }
}
