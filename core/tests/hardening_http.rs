//! What core does with hostile or broken answers (issue #20, items 3 and 13, and the body bound):
//! redirects are never followed — the client secret and the bearer token never leave the API's
//! origin — bodies are read up to a bound, and secrets echoed in error pages never reach an error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dollr_core::{ApiRequest, Client, Error, ErrorKind};
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const SECRET: &str = "right-secret-4242";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZXJjaGFudCJ9.c2lnbmF0dXJl";
const PASSCODE: &str = "908172";

async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

fn client(url: &str) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(url)
        .client_id("merchant-1")
        .client_secret(SECRET)
        .max_retries(2)
        .build()
        .unwrap()
}

fn token_answer() -> Response {
    Json(json!({"access_token": TOKEN, "expires_in": 60})).into_response()
}

/// Everything an error shows, in every form a caller or a log could print it.
fn everything_shown(error: &Error) -> String {
    format!(
        "{error} | {error:?} | {} | {:?} | {}",
        error.message(),
        error.details(),
        error.body().unwrap_or_default()
    )
}

// ---- redirects ---------------------------------------------------------------------------------

/// A listener that records every connection and every byte it receives.
struct Witness {
    addr: std::net::SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
    /// Connections the test itself made.
    sentinels: AtomicUsize,
}

async fn witness() -> Witness {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn({
        let connections = connections.clone();
        let received = received.clone();
        async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let received = received.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        received.lock().unwrap().extend_from_slice(&buffer[..n]);
                    }
                });
            }
        }
    });
    Witness {
        addr,
        connections,
        received,
        sentinels: AtomicUsize::new(0),
    }
}

impl Witness {
    /// How many connections not made by the test arrived before this call. A sentinel connection
    /// is made and waited for: connections are accepted in order, so any earlier one has been
    /// counted by then.
    async fn connections_so_far(&self) -> usize {
        let sentinels = self.sentinels.fetch_add(1, Ordering::SeqCst) + 1;
        let before = self.connections.load(Ordering::SeqCst);
        let _sentinel = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.connections.load(Ordering::SeqCst) == before {
            assert!(Instant::now() < deadline, "the witness never accepted");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.connections.load(Ordering::SeqCst) - sentinels
    }
}

#[derive(Clone)]
struct Redirecting {
    status: StatusCode,
    location: String,
    /// Redirect the token request too (else it answers a token).
    token_too: bool,
}

fn redirect(script: &Redirecting) -> Response {
    (
        script.status,
        [(header::LOCATION, script.location.clone())],
        "moved",
    )
        .into_response()
}

async fn redirecting_token(State(script): State<Redirecting>) -> Response {
    if script.token_too {
        redirect(&script)
    } else {
        token_answer()
    }
}

async fn redirecting_api(State(script): State<Redirecting>) -> Response {
    redirect(&script)
}

#[tokio::test]
async fn redirects_to_another_origin_are_never_followed_with_the_secret_or_the_token() {
    let witness = witness().await;
    for status in [301u16, 302, 303, 307, 308] {
        for token_too in [true, false] {
            let script = Redirecting {
                status: StatusCode::from_u16(status).unwrap(),
                location: format!("http://{}/v1/stolen?from={status}", witness.addr),
                token_too,
            };
            let url = serve(
                Router::new()
                    .route("/v1/jwt/client/obtain/token", post(redirecting_token))
                    .route("/v1/test/get", get(redirecting_api))
                    .route("/v1/test/post", post(redirecting_api))
                    .with_state(script),
            )
            .await;
            let client = client(&url);
            let requests = [
                ApiRequest::get("/v1/test/get"),
                ApiRequest::post("/v1/test/post")
                    .json(&json!({"passcode": {"token": {"code": PASSCODE}}}))
                    .unwrap(),
            ];
            for request in requests {
                let error = client.send_value(request).await.unwrap_err();
                let shown = everything_shown(&error);
                assert_eq!(
                    error.kind(),
                    ErrorKind::Network,
                    "{status}: {shown}; the other origin received: {:?}",
                    String::from_utf8_lossy(&witness.received.lock().unwrap())
                );
                assert_eq!(error.status(), Some(status), "{shown}");
                assert!(
                    error.message().contains(&format!("HTTP {status}")),
                    "{shown}"
                );
                assert!(
                    error
                        .message()
                        .contains(&format!("http://{}", witness.addr)),
                    "the message names the target's origin: {shown}"
                );
                assert!(
                    !error.message().contains("/v1/stolen"),
                    "but not its path: {shown}"
                );
                for secret in [SECRET, TOKEN, PASSCODE] {
                    assert!(!shown.contains(secret), "{status}: {secret} in {shown}");
                }
            }
            let received = String::from_utf8_lossy(&witness.received.lock().unwrap()).into_owned();
            assert_eq!(
                witness.connections_so_far().await,
                0,
                "{status} (token request redirected: {token_too}) reached the other origin: {received:?}"
            );
        }
    }
    assert!(witness.received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_refused_too_and_not_retried() {
    let hits = Arc::new(AtomicUsize::new(0));
    let url = serve(
        Router::new()
            .route(
                "/v1/jwt/client/obtain/token",
                post(|| async { token_answer() }),
            )
            .route(
                "/v1/test/get",
                get(|State(hits): State<Arc<AtomicUsize>>| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(header::LOCATION, "/v1/test/elsewhere")],
                    )
                }),
            )
            .with_state(hits.clone()),
    )
    .await;
    let error = client(&url)
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(error.message().contains("(the same origin)"), "{error}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a redirect is not retried");
}

