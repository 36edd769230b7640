//! Turning a bridge call's JSON arguments into the core's typed values.
//!
//! The arguments are one flat JSON object: positional parameters (`id`, `item_id`,
//! `reference_id`, …) next to the fields of the operation's request type. No `#[serde(flatten)]`
//! is involved (with `arbitrary_precision` it would read numbers through serde's buffer and
//! break exact decimals): the positional keys are removed from the map first, and the rest is
//! deserialized into the request type with the core's own `Deserialize`. Before that, the whole
//! object is checked against the request type's JSON Schema (derived from the same Rust type) so
//! that a typo (`amout`) or a missing field is a `Validation` error naming the field, nested
//! fields included (`items.0.amout`). `null` means "not given" (bindings pass `None` for unset
//! keyword arguments).

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::bridge::schema;
use crate::enums::{MerchantType, OperationType, OwnerType, PaymentMethod, SourceType};
use crate::error::{Error, ErrorKind, Result, ValidationDetail};

/// The arguments of one call, positional keys still in the map until taken.
pub(crate) struct Args {
    operation: &'static str,
    map: Map<String, Value>,
}

/// A `Validation` error on `field` with the FastAPI-style detail `kind`.
pub(crate) fn field_error(field: &str, message: String, kind: &str) -> Error {
    Error::new(ErrorKind::Validation, message.clone())
        .with_details(vec![ValidationDetail::body(field, message, kind)])
}

/// Where the API takes each argument of an operation, so that client-side validation details say
/// `path` or `query` for those parameters as the API's own 422s do (the core's validators and
/// [`field_error`] only know field names, and say `body`).
pub(crate) struct Locations {
    /// The kind of the request type's fields: `body`, `query`, `arg` or `none`.
    pub(crate) request: &'static str,
    /// Each positional parameter's name and kind (`path`, `query`, `arg`).
    pub(crate) positional: &'static [(&'static str, &'static str)],
}

impl Locations {
    /// `error` with each client-side detail's `loc` prefixed by where the API takes its field.
    /// Errors from the API (with an HTTP status) keep the `loc` the API gave.
    pub(crate) fn relocate(&self, error: Error) -> Error {
        if error.kind() != ErrorKind::Validation || error.status().is_some() {
            return error;
        }
        error.edit_details(|detail| {
            if let Some(location) = self.location_of(&detail.loc) {
                detail.loc[0] = location.to_string();
            }
        })
    }

    fn location_of(&self, loc: &[String]) -> Option<&'static str> {
        let (Some("body"), Some(field)) = (loc.first().map(String::as_str), loc.get(1)) else {
            return None;
        };
        let kind = match self.positional.iter().find(|(name, _)| name == field) {
            Some((_, kind)) => *kind,
            None => self.request,
        };
        matches!(kind, "path" | "query").then_some(kind)
    }
}

/// Removes `null` members from objects, recursively (arrays keep their `null`s: they are values).
fn drop_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
        other => other,
    }
}

/// What the argument check needs from an operation's request type: its JSON Schema (with the
/// definitions it refers to) and the names a call may pass. Deriving a schema is far costlier
/// than the call it guards (schemars walks the whole type), so each operation derives its shape
/// once and keeps it (`registry::op!`).
pub(crate) struct RequestShape {
    root: Value,
    defs: Map<String, Value>,
    /// The positional names, then the request type's own fields.
    known: Vec<String>,
}

impl RequestShape {
    /// This shape, also accepting (for the unknown-key check and its hint) the names of `others`,
    /// the parts [`Args::split`] takes off before.
    pub(crate) fn also_knowing(mut self, others: &[&RequestShape]) -> RequestShape {
        for other in others {
            self.known.extend(other.known.iter().cloned());
        }
        self
    }

