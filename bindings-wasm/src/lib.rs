//! # dollr-wasm (the WebAssembly engine of `dollr-native`)
//!
//! The same small native surface as the napi addon (bindings-node/src), over the same core bridge,
//! so the JavaScript layer of bindings-node/lib runs unchanged on either engine (decision 0018):
//! `NativeClient` (`call`, `stream`, `baseUrl`, `clientId`), `NativeStream`,
//! `_registerErrorClasses`, `_errorKinds`, `_resultShape`, `_testNumbers`, `_version`,
//! `_isDebugBuild`.
//!
//! What differs is below the core's seams: requests go through the host's `fetch`, timers are
//! `setTimeout`, tasks run on the host's event loop (`dollr_core::runtime`), and the journal is in
//! memory or the host's (`journalStore`, `host.rs`); a `tokenProvider` replaces the client secret. Calls start on the caller's stack like the addon's
//! (`bridge::poll_once`): an answer that needs nothing comes back at once, a refusal as an error
//! object, and a call that waits as a Promise.
//!
//! A Rust panic aborts a wasm32-unknown-unknown module (there is no unwinding to catch): a panic
//! hook hands the JS layer the `InternalError` first, which it gives the call and every call still
//! waiting, and it refuses every later call without entering the module (`abort`).
#![cfg(target_arch = "wasm32")]

mod abort;
mod errors;
mod host;

use std::cell::RefCell;
use std::sync::Arc;

use dollr_core::bridge::{self, poll_once, BoxedCall, FirstPoll, ResultShape, ResultShapes};
use dollr_core::journal::{JournalConfig, StoreJournal};
use dollr_core::{Credentials, Error};
use send_wrapper::SendWrapper;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

pub use crate::abort::on_abort;
#[cfg(debug_assertions)]
pub use crate::abort::panic_for_tests;
use crate::errors::js_error;
pub use crate::errors::{error_kinds, register_error_classes};

/// Starts `call` here: its JSON if it finished, the error object if it was refused, or a Promise
/// of the JSON (rejecting with the error object) if it waits.
fn start_call(call: BoxedCall<dollr_core::Result<String>>) -> JsValue {
    match poll_once(call) {
        FirstPoll::Ready(Ok(Ok(json))) => JsValue::from_str(&json),
        FirstPoll::Ready(Ok(Err(error))) => js_error(&error),
        // Unreachable on wasm32 (a panic aborts, see `abort`), kept for the type.
        FirstPoll::Ready(Err(_)) => js_error(&Error::internal("dollr-wasm: a call panicked")),
        FirstPoll::Pending(call) => wasm_bindgen_futures::future_to_promise(async move {
            match call.await {
                Ok(json) => Ok(JsValue::from_str(&json)),
                Err(error) => Err(js_error(&error)),
            }
        })
        .into(),
    }
}

/// A Dollr API client (the JS `Client` wraps it): one token cache and journal per instance.
#[wasm_bindgen(js_name = NativeClient)]
pub struct NativeClient {
    client: dollr_core::Client,
}

#[wasm_bindgen(js_class = NativeClient)]
impl NativeClient {
    /// `options_json`: the bridge's `ClientOptions`, as the addon takes them. `host` (optional,
    /// this engine only): `{ tokenProvider, journalStore }`, the JS objects of `host.rs`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options_json: String,
        host: Option<js_sys::Object>,
    ) -> Result<NativeClient, JsValue> {
        let build = || -> dollr_core::Result<NativeClient> {
            let options = bridge::ClientOptions::from_json(bridge::parse_host_json(
                "the Client options",
                &options_json,
            )?)?;
            let mut builder = options.apply(dollr_core::Client::builder().sdk_language("wasm"));
            let hook = |name: &str| {
                host.as_ref()
                    .and_then(|host| js_sys::Reflect::get(host, &JsValue::from_str(name)).ok())
                    .filter(|value| !value.is_undefined() && !value.is_null())
            };
            if let Some(provider) = hook("tokenProvider") {
                let provider = provider
                    .dyn_into::<js_sys::Function>()
                    .map_err(|_| Error::invalid_field("tokenProvider", "must be a function"))?;
                builder = builder
                    .token_provider(Arc::new(host::JsTokenProvider(SendWrapper::new(provider))));
            }
            if let Some(store) = hook("journalStore") {
                let store = store.dyn_into::<js_sys::Object>().map_err(|_| {
                    Error::invalid_field("journalStore", "must be an object with get, put and list")
                })?;
                let store = Arc::new(host::JsJournalStore(SendWrapper::new(store)));
                builder =
                    builder.journal(JournalConfig::Custom(Arc::new(StoreJournal::new(store))));
            }
            Ok(NativeClient {
                client: builder.build()?,
            })
        };
        build().map_err(|error| js_error(&error))
    }

    /// The resolved base URL.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.client.config().base_url.clone()
    }

    /// The client id in use, if the client has client credentials (never the secret).
    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> Option<String> {
        match &self.client.config().credentials {
            Credentials::ClientCredentials { client_id, .. } => Some(client_id.clone()),
            Credentials::TokenProvider(_) => None,
        }
    }

    /// One operation or flow by its schema name with snake_case JSON arguments: the JSON result,
    /// the error object of a call refused before anything was sent, or a Promise of the JSON.
    /// With `on_event`, each flow event is given to it as JSON text, synchronously, so every
    /// event precedes the result.
    ///
    /// With `shape`, the number `_resultShape` gave for this operation, the JSON is the result as
    /// the JS layer returns it, as the addon writes it (`dollr_core::bridge::ResultShape`).
    pub fn call(
        &self,
        operation: String,
        args_json: String,
        on_event: Option<js_sys::Function>,
        shape: Option<u32>,
    ) -> JsValue {
        let client = self.client.clone();
        let shape = match shape.map(registered_shape).transpose() {
            Ok(shape) => shape,
            Err(error) => return js_error(&error),
        };
        start_call(Box::pin(async move {
            let args = bridge::parse_host_json("the arguments", &args_json)?;
            let events = on_event.map(|listener| {
                // One thread on wasm32: the listener is only ever called from it.
                let listener = SendWrapper::new(listener);
                let events: Arc<dyn Fn(Value) + Send + Sync> = Arc::new(move |event: Value| {
                    if let Ok(text) = serde_json::to_string(&event) {
                        // A throwing listener must not stop the payment flow.
                        let _ = listener.call1(&JsValue::NULL, &JsValue::from_str(&text));
                    }
                });
                events
            });
            // Written straight from the typed result, with no JSON value in between.
            bridge::call_output(&client, &operation, args, events)
                .await?
                .to_host_json(shape.as_deref())
        }))
    }

    /// Starts one operation read event by event (`NativeStream`): `status.wait` for
    /// `client.status.watch(..)`.
    pub fn stream(&self, operation: String, args_json: String) -> Result<NativeStream, JsValue> {
        let args = bridge::parse_host_json("the arguments", &args_json)
            .map_err(|error| js_error(&error))?;
        Ok(NativeStream::start(self.client.clone(), operation, args))
    }
}

