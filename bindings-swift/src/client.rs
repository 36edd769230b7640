//! The client: built from a client secret (servers, merchant-operated backends) or from an
//! access-token provider (apps), with the flows as `async` methods and the resources as objects.

use std::sync::Arc;
use std::time::Duration;

use dollr_core::auth::ObtainTokenResponse;
use dollr_core::models::{Execution, Passcode};
use dollr_core::status::StatusAnomaly;
use dollr_core::{
    ClientBuilder, CollectOutcome, CollectRequest, ExecutePolicy, HostedCheckout,
    HostedCheckoutRequest, OperationType, PaymentVerification, PayoutOutcome, PayoutRequest,
    ReconcileOptions, ReconcileOutcome, RefundOutcome, RefundRequest, RequestOptions, RetryPolicy,
    SourceType, SourceWaitOptions, SourceWaitOutcome, TransferOutcome, TransferRequest,
};

use crate::auth::{AccessTokenProvider, ForeignTokenProvider};
use crate::error::DollrError;
use crate::resources::{
    Checkouts, Counterparties, Executions, Fees, Invoices, Links, Merchants, Orders, Parties,
    PaymentAccounts, Predictions, RealtimeKeys, Sessions, Status,
};
use crate::runtime::{guard, run};
use dollr_core::flows::FlowListener;

/// How a client is configured beyond its credentials. Every field is optional; unset values fall
/// back to `DOLLR_BASE_URL` (unless `ignore_env`) and then to the core's defaults.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct ClientOptions {
    /// The API base URL (default `https://api.heydollr.app`; plain http only to loopback, e.g. the
    /// local sandbox).
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Time allowed for one HTTP request (default 30 s).
    #[uniffi(default = None)]
    pub timeout: Option<Duration>,
    /// Time allowed to connect (default 10 s).
    #[uniffi(default = None)]
    pub connect_timeout: Option<Duration>,
    /// Retries of requests that are safe to repeat (default 2).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// The whole retry policy (`max_retries`, when also given, overrides its retry count).
    #[uniffi(default = None)]
    pub retry_policy: Option<RetryPolicy>,
    /// A SQLite journal file for exactly-once executions across restarts (default: in memory).
    #[uniffi(default = None)]
    pub journal_path: Option<String>,
    /// An extra root certificate to trust (PEM), e.g. a corporate TLS proxy.
    #[uniffi(default = None)]
    pub extra_root_ca_pem: Option<String>,
    /// Do not read `DOLLR_*` environment variables.
    #[uniffi(default = false)]
    pub ignore_env: bool,
}

impl ClientOptions {
    fn apply(self, mut builder: ClientBuilder) -> ClientBuilder {
        builder = builder.sdk_language("uniffi");
        if self.ignore_env {
            builder = builder.ignore_env();
        }
        if let Some(url) = self.base_url {
            builder = builder.base_url(url);
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            builder = builder.connect_timeout(timeout);
        }
        if let Some(policy) = self.retry_policy {
            builder = builder.retry_policy(policy);
        }
        if let Some(retries) = self.max_retries {
            builder = builder.max_retries(retries);
        }
        if let Some(path) = self.journal_path {
            builder = builder.journal_path(path);
        }
        if let Some(pem) = self.extra_root_ca_pem {
            builder = builder.extra_root_ca_pem(pem.into_bytes());
        }
        builder
    }
}

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
    fn build(builder: ClientBuilder) -> Result<Arc<DollrClient>, DollrError> {
        guard(|| {
            let inner = builder.build()?;
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
        Self::build(
            options.apply(
                ClientBuilder::default()
                    .client_id(client_id)
                    .client_secret(client_secret),
            ),
        )
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
        Self::build(options.apply(ClientBuilder::default().token_provider(provider)))
    }

    /// A client configured from `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`, `DOLLR_BASE_URL`.
    #[uniffi::constructor(default(options))]
    pub fn from_env(options: ClientOptions) -> Result<Arc<DollrClient>, DollrError> {
        Self::build(options.apply(ClientBuilder::default()))
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

    /// Parties (`/v1/parties/...`).
    pub fn parties(&self) -> Arc<Parties> {
        Arc::new(Parties {
            inner: self.inner.parties(),
        })
    }

    /// Counterparties (`/v1/counterparties/...`).
    pub fn counterparties(&self) -> Arc<Counterparties> {
        Arc::new(Counterparties {
            inner: self.inner.counterparties(),
        })
    }

    /// Invoices (`/v1/invoices/...`).
    pub fn invoices(&self) -> Arc<Invoices> {
        Arc::new(Invoices {
            inner: self.inner.invoices(),
        })
    }

    /// Orders (`/v1/orders/...`).
    pub fn orders(&self) -> Arc<Orders> {
        Arc::new(Orders {
            inner: self.inner.orders(),
        })
    }

    /// Hosted checkouts (`/v1/checkouts/...`).
    pub fn checkouts(&self) -> Arc<Checkouts> {
        Arc::new(Checkouts {
            inner: self.inner.checkouts(),
        })
    }

    /// Payment and receipt links (`/v1/links/...`).
    pub fn links(&self) -> Arc<Links> {
        Arc::new(Links {
            inner: self.inner.links(),
        })
    }

    /// Sessions (`/v1/sessions/...`).
    pub fn sessions(&self) -> Arc<Sessions> {
        Arc::new(Sessions {
            inner: self.inner.sessions(),
        })
    }

    /// Payment accounts (`/v1/payment-accounts/...`).
    pub fn payment_accounts(&self) -> Arc<PaymentAccounts> {
        Arc::new(PaymentAccounts {
            inner: self.inner.payment_accounts(),
        })
    }

    /// Executions, exactly once per reference id (`/v1/executions/...`).
    pub fn executions(&self) -> Arc<Executions> {
        Arc::new(Executions {
            inner: self.inner.executions(),
        })
    }

    /// Execution and payment-source status, and waits (`/v1/status/...`).
    pub fn status(&self) -> Arc<Status> {
        Arc::new(Status {
            inner: self.inner.status(),
        })
    }

    /// Amount, fee and routing previews (`/v1/predictions/...`).
    pub fn predictions(&self) -> Arc<Predictions> {
        Arc::new(Predictions {
            inner: self.inner.predictions(),
        })
    }

    /// Fee schedules (`/v1/fees/...`).
    pub fn fees(&self) -> Arc<Fees> {
        Arc::new(Fees {
            inner: self.inner.fees(),
        })
    }

    /// Merchant information (`/v1/merchants/...`).
    pub fn merchants(&self) -> Arc<Merchants> {
        Arc::new(Merchants {
            inner: self.inner.merchants(),
        })
    }

    /// Realtime keys (`/v1/realtime-keys/...`).
    pub fn realtime_keys(&self) -> Arc<RealtimeKeys> {
        Arc::new(RealtimeKeys {
            inner: self.inner.realtime_keys(),
        })
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
