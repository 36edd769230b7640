//! `client.bulk_payout(..)`: pay a whole batch (a payroll, a disbursement file) exactly once —
//! resumable, rate-limited, with progress and one result per row. Decision 0016.
//!
//! A batch is a client-side construct: Dollr pays one recipient per execution, so every row is
//! one payout through [`Client::payout`] (payout accounts remembered per recipient and reused).
//!
//! * **Validated first.** Every row is checked before the first payout; the batch refuses to start
//!   on an invalid row (each one named by its index and field) unless `skip_invalid`, and row ids
//!   must be unique.
//! * **Reference ids bound to (batch id, row id).** Row `r` of batch `b` pays under
//!   [`bulk_reference_id`]`(b, r, 0)`: a UUID v4 derived from a SHA-256 of the three, so running
//!   the same batch again computes the same ids. The batch id is the caller's, or
//!   [`batch_id_of`] the rows' content. Each id is journaled before its POST (the exactly-once
//!   layer), so a re-run **resumes**: a row whose intent is settled is reported without sending
//!   anything; an unresolved one is finished through the journaled request — status first, then
//!   the same request again under the same id — never by starting the flow again (a new session
//!   would be a second payment); a row the API refused (nothing moved) is tried again under the
//!   next generation `g + 1` of its id, at most once per run.
//! * **Rate limited as a whole.** Rows run `concurrency` at a time through one [`RateGate`]:
//!   paced when `max_requests_per_second` is set, and every request paused when any is answered
//!   `429` (its `Retry-After`), the pace then halved and won back.
//! * **Reported as it goes.** A `bulk_row_finished` event per row and a `bulk_progress` event
//!   (done, failed, in flight, rate, ETA) at most every [`PROGRESS_EVERY`], then the report: one
//!   [`BulkRowResult`] per input row, in input order, and totals per currency.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::enums::{ExecutionStatus, FeeBearer, OperationType};
use crate::error::{Error, ErrorKind, Result};
use crate::flows::payout::PayoutRequest;
use crate::flows::{settle, FlowContext, FlowEvent, FlowOptions, PayoutOutcome};
use crate::journal::{Intent, IntentState};
use crate::models::execution::{
    Execution, Passcode, PasscodeDevice, PasscodeToken, PayoutExecutionRequest,
};
use crate::models::prediction::{AmountAndFeesQuery, MmoProviderInfo};
use crate::rate::RateGate;
use crate::validate::{self, Validate};

/// Rows paid at once unless told otherwise.
pub const DEFAULT_BULK_CONCURRENCY: u32 = 8;
/// The most rows one batch pays at once.
pub const MAX_BULK_CONCURRENCY: u32 = 256;
/// How often (at most) a `bulk_progress` event is sent.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// How many times one row may be refused by the API (a new generation of its reference id each
/// time, one per run) before the batch stops trying it.
pub const MAX_ROW_GENERATIONS: u32 = 32;
/// The longest row id and batch id.
const MAX_ID_LEN: usize = 128;

/// One row of a batch: whom to pay, how much.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)
)]
pub struct BulkPayoutRow {
    /// The recipient's mobile-money wallet, E.164 digits without `+`.
    pub phone: String,
    /// The amount, in major units of `currency` (exact: never rounded).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
    /// ISO 4217 currency code (the wallet's market's currency).
    pub currency: String,
    /// The recipient's name (default: the phone number).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub name: Option<String>,
    /// The row's id, unique in the batch; its reference id derives from it (default: the row's
    /// 1-based position). Give your own (an employee or agent number) when rows may be reordered.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub row_id: Option<String>,
}

impl BulkPayoutRow {
    /// Pay `amount` `currency` to `phone`.
    pub fn new(phone: impl Into<String>, amount: Decimal, currency: impl Into<String>) -> Self {
        BulkPayoutRow {
            phone: phone.into(),
            amount,
            currency: currency.into(),
            name: None,
            row_id: None,
        }
    }
    /// Sets the recipient's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets the row id.
    pub fn with_row_id(mut self, row_id: impl Into<String>) -> Self {
        self.row_id = Some(row_id.into());
        self
    }
}

/// An amount in one currency (a stated wallet balance, a total).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)
)]
pub struct CurrencyAmount {
    /// ISO 4217 currency code.
    pub currency: String,
    /// The amount.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
}

/// A batch of payouts and how to run it.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct BulkPayoutRequest {
    /// The rows, one payout each.
    pub rows: Vec<BulkPayoutRow>,
    /// The merchant passcode and the phone or user id it is tied to.
    pub passcode: PasscodeToken,
    /// The batch's id: with each row id it fixes the row's reference id, so the same batch id
    /// resumes. Default: derived from the rows' content (the same rows resume; an edited batch is
    /// a new batch — give your own id to edit a batch and keep what was paid).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub batch_id: Option<String>,
    /// Rows paid at once (default 8, at most 256).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub concurrency: Option<u32>,
    /// The most API requests per second (default: unpaced until the API answers `429`).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub max_requests_per_second: Option<u32>,
    /// Pay the valid rows and report the invalid ones `INVALID` (default: refuse to start).
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub skip_invalid: bool,
    /// Pay again, under a new generation of their reference id, the rows an earlier run saw end
    /// `FAILED` (nothing moved for them). Default: report them as they ended.
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub retry_failed: bool,
    /// The wallet balances you know of (the API has no balance endpoint): the batch warns before
    /// starting when its total in a currency exceeds the balance stated for it.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub balances: Vec<CurrencyAmount>,
    /// The device authorizing the payouts (default: this server).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub device: Option<PasscodeDevice>,
    /// Each row's waiting and execution policy; the listener gets the batch's events
    /// (`bulk_started`, `bulk_row_finished`, `bulk_progress`), not each row's steps.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    pub options: FlowOptions,
}

