//! `GET /openapi.json`: the OpenAPI 3.1 document of the v1 surface, built from the route table
//! (`api::operations`, the same table the router is built from, so the two cannot drift) and the
//! sandbox's wire types (`wire`, schemas derived by `schemars` as JSON Schema 2020-12, the
//! dialect OpenAPI 3.1 uses). The control plane (`/_sandbox/*`) is left out: it is not part of
//! the Dollr API (docs/decisions/0019-sandbox-openapi.md).

mod wire;

use std::borrow::Cow;

use axum::routing::MethodFilter;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

pub(crate) use wire::*;

/// Builds one schema with the document's generator (definitions land in `components`).
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// A `$ref` to `T`'s component schema (or `T` inline for arrays and primitives).
pub(crate) fn reference<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// `T`'s own object schema: parameter structs, whose properties become parameters.
pub(crate) fn inline<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::json_schema(generator)
}

/// The HTTP methods of the v1 surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    /// The router's filter for this method.
    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Delete => MethodFilter::DELETE,
        }
    }

    /// The key of a path item (`get`, `post`, ...).
    fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }
}

/// One operation of the API: everything the document says about it.
pub(crate) struct OperationSpec {
    /// FastAPI's operation id, as in the reference.
    pub id: &'static str,
    pub method: Method,
    /// The route, axum's `{param}` syntax being OpenAPI's too.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Whether a bearer token is required (every operation but the token endpoint).
    pub auth: bool,
    pub path_params: Option<SchemaFn>,
    pub query: Option<SchemaFn>,
    pub body: Option<SchemaFn>,
    /// The 200 body.
    pub response: SchemaFn,
    /// Error statuses besides 422 (which every operation documents, as FastAPI does) and 401
    /// (every authenticated one): each answered with `{"detail": "..."}`.
    pub errors: &'static [u16],
}

/// A date-time as ISO-8601 text.
#[derive(Default)]
pub(crate) struct DateTimeText;

impl JsonSchema for DateTimeText {
    fn schema_name() -> Cow<'static, str> {
        "DateTimeText".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"type": "string", "format": "date-time"})
    }
}

/// An exact amount: a JSON number, integral or not (pydantic's `Union[float, int]` rendering).
#[derive(Default)]
pub(crate) struct Amount;

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"anyOf": [{"type": "number"}, {"type": "integer"}]})
    }
}

/// A JSON number (rates and the like; amounts are [`Amount`]).
#[derive(Default)]
pub(crate) struct Number;

impl JsonSchema for Number {
    fn schema_name() -> Cow<'static, str> {
        "Number".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"type": "number"})
    }
}

/// A number or its text.
#[derive(Default)]
pub(crate) struct NumberOrString;

impl JsonSchema for NumberOrString {
    fn schema_name() -> Cow<'static, str> {
        "NumberOrString".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"anyOf": [{"type": "number"}, {"type": "string"}]})
    }
}

/// One step of a validation error's `loc`.
#[derive(Default)]
pub(crate) struct StringOrInteger;

impl JsonSchema for StringOrInteger {
    fn schema_name() -> Cow<'static, str> {
        "StringOrInteger".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    }
}

/// Required but may be `null` (an `Option` alone would make the field optional too).
#[derive(Default)]
pub(crate) struct Nullable<T>(Option<T>);

impl<T: JsonSchema> JsonSchema for Nullable<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Nullable_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <Option<T>>::json_schema(generator)
    }
}

/// The body of every error but 422: `{"detail": "<message>"}`.
#[derive(JsonSchema, Default)]
#[allow(dead_code)]
pub(crate) struct HTTPErrorDetail {
    /// What went wrong.
    pub detail: String,
}

/// The name of the bearer scheme (FastAPI's `HTTPBearer()`).
const BEARER: &str = "HTTPBearer";

fn reason(status: u16) -> &'static str {
    match status {
        200 => "Successful Response",
        401 => "Not authenticated: no, an unknown or an expired bearer token (unknown client credentials on the token endpoint)",
        403 => "Forbidden (e.g. the merchant is not verified)",
        404 => "Not Found",
        422 => "Validation Error",
        _ => "Error",
    }
}

/// Each property of a parameter struct's schema as one OpenAPI parameter.
fn parameters(schema: &Schema, location: &str, out: &mut Vec<Value>) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let mut property = property.clone();
        let description = property
            .as_object_mut()
            .and_then(|p| p.remove("description"));
        let mut parameter = json!({
            "name": name,
            "in": location,
            "required": location == "path" || required.contains(&name.as_str()),
            "schema": property,
        });
        if let Some(d) = description {
            parameter["description"] = d;
        }
        out.push(parameter);
    }
}

/// The whole document.
pub(crate) fn document<'a>(operations: impl IntoIterator<Item = &'a OperationSpec>) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "#/components/schemas/".into())
        .into_generator();
    let validation_error = reference::<HTTPValidationError>(&mut generator);
    let error_detail = reference::<HTTPErrorDetail>(&mut generator);
    let mut paths = Map::new();
    for op in operations {
        let mut params = Vec::new();
        if let Some(p) = op.path_params {
            parameters(&p(&mut generator), "path", &mut params);
        }
        if let Some(q) = op.query {
            parameters(&q(&mut generator), "query", &mut params);
        }
        let mut responses = Map::new();
        let content = |schema: &Schema| json!({"application/json": {"schema": schema}});
        responses.insert(
            "200".into(),
            json!({"description": reason(200), "content": content(&(op.response)(&mut generator))}),
        );
        let mut errors: Vec<u16> = op.errors.to_vec();
        if op.auth {
            errors.push(401);
        }
        errors.sort_unstable();
        for status in errors {
            responses.insert(
                status.to_string(),
                json!({"description": reason(status), "content": content(&error_detail)}),
            );
        }
        responses.insert(
            "422".into(),
            json!({"description": reason(422), "content": content(&validation_error)}),
        );
        let mut operation = json!({
            "tags": [op.tag],
            "summary": op.summary,
            "operationId": op.id,
            "parameters": params,
            "responses": responses,
        });
        if let Some(body) = op.body {
            operation["requestBody"] =
                json!({"required": true, "content": content(&body(&mut generator))});
        }
        if op.auth {
            operation["security"] = json!([{ BEARER: [] }]);
        }
        if let Some(item) = paths
            .entry(op.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            item.insert(op.method.key().into(), operation);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Dollr API (dollr sandbox)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Dollr v1 API as the local dollr sandbox implements it. \
                Obtain a token from POST /v1/jwt/client/obtain/token and send it as \
                'Authorization: Bearer <token>'. The sandbox's control plane (/_sandbox/*) is \
                not part of the API and not described here (see the sandbox README).",
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The access_token of POST /v1/jwt/client/obtain/token.",
                },
            },
        },
    })
}
