//! Live status over Supabase Realtime against the in-process sandbox (decision 0017): a collection
//! heard PENDING -> PROCESSING -> COMPLETED over realtime; the socket dropped mid-payment and the
//! wait falls back to polling; a realtime message that disagrees with the status API (the status
//! API wins, an anomaly is reported); short-lived realtime keys renewed or replaced, never a hang;
//! `watch` as a stream; payouts poll; the anon key never printed.
//!
//! Deterministic: the sandbox settles only when told (`advance`), polls are 60 s apart so only
//! realtime can report a change in time, and every wait is a poll with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dollr_core::flows::FlowOptions;
use dollr_core::*;
use dollr_sandbox::{FaultRule, Sandbox, SandboxConfig};
use futures::StreamExt;

/// Long enough that nothing settles unless the test advances it.
const NEVER_MS: u64 = 600_000;
const DEADLINE: Duration = Duration::from_secs(30);

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.unwrap()
}

fn client_for(sandbox: &Sandbox) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .supabase(sandbox.supabase_url(), sandbox.supabase_anon_key())
        .build()
        .unwrap()
}

/// Polls `condition` until it holds (panics at the deadline with `what`).
async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < DEADLINE,
            "deadline passed waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Status lookups of `reference` the sandbox has answered.
fn status_lookups(sandbox: &Sandbox, reference: &str) -> usize {
    sandbox
        .request_log()
        .iter()
        .filter(|e| e.method == "GET" && e.path.ends_with(reference) && e.status == 200)
        .count()
}

fn joins(sandbox: &Sandbox) -> u64 {
    sandbox.stats()["realtime"]["joins"].as_u64().unwrap()
}

/// The wait is subscribed and has made its catch-up poll: from here on only realtime (or a poll
/// 60 s away) can report a change.
async fn subscribed(sandbox: &Sandbox, reference: &str, lookups_before: usize, joins_before: u64) {
    until("the realtime join and the catch-up poll", || {
        joins(sandbox) > joins_before && status_lookups(sandbox, reference) >= lookups_before + 2
    })
    .await;
}

/// Drains `watch` to its end: the last transition it yielded.
async fn last_transition(watch: &mut Watch) -> Transition {
    let mut last = None;
    while let Some(transition) = watch.next().await {
        last = Some(transition.unwrap());
    }
    last.expect("a transition before the watch ended")
}

/// Polls 60 s apart: a change reported within the test's deadline came over realtime.
fn slow_polls(recorded: Arc<Mutex<Vec<StatusTransition>>>) -> FlowOptions {
    FlowOptions::default()
        .wait_timeout(DEADLINE)
        .poll_interval(Duration::from_secs(60))
        .max_poll_interval(Duration::from_secs(60))
        .on_progress(move |progress| {
            if let FlowEvent::StatusChanged { transition, .. } = &progress.event {
                recorded.lock().unwrap().push(transition.clone());
            }
        })
}

fn statuses(transitions: &[StatusTransition]) -> Vec<(String, StatusChannel)> {
    transitions
        .iter()
        .map(|t| (t.to.to_string(), t.channel))
        .collect()
}

#[tokio::test]
async fn a_collection_is_heard_pending_processing_completed_over_realtime() {
    let sandbox = sandbox(SandboxConfig::for_tests(NEVER_MS)).await;
    let client = client_for(&sandbox);
    let reference = new_reference_id();
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let request = CollectRequest::new(
        test_numbers::COMPLETES,
        Decimal::from_str("12.00").unwrap(),
        "USD",
    )
    .with_payer_name("Amara Kamara")
    .with_reference_id(reference.clone())
    .with_options(slow_polls(recorded.clone()));
    let flow = tokio::spawn({
        let client = client.clone();
        async move { client.collect(&request).await }
    });
    subscribed(&sandbox, &reference, 0, 0).await;
    sandbox.advance(&reference).unwrap();
    until("PROCESSING reported", || {
        recorded.lock().unwrap().len() >= 2
    })
    .await;
    sandbox.advance(&reference).unwrap();
    let outcome = tokio::time::timeout(DEADLINE, flow)
        .await
        .expect("the flow ends as soon as the payment does")
        .unwrap()
        .unwrap();
    assert!(outcome.is_completed(), "{outcome:#?}");
    assert_eq!(
        statuses(&outcome.transitions),
        [
            ("PENDING".to_string(), StatusChannel::Poll),
            ("PROCESSING".to_string(), StatusChannel::Realtime),
            ("COMPLETED".to_string(), StatusChannel::Realtime),
        ]
    );
    assert_eq!(sandbox.stats()["realtime"]["joins"], 1);
}

