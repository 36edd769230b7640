//! The sandbox's request body and validation path: its whole axum router driven in process
//! (`tower::ServiceExt::oneshot`, no socket) over fresh state, with a valid token. Input:
//! `<METHOD> /v1/<path>[?query]\n<body>`; a first line that is not such a request picks one of
//! the documented operations (`tests/dollr-api/operations.json`, path parameters set to `1`).
//!
//! Checks, besides "never panics" (a panic in a handler would otherwise be a 500): with no fault
//! configured, no request gets a 5xx, and every answer's body is JSON.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use dollr_fuzz::{abort_with, pick, split_input};
use dollr_sandbox::{in_process_router, SandboxConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::ServiceExt;

/// `(method, path)` of every documented operation, path parameters filled in.
fn documented() -> &'static [(String, String)] {
    static ROUTES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let text = include_str!("../../tests/dollr-api/operations.json");
        let operations: Vec<Value> = match serde_json::from_str(text) {
            Ok(operations) => operations,
            Err(error) => abort_with(error),
        };
        operations
            .iter()
            .filter_map(|op| {
                let method = op["method"].as_str()?.to_string();
                let path = op["path"].as_str()?;
                let filled: Vec<String> = path
                    .split('/')
                    .map(|segment| {
                        if segment.starts_with('{') {
                            "1".to_string()
                        } else {
                            segment.to_string()
                        }
                    })
                    .collect();
                Some((method, filled.join("/")))
            })
            .collect()
    })
}

/// The request line the selector names, or a documented one.
fn request_line(selector: &[u8]) -> (String, String) {
    if let Ok(line) = std::str::from_utf8(selector) {
        if let Some((method, target)) = line.split_once(' ') {
            if matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "PATCH")
                && target.starts_with("/v1/")
            {
                return (method.to_string(), target.to_string());
            }
        }
    }
    let routes = documented();
    routes[pick(selector, routes.len())].clone()
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(infallible) => match infallible {},
    };
    let status = response.status();
    match axum::body::to_bytes(response.into_body(), usize::MAX).await {
        Ok(body) => (status, body.to_vec()),
        Err(error) => panic!("the sandbox's answer body cannot be read: {error}"),
    }
}

async fn token(router: &Router) -> String {
    let body =
        serde_json::json!({"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET});
    let request = Request::post("/v1/jwt/client/obtain/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()));
    let (status, body) = match request {
        Ok(request) => send(router, request).await,
        Err(error) => abort_with(error),
    };
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match answer["access_token"].as_str() {
        Some(token) if status == StatusCode::OK => token.to_string(),
        _ => abort_with(format!("no token from the sandbox: {status}")),
    }
}

/// One router (building it costs more than most requests) and one token per process.
async fn sandbox() -> (Router, String) {
    thread_local! {
        static SANDBOX: std::cell::RefCell<Option<(Router, String)>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(ready) = SANDBOX.with(|cell| cell.borrow().clone()) {
        return ready;
    }
    // A fixed seed: the ids and fault draws an input meets are the same on every run.
    let config = SandboxConfig {
        seed: Some(0x5eed),
        ..SandboxConfig::default()
    };
    let router = in_process_router(&config);
    let token = token(&router).await;
    SANDBOX.with(|cell| *cell.borrow_mut() = Some((router.clone(), token.clone())));
    (router, token)
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => abort_with(error),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let (selector, body) = split_input(data);
    let (method, target) = request_line(selector);
    let Ok(request) = Request::builder()
        .method(method.as_str())
        .uri(target.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
    else {
        return; // not a request line hyper would have let through either
    };
    runtime().block_on(async {
        let (router, token) = sandbox().await;
        // Back to the opening state (data, faults, clock, seeded ids; the token stays), so an
        // input meets the same sandbox however many ran before it.
        let reset = Request::post("/_sandbox/reset").body(Body::empty());
        match reset {
            Ok(reset) => {
                let (status, answer) = send(&router, reset).await;
                if !status.is_success() {
                    abort_with(format!("the sandbox did not reset: {status} {answer:?}"));
                }
            }
            Err(error) => abort_with(error),
        }
        let mut request = request;
        let Ok(bearer) = format!("Bearer {token}").parse() else {
            abort_with("the sandbox's token is not a header value");
        };
        request.headers_mut().insert(header::AUTHORIZATION, bearer);
        let (status, answer) = send(&router, request).await;
        assert!(
            !status.is_server_error(),
            "{method} {target}: {status} {}",
            String::from_utf8_lossy(&answer)
        );
        if !answer.is_empty() {
            assert!(
                serde_json::from_slice::<Value>(&answer).is_ok(),
                "{method} {target}: {status} with a body that is not JSON: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    });
});
