//! The core's JSON results and events as Python values, built here rather than printed as JSON
//! text for `json.loads` to parse again: a status lookup spent more instructions on that round
//! trip (serializing, scanning the text, a Python-level decoder) than on the HTTP exchange.
//!
//! The values are what `json.loads(text, parse_float=Decimal)` gave the Python layer before, so
//! its typed conversions (`dollr._support.from_wire`, driven by the schema's kinds) are unchanged:
//! objects become `dict`, arrays `list`, strings `str`, `true`/`false` `bool`, `null` `None`, a
//! whole number `int` (of any size) and any other number `decimal.Decimal` of its exact text
//! (`serde_json`'s `arbitrary_precision` keeps that text), never a `float`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;
use serde_json::{Number, Value};

/// `decimal.Decimal`, looked up once.
fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    DECIMAL
        .get_or_try_init(py, || {
            py.import("decimal")?.getattr("Decimal").map(Bound::unbind)
        })
        .map(|class| class.bind(py))
}

fn number<'py>(py: Python<'py>, number: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(whole) = number.as_i64() {
        return whole.into_bound_py_any(py);
    }
    if let Some(whole) = number.as_u64() {
        return whole.into_bound_py_any(py);
    }
    let text = number.as_str();
    if text.contains(['.', 'e', 'E']) {
        decimal_class(py)?.call1((text,))
    } else {
        // A whole number beyond 64 bits: Python's int holds it exactly.
        py.get_type::<pyo3::types::PyInt>().call1((text,))
    }
}

/// One JSON value as the Python value the layer above converts further.
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(flag) => flag.into_bound_py_any(py),
        Value::Number(n) => number(py, n),
        Value::String(text) => text.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, item) in fields {
                dict.set_item(key, to_python(py, item)?)?;
            }
            Ok(dict.into_any())
        }
    }
}
