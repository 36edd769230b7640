//! The line protocol between the driver and a contender process (the same in Rust, Python, Node
//! and Kotlin; see `bench/README.md`).
//!
//! A contender starts, connects (the token is obtained once, outside every timed round) and
//! prints one JSON line `{"ready": true, "versions": {...}}` (or `{"ready": false, "error": ...}`).
//! Then, for each JSON line the driver writes on its stdin, it answers one JSON line on stdout:
//!
//! * `{"op": "round", "flows": N}` → runs N flows at its concurrency (a shared counter of
//!   remaining flows, C workers) and answers
//!   `{"ok": true, "flows": N, "seconds": wall, "lat_us": [per-flow latencies], "polls": total}`.
//! * `{"op": "overhead", "calls": M, "batches": B}` → runs one flow, then B batches of M calls of
//!   the status lookup on that flow's `reference_id` and (SDK contenders) of a call that the
//!   client's validation refuses before anything is sent; answers
//!   `{"ok": true, "status_us": median µs per call, "validation_us": median µs per call | null}`.
//!
//! * `{"op": "collect_garbage"}` → runs its runtime's full collection (Python `gc.collect()`, V8's
//!   `gc()` — Node runs with `--expose-gc` — the JVM's `System.gc()`; nothing in Rust) and answers
//!   `{"ok": true}`, so a memory reading counts what is still referenced, not garbage a collector
//!   has not yet had a reason to reclaim.
//! * `{"op": "trim_native_heap"}` → asks the C allocator to give its free pages back to the
//!   system (glibc's `malloc_trim(0)`: Rust through `libc`, Python through `ctypes`, Kotlin through
//!   JNA) and answers `{"ok": true}`, or `{"ok": false, "error": why}` where the runtime cannot
//!   (Node has no way to call it without native code of its own). RSS after it counts the memory
//!   the process holds; before it, also the pages malloc keeps for reuse (the memory row, #19).
//!   A runtime that cannot trim may say what its own heap keeps for reuse instead:
//!   `"free_heap_kb": K`, the pages its heap has committed and holds nothing in after a full
//!   collection (Node: V8's `heapTotal − heapUsed`), which the driver takes off RSS as a trim
//!   would have given malloc's back.
//!
//! Any failure answers `{"ok": false, "error": "..."}`. End of stdin ends the process.

use serde::{Deserialize, Serialize};

/// A command from the driver.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Run `flows` flows at the contender's concurrency.
    Round { flows: usize },
    /// Measure the per-call overhead.
    Overhead { calls: usize, batches: usize },
    /// Run the runtime's full garbage collection.
    CollectGarbage,
    /// Give the C allocator's free pages back to the system.
    TrimNativeHeap,
}

/// The first line a contender prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ready {
    pub ready: bool,
    #[serde(default)]
    pub versions: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub error: Option<String>,
}

/// The answer to a round.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RoundResult {
    pub ok: bool,
    #[serde(default)]
    pub flows: usize,
    #[serde(default)]
    pub seconds: f64,
    #[serde(default)]
    pub lat_us: Vec<f64>,
    #[serde(default)]
    pub polls: usize,
    #[serde(default)]
    pub error: Option<String>,
}

/// The answer to an overhead measurement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OverheadResult {
    pub ok: bool,
    /// Wall time per status lookup.
    #[serde(default)]
    pub status_us: Option<f64>,
    /// CPU time of the whole process (all its threads) per status lookup, over the same batches.
    #[serde(default)]
    pub status_cpu_us: Option<f64>,
    #[serde(default)]
    pub validation_us: Option<f64>,
    #[serde(default)]
    pub error: Option<String>,
}

/// The answer to a `collect_garbage` or `trim_native_heap` command.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Collected {
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    /// From a `trim_native_heap` that could not trim: KB its runtime's heap has committed and
    /// holds nothing in after a full collection (Node: V8's `heapTotal − heapUsed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_heap_kb: Option<u64>,
}

/// An answer that says whether its command succeeded.
pub trait Answer {
    /// Why the command failed, or `None` when it succeeded.
    fn failure(&self) -> Option<String>;
}

fn failure(ok: bool, error: &Option<String>) -> Option<String> {
    (!ok).then(|| error.clone().unwrap_or_else(|| "no reason given".into()))
}

impl Answer for RoundResult {
    fn failure(&self) -> Option<String> {
        failure(self.ok, &self.error)
    }
}

impl Answer for OverheadResult {
    fn failure(&self) -> Option<String> {
        failure(self.ok, &self.error)
    }
}

impl Answer for Collected {
    fn failure(&self) -> Option<String> {
        failure(self.ok, &self.error)
    }
}
