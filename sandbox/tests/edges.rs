//! The sandbox's edges, through raw sockets: every error it sends has a JSON body in the API's
//! error shape (also hyper's own 400 and 414 answers), fault settings have upper bounds and
//! refuse unknown keys, and a client that stops sending mid-request cannot hold a connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous: only a hang reaches it, and a hang is the failure these tests look for.
const DEADLINE: Duration = Duration::from_secs(30);

/// One raw HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Value,
}

fn parse(bytes: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(bytes).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response head in {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/json"),
        "not JSON: {head}"
    );
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("body {body:?}: {e}"));
    Answer { status, head, body }
}

/// Reads until the server closes the connection (each request here makes it close), with a
/// deadline. Returns the bytes and how long it took.
async fn read_to_close(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut out))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the server still held the connection after {DEADLINE:?}; read so far: {:?}",
                String::from_utf8_lossy(&out)
            )
        })
        .unwrap();
    (out, started.elapsed())
}

/// Sends `request` as is on a fresh connection and reads the answer until the server closes.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let (bytes, _) = read_to_close(&mut stream).await;
    parse(&bytes)
}

fn detail_text(answer: &Answer) -> &str {
    answer.body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("detail is not a string: {answer:?}"))
}

async fn token(sb: &Sandbox) -> String {
    common::Client::new(sb).await.token
}