impl BulkPayoutRequest {
    /// A batch of `rows` authorized by the merchant passcode `code` tied to `passcode_phone`.
    pub fn new(
        rows: Vec<BulkPayoutRow>,
        code: impl Into<crate::secret::Secret>,
        passcode_phone: impl Into<String>,
    ) -> Self {
        BulkPayoutRequest {
            rows,
            passcode: PasscodeToken {
                code: code.into(),
                user_id: None,
                phone: Some(passcode_phone.into()),
            },
            batch_id: None,
            concurrency: None,
            max_requests_per_second: None,
            skip_invalid: false,
            retry_failed: false,
            balances: Vec::new(),
            device: None,
            options: FlowOptions::default(),
        }
    }
    /// Sets the batch id.
    pub fn with_batch_id(mut self, batch_id: impl Into<String>) -> Self {
        self.batch_id = Some(batch_id.into());
        self
    }
    /// Sets the rows paid at once.
    pub fn with_concurrency(mut self, concurrency: u32) -> Self {
        self.concurrency = Some(concurrency);
        self
    }
    /// Sets the waiting, execution policy and listener.
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the batch's own settings (not the rows: [`BulkPayoutRequest::check_rows`]).
    fn validate_settings(&self) -> Result<()> {
        if self.rows.is_empty() {
            return Err(Error::invalid_field("rows", "the batch has no rows"));
        }
        self.passcode.validate()?;
        if let Some(device) = &self.device {
            device.validate()?;
        }
        if let Some(batch_id) = &self.batch_id {
            check_id("batch_id", batch_id)?;
        }
        if let Some(concurrency) = self.concurrency {
            if concurrency == 0 || concurrency > MAX_BULK_CONCURRENCY {
                return Err(Error::invalid_field(
                    "concurrency",
                    format!("must be between 1 and {MAX_BULK_CONCURRENCY}"),
                ));
            }
        }
        for (index, balance) in self.balances.iter().enumerate() {
            validate::supported_currency(&format!("balances.{index}.currency"), &balance.currency)?;
        }
        super::validate_options(&self.options)
    }

    /// Checks every row; returns the problems found (one per bad row: its first bad field).
    pub fn check_rows(&self) -> Vec<BulkRowIssue> {
        let mut issues = Vec::new();
        let mut seen = HashSet::new();
        for (index, row) in self.rows.iter().enumerate() {
            let row_id = row_id_of(row, index);
            let problem = check_row(row)
                .err()
                .map(|error| match error.details().first() {
                    Some(detail) => (detail.field(), detail.msg.clone()),
                    None => (String::new(), error.message().to_string()),
                })
                .or_else(|| {
                    (!seen.insert(row_id.clone())).then(|| {
                        (
                            "row_id".to_string(),
                            format!("row id {row_id:?} appears more than once in the batch"),
                        )
                    })
                });
            if let Some((field, message)) = problem {
                issues.push(BulkRowIssue {
                    index: index as u64,
                    row_id,
                    field,
                    message,
                });
            }
        }
        issues
    }
}

/// Checks one row as the payout it becomes.
fn check_row(row: &BulkPayoutRow) -> Result<()> {
    if let Some(row_id) = &row.row_id {
        check_id("row_id", row_id)?;
    }
    if let Some(name) = &row.name {
        validate::non_empty("name", name)?;
    }
    validate::phone("phone", &row.phone)?;
    validate::supported_currency("currency", &row.currency)?;
    validate::amount("amount", &row.amount, &row.currency)?;
    let market = validate::mobile_money_phone("phone", &row.phone)?;
    validate::wallet_currency("currency", &row.currency, market)
}

fn check_id(field: &str, value: &str) -> Result<()> {
    validate::non_empty(field, value)?;
    if value.len() > MAX_ID_LEN || value.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            field,
            format!("at most {MAX_ID_LEN} characters, no control characters"),
        ));
    }
    Ok(())
}

/// The row's id: its own, or its 1-based position.
fn row_id_of(row: &BulkPayoutRow, index: usize) -> String {
    match &row.row_id {
        Some(id) => id.trim().to_string(),
        None => (index + 1).to_string(),
    }
}

/// The reference id of generation `generation` of row `row_id` in batch `batch_id`: the first 16
/// bytes of SHA-256(`"dollr-bulk-payout/1"`, batch id, row id, generation), as a UUID v4 (its
/// version and variant bits set), so the API's UUID v4 rule holds and the same inputs always give
/// the same id.
pub fn bulk_reference_id(batch_id: &str, row_id: &str, generation: u32) -> String {
    let mut hasher = Sha256::new();
    for part in [
        "dollr-bulk-payout/1",
        batch_id,
        row_id,
        &generation.to_string(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The batch id derived from the rows' content: `b-` and 24 hex digits of a SHA-256 over each
/// row's id, phone, amount (normalized: `10.0` and `10.00` are one amount), currency and name.
pub fn batch_id_of(rows: &[BulkPayoutRow]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"dollr-bulk-batch/1");
    for (index, row) in rows.iter().enumerate() {
        for part in [
            row_id_of(row, index),
            row.phone.trim().to_string(),
            row.amount.normalize().to_string(),
            row.currency.trim().to_ascii_uppercase(),
            row.name.clone().unwrap_or_default(),
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
    }
    let hex: String = hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("b-{hex}")
}

/// A row that failed validation.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkRowIssue {
    /// The row's 0-based index in the batch.
    pub index: u64,
    /// The row's id.
    pub row_id: String,
    /// The first bad field (`phone`, `amount`, `currency`, `name`, `row_id`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Where a row ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(
    feature = "bridge",
    derive(serde::Serialize, schemars::JsonSchema),
    serde(rename_all = "SCREAMING_SNAKE_CASE")
)]
pub enum BulkRowStatus {
    /// Paid: the API reports `COMPLETED`.
    Completed,
    /// Not paid, definitely: the API reports `FAILED`, refused the request, or a step before the
    /// execution failed. Running the batch again tries the row again (`FAILED` executions only
    /// with `retry_failed`).
    Failed,
    /// Submitted and still in flight at the wait deadline; running the batch again follows it.
    Processing,
    /// Whether it was paid is not known yet (the answer was lost and status could not tell): it
    /// is never paid again under another id; running the batch again asks status first.
    Unknown,
    /// Invalid and skipped (`skip_invalid`); see the error.
    Invalid,
    /// Not started: the batch was stopped first.
    NotStarted,
}

impl BulkRowStatus {
    /// The name written in results (`COMPLETED`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            BulkRowStatus::Completed => "COMPLETED",
            BulkRowStatus::Failed => "FAILED",
            BulkRowStatus::Processing => "PROCESSING",
            BulkRowStatus::Unknown => "UNKNOWN",
            BulkRowStatus::Invalid => "INVALID",
            BulkRowStatus::NotStarted => "NOT_STARTED",
        }
    }
}

