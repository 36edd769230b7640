//! The [`Client`] and its request pipeline: auth header, timeout, retries for what is safe to
//! repeat, one token replacement and retry after a 401 (a second only when the replacement may
//! predate the revocation), no redirects, bounded bodies, error mapping with secrets scrubbed.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::runtime::Instant;

use async_trait::async_trait;
#[cfg(not(target_arch = "wasm32"))]
use futures::future::Either;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::auth::{
    token_error, AccessToken, Bearer, Lease, ObtainTokenRequest, ObtainTokenResponse, TokenCache,
    TokenFetcher,
};
use crate::clock::{Clock, SystemClock};
use crate::config::{ClientBuilder, Config, Credentials, RequestOptions};
use crate::error::{Error, ErrorKind, Result, ValidationDetail};
use crate::journal::Journal;
use crate::rate::RateGate;
use crate::redact::{redact_sent_body, SentSecrets};
use crate::secret::Secret;
use crate::transport::{
    Bytes, DefaultTransport, HeaderMap, HeaderValue, HttpRequest, HttpResponse, Method, Transport,
    TransportError,
};

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/v1/jwt/client/obtain/token";

/// Which failures a request may be retried after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// Safe to repeat (reads, the token, idempotent PUT/DELETE): retry on 429, 5xx, network, timeout.
    Idempotent,
    /// Not safe to repeat (creates): retry only when the API cannot have processed it
    /// (connection refused, 429).
    NotProcessedOnly,
    /// Never retried here (executions: the `execute` module resolves ambiguity by status).
    Never,
}

/// One API call, before auth and transport.
#[derive(Clone)]
pub struct ApiRequest {
    /// Method.
    pub method: Method,
    /// Path from the base URL, starting with `/v1/`.
    pub path: String,
    /// Query parameters (already in wire form).
    pub query: Vec<(String, String)>,
    /// JSON body. `Bytes`, so that each attempt shares it instead of copying it.
    pub body: Option<Bytes>,
    /// Whether to send the bearer token.
    pub auth: bool,
    /// Retry behaviour.
    pub retry: RetryClass,
}

/// Shows the body's size, not its content: the token request's body holds the client secret.
impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ApiRequest {
    fn new(method: Method, path: impl Into<String>, retry: RetryClass) -> Self {
        ApiRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            auth: true,
            retry,
        }
    }
    /// A GET (idempotent).
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::Get, path, RetryClass::Idempotent)
    }
    /// A POST (retried only when certainly not processed).
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::Post, path, RetryClass::NotProcessedOnly)
    }
    /// A PUT (idempotent).
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::Put, path, RetryClass::Idempotent)
    }
    /// A DELETE (idempotent).
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::Delete, path, RetryClass::Idempotent)
    }
    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl Display) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }
    /// Adds a query parameter when present.
    pub fn query_opt<V: Display>(self, name: &str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }
    /// Sets the JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::internal(format!("could not encode the request body: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
    /// Overrides the retry class.
    pub fn retry(mut self, retry: RetryClass) -> Self {
        self.retry = retry;
        self
    }
    /// Sends no bearer token.
    pub fn without_auth(mut self) -> Self {
        self.auth = false;
        self
    }
}

/// Percent-encodes one path segment (ids and document numbers from callers).
pub fn path_segment(value: impl Display) -> String {
    let text = value.to_string();
    // Ids and numbers usually need no escaping: keep the string as it is.
    if text.bytes().all(is_unreserved) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_encoded(&mut out, &text);
    out
}

