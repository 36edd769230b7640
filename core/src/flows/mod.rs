//! End-to-end payment flows as single calls: [`Client::collect`](crate::Client::collect),
//! [`Client::payout`](crate::Client::payout), [`Client::transfer`](crate::Client::transfer),
//! [`Client::refund`](crate::Client::refund) and the hosted-checkout path
//! ([`Client::hosted_checkout`](crate::Client::hosted_checkout),
//! [`Client::verify_paid`](crate::Client::verify_paid),
//! [`Client::wait_source_paid`](crate::Client::wait_source_paid)).
//!
//! Every flow:
//!
//! * validates **all** of its input before anything is sent (errors name the field);
//! * makes each step either exactly-once or harmless to repeat: executions go through the
//!   exactly-once layer (`client.executions()`: journal first, status-first recovery, one
//!   `reference_id` per intent); creates that move no money (party, counterparty, invoice/order,
//!   payment account, session) are retried after a transient failure, because a repeat at worst
//!   leaves an unused record; adding an item is *checked* before it is repeated (the document's
//!   total tells whether the lost attempt landed), because a duplicate line would change the amount;
//! * reports each step and each observed status change to an optional [`FlowListener`] as it
//!   happens ([`FlowOptions::on_progress`]; a Rust closure is a listener);
//! * returns a typed outcome with every id it created or reused. A payment that ends `FAILED` is
//!   an outcome, not an error (read `execution.gateway_message` / `wallet_message`); a payment
//!   still in flight at the wait deadline is an outcome with `settled == false` (resume it with
//!   `client.status().wait(..)` or `client.reconcile(..)`, never with a new payment).

pub mod bulk;
pub mod checkout;
pub mod collect;
pub mod payout;
pub mod refund;
pub mod transfer;

pub use bulk::{
    BulkCurrencyTotal, BulkPayoutPlan, BulkPayoutReport, BulkPayoutRequest, BulkPayoutRow,
    BulkPlanTotal, BulkProgress, BulkRowIssue, BulkRowResult, BulkRowStatus, CurrencyAmount,
};
pub use checkout::{
    HostedCheckout, HostedCheckoutRequest, PaymentVerification, SourceTransition,
    SourceWaitOptions, SourceWaitOutcome,
};
pub use collect::{CollectOutcome, CollectRequest};
pub use payout::{PayoutOutcome, PayoutRequest};
pub use refund::{RefundOutcome, RefundRequest};
pub use transfer::{TransferOutcome, TransferRequest};

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::runtime::Instant;

use rust_decimal::Decimal;

use crate::client::Client;
use crate::enums::{
    ExecutionStatus, OperationType, PaymentMethod, Provider, RelationshipType, SourceStatus,
    SourceType,
};
use crate::error::{Error, ErrorKind, Result};
use crate::execute::ExecutePolicy;
use crate::ids::Id;
use crate::models::execution::Execution;
use crate::models::prediction::{AmountAndFeePrediction, MmoProviderInfo};
use crate::models::source::{InvoiceReceipt, OrderReceipt, ReceiptItem, SourceDocument};
use crate::status::StatusMachine;
use crate::time::Timestamp;
use crate::validate;
use crate::wait::{RealtimeTarget, StatusChannel, Transition, WaitOptions, WaitOutcome};

/// How long a flow waits for a payment to settle unless told otherwise. Mobile money can take
/// minutes; past this the flow returns the payment as still in flight (`settled == false`).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(180);
/// How many times a flow step that is harmless to repeat is retried after a transient failure
/// the request pipeline did not already retry (5xx or a lost answer on a create).
pub const DEFAULT_STEP_RETRIES: u32 = 4;
/// How long transfer and refund sessions live when the caller does not say (`expires_at`).
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Receives every flow step and every observed status change, as it happens, on the flow's task:
/// keep it quick (hand the value on). One trait for every caller: a Rust closure
/// `Fn(&FlowProgress)` is a listener, the bridge forwards to its event sink, and Kotlin/Swift
/// implement it (a uniffi foreign trait). A listener that panics (or, on the foreign side,
/// throws) is ignored: the flow goes on.
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait FlowListener: Send + Sync {
    /// One step.
    fn on_progress(&self, progress: FlowProgress);
}

impl<F: Fn(&FlowProgress) + Send + Sync> FlowListener for F {
    fn on_progress(&self, progress: FlowProgress) {
        self(&progress)
    }
}

/// Where a flow's (or a source wait's) progress goes.
pub type ProgressCallback = Arc<dyn FlowListener>;

/// The app's own listener (a foreign one, through uniffi), called from the flow's task through
/// [`crate::runtime::call_foreign`]: a listener that calls the same client and waits for it must
/// not hold the worker that call needs.
#[cfg(not(target_arch = "wasm32"))]
pub fn foreign_listener(listener: ProgressCallback) -> ProgressCallback {
    struct Foreign(ProgressCallback);
    impl FlowListener for Foreign {
        fn on_progress(&self, progress: FlowProgress) {
            crate::runtime::call_foreign(|| self.0.on_progress(progress));
        }
    }
    Arc::new(Foreign(listener))
}

/// Hands `progress` to `listener`; a listener that panics is ignored (progress is a report, never
/// a reason to abandon a payment half way).
pub fn notify(listener: &dyn FlowListener, progress: FlowProgress) {
    let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        listener.on_progress(progress)
    }));
    if delivered.is_err() {
        tracing::warn!("a flow progress listener panicked; the flow goes on");
    }
}

