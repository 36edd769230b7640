//! Clients we did not write subscribe to the sandbox's realtime server and receive a payment's
//! changes: the official `@supabase/supabase-js` (npm, following the docs' realtime guide, with
//! the `ws` transport on Node 20) and `realtime` from PyPI (supabase-py's client). Both are pinned
//! in `tests/realtime_clients/` and installed there by `make realtime-clients` (a prerequisite of
//! `make test-rust`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{uuid, Client};
use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(60);

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("realtime_clients")
}

/// Pays an invoice while `program script` watches it; returns the script's status lines.
async fn watch_with(program: &str, script: &str) -> Vec<String> {
    // On its own thread: this test blocks its own runtime while it reads the client's output.
    let sb = Sandbox::start_in_background(SandboxConfig::for_tests(400)).unwrap();
    let client = Client::new(&sb).await;
    let (invoice, party) = client
        .published_invoice("231771234567", "USD", json!(5), "PAYER")
        .await;
    let account = client.account(party, "231771234567", "COLLECTION").await;
    let session = client.checkout_session("INVOICE", invoice).await;
    let reference = uuid();
    let key = client
        .ok_post(
            "/v1/realtime-keys/collection",
            json!({"session_id": session, "source_type": "INVOICE", "reference_id": reference}),
        )
        .await;
    let mut child = Command::new(program)
        .arg(dir().join(script))
        .env("SUPABASE_URL", sb.supabase_url())
        .env("SUPABASE_ANON_KEY", sb.supabase_anon_key())
        .env("REALTIME_KEY", key["access_token"].as_str().unwrap())
        .env("SESSION_ID", session.to_string())
        .env("REFERENCE_ID", &reference)
        .env("DEADLINE_MS", "45000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {program}: {e}"));
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let start = Instant::now();
    let mut seen = Vec::new();
    // Pay only once the client is subscribed.
    loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) if line == "SUBSCRIBED" => break,
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "{script} did not subscribe: {seen:?}\n{}",
                    errors.join().unwrap_or_default()
                );
            }
        }
    }
    client
        .ok_post(
            "/v1/executions/collection",
            json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": "USD", "reference_id": reference}),
        )
        .await;
    loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("{script} did not finish: {seen:?}");
            }
        }
    }
    let status = child.wait().unwrap();
    let stderr = errors.join().unwrap_or_default();
    assert!(status.success(), "{script} failed: {seen:?}\n{stderr}");
    seen
}

fn assert_saw_the_payment(lines: &[String]) {
    let statuses: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("STATUS "))
        .collect();
    assert_eq!(
        statuses,
        ["PENDING INSERT", "PROCESSING UPDATE", "COMPLETED UPDATE"],
        "{lines:?}"
    );
}

#[tokio::test]
async fn supabase_js_following_the_docs_guide_receives_a_payments_changes() {
    assert!(
        dir().join("node_modules/@supabase/supabase-js").is_dir(),
        "@supabase/supabase-js is not installed in tests/realtime_clients: run `make realtime-clients`"
    );
    let lines = watch_with("node", "supabase_js.mjs").await;
    assert_saw_the_payment(&lines);
}

#[tokio::test]
async fn the_pypi_realtime_client_receives_a_payments_changes() {
    let python = std::env::var("DOLLR_REALTIME_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dir().join(".venv/bin/python"));
    assert!(
        python.is_file(),
        "{} is missing: run `make realtime-clients` (a venv with realtime from PyPI)",
        python.display()
    );
    let lines = watch_with(python.to_str().unwrap(), "supabase_py.py").await;
    assert_saw_the_payment(&lines);
}
