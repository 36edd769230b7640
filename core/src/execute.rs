//! Safe execution: every `POST /v1/executions/*` happens at most once per `reference_id`, and an
//! ambiguous outcome is resolved by asking the API, never by guessing.
//!
//! The algorithm (one call of `client.executions().collection(&request)` and its siblings):
//!
//! 1. **Validate** the request; nothing is sent on bad input.
//!    Concurrent calls with one reference id in this process then run one after the other (see
//!    `one_at_a_time`): the first POSTs, the others find the intent journaled and ask status.
//! 2. **Journal** the intent ([`crate::journal::Journal::begin`]): reference id, operation, request
//!    hash, request without secrets. If this fails, nothing is sent (`Internal` error).
//!    * The reference id is new → go to 3 (POST).
//!    * It exists with another operation or request hash → `Conflict`, nothing sent.
//!    * It exists and is settled (`COMPLETED`/`FAILED`) → return the journaled execution, nothing sent.
//!    * It exists and was `Rejected` (a 4xx: nothing moved) → go to 3 (POST the same id again).
//!    * Otherwise (`Pending`/`Processing`/`NotSubmitted`) → go to 4 (ask status first).
//! 3. **POST** with [`RetryClass::Never`] (the client's generic retries never re-POST an
//!    execution), after recording the attempt in the journal (no record → no POST):
//!    * 2xx → record the execution; return it.
//!    * 429 → nothing was processed: wait `Retry-After` (at most [`ExecutePolicy::max_retry_after`])
//!      and POST the same id again.
//!    * 422 "duplicate reference" (`Conflict`) → the id is known to the API: go to 4 and adopt it.
//!    * another 4xx → nothing moved: record `Rejected`, return the error. (If an earlier POST of
//!      this call was ambiguous, the refusal may be *caused* by that POST having landed — e.g. the
//!      session is now used — so status is asked once more and the call ends `AmbiguousExecution`
//!      unless the execution is found.)
//!    * 5xx, timeout, broken connection, unreadable answer → ambiguous: go to 4.
//! 4. **Status** (`GET /v1/status/{type}/{reference_id}`, same id):
//!    * found → record it and return it (whatever its status: `PROCESSING` is returned as is; use
//!      `client.status().wait(..)` to follow it). Never POSTed again.
//!    * 404 → the POST did not land: back off, then 3 with the same id.
//!    * transient error → back off and ask again.
//! 5. When [`ExecutePolicy::max_attempts`] POSTs or [`ExecutePolicy::max_status_checks`] status
//!    lookups are used up while the outcome may have landed, the call fails with
//!    `AmbiguousExecution` carrying the reference id; the intent stays `Pending` in the journal for
//!    `wait` or `reconcile`. A new reference id is never minted by the SDK.
//!
//! Every error returned carries the reference id ([`Error::reference_id`]).
//!
//! Reference ids: the request constructors (`CollectionExecutionRequest::new(..)` and siblings)
//! generate a UUID v4, so the caller knows the id before the call and can store it with its own
//! records; [`new_reference_id`] does the same for hand-built requests. An empty or malformed
//! reference id is refused by validation rather than silently replaced, because a replacement
//! minted on every call would turn a caller's retry into a second payment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use crate::client::{ApiRequest, Client, RetryClass};
use crate::enums::OperationType;
use crate::error::{Error, ErrorKind, Result};
// Defined with the ids so the request models can default to it without depending on this module.
pub use crate::ids::new_reference_id;
use crate::ids::Id;
use crate::journal::{request_hash, Begin, Claim, Intent, IntentOutcome, IntentState, NewIntent};
use crate::lease::{while_held, HeldLease};
use crate::models::{
    CollectionExecutionRequest, Execution, Passcode, PayoutExecutionRequest,
    RefundExecutionRequest, TransferExecutionRequest,
};
use crate::redact::redact_value_in_place;
use crate::validate::Validate;

