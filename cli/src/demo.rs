//! `dollr demo`: a collection and a payout end to end, printed step by step as they happen.
//!
//! By default everything runs against an embedded, in-process sandbox (nothing to set up, no
//! network). With `--base-url` the same flows run against a real Dollr API with the credentials in
//! `DOLLR_CLIENT_ID` / `DOLLR_CLIENT_SECRET` and the payout passcode in `DOLLR_PASSCODE`.
//!
//! The exit status is non-zero unless both payments reach `COMPLETED`.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use dollr_core::flows::{FlowEvent, FlowOptions, FlowProgress, SourceReceipt};
use dollr_core::models::AmountAndFeePrediction;
use dollr_core::{
    test_numbers, Client, CollectOutcome, CollectRequest, ExecutionStatus, LineItem, PayoutOutcome,
    PayoutRequest, Secret,
};
use dollr_sandbox::{Sandbox, SandboxConfig};
use rust_decimal::Decimal;

/// Options of `dollr demo`.
#[derive(Args, Clone, Debug)]
pub struct DemoArgs {
    /// Run against this Dollr API (e.g. https://api.heydollr.app) instead of the embedded sandbox.
    /// Credentials come from DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET, the payout passcode from
    /// DOLLR_PASSCODE.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Sandbox only: how long a payment takes to settle (PENDING → PROCESSING at half, then
    /// COMPLETED), in milliseconds.
    #[arg(long, default_value_t = 1500, value_name = "MS")]
    pub settle_ms: u64,

    /// The payer's (and the payout recipient's) mobile-money number, E.164 digits without '+'.
    /// On the sandbox, 231770000001 declines and 231770000002 is slow.
    #[arg(long, default_value = test_numbers::COMPLETES)]
    pub phone: String,

    /// The amount collected (a decimal, e.g. 25.00).
    #[arg(long, default_value = "25.00", value_parser = parse_amount)]
    pub amount: Decimal,

    /// The amount paid out (default: the collected amount).
    #[arg(long, value_parser = parse_amount, value_name = "AMOUNT")]
    pub payout_amount: Option<Decimal>,

    /// The currency (ISO 4217).
    #[arg(long, default_value = "USD")]
    pub currency: String,

    /// The payer's name on the invoice.
    #[arg(long, default_value = "Amara Kamara")]
    pub payer_name: String,

    /// The phone the payout passcode is tied to (merchant portal); DOLLR_PASSCODE_PHONE.
    #[arg(long, env = "DOLLR_PASSCODE_PHONE", value_name = "PHONE")]
    pub passcode_phone: Option<String>,

    /// How long to wait for each payment to settle, in seconds.
    #[arg(long, default_value_t = 180, value_name = "SECONDS")]
    pub timeout_secs: u64,
}

fn parse_amount(text: &str) -> Result<Decimal, String> {
    Decimal::from_str(text.trim()).map_err(|e| format!("{text:?} is not a decimal amount ({e})"))
}

/// Why the demo did not succeed.
#[derive(Debug)]
pub enum DemoError {
    /// The demo could not start (sandbox, configuration, missing environment).
    Setup(String),
    /// An SDK call failed.
    Sdk(dollr_core::Error),
    /// A payment ended (or stayed) in a status other than COMPLETED.
    NotCompleted {
        /// `collection` or `payout`.
        flow: &'static str,
        /// The status it ended in.
        status: ExecutionStatus,
        /// The reference id to follow up with.
        reference_id: String,
    },
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Setup(message) => write!(f, "demo setup failed: {message}"),
            DemoError::Sdk(error) => write!(f, "{error}"),
            DemoError::NotCompleted {
                flow,
                status,
                reference_id,
            } => {
                write!(
                    f,
                    "the {flow} ended {status}, not COMPLETED (reference_id {reference_id})"
                )
            }
        }
    }
}

impl std::error::Error for DemoError {}

impl From<dollr_core::Error> for DemoError {
    fn from(error: dollr_core::Error) -> Self {
        DemoError::Sdk(error)
    }
}

/// Where the demo runs.
enum Target {
    Sandbox(Sandbox),
    Api(String),
}

/// Runs the demo, printing to stdout; `Ok` only if the collection and the payout both complete.
pub async fn run(args: DemoArgs) -> Result<(), DemoError> {
    run_with_output(args, Arc::new(Mutex::new(std::io::stdout()))).await
}

/// Where the demo prints.
pub type Output = Arc<Mutex<dyn Write + Send>>;