#[tokio::test]
async fn a_socket_dropped_mid_payment_falls_back_to_polling_and_still_reports_completed() {
    let sandbox = sandbox(SandboxConfig::for_tests(NEVER_MS)).await;
    let client = client_for(&sandbox);
    let reference = new_reference_id();
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let options = slow_polls(recorded.clone())
        .poll_interval(Duration::from_millis(20))
        .max_poll_interval(Duration::from_millis(100));
    let request = CollectRequest::new(
        test_numbers::COMPLETES,
        Decimal::from_str("13.00").unwrap(),
        "USD",
    )
    .with_payer_name("Amara Kamara")
    .with_reference_id(reference.clone())
    .with_options(options);
    let flow = tokio::spawn({
        let client = client.clone();
        async move { client.collect(&request).await }
    });
    subscribed(&sandbox, &reference, 0, 0).await;
    // The next change drops the socket; every rejoin is refused: polling is all that is left.
    sandbox.add_fault(FaultRule::drop_socket().count(1));
    sandbox.add_fault(FaultRule::refuse_join());
    sandbox.advance(&reference).unwrap();
    until("PROCESSING reported", || {
        recorded.lock().unwrap().len() >= 2
    })
    .await;
    sandbox.advance(&reference).unwrap();
    let outcome = tokio::time::timeout(DEADLINE, flow)
        .await
        .expect("polling finishes the wait")
        .unwrap()
        .unwrap();
    assert!(outcome.is_completed(), "{outcome:#?}");
    assert_eq!(
        statuses(&outcome.transitions),
        [
            ("PENDING".to_string(), StatusChannel::Poll),
            ("PROCESSING".to_string(), StatusChannel::Poll),
            ("COMPLETED".to_string(), StatusChannel::Poll),
        ]
    );
    let faults = &sandbox.stats()["faults"];
    assert_eq!(faults["realtime_drop_socket"], 1, "{faults}");
}

/// A collection left in flight (the flow's wait ended at once) with its session, to watch.
async fn collection_in_flight(sandbox: &Sandbox, client: &Client) -> (String, Id) {
    let request = CollectRequest::new(
        test_numbers::COMPLETES,
        Decimal::from_str("14.00").unwrap(),
        "USD",
    )
    .with_payer_name("Amara Kamara")
    .with_options(FlowOptions::default().wait_timeout(Duration::from_millis(1)));
    let outcome = client.collect(&request).await.unwrap();
    assert!(!outcome.settled);
    let _ = sandbox;
    (outcome.reference_id, outcome.session_id)
}

#[tokio::test]
async fn a_realtime_message_that_disagrees_loses_to_the_status_api_and_is_reported() {
    let sandbox = sandbox(SandboxConfig::for_tests(NEVER_MS)).await;
    let client = client_for(&sandbox);
    let (reference, session) = collection_in_flight(&sandbox, &client).await;
    let before = status_lookups(&sandbox, &reference);
    let joins_before = joins(&sandbox);
    let options = WaitOptions {
        initial_interval: Duration::from_secs(60),
        max_interval: Duration::from_secs(60),
        ..WaitOptions::with_timeout(DEADLINE)
    }
    .realtime(session, SourceType::Invoice);
    let mut watch = client
        .status()
        .watch(OperationType::Collection, &reference, options);
    // (PENDING is the journaled status the flow left: no change to report yet.)
    subscribed(&sandbox, &reference, before, joins_before).await;

    // Realtime says COMPLETED; the status API says PENDING: nothing changes, an anomaly is reported.
    sandbox
        .publish_realtime_status(&reference, "COMPLETED")
        .unwrap();
    let observed = watch.next().await.unwrap().unwrap();
    assert_eq!(observed.channel, StatusChannel::Realtime);
    assert_eq!(
        (observed.from.clone(), observed.to.clone()),
        (Some(ExecutionStatus::Pending), ExecutionStatus::Pending)
    );
    let anomaly = observed
        .anomaly
        .clone()
        .expect("the disagreement is reported");
    assert_eq!(
        anomaly,
        StatusAnomaly::RealtimeDisagreement {
            machine: "execution",
            realtime: "COMPLETED".into(),
            api: "PENDING".into()
        }
    );
    assert!(anomaly.to_string().contains("status API wins"), "{anomaly}");

    // The real completion still arrives, and the outcome carries the anomaly.
    sandbox.advance_to_final(&reference).unwrap();
    let mut seen = Vec::new();
    while let Some(transition) = watch.next().await {
        seen.push(transition.unwrap().to.to_string());
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("COMPLETED"),
        "{seen:?}"
    );
    let outcome = watch.outcome().expect("the watch ended with an outcome");
    assert!(outcome.is_finished());
    assert!(outcome
        .anomalies()
        .iter()
        .any(|a| matches!(a, StatusAnomaly::RealtimeDisagreement { .. })));
}

