//! `NativeSandbox`: the local Dollr API simulation, started in-process on a free port, for users'
//! own tests (`dollr.testing.Sandbox`) and ours.
//!
//! The sandbox runs on its own thread and runtime. Every method releases the GIL while it touches
//! the sandbox: its handlers never need Python, but a method waiting on the sandbox's state lock
//! while holding the GIL could otherwise stall a worker that is logging to Python.

use std::str::FromStr;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use dollr_sandbox::{
    AdvanceError, ConfigPatch, Currency, FaultConfig, FaultRule, Sandbox, SandboxConfig,
};
use pyo3::exceptions::{PyLookupError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::runtime::panic_error;

fn value_error(what: &str, problem: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{what}: {problem}"))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> PyResult<T> {
    serde_json::from_str(text).map_err(|e| value_error(what, e))
}

fn text(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

fn currency(code: &str) -> PyResult<Currency> {
    Currency::parse(code).ok_or_else(|| {
        value_error(
            "currency",
            format!("{code:?} is not a sandbox wallet currency (USD, LRD, RWF)"),
        )
    })
}

fn decimal(what: &str, raw: &str) -> PyResult<Decimal> {
    Decimal::from_str(raw).map_err(|e| value_error(what, format!("{raw:?} ({e})")))
}

fn faults(what: &str, raw: &str) -> PyResult<FaultConfig> {
    let faults: FaultConfig = json(what, raw)?;
    faults
        .check()
        .map_err(|problem| value_error(what, problem))?;
    Ok(faults)
}

/// Runs `f` with the GIL released, turning a panic into a Python `RuntimeError`.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
            Err(PyRuntimeError::new_err(
                panic_error(payload.as_ref()).to_string(),
            ))
        })
    })
}

/// A running sandbox.
#[pyclass(frozen, module = "dollr._native")]
pub(crate) struct NativeSandbox {
    /// `None` once shut down.
    sandbox: RwLock<Option<Sandbox>>,
    url: String,
}

impl NativeSandbox {
    fn with<T>(&self, f: impl FnOnce(&Sandbox) -> T) -> PyResult<T> {
        let guard = self.sandbox.read().unwrap_or_else(PoisonError::into_inner);
        match guard.as_ref() {
            Some(sandbox) => Ok(f(sandbox)),
            None => Err(PyRuntimeError::new_err("this sandbox is shut down")),
        }
    }
}