fn is_unreserved(byte: u8) -> bool {
    matches!(byte, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~')
}

/// Appends `text` percent-encoded (everything but the unreserved characters) to `out`.
fn push_encoded(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
}

/// The absolute URL of `request`: base, path, and the query in wire form, in one allocation.
fn request_url(base_url: &str, request: &ApiRequest) -> String {
    let query_len: usize = request
        .query
        .iter()
        .map(|(name, value)| name.len() + value.len() + 2)
        .sum();
    let mut url = String::with_capacity(base_url.len() + request.path.len() + query_len);
    url.push_str(base_url);
    url.push_str(&request.path);
    for (index, (name, value)) in request.query.iter().enumerate() {
        url.push(if index == 0 { '?' } else { '&' });
        push_encoded(&mut url, name);
        url.push('=');
        push_encoded(&mut url, value);
    }
    url
}

/// The headers of one attempt: static names and values, and the token's prebuilt value (shared,
/// not copied). `user-agent` is the transport's (set once on its client).
fn request_headers(has_body: bool, bearer: Option<&Bearer>) -> HeaderMap {
    // Room for ours and the transport's `user-agent` without growing the map (a capacity of 4
    // holds up to 6 headers; 3 would hold exactly 3).
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if has_body {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if let Some(bearer) = bearer {
        headers.insert(AUTHORIZATION, bearer.header_value().clone());
    }
    headers
}

/// `METHOD /path`, for logs and error messages: formatted only when one is written, not on every
/// request.
struct What<'a>(&'a ApiRequest);

impl Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.method.as_str(), self.0.path)
    }
}

