//! `NativeClient`: one core `Client` and the generic call, sync and async.
//!
//! The Python layer (generated from the bridge schema) turns typed keyword arguments into the
//! bridge's JSON arguments and the JSON result into typed objects; everything in between — the
//! operation, validation, defaults, retries, journaling — is the core's.

use std::sync::{Arc, PoisonError, RwLock};

use dollr_core::bridge::{self, ClientOptions};
use dollr_core::config::Credentials;
use dollr_core::{Client, Error, ErrorKind};
use pyo3::prelude::*;
use serde_json::Value;

use crate::errors::into_py;
use crate::logs;
use crate::runtime::{self, guard, CallRuntime};
use crate::typed;
use crate::values::from_python;

/// A connection to the Dollr API (one connection pool, one token, one journal), shared by every
/// call made through it, from any thread or event loop.
#[pyclass(frozen, module = "dollr._native")]
pub(crate) struct NativeClient {
    /// `None` once closed.
    client: RwLock<Option<Client>>,
    /// Where its calls run: a blocking client's own runtime, or the shared one (asyncio).
    runtime: CallRuntime,
    base_url: String,
    client_id: Option<String>,
}

/// How long `close` drives a blocking client's runtime at most while its connections close.
const CLOSE_WIND_DOWN: std::time::Duration = std::time::Duration::from_millis(100);

/// The argument object of `operation` as the core's JSON; a value JSON cannot carry is refused
/// naming its field.
fn arguments(operation: &str, args: &Bound<'_, PyAny>) -> Result<Value, Error> {
    from_python(args)
        .map_err(|refused| bridge::unsendable_argument(operation, &refused.path, &refused.what))
}

fn closed() -> Error {
    Error::new(
        ErrorKind::Validation,
        "this dollr client is closed; create a new client",
    )
}

impl NativeClient {
    fn client(&self) -> Result<Client, Error> {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(closed)
    }
}

#[pymethods]
impl NativeClient {
    /// Builds the client from the bridge's client options (a dict of `dollr_core::bridge::ClientOptions`'s
    /// fields, the same every binding takes). The core reads them,
    /// refuses bad ones (`ValidationError` naming the option) and applies the environment
    /// fallbacks `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`, `DOLLR_BASE_URL`. A `blocking` client
    /// (`dollr.Client`) gets its own runtime, driven by the threads calling `call`; otherwise
    /// (`dollr.AsyncClient`) calls run on the shared runtime through `call_async`.
    #[new]
    #[pyo3(signature = (options, blocking=false))]
    fn new(py: Python<'_>, options: &Bound<'_, PyAny>, blocking: bool) -> PyResult<Self> {
        logs::refresh_level(py);
        let options = from_python(options)
            .map_err(|refused| bridge::unsendable_option(&refused.path, &refused.what));
        let built = guard(|| {
            let options = ClientOptions::from_json(options?)?;
            let runtime = if blocking {
                CallRuntime::own()?
            } else {
                CallRuntime::shared()?
            };
            Ok((bridge::client_from_options(options, "python")?, runtime))
        });
        let (client, runtime) = into_py(py, built)?;
        let config = client.config();
        let client_id = match &config.credentials {
            Credentials::ClientCredentials { client_id, .. } => Some(client_id.clone()),
            Credentials::TokenProvider(_) => None,
        };
        Ok(NativeClient {
            base_url: config.base_url.clone(),
            client_id,
            client: RwLock::new(Some(client)),
            runtime,
        })
    }

    /// The API base URL in use.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The client id in use (never the secret).
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Releases the client (its connection pool and journal once in-flight calls finish). A
    /// blocking client's connections live on its own runtime, which only runs while a thread
    /// drives it: it is driven here, GIL released, until they have closed (briefly; see
    /// `OwnRuntime::wind_down`), rather than whenever Python frees this object.
    fn close(&self, py: Python<'_>) {
        let client = self
            .client
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(client);
        if let CallRuntime::Own(runtime) = &self.runtime {
            py.detach(|| runtime.wind_down(CLOSE_WIND_DOWN));
        }
    }

