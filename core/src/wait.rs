//! `client.status().wait(..)`: follow an execution until it is final or a deadline passes.
//!
//! * Polls `GET /v1/status/{type}/{reference_id}` every `initial_interval` (docs: 2–5 s), backing
//!   off by `backoff_factor` up to `max_interval` while the status does not change (mobile money
//!   can sit in `PROCESSING` for minutes), and starting again from `initial_interval` after a
//!   change.
//! * The deadline is checked between polls; a poll in flight may overshoot it by up to its own
//!   request timeout (the client's timeout, shortened to what is left, but at least 1 s).
//! * Reaching the deadline is **not** an error: it returns [`WaitOutcome::StillProcessing`] with the
//!   reference id and the last execution seen, so the caller can wait again later (a later wait
//!   starts from the journaled status, so transitions are reported across waits).
//! * Transient failures while polling (429 with its `Retry-After`, 5xx, network, timeout) are
//!   retried until the deadline. A 404 is tolerated [`WaitOptions::max_not_found`] times in a row
//!   (an execution may not be visible to status the instant it is created); one more is a
//!   `NotFound` error. Other errors (401, 403, 422) end the wait with the error. Every error
//!   carries the reference id.
//! * Each observed change (including the first observation) is passed to
//!   [`WaitOptions::on_transition`] in order, logged, and recorded in the journal when the
//!   reference id is journaled.
//! * Illegal changes (e.g. `COMPLETED → PROCESSING`) and unknown statuses are **reported, not
//!   fatal**: on the [`Transition`] (`anomaly`), in the outcome's `anomalies`, and as a `warn` log.
//!   The API stays the authority on the status; a caller that wants to fail on an anomaly can use
//!   [`StatusAnomaly::to_error`].
//! * **Realtime** (decision 0017): for a collection, when the client has a Supabase project
//!   ([`crate::ClientBuilder::supabase`]) and the options name the checkout session
//!   ([`WaitOptions::realtime`]), the wait also subscribes to the payment's Supabase Realtime
//!   channel with a realtime key. A realtime message is a doorbell: the status API is asked at once
//!   and its answer is what is reported ([`StatusChannel::Realtime`] on the transition). A realtime
//!   message claiming a final status the status API does not confirm is a
//!   [`StatusAnomaly::RealtimeDisagreement`] (the status API wins, reported on a transition
//!   without a change). While the channel is joined and has spoken within
//!   [`WaitOptions::realtime_timeout`] (the docs' 30 s), polls are deferred; when the socket fails,
//!   the join is refused, or nothing arrives in that window, the wait polls with its backoff (a
//!   poll also follows every (re)join, to catch what happened before it).
//! * [`Status::watch`] is the same loop as a stream of transitions; dropping it stops the polling
//!   and closes the socket.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::runtime::TimerInstant as Instant;
use tokio::sync::mpsc;

use crate::api::status::Status;
use crate::config::RequestOptions;
use crate::enums::SourceType;
use crate::enums::{ExecutionStatus, OperationType};
use crate::error::{Error, ErrorKind, Result};
use crate::execute::{lookup, Lookup};
use crate::ids::Id;
use crate::journal::{Claim, IntentOutcome};
use crate::lease::{while_held, HeldLease};
use crate::models::realtime::{RealtimeKeyRequest, REALTIME_TABLE};
use crate::models::Execution;
use crate::realtime::{self, Signal, Subscription};
use crate::status::{StatusAnomaly, StatusMachine};

/// The shortest per-request timeout used while polling near the deadline.
const MIN_POLL_TIMEOUT: Duration = Duration::from_secs(1);

/// One observed status change of an execution (on the bridge, the `transition` event of
/// `status.wait`).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct Transition {
    /// The execution's reference id.
    pub reference_id: String,
    /// Which execution.
    pub operation: OperationType,
    /// The status before (`null` on the first observation when nothing was journaled).
    pub from: Option<ExecutionStatus>,
    /// The status observed.
    pub to: ExecutionStatus,
    /// The execution as the API returned it.
    pub execution: Execution,
    /// Set when the documented state machine does not allow this change or does not know `to`,
    /// or when a realtime message disagreed with the status API (then `from == to`: no change).
    pub anomaly: Option<StatusAnomaly>,
    /// What made the SDK ask: a poll, or a realtime message (the status API confirmed it).
    pub channel: StatusChannel,
}