/// Options shared by every flow. On the bridge they are arguments of the flow itself
/// (`wait_timeout_ms`, …, next to the request's fields); progress goes to the call's events.
#[derive(Clone, Default)]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct FlowOptions {
    /// The longest time to wait for the payment to reach `COMPLETED` or `FAILED` (default 3
    /// minutes). Reaching it is not an error: the outcome says `settled: false`.
    #[cfg_attr(
        feature = "bridge",
        serde(default, rename = "wait_timeout_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    pub wait_timeout: Option<Duration>,
    /// The first interval between status polls (default: the wait's).
    #[cfg_attr(
        feature = "bridge",
        serde(default, rename = "poll_interval_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    pub poll_interval: Option<Duration>,
    /// The longest interval between status polls, reached by backing off (default: the wait's).
    #[cfg_attr(
        feature = "bridge",
        serde(default, rename = "max_poll_interval_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    pub max_poll_interval: Option<Duration>,
    /// Retries of a step that is harmless to repeat, after a transient failure (default 4).
    #[cfg_attr(feature = "bridge", serde(default))]
    pub step_retries: Option<u32>,
    /// How the execution resolves ambiguous outcomes.
    #[cfg_attr(feature = "bridge", serde(default))]
    pub execute_policy: Option<ExecutePolicy>,
    /// Receives each step as it happens (Rust: `.on_progress(|p| ..)`). Not data: the bridge
    /// sends progress as the call's events instead.
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    pub on_progress: Option<ProgressCallback>,
}

impl fmt::Debug for FlowOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowOptions")
            .field("wait_timeout", &self.wait_timeout)
            .field("poll_interval", &self.poll_interval)
            .field("max_poll_interval", &self.max_poll_interval)
            .field("step_retries", &self.step_retries)
            .field("execute_policy", &self.execute_policy)
            .field(
                "on_progress",
                &self.on_progress.as_ref().map(|_| "FlowListener"),
            )
            .finish()
    }
}

impl FlowOptions {
    /// Sets the wait deadline.
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = Some(timeout);
        self
    }
    /// Sets the first poll interval.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }
    /// Sets the longest poll interval.
    pub fn max_poll_interval(mut self, interval: Duration) -> Self {
        self.max_poll_interval = Some(interval);
        self
    }
    /// Sets the step retries.
    pub fn step_retries(mut self, retries: u32) -> Self {
        self.step_retries = Some(retries);
        self
    }
    /// Sets the execution policy.
    pub fn execute_policy(mut self, policy: ExecutePolicy) -> Self {
        self.execute_policy = Some(policy);
        self
    }
    /// Sets a closure as the progress listener.
    pub fn on_progress(mut self, callback: impl Fn(&FlowProgress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }
    /// Sets the progress listener.
    pub fn listener(mut self, listener: Arc<dyn FlowListener>) -> Self {
        self.on_progress = Some(listener);
        self
    }
}

/// The name of the one line a flow bills when it is given an amount rather than lines.
pub const DEFAULT_LINE_NAME: &str = "Payment";

/// The document kind a flow creates when none is given (shared by the constructors and the
/// requests' `Deserialize`).
pub(crate) fn default_source_type() -> SourceType {
    SourceType::Invoice
}

/// One line of an invoice or order created by a flow (its currency is the document's).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)
)]
pub struct LineItem {
    /// What is sold (not blank).
    pub name: String,
    /// Quantity, at least 1.
    pub qty: i64,
    /// Unit price in the document's currency: at least one minor unit, no more decimals than the
    /// currency has (the SDK never rounds money).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
}

impl LineItem {
    /// `qty` × `amount` of `name`.
    pub fn new(name: impl Into<String>, qty: i64, amount: Decimal) -> Self {
        LineItem {
            name: name.into(),
            qty,
            amount,
        }
    }

    /// The one line billed for a bare amount: [`DEFAULT_LINE_NAME`], quantity 1.
    pub fn single(amount: Decimal) -> Self {
        LineItem::new(DEFAULT_LINE_NAME, 1, amount)
    }

    /// `qty × amount`.
    pub fn total(&self) -> Decimal {
        self.amount * Decimal::from(self.qty)
    }
}

/// Checks line items against the document currency; fields are named `items.<i>.<field>`. Each
/// line's total (`qty × amount`) and the document's total must stay within
/// [`validate::MAX_AMOUNT`] (the document total is what the payer is charged).
pub(crate) fn validate_items(items: &[LineItem], currency: &str) -> Result<()> {
    let mut line_totals = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        validate::non_empty(&format!("items.{index}.name"), &item.name)?;
        validate::quantity(&format!("items.{index}.qty"), item.qty)?;
        validate::amount(&format!("items.{index}.amount"), &item.amount, currency)?;
        line_totals.push(validate::line_total(
            &format!("items.{index}.qty"),
            item.qty,
            &item.amount,
        )?);
    }
    validate::document_total("items", line_totals).map(|_| ())
}

/// One observed change of an execution's status.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct StatusTransition {
    /// The status before (`null` for the first status seen, the execute call's answer).
    pub from: Option<ExecutionStatus>,
    /// The status observed.
    pub to: ExecutionStatus,
    /// When the SDK observed it.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::time::lenient"),
        schemars(with = "crate::time::TimestampSchema")
    )]
    pub at: Timestamp,
    /// Time since the execution was submitted.
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "elapsed_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub elapsed: Duration,
    /// What reported it: `poll` (the execute call's answer and status polls) or `realtime` (a
    /// Supabase Realtime message, confirmed by the status API).
    pub channel: StatusChannel,
}

impl fmt::Display for StatusTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            Some(from) => write!(f, "{from} -> {}", self.to)?,
            None => write!(f, "{}", self.to)?,
        }
        write!(f, " (+{} ms, {})", self.elapsed.as_millis(), self.channel)
    }
}

/// The receipt of a paid invoice or order. Its JSON form (bridge) is flat:
/// `{source_type, source_id, number, invoice, order}` with exactly one of `invoice` and `order`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SourceReceipt {
    /// An invoice's receipt.
    Invoice(InvoiceReceipt),
    /// An order's receipt.
    Order(OrderReceipt),
}

