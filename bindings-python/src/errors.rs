//! The one mapping from the core's errors to Python exceptions.
//!
//! The exception classes live in `dollr/errors.py`, generated from the core's table of error kinds
//! (so they can be documented, pickled and subclassed like any Python exception); its
//! `ERROR_CLASSES` gives the class of each kind by its stable name, and this file copies the
//! error's fields onto an instance. A kind the Python layer does not know yet (a stale generated
//! file) still raises, as the base `DollrError` with its `kind`.

use dollr_core::{Error, ErrorKind};
use pyo3::exceptions::{PyKeyError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || py.import("dollr.errors").map(Bound::unbind))
        .map(|module| module.bind(py))
}

/// The Python class of `kind`: `dollr.errors.ERROR_CLASSES[kind]`, else `DollrError`.
fn class_of(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyAny>> {
    let module = errors_module(py)?;
    match module.getattr("ERROR_CLASSES")?.get_item(kind.name()) {
        Err(missing) if missing.is_instance_of::<PyKeyError>(py) => module.getattr("DollrError"),
        found => found,
    }
}

/// Every core error kind with the name of the Python class it raises (proves the mapping is
/// complete).
#[pyfunction]
pub(crate) fn _error_classes(py: Python<'_>) -> PyResult<Vec<(&'static str, String)>> {
    ErrorKind::ALL
        .iter()
        .map(|kind| {
            Ok((
                kind.name(),
                class_of(py, *kind)?.getattr("__name__")?.extract()?,
            ))
        })
        .collect()
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let class = class_of(py, error.kind())?;
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
