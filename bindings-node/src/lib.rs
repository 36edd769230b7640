//! # dollr-native (the Node addon)
//!
//! A thin napi-rs layer over `dollr-core`: it constructs clients, runs any operation or flow of the
//! core's bridge by name on napi's tokio runtime and returns Promises, maps core errors to JS
//! error classes in one function ([`errors::js_error`]), exports the sandbox test numbers
//! (constants of the core), and writes the core's logs to stderr when `DOLLR_LOG` asks (`logs`).
//! Everything API-shaped (resources, camelCase names, the typings) is JavaScript generated from
//! `core/bridge-schema.json` by `bindings-node/codegen.mjs`; results are written in their JS form
//! by the tables the JS layer hands over (`shape`), not by names decided here.
//!
//! The sandbox is not in here: a production addon carries no test server. `dollr-native-testing`
//! (bindings-node/testing/) runs the `dollr` binary's `dollr sandbox` as a child process.
//!
//! No export lets a Rust panic unwind into Node: every body runs under `catch_unwind` and every
//! future under `FutureExt::catch_unwind`, so a panic becomes an `InternalError`.

pub mod client;
pub mod completion;
pub mod errors;
mod logs;
mod per_env;
pub mod shape;
pub mod stream;

use dollr_core::test_numbers;
use napi_derive::napi;

/// napi's tokio runtime with ONE worker thread instead of napi's default of one per CPU. The
/// runtime only writes the requests, reads the answers and decodes them (the JS thread builds each
/// request in the call's first poll, see `errors::start_call`): far less than one core's worth
/// even with hundreds of calls in flight; a second worker only added wake-ups: with two, each network call woke both
/// (the one that was notified woke the other to share the work it brought), three or four
/// context switches per call more on a 2-vCPU machine (#19). Blocking work (the SQLite journal)
/// still runs on tokio's blocking threads. If the runtime cannot be built, napi builds its own.
#[napi_derive::module_init]
fn one_worker_runtime() {
    if let Ok(runtime) = napi::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// The sandbox's test numbers as `[[NAME, value], …]`, from the core's one list (the JS layer
/// names them in camelCase, as the generated typings do).
#[napi(js_name = "_testNumbers")]
pub fn test_numbers() -> Vec<Vec<String>> {
    test_numbers::NAMED
        .iter()
        .map(|(name, value)| vec![(*name).to_string(), (*value).to_string()])
        .collect()
}

/// The SDK version (the workspace version, one number for every package).
#[napi(js_name = "_version")]
pub fn version() -> String {
    dollr_core::config::SDK_VERSION.to_string()
}

/// Whether this addon is a debug build (debug assertions on), so a test can prove `npm pack` ships
/// only release builds. Hidden from the typings.
#[napi(js_name = "_isDebugBuild")]
pub fn is_debug_build() -> bool {
    cfg!(debug_assertions)
}
