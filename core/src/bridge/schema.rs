//! The bridge's schema: every operation, model, enum and event, derived from the core's Rust
//! types through `schemars` (JSON Schema) and translated into the small type grammar bindings
//! generate from (see `SCHEMA.md` beside this file).
//!
//! Two JSON Schema generators are used, because the same Rust type can be stricter in one
//! direction: **input** (the deserialize contract: a field is required unless it has a default or
//! is an `Option`) for operation parameters, and **output** (the serialize contract: every field is
//! present unless skipped when empty) for results and events. A model used both ways is listed
//! once, a field being `optional` when it is optional either way.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::bridge::ClientOptions;
use crate::flows::{FlowEvent, FlowProgress};
use crate::wait::Transition;

/// Which direction a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Contract {
    /// What the bridge reads (arguments).
    Input,
    /// What the bridge writes (results, events).
    Output,
}

/// A JSON Schema generator for `contract`.
pub(crate) fn generator(contract: Contract) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12();
    match contract {
        Contract::Input => settings.for_deserialize(),
        Contract::Output => settings.for_serialize(),
    }
    .into_generator()
}

/// The definition a `$ref` points to (or the schema itself).
pub(crate) fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => defs.get(ref_name(reference)).unwrap_or(schema),
        None => schema,
    }
}

fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The non-null branch of a nullable `anyOf` / `oneOf` (resolved), or the schema itself.
pub(crate) fn non_null<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    let branches = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array);
    match branches {
        Some(branches) => {
            let mut others = branches.iter().filter(|b| !is_null(b));
            match (others.next(), others.next()) {
                (Some(only), None) => resolve(only, defs),
                _ => schema,
            }
        }
        None => schema,
    }
}

