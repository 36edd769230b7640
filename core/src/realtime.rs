//! A small Phoenix-channel client for Supabase Realtime: one socket, one channel, one
//! `postgres_changes` binding — what `status().watch` needs to hear a collection's public status
//! row change (decision 0017).
//!
//! * Connects to `<supabase>/realtime/v1/websocket?vsn=1.0.0&apikey=<anon key>` (JSON-object
//!   frames), joins `realtime:<channel>` with the binding and a realtime key as `access_token`,
//!   and checks the server echoed the binding with a non-zero id.
//! * Heartbeats on topic `phoenix` every 25 s; an unanswered heartbeat ends the socket.
//! * Renews the realtime key at 80% of its lifetime (`access_token` push); a channel the server
//!   closes (an expired key, `phx_close`, `phx_error`) or a socket that fails is reconnected with a
//!   fresh key, with backoff, a few times in a row at most.
//! * Reports to its owner through [`Signal`]s: subscribed, a row, or down (with whether it is
//!   retrying). A refused join is final: the owner polls.
//! * The anon key and the realtime keys are secrets: they go only into the socket's URL and frames
//!   (the configured Supabase origin) and are scrubbed from every reason it reports. Dropping the
//!   [`Subscription`] ends the task and closes the socket.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::error::Result;
use crate::secret::Secret;

// The socket needs tokio's runtime and a TCP/TLS stack: native builds only. On WebAssembly a
// subscription reports itself down at once, and the wait polls, as it does whenever realtime is
// unavailable (decision 0018).
#[cfg(not(target_arch = "wasm32"))]
mod socket;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use socket::{subscribe, Subscription};

/// A realtime key and its lifetime.
pub(crate) type KeyFuture = Pin<Box<dyn Future<Output = Result<(Secret, Duration)>> + Send>>;
/// Where realtime keys come from (`POST /v1/realtime-keys/collection`).
pub(crate) type KeySource = Arc<dyn Fn() -> KeyFuture + Send + Sync>;

/// What to subscribe to.
// Read only by the socket, which WebAssembly builds lack.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) struct Target {
    /// The socket URL without its `apikey` (it carries `?vsn=1.0.0`).
    pub websocket_url: String,
    pub anon_key: Secret,
    /// The channel name (`payment-intent:{session_id}:{reference_id}`).
    pub channel: String,
    pub table: String,
    /// `column=eq.value`.
    pub filter: String,
    pub key: KeySource,
    /// The client's TLS configuration (its roots, `extra_root_ca_pem` included) for `wss://`.
    #[cfg(not(target_arch = "wasm32"))]
    pub tls: std::sync::Arc<rustls::ClientConfig>,
}

/// What the subscription reports.
#[derive(Debug)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) enum Signal {
    /// The channel is joined: changes from now on are heard.
    Subscribed,
    /// A row changed (`record` of a `postgres_changes` message).
    Row(Value),
    /// The socket or channel is gone (`retrying`: a reconnection follows).
    Down { reason: String, retrying: bool },
}

/// A subscription that never connects (WebAssembly): its first and only signal says it is down for
/// good, so the wait polls.
#[cfg(target_arch = "wasm32")]
pub(crate) struct Subscription {
    pub(crate) signals: tokio::sync::mpsc::UnboundedReceiver<Signal>,
}

#[cfg(target_arch = "wasm32")]
impl Subscription {
    /// Nothing to close.
    pub(crate) async fn close(self) {}
}

/// No socket on WebAssembly: reports down, not retrying.
#[cfg(target_arch = "wasm32")]
pub(crate) fn subscribe(_target: Target) -> Subscription {
    let (tx, signals) = tokio::sync::mpsc::unbounded_channel();
    let _ = tx.send(Signal::Down {
        reason: "Supabase Realtime is not available in the WebAssembly build".to_owned(),
        retrying: false,
    });
    Subscription { signals }
}
