//! Results written as the JSON of the object the JS layer returns (#19): model fields under their
//! JavaScript names, absent (`null`) fields left out, so that the JS layer only `JSON.parse`s the
//! text and wraps the secret fields in `Secret` (`lib/runtime.js`, `decodeResult`) instead of
//! parsing the wire's JSON and then copying every object again key by key (`fromWire`), which
//! cost a status lookup more than `JSON.parse` itself.
//!
//! The rules are `fromWire`'s, applied by the same tables: the JS layer describes the types an
//! operation returns once per environment (`_resultShape`, from the generated tables, so no name
//! is decided here) and passes the shape's number with each call. What JSON cannot say as
//! `fromWire` would build it — a `null` inside a list or map, which `fromWire` turns into
//! `undefined` — is not shaped: the result is then the wire's JSON behind one space (see
//! [`ResultShape::to_json`]) and the JS layer converts it the old way.

use std::collections::HashMap;
use std::sync::Arc;

use napi::Env;
use napi_derive::napi;
use serde::Deserialize;
use serde_json::Value;

use crate::errors::{guard_sync, to_napi_error};

/// How `fromWire` treats a value of one schema type.
enum Ty {
    /// Returned as it is: scalars, enums, timestamps, `secret` (wrapped by the JS layer), `json`.
    AsIs,
    /// `list:<inner>`: each item converted, when the value is an array.
    List(Box<Ty>),
    /// `map:<inner>`: keys kept, each value converted, when the value is an object.
    Map(Box<Ty>),
    /// `model:<name>` of a model the tables know: an index into [`ResultShape::models`].
    Model(usize),
    /// `model:<name>` of a model the tables do not know: `genericFromWire`.
    Generic,
}

/// One model's fields, sorted by wire name (looked up by binary search).
struct Model {
    fields: Vec<Field>,
}

struct Field {
    wire: String,
    js: String,
    ty: Ty,
}

/// The types one operation returns (see the module docs).
pub(crate) struct ResultShape {
    returns: Ty,
    models: Vec<Model>,
}

/// What the JS layer sends (`shapeOf` in lib/runtime.js): the operation's return type and every
/// model reachable from it as `[wire, js, type]` triples.
#[derive(Deserialize)]
struct Description {
    returns: String,
    models: HashMap<String, Vec<(String, String, String)>>,
}

/// A result could not be shaped (a `null` where `fromWire` makes `undefined`).
struct Unshapeable;

impl ResultShape {
    fn from_description(description: &Description) -> dollr_core::Result<ResultShape> {
        let mut shape = ResultShape {
            returns: Ty::AsIs,
            models: Vec::new(),
        };
        let mut indexes = HashMap::new();
        shape.returns = shape.compile(&description.returns, description, &mut indexes)?;
        Ok(shape)
    }

    /// `ty` as `fromWire` reads it (lib/runtime.js), models compiled once each (a model may
    /// contain itself).
    fn compile(
        &mut self,
        ty: &str,
        description: &Description,
        indexes: &mut HashMap<String, usize>,
    ) -> dollr_core::Result<Ty> {
        if ty == "event" {
            // Told apart by their `event` name: the JS layer never sends them.
            return Err(dollr_core::Error::internal(
                "event types are not shaped by the addon",
            ));
        }
        if let Some(inner) = ty.strip_prefix("list:") {
            return Ok(Ty::List(Box::new(self.compile(
                inner,
                description,
                indexes,
            )?)));
        }
        if let Some(inner) = ty.strip_prefix("map:") {
            return Ok(Ty::Map(Box::new(self.compile(
                inner,
                description,
                indexes,
            )?)));
        }
        let Some(name) = ty.strip_prefix("model:") else {
            return Ok(Ty::AsIs);
        };
        if let Some(index) = indexes.get(name) {
            return Ok(Ty::Model(*index));
        }
        let Some(fields) = description.models.get(name) else {
            return Ok(Ty::Generic);
        };
        let index = self.models.len();
        indexes.insert(name.to_string(), index);
        self.models.push(Model { fields: Vec::new() });
        let mut compiled = Vec::with_capacity(fields.len());
        for (wire, js, field_ty) in fields {
            compiled.push(Field {
                wire: wire.clone(),
                js: js.clone(),
                ty: self.compile(field_ty, description, indexes)?,
            });
        }
        compiled.sort_by(|a, b| a.wire.cmp(&b.wire));
        // Two fields of one wire name: `byWire` in the JS tables keeps the last one.
        compiled.reverse();
        compiled.dedup_by(|later, earlier| later.wire == earlier.wire);
        compiled.reverse();
        self.models[index].fields = compiled;
        Ok(Ty::Model(index))
    }