/// How hard one execute call tries before it gives up with `AmbiguousExecution` (or the last error).
/// Defaults: 3 POSTs, 3 status lookups, backoff 0.5 s doubling to 8 s, `Retry-After` up to 30 s.
///
/// On the bridge every field may be left out (the default above applies) and durations are
/// integer milliseconds (`initial_backoff_ms`, …).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Deserialize, schemars::JsonSchema),
    serde(default)
)]
pub struct ExecutePolicy {
    /// POSTs per call, the first included (default 3).
    pub max_attempts: u32,
    /// Status lookups per call (default 3). Each one is already retried by the client's
    /// retry policy and bounded by its request timeout, so the worst case for an unreachable API
    /// is about `max_status_checks × (max_retries + 1) × timeout`.
    pub max_status_checks: u32,
    /// The first backoff between attempts (default 0.5 s); doubles each time.
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "initial_backoff_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub initial_backoff: Duration,
    /// The backoff cap (default 8 s).
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "max_backoff_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub max_backoff: Duration,
    /// The longest `Retry-After` waited for inside one call (default 30 s); a longer one ends the
    /// call with the `RateLimited` error (nothing was processed).
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "max_retry_after_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub max_retry_after: Duration,
}

impl Default for ExecutePolicy {
    fn default() -> Self {
        ExecutePolicy {
            max_attempts: 3,
            max_status_checks: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl ExecutePolicy {
    /// The wait before retry number `retry` (1-based): exponential, capped, with jitter in the
    /// upper half so that many clients do not retry in step.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        if ceiling.is_zero() {
            return ceiling;
        }
        let half = ceiling / 2;
        rand::rng().random_range(half..=ceiling)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::models::CollectionExecutionRequest {}
    impl Sealed for crate::models::PayoutExecutionRequest {}
    impl Sealed for crate::models::TransferExecutionRequest {}
    impl Sealed for crate::models::RefundExecutionRequest {}
}

/// The four execution request bodies (sealed: implemented here only).
pub trait ExecutionRequest: Serialize + Validate + Send + Sync + sealed::Sealed {
    /// Which execution this is.
    fn operation(&self) -> OperationType;
    /// The idempotency key.
    fn reference_id(&self) -> &str;
    /// The endpoint.
    fn path(&self) -> &'static str;

    /// The request as journaled: serialized, every secret-looking value removed (a payout's
    /// `passcode.token.code` is dropped entirely, not just masked).
    fn journal_value(&self) -> Result<Value> {
        let mut value = serde_json::to_value(self)
            .map_err(|e| Error::internal(format!("could not encode the request: {e}")))?;
        redact_value_in_place(&mut value);
        if let Some(token) = value
            .pointer_mut("/passcode/token")
            .and_then(Value::as_object_mut)
        {
            token.remove("code");
        }
        Ok(value)
    }

    /// The fields a reference id is bound to: the journaled request without `passcode` (the
    /// passcode and device are credentials and audit data, not what the payment is; a payout
    /// retried after a refused passcode, or from a restarted worker with a new IP, is the same
    /// payment).
    fn hashed_fields(&self) -> Result<Value> {
        Ok(hashed_fields_of(&self.journal_value()?))
    }
}

/// [`ExecutionRequest::hashed_fields`] from a journal value already made (the pipeline makes it
/// once for both).
fn hashed_fields_of(journal_value: &Value) -> Value {
    match journal_value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| key.as_str() != "passcode")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl ExecutionRequest for CollectionExecutionRequest {
    fn operation(&self) -> OperationType {
        OperationType::Collection
    }
    fn reference_id(&self) -> &str {
        &self.reference_id
    }
    fn path(&self) -> &'static str {
        "/v1/executions/collection"
    }
}

impl ExecutionRequest for PayoutExecutionRequest {
    fn operation(&self) -> OperationType {
        OperationType::Payout
    }
    fn reference_id(&self) -> &str {
        &self.reference_id
    }
    fn path(&self) -> &'static str {
        "/v1/executions/payout"
    }
}

impl ExecutionRequest for TransferExecutionRequest {
    fn operation(&self) -> OperationType {
        OperationType::Transfer
    }
    fn reference_id(&self) -> &str {
        &self.reference_id
    }
    fn path(&self) -> &'static str {
        "/v1/executions/transfer"
    }
}

impl ExecutionRequest for RefundExecutionRequest {
    fn operation(&self) -> OperationType {
        OperationType::Refund
    }
    fn reference_id(&self) -> &str {
        &self.reference_id
    }
    fn path(&self) -> &'static str {
        "/v1/executions/refund"
    }
}

