//! `dollr-bench memory`: each SDK's resident memory idle, after 1,000 calls and after 100,000
//! (#19) — a leak shows as growth between the last two.
//!
//! Each SDK contender (and the floor, for scale) starts fresh against one release sandbox and
//! connects; its RSS (`VmRSS` of `/proc/PID/status`, read by this process) is taken idle, then
//! after the driver's `overhead` command has made 1,000 status lookups (and, for the SDKs, 10,000
//! calls their validation refuses: the full trip through the binding with no network), then after
//! 99,000 more lookups (and 990,000 more refused calls), made in batches so each batch's answer
//! shows progress. The lookups hit one execution's status: the sandbox holds nothing new, so any
//! growth is the client's. Every reading follows the runtime's full garbage collection
//! (`collect_garbage`): a collector that has had no reason to run yet is not a leak, memory still
//! referenced after a collection is. The last reading is also taken before that collection, to
//! show what the process held.
//!
//! The Kotlin contenders run here with a heap of fixed size, resident from the start
//! ([`JVM_FIXED_HEAP`]): G1 grows a default heap (a quarter of the machine's memory) toward its
//! maximum long before it collects, and gives pages back when it pleases, so their RSS measured
//! the collector's sizing: between 0.4 and 2.2 GB after 100,000 lookups in three runs of one
//! build. With the heap resident from the first reading, growth is what the process holds beyond
//! it: native memory and compiled code.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::driver::{measure_each, start_row, write_table, Contenders, Control, Running, Spec};
use crate::protocol::{Answer, Collected, Command as Cmd, OverheadResult};

/// `dollr-bench memory` options.
#[derive(Debug, Clone, clap::Args)]
pub struct MemoryArgs {
    /// The `dollr` binary that serves the sandbox (release build).
    #[arg(long, default_value = "target/release/dollr")]
    pub sandbox: PathBuf,
    #[command(flatten)]
    pub contenders: Contenders,
    /// Status lookups before the first reading.
    #[arg(long, default_value_t = 1_000)]
    pub first: usize,
    /// Status lookups in all before the last reading.
    #[arg(long, default_value_t = 100_000)]
    pub total: usize,
    /// Where to write the table (markdown).
    #[arg(long, default_value = "target/bench/memory.md")]
    pub out: PathBuf,
    /// Directory for the contenders' stderr logs.
    #[arg(long, default_value = "target/bench/logs")]
    pub logs: PathBuf,
}

/// The contenders measured when `--only` is not given: every binding, and for scale the Rust core
/// and the docs' fetch code (Node's own `fetch`, which the WebAssembly engine sends through).
const DEFAULT_CONTENDERS: &[&str] = &[
    "rust-core-1",
    "py-dollr-1",
    "py-dollr-async-1",
    "node-native-1",
    "node-wasm-1",
    "kotlin-uniffi-1",
    "kotlin-blocking-1",
    "node-fetch-1",
];

/// The Kotlin contenders' JVM options in this row: a fixed heap, every page touched at start.
const JVM_FIXED_HEAP: &[&str] = &["-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"];

/// Lookups per `overhead` batch after the first reading.
const BATCH: usize = 10_000;

struct Readings {
    spec: Spec,
    idle_kb: u64,
    first_kb: u64,
    /// The first collected reading at or past half of the calls, and after how many.
    middle_kb: u64,
    middle_calls: usize,
    last_kb: u64,
    /// After all the calls, before the collection.
    last_uncollected_kb: u64,
    /// After the first and the last collection, once the C allocator has given its free pages
    /// back (`trim_native_heap`), or less what the runtime's heap keeps for reuse where it cannot
    /// ask for that ([`held_rss_kb`]); `None` where neither is known.
    trimmed_kb: Option<(u64, u64)>,
    calls: usize,
}

impl Readings {
    /// RSS growth between the first and the last collected reading, in KB.
    fn growth_kb(&self) -> i64 {
        kb_difference(self.last_kb, self.first_kb)
    }

