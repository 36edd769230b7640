//! The default transport's HTTP/1.1 path to the client's own origin: connections that the request
//! which uses one drives itself.
//!
//! reqwest (hyper-util's pool) runs every connection as a task of its own: a request is handed to
//! that task, which writes it, and the answer is handed back. A binding whose caller must not
//! block polls a call once on the caller's thread (`bridge::FirstWake`), so each request woke the
//! runtime's worker just to write it (issue #19's profiles: ~10 % of an asyncio status lookup's
//! samples were that wake-up), and reqwest formats and re-parses every response's URL. Here a
//! connection is taken from the pool by the request's own future, which writes the request, reads
//! the whole answer and puts the connection back; nothing else polls it. A request made on the
//! caller's thread is written there, and the runtime is woken only by the answer.
//!
//! What this path does not take stays with reqwest (`ReqwestTransport` decides): proxies from the
//! environment, Windows (whose proxy settings reqwest reads from the registry), and URLs outside
//! the origin the client was built for. Both paths share one TLS configuration (`tls_config`):
//! rustls with the webpki roots and `extra_root_ca_pem`, as reqwest's `rustls-tls` builds it.
//!
//! Exactly-once is the pipeline's business (the journal and status lookups); this layer only
//! reports honestly whether a request can have been seen: a pooled connection that turns out to be
//! closed before the request was written to it (hyper hands the request back) is retried once on a
//! new connection, as reqwest does; any failure after that point is `Broken`.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Context;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_LENGTH, HOST, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;

use super::{root_cause, Exchange, HttpResponse, LimitedBody, TransportError};
use crate::error::{Error, Result};

/// How long a connection may sit idle in the pool (what the reqwest client is configured with).
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a connection attempt to one of a host's addresses has before the next address is
/// tried beside it (hyper-util's happy-eyeballs delay, which reqwest uses).
const NEXT_ADDRESS_AFTER: Duration = Duration::from_millis(300);

