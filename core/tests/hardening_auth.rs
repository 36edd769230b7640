//! Token revocation under load and the 401 path's races (issue #20, item 2).
//!
//! The load test runs thousands of authenticated calls at high concurrency against the real
//! in-process sandbox while a separate task revokes every issued token five times, at points chosen
//! by how many calls have completed (never by time). No caller may see an error, and the sandbox's
//! own counter must show one token request per revocation plus the first.
//!
//! The scripted tests pin the two interleavings behind the audit's numbers, each on a local server
//! that holds requests until the test releases them, so the order is the test's, not the
//! scheduler's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dollr_core::clock::ManualClock;
use dollr_core::{ApiRequest, Client, ErrorKind, RetryPolicy};
use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};

/// Calls in the load test.
const CALLS: usize = 4000;
/// Calls in flight at once.
const CONCURRENCY: usize = 128;
/// Revocations during the load test.
const REVOCATIONS: usize = 5;

/// Polls `condition` until it holds; fails the test after a generous deadline (a busy machine is
/// slow, not wrong).
async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn stat(sandbox: &Sandbox, name: &str) -> u64 {
    sandbox.stats()[name]
        .as_u64()
        .unwrap_or_else(|| panic!("the sandbox's stats have no counter {name:?}"))
}

/// How far the load test's calls have got. Calls are numbered in the order they start.
#[derive(Default)]
struct Progress {
    started: usize,
    completed: usize,
    in_flight: std::collections::BTreeSet<usize>,
    /// The highest-numbered call that succeeded.
    highest_success: Option<usize>,
}

/// Revokes every token [`REVOCATIONS`] times, evenly spaced by completed calls, and never so close
/// together that one call lives through two: the SDK's promise is one replacement per revocation a
/// call meets (two when the first may predate it), and a call that met two revocations in its own
/// lifetime may rightly surface the second. On a busy machine the revoker can wake late, past two
/// thresholds at once; the second condition below keeps the revocations apart by calls, not by
/// time. Returns, for each revocation, how many tokens it revoked and whether a call started after
/// it succeeded (so that a new token was needed and obtained).
async fn revoke_as_calls_progress(
    sandbox: Sandbox,
    mut progress: watch::Receiver<Progress>,
) -> Vec<(usize, bool)> {
    let mut revoked = Vec::new();
    // Calls numbered below this started before the previous revocation's replacement token was
    // in the cache: they must all have finished before the next revocation.
    let mut finish_first = 0;
    for k in 1..=REVOCATIONS {
        let at = k * CALLS / (REVOCATIONS + 1);
        progress
            .wait_for(|p| {
                p.completed >= at
                    && p.in_flight
                        .first()
                        .map_or(true, |first| *first >= finish_first)
            })
            .await
            .unwrap();
        let tokens = sandbox.revoke_tokens();
        // A call that started after the revocation and succeeded used the replacement token, so
        // from then on every new call starts with it.
        let started_after = progress.borrow().started;
        let followed = |p: &Progress| p.highest_success.is_some_and(|call| call >= started_after);
        let p = progress
            .wait_for(|p| followed(p) || p.completed == CALLS)
            .await
            .unwrap();
        revoked.push((tokens, followed(&p)));
        finish_first = p.started;
        drop(p);
    }
    revoked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revocations_under_concurrent_load_surface_no_error_and_cost_one_token_request_each() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests(50)).await.unwrap();
    let client = Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        // A connection the server closes under this load is retried; quickly, so that a retried
        // call does not straggle and hold back the next revocation (see the revoker).
        .retry_policy(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(5),
        })
        .build()
        .unwrap();

    // The calls' progress, watched by the revoker.
    let (progress, watcher) = watch::channel(Progress::default());
    let progress = Arc::new(progress);
    let revoker = {
        let sandbox = sandbox.clone();
        tokio::spawn(revoke_as_calls_progress(sandbox, watcher))
    };

    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        let progress = progress.clone();
        calls.spawn(async move {
            let mut index = 0;
            progress.send_modify(|p| {
                index = p.started;
                p.started += 1;
                p.in_flight.insert(index);
            });
            let outcome = client.send_value(ApiRequest::get("/v1/fees/tiers")).await;
            drop(permit);
            progress.send_modify(|p| {
                p.completed += 1;
                p.in_flight.remove(&index);
                if outcome.is_ok() {
                    p.highest_success = p.highest_success.max(Some(index));
                }
            });
            outcome
        });
    }
    let mut errors = Vec::new();
    while let Some(joined) = calls.join_next().await {
        if let Err(error) = joined.unwrap() {
            errors.push(error);
        }
    }
    let revoked = revoker.await.unwrap();

    let token_requests = stat(&sandbox, "token_requests");
    let authentication_errors = errors
        .iter()
        .filter(|e| e.kind() == ErrorKind::Authentication)
        .count();
    eprintln!(
        "{CALLS} calls at concurrency {CONCURRENCY}, {REVOCATIONS} revocations (tokens revoked each time: {revoked:?}): \
         {} errors ({authentication_errors} Authentication), {token_requests} token requests",
        errors.len()
    );
    assert_eq!(revoked.len(), REVOCATIONS);
    // Each revocation revokes the token in use — the first, and each after a revocation that
    // calls outlived (which fetched a new one).
    let mut previous_followed = true;
    for (tokens, followed) in &revoked {
        assert!(
            !previous_followed || *tokens >= 1,
            "a revocation revoked no token: {revoked:?}"
        );
        previous_followed = *followed;
    }
    assert!(
        errors.is_empty(),
        "{} calls failed ({authentication_errors} Authentication), first: {:?}",
        errors.len(),
        errors.first()
    );
    let most = u64::try_from(REVOCATIONS + 1).unwrap();
    assert!(
        token_requests <= most,
        "{token_requests} token requests for {REVOCATIONS} revocations: at most one per revocation plus the first"
    );
    // And at least one per revocation after which a newly started call succeeded (it needed a new
    // token): the revocations really took effect. (On a busy machine a straggling call can delay
    // the last revocation until every call has started; it still costs a token request if calls in
    // flight meet it.)
    let needed = revoked.iter().filter(|(_, followed)| *followed).count();
    assert!(needed >= REVOCATIONS - 1, "{revoked:?}");
    assert!(
        token_requests > u64::try_from(needed).unwrap(),
        "{token_requests} token requests, {revoked:?}"
    );
    assert_eq!(stat(&sandbox, "tokens_issued"), token_requests);
}