/// Generates one accessor per shared receipt field (invoice and order receipts have the same
/// fields apart from the id and number names).
macro_rules! receipt_field {
    ($(#[$meta:meta])* $name:ident: $ty:ty) => {
        $(#[$meta])*
        pub fn $name(&self) -> $ty {
            match self {
                SourceReceipt::Invoice(r) => r.$name.clone(),
                SourceReceipt::Order(r) => r.$name.clone(),
            }
        }
    };
}

impl SourceReceipt {
    /// `INVOICE` or `ORDER`.
    pub fn source_type(&self) -> SourceType {
        match self {
            SourceReceipt::Invoice(_) => SourceType::Invoice,
            SourceReceipt::Order(_) => SourceType::Order,
        }
    }
    /// The document's id.
    pub fn source_id(&self) -> Id {
        match self {
            SourceReceipt::Invoice(r) => r.id(),
            SourceReceipt::Order(r) => r.id(),
        }
    }
    /// The document's number (`INV-…` / `ORD-…`).
    pub fn number(&self) -> &str {
        match self {
            SourceReceipt::Invoice(r) => r.number(),
            SourceReceipt::Order(r) => r.number(),
        }
    }
    /// The lines paid for.
    pub fn items(&self) -> &[ReceiptItem] {
        match self {
            SourceReceipt::Invoice(r) => &r.items,
            SourceReceipt::Order(r) => &r.items,
        }
    }
    receipt_field!(
        /// The document's status (`PAID`).
        status: SourceStatus
    );
    receipt_field!(
        /// The document's currency.
        currency: String
    );
    receipt_field!(
        /// The document's total.
        total_amount: Decimal
    );
    receipt_field!(
        /// When it was paid.
        paid_at: Option<Timestamp>
    );
    receipt_field!(
        /// The payer's name.
        counterparty_name: String
    );
    receipt_field!(
        /// What the payer paid.
        payer_amount: Option<Decimal>
    );
    receipt_field!(
        /// The payer's currency.
        payer_currency: Option<String>
    );
    receipt_field!(
        /// What the merchant received.
        payee_amount: Option<Decimal>
    );
    receipt_field!(
        /// The merchant's currency.
        payee_currency: Option<String>
    );
    receipt_field!(
        /// Dollr's platform fee.
        platform_fee: Option<Decimal>
    );
    receipt_field!(
        /// The platform fee's currency.
        platform_currency: Option<String>
    );
    receipt_field!(
        /// The gateway's fee.
        gateway_fee: Option<Decimal>
    );
    receipt_field!(
        /// The gateway fee's currency.
        gateway_currency: Option<String>
    );
    receipt_field!(
        /// The FX fee.
        fx_fee: Option<Decimal>
    );
    receipt_field!(
        /// The FX rate applied.
        fx_rate: Option<Decimal>
    );
    receipt_field!(
        /// How it was paid.
        payment_method: Option<PaymentMethod>
    );
    receipt_field!(
        /// Who processed it.
        payment_provider: Option<Provider>
    );
    receipt_field!(
        /// The operator's transaction id.
        provider_transaction_id: Option<String>
    );
}

/// What a flow reports as it goes. On the bridge, an event object named by `event` (the
/// variant in snake_case, as [`FlowEvent::name`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, schemars::JsonSchema),
    serde(tag = "event", rename_all = "snake_case")
)]
pub enum FlowEvent {
    /// The input passed validation; nothing has been sent yet.
    Validated {
        /// Which flow (`collect`, `payout`, `transfer`, `refund`, `hosted_checkout`).
        flow: String,
    },
    /// The phone's operator was predicted (`payment_method` + `gateway_provider`).
    ProviderPredicted {
        /// The prediction.
        info: MmoProviderInfo,
    },
    /// The party to use is known.
    PartyReady {
        /// Its id.
        party_id: Id,
        /// Its name, when the flow knows it.
        fullname: Option<String>,
        /// Whether the flow created it (otherwise it was given or looked up).
        created: bool,
    },
    /// The counterparty to use is known.
    CounterpartyReady {
        /// Its id.
        counterparty_id: Id,
        /// Its relationship type, when the flow knows it.
        relationship_type: Option<RelationshipType>,
        /// Whether the flow created it.
        created: bool,
    },
    /// An invoice or order was created (`IDLE`).
    SourceCreated {
        /// `INVOICE` or `ORDER`.
        source_type: SourceType,
        /// Its id.
        source_id: Id,
        /// Its number.
        number: String,
        /// Its currency.
        currency: String,
    },
    /// A line was added to the invoice or order.
    ItemAdded {
        /// The document's id.
        source_id: Id,
        /// The line.
        item: LineItem,
        /// The document's currency.
        currency: String,
        /// The document's total after this line.
        #[cfg_attr(
            feature = "bridge",
            serde(with = "crate::money::exact"),
            schemars(with = "crate::money::DecimalSchema")
        )]
        running_total: Decimal,
    },
    /// The invoice or order is published (`ACTIVE`) and payable.
    SourcePublished {
        /// `INVOICE` or `ORDER`.
        source_type: SourceType,
        /// Its id.
        source_id: Id,
        /// Its number.
        number: String,
        /// Its total.
        #[cfg_attr(
            feature = "bridge",
            serde(with = "crate::money::exact"),
            schemars(with = "crate::money::DecimalSchema")
        )]
        total_amount: Decimal,
        /// Its currency.
        currency: String,
    },
    /// The amounts and fees of paying the document were predicted.
    FeesPredicted {
        /// The prediction.
        prediction: AmountAndFeePrediction,
    },
    /// A payment account is ready.
    PaymentAccountReady {
        /// `COLLECTION` or `PAYOUT`.
        operation_type: OperationType,
        /// Its id.
        account_id: Id,
        /// The instrument, when known.
        method: Option<PaymentMethod>,
        /// The routing network, when known.
        provider: Option<Provider>,
        /// Whether an existing account was reused (given, or remembered by this client).
        reused: bool,
    },
    /// A session was created.
    SessionCreated {
        /// What the session is for.
        operation_type: OperationType,
        /// Its id.
        session_id: Id,
        /// When it expires.
        #[cfg_attr(
            feature = "bridge",
            serde(with = "crate::time::lenient"),
            schemars(with = "crate::time::TimestampSchema")
        )]
        expires_at: Timestamp,
    },
    /// The execution is about to be submitted: its `reference_id` is fixed (and journaled) now.
    ExecutionStarting {
        /// What is executed.
        operation_type: OperationType,
        /// The idempotency key.
        reference_id: String,
    },
    /// The execute call answered (or its lost answer was recovered by status).
    ExecutionSubmitted {
        /// What was executed.
        operation_type: OperationType,
        /// The idempotency key.
        reference_id: String,
        /// The execution as answered.
        execution: Execution,
    },
    /// The execution's status changed (including the first status seen).
    StatusChanged {
        /// What is executed.
        operation_type: OperationType,
        /// The idempotency key.
        reference_id: String,
        /// The change.
        transition: StatusTransition,
    },
    /// The wait deadline passed with the payment still in flight.
    StillProcessing {
        /// What is executed.
        operation_type: OperationType,
        /// The idempotency key to resume with.
        reference_id: String,
        /// The last status seen.
        status: ExecutionStatus,
    },
    /// An invoice's or order's status changed while waiting for it to be paid.
    SourceStatusChanged {
        /// `INVOICE` or `ORDER`.
        source_type: SourceType,
        /// Its id.
        source_id: Id,
        /// The change.
        transition: SourceTransition,
    },
    /// The receipt of the paid document was fetched.
    ReceiptFetched {
        /// The receipt.
        receipt: Box<SourceReceipt>,
    },
    /// A step failed transiently and is retried (harmless to repeat, or checked first).
    StepRetried {
        /// The step (`party`, `invoice`, `item`, `session`, …).
        step: String,
        /// The retry number (1 for the first retry).
        attempt: u32,
        /// Why (the error's text, no secrets).
        error: String,
    },
    /// A bulk payout validated its rows and starts paying.
    BulkStarted {
        /// The batch id its reference ids derive from.
        batch_id: String,
        /// Rows in the batch.
        rows: u64,
        /// Invalid rows (skipped).
        invalid: u64,
        /// Warnings (e.g. the total exceeds a stated balance).
        warnings: Vec<String>,
    },
    /// One row of a bulk payout finished (whatever its status).
    BulkRowFinished {
        /// What became of it.
        result: BulkRowResult,
    },
    /// How far a bulk payout is (sent at most every 250 ms, and after the last row).
    BulkProgress {
        /// The batch id.
        batch_id: String,
        /// The counts.
        progress: BulkProgress,
    },
}