/// What reported a status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, schemars::JsonSchema),
    serde(rename_all = "snake_case")
)]
pub enum StatusChannel {
    /// A status poll (`GET /v1/status/...`) found it.
    Poll,
    /// A Supabase Realtime message announced it, and the status API confirmed it.
    Realtime,
}

impl fmt::Display for StatusChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatusChannel::Poll => "poll",
            StatusChannel::Realtime => "realtime",
        })
    }
}

/// The checkout session a collection pays, so a wait can subscribe to its realtime channel.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct RealtimeTarget {
    /// The checkout session's id.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::ids::flexible"),
        schemars(with = "i64")
    )]
    pub session_id: Id,
    /// `INVOICE` or `ORDER`: what the session pays.
    pub source_type: SourceType,
}

/// A callback for each observed [`Transition`].
pub type TransitionCallback = Arc<dyn Fn(&Transition) + Send + Sync>;

/// The default total time of a wait.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// The default first interval between polls.
pub const DEFAULT_INITIAL_INTERVAL: Duration = Duration::from_secs(2);
/// The default longest interval between polls.
pub const DEFAULT_MAX_INTERVAL: Duration = Duration::from_secs(15);
/// The default growth of the interval on each poll without a change.
pub const DEFAULT_BACKOFF_FACTOR: f64 = 1.5;
/// The default number of 404s in a row tolerated.
pub const DEFAULT_MAX_NOT_FOUND: u32 = 3;
/// How long a realtime channel may stay silent before polling resumes (the docs' 30 s).
pub const DEFAULT_REALTIME_TIMEOUT: Duration = Duration::from_secs(30);

/// How [`Status::wait`] polls. On the bridge every field may be left out (its default applies)
/// and durations are integer milliseconds (`timeout_ms`, …); transitions go to the call's events.
#[derive(Clone)]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Deserialize, schemars::JsonSchema),
    serde(default)
)]
pub struct WaitOptions {
    /// How long to wait in total (default 5 minutes) before the outcome is "still processing".
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "timeout_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub timeout: Duration,
    /// The first interval between polls, and the interval after each change (default 2 s).
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "initial_interval_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub initial_interval: Duration,
    /// The longest interval between polls (default 15 s).
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "max_interval_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub max_interval: Duration,
    /// The interval grows by this factor on each poll without a change (default 1.5; values below
    /// 1 count as 1).
    pub backoff_factor: f64,
    /// How many 404s in a row are tolerated before `NotFound` is returned (default 3).
    pub max_not_found: u32,
    /// For a collection: its checkout session, so the wait can also listen on Supabase Realtime
    /// (when the client has a Supabase URL and anon key). Without it, the wait polls.
    pub realtime: Option<RealtimeTarget>,
    /// How long the realtime channel may stay silent before polling resumes (default 30 s).
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "realtime_timeout_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub realtime_timeout: Duration,
    /// Called with each observed change, in order.
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    pub on_transition: Option<TransitionCallback>,
}

impl Default for WaitOptions {
    /// Five minutes, polling every 2 s and backing off to 15 s; three 404s tolerated.
    fn default() -> Self {
        WaitOptions {
            timeout: DEFAULT_TIMEOUT,
            initial_interval: DEFAULT_INITIAL_INTERVAL,
            max_interval: DEFAULT_MAX_INTERVAL,
            backoff_factor: DEFAULT_BACKOFF_FACTOR,
            max_not_found: DEFAULT_MAX_NOT_FOUND,
            realtime: None,
            realtime_timeout: DEFAULT_REALTIME_TIMEOUT,
            on_transition: None,
        }
    }
}

