//! The JSON shapes of the flow, wait and reconcile types that have no serde form of their own
//! (they hold `Duration`s, callbacks, `Error`s or Rust enums with data).
//!
//! Each view is converted from or to the core type with an **exhaustive** struct literal or
//! destructuring pattern (never `..`), so a field added to a core type is a compile error here
//! until the bridge exposes it: the views cannot silently fall behind. Defaults are never chosen
//! here: optional arguments fall back to the core's own constructors (`CollectRequest::new`,
//! `WaitOptions::default`, …). Durations are integer milliseconds named `*_ms`.

use std::time::Duration;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::enums::{
    ExecutionStatus, FeeBearer, OperationType, PaymentMethod, Provider, RelationshipType,
    SourceStatus, SourceType,
};
use crate::error::{Error, ErrorKind, ValidationDetail};
use crate::execute::ExecutePolicy;
use crate::flows::{self, FlowOptions};
use crate::ids::Id;
use crate::models::{
    AmountAndFeePrediction, CheckoutItem, CheckoutLink, Execution, InvoiceReceipt, MmoProviderInfo,
    OrderReceipt, Passcode, PasscodeDevice, PasscodeToken, PayoutSession, RefundSession,
    SourceStatusInfo, TransferSession,
};
use crate::reconcile::{ReconcileEntry, ReconcileOptions, ReconcileOutcome, ReconcileReport};
use crate::status::StatusAnomaly;
use crate::time::Timestamp;
use crate::wait::{Transition, WaitOptions, WaitOutcome};

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn ms(value: Option<u64>) -> Option<Duration> {
    value.map(Duration::from_millis)
}

// ---------------------------------------------------------------------------------------------
// Shared inputs

/// How an execution resolves ambiguous outcomes (every field defaults to the core's
/// `ExecutePolicy::default()`: 3 POSTs, 3 status lookups, backoff 500 ms doubling to 8 s,
/// `Retry-After` up to 30 s).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "ExecutePolicy")]
pub(crate) struct ExecutePolicyArgs {
    /// POSTs per call, the first included.
    #[serde(default)]
    max_attempts: Option<u32>,
    /// Status lookups per call.
    #[serde(default)]
    max_status_checks: Option<u32>,
    /// The first backoff between attempts, in milliseconds; doubles each time.
    #[serde(default)]
    initial_backoff_ms: Option<u64>,
    /// The backoff cap, in milliseconds.
    #[serde(default)]
    max_backoff_ms: Option<u64>,
    /// The longest `Retry-After` waited for inside one call, in milliseconds.
    #[serde(default)]
    max_retry_after_ms: Option<u64>,
}

impl ExecutePolicyArgs {
    pub(crate) fn into_core(self) -> ExecutePolicy {
        let default = ExecutePolicy::default();
        ExecutePolicy {
            max_attempts: self.max_attempts.unwrap_or(default.max_attempts),
            max_status_checks: self.max_status_checks.unwrap_or(default.max_status_checks),
            initial_backoff: ms(self.initial_backoff_ms).unwrap_or(default.initial_backoff),
            max_backoff: ms(self.max_backoff_ms).unwrap_or(default.max_backoff),
            max_retry_after: ms(self.max_retry_after_ms).unwrap_or(default.max_retry_after),
        }
    }
}

/// The flow options every flow takes (`FlowOptions` without the callback: progress goes to the
/// bridge's event sink).
fn flow_options(
    wait_timeout_ms: Option<u64>,
    poll_interval_ms: Option<u64>,
    max_poll_interval_ms: Option<u64>,
    step_retries: Option<u32>,
    execute_policy: Option<ExecutePolicyArgs>,
    on_progress: Option<flows::ProgressCallback>,
) -> FlowOptions {
    FlowOptions {
        wait_timeout: ms(wait_timeout_ms),
        poll_interval: ms(poll_interval_ms),
        max_poll_interval: ms(max_poll_interval_ms),
        step_retries,
        execute_policy: execute_policy.map(ExecutePolicyArgs::into_core),
        on_progress,
    }
}

/// Adds the shared flow option fields to a flow's argument struct and converts them.
macro_rules! flow_args {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident { $($body:tt)* }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($body)*
            /// The longest time to wait for the payment to reach `COMPLETED` or `FAILED`, in
            /// milliseconds (default 180000). Reaching it is not an error: the outcome says
            /// `settled: false`.
            #[serde(default)]
            wait_timeout_ms: Option<u64>,
            /// The first interval between status polls, in milliseconds (default: the wait's).
            #[serde(default)]
            poll_interval_ms: Option<u64>,
            /// The longest interval between status polls, in milliseconds (default: the wait's).
            #[serde(default)]
            max_poll_interval_ms: Option<u64>,
            /// Retries of a step that is harmless to repeat, after a transient failure (default 4).
            #[serde(default)]
            step_retries: Option<u32>,
            /// How the execution resolves ambiguous outcomes.
            #[serde(default)]
            execute_policy: Option<ExecutePolicyArgs>,
        }

        impl $name {
            fn options(&mut self, on_progress: Option<flows::ProgressCallback>) -> FlowOptions {
                flow_options(
                    self.wait_timeout_ms.take(),
                    self.poll_interval_ms.take(),
                    self.max_poll_interval_ms.take(),
                    self.step_retries.take(),
                    self.execute_policy.take(),
                    on_progress,
                )
            }
        }
    };
}

/// One line of an invoice or order created by a flow (its currency is the document's).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "LineItem")]
pub(crate) struct LineItemView {
    /// What is sold (not blank).
    name: String,
    /// Quantity, at least 1.
    qty: i64,
    /// Unit price in the document's currency.
    #[serde(with = "crate::money::exact")]
    #[schemars(with = "crate::money::DecimalSchema")]
    amount: Decimal,
}

impl From<LineItemView> for flows::LineItem {
    fn from(view: LineItemView) -> Self {
        let LineItemView { name, qty, amount } = view;
        flows::LineItem { name, qty, amount }
    }
}

impl From<flows::LineItem> for LineItemView {
    fn from(item: flows::LineItem) -> Self {
        let flows::LineItem { name, qty, amount } = item;
        LineItemView { name, qty, amount }
    }
}

/// `amount` (one line named by the core's constructor) or `items`, never both.
fn amount_xor_items<T>(amount: &Option<Decimal>, items: &Option<Vec<T>>) -> crate::Result<()> {
    if amount.is_some() && items.is_some() {
        return Err(Error::invalid_field(
            "amount",
            "give either `amount` (one line) or `items`, not both",
        ));
    }
    Ok(())
}