impl CollectionExecutionRequest {
    /// A collection request with a fresh reference id ([`new_reference_id`]).
    pub fn new(session_id: Id, payment_account_id: Id, currency: impl Into<String>) -> Self {
        CollectionExecutionRequest {
            session_id,
            payment_account_id,
            currency: currency.into(),
            reference_id: new_reference_id(),
        }
    }
    /// The same request with your own reference id (e.g. one stored earlier, to resume).
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = reference_id.into();
        self
    }
}

impl PayoutExecutionRequest {
    /// A payout request with a fresh reference id ([`new_reference_id`]).
    pub fn new(session_id: Id, payout_account_id: Id, passcode: Passcode) -> Self {
        PayoutExecutionRequest {
            session_id,
            payout_account_id,
            reference_id: new_reference_id(),
            passcode,
        }
    }
    /// The same request with your own reference id (e.g. one stored earlier, to resume).
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = reference_id.into();
        self
    }
}

impl TransferExecutionRequest {
    /// A transfer request with a fresh reference id ([`new_reference_id`]).
    pub fn new(session_id: Id) -> Self {
        TransferExecutionRequest {
            session_id,
            reference_id: new_reference_id(),
        }
    }
    /// The same request with your own reference id (e.g. one stored earlier, to resume).
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = reference_id.into();
        self
    }
}

impl RefundExecutionRequest {
    /// A refund request with a fresh reference id ([`new_reference_id`]).
    pub fn new(session_id: Id) -> Self {
        RefundExecutionRequest {
            session_id,
            reference_id: new_reference_id(),
        }
    }
    /// The same request with your own reference id (e.g. one stored earlier, to resume).
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = reference_id.into();
        self
    }
}

/// What a status lookup found.
// Short-lived, matched once: boxing the execution would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Lookup {
    /// The API has the execution.
    Found(Execution),
    /// 404: the API has no execution with this reference id (yet).
    NotFound,
    /// The lookup failed.
    Failed(Error),
}

/// `GET /v1/status/{type}/{reference_id}` through `client` (its retry policy applies).
pub(crate) async fn lookup(
    client: &Client,
    operation: &OperationType,
    reference_id: &str,
) -> Lookup {
    match client
        .status()
        .execution(operation.clone(), reference_id)
        .await
    {
        Ok(execution) => Lookup::Found(execution),
        Err(error) if error.kind() == ErrorKind::NotFound => Lookup::NotFound,
        Err(error) => Lookup::Failed(error.with_reference_id(reference_id)),
    }
}

/// How a failed POST is to be treated.
enum PostFailure {
    /// 429: nothing was processed.
    RateLimited,
    /// 422 duplicate reference: the API already has this id.
    Duplicate,
    /// Another 4xx: refused, nothing moved.
    Refused,
    /// No definite answer: it may have been processed.
    Ambiguous,
}

fn classify(error: &Error) -> PostFailure {
    match error.kind() {
        ErrorKind::RateLimited => PostFailure::RateLimited,
        ErrorKind::Conflict if error.status() == Some(422) => PostFailure::Duplicate,
        ErrorKind::Validation
        | ErrorKind::Authentication
        | ErrorKind::PermissionDenied
        | ErrorKind::NotFound
        | ErrorKind::Conflict => PostFailure::Refused,
        // Server, Network, Timeout, Decode (a 2xx we could not read), Internal, AmbiguousExecution:
        // the request may have reached the API. (A token or connect failure before sending also
        // lands here; treating it as ambiguous costs one status lookup, never a double payment.)
        _ => PostFailure::Ambiguous,
    }
}

enum Step {
    Post,
    Status,
}

/// One execute call in progress.
struct Run<'a> {
    client: &'a Client,
    policy: &'a ExecutePolicy,
    /// The journal lease this call holds (or lost).
    held: &'a HeldLease,
    operation: OperationType,
    reference_id: String,
    posts: u32,
    status_checks: u32,
    /// A POST may have landed without our knowing its outcome.
    uncertain: bool,
    /// Set when a POST was refused after an earlier ambiguous one: status decides, no more POSTs.
    refused_after_uncertain: Option<Error>,
    last_error: Option<Error>,
    /// The wait before the next POST (a 429's `Retry-After`, or the backoff).
    wait_before_post: Option<Duration>,
}