impl WaitOptions {
    /// The default options with another total timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        WaitOptions {
            timeout,
            ..WaitOptions::default()
        }
    }

    /// The same options listening on the realtime channel of the checkout session `session_id`
    /// (paying an `INVOICE` or `ORDER`), when the client has a Supabase project.
    pub fn realtime(mut self, session_id: Id, source_type: SourceType) -> Self {
        self.realtime = Some(RealtimeTarget {
            session_id,
            source_type,
        });
        self
    }

    /// The same options with a transition callback.
    pub fn on_transition(mut self, callback: impl Fn(&Transition) + Send + Sync + 'static) -> Self {
        self.on_transition = Some(Arc::new(callback));
        self
    }

    fn next_interval(&self, current: Duration) -> Duration {
        let factor = if self.backoff_factor.is_finite() {
            self.backoff_factor.max(1.0)
        } else {
            1.0
        };
        current
            .mul_f64(factor)
            .min(self.max_interval.max(self.initial_interval))
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("backoff_factor", &self.backoff_factor)
            .field("max_not_found", &self.max_not_found)
            .field("realtime", &self.realtime)
            .field("realtime_timeout", &self.realtime_timeout)
            .field("on_transition", &self.on_transition.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// How a wait ended.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum WaitOutcome {
    /// The execution is `COMPLETED` or `FAILED`.
    Finished {
        /// The final execution.
        execution: Execution,
        /// Illegal or unknown statuses observed on the way.
        anomalies: Vec<StatusAnomaly>,
    },
    /// The deadline passed first. Not a failure: wait again later with `reference_id`.
    StillProcessing {
        /// The execution to keep following.
        reference_id: String,
        /// The last execution seen (none if only errors or 404s were met).
        last: Option<Execution>,
        /// Illegal or unknown statuses observed on the way.
        anomalies: Vec<StatusAnomaly>,
    },
}

/// How a wait ended.
#[cfg(feature = "bridge")]
#[derive(Clone, Copy, Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum WaitState {
    /// The execution is `COMPLETED` or `FAILED`.
    Finished,
    /// The deadline passed first. Not a failure: wait again later with `reference_id`.
    StillProcessing,
}

// The flat JSON form of a `WaitOutcome` (a Rust enum with data has no flat JSON of its own).
/// How `status.wait` ended, discriminated by `state`.
#[cfg(feature = "bridge")]
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "WaitOutcome")]
struct WaitOutcomeJson<'a> {
    /// `finished` (the execution is `COMPLETED` or `FAILED`) or `still_processing` (the
    /// deadline passed first: not a failure, wait again later).
    state: WaitState,
    /// The execution's reference id.
    reference_id: &'a str,
    /// The execution's status (`execution.status`), at top level as in the API's status payloads
    /// so code written from the Dollr docs (`result.status`) works: `COMPLETED`/`FAILED` when
    /// `finished`, the last one seen when `still_processing` (`null` if none was seen).
    status: Option<&'a ExecutionStatus>,
    /// The final execution (`finished`), or the last one seen (`still_processing`; `null` if
    /// only errors or 404s were met).
    execution: Option<&'a Execution>,
    /// Illegal or unknown statuses observed on the way.
    anomalies: &'a [StatusAnomaly],
}

#[cfg(feature = "bridge")]
impl serde::Serialize for WaitOutcome {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        WaitOutcomeJson {
            state: if self.is_finished() {
                WaitState::Finished
            } else {
                WaitState::StillProcessing
            },
            reference_id: self.reference_id(),
            status: self.status(),
            execution: self.execution(),
            anomalies: self.anomalies(),
        }
        .serialize(serializer)
    }
}

#[cfg(feature = "bridge")]
impl schemars::JsonSchema for WaitOutcome {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WaitOutcome".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        WaitOutcomeJson::json_schema(generator)
    }
}

impl WaitOutcome {
    /// Whether the execution is final.
    pub fn is_finished(&self) -> bool {
        matches!(self, WaitOutcome::Finished { .. })
    }
    /// The reference id.
    pub fn reference_id(&self) -> &str {
        match self {
            WaitOutcome::Finished { execution, .. } => &execution.reference_id,
            WaitOutcome::StillProcessing { reference_id, .. } => reference_id,
        }
    }
    /// The last execution seen.
    pub fn execution(&self) -> Option<&Execution> {
        match self {
            WaitOutcome::Finished { execution, .. } => Some(execution),
            WaitOutcome::StillProcessing { last, .. } => last.as_ref(),
        }
    }
    /// The execution's status, as in the API's status payloads: `COMPLETED`/`FAILED` when
    /// finished, the last one seen when still processing (none if none was seen).
    pub fn status(&self) -> Option<&ExecutionStatus> {
        self.execution().map(|execution| &execution.status)
    }
    /// Illegal or unknown statuses observed.
    pub fn anomalies(&self) -> &[StatusAnomaly] {
        match self {
            WaitOutcome::Finished { anomalies, .. }
            | WaitOutcome::StillProcessing { anomalies, .. } => anomalies,
        }
    }
}

