//! The native client: construction from options and the one generic call every generated JS
//! method goes through. Arguments and results cross the boundary as JSON text (decimals as
//! strings, timestamps as RFC 3339): the arguments exactly as `dollr_core::bridge` takes them
//! (snake_case keys), the results as the bridge gives them or, for the JS layer, already in the
//! form it returns (`crate::shape`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dollr_core::bridge;
use dollr_core::Credentials;
use napi::bindgen_prelude::{Either3, Object, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;

use crate::errors::{guard_core, guard_sync, start_call};

/// A JS callback receiving each flow event as JSON text. Weak: a pending call keeps Node alive by
/// itself, and a finished one must not be kept alive by a callback the core may still hold.
pub(crate) type EventCallback = ThreadsafeFunction<String, (), String, Status, false, true>;

/// A Dollr API client (the JS `Client` wraps it). One connection pool, token cache and journal
/// per instance, shared by every concurrent call.
#[napi(js_name = "NativeClient")]
pub struct NativeClient {
    client: dollr_core::Client,
}

#[napi]
impl NativeClient {
    /// `options_json`: the bridge's `ClientOptions` (the same fields every binding takes), each
    /// optional: the core falls back to the `DOLLR_*` environment variables and its defaults, and
    /// refuses unknown keys by name.
    #[napi(constructor)]
    pub fn new(env: Env, options_json: String) -> napi::Result<Self> {
        guard_core(&env, || {
            crate::logs::install_from_env();
            let options = bridge::ClientOptions::from_json(bridge::parse_host_json(
                "the Client options",
                &options_json,
            )?)?;
            Ok(NativeClient {
                client: bridge::client_from_options(options, "node")?,
            })
        })
    }

    /// The resolved base URL (after environment fallbacks), for `util.inspect`.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.config().base_url.clone()
    }

    /// The client id in use, if the client has client credentials (never the secret).
    #[napi(getter)]
    pub fn client_id(&self) -> Option<String> {
        match &self.client.config().credentials {
            Credentials::ClientCredentials { client_id, .. } => Some(client_id.clone()),
            Credentials::TokenProvider(_) => None,
        }
    }

    /// Calls one operation or flow by its schema name with snake_case JSON arguments: the JSON
    /// result, or the error object of a call refused before anything was sent (for the JS layer
    /// to throw), or a Promise of the JSON when the call has to wait (the network, a timer),
    /// rejecting with the error object. With `on_event`, flow events are delivered to it as JSON
    /// text while the call runs, every one of them before the result; an empty string after the
    /// last one marks the end (the JS layer ignores it).
    ///
    /// With `shape`, the number `_resultShape` gave for this operation, the JSON is the result as
    /// the JS layer returns it (`crate::shape`), or the wire's JSON behind one space when it
    /// cannot be. A number it never gave is an `InternalError`.
    #[napi(ts_return_type = "string | Error | Promise<string>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        operation: String,
        args_json: String,
        on_event: Option<EventCallback>,
        shape: Option<u32>,
    ) -> napi::Result<Either3<String, Unknown<'env>, Object<'env>>> {
        guard_sync(env, || {
            let client = self.client.clone();
            let shape = shape
                .map(|number| crate::shape::registered(env, number))
                .transpose()?;
            start_call(env, async move {
                let args = bridge::parse_host_json("the arguments", &args_json)?;
                let result = match on_event {
                    Some(callback) => {
                        let callback = Arc::new(callback);
                        let sent = Arc::new(AtomicBool::new(false));
                        let listener = Arc::clone(&callback);
                        let any_sent = Arc::clone(&sent);
                        let events: Arc<dyn Fn(Value) + Send + Sync> =
                            Arc::new(move |event: Value| {
                                if let Ok(text) = serde_json::to_string(&event) {
                                    any_sent.store(true, Ordering::Release);
                                    // Non-blocking: a slow JS listener must not stall the payment flow.
                                    listener.call(text, ThreadsafeFunctionCallMode::NonBlocking);
                                }
                            });
                        let result =
                            bridge::call_output(&client, &operation, args, Some(events)).await;
                        if sent.load(Ordering::Acquire) {
                            // Events reach JS through the callback's queue, the result through the
                            // Promise's: without this, a caller could see the result before the
                            // last events. The queue is first in, first out, so once this empty
                            // marker (ignored by the JS listener) has been delivered, every event
                            // before it has been too. A failure means the environment is closing:
                            // nobody is left to deliver to.
                            let _ = callback.call_async_catch(String::new()).await;
                        }
                        result?
                    }
                    None => bridge::call_output(&client, &operation, args, None).await?,
                };
                result.to_host_json(shape.as_deref())
            })
        })
    }

    /// Starts one operation read event by event (`NativeStream`): `status.wait` for
    /// `client.status.watch(..)`.
    #[napi]
    pub fn stream(
        &self,
        env: Env,
        operation: String,
        args_json: String,
    ) -> napi::Result<crate::stream::NativeStream> {
        let client = self.client.clone();
        guard_sync(&env, || {
            let args = bridge::parse_host_json("the arguments", &args_json)
                .map_err(|error| crate::errors::to_napi_error(&env, &error))?;
            Ok(crate::stream::NativeStream::start(client, operation, args))
        })
    }
}