#[tokio::test]
async fn short_lived_realtime_keys_are_renewed_or_replaced_never_a_hang() {
    let config = SandboxConfig {
        realtime_key_ttl_seconds: 2,
        ..SandboxConfig::for_tests(NEVER_MS)
    };
    let sandbox = sandbox(config).await;
    let client = client_for(&sandbox);
    let (reference, session) = collection_in_flight(&sandbox, &client).await;
    let keys = |sandbox: &Sandbox| {
        sandbox.stats()["requests"]["by_route"]["POST /v1/realtime-keys/collection"]
            .as_u64()
            .unwrap_or(0)
    };
    let options = WaitOptions {
        initial_interval: Duration::from_secs(60),
        max_interval: Duration::from_secs(60),
        ..WaitOptions::with_timeout(DEADLINE)
    }
    .realtime(session, SourceType::Invoice);
    let mut watch = client
        .status()
        .watch(OperationType::Collection, &reference, options);
    // Two more keys than the first: the first one has been renewed or replaced at least twice.
    until("the realtime key renewed", || keys(&sandbox) >= 3).await;
    let joins_now = joins(&sandbox);
    until("a live channel", || joins(&sandbox) >= joins_now).await;
    sandbox.advance_to_final(&reference).unwrap();
    let last = last_transition(&mut watch).await;
    assert_eq!(last.to, ExecutionStatus::Completed);
    assert!(watch.outcome().unwrap().is_finished());
}

#[tokio::test]
async fn dropping_a_watch_closes_its_socket() {
    let sandbox = sandbox(SandboxConfig::for_tests(NEVER_MS)).await;
    let client = client_for(&sandbox);
    let (reference, session) = collection_in_flight(&sandbox, &client).await;
    let options = WaitOptions::with_timeout(DEADLINE).realtime(session, SourceType::Invoice);
    let before = status_lookups(&sandbox, &reference);
    let joins_before = joins(&sandbox);
    let watch = client
        .status()
        .watch(OperationType::Collection, &reference, options);
    subscribed(&sandbox, &reference, before, joins_before).await;
    let open = || sandbox.stats()["realtime"]["open"].as_u64().unwrap();
    assert_eq!(open(), 1);
    drop(watch);
    until("the socket closed", || open() == 0).await;
    // The socket is gone: a change now reaches nobody, and nobody asks the status API.
    let messages = sandbox.stats()["realtime"]["messages"].as_u64().unwrap();
    let lookups = status_lookups(&sandbox, &reference);
    sandbox.advance(&reference).unwrap();
    assert_eq!(sandbox.stats()["realtime"]["messages"], messages);
    assert_eq!(status_lookups(&sandbox, &reference), lookups);
}

#[tokio::test]
async fn payouts_poll_and_the_anon_key_is_never_printed() {
    let sandbox = sandbox(SandboxConfig::for_tests(50)).await;
    let client = client_for(&sandbox);
    let printed = format!("{:?}", client.config());
    assert!(!printed.contains(&sandbox.supabase_anon_key()), "{printed}");
    let request = PayoutRequest::new(
        test_numbers::COMPLETES,
        Decimal::from_str("1.00").unwrap(),
        "USD",
        sandbox.passcode(),
        "231770000000",
    )
    .with_recipient_name("Musu Doe")
    .with_options(
        FlowOptions::default()
            .wait_timeout(DEADLINE)
            .poll_interval(Duration::from_millis(10)),
    );
    let outcome = client.payout(&request).await.unwrap();
    assert!(outcome.is_completed(), "{outcome:#?}");
    assert!(outcome
        .transitions
        .iter()
        .all(|t| t.channel == StatusChannel::Poll));
    assert_eq!(sandbox.stats()["realtime"]["sockets"], 0);
}

