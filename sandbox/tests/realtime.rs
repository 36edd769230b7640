//! The Supabase Realtime server: Phoenix framing (vsn 1.0.0 and 2.0.0), heartbeats, joins with
//! postgres_changes bindings, a payment's status changes, access tokens, leave, key expiry and
//! the realtime faults. (The official Supabase clients run against it in `realtime_clients.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{uuid, Client};
use dollr_sandbox::{ConfigPatch, FaultRule, Sandbox, SandboxConfig};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const TABLE: &str = "checkout_payment_intent_public_status";
const DEADLINE: Duration = Duration::from_secs(20);

/// A checkout session ready to be paid, with the reference id the payment will use and its key.
struct Payment {
    client: Client,
    session: i64,
    account: i64,
    reference: String,
    key: String,
}

impl Payment {
    async fn new(sb: &Sandbox) -> Payment {
        let client = Client::new(sb).await;
        let (invoice, party) = client
            .published_invoice("231771234567", "USD", json!(5), "PAYER")
            .await;
        let account = client.account(party, "231771234567", "COLLECTION").await;
        let session = client.checkout_session("INVOICE", invoice).await;
        let reference = uuid();
        let key = client
            .ok_post(
                "/v1/realtime-keys/collection",
                json!({"session_id": session, "source_type": "INVOICE", "reference_id": reference}),
            )
            .await;
        Payment {
            key: key["access_token"].as_str().unwrap().to_owned(),
            client,
            session,
            account,
            reference,
        }
    }

    fn topic(&self) -> String {
        format!(
            "realtime:payment-intent:{}:{}",
            self.session, self.reference
        )
    }

    async fn execute(&self) {
        self.client
            .ok_post(
                "/v1/executions/collection",
                json!({"session_id": self.session.to_string(), "payment_account_id": self.account.to_string(), "currency": "USD", "reference_id": self.reference}),
            )
            .await;
    }

    fn join_payload(&self, key: &str) -> Value {
        json!({
            "config": {
                "broadcast": {"ack": false, "self": false},
                "presence": {"key": "", "enabled": false},
                "postgres_changes": [{"event": "*", "schema": "public", "table": TABLE, "filter": format!("reference_id=eq.{}", self.reference)}],
                "private": false
            },
            "access_token": key,
        })
    }
}

/// A decoded frame, whatever the framing.
#[derive(Debug, Clone)]
struct Frame {
    join_ref: Value,
    reference: Value,
    topic: String,
    event: String,
    payload: Value,
}

struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    v2: bool,
    next_ref: u64,
}

impl Socket {
    async fn connect(sb: &Sandbox, vsn: &str) -> Socket {
        let url = format!(
            "{}/realtime/v1/websocket?apikey={}&vsn={vsn}",
            sb.supabase_url().replacen("http", "ws", 1),
            sb.supabase_anon_key()
        );
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Socket {
            ws,
            v2: vsn == "2.0.0",
            next_ref: 0,
        }
    }

    /// Sends a frame; returns its ref.
    async fn send(
        &mut self,
        join_ref: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> String {
        self.next_ref += 1;
        let r = self.next_ref.to_string();
        let text = if self.v2 {
            json!([join_ref, r, topic, event, payload]).to_string()
        } else {
            json!({"join_ref": join_ref, "ref": r, "topic": topic, "event": event, "payload": payload}).to_string()
        };
        self.ws.send(Message::Text(text.into())).await.unwrap();
        r
    }

    /// The next frame, or `None` when the socket ends.
    async fn next(&mut self) -> Option<Frame> {
        loop {
            let message = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("a frame before the deadline");
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => continue,
            };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            return Some(if self.v2 {
                let a = v.as_array().expect("vsn 2.0.0 frames are arrays");
                assert_eq!(a.len(), 5, "{v}");
                Frame {
                    join_ref: a[0].clone(),
                    reference: a[1].clone(),
                    topic: a[2].as_str().unwrap().to_owned(),
                    event: a[3].as_str().unwrap().to_owned(),
                    payload: a[4].clone(),
                }
            } else {
                assert!(v.is_object(), "vsn 1.0.0 frames are objects: {v}");
                assert!(
                    v.get("ref").is_some(),
                    "ref is always present (null for pushes): {v}"
                );
                Frame {
                    join_ref: v["join_ref"].clone(),
                    reference: v["ref"].clone(),
                    topic: v["topic"].as_str().unwrap().to_owned(),
                    event: v["event"].as_str().unwrap().to_owned(),
                    payload: v["payload"].clone(),
                }
            });
        }
    }

