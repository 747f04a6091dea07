//! The official Segment SDKs, unchanged, pointed at the test server with their `host` option:
//! `segment-analytics-python` (PyPI) and `@segment/analytics-node` (npm), installed by
//! `.ci/install-sdks` under `~/.cache/ecrm/sdks` (or `ECRM_SDK_DIR`). Without them: a skip line.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Db, TestApp, spawn_app};

fn sdk_dir() -> PathBuf {
    match std::env::var("ECRM_SDK_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/ecrm/sdks"),
    }
}

const PYTHON_SCRIPT: &str = r#"
import sys
import segment.analytics as analytics

errors = []
analytics.write_key = sys.argv[2]
analytics.host = sys.argv[1]
analytics.on_error = lambda error, items: errors.append(repr(error))
analytics.identify("py-user", {"email": "py@example.com", "name": "Py Thon", "plan": "pro"},
                   anonymous_id="py-device")
analytics.page(anonymous_id="py-device-2", category="Docs", name="Install",
               properties={"path": "/docs/install", "referrer": "https://search.example/"})
analytics.alias("py-device-2", "py-user")
analytics.track("py-user", "Product Viewed", {"product_id": "p-1", "category": "shoes"})
analytics.track("py-user", "Order Completed", {"order_id": "py-o-1", "total": 30, "currency": "USD",
    "products": [{"product_id": "p-1", "name": "Shoe", "price": 12.5, "quantity": 2},
                 {"product_id": "p-2", "name": "Lace", "price": 5}]})
for n in range(120):
    analytics.track("py-user", "Product Added", {"product_id": "p-%d" % n})
analytics.flush()
analytics.shutdown()
if errors:
    print("errors:", errors)
    sys.exit(1)
"#;

const NODE_SCRIPT: &str = r#"
const { Analytics } = require('@segment/analytics-node');
const [host, writeKey] = process.argv.slice(1);
const analytics = new Analytics({ writeKey, host, flushAt: 15, maxRetries: 1 });
const errors = [];
analytics.on('error', (err) => errors.push(String(err && (err.message || err.code || err))));
analytics.identify({ userId: 'js-user', anonymousId: 'js-device', traits: { email: 'js@example.com', name: 'Jay Ess' } });
analytics.page({ anonymousId: 'js-device-2', name: 'Home', properties: { path: '/', referrer: 'https://ads.example/' } });
analytics.alias({ userId: 'js-user', previousId: 'js-device-2' });
analytics.track({ userId: 'js-user', event: 'Order Completed', properties: { order_id: 'js-o-1', total: 42, currency: 'USD',
  products: [{ product_id: 'p-9', name: 'Bag', price: 42, quantity: 1 }] } });
for (let n = 0; n < 40; n++) analytics.track({ userId: 'js-user', event: 'Product Viewed', properties: { product_id: 'p-' + n } });
analytics.closeAndFlush({ timeout: 20000 }).then(() => {
  if (errors.length) { console.log('errors:', errors); process.exit(1); }
});
"#;

pub fn python_sdk(db: Db, test: &str) {
    let python = sdk_dir().join("venv/bin/python");
    if !python.exists() {
        eprintln!(
            "skipping {test}: segment-analytics-python is not installed (run .ci/install-sdks)"
        );
        return;
    }
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    run_script(&app, Command::new(&python).arg("-c").arg(PYTHON_SCRIPT));
    check_customer(
        &app,
        "py-user",
        "py@example.com",
        &["py-device", "py-device-2"],
        "py-o-1",
        "Shoe",
        3000,
    );
    let pages = app.get("/v1/customers/py-user/events?type=page");
    assert_eq!(
        pages.body["events"][0]["properties"]["path"],
        "/docs/install"
    );
    let added = app.get("/v1/customers/py-user/events?event=Product%20Added&limit=500");
    assert_eq!(added.body["events"].as_array().map(Vec::len), Some(120));
}

pub fn node_sdk(db: Db, test: &str) {
    let modules = sdk_dir().join("node/node_modules");
    if !modules.join("@segment/analytics-node").exists() {
        eprintln!(
            "skipping {test}: @segment/analytics-node is not installed (run .ci/install-sdks)"
        );
        return;
    }
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    let mut command = Command::new("node");
    command
        .env("NODE_PATH", &modules)
        .arg("-e")
        .arg(NODE_SCRIPT);
    run_script(&app, &mut command);
    check_customer(
        &app,
        "js-user",
        "js@example.com",
        &["js-device", "js-device-2"],
        "js-o-1",
        "Bag",
        4200,
    );
    let viewed = app.get("/v1/customers/js-user/events?event=Product%20Viewed&limit=100");
    assert_eq!(viewed.body["events"].as_array().map(Vec::len), Some(40));
}

fn run_script(app: &TestApp, command: &mut Command) {
    let host = format!("http://{}", app.addr);
    let output = command
        .arg(&host)
        .arg(&app.write_key)
        .output()
        .expect("run the SDK script");
    assert!(
        output.status.success(),
        "the SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn check_customer(
    app: &TestApp,
    user: &str,
    email: &str,
    devices: &[&str],
    order: &str,
    product: &str,
    total_cents: i64,
) {
    let view = app.get(&format!("/v1/customers/email:{email}"));
    assert_eq!(view.status, 200, "{:?}", view.body);
    assert_eq!(view.body["customer"]["id"], user);
    let text = view.body.to_string();
    for device in devices {
        assert!(text.contains(device), "{device} merged into {user}: {text}");
        let by_device = app.get(&format!("/v1/customers/anonymous_id:{device}"));
        assert_eq!(by_device.body["customer"]["id"], user);
    }
    assert!(
        text.contains(order) && text.contains(product),
        "order and lines: {text}"
    );
    assert!(
        text.contains(&total_cents.to_string()),
        "order total {total_cents}: {text}"
    );
}
