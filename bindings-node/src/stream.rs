//! `NativeStream`: one bridge call read event by event — what `client.status.watch(..)` iterates
//! (`for await`). The call runs as a task on the addon's tokio runtime; `next()` answers the next
//! item's JSON text (`{"event": ...}` or `{"done": ...}`, `null` once ended) or rejects with the
//! call's error; `close()` aborts the task: the wait stops and its realtime socket closes.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use dollr_core::bridge;
use dollr_core::{Client, Error};
use futures::FutureExt;
use napi::bindgen_prelude::{within_runtime_if_available, Either3, Object, Unknown};
use napi::tokio::sync::mpsc;
use napi::Env;
use napi_derive::napi;
use serde_json::{json, Value};

use crate::errors::{guard_sync, panic_error, start_call};

type Item = Result<Value, Error>;

/// A running call read item by item (see the module docs).
#[napi(js_name = "NativeStream")]
pub struct NativeStream {
    items: Arc<napi::tokio::sync::Mutex<mpsc::UnboundedReceiver<Item>>>,
    task: Mutex<Option<napi::tokio::task::JoinHandle<()>>>,
}

impl NativeStream {
    pub(crate) fn start(client: Client, operation: String, args: Value) -> NativeStream {
        let (tx, rx) = mpsc::unbounded_channel::<Item>();
        let events = tx.clone();
        let call = async move {
            let report = Arc::new(move |event: Value| {
                let _ = events.send(Ok(json!({ "event": event })));
            });
            let outcome =
                AssertUnwindSafe(bridge::call_with_events(&client, &operation, args, report))
                    .catch_unwind()
                    .await;
            let item = match outcome {
                Ok(Ok(value)) => Ok(json!({ "done": value })),
                Ok(Err(error)) => Err(error),
                Err(payload) => Err(panic_error(payload)),
            };
            let _ = tx.send(item);
        };
        let task = within_runtime_if_available(|| napi::tokio::spawn(call));
        NativeStream {
            items: Arc::new(napi::tokio::sync::Mutex::new(rx)),
            task: Mutex::new(Some(task)),
        }
    }
}

#[napi]
impl NativeStream {
    /// The next item's JSON text (`"null"` once the call has ended), or a Promise of it; rejects
    /// with the call's error.
    #[napi(ts_return_type = "string | Error | Promise<string>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Either3<String, Unknown<'env>, Object<'env>>> {
        let items = Arc::clone(&self.items);
        guard_sync(env, || {
            start_call(env, async move {
                match items.lock().await.recv().await {
                    None => Ok("null".to_string()),
                    Some(Ok(value)) => serde_json::to_string(&value).map_err(|e| {
                        Error::internal(format!("could not encode an event as JSON: {e}"))
                    }),
                    Some(Err(error)) => Err(error),
                }
            })
        })
    }

    /// Stops the call (idempotent): the wait ends and its realtime socket closes.
    #[napi]
    pub fn close(&self) {
        if let Some(task) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}