impl std::fmt::Display for BulkRowStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What became of one row.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkRowResult {
    /// The row's 0-based index in the batch.
    pub index: u64,
    /// The row's id.
    pub row_id: String,
    /// The recipient's wallet.
    pub phone: String,
    /// The amount asked.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
    /// Where it ended.
    pub status: BulkRowStatus,
    /// The execution's reference id (set once the row reached its execution).
    pub reference_id: Option<String>,
    /// Whether this run found the row already journaled by an earlier run (and resumed or reported it).
    pub resumed: bool,
    /// What the merchant wallet paid, as the API reported it.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact_opt"),
        schemars(with = "Option<crate::money::DecimalSchema>")
    )]
    pub payer_amount: Option<Decimal>,
    /// Its currency.
    pub payer_currency: Option<String>,
    /// What the recipient received, as the API reported it.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact_opt"),
        schemars(with = "Option<crate::money::DecimalSchema>")
    )]
    pub payee_amount: Option<Decimal>,
    /// Its currency.
    pub payee_currency: Option<String>,
    /// The fees: `payer_amount − payee_amount` when both are in one currency.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact_opt"),
        schemars(with = "Option<crate::money::DecimalSchema>")
    )]
    pub fee: Option<Decimal>,
    /// The operator's transaction id, once known.
    pub provider_transaction_id: Option<String>,
    /// The error kind's name (`Validation`, `PermissionDenied`, `AmbiguousExecution`, …) when the
    /// row did not complete because of an error.
    pub error_kind: Option<String>,
    /// Why it did not complete: the error, or the API's wallet/gateway message of a `FAILED`.
    pub error_message: Option<String>,
}

impl BulkRowResult {
    fn of(index: usize, row: &BulkPayoutRow, status: BulkRowStatus) -> BulkRowResult {
        BulkRowResult {
            index: index as u64,
            row_id: row_id_of(row, index),
            phone: row.phone.clone(),
            amount: row.amount,
            currency: row.currency.clone(),
            status,
            reference_id: None,
            resumed: false,
            payer_amount: None,
            payer_currency: None,
            payee_amount: None,
            payee_currency: None,
            fee: None,
            provider_transaction_id: None,
            error_kind: None,
            error_message: None,
        }
    }

    fn with_error(mut self, error: &Error) -> BulkRowResult {
        self.error_kind = Some(error.kind().to_string());
        self.error_message = Some(error.to_string());
        self
    }

    fn with_execution(mut self, execution: &Execution) -> BulkRowResult {
        self.status = match execution.status {
            ExecutionStatus::Completed => BulkRowStatus::Completed,
            ExecutionStatus::Failed => BulkRowStatus::Failed,
            _ => BulkRowStatus::Processing,
        };
        self.reference_id = Some(execution.reference_id.clone());
        self.payer_amount = Some(execution.payer_amount);
        self.payer_currency = Some(execution.payer_currency.clone());
        self.payee_amount = Some(execution.payee_amount);
        self.payee_currency = Some(execution.payee_currency.clone());
        self.fee = (execution.payer_currency == execution.payee_currency)
            .then(|| execution.payer_amount - execution.payee_amount);
        self.provider_transaction_id = execution.provider_transaction_id.clone();
        if self.status == BulkRowStatus::Failed {
            self.error_message = execution
                .wallet_message
                .clone()
                .or_else(|| execution.gateway_message.clone());
        }
        self
    }
}

/// What a batch added up to in one currency.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkCurrencyTotal {
    /// ISO 4217 currency code.
    pub currency: String,
    /// Rows in this currency.
    pub rows: u64,
    /// The rows' amounts added up.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub requested: Decimal,
    /// Rows `COMPLETED`.
    pub completed_rows: u64,
    /// The completed rows' amounts added up.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub paid: Decimal,
    /// The completed rows' fees added up (those reported in this currency).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub fees: Decimal,
}

/// Everything a batch did: one result per input row (input order), totals, counts.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkPayoutReport {
    /// The batch id the reference ids derive from (give it again to resume).
    pub batch_id: String,
    /// One result per input row, in input order.
    pub rows: Vec<BulkRowResult>,
    /// Totals per currency.
    pub totals: Vec<BulkCurrencyTotal>,
    /// Rows `COMPLETED`.
    pub completed: u64,
    /// Rows `FAILED`.
    pub failed: u64,
    /// Rows `PROCESSING`.
    pub processing: u64,
    /// Rows `UNKNOWN`.
    pub unknown: u64,
    /// Rows `INVALID`.
    pub invalid: u64,
    /// Rows `NOT_STARTED`.
    pub not_started: u64,
    /// Rows an earlier run had journaled.
    pub resumed: u64,
    /// `429` answers met (the whole batch paused for each).
    pub rate_limited: u64,
    /// Warnings given before starting (e.g. the total exceeds a stated balance).
    pub warnings: Vec<String>,
    /// Whether the batch was stopped before every row was started.
    pub stopped: bool,
    /// How long the run took.
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "elapsed_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub elapsed: Duration,
}

