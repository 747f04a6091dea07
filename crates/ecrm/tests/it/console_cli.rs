//! Console users from the command line (password change and deletion end sessions), the console
//! cookies' `Secure` attribute over plain http, and commands whose reader closes the pipe early.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use ecrm::app::console::users::{session_user, sign_in};
use ecrm::app::now_millis;

use crate::support::{TempDir, fresh_store, output_text, parse_response, run_ecrm, spawn_app};

/// Runs `ecrm --db DIR/ecrm.db ARGS` with `stdin` as standard input.
fn ecrm_with_stdin(dir: &TempDir, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecrm"))
        .current_dir(dir.path())
        .arg("--db")
        .arg(dir.db_url())
        .args(args)
        .env_remove("ECRM_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ecrm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for ecrm")
}

#[test]
fn password_change_and_deletion_end_the_users_sessions() {
    let dir = TempDir::new("users-cli");
    let db = dir.db_url();
    let created = ecrm_with_stdin(
        &dir,
        &[
            "users",
            "create",
            "ann",
            "--role",
            "marketer",
            "--password-stdin",
        ],
        "first-password-1\n",
    );
    assert!(created.status.success(), "{:?}", output_text(&created));
    let store = fresh_store(&dir);
    let now = now_millis();
    let session = sign_in(&*store, "ann", "first-password-1", now)
        .expect("sign in")
        .expect("the password matches");
    assert!(
        session_user(&*store, &session.token, now)
            .expect("read")
            .is_some()
    );

    let changed = ecrm_with_stdin(
        &dir,
        &["users", "password", "ann", "--password-stdin"],
        "second-password-2\n",
    );
    assert!(changed.status.success(), "{:?}", output_text(&changed));
    assert!(
        session_user(&*store, &session.token, now)
            .expect("read")
            .is_none(),
        "the session ends with the password change"
    );
    assert!(
        sign_in(&*store, "ann", "first-password-1", now)
            .expect("sign in")
            .is_none()
    );
    let second = sign_in(&*store, "ann", "second-password-2", now)
        .expect("sign in")
        .expect("the new password matches");
    let short = ecrm_with_stdin(
        &dir,
        &["users", "password", "ann", "--password-stdin"],
        "short\n",
    );
    assert!(!short.status.success(), "a too short password is refused");

    let deleted = run_ecrm(&dir, &["--db", &db, "users", "delete", "ann"]);
    assert!(deleted.status.success(), "{:?}", output_text(&deleted));
    assert!(
        session_user(&*store, &second.token, now)
            .expect("read")
            .is_none()
    );
    assert!(store.find_console_user("ann").expect("find").is_none());
    let again = run_ecrm(&dir, &["--db", &db, "users", "delete", "ann"]);
    assert!(!again.status.success());
    assert!(
        output_text(&again).1.contains("ann"),
        "{:?}",
        output_text(&again)
    );
    let missing = ecrm_with_stdin(
        &dir,
        &["users", "password", "bob", "--password-stdin"],
        "long-enough-1\n",
    );
    assert!(!missing.status.success());
}

/// The `Set-Cookie` headers of `GET /login` asked for under `host`, with extra header lines.
fn login_cookies(addr: std::net::SocketAddr, host: &str, extra: &str) -> Vec<String> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!("GET /login HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let response = parse_response(&raw);
    assert_eq!(response.status, 200, "{}", response.body);
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.clone())
        .collect()
}

#[test]
fn cookies_are_secure_except_over_plain_http_to_other_hosts() {
    let app = spawn_app();
    let secure =
        |cookies: &[String]| !cookies.is_empty() && cookies.iter().all(|c| c.contains("; Secure"));
    let plain =
        |cookies: &[String]| !cookies.is_empty() && cookies.iter().all(|c| !c.contains("Secure"));
    let local = login_cookies(app.addr, &app.addr.to_string(), "");
    assert!(secure(&local), "{local:?}");
    assert!(secure(&login_cookies(app.addr, "localhost:8080", "")));
    let lan = login_cookies(app.addr, "192.168.1.20:8080", "");
    assert!(plain(&lan), "{lan:?}");
    let proxied = login_cookies(app.addr, "crm.example.com", "X-Forwarded-Proto: https\r\n");
    assert!(secure(&proxied), "{proxied:?}");
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let dir = TempDir::new("broken-pipe");
    let db = dir.db_url();
    for args in [
        &["--db", db.as_str(), "customers", "list", "--json"][..],
        &["--db", db.as_str(), "migrate"][..],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_ecrm"))
            .current_dir(dir.path())
            .args(args)
            .env_remove("ECRM_DATABASE_URL")
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run ecrm");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{args:?}: {:?} {stderr}",
            output.status
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn segment_trends_put_each_change_in_its_week() {
    use ecrm::app::console::trends::{WEEKS, WeekFlow, compute_trends};
    use ecrm_store::{MembershipChange, NewSegment};

    let dir = TempDir::new("trends");
    let store = fresh_store(&dir);
    let week = 7 * 86_400_000;
    let now = 1_000 * week;
    let segment = store
        .create_segment(&NewSegment {
            name: "vips".to_string(),
            definition: "{}".to_string(),
            builtin: false,
            at: 0,
        })
        .expect("segment");
    let change = |customer: &str, enter: bool, at: i64| MembershipChange {
        segment_id: segment.id,
        customer_id: customer.to_string(),
        enter,
        cause: "import".to_string(),
        at,
    };
    store
        .apply_membership_changes(&[
            change("c1", true, now - 20 * week),
            change("c2", true, now - 3 * week + 1),
            change("c3", true, now - 3 * week + 2),
            change("c4", true, now - 1),
        ])
        .expect("enter");
    store
        .apply_membership_changes(&[change("c2", false, now - 2 * week)])
        .expect("exit");
    let empty = store
        .create_segment(&NewSegment {
            name: "nobody".to_string(),
            definition: "{}".to_string(),
            builtin: false,
            at: 0,
        })
        .expect("segment");
    let trends = compute_trends(&*store, now).expect("trends");
    assert_eq!(
        trends.size_and_week(empty.id),
        Some((0, WeekFlow::default())),
        "an empty segment has a size, so the list does not count every segment live"
    );
    assert_eq!(trends.week_starts.len(), WEEKS);
    assert_eq!(trends.week_starts[0], now - WEEKS as i64 * week);
    assert_eq!(trends.week_starts[WEEKS - 1], now - week);
    let weeks = &trends.segments[&segment.id];
    let flow = |entered, exited| WeekFlow { entered, exited };
    let mut expected = vec![WeekFlow::default(); WEEKS];
    expected[WEEKS - 3] = flow(2, 0);
    expected[WEEKS - 2] = flow(0, 1);
    expected[WEEKS - 1] = flow(1, 0);
    assert_eq!(weeks, &expected, "c1 entered before the weeks shown");
    assert_eq!(trends.size_and_week(segment.id), Some((3, flow(1, 0))));
}