    /// Growth over the second half of the calls: a leak keeps growing at the rate it began with;
    /// a runtime settling (compiled code, heap sizing, allocator caches) levels off.
    fn second_half_growth_kb(&self) -> i64 {
        kb_difference(self.last_kb, self.middle_kb)
    }

    /// Growth of what the process holds (RSS after the trims).
    fn held_growth_kb(&self) -> Option<i64> {
        self.trimmed_kb
            .map(|(first, last)| kb_difference(last, first))
    }
}

fn kb_difference(later: u64, earlier: u64) -> i64 {
    i64::try_from(later).unwrap_or(i64::MAX) - i64::try_from(earlier).unwrap_or(i64::MAX)
}

pub fn run(args: MemoryArgs) -> Result<()> {
    if args.first == 0 || args.total <= args.first {
        bail!("--first must be at least 1 and below --total");
    }
    let (specs, sandbox, control) = start_row(
        &args.contenders,
        DEFAULT_CONTENDERS,
        &args.logs,
        &args.sandbox,
    )?;
    let specs: Vec<Spec> = specs.into_iter().map(with_fixed_jvm_heap).collect();
    let (readings, missing) = measure_each(&specs, "memory", |spec| {
        let reading = measure(spec, &args, &sandbox.url, &control)?;
        eprintln!(
            "memory: {}: idle {} KB, after {} calls {} KB, after {} calls {} KB, after {} calls {} KB",
            spec.id,
            reading.idle_kb,
            args.first,
            reading.first_kb,
            reading.middle_calls,
            reading.middle_kb,
            reading.calls,
            reading.last_kb
        );
        Ok(reading)
    });
    write_table(&args.out, &report(&readings, &missing, &args))
}

fn measure(spec: &Spec, args: &MemoryArgs, url: &str, control: &Control) -> Result<Readings> {
    control.reset()?;
    let mut running = Running::start(spec, url, &args.logs, Duration::from_secs(120))?;
    let pid = running.pid();
    let collected_rss_kb = |running: &mut Running| -> Result<u64> {
        let result: Collected = running.ask(&Cmd::CollectGarbage, Duration::from_secs(120))?;
        if let Some(reason) = result.failure() {
            bail!("the garbage collection failed: {reason}");
        }
        rss_kb(pid)
    };
    // `None` when the contender can neither trim nor say what its heap keeps (the table shows
    // "—").
    let trimmed_rss_kb = |running: &mut Running| -> Result<Option<u64>> {
        let result: Collected = running.ask(&Cmd::TrimNativeHeap, Duration::from_secs(120))?;
        Ok(held_rss_kb(&result, rss_kb(pid)?))
    };
    let idle_kb = collected_rss_kb(&mut running)?;
    let lookups = |running: &mut Running, count: usize| -> Result<()> {
        let result: OverheadResult = running.ask(
            &Cmd::Overhead {
                calls: count,
                batches: 1,
            },
            Duration::from_secs(1800),
        )?;
        if let Some(reason) = result.failure() {
            bail!("the calls failed: {reason}");
        }
        Ok(())
    };
    lookups(&mut running, args.first)?;
    let mut calls = args.first;
    let first_kb = collected_rss_kb(&mut running)?;
    // Trimmed after the untrimmed reading: pages given back now and taken again later can only
    // add to the untrimmed growth, never hide any.
    let first_trimmed_kb = trimmed_rss_kb(&mut running)?;
    let mut middle = None;
    while calls < args.total {
        let count = BATCH.min(args.total - calls);
        lookups(&mut running, count)?;
        calls += count;
        if middle.is_none() && calls * 2 >= args.total && calls < args.total {
            middle = Some((collected_rss_kb(&mut running)?, calls));
        }
    }
    let last_uncollected_kb = rss_kb(pid)?;
    let last_kb = collected_rss_kb(&mut running)?;
    let last_trimmed_kb = trimmed_rss_kb(&mut running)?;
    running.finish(Duration::from_secs(30))?;
    let (middle_kb, middle_calls) = middle.unwrap_or((first_kb, args.first));
    Ok(Readings {
        spec: spec.clone(),
        idle_kb,
        first_kb,
        middle_kb,
        middle_calls,
        last_kb,
        last_uncollected_kb,
        trimmed_kb: first_trimmed_kb.zip(last_trimmed_kb),
        calls,
    })
}

