//! Shared app state, extractors and the outer middleware (request log, stats,
//! faults, body limit, JSON error bodies, panic safety).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures::FutureExt;
use serde_json::{json, Value};
use tokio::sync::Notify;

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

/// The route template matched, carried from the inner to the outer middleware.
#[derive(Clone, Debug)]
pub(crate) struct RouteTag(pub String);

/// The execution reference a response is about (for the request log).
#[derive(Clone, Debug)]
pub(crate) struct RefTag(pub String);

/// Inner middleware: remembers the matched route on the response.
pub(crate) async fn tag_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut resp = next.run(req).await;
    if let Some(r) = route {
        resp.extensions_mut().insert(RouteTag(r));
    }
    resp
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

/// Turns any non-JSON error (axum rejections, empty 405s) into `{"detail": ...}`.
async fn ensure_json_error(resp: Response) -> Response {
    let status = resp.status();
    if status.as_u16() < 400 || is_json_response(&resp) {
        return resp;
    }
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
/// that announces more than it sends gets a 408 instead of holding the connection forever.
async fn read_body(app: &App, req: Request) -> (Request, Option<Response>) {
    let (parts, body) = req.into_parts();
    // A request without a body (most GETs): nothing to read, so no read timer to set (issue #19:
    // the read path's cost per request).
    if body.is_end_stream() {
        return (Request::from_parts(parts, Body::empty()), None);
    }
    if content_length(&parts.headers).is_some_and(|n| n > app.max_body) {
        let early = closing(ApiError::PayloadTooLarge(app.max_body));
        return (Request::from_parts(parts, Body::empty()), Some(early));
    }
    let read = tokio::time::timeout(app.body_timeout, axum::body::to_bytes(body, app.max_body));
    match read.await {
        Ok(Ok(bytes)) => (Request::from_parts(parts, Body::from(bytes)), None),
        Ok(Err(_)) => (
            Request::from_parts(parts, Body::empty()),
            Some(closing(ApiError::PayloadTooLarge(app.max_body))),
        ),
        Err(_) => (
            Request::from_parts(parts, Body::empty()),
            Some(closing(ApiError::RequestTimeout(
                app.body_timeout.as_millis(),
            ))),
        ),
    }
}

/// The outer middleware, around every route.
pub(crate) async fn outer(State(app): State<App>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/v1/");
    let started = Instant::now();
    let arrived = Utc::now();
    let (mut req, early) = read_body(&app, req).await;

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

    let resp = match (early, decision.pre) {
        (Some(early), _) => early,
        (None, Some(PreFault::Error(code))) => ApiError::Internal(code).into_response(),
        (None, Some(PreFault::RateLimit(secs))) => ApiError::RateLimited(secs).into_response(),
        (None, None) => AssertUnwindSafe(next.run(req))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| ApiError::Internal(500).into_response()),
    };
    let mut resp = ensure_json_error(resp).await;

    if is_api {
        // The tags exist for this log only: taken from the response, not cloned.
        let route = resp.extensions_mut().remove::<RouteTag>().map(|r| r.0);
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
        // in it (a third word, a control byte) matches none and is refused like an unknown token
        // (issue #19: this runs on every authenticated request).
        let value = value.as_bytes().trim_ascii();
        let scheme_end = value
            .iter()
            .position(u8::is_ascii_whitespace)
            .ok_or(ApiError::InvalidCredentials)?;
        let (scheme, token) = value.split_at(scheme_end);
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return Err(ApiError::InvalidCredentials);
        }
        let token = std::str::from_utf8(token.trim_ascii_start())
            .map_err(|_| ApiError::InvalidCredentials)?;
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
