//! A scripted in-process Dollr API behind the core's `Transport` trait, for the exactly-once tests:
//! it keeps executions by reference id, can fail an execution POST before or AFTER committing it
//! (dropping the answer), and can fail status lookups, while logging every request it saw.
//!
//! Helpers unwrap freely: a panic here is a test failure with a message.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dollr_core::transport::{
    HeaderMap, HeaderValue, HttpRequest, HttpResponse, Method, Transport, TransportError,
};
use dollr_core::{Client, ExecutePolicy, JournalConfig, RetryPolicy};
use serde_json::{json, Value};

/// What to do with one execution POST (consumed in order; none left → normal processing).
#[derive(Clone, Debug)]
pub enum PostFault {
    /// Commit the execution, then break the connection (the answer is lost).
    LoseResponseAfterCommit,
    /// Commit the execution, then time out.
    TimeoutAfterCommit,
    /// Commit the execution, then answer 500.
    ServerErrorAfterCommit,
    /// Answer 5xx without processing.
    ServerErrorBeforeProcessing(u16),
    /// Answer 429 with this `Retry-After` without processing.
    RateLimited(&'static str),
    /// Answer this 4xx with this body without processing.
    Refuse(u16, Value),
}

/// What to do with one status GET (consumed in order).
#[derive(Clone, Debug)]
pub enum StatusFault {
    /// 500.
    ServerError,
    /// 429 with `Retry-After`.
    RateLimited(&'static str),
    /// A broken connection.
    Broken,
    /// 404 even if the execution exists.
    NotFound,
    /// This 4xx.
    Refuse(u16),
}

/// One execution as the fake API holds it.
#[derive(Clone, Debug)]
pub struct FakeExecution {
    pub operation: String,
    /// Statuses it goes through: the POST answers the first, each status GET the next one
    /// (sticking at the last).
    pub script: Vec<String>,
    pub position: usize,
    /// When set, status GETs return this instead of following the script.
    pub hold: Option<String>,
}

/// A request the fake saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

#[derive(Default)]
pub struct FakeState {
    pub executions: HashMap<String, FakeExecution>,
    pub post_faults: VecDeque<PostFault>,
    pub status_faults: VecDeque<StatusFault>,
    /// Applied to every status GET once `status_faults` is empty (e.g. "status is down").
    pub status_fault_always: Option<StatusFault>,
    /// Applied to every execution POST once `post_faults` is empty.
    pub post_fault_always: Option<PostFault>,
    /// The statuses a new execution goes through.
    pub new_script: Vec<String>,
    pub seen: Vec<Seen>,
}

/// The fake API (cheap to share).
#[derive(Clone)]
pub struct FakeApi {
    pub state: Arc<Mutex<FakeState>>,
}

pub const BASE_URL: &str = "http://127.0.0.1:9";

fn response(status: u16, body: Value) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    HttpResponse {
        status,
        headers,
        body: serde_json::to_vec(&body).unwrap().into(),
    }
}

pub fn execution_json(reference_id: &str, operation: &str, status: &str) -> Value {
    json!({
        "reference_id": reference_id,
        "status": status,
        "payer_amount": 10.5,
        "payer_currency": "USD",
        "payee_currency": "LRD",
        "payee_amount": 1995.75,
        "operation_type": operation,
        "provider_transaction_id": null,
        "gateway_message": null,
        "wallet_message": null,
        "client_secret": "pi_123_secret_456",
        "requires_action": false
    })
}

impl FakeApi {
    pub fn new() -> FakeApi {
        let state = FakeState {
            new_script: vec!["PENDING".into(), "PROCESSING".into(), "COMPLETED".into()],
            ..FakeState::default()
        };
        FakeApi {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn push_post_fault(&self, fault: PostFault) {
        self.with(|s| s.post_faults.push_back(fault));
    }

    pub fn push_status_fault(&self, fault: StatusFault) {
        self.with(|s| s.status_faults.push_back(fault));
    }

    pub fn set_new_script(&self, script: &[&str]) {
        self.with(|s| s.new_script = script.iter().map(|x| x.to_string()).collect());
    }

    /// Puts an execution on the "server" directly (as if another process had created it).
    pub fn insert_execution(&self, reference_id: &str, operation: &str, script: &[&str]) {
        self.with(|s| {
            s.executions.insert(
                reference_id.to_string(),
                FakeExecution {
                    operation: operation.to_string(),
                    script: script.iter().map(|x| x.to_string()).collect(),
                    position: 0,
                    hold: None,
                },
            )
        });
    }

    /// Pins the status GETs of `reference_id` to `status`.
    pub fn hold(&self, reference_id: &str, status: &str) {
        self.with(|s| {
            if let Some(e) = s.executions.get_mut(reference_id) {
                e.hold = Some(status.to_string());
            }
        });
    }

    /// Every request except the token's.
    pub fn api_requests(&self) -> Vec<Seen> {
        self.with(|s| {
            s.seen
                .iter()
                .filter(|r| !r.path.contains("/jwt/"))
                .cloned()
                .collect()
        })
    }

    /// Every request, the token's included.
    pub fn all_requests(&self) -> usize {
        self.with(|s| s.seen.len())
    }

    /// The bodies of every execution POST.
    pub fn execution_posts(&self) -> Vec<Value> {
        self.api_requests()
            .into_iter()
            .filter(|r| r.method == Method::Post && r.path.starts_with("/v1/executions/"))
            .filter_map(|r| r.body)
            .collect()
    }

    /// How many status GETs were made.
    pub fn status_gets(&self) -> usize {
        self.api_requests()
            .into_iter()
            .filter(|r| r.method == Method::Get && r.path.starts_with("/v1/status/"))
            .count()
    }

    /// How many executions the fake holds for `reference_id` (0 or 1) — the server-side truth.
    pub fn committed(&self, reference_id: &str) -> bool {
        self.with(|s| s.executions.contains_key(reference_id))
    }

    fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let path = request
            .url
            .strip_prefix(BASE_URL)
            .unwrap_or(&request.url)
            .to_string();
        let body: Option<Value> = request
            .body
            .as_ref()
            .map(|b| serde_json::from_slice(b).unwrap());
        let mut state = self.state.lock().unwrap();
        state.seen.push(Seen {
            method: request.method,
            path: path.clone(),
            body: body.clone(),
        });
        if path == "/v1/jwt/client/obtain/token" {
            return Ok(response(
                200,
                json!({"access_token": "test-token", "expires_in": 60}),
            ));
        }
        if request.method == Method::Post {
            if let Some(operation) = path.strip_prefix("/v1/executions/") {
                let operation = operation.to_ascii_uppercase();
                let body = body.unwrap_or(Value::Null);
                let reference_id = body["reference_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let fault = state
                    .post_faults
                    .pop_front()
                    .or_else(|| state.post_fault_always.clone());
                match fault {
                    Some(PostFault::ServerErrorBeforeProcessing(code)) => {
                        return Ok(response(code, json!({"detail": "upstream unavailable"})))
                    }
                    Some(PostFault::RateLimited(after)) => {
                        let mut r = response(429, json!({"detail": "Too Many Requests"}));
                        r.headers
                            .insert("retry-after", HeaderValue::from_static(after));
                        return Ok(r);
                    }
                    Some(PostFault::Refuse(code, body)) => return Ok(response(code, body)),
                    _ => {}
                }
                if state.executions.contains_key(&reference_id) {
                    return Ok(response(
                        422,
                        json!({"detail": [{"loc": ["body", "reference_id"], "msg": "duplicate reference_id", "type": "value_error"}]}),
                    ));
                }
                let script = state.new_script.clone();
                let first = script.first().cloned().unwrap_or_else(|| "PENDING".into());
                state.executions.insert(
                    reference_id.clone(),
                    FakeExecution {
                        operation: operation.clone(),
                        script,
                        position: 1,
                        hold: None,
                    },
                );
                return match fault {
                    Some(PostFault::LoseResponseAfterCommit) => {
                        Err(TransportError::Broken("connection reset by peer".into()))
                    }
                    Some(PostFault::TimeoutAfterCommit) => Err(TransportError::Timeout),
                    Some(PostFault::ServerErrorAfterCommit) => {
                        Ok(response(500, json!({"detail": "Internal Server Error"})))
                    }
                    _ => Ok(response(
                        200,
                        execution_json(&reference_id, &operation, &first),
                    )),
                };
            }
        }
        if request.method == Method::Get {
            if let Some(rest) = path.strip_prefix("/v1/status/") {
                let (operation, reference_id) = rest.split_once('/').unwrap();
                let operation = operation.to_ascii_uppercase();
                let fault = state
                    .status_faults
                    .pop_front()
                    .or_else(|| state.status_fault_always.clone());
                match fault {
                    Some(StatusFault::ServerError) => {
                        return Ok(response(500, json!({"detail": "boom"})))
                    }
                    Some(StatusFault::RateLimited(after)) => {
                        let mut r = response(429, json!({"detail": "Too Many Requests"}));
                        r.headers
                            .insert("retry-after", HeaderValue::from_static(after));
                        return Ok(r);
                    }
                    Some(StatusFault::Broken) => {
                        return Err(TransportError::Broken("reset".into()))
                    }
                    Some(StatusFault::NotFound) => {
                        return Ok(response(404, json!({"detail": "Not Found"})))
                    }
                    Some(StatusFault::Refuse(code)) => {
                        return Ok(response(code, json!({"detail": "refused"})))
                    }
                    None => {}
                }
                let Some(execution) = state.executions.get_mut(reference_id) else {
                    return Ok(response(404, json!({"detail": "Not Found"})));
                };
                if execution.operation != operation {
                    return Ok(response(404, json!({"detail": "Not Found"})));
                }
                let status = match &execution.hold {
                    Some(status) => status.clone(),
                    None => {
                        let index = execution
                            .position
                            .min(execution.script.len().saturating_sub(1));
                        execution.position += 1;
                        execution.script[index].clone()
                    }
                };
                return Ok(response(
                    200,
                    execution_json(reference_id, &operation, &status),
                ));
            }
        }
        Ok(response(404, json!({"detail": "Not Found"})))
    }
}

#[async_trait]
impl Transport for FakeApi {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // Yield so that concurrent callers really interleave.
        tokio::task::yield_now().await;
        self.handle(&request)
    }
}

/// A client on the fake API with fast retries.
pub fn client(fake: &FakeApi, journal: JournalConfig) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(BASE_URL)
        .client_id("test-client")
        .client_secret("test-secret")
        .retry_policy(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(2),
        })
        .transport(Arc::new(fake.clone()))
        .journal(journal)
        .build()
        .unwrap()
}

/// An execute policy with millisecond backoffs.
pub fn fast_policy() -> ExecutePolicy {
    ExecutePolicy {
        max_attempts: 3,
        max_status_checks: 5,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A fresh temporary directory (removed on drop).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("dollr-{tag}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