/// RSS (`rss_kb`, read right after `answer`, a `trim_native_heap`'s) less what the process keeps
/// only for reuse: nothing more once the C allocator has given its free pages back; the free pages
/// of its runtime's own heap where it could not trim but says what they are (Node: V8 keeps the
/// pages its heap grew to, and a JS heap that grew and emptied again is what the addon's growth
/// was, #19); `None` where neither.
fn held_rss_kb(answer: &Collected, rss_kb: u64) -> Option<u64> {
    match (answer.failure(), answer.free_heap_kb) {
        (None, _) => Some(rss_kb),
        (Some(_), Some(free_kb)) => Some(rss_kb.saturating_sub(free_kb)),
        (Some(_), None) => None,
    }
}

/// A Kotlin contender started by `java` gets [`JVM_FIXED_HEAP`] (and says so in its label).
fn with_fixed_jvm_heap(mut spec: Spec) -> Spec {
    let started_by_java = spec
        .command
        .first()
        .is_some_and(|program| program == "java" || program.ends_with("/java"));
    if spec.language == "Kotlin" && started_by_java {
        spec.command
            .splice(1..1, JVM_FIXED_HEAP.iter().map(|flag| flag.to_string()));
        spec.label.push_str(", heap fixed at 256 MB");
    }
    spec
}

/// `VmRSS` of process `pid`, in KB.
fn rss_kb(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_rss_kb(&status).ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))
}

fn parse_rss_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

