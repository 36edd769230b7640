//! `NativeStream`: one bridge call whose events are read one at a time — what
//! `client.status.watch(..)` iterates (`for` on `dollr.Client`, `async for` on `dollr.AsyncClient`).
//!
//! The call runs as a task on the client's runtime (a blocking client's own runtime is driven by
//! the thread reading the next item; an asyncio client's on the shared runtime). Each item is a
//! `dict`: `{"event": ...}` (a progress event) or `{"done": ...}` (the call's result), each typed
//! (`crate::typed`); an error raises. `close()` aborts the task: the wait stops and its realtime socket closes.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use dollr_core::bridge;
use dollr_core::{Client, Error};
use futures::FutureExt;
use pyo3::prelude::*;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::errors::{into_py, to_py_err};
use crate::runtime::{self, panic_error, CallRuntime, SIGNAL_CHECK_INTERVAL};
use crate::typed;

type Item = Result<Value, Error>;
type Items = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Item>>>;

/// A running call read item by item (see the module docs).
#[pyclass(frozen, module = "dollr._native")]
pub(crate) struct NativeStream {
    /// What the call's result is built as.
    result_type: typed::ResultType,
    runtime: CallRuntime,
    items: Items,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl NativeStream {
    /// Starts `operation` on `runtime`.
    pub(crate) fn start(
        runtime: CallRuntime,
        client: Client,
        operation: String,
        args: Value,
        result_type: typed::ResultType,
    ) -> Result<NativeStream, Error> {
        let (tx, rx) = mpsc::unbounded_channel::<Item>();
        let events = tx.clone();
        let call = async move {
            let report = Arc::new(move |event: Value| {
                // Nobody reads once the stream is closed.
                let _ = events.send(Ok(json!({ "event": event })));
            });
            let outcome =
                AssertUnwindSafe(bridge::call_with_events(&client, &operation, args, report))
                    .catch_unwind()
                    .await;
            let item = match outcome {
                Ok(Ok(value)) => Ok(json!({ "done": value })),
                Ok(Err(error)) => Err(error),
                Err(payload) => Err(panic_error(payload.as_ref())),
            };
            let _ = tx.send(item);
        };
        let task = runtime.spawn(call)?;
        Ok(NativeStream {
            result_type,
            runtime,
            items: Arc::new(tokio::sync::Mutex::new(rx)),
            task: Mutex::new(Some(task)),
        })
    }
}

/// One item (`{"event": ...}` or `{"done": ...}`) as a `dict` of its typed value; `None` (the end)
/// as `None`.
fn item_value(
    py: Python<'_>,
    result_type: &typed::ResultType,
    item: &Value,
) -> PyResult<Py<PyAny>> {
    let typed = match (item.get("event"), item.get("done")) {
        (Some(event), _) => ("event", typed::event(py, event)?),
        (None, Some(done)) => ("done", result_type.build(py, done)?),
        (None, None) => return Ok(py.None()),
    };
    let dict = pyo3::types::PyDict::new(py);
    dict.set_item(typed.0, typed.1)?;
    Ok(dict.into_any().unbind())
}

#[pymethods]
impl NativeStream {
    /// The next item (`None` once the call has ended), blocking this thread with the
    /// GIL released (a blocking client's runtime is driven meanwhile). Ctrl-C interrupts it.
    fn next(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        loop {
            let items = self.items.clone();
            let step = py.detach(|| {
                self.runtime.block_on(async move {
                    let mut items = items.lock().await;
                    tokio::select! {
                        item = items.recv() => Some(item),
                        () = tokio::time::sleep(SIGNAL_CHECK_INTERVAL) => None,
                    }
                })
            });
            match step {
                Err(payload) => return Err(to_py_err(py, &panic_error(payload.as_ref()))),
                Ok(None) => py.check_signals()?,
                Ok(Some(None)) => return Ok(None),
                Ok(Some(Some(item))) => {
                    return item_value(py, &self.result_type, &into_py(py, item)?).map(Some)
                }
            }
        }
    }

    /// For asyncio: the next item (`None` once the call has ended) at once if it is there, else
    /// `future` itself, settled with it later.
    fn next_async(&self, py: Python<'_>, future: Py<PyAny>) -> PyResult<Py<PyAny>> {
        let items = self.items.clone();
        let result_type = self.result_type.clone();
        runtime::start_for_asyncio(
            py,
            future,
            None,
            |_| async move {
                let item = items.lock().await.recv().await;
                match item {
                    None => Ok(Value::Null),
                    Some(item) => item,
                }
            },
            move |py, item| item_value(py, &result_type, item),
        )
    }

    /// Stops the call (idempotent): the wait ends and its realtime socket closes.
    fn close(&self, py: Python<'_>) {
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.abort();
            // A blocking client's runtime runs the abort only when driven: drive it until the
            // call is gone, then a little more for the realtime task its end aborted.
            let _ = py.detach(|| {
                self.runtime.block_on(async move {
                    let _ = task.await;
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                })
            });
        }
    }
}

impl Drop for NativeStream {
    fn drop(&mut self) {
        if let Some(task) = self
            .task
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}