#[pymethods]
impl NativeSandbox {
    /// Starts a sandbox on 127.0.0.1 and a free port. `wallets` is JSON `{"USD": "5.00"}`,
    /// `faults` JSON as `PUT /_sandbox/faults` takes it.
    #[new]
    #[pyo3(signature = (settle_ms, seed=None, verified=true, passcode=None, client_id=None, client_secret=None, wallets=None, faults=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        settle_ms: u64,
        seed: Option<u64>,
        verified: bool,
        passcode: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        wallets: Option<&str>,
        faults: Option<&str>,
    ) -> PyResult<Self> {
        let mut config = SandboxConfig::for_tests(settle_ms);
        if seed.is_some() {
            config.seed = seed;
        }
        config.verified = verified;
        if let Some(passcode) = passcode {
            config.passcode = passcode;
        }
        if let Some(client_id) = client_id {
            config.client_id = client_id;
        }
        if let Some(client_secret) = client_secret {
            config.client_secret = client_secret;
        }
        if let Some(wallets) = wallets {
            let wallets: Map<String, Value> = json("wallets", wallets)?;
            for (code, balance) in wallets {
                let balance = balance.as_str().ok_or_else(|| {
                    value_error(
                        "wallets",
                        format!("the {code} balance must be a decimal string"),
                    )
                })?;
                config
                    .wallets
                    .insert(currency(&code)?, decimal("wallets", balance)?);
            }
        }
        if let Some(raw) = faults {
            config.faults = self::faults("faults", raw)?;
        }
        let sandbox = detached(py, || {
            Sandbox::start_in_background(config)
                .map_err(|e| PyOSError::new_err(format!("the sandbox did not start: {e}")))
        })?;
        Ok(NativeSandbox {
            url: sandbox.url(),
            sandbox: RwLock::new(Some(sandbox)),
        })
    }

    /// `http://127.0.0.1:PORT`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The client id the sandbox's token endpoint accepts.
    #[getter]
    fn client_id(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.client_id()))
    }

    /// The client secret the sandbox's token endpoint accepts.
    #[getter]
    fn client_secret(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.client_secret()))
    }

    /// The payout passcode.
    #[getter]
    fn passcode(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.passcode()))
    }

    /// The seed of the sandbox's random decisions.
    #[getter]
    fn seed(&self, py: Python<'_>) -> PyResult<u64> {
        detached(py, || self.with(|s| s.seed()))
    }

    /// Replaces the fault configuration (JSON as `PUT /_sandbox/faults` takes it).
    fn set_faults(&self, py: Python<'_>, faults: &str) -> PyResult<()> {
        let faults = self::faults("faults", faults)?;
        detached(py, || self.with(|s| s.set_faults(faults)))
    }

    /// Appends one fault rule (JSON).
    fn add_fault(&self, py: Python<'_>, rule: &str) -> PyResult<()> {
        let rule: FaultRule = json("rule", rule)?;
        rule.check()
            .map_err(|problem| value_error("rule", problem))?;
        detached(py, || self.with(|s| s.add_fault(rule)))
    }

    /// The current fault configuration (JSON).
    fn faults(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.faults()).and_then(|v| text(&v)))
    }

    /// The stats document (JSON, as `GET /_sandbox/stats`).
    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.stats()).and_then(|v| text(&v)))
    }

    /// The request log (JSON list), oldest first.
    fn request_log(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.request_log()).and_then(|v| text(&v)))
    }

    /// Execution state-change events (JSON list), oldest first.
    fn events(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.events()).and_then(|v| text(&v)))
    }

    /// The merchant wallets (JSON list).
    fn wallets(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.with(|s| s.wallets()).and_then(|v| text(&v)))
    }

    /// Sets a wallet balance (a decimal string).
    fn set_wallet_balance(&self, py: Python<'_>, currency: &str, balance: &str) -> PyResult<()> {
        let currency = self::currency(currency)?;
        let balance = decimal("balance", balance)?;
        detached(py, || {
            self.with(|s| s.set_wallet_balance(currency, balance))
        })
    }

    /// Every payment intent (JSON list).
    fn payment_intents(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || {
            self.with(|s| s.payment_intents()).and_then(|v| text(&v))
        })
    }

    /// Moves an execution to its next state (or straight to its final one); returns the new status.
    #[pyo3(signature = (reference_id, to_final=false))]
    fn advance(&self, py: Python<'_>, reference_id: &str, to_final: bool) -> PyResult<String> {
        let moved = detached(py, || {
            self.with(|s| {
                if to_final {
                    s.advance_to_final(reference_id)
                } else {
                    s.advance(reference_id)
                }
            })
        })?;
        moved.map_err(|error| match error {
            AdvanceError::NotFound => {
                PyLookupError::new_err(format!("no execution with reference_id {reference_id:?}"))
            }
            AdvanceError::AlreadyFinal(status) => PyValueError::new_err(format!(
                "the execution {reference_id} is already final: {status}"
            )),
        })
    }

    /// Moves the sandbox clock forward.
    fn advance_clock(&self, py: Python<'_>, milliseconds: u64) -> PyResult<()> {
        detached(py, || {
            self.with(|s| s.advance_clock(Duration::from_millis(milliseconds)))
        })
    }

    /// Changes settings at run time (JSON as `PATCH /_sandbox/config` takes it).
    fn update_config(&self, py: Python<'_>, patch: &str) -> PyResult<()> {
        let patch: ConfigPatch = json("config", patch)?;
        detached(py, || self.with(|s| s.update_config(patch)))
    }

    /// Invalidates every issued access token; returns how many there were.
    fn revoke_tokens(&self, py: Python<'_>) -> PyResult<usize> {
        detached(py, || self.with(|s| s.revoke_tokens()))
    }

    /// Back to the opening state (data, wallets, faults, stats, clock).
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || self.with(|s| s.reset()))
    }

    /// Stops the server (waits for in-flight requests). Idempotent.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || {
            let taken = self
                .sandbox
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(sandbox) = taken {
                sandbox.shutdown();
            }
            Ok(())
        })
    }

    /// Whether `shutdown()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.sandbox
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    fn __repr__(&self) -> String {
        format!("NativeSandbox(url={:?})", self.url)
    }
}