/// The field the core names when the single line built from a flow's `amount` argument is
/// refused; the bridge reports it as `amount`, the argument the caller passed.
const SINGLE_LINE_AMOUNT: &str = "items.0.amount";

/// `error` naming `amount` instead of `items.0.amount` when the caller gave `amount` (the core
/// turned it into one line item, a detail the caller never wrote). API errors are left alone.
pub(crate) fn single_line_amount(error: Error, amount_given: bool) -> Error {
    let names_the_line = |detail: &ValidationDetail| detail.field() == SINGLE_LINE_AMOUNT;
    if !amount_given || error.status().is_some() || !error.details().iter().any(names_the_line) {
        return error;
    }
    let message = error
        .message()
        .replace(&format!("`{SINGLE_LINE_AMOUNT}`"), "`amount`");
    error.with_message(message).edit_details(|detail| {
        if names_the_line(detail) {
            let location = detail.loc.first().cloned().unwrap_or_else(|| "body".into());
            detail.loc = vec![location, "amount".to_string()];
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Flow inputs

flow_args! {
    /// The arguments of the `collect` flow (`CollectRequest`). Give `amount` for one line (the
    /// core's default line) or `items`; with `source_id` give neither.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[schemars(rename = "CollectRequest")]
    pub(crate) struct CollectArgs {
        /// The payer's mobile-money wallet, E.164 digits without `+` (e.g. `231771234567`).
        phone: String,
        /// The document's currency (ISO 4217). May be omitted with `source_id`.
        #[serde(default)]
        currency: Option<String>,
        /// The amount of a single line (the core's default line name and quantity 1).
        #[serde(default, with = "crate::money::exact_opt")]
        #[schemars(with = "Option<crate::money::DecimalSchema>")]
        amount: Option<Decimal>,
        /// The lines to bill (currency = `currency`). Required unless `amount` or `source_id` is given.
        #[serde(default)]
        items: Option<Vec<LineItemView>>,
        /// `INVOICE` (default) or `ORDER`.
        #[serde(default)]
        source_type: Option<SourceType>,
        /// The payer's full name (required when the flow creates the party).
        #[serde(default)]
        payer_name: Option<String>,
        /// The payer's email.
        #[serde(default)]
        payer_email: Option<String>,
        /// The payer's country (ISO 3166-1 alpha-2); default: the operator prediction's country.
        #[serde(default)]
        country_code: Option<String>,
        /// The counterparty's relationship (default `CUSTOMER`).
        #[serde(default)]
        relationship_type: Option<RelationshipType>,
        /// The document's note (default `"Payment"`).
        #[serde(default)]
        note: Option<String>,
        /// Who pays the fees (default `PAYER`).
        #[serde(default)]
        fee_bearer: Option<FeeBearer>,
        /// Whether the document gets a hosted payment link (default `false`).
        #[serde(default)]
        as_payment_link: Option<bool>,
        /// Your own free-form reference stored on the document (not the execution's UUID).
        #[serde(default)]
        source_reference: Option<String>,
        /// The document's due date.
        #[serde(default, with = "crate::time::lenient_opt")]
        #[schemars(with = "Option<crate::time::TimestampSchema>")]
        due_date: Option<Timestamp>,
        /// The currency the payer pays in (default: the document's when the wallet supports it).
        #[serde(default)]
        pay_currency: Option<String>,
        /// Whether to predict amounts and fees before paying (default `true`).
        #[serde(default)]
        predict_fees: Option<bool>,
        /// Start from this existing party.
        #[serde(default, with = "crate::ids::flexible_opt")]
        #[schemars(with = "Option<i64>")]
        party_id: Option<Id>,
        /// Start from this existing counterparty.
        #[serde(default, with = "crate::ids::flexible_opt")]
        #[schemars(with = "Option<i64>")]
        counterparty_id: Option<Id>,
        /// Pay this existing invoice or order.
        #[serde(default, with = "crate::ids::flexible_opt")]
        #[schemars(with = "Option<i64>")]
        source_id: Option<Id>,
        /// Collect from this existing `COLLECTION` payment account.
        #[serde(default, with = "crate::ids::flexible_opt")]
        #[schemars(with = "Option<i64>")]
        payment_account_id: Option<Id>,
        /// The payment account's label (default `"<payer> <METHOD> wallet"`).
        #[serde(default)]
        account_name: Option<String>,
        /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
        #[serde(default)]
        reference_id: Option<String>,
    }
}

impl CollectArgs {
    /// Whether the caller gave `amount` (one line) rather than `items`.
    pub(crate) fn amount_given(&self) -> bool {
        self.amount.is_some()
    }

    pub(crate) fn into_core(
        mut self,
        on_progress: Option<flows::ProgressCallback>,
    ) -> crate::Result<flows::CollectRequest> {
        amount_xor_items(&self.amount, &self.items)?;
        let options = self.options(on_progress);
        let defaults = flows::CollectRequest::new(
            self.phone.clone(),
            self.amount.unwrap_or(Decimal::ZERO),
            self.currency.clone().unwrap_or_default(),
        );
        let items = match (self.amount, self.items) {
            (Some(_), _) => defaults.items,
            (None, Some(items)) => items.into_iter().map(flows::LineItem::from).collect(),
            (None, None) => Vec::new(),
        };
        Ok(flows::CollectRequest {
            phone: self.phone,
            currency: defaults.currency,
            items,
            source_type: self.source_type.unwrap_or(defaults.source_type),
            payer_name: self.payer_name,
            payer_email: self.payer_email,
            country_code: self.country_code,
            relationship_type: self.relationship_type.unwrap_or(defaults.relationship_type),
            note: self.note.unwrap_or(defaults.note),
            fee_bearer: self.fee_bearer.unwrap_or(defaults.fee_bearer),
            as_payment_link: self.as_payment_link.unwrap_or(defaults.as_payment_link),
            source_reference: self.source_reference,
            due_date: self.due_date,
            pay_currency: self.pay_currency,
            predict_fees: self.predict_fees.unwrap_or(defaults.predict_fees),
            party_id: self.party_id,
            counterparty_id: self.counterparty_id,
            source_id: self.source_id,
            payment_account_id: self.payment_account_id,
            account_name: self.account_name,
            reference_id: self.reference_id,
            options,
        })
    }
}

flow_args! {
    /// The arguments of the `payout` flow (`PayoutRequest`).
    #[derive(Debug, Deserialize, JsonSchema)]
    #[schemars(rename = "PayoutRequest")]
    pub(crate) struct PayoutArgs {
        /// The recipient's mobile-money wallet, E.164 digits without `+`.
        phone: String,
        /// The amount, in major units of `currency`.
        #[serde(with = "crate::money::exact")]
        #[schemars(with = "crate::money::DecimalSchema")]
        amount: Decimal,
        /// ISO 4217 currency code.
        currency: String,
        /// The merchant passcode and the phone or user id it is tied to.
        passcode: PasscodeToken,
        /// The recipient's name (required unless `party_id` or `payout_account_id` is given).
        #[serde(default)]
        recipient_name: Option<String>,
        /// The recipient's email.
        #[serde(default)]
        recipient_email: Option<String>,
        /// The recipient's country (ISO 3166-1 alpha-2); default: the operator prediction's country.
        #[serde(default)]
        country_code: Option<String>,
        /// The counterparty relationship created with a new party (default `BENEFICIARY`).
        #[serde(default)]
        relationship_type: Option<RelationshipType>,
        /// Use this existing party (no party or counterparty is created).
        #[serde(default, with = "crate::ids::flexible_opt")]
        #[schemars(with = "Option<i64>")]
        party_id: Option<Id>,
        /// Pay to this existing `PAYOUT` payment account (nothing else is created).
        #[serde(default, with = "crate::ids::flexible_opt")]
        #[schemars(with = "Option<i64>")]
        payout_account_id: Option<Id>,
        /// The payment account's label (default `"<recipient> <METHOD> payout"`).
        #[serde(default)]
        account_name: Option<String>,
        /// The device authorizing the payout (audit). Default: this server, as `SERVER`.
        #[serde(default)]
        device: Option<PasscodeDevice>,
        /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
        #[serde(default)]
        reference_id: Option<String>,
    }
}

impl PayoutArgs {
    pub(crate) fn into_core(
        mut self,
        on_progress: Option<flows::ProgressCallback>,
    ) -> flows::PayoutRequest {
        let options = self.options(on_progress);
        let defaults = flows::PayoutRequest::new(
            self.phone.clone(),
            self.amount,
            self.currency.clone(),
            self.passcode.code.clone(),
            self.passcode.phone.clone().unwrap_or_default(),
        );
        flows::PayoutRequest {
            phone: self.phone,
            amount: self.amount,
            currency: self.currency,
            recipient_name: self.recipient_name,
            recipient_email: self.recipient_email,
            country_code: self.country_code,
            relationship_type: self.relationship_type.unwrap_or(defaults.relationship_type),
            party_id: self.party_id,
            payout_account_id: self.payout_account_id,
            account_name: self.account_name,
            passcode: self.passcode,
            device: self.device,
            reference_id: self.reference_id,
            options,
        }
    }
}

flow_args! {
    /// The arguments of the `transfer` flow (`TransferRequest`).
    #[derive(Debug, Deserialize, JsonSchema)]
    #[schemars(rename = "TransferRequest")]
    pub(crate) struct TransferArgs {
        /// Your Dollr wallet to debit.
        #[serde(with = "crate::ids::flexible")]
        #[schemars(with = "i64")]
        from_wallet_id: Id,
        /// The counterparty to credit.
        #[serde(with = "crate::ids::flexible")]
        #[schemars(with = "i64")]
        to_counterparty_id: Id,
        /// The amount, in major units of `currency`.
        #[serde(with = "crate::money::exact")]
        #[schemars(with = "crate::money::DecimalSchema")]
        amount: Decimal,
        /// ISO 4217 currency code.
        currency: String,
        /// When the session expires (default: 15 minutes from now). Must be in the future.
        #[serde(default, with = "crate::time::lenient_opt")]
        #[schemars(with = "Option<crate::time::TimestampSchema>")]
        expires_at: Option<Timestamp>,
        /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
        #[serde(default)]
        reference_id: Option<String>,
    }
}

impl TransferArgs {
    pub(crate) fn into_core(
        mut self,
        on_progress: Option<flows::ProgressCallback>,
    ) -> flows::TransferRequest {
        let options = self.options(on_progress);
        flows::TransferRequest {
            from_wallet_id: self.from_wallet_id,
            to_counterparty_id: self.to_counterparty_id,
            amount: self.amount,
            currency: self.currency,
            expires_at: self.expires_at,
            reference_id: self.reference_id,
            options,
        }
    }
}

flow_args! {
    /// The arguments of the `refund` flow (`RefundRequest`).
    #[derive(Debug, Deserialize, JsonSchema)]
    #[schemars(rename = "RefundRequest")]
    pub(crate) struct RefundArgs {
        /// The payment intent of the original, completed collection.
        #[serde(with = "crate::ids::flexible")]
        #[schemars(with = "i64")]
        original_payment_intent_id: Id,
        /// The amount to refund (partial or full), in major units of the original payment.
        #[serde(with = "crate::money::exact")]
        #[schemars(with = "crate::money::DecimalSchema")]
        amount: Decimal,
        /// The original payment's currency, when known: the amount's decimals are checked against
        /// it locally. Not sent.
        #[serde(default)]
        currency: Option<String>,
        /// Why the money goes back.
        #[serde(default)]
        reason: Option<String>,
        /// When the session expires (default: 15 minutes from now). Must be in the future.
        #[serde(default, with = "crate::time::lenient_opt")]
        #[schemars(with = "Option<crate::time::TimestampSchema>")]
        expires_at: Option<Timestamp>,
        /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
        #[serde(default)]
        reference_id: Option<String>,
    }
}

impl RefundArgs {
    pub(crate) fn into_core(
        mut self,
        on_progress: Option<flows::ProgressCallback>,
    ) -> flows::RefundRequest {
        let options = self.options(on_progress);
        flows::RefundRequest {
            original_payment_intent_id: self.original_payment_intent_id,
            amount: self.amount,
            currency: self.currency,
            reason: self.reason,
            expires_at: self.expires_at,
            reference_id: self.reference_id,
            options,
        }
    }
}

/// The arguments of the `hosted_checkout` flow (`HostedCheckoutRequest`). Give `amount` for one
/// line (the core's default line) or `items`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "HostedCheckoutRequest")]
pub(crate) struct HostedCheckoutArgs {
    /// The payer's phone, E.164 digits without `+`.
    phone: String,
    /// ISO 4217 currency code.
    currency: String,
    /// The amount of a single line (the core's default line).
    #[serde(default, with = "crate::money::exact_opt")]
    #[schemars(with = "Option<crate::money::DecimalSchema>")]
    amount: Option<Decimal>,
    /// The lines (each amount is the line's total, in `currency`).
    #[serde(default)]
    items: Option<Vec<CheckoutItem>>,
    /// `INVOICE` (default) or `ORDER`.
    #[serde(default)]
    source_type: Option<SourceType>,
    /// The payer's name.
    #[serde(default)]
    payer_name: Option<String>,
    /// The payer's email.
    #[serde(default)]
    payer_email: Option<String>,
    /// How the payer relates to you.
    #[serde(default)]
    relationship_type: Option<RelationshipType>,
    /// A note on the document.
    #[serde(default)]
    note: Option<String>,
    /// Your own free-form reference stored on the document.
    #[serde(default)]
    source_reference: Option<String>,
    /// When payment is due.
    #[serde(default, with = "crate::time::lenient_opt")]
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    due_date: Option<Timestamp>,
    /// Where the page sends the payer after paying (absolute http(s) URL).
    #[serde(default)]
    success_url: Option<String>,
    /// Where the page sends the payer on cancel (absolute http(s) URL).
    #[serde(default)]
    cancel_url: Option<String>,
    /// When the link expires.
    #[serde(default, with = "crate::time::lenient_opt")]
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    expires_at: Option<Timestamp>,
    /// Bill this existing counterparty instead of matching one from the payer details.
    #[serde(default, with = "crate::ids::flexible_opt")]
    #[schemars(with = "Option<i64>")]
    counterparty_id: Option<Id>,
}

impl HostedCheckoutArgs {
    /// Whether the caller gave `amount` (one line) rather than `items`.
    pub(crate) fn amount_given(&self) -> bool {
        self.amount.is_some()
    }

    pub(crate) fn into_core(self) -> crate::Result<flows::HostedCheckoutRequest> {
        amount_xor_items(&self.amount, &self.items)?;
        let defaults = flows::HostedCheckoutRequest::new(
            self.phone.clone(),
            self.amount.unwrap_or(Decimal::ZERO),
            self.currency.clone(),
        );
        let items = match (self.amount, self.items) {
            (Some(_), _) => defaults.items,
            (None, Some(items)) => items,
            (None, None) => Vec::new(),
        };
        Ok(flows::HostedCheckoutRequest {
            source_type: self.source_type.unwrap_or(defaults.source_type),
            phone: self.phone,
            currency: self.currency,
            items,
            payer_name: self.payer_name,
            payer_email: self.payer_email,
            relationship_type: self.relationship_type,
            note: self.note,
            source_reference: self.source_reference,
            due_date: self.due_date,
            success_url: self.success_url,
            cancel_url: self.cancel_url,
            expires_at: self.expires_at,
            counterparty_id: self.counterparty_id,
        })
    }
}

/// How `wait_source_paid` polls (`SourceWaitOptions`; defaults are the core's: 10 minutes,
/// polling every 1 s backing off to 5 s).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "SourceWaitOptions")]
pub(crate) struct SourceWaitArgs {
    /// The deadline, in milliseconds.
    #[serde(default)]
    timeout_ms: Option<u64>,
    /// The first interval between polls, in milliseconds.
    #[serde(default)]
    poll_interval_ms: Option<u64>,
    /// The longest interval between polls, in milliseconds.
    #[serde(default)]
    max_poll_interval_ms: Option<u64>,
}

impl SourceWaitArgs {
    pub(crate) fn into_core(
        self,
        on_progress: Option<flows::ProgressCallback>,
    ) -> flows::SourceWaitOptions {
        flows::SourceWaitOptions {
            timeout: ms(self.timeout_ms),
            poll_interval: ms(self.poll_interval_ms),
            max_poll_interval: ms(self.max_poll_interval_ms),
            on_progress,
        }
    }
}

/// How `status.wait` polls (`WaitOptions`; defaults are the core's: 5 minutes, polling every 2 s
/// backing off by 1.5× to 15 s, three 404s tolerated).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "WaitOptions")]
pub(crate) struct WaitArgs {
    /// How long to wait in total before returning `state: "still_processing"`, in milliseconds.
    #[serde(default)]
    timeout_ms: Option<u64>,
    /// The first interval between polls, and the interval after each change, in milliseconds.
    #[serde(default)]
    initial_interval_ms: Option<u64>,
    /// The longest interval between polls, in milliseconds.
    #[serde(default)]
    max_interval_ms: Option<u64>,
    /// The interval grows by this factor on each poll without a change.
    #[serde(default)]
    backoff_factor: Option<f64>,
    /// How many 404s in a row are tolerated before `NotFound` is returned.
    #[serde(default)]
    max_not_found: Option<u32>,
}

impl WaitArgs {
    pub(crate) fn into_core(
        self,
        on_transition: Option<crate::wait::TransitionCallback>,
    ) -> WaitOptions {
        let default = WaitOptions::default();
        WaitOptions {
            timeout: ms(self.timeout_ms).unwrap_or(default.timeout),
            initial_interval: ms(self.initial_interval_ms).unwrap_or(default.initial_interval),
            max_interval: ms(self.max_interval_ms).unwrap_or(default.max_interval),
            backoff_factor: self.backoff_factor.unwrap_or(default.backoff_factor),
            max_not_found: self.max_not_found.unwrap_or(default.max_not_found),
            on_transition,
        }
    }
}

/// What `reconcile` may do beyond looking (`ReconcileOptions`; by default it only looks).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "ReconcileOptions")]
pub(crate) struct ReconcileArgs {
    /// POST intents the API has never seen again, with the same reference id.
    #[serde(default)]
    resubmit: Option<bool>,
    /// The passcode to resubmit payouts with (the journal never stores it).
    #[serde(default)]
    payout_passcode: Option<Passcode>,
    /// The policy for resubmissions.
    #[serde(default)]
    execute_policy: Option<ExecutePolicyArgs>,
}

impl ReconcileArgs {
    pub(crate) fn into_core(self) -> ReconcileOptions {
        let default = ReconcileOptions::default();
        ReconcileOptions {
            resubmit: self.resubmit.unwrap_or(default.resubmit),
            payout_passcode: self.payout_passcode,
            policy: self
                .execute_policy
                .map(ExecutePolicyArgs::into_core)
                .unwrap_or(default.policy),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs

/// One observed change of an execution's status.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "StatusTransition")]
pub(crate) struct StatusTransitionView {
    /// The status before (`null` for the first status seen, the execute call's answer).
    from: Option<ExecutionStatus>,
    /// The status observed.
    to: ExecutionStatus,
    /// When the SDK observed it.
    #[serde(with = "crate::time::lenient")]
    #[schemars(with = "crate::time::TimestampSchema")]
    at: Timestamp,
    /// Milliseconds since the execution was submitted.
    elapsed_ms: u64,
}

impl From<flows::StatusTransition> for StatusTransitionView {
    fn from(transition: flows::StatusTransition) -> Self {
        let flows::StatusTransition {
            from,
            to,
            at,
            elapsed,
        } = transition;
        StatusTransitionView {
            from,
            to,
            at,
            elapsed_ms: millis(elapsed),
        }
    }
}

fn transitions(list: Vec<flows::StatusTransition>) -> Vec<StatusTransitionView> {
    list.into_iter().map(StatusTransitionView::from).collect()
}

/// One observed change of an invoice's or order's status.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "SourceTransition")]
pub(crate) struct SourceTransitionView {
    /// The status before (`null` for the first status seen).
    from: Option<SourceStatus>,
    /// The status observed.
    to: SourceStatus,
    /// When the SDK observed it.
    #[serde(with = "crate::time::lenient")]
    #[schemars(with = "crate::time::TimestampSchema")]
    at: Timestamp,
    /// Milliseconds since the wait started.
    elapsed_ms: u64,
}

impl From<flows::SourceTransition> for SourceTransitionView {
    fn from(transition: flows::SourceTransition) -> Self {
        let flows::SourceTransition {
            from,
            to,
            at,
            elapsed,
        } = transition;
        SourceTransitionView {
            from,
            to,
            at,
            elapsed_ms: millis(elapsed),
        }
    }
}

/// The receipt of a paid invoice or order: exactly one of `invoice` and `order` is set, as
/// `source_type` says.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "SourceReceipt")]
pub(crate) struct SourceReceiptView {
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

impl From<flows::SourceReceipt> for SourceReceiptView {
    fn from(receipt: flows::SourceReceipt) -> Self {
        let (source_type, source_id, number) = (
            receipt.source_type(),
            receipt.source_id(),
            receipt.number().to_string(),
        );
        let (invoice, order) = match receipt {
            flows::SourceReceipt::Invoice(invoice) => (Some(invoice), None),
            flows::SourceReceipt::Order(order) => (None, Some(order)),
        };
        SourceReceiptView {
            source_type,
            source_id,
            number,
            invoice,
            order,
        }
    }
}

/// Everything a collection did and saw (`CollectOutcome`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "CollectOutcome")]
pub(crate) struct CollectOutcomeView {
    /// The party paid by (created or given).
    party_id: Id,
    /// Whether the flow created the party.
    party_created: bool,
    /// The counterparty billed.
    counterparty_id: Id,
    /// Whether the flow created the counterparty.
    counterparty_created: bool,
    /// `INVOICE` or `ORDER`.
    source_type: SourceType,
    /// The document's id.
    source_id: Id,
    /// Whether the flow created the document.
    source_created: bool,
    /// The document's number (`INV-…` / `ORD-…`).
    source_number: String,
    /// The document's total.
    #[serde(with = "crate::money::exact")]
    #[schemars(with = "crate::money::DecimalSchema")]
    total_amount: Decimal,
    /// The document's currency.
    currency: String,
    /// The currency the payer paid in (the execution's `currency`).
    pay_currency: String,
    /// The operator behind the phone.
    provider: MmoProviderInfo,
    /// The amounts and fees predicted before paying (when asked for).
    fee_prediction: Option<AmountAndFeePrediction>,
    /// The `COLLECTION` payment account used.
    payment_account_id: Id,
    /// Whether an existing account was used (given, or remembered by this client).
    payment_account_reused: bool,
    /// The checkout session.
    session_id: Id,
    /// The execution's idempotency key.
    reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    execution: Execution,
    /// Every status observed, first to last, with when.
    transitions: Vec<StatusTransitionView>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    settled: bool,
    /// The document's status after the payment (`PAID` once completed), when checked.
    source_status: Option<SourceStatus>,
    /// The receipt, when the document is `PAID`.
    receipt: Option<SourceReceiptView>,
}

impl From<flows::CollectOutcome> for CollectOutcomeView {
    fn from(outcome: flows::CollectOutcome) -> Self {
        let flows::CollectOutcome {
            party_id,
            party_created,
            counterparty_id,
            counterparty_created,
            source_type,
            source_id,
            source_created,
            source_number,
            total_amount,
            currency,
            pay_currency,
            provider,
            fee_prediction,
            payment_account_id,
            payment_account_reused,
            session_id,
            reference_id,
            execution,
            transitions: observed,
            settled,
            source_status,
            receipt,
        } = outcome;
        CollectOutcomeView {
            party_id,
            party_created,
            counterparty_id,
            counterparty_created,
            source_type,
            source_id,
            source_created,
            source_number,
            total_amount,
            currency,
            pay_currency,
            provider,
            fee_prediction,
            payment_account_id,
            payment_account_reused,
            session_id,
            reference_id,
            execution,
            transitions: transitions(observed),
            settled,
            source_status,
            receipt: receipt.map(SourceReceiptView::from),
        }
    }
}

/// Everything a payout did and saw (`PayoutOutcome`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "PayoutOutcome")]
pub(crate) struct PayoutOutcomeView {
    /// The recipient's party, when the flow created or was given one.
    party_id: Option<Id>,
    /// Whether the flow created the party.
    party_created: bool,
    /// The `BENEFICIARY` counterparty created with a new party.
    counterparty_id: Option<Id>,
    /// The operator behind the phone (`null` when `payout_account_id` was given).
    provider: Option<MmoProviderInfo>,
    /// The `PAYOUT` payment account used.
    payout_account_id: Id,
    /// Whether an existing account was used (given, or remembered by this client).
    payout_account_reused: bool,
    /// The payout session (its `wallet_id` is the merchant wallet debited).
    session: PayoutSession,
    /// The execution's idempotency key.
    reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    execution: Execution,
    /// Every status observed, first to last, with when.
    transitions: Vec<StatusTransitionView>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    settled: bool,
}

impl From<flows::PayoutOutcome> for PayoutOutcomeView {
    fn from(outcome: flows::PayoutOutcome) -> Self {
        let flows::PayoutOutcome {
            party_id,
            party_created,
            counterparty_id,
            provider,
            payout_account_id,
            payout_account_reused,
            session,
            reference_id,
            execution,
            transitions: observed,
            settled,
        } = outcome;
        PayoutOutcomeView {
            party_id,
            party_created,
            counterparty_id,
            provider,
            payout_account_id,
            payout_account_reused,
            session,
            reference_id,
            execution,
            transitions: transitions(observed),
            settled,
        }
    }
}

/// Everything a transfer did and saw (`TransferOutcome`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "TransferOutcome")]
pub(crate) struct TransferOutcomeView {
    /// The transfer session.
    session: TransferSession,
    /// The execution's idempotency key.
    reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    execution: Execution,
    /// Every status observed, first to last, with when.
    transitions: Vec<StatusTransitionView>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    settled: bool,
}

impl From<flows::TransferOutcome> for TransferOutcomeView {
    fn from(outcome: flows::TransferOutcome) -> Self {
        let flows::TransferOutcome {
            session,
            reference_id,
            execution,
            transitions: observed,
            settled,
        } = outcome;
        TransferOutcomeView {
            session,
            reference_id,
            execution,
            transitions: transitions(observed),
            settled,
        }
    }
}

/// Everything a refund did and saw (`RefundOutcome`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "RefundOutcome")]
pub(crate) struct RefundOutcomeView {
    /// The refund session.
    session: RefundSession,
    /// The execution's idempotency key.
    reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    execution: Execution,
    /// Every status observed, first to last, with when.
    transitions: Vec<StatusTransitionView>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    settled: bool,
}

impl From<flows::RefundOutcome> for RefundOutcomeView {
    fn from(outcome: flows::RefundOutcome) -> Self {
        let flows::RefundOutcome {
            session,
            reference_id,
            execution,
            transitions: observed,
            settled,
        } = outcome;
        RefundOutcomeView {
            session,
            reference_id,
            execution,
            transitions: transitions(observed),
            settled,
        }
    }
}

/// A created hosted checkout: send the payer to `url` (`HostedCheckout`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "HostedCheckout")]
pub(crate) struct HostedCheckoutView {
    /// The hosted payment page.
    url: String,
    /// `INVOICE` or `ORDER`.
    source_type: SourceType,
    /// The document's id (for `verify_paid`).
    source_id: Id,
    /// The document's number.
    source_number: String,
    /// The document's total.
    #[serde(with = "crate::money::exact")]
    #[schemars(with = "crate::money::DecimalSchema")]
    total_amount: Decimal,
    /// The document's currency.
    currency: String,
    /// When the link expires.
    #[serde(with = "crate::time::lenient_opt")]
    #[schemars(with = "Option<crate::time::TimestampSchema>")]
    expires_at: Option<Timestamp>,
    /// The API's full answer.
    checkout: CheckoutLink,
}

impl From<flows::HostedCheckout> for HostedCheckoutView {
    fn from(checkout: flows::HostedCheckout) -> Self {
        let flows::HostedCheckout {
            url,
            source_type,
            source_id,
            source_number,
            total_amount,
            currency,
            expires_at,
            checkout,
        } = checkout;
        HostedCheckoutView {
            url,
            source_type,
            source_id,
            source_number,
            total_amount,
            currency,
            expires_at,
            checkout,
        }
    }
}

/// Whether a document is paid, from the API (never from a redirect) (`PaymentVerification`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "PaymentVerification")]
pub(crate) struct PaymentVerificationView {
    /// `true` only when the API says the document is `PAID`: fulfil then, and only then.
    paid: bool,
    /// The document's status as the API reported it.
    status: SourceStatus,
    /// The API's full answer.
    info: SourceStatusInfo,
}

impl From<flows::PaymentVerification> for PaymentVerificationView {
    fn from(verification: flows::PaymentVerification) -> Self {
        let flows::PaymentVerification { paid, status, info } = verification;
        PaymentVerificationView { paid, status, info }
    }
}

/// How a wait for payment ended (`SourceWaitOutcome`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "SourceWaitOutcome")]
pub(crate) struct SourceWaitOutcomeView {
    /// `true` when the document is `PAID`.
    paid: bool,
    /// `true` when the deadline passed first (the document was neither `PAID` nor `CANCELED`).
    timed_out: bool,
    /// The last answer.
    info: SourceStatusInfo,
    /// Every status observed, first to last.
    transitions: Vec<SourceTransitionView>,
}

impl From<flows::SourceWaitOutcome> for SourceWaitOutcomeView {
    fn from(outcome: flows::SourceWaitOutcome) -> Self {
        let flows::SourceWaitOutcome {
            paid,
            timed_out,
            info,
            transitions,
        } = outcome;
        SourceWaitOutcomeView {
            paid,
            timed_out,
            info,
            transitions: transitions
                .into_iter()
                .map(SourceTransitionView::from)
                .collect(),
        }
    }
}

/// Which kind of anomaly.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AnomalyKind {
    /// A change the documented state machine forbids, e.g. `COMPLETED -> PROCESSING`.
    IllegalTransition,
    /// A status value this SDK version does not know (treated as not final).
    UnknownStatus,
}

/// Something observed that the documented state machine does not allow or does not know
/// (`StatusAnomaly`): reported, never fatal.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "StatusAnomaly")]
pub(crate) struct StatusAnomalyView {
    /// `illegal_transition` or `unknown_status`.
    kind: AnomalyKind,
    /// Which machine (`execution`, `source`, `session`, `wallet`).
    machine: String,
    /// The status before (`illegal_transition` only).
    from: Option<String>,
    /// The status observed after (`illegal_transition` only).
    to: Option<String>,
    /// The unknown value as the API sent it (`unknown_status` only).
    status: Option<String>,
    /// The anomaly in words.
    message: String,
}

impl From<StatusAnomaly> for StatusAnomalyView {
    fn from(anomaly: StatusAnomaly) -> Self {
        let message = anomaly.to_string();
        match anomaly {
            StatusAnomaly::IllegalTransition { machine, from, to } => StatusAnomalyView {
                kind: AnomalyKind::IllegalTransition,
                machine: machine.to_string(),
                from: Some(from),
                to: Some(to),
                status: None,
                message,
            },
            StatusAnomaly::UnknownStatus { machine, status } => StatusAnomalyView {
                kind: AnomalyKind::UnknownStatus,
                machine: machine.to_string(),
                from: None,
                to: None,
                status: Some(status),
                message,
            },
        }
    }
}

/// How a wait ended.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WaitState {
    /// The execution is `COMPLETED` or `FAILED`.
    Finished,
    /// The deadline passed first. Not a failure: wait again later with `reference_id`.
    StillProcessing,
}

/// How `status.wait` ended (`WaitOutcome`), discriminated by `state`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "WaitOutcome")]
pub(crate) struct WaitOutcomeView {
    /// `finished` (the execution is `COMPLETED` or `FAILED`) or `still_processing` (the
    /// deadline passed first: not a failure, wait again later).
    state: WaitState,
    /// The execution's reference id.
    reference_id: String,
    /// The execution's status (`execution.status`), at top level as in the API's status payloads
    /// so code written from the Dollr docs (`result.status`) works: `COMPLETED`/`FAILED` when
    /// `finished`, the last one seen when `still_processing` (`null` if none was seen).
    status: Option<ExecutionStatus>,
    /// The final execution (`finished`), or the last one seen (`still_processing`; `null` if
    /// only errors or 404s were met).
    execution: Option<Execution>,
    /// Illegal or unknown statuses observed on the way.
    anomalies: Vec<StatusAnomalyView>,
}

impl From<WaitOutcome> for WaitOutcomeView {
    fn from(outcome: WaitOutcome) -> Self {
        let anomalies = |list: Vec<StatusAnomaly>| -> Vec<StatusAnomalyView> {
            list.into_iter().map(StatusAnomalyView::from).collect()
        };
        match outcome {
            WaitOutcome::Finished {
                execution,
                anomalies: seen,
            } => WaitOutcomeView {
                state: WaitState::Finished,
                reference_id: execution.reference_id.clone(),
                status: Some(execution.status.clone()),
                execution: Some(execution),
                anomalies: anomalies(seen),
            },
            WaitOutcome::StillProcessing {
                reference_id,
                last,
                anomalies: seen,
            } => WaitOutcomeView {
                state: WaitState::StillProcessing,
                reference_id,
                status: last.as_ref().map(|execution| execution.status.clone()),
                execution: last,
                anomalies: anomalies(seen),
            },
        }
    }
}

/// An [`Error`] as JSON (`ErrorInfo`): the same fields the bindings' exceptions carry.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "ErrorInfo")]
pub(crate) struct ErrorView {
    /// The stable category (`Validation`, `NotFound`, …; see `errors`).
    kind: ErrorKind,
    /// The human-readable message (no secrets).
    message: String,
    /// The HTTP status, when the API answered.
    status: Option<u16>,
    /// Field-level problems (422 or client-side validation).
    details: Vec<ValidationDetail>,
    /// How long the API asked to wait (429), in milliseconds.
    retry_after_ms: Option<u64>,
    /// The execution `reference_id` the error concerns.
    reference_id: Option<String>,
    /// The API's request id.
    request_id: Option<String>,
}

impl From<&Error> for ErrorView {
    fn from(error: &Error) -> Self {
        ErrorView {
            kind: error.kind(),
            message: error.message().to_string(),
            status: error.status(),
            details: error.details().to_vec(),
            retry_after_ms: error.retry_after().map(millis),
            reference_id: error.reference_id().map(str::to_string),
            request_id: error.request_id().map(str::to_string),
        }
    }
}

/// Where one intent stands after reconciliation.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "ReconcileOutcome")]
pub(crate) enum ReconcileOutcomeView {
    /// The API reports `COMPLETED`: money moved.
    Completed,
    /// The API reports `FAILED`: nothing moved.
    Failed,
    /// The API has it and it is not final yet: follow it with `status.wait`.
    StillProcessing,
    /// The API has no execution with this reference id yet: nothing has moved so far, but a
    /// delayed POST may still land, so it stays open and the next reconcile asks again. Finish it
    /// only under the same reference id (`resubmit`), never a new one.
    NotSubmitted,
    /// It was not found and was POSTed again with the same reference id.
    Resubmitted,
    /// Its status could not be learned now (see `error`); it stays unresolved.
    Unreachable,
}

impl From<ReconcileOutcome> for ReconcileOutcomeView {
    fn from(outcome: ReconcileOutcome) -> Self {
        match outcome {
            ReconcileOutcome::Completed => ReconcileOutcomeView::Completed,
            ReconcileOutcome::Failed => ReconcileOutcomeView::Failed,
            ReconcileOutcome::StillProcessing => ReconcileOutcomeView::StillProcessing,
            ReconcileOutcome::NotSubmitted => ReconcileOutcomeView::NotSubmitted,
            ReconcileOutcome::Resubmitted => ReconcileOutcomeView::Resubmitted,
            ReconcileOutcome::Unreachable => ReconcileOutcomeView::Unreachable,
        }
    }
}

/// One intent in a reconcile report (`ReconcileEntry`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "ReconcileEntry")]
pub(crate) struct ReconcileEntryView {
    /// The intent's reference id.
    reference_id: String,
    /// Which execution.
    operation: OperationType,
    /// Where it stands.
    outcome: ReconcileOutcomeView,
    /// The execution as the API returned it, when found.
    execution: Option<Execution>,
    /// An illegal change from the journaled status, or an unknown status.
    anomaly: Option<StatusAnomalyView>,
    /// The error met, if any (always carries the reference id).
    error: Option<ErrorView>,
    /// Why a `not_submitted` intent was not resubmitted, when resubmission was asked for.
    note: Option<String>,
}

/// The result of `reconcile` (`ReconcileReport`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "ReconcileReport")]
pub(crate) struct ReconcileReportView {
    /// One entry per unresolved intent, oldest first.
    entries: Vec<ReconcileEntryView>,
    /// Entries `completed`.
    completed: u64,
    /// Entries `failed`.
    failed: u64,
    /// Entries `still_processing`.
    still_processing: u64,
    /// Entries `not_submitted`.
    not_submitted: u64,
    /// Entries `resubmitted`.
    resubmitted: u64,
    /// Entries `unreachable`.
    unreachable: u64,
}

impl From<ReconcileReport> for ReconcileReportView {
    fn from(report: ReconcileReport) -> Self {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let ReconcileReport {
            entries,
            completed,
            failed,
            still_processing,
            not_submitted,
            resubmitted,
            unreachable,
        } = report;
        ReconcileReportView {
            entries: entries
                .into_iter()
                .map(|entry| {
                    let ReconcileEntry {
                        reference_id,
                        operation,
                        outcome,
                        execution,
                        anomaly,
                        error,
                        note,
                    } = entry;
                    ReconcileEntryView {
                        reference_id,
                        operation,
                        outcome: outcome.into(),
                        execution,
                        anomaly: anomaly.map(StatusAnomalyView::from),
                        error: error.as_ref().map(ErrorView::from),
                        note,
                    }
                })
                .collect(),
            completed: count(completed),
            failed: count(failed),
            still_processing: count(still_processing),
            not_submitted: count(not_submitted),
            resubmitted: count(resubmitted),
            unreachable: count(unreachable),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events

/// An event sent to the bridge's event sink, discriminated by `event`. Flow events (every name
/// but `transition`) also carry `elapsed_ms` (since the flow started) and `at` (RFC 3339), and a
/// human `message`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
#[schemars(rename = "Event")]
pub(crate) enum EventView {
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
        item: LineItemView,
        /// The document's currency.
        currency: String,
        /// The document's total after this line.
        #[serde(with = "crate::money::exact")]
        #[schemars(with = "crate::money::DecimalSchema")]
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
        #[serde(with = "crate::money::exact")]
        #[schemars(with = "crate::money::DecimalSchema")]
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
        /// Whether an existing account was reused.
        reused: bool,
    },
    /// A session was created.
    SessionCreated {
        /// What the session is for.
        operation_type: OperationType,
        /// Its id.
        session_id: Id,
        /// When it expires.
        #[serde(with = "crate::time::lenient")]
        #[schemars(with = "crate::time::TimestampSchema")]
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
        transition: StatusTransitionView,
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
        transition: SourceTransitionView,
    },
    /// The receipt of the paid document was fetched.
    ReceiptFetched {
        /// The receipt.
        receipt: Box<SourceReceiptView>,
    },
    /// A step failed transiently and is retried.
    StepRetried {
        /// The step (`party`, `invoice`, `item`, `session`, …).
        step: String,
        /// The retry number (1 for the first retry).
        attempt: u32,
        /// Why (the error's text, no secrets).
        error: String,
    },
    /// `status.wait` observed a change of the execution's status (including the first
    /// observation).
    Transition {
        /// The execution's reference id.
        reference_id: String,
        /// Which execution.
        operation: OperationType,
        /// The status before (`null` on the first observation when nothing was journaled).
        from: Option<ExecutionStatus>,
        /// The status observed.
        to: ExecutionStatus,
        /// The execution as the API returned it.
        execution: Execution,
        /// Set when the documented state machine does not allow this change or does not know
        /// `to`.
        anomaly: Option<StatusAnomalyView>,
    },
}

impl From<flows::FlowEvent> for EventView {
    fn from(event: flows::FlowEvent) -> Self {
        use flows::FlowEvent as E;
        match event {
            E::Validated { flow } => EventView::Validated {
                flow: flow.to_string(),
            },
            E::ProviderPredicted { info } => EventView::ProviderPredicted { info },
            E::PartyReady {
                party_id,
                fullname,
                created,
            } => EventView::PartyReady {
                party_id,
                fullname,
                created,
            },
            E::CounterpartyReady {
                counterparty_id,
                relationship_type,
                created,
            } => EventView::CounterpartyReady {
                counterparty_id,
                relationship_type,
                created,
            },
            E::SourceCreated {
                source_type,
                source_id,
                number,
                currency,
            } => EventView::SourceCreated {
                source_type,
                source_id,
                number,
                currency,
            },
            E::ItemAdded {
                source_id,
                item,
                currency,
                running_total,
            } => EventView::ItemAdded {
                source_id,
                item: item.into(),
                currency,
                running_total,
            },
            E::SourcePublished {
                source_type,
                source_id,
                number,
                total_amount,
                currency,
            } => EventView::SourcePublished {
                source_type,
                source_id,
                number,
                total_amount,
                currency,
            },
            E::FeesPredicted { prediction } => EventView::FeesPredicted { prediction },
            E::PaymentAccountReady {
                operation_type,
                account_id,
                method,
                provider,
                reused,
            } => EventView::PaymentAccountReady {
                operation_type,
                account_id,
                method,
                provider,
                reused,
            },
            E::SessionCreated {
                operation_type,
                session_id,
                expires_at,
            } => EventView::SessionCreated {
                operation_type,
                session_id,
                expires_at,
            },
            E::ExecutionStarting {
                operation_type,
                reference_id,
            } => EventView::ExecutionStarting {
                operation_type,
                reference_id,
            },
            E::ExecutionSubmitted {
                operation_type,
                reference_id,
                execution,
            } => EventView::ExecutionSubmitted {
                operation_type,
                reference_id,
                execution,
            },
            E::StatusChanged {
                operation_type,
                reference_id,
                transition,
            } => EventView::StatusChanged {
                operation_type,
                reference_id,
                transition: transition.into(),
            },
            E::StillProcessing {
                operation_type,
                reference_id,
                status,
            } => EventView::StillProcessing {
                operation_type,
                reference_id,
                status,
            },
            E::SourceStatusChanged {
                source_type,
                source_id,
                transition,
            } => EventView::SourceStatusChanged {
                source_type,
                source_id,
                transition: transition.into(),
            },
            E::ReceiptFetched { receipt } => EventView::ReceiptFetched {
                receipt: Box::new((*receipt).into()),
            },
            E::StepRetried {
                step,
                attempt,
                error,
            } => EventView::StepRetried {
                step: step.to_string(),
                attempt,
                error,
            },
        }
    }
}

impl From<&Transition> for EventView {
    fn from(transition: &Transition) -> Self {
        let Transition {
            reference_id,
            operation,
            from,
            to,
            execution,
            anomaly,
        } = transition.clone();
        EventView::Transition {
            reference_id,
            operation,
            from,
            to,
            execution,
            anomaly: anomaly.map(StatusAnomalyView::from),
        }
    }
}

/// The common fields of flow events, added next to the event's own fields.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "FlowEventCommon")]
pub(crate) struct FlowEventCommon {
    /// Milliseconds since the flow started.
    pub(crate) elapsed_ms: u64,
    /// Wall-clock time of the event (RFC 3339).
    #[serde(with = "crate::time::lenient")]
    #[schemars(with = "crate::time::TimestampSchema")]
    pub(crate) at: Timestamp,
    /// The event in words (the core's `Display`), for logs and demos.
    pub(crate) message: String,
}

impl FlowEventCommon {
    pub(crate) fn of(progress: &flows::FlowProgress) -> Self {
        FlowEventCommon {
            elapsed_ms: millis(progress.elapsed),
            at: progress.at,
            message: progress.event.to_string(),
        }
    }
}
