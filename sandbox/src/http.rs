//! Shared app state, extractors and the outer middleware (request log, stats,
//! faults, body limit, JSON error bodies, panic safety).

use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{BoxError, Router};
use chrono::Utc;
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tower_service::Service;

use crate::error::{ApiError, FieldError};
use crate::faults::{self, PreFault};
use crate::state::{RequestLogEntry, State as SandboxState};

/// Everything the handlers share.
pub(crate) struct Shared {
    pub state: Mutex<SandboxState>,
    /// Wakes the settle task when something became due earlier.
    pub notify: Notify,
    /// `http://host:port` the sandbox is reachable at.
    pub base_url: String,
    /// `http://host:port` of the Supabase Realtime server (the `SUPABASE_URL` to configure).
    pub supabase_url: String,
    pub max_body: usize,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
    /// How long a request head may take to arrive (and an idle keep-alive connection may stay).
    pub header_timeout: Duration,
}

/// The axum state.
pub(crate) type App = Arc<Shared>;

impl Shared {
    /// Runs `f` on the state after applying due transitions. Never held across an await.
    pub fn with<R>(&self, f: impl FnOnce(&mut SandboxState) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        guard.tick();
        f(&mut guard)
    }
}

/// A `delay_commit` fault fired on this request: the handler holds the execution's commit until
/// this many status lookups of its reference id answered 404.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HoldCommit(pub u32);

/// The held-commit instruction of a request, if any (see [`HoldCommit`]).
pub(crate) struct Hold(pub Option<u32>);

impl FromRequestParts<App> for Hold {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _app: &App) -> Result<Hold, ApiError> {
        Ok(Hold(parts.extensions.get::<HoldCommit>().map(|h| h.0)))
    }
}