// ---- scripted interleavings --------------------------------------------------------------------

/// A local API whose token endpoint and `/v1/test/held` can be held until the test opens them.
struct Script {
    token_requests: AtomicUsize,
    /// Requests that reached `/v1/test/held`.
    held_arrivals: AtomicUsize,
    /// Tokens the server refuses.
    revoked: Mutex<Vec<String>>,
    /// `true` lets token requests through.
    token_gate: watch::Sender<bool>,
    /// `true` lets `/v1/test/held` requests through.
    held_gate: watch::Sender<bool>,
}

type Shared = Arc<Script>;

async fn token(State(script): State<Shared>) -> Response {
    let n = script.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    script
        .token_gate
        .subscribe()
        .wait_for(|open| *open)
        .await
        .unwrap();
    Json(json!({"access_token": format!("token-{n}"), "expires_in": 60})).into_response()
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string()
}

fn answer(script: &Script, bearer: String) -> Response {
    if script.revoked.lock().unwrap().contains(&bearer) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"detail": "Could not validate credentials"})),
        )
            .into_response();
    }
    Json(json!({"token": bearer})).into_response()
}

async fn open(State(script): State<Shared>, headers: HeaderMap) -> Response {
    answer(&script, bearer(&headers))
}

async fn held(State(script): State<Shared>, headers: HeaderMap) -> Response {
    // The token is read on arrival: the one the client sent before it was held.
    let bearer = bearer(&headers);
    script.held_arrivals.fetch_add(1, Ordering::SeqCst);
    script
        .held_gate
        .subscribe()
        .wait_for(|open| *open)
        .await
        .unwrap();
    answer(&script, bearer)
}

async fn start_script() -> (Shared, String) {
    let script = Arc::new(Script {
        token_requests: AtomicUsize::new(0),
        held_arrivals: AtomicUsize::new(0),
        revoked: Mutex::new(Vec::new()),
        token_gate: watch::channel(true).0,
        held_gate: watch::channel(false).0,
    });
    let app = Router::new()
        .route("/v1/jwt/client/obtain/token", post(token))
        .route("/v1/test/open", get(open))
        .route("/v1/test/held", get(held))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (script, url)
}