#[dollr_macros::flows("status")]
impl Status {
    /// Polls the execution `reference_id` until it is `COMPLETED` or `FAILED` (`state:
    /// "finished"`) or the deadline passes (`state: "still_processing"`, not an error: wait again
    /// later). Each observed change is reported as a `transition` event.
    #[uniffi_by_hand(
        "bindings-swift/src/resource_methods.rs: Swift cannot cancel a foreign `await`, so the \
         wait returns a cancellable `WaitHandle`; its options have optional durations"
    )]
    pub async fn wait(
        &self,
        #[arg("Which kind of execution (`COLLECTION`, `PAYOUT`, `TRANSFER`, `REFUND`).")]
        operation: OperationType,
        // A path parameter: it is the path parameter of every status request the wait makes.
        #[path("The execution's idempotency key (UUID v4).")] reference_id: &str,
        #[options] options: WaitOptions,
    ) -> Result<WaitOutcome> {
        let tag = |error: Error| error.with_reference_id(reference_id);
        crate::validate::path_uuid_v4("reference_id", reference_id).map_err(tag)?;
        crate::validate::known("operation_type", &operation).map_err(tag)?;
        let deadline = Instant::now() + options.timeout;
        let journal = self.client.journal().clone();
        let journaled = match journal.get(reference_id).await {
            Ok(intent) => intent,
            Err(error) => {
                tracing::warn!(reference_id = %reference_id, error = %error, "could not read the execution journal; waiting without it");
                None
            }
        };
        let is_journaled = journaled.is_some();
        // A journaled, unresolved intent is this wait's while it follows it: its lease keeps
        // reconcilers elsewhere from redoing the work. Taken only if free (another instance's
        // call may be working on it; waiting is read-only and goes on without the lease).
        let held = HeldLease::not_held();
        if journaled
            .as_ref()
            .is_some_and(|intent| intent.state.is_unresolved())
        {
            let lease = &self.client.inner.lease;
            if let Ok(Some(Claim::Granted(intent))) =
                journal.acquire(reference_id, &lease.holding(None)).await
            {
                held.granted(intent.lease_generation);
            }
        }
        let mut previous = journaled.and_then(|intent| intent.last_status);
        let mut last: Option<Execution> = None;
        let mut anomalies = Vec::new();
        let mut interval = options.initial_interval;
        let mut not_found = 0u32;
        let mut subscription = self.subscribe_realtime(&operation, reference_id, &options);
        let realtime = &mut subscription;
        // The channel is joined; polls wait until `quiet_until` (it spoke recently).
        let mut live = false;
        let mut quiet_until: Option<Instant> = None;
        // What made this lookup happen, and the status a realtime message claimed.
        let mut channel = StatusChannel::Poll;
        let mut claimed: Option<ExecutionStatus> = None;
        let client = self.client.clone();
        let polling = async move {
            loop {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let request_timeout = self
                    .client
                    .config()
                    .timeout
                    .min(remaining.max(MIN_POLL_TIMEOUT));
                // The wait does its own retrying, bounded by its deadline.
                let poller = self.client.with_options(RequestOptions {
                    timeout: Some(request_timeout),
                    max_retries: Some(0),
                });
                let mut pause = interval;
                match lookup(&poller, &operation, reference_id).await {
                    Lookup::Found(execution) => {
                        not_found = 0;
                        // A final status claimed over realtime that the status API does not
                        // confirm: the status API wins, and the disagreement is reported.
                        let disagreement = claimed
                            .take()
                            .filter(|claim| claim.is_terminal() && *claim != execution.status)
                            .map(|claim| StatusAnomaly::RealtimeDisagreement {
                                machine: ExecutionStatus::MACHINE,
                                realtime: claim.to_string(),
                                api: execution.status.to_string(),
                            });
                        if let Some(anomaly) = &disagreement {
                            tracing::warn!(reference_id = %reference_id, anomaly = %anomaly, "realtime disagrees with the status API");
                            anomalies.push(anomaly.clone());
                            // Poll again soon rather than trust the channel's silence.
                            quiet_until = None;
                        }
                        if previous.as_ref() != Some(&execution.status) {
                            let anomaly = match &previous {
                                Some(from) => from.check_transition(&execution.status).err(),
                                None => execution.status.check_known().err(),
                            };
                            if let Some(anomaly) = &anomaly {
                                tracing::warn!(reference_id = %reference_id, anomaly = %anomaly, "execution status anomaly");
                                anomalies.push(anomaly.clone());
                            }
                            tracing::info!(
                                reference_id = %reference_id,
                                from = previous.as_ref().map(ExecutionStatus::as_str).unwrap_or("-"),
                                to = %execution.status,
                                channel = %channel,
                                "execution status"
                            );
                            let transition = Transition {
                                reference_id: reference_id.to_string(),
                                operation: operation.clone(),
                                from: previous.clone(),
                                to: execution.status.clone(),
                                execution: execution.clone(),
                                anomaly: anomaly.or(disagreement),
                                channel,
                            };
                            if let Some(callback) = &options.on_transition {
                                callback(&transition);
                            }
                            if is_journaled {
                                if let Err(error) = journal
                                    .record_outcome(
                                        reference_id,
                                        IntentOutcome::Observed(execution.clone()),
                                    )
                                    .await
                                {
                                    tracing::warn!(reference_id = %reference_id, error = %error, "the execution journal could not record a status");
                                }
                            }
                            previous = Some(execution.status.clone());
                            interval = options.initial_interval;
                            pause = interval;
                        } else {
                            if let Some(anomaly) = disagreement {
                                // No change to report: the anomaly goes on an observation of
                                // the unchanged status.
                                let transition = Transition {
                                    reference_id: reference_id.to_string(),
                                    operation: operation.clone(),
                                    from: previous.clone(),
                                    to: execution.status.clone(),
                                    execution: execution.clone(),
                                    anomaly: Some(anomaly),
                                    channel,
                                };
                                if let Some(callback) = &options.on_transition {
                                    callback(&transition);
                                }
                                interval = options.initial_interval;
                            } else {
                                interval = options.next_interval(interval);
                            }
                        }
                        if execution.status.is_terminal() {
                            return Ok(WaitOutcome::Finished {
                                execution,
                                anomalies,
                            });
                        }
                        last = Some(execution);
                    }
                    Lookup::NotFound => {
                        not_found += 1;
                        if not_found > options.max_not_found {
                            return Err(Error::new(
                            ErrorKind::NotFound,
                            format!(
                                "no {} execution with reference_id {reference_id} ({not_found} lookups in a row): it was never submitted, or under another operation type",
                                operation
                            ),
                        )
                        .with_status(404)
                        .with_reference_id(reference_id));
                        }
                        tracing::debug!(reference_id = %reference_id, not_found, "execution not visible yet");
                        interval = options.next_interval(interval);
                    }
                    Lookup::Failed(error) if error.is_transient() => {
                        tracing::debug!(reference_id = %reference_id, kind = %error.kind(), "status poll failed; retrying");
                        if let Some(after) = error.retry_after() {
                            pause = pause.max(after);
                        }
                        interval = options.next_interval(interval);
                    }
                    Lookup::Failed(error) => return Err(tag(error)),
                }
                channel = StatusChannel::Poll;
                claimed = None;
                // The next poll: after the pause, and while the realtime channel is joined and
                // spoke recently, not before it has been quiet for `realtime_timeout`.
                let now = Instant::now();
                let mut wake = now + pause;
                if live {
                    if let Some(quiet) = quiet_until {
                        wake = wake.max(quiet);
                    }
                }
                let wake = wake.min(deadline);
                loop {
                    let signal = match realtime.as_mut() {
                        Some(subscription) => tokio::select! {
                            () = crate::runtime::sleep_until(wake) => None,
                            signal = subscription.signals.recv() => Some(signal),
                        },
                        None => {
                            crate::runtime::sleep_until(wake).await;
                            None
                        }
                    };
                    match signal {
                        None => break,
                        // The subscription ended: poll from now on.
                        Some(None) => {
                            *realtime = None;
                            live = false;
                            break;
                        }
                        Some(Some(Signal::Subscribed)) => {
                            tracing::debug!(reference_id = %reference_id, "realtime channel joined");
                            live = true;
                            quiet_until = Some(Instant::now() + options.realtime_timeout);
                            // Catch up with what happened before the join.
                            break;
                        }
                        Some(Some(Signal::Row(record))) => {
                            quiet_until = Some(Instant::now() + options.realtime_timeout);
                            let status = record
                                .get("status")
                                .and_then(serde_json::Value::as_str)
                                .map(ExecutionStatus::from);
                            match status {
                                Some(status)
                                    if previous.as_ref() != Some(&status)
                                        || status.is_terminal() =>
                                {
                                    tracing::debug!(reference_id = %reference_id, status = %status, "realtime: status changed; asking the status API");
                                    claimed = Some(status);
                                    channel = StatusChannel::Realtime;
                                    break;
                                }
                                // Nothing new: keep waiting.
                                _ => {}
                            }
                        }
                        Some(Some(Signal::Down { reason, retrying })) => {
                            tracing::info!(reference_id = %reference_id, reason = %reason, retrying, "realtime unavailable; polling");
                            live = false;
                            quiet_until = None;
                            if !retrying {
                                *realtime = None;
                            }
                            interval = options.initial_interval;
                            break;
                        }
                    }
                }
                if Instant::now() >= deadline {
                    return Ok(WaitOutcome::StillProcessing {
                        reference_id: reference_id.to_string(),
                        last,
                        anomalies,
                    });
                }
            }
        };
        let outcome = while_held(&client, reference_id, &held, polling).await;
        if let Some(subscription) = subscription {
            subscription.close().await;
        }
        outcome
    }
}