/// [`run`], printing to `output`.
pub async fn run_with_output(args: DemoArgs, output: Output) -> Result<(), DemoError> {
    let (client, passcode, target) = connect(&args).await?;
    let out = Printer::new(output.clone());
    match &target {
        Target::Sandbox(sandbox) => out.line(&format!(
            "dollr demo · embedded sandbox at {} · payments settle in {} ms",
            sandbox.url(),
            args.settle_ms
        )),
        Target::Api(url) => out.line(&format!(
            "dollr demo · LIVE API at {url} · real money moves"
        )),
    }
    let collected = collection(&client, &args, &output).await?;
    let paid_out = payout(&client, &args, passcode, &output).await?;
    summary(&out, &collected, &paid_out);
    if let Target::Sandbox(sandbox) = &target {
        let stats = sandbox.stats();
        out.line(&format!(
            "sandbox: {} API requests, {} executions, {} duplicate payments",
            stats["requests"]["total"], stats["executions"]["created"], stats["duplicate_payments"]
        ));
        sandbox.shutdown();
    }
    for (flow, status, reference_id) in [
        ("collection", collected.status(), &collected.reference_id),
        ("payout", paid_out.status(), &paid_out.reference_id),
    ] {
        if *status != ExecutionStatus::Completed {
            return Err(DemoError::NotCompleted {
                flow,
                status: status.clone(),
                reference_id: reference_id.clone(),
            });
        }
    }
    Ok(())
}

async fn connect(args: &DemoArgs) -> Result<(Client, Secret, Target), DemoError> {
    match &args.base_url {
        Some(url) => {
            let passcode = std::env::var("DOLLR_PASSCODE")
                .ok()
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| {
                    DemoError::Setup(
                        "set DOLLR_PASSCODE (the merchant payout passcode) to run against the API"
                            .into(),
                    )
                })?;
            // Client id and secret come from DOLLR_CLIENT_ID / DOLLR_CLIENT_SECRET (the builder's
            // environment fallbacks); a missing one is a Validation error naming it.
            let client = Client::builder()
                .base_url(url.clone())
                .sdk_language("cli")
                .build()?;
            Ok((client, Secret::new(passcode), Target::Api(url.clone())))
        }
        None => {
            let config = SandboxConfig {
                settle_ms: args.settle_ms,
                ..SandboxConfig::default()
            };
            let sandbox = Sandbox::start(config)
                .await
                .map_err(|e| DemoError::Setup(format!("the sandbox did not start: {e}")))?;
            let client = Client::builder()
                .ignore_env()
                .base_url(sandbox.url())
                .client_id(sandbox.client_id())
                .client_secret(sandbox.client_secret())
                // Live status from the sandbox's Supabase Realtime server: each transition says
                // whether realtime or a poll reported it.
                .supabase(sandbox.supabase_url(), sandbox.supabase_anon_key())
                .sdk_language("cli")
                .build()?;
            let passcode = Secret::new(sandbox.passcode());
            Ok((client, passcode, Target::Sandbox(sandbox)))
        }
    }
}

/// Polls quickly on the sandbox (so transitions show as they happen), at the documented 2–5 s on
/// the real API.
fn flow_options(args: &DemoArgs, printer: Arc<Printer>) -> FlowOptions {
    let (first, max) = if args.base_url.is_some() {
        (Duration::from_secs(2), Duration::from_secs(5))
    } else {
        (Duration::from_millis(50), Duration::from_millis(150))
    };
    FlowOptions::default()
        .wait_timeout(Duration::from_secs(args.timeout_secs))
        .poll_interval(first)
        .max_poll_interval(max)
        .on_progress(move |progress| printer.progress(progress))
}

async fn collection(
    client: &Client,
    args: &DemoArgs,
    output: &Output,
) -> Result<CollectOutcome, DemoError> {
    let printer = Arc::new(Printer::new(output.clone()));
    printer.heading(&format!(
        "COLLECTION · {} {} from {}",
        args.amount, args.currency, args.phone
    ));
    let request = CollectRequest::new(&args.phone, args.amount, &args.currency)
        .with_payer_name(&args.payer_name)
        .with_items(vec![LineItem::new("Consulting session", 1, args.amount)])
        .with_note("dollr demo")
        .with_options(flow_options(args, printer.clone()));
    let outcome = client.collect(&request).await?;
    printer.result("collection", outcome.status(), printer.started.elapsed());
    Ok(outcome)
}

async fn payout(
    client: &Client,
    args: &DemoArgs,
    passcode: Secret,
    output: &Output,
) -> Result<PayoutOutcome, DemoError> {
    let printer = Arc::new(Printer::new(output.clone()));
    let amount = args.payout_amount.unwrap_or(args.amount);
    printer.heading(&format!(
        "PAYOUT · {amount} {} to {}",
        args.currency, args.phone
    ));
    let passcode_phone = args
        .passcode_phone
        .clone()
        .unwrap_or_else(|| "231779999999".to_string());
    let request = PayoutRequest::new(
        &args.phone,
        amount,
        &args.currency,
        passcode,
        passcode_phone,
    )
    .with_recipient_name(&args.payer_name)
    .with_options(flow_options(args, printer.clone()));
    let outcome = client.payout(&request).await?;
    printer.result("payout", outcome.status(), printer.started.elapsed());
    Ok(outcome)
}