impl FlowEvent {
    /// A stable snake_case name for the event (`party_ready`, `status_changed`, …), for bindings
    /// and logs.
    pub fn name(&self) -> &'static str {
        match self {
            FlowEvent::Validated { .. } => "validated",
            FlowEvent::ProviderPredicted { .. } => "provider_predicted",
            FlowEvent::PartyReady { .. } => "party_ready",
            FlowEvent::CounterpartyReady { .. } => "counterparty_ready",
            FlowEvent::SourceCreated { .. } => "source_created",
            FlowEvent::ItemAdded { .. } => "item_added",
            FlowEvent::SourcePublished { .. } => "source_published",
            FlowEvent::FeesPredicted { .. } => "fees_predicted",
            FlowEvent::PaymentAccountReady { .. } => "payment_account_ready",
            FlowEvent::SessionCreated { .. } => "session_created",
            FlowEvent::ExecutionStarting { .. } => "execution_starting",
            FlowEvent::ExecutionSubmitted { .. } => "execution_submitted",
            FlowEvent::StatusChanged { .. } => "status_changed",
            FlowEvent::StillProcessing { .. } => "still_processing",
            FlowEvent::SourceStatusChanged { .. } => "source_status_changed",
            FlowEvent::ReceiptFetched { .. } => "receipt_fetched",
            FlowEvent::StepRetried { .. } => "step_retried",
            FlowEvent::BulkStarted { .. } => "bulk_started",
            FlowEvent::BulkRowFinished { .. } => "bulk_row_finished",
            FlowEvent::BulkProgress { .. } => "bulk_progress",
        }
    }
}

impl fmt::Display for FlowEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowEvent::Validated { flow } => write!(f, "{flow}: input valid"),
            FlowEvent::ProviderPredicted { info } => write!(
                f,
                "operator {} ({}): method {}, provider {}",
                info.carrier, info.country, info.payment_method, info.gateway_provider
            ),
            FlowEvent::PartyReady {
                party_id,
                fullname,
                created,
            } => write!(
                f,
                "party #{party_id}{} {}",
                fullname
                    .as_deref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default(),
                if *created { "created" } else { "reused" }
            ),
            FlowEvent::CounterpartyReady {
                counterparty_id,
                relationship_type,
                created,
            } => write!(
                f,
                "counterparty #{counterparty_id}{} {}",
                relationship_type
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                if *created { "created" } else { "reused" }
            ),
            FlowEvent::SourceCreated {
                source_type,
                source_id,
                number,
                currency,
            } => {
                write!(
                    f,
                    "{source_type} {number} (#{source_id}) created in {currency}"
                )
            }
            FlowEvent::ItemAdded {
                item,
                currency,
                running_total,
                ..
            } => write!(
                f,
                "item {} x{} @ {} {currency} (total {running_total} {currency})",
                item.name, item.qty, item.amount
            ),
            FlowEvent::SourcePublished {
                source_type,
                number,
                total_amount,
                currency,
                ..
            } => {
                write!(
                    f,
                    "{source_type} {number} published: {total_amount} {currency}"
                )
            }
            FlowEvent::FeesPredicted { prediction: p } => write!(
                f,
                "payer pays {} {}, payee receives {} {} (platform fee {} {})",
                p.payer_amount,
                p.payer_currency,
                p.payee_amount,
                p.payee_currency,
                p.platform_fee,
                p.platform_currency
            ),
            FlowEvent::PaymentAccountReady {
                operation_type,
                account_id,
                reused,
                ..
            } => write!(
                f,
                "{operation_type} payment account #{account_id} {}",
                if *reused { "reused" } else { "created" }
            ),
            FlowEvent::SessionCreated {
                operation_type,
                session_id,
                expires_at,
            } => write!(
                f,
                "{operation_type} session #{session_id} (expires {})",
                crate::time::format_timestamp(expires_at)
            ),
            FlowEvent::ExecutionStarting {
                operation_type,
                reference_id,
            } => {
                write!(
                    f,
                    "{operation_type} execution starting, reference_id {reference_id}"
                )
            }
            FlowEvent::ExecutionSubmitted {
                operation_type,
                reference_id,
                execution,
            } => {
                write!(
                    f,
                    "{operation_type} {reference_id} submitted: {}",
                    execution.status
                )
            }
            FlowEvent::StatusChanged {
                reference_id,
                transition,
                ..
            } => write!(f, "{reference_id}: {transition}"),
            FlowEvent::StillProcessing {
                reference_id,
                status,
                ..
            } => {
                write!(f, "{reference_id} still {status} at the deadline; resume with status/wait/reconcile")
            }
            FlowEvent::SourceStatusChanged {
                source_type,
                source_id,
                transition,
            } => {
                write!(f, "{source_type} #{source_id}: {transition}")
            }
            FlowEvent::ReceiptFetched { receipt } => {
                write!(
                    f,
                    "receipt of {} {}: {} {}",
                    receipt.source_type(),
                    receipt.number(),
                    receipt.total_amount(),
                    receipt.currency()
                )
            }
            FlowEvent::StepRetried {
                step,
                attempt,
                error,
            } => write!(f, "{step}: retry {attempt} after {error}"),
            FlowEvent::BulkStarted {
                batch_id,
                rows,
                invalid,
                warnings,
            } => {
                write!(f, "batch {batch_id}: {rows} rows")?;
                if *invalid > 0 {
                    write!(f, " ({invalid} invalid, skipped)")?;
                }
                for warning in warnings {
                    write!(f, "; warning: {warning}")?;
                }
                Ok(())
            }
            FlowEvent::BulkRowFinished { result } => {
                write!(
                    f,
                    "row {}: {} {} to {} {}",
                    result.row_id, result.amount, result.currency, result.phone, result.status
                )?;
                if let Some(message) = &result.error_message {
                    write!(f, " ({message})")?;
                }
                Ok(())
            }
            FlowEvent::BulkProgress { batch_id, progress } => write!(
                f,
                "batch {batch_id}: {}/{} done, {} not completed, {} in flight, {:.1} rows/s",
                progress.done,
                progress.total,
                progress.failed,
                progress.in_flight,
                progress.rows_per_second
            ),
        }
    }
}