fn is_null(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// String constants of a `oneOf` whose branches are all `{"const": "..."}` (a Rust enum with
/// documented unit variants), with each branch's description.
fn const_values(def: &Value) -> Option<Vec<(String, String)>> {
    let branches = def.get("oneOf")?.as_array()?;
    branches
        .iter()
        .map(|branch| {
            let value = branch
                .get("const")
                .or_else(|| branch.get("enum").and_then(|e| e.get(0)))?
                .as_str()?;
            Some((value.to_string(), description(branch)))
        })
        .collect()
}

fn is_enum(def: &Value) -> bool {
    def.get("enum").is_some() || const_values(def).is_some()
}

/// A schema's description, as the bindings show it: the core's doc comment with rustdoc's
/// intra-doc links (`` [`Client::reconcile`] ``) written as plain code (`` `Client::reconcile` ``).
fn description(schema: &Value) -> String {
    let text = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(end) = rest[start + 2..].find("`]").map(|at| start + 2 + at) else {
            break;
        };
        let after = rest[end + 2..].chars().next();
        out.push_str(&rest[..start]);
        if matches!(after, Some('(' | '[')) {
            // A real Markdown link: kept as written.
            out.push_str(&rest[start..end + 2]);
        } else {
            out.push_str(&rest[start + 1..end + 1]);
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The grammar type of a JSON Schema, and whether `null` is allowed:
/// `string | integer | number | boolean | decimal | timestamp | secret | json | null |
/// enum:<Name> | model:<Name> | list:<type>`.
pub(crate) fn type_of(schema: &Value, defs: &Map<String, Value>) -> (String, bool) {
    let Some(object) = schema.as_object() else {
        return ("json".to_string(), false);
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = ref_name(reference);
        let kind = match defs.get(name) {
            Some(def) if is_enum(def) => "enum",
            _ => "model",
        };
        return (format!("{kind}:{name}"), false);
    }
    if let Some(branches) = object
        .get("anyOf")
        .or_else(|| object.get("oneOf"))
        .and_then(Value::as_array)
    {
        let others: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
        let nullable = others.len() != branches.len();
        return match others.as_slice() {
            [only] => {
                let (inner, inner_nullable) = type_of(only, defs);
                (inner, nullable || inner_nullable)
            }
            _ => ("json".to_string(), nullable),
        };
    }
    let (types, nullable): (Vec<&str>, bool) = match object.get("type") {
        Some(Value::String(one)) => (vec![one.as_str()], one == "null"),
        Some(Value::Array(many)) => {
            let names: Vec<&str> = many.iter().filter_map(Value::as_str).collect();
            let nullable = names.contains(&"null");
            let others: Vec<&str> = names.into_iter().filter(|t| *t != "null").collect();
            (others, nullable)
        }
        _ => (Vec::new(), false),
    };
    let format = object.get("format").and_then(Value::as_str);
    let name = match types.as_slice() {
        ["null"] => "null".to_string(),
        ["string"] => match format {
            Some("decimal") => "decimal",
            Some("date-time") => "timestamp",
            Some("secret") => "secret",
            _ => "string",
        }
        .to_string(),
        ["integer"] => "integer".to_string(),
        ["number"] => "number".to_string(),
        ["boolean"] => "boolean".to_string(),
        ["array"] => match object.get("items") {
            Some(items) => format!("list:{}", type_of(items, defs).0),
            None => "list:json".to_string(),
        },
        _ => "json".to_string(),
    };
    let nullable = nullable && name != "null";
    (name, nullable)
}

/// The state of one schema build: the two generators, filled as operations are described.
pub(crate) struct SchemaContext {
    input: SchemaGenerator,
    output: SchemaGenerator,
}

impl SchemaContext {
    pub(crate) fn new() -> Self {
        SchemaContext {
            input: generator(Contract::Input),
            output: generator(Contract::Output),
        }
    }

    /// A positional parameter of type `T` (always required).
    pub(crate) fn positional<T: JsonSchema>(&mut self, name: &str, kind: &str, doc: &str) -> Value {
        let schema = self.input.subschema_for::<T>();
        let (ty, _) = type_of(schema.as_value(), self.input.definitions());
        json!({"name": name, "type": ty, "required": true, "kind": kind, "doc": doc})
    }

    /// The parameters contributed by the request type `R` (its fields), required ones first.
    pub(crate) fn request_params<R: JsonSchema>(&mut self, kind: &str) -> Vec<Value> {
        let schema = self.input.subschema_for::<R>();
        let defs = self.input.definitions();
        fields_of(resolve(schema.as_value(), defs), defs)
            .into_iter()
            .map(|field| {
                json!({
                    "name": field.name,
                    "type": field.ty,
                    "required": field.required && !field.nullable,
                    "kind": kind,
                    "doc": field.doc,
                })
            })
            .collect()
    }

    /// The grammar type of a result of type `R`.
    pub(crate) fn returns<R: JsonSchema>(&mut self) -> String {
        let schema = self.output.subschema_for::<R>();
        type_of(schema.as_value(), self.output.definitions()).0
    }

    /// One operation's entry.
    pub(crate) fn operation(
        &self,
        name: &str,
        doc: &str,
        params: Vec<Value>,
        returns: String,
        events: bool,
    ) -> Value {
        let (resource, method) = match name.split_once('.') {
            Some((resource, method)) => (Value::String(resource.to_string()), method),
            None => (Value::Null, name),
        };
        json!({
            "name": name,
            "resource": resource,
            "method": method,
            "params": params,
            "returns": returns,
            "doc": doc,
            "events": events,
        })
    }

    /// The whole schema document around the operation entries.
    pub(crate) fn document(mut self, operations: Vec<Value>) -> Value {
        let client_options = self.request_params::<ClientOptions>("option");
        // Flow events: each `FlowEvent` variant with the fields every `FlowProgress` adds beside
        // it (`elapsed_ms`, `at`, `message`); then the `transition` event of `status.wait`.
        let progress = self.output.subschema_for::<FlowProgress>();
        let event = self.output.subschema_for::<FlowEvent>();
        let transition = self.output.subschema_for::<Transition>();
        let output_defs = self.output.definitions().clone();
        let common_fields = field_list(resolve(progress.as_value(), &output_defs), &output_defs);
        let mut events = events_of(
            resolve(event.as_value(), &output_defs),
            &output_defs,
            &common_fields,
        );
        let transition = resolve(transition.as_value(), &output_defs);
        events.push(json!({
            "name": "transition",
            "doc": description(transition),
            "fields": field_list(transition, &output_defs),
        }));
        // Not models: the argument parts read beside a flow's request, and the event types
        // (listed under `events`).
        let skip = [
            "NoArgs",
            "ClientOptions",
            "FlowOptions",
            "SingleLine",
            "FlowProgress",
            "FlowEvent",
            "Transition",
        ];

        let mut models: BTreeMap<String, (String, Vec<Field>)> = BTreeMap::new();
        let mut enums: BTreeMap<String, Value> = BTreeMap::new();
        let input_defs = self.input.definitions().clone();
        for defs in [&input_defs, &output_defs] {
            for (name, def) in defs {
                if skip.contains(&name.as_str()) {
                    continue;
                }
                if is_enum(def) {
                    enums.insert(name.clone(), enum_entry(name, def));
                    continue;
                }
                let fields = fields_of(def, defs);
                let entry = models
                    .entry(name.clone())
                    .or_insert_with(|| (description(def), Vec::new()));
                for field in fields {
                    match entry.1.iter_mut().find(|f| f.name == field.name) {
                        Some(existing) => {
                            existing.required &= field.required;
                            existing.nullable |= field.nullable;
                        }
                        None => entry.1.push(field),
                    }
                }
            }
        }
        let models: Vec<Value> = models
            .into_iter()
            .map(|(name, (doc, mut fields))| {
                sort_fields(&mut fields);
                json!({"name": name, "doc": doc, "fields": fields.iter().map(Field::to_model_json).collect::<Vec<_>>()})
            })
            .collect();
        let test_numbers: Map<String, Value> = crate::test_numbers::NAMED
            .iter()
            .map(|(name, value)| (name.to_string(), Value::String(value.to_string())))
            .collect();
        json!({
            "version": super::SCHEMA_VERSION,
            "sdk_version": crate::config::SDK_VERSION,
            "types": ["string", "integer", "number", "boolean", "decimal", "timestamp", "secret", "json", "null", "enum:<Name>", "model:<Name>", "list:<type>"],
            "operations": operations,
            "models": models,
            "enums": enums.into_values().collect::<Vec<_>>(),
            "events": events,
            // The table of error kinds, one entry per kind: bindings generate their error
            // classes and docs from it.
            "errors": crate::error::ErrorKind::ALL.map(crate::error::ErrorKind::info),
            "client_options": client_options,
            "test_numbers": test_numbers,
        })
    }
}

/// One field of an object schema.
#[derive(Clone, Debug)]
struct Field {
    name: String,
    ty: String,
    required: bool,
    nullable: bool,
    doc: String,
}

impl Field {
    fn optional(&self) -> bool {
        self.nullable || !self.required
    }
    fn to_model_json(&self) -> Value {
        json!({"name": self.name, "type": self.ty, "optional": self.optional(), "doc": self.doc})
    }
}

/// Required fields first, then by name (the JSON Schema's own order is alphabetical or
/// insertion order depending on serde_json's features; the schema must not depend on that).
fn sort_fields(fields: &mut [Field]) {
    fields.sort_by(|a, b| {
        a.optional()
            .cmp(&b.optional())
            .then_with(|| a.name.cmp(&b.name))
    });
}

fn fields_of(def: &Value, defs: &Map<String, Value>) -> Vec<Field> {
    let required: Vec<&str> = def
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<Field> = def
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| {
                    let (ty, nullable) = type_of(property, defs);
                    Field {
                        name: name.clone(),
                        ty,
                        required: required.contains(&name.as_str()),
                        nullable,
                        doc: description(property),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    sort_fields(&mut fields);
    fields
}

fn field_list(def: &Value, defs: &Map<String, Value>) -> Vec<Value> {
    fields_of(def, defs)
        .iter()
        .map(Field::to_model_json)
        .collect()
}

fn enum_entry(name: &str, def: &Value) -> Value {
    let (values, value_docs): (Vec<String>, Map<String, Value>) = match const_values(def) {
        Some(values) => (
            values.iter().map(|(v, _)| v.clone()).collect(),
            values
                .into_iter()
                .map(|(v, d)| (v, Value::String(d)))
                .collect(),
        ),
        None => (
            def.get("enum")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            def.get("x-dollr-value-docs")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        ),
    };
    json!({
        "name": name,
        "doc": description(def),
        "values": values,
        "value_docs": value_docs,
        "open": def.get("x-dollr-open-enum").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// The event variants of the internally tagged `Event` enum: one entry per `event` name.
fn events_of(def: &Value, defs: &Map<String, Value>, common: &[Value]) -> Vec<Value> {
    let branches = def
        .get("oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    branches
        .iter()
        .filter_map(|branch| {
            let name = branch
                .pointer("/properties/event/const")?
                .as_str()?
                .to_string();
            let mut fields: Vec<Value> = fields_of(branch, defs)
                .iter()
                .filter(|field| field.name != "event")
                .map(Field::to_model_json)
                .collect();
            fields.extend(common.iter().cloned());
            Some(json!({"name": name, "doc": description(branch), "fields": fields}))
        })
        .collect()
}
