//! The core's `tracing` events, forwarded to Python's `logging` (logger `dollr`).
//!
//! A tiny `tracing::Subscriber` rather than `tracing-subscriber`: the core emits plain events (no
//! spans), so this is all that is needed and the wheel stays smaller. To avoid taking the GIL for
//! events nobody will see, the logger's effective level is cached here and brought up to date at
//! the start of every call ([`refresh_level`], read again only after `logging` signalled a level
//! change); a level change applies from the next call.
//!
//! Secrets: the core never puts a secret in a log field (credentials, tokens and passcodes are
//! `Secret`s that print as `[REDACTED]`), and the Python tests assert it at DEBUG level.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Python's numeric levels.
const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;
const ERROR: u8 = 40;
/// Above every level: nothing is forwarded.
const OFF: u8 = u8::MAX;

/// The `dollr` logger's effective level, as last seen from Python. Nothing is forwarded before
/// the first client exists (the core only logs inside calls), which keeps `logging` out of
/// `import dollr`.
static LEVEL: AtomicU8 = AtomicU8::new(OFF);

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::TRACE | Level::DEBUG => DEBUG,
        Level::INFO => INFO,
        Level::WARN => WARNING,
        Level::ERROR => ERROR,
    }
}

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    LOGGER
        .get_or_try_init(py, || {
            py.import("logging")?
                .call_method1("getLogger", ("dollr",))
                .map(Bound::unbind)
        })
        .map(|logger| logger.bind(py))
}

/// The `dollr` logger's own level cache, `Logger._cache`: the dict behind `isEnabledFor`, which
/// `logging` empties on every logger whenever a level can have changed (`setLevel` on any logger
/// and `logging.disable` go through `Manager._clear_cache`). `None` where
/// the logger has no such dict (another `logging` than CPython's 3.7+): then the level is read
/// on every call.
fn level_cache(py: Python<'_>) -> Option<&Bound<'_, PyDict>> {
    static CACHE: PyOnceLock<Option<Py<PyDict>>> = PyOnceLock::new();
    CACHE
        .get_or_init(py, || {
            let cache = logger(py)
                .and_then(|logger| logger.getattr("_cache"))
                .ok()?;
            cache.cast_into::<PyDict>().ok().map(Bound::unbind)
        })
        .as_ref()
        .map(|cache| cache.bind(py))
}

/// The key this module keeps in [`level_cache`] while [`LEVEL`] is current: `logging`'s own keys
/// are level numbers, so a text key never meets them.
const LEVEL_MARK: &str = "dollr._native: level read";

/// Brings [`LEVEL`] up to date with the `dollr` logger's effective level (called with the GIL
/// held, once per call). Reading the level is a Python call through the logger hierarchy (~12k
/// instructions, 7 % of a status lookup); so it is read again only once `logging` has emptied the
/// logger's level cache, which removes the mark this function leaves there. The mark goes in
/// before the read: a level set meanwhile (another thread runs while the read runs Python code)
/// empties the cache after it, and the next call reads again.
pub(crate) fn refresh_level(py: Python<'_>) {
    let cache = level_cache(py);
    if let Some(cache) = cache {
        if cache.contains(LEVEL_MARK).unwrap_or(false) {
            return;
        }
        // Without the mark, the level is simply read on every call.
        let _ = cache.set_item(LEVEL_MARK, true);
    }
    let level = logger(py)
        .and_then(|logger| logger.call_method0("getEffectiveLevel"))
        .and_then(|level| level.extract::<i64>())
        .map(|level| u8::try_from(level.max(0)).unwrap_or(OFF))
        .unwrap_or(OFF);
    LEVEL.store(level, Ordering::Relaxed);
}

/// Formats an event as `message key=value key=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

/// Forwards the core's events to the `dollr` logger.
struct PythonLogging;

impl PythonLogging {
    fn wanted(metadata: &Metadata<'_>) -> bool {
        // Only the SDK's own events: the core's and this module's.
        let target = metadata.target();
        (target.starts_with("dollr_core") || target.starts_with("_native"))
            && python_level(metadata.level()) >= LEVEL.load(Ordering::Relaxed)
    }
}

impl Subscriber for PythonLogging {
    fn register_callsite(
        &self,
        _metadata: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // The level can change at run time, so ask `enabled` every time.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Self::wanted(metadata)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        if !Self::wanted(metadata) {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        let line = format!("{}{}", text.message, text.fields);
        let level = python_level(metadata.level());
        // Worker threads may still log while the interpreter exits: then the line is dropped. A
        // handler is the app's code, which may wait on a call of the runtime logging here.
        let _ = dollr_core::runtime::call_foreign(|| {
            crate::interpreter::attach(|py| {
                if let Ok(logger) = logger(py) {
                    // A broken log handler must not break a payment: its error is dropped.
                    let _ = logger.call_method1("log", (level, line));
                }
            })
        });
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// Installs the forwarding subscriber for the process, unless the host already installed one.
pub(crate) fn install() {
    let _ = tracing::subscriber::set_global_default(PythonLogging);
}