impl BulkPayoutReport {
    /// Whether every row was paid.
    pub fn all_completed(&self) -> bool {
        self.completed == self.rows.len() as u64
    }
}

/// The counts a `bulk_progress` event carries.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkProgress {
    /// Rows in the batch.
    pub total: u64,
    /// Rows finished (whatever their status).
    pub done: u64,
    /// Rows finished `COMPLETED`.
    pub completed: u64,
    /// Rows finished otherwise.
    pub failed: u64,
    /// Rows being paid right now.
    pub in_flight: u64,
    /// Rows finished per second, so far.
    pub rows_per_second: f64,
    /// The time left at that rate (`None` before the first row finishes).
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "eta_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    pub eta: Option<Duration>,
}

/// What a dry run predicts for one currency and operator.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkPlanTotal {
    /// ISO 4217 currency code.
    pub currency: String,
    /// The operator (`carrier` of the operator prediction; `unknown` when it could not be predicted).
    pub operator: String,
    /// Valid rows.
    pub rows: u64,
    /// Their amounts added up.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
    /// The predicted fees added up (platform + gateway, as the prediction reports them).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub fees: Decimal,
    /// Rows whose fees could not be predicted (left out of `fees`).
    pub unpredicted: u64,
}

/// What a dry run found: nothing was executed.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct BulkPayoutPlan {
    /// The batch id the run would use.
    pub batch_id: String,
    /// Rows in the batch.
    pub rows: u64,
    /// Every invalid row, first bad field each.
    pub invalid: Vec<BulkRowIssue>,
    /// Predicted totals per currency and operator (valid rows only).
    pub totals: Vec<BulkPlanTotal>,
    /// Warnings (a stated balance exceeded, predictions that failed).
    pub warnings: Vec<String>,
}

/// One row of a run: reported invalid, not started (stopped), or paid.
async fn row_work(
    run: &Run<'_>,
    issues: &BTreeMap<u64, &BulkRowIssue>,
    index: usize,
    row: &BulkPayoutRow,
) -> BulkRowResult {
    if let Some(issue) = issues.get(&(index as u64)) {
        let mut result = BulkRowResult::of(index, row, BulkRowStatus::Invalid);
        result.error_kind = Some(ErrorKind::Validation.to_string());
        result.error_message = Some(format!("{}: {}", issue.field, issue.message));
        return result;
    }
    if run.stopped.load(Ordering::SeqCst) {
        return BulkRowResult::of(index, row, BulkRowStatus::NotStarted);
    }
    run.in_flight.fetch_add(1, Ordering::SeqCst);
    let result = run.pay_row(index, row).await;
    run.in_flight.fetch_sub(1, Ordering::SeqCst);
    result
}

/// A once-per-key answer shared by the rows that ask for it (single flight).
type Shared<V> = Arc<tokio::sync::OnceCell<Result<V>>>;

/// What a fee prediction depends on: currency, amount (normalized), method, provider.
type FeeKey = (String, String, String, String);

/// The dry run's predictions, asked once per phone (the operator) and once per currency, amount
/// and operator routing (the fees): a payroll of 20,000 rows with few distinct amounts sends few
/// fee predictions.
#[derive(Default)]
struct PlanCache {
    operators: std::sync::Mutex<HashMap<String, Shared<MmoProviderInfo>>>,
    fees: std::sync::Mutex<HashMap<FeeKey, Shared<Decimal>>>,
}

/// The cell of `key` in `map`, made on first use.
fn shared<K: std::hash::Hash + Eq, V>(
    map: &std::sync::Mutex<HashMap<K, Shared<V>>>,
    key: K,
) -> Shared<V> {
    // A poisoned lock only means a thread panicked while inserting into a plain map.
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(key).or_default().clone()
}

/// The operator and predicted fees of one row (a dry run).
async fn predict(
    predictions: &crate::api::predictions::Predictions,
    cache: &PlanCache,
    index: usize,
    row: &BulkPayoutRow,
) -> (usize, std::result::Result<(String, Decimal), Error>) {
    let predicted = async {
        let phone = row.phone.trim().to_string();
        let info = shared(&cache.operators, phone.clone())
            .get_or_init(|| predictions.mmo_provider_info(&phone, OperationType::Payout))
            .await
            .clone()?;
        let currency = row.currency.trim().to_ascii_uppercase();
        let key = (
            currency.clone(),
            row.amount.normalize().to_string(),
            info.payment_method.to_string(),
            info.gateway_provider.to_string(),
        );
        let query = AmountAndFeesQuery {
            base_amount: row.amount,
            base_currency: currency.clone(),
            target_currency: currency,
            payment_method: info.payment_method.clone(),
            operation_type: OperationType::Payout,
            provider: info.gateway_provider.clone(),
            // The merchant pays the fees on top: the recipient gets the row's amount.
            fee_bearer: FeeBearer::Payer,
            owner_type: None,
            owner_id: None,
        };
        let total = shared(&cache.fees, key)
            .get_or_init(|| async {
                let fees = predictions.amount_and_fees(&query).await?;
                Ok(fees.platform_fee
                    + fees.gateway_fee.unwrap_or_default()
                    + fees.fx_fee.unwrap_or_default())
            })
            .await
            .clone()?;
        Ok((info.carrier.clone(), total))
    }
    .await;
    (index, predicted)
}

/// The batch-wide state of a run.
struct Run<'a> {
    client: Client,
    request: &'a BulkPayoutRequest,
    batch_id: String,
    row_options: FlowOptions,
    passcode: Passcode,
    in_flight: AtomicUsize,
    stopped: &'a AtomicBool,
}

