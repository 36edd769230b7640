//! The core's JSON results and events as the Python layer's typed objects (`dollr.Execution`,
//! `dollr.ExecutionStatus`, `Decimal`, aware `datetime`, `dollr.Secret`, the `FlowEvent`
//! subclasses), built here straight from the JSON value — the one decoder of the binding. Before,
//! the result became plain `dict`s and `list`s first and a Python-level decoder walked them again.
//!
//! What to build is the bridge schema's type of each value (`model:Execution`, `list:model:Party`,
//! `enum:ExecutionStatus`, `decimal`, `timestamp`, `secret`; anything else passes as the plain
//! value `crate::values` makes): an operation's result by the schema's `returns`
//! (`dollr_core::bridge::operation_returns`), an event (type `event`) by its `event` name. The
//! classes, and each model's `(attribute, JSON name, type)` fields, are the generated Python
//! layer's (`dollr._support` registers its tables at import, [`_register_classes`]); a plan per
//! type is derived once and kept.
//!
//! Decoding is lenient as the Python layer always was: a value of another shape than its type
//! (a newer API) is kept as the plain value, an enum value this version does not know stays a
//! `str`, an absent field is `None`, an unknown event is an `UnknownEvent`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::Value;

use crate::values::{from_python, to_python};

/// The generated Python layer's tables, registered once by `dollr._support`.
struct Classes {
    /// Model name → class (every `Model` subclass, events included).
    models: Py<PyDict>,
    /// Enum name → class.
    enums: Py<PyDict>,
    /// Event name (`party_ready`) → its `FlowEvent` subclass.
    events: Py<PyDict>,
    secret: Py<PyAny>,
    unknown_event: Py<PyAny>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// Called once by `dollr._support` at import, with its tables (filled as the generated modules
/// define their classes: the dicts are read at first use, not copied).
#[pyfunction]
pub(crate) fn _register_classes(
    py: Python<'_>,
    models: Py<PyDict>,
    enums: Py<PyDict>,
    events: Py<PyDict>,
    secret: Py<PyAny>,
    unknown_event: Py<PyAny>,
) {
    // A second import of the layer (a test reloading it) keeps the first tables: the classes a
    // client's results are built from do not change under it.
    let _ = CLASSES.set(
        py,
        Classes {
            models,
            enums,
            events,
            secret,
            unknown_event,
        },
    );
}

/// Converts the JSON-like Python value `value` (what `json.loads` gives) to the bridge type
/// `kind`: `dollr._support.from_wire`.
#[pyfunction]
pub(crate) fn decode<'py>(
    py: Python<'py>,
    kind: &str,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let value = from_python(value).map_err(|refused| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "not a JSON value at `{}`: {}",
            refused.path.join("."),
            refused.what
        ))
    })?;
    let kind = kind_of(py, kind)?;
    build(py, &kind, &value)
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    CLASSES.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("dollr._native: dollr._support has not registered its classes")
    })
}

/// A bridge type, resolved.
enum Kind {
    /// Built by `crate::values` as it is (string, integer, number, boolean, json; an unknown type).
    Plain,
    Decimal,
    Timestamp,
    Secret,
    /// The enum's `_value2member_map_`.
    Enum(Py<PyDict>),
    Model(Arc<ModelSlot>),
    List(Arc<Kind>),
    /// A flow or wait event, by its `event` name ([`event`]).
    Event,
}

/// A model's plan, derived from its class at first use (models may contain themselves).
struct ModelSlot {
    name: String,
    plan: PyOnceLock<ModelPlan>,
}

struct ModelPlan {
    class: Py<PyAny>,
    fields: Vec<Field>,
}

struct Field {
    attribute: Py<PyString>,
    wire: String,
    kind: Arc<Kind>,
}

/// A table filled as names are first met (types, models, operations). Only read and written under
/// its lock, where no Python runs; what goes in is derived outside it, since deriving reads Python
/// objects.
type Table<T> = Mutex<Option<HashMap<String, T>>>;

fn lookup<T: Clone>(table: &Table<T>, key: &str) -> Option<T> {
    table
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|entries| entries.get(key).cloned())
}

/// Stores `value` under `key` unless another thread stored one first, and returns the one stored:
/// every caller gets the same entry.
fn store<T: Clone>(table: &Table<T>, key: &str, value: T) -> T {
    table
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .entry(key.to_string())
        .or_insert(value)
        .clone()
}

