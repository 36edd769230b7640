//! Results written as JSON in the form a binding's host layer returns them (issue #19): model
//! fields under the host's names, absent (`null`) fields left out, written straight from the
//! core's typed result by a `serde` serializer, with no JSON value tree in between.
//!
//! The rules are those of dollr-native's `fromWire` (bindings-node/lib/runtime.js), applied by
//! the binding's own tables: the host layer describes the types an operation returns
//! ([`ResultShape::from_description_json`], from its generated tables, so no name is decided
//! here). What JSON cannot say as `fromWire` would build it — a `null` inside a list or map, which
//! `fromWire` turns into `undefined` — is not shaped: the result is then the wire's JSON behind
//! one space (see [`ResultShape::to_json`]) and the host layer converts it the old way.
//!
//! A [`serde_json::Value`] is written by the same serializer (its `Serialize`), which is how the
//! tests compare the rules with `fromWire` on any value.

use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::sync::Arc;

use serde::ser::{self, Serialize};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// How `fromWire` treats a value of one schema type.
enum Ty {
    /// Returned as it is: scalars, enums, timestamps, `secret` (wrapped by the host layer), `json`.
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
    host: String,
    ty: Ty,
}

/// The types one operation returns (see the module docs).
pub struct ResultShape {
    returns: Ty,
    models: Vec<Model>,
}

/// What the host layer sends (`shapeOf` in bindings-node/lib/runtime.js): the operation's return
/// type and every model reachable from it as `[wire, host, type]` triples.
#[derive(Deserialize)]
struct Description {
    returns: String,
    models: HashMap<String, Vec<(String, String, String)>>,
}

impl ResultShape {
    /// The shape a host layer describes as JSON text (see [`Description`]).
    pub fn from_description_json(text: &str) -> Result<ResultShape> {
        let description = serde_json::from_str::<Description>(text)
            .map_err(|e| Error::internal(format!("an invalid result description: {e}")))?;
        let mut shape = ResultShape {
            returns: Ty::AsIs,
            models: Vec::new(),
        };
        let mut indexes = HashMap::new();
        shape.returns = shape.compile(&description.returns, &description, &mut indexes)?;
        Ok(shape)
    }

