//! `dollr payouts run FILE.csv`: pay every row of a CSV file exactly once through
//! `Client::bulk_payout` (decision 0016), or check it and predict its fees (`--dry-run`).
//!
//! The file: a header line naming `phone,amount,currency` and optionally `name` and `row_id`
//! (any order, any case; other columns are kept and echoed into the results). A UTF-8 BOM, CRLF
//! line ends, quoted fields and blank lines are fine. Line numbers are the file's (header = 1).
//!
//! Exit status: 0 when every row is `COMPLETED` (dry run: every row valid), 1 when a row is not,
//! 2 when the run refused to start (invalid rows without `--skip-invalid`, missing settings).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use dollr_core::flows::bulk::{batch_id_of, bulk_payout_until, BulkPayoutPlan};
use dollr_core::flows::{
    BulkPayoutReport, BulkPayoutRequest, BulkPayoutRow, BulkProgress, BulkRowResult,
    CurrencyAmount, FlowEvent, FlowOptions, FlowProgress,
};
use dollr_core::{Client, JournalConfig, Secret};
use rust_decimal::Decimal;

/// `dollr payouts …`.
#[derive(Subcommand, Debug)]
pub enum PayoutsCommand {
    /// Pay every row of a CSV file (phone,amount,currency[,name][,row_id]) exactly once: resumable
    /// (run it again to finish), rate-limited, with a results file. `--dry-run` checks the file and
    /// predicts fees without paying.
    Run(RunArgs),
}

/// Options of `dollr payouts run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The CSV file: header `phone,amount,currency,name` (`name` and `row_id` optional; other
    /// columns are echoed into the results).
    pub file: PathBuf,

    /// Check every row and predict fees and totals per currency and operator; send no payout.
    #[arg(long)]
    pub dry_run: bool,

    /// The execution journal that makes re-runs resume: a SQLite file or a postgresql:// URL
    /// (default: FILE.journal.sqlite beside the file). Keep it until the batch is finished.
    #[arg(long, value_name = "PATH|URL")]
    pub journal: Option<String>,

    /// The results file, written as rows finish and rewritten in input order at the end
    /// (default: FILE.results.csv beside the file).
    #[arg(long, value_name = "RESULTS.csv")]
    pub out: Option<PathBuf>,

    /// Rows paid at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: u32,

    /// Pay the valid rows and report the invalid ones INVALID (default: refuse to start).
    #[arg(long)]
    pub skip_invalid: bool,

    /// The batch id the reference ids derive from (default: derived from the file's content, so
    /// an edited file is a new batch). Give one to edit a file and still resume.
    #[arg(long, value_name = "ID")]
    pub batch_id: Option<String>,

    /// Pay again the rows an earlier run saw end FAILED (nothing moved for them).
    #[arg(long)]
    pub retry_failed: bool,

    /// The most API requests per second (default: unpaced until the API answers 429).
    #[arg(long, value_name = "N")]
    pub max_rps: Option<u32>,

    /// A wallet balance you know of, e.g. USD=5000.00 (repeatable): the run warns first when the
    /// batch's total exceeds it (the API has no balance endpoint).
    #[arg(long = "balance", value_name = "CUR=AMOUNT", value_parser = parse_balance)]
    pub balances: Vec<CurrencyAmount>,

    /// The Dollr API (default: DOLLR_BASE_URL, else the real API). Credentials come from
    /// DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET, the payout passcode from DOLLR_PASSCODE.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// The phone the payout passcode is tied to (merchant portal).
    #[arg(long, env = "DOLLR_PASSCODE_PHONE", value_name = "PHONE")]
    pub passcode_phone: Option<String>,

    /// How long each payout may take to settle before it is reported PROCESSING, in seconds.
    #[arg(long, default_value_t = 180, value_name = "SECONDS")]
    pub wait_timeout_secs: u64,

    /// The first interval between status polls, in milliseconds (default: the SDK's).
    #[arg(long, value_name = "MS")]
    pub poll_ms: Option<u64>,
}