static KINDS: Table<Arc<Kind>> = Mutex::new(None);
static MODEL_SLOTS: Table<Arc<ModelSlot>> = Mutex::new(None);

/// The resolved type `kind`, derived once.
fn kind_of(py: Python<'_>, kind: &str) -> PyResult<Arc<Kind>> {
    if let Some(found) = lookup(&KINDS, kind) {
        return Ok(found);
    }
    let resolved = Arc::new(resolve(py, kind)?);
    Ok(store(&KINDS, kind, resolved))
}

fn resolve(py: Python<'_>, kind: &str) -> PyResult<Kind> {
    Ok(match kind {
        "decimal" => Kind::Decimal,
        "timestamp" => Kind::Timestamp,
        "secret" => Kind::Secret,
        "event" => Kind::Event,
        _ => {
            if let Some(item) = kind.strip_prefix("list:") {
                Kind::List(kind_of(py, item)?)
            } else if let Some(name) = kind.strip_prefix("model:") {
                Kind::Model(model_slot(name))
            } else if let Some(name) = kind.strip_prefix("enum:") {
                match classes(py)?.enums.bind(py).get_item(name)? {
                    Some(class) => Kind::Enum(
                        class
                            .getattr("_value2member_map_")?
                            .cast_into::<PyDict>()?
                            .unbind(),
                    ),
                    None => Kind::Plain,
                }
            } else {
                Kind::Plain
            }
        }
    })
}

fn model_slot(name: &str) -> Arc<ModelSlot> {
    if let Some(found) = lookup(&MODEL_SLOTS, name) {
        return found;
    }
    let slot = Arc::new(ModelSlot {
        name: name.to_string(),
        plan: PyOnceLock::new(),
    });
    store(&MODEL_SLOTS, name, slot)
}

impl ModelSlot {
    fn plan(&self, py: Python<'_>) -> PyResult<&ModelPlan> {
        self.plan.get_or_try_init(py, || {
            let class = classes(py)?
                .models
                .bind(py)
                .get_item(&self.name)?
                .ok_or_else(|| {
                    PyRuntimeError::new_err(format!("dollr has no model `{}`", self.name))
                })?;
            model_plan(py, class)
        })
    }
}

/// A model class's plan, from its generated `_fields`.
fn model_plan(py: Python<'_>, class: Bound<'_, PyAny>) -> PyResult<ModelPlan> {
    let specs = class.getattr("_fields")?;
    let mut fields = Vec::new();
    for spec in specs.try_iter()? {
        let spec = spec?.cast_into::<PyTuple>()?;
        let attribute = spec.get_item(0)?.cast_into::<PyString>()?;
        let wire: String = spec.get_item(1)?.extract()?;
        let kind: String = spec.get_item(2)?.extract()?;
        fields.push(Field {
            attribute: PyString::intern(py, &attribute.to_cow()?).unbind(),
            wire,
            kind: kind_of(py, &kind)?,
        });
    }
    Ok(ModelPlan {
        class: class.unbind(),
        fields,
    })
}

/// `object.__new__`: a model instance without running its `__init__` (whose arguments are
/// required keywords; decoding sets every field).
fn object_new(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    NEW.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("builtins")?
                .getattr("object")?
                .getattr("__new__")?
                .unbind(),
        )
    })
    .map(|new| new.bind(py))
}

fn build<'py>(py: Python<'py>, kind: &Kind, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match (kind, value) {
        (_, Value::Null) => Ok(py.None().into_bound(py)),
        (Kind::Decimal, Value::String(text)) => crate::values::decimal(py, text),
        (Kind::Decimal, Value::Number(number)) => crate::values::decimal(py, number.as_str()),
        (Kind::Timestamp, Value::String(text)) => timestamp(py, text),
        (Kind::Secret, Value::String(_)) => {
            classes(py)?.secret.bind(py).call1((to_python(py, value)?,))
        }
        (Kind::Enum(members), Value::String(text)) => {
            let text = PyString::new(py, text);
            match members.bind(py).get_item(&text)? {
                Some(member) => Ok(member),
                None => Ok(text.into_any()), // a value this SDK version does not know
            }
        }
        (Kind::Model(slot), Value::Object(fields)) => model(py, slot.plan(py)?, fields),
        (Kind::Event, Value::Object(_)) => event(py, value),
        (Kind::List(item), Value::Array(items)) => {
            let list = PyList::empty(py);
            for value in items {
                list.append(build(py, item, value)?)?;
            }
            Ok(list.into_any())
        }
        _ => to_python(py, value),
    }
}