impl Status {
    /// The realtime subscription of a wait, when the client has a Supabase project, the
    /// execution is a collection and the options name its checkout session.
    fn subscribe_realtime(
        &self,
        operation: &OperationType,
        reference_id: &str,
        options: &WaitOptions,
    ) -> Option<Subscription> {
        let supabase = self.client.config().supabase.clone()?;
        let target = options.realtime.clone()?;
        if *operation != OperationType::Collection {
            return None;
        }
        let request = RealtimeKeyRequest {
            session_id: target.session_id,
            source_type: target.source_type,
            reference_id: reference_id.to_string(),
        };
        let channel = request.channel();
        let client = self.client.clone();
        let key: realtime::KeySource = Arc::new(move || {
            let client = client.clone();
            let request = request.clone();
            Box::pin(async move {
                let key = client.realtime_keys().collection(&request).await?;
                let lifetime = Duration::from_secs(u64::try_from(key.expires_in).unwrap_or(0));
                Ok((key.access_token, lifetime))
            })
        });
        Some(realtime::subscribe(realtime::Target {
            websocket_url: supabase.websocket_url(),
            anon_key: supabase.anon_key,
            channel,
            table: REALTIME_TABLE.to_string(),
            filter: format!("reference_id=eq.{reference_id}"),
            key,
            #[cfg(not(target_arch = "wasm32"))]
            tls: self.client.tls(),
        }))
    }