fn parse_balance(text: &str) -> Result<CurrencyAmount, String> {
    let (currency, amount) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write CUR=AMOUNT, e.g. USD=5000.00"))?;
    let amount = Decimal::from_str_exact(amount.trim())
        .map_err(|e| format!("{text:?}: {amount:?} is not a decimal amount ({e})"))?;
    Ok(CurrencyAmount {
        currency: currency.trim().to_ascii_uppercase(),
        amount,
    })
}

/// Runs `dollr payouts …`.
pub async fn run(command: PayoutsCommand) -> ExitCode {
    match command {
        PayoutsCommand::Run(args) => match run_file(&args).await {
            Ok(code) => code,
            Err(message) => {
                eprintln!("dollr payouts: {message}");
                ExitCode::from(2)
            }
        },
    }
}

/// One data line of the file.
struct InputRow {
    /// The file's line number (header = 1).
    line: u64,
    /// Its fields, as in the file (trimmed).
    fields: Vec<String>,
    /// The row, or its first problem (field, message).
    parsed: Result<BulkPayoutRow, (String, String)>,
}

/// The file, read.
struct Input {
    headers: Vec<String>,
    rows: Vec<InputRow>,
}

/// The columns the file must have, and those it may have.
const REQUIRED: [&str; 3] = ["phone", "amount", "currency"];

fn read_input(path: &Path) -> Result<Input, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: line 1 (header): {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|name| column(name).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{}: line 1 (header) has no {} column (the header must name phone,amount,currency and may name name,row_id)",
            path.display(),
            missing.join(", ")
        ));
    }
    let (phone, amount, currency) = (column("phone"), column("amount"), column("currency"));
    let (name, row_id) = (column("name"), column("row_id"));
    let mut rows = Vec::new();
    // Line numbers are counted here from each record's byte offset: a line ends with LF, CRLF or
    // a lone CR (the reader's own line count does not follow CRLF files).
    let mut lines = LineCounter::default();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let offset = record.position().map_or(0, csv::Position::byte);
        let line = lines.line_at(bytes, offset);
        let fields: Vec<String> = record.iter().map(str::to_string).collect();
        if fields.iter().all(String::is_empty) {
            continue; // a blank line (or one of separators only)
        }
        let get = |index: Option<usize>| {
            index
                .and_then(|i| fields.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let ordinal = rows.len() + 1;
        let parsed = (|| {
            if fields.len() != headers.len() {
                return Err((
                    "row".to_string(),
                    format!(
                        "{} fields where the header has {}",
                        fields.len(),
                        headers.len()
                    ),
                ));
            }
            let amount_text = get(amount);
            let amount = Decimal::from_str_exact(&amount_text).map_err(|_| {
                (
                    "amount".to_string(),
                    format!("{amount_text:?} is not a decimal amount (write e.g. 1250.50)"),
                )
            })?;
            let optional = |index: Option<usize>| Some(get(index)).filter(|v| !v.is_empty());
            Ok(BulkPayoutRow {
                phone: get(phone).trim_start_matches('+').to_string(),
                amount,
                currency: get(currency).to_ascii_uppercase(),
                name: optional(name),
                // Rows without their own id are identified by their place among the data rows.
                row_id: Some(optional(row_id).unwrap_or_else(|| ordinal.to_string())),
            })
        })();
        rows.push(InputRow {
            line,
            fields,
            parsed,
        });
    }
    Ok(Input { headers, rows })
}

/// The line number of byte offsets met in increasing order.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: u64,
    after_cr: bool,
}

impl LineCounter {
    /// The 1-based line that byte `offset` of `bytes` is on.
    fn line_at(&mut self, bytes: &[u8], offset: u64) -> u64 {
        let end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        for &byte in bytes.get(self.offset..end).unwrap_or_default() {
            match byte {
                b'\n' if self.after_cr => {}
                b'\n' | b'\r' => self.line += 1,
                _ => {}
            }
            self.after_cr = byte == b'\r';
        }
        self.offset = self.offset.max(end);
        self.line + 1
    }
}