    /// The shape of request type `R` for an operation with the `positional` parameters.
    pub(crate) fn of<R: JsonSchema>(positional: &[&str]) -> RequestShape {
        let mut generator = schema::generator(schema::Contract::Input);
        let root = generator.subschema_for::<R>().to_value();
        let defs = generator.definitions().clone();
        let mut known: Vec<String> = positional.iter().map(|p| p.to_string()).collect();
        if let Some(properties) = schema::resolve(&root, &defs)
            .get("properties")
            .and_then(Value::as_object)
        {
            known.extend(properties.keys().cloned());
        }
        RequestShape { root, defs, known }
    }
}

impl Args {
    /// The arguments of `operation`: a JSON object (or `null` for none).
    pub(crate) fn new(operation: &'static str, args: Value) -> Result<Args> {
        match drop_nulls(args) {
            Value::Null => Ok(Args {
                operation,
                map: Map::new(),
            }),
            Value::Object(map) => Ok(Args { operation, map }),
            other => Err(Error::new(
                ErrorKind::Validation,
                format!(
                    "the arguments of `{operation}` must be a JSON object of named values, not {}",
                    kind_of(&other)
                ),
            )),
        }
    }

    /// Checks every key (nested ones too) against the positional names and the request type's
    /// shape: unknown keys and missing required fields are `Validation` errors naming the field.
    pub(crate) fn check(&self, shape: &RequestShape) -> Result<()> {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !shape.known.contains(k))
            .collect();
        unknown.sort();
        if let Some(key) = unknown.first() {
            return Err(self.unknown_key(key, key, &shape.known));
        }
        let root = schema::resolve(&shape.root, &shape.defs);
        self.check_required(root, &self.map, "")?;
        for (key, value) in &self.map {
            if let Some(property) = root.get("properties").and_then(|p| p.get(key)) {
                self.check_value(value, property, &shape.defs, key)?;
            }
        }
        Ok(())
    }

    fn unknown_key(&self, path: &str, key: &str, known: &[String]) -> Error {
        let operation = self.operation;
        let hint = match closest(key, known) {
            Some(guess) => format!(" (did you mean `{guess}`?)"),
            None => String::new(),
        };
        // Each name in backticks, like every field in the core's messages, so that bindings
        // can respell them (`camel_case_field_names`).
        let mut expected: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
        expected.sort_unstable();
        field_error(
            path,
            format!(
                "unknown argument `{path}` for `{operation}`{hint}; expected one of: {}",
                expected.join(", ")
            ),
            "value_error.extra",
        )
    }

    fn check_required(&self, schema: &Value, object: &Map<String, Value>, at: &str) -> Result<()> {
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                let path = join(at, name);
                return Err(field_error(
                    &path,
                    format!("`{path}` is required by `{}`", self.operation),
                    "value_error.missing",
                ));
            }
        }
        Ok(())
    }

    /// Checks a nested value's keys against its schema (objects with `properties`, arrays with
    /// `items`, nullable `anyOf`s); values of other types are left to the deserializer.
    fn check_value(
        &self,
        value: &Value,
        schema: &Value,
        defs: &Map<String, Value>,
        at: &str,
    ) -> Result<()> {
        let schema = schema::non_null(schema::resolve(schema, defs), defs);
        match value {
            Value::Object(object) => {
                let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                    return Ok(());
                };
                let known: Vec<String> = properties.keys().cloned().collect();
                let mut keys: Vec<&String> = object.keys().collect();
                keys.sort();
                for key in keys {
                    if !properties.contains_key(key) {
                        return Err(self.unknown_key(&join(at, key), key, &known));
                    }
                }
                self.check_required(schema, object, at)?;
                for (key, inner) in object {
                    if let Some(property) = properties.get(key) {
                        self.check_value(inner, property, defs, &join(at, key))?;
                    }
                }
                Ok(())
            }
            Value::Array(items) => match schema.get("items") {
                Some(item_schema) => {
                    for (index, item) in items.iter().enumerate() {
                        self.check_value(item, item_schema, defs, &join(at, &index.to_string()))?;
                    }
                    Ok(())
                }
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Takes a positional argument out of the map (missing → `Validation` naming it).
    pub(crate) fn positional<T: Positional>(&mut self, name: &str) -> Result<T> {
        match self.map.remove(name) {
            Some(value) => T::from_argument(name, value),
            None => Err(field_error(
                name,
                format!("`{name}` is required by `{}`", self.operation),
                "value_error.missing",
            )),
        }
    }

    /// Whether the caller gave `key` (not `null`).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Takes the arguments that belong to `shape` (a second core type read from the same flat
    /// object, e.g. a flow's `FlowOptions` beside its request), checks them against it and
    /// deserializes them: errors name the field as the caller wrote it.
    pub(crate) fn split<T: DeserializeOwned>(&mut self, shape: &RequestShape) -> Result<T> {
        let (taken, rest) = std::mem::take(&mut self.map)
            .into_iter()
            .partition(|(key, _)| shape.known.contains(key));
        self.map = rest;
        let part = Args {
            operation: self.operation,
            map: taken,
        };
        part.check(shape)?;
        part.request()
    }

    /// Deserializes the remaining arguments into the request type with the core's own
    /// `Deserialize` (a type error names the field: `items.0.amount: ...`).
    pub(crate) fn request<R: DeserializeOwned>(self) -> Result<R> {
        let operation = self.operation;
        serde_path_to_error::deserialize(Value::Object(self.map)).map_err(|error| {
            let path = path_of(error.path());
            let inner = error.into_inner().to_string();
            if path.is_empty() {
                Error::new(
                    ErrorKind::Validation,
                    format!("invalid arguments for `{operation}`: {inner}"),
                )
            } else {
                field_error(
                    &path,
                    format!("invalid `{path}` for `{operation}`: {inner}"),
                    "type_error",
                )
            }
        })
    }
}

/// A dotted field path (`items.0.amount`), the core's convention for validation errors. The
/// `arbitrary_precision` number wrapper's private key is not a field.
fn path_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } if key.starts_with("$serde_json") => None,
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The known name closest to a typo (at most two edits away, or sharing a long prefix).
pub(crate) fn closest<'a>(typo: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|name| (edit_distance(typo, name), name))
        .filter(|(distance, name)| *distance <= 2 || (typo.len() >= 4 && name.starts_with(typo)))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A type a positional argument can have.