fn report(readings: &[Readings], missing: &[(String, String)], args: &MemoryArgs) -> String {
    let mb = |kb: u64| format!("{:.1}", kb as f64 / 1024.0);
    let signed_mb = |kb: i64| format!("{:+.1}", kb as f64 / 1024.0);
    let middle_calls = readings.first().map_or(args.total / 2, |r| r.middle_calls);
    let mut out = format!(
        "Resident memory (`make bench-memory`): each contender's process freshly started and \
         connected (idle), after {first} status lookups, after {middle} and after {total} (each \
         SDK also makes 10 refused-by-validation calls per lookup); each reading right after the \
         runtime's full garbage collection (Python `gc.collect()`, V8 `gc()`, the JVM's \
         `System.gc()`), and the last one also before it. **Growth** = after {total} − after \
         {first}, both collected (the figure #19 sets to zero); **second half** = after {total} − \
         after {middle}: a leak keeps growing, a runtime settling (compiled code, heap sizing, \
         the C allocator's caches) levels off. **Held** = the same growth once glibc's \
         `malloc_trim(0)` has given the allocator's free pages back (after the first and the last \
         reading), i.e. memory the process still holds; for Node, which cannot call it, RSS less \
         the pages V8's heap has committed and holds nothing in after `gc()` (`heapTotal − \
         heapUsed`: what it keeps for reuse). `node-fetch-1` (the docs' fetch code, no SDK) is \
         there for scale: what Node's own `fetch`, which the WebAssembly engine sends through, \
         does to RSS. The JVM runs with its heap fixed at 256 MB and resident from the start \
         (`{jvm}`): a default heap grows toward a quarter of the machine's memory before G1 \
         collects, which measures the collector, not the SDK.\n\n\
         | contender | language | idle MB | after {first} MB | after {middle} MB | after {total} MB \
         | growth MB | second half MB | held MB | after {total}, before collection MB |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        first = args.first,
        middle = middle_calls,
        total = args.total,
        jvm = JVM_FIXED_HEAP.join(" "),
    );
    for r in readings {
        out.push_str(&format!(
            "| `{}` {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.spec.id,
            r.spec.label,
            r.spec.language,
            mb(r.idle_kb),
            mb(r.first_kb),
            mb(r.middle_kb),
            mb(r.last_kb),
            signed_mb(r.growth_kb()),
            signed_mb(r.second_half_growth_kb()),
            r.held_growth_kb().map_or_else(|| "—".to_owned(), signed_mb),
            mb(r.last_uncollected_kb),
        ));
    }
    for (id, reason) in missing {
        out.push_str(&format!(
            "| `{id}` | | not measured: {} | | | | | | | |\n",
            reason.lines().next().unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss() {
        let status = "Name:\tpython3\nVmPeak:\t  20000 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_rss_kb(status), Some(12345));
        assert_eq!(parse_rss_kb("Name:\tx\n"), None);
    }

    fn spec(language: &'static str, command: &[&str]) -> Spec {
        Spec {
            id: "kotlin-blocking-1".into(),
            label: "dollr Kotlin".into(),
            language,
            concurrency: 1,
            command: command.iter().map(|word| word.to_string()).collect(),
            sdk: true,
            missing: None,
        }
    }

    #[test]
    fn held_memory_is_rss_once_trimmed_or_less_the_heap_kept_for_reuse() {
        let answer = |json: &str| serde_json::from_str::<Collected>(json).unwrap();
        assert_eq!(
            held_rss_kb(&answer(r#"{"ok": true}"#), 70_000),
            Some(70_000)
        );
        assert_eq!(
            held_rss_kb(
                &answer(r#"{"ok": false, "error": "no malloc_trim", "free_heap_kb": 10000}"#),
                70_000
            ),
            Some(60_000)
        );
        assert_eq!(
            held_rss_kb(
                &answer(r#"{"ok": false, "error": "no malloc_trim"}"#),
                70_000
            ),
            None
        );
    }

    #[test]
    fn the_table_shows_growth_its_second_half_and_what_is_held() {
        let readings = |trimmed_kb| Readings {
            spec: spec("Kotlin", &["java"]),
            idle_kb: 1024,
            first_kb: 10 * 1024,
            middle_kb: 14 * 1024,
            middle_calls: 51_000,
            last_kb: 15 * 1024,
            last_uncollected_kb: 16 * 1024,
            trimmed_kb,
            calls: 100_000,
        };
        let args = MemoryArgs {
            sandbox: PathBuf::new(),
            contenders: Contenders {
                python: "python3".into(),
                node: "node".into(),
                kotlin: None,
                kotlin_missing: String::new(),
                only: Vec::new(),
            },
            first: 1_000,
            total: 100_000,
            out: PathBuf::new(),
            logs: PathBuf::new(),
        };
        let table = report(
            &[readings(Some((9 * 1024, 8 * 1024))), readings(None)],
            &[],
            &args,
        );
        assert!(table.contains("| after 51000 MB |"), "{table}");
        assert!(
            table.contains("| 1.0 | 10.0 | 14.0 | 15.0 | +5.0 | +1.0 | -1.0 | 16.0 |"),
            "{table}"
        );
        assert!(
            table.contains("| 1.0 | 10.0 | 14.0 | 15.0 | +5.0 | +1.0 | — | 16.0 |"),
            "{table}"
        );
    }

    #[test]
    fn the_jvm_gets_a_fixed_heap_and_nothing_else_changes() {
        let kotlin =
            with_fixed_jvm_heap(spec("Kotlin", &["/usr/bin/java", "-cp", "x.jar", "Main"]));
        assert_eq!(
            kotlin.command,
            [
                "/usr/bin/java",
                "-Xms256m",
                "-Xmx256m",
                "-XX:+AlwaysPreTouch",
                "-cp",
                "x.jar",
                "Main"
            ]
        );
        assert_eq!(kotlin.label, "dollr Kotlin, heap fixed at 256 MB");
        let python = with_fixed_jvm_heap(spec("Python", &["python3", "contender.py"]));
        assert_eq!(python.command, ["python3", "contender.py"]);
        assert_eq!(python.label, "dollr Kotlin");
    }
}