/// A flow event with when it happened. On the bridge: the event's fields and `event` name, with
/// `elapsed_ms`, `at` and `message` beside them.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct FlowProgress {
    /// Time since the flow started.
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "elapsed_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub elapsed: Duration,
    /// Wall-clock time of the event (RFC 3339).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::time::lenient"),
        schemars(with = "crate::time::TimestampSchema")
    )]
    pub at: Timestamp,
    /// What happened.
    #[cfg_attr(feature = "bridge", serde(flatten))]
    pub event: FlowEvent,
    /// The event in words (its `Display`, no secrets), for logs and demos.
    pub message: String,
}

impl FlowProgress {
    /// `event` as it happens now, `elapsed` after its flow started.
    pub fn new(elapsed: Duration, at: Timestamp, event: FlowEvent) -> Self {
        FlowProgress {
            elapsed,
            at,
            message: event.to_string(),
            event,
        }
    }
}

/// `+elapsed ms  message`, the line a log or a demo prints.
impl fmt::Display for FlowProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{} ms  {}", self.elapsed.as_millis(), self.message)
    }
}

/// The running state of one flow: its start and its progress callback.
pub(crate) struct FlowContext {
    started: Instant,
    options: FlowOptions,
    /// The checkout session a collection pays: its wait also listens on Supabase Realtime.
    realtime: std::sync::OnceLock<RealtimeTarget>,
}

impl FlowContext {
    pub(crate) fn new(options: &FlowOptions) -> Self {
        FlowContext {
            started: Instant::now(),
            options: options.clone(),
            realtime: std::sync::OnceLock::new(),
        }
    }

    /// The collection's wait will also listen on this checkout session's realtime channel.
    pub(crate) fn listen_on(&self, session_id: Id, source_type: SourceType) {
        let _ = self.realtime.set(RealtimeTarget {
            session_id,
            source_type,
        });
    }

    pub(crate) fn emit(&self, event: FlowEvent) {
        if let Some(listener) = &self.options.on_progress {
            let progress = FlowProgress::new(self.started.elapsed(), chrono::Utc::now(), event);
            notify(listener.as_ref(), progress);
        }
    }

    pub(crate) fn options(&self) -> &FlowOptions {
        &self.options
    }

    /// The executions handle with the flow's policy.
    pub(crate) fn executions(&self, client: &Client) -> crate::api::executions::Executions {
        match &self.options.execute_policy {
            Some(policy) => client.executions().with_policy(policy.clone()),
            None => client.executions(),
        }
    }

    fn step_retries(&self) -> u32 {
        self.options.step_retries.unwrap_or(DEFAULT_STEP_RETRIES)
    }