/// An answer whose JSON was written once, ahead of the requests it serves (a constant document):
/// each request clones a reference to the bytes instead of building and writing them again.
pub(crate) fn json_bytes(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

tokio::task_local! {
    /// The route template that answered the request being served, set by its [`Tagged`] handler
    /// and read by [`outer`] for the request log and the per-route counters. A task-local rather
    /// than a response extension: the first extension of a response allocates its map (issue #19:
    /// the read path's cost per request).
    static ROUTE: Cell<Option<&'static str>>;
}

/// The execution reference a response is about (for the request log).
#[derive(Clone, Debug)]
pub(crate) struct RefTag(pub String);

/// A route's handler that names its route's template to [`outer`] when it answers ([`ROUTE`]).
///
/// A handler adapter rather than a middleware layer (it was `route_layer(from_fn(..))`): axum
/// boxes and clones a layered service on every request, and matching the template needs its
/// `MatchedPath` extension; this adds neither an allocation nor a clone (issue #19: the read
/// path's cost per request).
#[derive(Clone, Copy)]
pub(crate) struct Tagged<H> {
    pub handler: H,
    pub route: &'static str,
}

impl<H, T, S> Handler<T, S> for Tagged<H>
where
    H: Handler<T, S>,
    // Every handler here is an `async fn`, whose axum future is boxed (so `Unpin`).
    H::Future: Unpin,
    T: 'static,
{
    type Future = TaggedFuture<H::Future>;

    fn call(self, req: Request, state: S) -> Self::Future {
        TaggedFuture {
            inner: self.handler.call(req, state),
            route: self.route,
        }
    }
}

/// The future of a [`Tagged`] handler.
pub(crate) struct TaggedFuture<F> {
    inner: F,
    route: &'static str,
}

impl<F> Future for TaggedFuture<F>
where
    F: Future<Output = Response> + Unpin,
{
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let answer = Pin::new(&mut self.inner).poll(cx);
        if answer.is_ready() {
            // Outside `outer` (a router driven on its own) there is no slot to fill.
            let _ = ROUTE.try_with(|slot| slot.set(Some(self.route)));
        }
        answer
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn is_json_response(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

/// Whether `resp` is an error without a JSON body (axum rejections, empty 405s), which
/// [`json_error`] rewrites.
fn needs_json_error(resp: &Response) -> bool {
    resp.status().as_u16() >= 400 && !is_json_response(resp)
}

/// Turns a non-JSON error into `{"detail": ...}`.
async fn json_error(resp: Response) -> Response {
    let status = resp.status();
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        text
    };
    let mut out = (status, axum::Json(json!({ "detail": detail }))).into_response();
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// A response whose body fails at once: hyper aborts the connection without
/// writing a complete response, so the client sees a transport-level error.
fn dropped_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other(
            "dollr-sandbox: response dropped by fault injection",
        ))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    resp
}

/// An error answer after which the connection is closed: the rest of the request (a body too
/// large or too slow to read) is never read, so the connection cannot carry another request.
fn closing(error: ApiError) -> Response {
    let mut resp = error.into_response();
    resp.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    resp
}

/// Reads the whole body, bounded in size and in time, before anything else happens: a client
/// that announces more than it sends gets a 408 instead of holding the connection forever. The
/// answer to send instead of routing, if any (the body then left empty).
async fn read_body(app: &App, req: &mut Request) -> Option<Response> {
    // A request without a body (most GETs): nothing to read, so no read timer to set, and the
    // request is not taken apart (issue #19: the read path's cost per request).
    if req.body().is_end_stream() {
        return None;
    }
    if content_length(req.headers()).is_some_and(|n| n > app.max_body) {
        return Some(closing(ApiError::PayloadTooLarge(app.max_body)));
    }
    let body = std::mem::take(req.body_mut());
    let read = tokio::time::timeout(app.body_timeout, axum::body::to_bytes(body, app.max_body));
    match read.await {
        Ok(Ok(bytes)) => {
            *req.body_mut() = Body::from(bytes);
            None
        }
        Ok(Err(_)) => Some(closing(ApiError::PayloadTooLarge(app.max_body))),
        Err(_) => Some(closing(ApiError::RequestTimeout(
            app.body_timeout.as_millis(),
        ))),
    }
}

/// The whole sandbox as one service: [`outer`] around the router.
///
/// A service wrapping the router rather than a layer inside it (it was
/// `layer(from_fn_with_state(..))`): axum applies a layer to every route separately, then boxes
/// and clones the layered service on every request (issue #19: the read path's cost per request).
#[derive(Clone)]
pub(crate) struct Sandboxed {
    app: App,
    router: Router,
}

impl Sandboxed {
    pub fn new(app: App, router: Router) -> Sandboxed {
        Sandboxed { app, router }
    }
}

impl<B> Service<axum::http::Request<B>> for Sandboxed
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let (app, router) = (self.app.clone(), self.router.clone());
        outer(app, router, req.map(Body::new)).map(Ok).boxed()
    }
}