    /// The result as the JS object's JSON; or, when it cannot be shaped, the wire's JSON behind
    /// one space (which `JSON.parse` skips), for the JS layer to convert with `fromWire`.
    pub(crate) fn to_json(&self, value: &Value) -> dollr_core::Result<String> {
        let mut out = String::with_capacity(512);
        match self.write(&self.returns, value, &mut out) {
            Ok(()) => Ok(out),
            Err(Unshapeable) => Ok(format!(" {}", dollr_core::bridge::host_json(value)?)),
        }
    }

    fn write(&self, ty: &Ty, value: &Value, out: &mut String) -> Result<(), Unshapeable> {
        match (ty, value) {
            (Ty::List(inner), Value::Array(items)) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if item.is_null() {
                        return Err(Unshapeable);
                    }
                    if index > 0 {
                        out.push(',');
                    }
                    self.write(inner, item, out)?;
                }
                out.push(']');
            }
            (Ty::Map(inner), Value::Object(entries)) => {
                out.push('{');
                for (index, (key, item)) in entries.iter().enumerate() {
                    if item.is_null() {
                        return Err(Unshapeable);
                    }
                    if index > 0 {
                        out.push(',');
                    }
                    write_str(key, out);
                    out.push(':');
                    self.write(inner, item, out)?;
                }
                out.push('}');
            }
            (Ty::Model(index), Value::Object(entries)) => {
                let fields = &self.models[*index].fields;
                out.push('{');
                let mut first = true;
                for (key, item) in entries {
                    if item.is_null() {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    match fields.binary_search_by(|field| field.wire.as_str().cmp(key)) {
                        Ok(found) => {
                            let field = &fields[found];
                            write_str(&field.js, out);
                            out.push(':');
                            self.write(&field.ty, item, out)?;
                        }
                        Err(_) => {
                            write_str(&camel_case(key), out);
                            out.push(':');
                            write_plain(item, Plain::Generic, out);
                        }
                    }
                }
                out.push('}');
            }
            (Ty::Model(_) | Ty::Generic, _) => write_plain(value, Plain::Generic, out),
            _ => write_plain(value, Plain::AsIs, out),
        }
        Ok(())
    }
}

/// How [`write_plain`] writes a value that no table describes.
#[derive(Clone, Copy)]
enum Plain {
    /// `genericFromWire`: keys camelCased, `null` members left out (`null` items of arrays kept).
    Generic,
    /// Exactly as the wire has it (what `fromWire` returns unchanged).
    AsIs,
}

/// `value` as compact JSON, by `how`.
fn write_plain(value: &Value, how: Plain, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // The number's own text (the workspace's serde_json keeps it: `arbitrary_precision`).
        Value::Number(number) => out.push_str(number.as_str()),
        Value::String(text) => write_str(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_plain(item, how, out);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            out.push('{');
            let mut first = true;
            for (key, item) in entries {
                if matches!(how, Plain::Generic) && item.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                match how {
                    Plain::Generic => write_str(&camel_case(key), out),
                    Plain::AsIs => write_str(key, out),
                }
                out.push(':');
                write_plain(item, how, out);
            }
            out.push('}');
        }
    }
}

