//! The client: built from a client secret (servers, merchant-operated backends) or from an
//! access-token provider (apps), with the flows as `async` methods. The resources' accessors
//! (`client.parties()`, …) are generated with the resource objects (`resources.rs`).

use std::sync::Arc;

use dollr_core::auth::ObtainTokenResponse;
use dollr_core::bridge::ClientOptions;
use dollr_core::flows::FlowListener;
use dollr_core::models::{Execution, Passcode};
use dollr_core::status::StatusAnomaly;
use dollr_core::{
    ClientBuilder, CollectOutcome, CollectRequest, ExecutePolicy, HostedCheckout,
    HostedCheckoutRequest, OperationType, PaymentVerification, PayoutOutcome, PayoutRequest,
    ReconcileOptions, ReconcileOutcome, RefundOutcome, RefundRequest, RequestOptions, SourceType,
    SourceWaitOptions, SourceWaitOutcome, TransferOutcome, TransferRequest,
};

use crate::auth::{AccessTokenProvider, ForeignTokenProvider};
use crate::error::DollrError;
use crate::runtime::{guard, run};

/// The Dollr API client. Thread-safe; share one per app (one connection pool, one token, one
/// journal). The secret given to it never appears in its string form.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct DollrClient {
    pub(crate) inner: dollr_core::Client,
}

/// Kotlin's `toString()` and Swift's `description`: where the client talks to and as whom, never
/// the secret: `DollrClient(baseUrl=http://127.0.0.1:8080, clientId=abc)`.
impl std::fmt::Display for DollrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = self.inner.config();
        let client_id = match &config.credentials {
            dollr_core::Credentials::ClientCredentials { client_id, .. } => client_id.as_str(),
            dollr_core::Credentials::TokenProvider(_) => "(token provider)",
        };
        write!(
            f,
            "DollrClient(baseUrl={}, clientId={client_id})",
            config.base_url
        )
    }
}

