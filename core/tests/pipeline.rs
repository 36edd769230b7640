//! The request pipeline against a scripted local HTTP server: token single-flight and proactive
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! refresh, failure sharing (no retry storms), the 401 refresh-and-retry path, retry classes,
//! `Retry-After`, timeouts and secrets.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dollr_core::clock::ManualClock;
use dollr_core::{ApiRequest, Client, ErrorKind, RequestOptions, RetryPolicy};
use serde_json::{json, Value};

/// What the scripted server does; each queue entry answers one request, then the default applies.
#[derive(Default)]
struct Script {
    token_requests: AtomicUsize,
    protected_requests: AtomicUsize,
    token_status: Mutex<u16>,
    token_expires_minutes: Mutex<i64>,
    issued: AtomicUsize,
    /// Tokens the server refuses (as if revoked).
    revoked: Mutex<Vec<String>>,
    /// Scripted answers for `/v1/test/*`: (status, retry-after, delay).
    answers: Mutex<VecDeque<(u16, Option<&'static str>, Duration)>>,
    user_agents: Mutex<Vec<String>>,
}

type Shared = Arc<Script>;

async fn token(State(script): State<Shared>, Json(body): Json<Value>) -> Response {
    script.token_requests.fetch_add(1, Ordering::SeqCst);
    // Make concurrent requests overlap so single-flight is really exercised.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = *script
        .token_status
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if status != 200 || body["client_secret"] != "right-secret" {
        return (
            StatusCode::from_u16(if status == 200 { 401 } else { status })
                .unwrap_or(StatusCode::UNAUTHORIZED),
            Json(json!({"detail": "Could not validate credentials"})),
        )
            .into_response();
    }
    let n = script.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let minutes = *script
        .token_expires_minutes
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    Json(json!({"access_token": format!("token-{n}"), "expires_in": minutes})).into_response()
}

async fn protected(State(script): State<Shared>, headers: HeaderMap) -> Response {
    script.protected_requests.fetch_add(1, Ordering::SeqCst);
    if let Some(ua) = headers.get("user-agent").and_then(|v| v.to_str().ok()) {
        script
            .user_agents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ua.to_string());
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let Some(bearer) = bearer else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"detail": "Not authenticated"})),
        )
            .into_response();
    };
    if script
        .revoked
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&bearer)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"detail": "Could not validate credentials"})),
        )
            .into_response();
    }
    let next = script
        .answers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_front();
    if let Some((status, retry_after, delay)) = next {
        tokio::time::sleep(delay).await;
        if status != 200 {
            let mut response = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                Json(json!({"detail": "scripted failure"})),
            )
                .into_response();
            if let Some(after) = retry_after {
                if let Ok(value) = after.parse() {
                    response.headers_mut().insert("retry-after", value);
                }
            }
            return response;
        }
    }
    Json(json!({"ok": true, "token": bearer})).into_response()
}

async fn start(script: Shared) -> String {
    let app = Router::new()
        .route("/v1/jwt/client/obtain/token", post(token))
        .route("/v1/test/get", get(protected))
        .route("/v1/test/post", post(protected))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn script() -> Shared {
    let script = Script::default();
    *script.token_status.lock().expect("lock") = 200;
    *script.token_expires_minutes.lock().expect("lock") = 60;
    Arc::new(script)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    }
}

fn client(url: &str, secret: &str) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(url)
        .client_id("merchant-1")
        .client_secret(secret)
        .retry_policy(fast_retries())
        .build()
        .expect("client")
}

#[tokio::test]
async fn many_concurrent_calls_share_one_token_request() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "right-secret");
    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.send_value(ApiRequest::get("/v1/test/get")).await })
    });
    for call in futures::future::join_all(calls).await {
        let value = call.expect("join").expect("call");
        assert_eq!(value["token"], "token-1");
    }
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 50);
}