/// How the pipeline reaches a transport: the default one directly (its future inline in the
/// pipeline's, no allocation per request), any other through the trait (a boxed future).
#[derive(Clone, Copy)]
enum Via<'a> {
    Trait(&'a dyn Transport),
    #[cfg(not(target_arch = "wasm32"))]
    Reqwest(&'a crate::transport::ReqwestTransport),
}

impl<'a> Via<'a> {
    /// A plain function, not an `async fn`: the request goes straight into the transport's
    /// future, which the pipeline's then holds without a copy of the request beside it (issue
    /// #19: every level of `async fn` an argument passes through keeps a slot for it).
    #[cfg(not(target_arch = "wasm32"))]
    fn send(
        self,
        request: HttpRequest,
    ) -> impl Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'a {
        match self {
            Via::Trait(transport) => Either::Left(transport.send(request)),
            Via::Reqwest(transport) => Either::Right(transport.exchange(request)),
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn send(
        self,
        request: HttpRequest,
    ) -> impl Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'a {
        let Via::Trait(transport) = self;
        transport.send(request)
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    transport: Arc<dyn Transport>,
    /// The same transport as `transport` when it is the default one, to be called directly.
    #[cfg(not(target_arch = "wasm32"))]
    reqwest: Option<crate::transport::ReqwestTransport>,
    /// The roots every TLS connection of the client trusts (see [`Client::tls`]).
    #[cfg(not(target_arch = "wasm32"))]
    tls: Arc<rustls::ClientConfig>,
    tokens: TokenCache,
    pub(crate) journal: Arc<dyn Journal>,
    /// This client's id as a lease owner in the journal, and how long its leases last.
    pub(crate) lease: crate::journal::LeaseRequest,
    /// State the layers built on the client keep per client (see [`Client::state`]).
    state: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Inner {
    fn via(&self) -> Via<'_> {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(reqwest) = &self.reqwest {
            return Via::Reqwest(reqwest);
        }
        Via::Trait(self.transport.as_ref())
    }
}

/// The Dollr API client. Cheap to clone (an `Arc` inside); safe to share across tasks and threads;
/// all clones share one connection pool, one token and one journal.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    options: RequestOptions,
    /// The rate gate the requests of this clone pass (bulk payouts); `None`: unpaced.
    gate: Option<Arc<RateGate>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let client_id = match &self.inner.config.credentials {
            Credentials::ClientCredentials { client_id, .. } => Some(client_id.as_str()),
            Credentials::TokenProvider(_) => None,
        };
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url)
            .field("client_id", &client_id)
            .field("client_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

struct ClientCredentialsFetcher {
    client_id: String,
    client_secret: Secret,
    config: Config,
    transport: Arc<dyn Transport>,
}

#[async_trait]
impl TokenFetcher for ClientCredentialsFetcher {
    async fn fetch(&self, _force_refresh: bool) -> Result<AccessToken> {
        let request = ApiRequest::post(TOKEN_PATH)
            .without_auth()
            .retry(RetryClass::Idempotent)
            .json(&ObtainTokenRequest {
                client_id: self.client_id.clone(),
                client_secret: self.client_secret.clone(),
            })?;
        let response: ObtainTokenResponse = send_with_retries(
            &self.config,
            Via::Trait(self.transport.as_ref()),
            None,
            &request,
            &RequestOptions::default(),
            None,
        )
        .await
        .map_err(token_error)?;
        let minutes = u64::try_from(response.expires_in).unwrap_or(0);
        Ok(AccessToken {
            token: response.access_token,
            expires_in: Some(Duration::from_secs(minutes.saturating_mul(60))),
        })
    }
}

struct ProviderFetcher(Arc<dyn crate::auth::AccessTokenProvider>);

#[async_trait]
impl TokenFetcher for ProviderFetcher {
    async fn fetch(&self, force_refresh: bool) -> Result<AccessToken> {
        self.0.access_token(force_refresh).await
    }
}

impl Client {
    /// A builder (environment fallbacks apply).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`, `DOLLR_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::default().build()
    }

    /// The same client with per-call overrides (timeout, retries) for the calls made through it.
    pub fn with_options(&self, options: RequestOptions) -> Client {
        Client {
            inner: self.inner.clone(),
            options,
            gate: self.gate.clone(),
        }
    }

    /// The same client whose requests (every attempt, retries included) pass `gate`: paced, and
    /// all paused together when one of them is answered `429` (see [`RateGate`]).
    pub fn with_rate_gate(&self, gate: Arc<RateGate>) -> Client {
        Client {
            inner: self.inner.clone(),
            options: self.options.clone(),
            gate: Some(gate),
        }
    }

    /// The resolved configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The TLS configuration of this client's connections besides the transport's (the realtime
    /// socket): the default transport's own, so both trust the same roots.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.inner.tls.clone()
    }

    /// The execution journal.
    pub fn journal(&self) -> &Arc<dyn Journal> {
        &self.inner.journal
    }

    /// This client's lease owner id in the journal (how it shows in `lease_owner`).
    pub fn lease_owner(&self) -> &str {
        &self.inner.lease.owner
    }

    /// The per-call options in effect.
    pub fn options(&self) -> &RequestOptions {
        &self.options
    }

    /// Sends an API request and decodes the JSON answer.
    pub async fn send<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T> {
        let inner = &self.inner;
        if !request.auth {
            return send_with_retries(
                &inner.config,
                inner.via(),
                None,
                &request,
                &self.options,
                self.gate.as_deref(),
            )
            .await;
        }
        let lease = inner.tokens.token().await?;
        let outcome = self.send_with(&request, &lease).await;
        if !refused_token(&outcome) {
            return outcome;
        }
        // Not kept while the token is replaced: the future would hold a `T` it never returns.
        drop(outcome);
        // The token was refused (expired early, revoked): replace it — with the token another task
        // already fetched if there is one — and retry.
        let refusal = inner.tokens.refusal();
        tracing::debug!(path = %request.path, "401 from the API: replacing the token and retrying");
        let replacement = inner.tokens.replace_rejected(&lease, refusal).await?;
        let outcome = self.send_with(&request, &replacement).await;
        if !refused_token(&outcome) || !replacement.fetched_before(&refusal) {
            return outcome;
        }
        drop(outcome);
        // The replacement came from a fetch that was already under way when the first 401 arrived,
        // so it may have been issued before the very revocation that refused the first token. One
        // more replacement — fetched after this second 401, so newer than that revocation — and
        // the last: a token fetched after its refusal that is refused again surfaces as an error.
        let refusal = inner.tokens.refusal();
        tracing::debug!(path = %request.path, "the replacement token predates the revocation: replacing it once more");
        let replacement = inner.tokens.replace_rejected(&replacement, refusal).await?;
        self.send_with(&request, &replacement).await
    }

    async fn send_with<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
        lease: &Lease,
    ) -> Result<T> {
        send_with_retries(
            &self.inner.config,
            self.inner.via(),
            Some(lease.bearer()),
            request,
            &self.options,
            self.gate.as_deref(),
        )
        .await
    }

    /// Sends an API request and returns the JSON answer untyped.
    pub async fn send_value(&self, request: ApiRequest) -> Result<Value> {
        self.send(request).await
    }

    /// The value of type `T` this client (and every clone of it) keeps, created with
    /// `T::default()` on first use. It lets a layer built on the client keep per-client state
    /// (the flows' remembered payment accounts) without the client knowing it: the pipeline
    /// depends on nothing above it.
    pub(crate) fn state<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        // A poisoned lock only means a thread panicked while inserting into a plain map.
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = state
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        match Arc::clone(slot).downcast::<T>() {
            Ok(value) => value,
            // Unreachable: the slot of `T`'s id holds a `T`. Should it not, replace it.
            Err(_) => {
                let value = Arc::new(T::default());
                *slot = value.clone();
                value
            }
        }
    }
}