/// The journal path beside the file.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_stem().unwrap_or_default().to_os_string();
    name.push(suffix);
    file.with_file_name(name)
}

/// An invalid row: its line, field and message.
struct Problem {
    line: u64,
    field: String,
    message: String,
}

/// The rows handed to the core, with each one's input index, and every problem found (by line).
fn rows_and_problems(input: &Input, request: &BulkPayoutRequest) -> (Vec<usize>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut indexes = Vec::new();
    for (index, row) in input.rows.iter().enumerate() {
        match &row.parsed {
            Ok(_) => indexes.push(index),
            Err((field, message)) => problems.push(Problem {
                line: row.line,
                field: field.clone(),
                message: message.clone(),
            }),
        }
    }
    for issue in request.check_rows() {
        let input_index = indexes[issue.index as usize];
        problems.push(Problem {
            line: input.rows[input_index].line,
            field: issue.field,
            message: issue.message,
        });
    }
    problems.sort_by_key(|p| p.line);
    (indexes, problems)
}

fn passcode_code() -> Option<Secret> {
    std::env::var("DOLLR_PASSCODE")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .map(Secret::new)
}

async fn run_file(args: &RunArgs) -> Result<ExitCode, String> {
    let input = read_input(&args.file)?;
    if input.rows.is_empty() {
        return Err(format!(
            "{}: no data rows under the header: nothing to pay",
            args.file.display()
        ));
    }
    let rows: Vec<BulkPayoutRow> = input
        .rows
        .iter()
        .filter_map(|row| row.parsed.as_ref().ok().cloned())
        .collect();
    let passcode_phone = args.passcode_phone.clone().unwrap_or_default();
    let mut request = BulkPayoutRequest::new(
        rows,
        passcode_code().unwrap_or_else(|| Secret::new("")),
        passcode_phone,
    );
    request.batch_id = args.batch_id.clone();
    request.concurrency = Some(args.concurrency);
    request.max_requests_per_second = args.max_rps;
    request.skip_invalid = args.skip_invalid;
    request.retry_failed = args.retry_failed;
    request.balances = args.balances.clone();
    let (indexes, problems) = rows_and_problems(&input, &request);
    let derived = args.batch_id.is_none();
    let batch_id = args
        .batch_id
        .clone()
        .unwrap_or_else(|| batch_id_of(&request.rows));
    request.batch_id = Some(batch_id.clone());
    println!(
        "{} data row(s) in {}; batch {batch_id}{}",
        input.rows.len(),
        args.file.display(),
        if derived {
            " (derived from the file's content: an edited file is a new batch; pass --batch-id to edit and resume)"
        } else {
            ""
        }
    );
    if !problems.is_empty() {
        println!("invalid rows ({}):", problems.len());
        for problem in &problems {
            println!(
                "  line {}, {}: {}",
                problem.line, problem.field, problem.message
            );
        }
    }
    if args.dry_run {
        return dry_run(args, &request, &input, &problems).await;
    }
    if !problems.is_empty() && !args.skip_invalid {
        return Err(format!(
            "{} invalid row(s): nothing was sent. Fix them, or pay the others with --skip-invalid",
            problems.len()
        ));
    }
    if passcode_code().is_none() {
        return Err("set DOLLR_PASSCODE (the merchant payout passcode)".into());
    }
    if args.passcode_phone.is_none() {
        return Err(
            "set --passcode-phone or DOLLR_PASSCODE_PHONE (the phone the passcode is tied to)"
                .into(),
        );
    }
    let client = connect(args, true)?;
    live_run(args, client, request, input, indexes).await
}