/// `text` as a JSON string: `"` and `\` escaped, control characters as `\u00XX`, every other
/// character as it is (JSON text may hold it), so `JSON.parse` gives back `text`. Written here
/// rather than by serde_json's serializer, one of which per value cost twice as much.
fn write_str(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        if byte != b'"' && byte != b'\\' && byte >= 0x20 {
            continue;
        }
        // `index` is an ASCII byte's: a character boundary.
        out.push_str(&text[start..index]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// lib/runtime.js's `camelCase`: each `_` followed by a lowercase ASCII letter or a digit is
/// dropped and that character uppercased (`name.replace(/_([a-z0-9])/g, …)`), byte for byte.
fn camel_case(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut start = 0;
    let mut index = 0;
    while index + 1 < bytes.len() {
        let next = bytes[index + 1];
        if bytes[index] == b'_' && (next.is_ascii_lowercase() || next.is_ascii_digit()) {
            out.push_str(&name[start..index]);
            out.push(char::from(next.to_ascii_uppercase()));
            index += 2;
            start = index;
        } else {
            index += 1;
        }
    }
    out.push_str(&name[start..]);
    out
}

/// Called by lib/runtime.js once per operation and environment with the operation's result
/// description (see [`Description`]): the number its calls pass to `NativeClient.call`. Hidden
/// from the typings.
#[napi(js_name = "_resultShape")]
pub fn result_shape(env: Env, description_json: String) -> napi::Result<u32> {
    guard_sync(&env, || {
        let shape = serde_json::from_str::<Description>(&description_json)
            .map_err(|e| dollr_core::Error::internal(format!("an invalid result description: {e}")))
            .and_then(|description| ResultShape::from_description(&description))
            .map_err(|error| to_napi_error(&env, &error))?;
        let state = crate::per_env::get_or_init(&env)?;
        let number = u32::try_from(state.shapes.len())
            .map_err(|_| napi::Error::from_reason("too many result shapes"))?;
        state.shapes.push(Arc::new(shape));
        Ok(number)
    })
}

/// `wire_json` (a result as the bridge writes it) written by shape `number`, as a call's result
/// would be: for the tests, which compare it with `fromWire` on any value. Hidden from the typings.
#[napi(js_name = "_shapeForTests")]
pub fn shape_for_tests(env: Env, number: u32, wire_json: String) -> napi::Result<String> {
    guard_sync(&env, || {
        let shape = registered(&env, number)?
            .ok_or_else(|| napi::Error::from_reason(format!("no result shape {number}")))?;
        dollr_core::bridge::parse_host_json("the result", &wire_json)
            .and_then(|value| shape.to_json(&value))
            .map_err(|error| to_napi_error(&env, &error))
    })
}

/// The shape registered as `number` in this environment, if any.
pub(crate) fn registered(env: &Env, number: u32) -> napi::Result<Option<Arc<ResultShape>>> {
    Ok(crate::per_env::get(env)?
        .and_then(|state| state.shapes.get(usize::try_from(number).ok()?))
        .cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(returns: &str, models: serde_json::Value) -> ResultShape {
        let description: Description = serde_json::from_value(serde_json::json!({
            "returns": returns,
            "models": models,
        }))
        .unwrap();
        ResultShape::from_description(&description).unwrap()
    }

    #[test]
    fn camel_case_matches_the_js_regex() {
        for (wire, js) in [
            ("country_code", "countryCode"),
            ("a__b", "a_B"),
            ("a_1", "a1"),
            ("_1", "1"),
            ("trailing_", "trailing_"),
            ("UPPER_Case", "UPPER_Case"),
            ("x_é", "x_é"),
            ("", ""),
        ] {
            assert_eq!(camel_case(wire), js, "{wire}");
        }
    }

    #[test]
    fn models_lists_maps_and_unknown_fields() {
        let shape = shape(
            "list:model:A",
            serde_json::json!({
                "A": [["client_secret", "clientSecret", "secret"], ["b_list", "bList", "list:model:A"],
                      ["tags", "tags", "map:string"], ["raw", "raw", "json"], ["other", "other", "model:Missing"]],
            }),
        );
        let value = serde_json::json!([{
            "client_secret": "s", "b_list": [{"client_secret": null, "extra_field": {"x_y": null, "z_w": [null, 1]}}],
            "tags": {"k_k": "v"}, "raw": {"a_b": null}, "other": {"p_q": 1, "r": null}, "gone": null,
        }]);
        assert_eq!(
            shape.to_json(&value).unwrap(),
            r#"[{"bList":[{"extraField":{"zW":[null,1]}}],"clientSecret":"s","other":{"pQ":1},"raw":{"a_b":null},"tags":{"k_k":"v"}}]"#
        );
    }

    #[test]
    fn a_null_that_js_makes_undefined_is_left_to_the_js_layer() {
        let shape = shape("list:string", serde_json::json!({}));
        assert_eq!(
            shape.to_json(&serde_json::json!(["a", null])).unwrap(),
            r#" ["a",null]"#
        );
        let shape = shape_of_map();
        assert_eq!(
            shape.to_json(&serde_json::json!({"a": null})).unwrap(),
            r#" {"a":null}"#
        );
        assert_eq!(shape.to_json(&Value::Null).unwrap(), "null");
    }

    #[test]
    fn strings_and_numbers_read_back_as_they_were() {
        let shape = shape("json", serde_json::json!({}));
        let value: Value = serde_json::from_str(
            r#"{"a":"q\"b\\s\u0001\n\t é 😀","n":[1,-2.50,1e3,12345678901234567890123],"t":true,"f":false,"z":null}"#,
        )
        .unwrap();
        let written = shape.to_json(&value).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), value);
        assert!(
            written.contains("-2.50") && written.contains("12345678901234567890123"),
            "{written}"
        );
    }

    fn shape_of_map() -> ResultShape {
        shape("map:integer", serde_json::json!({}))
    }

    #[test]
    fn events_are_not_shaped() {
        let description: Description =
            serde_json::from_value(serde_json::json!({"returns": "event", "models": {}})).unwrap();
        assert!(ResultShape::from_description(&description).is_err());
    }
}