    /// Calls one bridge operation and blocks until it finishes, driving it on this thread with the
    /// GIL released. `args` is the argument dict (`crate::values`); the result comes back as the
    /// typed object of the operation's schema type (`crate::typed`), and `on_event` receives each
    /// progress event, likewise, on this thread.
    #[pyo3(signature = (operation, args, on_event=None))]
    fn call(
        &self,
        py: Python<'_>,
        operation: String,
        args: &Bound<'_, PyAny>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        logs::refresh_level(py);
        let args = arguments(&operation, args);
        let prepared = guard(|| Ok((self.client()?, args?)));
        let (client, args) = into_py(py, prepared)?;
        let result_type = typed::ResultType::of(py, &operation)?;
        let with_events = on_event.is_some();
        let result = runtime::block_on(
            py,
            &self.runtime,
            move |reporter| async move {
                if with_events {
                    let events = Arc::new(move |event: Value| {
                        // The waiting thread may be gone (Ctrl-C); then the event has no reader.
                        let _ = reporter.send(event);
                    });
                    bridge::call_with_events(&client, &operation, args, events).await
                } else {
                    bridge::call(&client, &operation, args).await
                }
            },
            with_events,
            |py, event| {
                if let Some(callback) = &on_event {
                    runtime::deliver(py, callback, &event);
                }
            },
        )?;
        result_type
            .build(py, &into_py(py, result)?)
            .map(Bound::unbind)
    }

    /// Starts one bridge operation for asyncio. `future` is an `asyncio.Future` the caller created
    /// on its running loop: the result (typed, as `call`'s) is returned at once when the first poll
    /// has it, else this returns `future` itself and the call settles it on its loop when it ends
    /// (`runtime::start_for_asyncio`). No thread waits meanwhile. `on_event` is called on the
    /// loop's thread through its inbox, or from a runtime thread on a loop without one (the Python
    /// layer schedules the handler on the loop with `call_soon_threadsafe` either way).
    #[pyo3(signature = (operation, args, future, on_event=None))]
    fn call_async(
        &self,
        py: Python<'_>,
        operation: String,
        args: &Bound<'_, PyAny>,
        future: Py<PyAny>,
        on_event: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        logs::refresh_level(py);
        let args = arguments(&operation, args);
        let prepared = guard(|| {
            if let CallRuntime::Own(_) = self.runtime {
                // Its connections live on a runtime only `call` drives.
                return Err(Error::internal(
                    "a blocking dollr client cannot be awaited; use dollr.AsyncClient",
                ));
            }
            Ok((self.client()?, args?))
        });
        let (client, args) = into_py(py, prepared)?;
        let result_type = typed::ResultType::of(py, &operation)?;
        runtime::start_for_asyncio(
            py,
            future,
            on_event,
            |events| async move {
                match events {
                    Some(events) => {
                        bridge::call_with_events(&client, &operation, args, events).await
                    }
                    None => bridge::call(&client, &operation, args).await,
                }
            },
            move |py, value| result_type.build(py, value).map(Bound::unbind),
        )
    }

    /// Starts one bridge operation read event by event (`NativeStream`): `status.watch`.
    fn stream(
        &self,
        py: Python<'_>,
        operation: String,
        args: &Bound<'_, PyAny>,
    ) -> PyResult<crate::stream::NativeStream> {
        let args = arguments(&operation, args);
        let result_type = typed::ResultType::of(py, &operation)?;
        let started = guard(|| {
            crate::stream::NativeStream::start(
                self.runtime.clone(),
                self.client()?,
                operation,
                args?,
                result_type,
            )
        });
        into_py(py, started)
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeClient(base_url={:?}, client_id={:?})",
            self.base_url, self.client_id
        )
    }
}