fn connect(args: &RunArgs, with_journal: bool) -> Result<Client, String> {
    let mut builder = Client::builder().sdk_language("cli");
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url.clone());
    }
    if with_journal {
        let journal = match &args.journal {
            Some(text) => JournalConfig::parse(text).map_err(|e| e.to_string())?,
            None => JournalConfig::Sqlite(beside(&args.file, ".journal.sqlite")),
        };
        builder = builder.journal(journal);
    }
    builder.build().map_err(|e| e.to_string())
}

async fn dry_run(
    args: &RunArgs,
    request: &BulkPayoutRequest,
    input: &Input,
    problems: &[Problem],
) -> Result<ExitCode, String> {
    let has_credentials = ["DOLLR_CLIENT_ID", "DOLLR_CLIENT_SECRET"]
        .iter()
        .all(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    let plan = if has_credentials {
        // Predictions read; they execute nothing. The journal is not even opened.
        let client = connect(args, false)?;
        let mut request = request.clone();
        if request.passcode.code.expose().is_empty() {
            // The plan never uses the passcode; a placeholder keeps its checks quiet.
            request.passcode.code = Secret::new("-");
        }
        if request
            .passcode
            .phone
            .as_deref()
            .unwrap_or_default()
            .is_empty()
        {
            request.passcode.phone = Some("231770000000".into());
        }
        match client.bulk_payout_plan(&request).await {
            Ok(plan) => Some(plan),
            Err(error) => {
                println!("fees not predicted: {error}");
                None
            }
        }
    } else {
        println!("fees not predicted: set DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET to ask the API");
        None
    };
    print_plan(request, input, problems, plan.as_ref());
    println!("dry run: nothing was sent");
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_plan(
    request: &BulkPayoutRequest,
    input: &Input,
    problems: &[Problem],
    plan: Option<&BulkPayoutPlan>,
) {
    let valid = input.rows.len() - problems.len();
    println!("{valid} valid row(s) would be paid:");
    match plan {
        Some(plan) => {
            for total in &plan.totals {
                let unpredicted = if total.unpredicted > 0 {
                    format!(" ({} row(s) without a prediction)", total.unpredicted)
                } else {
                    String::new()
                };
                println!(
                    "  {} via {}: {} row(s), {} {}, predicted fees {} {}{unpredicted}",
                    total.currency,
                    total.operator,
                    total.rows,
                    total.amount,
                    total.currency,
                    total.fees,
                    total.currency
                );
            }
            for warning in &plan.warnings {
                println!("warning: {warning}");
            }
        }
        None => {
            let bad: std::collections::HashSet<u64> = problems.iter().map(|p| p.line).collect();
            let mut sums: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
            for row in &input.rows {
                if let (Ok(parsed), false) = (&row.parsed, bad.contains(&row.line)) {
                    let entry = sums.entry(parsed.currency.clone()).or_default();
                    entry.0 += 1;
                    entry.1 += parsed.amount;
                }
            }
            for (currency, (rows, amount)) in sums {
                println!("  {currency}: {rows} row(s), {amount} {currency}");
            }
            let _ = request;
        }
    }
}

/// The results columns after the input's own.
const RESULT_COLUMNS: [&str; 10] = [
    "status",
    "reference_id",
    "payer_amount",
    "payer_currency",
    "payee_amount",
    "payee_currency",
    "fee",
    "provider_transaction_id",
    "error_kind",
    "error",
];

/// Writes the results file.
struct Results {
    writer: csv::Writer<File>,
}

impl Results {
    fn create(path: &Path, headers: &[String]) -> Result<Results, String> {
        let file =
            File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut writer = csv::Writer::from_writer(file);
        let mut header = vec!["line".to_string()];
        header.extend(headers.iter().cloned());
        header.extend(RESULT_COLUMNS.iter().map(|c| c.to_string()));
        writer.write_record(&header).map_err(|e| e.to_string())?;
        writer.flush().map_err(|e| e.to_string())?;
        Ok(Results { writer })
    }

    /// One input row and its result, written whole and flushed (the file is readable mid-run).
    fn write(&mut self, row: &InputRow, result: Option<&BulkRowResult>) -> std::io::Result<()> {
        let mut record = vec![row.line.to_string()];
        record.extend(row.fields.iter().cloned());
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let amount = |value: &Option<Decimal>| value.map(|d| d.to_string()).unwrap_or_default();
        match result {
            Some(r) => record.extend([
                r.status.to_string(),
                text(&r.reference_id),
                amount(&r.payer_amount),
                text(&r.payer_currency),
                amount(&r.payee_amount),
                text(&r.payee_currency),
                amount(&r.fee),
                text(&r.provider_transaction_id),
                text(&r.error_kind),
                text(&r.error_message),
            ]),
            None => {
                let (field, message) = row.parsed.as_ref().err().cloned().unwrap_or_default();
                record.extend([
                    "INVALID".to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    "Validation".to_string(),
                    format!("{field}: {message}"),
                ]);
            }
        }
        self.writer.write_record(&record)?;
        self.writer.flush()
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, a plain line every few seconds
/// otherwise.
struct ProgressPrinter {
    tty: bool,
    last: Option<Instant>,
}

impl ProgressPrinter {
    fn show(&mut self, progress: &BulkProgress) {
        let finished = progress.done == progress.total;
        let every = if self.tty {
            Duration::ZERO
        } else {
            Duration::from_secs(5)
        };
        if !finished && self.last.is_some_and(|at| at.elapsed() < every) {
            return;
        }
        self.last = Some(Instant::now());
        let eta = progress
            .eta
            .map(|eta| format!("ETA {}s", eta.as_secs()))
            .unwrap_or_else(|| "ETA -".into());
        let text = format!(
            "{}/{} done, {} not completed, {} in flight, {:.1} rows/s, {eta}",
            progress.done,
            progress.total,
            progress.failed,
            progress.in_flight,
            progress.rows_per_second
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let width = 30usize;
            let filled = (progress.done as usize * width)
                .checked_div(progress.total as usize)
                .unwrap_or(width);
            let _ = write!(
                err,
                "\r[{}{}] {text}\x1b[K",
                "#".repeat(filled),
                ".".repeat(width - filled.min(width))
            );
            if finished {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(err, "progress: {text}");
        }
    }
}

async fn live_run(
    args: &RunArgs,
    client: Client,
    mut request: BulkPayoutRequest,
    input: Input,
    indexes: Vec<usize>,
) -> Result<ExitCode, String> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| beside(&args.file, ".results.csv"));
    let input = Arc::new(input);
    let indexes = Arc::new(indexes);
    let results = Arc::new(Mutex::new(Results::create(&out, &input.headers)?));
    // The invalid rows are final now: written first.
    for row in input.rows.iter().filter(|row| row.parsed.is_err()) {
        if let Ok(mut results) = results.lock() {
            results
                .write(row, None)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        }
    }
    let printer = Arc::new(Mutex::new(ProgressPrinter {
        tty: std::io::stderr().is_terminal(),
        last: None,
    }));
    let write_failed = Arc::new(Mutex::new(None::<String>));
    let listener = {
        let (input, indexes, results) = (input.clone(), indexes.clone(), results.clone());
        let (printer, write_failed) = (printer.clone(), write_failed.clone());
        move |progress: &FlowProgress| match &progress.event {
            FlowEvent::BulkRowFinished { result } => {
                let Some(row) = indexes
                    .get(result.index as usize)
                    .and_then(|i| input.rows.get(*i))
                else {
                    return;
                };
                if let Ok(mut results) = results.lock() {
                    if let Err(error) = results.write(row, Some(result)) {
                        if let Ok(mut failed) = write_failed.lock() {
                            failed.get_or_insert(error.to_string());
                        }
                    }
                }
            }
            FlowEvent::BulkProgress { progress, .. } => {
                if let Ok(mut printer) = printer.lock() {
                    printer.show(progress);
                }
            }
            FlowEvent::BulkStarted { warnings, .. } => {
                for warning in warnings {
                    eprintln!("warning: {warning}");
                }
            }
            _ => {}
        }
    };
    let mut options = FlowOptions::default()
        .wait_timeout(Duration::from_secs(args.wait_timeout_secs))
        .on_progress(listener);
    if let Some(ms) = args.poll_ms {
        options = options
            .poll_interval(Duration::from_millis(ms.max(1)))
            .max_poll_interval(Duration::from_millis(ms.max(1).saturating_mul(8)));
    }
    request.options = options;
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        eprintln!(
            "\nstopping: no new rows are sent; rows in flight settle (Ctrl-C again quits now; running the same command again resumes)"
        );
        tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    };
    let report = bulk_payout_until(&client, &request, stop)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(error) = write_failed.lock().ok().and_then(|f| f.clone()) {
        eprintln!("warning: the results file could not be written as rows finished: {error}");
    }
    // The final file: every input row, in input order.
    rewrite_in_order(&out, &input, &indexes, &report)?;
    summarize(&report, &out);
    Ok(
        if report.all_completed() && input.rows.iter().all(|r| r.parsed.is_ok()) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

fn rewrite_in_order(
    out: &Path,
    input: &Input,
    indexes: &[usize],
    report: &BulkPayoutReport,
) -> Result<(), String> {
    let mut by_input: Vec<Option<&BulkRowResult>> = vec![None; input.rows.len()];
    for result in &report.rows {
        if let Some(&i) = indexes.get(result.index as usize) {
            by_input[i] = Some(result);
        }
    }
    let mut temp = out.as_os_str().to_os_string();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    {
        let mut results = Results::create(&temp, &input.headers)?;
        for (row, result) in input.rows.iter().zip(by_input) {
            results
                .write(row, result)
                .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
        }
    }
    std::fs::rename(&temp, out).map_err(|e| format!("cannot replace {}: {e}", out.display()))
}

fn summarize(report: &BulkPayoutReport, out: &Path) {
    println!(
        "batch {}: {} completed, {} failed, {} processing, {} unknown, {} invalid, {} not started ({} resumed from the journal, {} rate-limit pauses) in {:.1}s",
        report.batch_id,
        report.completed,
        report.failed,
        report.processing,
        report.unknown,
        report.invalid,
        report.not_started,
        report.resumed,
        report.rate_limited,
        report.elapsed.as_secs_f64()
    );
    for total in &report.totals {
        println!(
            "  {}: paid {} of {} {} ({} of {} rows), fees {} {}",
            total.currency,
            total.paid,
            total.requested,
            total.currency,
            total.completed_rows,
            total.rows,
            total.fees,
            total.currency
        );
    }
    if report.processing + report.unknown + report.not_started + report.failed > 0 {
        println!("run the same command again to resume: finished rows are not paid twice");
    }
    println!("results: {}", out.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_with_lf_crlf_and_cr() {
        let text = b"h\r\na\r\n\r\nb\nc\rd";
        let mut lines = LineCounter::default();
        assert_eq!(lines.line_at(text, 0), 1);
        assert_eq!(lines.line_at(text, 3), 2);
        assert_eq!(lines.line_at(text, 8), 4);
        assert_eq!(lines.line_at(text, 10), 5);
        assert_eq!(lines.line_at(text, 12), 6);
    }

    #[test]
    fn balances_read_as_currency_and_exact_amount() {
        let balance = parse_balance("usd=5000.10").unwrap();
        assert_eq!(balance.currency, "USD");
        assert_eq!(balance.amount, Decimal::new(500_010, 2));
        assert!(parse_balance("USD").is_err());
        assert!(parse_balance("USD=1e3").is_err());
    }
}