fn scripted_client(url: &str, clock: Arc<ManualClock>) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(url)
        .client_id("merchant-1")
        .client_secret("right-secret")
        .clock(clock)
        .build()
        .unwrap()
}

async fn call(client: &Client, path: &str) -> dollr_core::Result<Value> {
    client.send_value(ApiRequest::get(path)).await
}

/// B's request carries token-1 and is held; meanwhile A is refused token-1, gets token-2 and
/// finishes. When B's refusal of token-1 finally arrives, token-1 is long replaced: B must retry with
/// token-2, not fetch a third token. (The old code read its "generation" only when the 401 arrived,
/// after A's refresh, so it fetched again: 2-3 token requests per revocation.)
#[tokio::test]
async fn a_refusal_of_a_token_already_replaced_reuses_the_replacement_without_a_fetch() {
    let (script, url) = start_script().await;
    let client = scripted_client(&url, Arc::new(ManualClock::new()));
    assert_eq!(
        call(&client, "/v1/test/open").await.unwrap()["token"],
        "token-1"
    );

    let b = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "/v1/test/held").await }
    });
    wait_until("B's request is held", || {
        script.held_arrivals.load(Ordering::SeqCst) == 1
    })
    .await;
    script.revoked.lock().unwrap().push("token-1".into());

    let a = call(&client, "/v1/test/open").await.unwrap();
    assert_eq!(a["token"], "token-2");
    assert_eq!(script.token_requests.load(Ordering::SeqCst), 2);

    script.held_gate.send_replace(true);
    let b = b.await.unwrap().expect("B retries with the replacement");
    assert_eq!(b["token"], "token-2");
    assert_eq!(
        script.token_requests.load(Ordering::SeqCst),
        2,
        "one token request for one revocation"
    );
}

/// A token request is in flight (a proactive refresh) when every token is revoked, and the token it
/// brings back was issued before the revocation: it is dead on arrival. B, refused token-1 by that
/// revocation, takes the new token from the refresh it queued behind — and is refused again, though
/// it did everything right. Because that token's fetch had begun before B's refusal arrived, B gets
/// one more refresh (bounded: one) and succeeds. (The old code surfaced an `Authentication` error.)
#[tokio::test]
async fn a_token_whose_fetch_raced_the_revocation_gets_one_more_refresh() {
    let (script, url) = start_script().await;
    let clock = Arc::new(ManualClock::new());
    let client = scripted_client(&url, clock.clone());
    assert_eq!(
        call(&client, "/v1/test/open").await.unwrap()["token"],
        "token-1"
    );

    // B sends token-1 and is held at the server.
    let b = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "/v1/test/held").await }
    });
    wait_until("B's request is held", || {
        script.held_arrivals.load(Ordering::SeqCst) == 1
    })
    .await;

    // 56 minutes on, the 60-minute token-1 is due for a proactive refresh: A's call starts one,
    // held at the token endpoint.
    script.token_gate.send_replace(false);
    clock.advance(Duration::from_secs(56 * 60));
    let a = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "/v1/test/open").await }
    });
    wait_until("A's token request arrives", || {
        script.token_requests.load(Ordering::SeqCst) == 2
    })
    .await;

    // Revocation while token-2 is being issued: token-2 predates it, so it is revoked too.
    script
        .revoked
        .lock()
        .unwrap()
        .extend(["token-1".to_string(), "token-2".to_string()]);
    // B's refusal of token-1 arrives while token-2's fetch is still in flight…
    script.held_gate.send_replace(true);
    // …and then token-2 is handed out.
    script.token_gate.send_replace(true);

    let a = a
        .await
        .unwrap()
        .expect("A: refused token-2 once, then token-3");
    let b = b
        .await
        .unwrap()
        .expect("B: refused token-1, then the raced token-2, then token-3");
    assert_eq!(a["token"], "token-3");
    assert_eq!(b["token"], "token-3");
    assert_eq!(
        script.token_requests.load(Ordering::SeqCst),
        3,
        "the proactive refresh and one for the revocation"
    );
}
