//! `dollr-bench callgrind`: instructions per flow of each sequential contender, counted by
//! valgrind's callgrind — the figure that noise cannot move (#19).
//!
//! Wall and CPU time on a 2-vCPU VM move with whatever else the machine does; instruction counts
//! do not: the same binary doing the same work executes the same instructions. Each contender runs
//! twice under `valgrind --tool=callgrind` against one release sandbox (not under valgrind): once
//! with a warm-up round only, once with the warm-up and then `--flows` flows. The difference of
//! the two totals, divided by the flows, is what one flow costs the client process — start-up,
//! imports, connection set-up and the token are in both runs and cancel out. The pair is repeated
//! `--repeats` times and the spread shown, so the reader can see that the figure holds still.
//! Every round is checked against the sandbox's counters, as in `dollr-bench run`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::driver::{
    check_round, measure_each, start_row, write_table, Contenders, Control, Running, Spec,
    REQUESTS_PER_FLOW,
};
use crate::protocol::{Answer, Command as Cmd, RoundResult};

/// `dollr-bench callgrind` options.
#[derive(Debug, Clone, clap::Args)]
pub struct CallgrindArgs {
    /// The `dollr` binary that serves the sandbox (release build; not run under valgrind).
    #[arg(long, default_value = "target/release/dollr")]
    pub sandbox: PathBuf,
    #[command(flatten)]
    pub contenders: Contenders,
    /// Flows counted per run (after the warm-up).
    #[arg(long, default_value_t = 20)]
    pub flows: usize,
    /// Warm-up flows in both runs (connections, lazy token, caches).
    #[arg(long, default_value_t = 30)]
    pub warm_up: usize,
    /// Warm-up flows in both runs for the contenders whose JavaScript V8 compiles as it runs
    /// (`LONG_WARM_UP`): after 30 flows V8 is still optimizing, and its compiling counted
    /// ~2.7M of dollr-native's 4.1M instructions per flow; after 300, ~1.3M remain.
    #[arg(long, default_value_t = 300)]
    pub jit_warm_up: usize,
    /// Flows counted for the `LONG_WARM_UP` contenders: one optimizing compile V8 still makes
    /// falls in the counted flows of one run and not of another (over 20 counted flows two repeats
    /// of dollr-native differed by 27–48 %); more flows make it a small part of each.
    #[arg(long, default_value_t = 200)]
    pub jit_flows: usize,
    /// How many times each pair of runs is repeated (the spread is reported).
    #[arg(long, default_value_t = 2)]
    pub repeats: usize,
    /// Where to write the table (markdown).
    #[arg(long, default_value = "target/bench/callgrind.md")]
    pub out: PathBuf,
    /// Directory for the contenders' stderr logs and callgrind's profiles.
    #[arg(long, default_value = "target/bench/callgrind")]
    pub logs: PathBuf,
}

/// The contenders measured when `--only` is not given: one request at a time, so the count is
/// the pipeline's and not the scheduler's (the JVM is left out: valgrind makes its start-up take
/// minutes); and dollr-core beside its floor at 64 in flight, #19's second line (valgrind runs
/// one thread at a time, so this counts the work of 64 flows in flight, not their contention).
const DEFAULT_CONTENDERS: &[&str] = &[
    "rust-limit-1",
    "rust-core-1",
    "rust-limit-64",
    "rust-core-64",
    "py-httpx-1",
    "py-dollr-1",
    "node-fetch-1",
    "node-native-1",
    "node-wasm-1",
];

/// The contenders warmed up for `--jit-warm-up` flows and counted over `--jit-flows` rather than
/// `--warm-up` and `--flows`: Node's, whose JavaScript V8 optimizes as it runs. Not the
/// WebAssembly engine: at ~48M instructions per flow, 300 warm-up flows would take ~20 minutes
/// under valgrind; the table says that V8's compiling is in its count.
const LONG_WARM_UP: &[&str] = &["node-fetch-1", "node-native-1"];

/// Under valgrind everything runs 20–100× slower than natively.
const READY_WITHIN: Duration = Duration::from_secs(600);
const ROUND_WITHIN: Duration = Duration::from_secs(1800);
const EXIT_WITHIN: Duration = Duration::from_secs(300);