pub(crate) trait Positional: Sized + JsonSchema {
    /// Reads the argument `name` from its JSON value.
    fn from_argument(name: &str, value: Value) -> Result<Self>;
}

impl Positional for i64 {
    /// Ids: an integer (or its decimal string, as the API itself sometimes sends ids).
    fn from_argument(name: &str, value: Value) -> Result<Self> {
        crate::ids::parse_id(value)
            .map_err(|e| field_error(name, format!("invalid `{name}`: {e}"), "type_error.integer"))
    }
}

impl Positional for String {
    fn from_argument(name: &str, value: Value) -> Result<Self> {
        match value {
            Value::String(text) => Ok(text),
            other => Err(field_error(
                name,
                format!(
                    "invalid `{name}`: expected a string, got {}",
                    kind_of(&other)
                ),
                "type_error.str",
            )),
        }
    }
}

/// Enums are read with their own (open) `Deserialize`: the core's validation refuses unknown
/// values where the API would.
macro_rules! positional_enum {
    ($($ty:ty),+) => {
        $(
            impl Positional for $ty {
                fn from_argument(name: &str, value: Value) -> Result<Self> {
                    match value {
                        Value::String(text) => Ok(<$ty>::parse(&text)),
                        other => Err(field_error(
                            name,
                            format!("invalid `{name}`: expected one of {}, got {}", <$ty>::KNOWN.join(", "), kind_of(&other)),
                            "type_error.enum",
                        )),
                    }
                }
            }
        )+
    };
}

positional_enum!(
    OperationType,
    SourceType,
    MerchantType,
    OwnerType,
    PaymentMethod
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_closest_name() {
        let known: Vec<String> = ["amount", "currency", "name", "qty"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("amout", &known), Some("amount"));
        assert_eq!(closest("curency", &known), Some("currency"));
        assert_eq!(closest("zzzzzzzz", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
