//! The matrix: one sandbox process, every contender as its own long-lived process, interleaved
//! rounds in a seeded shuffled order, the sandbox's counters checked after every round, then the
//! per-call overhead, then the report.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::Value;

use crate::protocol::{Answer, Command as Cmd, OverheadResult, Ready, RoundResult};
use crate::report::{self, ContenderReport, Report, RoundStats, WarmUp};
use crate::stats::{cpu_and_compiler_ns, cpu_ns};

/// `dollr-bench run` options.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Timed flows per contender, split evenly over the rounds (N ≥ 500 for the committed run).
    #[arg(long, default_value_t = 1000)]
    pub flows: usize,
    /// Timed rounds (after the warm-up, which is discarded: `--warm-up-flows`).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Flows each contender runs before its timed rounds, discarded: enough for V8's compilers to
    /// finish the hot paths (the docs' fetch code's CPU per flow settles after ~1,000 collect
    /// flows). Run in chunks of half a round, and cut short by `--warm-up-seconds` for contenders
    /// too slow to need it.
    #[arg(long, default_value_t = 1500)]
    pub warm_up_flows: usize,
    /// At most this long per contender for the warm-up (at least one chunk runs).
    #[arg(long, default_value_t = 10.0)]
    pub warm_up_seconds: f64,
    /// A contender whose runtime has compiler threads of its own (the JVM's C1/C2) warms up on
    /// past `--warm-up-flows` until they are quiet: `QUIET_CHUNKS` chunks and `QUIET_SECONDS` in
    /// a row in which they used at most this share of the process's CPU. HotSpot's C2 goes on
    /// compiling the Kotlin clients' call paths in bursts, at times half the process's CPU, for
    /// ~10,000–25,000 collect flows; counted in the timed rounds, that is the compiler, not the
    /// SDK.
    #[arg(long, default_value_t = 0.05)]
    pub compilers_quiet_share: f64,
    /// At most this long per contender for the warm-up when its compilers are not yet quiet
    /// (the table says so when this cuts a warm-up short).
    #[arg(long, default_value_t = 60.0)]
    pub compilers_quiet_seconds: f64,
    /// Seeds the order of the contenders in each round.
    #[arg(long, default_value_t = 20261121)]
    pub seed: u64,
    /// The `dollr` binary that serves the sandbox (release build).
    #[arg(long, default_value = "target/release/dollr")]
    pub sandbox: PathBuf,
    /// The contenders' interpreters and which contenders run.
    #[command(flatten)]
    pub contenders: Contenders,
    /// Calls per batch of the status-lookup overhead measurement (the validation one makes 10×).
    #[arg(long, default_value_t = 500)]
    pub overhead_calls: usize,
    /// Batches of the overhead measurement (the median batch is reported).
    #[arg(long, default_value_t = 5)]
    pub overhead_batches: usize,
    /// Leave the other contenders' processes running during a contender's per-call batch. By
    /// default they are stopped (`SIGSTOP`) for the batch and continued after it, so no runtime's
    /// timers, collector or compiler runs beside the measured calls: with them running,
    /// dollr.Client's lookup overhead read +13.6 … +42.6 µs batch to batch, and +11.8 … +14.7
    /// with them stopped, in two runs of the same build minutes apart.
    #[arg(long)]
    pub overhead_others_running: bool,
    /// The criterion executable of `bench/benches/overhead.rs` to run after the matrix (short
    /// warm-up and measurement times); empty to skip it.
    #[arg(long, default_value = "")]
    pub criterion_bin: String,
    /// criterion's output directory (`CRITERION_HOME`), read for the report.
    #[arg(long, default_value = "target/bench/criterion")]
    pub criterion: PathBuf,
    /// Where to write the report (markdown).
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
    /// Seconds of the build step before this run, for the report (`make bench` measures it).
    #[arg(long)]
    pub build_seconds: Option<f64>,
    /// Directory for the contenders' stderr logs.
    #[arg(long, default_value = "target/bench/logs")]
    pub logs: PathBuf,
    /// A row measured by its own step of the same `make bench` (`TITLE=PATH` of the markdown it
    /// wrote, e.g. `Resident memory=target/bench/memory.md`), placed in the generated section
    /// after the matrix, so one committed run carries every figure; repeatable.
    #[arg(long = "row", value_parser = parse_row)]
    pub rows: Vec<Row>,
}