/// One contender's result.
struct Measured {
    spec: Spec,
    /// Instructions per flow, one value per repeat.
    per_flow: Vec<f64>,
    /// Requests per flow, from the sandbox's counters.
    requests_per_flow: f64,
}

pub fn run(args: CallgrindArgs) -> Result<()> {
    if args.flows == 0 || args.jit_flows == 0 {
        bail!("--flows and --jit-flows must be at least 1");
    }
    let valgrind = Command::new("valgrind").arg("--version").output();
    if !matches!(&valgrind, Ok(output) if output.status.success()) {
        bail!("valgrind is not installed (apt-get install valgrind)");
    }
    let (specs, sandbox, control) = start_row(
        &args.contenders,
        DEFAULT_CONTENDERS,
        &args.logs,
        &args.sandbox,
    )?;
    eprintln!(
        "callgrind: sandbox {}; {} contenders, {} repeats of (warm-up W | warm-up W + N flows), W = {}, N = {} ({} and {} for {})",
        sandbox.url,
        specs.len(),
        args.repeats,
        args.warm_up,
        args.flows,
        args.jit_warm_up,
        args.jit_flows,
        LONG_WARM_UP.join(", ")
    );

    let (measured, missing) = measure_each(&specs, "callgrind", |spec| {
        let result = measure(spec, &args, &sandbox.url, &control)?;
        eprintln!(
            "callgrind: {}: {:.0} instructions per flow",
            spec.id,
            crate::stats::median(&result.per_flow)
        );
        Ok(result)
    });
    write_table(&args.out, &report(&measured, &missing, &args))
}

fn measure(spec: &Spec, args: &CallgrindArgs, url: &str, control: &Control) -> Result<Measured> {
    let mut per_flow = Vec::new();
    let mut requests_per_flow = 0.0;
    let (warm_up, flows) = rounds_of(spec, args);
    for repeat in 0..args.repeats.max(1) {
        let base = profile(spec, warm_up, args, url, control, None, repeat)?;
        let (total, requests) = profile(spec, warm_up, args, url, control, Some(flows), repeat)?;
        requests_per_flow = requests as f64 / flows as f64;
        per_flow.push(total.saturating_sub(base.0) as f64 / flows as f64);
    }
    Ok(Measured {
        spec: spec.clone(),
        per_flow,
        requests_per_flow,
    })
}

/// The warm-up and counted flows of `spec`: `--warm-up` and `--flows` (`--jit-warm-up` and
/// `--jit-flows` for `LONG_WARM_UP`), each at least twice the contender's concurrency, so that a
/// concurrent contender really has that many in flight.
fn rounds_of(spec: &Spec, args: &CallgrindArgs) -> (usize, usize) {
    let least = spec.concurrency.saturating_mul(2).max(1);
    let (warm_up, flows) = if LONG_WARM_UP.contains(&spec.id.as_str()) {
        (args.jit_warm_up, args.jit_flows)
    } else {
        (args.warm_up, args.flows)
    };
    (warm_up.max(least), flows.max(least))
}

/// One run of `spec` under callgrind: `warm_up` flows, then `flows` flows if given. Returns the
/// process's total instructions and the requests the sandbox served for the counted flows.
fn profile(
    spec: &Spec,
    warm_up: usize,
    args: &CallgrindArgs,
    url: &str,
    control: &Control,
    flows: Option<usize>,
    repeat: usize,
) -> Result<(u64, u64)> {
    let name = format!(
        "{}.{}.{repeat}",
        spec.id,
        if flows.is_some() { "counted" } else { "base" }
    );
    let profile = std::path::absolute(args.logs.join(format!("{name}.callgrind")))?;
    let mut command = vec![
        "valgrind".to_string(),
        "--tool=callgrind".into(),
        format!("--callgrind-out-file={}", profile.display()),
        // JIT compilers (V8) write code they then run: valgrind must notice.
        "--smc-check=all-non-file".into(),
        format!(
            "--log-file={}",
            std::path::absolute(args.logs.join(format!("{name}.valgrind.log")))?.display()
        ),
    ];
    command.extend(spec.command.iter().cloned());
    let under_valgrind = Spec {
        id: name.clone(),
        command,
        ..spec.clone()
    };
    let _ = std::fs::remove_file(&profile);
    let mut running = Running::start(&under_valgrind, url, &args.logs, READY_WITHIN)?;
    let mut round = |flows: usize| -> Result<u64> {
        control.reset()?;
        let result: RoundResult = running.ask(&Cmd::Round { flows }, ROUND_WITHIN)?;
        if let Some(reason) = result.failure() {
            bail!("a round failed: {reason}");
        }
        let (requests, _tokens) = check_round(&control.stats()?, flows)?;
        Ok(requests)
    };
    round(warm_up)?;
    let requests = match flows {
        Some(flows) => round(flows)?,
        None => 0,
    };
    let status = running.finish(EXIT_WITHIN)?;
    if !status.success() {
        bail!("{name} exited with {status}");
    }
    Ok((total_instructions(&profile)?, requests))
}

