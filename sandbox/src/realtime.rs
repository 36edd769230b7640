//! Supabase Realtime on its own port: the Phoenix-channel protocol the official Supabase clients
//! speak (written from the protocol, like the rest of the sandbox from the API reference).
//!
//! * `GET /realtime/v1/websocket?apikey=<anon key>&vsn=<1.0.0|2.0.0>`: vsn `1.0.0` frames are
//!   JSON objects `{topic, event, payload, ref, join_ref}`, vsn `2.0.0` frames JSON arrays
//!   `[join_ref, ref, topic, event, payload]` (the default without `vsn` is `1.0.0`).
//! * `heartbeat` on topic `phoenix` is answered `ok`.
//! * `phx_join` on `realtime:<channel>` with `config.postgres_changes` and an `access_token` (a
//!   realtime key for that channel): answered by `phx_reply` echoing the bindings in order, each
//!   with a non-zero integer `id`, then a `system` "Subscribed to PostgreSQL".
//! * Each change of a collection's public status row (table
//!   `checkout_payment_intent_public_status`: `id`, `reference_id`, `session_id`, `status`,
//!   `updated_at`) goes to every joined channel with a matching binding as `postgres_changes`
//!   `{ids, data: {type, schema, table, commit_timestamp, columns, record, old_record, errors}}`.
//! * `access_token` replaces a channel's key; when a channel's key expires the channel gets a
//!   `system` error, then `phx_close`. `phx_leave` is answered `ok`, then `phx_close`.
//! * Faults scoped `realtime`: `drop_socket`, `drop_message`, `refuse_join`, `latency`.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};

use crate::faults::{decide_realtime, RealtimePoint};
use crate::http::App;
use crate::state::b64url;

/// The table of a payment intent's public status.
pub(crate) const TABLE: &str = "checkout_payment_intent_public_status";
/// Its schema.
pub(crate) const SCHEMA: &str = "public";
/// What the sandbox's JWT signatures are keyed with (a simulation: not a secret).
const SIGNING_KEY: &str = "dollr-sandbox-realtime";

/// One change of a public status row.
#[derive(Clone, Debug)]
pub(crate) struct RowChange {
    /// `INSERT` or `UPDATE`.
    pub kind: &'static str,
    pub record: Value,
    pub old_record: Value,
    pub commit_timestamp: String,
}

impl RowChange {
    /// An `INSERT` (`created`) or an `UPDATE` of `record` (the old record carries the primary key
    /// only, as Postgres sends it without `REPLICA IDENTITY FULL`).
    pub fn new(created: bool, record: Value, commit_timestamp: String) -> RowChange {
        let old_record = if created {
            json!({})
        } else {
            json!({ "id": record.get("id").cloned().unwrap_or(Value::Null) })
        };
        RowChange {
            kind: if created { "INSERT" } else { "UPDATE" },
            record,
            old_record,
            commit_timestamp,
        }
    }
}

/// A payment intent's public status row.
pub(crate) fn status_row(
    intent_id: i64,
    reference_id: &str,
    session_id: i64,
    status: &str,
    updated_at: &str,
) -> Value {
    json!({
        "id": intent_id,
        "reference_id": reference_id,
        "session_id": session_id,
        "status": status,
        "updated_at": updated_at,
    })
}

fn columns() -> Value {
    json!([
        {"name": "id", "type": "int8"},
        {"name": "reference_id", "type": "uuid"},
        {"name": "session_id", "type": "int8"},
        {"name": "status", "type": "text"},
        {"name": "updated_at", "type": "timestamptz"},
    ])
}

// ---- keys ---------------------------------------------------------------

/// A JWT (HS256-shaped; the signature is SHA-256 over the signing key and the token's first two
/// parts) with these claims.
pub(crate) fn mint_jwt(claims: &Value) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64url(claims.to_string().as_bytes());
    let signature = b64url(&Sha256::digest(
        format!("{SIGNING_KEY}.{header}.{payload}").as_bytes(),
    ));
    format!("{header}.{payload}.{signature}")
}

fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0u32;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(((bits >> count) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The claims of a token the sandbox signed, if it did.
fn verified_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let expected = b64url(&Sha256::digest(
        format!("{SIGNING_KEY}.{header}.{payload}").as_bytes(),
    ));
    if expected != signature {
        return None;
    }
    serde_json::from_slice(&b64url_decode(payload)?).ok()
}

/// Checks a token as Supabase Realtime does (`role` and `exp` claims), at `now` (Unix seconds).
fn check_token(token: &str, now: i64) -> Result<Value, String> {
    let claims = verified_claims(token)
        .ok_or_else(|| "Unauthorized: invalid JWT (not signed by this sandbox)".to_owned())?;
    if claims.get("role").and_then(Value::as_str).is_none() {
        return Err("Unauthorized: the JWT has no role claim".to_owned());
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| "Unauthorized: the JWT has no exp claim".to_owned())?;
    if exp <= now {
        return Err(format!("Token has expired {} seconds ago", now - exp));
    }
    Ok(claims)
}

/// The project's anon key: a JWT with role `anon`, valid until 2100.
pub(crate) fn anon_key() -> String {
    mint_jwt(&json!({
        "iss": "dollr-sandbox",
        "ref": "sandbox",
        "role": "anon",
        "iat": 1_767_225_600,
        "exp": 4_102_444_800_i64,
    }))
}

/// A realtime key for one channel, valid `ttl_seconds` from now.
pub(crate) fn realtime_key(channel: &str, ttl_seconds: u64, jti: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    mint_jwt(&json!({
        "role": "anon",
        "channel": channel,
        "iat": now,
        "exp": now.saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX / 2)),
        "jti": jti,
    }))
}

// ---- framing ------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vsn {
    /// JSON objects.
    V1,
    /// JSON arrays.
    V2,
}

#[derive(Clone, Debug)]
struct Frame {
    join_ref: Option<String>,
    reference: Option<String>,
    topic: String,
    event: String,
    payload: Value,
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn decode(vsn: Vsn, text: &str) -> Option<Frame> {
    let value: Value = serde_json::from_str(text).ok()?;
    let (join_ref, reference, topic, event, payload) = match vsn {
        Vsn::V1 => (
            value.get("join_ref"),
            value.get("ref"),
            value.get("topic")?,
            value.get("event")?,
            value.get("payload").cloned().unwrap_or_else(|| json!({})),
        ),
        Vsn::V2 => {
            let items = value.as_array()?;
            (
                items.first(),
                items.get(1),
                items.get(2)?,
                items.get(3)?,
                items.get(4).cloned().unwrap_or_else(|| json!({})),
            )
        }
    };
    Some(Frame {
        join_ref: text_of(join_ref),
        reference: text_of(reference),
        topic: topic.as_str()?.to_owned(),
        event: event.as_str()?.to_owned(),
        payload,
    })
}

fn encode(vsn: Vsn, frame: &Frame) -> String {
    match vsn {
        Vsn::V1 => json!({
            "topic": frame.topic,
            "event": frame.event,
            "payload": frame.payload,
            "ref": frame.reference,
            "join_ref": frame.join_ref,
        }),
        Vsn::V2 => json!([
            frame.join_ref,
            frame.reference,
            frame.topic,
            frame.event,
            frame.payload
        ]),
    }
    .to_string()
}

// ---- channels -----------------------------------------------------------

/// `column=eq.value`, the one filter the status channel needs.
#[derive(Clone, Debug)]
struct Filter {
    column: String,
    value: String,
}

fn parse_filter(text: &str) -> Option<Filter> {
    let (column, rest) = text.split_once('=')?;
    let value = rest.strip_prefix("eq.")?;
    (!column.is_empty()).then(|| Filter {
        column: column.to_owned(),
        value: value.to_owned(),
    })
}

#[derive(Clone, Debug)]
struct Binding {
    id: u32,
    event: String,
    schema: Option<String>,
    table: Option<String>,
    filter: Option<Filter>,
}

impl Binding {
    fn matches(&self, change: &RowChange) -> bool {
        (self.event == "*" || self.event.eq_ignore_ascii_case(change.kind))
            && self
                .schema
                .as_deref()
                .map_or(true, |s| s == SCHEMA || s == "*")
            && self
                .table
                .as_deref()
                .map_or(true, |t| t == TABLE || t == "*")
            && self.filter.as_ref().map_or(true, |f| {
                text_of(change.record.get(&f.column)).is_some_and(|v| v == f.value)
            })
    }
}

/// A binding's id: non-zero, derived from its parameters (as the real server hashes them).
fn binding_id(event: &str, schema: &str, table: &str, filter: &str) -> u32 {
    let digest = Sha256::digest(format!("{event}|{schema}|{table}|{filter}").as_bytes());
    let id = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) & 0x7fff_ffff;
    id.max(1)
}

struct Channel {
    join_ref: Option<String>,
    /// The channel name (the topic without `realtime:`).
    name: String,
    bindings: Vec<Binding>,
    /// When its key expires (Unix seconds).
    exp: i64,
}