/// What resuming a journaled intent came to.
// Short-lived, matched once per row: boxing the result would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Resumed {
    /// A result for the row.
    Done(BulkRowResult),
    /// The API refused the journaled request (nothing moved): the next generation may pay it.
    Refused,
}

impl Run<'_> {
    async fn pay_row(&self, index: usize, row: &BulkPayoutRow) -> BulkRowResult {
        let row_id = row_id_of(row, index);
        let base = || BulkRowResult::of(index, row, BulkRowStatus::Failed);
        let mut fresh_tried = false;
        for generation in 0..MAX_ROW_GENERATIONS {
            let reference_id = bulk_reference_id(&self.batch_id, &row_id, generation);
            let intent = match self.client.journal().get(&reference_id).await {
                Ok(intent) => intent,
                Err(error) => return base().with_error(&error),
            };
            let Some(intent) = intent else {
                if fresh_tried {
                    // This run already tried the row once and the API refused it (nothing moved).
                    let mut result = base();
                    result.error_kind = Some(ErrorKind::Conflict.to_string());
                    result.error_message = Some(format!(
                        "the API refused row {row_id}'s payout in this run (nothing moved); running the batch again tries it once more"
                    ));
                    return result;
                }
                fresh_tried = true;
                match self.pay_fresh(index, row, &reference_id).await {
                    Resumed::Done(result) => return result,
                    Resumed::Refused => continue,
                }
            };
            match intent.state {
                IntentState::Completed | IntentState::Failed => {
                    let Some(execution) = &intent.last_execution else {
                        return self.resume(index, row, &intent).await.into_result(base);
                    };
                    if intent.state == IntentState::Failed
                        && self.request.retry_failed
                        && !fresh_tried
                    {
                        continue;
                    }
                    let mut result = base().with_execution(execution);
                    result.resumed = true;
                    return result;
                }
                IntentState::Rejected => continue,
                _ => match self.resume(index, row, &intent).await {
                    Resumed::Done(result) => return result,
                    Resumed::Refused if !fresh_tried => continue,
                    Resumed::Refused => {
                        return self
                            .outcome_from_journal(index, row, &reference_id, None)
                            .await
                    }
                },
            }
        }
        let mut result = base();
        result.error_kind = Some(ErrorKind::Conflict.to_string());
        result.error_message = Some(format!(
            "row {row_id} was refused {MAX_ROW_GENERATIONS} times; give the batch a new id to pay it again"
        ));
        result
    }

    /// Pays a row that has no journaled intent under `reference_id`: the whole payout flow.
    async fn pay_fresh(&self, index: usize, row: &BulkPayoutRow, reference_id: &str) -> Resumed {
        let mut payout = PayoutRequest::new(
            row.phone.trim(),
            row.amount,
            row.currency.trim(),
            self.request.passcode.code.clone(),
            "",
        )
        .with_recipient_name(
            row.name
                .clone()
                .unwrap_or_else(|| row.phone.trim().to_string()),
        )
        .with_reference_id(reference_id)
        .with_options(self.row_options.clone());
        payout.passcode = self.request.passcode.clone();
        payout.device = Some(self.passcode.device.clone());
        match self.client.payout(&payout).await {
            Ok(outcome) => Resumed::Done(row_result(index, row, &outcome)),
            Err(error) => {
                // Another instance journaled this reference id first (its own session): finish
                // that intent instead, never a second one.
                if error.kind() == ErrorKind::Conflict && error.reference_id() == Some(reference_id)
                {
                    if let Ok(Some(intent)) = self.client.journal().get(reference_id).await {
                        if !intent.state.is_settled() || intent.last_execution.is_some() {
                            return self.resume(index, row, &intent).await;
                        }
                    }
                }
                Resumed::Done(
                    self.outcome_from_journal(index, row, reference_id, Some(&error))
                        .await,
                )
            }
        }
    }

    /// Finishes a journaled intent: status first, then the journaled request again under the same
    /// reference id (never a new session), then the wait.
    async fn resume(&self, index: usize, row: &BulkPayoutRow, intent: &Intent) -> Resumed {
        let reference_id = &intent.reference_id;
        let mut result = BulkRowResult::of(index, row, BulkRowStatus::Failed);
        result.resumed = true;
        result.reference_id = Some(reference_id.clone());
        if let Some(execution) = &intent.last_execution {
            if intent.state.is_settled() {
                let mut done = result.with_execution(execution);
                done.resumed = true;
                return Resumed::Done(done);
            }
        }
        let request = match journaled_request(intent, &self.passcode) {
            Ok(request) => request,
            Err(error) => {
                result.status = BulkRowStatus::Unknown;
                return Resumed::Done(result.with_error(&error));
            }
        };
        let ctx = FlowContext::new(&self.row_options);
        let submitted = ctx.executions(&self.client).payout(&request).await;
        let outcome = match submitted {
            Ok(execution) => settle(&self.client, &ctx, OperationType::Payout, execution).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(settled) => {
                let mut done = result.with_execution(&settled.execution);
                done.resumed = true;
                Resumed::Done(done)
            }
            Err(error) => {
                let now = self.client.journal().get(reference_id).await;
                if matches!(&now, Ok(Some(i)) if i.state == IntentState::Rejected) {
                    return Resumed::Refused;
                }
                let mut done = self
                    .outcome_from_journal(index, row, reference_id, Some(&error))
                    .await;
                done.resumed = true;
                Resumed::Done(done)
            }
        }
    }

    /// The row's result after an error, as the journal tells it: not journaled or refused →
    /// `FAILED` (nothing was sent, or nothing moved); settled → its execution; in flight →
    /// `PROCESSING`; sent with no answer → `UNKNOWN`.
    async fn outcome_from_journal(
        &self,
        index: usize,
        row: &BulkPayoutRow,
        reference_id: &str,
        error: Option<&Error>,
    ) -> BulkRowResult {
        let mut result = BulkRowResult::of(index, row, BulkRowStatus::Failed);
        if let Some(error) = error {
            result = result.with_error(error);
        }
        let intent = match self.client.journal().get(reference_id).await {
            Ok(Some(intent)) => intent,
            Ok(None) => return result,
            Err(_) => {
                // The journal cannot tell: whether it was sent is unknown.
                result.status = BulkRowStatus::Unknown;
                result.reference_id = Some(reference_id.to_string());
                return result;
            }
        };
        result.reference_id = Some(reference_id.to_string());
        if let Some(execution) = &intent.last_execution {
            let (kind, message) = (result.error_kind.take(), result.error_message.take());
            result = result.with_execution(execution);
            if result.status != BulkRowStatus::Completed {
                result.error_kind = kind;
                result.error_message = result.error_message.or(message);
            }
            return result;
        }
        result.status = match intent.state {
            IntentState::Rejected => BulkRowStatus::Failed,
            IntentState::Pending | IntentState::NotSubmitted if intent.attempts == 0 => {
                BulkRowStatus::Failed
            }
            IntentState::Processing => BulkRowStatus::Processing,
            _ => BulkRowStatus::Unknown,
        };
        result
    }
}

