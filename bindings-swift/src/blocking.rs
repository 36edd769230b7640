//! The blocking client, for JVM server code that calls and waits (as OkHttp's `execute()` beside
//! `enqueue()`): `DollrBlockingClient` and its resources (`BlockingParties`, …, generated with the
//! suspending ones in `resources.rs`) have the same methods as `DollrClient`'s, synchronous.
//!
//! Why a second client rather than blocking on the shared runtime: a suspending call crosses the
//! FFI as a foreign future that a runtime thread completes through a JNA callback, then the
//! coroutine's thread wakes up — two thread hand-offs and a callback per call, which on a small VM
//! cost more than the call's own work. A blocking client owns a current-thread runtime
//! ([`OwnRuntime`]) that the calling thread drives: the request is written, the answer read and
//! decoded on that thread, and the result returned by the plain FFI call (decision 0009, as
//! Python's `dollr.Client`). Its connections live on that runtime, so it never shares them with a
//! `DollrClient`.

use std::sync::Arc;

use tokio::sync::mpsc;

use dollr_core::bridge::{panic_text, CalledInsideItsOwnCall, ClientOptions, OwnRuntime};
use dollr_core::flows::{notify, FlowListener, FlowProgress, ProgressCallback};
use dollr_core::{ClientBuilder, RequestOptions};
use std::future::Future;

use crate::auth::{AccessTokenProvider, ForeignTokenProvider};
use crate::client::describe;
use crate::error::DollrError;
use crate::runtime::guard;

/// Runs one core call to completion on the calling thread: a panic becomes `Internal`, and so
/// does a call from a listener of this client's own call that would have to wait
/// ([`CalledInsideItsOwnCall`], with its explanation).
pub(crate) fn block<T: Send>(
    runtime: &OwnRuntime,
    call: impl Future<Output = dollr_core::Result<T>> + Send,
) -> Result<T, DollrError> {
    finish(runtime.block_on(call))
}

/// A blocking call's outcome as the binding's result.
fn finish<T>(outcome: std::thread::Result<dollr_core::Result<T>>) -> Result<T, DollrError> {
    match outcome {
        Ok(result) => result.map_err(DollrError::from),
        Err(unfinished) if unfinished.is::<CalledInsideItsOwnCall>() => {
            Err(DollrError::internal(CalledInsideItsOwnCall.to_string()))
        }
        Err(panic) => Err(DollrError::internal(format!(
            "a panic inside the SDK was caught: {} (please report it)",
            panic_text(panic.as_ref()).unwrap_or("(no message)")
        ))),
    }
}

/// Runs one core call that reports events to completion on the calling thread, as [`block`]
/// does. With a `listener`, the call runs as a task of the client's runtime and each event it
/// sends reaches `listener` on this thread, outside the runtime
/// ([`OwnRuntime::block_on_with_events`]): a listener may call the same client (its call drives
/// the runtime, and this one with it). Without one, the call runs in line. `make` builds the call
/// from the sender it reports on (`None`: nobody listens).
pub(crate) fn block_reporting<T, E, Fut>(
    runtime: &OwnRuntime,
    listener: Option<impl FnMut(E)>,
    make: impl FnOnce(Option<mpsc::UnboundedSender<E>>) -> Fut,
) -> Result<T, DollrError>
where
    T: Send + 'static,
    E: Send + 'static,
    Fut: Future<Output = dollr_core::Result<T>> + Send + 'static,
{
    match listener {
        None => block(runtime, make(None)),
        Some(listener) => {
            finish(runtime.block_on_with_events(|reporter| make(Some(reporter)), listener))
        }
    }
}