    /// Follows the execution `reference_id` like [`Status::wait`] and yields each observed
    /// [`Transition`] as it happens (over Supabase Realtime when the options name a collection's
    /// checkout session and the client has a Supabase project; by polling otherwise). The stream
    /// ends after the final status, at the deadline, or with the error that ended the wait.
    /// Dropping it stops the wait and closes the realtime socket. Needs a tokio runtime.
    pub fn watch(
        &self,
        operation: OperationType,
        reference_id: &str,
        options: WaitOptions,
    ) -> Watch {
        let (tx, items) = mpsc::unbounded_channel::<WatchItem>();
        let status = self.clone();
        let reference_id = reference_id.to_string();
        let previous = options.on_transition.clone();
        let sender = tx.clone();
        let options = options.on_transition(move |transition: &Transition| {
            if let Some(callback) = &previous {
                callback(transition);
            }
            let _ = sender.send(WatchItem::Transition(transition.clone()));
        });
        let task = crate::runtime::spawn(async move {
            let outcome = status.wait(operation, &reference_id, options).await;
            let _ = tx.send(WatchItem::End(outcome));
        });
        Watch {
            items,
            task,
            outcome: None,
            done: false,
        }
    }
}

enum WatchItem {
    Transition(Transition),
    End(Result<WaitOutcome>),
}

/// The stream of [`Status::watch`]: each observed [`Transition`], then its end (an `Err` item if
/// the wait failed). Dropping it stops the wait and closes the realtime socket.
pub struct Watch {
    items: mpsc::UnboundedReceiver<WatchItem>,
    task: crate::runtime::Task,
    outcome: Option<WaitOutcome>,
    done: bool,
}

impl Watch {
    /// How the wait ended, once the stream has ended without an error.
    pub fn outcome(&self) -> Option<&WaitOutcome> {
        self.outcome.as_ref()
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Transition>>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.items.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(WatchItem::Transition(transition))) => {
                Poll::Ready(Some(Ok(transition)))
            }
            Poll::Ready(Some(WatchItem::End(Ok(outcome)))) => {
                self.done = true;
                self.outcome = Some(outcome);
                Poll::Ready(None)
            }
            Poll::Ready(Some(WatchItem::End(Err(error)))) => {
                self.done = true;
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }
}

impl futures::Stream for Watch {
    type Item = Result<Transition>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
