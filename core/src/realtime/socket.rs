//! The socket of a realtime subscription (native builds): connect, join, heartbeats, key
//! renewal, reconnects (see the parent module).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::{Signal, Target};
use crate::redact::SentSecrets;

/// How often the socket says it is alive (the Supabase clients' interval).
pub(crate) const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(25);
/// How long connecting, and the join's answer, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Failed connections in a row before giving up (the owner polls from then on).
const MAX_FAILURES: u32 = 4;

/// A running subscription; dropping it closes the socket.
pub(crate) struct Subscription {
    pub(crate) signals: mpsc::UnboundedReceiver<Signal>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscription {
    /// Ends the subscription and waits until its socket is closed (a current-thread runtime
    /// would otherwise run the abort only when it is next driven).
    pub(crate) async fn close(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a subscription on the current tokio runtime.
pub(crate) fn subscribe(target: Target) -> Subscription {
    let (tx, signals) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(target, tx));
    Subscription { signals, task }
}

enum End {
    /// Not worth retrying (join refused, bindings mismatch, no key).
    Refused(String),
    /// Worth reconnecting.
    Failed { reason: String, subscribed: bool },
}

async fn run(target: Target, tx: mpsc::UnboundedSender<Signal>) {
    let mut secrets = SentSecrets::default();
    secrets.add(target.anon_key.expose());
    let mut failures = 0u32;
    loop {
        let end = session(&target, &tx, &mut secrets).await;
        if tx.is_closed() {
            return;
        }
        match end {
            End::Refused(reason) => {
                let _ = tx.send(Signal::Down {
                    reason: secrets.scrub(&reason),
                    retrying: false,
                });
                return;
            }
            End::Failed { reason, subscribed } => {
                failures = if subscribed { 1 } else { failures + 1 };
                let retrying = failures < MAX_FAILURES;
                let _ = tx.send(Signal::Down {
                    reason: secrets.scrub(&reason),
                    retrying,
                });
                if !retrying {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(250u64 << failures.min(6))).await;
            }
        }
    }
}

/// When to renew a key that lives `ttl`: at 80% of it, at least 1 s from now.
fn renewal_delay(ttl: Duration) -> Duration {
    ttl.mul_f64(0.8).max(Duration::from_secs(1))
}

fn failed(reason: impl Into<String>, subscribed: bool) -> End {
    End::Failed {
        reason: reason.into(),
        subscribed,
    }
}

async fn session(
    target: &Target,
    tx: &mpsc::UnboundedSender<Signal>,
    secrets: &mut SentSecrets,
) -> End {
    let (key, ttl) = match (target.key)().await {
        Ok(key) => key,
        Err(error) if error.is_transient() => {
            return failed(format!("no realtime key: {error}"), false)
        }
        Err(error) => return End::Refused(format!("no realtime key: {error}")),
    };
    secrets.add(key.expose());
    let apikey: String =
        url::form_urlencoded::byte_serialize(target.anon_key.expose().as_bytes()).collect();
    let url = format!("{}&apikey={apikey}", target.websocket_url);
    // The client's own TLS configuration (not tokio-tungstenite's default one): the socket trusts
    // the roots the API's connections trust, `extra_root_ca_pem` included. Nagle off: the
    // socket's frames are small and each is awaited.
    let connector = tokio_tungstenite::Connector::Rustls(target.tls.clone());
    let connect =
        tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
    let ws = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Err(_) => return failed("could not connect in time", false),
        Ok(Err(error)) => return failed(format!("could not connect: {error}"), false),
        Ok(Ok((ws, _))) => ws,
    };
    let (mut sink, mut stream) = ws.split();
    let topic = format!("realtime:{}", target.channel);
    let binding =
        json!({"event": "*", "schema": "public", "table": target.table, "filter": target.filter});
    let join = json!({
        "topic": topic,
        "event": "phx_join",
        "ref": "1",
        "join_ref": "1",
        "payload": {
            "config": {
                "broadcast": {"ack": false, "self": false},
                "presence": {"key": "", "enabled": false},
                "postgres_changes": [binding],
                "private": false,
            },
            "access_token": key.expose(),
        },
    });
    if let Err(error) = sink.send(Message::Text(join.to_string().into())).await {
        return failed(format!("could not join: {error}"), false);
    }
    let mut subscribed = false;
    let mut next_ref = 2u64;
    let mut pending_heartbeat: Option<String> = None;
    let mut heartbeat =
        tokio::time::interval_at(Instant::now() + HEARTBEAT_INTERVAL, HEARTBEAT_INTERVAL);
    let renew = tokio::time::sleep(renewal_delay(ttl));
    tokio::pin!(renew);
    let join_deadline = tokio::time::sleep(CONNECT_TIMEOUT);
    tokio::pin!(join_deadline);
    loop {
        tokio::select! {
            message = stream.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => return failed("the server closed the socket", subscribed),
                    Some(Err(error)) => return failed(format!("socket failed: {error}"), subscribed),
                    Some(Ok(_)) => continue,
                };
                let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                let event = frame["event"].as_str().unwrap_or_default();
                let frame_ref = frame["ref"].as_str();
                if frame["topic"] == "phoenix" {
                    if event == "phx_reply" && frame_ref.is_some() && frame_ref == pending_heartbeat.as_deref() {
                        pending_heartbeat = None;
                    }
                    continue;
                }
                if frame["topic"] != topic.as_str() {
                    continue;
                }
                match event {
                    "phx_reply" if frame_ref == Some("1") && !subscribed => {
                        if frame["payload"]["status"] != "ok" {
                            let reason = frame["payload"]["response"]["reason"].as_str().unwrap_or("no reason given");
                            return End::Refused(format!("the join was refused: {reason}"));
                        }
                        let echoed = &frame["payload"]["response"]["postgres_changes"][0];
                        let same = ["event", "schema", "table", "filter"].iter().all(|field| echoed[*field] == binding[*field]);
                        if !same || echoed["id"].as_u64().unwrap_or(0) == 0 {
                            return End::Refused("mismatch between server and client bindings for postgres changes".to_owned());
                        }
                        subscribed = true;
                        let _ = tx.send(Signal::Subscribed);
                    }
                    "postgres_changes" => {
                        if let Some(record) = frame.pointer("/payload/data/record") {
                            let _ = tx.send(Signal::Row(record.clone()));
                        }
                    }
                    "system" if frame["payload"]["status"] == "error" => {
                        let message = frame["payload"]["message"].as_str().unwrap_or("channel error");
                        return failed(format!("the server closed the channel: {message}"), subscribed);
                    }
                    "phx_close" | "phx_error" => return failed(format!("the server sent {event}"), subscribed),
                    _ => {}
                }
            }
            _ = heartbeat.tick() => {
                if pending_heartbeat.is_some() {
                    return failed("a heartbeat was not answered", subscribed);
                }
                let reference = next_ref.to_string();
                next_ref += 1;
                let beat = json!({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": reference});
                if let Err(error) = sink.send(Message::Text(beat.to_string().into())).await {
                    return failed(format!("socket failed: {error}"), subscribed);
                }
                pending_heartbeat = Some(reference);
            }
            () = &mut renew => {
                let (key, ttl) = match (target.key)().await {
                    Ok(key) => key,
                    Err(error) => return failed(format!("could not renew the realtime key: {error}"), subscribed),
                };
                secrets.add(key.expose());
                let reference = next_ref.to_string();
                next_ref += 1;
                let push = json!({"topic": topic, "event": "access_token", "payload": {"access_token": key.expose()}, "ref": reference, "join_ref": "1"});
                if let Err(error) = sink.send(Message::Text(push.to_string().into())).await {
                    return failed(format!("socket failed: {error}"), subscribed);
                }
                renew.as_mut().reset(Instant::now() + renewal_delay(ttl));
            }
            () = &mut join_deadline, if !subscribed => return failed("the join was not answered in time", false),
            () = tx.closed() => return failed("nobody listens", subscribed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_renewed_before_they_expire() {
        assert_eq!(
            renewal_delay(Duration::from_secs(3600)),
            Duration::from_secs(2880)
        );
        assert_eq!(renewal_delay(Duration::ZERO), Duration::from_secs(1));
    }
}