#[tokio::test]
async fn every_error_has_a_json_body_in_the_api_error_shape() {
    let sb = common::sandbox(40).await;
    let addr = sb.addr();

    // Hyper's own answers, sent before any route runs.
    let garbage = exchange(addr, b"GARBAGE\r\n\r\n").await;
    assert_eq!(garbage.status, 400, "{garbage:?}");
    assert!(
        detail_text(&garbage).starts_with("Bad Request"),
        "{garbage:?}"
    );

    let bad_header = exchange(
        addr,
        b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    )
    .await;
    assert_eq!(bad_header.status, 400, "{bad_header:?}");
    assert!(detail_text(&bad_header).starts_with("Bad Request"));

    let long_uri = format!("GET /v1/{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let too_long = exchange(addr, long_uri.as_bytes()).await;
    assert_eq!(too_long.status, 414, "{too_long:?}");
    assert!(detail_text(&too_long).starts_with("URI Too Long"));

    // Router-level answers.
    let unknown = exchange(
        addr,
        b"GET /v1/no-such-route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body, json!({"detail": "Not Found"}));

    let wrong_method = exchange(
        addr,
        b"DELETE /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.body, json!({"detail": "Method Not Allowed"}));

    // 413 before the body is read: the connection is closed after the answer.
    let too_large = exchange(
        addr,
        b"POST /_sandbox/faults/rules HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n",
    )
    .await;
    assert_eq!(too_large.status, 413, "{too_large:?}");
    assert!(too_large.head.contains("connection: close"));
    assert!(detail_text(&too_large).starts_with("Request body too large"));

    // JSON syntax and content type, on an authenticated /v1 route.
    let token = token(&sb).await;
    let bad_json = format!(
        "POST /v1/parties/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{{bad "
    );
    let bad_json = exchange(addr, bad_json.as_bytes()).await;
    assert_eq!(bad_json.status, 422, "{bad_json:?}");
    assert_eq!(bad_json.body["detail"][0]["type"], "value_error.jsondecode");
    assert_eq!(bad_json.body["detail"][0]["loc"][0], "body");

    let text_body = format!(
        "POST /v1/parties/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let text_body = exchange(addr, text_body.as_bytes()).await;
    assert_eq!(text_body.status, 415, "{text_body:?}");
    assert!(detail_text(&text_body).starts_with("Unsupported Media Type"));

    // The sandbox still serves normally afterwards.
    let health = exchange(
        addr,
        b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body, json!({"status": "ok"}));
}

/// A sandbox whose body and head timeouts are 1 s.
async fn impatient_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        body_read_timeout: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(1),
        ..SandboxConfig::for_tests(40)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_a_408_and_the_connection_is_closed() {
    let sb = impatient_sandbox().await;
    let mut stream = TcpStream::connect(sb.addr()).await.unwrap();
    // 100 bytes announced, 12 sent, then silence (the socket stays open).
    stream
        .write_all(
            b"PUT /_sandbox/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"rules\": [",
        )
        .await
        .unwrap();
    let (bytes, took) = read_to_close(&mut stream).await;
    let answer = parse(&bytes);
    assert_eq!(answer.status, 408, "{answer:?}");
    assert!(answer.head.contains("connection: close"), "{answer:?}");
    assert!(detail_text(&answer).starts_with("Request Timeout"));
    assert!(
        took >= Duration::from_millis(900),
        "answered early: {took:?}"
    );

    // The same on an API route, and it is logged with its 408.
    let mut stream = TcpStream::connect(sb.addr()).await.unwrap();
    stream
        .write_all(
            b"POST /v1/parties/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"fullname\":",
        )
        .await
        .unwrap();
    let (bytes, _) = read_to_close(&mut stream).await;
    assert_eq!(parse(&bytes).status, 408);
    let last = sb.request_log().last().cloned().unwrap();
    assert_eq!(
        (last.path.as_str(), last.status),
        ("/v1/parties/create", 408)
    );
    // Nothing was applied from the partial PUT.
    assert!(sb.faults().rules.is_empty());
}

#[tokio::test]
async fn a_head_that_never_finishes_has_its_connection_closed() {
    let sb = impatient_sandbox().await;
    let mut stream = TcpStream::connect(sb.addr()).await.unwrap();
    stream
        .write_all(b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (bytes, took) = read_to_close(&mut stream).await;
    assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    assert!(took >= Duration::from_millis(900), "closed early: {took:?}");

    // A connection that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(sb.addr()).await.unwrap();
    let (bytes, _) = read_to_close(&mut silent).await;
    assert!(bytes.is_empty());
}

/// `PUT /_sandbox/faults` (or `POST /_sandbox/faults/rules`) with `body`; returns (status, body).
async fn put_faults(sb: &Sandbox, path: &str, body: &str) -> (u16, Value) {
    let method = if path.ends_with("/rules") {
        reqwest::Method::POST
    } else {
        reqwest::Method::PUT
    };
    let r = common::raw(
        &sb.url(),
        method,
        path,
        &[("content-type", "application/json")],
        Some(body.as_bytes().to_vec()),
    )
    .await;
    (r.status, r.body)
}

#[tokio::test]
async fn fault_settings_are_bounded_and_unknown_keys_refused() {
    let sb = common::sandbox(40).await;
    let cases: &[(&str, &str, Value)] = &[
        (
            "/_sandbox/faults",
            r#"{"latency_ms": 18446744073709551615}"#,
            json!(["body", "latency_ms"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"latency_ms": 18446744073709551616}"#,
            json!(["body", "latency_ms"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"latency_ms": -1}"#,
            json!(["body", "latency_ms"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"latency_jitter_ms": 60001}"#,
            json!(["body", "latency_jitter_ms"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"latency": 5}"#,
            json!(["body", "latency"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "error", "status": 503}, {"kind": "error", "cout": 1}]}"#,
            json!(["body", "rules", 1, "cout"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "latency", "latency_ms": 60001}]}"#,
            json!(["body", "rules", 0, "latency_ms"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "error", "count": 1000001}]}"#,
            json!(["body", "rules", 0, "count"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "error", "probability": 1.5}]}"#,
            json!(["body", "rules", 0, "probability"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "error", "status": 600}]}"#,
            json!(["body", "rules", 0, "status"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "rate_limit", "retry_after": 3601}]}"#,
            json!(["body", "rules", 0, "retry_after"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "delay_commit", "lookups": 1000001}]}"#,
            json!(["body", "rules", 0, "lookups"]),
        ),
        (
            "/_sandbox/faults",
            r#"{"rules": [{"kind": "delay_commit", "scope": "v1"}]}"#,
            json!(["body", "rules", 0, "scope"]),
        ),
        (
            "/_sandbox/faults/rules",
            r#"{"kind": "drop_response", "cout": 1}"#,
            json!(["body", "cout"]),
        ),
        (
            "/_sandbox/faults/rules",
            r#"{"kind": "latency", "latency_ms": 18446744073709551615}"#,
            json!(["body", "latency_ms"]),
        ),
    ];
    for (path, body, loc) in cases {
        let (status, answer) = put_faults(&sb, path, body).await;
        assert_eq!(status, 422, "{path} {body}: {answer}");
        let entry = &answer["detail"][0];
        assert_eq!(&entry["loc"], loc, "{path} {body}: {answer}");
        let field = loc.as_array().unwrap().last().unwrap();
        let field = field
            .as_str()
            .map_or_else(|| field.to_string(), str::to_owned);
        assert!(
            entry["msg"].as_str().unwrap().contains(&field),
            "the message names {field}: {answer}"
        );
        assert!(
            sb.faults().rules.is_empty() && sb.faults().latency_ms == 0,
            "{path} {body} changed the faults"
        );
    }

    // Too many rules.
    let many = json!({"rules": vec![json!({"kind": "error", "count": 1}); 1001]}).to_string();
    let (status, answer) = put_faults(&sb, "/_sandbox/faults", &many).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "rules"]));

    // The bounds themselves are accepted.
    let (status, answer) = put_faults(
        &sb,
        "/_sandbox/faults",
        r#"{"latency_ms": 0, "latency_jitter_ms": 60000, "rules": [{"kind": "latency", "latency_ms": 60000, "count": 1000000}, {"kind": "rate_limit", "retry_after": 3600, "probability": 1}]}"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(sb.faults().rules.len(), 2);
    sb.clear_faults();

    // The other control bodies refuse unknown keys too.
    let (status, answer) = {
        let r = common::raw(
            &sb.url(),
            reqwest::Method::PATCH,
            "/_sandbox/config",
            &[("content-type", "application/json")],
            Some(br#"{"settle_msec": 5}"#.to_vec()),
        )
        .await;
        (r.status, r.body)
    };
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "settle_msec"]));
}