/// The client's own call to the token endpoint, declared for every binding as `auth.obtain_token`.
#[dollr_macros::flows("auth")]
impl Client {
    /// `POST /v1/jwt/client/obtain/token`: exchanges the client credentials for a token
    /// (`expires_in` in minutes). Rarely needed: every call obtains and refreshes tokens by itself.
    pub async fn obtain_token(&self) -> Result<crate::auth::ObtainTokenResponse> {
        match &self.inner.config.credentials {
            Credentials::ClientCredentials { client_id, client_secret } => {
                let request = ApiRequest::post(TOKEN_PATH)
                    .without_auth()
                    .retry(RetryClass::Idempotent)
                    .json(&ObtainTokenRequest { client_id: client_id.clone(), client_secret: client_secret.clone() })?;
                self.send(request).await.map_err(token_error)
            }
            Credentials::TokenProvider(_) => Err(Error::new(
                ErrorKind::Validation,
                "this client gets its tokens from a token provider; it has no client credentials to exchange",
            )),
        }
    }
}

impl ClientBuilder {
    /// Builds the client.
    pub fn build(mut self) -> Result<Client> {
        let config = self.resolve()?;
        #[cfg(not(target_arch = "wasm32"))]
        let mut reqwest = None;
        let transport: Arc<dyn Transport> = match self.take_transport() {
            Some(transport) => transport,
            None => {
                let transport = DefaultTransport::new(config.reqwest_settings())?;
                #[cfg(not(target_arch = "wasm32"))]
                {
                    reqwest = Some(transport.clone());
                }
                Arc::new(transport)
            }
        };
        // The default transport's TLS configuration, or one built alike for a client given its
        // own transport: `extra_root_ca_pem` is checked either way, and reaches the realtime
        // socket either way.
        #[cfg(not(target_arch = "wasm32"))]
        let tls = match &reqwest {
            Some(transport) => transport.tls(),
            None => Arc::new(crate::transport::tls_config(
                config.extra_root_ca_pem.as_deref(),
            )?),
        };
        let clock: Arc<dyn Clock> = self.take_clock().unwrap_or_else(|| Arc::new(SystemClock));
        let fetcher: Arc<dyn TokenFetcher> = match &config.credentials {
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => Arc::new(ClientCredentialsFetcher {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                config: config.clone(),
                transport: transport.clone(),
            }),
            Credentials::TokenProvider(provider) => Arc::new(ProviderFetcher(provider.clone())),
        };
        let journal = crate::journal::open(&config.journal)?;
        // One owner per client: two clients (or processes, or machines) on one shared journal
        // are two instances as far as leases go.
        let owner = format!(
            "pid{}-{}",
            crate::runtime::process_id(),
            uuid::Uuid::new_v4().simple()
        );
        let ttl = self
            .lease_ttl()
            .unwrap_or_else(|| config.journal.lease_ttl())
            .max(std::time::Duration::from_millis(30));
        let lease = crate::journal::LeaseRequest::new(owner, ttl);
        Ok(Client {
            inner: Arc::new(Inner {
                tokens: TokenCache::new(fetcher, clock),
                config,
                transport,
                #[cfg(not(target_arch = "wasm32"))]
                reqwest,
                #[cfg(not(target_arch = "wasm32"))]
                tls,
                journal,
                lease,
                state: Mutex::default(),
            }),
            options: RequestOptions::default(),
            gate: None,
        })
    }
}

/// Whether the API refused the access token (a 401 on an authenticated call).
fn refused_token<T>(outcome: &Result<T>) -> bool {
    matches!(outcome, Err(error) if error.kind() == ErrorKind::Authentication && error.status() == Some(401))
}

fn retryable(error: &Error, class: RetryClass, not_sent: bool) -> bool {
    match class {
        RetryClass::Never => false,
        RetryClass::Idempotent => error.is_transient(),
        RetryClass::NotProcessedOnly => error.kind() == ErrorKind::RateLimited || not_sent,
    }
}