#[test]
fn a_half_configured_supabase_project_is_refused_naming_the_field() {
    let error = Client::builder()
        .ignore_env()
        .client_id("x")
        .client_secret("y")
        .supabase("http://example.com", "key")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(error.to_string().contains("http"), "{error}");
}

#[tokio::test]
async fn a_silent_channel_gives_way_to_polling_after_the_realtime_timeout() {
    let sandbox = sandbox(SandboxConfig::for_tests(NEVER_MS)).await;
    let client = client_for(&sandbox);
    let (reference, session) = collection_in_flight(&sandbox, &client).await;
    // Joined, but every change message is lost: the channel stays silent.
    sandbox.add_fault(FaultRule::drop_message());
    let joins_before = joins(&sandbox);
    let options = WaitOptions {
        initial_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(50),
        realtime_timeout: Duration::from_millis(200),
        ..WaitOptions::with_timeout(DEADLINE)
    }
    .realtime(session, SourceType::Invoice);
    let mut watch = client
        .status()
        .watch(OperationType::Collection, &reference, options);
    until("a join", || joins(&sandbox) > joins_before).await;
    sandbox.advance_to_final(&reference).unwrap();
    let last = last_transition(&mut watch).await;
    assert_eq!(
        (last.to, last.channel),
        (ExecutionStatus::Completed, StatusChannel::Poll)
    );
    assert!(
        sandbox.stats()["faults"]["realtime_drop_message"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

/// A TLS front for the sandbox's realtime endpoint, as a Supabase project behind a private
/// certificate authority would be: it accepts TLS for `localhost` with a self-signed certificate
/// and relays the bytes to the sandbox. Returns its `https://` URL, the certificate (PEM), and
/// the count of handshakes the client refused.
async fn tls_front(sandbox: &Sandbox) -> (String, String, Arc<AtomicUsize>) {
    let backend = sandbox
        .supabase_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![certified.cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = Arc::new(AtomicUsize::new(0));
    let counted = refused.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, backend, counted) = (acceptor.clone(), backend.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    counted.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(backend.as_str()).await
                else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    (
        format!("https://localhost:{port}"),
        certified.cert.pem(),
        refused,
    )
}

#[tokio::test]
async fn the_realtime_socket_trusts_the_clients_extra_root_and_nothing_less() {
    let sandbox = sandbox(SandboxConfig::for_tests(NEVER_MS)).await;
    let (front, certificate, refused) = tls_front(&sandbox).await;
    let client_trusting = |extra_root: Option<&str>| {
        let builder = Client::builder()
            .ignore_env()
            .base_url(sandbox.url())
            .client_id(sandbox.client_id())
            .client_secret(sandbox.client_secret())
            .supabase(front.as_str(), sandbox.supabase_anon_key());
        match extra_root {
            Some(pem) => builder.extra_root_ca_pem(pem.as_bytes().to_vec()),
            None => builder,
        }
        .build()
        .unwrap()
    };
    // Polls 60 s apart: a change heard within the deadline came over the socket.
    let watch_over_wss = |client: &Client, reference: &str, session: Id| {
        let options = WaitOptions {
            initial_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(60),
            ..WaitOptions::with_timeout(DEADLINE)
        }
        .realtime(session, SourceType::Invoice);
        client
            .status()
            .watch(OperationType::Collection, reference, options)
    };

    // Without the project's root the handshake is refused by the client: no join, polling.
    let untrusting = client_trusting(None);
    let (reference, session) = collection_in_flight(&sandbox, &untrusting).await;
    let watch = watch_over_wss(&untrusting, &reference, session);
    until("a handshake the client refused", || {
        refused.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert_eq!(joins(&sandbox), 0);
    drop(watch);

    // With it (`extra_root_ca_pem`, as the API's connections get it) the socket joins over wss
    // and hears the payment complete.
    let trusting = client_trusting(Some(&certificate));
    let (reference, session) = collection_in_flight(&sandbox, &trusting).await;
    let before = status_lookups(&sandbox, &reference);
    let mut watch = watch_over_wss(&trusting, &reference, session);
    subscribed(&sandbox, &reference, before, 0).await;
    sandbox.advance_to_final(&reference).unwrap();
    let last = last_transition(&mut watch).await;
    assert_eq!(
        (last.to, last.channel),
        (ExecutionStatus::Completed, StatusChannel::Realtime)
    );
}