impl DollrClient {
    fn build(
        options: ClientOptions,
        credentials: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Arc<DollrClient>, DollrError> {
        guard(|| {
            // The constructor's credentials win over the options' (given last).
            let builder = options.apply(ClientBuilder::default().sdk_language("uniffi"));
            let inner = credentials(builder).build()?;
            Ok(Arc::new(DollrClient { inner }))
        })
    }

    fn with_listener(
        options: &mut dollr_core::FlowOptions,
        listener: Option<Arc<dyn FlowListener>>,
    ) {
        if let Some(listener) = listener {
            options.on_progress = Some(listener);
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl DollrClient {
    /// A client with client credentials (merchant portal: Settings → Developer → API Keys). For
    /// servers and merchant-operated backends only: a client secret must never ship in an app.
    #[uniffi::constructor(default(options))]
    pub fn new(
        client_id: String,
        client_secret: String,
        options: ClientOptions,
    ) -> Result<Arc<DollrClient>, DollrError> {
        Self::build(options, |builder| {
            builder.client_id(client_id).client_secret(client_secret)
        })
    }

    /// A client that gets its access tokens from `provider` (an app whose server issues
    /// short-lived tokens): no client secret on the device.
    #[uniffi::constructor(default(options))]
    pub fn with_token_provider(
        provider: Arc<dyn AccessTokenProvider>,
        options: ClientOptions,
    ) -> Result<Arc<DollrClient>, DollrError> {
        let provider: Arc<dyn dollr_core::auth::AccessTokenProvider> =
            Arc::new(ForeignTokenProvider(provider));
        Self::build(options, |builder| builder.token_provider(provider))
    }

    /// A client configured from `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`, `DOLLR_BASE_URL`.
    #[uniffi::constructor(default(options))]
    pub fn from_env(options: ClientOptions) -> Result<Arc<DollrClient>, DollrError> {
        Self::build(options, |builder| builder)
    }

    /// The same client (same pool, token and journal) with per-call overrides (timeout, retries).
    pub fn with_options(&self, options: RequestOptions) -> Arc<DollrClient> {
        Arc::new(DollrClient {
            inner: self.inner.with_options(options),
        })
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> String {
        self.inner.config().base_url.clone()
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> String {
        self.inner.config().user_agent.clone()
    }

    /// Calls the token endpoint directly. Rarely needed: every call obtains and refreshes tokens
    /// by itself. `expires_in` is in minutes.
    pub async fn obtain_token(&self) -> Result<ObtainTokenResponse, DollrError> {
        let client = self.inner.clone();
        run(async move { Ok(client.obtain_token().await?) }).await
    }

    /// Collects a payment from a mobile-money wallet end to end (party, counterparty, invoice or
    /// order, payment account, session, exactly-once execution, wait, receipt). A `FAILED`
    /// payment is an outcome, not an error.
    #[uniffi::method(default(listener = None))]
    pub async fn collect(
        &self,
        request: CollectRequest,
        listener: Option<Arc<dyn FlowListener>>,
    ) -> Result<CollectOutcome, DollrError> {
        let client = self.inner.clone();
        let mut request = request;
        Self::with_listener(&mut request.options, listener);
        run(async move { Ok(client.collect(&request).await?) }).await
    }

    /// Pays out to a mobile-money wallet end to end. A refused passcode or an unverified merchant
    /// is `PermissionDenied`; a payout that ends `FAILED` (e.g. wallet balance too low) is an
    /// outcome.
    #[uniffi::method(default(listener = None))]
    pub async fn payout(
        &self,
        request: PayoutRequest,
        listener: Option<Arc<dyn FlowListener>>,
    ) -> Result<PayoutOutcome, DollrError> {
        let client = self.inner.clone();
        let mut request = request;
        Self::with_listener(&mut request.options, listener);
        run(async move { Ok(client.payout(&request).await?) }).await
    }

    /// Transfers from one of the merchant's wallets to a counterparty end to end.
    #[uniffi::method(default(listener = None))]
    pub async fn transfer(
        &self,
        request: TransferRequest,
        listener: Option<Arc<dyn FlowListener>>,
    ) -> Result<TransferOutcome, DollrError> {
        let client = self.inner.clone();
        let mut request = request;
        Self::with_listener(&mut request.options, listener);
        run(async move { Ok(client.transfer(&request).await?) }).await
    }

    /// Refunds (part of) an earlier collection end to end.
    #[uniffi::method(default(listener = None))]
    pub async fn refund(
        &self,
        request: RefundRequest,
        listener: Option<Arc<dyn FlowListener>>,
    ) -> Result<RefundOutcome, DollrError> {
        let client = self.inner.clone();
        let mut request = request;
        Self::with_listener(&mut request.options, listener);
        run(async move { Ok(client.refund(&request).await?) }).await
    }

    /// Creates an invoice or order with a hosted payment page; send the payer to `url`, then
    /// confirm with `verify_paid` or `wait_source_paid` (never trust a redirect).
    pub async fn hosted_checkout(
        &self,
        request: HostedCheckoutRequest,
    ) -> Result<HostedCheckout, DollrError> {
        let client = self.inner.clone();
        run(async move { Ok(client.hosted_checkout(&request).await?) }).await
    }

    /// Asks the API whether the document is `PAID`. Fulfil only when `paid` is true.
    pub async fn verify_paid(
        &self,
        source_type: SourceType,
        source_id: i64,
    ) -> Result<PaymentVerification, DollrError> {
        let client = self.inner.clone();
        run(async move { Ok(client.verify_paid(source_type, source_id).await?) }).await
    }

    /// Polls the document's status until `PAID` or `CANCELED`, or the deadline (see the core's
    /// `SourceWaitOptions`; not an error: `timed_out`). Each status change goes to
    /// `options.on_progress`.
    #[uniffi::method(default(options))]
    pub async fn wait_source_paid(
        &self,
        source_type: SourceType,
        source_id: i64,
        options: SourceWaitOptions,
    ) -> Result<SourceWaitOutcome, DollrError> {
        let client = self.inner.clone();
        run(async move {
            Ok(client
                .wait_source_paid(source_type, source_id, options)
                .await?)
        })
        .await
    }

    /// Brings every unresolved journal intent (left by a crash or an `AmbiguousExecution`) to its
    /// current status. With `resubmit`, intents the API never saw are POSTed again with the same
    /// reference id (payouts only with `payout_passcode`, which the journal never stores).
    #[uniffi::method(default(resubmit = false, payout_passcode = None, policy = None))]
    pub async fn reconcile(
        &self,
        resubmit: bool,
        payout_passcode: Option<Passcode>,
        policy: Option<ExecutePolicy>,
    ) -> Result<ReconcileReport, DollrError> {
        let client = self.inner.clone();
        let options = ReconcileOptions {
            resubmit,
            payout_passcode,
            policy: policy.unwrap_or_default(),
        };
        run(async move {
            let report = client.reconcile(options).await?;
            Ok(ReconcileReport::from(report))
        })
        .await
    }

    /// Forgets the payment accounts the flows remembered for this client (after resetting a
    /// sandbox, for example).
    pub fn forget_payment_accounts(&self) {
        self.inner.forget_payment_accounts();
    }
}

/// One journal intent after reconciliation. Defined here because the core's entry carries the
/// core error (mapped to [`DollrError`]).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ReconcileEntry {
    /// The intent's reference id.
    pub reference_id: String,
    /// Which execution.
    pub operation: OperationType,
    /// Where it stands.
    pub outcome: ReconcileOutcome,
    /// The execution as the API returned it, when found.
    pub execution: Option<Execution>,
    /// An illegal change from the journaled status, or an unknown status.
    pub anomaly: Option<StatusAnomaly>,
    /// The error met, if any (it carries the reference id).
    pub error: Option<DollrError>,
    /// Why a `NotSubmitted` intent was not resubmitted, when resubmission was asked for.
    pub note: Option<String>,
}

/// The result of `reconcile`. Defined here because the core's report counts with `usize`, which
/// uniffi does not carry.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ReconcileReport {
    /// One entry per unresolved intent, oldest first.
    pub entries: Vec<ReconcileEntry>,
    /// Entries `Completed`.
    pub completed: u64,
    /// Entries `Failed`.
    pub failed: u64,
    /// Entries `StillProcessing`.
    pub still_processing: u64,
    /// Entries `NotSubmitted`.
    pub not_submitted: u64,
    /// Entries `Resubmitted`.
    pub resubmitted: u64,
    /// Entries `Unreachable`.
    pub unreachable: u64,
}

impl From<dollr_core::ReconcileReport> for ReconcileReport {
    fn from(report: dollr_core::ReconcileReport) -> ReconcileReport {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        ReconcileReport {
            completed: count(report.completed),
            failed: count(report.failed),
            still_processing: count(report.still_processing),
            not_submitted: count(report.not_submitted),
            resubmitted: count(report.resubmitted),
            unreachable: count(report.unreachable),
            entries: report
                .entries
                .into_iter()
                .map(|entry| ReconcileEntry {
                    reference_id: entry.reference_id,
                    operation: entry.operation,
                    outcome: entry.outcome,
                    execution: entry.execution,
                    anomaly: entry.anomaly,
                    error: entry.error.map(DollrError::from),
                    note: entry.note,
                })
                .collect(),
        }
    }
}