/// Full-jitter exponential backoff, never shorter than the server's `Retry-After`.
fn backoff(config: &Config, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let policy = &config.retry;
    let ceiling = policy
        .initial_backoff
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(policy.max_backoff);
    let jitter = if ceiling.is_zero() {
        Duration::ZERO
    } else {
        rand::rng().random_range(Duration::ZERO..=ceiling)
    };
    match retry_after {
        Some(after) => after.max(jitter),
        None => jitter,
    }
}

async fn send_with_retries<T: DeserializeOwned>(
    config: &Config,
    transport: Via<'_>,
    bearer: Option<&Bearer>,
    request: &ApiRequest,
    options: &RequestOptions,
    gate: Option<&RateGate>,
) -> Result<T> {
    let max_retries = options.max_retries.unwrap_or(config.retry.max_retries);
    let what = What(request);
    let mut attempt = 0u32;
    loop {
        if let Some(gate) = gate {
            gate.admit().await;
        }
        let started = Instant::now();
        // Each attempt builds its URL and headers once and hands them over: nothing to clone on
        // the first attempt, and a retry (rare) costs the same as the first.
        let outcome = transport
            .send(HttpRequest {
                method: request.method,
                url: request_url(&config.base_url, request),
                headers: request_headers(request.body.is_some(), bearer),
                body: request.body.clone(),
                // `None`: the transport's default, `config.timeout` (set once on the client).
                timeout: options.timeout,
            })
            .await;
        if let Some(gate) = gate {
            match &outcome {
                Ok(response) if response.status == 429 => gate.slow_down(retry_after(response)),
                Ok(_) => gate.answered(),
                Err(_) => {}
            }
        }
        let (error, not_sent) = match outcome {
            // A custom transport may not bound the body: the same limit, after the fact.
            Ok(response) if response.body.len() > config.max_response_body => {
                return Err(TransportError::BodyTooLarge {
                    limit: config.max_response_body,
                }
                .into_error(&what.to_string())
                .with_status(response.status));
            }
            Ok(response) if (200..300).contains(&response.status) => {
                tracing::debug!(request = %what, status = response.status, attempt, elapsed_ms = started.elapsed().as_millis() as u64, "dollr request");
                return decode(&what, &response, || sent_secrets(config, bearer, request));
            }
            // Never followed, never retried (it would redirect again): see `redirect_error`.
            Ok(response) if (300..400).contains(&response.status) => {
                tracing::debug!(request = %what, status = response.status, attempt, "dollr request redirected: refused");
                return Err(redirect_error(&what, &config.base_url, &response));
            }
            Ok(response) => {
                tracing::debug!(request = %what, status = response.status, attempt, "dollr request failed");
                (
                    error_answer(
                        &what.to_string(),
                        &response,
                        &sent_secrets(config, bearer, request),
                    ),
                    false,
                )
            }
            Err(failure) => {
                tracing::debug!(request = %what, attempt, failure = ?failure, "dollr request got no answer");
                let not_sent = !failure.maybe_processed();
                (failure.into_error(&what.to_string()), not_sent)
            }
        };
        if attempt >= max_retries || !retryable(&error, request.retry, not_sent) {
            return Err(error);
        }
        let wait = backoff(config, attempt, error.retry_after());
        if wait > config.retry.max_retry_after {
            return Err(error);
        }
        tracing::debug!(request = %what, attempt, wait_ms = wait.as_millis() as u64, "retrying");
        crate::runtime::sleep(wait).await;
        attempt += 1;
    }
}

/// Decodes a successful answer. `sent` (which parses the request body to find its secrets) is
/// called only when the answer cannot be decoded and is kept, scrubbed, in the error.
fn decode<T: DeserializeOwned>(
    what: &What<'_>,
    response: &HttpResponse,
    sent: impl FnOnce() -> SentSecrets,
) -> Result<T> {
    let body: &[u8] = if response.body.is_empty() {
        b"null"
    } else {
        &response.body
    };
    serde_json::from_slice(body).map_err(|e| {
        // serde quotes the value it refused: scrubbed like the body, since an answer can echo
        // what was sent (found by the `decode_response` fuzz target: the bearer token, echoed
        // in a field that should hold a decimal, reached the message).
        let sent = sent();
        let reason = sent.scrub(&e.to_string());
        Error::new(
            ErrorKind::Decode,
            format!("{what}: the API answered with a body this SDK does not understand ({reason}); please report it with the request id"),
        )
        .with_status(response.status)
        .with_request_id(response.header("x-request-id").map(str::to_string))
        .with_body(Some(redact_sent_body(&response.body, &sent)))
    })
}