/// Executes `request` exactly once (see the module documentation), holding the intent's journal
/// lease while it works (renewed, then given back).
pub(crate) async fn execute<R: ExecutionRequest>(
    client: &Client,
    request: &R,
    policy: &ExecutePolicy,
) -> Result<Execution> {
    let held = HeldLease::not_held();
    while_held(
        client,
        request.reference_id(),
        &held,
        execute_leased(client, request, policy, &held),
    )
    .await
}

/// [`execute`] for a caller that already holds (and renews) the intent's lease, e.g. `reconcile`
/// resubmitting an intent it claimed.
pub(crate) async fn execute_leased<R: ExecutionRequest>(
    client: &Client,
    request: &R,
    policy: &ExecutePolicy,
    held: &HeldLease,
) -> Result<Execution> {
    let reference_id = request.reference_id().to_string();
    let operation = request.operation();
    let tag = |error: Error| error.with_reference_id(reference_id.clone());
    request.validate().map_err(tag)?;
    let in_flight = one_at_a_time(&reference_id);
    let _only_call_in_flight = in_flight.lock().await;
    let journal_request = request.journal_value().map_err(tag)?;
    let hash = request_hash(&operation, &hashed_fields_of(&journal_request));
    let begun = client
        .journal()
        .begin(
            NewIntent {
                reference_id: reference_id.clone(),
                operation: operation.clone(),
                request_hash: hash.clone(),
                request: journal_request,
            },
            &client.inner.lease,
        )
        .await
        .map_err(|e| {
            journal_error(
                e,
                &reference_id,
                "record the intent before sending it; nothing was sent",
            )
        })?;
    let mut run = Run {
        client,
        policy,
        held,
        operation: operation.clone(),
        reference_id: reference_id.clone(),
        posts: 0,
        status_checks: 0,
        uncertain: false,
        refused_after_uncertain: None,
        last_error: None,
        wait_before_post: None,
    };
    let first = match begun {
        Begin::Created(intent) => {
            held.granted(intent.lease_generation);
            tracing::debug!(reference_id = %reference_id, operation = %operation, "execution intent journaled");
            Step::Post
        }
        Begin::Existing(intent) => match resume_step(&intent, &operation, &hash, &mut run)? {
            Resume::Done(execution) => return Ok(execution),
            Resume::Step(step) => step,
        },
    };
    run.drive(request, first).await
}

/// The lock that makes concurrent execute calls with one reference id in this process run one after
/// the other. Without it, callers that find the intent journaled but not yet landed would each
/// see status 404 and POST too, leaving the API's duplicate check as the only guard; with it,
/// the first call's POST lands before the next call begins, which then asks status and adopts it,
/// so the id is POSTed at most once per landing. Entries live while a call holds or awaits them.
fn one_at_a_time(reference_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>;
    static LOCKS: OnceLock<Locks> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Locks::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(lock) = locks.get(reference_id).and_then(Weak::upgrade) {
        return lock;
    }
    // Forget the ids no call holds any more (the map stays as small as the calls in flight).
    locks.retain(|_, lock| lock.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(reference_id.to_string(), Arc::downgrade(&lock));
    lock
}

// Short-lived, moved once per HTTP call: boxing the execution would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Resume {
    Done(Execution),
    Step(Step),
}

/// Decides how to continue with an intent that is already journaled.
fn resume_step(
    intent: &Intent,
    operation: &OperationType,
    hash: &str,
    run: &mut Run<'_>,
) -> Result<Resume> {
    let reference_id = &intent.reference_id;
    if &intent.operation != operation || intent.request_hash != hash {
        let what = if &intent.operation != operation {
            format!("a {} execution", intent.operation)
        } else {
            "a request with different parameters".to_string()
        };
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "reference_id {reference_id} is already bound to {what}; nothing was sent. Reuse a reference id only to retry the very same execution; use a new one (and a new session) for a new payment"
            ),
        )
        .with_reference_id(reference_id.clone()));
    }
    if intent.state.is_settled() {
        if let Some(execution) = &intent.last_execution {
            tracing::debug!(reference_id = %reference_id, status = %execution.status, "execution already settled in the journal; nothing sent");
            return Ok(Resume::Done(execution.clone()));
        }
    }
    match intent.state {
        // A 4xx moved nothing: the same id may be submitted again (e.g. after fixing a passcode).
        IntentState::Rejected => Ok(Resume::Step(Step::Post)),
        _ => {
            run.uncertain = intent.attempts > 0 || intent.state == IntentState::Processing;
            tracing::debug!(reference_id = %reference_id, state = %intent.state, attempts = intent.attempts, "resuming a journaled execution: asking status first");
            Ok(Resume::Step(Step::Status))
        }
    }
}