/// What the router's handlers share.
#[derive(Clone)]
struct Realtime {
    app: App,
    shutdown: watch::Receiver<bool>,
}

/// Serves the realtime port until shutdown.
pub(crate) async fn serve(listener: TcpListener, app: App, shutdown: watch::Receiver<bool>) {
    let router = Router::new()
        .route("/realtime/v1/websocket", get(upgrade))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"message": "this port serves /realtime/v1/websocket only"})),
            )
        })
        .with_state(Realtime {
            app,
            shutdown: shutdown.clone(),
        });
    let mut stop = shutdown;
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "dollr-sandbox realtime server stopped with an error");
    }
}

async fn upgrade(
    State(rt): State<Realtime>,
    Query(params): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let now = chrono::Utc::now().timestamp();
    match params.get("apikey").map(|key| check_token(key, now)) {
        None => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "No API key found in request"})),
            )
                .into_response()
        }
        Some(Err(message)) => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": message })),
            )
                .into_response()
        }
        Some(Ok(_)) => {}
    }
    let vsn = match params.get("vsn").map(String::as_str) {
        None | Some("1.0.0") => Vsn::V1,
        Some("2.0.0") => Vsn::V2,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"message": format!("unsupported vsn {other:?} (1.0.0 or 2.0.0)")})),
            )
                .into_response()
        }
    };
    let apikey = params.get("apikey").cloned().unwrap_or_default();
    ws.on_upgrade(move |socket| connection(socket, rt, vsn, apikey))
}

enum Outgoing {
    Text(String),
    End,
}

/// One socket: its channels, the row changes, key expiry, shutdown.
struct Conn {
    vsn: Vsn,
    apikey: String,
    out: mpsc::UnboundedSender<Outgoing>,
    channels: HashMap<String, Channel>,
    app: App,
}

/// Why a socket ends.
enum End {
    /// Closed by the peer or by shutdown.
    Closed,
    /// A `drop_socket` fault: no close frame.
    Dropped,
}

