//! What the fuzz targets share: a core client whose transport never opens a socket, a
//! current-thread runtime in paused time, and the inputs' common shape (`<selector>\n<payload>`).
//!
//! Inputs are text-like so the seed corpora (written by `fuzz/seeds.py` from the documented
//! examples) stay readable: the first line picks what to exercise (a model, an operation, a
//! route) by name, the rest is the payload. A first line that names nothing known still picks
//! something (by a hash of it), so every mutation of an input exercises some code.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use dollr_core::auth::{AccessToken, AccessTokenProvider};
use dollr_core::transport::{
    Bytes, HeaderMap, HeaderValue, HttpRequest, HttpResponse, Transport, TransportError,
};
use dollr_core::{Client, Result, Secret};

/// The bearer token of the offline client. An answer that echoes it must never show it in an
/// error (the core redacts what it sent).
pub const FUZZ_TOKEN: &str = "fuzz-bearer-token-0123456789abcdef";

/// Splits `<selector>\n<payload>`; an input without a newline is all selector, no payload.
pub fn split_input(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// An index below `count` picked by a hash of `selector`.
pub fn pick(selector: &[u8], count: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    selector.hash(&mut hasher);
    (hasher.finish() % count.max(1) as u64) as usize
}

/// The index of `selector` in `names` when it is one of them, else [`pick`].
pub fn select(selector: &[u8], names: &[&str]) -> usize {
    names
        .iter()
        .position(|name| name.as_bytes() == selector)
        .unwrap_or_else(|| pick(selector, names.len()))
}

/// A current-thread runtime whose clock is paused: sleeps (retry backoff, a wait's polling) end
/// as soon as nothing else can run, so no input waits in real time.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
    {
        Ok(runtime) => runtime,
        // A fuzz target cannot run without it; libFuzzer reports the abort.
        Err(error) => abort_with(error),
    }
}

/// Prints why the target cannot run and aborts (libFuzzer reports an abort as a crash).
pub fn abort_with(error: impl std::fmt::Display) -> ! {
    eprintln!("fuzz setup failed: {error}");
    std::process::abort()
}

/// The answer the offline transport gives, and what it was asked.
#[derive(Default)]
struct Script {
    answer: Option<HttpResponse>,
    requests: usize,
}

/// A [`Transport`] that answers every request with one stored response and never touches the
/// network (there is no socket anywhere in it).
#[derive(Clone, Default)]
pub struct FixedTransport {
    script: Arc<Mutex<Script>>,
}

impl FixedTransport {
    /// Answers every following request with `status` and `body` (`content-type: application/json`).
    pub fn answer(&self, status: u16, body: impl Into<Bytes>) {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-request-id", HeaderValue::from_static("fuzz-request"));
        self.lock().answer = Some(HttpResponse {
            status,
            headers,
            body: body.into(),
        });
    }

    /// How many requests reached the transport so far.
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Transport for FixedTransport {
    async fn send(
        &self,
        _request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        let mut script = self.lock();
        script.requests += 1;
        script
            .answer
            .clone()
            .ok_or_else(|| TransportError::Connect("the fuzz transport has no answer".into()))
    }
}

/// Hands out [`FUZZ_TOKEN`], so no token request is ever made.
struct FixedToken;

#[async_trait]
impl AccessTokenProvider for FixedToken {
    async fn access_token(&self, _force_refresh: bool) -> Result<AccessToken> {
        Ok(AccessToken {
            token: Secret::new(FUZZ_TOKEN),
            expires_in: None,
        })
    }
}

/// A client on [`FixedTransport`]: in-memory journal, no retries (a 5xx answer ends a call at
/// once), no environment read (no Supabase project, so no realtime socket either).
pub fn offline_client() -> (Client, FixedTransport) {
    let transport = FixedTransport::default();
    let built = Client::builder()
        .ignore_env()
        .base_url("https://api.fuzz.invalid")
        .token_provider(Arc::new(FixedToken))
        .transport(Arc::new(transport.clone()))
        .max_retries(0)
        .timeout(Duration::from_secs(5))
        .build();
    match built {
        Ok(client) => (client, transport),
        Err(error) => abort_with(error),
    }
}