fn summary(out: &Printer, collected: &CollectOutcome, paid_out: &PayoutOutcome) {
    out.heading("SUMMARY");
    let e = &collected.execution;
    let moved = format!(
        "charged {} {}, received {} {}",
        e.payer_amount, e.payer_currency, e.payee_amount, e.payee_currency
    );
    out.line(&format!(
        "  collection  {:<10} {}  {:<16} {}",
        collected.status().to_string(),
        collected.reference_id,
        collected.source_number,
        what_happened(e, &moved),
    ));
    let e = &paid_out.execution;
    let moved = format!(
        "sent {} {} from wallet #{}",
        e.payee_amount, e.payee_currency, paid_out.session.wallet_id
    );
    out.line(&format!(
        "  payout      {:<10} {}  {:<16} {}",
        paid_out.status().to_string(),
        paid_out.reference_id,
        "",
        what_happened(e, &moved),
    ));
}

/// What a payment's final status means for the money.
fn what_happened(execution: &dollr_core::models::Execution, moved: &str) -> String {
    match execution.status {
        ExecutionStatus::Completed => moved.to_string(),
        ExecutionStatus::Failed => {
            let why = execution
                .gateway_message
                .as_deref()
                .or(execution.wallet_message.as_deref())
                .unwrap_or("no reason given");
            format!("nothing moved: {why}")
        }
        _ => "still in flight: follow it with its reference id".to_string(),
    }
}

/// Prints flow progress as aligned lines: `+elapsed  label  detail`.
struct Printer {
    started: Instant,
    output: Output,
}

/// The longest event name (`payment_account_ready`).
const LABEL_WIDTH: usize = 21;

impl Printer {
    fn new(output: Output) -> Self {
        Printer {
            started: Instant::now(),
            output,
        }
    }