/// A flow of the blocking client ([`block_reporting`]): `make` builds it from the progress
/// callback its request takes. A listener that throws is ignored (the core's `notify`): the flow
/// goes on.
pub(crate) fn block_with_listener<T, Fut>(
    runtime: &OwnRuntime,
    listener: Option<Arc<dyn FlowListener>>,
    make: impl FnOnce(Option<ProgressCallback>) -> Fut,
) -> Result<T, DollrError>
where
    T: Send + 'static,
    Fut: Future<Output = dollr_core::Result<T>> + Send + 'static,
{
    let deliver = listener.map(|listener| move |progress| notify(listener.as_ref(), progress));
    block_reporting(runtime, deliver, |reporter| {
        make(reporter.map(|reporter| {
            let report = move |progress: &FlowProgress| {
                // The waiting thread reads every step before the flow's result.
                let _ = reporter.send(progress.clone());
            };
            Arc::new(report) as ProgressCallback
        }))
    })
}

/// The Dollr API client whose calls block: each returns when the call is done, run on the calling
/// thread (no thread hand-off, no callback). Thread-safe: several threads may call at once. For
/// servers and merchant-operated backends; the secret never appears in its string form.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct DollrBlockingClient {
    pub(crate) inner: dollr_core::Client,
    pub(crate) runtime: Arc<OwnRuntime>,
}

/// `DollrBlockingClient(baseUrl=http://127.0.0.1:8080, clientId=abc)`, never the secret.
impl std::fmt::Display for DollrBlockingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DollrBlockingClient")?;
        describe(&self.inner, f)
    }
}

impl DollrBlockingClient {
    fn build(
        options: ClientOptions,
        credentials: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Arc<DollrBlockingClient>, DollrError> {
        guard(|| {
            let runtime = OwnRuntime::new().map_err(|e| {
                DollrError::internal(format!("could not start the client's tokio runtime: {e}"))
            })?;
            // The constructor's credentials win over the options' (given last).
            let builder = options.apply(ClientBuilder::default().sdk_language("uniffi"));
            let inner = credentials(builder).build()?;
            Ok(Arc::new(DollrBlockingClient {
                inner,
                runtime: Arc::new(runtime),
            }))
        })
    }
}

#[uniffi::export]
impl DollrBlockingClient {
    /// A blocking client with client credentials (merchant portal: Settings → Developer → API
    /// Keys). For servers and merchant-operated backends only: a client secret must never ship in
    /// an app.
    #[uniffi::constructor(default(options))]
    pub fn new(
        client_id: String,
        client_secret: String,
        options: ClientOptions,
    ) -> Result<Arc<DollrBlockingClient>, DollrError> {
        Self::build(options, |builder| {
            builder.client_id(client_id).client_secret(client_secret)
        })
    }

    /// A blocking client that gets its access tokens from `provider` (a server that holds no
    /// client secret of its own: its tokens come from another service). The provider's `suspend`
    /// method is awaited while the calling thread waits.
    #[uniffi::constructor(default(options))]
    pub fn with_token_provider(
        provider: Arc<dyn AccessTokenProvider>,
        options: ClientOptions,
    ) -> Result<Arc<DollrBlockingClient>, DollrError> {
        let provider: Arc<dyn dollr_core::auth::AccessTokenProvider> =
            Arc::new(ForeignTokenProvider(provider));
        Self::build(options, |builder| builder.token_provider(provider))
    }

    /// A blocking client configured from `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`,
    /// `DOLLR_BASE_URL`.
    #[uniffi::constructor(default(options))]
    pub fn from_env(options: ClientOptions) -> Result<Arc<DollrBlockingClient>, DollrError> {
        Self::build(options, |builder| builder)
    }

    /// The same client (same pool, token, journal and runtime) with per-call overrides (timeout,
    /// retries).
    pub fn with_options(&self, options: RequestOptions) -> Arc<DollrBlockingClient> {
        Arc::new(DollrBlockingClient {
            inner: self.inner.with_options(options),
            runtime: Arc::clone(&self.runtime),
        })
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> String {
        self.inner.config().base_url.clone()
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> String {
        self.inner.config().user_agent.clone()
    }
}