async fn connection(socket: WebSocket, rt: Realtime, vsn: Vsn, apikey: String) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
    let writer = tokio::spawn(async move {
        while let Some(message) = out_rx.recv().await {
            match message {
                Outgoing::Text(text) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Outgoing::End => {
                    let _ = sink.send(Message::Close(None)).await;
                    return;
                }
            }
        }
    });
    let mut changes = rt.app.with(|st| {
        st.stats.realtime_sockets += 1;
        st.stats.realtime_open += 1;
        st.realtime.subscribe()
    });
    let mut conn = Conn {
        vsn,
        apikey,
        out,
        channels: HashMap::new(),
        app: rt.app.clone(),
    };
    let mut stop = rt.shutdown.clone();
    let end = loop {
        let next_expiry = conn.channels.values().map(|c| c.exp).min();
        let expiry = async move {
            match next_expiry {
                Some(exp) => {
                    let now = chrono::Utc::now().timestamp_millis();
                    let wait = exp.saturating_mul(1000).saturating_sub(now).max(0);
                    tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
                        .await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(frame) = decode(vsn, text.as_str()) {
                        conn.handle(frame);
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break End::Closed,
                Some(Ok(_)) => {}
            },
            change = changes.recv() => match change {
                Ok(change) => {
                    if conn.deliver(&change).is_err() {
                        break End::Dropped;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break End::Closed,
            },
            () = expiry => conn.expire(chrono::Utc::now().timestamp()),
            _ = stop.wait_for(|s| *s) => break End::Closed,
        }
    };
    rt.app
        .with(|st| st.stats.realtime_open = st.stats.realtime_open.saturating_sub(1));
    match end {
        End::Dropped => {
            // Both halves dropped at once: the TCP connection closes without a close frame.
            writer.abort();
            drop(stream);
        }
        End::Closed => {
            let _ = conn.out.send(Outgoing::End);
            let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
        }
    }
}

impl Conn {
    fn send(&self, frame: Frame) {
        let _ = self.out.send(Outgoing::Text(encode(self.vsn, &frame)));
    }

    fn reply(&self, request: &Frame, status: &str, response: Value) {
        self.send(Frame {
            join_ref: request.join_ref.clone(),
            reference: request.reference.clone(),
            topic: request.topic.clone(),
            event: "phx_reply".to_owned(),
            payload: json!({ "status": status, "response": response }),
        });
    }

    fn push(&self, topic: &str, join_ref: Option<String>, event: &str, payload: Value) {
        self.send(Frame {
            join_ref,
            reference: None,
            topic: topic.to_owned(),
            event: event.to_owned(),
            payload,
        });
    }

    fn count_faults(&self, labels: &[&'static str]) {
        if labels.is_empty() {
            return;
        }
        self.app.with(|st| {
            for label in labels {
                *st.stats
                    .faults
                    .entry(format!("realtime_{label}"))
                    .or_default() += 1;
            }
        });
    }

    fn handle(&mut self, frame: Frame) {
        match (frame.topic.as_str(), frame.event.as_str()) {
            ("phoenix", "heartbeat") => self.reply(&frame, "ok", json!({})),
            (_, "phx_join") => self.join(frame),
            (topic, "access_token") => {
                let token = frame
                    .payload
                    .get("access_token")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if let Some(channel) = self.channels.get(topic) {
                    let name = channel.name.clone();
                    match key_for(&token, &name) {
                        Ok(exp) => {
                            if let Some(channel) = self.channels.get_mut(topic) {
                                channel.exp = exp;
                            }
                        }
                        Err(message) => self.close_with_error(topic, &message),
                    }
                }
            }
            (topic, "phx_leave") => {
                self.reply(&frame, "ok", json!({}));
                if let Some(channel) = self.channels.remove(topic) {
                    self.push(topic, channel.join_ref, "phx_close", json!({}));
                }
            }
            (topic, _) if self.channels.contains_key(topic) => {}
            _ => self.reply(&frame, "error", json!({"reason": "unmatched topic"})),
        }
    }

    fn join(&mut self, frame: Frame) {
        let decision = self
            .app
            .with(|st| decide_realtime(&mut st.faults, &mut st.fault_rng, RealtimePoint::Join));
        self.count_faults(&decision.labels);
        if decision.refuse_join {
            self.reply(
                &frame,
                "error",
                json!({"reason": "join refused (sandbox fault refuse_join)"}),
            );
            return;
        }
        let Some(name) = frame.topic.strip_prefix("realtime:").map(str::to_owned) else {
            self.reply(
                &frame,
                "error",
                json!({"reason": "topics are realtime:<channel>"}),
            );
            return;
        };
        let token = frame
            .payload
            .get("access_token")
            .and_then(Value::as_str)
            .unwrap_or(self.apikey.as_str())
            .to_owned();
        let exp = match key_for(&token, &name) {
            Ok(exp) => exp,
            Err(reason) => {
                self.reply(&frame, "error", json!({ "reason": reason }));
                return;
            }
        };
        let requested = frame
            .payload
            .pointer("/config/postgres_changes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut bindings = Vec::new();
        let mut echoed = Vec::new();
        for (i, item) in requested.iter().enumerate() {
            let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
            let event = field("event").unwrap_or_else(|| "*".to_owned());
            let filter = match field("filter") {
                None => None,
                Some(text) => match parse_filter(&text) {
                    Some(filter) => Some(filter),
                    None => {
                        self.reply(
                            &frame,
                            "error",
                            json!({"reason": format!("postgres_changes[{i}].filter {text:?}: the sandbox supports column=eq.value")}),
                        );
                        return;
                    }
                },
            };
            let id = binding_id(
                &event,
                field("schema").as_deref().unwrap_or(""),
                field("table").as_deref().unwrap_or(""),
                field("filter").as_deref().unwrap_or(""),
            );
            let mut echo = item.clone();
            if let Some(object) = echo.as_object_mut() {
                object.insert("id".to_owned(), json!(id));
            }
            echoed.push(echo);
            bindings.push(Binding {
                id,
                event,
                schema: field("schema"),
                table: field("table"),
                filter,
            });
        }
        self.channels.insert(
            frame.topic.clone(),
            Channel {
                join_ref: frame.join_ref.clone(),
                name: name.clone(),
                bindings,
                exp,
            },
        );
        self.app.with(|st| st.stats.realtime_joins += 1);
        self.reply(&frame, "ok", json!({ "postgres_changes": echoed }));
        self.push(
            &frame.topic,
            frame.join_ref.clone(),
            "system",
            json!({
                "extension": "postgres_changes",
                "status": "ok",
                "message": "Subscribed to PostgreSQL",
                "channel": name,
            }),
        );
    }

    fn close_with_error(&mut self, topic: &str, message: &str) {
        if let Some(channel) = self.channels.remove(topic) {
            self.push(
                topic,
                channel.join_ref.clone(),
                "system",
                json!({
                    "extension": "system",
                    "status": "error",
                    "message": message,
                    "channel": channel.name,
                }),
            );
            self.push(topic, channel.join_ref, "phx_close", json!({}));
        }
    }

    fn expire(&mut self, now: i64) {
        let expired: Vec<(String, i64)> = self
            .channels
            .iter()
            .filter(|(_, c)| c.exp <= now)
            .map(|(topic, c)| (topic.clone(), now - c.exp))
            .collect();
        for (topic, ago) in expired {
            self.close_with_error(&topic, &format!("Token has expired {ago} seconds ago"));
        }
    }

    /// Sends a change to every channel with a matching binding; `Err` when a `drop_socket` fault
    /// fired.
    fn deliver(&self, change: &RowChange) -> Result<(), ()> {
        let targets: Vec<(&String, &Channel, Vec<u32>)> = self
            .channels
            .iter()
            .filter_map(|(topic, channel)| {
                let ids: Vec<u32> = channel
                    .bindings
                    .iter()
                    .filter(|b| b.matches(change))
                    .map(|b| b.id)
                    .collect();
                (!ids.is_empty()).then_some((topic, channel, ids))
            })
            .collect();
        for (topic, channel, ids) in targets {
            let decision = self.app.with(|st| {
                decide_realtime(&mut st.faults, &mut st.fault_rng, RealtimePoint::Change)
            });
            self.count_faults(&decision.labels);
            if decision.drop_socket {
                return Err(());
            }
            if decision.drop_message {
                continue;
            }
            let frame = Frame {
                join_ref: channel.join_ref.clone(),
                reference: None,
                topic: topic.clone(),
                event: "postgres_changes".to_owned(),
                payload: json!({
                    "ids": ids,
                    "data": {
                        "type": change.kind,
                        "schema": SCHEMA,
                        "table": TABLE,
                        "commit_timestamp": change.commit_timestamp,
                        "columns": columns(),
                        "record": change.record,
                        "old_record": change.old_record,
                        "errors": null,
                    },
                }),
            };
            let text = encode(self.vsn, &frame);
            self.app.with(|st| st.stats.realtime_messages += 1);
            if decision.latency.is_zero() {
                let _ = self.out.send(Outgoing::Text(text));
            } else {
                let out = self.out.clone();
                let latency = decision.latency;
                tokio::spawn(async move {
                    tokio::time::sleep(latency).await;
                    let _ = out.send(Outgoing::Text(text));
                });
            }
        }
        Ok(())
    }
}

/// Checks that `token` is a live realtime key for channel `name`; returns its expiry.
fn key_for(token: &str, name: &str) -> Result<i64, String> {
    let claims = check_token(token, chrono::Utc::now().timestamp())?;
    match claims.get("channel").and_then(Value::as_str) {
        Some(channel) if channel == name => {}
        Some(channel) => {
            return Err(format!(
                "Unauthorized: this realtime key is for channel {channel}, not {name}"
            ))
        }
        None => {
            return Err(
                "Unauthorized: joining needs a realtime key (POST /v1/realtime-keys/collection) as access_token"
                    .to_owned(),
            )
        }
    }
    Ok(claims.get("exp").and_then(Value::as_i64).unwrap_or(0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_expire() {
        let key = realtime_key("payment-intent:1:abc", 60, "j1");
        let exp = key_for(&key, "payment-intent:1:abc").unwrap();
        assert!(exp > chrono::Utc::now().timestamp());
        assert!(key_for(&key, "payment-intent:2:abc").is_err());
        assert!(check_token(&key, exp).unwrap_err().contains("expired"));
        let mut forged = key.clone();
        forged.push('x');
        assert!(check_token(&forged, 0).is_err());
        assert!(check_token(&anon_key(), chrono::Utc::now().timestamp()).is_ok());
        assert!(key_for(&anon_key(), "payment-intent:1:abc").is_err());
    }

    #[test]
    fn both_framings_decode_and_encode() {
        let v1 = decode(
            Vsn::V1,
            r#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"3"}"#,
        )
        .unwrap();
        assert_eq!(
            (v1.topic.as_str(), v1.reference.as_deref()),
            ("phoenix", Some("3"))
        );
        let v2 = decode(Vsn::V2, r#"["1","2","realtime:x","phx_join",{"a":1}]"#).unwrap();
        assert_eq!(v2.join_ref.as_deref(), Some("1"));
        assert_eq!(v2.event, "phx_join");
        let text = encode(Vsn::V2, &v2);
        assert_eq!(text, r#"["1","2","realtime:x","phx_join",{"a":1}]"#);
        assert!(binding_id("*", "public", TABLE, "") > 0);
    }
}