fn model<'py>(
    py: Python<'py>,
    plan: &ModelPlan,
    fields: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyAny>> {
    let class = plan.class.bind(py);
    let instance = object_new(py)?.call1((class,))?;
    for field in &plan.fields {
        let value = match fields.get(&field.wire) {
            Some(value) => build(py, &field.kind, value)?,
            None => py.None().into_bound(py),
        };
        instance.setattr(field.attribute.bind(py), value)?;
    }
    Ok(instance)
}

/// One event (`{"event": "party_ready", ...}`) as its `FlowEvent` subclass, or an `UnknownEvent`
/// (name and plain fields) for a name this SDK version does not know.
pub(crate) fn event<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    let name = value.get("event").and_then(Value::as_str).unwrap_or("");
    let tables = classes(py)?;
    if let Some(class) = tables.events.bind(py).get_item(name)? {
        if let Value::Object(fields) = value {
            let class_name: String = class.getattr("__name__")?.extract()?;
            return model(py, model_slot(&class_name).plan(py)?, fields);
        }
    }
    let kwargs = PyDict::new(py);
    let shown = match value.get("event") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => other.to_string(),
        None => "None".to_string(),
    };
    kwargs.set_item("name", shown)?;
    kwargs.set_item("data", to_python(py, value)?)?;
    tables.unknown_event.bind(py).call((), Some(&kwargs))
}

/// What an operation's result is built as: its type in the schema (`returns`), or, for a name the
/// core does not know (it refuses the call before any result), the plain values.
#[derive(Clone)]
pub(crate) struct ResultType(Option<Arc<Kind>>);

/// Each known operation's result type, resolved at its first call (unknown names are not kept:
/// a caller's typos must not grow the table).
static RESULT_KINDS: Table<Arc<Kind>> = Mutex::new(None);

impl ResultType {
    /// `operation`'s, derived with `dollr_core::bridge::operation_returns` once per operation.
    pub(crate) fn of(py: Python<'_>, operation: &str) -> PyResult<ResultType> {
        if let Some(found) = lookup(&RESULT_KINDS, operation) {
            return Ok(ResultType(Some(found)));
        }
        let Some(returns) = dollr_core::bridge::operation_returns(operation) else {
            return Ok(ResultType(None));
        };
        let kind = kind_of(py, &returns)?;
        Ok(ResultType(Some(store(&RESULT_KINDS, operation, kind))))
    }

    /// The result `value` as this type's Python object.
    pub(crate) fn build<'py>(&self, py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
        match &self.0 {
            Some(kind) => build(py, kind, value),
            None => to_python(py, value),
        }
    }
}

/// RFC 3339 text as an aware `datetime`, through `datetime.fromisoformat` (C), given the text
/// Python 3.9's accepts: `Z` as `+00:00`, the fraction as exactly six digits (digits past
/// microseconds are dropped: the type cannot hold them).
fn timestamp<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    static FROM_ISO: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let parse = FROM_ISO.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("datetime")?
                .getattr("fromisoformat")?
                .unbind(),
        )
    })?;
    parse.bind(py).call1((iso_for_python(text),))
}

fn iso_for_python(text: &str) -> String {
    let text = match text.strip_suffix(['Z', 'z']) {
        Some(head) => format!("{head}+00:00"),
        None => text.to_string(),
    };
    let Some((head, rest)) = text.split_once('.') else {
        return text;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (fraction, offset) = rest.split_at(digits);
    let fraction = &fraction[..fraction.len().min(6)];
    format!("{head}.{fraction:0<6}{offset}")
}

#[cfg(test)]
mod tests {
    use super::iso_for_python;

    #[test]
    fn timestamps_become_text_python_3_9_parses() {
        for (given, expected) in [
            ("2026-12-03T10:00:00Z", "2026-12-03T10:00:00+00:00"),
            ("2026-12-03T10:00:00.5Z", "2026-12-03T10:00:00.500000+00:00"),
            (
                "2026-12-03T10:00:00.123456789+02:00",
                "2026-12-03T10:00:00.123456+02:00",
            ),
            ("2026-12-03T10:00:00+01:00", "2026-12-03T10:00:00+01:00"),
            ("2026-12-03T10:00:00.1", "2026-12-03T10:00:00.100000"),
        ] {
            assert_eq!(iso_for_python(given), expected, "{given}");
        }
    }
}