/// The secrets an answer to `request` must not show: the client secret (whichever request it is:
/// an answer from anywhere may echo it), the bearer token and the request body's secret values.
/// Computed only when an answer is kept in an error.
fn sent_secrets(config: &Config, bearer: Option<&Bearer>, request: &ApiRequest) -> SentSecrets {
    let mut sent = SentSecrets::of(
        bearer.map(|bearer| bearer.header_value().as_bytes()),
        request.body.as_deref(),
    );
    if let Credentials::ClientCredentials { client_secret, .. } = &config.credentials {
        sent.add(client_secret.expose());
    }
    sent
}

/// The SDK never follows a redirect: a JSON API has no reason to send one, and following it would
/// re-send the client secret (token request) or the bearer token to wherever it points — another
/// host, or plain http. The error names the status and the target's origin (scheme, host, port:
/// never its path or query, which could carry anything) so a wrong base URL is easy to spot.
/// `Network`: the request did not reach the API as configured; for an execution the pipeline's
/// caller treats it as "may have been processed" (a 303 can follow a processed POST) and asks the
/// status, never re-posting blindly.
fn redirect_error(what: &What<'_>, base_url: &str, response: &HttpResponse) -> Error {
    let target = response
        .header("location")
        .and_then(|location| {
            let base = url::Url::parse(base_url).ok()?;
            let target = base.join(location).ok()?;
            Some(if target.origin() == base.origin() {
                format!(
                    "{} (the same origin)",
                    target.origin().ascii_serialization()
                )
            } else {
                target.origin().ascii_serialization()
            })
        })
        .unwrap_or_else(|| "an unusable or missing Location".to_string());
    Error::new(
        ErrorKind::Network,
        format!(
            "{what}: the API answered HTTP {} redirecting to {target}; the SDK does not follow redirects (they could carry your credentials elsewhere) — check the base URL",
            response.status
        ),
    )
    .with_status(response.status)
    .with_request_id(response.header("x-request-id").map(str::to_string))
}

/// Reads `Retry-After` as seconds (the HTTP-date form is treated as "unknown").
fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    value
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
        .or_else(|| {
            value
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
        })
}

/// The one mapping from an API error response to an [`Error`].
pub fn error_from_response(what: &str, response: &HttpResponse) -> Error {
    error_answer(what, response, &SentSecrets::default())
}