#[tokio::test]
async fn tokens_are_refreshed_when_under_five_minutes_remain() {
    let script = script();
    let url = start(script.clone()).await;
    let clock = Arc::new(ManualClock::new());
    let client = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("merchant-1")
        .client_secret("right-secret")
        .clock(clock.clone())
        .build()
        .expect("client");
    let first = client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("call");
    assert_eq!(first["token"], "token-1");
    // expires_in is 60 MINUTES: after 54 minutes the token is still good (6 minutes left).
    clock.advance(Duration::from_secs(54 * 60));
    let second = client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("call");
    assert_eq!(second["token"], "token-1");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 1);
    // At 56 minutes fewer than 5 remain: refreshed before use, proactively.
    clock.advance(Duration::from_secs(2 * 60));
    let third = client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("call");
    assert_eq!(third["token"], "token-2");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_credentials_fail_once_for_all_waiters_without_a_storm() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "wrong-secret");
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.send_value(ApiRequest::get("/v1/test/get")).await })
    });
    for call in futures::future::join_all(calls).await {
        let error = call.expect("join").expect_err("must fail");
        assert_eq!(error.kind(), ErrorKind::Authentication);
        assert!(
            error.message().contains("DOLLR_CLIENT_SECRET"),
            "{}",
            error.message()
        );
        assert!(!format!("{error} {error:?}").contains("wrong-secret"));
    }
    // One failing token request shared by everyone waiting, not one each, and no retries of a 401.
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_revoked_token_is_refreshed_once_and_the_call_retried_once() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "right-secret");
    client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("warm up");
    script.revoked.lock().expect("lock").push("token-1".into());
    let value = client
        .send_value(ApiRequest::post("/v1/test/post"))
        .await
        .expect("retried");
    assert_eq!(value["token"], "token-2");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 2);
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 3);

    // If the fresh token is refused too, the error surfaces: exactly one refresh, one retry.
    script.revoked.lock().expect("lock").push("token-2".into());
    script.revoked.lock().expect("lock").push("token-3".into());
    let error = client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Authentication);
    assert_eq!(error.status(), Some(401));
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 3);
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn reads_are_retried_on_5xx_but_creates_are_not() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "right-secret");
    {
        let mut answers = script.answers.lock().expect("lock");
        answers.push_back((503, None, Duration::ZERO));
        answers.push_back((502, None, Duration::ZERO));
    }
    client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("third attempt succeeds");
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 3);

    script
        .answers
        .lock()
        .expect("lock")
        .push_back((500, None, Duration::ZERO));
    let error = client
        .send_value(ApiRequest::post("/v1/test/post"))
        .await
        .expect_err("no retry");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(error.status(), Some(500));
    assert_eq!(
        script.protected_requests.load(Ordering::SeqCst),
        4,
        "a POST that may have been processed is never repeated"
    );

    // Retries are bounded by max_retries, also per call.
    for _ in 0..5 {
        script
            .answers
            .lock()
            .expect("lock")
            .push_back((503, None, Duration::ZERO));
    }
    let error = client
        .with_options(RequestOptions {
            max_retries: Some(1),
            ..Default::default()
        })
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect_err("gives up");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn rate_limits_honour_retry_after_even_for_creates() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "right-secret");
    client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("warm up");
    script
        .answers
        .lock()
        .expect("lock")
        .push_back((429, Some("1"), Duration::ZERO));
    let started = Instant::now();
    client
        .send_value(ApiRequest::post("/v1/test/post"))
        .await
        .expect("after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(script.protected_requests.load(Ordering::SeqCst), 3);

    // With retries off the 429 surfaces with its Retry-After.
    script
        .answers
        .lock()
        .expect("lock")
        .push_back((429, Some("7"), Duration::ZERO));
    let error = client
        .with_options(RequestOptions {
            max_retries: Some(0),
            ..Default::default()
        })
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect_err("rate limited");
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn slow_answers_time_out_and_unreachable_hosts_are_network_errors() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "right-secret");
    client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("warm up");
    script
        .answers
        .lock()
        .expect("lock")
        .push_back((200, None, Duration::from_secs(5)));
    let error = client
        .with_options(RequestOptions {
            timeout: Some(Duration::from_millis(200)),
            max_retries: Some(0),
        })
        .send_value(ApiRequest::post("/v1/test/post"))
        .await
        .expect_err("timeout");
    assert_eq!(error.kind(), ErrorKind::Timeout);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let error = client_for(&closed)
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Network);
}

#[tokio::test]
async fn the_configured_timeout_applies_to_every_request_and_options_override_it() {
    let script = script();
    let url = start(script.clone()).await;
    // A token from a provider: the token endpoint (which answers after 50 ms, to exercise
    // single-flight) would be one more request under the 200 ms timeout, and a stalled test
    // could time it out before anything this test is about.
    let client = Client::builder()
        .ignore_env()
        .base_url(&url)
        .token_provider(Arc::new(FixedToken))
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    // The warm-up (a connection to reuse) is no part of what is tested: a timeout a stall
    // cannot reach.
    client
        .with_options(RequestOptions {
            timeout: Some(Duration::from_secs(60)),
            max_retries: None,
        })
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("warm up");
    let answer_after = |delay: Duration| {
        script
            .answers
            .lock()
            .expect("lock")
            .push_back((200, None, delay));
    };

    // No override: the client's configured timeout.
    answer_after(Duration::from_secs(5));
    let error = client
        .send_value(ApiRequest::post("/v1/test/post"))
        .await
        .expect_err("timeout");
    assert_eq!(error.kind(), ErrorKind::Timeout);

    // A longer override wins over the configured timeout.
    answer_after(Duration::from_millis(600));
    client
        .with_options(RequestOptions {
            timeout: Some(Duration::from_secs(5)),
            max_retries: Some(0),
        })
        .send_value(ApiRequest::post("/v1/test/post"))
        .await
        .expect("the override allows a slower answer");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 0);
}

/// A host-supplied token the scripted server accepts (it refuses only revoked ones).
struct FixedToken;

#[async_trait::async_trait]
impl dollr_core::auth::AccessTokenProvider for FixedToken {
    async fn access_token(
        &self,
        _force_refresh: bool,
    ) -> dollr_core::Result<dollr_core::auth::AccessToken> {
        Ok(dollr_core::auth::AccessToken {
            token: dollr_core::Secret::new("provided-token"),
            expires_in: None,
        })
    }
}

fn client_for(url: &str) -> Client {
    client(url, "right-secret")
}

#[tokio::test]
async fn requests_carry_a_telemetry_user_agent_and_secrets_stay_hidden() {
    let script = script();
    let url = start(script.clone()).await;
    let client = Client::builder()
        .ignore_env()
        .base_url(&url)
        .client_id("merchant-1")
        .client_secret("right-secret")
        .sdk_language("python")
        .build()
        .expect("client");
    client
        .send_value(ApiRequest::get("/v1/test/get"))
        .await
        .expect("call");
    let agents = script.user_agents.lock().expect("lock").clone();
    assert!(agents[0].starts_with("dollr-python/0.1.0"), "{}", agents[0]);
    let debug = format!("{client:?}");
    assert!(!debug.contains("right-secret"), "{debug}");
    assert!(debug.contains("merchant-1"));
}

#[tokio::test]
async fn the_token_operation_is_callable_directly() {
    let script = script();
    let url = start(script.clone()).await;
    let client = client(&url, "right-secret");
    let token = client.obtain_token().await.expect("token");
    assert_eq!(token.access_token.expose(), "token-1");
    assert_eq!(token.expires_in, 60);
    assert!(!format!("{token:?}").contains("token-1"));
}