/// The outer middleware, around every request (routed or not).
async fn outer(app: App, mut router: Router, mut req: Request) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/v1/");
    let started = Instant::now();
    let arrived = Utc::now();
    let early = read_body(&app, &mut req).await;

    let decision = if is_api && early.is_none() {
        app.with(|st| {
            if path == "/v1/jwt/client/obtain/token" {
                st.stats.token_requests += 1;
            }
            faults::decide(&mut st.faults, &mut st.fault_rng, &method, &path)
        })
    } else {
        faults::Decision::default()
    };
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    if let Some(lookups) = decision.hold {
        req.extensions_mut().insert(HoldCommit(lookups));
    }

    // The route template that answered, if a route did (faulted and refused requests reach none).
    let (resp, route) = match (early, decision.pre) {
        (Some(early), _) => (early, None),
        (None, Some(PreFault::Error(code))) => (ApiError::Internal(code).into_response(), None),
        (None, Some(PreFault::RateLimit(secs))) => {
            (ApiError::RateLimited(secs).into_response(), None)
        }
        (None, None) => {
            let routed = ROUTE.scope(Cell::new(None), async {
                let answer = AssertUnwindSafe(router.call(req)).catch_unwind().await;
                (answer, ROUTE.with(Cell::get))
            });
            let (answer, route) = routed.await;
            let resp = match answer {
                Ok(Ok(resp)) => resp,
                Ok(Err(never)) => match never {},
                Err(_panic) => ApiError::Internal(500).into_response(),
            };
            (resp, route)
        }
    };
    let mut resp = if needs_json_error(&resp) {
        json_error(resp).await
    } else {
        resp
    };

    if is_api {
        // The tag exists for this log only: taken from the response, not cloned.
        let reference = resp.extensions_mut().remove::<RefTag>().map(|r| r.0);
        let entry = RequestLogEntry {
            id: 0,
            time: arrived,
            method,
            path,
            route,
            status: resp.status().as_u16(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            fault: decision.label(),
            reference_id: reference,
        };
        app.with(|st| st.record_request(entry, decision.pre.is_some()));
    }
    if decision.drop {
        return dropped_response();
    }
    resp
}

/// An authenticated request (valid bearer token).
pub(crate) struct Auth;

impl FromRequestParts<App> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Auth, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::NotAuthenticated);
        };
        // `<scheme> <token>`, split at the first ASCII whitespace. Only the short scheme is
        // scanned byte by byte: the token (~240 bytes) is looked up as it is, since every token
        // the sandbox issues is visible ASCII without whitespace, so a header with anything else
        // in it (a third word, a control byte, bytes that are not UTF-8) matches none and is
        // refused like an unknown token (issue #19: this runs on every authenticated request).
        let value = value.as_bytes().trim_ascii();
        let scheme_end = value
            .iter()
            .position(u8::is_ascii_whitespace)
            .ok_or(ApiError::InvalidCredentials)?;
        let (scheme, token) = value.split_at(scheme_end);
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return Err(ApiError::InvalidCredentials);
        }
        let token = token.trim_ascii_start();
        if app.with(|st| st.token_valid(token)) {
            Ok(Auth)
        } else {
            Err(ApiError::InvalidCredentials)
        }
    }
}

/// A JSON body: `None` when the body is empty.
pub(crate) struct JsonBody(pub Option<Value>);

impl FromRequest<App> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<JsonBody, ApiError> {
        let limit = app.max_body;
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.to_ascii_lowercase());
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(limit))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(None));
        }
        if let Some(ct) = content_type {
            let essence = ct.split(';').next().unwrap_or("").trim().to_owned();
            if essence != "application/json" && !essence.ends_with("+json") {
                return Err(ApiError::UnsupportedMediaType);
            }
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => Ok(JsonBody(Some(v))),
            Err(e) => Err(ApiError::field(FieldError::new(
                vec![json!("body"), json!(e.column())],
                format!("JSON decode error: {e}"),
                "value_error.jsondecode",
            ))),
        }
    }
}

/// The raw query string.
pub(crate) struct RawQuery(pub Option<String>);

impl FromRequestParts<App> for RawQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _app: &App) -> Result<RawQuery, ApiError> {
        Ok(RawQuery(parts.uri.query().map(str::to_owned)))
    }
}

/// The base URL to show in links: the request's Host when present.
pub(crate) struct BaseUrl(pub String);

impl FromRequestParts<App> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<BaseUrl, ApiError> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()));
        Ok(BaseUrl(match host {
            Some(h) => format!("http://{h}"),
            None => app.base_url.clone(),
        }))
    }
}

/// A JSON 200 tagged with an execution reference for the request log.
pub(crate) fn with_ref(body: Value, reference: &str) -> Response {
    let mut resp = axum::Json(body).into_response();
    resp.extensions_mut().insert(RefTag(reference.to_owned()));
    resp
}

/// Fallback for unknown routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("Not Found".to_owned())
}

/// Fallback for known routes with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