fn journal_error(error: Error, reference_id: &str, doing: &str) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!(
            "the execution journal could not {doing}: {}",
            error.message()
        ),
    )
    .with_reference_id(reference_id)
}

impl Run<'_> {
    async fn drive<R: ExecutionRequest>(&mut self, request: &R, first: Step) -> Result<Execution> {
        let mut step = first;
        loop {
            step = match step {
                Step::Status => match self.check_status().await? {
                    Checked::Found(execution) => return Ok(execution),
                    Checked::Next(next) => next,
                },
                Step::Post => match self.post(request).await? {
                    Posted::Done(execution) => return Ok(execution),
                    Posted::Next(next) => next,
                },
            };
        }
    }

    async fn check_status(&mut self) -> Result<Checked> {
        if self.status_checks >= self.policy.max_status_checks {
            return Err(self.give_up().await);
        }
        if self.status_checks > 0 {
            crate::runtime::sleep(self.policy.backoff(self.status_checks)).await;
        }
        self.status_checks += 1;
        match lookup(self.client, &self.operation, &self.reference_id).await {
            Lookup::Found(execution) => {
                tracing::info!(reference_id = %self.reference_id, status = %execution.status, "execution found by status; adopted (not re-sent)");
                self.record(IntentOutcome::Observed(execution.clone()))
                    .await;
                Ok(Checked::Found(execution))
            }
            Lookup::NotFound => {
                tracing::debug!(reference_id = %self.reference_id, "status: no such execution yet");
                if self.refused_after_uncertain.is_some()
                    || self.posts >= self.policy.max_attempts
                    || self.held.is_lost()
                {
                    return Err(self.give_up().await);
                }
                if self.posts > 0 && self.wait_before_post.is_none() {
                    self.wait_before_post = Some(self.policy.backoff(self.posts));
                }
                Ok(Checked::Next(Step::Post))
            }
            Lookup::Failed(error) => {
                tracing::debug!(reference_id = %self.reference_id, kind = %error.kind(), "status lookup failed");
                let transient = error.is_transient();
                self.last_error = Some(error);
                if transient {
                    Ok(Checked::Next(Step::Status))
                } else {
                    Err(self.give_up().await)
                }
            }
        }
    }

    async fn post<R: ExecutionRequest>(&mut self, request: &R) -> Result<Posted> {
        if self.posts >= self.policy.max_attempts {
            return Err(self.give_up().await);
        }
        if let Some(wait) = self.wait_before_post.take() {
            crate::runtime::sleep(wait).await;
        }
        if self.held.is_lost() {
            return Err(self.give_up().await);
        }
        // No journaled attempt (granted with the lease), no POST: the journal must never be
        // behind the API, and only the lease holder sends.
        let lease = self.client.inner.lease.holding(self.held.generation());
        let claim = match self
            .client
            .journal()
            .record_attempt(&self.reference_id, &lease)
            .await
        {
            Ok(claim) => claim,
            Err(error) => {
                let error = journal_error(
                    error,
                    &self.reference_id,
                    "record the attempt; nothing was sent",
                );
                if self.uncertain {
                    self.last_error = Some(error);
                    return Err(self.give_up().await);
                }
                return Err(error);
            }
        };
        let intent = match claim {
            Claim::Granted(intent) => {
                self.held.granted(intent.lease_generation);
                intent
            }
            Claim::Refused(intent) => {
                if intent.state.is_settled() {
                    if let Some(execution) = intent.last_execution {
                        return Ok(Posted::Done(execution));
                    }
                }
                return self.lease_refused(intent).await;
            }
        };
        if intent.state.is_settled() {
            if let Some(execution) = intent.last_execution {
                // Another worker settled it meanwhile.
                return Ok(Posted::Done(execution));
            }
        }
        self.posts += 1;
        tracing::info!(reference_id = %self.reference_id, operation = %self.operation, attempt = self.posts, journal_attempts = intent.attempts, "sending execution");
        let sent = match ApiRequest::post(request.path())
            .retry(RetryClass::Never)
            .json(request)
        {
            Ok(api_request) => self.client.send::<Execution>(api_request).await,
            Err(error) => Err(error),
        };
        let error = match sent {
            Ok(execution) => {
                if execution.reference_id != self.reference_id {
                    tracing::warn!(reference_id = %self.reference_id, answered = %execution.reference_id, "the API answered an execution with another reference id");
                }
                tracing::info!(reference_id = %self.reference_id, status = %execution.status, "execution accepted");
                self.record(IntentOutcome::Observed(execution.clone()))
                    .await;
                return Ok(Posted::Done(execution));
            }
            Err(error) => error.with_reference_id(self.reference_id.clone()),
        };
        tracing::info!(reference_id = %self.reference_id, kind = %error.kind(), status = ?error.status(), "execution attempt failed");
        match classify(&error) {
            PostFailure::RateLimited => {
                let wait = error
                    .retry_after()
                    .unwrap_or_else(|| self.policy.backoff(self.posts));
                if wait > self.policy.max_retry_after {
                    self.last_error = Some(error);
                    return Err(self.give_up().await);
                }
                self.wait_before_post = Some(wait);
                self.last_error = Some(error);
                Ok(Posted::Next(Step::Post))
            }
            PostFailure::Duplicate => {
                self.uncertain = true;
                self.last_error = Some(error);
                Ok(Posted::Next(Step::Status))
            }
            PostFailure::Refused if self.uncertain => {
                self.refused_after_uncertain = Some(error.clone());
                self.last_error = Some(error);
                Ok(Posted::Next(Step::Status))
            }
            PostFailure::Refused => {
                self.record(IntentOutcome::Rejected {
                    error: error.to_string(),
                })
                .await;
                Err(error)
            }
            PostFailure::Ambiguous => {
                self.uncertain = true;
                self.record(IntentOutcome::Ambiguous {
                    error: error.to_string(),
                })
                .await;
                self.last_error = Some(error);
                Ok(Posted::Next(Step::Status))
            }
        }
    }

    /// `record_attempt` was refused: another instance holds the lease. Nothing is sent.
    ///
    /// * This call held it before: it was stalled past the lease's expiry and another instance
    ///   took over (and may have POSTed). It never POSTs again: status decides, else
    ///   `AmbiguousExecution`.
    /// * It never held it: another instance is executing this reference id right now. Wait
    ///   (bounded: twice the lease) until that one settles it or gives the lease up, then ask
    ///   status first, as for any resumed intent.
    async fn lease_refused(&mut self, intent: Intent) -> Result<Posted> {
        self.uncertain = true;
        let holder = intent
            .lease
            .as_ref()
            .map(|lease| lease.owner.clone())
            .unwrap_or_default();
        if self.held.generation().is_some() || self.held.is_lost() {
            self.held.lost();
            tracing::warn!(reference_id = %self.reference_id, holder = %holder, "the journal lease on this execution was taken over by another instance; not sending");
            self.last_error = Some(Error::new(
                ErrorKind::AmbiguousExecution,
                format!("another instance ({holder}) took this execution over after this call's journal lease expired; this call sends nothing more"),
            ));
            return Ok(Posted::Next(Step::Status));
        }
        tracing::info!(reference_id = %self.reference_id, holder = %holder, "another instance is executing this reference id; waiting for its lease");
        let ttl = self.client.inner.lease.ttl;
        let poll = (ttl / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
        let deadline = crate::runtime::TimerInstant::now() + ttl.saturating_mul(2);
        let fresh = self.client.inner.lease.holding(None);
        loop {
            crate::runtime::sleep(poll).await;
            match self
                .client
                .journal()
                .acquire(&self.reference_id, &fresh)
                .await
            {
                Ok(Some(Claim::Granted(intent))) => {
                    self.held.granted(intent.lease_generation);
                    if intent.state.is_settled() {
                        if let Some(execution) = intent.last_execution {
                            return Ok(Posted::Done(execution));
                        }
                    }
                    // The other instance may have POSTed: status first.
                    return Ok(Posted::Next(Step::Status));
                }
                Ok(Some(Claim::Refused(intent))) => {
                    if intent.state.is_settled() {
                        if let Some(execution) = intent.last_execution {
                            return Ok(Posted::Done(execution));
                        }
                    }
                }
                Ok(None) => {}
                Err(error) => self.last_error = Some(error),
            }
            if crate::runtime::TimerInstant::now() >= deadline {
                self.last_error = Some(Error::new(
                    ErrorKind::AmbiguousExecution,
                    format!("another instance ({holder}) kept executing this reference id"),
                ));
                return Err(self.give_up().await);
            }
        }
    }

    /// Records an outcome after the call. A failure here is logged, not returned: the API's answer
    /// is the more important truth, and the intent stays unresolved for `reconcile` to repair.
    async fn record(&self, outcome: IntentOutcome) {
        if let Err(error) = self
            .client
            .journal()
            .record_outcome(&self.reference_id, outcome)
            .await
        {
            tracing::warn!(reference_id = %self.reference_id, error = %error, "the execution journal could not record an outcome; run reconcile later");
        }
    }

    /// Ends the call: `AmbiguousExecution` when a POST may have landed, else the last error.
    async fn give_up(&mut self) -> Error {
        let last = self.last_error.take();
        if self.uncertain {
            let cause = last
                .as_ref()
                .map(|e| format!(" Last problem: {}.", e.message()))
                .unwrap_or_default();
            let message = format!(
                "execution {} may or may not have happened: no definite answer after {} POST(s) and {} status lookup(s).{cause} Do not start a new payment for this intent; resume with client.status().wait(..) or client.reconcile(..) using reference_id {}",
                self.reference_id, self.posts, self.status_checks, self.reference_id
            );
            self.record(IntentOutcome::Ambiguous {
                error: message.clone(),
            })
            .await;
            tracing::warn!(reference_id = %self.reference_id, posts = self.posts, status_checks = self.status_checks, "execution outcome unknown");
            let mut error = Error::new(ErrorKind::AmbiguousExecution, message)
                .with_reference_id(self.reference_id.clone());
            if let Some(status) = last.as_ref().and_then(Error::status) {
                error = error.with_status(status);
            }
            return error;
        }
        match last {
            Some(error) => {
                if error.kind() == ErrorKind::RateLimited {
                    // Only 429s were met: nothing was processed.
                    self.record(IntentOutcome::Rejected {
                        error: error.to_string(),
                    })
                    .await;
                }
                error.with_reference_id(self.reference_id.clone())
            }
            None => Error::new(
                ErrorKind::Internal,
                format!(
                    "execution {} gave up without an error (max_attempts is 0?)",
                    self.reference_id
                ),
            )
            .with_reference_id(self.reference_id.clone()),
        }
    }
}