    /// The next frame with this event (others are skipped), before the deadline.
    async fn next_event(&mut self, event: &str) -> Frame {
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < DEADLINE, "no {event} before the deadline");
            let frame = self
                .next()
                .await
                .unwrap_or_else(|| panic!("socket ended before {event}"));
            if frame.event == event {
                return frame;
            }
        }
    }

    async fn join(&mut self, topic: &str, payload: Value) -> Frame {
        let r = self.send(Some("1"), topic, "phx_join", payload).await;
        let reply = self.next_event("phx_reply").await;
        assert_eq!(reply.reference, json!(r));
        assert_eq!(reply.topic, topic);
        reply
    }
}

async fn sandbox(settle_ms: u64) -> Sandbox {
    common::sandbox(settle_ms).await
}

async fn full_payment_over(vsn: &str) {
    let sb = sandbox(300).await;
    let payment = Payment::new(&sb).await;
    let mut socket = Socket::connect(&sb, vsn).await;

    let r = socket.send(None, "phoenix", "heartbeat", json!({})).await;
    let beat = socket.next_event("phx_reply").await;
    assert_eq!(
        (beat.topic.as_str(), beat.reference.clone()),
        ("phoenix", json!(r))
    );
    assert_eq!(beat.payload, json!({"status": "ok", "response": {}}));

    let topic = payment.topic();
    let reply = socket
        .join(&topic, payment.join_payload(&payment.key))
        .await;
    assert_eq!(reply.payload["status"], "ok", "{reply:?}");
    assert_eq!(reply.join_ref, json!("1"));
    let bindings = reply.payload["response"]["postgres_changes"]
        .as_array()
        .unwrap();
    assert_eq!(bindings.len(), 1);
    let id = bindings[0]["id"].as_u64().unwrap();
    assert_ne!(id, 0);
    assert_eq!(bindings[0]["table"], TABLE);
    assert_eq!(
        bindings[0]["filter"],
        format!("reference_id=eq.{}", payment.reference)
    );
    let system = socket.next_event("system").await;
    assert_eq!(system.payload["status"], "ok");
    assert_eq!(system.payload["extension"], "postgres_changes");

    payment.execute().await;
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("COMPLETED") {
        let change = socket.next_event("postgres_changes").await;
        assert_eq!(change.topic, topic);
        assert_eq!(change.reference, Value::Null);
        assert_eq!(change.payload["ids"], json!([id]));
        let data = &change.payload["data"];
        assert_eq!(data["table"], TABLE);
        assert_eq!(data["schema"], "public");
        assert_eq!(data["errors"], Value::Null);
        assert!(data["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "status"));
        assert!(data["commit_timestamp"].as_str().is_some());
        assert_eq!(data["record"]["reference_id"], payment.reference);
        assert_eq!(data["record"]["session_id"], payment.session);
        let status = data["record"]["status"].as_str().unwrap().to_owned();
        assert_eq!(
            data["type"],
            if seen.is_empty() { "INSERT" } else { "UPDATE" },
            "{data}"
        );
        seen.push(status);
    }
    assert_eq!(seen, ["PENDING", "PROCESSING", "COMPLETED"]);

    let r = socket.send(Some("1"), &topic, "phx_leave", json!({})).await;
    let left = socket.next_event("phx_reply").await;
    assert_eq!(
        (left.reference, left.payload["status"].clone()),
        (json!(r), json!("ok"))
    );
    let closed = socket.next_event("phx_close").await;
    assert_eq!(closed.topic, topic);
}

#[tokio::test]
async fn a_payment_is_seen_pending_processing_completed_over_vsn_1() {
    full_payment_over("1.0.0").await;
}

#[tokio::test]
async fn a_payment_is_seen_pending_processing_completed_over_vsn_2() {
    full_payment_over("2.0.0").await;
}

#[tokio::test]
async fn the_socket_wants_the_anon_key_and_joins_want_the_channels_realtime_key() {
    let sb = sandbox(300).await;
    let url = format!(
        "{}/realtime/v1/websocket?vsn=1.0.0",
        sb.supabase_url().replacen("http", "ws", 1)
    );
    assert!(tokio_tungstenite::connect_async(url.clone()).await.is_err());
    assert!(
        tokio_tungstenite::connect_async(format!("{url}&apikey=nope"))
            .await
            .is_err()
    );

    let payment = Payment::new(&sb).await;
    let other = Payment::new(&sb).await;
    let mut socket = Socket::connect(&sb, "1.0.0").await;
    // The anon key alone, or another channel's key, is refused.
    let reply = socket
        .join(
            &payment.topic(),
            payment.join_payload(&sb.supabase_anon_key()),
        )
        .await;
    assert_eq!(reply.payload["status"], "error", "{reply:?}");
    let reply = socket
        .join(&payment.topic(), payment.join_payload(&other.key))
        .await;
    assert_eq!(reply.payload["status"], "error", "{reply:?}");
    assert!(reply.payload["response"]["reason"]
        .as_str()
        .unwrap()
        .contains("channel"));
    // A refuse_join fault refuses one join.
    sb.add_fault(FaultRule::refuse_join().count(1));
    let reply = socket
        .join(&payment.topic(), payment.join_payload(&payment.key))
        .await;
    assert_eq!(reply.payload["status"], "error", "{reply:?}");
    let reply = socket
        .join(&payment.topic(), payment.join_payload(&payment.key))
        .await;
    assert_eq!(reply.payload["status"], "ok", "{reply:?}");
    assert_eq!(sb.stats()["faults"]["realtime_refuse_join"], 1);
    // An unjoined topic is answered with an error.
    socket
        .send(None, "realtime:nowhere", "broadcast", json!({}))
        .await;
    let reply = socket.next_event("phx_reply").await;
    assert_eq!(reply.payload["status"], "error");
}

#[tokio::test]
async fn an_expired_key_closes_the_channel_and_a_fresh_access_token_keeps_it() {
    // Keys are checked against the wall clock in whole seconds: a key of 10 s expires between 9
    // and 10 s after it is minted. That leaves a stalled test seconds, not milliseconds, to join
    // with it; expiry is then awaited, never timed.
    let cfg = SandboxConfig {
        realtime_key_ttl_seconds: 10,
        ..SandboxConfig::for_tests(600_000)
    };
    let sb = common::sandbox_with(cfg).await;
    // Two payments, so one wait for expiry serves both halves. `renewed`'s short key is minted
    // first: it expires no later than `expiring`'s.
    let renewed = Payment::new(&sb).await;
    let expiring = Payment::new(&sb).await;
    sb.update_config(ConfigPatch {
        realtime_key_ttl_seconds: Some(3600),
        ..ConfigPatch::default()
    });
    let long = renewed
        .client
        .ok_post(
            "/v1/realtime-keys/collection",
            json!({"session_id": renewed.session, "source_type": "INVOICE", "reference_id": renewed.reference}),
        )
        .await;
    assert_eq!(long["expires_in"], 3600);

    let mut socket = Socket::connect(&sb, "2.0.0").await;
    let reply = socket
        .join(&expiring.topic(), expiring.join_payload(&expiring.key))
        .await;
    assert_eq!(reply.payload["status"], "ok");
    let system = socket.next_event("system").await;
    assert_eq!(system.topic, expiring.topic());
    assert_eq!(system.payload["status"], "ok");
    // Renewal: join with the short key, push a long one.
    let reply = socket
        .join(&renewed.topic(), renewed.join_payload(&renewed.key))
        .await;
    assert_eq!(reply.payload["status"], "ok");
    let system = socket.next_event("system").await;
    assert_eq!(system.topic, renewed.topic());
    assert_eq!(system.payload["status"], "ok");
    socket
        .send(
            Some("1"),
            &renewed.topic(),
            "access_token",
            json!({"access_token": long["access_token"]}),
        )
        .await;

    // Expiry: a system error, then phx_close (within the deadline, never a hang). Only on the
    // channel whose key was not renewed: the same pass over the socket's channels would have
    // closed the renewed one too, its short key being as old.
    let expired = socket.next_event("system").await;
    assert_eq!(expired.topic, expiring.topic(), "{expired:?}");
    assert_eq!(expired.payload["status"], "error", "{expired:?}");
    assert!(expired.payload["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let closed = socket.next_event("phx_close").await;
    assert_eq!(closed.topic, expiring.topic());

    // The renewed channel outlived its short key: it still delivers.
    renewed.execute().await;
    let change = loop {
        let frame = socket.next().await.expect("the socket stays open");
        let closing = frame.event == "phx_close" || frame.event == "system";
        assert!(
            !(closing && frame.topic == renewed.topic()),
            "the renewed channel was closed: {frame:?}"
        );
        if frame.event == "postgres_changes" {
            break frame;
        }
    };
    assert_eq!(change.topic, renewed.topic());
    assert_eq!(change.payload["data"]["record"]["status"], "PENDING");
    assert_eq!(
        change.payload["data"]["record"]["reference_id"],
        renewed.reference.as_str()
    );
}

#[tokio::test]
async fn drop_message_loses_one_change_and_drop_socket_ends_the_socket_without_a_close_frame() {
    let sb = sandbox(300).await;
    let payment = Payment::new(&sb).await;
    let mut socket = Socket::connect(&sb, "1.0.0").await;
    let reply = socket
        .join(&payment.topic(), payment.join_payload(&payment.key))
        .await;
    assert_eq!(reply.payload["status"], "ok");
    sb.add_fault(FaultRule::drop_message().count(1));
    sb.add_fault(FaultRule::drop_socket().count(1));
    payment.execute().await;
    // The INSERT is lost (drop_message), the next change drops the socket.
    loop {
        match socket.ws.next().await {
            Some(Ok(Message::Text(text))) => {
                assert!(!text.contains(r#""event":"postgres_changes""#), "{text}");
            }
            Some(Ok(Message::Close(_))) => panic!("a dropped socket sends no close frame"),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    let faults = &sb.stats()["faults"];
    assert_eq!(faults["realtime_drop_message"], 1);
    assert_eq!(faults["realtime_drop_socket"], 1);
    // The status API still tells the truth.
    payment
        .client
        .wait_terminal("collection", &payment.reference)
        .await;
}

#[tokio::test]
async fn a_published_message_can_disagree_with_the_status_api() {
    let sb = sandbox(60_000).await;
    let payment = Payment::new(&sb).await;
    let mut socket = Socket::connect(&sb, "2.0.0").await;
    let reply = socket
        .join(&payment.topic(), payment.join_payload(&payment.key))
        .await;
    assert_eq!(reply.payload["status"], "ok");
    payment.execute().await;
    let first = socket.next_event("postgres_changes").await;
    assert_eq!(first.payload["data"]["record"]["status"], "PENDING");
    sb.publish_realtime_status(&payment.reference, "COMPLETED")
        .unwrap();
    let lie = socket.next_event("postgres_changes").await;
    assert_eq!(lie.payload["data"]["record"]["status"], "COMPLETED");
    let truth = payment
        .client
        .ok_get(&format!("/v1/status/collection/{}", payment.reference))
        .await;
    assert_eq!(truth["status"], "PENDING");
    // Over the control plane too.
    let r = common::raw(
        &sb.url(),
        reqwest::Method::POST,
        "/_sandbox/realtime/publish",
        &[("content-type", "application/json")],
        Some(
            json!({"reference_id": payment.reference, "status": "FAILED"})
                .to_string()
                .into_bytes(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let info = common::raw(
        &sb.url(),
        reqwest::Method::GET,
        "/_sandbox/realtime",
        &[],
        None,
    )
    .await;
    assert_eq!(info.body["supabase_url"], sb.supabase_url());
    assert_eq!(info.body["supabase_anon_key"], sb.supabase_anon_key());
}
