//! In-process start (with and without a tokio runtime) and the CLI contract.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use dollr_sandbox::{
    run_cli_until, Currency, FaultKind, FaultScope, Sandbox, SandboxArgs, SandboxConfig,
};
use serde_json::Value;

/// A blocking HTTP/1.1 GET without any async runtime.
fn blocking_get(url: &str, path: &str) -> (u16, Value) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status: u16 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn start_in_background_from_a_plain_thread() {
    let handle = std::thread::spawn(|| {
        assert!(
            tokio::runtime::Handle::try_current().is_err(),
            "no runtime on this thread"
        );
        let sb = Sandbox::start_in_background(SandboxConfig::for_tests(10)).unwrap();
        let url = sb.url();
        assert!(url.starts_with("http://127.0.0.1:"));
        let (status, body) = blocking_get(&url, "/_sandbox/health");
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
        let (status, body) = blocking_get(&url, "/v1/fees/tiers");
        assert_eq!(status, 401);
        assert_eq!(body["detail"], "Not authenticated");
        // Control from Rust, no runtime needed.
        assert_eq!(sb.stats()["requests"]["total"], 1);
        sb.reset();
        assert_eq!(sb.stats()["requests"]["total"], 0);
        assert_eq!(sb.client_id(), "dollr_test_client");
        assert_eq!(sb.passcode(), "123456");
        let addr = sb.addr();
        // A clone keeps it alive; shutdown stops it for everyone.
        let clone = sb.clone();
        drop(sb);
        assert_eq!(blocking_get(&url, "/_sandbox/health").0, 200);
        clone.shutdown();
        assert!(
            TcpStream::connect(addr).is_err(),
            "the port is closed after shutdown"
        );
    });
    handle.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_in_background_from_inside_a_runtime_and_drop_stops_it() {
    let sb = Sandbox::start_in_background(SandboxConfig::for_tests(10)).unwrap();
    let url = sb.url();
    let r = reqwest::get(format!("{url}/_sandbox/health"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let addr = sb.addr();
    tokio::task::spawn_blocking(move || drop(sb)).await.unwrap();
    assert!(TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn start_on_the_current_runtime_and_shutdown() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    assert_ne!(sb.addr().port(), 0);
    let r = reqwest::get(format!("{}/_sandbox/health", sb.url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sb.shutdown();
    tokio::time::timeout(Duration::from_secs(5), sb.stopped())
        .await
        .expect("stops promptly");
    assert!(reqwest::get(format!("{}/_sandbox/health", sb.url()))
        .await
        .is_err());
}

#[tokio::test]
async fn the_sandbox_handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    let sb = Sandbox::start(SandboxConfig::for_tests(10)).await.unwrap();
    assert_send_sync(&sb);
    let moved = sb.clone();
    tokio::spawn(async move { moved.stats() }).await.unwrap();
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

#[test]
fn cli_flags_and_defaults() {
    let d = Cli::parse_from(["dollr-sandbox"]).args;
    assert_eq!(d.port, 8787);
    assert_eq!(d.host.to_string(), "127.0.0.1");
    assert_eq!(d.client_id, "dollr_test_client");
    assert_eq!(d.client_secret, "dollr_test_secret");
    assert_eq!(d.passcode, "123456");
    assert_eq!(d.settle_ms, 2000);
    assert_eq!(d.token_ttl_minutes, 60);
    assert!(!d.unverified);
    let cfg = d.to_config().unwrap();
    assert!(cfg.verified);
    assert!(cfg.faults.rules.is_empty());

    let a = Cli::parse_from([
        "dollr-sandbox",
        "--port",
        "0",
        "--settle-ms",
        "50",
        "--seed",
        "9",
        "--unverified",
        "--wallet",
        "USD=500",
        "--wallet",
        "RWF=0",
        "--drop-response-rate",
        "0.25",
        "--error-rate",
        "0.1",
        "--error-status",
        "503",
        "--rate-limit-rate",
        "0.05",
        "--retry-after",
        "0",
        "--rate-limit-scope",
        "executions",
        "--latency-ms",
        "5",
        "--token-ttl-seconds",
        "2",
    ])
    .args;
    let cfg = a.to_config().unwrap();
    assert_eq!(cfg.port, 0);
    assert_eq!(cfg.seed, Some(9));
    assert!(!cfg.verified);
    assert_eq!(cfg.wallets[&Currency::Usd], "500".parse().unwrap());
    assert_eq!(cfg.wallets[&Currency::Rwf], "0".parse().unwrap());
    assert_eq!(cfg.token_ttl_seconds, Some(2));
    assert_eq!(cfg.faults.latency_ms, 5);
    let kinds: Vec<FaultKind> = cfg.faults.rules.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            FaultKind::DropResponse,
            FaultKind::Error,
            FaultKind::RateLimit
        ]
    );
    assert_eq!(cfg.faults.rules[1].status, Some(503));
    assert_eq!(cfg.faults.rules[2].retry_after, Some(0));
    assert_eq!(
        cfg.faults.rules[2].effective_scope(),
        FaultScope::Executions
    );
    assert!(Cli::try_parse_from(["x", "--wallet", "EUR=5"]).is_err());
    assert!(Cli::try_parse_from(["x", "--error-rate", "2"]).is_err());
    // Secrets stay out of Debug.
    let shown = format!(
        "{:?}",
        Cli::parse_from(["x", "--client-secret", "s3cr3t"])
            .args
            .to_config()
            .unwrap()
    );
    assert!(!shown.contains("s3cr3t"));
}

#[derive(Clone, Default)]
struct SharedOut(Arc<Mutex<Vec<u8>>>);

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn run_cli_prints_the_url_first_and_stops_on_signal() {
    let out = SharedOut::default();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let args = Cli::parse_from(["dollr-sandbox", "--port", "0", "--settle-ms", "10"]).args;
    let task = tokio::spawn(run_cli_until(args, out.clone(), async move {
        let _ = stop_rx.await;
    }));
    let start = Instant::now();
    let first_line = loop {
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        if let Some((line, _)) = text.split_once('\n') {
            break line.to_owned();
        }
        assert!(start.elapsed() < Duration::from_secs(5), "no output");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let url = first_line
        .strip_prefix("listening on ")
        .expect("first line format");
    assert!(url.starts_with("http://127.0.0.1:"), "{first_line}");
    assert_ne!(url, "http://127.0.0.1:0");
    // Ready when printed.
    let r = reqwest::get(format!("{url}/_sandbox/health"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    stop_tx.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops promptly")
        .unwrap();
    assert!(result.is_ok());
    assert!(reqwest::get(format!("{url}/_sandbox/health"))
        .await
        .is_err());
}