impl Resumed {
    fn into_result(self, base: impl Fn() -> BulkRowResult) -> BulkRowResult {
        match self {
            Resumed::Done(result) => result,
            Resumed::Refused => base(),
        }
    }
}

/// The journaled payout request with the batch's passcode (the journal never holds it).
fn journaled_request(intent: &Intent, passcode: &Passcode) -> Result<PayoutExecutionRequest> {
    let mut request = serde_json::Value::clone(&intent.request);
    let device = request
        .pointer("/passcode/device")
        .cloned()
        .and_then(|device| serde_json::from_value::<PasscodeDevice>(device).ok())
        .unwrap_or_else(|| passcode.device.clone());
    let passcode = Passcode {
        token: passcode.token.clone(),
        device,
    };
    let encoded = serde_json::to_value(&passcode)
        .map_err(|e| Error::internal(format!("could not encode the passcode: {e}")))?;
    match request.as_object_mut() {
        Some(map) => {
            map.insert("passcode".to_string(), encoded);
        }
        None => {
            return Err(Error::internal(format!(
                "the journaled request of {} is not an object",
                intent.reference_id
            )))
        }
    }
    serde_json::from_value(request).map_err(|e| {
        Error::internal(format!(
            "the journaled request of {} could not be read: {e}",
            intent.reference_id
        ))
        .with_reference_id(intent.reference_id.clone())
    })
}

fn row_result(index: usize, row: &BulkPayoutRow, outcome: &PayoutOutcome) -> BulkRowResult {
    BulkRowResult::of(index, row, BulkRowStatus::Failed).with_execution(&outcome.execution)
}

/// Totals per currency of `rows`' results.
fn totals(rows: &[BulkRowResult]) -> Vec<BulkCurrencyTotal> {
    let mut by_currency: BTreeMap<String, BulkCurrencyTotal> = BTreeMap::new();
    for row in rows {
        let total = by_currency
            .entry(row.currency.clone())
            .or_insert_with(|| BulkCurrencyTotal {
                currency: row.currency.clone(),
                rows: 0,
                requested: Decimal::ZERO,
                completed_rows: 0,
                paid: Decimal::ZERO,
                fees: Decimal::ZERO,
            });
        total.rows += 1;
        total.requested += row.amount;
        if row.status == BulkRowStatus::Completed {
            total.completed_rows += 1;
            total.paid += row.amount;
            if row.payer_currency.as_deref() == Some(row.currency.as_str()) {
                total.fees += row.fee.unwrap_or_default();
            }
        }
    }
    by_currency.into_values().collect()
}

/// The warnings of a batch whose totals exceed the balances stated for them.
fn balance_warnings(
    rows: &[BulkPayoutRow],
    valid: &[bool],
    balances: &[CurrencyAmount],
) -> Vec<String> {
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for (row, ok) in rows.iter().zip(valid) {
        if *ok {
            *sums
                .entry(row.currency.trim().to_ascii_uppercase())
                .or_default() += row.amount;
        }
    }
    let mut warnings = Vec::new();
    for balance in balances {
        let currency = balance.currency.trim().to_ascii_uppercase();
        if let Some(sum) = sums.get(&currency) {
            if *sum > balance.amount {
                warnings.push(format!(
                    "the batch pays {sum} {currency} (before fees) but the stated {currency} wallet balance is {}: payouts will fail once it runs out",
                    balance.amount
                ));
            }
        }
    }
    warnings
}

#[dollr_macros::flows]
impl Client {
    /// Pays a batch of payouts (a payroll, a disbursement file), each row one payout through the
    /// payout flow, exactly once: every row is validated before the first payout, each row's
    /// reference id is derived from the batch id and its row id and journaled before it is sent,
    /// so running the same batch again resumes (finished rows are reported, unknown ones resolved
    /// through status first, nothing is paid twice). Rows run `concurrency` at a time through a
    /// rate gate that pauses every request when the API answers `429`. Returns one result per row
    /// and totals per currency. Reports each step as an event (`bulk_started`,
    /// `bulk_row_finished`, `bulk_progress`).
    ///
    /// An invalid row refuses the whole batch (a `Validation` error naming `rows.<index>.<field>`)
    /// unless `skip_invalid`. A row that does not complete is a result, not an error.
    pub async fn bulk_payout(
        &self,
        #[flow] request: &BulkPayoutRequest,
    ) -> Result<BulkPayoutReport> {
        bulk_payout_until(self, request, std::future::pending::<()>()).await
    }