// Short-lived, moved once per HTTP call: boxing the execution would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Checked {
    Found(Execution),
    Next(Step),
}

// Short-lived, moved once per HTTP call: boxing the execution would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Posted {
    Done(Execution),
    Next(Step),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::execution::{CollectionExecutionRequest, PayoutExecutionRequest};

    /// The hashes journals already hold: a reference id is bound to these exact values, so any
    /// change to how they are computed (faster or not) must give the same bytes.
    #[test]
    fn request_hashes_are_stable() {
        let payout: PayoutExecutionRequest = serde_json::from_value(serde_json::json!({
            "session_id": "41", "payout_account_id": "7",
            "reference_id": "0b1c6f1e-8a4a-4d55-9a7e-3f5b2c1d9e80",
            "passcode": {
                "token": {"code": "123456", "phone": "231771234567"},
                "device": {"name": "w\u{e9}rker \"1\"\n", "type": "SERVER", "platform": "NODE",
                           "user_agent": "ua/1.0 \u{1}", "client_ip": "10.0.0.1"}
            }
        }))
        .unwrap();
        let collection: CollectionExecutionRequest = serde_json::from_value(serde_json::json!({
            "session_id": "12", "payment_account_id": "99", "currency": "USD",
            "reference_id": "5f0e3a2b-1c4d-4e6f-8a9b-0c1d2e3f4a5b"
        }))
        .unwrap();
        let payout_hash = request_hash(&payout.operation(), &payout.hashed_fields().unwrap());
        let collection_hash = request_hash(
            &collection.operation(),
            &collection.hashed_fields().unwrap(),
        );
        assert_eq!(
            payout_hash,
            "dc3bedfa3a15009785ea43ab229e910a2ed721cf2c8e070626486995f505e312"
        );
        assert_eq!(
            collection_hash,
            "82ce5173b401eb89f219165d1b1969f9a76fd48c4bc79ee60d718e47009dfc72"
        );
    }
}