    /// `ty` as `fromWire` reads it, models compiled once each (a model may contain itself).
    fn compile(
        &mut self,
        ty: &str,
        description: &Description,
        indexes: &mut HashMap<String, usize>,
    ) -> Result<Ty> {
        if ty == "event" {
            // Told apart by their `event` name: the host layer never sends them.
            return Err(Error::internal("event types are not shaped"));
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
        for (wire, host, field_ty) in fields {
            compiled.push(Field {
                wire: wire.clone(),
                host: host.clone(),
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

    /// `value` (a result, decimals already switched to strings by the caller) as the host
    /// object's JSON; or, when it cannot be shaped, the wire's JSON behind one space (which
    /// `JSON.parse` skips), for the host layer to convert with `fromWire`.
    pub fn to_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<String> {
        let mut out = String::with_capacity(512);
        let writer = Writer {
            shape: self,
            mode: Mode::Shaped(&self.returns),
            out: &mut out,
        };
        match value.serialize(writer) {
            Ok(_) => Ok(out),
            Err(Failure::Unshapeable) => {
                let wire = serde_json::to_string(value).map_err(|e| {
                    Error::internal(format!("could not encode the result as JSON: {e}"))
                })?;
                Ok(format!(" {wire}"))
            }
            Err(Failure::Other(message)) => Err(Error::internal(format!(
                "could not encode the result as JSON: {message}"
            ))),
        }
    }
}

/// The shapes one host layer registered, numbered in the order they came (one list per JS
/// environment: the JS layer describes each operation's result once and passes its number with
/// every call).
#[derive(Default)]
pub struct ResultShapes(Vec<Arc<ResultShape>>);

impl ResultShapes {
    /// Registers the shape the host layer describes as JSON text: its number.
    pub fn register(&mut self, description_json: &str) -> Result<u32> {
        let shape = ResultShape::from_description_json(description_json)?;
        let number =
            u32::try_from(self.0.len()).map_err(|_| Error::internal("too many result shapes"))?;
        self.0.push(Arc::new(shape));
        Ok(number)
    }

    /// The shape registered as `number`; an `InternalError` for a number never given.
    pub fn get(&self, number: u32) -> Result<Arc<ResultShape>> {
        usize::try_from(number)
            .ok()
            .and_then(|index| self.0.get(index))
            .cloned()
            .ok_or_else(|| Error::internal(format!("no result shape {number}")))
    }

    /// `wire_json` (a result as the bridge writes it) written by shape `number`, as a call's
    /// result would be: for the host layer's tests, which compare it with `fromWire` on any value.
    pub fn write_for_tests(&self, number: u32, wire_json: &str) -> Result<String> {
        let shape = self.get(number)?;
        shape.to_json(&crate::bridge::parse_host_json("the result", wire_json)?)
    }
}

/// How a value is written, by what describes it.
#[derive(Clone, Copy)]
enum Mode<'s> {
    /// By a type of the tables.
    Shaped(&'s Ty),
    /// `genericFromWire`: keys camelCased, `null` members left out (`null` items of arrays kept).
    Generic,
    /// Exactly as the wire has it (what `fromWire` returns unchanged).
    AsIs,
}

/// What [`Writer`] wrote: `null` is left out of a model, refused in a list or map.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrote {
    Null,
    Something,
}

/// Why a value was not written.
#[derive(Debug)]
enum Failure {
    /// A `null` where `fromWire` makes `undefined` (see the module docs).
    Unshapeable,
    /// The value's own `Serialize` failed.
    Other(String),
}

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unshapeable => f.write_str("a null the host layer makes undefined"),
            Failure::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Failure {}

impl ser::Error for Failure {
    fn custom<M: Display>(message: M) -> Self {
        Failure::Other(message.to_string())
    }
}

/// The serializer: writes one value into `out` by `mode`.
struct Writer<'a, 's> {
    shape: &'s ResultShape,
    mode: Mode<'s>,
    out: &'a mut String,
}

/// serde_json's name for the struct an `arbitrary_precision` number serializes as (one field,
/// the number's text): what a [`Value`]'s numbers look like to a serializer.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'a, 's> Writer<'a, 's> {
    fn text(self, text: &str) -> std::result::Result<Wrote, Failure> {
        write_str(text, self.out);
        Ok(Wrote::Something)
    }

    fn raw(self, text: impl Display) -> std::result::Result<Wrote, Failure> {
        // Writing into a `String` cannot fail.
        let _ = write!(self.out, "{text}");
        Ok(Wrote::Something)
    }

    fn null(self) -> std::result::Result<Wrote, Failure> {
        self.out.push_str("null");
        Ok(Wrote::Null)
    }

    /// Rare forms (128-bit integers, `f32`, bytes; variants with data, below) go through the
    /// JSON value they make, written by the same rules.
    fn through_value<T: Serialize + ?Sized>(
        self,
        value: &T,
    ) -> std::result::Result<Wrote, Failure> {
        let value = serde_json::to_value(value).map_err(other)?;
        value.serialize(self)
    }

    /// How an array's items are written.
    fn items(self) -> Items<'a, 's> {
        let (mode, refuse_null) = match self.mode {
            Mode::Shaped(Ty::List(inner)) => (Mode::Shaped(inner), true),
            Mode::Shaped(Ty::Model(_) | Ty::Generic) | Mode::Generic => (Mode::Generic, false),
            Mode::Shaped(Ty::AsIs | Ty::Map(_)) | Mode::AsIs => (Mode::AsIs, false),
        };
        self.out.push('[');
        Items {
            shape: self.shape,
            mode,
            refuse_null,
            first: true,
            out: self.out,
        }
    }

    /// What an object written in this mode is.
    fn object(&self) -> Object<'s> {
        match self.mode {
            Mode::Shaped(Ty::Map(inner)) => Object::Map(inner),
            Mode::Shaped(Ty::Model(index)) => Object::Model(&self.shape.models[*index]),
            Mode::Shaped(Ty::Generic) | Mode::Generic => Object::Generic,
            Mode::Shaped(Ty::AsIs | Ty::List(_)) | Mode::AsIs => Object::AsIs,
        }
    }

    /// How the members of `kind` are written.
    fn members(self, kind: Object<'s>) -> Members<'a, 's> {
        if !matches!(kind, Object::Number) {
            self.out.push('{');
        }
        Members {
            shape: self.shape,
            kind,
            first: true,
            key: None,
            out: self.out,
        }
    }
}

/// Serializer methods for scalars, each handing its value to one method of [`Writer`].
macro_rules! scalars {
    ($how:ident: $($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> std::result::Result<Wrote, Failure> {
            self.$how(&v)
        }
    )*};
}

impl<'a, 's> ser::Serializer for Writer<'a, 's> {
    type Ok = Wrote;
    type Error = Failure;
    type SerializeSeq = Items<'a, 's>;
    type SerializeTuple = Items<'a, 's>;
    type SerializeTupleStruct = Items<'a, 's>;
    type SerializeTupleVariant = Through<'a, 's, JsonTupleVariant>;
    type SerializeMap = Members<'a, 's>;
    type SerializeStruct = Members<'a, 's>;
    type SerializeStructVariant = Through<'a, 's, JsonStructVariant>;

    // Numbers and booleans as their own text; the rare forms through their JSON value.
    scalars!(raw: serialize_bool(bool), serialize_i8(i8), serialize_i16(i16),
        serialize_i32(i32), serialize_i64(i64), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64));
    scalars!(through_value: serialize_i128(i128), serialize_u128(u128), serialize_f32(f32));
    fn serialize_f64(self, v: f64) -> std::result::Result<Wrote, Failure> {
        // serde_json's text for it (`null` when not finite), as a JSON value would hold it.
        match serde_json::Number::from_f64(v) {
            Some(number) => self.raw(number),
            None => self.null(),
        }
    }
    fn serialize_char(self, v: char) -> std::result::Result<Wrote, Failure> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> std::result::Result<Wrote, Failure> {
        self.text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> std::result::Result<Wrote, Failure> {
        self.through_value(&v)
    }
    fn serialize_none(self) -> std::result::Result<Wrote, Failure> {
        self.null()
    }
    fn serialize_some<T: Serialize + ?Sized>(
        self,
        value: &T,
    ) -> std::result::Result<Wrote, Failure> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<Wrote, Failure> {
        self.null()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> std::result::Result<Wrote, Failure> {
        self.null()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> std::result::Result<Wrote, Failure> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> std::result::Result<Wrote, Failure> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> std::result::Result<Wrote, Failure> {
        serde_json::value::Serializer
            .serialize_newtype_variant(name, index, variant, value)
            .map_err(other)?
            .serialize(self)
    }
    fn serialize_seq(self, _len: Option<usize>) -> std::result::Result<Items<'a, 's>, Failure> {
        Ok(self.items())
    }
    fn serialize_tuple(self, _len: usize) -> std::result::Result<Items<'a, 's>, Failure> {
        Ok(self.items())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Items<'a, 's>, Failure> {
        Ok(self.items())
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Through<'a, 's, JsonTupleVariant>, Failure> {
        Through::start(self, |json| {
            json.serialize_tuple_variant(name, index, variant, len)
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> std::result::Result<Members<'a, 's>, Failure> {
        let kind = self.object();
        Ok(self.members(kind))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> std::result::Result<Members<'a, 's>, Failure> {
        let kind = if name == NUMBER_TOKEN {
            // Not an object: the one field is the number's text, written as it is.
            Object::Number
        } else {
            self.object()
        };
        Ok(self.members(kind))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Through<'a, 's, JsonStructVariant>, Failure> {
        Through::start(self, |json| {
            json.serialize_struct_variant(name, index, variant, len)
        })
    }
}

type JsonTupleVariant = <serde_json::value::Serializer as ser::Serializer>::SerializeTupleVariant;
type JsonStructVariant = <serde_json::value::Serializer as ser::Serializer>::SerializeStructVariant;

/// A variant with fields (rare): collected into its JSON value by serde_json, then written by
/// the same rules.
struct Through<'a, 's, S> {
    json: S,
    writer: Writer<'a, 's>,
}

impl<'a, 's, S> Through<'a, 's, S> {
    fn start(
        writer: Writer<'a, 's>,
        start: impl FnOnce(serde_json::value::Serializer) -> serde_json::Result<S>,
    ) -> std::result::Result<Self, Failure> {
        let json = start(serde_json::value::Serializer).map_err(other)?;
        Ok(Through { json, writer })
    }
}

fn other(error: serde_json::Error) -> Failure {
    Failure::Other(error.to_string())
}

impl ser::SerializeTupleVariant for Through<'_, '_, JsonTupleVariant> {
    type Ok = Wrote;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        self.json.serialize_field(value).map_err(other)
    }
    fn end(self) -> std::result::Result<Wrote, Failure> {
        self.json.end().map_err(other)?.serialize(self.writer)
    }
}

impl ser::SerializeStructVariant for Through<'_, '_, JsonStructVariant> {
    type Ok = Wrote;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        self.json.serialize_field(key, value).map_err(other)
    }
    fn end(self) -> std::result::Result<Wrote, Failure> {
        self.json.end().map_err(other)?.serialize(self.writer)
    }
}

/// Writes an array's items.
struct Items<'a, 's> {
    shape: &'s ResultShape,
    mode: Mode<'s>,
    /// In a `list:` type, where `fromWire` makes a `null` item `undefined`.
    refuse_null: bool,
    first: bool,
    out: &'a mut String,
}

impl Items<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> std::result::Result<(), Failure> {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        let wrote = value.serialize(Writer {
            shape: self.shape,
            mode: self.mode,
            out: self.out,
        })?;
        if self.refuse_null && wrote == Wrote::Null {
            return Err(Failure::Unshapeable);
        }
        Ok(())
    }

    fn close(self) -> std::result::Result<Wrote, Failure> {
        self.out.push(']');
        Ok(Wrote::Something)
    }
}

/// The three ways serde hands an array's items over, each to [`Items::item`].
macro_rules! items_from {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Items<'_, '_> {
            type Ok = Wrote;
            type Error = Failure;
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                value: &T,
            ) -> std::result::Result<(), Failure> {
                self.item(value)
            }
            fn end(self) -> std::result::Result<Wrote, Failure> {
                self.close()
            }
        }
    )*};
}

items_from!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// What an object is, for how its members are written.
enum Object<'s> {
    /// `map:<inner>`: keys kept, values by `inner`, a `null` value refused.
    Map(&'s Ty),
    /// A model of the tables: keys renamed (camelCased when unknown), `null` members left out.
    Model(&'s Model),
    /// `genericFromWire`: keys camelCased, `null` members left out.
    Generic,
    /// As the wire has it.
    AsIs,
    /// Not an object: an `arbitrary_precision` number's text (see [`NUMBER_TOKEN`]).
    Number,
}

/// Writes an object's members.
struct Members<'a, 's> {
    shape: &'s ResultShape,
    kind: Object<'s>,
    first: bool,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<String>,
    out: &'a mut String,
}

impl Members<'_, '_> {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        if let Object::Number = self.kind {
            let text = value
                .serialize(serde_json::value::Serializer)
                .map_err(|e| Failure::Other(e.to_string()))?;
            if let Value::String(text) = text {
                self.out.push_str(&text);
            }
            return Ok(());
        }
        let mark = self.out.len();
        if !self.first {
            self.out.push(',');
        }
        let (mode, on_null) = match self.kind {
            Object::Map(inner) => {
                write_str(key, self.out);
                (Mode::Shaped(inner), OnNull::Refuse)
            }
            Object::Model(model) => {
                match model
                    .fields
                    .binary_search_by(|field| field.wire.as_str().cmp(key))
                {
                    Ok(found) => {
                        let field = &model.fields[found];
                        write_str(&field.host, self.out);
                        (Mode::Shaped(&field.ty), OnNull::LeaveOut)
                    }
                    Err(_) => {
                        write_str(&camel_case(key), self.out);
                        (Mode::Generic, OnNull::LeaveOut)
                    }
                }
            }
            Object::Generic => {
                write_str(&camel_case(key), self.out);
                (Mode::Generic, OnNull::LeaveOut)
            }
            Object::AsIs | Object::Number => {
                write_str(key, self.out);
                (Mode::AsIs, OnNull::Keep)
            }
        };
        self.out.push(':');
        let wrote = value.serialize(Writer {
            shape: self.shape,
            mode,
            out: self.out,
        })?;
        match (wrote, on_null) {
            (Wrote::Null, OnNull::Refuse) => return Err(Failure::Unshapeable),
            (Wrote::Null, OnNull::LeaveOut) => self.out.truncate(mark),
            _ => self.first = false,
        }
        Ok(())
    }

    fn close(self) -> std::result::Result<Wrote, Failure> {
        if !matches!(self.kind, Object::Number) {
            self.out.push('}');
        }
        Ok(Wrote::Something)
    }
}

/// What a member whose value is `null` becomes.
#[derive(Clone, Copy)]
enum OnNull {
    Refuse,
    LeaveOut,
    Keep,
}

impl ser::SerializeStruct for Members<'_, '_> {
    type Ok = Wrote;
    type Error = Failure;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        self.member(key, value)
    }
    fn end(self) -> std::result::Result<Wrote, Failure> {
        self.close()
    }
}

impl ser::SerializeMap for Members<'_, '_> {
    type Ok = Wrote;
    type Error = Failure;
    fn serialize_key<T: Serialize + ?Sized>(
        &mut self,
        key: &T,
    ) -> std::result::Result<(), Failure> {
        // A map's keys are text in JSON: what serde_json makes of this one.
        let key = match serde_json::to_value(key).map_err(|e| Failure::Other(e.to_string()))? {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            _ => return Err(Failure::Other("a map key that is not text".to_string())),
        };
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> std::result::Result<(), Failure> {
        let key = self.key.take().unwrap_or_default();
        self.member(&key, value)
    }
    fn end(self) -> std::result::Result<Wrote, Failure> {
        self.close()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(returns: &str, models: Value) -> ResultShape {
        let description = serde_json::json!({ "returns": returns, "models": models });
        ResultShape::from_description_json(&description.to_string()).unwrap()
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
    fn a_null_that_js_makes_undefined_is_left_to_the_host_layer() {
        let shape_of_list = shape("list:string", serde_json::json!({}));
        assert_eq!(
            shape_of_list
                .to_json(&serde_json::json!(["a", null]))
                .unwrap(),
            r#" ["a",null]"#
        );
        let shape_of_map = shape("map:integer", serde_json::json!({}));
        assert_eq!(
            shape_of_map
                .to_json(&serde_json::json!({"a": null}))
                .unwrap(),
            r#" {"a":null}"#
        );
        assert_eq!(shape_of_map.to_json(&Value::Null).unwrap(), "null");
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

    /// A typed result is written as its JSON value would be (the value is what `to_json` wrote
    /// before results were written straight from their types): same members, same rules.
    #[test]
    fn a_typed_result_is_written_as_its_json_value() {
        #[derive(serde::Serialize)]
        struct Inner {
            first_name: Option<String>,
            amount: f64,
            big: u128,
            kind: Kind,
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Plain,
            #[allow(dead_code)]
            WithData(u8),
            #[allow(dead_code)]
            Pair(u8, Option<u8>),
            #[allow(dead_code)]
            Fields {
                inner_name: Option<String>,
            },
        }
        #[derive(serde::Serialize)]
        struct Outer {
            items: Vec<Inner>,
            by_name: std::collections::BTreeMap<String, Inner>,
            missing: Option<u32>,
            raw: Value,
            unit: (),
        }
        let shape = shape(
            "model:Outer",
            serde_json::json!({
                "Outer": [["items", "items", "list:model:Inner"], ["by_name", "byName", "map:model:Inner"],
                          ["missing", "missing", "integer"], ["raw", "raw", "json"]],
                "Inner": [["first_name", "firstName", "string"], ["amount", "amount", "number"],
                          ["big", "big", "integer"], ["kind", "kind", "string"]],
            }),
        );
        let inner = |name: Option<&str>| Inner {
            first_name: name.map(str::to_string),
            amount: 0.1,
            big: u128::MAX,
            kind: Kind::Plain,
        };
        let typed = Outer {
            items: vec![inner(Some("a\"b")), inner(None)],
            by_name: [("k_1".to_string(), inner(Some("c")))]
                .into_iter()
                .collect(),
            missing: None,
            raw: serde_json::json!({"x_y": [null, 1.5]}),
            unit: (),
        };
        let written = shape.to_json(&typed).unwrap();
        let from_value = shape
            .to_json(&serde_json::to_value(&typed).unwrap())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&written).unwrap(),
            serde_json::from_str::<Value>(&from_value).unwrap()
        );
        assert!(written.contains(r#""firstName":"a\"b""#), "{written}");
        assert!(
            !written.contains("missing") && !written.contains("unit"),
            "{written}"
        );
        assert!(written.contains(&u128::MAX.to_string()), "{written}");
        // A variant with data goes through its JSON value, by the same rules.
        let with_data = Inner {
            kind: Kind::WithData(7),
            ..inner(None)
        };
        assert!(shape
            .to_json(&Outer {
                items: vec![with_data],
                by_name: Default::default(),
                missing: Some(3),
                raw: Value::Null,
                unit: (),
            })
            .unwrap()
            .contains(r#""kind":{"with_data":7}"#));
        for (kind, written) in [
            (Kind::Pair(1, None), r#""kind":{"pair":[1,null]}"#),
            (
                Kind::Fields { inner_name: None },
                r#""kind":{"fields":{"inner_name":null}}"#,
            ),
        ] {
            let item = Inner {
                kind,
                ..inner(None)
            };
            let typed = Outer {
                items: vec![item],
                by_name: Default::default(),
                missing: None,
                raw: Value::Null,
                unit: (),
            };
            let shaped = shape.to_json(&typed).unwrap();
            assert!(shaped.contains(written), "{shaped}");
            let from_value = shape
                .to_json(&serde_json::to_value(&typed).unwrap())
                .unwrap();
            // The same members; a struct's in its fields' order, a JSON value's sorted.
            assert_eq!(
                serde_json::from_str::<Value>(&shaped).unwrap(),
                serde_json::from_str::<Value>(&from_value).unwrap()
            );
        }
    }

    #[test]
    fn events_are_not_shaped() {
        let description = serde_json::json!({"returns": "event", "models": {}});
        assert!(ResultShape::from_description_json(&description.to_string()).is_err());
    }
}