    /// Validates a batch and predicts its fees and totals per currency and operator, executing
    /// nothing (a dry run of `bulk_payout`: it only reads operator and fee predictions). Every
    /// invalid row is reported, not just the first.
    pub async fn bulk_payout_plan(
        &self,
        #[flow] request: &BulkPayoutRequest,
    ) -> Result<BulkPayoutPlan> {
        request.validate_settings()?;
        let invalid = request.check_rows();
        let bad: HashSet<u64> = invalid.iter().map(|issue| issue.index).collect();
        let valid: Vec<bool> = (0..request.rows.len())
            .map(|i| !bad.contains(&(i as u64)))
            .collect();
        let mut warnings = balance_warnings(&request.rows, &valid, &request.balances);
        let gate = Arc::new(RateGate::new(request.max_requests_per_second));
        let client = self.with_rate_gate(gate);
        let concurrency = request
            .concurrency
            .unwrap_or(DEFAULT_BULK_CONCURRENCY)
            .max(1) as usize;
        let predictions = client.predictions();
        let valid_indexes: Vec<usize> = (0..request.rows.len()).filter(|i| valid[*i]).collect();
        let mut predicted = Vec::with_capacity(valid_indexes.len());
        let cache = PlanCache::default();
        let mut pending = FuturesUnordered::new();
        let mut next = valid_indexes.into_iter();
        loop {
            while pending.len() < concurrency {
                let Some(index) = next.next() else { break };
                pending.push(predict(&predictions, &cache, index, &request.rows[index]));
            }
            match pending.next().await {
                Some(one) => predicted.push(one),
                None => break,
            }
        }
        let mut by_key: BTreeMap<(String, String), BulkPlanTotal> = BTreeMap::new();
        let mut failures = 0usize;
        let mut first_failure = None;
        for (index, predicted) in predicted {
            let row = &request.rows[index];
            let currency = row.currency.trim().to_ascii_uppercase();
            let (operator, fee) = match predicted {
                Ok((operator, fee)) => (operator, Some(fee)),
                Err(error) => {
                    failures += 1;
                    first_failure.get_or_insert(error);
                    ("unknown".to_string(), None)
                }
            };
            let total = by_key
                .entry((currency.clone(), operator.clone()))
                .or_insert_with(|| BulkPlanTotal {
                    currency,
                    operator,
                    rows: 0,
                    amount: Decimal::ZERO,
                    fees: Decimal::ZERO,
                    unpredicted: 0,
                });
            total.rows += 1;
            total.amount += row.amount;
            match fee {
                Some(fee) => total.fees += fee,
                None => total.unpredicted += 1,
            }
        }
        if let Some(error) = first_failure {
            warnings.push(format!(
                "fees of {failures} row(s) could not be predicted (first: {error})"
            ));
        }
        Ok(BulkPayoutPlan {
            batch_id: request
                .batch_id
                .clone()
                .unwrap_or_else(|| batch_id_of(&request.rows)),
            rows: request.rows.len() as u64,
            invalid,
            totals: by_key.into_values().collect(),
            warnings,
        })
    }
}