/// The TLS configuration of both paths: rustls (the process's default crypto provider, else ring,
/// as reqwest picks), the webpki roots plus `extra_root_ca_pem`, HTTP/1.1 by ALPN.
pub(crate) fn tls_config(extra_root_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = extra_root_ca_pem {
        let not_pem = |reason: String| {
            Error::invalid_field(
                "extra_root_ca_pem",
                format!("not a PEM certificate: {reason}"),
            )
        };
        let mut added = 0_usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| not_pem(e.to_string()))?;
            roots.add(cert).map_err(|e| not_pem(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(not_pem("no CERTIFICATE block found".to_string()));
        }
    }
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| Error::internal(format!("could not configure TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Whether reqwest would send requests through a proxy named by the environment (its system
/// proxy: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, either case); `var` reads one variable.
pub(super) fn proxy_in_environment(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    PROXY_VARIABLES
        .into_iter()
        .any(|name| var(name).is_some_and(|value| !value.is_empty()))
}

/// The variables reqwest's system proxy reads.
const PROXY_VARIABLES: [&str; 6] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
];

/// A connection's byte stream: TCP, or TLS over TCP (boxed: the TLS state is large).
type Stream = Either<TcpStream, Box<TlsStream<TcpStream>>>;

type Message = http::Request<Full<Bytes>>;

type Driven = Connection<TokioIo<Stream>, Full<Bytes>>;

/// One open connection: the handle requests are sent through, and the connection itself, which
/// only the request using it polls. Kept boxed (`Box<Live>`), so that moving it in and out of the
/// pool moves a pointer, and a request's future does not hold the connection's state (see
/// `ReqwestTransport::exchange_untimed` on future sizes).
struct Live {
    sender: SendRequest<Full<Bytes>>,
    /// `None` once it has ended (closed or failed): dropped then, which hands back a request
    /// still queued on it (hyper returns it unsent) and fails anything else waiting on it.
    connection: Option<Driven>,
}

/// Why an exchange on one connection failed.
enum Failure {
    /// The connection was found closed before the request was written: it comes back unsent.
    Unsent(Box<Message>),
    Transport(TransportError),
}

impl Live {
    /// Polls the connection once without a task to wake (its readiness then wakes nobody): it
    /// reads what the server sent meanwhile, a close included. Whether it can take a request now.
    fn ready_for_a_request(&mut self) -> bool {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        poll_connection(&mut self.connection, &mut cx);
        self.connection.is_some() && self.sender.is_ready()
    }

    /// Sends `message` and reads the whole answer (at most `max_body` bytes of body), driving the
    /// connection meanwhile. With the answer: whether the connection can serve another request.
    ///
    /// The message goes into hyper's queue here, before the future, which therefore does not hold
    /// it twice (as an argument and inside hyper's future): see `Http1Pool::exchange`.
    fn exchange(
        &mut self,
        message: Message,
        max_body: usize,
    ) -> impl Future<Output = std::result::Result<(HttpResponse, bool), Failure>> + Send + '_ {
        let sent = self.sender.try_send_request(message);
        async move {
            let mut response =
                drive(&mut self.connection, pin!(sent))
                    .await
                    .map_err(|mut error| match error.take_message() {
                        Some(message) => Failure::Unsent(Box::new(message)),
                        None => Failure::Transport(broken(&error.into_error())),
                    })?;
            let status = response.status().as_u16();
            // Taken, not copied: the pipeline reads only a couple of them.
            let headers = std::mem::take(response.headers_mut());
            let body = drive(
                &mut self.connection,
                pin!(read_body(response.into_body(), &headers, max_body)),
            )
            .await
            .map_err(Failure::Transport)?;
            let reusable = self.ready_for_a_request();
            Ok((
                HttpResponse {
                    status,
                    headers,
                    body,
                },
                reusable,
            ))
        }
    }
}

/// Polls `work` to its end, polling the connection it uses first each time (which writes the
/// request and reads the answer into the channels `work` waits on).
async fn drive<W: Future>(connection: &mut Option<Driven>, mut work: Pin<&mut W>) -> W::Output {
    poll_fn(|cx| {
        poll_connection(connection, cx);
        work.as_mut().poll(cx)
    })
    .await
}

/// Polls the connection, and drops it once it has ended (closed or failed): what waits on it —
/// a request still queued, a response, a body — is settled then (hyper settles a queued request
/// only when the connection goes), so the work polled after this ends too.
fn poll_connection(connection: &mut Option<Driven>, cx: &mut Context<'_>) {
    if let Some(driven) = connection {
        if driven.poll_without_shutdown(cx).is_ready() {
            *connection = None;
        }
    }
}

/// Reads an answer's body, at most `limit` bytes (`LimitedBody`).
async fn read_body(
    mut body: Incoming,
    headers: &HeaderMap,
    limit: usize,
) -> std::result::Result<Bytes, TransportError> {
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    let mut limited = LimitedBody::new(limit, announced)?;
    while let Some(frame) = body.frame().await {
        // Trailers carry no data.
        if let Ok(chunk) = frame.map_err(|e| broken(&e))?.into_data() {
            limited.push(chunk)?;
        }
    }
    Ok(limited.into_bytes())
}

fn broken(error: &hyper::Error) -> TransportError {
    TransportError::Broken(root_cause(error))
}

fn not_connected(error: &(dyn std::error::Error + 'static)) -> TransportError {
    TransportError::Connect(root_cause(error))
}

/// Connects to the first of `addresses` that answers. Happy eyeballs, as reqwest's connector does:
/// the addresses in the resolver's order, the next one tried beside the others when they have not
/// connected within `NEXT_ADDRESS_AFTER` (at once when they have all failed), the first connection
/// winning (the other attempts are dropped). A host whose first address is unreachable (a broken
/// IPv6 route) is then reached on the next one instead of failing at the connect timeout.
async fn connect_any(
    addresses: Vec<std::net::SocketAddr>,
) -> std::result::Result<TcpStream, TransportError> {
    let mut untried = addresses.into_iter();
    let mut attempts = futures::stream::FuturesUnordered::new();
    let mut last_error = None;
    loop {
        if attempts.is_empty() {
            match untried.next() {
                Some(address) => attempts.push(TcpStream::connect(address)),
                None => {
                    return Err(last_error.map_or_else(
                        || TransportError::Connect("no address to connect to".to_string()),
                        |error: std::io::Error| not_connected(&error),
                    ))
                }
            }
        }
        tokio::select! {
            attempt = futures::StreamExt::next(&mut attempts) => match attempt {
                Some(Ok(tcp)) => return Ok(tcp),
                Some(Err(error)) => last_error = Some(error),
                None => {}
            },
            () = tokio::time::sleep(NEXT_ADDRESS_AFTER), if untried.len() > 0 => {
                if let Some(address) = untried.next() {
                    attempts.push(TcpStream::connect(address));
                }
            }
        }
    }
}

/// Where the connections go: the client's origin.
struct Origin {
    /// The host to resolve (an IPv6 address without its brackets).
    host: String,
    port: u16,
    /// The `Host` header: host and port as the URL writes them (no default port).
    authority: HeaderValue,
    /// For `https`: the connector and the name the certificate must have.
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

/// The connections to one origin, and how requests are sent on them.
pub(super) struct Http1Pool {
    origin: Origin,
    /// Idle connections, the most recently used last (taken first: the likeliest to be open).
    idle: Mutex<Vec<(Box<Live>, Instant)>>,
    connect_timeout: Duration,
    user_agent: HeaderValue,
}

impl std::fmt::Debug for Http1Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http1Pool")
            .field("host", &self.origin.host)
            .field("port", &self.origin.port)
            .finish_non_exhaustive()
    }
}

impl Http1Pool {
    /// The pool for `origin`'s scheme, host and port (`http` or `https`), or `None` for anything
    /// else.
    pub(super) fn for_origin(
        origin: &url::Url,
        tls: &Arc<rustls::ClientConfig>,
        connect_timeout: Duration,
        user_agent: HeaderValue,
    ) -> Option<Http1Pool> {
        let host = match origin.host()? {
            url::Host::Domain(domain) => domain.to_string(),
            url::Host::Ipv4(address) => address.to_string(),
            url::Host::Ipv6(address) => address.to_string(),
        };
        let tls = match origin.scheme() {
            "http" => None,
            "https" => {
                let name = ServerName::try_from(host.clone()).ok()?;
                Some((TlsConnector::from(tls.clone()), name))
            }
            _ => return None,
        };
        let authority = &origin[url::Position::BeforeHost..url::Position::AfterPort];
        Some(Http1Pool {
            origin: Origin {
                port: origin.port_or_known_default()?,
                authority: HeaderValue::from_str(authority).ok()?,
                host,
                tls,
            },
            idle: Mutex::new(Vec::new()),
            connect_timeout,
            user_agent,
        })
    }

    /// Sends `method target` (the path and query) with `headers` and `body`, and returns the whole
    /// answer.
    ///
    /// The message is built here, before the future, which therefore holds it once rather than
    /// also the arguments it is made of (issue #19: this future is allocated for every request;
    /// see `ReqwestTransport::exchange_untimed`).
    pub(super) fn exchange(
        &self,
        method: http::Method,
        target: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
        max_body: usize,
    ) -> Exchange<'_> {
        let message = self.message(method, target, headers, body);
        Box::pin(async move {
            let mut message = message?;
            let (mut live, mut fresh) = match self.checkout() {
                Some(live) => (live, false),
                // Boxed: opening a connection (TLS's handshake state above all) is most of this
                // future's size, and happens once per connection, not per request.
                None => (Box::pin(self.connect()).await?, true),
            };
            loop {
                match live.exchange(message, max_body).await {
                    Ok((response, reusable)) => {
                        if reusable {
                            self.checkin(live);
                        }
                        return Ok(response);
                    }
                    // A pooled connection the server had closed: the request never left, so it is
                    // sent once more on a new connection.
                    Err(Failure::Unsent(unsent)) if !fresh => {
                        tracing::trace!(
                            "dollr http: the pooled connection closed before the request was \
                             written; sending it on a new connection"
                        );
                        message = *unsent;
                        live = Box::pin(self.connect()).await?;
                        fresh = true;
                    }
                    Err(Failure::Unsent(_)) => {
                        return Err(TransportError::Connect(
                            "the connection closed before the request was written".to_string(),
                        ))
                    }
                    Err(Failure::Transport(error)) => return Err(error),
                }
            }
        })
    }

    /// The request as hyper sends it: origin-form target, the `Host`, `User-Agent` and `Accept`
    /// headers reqwest would add when the request has none.
    fn message(
        &self,
        method: http::Method,
        target: &str,
        mut headers: HeaderMap,
        body: Option<Bytes>,
    ) -> std::result::Result<Message, TransportError> {
        let uri = http::Uri::try_from(target)
            .map_err(|e| TransportError::Connect(format!("not a request target: {e}")))?;
        headers
            .entry(HOST)
            .or_insert_with(|| self.origin.authority.clone());
        headers
            .entry(USER_AGENT)
            .or_insert_with(|| self.user_agent.clone());
        headers
            .entry(ACCEPT)
            .or_insert_with(|| HeaderValue::from_static("*/*"));
        let mut message = http::Request::new(Full::new(body.unwrap_or_default()));
        *message.method_mut() = method;
        *message.uri_mut() = uri;
        *message.headers_mut() = headers;
        Ok(message)
    }

    /// An idle connection that is still open and not idle for too long, if there is one.
    fn checkout(&self) -> Option<Box<Live>> {
        loop {
            let (mut live, since) = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()?;
            // Not logged: one line per request would drown the lines that matter.
            if since.elapsed() < IDLE_TIMEOUT && live.ready_for_a_request() {
                return Some(live);
            }
            tracing::trace!("dollr http: dropping an idle connection (closed, or idle too long)");
        }
    }

    fn checkin(&self, live: Box<Live>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // The oldest first: any that waited too long go now rather than at a checkout.
        let expired = idle
            .iter()
            .take_while(|(_, since)| since.elapsed() >= IDLE_TIMEOUT)
            .count();
        idle.drain(..expired);
        idle.push((live, Instant::now()));
    }

    /// Opens a connection (TCP, then TLS for `https`), within the connect timeout.
    async fn connect(&self) -> std::result::Result<Box<Live>, TransportError> {
        tokio::time::timeout(self.connect_timeout, self.open())
            .await
            .unwrap_or_else(|_| {
                Err(TransportError::Connect(
                    "no connection within the connect timeout".to_string(),
                ))
            })
    }

    async fn open(&self) -> std::result::Result<Box<Live>, TransportError> {
        let origin = &self.origin;
        let addresses: Vec<std::net::SocketAddr> =
            tokio::net::lookup_host((origin.host.as_str(), origin.port))
                .await
                .map_err(|e| not_connected(&e))?
                .collect();
        if addresses.is_empty() {
            return Err(TransportError::Connect(format!(
                "{} has no address",
                origin.host
            )));
        }
        let tcp = connect_any(addresses).await?;
        tcp.set_nodelay(true).map_err(|e| not_connected(&e))?;
        let stream = match &origin.tls {
            None => Either::Left(tcp),
            Some((connector, name)) => Either::Right(Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| not_connected(&e))?,
            )),
        };
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| not_connected(&e))?;
        tracing::trace!(
            host = %origin.host,
            port = origin.port,
            tls = origin.tls.is_some(),
            "dollr http: connected"
        );
        Ok(Box::new(Live {
            sender,
            connection: Some(connection),
        }))
    }
}