/// A separately measured row of the report (`--row`).
#[derive(Debug, Clone)]
pub struct Row {
    pub title: String,
    pub path: PathBuf,
}

fn parse_row(text: &str) -> Result<Row, String> {
    match text.split_once('=') {
        Some((title, path)) if !title.trim().is_empty() && !path.trim().is_empty() => Ok(Row {
            title: title.trim().to_string(),
            path: PathBuf::from(path.trim()),
        }),
        _ => Err(format!("expected TITLE=PATH, got {text:?}")),
    }
}

/// Where the contenders' interpreters are and which contenders run (`run` and `callgrind`).
#[derive(Debug, Clone, clap::Args)]
pub struct Contenders {
    /// Python interpreter with `requests`, `httpx` and `dollr` installed; contenders whose import
    /// fails are reported as not built.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Node.js.
    #[arg(long, default_value = "node")]
    pub node: String,
    /// The Kotlin contender's command line (whitespace-separated), if the Kotlin package is built.
    #[arg(long)]
    pub kotlin: Option<String>,
    /// Why the Kotlin contender is absent (shown in the table when `--kotlin` is not given).
    #[arg(long, default_value = "the Kotlin package is not built")]
    pub kotlin_missing: String,
    /// Only these contenders (comma-separated ids, e.g. `rust-limit-1,py-dollr-1`).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// A contender of the matrix.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Stable id (`py-httpx-async-64`).
    pub id: String,
    /// What the table shows.
    pub label: String,
    /// `Rust`, `Python`, `Node`, `Kotlin`.
    pub language: &'static str,
    /// Flows in flight at once.
    pub concurrency: usize,
    /// The command, `{URL}` replaced by the sandbox's base URL.
    pub command: Vec<String>,
    /// Whether it has a client-side validation to measure (SDK contenders).
    pub sdk: bool,
    /// Set when the contender cannot run at all (shown instead of figures).
    pub missing: Option<String>,
}

/// Every contender, in table order.
pub fn matrix(args: &Contenders, self_exe: &Path) -> Vec<Spec> {
    let exe = self_exe.display().to_string();
    let mut specs = Vec::new();
    let mut add = |id: String,
                   label: &str,
                   language: &'static str,
                   concurrency: usize,
                   command: Vec<String>,
                   sdk: bool,
                   missing: Option<String>| {
        specs.push(Spec {
            id,
            label: label.to_string(),
            language,
            concurrency,
            command,
            sdk,
            missing,
        })
    };
    for c in [1, 64] {
        for (kind, label, sdk) in [
            ("limit", "limit: hand-written reqwest", false),
            ("core", "dollr-core", true),
        ] {
            add(
                format!("rust-{kind}-{c}"),
                label,
                "Rust",
                c,
                vec![
                    exe.clone(),
                    "contender".into(),
                    kind.into(),
                    "--url".into(),
                    "{URL}".into(),
                    "--concurrency".into(),
                    c.to_string(),
                ],
                sdk,
                None,
            );
        }
    }
    let python = |kind: &str, c: usize| {
        vec![
            args.python.clone(),
            "bench/python/contender.py".into(),
            "--kind".into(),
            kind.into(),
            "--url".into(),
            "{URL}".into(),
            "--concurrency".into(),
            c.to_string(),
        ]
    };
    for (kind, label, sdk) in [
        (
            "docs-requests",
            "docs' code: module-level requests.post",
            false,
        ),
        ("requests-session", "requests.Session", false),
        ("httpx", "httpx.Client", false),
        ("dollr", "dollr.Client", true),
    ] {
        add(
            format!("py-{kind}-1"),
            label,
            "Python",
            1,
            python(kind, 1),
            sdk,
            None,
        );
    }
    for c in [1, 16, 64] {
        for (kind, label, sdk) in [
            ("httpx-async", "httpx.AsyncClient", false),
            ("dollr-async", "dollr.AsyncClient", true),
        ] {
            add(
                format!("py-{kind}-{c}"),
                label,
                "Python",
                c,
                python(kind, c),
                sdk,
                None,
            );
        }
    }
    for c in [1, 64] {
        for (kind, label, sdk) in [
            ("fetch", "docs' code: fetch", false),
            ("native", "dollr-native", true),
            ("wasm", "dollr-native (wasm engine)", true),
        ] {
            add(
                format!("node-{kind}-{c}"),
                label,
                "Node",
                c,
                vec![
                    args.node.clone(),
                    // `collect_garbage` (the memory row) calls V8's gc().
                    "--expose-gc".into(),
                    "bench/node/contender.mjs".into(),
                    "--kind".into(),
                    kind.into(),
                    "--url".into(),
                    "{URL}".into(),
                    "--concurrency".into(),
                    c.to_string(),
                ],
                sdk,
                None,
            );
        }
    }
    let (kotlin, missing) = match &args.kotlin {
        Some(command) => {
            let mut words: Vec<String> = command.split_whitespace().map(String::from).collect();
            words.extend(["--url".into(), "{URL}".into()]);
            (words, None)
        }
        None => (Vec::new(), Some(args.kotlin_missing.clone())),
    };
    // The same contender program for both of the package's clients.
    let blocking: Vec<String> = match kotlin.is_empty() {
        true => Vec::new(),
        false => kotlin
            .iter()
            .cloned()
            .chain(["--client".into(), "blocking".into()])
            .collect(),
    };
    add(
        "kotlin-uniffi-1".into(),
        "dollr Kotlin (uniffi, suspend)",
        "Kotlin",
        1,
        kotlin,
        true,
        missing.clone(),
    );
    add(
        "kotlin-blocking-1".into(),
        "dollr Kotlin (uniffi, blocking client)",
        "Kotlin",
        1,
        blocking,
        true,
        missing,
    );
    if !args.only.is_empty() {
        specs.retain(|s| args.only.iter().any(|o| o == &s.id));
    }
    specs
}