    fn line(&self, text: &str) {
        let mut out = match self.output.lock() {
            Ok(out) => out,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A closed stdout (e.g. piped into `head`) must not abort the payments in flight.
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    fn heading(&self, text: &str) {
        self.line("");
        self.line(text);
    }

    fn step(&self, elapsed: Duration, label: &str, detail: &str) {
        self.line(&format!(
            "  +{:>6} ms  {label:<LABEL_WIDTH$} {detail}",
            elapsed.as_millis()
        ));
    }

    fn detail(&self, text: &str) {
        self.line(&format!("  {:>9}   {:<LABEL_WIDTH$} {text}", "", ""));
    }

    fn result(&self, flow: &str, status: &ExecutionStatus, elapsed: Duration) {
        let mark = if *status == ExecutionStatus::Completed {
            "✔"
        } else {
            "✘"
        };
        self.line(&format!(
            "  {mark} {flow} {status} in {:.1} s",
            elapsed.as_secs_f64()
        ));
    }

    fn fees(&self, p: &AmountAndFeePrediction) {
        self.detail(&format!(
            "payer pays    {:>12} {}",
            p.payer_amount, p.payer_currency
        ));
        self.detail(&format!(
            "payee gets    {:>12} {}",
            p.payee_amount, p.payee_currency
        ));
        self.detail(&format!(
            "platform fee  {:>12} {}",
            p.platform_fee, p.platform_currency
        ));
        let gateway_currency = p.gateway_currency.clone().unwrap_or_default();
        match p.gateway_fee {
            Some(fee) => self.detail(&format!("gateway fee   {fee:>12} {gateway_currency}")),
            None => self.detail("gateway fee              —"),
        }
        if let Some(fee) = p.fx_fee.filter(|f| !f.is_zero()) {
            self.detail(&format!("fx fee        {fee:>12} {}", p.payer_currency));
        }
    }

    fn receipt(&self, receipt: &SourceReceipt) {
        for item in receipt.items() {
            self.detail(&format!(
                "{:<22} {:>3} x {:>10} {}",
                item.name, item.qty, item.amount, item.currency
            ));
        }
        let money = |amount: Option<Decimal>, currency: Option<String>| match amount {
            Some(amount) => format!("{amount:>10} {}", currency.unwrap_or_default()),
            None => format!("{:>10}", "—"),
        };
        self.detail(&format!(
            "{:<28} {}",
            "total",
            money(Some(receipt.total_amount()), Some(receipt.currency()))
        ));
        self.detail(&format!(
            "{:<28} {}",
            "paid by payer",
            money(receipt.payer_amount(), receipt.payer_currency())
        ));
        self.detail(&format!(
            "{:<28} {}",
            "received",
            money(receipt.payee_amount(), receipt.payee_currency())
        ));
        self.detail(&format!(
            "{:<28} {}",
            "platform fee",
            money(receipt.platform_fee(), receipt.platform_currency())
        ));
        self.detail(&format!(
            "{:<28} {}",
            "gateway fee",
            money(receipt.gateway_fee(), receipt.gateway_currency())
        ));
        if let Some(rate) = receipt.fx_rate() {
            self.detail(&format!("{:<28} {rate:>10}", "fx rate"));
        }
        let method = receipt
            .payment_method()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let txn = receipt.provider_transaction_id().unwrap_or_default();
        self.detail(&format!("{:<28} {method} {txn}", "paid with"));
        if let Some(at) = receipt.paid_at() {
            self.detail(&format!(
                "{:<28} {}",
                "paid at",
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
    }

    /// One line per flow event: its stable name and the core's own words for it (`Display`),
    /// with the fee prediction and the receipt spelled out below their events.
    fn progress(&self, p: &FlowProgress) {
        self.step(p.elapsed, p.event.name(), &p.message);
        match &p.event {
            FlowEvent::FeesPredicted { prediction } => self.fees(prediction),
            FlowEvent::ReceiptFetched { receipt } => self.receipt(receipt),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what the demo prints.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn args(phone: &str) -> DemoArgs {
        DemoArgs {
            base_url: None,
            settle_ms: 200,
            phone: phone.to_string(),
            amount: Decimal::new(2500, 2),
            payout_amount: Some(Decimal::new(1000, 2)),
            currency: "USD".to_string(),
            payer_name: "Amara Kamara".to_string(),
            passcode_phone: None,
            timeout_secs: 30,
        }
    }

    async fn run_captured(phone: &str) -> (Result<(), DemoError>, String) {
        let captured = Captured::default();
        let result = run_with_output(args(phone), Arc::new(Mutex::new(captured.clone()))).await;
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        (result, text)
    }

    #[tokio::test]
    async fn the_demo_prints_every_step_and_transition_in_order() {
        let (result, text) = run_captured(test_numbers::COMPLETES).await;
        assert!(result.is_ok(), "{result:?}\n{text}");
        let step = |name: &str, detail: &str| format!("{name:<LABEL_WIDTH$} {detail}");
        let order = [
            "COLLECTION · 25.00 USD from 231771234567".to_string(),
            step("party_ready", "party #"),
            step("source_created", "INVOICE INV-"),
            step("item_added", "item Consulting session x1 @ 25.00 USD"),
            step("source_published", "INVOICE INV-"),
            step("fees_predicted", "payer pays"),
            "payer pays".to_string(),
            "platform fee".to_string(),
            step("payment_account_ready", "COLLECTION payment account #"),
            step("session_created", "COLLECTION session #"),
            step(
                "execution_starting",
                "COLLECTION execution starting, reference_id",
            ),
            ": PENDING (+".to_string(),
            ": PENDING -> PROCESSING".to_string(),
            ": PROCESSING -> COMPLETED".to_string(),
            step("receipt_fetched", "receipt of INVOICE INV-"),
            "Consulting session".to_string(),
            "✔ collection COMPLETED".to_string(),
            "PAYOUT · 10.00 USD to 231771234567".to_string(),
            ": PROCESSING -> COMPLETED".to_string(),
            "✔ payout COMPLETED".to_string(),
            "SUMMARY".to_string(),
            "0 duplicate payments".to_string(),
        ];
        let mut from = 0;
        for needle in &order {
            match text[from..].find(needle.as_str()) {
                Some(at) => from += at + needle.len(),
                None => panic!("{needle:?} missing or out of order in:\n{text}"),
            }
        }
        // Each transition says which channel reported it: the execute call's answer and polls
        // (`poll`), or the sandbox's Supabase Realtime server (`realtime`, collections only;
        // which one wins a race at this settle time is not asserted).
        let transitions: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("status_changed"))
            .collect();
        assert!(transitions.len() >= 5, "{text}");
        for line in &transitions {
            assert!(
                line.ends_with(", poll)") || line.ends_with(", realtime)"),
                "{line}"
            );
        }
        // Step lines are aligned: elapsed right-aligned, labels padded to one width.
        for line in text.lines().filter(|l| l.starts_with("  +")) {
            assert_eq!(line.find(" ms  "), Some(9), "{line}");
            assert!(line.len() > 14 + LABEL_WIDTH, "{line}");
        }
    }

    #[tokio::test]
    async fn a_payment_that_does_not_complete_fails_the_demo() {
        let (result, text) = run_captured(test_numbers::DECLINES).await;
        match result {
            Err(DemoError::NotCompleted { flow, status, .. }) => {
                assert_eq!(flow, "collection");
                assert_eq!(status, ExecutionStatus::Failed);
            }
            other => panic!("expected NotCompleted, got {other:?}\n{text}"),
        }
        assert!(text.contains("✘ collection FAILED"), "{text}");
    }
}