/// [`error_from_response`] for an answer to a request that carried `sent`: those values are
/// replaced in the message, the details and the body, wherever the API echoed them.
fn error_answer(what: &str, response: &HttpResponse, sent: &SentSecrets) -> Error {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let detail = &body["detail"];
    let details: Vec<ValidationDetail> = detail
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| ValidationDetail {
                    loc: item["loc"]
                        .as_array()
                        .map(|loc| {
                            loc.iter()
                                .map(|p| {
                                    p.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| p.to_string())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    msg: sent.scrub(item["msg"].as_str().unwrap_or_default()),
                    kind: item["type"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let summary = match detail {
        Value::String(text) => sent.scrub(text),
        Value::Array(_) => details
            .iter()
            .map(|d| format!("{}: {}", d.field(), d.msg))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    };
    let status = response.status;
    let duplicate_reference = {
        let text = summary.to_ascii_lowercase();
        text.contains("duplicate") && text.contains("reference")
    };
    let (kind, advice) = match status {
        401 => (ErrorKind::Authentication, "the access token or credentials were refused"),
        403 => (ErrorKind::PermissionDenied, "the merchant is not allowed to do this (verification incomplete, feature gated, or passcode refused)"),
        404 => (ErrorKind::NotFound, "no such object"),
        409 => (ErrorKind::Conflict, "the request conflicts with the object's current state"),
        422 if duplicate_reference => (ErrorKind::Conflict, "this reference_id was already used for a different request"),
        400 | 405 | 413 | 415 | 422 => (ErrorKind::Validation, "the API refused the request's input"),
        429 => (ErrorKind::RateLimited, "rate limited; wait for Retry-After before trying again"),
        500..=599 => (ErrorKind::Server, "the Dollr API failed; retry later (for executions, ask status first)"),
        _ => (ErrorKind::Decode, "unexpected HTTP status"),
    };
    let message = if summary.is_empty() {
        format!("{what}: {advice}")
    } else {
        format!("{what}: {summary} ({advice})")
    };
    Error::new(kind, message)
        .with_status(status)
        .with_details(details)
        .with_retry_after(if status == 429 {
            retry_after(response)
        } else {
            None
        })
        .with_request_id(response.header("x-request-id").map(str::to_string))
        .with_body(Some(redact_sent_body(&response.body, sent)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        headers.insert("x-request-id", HeaderValue::from_static("req-1"));
        HttpResponse {
            status,
            headers,
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    #[test]
    fn api_errors_map_to_stable_kinds_with_their_fields() {
        let e = error_from_response(
            "POST /v1/x",
            &response(401, r#"{"detail":"Could not validate credentials"}"#),
        );
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert!(e.message().contains("Could not validate credentials"));
        let e = error_from_response(
            "POST /v1/x",
            &response(
                422,
                r#"{"detail":[{"loc":["body","currency"],"msg":"ensure this value has at most 3 characters","type":"value_error"}]}"#,
            ),
        );
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.details()[0].field(), "currency");
        assert_eq!(e.request_id(), Some("req-1"));
        assert_eq!(e.retry_after(), None);
        let e = error_from_response(
            "x",
            &response(
                422,
                r#"{"detail":[{"loc":["body","reference_id"],"msg":"duplicate reference_id with a different request","type":"value_error"}]}"#,
            ),
        );
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let e = error_from_response("x", &response(429, r#"{"detail":"Too Many Requests"}"#));
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(
            error_from_response("x", &response(403, "{}")).kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            error_from_response("x", &response(404, "{}")).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            error_from_response("x", &response(503, "oops")).kind(),
            ErrorKind::Server
        );
        assert_eq!(
            error_from_response("x", &response(409, "{}")).kind(),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn error_bodies_never_keep_secrets() {
        let e = error_from_response(
            "x",
            &response(500, r#"{"access_token":"eyJsecret","detail":"boom"}"#),
        );
        assert!(!e.body().unwrap_or_default().contains("eyJsecret"));
        assert!(!format!("{e} {e:?}").contains("eyJsecret"));
    }

    #[test]
    fn path_segments_and_queries_are_encoded() {
        assert_eq!(path_segment("INV-2026-00001"), "INV-2026-00001");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("é~"), "%C3%A9~");
        let request = ApiRequest::get("/v1/x")
            .query("phone", "231771234567")
            .query("q", "a&b");
        assert_eq!(
            request_url("http://h", &request),
            "http://h/v1/x?phone=231771234567&q=a%26b"
        );
        assert_eq!(
            request_url("http://h", &ApiRequest::get("/v1/x")),
            "http://h/v1/x"
        );
    }

    #[test]
    fn headers_are_the_same_on_the_wire_and_the_token_stays_hidden() {
        let bearer = Bearer::new(&Secret::new("eyJsecret")).unwrap();
        let headers = request_headers(true, Some(&bearer));
        let sent: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .collect();
        assert_eq!(
            sent,
            [
                ("accept", &b"application/json"[..]),
                ("content-type", b"application/json"),
                ("authorization", b"Bearer eyJsecret"),
            ]
        );
        assert!(!format!("{headers:?}").contains("eyJsecret"));
        let get = request_headers(false, None);
        assert_eq!(get.len(), 1);
        assert!(get.contains_key(ACCEPT));
    }

    #[test]
    fn request_debug_never_shows_the_body() {
        let request = ApiRequest::post(TOKEN_PATH)
            .json(&serde_json::json!({"client_secret": "hunter2"}))
            .unwrap();
        assert!(!format!("{request:?}").contains("hunter2"));
    }
}
