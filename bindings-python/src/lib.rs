//! `dollr._native`: the thin native half of the Python package `dollr`.
//!
//! It exposes the core's generic bridge (any operation or flow by name, JSON in and out), client
//! construction, the one error mapping and the test numbers (the sandbox is not linked in: the
//! testing companion `dollr-testing` runs the `dollr` binary as a child process). The typed
//! Python surface (resources, models, enums) is generated from `core/bridge-schema.json` by
//! `bindings-python/codegen.py`; nothing here knows an operation by name.

mod client;
mod errors;
mod inbox;
mod interpreter;
mod logs;
mod runtime;
mod stream;
mod typed;
mod values;

use dollr_core::{Error, ErrorKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::errors::into_py;

/// The bridge schema the core was built with (JSON text): every operation, model and enum.
#[pyfunction]
fn schema(py: Python<'_>) -> PyResult<String> {
    let schema = runtime::guard(|| {
        serde_json::to_string(&dollr_core::bridge::schema())
            .map_err(|e| Error::internal(format!("could not encode the schema: {e}")))
    });
    into_py(py, schema)
}

/// The sandbox's deterministic test numbers, by the core's constant names.
fn test_numbers(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    use dollr_core::test_numbers as n;
    let numbers = PyDict::new(py);
    for (name, value) in [
        ("COMPLETES", n::COMPLETES),
        ("DECLINES", n::DECLINES),
        ("SLOW", n::SLOW),
        ("SLOW_THEN_FAILS", n::SLOW_THEN_FAILS),
        ("COMPLETES_ORANGE_LR", n::COMPLETES_ORANGE_LR),
        ("COMPLETES_MTN_RW", n::COMPLETES_MTN_RW),
        ("COMPLETES_AIRTEL_RW", n::COMPLETES_AIRTEL_RW),
        ("CARD_DECLINES", n::CARD_DECLINES),
        ("CARD_REQUIRES_3DS", n::CARD_REQUIRES_3DS),
    ] {
        numbers.set_item(name, value)?;
    }
    Ok(numbers)
}

/// Raises the exception a core error of `kind` maps to, with every field set (tests only).
#[pyfunction]
fn _raise_for_tests(py: Python<'_>, kind: &str) -> PyResult<()> {
    let kind = ErrorKind::from_name(kind)
        .ok_or_else(|| PyValueError::new_err(format!("no error kind {kind:?}")))?;
    let error = Error::new(kind, format!("a {kind} error for the tests"))
        .with_status(499)
        .with_details(vec![dollr_core::ValidationDetail::body(
            "items.0.amount",
            "too many decimals",
            "value_error",
        )])
        .with_retry_after(Some(std::time::Duration::from_millis(1500)))
        .with_reference_id("7c1e5a3e-8f5d-4b6a-9a51-2f0f3c7d9b10")
        .with_request_id(Some("req-123".to_string()));
    into_py(py, Err(error))
}

/// Panics inside a core call, sync or async (tests only): proves a Rust panic surfaces as
/// `dollr.InternalError`, never as an abort.
#[pyfunction]
#[allow(clippy::panic)]
fn _panic_for_tests(py: Python<'_>, message: String) -> PyResult<()> {
    let runtime = into_py(py, runtime::CallRuntime::shared())?;
    let result = runtime::block_on(
        py,
        &runtime,
        move |_reporter| async move {
            if message.is_empty() {
                return Ok(Value::Null);
            }
            panic!("{message}")
        },
        false,
        |_, _| {},
    )?;
    into_py(py, result).map(|_| ())
}

/// The async twin of `_panic_for_tests`: started like `NativeClient.call_async`, settling
/// `future` (an `asyncio.Future` of the running loop) unless it answers at once.
#[pyfunction]
#[allow(clippy::panic)]
fn _panic_async_for_tests(
    py: Python<'_>,
    message: String,
    future: Py<PyAny>,
) -> PyResult<Py<PyAny>> {
    runtime::start_for_asyncio(
        py,
        future,
        None,
        |_| async move {
            // Not ready on the first poll: the panic happens on a runtime worker.
            tokio::task::yield_now().await;
            if message.is_empty() {
                return Ok(Value::from("survived"));
            }
            panic!("{message}")
        },
        |py, value| values::to_python(py, value).map(Bound::unbind),
    )
}

/// A panic in a plain exported function, outside any call (tests only): `guard` turns it into
/// `InternalError` too.
#[pyfunction]
#[allow(clippy::panic)]
fn _panic_in_guard_for_tests(py: Python<'_>, message: String) -> PyResult<()> {
    into_py(
        py,
        runtime::guard(|| {
            if message.is_empty() {
                return Ok(());
            }
            panic!("{message}")
        }),
    )
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    logs::install();
    interpreter::register_exit_hook(module)?;
    module.add("__version__", dollr_core::config::SDK_VERSION)?;
    module.add("TEST_NUMBERS", test_numbers(py)?)?;
    module.add_class::<client::NativeClient>()?;
    module.add_class::<stream::NativeStream>()?;
    module.add_class::<inbox::LoopInbox>()?;
    module.add_function(wrap_pyfunction!(schema, module)?)?;
    module.add_function(wrap_pyfunction!(typed::_register_classes, module)?)?;
    module.add_function(wrap_pyfunction!(typed::decode, module)?)?;
    module.add_function(wrap_pyfunction!(errors::_error_classes, module)?)?;
    module.add_function(wrap_pyfunction!(_raise_for_tests, module)?)?;
    module.add_function(wrap_pyfunction!(_panic_for_tests, module)?)?;
    module.add_function(wrap_pyfunction!(_panic_async_for_tests, module)?)?;
    module.add_function(wrap_pyfunction!(_panic_in_guard_for_tests, module)?)?;
    Ok(())
}