// ---- bounded bodies ----------------------------------------------------------------------------

/// An endless body of JSON whitespace, 64 KiB at a time, without a Content-Length.
fn endless_body() -> Response {
    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    let stream = futures::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
    Response::new(Body::from_stream(stream))
}

/// Announces a gigabyte, sends a few bytes, then never finishes.
fn announced_gigabyte() -> Response {
    let stream = futures::stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b"[1,2")) })
        .chain(futures::stream::pending());
    let mut response = Response::new(Body::from_stream(stream));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, (1u64 << 30).into());
    response
}

use futures::StreamExt;

#[tokio::test]
async fn an_endless_body_is_a_decode_error_at_the_default_limit() {
    let url = serve(
        Router::new()
            .route(
                "/v1/jwt/client/obtain/token",
                post(|| async { token_answer() }),
            )
            .route("/v1/test/endless", get(|| async { endless_body() })),
    )
    .await;
    let error = client(&url)
        .send_value(ApiRequest::get("/v1/test/endless"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert!(
        error
            .message()
            .contains(&dollr_core::config::DEFAULT_MAX_RESPONSE_BODY.to_string()),
        "{error}"
    );
}

#[tokio::test]
async fn an_announced_length_over_the_limit_is_refused_before_reading() {
    let url = serve(
        Router::new()
            .route(
                "/v1/jwt/client/obtain/token",
                post(|| async { token_answer() }),
            )
            .route("/v1/test/huge", get(|| async { announced_gigabyte() })),
    )
    .await;
    // The body never completes: only an early refusal ends this call before its timeout.
    let client = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("merchant-1")
        .client_secret(SECRET)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .send_value(ApiRequest::get("/v1/test/huge"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert!(started.elapsed() < Duration::from_secs(100));
}

#[tokio::test]
async fn the_limit_is_configurable_and_applies_to_chunked_and_announced_bodies() {
    let url = serve(
        Router::new()
            .route(
                "/v1/jwt/client/obtain/token",
                post(|| async { token_answer() }),
            )
            .route(
                "/v1/test/announced",
                get(|| async { Json(json!({"pad": "x".repeat(2000)})) }),
            )
            .route(
                "/v1/test/chunked",
                get(|| async {
                    let parts = [
                        "{\"pad\":\"",
                        &"x".repeat(1500),
                        "\",\"more\":\"",
                        &"y".repeat(1500),
                        "\"}",
                    ]
                    .map(|part| Ok::<_, Infallible>(Bytes::from(part.to_string())));
                    Response::new(Body::from_stream(futures::stream::iter(parts)))
                }),
            )
            .route(
                "/v1/test/small",
                get(|| async { Json(json!({"ok": true})) }),
            ),
    )
    .await;
    let client = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("merchant-1")
        .client_secret(SECRET)
        .max_response_body(1024)
        .build()
        .unwrap();
    assert_eq!(client.config().max_response_body, 1024);
    let small = client
        .send_value(ApiRequest::get("/v1/test/small"))
        .await
        .unwrap();
    assert_eq!(small["ok"], true);
    for path in ["/v1/test/announced", "/v1/test/chunked"] {
        let error = client.send_value(ApiRequest::get(path)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode, "{path}: {error}");
        assert!(error.message().contains("1024 bytes"), "{error}");
    }

    let refused = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("merchant-1")
        .client_secret(SECRET)
        .max_response_body(0)
        .build()
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Validation);
    assert_eq!(refused.details()[0].field(), "max_response_body");
}

// ---- secrets echoed in error bodies ------------------------------------------------------------

async fn echo_page(headers: HeaderMap, body: Bytes) -> Response {
    // An HTML error page from a proxy or a debug server that echoes what it was sent.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>\
         <pre>Authorization: {authorization}\nrequest body: {}\nclient_secret={SECRET}&retry=1\n\
         passcode {PASSCODE} token {TOKEN}</pre></body></html>",
        String::from_utf8_lossy(&body)
    );
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        page,
    )
        .into_response()
}

async fn echo_json(body: Bytes) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "detail": [{
                "loc": ["body", "passcode", "token", "code"],
                "msg": format!("passcode {PASSCODE} is wrong for secret {SECRET}, token {TOKEN}"),
                "type": "value_error",
                "input": String::from_utf8_lossy(&body),
            }]
        })),
    )
        .into_response()
}

