//! Starting and controlling a sandbox in process.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::get;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use crate::config::{ConfigPatch, SandboxConfig};
use crate::conn::JsonErrorStream;
use crate::faults::{FaultConfig, FaultRule};
use crate::http::{self, App, Sandboxed, Shared};
use crate::money::Currency;
use crate::state::{RequestLogEntry, State};
use crate::{api, control, openapi};

/// Why `advance` could not move an execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdvanceError {
    /// No execution has this reference_id.
    NotFound,
    /// The execution is already COMPLETED or FAILED.
    AlreadyFinal(String),
}

impl std::fmt::Display for AdvanceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdvanceError::NotFound => f.write_str("no execution with this reference_id"),
            AdvanceError::AlreadyFinal(s) => write!(f, "the execution is already {s}"),
        }
    }
}

impl std::error::Error for AdvanceError {}

struct Inner {
    app: App,
    addr: SocketAddr,
    url: String,
    shutdown: watch::Sender<bool>,
    stopped: watch::Receiver<bool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Inner {
    fn stop(&self) {
        let _ = self.shutdown.send(true);
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            // Never join ourselves (cannot happen through the public API, but be safe).
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running sandbox. Cheap to clone (an `Arc`); shut down when the last
/// clone is dropped or [`Sandbox::shutdown`] is called.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

fn url_for(addr: SocketAddr) -> String {
    let host = match addr.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    match host {
        IpAddr::V6(v6) => format!("http://[{v6}]:{}", addr.port()),
        IpAddr::V4(v4) => format!("http://{v4}:{}", addr.port()),
    }
}

pub(crate) fn router(app: App) -> Router {
    let operations = api::operations();
    let document = Bytes::from(openapi::document(operations.iter().map(|r| &r.spec)).to_string());
    Router::new()
        .merge(api::routes(operations))
        .merge(control::routes())
        .route(
            "/openapi.json",
            get(move || std::future::ready(http::json_bytes(Bytes::clone(&document)))),
        )
        .fallback(http::not_found)
        .method_not_allowed_fallback(http::method_not_allowed)
        .with_state(app)
}

/// Every request's service: the outer middleware (request log, counters, faults, body limit,
/// JSON error bodies, panic safety) around the [`router`].
pub(crate) fn service(app: App) -> Sandboxed {
    Sandboxed::new(app.clone(), router(app))
}

/// Applies due transitions in the background, so state changes (and their
/// events) happen on time even when nobody polls.
async fn settle_loop(app: App, mut shutdown: watch::Receiver<bool>) {
    loop {
        let due = app.with(|st| st.next_due());
        let wait = match due {
            Some(d) => d.clamp(Duration::from_millis(1), Duration::from_millis(200)),
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = app.notify.notified() => {}
            r = shutdown.changed() => {
                if r.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}

/// Resolves once shutdown is asked (or its sender is gone).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Serves one connection until it closes, or until shutdown (then in-flight requests finish).
async fn serve_connection(
    stream: TcpStream,
    service: Sandboxed,
    header_read_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let io = TokioIo::new(JsonErrorStream::new(stream));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connection = builder.serve_connection(io, TowerToHyperService::new(service));
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "dollr-sandbox connection ended with an error");
            }
            return;
        }
        () = stopping(&mut shutdown) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// Accepts connections until shutdown, then waits for the open ones to finish. (Not
/// `axum::serve`: it cannot bound header reads.)
async fn serve(
    (listener, realtime_listener): (TcpListener, TcpListener),
    app: App,
    shutdown: watch::Receiver<bool>,
) {
    let ticker = tokio::spawn(settle_loop(app.clone(), shutdown.clone()));
    let realtime = tokio::spawn(crate::realtime::serve(
        realtime_listener,
        app.clone(),
        shutdown.clone(),
    ));
    let header_read_timeout = app.header_timeout;
    let service = service(app);
    let mut connections = tokio::task::JoinSet::new();
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(
                        stream,
                        service.clone(),
                        header_read_timeout,
                        shutdown.clone(),
                    ));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "dollr-sandbox could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = stopping(&mut stop) => break,
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
    let _ = realtime.await;
    ticker.abort();
}

/// Opening faults out of bounds are refused like `PUT /_sandbox/faults` refuses them.
fn check_faults(config: &SandboxConfig) -> io::Result<()> {
    config.faults.check().map_err(|problem| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("faults: {problem}"))
    })
}

type Listeners = (TcpListener, TcpListener);

async fn bind(config: &SandboxConfig) -> io::Result<(Listeners, App, SocketAddr)> {
    let listener = TcpListener::bind((config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    let realtime_listener = TcpListener::bind((config.host, config.realtime_port)).await?;
    let realtime_addr = realtime_listener.local_addr()?;
    let app = Arc::new(Shared {
        state: Mutex::new(State::new(config)),
        notify: Notify::new(),
        base_url: url_for(addr),
        supabase_url: url_for(realtime_addr),
        max_body: config.max_body_bytes,
        body_timeout: config.body_read_timeout,
        header_timeout: config.header_read_timeout,
    });
    Ok(((listener, realtime_listener), app, addr))
}

impl Sandbox {
    /// Starts the sandbox on the current tokio runtime (port 0 = a free port).
    pub async fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        check_faults(&config)?;
        let (listener, app, addr) = bind(&config).await?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let server_app = app.clone();
        tokio::spawn(async move {
            serve(listener, server_app, shutdown_rx).await;
            let _ = stopped_tx.send(true);
        });
        tracing::info!(%addr, "dollr-sandbox listening");
        Ok(Sandbox::from_parts(
            app,
            addr,
            shutdown_tx,
            stopped_rx,
            None,
        ))
    }

    /// Starts the sandbox on its own thread with its own multi-thread tokio
    /// runtime: for callers without a runtime (Python, Node, Kotlin helpers).
    /// Works from inside a tokio runtime too.
    pub fn start_in_background(config: SandboxConfig) -> io::Result<Sandbox> {
        check_faults(&config)?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<(App, SocketAddr)>>();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("dollr-sandbox".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("dollr-sandbox-worker")
                    .enable_all()
                    .build();
                let runtime = match runtime {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match bind(&config).await {
                        Ok((listener, app, addr)) => {
                            let _ = ready_tx.send(Ok((app.clone(), addr)));
                            serve(listener, app, shutdown_rx).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                drop(runtime);
                let _ = stopped_tx.send(true);
            })?;
        let (app, addr) = match ready_rx.recv() {
            Ok(r) => r?,
            Err(_) => {
                return Err(io::Error::other(
                    "the dollr-sandbox thread exited before it was ready",
                ))
            }
        };
        Ok(Sandbox::from_parts(
            app,
            addr,
            shutdown_tx,
            stopped_rx,
            Some(thread),
        ))
    }

    fn from_parts(
        app: App,
        addr: SocketAddr,
        shutdown: watch::Sender<bool>,
        stopped: watch::Receiver<bool>,
        thread: Option<std::thread::JoinHandle<()>>,
    ) -> Sandbox {
        Sandbox {
            inner: Arc::new(Inner {
                url: url_for(addr),
                app,
                addr,
                shutdown,
                stopped,
                thread: Mutex::new(thread),
            }),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// `http://127.0.0.1:PORT` of the Supabase Realtime server: the `SUPABASE_URL` a client
    /// configures (its socket is `ws://127.0.0.1:PORT/realtime/v1/websocket`).
    pub fn supabase_url(&self) -> String {
        self.inner.app.supabase_url.clone()
    }

    /// The project's anon key (`SUPABASE_ANON_KEY`): a JWT the realtime socket accepts as `apikey`.
    pub fn supabase_anon_key(&self) -> String {
        crate::realtime::anon_key()
    }

    /// Sends a `postgres_changes` message saying the collection `reference_id` is now `status`,
    /// without changing it (a realtime message that disagrees with the status API, for tests).
    pub fn publish_realtime_status(
        &self,
        reference_id: &str,
        status: &str,
    ) -> Result<(), AdvanceError> {
        self.inner
            .app
            .publish_realtime_status(reference_id, status)
            .map(|_| ())
            .map_err(|_| AdvanceError::NotFound)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The client id the token endpoint accepts.
    pub fn client_id(&self) -> String {
        self.inner.app.with(|st| st.settings.client_id.clone())
    }

    /// The client secret the token endpoint accepts.
    pub fn client_secret(&self) -> String {
        self.inner.app.with(|st| st.settings.client_secret.clone())
    }

    /// The payout passcode.
    pub fn passcode(&self) -> String {
        self.inner.app.with(|st| st.settings.passcode.clone())
    }

    /// The seed in use (reported so a failing run can be replayed).
    pub fn seed(&self) -> u64 {
        self.inner.app.with(|st| st.seed)
    }

    /// Replaces the fault configuration.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.inner.app.set_faults(faults);
    }

    /// Appends one fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.inner.app.with(|st| st.faults.rules.push(rule));
    }

    /// The current faults (counted rules show what is left).
    pub fn faults(&self) -> FaultConfig {
        self.inner.app.faults()
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.inner.app.set_faults(FaultConfig::none());
    }

    /// The stats document (same as `GET /_sandbox/stats`).
    pub fn stats(&self) -> Value {
        self.inner.app.with(|st| st.stats_json())
    }

    /// The request log, oldest first.
    pub fn request_log(&self) -> Vec<RequestLogEntry> {
        self.inner.app.with(|st| st.log.iter().cloned().collect())
    }

    /// State-change events of executions, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.inner
            .app
            .with(|st| st.events.iter().cloned().collect())
    }

    /// Back to the opening state (data, wallets, faults, stats, clock); settings
    /// and tokens stay.
    pub fn reset(&self) {
        self.inner.app.reset();
    }

    /// Moves the execution with this reference_id to its next state and
    /// returns the new status (`PROCESSING`, `COMPLETED` or `FAILED`).
    pub fn advance(&self, reference_id: &str) -> Result<String, AdvanceError> {
        self.advance_inner(reference_id, false)
    }

    /// Moves the execution straight to its final state.
    pub fn advance_to_final(&self, reference_id: &str) -> Result<String, AdvanceError> {
        self.advance_inner(reference_id, true)
    }

    fn advance_inner(&self, reference_id: &str, to_final: bool) -> Result<String, AdvanceError> {
        match self.inner.app.advance(reference_id, to_final) {
            Ok(v) => Ok(v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()),
            Err(crate::error::ApiError::NotFound(_)) => Err(AdvanceError::NotFound),
            Err(e) => Err(AdvanceError::AlreadyFinal(
                e.body_json()
                    .get("detail")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            )),
        }
    }

    /// Moves the sandbox clock forward (executions and sessions follow it;
    /// access tokens use the wall clock).
    pub fn advance_clock(&self, by: Duration) {
        self.inner
            .app
            .advance_clock(u64::try_from(by.as_millis()).unwrap_or(u64::MAX));
    }

    /// Changes settings at runtime.
    pub fn update_config(&self, patch: ConfigPatch) {
        self.inner.app.patch_config(&patch);
    }

    /// Invalidates every issued access token; returns how many there were.
    pub fn revoke_tokens(&self) -> usize {
        self.inner.app.revoke_tokens()
    }

    /// The merchant wallets (`[{id, currency, balance, status}]`).
    pub fn wallets(&self) -> Value {
        self.inner.app.wallets_json()
    }

    /// Sets a wallet balance.
    pub fn set_wallet_balance(&self, currency: Currency, balance: Decimal) {
        self.inner.app.set_wallet_balance(currency, balance);
    }

    /// Every payment intent (one per execution, with its numeric id).
    pub fn payment_intents(&self) -> Value {
        self.inner.app.payment_intents_json()
    }

    /// Stops accepting connections and lets in-flight requests finish. For a
    /// background sandbox this waits for its thread; otherwise use
    /// [`Sandbox::stopped`] to wait.
    pub fn shutdown(&self) {
        self.inner.stop();
    }

    /// Resolves once the server has stopped.
    pub async fn stopped(&self) {
        let mut rx = self.inner.stopped.clone();
        let _ = rx.wait_for(|s| *s).await;
    }
}