    /// Runs a step that is harmless to repeat (it moves no money and a repeat at worst leaves an
    /// unused record), retrying it after transient failures with a short, growing pause.
    pub(crate) async fn repeatable<T, F, Fut>(&self, step: &'static str, mut run: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0u32;
        loop {
            // On the heap: a step's request is the bulk of a flow's state, and a flow awaits a
            // dozen of them — inline, every one would widen the flow's future and (unoptimized)
            // its poll's stack frame.
            match Box::pin(run()).await {
                Ok(value) => return Ok(value),
                Err(error) if error.is_transient() && attempt < self.step_retries() => {
                    attempt += 1;
                    self.emit(FlowEvent::StepRetried {
                        step: step.to_string(),
                        attempt,
                        error: error.to_string(),
                    });
                    crate::runtime::sleep(step_pause(attempt, error.retry_after())).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Whether another attempt of a checked step is allowed after `attempt` retries.
    pub(crate) fn may_retry(&self, attempt: u32, error: &Error) -> bool {
        error.is_transient() && attempt < self.step_retries()
    }
}

/// The pause before retry `attempt` of a flow step: 50 ms doubling, capped at 2 s, never shorter
/// than the server's `Retry-After`.
pub(crate) fn step_pause(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let base =
        Duration::from_millis(50).saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    let pause = base.min(Duration::from_secs(2));
    retry_after.map_or(pause, |after| after.max(pause))
}

/// A fresh idempotency key, or the caller's (already validated).
pub(crate) fn reference_id_or_new(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Validates an optional caller-supplied reference id.
pub(crate) fn validate_reference_id(given: Option<&str>) -> Result<()> {
    match given {
        Some(reference_id) => validate::uuid_v4("reference_id", reference_id),
        None => Ok(()),
    }
}

/// Validates an optional id field.
pub(crate) fn validate_id_opt(field: &str, value: Option<Id>) -> Result<()> {
    match value {
        Some(id) => validate::id(field, id),
        None => Ok(()),
    }
}

/// Validates the wait options of a flow.
pub(crate) fn validate_options(options: &FlowOptions) -> Result<()> {
    if let (Some(first), Some(max)) = (options.poll_interval, options.max_poll_interval) {
        if first > max {
            return Err(Error::invalid_field(
                "options.poll_interval",
                "must not exceed options.max_poll_interval",
            ));
        }
    }
    if options.poll_interval == Some(Duration::ZERO) {
        return Err(Error::invalid_field(
            "options.poll_interval",
            "must be greater than zero",
        ));
    }
    Ok(())
}

/// The result of waiting for an execution to settle.
pub(crate) struct Settled {
    pub(crate) execution: Execution,
    pub(crate) transitions: Vec<StatusTransition>,
    pub(crate) settled: bool,
}

/// The steps every money flow ends with, in order: report the session, take the caller's
/// reference id or mint one (fixed from here on), report the start, execute exactly once through
/// `execute` (which journals the id before sending), report the answer, and wait for it to settle.
/// Returns the reference id with the settled execution.
pub(crate) async fn execute_in_session<F, Fut>(
    client: &Client,
    ctx: &FlowContext,
    operation_type: OperationType,
    (session_id, expires_at): (Id, Timestamp),
    given_reference_id: Option<&str>,
    execute: F,
) -> Result<(String, Settled)>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Execution>>,
{
    ctx.emit(FlowEvent::SessionCreated {
        operation_type: operation_type.clone(),
        session_id,
        expires_at,
    });
    let reference_id = reference_id_or_new(given_reference_id);
    ctx.emit(FlowEvent::ExecutionStarting {
        operation_type: operation_type.clone(),
        reference_id: reference_id.clone(),
    });
    // Both stages on the heap: the execution (journal, exactly-once resolution) and the wait are
    // most of a flow's state, and this way every flow's future and (unoptimized) poll frame
    // carries a pointer to them instead (decision 0023).
    let submitted = Box::pin(execute(reference_id.clone())).await?;
    ctx.emit(FlowEvent::ExecutionSubmitted {
        operation_type: operation_type.clone(),
        reference_id: reference_id.clone(),
        execution: submitted.clone(),
    });
    let settled = Box::pin(settle(client, ctx, operation_type, submitted)).await?;
    Ok((reference_id, settled))
}

/// Records the execute call's answer as the first status, then waits for the execution to reach
/// `COMPLETED` or `FAILED` (or the deadline), reporting each change as it is observed.
pub(crate) async fn settle(
    client: &Client,
    ctx: &FlowContext,
    operation_type: OperationType,
    submitted: Execution,
) -> Result<Settled> {
    let reference_id = submitted.reference_id.clone();
    let started = Instant::now();
    let first = StatusTransition {
        from: None,
        to: submitted.status.clone(),
        at: chrono::Utc::now(),
        elapsed: Duration::ZERO,
        channel: StatusChannel::Poll,
    };
    ctx.emit(FlowEvent::StatusChanged {
        operation_type: operation_type.clone(),
        reference_id: reference_id.clone(),
        transition: first.clone(),
    });
    let transitions = Arc::new(Mutex::new(vec![first]));
    if submitted.status.is_terminal() {
        return Ok(Settled {
            execution: submitted,
            transitions: take(&transitions),
            settled: true,
        });
    }
    let last_seen = Arc::new(Mutex::new(submitted.status.clone()));
    let on_change = {
        let transitions = transitions.clone();
        let last_seen = last_seen.clone();
        let callback = ctx.options().on_progress.clone();
        let flow_started = ctx.started;
        let operation_type = operation_type.clone();
        let reference_id = reference_id.clone();
        move |observed: &Transition| {
            let execution = &observed.execution;
            let mut last = match last_seen.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if *last == execution.status {
                return;
            }
            let transition = StatusTransition {
                from: Some(last.clone()),
                to: execution.status.clone(),
                at: chrono::Utc::now(),
                elapsed: started.elapsed(),
                channel: observed.channel,
            };
            *last = execution.status.clone();
            drop(last);
            if let Ok(mut all) = transitions.lock() {
                all.push(transition.clone());
            }
            if let Some(listener) = &callback {
                let at = transition.at;
                let event = FlowEvent::StatusChanged {
                    operation_type: operation_type.clone(),
                    reference_id: reference_id.clone(),
                    transition,
                };
                notify(
                    listener.as_ref(),
                    FlowProgress::new(flow_started.elapsed(), at, event),
                );
            }
        }
    };
    let execution = wait_execution(
        client,
        ctx.options(),
        ctx.realtime.get().cloned(),
        operation_type.clone(),
        &submitted,
        on_change,
    )
    .await?;
    let settled = execution.status.is_terminal();
    if !settled {
        ctx.emit(FlowEvent::StillProcessing {
            operation_type,
            reference_id: reference_id.clone(),
            status: execution.status.clone(),
        });
    }
    Ok(Settled {
        execution,
        transitions: take(&transitions),
        settled,
    })
}

fn take(transitions: &Arc<Mutex<Vec<StatusTransition>>>) -> Vec<StatusTransition> {
    match transitions.lock() {
        Ok(mut all) => std::mem::take(&mut *all),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    }
}

/// Waits through the wait layer (`client.status().wait`), forwarding every observed execution to
/// `on_change`; returns the last execution seen (terminal, or in flight at the deadline).
async fn wait_execution(
    client: &Client,
    options: &FlowOptions,
    realtime: Option<RealtimeTarget>,
    operation_type: OperationType,
    submitted: &Execution,
    on_change: impl Fn(&Transition) + Send + Sync + 'static,
) -> Result<Execution> {
    let mut wait = WaitOptions::with_timeout(options.wait_timeout.unwrap_or(DEFAULT_WAIT_TIMEOUT));
    if let Some(interval) = options.poll_interval {
        wait.initial_interval = interval;
    }
    if let Some(interval) = options.max_poll_interval {
        wait.max_interval = interval;
    }
    wait.initial_interval = wait.initial_interval.min(wait.max_interval);
    wait.realtime = realtime;
    let wait = wait.on_transition(move |transition: &Transition| on_change(transition));
    let outcome = client
        .status()
        .wait(operation_type, &submitted.reference_id, wait)
        .await?;
    Ok(match outcome {
        WaitOutcome::Finished { execution, .. } => execution,
        WaitOutcome::StillProcessing { last, .. } => last.unwrap_or_else(|| submitted.clone()),
    })
}

/// Whether the flow may keep using a remembered payment account after this error from the step
/// that used it: the account may have been deleted or deactivated (or the server state reset).
pub(crate) fn account_rejected(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::NotFound | ErrorKind::Conflict => true,
        ErrorKind::Validation => error
            .details()
            .iter()
            .any(|d| d.field().contains("account")),
        _ => false,
    }
}

/// What a remembered payment account is keyed by: the operation, the wallet number, the
/// operator routing, and the party when the caller named one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct AccountKey {
    pub(crate) operation_type: OperationType,
    pub(crate) phone: String,
    pub(crate) method: PaymentMethod,
    pub(crate) provider: Provider,
    pub(crate) party_id: Option<Id>,
}

/// Payment accounts created by flows, remembered per [`Client`] and shared by its clones (kept in
/// the client's per-client state, [`Client::state`], which the client holds without knowing what
/// it is): the API has no lookup, and Dollr asks to reuse mobile-money and payout accounts rather
/// than register the same wallet again.
#[derive(Default)]
pub(crate) struct AccountMap(Mutex<HashMap<AccountKey, Id>>);

fn with_accounts<T>(client: &Client, f: impl FnOnce(&mut HashMap<AccountKey, Id>) -> T) -> T {
    let accounts = client.state::<AccountMap>();
    // A poisoned lock only means another thread panicked mid-update of a plain map: the map is
    // still a valid cache, so keep using it.
    let mut accounts = match accounts.0.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    f(&mut accounts)
}

pub(crate) fn remembered_account(client: &Client, key: &AccountKey) -> Option<Id> {
    with_accounts(client, |accounts| accounts.get(key).copied())
}

pub(crate) fn remember_account(client: &Client, key: AccountKey, account_id: Id) {
    with_accounts(client, |accounts| {
        accounts.insert(key, account_id);
    });
}

pub(crate) fn forget_account(client: &Client, key: &AccountKey) {
    with_accounts(client, |accounts| {
        accounts.remove(key);
    });
}

#[dollr_macros::flows]
impl Client {
    /// Forgets the payment accounts the flows remembered for this client (and its clones), so the
    /// next collect or payout registers the wallet again. Useful after resetting a sandbox.
    pub fn forget_payment_accounts(&self) {
        with_accounts(self, HashMap::clear);
    }
}

/// The `amount` shorthand of the flows that bill lines (`collect`, `hosted_checkout`) on the
/// bridge: one line of [`DEFAULT_LINE_NAME`] × 1 instead of `items`, never both.
#[cfg(feature = "bridge")]
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct SingleLine {
    /// The amount of a single line (named `Payment`, quantity 1) instead of `items`.
    #[serde(default, with = "crate::money::exact_opt")]
    #[schemars(with = "Option<crate::money::DecimalSchema>")]
    pub(crate) amount: Option<Decimal>,
}

/// A request that bills lines and can bill one line for a bare amount.
#[cfg(feature = "bridge")]
pub(crate) trait BillsLines {
    /// Replaces the lines with the one line of `amount`.
    fn bill_single_line(&mut self, amount: Decimal);
}

#[cfg(feature = "bridge")]
impl SingleLine {
    /// The field the flows name when the single line built from `amount` is refused.
    const LINE_AMOUNT: &'static str = "items.0.amount";

    /// Bills the amount, when given, as the request's one line; with `items` too it is refused.
    pub(crate) fn apply_to(&self, request: &mut dyn BillsLines, items_given: bool) -> Result<()> {
        match self.amount {
            Some(_) if items_given => Err(Error::invalid_field(
                "amount",
                "give either `amount` (one line) or `items`, not both",
            )),
            Some(amount) => {
                request.bill_single_line(amount);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// `error` naming `amount` instead of `items.0.amount` when the caller gave `amount` (the line
    /// is a detail the caller never wrote). API errors are left alone.
    pub(crate) fn name_the_amount(&self, error: Error) -> Error {
        let names_the_line =
            |detail: &crate::error::ValidationDetail| detail.field() == Self::LINE_AMOUNT;
        if self.amount.is_none()
            || error.status().is_some()
            || !error.details().iter().any(names_the_line)
        {
            return error;
        }
        let message = error
            .message()
            .replace(&format!("`{}`", Self::LINE_AMOUNT), "`amount`");
        error.with_message(message).edit_details(|detail| {
            if names_the_line(detail) {
                let location = detail.loc.first().cloned().unwrap_or_else(|| "body".into());
                detail.loc = vec![location, "amount".to_string()];
            }
        })
    }
}

#[cfg(feature = "bridge")]
impl BillsLines for CollectRequest {
    fn bill_single_line(&mut self, amount: Decimal) {
        self.items = vec![LineItem::single(amount)];
    }
}

#[cfg(feature = "bridge")]
impl BillsLines for HostedCheckoutRequest {
    fn bill_single_line(&mut self, amount: Decimal) {
        self.items = vec![checkout::single_line(self.currency.clone(), amount)];
    }
}

// The flat JSON form of a `SourceReceipt` (a Rust enum with data has no flat JSON of its own).
/// The receipt of a paid invoice or order: exactly one of `invoice` and `order` is set, as
/// `source_type` says.
#[cfg(feature = "bridge")]
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "SourceReceipt")]
struct SourceReceiptJson {
    /// `INVOICE` or `ORDER`.
    source_type: SourceType,
    /// The document's id.
    source_id: Id,
    /// The document's number (`INV-…` / `ORD-…`).
    number: String,
    /// The invoice's receipt (when `source_type` is `INVOICE`).
    invoice: Option<InvoiceReceipt>,
    /// The order's receipt (when `source_type` is `ORDER`).
    order: Option<OrderReceipt>,
}

#[cfg(feature = "bridge")]
impl serde::Serialize for SourceReceipt {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let (invoice, order) = match self {
            SourceReceipt::Invoice(invoice) => (Some(invoice.clone()), None),
            SourceReceipt::Order(order) => (None, Some(order.clone())),
        };
        SourceReceiptJson {
            source_type: self.source_type(),
            source_id: self.source_id(),
            number: self.number().to_string(),
            invoice,
            order,
        }
        .serialize(serializer)
    }
}

#[cfg(feature = "bridge")]
impl schemars::JsonSchema for SourceReceipt {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        SourceReceiptJson::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        SourceReceiptJson::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_pauses_grow_and_honour_retry_after() {
        assert_eq!(step_pause(1, None), Duration::from_millis(50));
        assert_eq!(step_pause(2, None), Duration::from_millis(100));
        assert_eq!(step_pause(10, None), Duration::from_secs(2));
        assert_eq!(
            step_pause(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_listener_that_panics_does_not_stop_the_flow() {
        let progress = FlowProgress::new(
            Duration::from_millis(5),
            chrono::Utc::now(),
            FlowEvent::Validated {
                flow: "collect".into(),
            },
        );
        assert_eq!(progress.message, "collect: input valid");
        let panicking = |_: &FlowProgress| panic!("a listener bug");
        // Returns normally: the panic is reported (a warning), not propagated into the flow.
        notify(&panicking, progress.clone());
        let seen = Mutex::new(Vec::new());
        let recording = |p: &FlowProgress| seen.lock().unwrap().push(p.message.clone());
        notify(&recording, progress);
        assert_eq!(*seen.lock().unwrap(), ["collect: input valid"]);
    }

    /// The bridge reads the core's own request and options types: a field left out takes the
    /// default the Rust constructor uses, durations are `*_ms`, the callback is not data.
    #[cfg(feature = "bridge")]
    #[test]
    fn the_core_types_read_their_bridge_form_with_the_constructors_defaults() {
        let request: CollectRequest = serde_json::from_value(serde_json::json!({
            "phone": "231771234567",
            "currency": "USD",
            "items": [{"name": "Tea", "qty": 2, "amount": "1.50"}],
        }))
        .unwrap();
        let built = CollectRequest::new("231771234567", Decimal::ZERO, "USD");
        assert_eq!(
            request.items,
            [LineItem::new("Tea", 2, Decimal::new(150, 2))]
        );
        assert_eq!(
            (
                &request.source_type,
                &request.relationship_type,
                &request.note
            ),
            (&built.source_type, &built.relationship_type, &built.note)
        );
        assert_eq!(
            (
                &request.fee_bearer,
                request.predict_fees,
                request.as_payment_link
            ),
            (&built.fee_bearer, built.predict_fees, built.as_payment_link)
        );
        let options: FlowOptions = serde_json::from_value(serde_json::json!({
            "wait_timeout_ms": 1500,
            "execute_policy": {"max_attempts": 5},
        }))
        .unwrap();
        assert_eq!(options.wait_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(options.poll_interval, None);
        let policy = options.execute_policy.unwrap();
        assert_eq!(policy.max_attempts, 5);
        assert_eq!(policy.max_backoff, ExecutePolicy::default().max_backoff);
        let wait: crate::wait::WaitOptions =
            serde_json::from_value(serde_json::json!({"timeout_ms": 250})).unwrap();
        assert_eq!(wait.timeout, Duration::from_millis(250));
        assert_eq!(wait.initial_interval, crate::wait::DEFAULT_INITIAL_INTERVAL);
        assert_eq!(wait.max_not_found, crate::wait::DEFAULT_MAX_NOT_FOUND);
    }

    /// A flow event crosses the bridge as the core's `FlowEvent` with `event`, `elapsed_ms`, `at`
    /// and `message` (its `Display`) beside its own fields.
    #[cfg(feature = "bridge")]
    #[test]
    fn flow_progress_serializes_as_one_flat_event() {
        let progress = FlowProgress::new(
            Duration::from_millis(42),
            chrono::Utc::now(),
            FlowEvent::ItemAdded {
                source_id: 7,
                item: LineItem::new("Tea", 3, Decimal::new(115, 2)),
                currency: "USD".into(),
                running_total: Decimal::new(345, 2),
            },
        );
        let json = crate::bridge::flow_event_json(&progress).unwrap();
        assert_eq!(json["event"], "item_added");
        assert_eq!(json["event"], progress.event.name());
        assert_eq!(json["elapsed_ms"], 42);
        assert_eq!(json["running_total"], "3.45");
        assert_eq!(json["item"]["amount"], "1.15");
        assert_eq!(json["message"], progress.event.to_string());
        assert!(json["at"].as_str().unwrap().ends_with('Z'), "{json}");
    }

    #[test]
    fn line_items_are_checked_against_the_document_currency() {
        let ok = [LineItem::new("Tea", 2, Decimal::new(150, 2))];
        assert!(validate_items(&ok, "USD").is_ok());
        let bad = [LineItem::new("Tea", 1, Decimal::new(1005, 1))];
        let err = validate_items(&bad, "RWF").err();
        assert_eq!(
            err.map(|e| e.details()[0].field()).as_deref(),
            Some("items.0.amount")
        );
        let bad = [LineItem::new(" ", 1, Decimal::ONE)];
        let err = validate_items(&bad, "USD").err();
        assert_eq!(
            err.map(|e| e.details()[0].field()).as_deref(),
            Some("items.0.name")
        );
        assert_eq!(
            LineItem::new("x", 3, Decimal::new(250, 2)).total(),
            Decimal::new(750, 2)
        );
    }
}
