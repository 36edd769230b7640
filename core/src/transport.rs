//! The HTTP layer, behind a small trait so tests and hosts can swap it. The default
//! ([`DefaultTransport`]) is one `reqwest` client per [`crate::Client`] (one connection pool,
//! keep-alive, rustls, proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`) natively, and the host's
//! `fetch` on WebAssembly (`FetchTransport`, decision 0018).

#[cfg(not(target_arch = "wasm32"))]
use std::future::{poll_fn, Future};
#[cfg(not(target_arch = "wasm32"))]
use std::pin::Pin;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

#[cfg(not(target_arch = "wasm32"))]
use crate::error::Result;
use crate::error::{Error, ErrorKind};

// The types of `HttpRequest`/`HttpResponse`, re-exported so a custom `Transport` needs no matching
// `bytes`/`http` versions of its own.
pub use bytes::Bytes;
pub use http::header::{HeaderMap, HeaderName, HeaderValue};

#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(not(target_arch = "wasm32"))]
mod http1;
#[cfg(target_arch = "wasm32")]
pub use fetch::FetchTransport;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use http1::tls_config;

/// The transport a client gets when it is given none: reqwest natively.
#[cfg(not(target_arch = "wasm32"))]
pub type DefaultTransport = ReqwestTransport;
/// The transport a client gets when it is given none: the host's `fetch` on WebAssembly.
#[cfg(target_arch = "wasm32")]
pub type DefaultTransport = FetchTransport;

/// HTTP methods used by the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// A request as the transport sees it.
#[derive(Clone)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL including the query string.
    pub url: String,
    /// Headers: `accept`, `content-type` when there is a body, `authorization` when authenticated
    /// (a secret, marked sensitive: never log it). `ReqwestTransport` adds `user-agent` from its
    /// client.
    pub headers: HeaderMap,
    /// JSON body. `Bytes`, so that a retry shares it instead of copying it.
    pub body: Option<Bytes>,
    /// A timeout for this request that overrides the transport's default (from
    /// `RequestOptions::timeout`). `None` means the transport's default, which `ReqwestTransport`
    /// takes from `Config::timeout`; a custom transport should apply its own.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A response as the transport sees it.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers as received (a `HeaderMap` finds names in any case).
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl HttpResponse {
    /// The first value of the header `name` (any case), if it is visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

/// Why no response arrived. The distinction matters for money: a request that was never sent
/// cannot have moved anything; one that broke mid-way might have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The connection could not be opened: the request was certainly not processed.
    Connect(String),
    /// No complete answer within the timeout: the request may have been processed.
    Timeout,
    /// The connection broke after the request was sent: it may have been processed.
    Broken(String),
    /// The answer's body is longer than `limit` bytes (`Config::max_response_body`): refused
    /// without reading the rest. The request was processed.
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl TransportError {
    /// Whether the server can have seen the request.
    pub fn maybe_processed(&self) -> bool {
        !matches!(self, TransportError::Connect(_))
    }

    pub(crate) fn into_error(self, what: &str) -> Error {
        match self {
            TransportError::Connect(reason) => Error::new(
                ErrorKind::Network,
                format!("could not connect for {what}: {reason}; nothing was sent — check the base URL and your network"),
            ),
            TransportError::Timeout => Error::new(
                ErrorKind::Timeout,
                format!("{what} got no answer in time; raise the timeout or retry later"),
            ),
            TransportError::Broken(reason) => Error::new(
                ErrorKind::Network,
                format!("the connection broke during {what}: {reason}"),
            ),
            TransportError::BodyTooLarge { limit } => Error::new(
                ErrorKind::Decode,
                format!("{what}: the answer's body is larger than {limit} bytes (max_response_body); it was not read to the end — check the base URL, or raise the limit if the answer is expected"),
            ),
        }
    }
}

/// Sends one HTTP request. Implementations must not retry on their own, must not follow redirects
/// (return the 3xx: the pipeline refuses it), and should stop reading a body past
/// `Config::max_response_body` with [`TransportError::BodyTooLarge`] (the pipeline refuses a longer
/// body anyway, but only a transport can avoid holding it).
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the whole response.
    async fn send(&self, request: HttpRequest)
        -> std::result::Result<HttpResponse, TransportError>;
}

