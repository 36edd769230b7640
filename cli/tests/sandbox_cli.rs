//! The `dollr sandbox` command's contract, which docs and other languages' tests rely on: the first
//! stdout line is `listening on http://127.0.0.1:PORT` once the server accepts connections, it
//! serves the API there, and SIGTERM/SIGINT stop it cleanly; and `dollr demo`, whose payments are
//! checked against the counters of a sandbox the test runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn_sandbox(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dollr"))
        .args(["sandbox", "--port", "0", "--settle-ms", "50"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dollr sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (child, url)
}

fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

fn wait_for_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dollr sandbox did not exit within {within:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn prints_its_url_first_serves_the_api_and_stops_cleanly_on_sigterm() {
    let (mut child, url) =
        spawn_sandbox(&["--client-id", "cli-id", "--client-secret", "cli-secret"]);
    let (status, _) = http(&url, "GET", "/_sandbox/health", "");
    assert_eq!(status, 200);
    let (status, body) = http(
        &url,
        "POST",
        "/v1/jwt/client/obtain/token",
        r#"{"client_id":"cli-id","client_secret":"cli-secret"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"expires_in\":60"), "{body}");
    let (status, body) = http(
        &url,
        "POST",
        "/v1/jwt/client/obtain/token",
        r#"{"client_id":"cli-id","client_secret":"wrong"}"#,
    );
    assert_eq!(status, 401);
    assert!(body.contains("Could not validate credentials"), "{body}");
    signal(&child, "TERM");
    let exit = wait_for_exit(&mut child, Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit:?}");
}

/// The test helpers of every language start the sandbox this way: it must not outlive them.
#[test]
fn stops_when_its_stdin_closes_if_asked_and_not_otherwise() {
    let (mut asked, url) = spawn_sandbox(&["--exit-when-stdin-closes"]);
    let (mut default, default_url) = spawn_sandbox(&[]);
    assert_eq!(http(&url, "GET", "/_sandbox/health", "").0, 200);
    drop(asked.stdin.take());
    drop(default.stdin.take());
    let exit = wait_for_exit(&mut asked, Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit:?}");
    // Still serving with its stdin closed: the flag, not the pipe, decides.
    assert_eq!(http(&default_url, "GET", "/_sandbox/health", "").0, 200);
    assert!(default.try_wait().expect("try_wait").is_none());
    signal(&default, "TERM");
    assert!(wait_for_exit(&mut default, Duration::from_secs(10)).success());
}

#[test]
fn stops_cleanly_on_sigint() {
    let (mut child, url) = spawn_sandbox(&[]);
    assert_eq!(http(&url, "GET", "/_sandbox/health", "").0, 200);
    signal(&child, "INT");
    let exit = wait_for_exit(&mut child, Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit:?}");
}

#[test]
fn the_demo_runs_both_flows_to_completed() {
    let output = Command::new(env!("CARGO_BIN_EXE_dollr"))
        .args(["demo", "--settle-ms", "40"])
        .output()
        .expect("dollr demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("collection COMPLETED"), "{stdout}");
    assert!(stdout.contains("payout COMPLETED"), "{stdout}");
}

/// The reference ids of the demo's summary lines (`  collection  COMPLETED  <uuid> …`).
fn summary_reference_id(stdout: &str, flow: &str) -> String {
    let summary = stdout
        .split("SUMMARY")
        .nth(1)
        .unwrap_or_else(|| panic!("no SUMMARY in:\n{stdout}"));
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(flow))
        .unwrap_or_else(|| panic!("no {flow} line in the summary:\n{stdout}"));
    line.split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no reference id in {line:?}"))
        .to_string()
}

/// The demo's "nothing paid twice" is checked where it happens: the demo runs against a sandbox
/// this test started (as against a real API, `--base-url`), which loses half of the execute
/// answers so that the exactly-once path is exercised, and the sandbox's own counters must show
/// one execution per flow, both COMPLETED, under the reference ids the demo reported, and no
/// duplicate payment. Nothing the demo prints about duplicates is trusted.
#[test]
fn the_demo_pays_each_flow_once_by_the_sandboxs_own_count() {
    let (mut sandbox, url) = spawn_sandbox(&[
        "--client-id",
        "demo-id",
        "--client-secret",
        "demo-secret",
        "--passcode",
        "246810",
        "--drop-response-rate",
        "0.5",
        "--seed",
        "20",
    ]);
    let output = Command::new(env!("CARGO_BIN_EXE_dollr"))
        .args([
            "demo",
            "--base-url",
            &url,
            "--amount",
            "25.00",
            "--payout-amount",
            "10.00",
            "--passcode-phone",
            "231779999999",
            "--timeout-secs",
            "60",
        ])
        .env("DOLLR_CLIENT_ID", "demo-id")
        .env("DOLLR_CLIENT_SECRET", "demo-secret")
        .env("DOLLR_PASSCODE", "246810")
        .env_remove("DOLLR_BASE_URL")
        .env_remove("DOLLR_PASSCODE_PHONE")
        .output()
        .expect("dollr demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let collection = summary_reference_id(&stdout, "collection");
    let payout = summary_reference_id(&stdout, "payout");

    let (status, body) = http(&url, "GET", "/_sandbox/stats", "");
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).expect("stats are JSON");
    assert_eq!(
        stats["duplicate_payments"], 0,
        "{:#}",
        stats["duplicate_payment_details"]
    );
    assert_eq!(stats["executions"]["created"], 2, "{stats:#}");
    // The seeded faults lost at least one execute answer: the demo had to recover it by status.
    assert!(
        stats["faults"]["drop_response"].as_u64() >= Some(1),
        "no answer was lost: {:#}",
        stats["faults"]
    );
    let executions = stats["executions"]["by_reference_id"]
        .as_object()
        .expect("executions by reference id");
    for (flow, reference_id, operation) in [
        ("collection", &collection, "COLLECTION"),
        ("payout", &payout, "PAYOUT"),
    ] {
        let execution = &executions[reference_id.as_str()];
        assert_eq!(execution["created"], true, "{flow}: {stats:#}");
        assert_eq!(execution["operation_type"], operation, "{flow}: {stats:#}");
        assert_eq!(execution["status"], "COMPLETED", "{flow}: {stats:#}");
    }

    signal(&sandbox, "TERM");
    let exit = wait_for_exit(&mut sandbox, Duration::from_secs(10));
    assert!(exit.success(), "exit status {exit:?}");
}
