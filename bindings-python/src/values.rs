//! Python values as the core's JSON arguments, and the core's JSON results and events as Python
//! values, converted here rather than printed as JSON text for the other side to parse again: a
//! status lookup spent more instructions on that round trip (serializing, scanning the text, a
//! Python-level decoder) than on the HTTP exchange.
//!
//! Arguments arrive as the Python layer's `to_wire` left them (`dollr._support`): `dict`, `list`,
//! `tuple`, `str`, `int`, `float`, `bool` and `None`, what `json.dumps` took before. Anything else
//! (`bytes`, an object of the caller's own class) is refused naming the field it is at
//! ([`Unsendable`]), where `json.dumps` raised a `TypeError` naming neither.
//!
//! The values are what `json.loads(text, parse_float=Decimal)` gave the Python layer before, so
//! its typed conversions (`dollr._support.from_wire`, driven by the schema's kinds) are unchanged:
//! objects become `dict`, arrays `list`, strings `str`, `true`/`false` `bool`, `null` `None`, a
//! whole number `int` (of any size) and any other number `decimal.Decimal` of its exact text
//! (`serde_json`'s `arbitrary_precision` keeps that text), never a `float`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::{Map, Number, Value};

/// How deep arguments may nest: deeper is no request the API takes, and a structure that contains
/// itself would otherwise never end.
const DEEPEST: usize = 64;

/// An argument value JSON cannot carry: where it is (keys and indexes from the argument object
/// down) and what it is, for `dollr_core::bridge::unsendable_argument`.
#[derive(Debug)]
pub(crate) struct Unsendable {
    /// Innermost first while the error travels out; [`from_python`] reverses it.
    pub(crate) path: Vec<String>,
    pub(crate) what: String,
}

/// A Python argument object (or client options) as the JSON the core reads.
pub(crate) fn from_python(value: &Bound<'_, PyAny>) -> Result<Value, Unsendable> {
    to_json(value, 0).map_err(|mut unsendable| {
        unsendable.path.reverse();
        unsendable
    })
}

fn unsendable(what: String) -> Unsendable {
    Unsendable {
        path: Vec::new(),
        what,
    }
}

/// `value`'s type in words (`a bytes`), as `dollr._support._what` names refused values: never the
/// value itself, which may be a misplaced secret.
fn type_of(value: &Bound<'_, PyAny>) -> String {
    let name = value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_string());
    format!("a {name}")
}

fn to_json(value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Unsendable> {
    if depth > DEEPEST {
        return Err(unsendable(format!(
            "a structure nested more than {DEEPEST} levels deep (or containing itself)"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return match text.to_cow() {
            Ok(text) => Ok(Value::String(text.into_owned())),
            Err(_) => Err(unsendable("a str that is not Unicode text".to_string())),
        };
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if let Ok(whole) = value.cast::<PyInt>() {
        if let Ok(small) = whole.extract::<i64>() {
            return Ok(Value::Number(small.into()));
        }
        if let Ok(large) = whole.extract::<u64>() {
            return Ok(Value::Number(large.into()));
        }
        // Beyond 64 bits: its decimal digits, exact (`arbitrary_precision` keeps them).
        return whole
            .str()
            .ok()
            .and_then(|digits| serde_json::from_str::<Number>(&digits.to_string()).ok())
            .map(Value::Number)
            .ok_or_else(|| unsendable(type_of(value)));
    }
    if let Ok(fields) = value.cast::<PyDict>() {
        let mut object = Map::with_capacity(fields.len());
        for (key, item) in fields.iter() {
            let key = if let Ok(text) = key.cast::<PyString>() {
                text.to_cow()
                    .map(std::borrow::Cow::into_owned)
                    .map_err(|_| unsendable("a key that is not Unicode text".to_string()))?
            } else if key.is_instance_of::<PyInt>() && !key.is_instance_of::<PyBool>() {
                // As `json.dumps` writes whole-number keys.
                key.str()
                    .map(|digits| digits.to_string())
                    .map_err(|_| unsendable(type_of(&key)))?
            } else {
                return Err(unsendable(format!("{} as a key", type_of(&key))));
            };
            let item = to_json(&item, depth + 1).map_err(|mut inner| {
                inner.path.push(key.clone());
                inner
            })?;
            object.insert(key, item);
        }
        return Ok(Value::Object(object));
    }
    if let Ok(items) = value.cast::<PyList>() {
        return array(items.iter(), depth);
    }
    if let Ok(items) = value.cast::<PyTuple>() {
        return array(items.iter(), depth);
    }
    if let Ok(fraction) = value.cast::<PyFloat>() {
        return Number::from_f64(fraction.value())
            .map(Value::Number)
            .ok_or_else(|| unsendable(format!("the float {}", fraction.value())));
    }
    Err(unsendable(type_of(value)))
}

fn array<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> Result<Value, Unsendable> {
    items
        .enumerate()
        .map(|(index, item)| {
            to_json(&item, depth + 1).map_err(|mut inner| {
                inner.path.push(index.to_string());
                inner
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// `decimal.Decimal`, looked up once.
fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    DECIMAL
        .get_or_try_init(py, || {
            py.import("decimal")?.getattr("Decimal").map(Bound::unbind)
        })
        .map(|class| class.bind(py))
}

/// `Decimal(text)`: an amount, exact.
pub(crate) fn decimal<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    decimal_class(py)?.call1((text,))
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
        decimal(py, text)
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