/// [`Client::bulk_payout`] that stops starting rows once `stop` completes (e.g. Ctrl-C): rows in
/// flight settle (up to their wait deadline); rows not started are `NOT_STARTED` and running the
/// batch again pays them. (Rust only: a binding stops a batch by cancelling its call, which drops
/// the rows in flight where they are; their journaled intents make the next run finish them.)
pub async fn bulk_payout_until(
    client: &Client,
    request: &BulkPayoutRequest,
    stop: impl Future<Output = ()>,
) -> Result<BulkPayoutReport> {
    let started = Instant::now();
    request.validate_settings()?;
    let issues = request.check_rows();
    if !issues.is_empty() && !request.skip_invalid {
        let first = &issues[0];
        let details = issues
            .iter()
            .map(|issue| {
                crate::error::ValidationDetail::body(
                    &format!("rows.{}.{}", issue.index, issue.field),
                    issue.message.clone(),
                    "value_error",
                )
            })
            .collect();
        let error = Error::new(
                ErrorKind::Validation,
                format!(
                    "invalid `rows.{}.{}` (row {}): {}; {} invalid row(s) in all, nothing was sent. Fix them, or skip them with skip_invalid",
                    first.index,
                    first.field,
                    first.row_id,
                    first.message,
                    issues.len()
                ),
            )
            .with_details(details);
        return Err(error);
    }
    let bad: HashSet<u64> = issues.iter().map(|issue| issue.index).collect();
    let valid: Vec<bool> = (0..request.rows.len())
        .map(|i| !bad.contains(&(i as u64)))
        .collect();
    let batch_id = request
        .batch_id
        .clone()
        .map(|id| id.trim().to_string())
        .unwrap_or_else(|| batch_id_of(&request.rows));
    let warnings = balance_warnings(&request.rows, &valid, &request.balances);
    let ctx = FlowContext::new(&request.options);
    ctx.emit(FlowEvent::BulkStarted {
        batch_id: batch_id.clone(),
        rows: request.rows.len() as u64,
        invalid: issues.len() as u64,
        warnings: warnings.clone(),
    });

    let gate = Arc::new(RateGate::new(request.max_requests_per_second));
    let mut row_options = request.options.clone();
    row_options.on_progress = None;
    let device = request
        .device
        .clone()
        .unwrap_or_else(|| super::payout::default_device(client));
    let stopped = AtomicBool::new(false);
    let run = Run {
        client: client.with_rate_gate(gate.clone()),
        request,
        batch_id: batch_id.clone(),
        row_options,
        passcode: Passcode {
            token: request.passcode.clone(),
            device,
        },
        in_flight: AtomicUsize::new(0),
        stopped: &stopped,
    };
    let concurrency = request
        .concurrency
        .unwrap_or(DEFAULT_BULK_CONCURRENCY)
        .clamp(1, MAX_BULK_CONCURRENCY) as usize;
    let total = request.rows.len() as u64;
    let issues_by_index: BTreeMap<u64, &BulkRowIssue> =
        issues.iter().map(|issue| (issue.index, issue)).collect();

    let work = async {
        let run = &run;
        let issues_by_index = &issues_by_index;
        let mut results: Vec<Option<BulkRowResult>> = vec![None; request.rows.len()];
        let mut pending = FuturesUnordered::new();
        let mut next = request.rows.iter().enumerate();
        let (mut done, mut completed) = (0u64, 0u64);
        let mut last_progress: Option<Instant> = None;
        let run_started = Instant::now();
        loop {
            while pending.len() < concurrency {
                let Some((index, row)) = next.next() else {
                    break;
                };
                pending.push(row_work(run, issues_by_index, index, row));
            }
            let Some(result) = pending.next().await else {
                break;
            };
            done += 1;
            if result.status == BulkRowStatus::Completed {
                completed += 1;
            }
            let index = result.index as usize;
            ctx.emit(FlowEvent::BulkRowFinished {
                result: result.clone(),
            });
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
            let due = match last_progress {
                Some(at) => at.elapsed() >= PROGRESS_EVERY,
                None => true,
            };
            if due || done == total {
                last_progress = Some(Instant::now());
                let seconds = run_started.elapsed().as_secs_f64();
                let rate = if seconds > 0.0 {
                    done as f64 / seconds
                } else {
                    0.0
                };
                let eta = (rate > 0.0)
                    .then(|| Duration::try_from_secs_f64((total - done) as f64 / rate).ok())
                    .flatten();
                ctx.emit(FlowEvent::BulkProgress {
                    batch_id: batch_id.clone(),
                    progress: BulkProgress {
                        total,
                        done,
                        completed,
                        failed: done - completed,
                        in_flight: run.in_flight.load(Ordering::SeqCst) as u64,
                        rows_per_second: rate,
                        eta,
                    },
                });
            }
        }
        results
    };
    let results = {
        let work = std::pin::pin!(work);
        let stop = std::pin::pin!(stop);
        match futures::future::select(work, stop).await {
            futures::future::Either::Left((results, _)) => results,
            futures::future::Either::Right(((), work)) => {
                stopped.store(true, Ordering::SeqCst);
                tracing::info!(batch_id = %batch_id, "bulk payout stopping: no new rows; rows in flight settle");
                work.await
            }
        }
    };
    let rows: Vec<BulkRowResult> = results
        .into_iter()
        .zip(&request.rows)
        .enumerate()
        .map(|(index, (result, row))| {
            result.unwrap_or_else(|| BulkRowResult::of(index, row, BulkRowStatus::NotStarted))
        })
        .collect();
    let count = |status: BulkRowStatus| rows.iter().filter(|r| r.status == status).count() as u64;
    Ok(BulkPayoutReport {
        batch_id,
        totals: totals(&rows),
        completed: count(BulkRowStatus::Completed),
        failed: count(BulkRowStatus::Failed),
        processing: count(BulkRowStatus::Processing),
        unknown: count(BulkRowStatus::Unknown),
        invalid: count(BulkRowStatus::Invalid),
        not_started: count(BulkRowStatus::NotStarted),
        resumed: rows.iter().filter(|r| r.resumed).count() as u64,
        rate_limited: gate.rate_limited(),
        warnings,
        stopped: stopped.load(Ordering::SeqCst),
        elapsed: started.elapsed(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_ids_are_deterministic_uuid_v4() {
        let a = bulk_reference_id("payroll-2026-12-04", "17", 0);
        assert_eq!(a, bulk_reference_id("payroll-2026-12-04", "17", 0));
        assert!(validate::uuid_v4("reference_id", &a).is_ok(), "{a}");
        assert_ne!(a, bulk_reference_id("payroll-2026-12-04", "17", 1));
        assert_ne!(a, bulk_reference_id("payroll-2026-12-04", "171", 0));
        // The parts are length-prefixed: ("a", "bc") and ("ab", "c") differ.
        assert_ne!(
            bulk_reference_id("a", "bc", 0),
            bulk_reference_id("ab", "c", 0)
        );
    }

    #[test]
    fn the_batch_id_follows_the_content_not_the_notation() {
        let rows = vec![
            BulkPayoutRow::new("231771234567", Decimal::new(100, 1), "USD"),
            BulkPayoutRow::new("231771234568", Decimal::new(5, 0), "USD").with_name("Musu"),
        ];
        let mut same = rows.clone();
        same[0].amount = Decimal::new(1000, 2);
        assert_eq!(batch_id_of(&rows), batch_id_of(&same));
        let mut edited = rows.clone();
        edited[1].amount = Decimal::new(6, 0);
        assert_ne!(batch_id_of(&rows), batch_id_of(&edited));
    }

    #[test]
    fn every_bad_row_is_named_with_its_field() {
        let rows = vec![
            BulkPayoutRow::new("231771234567", Decimal::new(1000, 2), "USD").with_row_id("a"),
            BulkPayoutRow::new("12", Decimal::ONE, "USD").with_row_id("b"),
            BulkPayoutRow::new("231771234567", Decimal::new(1001, 3), "USD").with_row_id("c"),
            BulkPayoutRow::new("231771234567", Decimal::ONE, "RWF").with_row_id("d"),
            BulkPayoutRow::new("231771234567", Decimal::ONE, "USD").with_row_id("a"),
        ];
        let request = BulkPayoutRequest::new(rows, "1234", "231770000000");
        let issues: Vec<(u64, String)> = request
            .check_rows()
            .into_iter()
            .map(|i| (i.index, i.field))
            .collect();
        assert_eq!(
            issues,
            [
                (1, "phone".to_string()),
                (2, "amount".to_string()),
                (3, "currency".to_string()),
                (4, "row_id".to_string()),
            ]
        );
    }
}