/// The sandbox process, stopped on drop.
pub(crate) struct SandboxProcess {
    child: Child,
    pub(crate) url: String,
}

impl SandboxProcess {
    /// The sandbox's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn start(binary: &Path) -> Result<SandboxProcess> {
        let mut child = Command::new(binary)
            .args(["sandbox", "--port", "0", "--settle-ms", "0", "--seed", "7"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} sandbox", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the sandbox's stdout"))?;
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("the sandbox printed {first:?} instead of its URL"))?
            .to_string();
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.lines() {});
        Ok(SandboxProcess { child, url })
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a one-contender-at-a-time row (`callgrind`, `memory`) starts from: its contenders
/// (`defaults` unless `--only` names others), its logs directory, and one release sandbox with its
/// control endpoints.
pub(crate) fn start_row(
    contenders: &Contenders,
    defaults: &[&str],
    logs: &Path,
    sandbox: &Path,
) -> Result<(Vec<Spec>, SandboxProcess, Control)> {
    let mut contenders = contenders.clone();
    if contenders.only.is_empty() {
        contenders.only = defaults.iter().map(|id| id.to_string()).collect();
    }
    std::fs::create_dir_all(logs)?;
    let specs = matrix(&contenders, &std::env::current_exe()?);
    let sandbox = SandboxProcess::start(sandbox)?;
    let control = Control::new(&sandbox.url)?;
    Ok((specs, sandbox, control))
}

/// Runs `measure` on every contender that can run, in order: the results, and the contenders
/// not measured with the reason (not built, or the measurement's error). Shared by the
/// one-contender-at-a-time rows (`callgrind`, `memory`).
pub(crate) fn measure_each<T>(
    specs: &[Spec],
    row: &str,
    mut measure: impl FnMut(&Spec) -> Result<T>,
) -> (Vec<T>, Vec<(String, String)>) {
    let mut measured = Vec::new();
    let mut missing = Vec::new();
    for spec in specs {
        if let Some(reason) = &spec.missing {
            missing.push((spec.id.clone(), reason.clone()));
            continue;
        }
        match measure(spec) {
            Ok(result) => measured.push(result),
            Err(error) => {
                eprintln!("{row}: {}: {error:#}", spec.id);
                missing.push((spec.id.clone(), format!("{error:#}")));
            }
        }
    }
    (measured, missing)
}