/// What the default transport is built from: the transport's part of the client configuration
/// (`Config::reqwest_settings`), named here so that this layer knows nothing of the client's
/// configuration.
#[derive(Clone, Copy, Debug)]
pub struct ReqwestSettings<'a> {
    /// The `User-Agent` header.
    pub user_agent: &'a str,
    /// The default time allowed for one request (`HttpRequest::timeout` overrides it).
    pub timeout: Duration,
    /// The time allowed to open a connection.
    pub connect_timeout: Duration,
    /// An extra root certificate (PEM) to trust.
    pub extra_root_ca_pem: Option<&'a [u8]>,
    /// The most bytes read from one answer's body.
    pub max_response_body: usize,
}

#[cfg(not(target_arch = "wasm32"))]
/// The default transport: requests to the client's origin over its own HTTP/1.1 connections,
/// each driven by the request using it (`transport/http1.rs`: no connection task to hand a request
/// to), and reqwest for the rest (a proxy from the environment, Windows, another origin); rustls
/// with one TLS configuration for both; never follows redirects; reads at most
/// `max_response_body` bytes of a body.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    http: reqwest::Client,
    /// The time allowed for one request when it does not set its own (see
    /// [`ReqwestTransport::exchange`]).
    timeout: Duration,
    max_body: usize,
    /// The origin of the URLs sent, parsed once (see [`ReqwestTransport::url`]), with its pool.
    origin: Arc<OnceLock<Origin>>,
    /// What the origin's own connections are made with, `None` when reqwest sends everything.
    direct: Option<DirectSettings>,
    /// The TLS configuration of every connection (also the realtime socket's: see
    /// [`ReqwestTransport::tls`]).
    tls: Arc<rustls::ClientConfig>,
    /// The time limit of the request that finished last (see [`ReqwestTransport::exchange`]).
    last_time_limit: LastTimeLimit,
}

#[cfg(not(target_arch = "wasm32"))]
/// The timer of the request that finished last, kept registered with the runtime's timers until
/// the next request finishes (see [`ReqwestTransport::exchange`]). Shared by the transport's clones.
#[derive(Clone, Default)]
struct LastTimeLimit(Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>);