async fn echo_plain_token(body: Bytes) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain")],
        format!("upstream refused: {}", String::from_utf8_lossy(&body)),
    )
        .into_response()
}

/// A 200 whose body is not JSON (a misconfigured proxy's page echoing the request) is a decode
/// error that keeps the body for debugging: scrubbed of the request's secrets like any error body.
#[tokio::test]
async fn secrets_echoed_in_an_undecodable_success_body_never_reach_the_error() {
    async fn echo_ok(headers: HeaderMap, body: Bytes) -> Response {
        let page = echo_page(headers, body).await;
        let (_, body) = page.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], bytes).into_response()
    }
    let url = serve(
        Router::new()
            .route(
                "/v1/jwt/client/obtain/token",
                post(|| async { token_answer() }),
            )
            .route("/v1/test/ok-page", post(echo_ok)),
    )
    .await;
    let passcode_body = json!({"passcode": {"token": {"code": PASSCODE}, "phone": "231771234567"}});
    let error = client(&url)
        .send_value(
            ApiRequest::post("/v1/test/ok-page")
                .json(&passcode_body)
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    let shown = everything_shown(&error);
    for secret in [SECRET, TOKEN, PASSCODE] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("231771234567"), "{shown}");
}

#[tokio::test]
async fn secrets_echoed_in_html_text_or_json_error_bodies_never_reach_the_error() {
    let url = serve(
        Router::new()
            .route(
                "/v1/jwt/client/obtain/token",
                post(|| async { token_answer() }),
            )
            .route("/v1/test/html", post(echo_page))
            .route("/v1/test/json", post(echo_json)),
    )
    .await;
    let client = client(&url);
    let passcode_body = json!({"passcode": {"token": {"code": PASSCODE}, "phone": "231771234567"}});
    for path in ["/v1/test/html", "/v1/test/json"] {
        let error = client
            .send_value(ApiRequest::post(path).json(&passcode_body).unwrap())
            .await
            .unwrap_err();
        let shown = everything_shown(&error);
        for secret in [SECRET, TOKEN, PASSCODE] {
            assert!(!shown.contains(secret), "{path}: {secret} in {shown}");
        }
        // What is not secret stays, for debugging.
        assert!(shown.contains("231771234567"), "{path}: {shown}");
    }

    // The token request's own secret, echoed in plain text by a failing token endpoint.
    let url =
        serve(Router::new().route("/v1/jwt/client/obtain/token", post(echo_plain_token))).await;
    let error = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("merchant-1")
        .client_secret(SECRET)
        .max_retries(0)
        .build()
        .unwrap()
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Server);
    let shown = everything_shown(&error);
    assert!(shown.contains("merchant-1"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}