thread_local! {
    /// The result shapes the JS layer registered, by number (one JS thread: one list).
    static RESULT_SHAPES: RefCell<ResultShapes> = RefCell::new(ResultShapes::default());
}

/// The shape registered as `number`; an `InternalError` for a number never given.
fn registered_shape(number: u32) -> Result<Arc<ResultShape>, Error> {
    RESULT_SHAPES.with(|shapes| shapes.borrow().get(number))
}

/// Called by the JS layer (lib/runtime.js) once per operation with the operation's result
/// description, as it calls the addon's: the number its calls pass to `NativeClient.call`.
#[wasm_bindgen(js_name = _resultShape)]
pub fn result_shape(description_json: String) -> Result<u32, JsValue> {
    RESULT_SHAPES
        .with(|shapes| shapes.borrow_mut().register(&description_json))
        .map_err(|error| js_error(&error))
}

/// `wire_json` written by shape `number`, as a call's result would be: for the tests, which
/// compare it with `fromWire` on any value (bindings-node/test/result_shapes.test.js).
#[wasm_bindgen(js_name = _shapeForTests)]
pub fn shape_for_tests(number: u32, wire_json: String) -> Result<String, JsValue> {
    RESULT_SHAPES
        .with(|shapes| shapes.borrow().write_for_tests(number, &wire_json))
        .map_err(|error| js_error(&error))
}

type Item = Result<Value, Error>;

/// A running call read item by item: `next()` answers `{"event": ...}`, `{"done": ...}` or `null`
/// once ended; `close()` stops the call.
#[wasm_bindgen(js_name = NativeStream)]
pub struct NativeStream {
    items: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Item>>>,
    task: Option<dollr_core::runtime::Task>,
}

impl NativeStream {
    fn start(client: dollr_core::Client, operation: String, args: Value) -> NativeStream {
        let (tx, rx) = mpsc::unbounded_channel::<Item>();
        let events = tx.clone();
        let task = dollr_core::runtime::spawn(async move {
            let report = Arc::new(move |event: Value| {
                let _ = events.send(Ok(json!({ "event": event })));
            });
            let item = bridge::call_with_events(&client, &operation, args, report)
                .await
                .map(|value| json!({ "done": value }));
            let _ = tx.send(item);
        });
        NativeStream {
            items: Arc::new(tokio::sync::Mutex::new(rx)),
            task: Some(task),
        }
    }
}

#[wasm_bindgen(js_class = NativeStream)]
impl NativeStream {
    /// The next item's JSON text (`"null"` once ended), or a Promise of it; rejects with the
    /// call's error.
    pub fn next(&self) -> JsValue {
        let items = Arc::clone(&self.items);
        start_call(Box::pin(async move {
            match items.lock().await.recv().await {
                None => Ok("null".to_string()),
                Some(Ok(value)) => bridge::host_json(&value),
                Some(Err(error)) => Err(error),
            }
        }))
    }

    /// Stops the call (idempotent).
    pub fn close(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The sandbox's test numbers as `[[NAME, value], …]`.
#[wasm_bindgen(js_name = _testNumbers)]
pub fn test_numbers() -> Vec<js_sys::Array> {
    dollr_core::test_numbers::NAMED
        .iter()
        .map(|(name, value)| {
            js_sys::Array::of2(&JsValue::from_str(name), &JsValue::from_str(value))
        })
        .collect()
}

/// Whether `new NativeClient(options, { tokenProvider, journalStore })` is understood (the JS
/// layer asks before handing hooks over; the napi addon has no such export).
#[wasm_bindgen(js_name = _takesHostHooks)]
pub fn takes_host_hooks() -> bool {
    true
}

/// Whether an error this engine returns for a refused call lacks its caller's frames: it is made
/// below the WebAssembly glue's own frames, which fill V8's ten, so the JS layer takes the stack
/// again at the call (the napi addon makes its errors right under the caller and has no such
/// export).
#[wasm_bindgen(js_name = _refusalsNeedCallerFrames)]
pub fn refusals_need_caller_frames() -> bool {
    true
}

/// The SDK version.
#[wasm_bindgen(js_name = _version)]
pub fn version() -> String {
    dollr_core::config::SDK_VERSION.to_string()
}

/// Whether this is a debug build.
#[wasm_bindgen(js_name = _isDebugBuild)]
pub fn is_debug_build() -> bool {
    cfg!(debug_assertions)
}