/// The `summary:` (or `totals:`) line of a callgrind profile: every thread's instructions.
fn total_instructions(profile: &Path) -> Result<u64> {
    let text = std::fs::read_to_string(profile)
        .with_context(|| format!("reading {}", profile.display()))?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| anyhow!("no instruction total in {}", profile.display()))
}

fn report(measured: &[Measured], missing: &[(String, String)], args: &CallgrindArgs) -> String {
    // Each contender against the floor with as many flows in flight.
    let floor_of = |spec: &Spec| {
        measured
            .iter()
            .find(|m| m.spec.id == format!("rust-limit-{}", spec.concurrency))
            .map(|m| crate::stats::median(&m.per_flow))
    };
    let mut out = String::new();
    out.push_str(&format!(
        "Instructions per flow, counted by callgrind (`make bench-callgrind`): each contender twice \
         under valgrind (warm-up *w* flows; warm-up *w* + *n* flows), the difference ÷ *n*; \
         repeated {r}× (the spread is the relative gap between the repeats). *w* = {w} and *n* = \
         {f}; {jw} and {jf} for {long}, whose JavaScript V8 optimizes as it runs (after {w} flows \
         its compiling would be most of their count, and over {f} one compile more or less moves \
         it by a quarter). The WebAssembly engine's count includes V8's compiling: {jw} warm-up \
         flows of it would take ~20 minutes under valgrind. The 64-in-flight \
         contenders run at least twice 64 flows in each round and are compared with the floor at \
         64 in flight; valgrind runs their threads one at a time, so their count is the work, not \
         the contention. Client process only; the sandbox runs natively.\n\n",
        w = args.warm_up,
        jw = args.jit_warm_up,
        jf = args.jit_flows,
        long = LONG_WARM_UP
            .iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(" and "),
        f = args.flows,
        r = args.repeats.max(1),
    ));
    out.push_str(
        "| contender | language | instructions / flow | per request | × floor | spread | flows *w* + *n* |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for m in measured {
        let (warm_up, flows) = rounds_of(&m.spec, args);
        let median = crate::stats::median(&m.per_flow);
        let (low, high) = m
            .per_flow
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let spread = if median > 0.0 {
            (high - low) / median * 100.0
        } else {
            0.0
        };
        let ratio = floor_of(&m.spec)
            .filter(|f| *f > 0.0)
            .map(|f| format!("{:.2}×", median / f))
            .unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "| `{}` {} | {} | {} | {} | {} | {:.2} % | {} + {} |\n",
            m.spec.id,
            m.spec.label,
            m.spec.language,
            thousands(median),
            thousands(median / m.requests_per_flow.max(1.0)),
            ratio,
            spread,
            warm_up,
            flows,
        ));
    }
    for (id, reason) in missing {
        out.push_str(&format!(
            "| `{id}` | | not measured: {} | | | | |\n",
            reason.lines().next().unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "\nRequests per flow: {} (9 steps + status polls, as counted by the sandbox).\n",
        measured
            .first()
            .map(|m| format!("{:.1}", m.requests_per_flow))
            .unwrap_or_else(|| format!("{REQUESTS_PER_FLOW}+")),
    ));
    out
}

/// 1234567.8 → "1,234,568".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1234567.8), "1,234,568");
    }

    #[test]
    fn reads_the_total_of_a_profile() {
        let dir = std::env::temp_dir().join(format!("dollr-callgrind-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("p.callgrind");
        std::fs::write(
            &file,
            "version: 1\nevents: Ir\nfl=x\n0 5\nsummary: 123456\ntotals: 123456\n",
        )
        .unwrap();
        assert_eq!(total_instructions(&file).unwrap(), 123456);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