/// Writes a row's markdown table to `out` (creating its directory) and prints it.
pub(crate) fn write_table(out: &Path, table: &str) -> Result<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, table).with_context(|| format!("writing {}", out.display()))?;
    println!("{table}");
    Ok(())
}

/// Contenders' processes stopped (`SIGSTOP`) until this is dropped (`SIGCONT`).
struct Paused(Vec<u32>);

impl Paused {
    /// Stops every process of `pids` but `measured`.
    fn all_but(pids: &[u32], measured: u32) -> Paused {
        let paused: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|&pid| pid != measured)
            .collect();
        signal("-STOP", &paused);
        Paused(paused)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        signal("-CONT", &self.0);
    }
}

/// Sends `signal` (`kill`'s spelling) to `pids`, with one `kill` process for all of them.
fn signal(signal: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let sent = Command::new("kill")
        .arg(signal)
        .args(pids.iter().map(u32::to_string))
        .status();
    if !matches!(sent, Ok(status) if status.success()) {
        eprintln!("bench: kill {signal} of the other contenders failed: {sent:?}");
    }
}

/// A running contender.
pub(crate) struct Running {
    spec: Spec,
    child: Child,
    /// `None` once closed (which tells the contender to exit).
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    versions: serde_json::Map<String, Value>,
}

impl Running {
    /// Starts `spec`'s command and waits up to `ready_within` for its ready line.
    pub(crate) fn start(
        spec: &Spec,
        url: &str,
        logs: &Path,
        ready_within: Duration,
    ) -> Result<Running> {
        let [program, rest @ ..] = spec.command.as_slice() else {
            bail!("no command");
        };
        let log = File::create(logs.join(format!("{}.log", spec.id)))?;
        let mut child = Command::new(program)
            .args(rest.iter().map(|a| a.replace("{URL}", url)))
            // A process group of its own: should the driver die while the contender is stopped
            // (`Paused`, e.g. `make bench` interrupted during a per-call batch), its group is
            // orphaned with a stopped member, so the kernel sends it SIGHUP and SIGCONT; it then
            // ends (by SIGHUP, or under `nohup` at the EOF of its stdin) instead of staying
            // stopped for ever. A running contender ends at that EOF either way.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow!("stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("stdout"))?;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(line) if line.trim_start().starts_with('{') => {
                        if sender.send(line).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {} // stray output (a library's print) is not the protocol
                    Err(_) => return,
                }
            }
        });
        let mut running = Running {
            spec: spec.clone(),
            child,
            stdin: Some(stdin),
            lines,
            versions: Default::default(),
        };
        let ready: Ready = running.receive(ready_within)?;
        if !ready.ready {
            bail!(
                "{}",
                ready
                    .error
                    .unwrap_or_else(|| "not ready (no reason given)".into())
            );
        }
        running.versions = ready.versions;
        Ok(running)
    }

    fn receive<T: serde::de::DeserializeOwned>(&mut self, timeout: Duration) -> Result<T> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => serde_json::from_str(&line)
                .with_context(|| format!("{} answered {line:?}", self.spec.id)),
            Err(RecvTimeoutError::Timeout) => bail!("no answer within {timeout:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                bail!("the process ended ({status:?}); see its log")
            }
        }
    }

    pub(crate) fn ask<T: serde::de::DeserializeOwned>(
        &mut self,
        command: &Cmd,
        timeout: Duration,
    ) -> Result<T> {
        let mut line = serde_json::to_string(command)?;
        line.push('\n');
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| anyhow!("stdin already closed"))?;
        stdin.write_all(line.as_bytes())?;
        stdin.flush()?;
        self.receive(timeout)
    }
}

impl Running {
    /// The contender's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes the contender's stdin (its signal to exit) and waits up to `within` for it to end
    /// on its own: a process under valgrind writes its profile only when it exits normally.
    pub(crate) fn finish(mut self, within: Duration) -> Result<std::process::ExitStatus> {
        drop(self.stdin.take());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} did not exit within {within:?} of its stdin closing",
                    self.spec.id
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Closing stdin ends a contender; kill what did not notice.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sandbox's control endpoints (`/_sandbox/reset`, `/_sandbox/stats`), called between rounds.
pub(crate) struct Control {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

impl Control {
    pub(crate) fn new(base: &str) -> Result<Control> {
        Ok(Control {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            http: reqwest::Client::new(),
            base: base.to_string(),
        })
    }

