//! Results written as the JSON of the object the JS layer returns (#19), so that the JS layer only
//! `JSON.parse`s the text and wraps the secret fields in `Secret` (`lib/runtime.js`,
//! `decodeResult`) instead of parsing the wire's JSON and then copying every object again key by
//! key (`fromWire`), which cost a status lookup more than `JSON.parse` itself.
//!
//! The writing and the numbering are the core's ([`dollr_core::bridge::ResultShape`], straight
//! from the typed result; [`dollr_core::bridge::ResultShapes`], which the WebAssembly engine uses
//! too); what is here are the exports through which the JS layer describes each operation's
//! result once per environment (`_resultShape`, from the generated tables, so no name is decided
//! in Rust) and the look-up of the number it passes with each call.

use std::sync::Arc;

use dollr_core::bridge::ResultShape;
use napi::Env;
use napi_derive::napi;

use crate::errors::{guard_sync, to_napi_error};

/// Called by lib/runtime.js once per operation and environment with the operation's result
/// description (`{ returns, models }`, see `ResultShape::from_description_json`): the number its
/// calls pass to `NativeClient.call`. Hidden from the typings.
#[napi(js_name = "_resultShape")]
pub fn result_shape(env: Env, description_json: String) -> napi::Result<u32> {
    guard_sync(&env, || {
        crate::per_env::get_or_init(&env)?
            .shapes
            .register(&description_json)
            .map_err(|error| to_napi_error(&env, &error))
    })
}

/// `wire_json` (a result as the bridge writes it) written by shape `number`, as a call's result
/// would be: for the tests, which compare it with `fromWire` on any value. Hidden from the typings.
#[napi(js_name = "_shapeForTests")]
pub fn shape_for_tests(env: Env, number: u32, wire_json: String) -> napi::Result<String> {
    guard_sync(&env, || {
        crate::per_env::get_or_init(&env)?
            .shapes
            .write_for_tests(number, &wire_json)
            .map_err(|error| to_napi_error(&env, &error))
    })
}

/// The shape registered as `number` in this environment; an `InternalError` for a number it never
/// gave (never, from lib/).
pub(crate) fn registered(env: &Env, number: u32) -> napi::Result<Arc<ResultShape>> {
    crate::per_env::get_or_init(env)?
        .shapes
        .get(number)
        .map_err(|error| to_napi_error(env, &error))
}