#[cfg(not(target_arch = "wasm32"))]
impl LastTimeLimit {
    /// Keeps `timer` in place of the one kept before, which is dropped (outside the lock).
    fn keep(&self, timer: Pin<Box<tokio::time::Sleep>>) {
        let before = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(timer);
        drop(before);
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl std::fmt::Debug for LastTimeLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LastTimeLimit")
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// What the HTTP/1.1 path's connections need besides the transport's TLS configuration (see
/// [`http1`]).
#[derive(Clone, Debug)]
struct DirectSettings {
    connect_timeout: Duration,
    user_agent: HeaderValue,
}

#[cfg(not(target_arch = "wasm32"))]
/// An origin (`scheme://host:port`) as written in the URLs sent, its parsed form, and its
/// connections when they are this transport's own.
#[derive(Debug)]
struct Origin {
    prefix: String,
    parsed: reqwest::Url,
    pool: Option<http1::Http1Pool>,
}

#[cfg(not(target_arch = "wasm32"))]
impl ReqwestTransport {
    /// Builds the transport (from the client configuration: `Config::reqwest_settings`).
    pub fn new(settings: ReqwestSettings<'_>) -> Result<Self> {
        // One TLS configuration for reqwest and the origin's own connections.
        let tls = Arc::new(http1::tls_config(settings.extra_root_ca_pem)?);
        let builder = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .user_agent(settings.user_agent)
            // No `.timeout(..)` here: `exchange` applies the request's time limit itself (the
            // same deadline, over sending and reading the whole body, for less work per request).
            .connect_timeout(settings.connect_timeout)
            // A JSON API does not redirect; a redirect would re-send the client secret or the
            // bearer token to wherever it points. The pipeline turns the 3xx into an error.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(http1::IDLE_TIMEOUT)
            .tcp_nodelay(true);
        let http = builder
            .build()
            .map_err(|e| Error::internal(format!("could not build the HTTP client: {e}")))?;
        // reqwest reads Windows' proxy settings from the registry, and a proxy named by the
        // environment anywhere: then it sends everything.
        let own_connections =
            !cfg!(windows) && !http1::proxy_in_environment(|name| std::env::var_os(name));
        let direct = match HeaderValue::from_str(settings.user_agent) {
            Ok(user_agent) if own_connections => Some(DirectSettings {
                connect_timeout: settings.connect_timeout,
                user_agent,
            }),
            _ => None,
        };
        Ok(ReqwestTransport {
            http,
            timeout: settings.timeout,
            max_body: settings.max_response_body,
            origin: Arc::default(),
            direct,
            tls,
            last_time_limit: LastTimeLimit::default(),
        })
    }

    /// The TLS configuration this transport's connections use (the webpki roots plus
    /// `extra_root_ca_pem`), for other connections of the same client to trust the same roots.
    pub(crate) fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.clone()
    }

    /// Parses `text` into the `Url` reqwest sends, or `None` for reqwest's own parse (a URL with
    /// credentials, which its builder moves into a header, or one that does not parse). Every
    /// request of a client goes to one origin, and parsing it (host, IDNA, port) was most of a
    /// full parse, itself about a tenth of a request's CPU (issue #19). So the origin is parsed
    /// once, from the first URL, and a URL that starts with it as written (then `/`) gets only its
    /// path and query parsed, into a copy of it — by the `url` crate's own path and query
    /// parsers, so the result is the one a full parse gives (a property test holds them equal).
    /// Anything unusual takes the full parse.
    ///
    /// With the URL comes the kept origin when the URL is on it (its connections may serve it).
    fn url(&self, text: &str) -> Option<(reqwest::Url, Option<&Origin>)> {
        if let Some(origin) = self.origin.get() {
            if let Some(url) = text
                .strip_prefix(origin.prefix.as_str())
                .and_then(|rest| with_path_and_query(&origin.parsed, rest))
            {
                return Some((url, Some(origin)));
            }
        }
        let url = reqwest::Url::parse(text).ok()?;
        let origin = Origin::of(&url, text, self.direct.as_ref(), &self.tls)?;
        // Another task may have set it first: from the same client, so normally the same origin.
        let _ = self.origin.set(origin);
        let kept = self
            .origin
            .get()
            .filter(|kept| kept.prefix == url[..url::Position::BeforePath]);
        Some((url, kept))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Origin {
    /// The origin of `url` when the fast path can serve it: http(s), no credentials (reqwest
    /// moves those into a header), and written in `text` exactly as the `url` crate writes it. Its
    /// own connections with `direct` and `tls`.
    fn of(
        url: &reqwest::Url,
        text: &str,
        direct: Option<&DirectSettings>,
        tls: &Arc<rustls::ClientConfig>,
    ) -> Option<Origin> {
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.cannot_be_a_base()
        {
            return None;
        }
        let prefix = &url[..url::Position::BeforePath];
        if !text.starts_with(prefix) {
            return None;
        }
        let parsed = reqwest::Url::parse(prefix).ok()?;
        let pool = direct.and_then(|direct| {
            http1::Http1Pool::for_origin(
                &parsed,
                tls,
                direct.connect_timeout,
                direct.user_agent.clone(),
            )
        });
        Some(Origin {
            prefix: prefix.to_string(),
            parsed,
            pool,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// `origin` with the path and query of `rest` (what follows the origin in a URL), or `None` when
/// `rest` is not a plain `/path?query`: no fragment, no backslash, no whitespace or control
/// character (which a full parse strips or treats specially), ASCII only.
fn with_path_and_query(origin: &reqwest::Url, rest: &str) -> Option<reqwest::Url> {
    // Every byte is looked at (no early exit), which lets the compiler check many at a time.
    let plain = rest.bytes().fold(true, |plain, byte| {
        plain & (byte.is_ascii_graphic() & (byte != b'#') & (byte != b'\\'))
    });
    if !rest.starts_with('/') || !plain {
        return None;
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let mut url = origin.clone();
    url.set_path(path);
    url.set_query(query);
    Some(url)
}

#[cfg(not(target_arch = "wasm32"))]
fn classify(error: &reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_connect() {
        TransportError::Connect(root_cause(error))
    } else {
        TransportError::Broken(root_cause(error))
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// The innermost cause, without the URL (which is ours and already known to the caller).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

#[cfg(not(target_arch = "wasm32"))]
/// A body read up to `limit` bytes (both paths of the default transport): an announced
/// `Content-Length` over it is refused before reading, an unannounced (chunked, endless) one as
/// soon as it passes it.
struct LimitedBody {
    limit: usize,
    /// Most bodies arrive in one chunk: kept as it is, without a copy.
    first: Option<Bytes>,
    joined: bytes::BytesMut,
}

#[cfg(not(target_arch = "wasm32"))]
impl LimitedBody {
    fn new(limit: usize, announced: Option<u64>) -> std::result::Result<Self, TransportError> {
        if announced.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
            return Err(TransportError::BodyTooLarge { limit });
        }
        Ok(LimitedBody {
            limit,
            first: None,
            joined: bytes::BytesMut::new(),
        })
    }

    fn push(&mut self, chunk: Bytes) -> std::result::Result<(), TransportError> {
        let read = self.first.as_ref().map_or(0, Bytes::len) + self.joined.len();
        if chunk.len() > self.limit.saturating_sub(read) {
            return Err(TransportError::BodyTooLarge { limit: self.limit });
        }
        if read == 0 {
            self.first = Some(chunk);
            return Ok(());
        }
        if let Some(first) = self.first.take() {
            self.joined.extend_from_slice(&first);
        }
        self.joined.extend_from_slice(&chunk);
        Ok(())
    }

    fn into_bytes(self) -> Bytes {
        self.first.unwrap_or_else(|| self.joined.freeze())
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// Reads a reqwest response's body, at most `limit` bytes ([`LimitedBody`]).
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> std::result::Result<Bytes, TransportError> {
    let mut body = LimitedBody::new(limit, response.content_length())?;
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        body.push(chunk)?;
    }
    Ok(body.into_bytes())
}

#[cfg(not(target_arch = "wasm32"))]
#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(
        &self,
        request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        self.exchange(request).await
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl ReqwestTransport {
    /// [`Transport::send`] as a plain `async fn`: the client's pipeline awaits it directly when
    /// this is its transport, so its future sits inside the caller's instead of in a `Box` per
    /// request (what the trait's `async_trait` method allocates).
    ///
    /// The whole exchange, from sending to the body's last byte, has the request's time limit
    /// (`HttpRequest::timeout`, else the transport's default). It is applied here rather than by
    /// reqwest's `timeout`, which gives the same deadline but boxes a timer per request, wraps the
    /// body to poll that timer again on every chunk, and polls it before each poll of the
    /// request; here the timer sits in this future and is only looked at while the exchange
    /// waits (issue #19: about 5,000 instructions per collect flow, ~6 % of the pipeline's excess over
    /// the floor's).
    ///
    /// The timer is not dropped when the exchange ends: it stays registered until the next
    /// exchange ends (`last_time_limit`). A runtime's parked worker sleeps until its earliest timer,
    /// and a timer registered from another thread that is due *before* that has to wake the worker
    /// to shorten its sleep. Binding calls are first polled on the caller's thread
    /// (`bridge::FirstWake`: an asyncio loop, Node's JS thread, a Kotlin coroutine), so that is
    /// where each request's timer is registered; with no timer left once the previous request had
    /// finished, every request woke the worker only for this, besides the wake for its answer
    /// (issue #19: an `eventfd` write on the caller's thread and a worker wake-up per request,
    /// seen by `strace` in a dollr-native status lookup). With the last one's deadline kept — due
    /// before any later request's of the same limit — the worker sleeps on until the answer comes.
    /// An idle client's kept timer fires once, its limit after the last request, and wakes nothing
    /// that is still waiting (a spurious wake, which every future tolerates).
    pub(crate) async fn exchange(
        &self,
        request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        let limit = request.timeout.unwrap_or(self.timeout);
        let mut exchange = self.exchange_untimed(request);
        let mut timer = Box::pin(tokio::time::sleep(limit));
        let outcome = poll_fn(|cx| match exchange.as_mut().poll(cx) {
            std::task::Poll::Ready(outcome) => std::task::Poll::Ready(outcome),
            std::task::Poll::Pending => timer
                .as_mut()
                .poll(cx)
                .map(|()| Err(TransportError::Timeout)),
        })
        .await;
        self.last_time_limit.keep(timer);
        outcome
    }

    /// [`ReqwestTransport::exchange`] without the time limit: the exchange's future, boxed.
    ///
    /// Boxed whichever way the request goes (as reqwest boxes its own request's future), and
    /// started by a plain function rather than an `async fn`: the request is consumed here, so the
    /// pipeline's future holds neither a copy of it nor the larger of the two paths' futures
    /// inline (issue #19). Every binding's call is such a future in a `Box` of its own, and an
    /// allocation over glibc's small-block limit (about 1 KB) is not served from the calling
    /// thread's cache: it first sweeps up every small block freed since the last one
    /// (`malloc_consolidate`), on the thread that starts the call.
    fn exchange_untimed(&self, request: HttpRequest) -> Exchange<'_> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        // Only the URL is parsed (see `url`; a bad one is an error classified like any other,
        // through reqwest's builder); the headers and body are already typed, so they are moved
        // in rather than parsed again.
        let (url, origin) = match self.url(&request.url) {
            Some((url, origin)) => (Some(url), origin),
            None => (None, None),
        };
        if let (Some(url), Some(pool)) = (&url, origin.and_then(|origin| origin.pool.as_ref())) {
            let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
            return pool.exchange(method, target, request.headers, request.body, self.max_body);
        }
        Box::pin(self.exchange_through_reqwest(method, url, request))
    }

    /// An exchange the transport's own HTTP/1.1 connections do not make (a proxy), through
    /// reqwest.
    async fn exchange_through_reqwest(
        &self,
        method: reqwest::Method,
        url: Option<reqwest::Url>,
        request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        let mut outgoing = match url {
            Some(url) => reqwest::Request::new(method, url),
            None => self
                .http
                .request(method, request.url.as_str())
                .build()
                .map_err(|e| classify(&e))?,
        };
        *outgoing.headers_mut() = request.headers;
        *outgoing.body_mut() = request.body.map(reqwest::Body::from);
        let mut response = self
            .http
            .execute(outgoing)
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        // Taken, not copied: the pipeline reads only a couple of them.
        let headers = std::mem::take(response.headers_mut());
        let body = read_body(&mut response, self.max_body).await?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The future of one exchange (see `ReqwestTransport::exchange_untimed`).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type Exchange<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'a>>;

// Two attributes, not `all(..)`: clippy recognizes a test module by a plain `cfg(test)`.
#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn transport() -> ReqwestTransport {
        ReqwestTransport::new(ReqwestSettings {
            user_agent: "test",
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            extra_root_ca_pem: None,
            max_response_body: 1 << 20,
        })
        .expect("a transport")
    }

    /// What the fast path must equal: reqwest's own parse (credentials aside, which it declines).
    fn full_parse(text: &str) -> Option<reqwest::Url> {
        reqwest::Url::parse(text).ok()
    }

    /// The URL the fast path gives for `text`, whatever origin it is on.
    fn fast_url(transport: &ReqwestTransport, text: &str) -> Option<reqwest::Url> {
        transport.url(text).map(|(url, _)| url)
    }

    #[test]
    fn the_first_url_sets_the_origin_and_later_ones_reuse_it() {
        let transport = transport();
        let first = "http://127.0.0.1:8080/v1/parties/create";
        assert_eq!(fast_url(&transport, first), full_parse(first));
        let origin = transport.origin.get().expect("the origin is kept");
        assert_eq!(origin.prefix, "http://127.0.0.1:8080");
        // Its own connections serve the URLs on it, and only those.
        assert!(origin.pool.is_some());
        let on_origin = |text: &str| transport.url(text).is_some_and(|(_, kept)| kept.is_some());
        assert!(on_origin(first));
        assert!(on_origin("http://127.0.0.1:8080/v1/x?a=1"));
        assert!(!on_origin("http://127.0.0.1:80801/v1/x"));
        assert!(!on_origin("https://127.0.0.1:8080/v1/x"));
        assert!(!on_origin("http://127.0.0.2:8080/v1/x"));
        for text in [
            "http://127.0.0.1:8080/v1/status/collection/550e8400-e29b-41d4-a716-446655440000",
            "http://127.0.0.1:8080/v1/predictions/mmo-provider-info?phone=231771234567&operation_type=COLLECTION",
            "http://127.0.0.1:8080/v1/a/../b/./c?q=%20x&y='z'",
            "http://127.0.0.1:8080/v1/x#fragment",
            "http://127.0.0.1:80801/v1/x",
            "https://other.example/v1/x?a=1",
            "http://127.0.0.1:8080/v1/é?ü=1",
            "http://127.0.0.1:8080/v1/a b",
            "http://127.0.0.1:8080\\v1\\x",
        ] {
            assert_eq!(fast_url(&transport, text), full_parse(text), "{text}");
        }
        // Credentials are reqwest's to move into a header: declined.
        assert_eq!(
            fast_url(&transport, "http://user:pw@127.0.0.1:8080/v1/x"),
            None
        );
    }

    #[test]
    fn an_origin_not_written_as_the_url_crate_writes_it_is_not_kept() {
        let transport = transport();
        let text = "HTTP://LocalHost:80/v1/x";
        assert_eq!(fast_url(&transport, text), None);
        assert!(transport.origin.get().is_none());
        assert!(fast_url(&transport, "http://localhost/v1/x").is_some());
        assert_eq!(
            transport.origin.get().map(|origin| origin.prefix.as_str()),
            Some("http://localhost")
        );
    }

    /// A server on loopback that answers the first request on its one connection (`{}`), then
    /// reads the second, reports it on the returned channel and holds it unanswered until
    /// `release` is dropped.
    fn answers_once_then_holds() -> (
        u16,
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::Sender<()>,
    ) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("its address").port();
        let (seen, second) = std::sync::mpsc::channel();
        let (release, held) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let Ok(read_half) = stream.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(read_half);
            let mut read_head = || {
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
            };
            read_head();
            let mut writer = stream;
            let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
            read_head();
            let _ = seen.send(());
            let _ = held.recv();
        });
        (port, second, release)
    }

    /// The bindings whose callers must not block poll a call first on the caller's thread
    /// (`bridge::FirstWake`), which is where its request's time limit is registered. The runtime's
    /// parked worker must sleep on through that — only the answer should wake it (#19: an
    /// `eventfd` write and a worker wake-up per request otherwise), which the timer of the request
    /// before, kept registered by `exchange`, makes so.
    #[test]
    fn a_request_started_on_another_thread_leaves_the_parked_worker_asleep() {
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        use std::task::{Context, Poll};
        use std::time::Instant;

        let parked = Arc::new(AtomicBool::new(false));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .on_thread_park({
                let parked = Arc::clone(&parked);
                move || parked.store(true, SeqCst)
            })
            .on_thread_unpark({
                let parked = Arc::clone(&parked);
                move || parked.store(false, SeqCst)
            })
            .build()
            .expect("a runtime");
        // A time limit no slow machine reaches during the test: the kept timer must not fire.
        let transport = Arc::new(
            ReqwestTransport::new(ReqwestSettings {
                user_agent: "test",
                timeout: Duration::from_secs(600),
                connect_timeout: Duration::from_secs(600),
                extra_root_ca_pem: None,
                max_response_body: 1 << 20,
            })
            .expect("a transport"),
        );
        let (port, second_seen, _release) = answers_once_then_holds();
        let request = || HttpRequest {
            method: Method::Get,
            url: format!("http://127.0.0.1:{port}/v1/status/collection/x"),
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
        };

        // The first request runs on the worker, to its end.
        let first = runtime
            .block_on(runtime.spawn({
                let transport = Arc::clone(&transport);
                let request = request();
                async move {
                    transport
                        .exchange(request)
                        .await
                        .map(|answer| answer.status)
                }
            }))
            .expect("the task ran");
        assert_eq!(first.ok(), Some(200));

        // Until the worker is parked and stays so (its count of parks unchanged for 100 ms).
        let metrics = runtime.metrics();
        let deadline = Instant::now() + Duration::from_secs(60);
        let parks = loop {
            let parks = metrics.worker_park_count(0);
            std::thread::sleep(Duration::from_millis(100));
            if parked.load(SeqCst) && metrics.worker_park_count(0) == parks {
                break parks;
            }
            assert!(Instant::now() < deadline, "the worker never settled");
        };

        // The second request, polled once here as `FirstWake` does: written on this thread, its
        // time limit registered, and left waiting for an answer that does not come.
        let _entered = runtime.enter();
        let mut second = Box::pin(transport.exchange(request()));
        let waiting = second
            .as_mut()
            .poll(&mut Context::from_waker(futures::task::noop_waker_ref()));
        assert!(matches!(waiting, Poll::Pending));
        second_seen
            .recv_timeout(Duration::from_secs(60))
            .expect("the request was written on this thread");
        // A wake of the worker counts one more park when it parks again (at once: nothing is
        // ready). None may come: wait a second for it.
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            assert_eq!(
                metrics.worker_park_count(0),
                parks,
                "the worker was woken for the request's time limit"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(second);
    }

    proptest! {
        #[test]
        fn path_and_query_on_the_kept_origin_parse_as_the_whole_url_does(
            rest in "[/a-zA-Z0-9._~%?&=+!$'()*,;:@#\\\\ é-]{0,40}",
            https in any::<bool>(),
        ) {
            let transport = transport();
            let origin = if https { "https://api.example.com" } else { "http://127.0.0.1:4010" };
            let warm = format!("{origin}/v1/warm");
            prop_assert_eq!(fast_url(&transport, &warm), full_parse(&warm));
            let text = format!("{origin}{rest}");
            if let Some(url) = fast_url(&transport, &text) {
                prop_assert_eq!(Some(url), full_parse(&text));
            } else {
                // Declined (left to reqwest's builder) only when reqwest's parse fails too, finds
                // credentials, or writes the origin otherwise than `text` does (`comA` → `coma`).
                let left_to_reqwest = full_parse(&text).is_none_or(|url| {
                    !url.username().is_empty()
                        || url.password().is_some()
                        || !text.starts_with(&url[..url::Position::BeforePath])
                });
                prop_assert!(left_to_reqwest, "declined {}", text);
            }
        }
    }
}