    fn call(&self, method: reqwest::Method, path: &str) -> Result<Value> {
        self.runtime.block_on(async {
            Ok(self
                .http
                .request(method, format!("{}{path}", self.base))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?)
        })
    }

    /// Data, stats and logs back to the start (tokens and settings kept): every contender's round
    /// meets the same empty sandbox, and its counters are that round's alone.
    pub(crate) fn reset(&self) -> Result<()> {
        self.call(reqwest::Method::POST, "/_sandbox/reset")?;
        Ok(())
    }

    pub(crate) fn stats(&self) -> Result<Value> {
        self.call(reqwest::Method::GET, "/_sandbox/stats")
    }
}

/// What the sandbox saw during one round; refuses a round that skipped or failed a payment.
pub(crate) fn check_round(stats: &Value, flows: usize) -> Result<(u64, u64)> {
    let number = |pointer: &str| stats.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    let created = number("/executions/created");
    let completed = number("/executions/by_status/COMPLETED");
    let duplicates = number("/duplicate_payments");
    if created != flows as u64 || completed != flows as u64 || duplicates != 0 {
        bail!(
            "the sandbox saw {created} executions created, {completed} completed, {duplicates} duplicates for {flows} flows"
        );
    }
    Ok((number("/requests/total"), number("/token_requests")))
}

/// Requests of one flow besides its status polls: party, counterparty, invoice, item, publish,
/// MMO prediction, checkout session, payment account, execution.
pub(crate) const REQUESTS_PER_FLOW: usize = 9;

fn round_timeout(flows: usize) -> Duration {
    // Generous: the slowest contender makes about 60 flows/s.
    Duration::from_secs(120 + flows as u64)
}

/// How long, and in at least how many consecutive warm-up chunks, a runtime's compiler threads
/// must have been quiet (`--compilers-quiet-share`) for its warm-up to end: C2 works in bursts
/// with quiet spells between them, up to ~2 s long in a probe of the blocking Kotlin client.
pub(crate) const QUIET_SECONDS: f64 = 3.0;
pub(crate) const QUIET_CHUNKS: usize = 5;

/// CPU time (ns) used during one round.
#[derive(Clone, Copy, Debug)]
struct RoundCpu {
    /// Every thread of the contender's process.
    client: u64,
    /// The contender's JIT compiler threads (included in `client`; `stats::cpu_and_compiler_ns`).
    compilers: u64,
    /// The sandbox process.
    sandbox: u64,
}

/// One round of `flows` flows of `contender` on a freshly reset sandbox, checked against what the
/// sandbox saw: the contender's answer, the requests and token requests served, and the CPU time
/// of the contender's and the sandbox's processes meanwhile.
fn one_round(
    contender: &mut Running,
    control: &Control,
    sandbox: &SandboxProcess,
    flows: usize,
) -> Result<(RoundResult, u64, u64, RoundCpu)> {
    control.reset()?;
    let (client, sandbox_pid) = (contender.child.id(), sandbox.child.id());
    let (client_before, compilers_before) = cpu_and_compiler_ns(client);
    let sandbox_before = cpu_ns(sandbox_pid);
    let result = contender.ask::<RoundResult>(&Cmd::Round { flows }, round_timeout(flows))?;
    let (client_after, compilers_after) = cpu_and_compiler_ns(client);
    let cpu = RoundCpu {
        client: client_after.saturating_sub(client_before),
        compilers: compilers_after.saturating_sub(compilers_before),
        sandbox: cpu_ns(sandbox_pid).saturating_sub(sandbox_before),
    };
    if let Some(reason) = result.failure() {
        bail!("{reason}");
    }
    let (requests, tokens) = check_round(&control.stats()?, flows)?;
    // Exactly the quickstart's requests: 9 per flow plus the status polls.
    let expected = (REQUESTS_PER_FLOW * flows + result.polls) as u64;
    // The token is obtained once per client: before the rounds, or lazily in the warm-up by the
    // SDKs; it is reported, not counted as a flow's request.
    if requests - tokens != expected {
        bail!(
            "the sandbox served {requests} requests; {flows} flows with {} polls make {expected}",
            result.polls
        );
    }
    Ok((result, requests, tokens, cpu))
}

/// Runs the whole matrix and writes the report.
pub fn run(args: RunArgs) -> Result<()> {
    if args.flows < args.rounds || args.rounds == 0 {
        bail!("--flows must be at least --rounds (and --rounds at least 1)");
    }
    let started = Instant::now();
    let per_round = args.flows / args.rounds;
    // The warm-up's chunk: enough to open the connections, obtain the lazy tokens and fill every
    // worker of the widest contender; repeated up to `--warm-up-flows` (the compilers' share).
    let warm_up = (per_round / 2).max(1);
    let warm_up_time = Duration::from_secs_f64(args.warm_up_seconds.max(0.0));
    let compilers_time = Duration::from_secs_f64(args.compilers_quiet_seconds.max(0.0));
    std::fs::create_dir_all(&args.logs)?;
    let self_exe = std::env::current_exe()?;
    let specs = matrix(&args.contenders, &self_exe);
    let load_before = report::load_average();

    let sandbox = SandboxProcess::start(&args.sandbox)?;
    let control = Control::new(&sandbox.url)?;
    eprintln!(
        "bench: sandbox {} (settle 0 ms, no faults); {} contenders, warm-up of up to {} flows or {:.0} s in chunks of {}, then {} rounds × {} flows",
        sandbox.url,
        specs.len(),
        args.warm_up_flows,
        args.warm_up_seconds,
        warm_up,
        args.rounds,
        per_round
    );

    let mut reports: BTreeMap<String, ContenderReport> = BTreeMap::new();
    let mut running: Vec<Running> = Vec::new();
    for spec in &specs {
        let mut entry = ContenderReport::new(spec);
        if entry.missing.is_none() {
            match Running::start(spec, &sandbox.url, &args.logs, Duration::from_secs(120)) {
                Ok(process) => {
                    entry.versions = process.versions.clone();
                    running.push(process);
                }
                Err(error) => {
                    eprintln!("bench: {} not started: {error:#}", spec.id);
                    entry.missing = Some(first_line(&format!("{error:#}")));
                }
            }
        }
        reports.insert(spec.id.clone(), entry);
    }

    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    for round in 0..=args.rounds {
        let mut order: Vec<usize> = (0..running.len()).collect();
        order.shuffle(&mut rng);
        let label = if round == 0 {
            "warm-up".to_string()
        } else {
            format!("round {round}/{}", args.rounds)
        };
        eprintln!("bench: {label}");
        for index in order {
            let contender = &mut running[index];
            let id = contender.spec.id.clone();
            let Some(entry) = reports.get_mut(&id) else {
                continue;
            };
            if entry.failed.is_some() {
                continue;
            }
            if round == 0 {
                // Chunks until the warm-up's flows or time run out, and on while the runtime's
                // own compiler threads are still busy (at most `compilers_time`); discarded, but
                // their CPU per flow is reported (what a process pays before its compilers have
                // finished).
                let began = Instant::now();
                let mut warm = WarmUp::default();
                let (mut quiet_chunks, mut quiet_seconds) = (0, 0.0);
                let quiet = |chunks: usize, seconds: f64| {
                    chunks >= QUIET_CHUNKS && seconds >= QUIET_SECONDS
                };
                loop {
                    let elapsed = began.elapsed();
                    let flows_due = warm.flows < args.warm_up_flows && elapsed < warm_up_time;
                    let compilers_busy = warm.compiler_cpu_ns > 0
                        && !quiet(quiet_chunks, quiet_seconds)
                        && elapsed < compilers_time;
                    if warm.flows > 0 && !flows_due && !compilers_busy {
                        break;
                    }
                    match one_round(contender, &control, &sandbox, warm_up) {
                        Ok((result, _, _, cpu)) => {
                            warm.flows += result.flows;
                            warm.seconds += result.seconds;
                            warm.client_cpu_ns += cpu.client;
                            warm.compiler_cpu_ns += cpu.compilers;
                            let share = cpu.compilers as f64 / cpu.client.max(1) as f64;
                            (quiet_chunks, quiet_seconds) = if share <= args.compilers_quiet_share {
                                (quiet_chunks + 1, quiet_seconds + result.seconds)
                            } else {
                                (0, 0.0)
                            };
                        }
                        Err(error) => {
                            eprintln!("bench: {id} failed: {error:#}");
                            entry.failed = Some(first_line(&format!("{error:#}")));
                            break;
                        }
                    }
                }
                warm.compilers_quiet =
                    (warm.compiler_cpu_ns > 0).then_some(quiet(quiet_chunks, quiet_seconds));
                eprintln!(
                    "  {id:<24} {:>9.1} flows/s  warm-up: {} flows, {:.0} µs CPU/flow{}",
                    warm.flows as f64 / warm.seconds.max(f64::MIN_POSITIVE),
                    warm.flows,
                    warm.client_cpu_ns as f64 / 1000.0 / warm.flows.max(1) as f64,
                    match warm.compilers_quiet {
                        Some(true) => ", compilers quiet",
                        Some(false) => ", compilers still busy",
                        None => "",
                    }
                );
                entry.warm_up = Some(warm);
                continue;
            }
            match one_round(contender, &control, &sandbox, per_round) {
                Ok((result, requests, tokens, cpu)) => {
                    let fps = result.flows as f64 / result.seconds;
                    eprintln!(
                        "  {id:<24} {fps:>9.1} flows/s  {:.2} req/flow",
                        requests as f64 / per_round as f64
                    );
                    entry.rounds.push(RoundStats {
                        flows: result.flows,
                        seconds: result.seconds,
                        requests,
                        token_requests: tokens,
                        client_cpu_ns: cpu.client,
                        compiler_cpu_ns: cpu.compilers,
                        sandbox_cpu_ns: cpu.sandbox,
                    });
                    entry.latencies_us.extend(result.lat_us);
                }
                Err(error) => {
                    eprintln!("bench: {id} failed: {error:#}");
                    entry.failed = Some(first_line(&format!("{error:#}")));
                }
            }
        }
    }

    // One batch of each sequential contender in turn, `overhead_batches` times (as the rounds are
    // interleaved): what the machine does meanwhile falls on every contender alike, and batch *i*
    // of a binding can be set against batch *i* of dollr-core. The others are stopped meanwhile
    // (`--overhead-others-running`).
    eprintln!("bench: per-call overhead");
    let pids: Vec<u32> = running.iter().map(Running::pid).collect();
    for batch in 0..args.overhead_batches.max(1) {
        for contender in &mut running {
            let id = contender.spec.id.clone();
            // One process per language/client is enough: the sequential ones.
            if contender.spec.concurrency != 1 {
                continue;
            }
            let Some(entry) = reports.get_mut(&id) else {
                continue;
            };
            if entry.failed.is_some() || entry.overhead_failed.is_some() {
                continue;
            }
            control.reset()?;
            let _paused =
                (!args.overhead_others_running).then(|| Paused::all_but(&pids, contender.pid()));
            let result = contender.ask::<OverheadResult>(
                &Cmd::Overhead {
                    calls: args.overhead_calls,
                    batches: 1,
                },
                Duration::from_secs(600),
            );
            match result {
                Ok(result) if result.ok => {
                    eprintln!(
                        "  {id:<24} batch {} status {:>8.1} µs/call ({} µs CPU)  validation {}",
                        batch + 1,
                        result.status_us.unwrap_or(f64::NAN),
                        result
                            .status_cpu_us
                            .map(|v| format!("{v:.1}"))
                            .unwrap_or_else(|| "-".into()),
                        result
                            .validation_us
                            .map(|v| format!("{v:.2} µs/call"))
                            .unwrap_or_else(|| "-".into())
                    );
                    entry.overhead_batches.push(result);
                }
                Ok(result) => {
                    let why = result.error.unwrap_or_default();
                    eprintln!("bench: {id} overhead failed: {why}");
                    entry.overhead_failed = Some(why);
                }
                Err(error) => {
                    eprintln!("bench: {id} overhead failed: {error:#}");
                    entry.overhead_failed = Some(first_line(&format!("{error:#}")));
                }
            }
        }
    }
    drop(running);
    drop(sandbox);
    if !args.criterion_bin.is_empty() {
        run_criterion(&args);
    }

    let report = Report {
        args: args.clone(),
        per_round,
        warm_up,
        contenders: specs.iter().filter_map(|s| reports.remove(&s.id)).collect(),
        load_before,
        load_after: report::load_average(),
        run_seconds: started.elapsed().as_secs_f64(),
        criterion: report::criterion_estimates(&args.criterion),
    };
    let markdown = report.markdown();
    std::fs::write(&args.out, &markdown)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("{}", report.summary());
    eprintln!(
        "bench: wrote {} ({:.0} s)",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The Rust micro-benchmarks (criterion, its own in-process sandbox), after the matrix so they
/// never overlap it. A failure is reported, not fatal: the matrix is the point.
fn run_criterion(args: &RunArgs) {
    eprintln!("bench: criterion micro-benchmarks ({})", args.criterion_bin);
    // Only this run's figures: criterion keeps earlier ones to compare with.
    let _ = std::fs::remove_dir_all(args.criterion.join("overhead"));
    let status = Command::new(&args.criterion_bin)
        .args([
            "--bench",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
            "--noplot",
        ])
        .env("CRITERION_HOME", &args.criterion)
        .stdin(Stdio::null())
        // stdout carries the summary table: criterion's lines go to stderr with the progress.
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit())
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("bench: criterion ended with {status}"),
        Err(error) => eprintln!("bench: criterion did not start: {error}"),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_a_title_and_a_path() {
        let row = parse_row("Resident memory=target/bench/memory.md").expect("a row");
        assert_eq!(row.title, "Resident memory");
        assert_eq!(row.path, PathBuf::from("target/bench/memory.md"));
        assert!(parse_row("target/bench/memory.md").is_err());
        assert!(parse_row("=target/bench/memory.md").is_err());
        assert!(parse_row("Title=").is_err());
    }

    /// The state letter of process `pid` (`/proc/PID/stat`), `None` once it is gone or a zombie.
    fn live_state(pid: u32) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat.rsplit_once(") ")?.1.chars().next()?;
        (state != 'Z').then_some(state)
    }

    /// Set in the copy of this test binary that plays the driver.
    const DRIVER_ROLE: &str = "DOLLR_BENCH_TEST_DRIVER_ROLE";

    #[test]
    fn a_stopped_contender_ends_when_the_driver_dies() {
        let name = "driver::tests::a_stopped_contender_ends_when_the_driver_dies";
        if let Some(logs) = std::env::var_os(DRIVER_ROLE) {
            // The driver: starts a contender as `make bench` does, stops it for a "batch",
            // says which process it is, and waits to be killed.
            let logs = PathBuf::from(logs);
            let spec = Spec {
                id: "stopped".into(),
                label: "stopped".into(),
                language: "Rust",
                concurrency: 1,
                command: ["sh", "-c", "echo '{\"ready\": true}'; exec cat"]
                    .map(String::from)
                    .to_vec(),
                sdk: false,
                missing: None,
            };
            let running =
                Running::start(&spec, "http://127.0.0.1:1", &logs, Duration::from_secs(60))
                    .expect("started");
            let _paused = Paused::all_but(&[running.pid()], 0);
            println!("contender={}", running.pid());
            std::thread::sleep(Duration::from_secs(600));
            return;
        }
        let logs = std::env::temp_dir().join(format!("dollr-bench-{}", std::process::id()));
        std::fs::create_dir_all(&logs).expect("logs");
        let mut driver = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(DRIVER_ROLE, &logs)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the driver");
        let mut contender = None;
        for line in BufReader::new(driver.stdout.take().expect("stdout")).lines() {
            let line = line.expect("the driver's output");
            // The harness prints the test's name on the same line before it.
            if let Some((_, pid)) = line.split_once("contender=") {
                contender = Some(pid.parse::<u32>().expect("a pid"));
                break;
            }
        }
        let contender = contender.expect("the driver named its contender");
        let deadline = Instant::now() + Duration::from_secs(60);
        while live_state(contender) != Some('T') {
            assert!(Instant::now() < deadline, "the contender was not stopped");
            std::thread::sleep(Duration::from_millis(10));
        }
        driver.kill().expect("killed");
        driver.wait().expect("reaped");
        while let Some(state) = live_state(contender) {
            assert!(
                Instant::now() < deadline,
                "a stopped contender outlived its driver (state {state})"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(&logs);
    }
}