// Against servers written here byte by byte: what each connection receives and how it ends is
// the test's to decide (a real HTTP server would hide both).
#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;
    use crate::transport::{HttpRequest, Method, ReqwestSettings, ReqwestTransport};

    /// How the test server treats each request it reads.
    #[derive(Clone, Copy)]
    enum Answer {
        /// 200 with a body naming the request's number, connection kept open.
        KeepAlive,
        /// 200, then the server closes the connection (announced with `Connection: close`).
        ThenClose,
        /// 200 kept alive; the server closes the connection unannounced (an idle timeout) when
        /// the test tells it to.
        ThenDropWhenTold,
        /// Reads the request and closes the connection without answering.
        Nothing,
    }

    /// What a test server saw: connections accepted, requests read, connections it closed.
    #[derive(Default)]
    struct Seen {
        connections: AtomicUsize,
        requests: AtomicUsize,
    }

    /// A test server: its URL, what it saw, each connection it closed (one message each), and
    /// the signal that closes a `ThenDropWhenTold` connection.
    struct Server {
        url: String,
        seen: Arc<Seen>,
        closed: mpsc::UnboundedReceiver<()>,
        drop_idle: Arc<tokio::sync::Notify>,
    }

    /// Serves `answers` (one per request, in order across connections; past the end the last is
    /// repeated) on a loopback port.
    async fn serve(answers: Vec<Answer>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let seen = Arc::new(Seen::default());
        let (closed, closed_events) = mpsc::unbounded_channel();
        let drop_idle = Arc::new(tokio::sync::Notify::new());
        let counters = seen.clone();
        let told = drop_idle.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counters.connections.fetch_add(1, Ordering::SeqCst);
                let counters = counters.clone();
                let answers = answers.clone();
                let closed = closed.clone();
                let told = told.clone();
                tokio::spawn(async move {
                    let mut pending = Vec::new();
                    let mut buffer = [0_u8; 4096];
                    loop {
                        while !pending.windows(4).any(|w: &[u8]| w == b"\r\n\r\n") {
                            match socket.read(&mut buffer).await {
                                Ok(0) | Err(_) => return,
                                Ok(read) => pending.extend_from_slice(&buffer[..read]),
                            }
                        }
                        let end = pending
                            .windows(4)
                            .position(|w| w == b"\r\n\r\n")
                            .map_or(0, |at| at + 4);
                        pending.drain(..end);
                        let number = counters.requests.fetch_add(1, Ordering::SeqCst);
                        let answer = answers[number.min(answers.len() - 1)];
                        let body = format!("request {number}");
                        let head = match answer {
                            Answer::ThenClose => "Connection: close\r\n",
                            _ => "",
                        };
                        if !matches!(answer, Answer::Nothing) {
                            let response = format!(
                                "HTTP/1.1 200 OK\r\n{head}Content-Length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if socket.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        if matches!(answer, Answer::ThenDropWhenTold) {
                            told.notified().await;
                        }
                        if !matches!(answer, Answer::KeepAlive) {
                            drop(socket);
                            let _ = closed.send(());
                            return;
                        }
                    }
                });
            }
        });
        Server {
            url,
            seen,
            closed: closed_events,
            drop_idle,
        }
    }

    /// How many connections the transport holds idle for its origin.
    fn idle(transport: &ReqwestTransport) -> usize {
        transport
            .origin
            .get()
            .and_then(|origin| origin.pool.as_ref())
            .map_or(0, |pool| {
                pool.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len()
            })
    }

    fn transport(extra_root_ca_pem: Option<&[u8]>) -> ReqwestTransport {
        ReqwestTransport::new(ReqwestSettings {
            user_agent: "dollr-test",
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(20),
            extra_root_ca_pem,
            max_response_body: 1 << 20,
        })
        .expect("a transport")
    }

    async fn get(
        transport: &ReqwestTransport,
        url: &str,
    ) -> std::result::Result<String, TransportError> {
        let response = transport
            .exchange(HttpRequest {
                method: Method::Get,
                url: format!("{url}/v1/fees/tiers"),
                headers: HeaderMap::new(),
                body: None,
                timeout: None,
            })
            .await?;
        assert_eq!(response.status, 200);
        Ok(String::from_utf8_lossy(&response.body).into_owned())
    }

    #[tokio::test]
    async fn requests_one_after_another_share_one_connection() {
        let server = serve(vec![Answer::KeepAlive]).await;
        let transport = transport(None);
        for number in 0..3 {
            let answer = get(&transport, &server.url).await.expect("an answer");
            assert_eq!(answer, format!("request {number}"));
            assert_eq!(idle(&transport), 1);
        }
        assert_eq!(server.seen.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_pooled_connection_the_server_closed_is_replaced_and_the_request_sent_once() {
        let mut server = serve(vec![Answer::ThenDropWhenTold, Answer::KeepAlive]).await;
        let transport = transport(None);
        assert_eq!(
            get(&transport, &server.url).await.expect("an answer"),
            "request 0"
        );
        assert_eq!(idle(&transport), 1);
        // The server closes the pooled connection (on loopback its FIN is with us once the close
        // returns): the next request goes on a new connection, and only there.
        server.drop_idle.notify_one();
        server.closed.recv().await.expect("the server closed it");
        assert_eq!(
            get(&transport, &server.url).await.expect("an answer"),
            "request 1"
        );
        assert_eq!(server.seen.requests.load(Ordering::SeqCst), 2);
        assert_eq!(server.seen.connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_answer_that_closes_the_connection_is_not_pooled() {
        let server = serve(vec![Answer::ThenClose]).await;
        let transport = transport(None);
        assert_eq!(
            get(&transport, &server.url).await.expect("an answer"),
            "request 0"
        );
        assert_eq!(idle(&transport), 0);
        assert_eq!(
            get(&transport, &server.url).await.expect("an answer"),
            "request 1"
        );
        assert_eq!(server.seen.connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_request_written_and_never_answered_is_broken_and_never_sent_again() {
        // On a pooled connection (the case a retry would be tempted by) and on a new one.
        let server = serve(vec![Answer::KeepAlive, Answer::Nothing]).await;
        let transport = transport(None);
        assert_eq!(
            get(&transport, &server.url).await.expect("an answer"),
            "request 0"
        );
        assert_eq!(idle(&transport), 1);
        let error = get(&transport, &server.url).await.expect_err("no answer");
        assert!(matches!(error, TransportError::Broken(_)), "{error:?}");
        assert!(error.maybe_processed());
        assert_eq!(server.seen.requests.load(Ordering::SeqCst), 2);
        let error = get(&transport, &server.url).await.expect_err("no answer");
        assert!(matches!(error, TransportError::Broken(_)), "{error:?}");
        assert_eq!(server.seen.requests.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn without_its_own_connections_reqwest_sends_with_the_same_limits() {
        // What a proxy in the environment (or Windows) gives: no pool, reqwest for everything.
        let server = serve(vec![Answer::KeepAlive]).await;
        let mut transport = ReqwestTransport::new(ReqwestSettings {
            user_agent: "dollr-test",
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(20),
            extra_root_ca_pem: None,
            max_response_body: 9,
        })
        .expect("a transport");
        transport.direct = None;
        assert_eq!(
            get(&transport, &server.url).await.expect("an answer"),
            "request 0"
        );
        assert!(transport
            .origin
            .get()
            .is_some_and(|origin| origin.pool.is_none()));
        // "request 10" is 10 bytes: over the limit of 9.
        for _ in 1..10 {
            get(&transport, &server.url).await.expect("an answer");
        }
        let error = get(&transport, &server.url).await.expect_err("too long");
        assert_eq!(error, TransportError::BodyTooLarge { limit: 9 });
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        drop(listener);
        let error = get(&transport(None), &url).await.expect_err("refused");
        assert!(matches!(error, TransportError::Connect(_)), "{error:?}");
        assert!(!error.maybe_processed());
    }

    #[tokio::test]
    async fn an_address_that_refuses_is_passed_over_for_the_next() {
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let refusing = closed.local_addr().expect("its address");
        drop(closed);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let open = listener.local_addr().expect("its address");
        let tcp = connect_any(vec![refusing, open])
            .await
            .expect("the second address");
        assert_eq!(tcp.peer_addr().expect("connected"), open);
        let error = connect_any(vec![refusing]).await.expect_err("refused");
        assert!(matches!(error, TransportError::Connect(_)), "{error:?}");
        let error = connect_any(Vec::new()).await.expect_err("nothing to try");
        assert!(matches!(error, TransportError::Connect(_)), "{error:?}");
    }

    #[tokio::test]
    async fn an_address_that_never_answers_is_passed_over_for_the_next() {
        // A broken route on loopback: a listener whose accept queue is full. The kernel drops
        // every further SYN, so a connect to it neither succeeds nor fails; the client resends
        // its SYN for about two minutes (`tcp_syn_retries`).
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bound");
        let full = socket.listen(1).expect("listening");
        let silent = full.local_addr().expect("its address");
        // Queued by the kernel and never accepted: with a backlog of 1, two fill the queue.
        let mut queued = Vec::new();
        for _ in 0..2 {
            queued.push(TcpStream::connect(silent).await.expect("queued"));
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let open = listener.local_addr().expect("its address");
        // Without trying the next address beside the first, this would wait out the SYN
        // retries (over a minute) before the open address were tried.
        let tcp = tokio::time::timeout(Duration::from_secs(60), connect_any(vec![silent, open]))
            .await
            .expect("connected long before the silent address gave up")
            .expect("the next address");
        assert_eq!(tcp.peer_addr().expect("connected"), open);
        drop(queued);
    }

    #[test]
    fn a_proxy_named_by_the_environment_leaves_everything_to_reqwest() {
        let environment = |set: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                set.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| std::ffi::OsString::from(value))
            }
        };
        assert!(!proxy_in_environment(environment(&[])));
        assert!(!proxy_in_environment(environment(&[("HTTPS_PROXY", "")])));
        assert!(!proxy_in_environment(environment(&[("NO_PROXY", "*")])));
        for name in PROXY_VARIABLES {
            let set: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([(name, "http://proxy.example:3128")]));
            assert!(proxy_in_environment(environment(set)), "{name}");
        }
    }

    #[test]
    fn an_extra_root_that_is_not_a_pem_certificate_is_refused_naming_the_option() {
        for pem in [
            &b"not a certificate"[..],
            b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
        ] {
            let error = tls_config(Some(pem)).expect_err("refused");
            assert!(error.to_string().contains("extra_root_ca_pem"), "{error}");
        }
    }

    /// A certificate authority and a certificate it issued for `localhost`.
    fn authority_and_server() -> (String, rustls::ServerConfig) {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().expect("a key");
        let ca = ca_params.self_signed(&ca_key).expect("the authority");
        let server_params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        let server_key = rcgen::KeyPair::generate().expect("a key");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let server = server_params
            .signed_by(&server_key, &issuer)
            .expect("the certificate");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der())
                .expect("the key"),
        )
        .expect("a server configuration");
        (ca.pem(), config)
    }

    #[tokio::test]
    async fn https_to_a_server_the_extra_root_vouches_for_and_not_without_it() {
        let (ca_pem, server_config) = authority_and_server();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("its address").port();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let mut request = Vec::new();
                    let mut buffer = [0_u8; 4096];
                    loop {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => request.extend_from_slice(&buffer[..read]),
                        }
                        while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            request.drain(..end + 4);
                            let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
                            if tls.write_all(reply).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        let url = format!("https://localhost:{port}");
        let trusted = transport(Some(ca_pem.as_bytes()));
        assert_eq!(get(&trusted, &url).await.expect("an answer"), "secure");
        assert_eq!(get(&trusted, &url).await.expect("an answer"), "secure");
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "one TLS connection, reused"
        );
        let error = get(&transport(None), &url)
            .await
            .expect_err("an unknown issuer");
        assert!(
            matches!(&error, TransportError::Connect(reason) if reason.contains("certificate")),
            "{error:?}"
        );
    }
}
