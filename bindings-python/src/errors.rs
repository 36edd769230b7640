//! The one mapping from the core's errors to Python exceptions.
//!
//! The exception classes live in `dollr/errors.py` (so they can be documented, pickled and
//! subclassed like any Python exception); this file decides which class each [`ErrorKind`] becomes
//! and copies the error's fields onto it. The `match` is exhaustive, so a new kind in the core
//! fails to compile here until it is mapped.

use dollr_core::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

/// The Python class name for an error kind (defined in `dollr/errors.py`).
pub(crate) fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::PermissionDenied => "PermissionDeniedError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::Server => "ServerError",
        ErrorKind::Network => "NetworkError",
        ErrorKind::Timeout => "DollrTimeoutError",
        ErrorKind::AmbiguousExecution => "AmbiguousExecutionError",
        ErrorKind::Decode => "DecodeError",
        ErrorKind::Internal => "InternalError",
    }
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || py.import("dollr.errors").map(Bound::unbind))
        .map(|module| module.bind(py))
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let class = errors_module(py)?.getattr(class_name(error.kind()))?;
    let details = PyList::empty(py);
    for detail in error.details() {
        let item = PyDict::new(py);
        item.set_item("loc", detail.loc.clone())?;
        item.set_item("msg", &detail.msg)?;
        item.set_item("type", &detail.kind)?;
        // The dotted field path is the core's rule (prefix dropped), not re-derived in Python.
        item.set_item("field", detail.field())?;
        details.append(item)?;
    }
    let fields = PyDict::new(py);
    fields.set_item("kind", error.kind().name())?;
    fields.set_item("message", error.message())?;
    fields.set_item("status", error.status())?;
    fields.set_item("details", details)?;
    fields.set_item("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    fields.set_item("reference_id", error.reference_id())?;
    fields.set_item("request_id", error.request_id())?;
    // The core's text already names the kind, the status and the reference id; it never holds a
    // secret (the core redacts before a message or body is stored).
    let instance = class.call((error.to_string(),), Some(&fields))?;
    Ok(PyErr::from_value(instance))
}

/// Converts a core error into the matching `dollr` exception.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    match build(py, error) {
        Ok(err) => err,
        // Only reachable if `dollr.errors` itself is broken; keep the original text visible.
        Err(import_problem) => PyRuntimeError::new_err(format!(
            "{error} (and the dollr exception could not be built: {import_problem})"
        )),
    }
}

/// Converts a result's error on the way out to Python.
pub(crate) fn into_py<T>(py: Python<'_>, result: Result<T, Error>) -> PyResult<T> {
    result.map_err(|error| to_py_err(py, &error))
}
