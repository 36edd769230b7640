//! How a call that waits (the network, a timer) answers JavaScript: through ONE threadsafe
//! function per Node environment instead of one per call.
//!
//! napi-rs's Promise of a spawned future (`Env::spawn_future_with_callback`) creates a threadsafe
//! function for every call — a libuv async handle opened, and closed on a later turn of the event
//! loop, an environment cleanup hook added and removed — which every network call through
//! dollr-native paid (#19). Instead the JS layer registers two functions once per environment
//! (`_registerCompletions(wait, settle)`, lib/completions.js): for a call that has to wait, the
//! addon asks `wait(id)` for its Promise (made and kept by the JS layer), runs the call on the
//! addon's tokio runtime and queues its outcome on the environment's one threadsafe function,
//! which calls `settle(id, json)` — or `settle(id, error)` with
//! [`js_error`](crate::errors::js_error)'s object — on the JS thread. Outcomes that finish
//! together are delivered in one wake-up of the event loop.
//!
//! Node stays alive exactly while calls are pending, as it did for the per-call Promises: a second
//! threadsafe function of the same `settle`, never called, is referenced at the first pending call
//! and unreferenced after the last. It lives on the JS thread alone, so doing that takes no lock
//! shared with the runtime's threads (a lock around the delivering function made the JS thread,
//! woken by the delivery, wait for the runtime thread to leave it).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use dollr_core::bridge::FirstWake;
use futures::FutureExt;
use napi::bindgen_prelude::{Either, FnArgs, Function, FunctionRef, Unknown};
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::tokio::runtime::Handle;
use napi::{Env, Status};
use napi_derive::napi;

use crate::errors::{guard_sync, panic_error, to_napi_error};

/// One finished call: its id and its JSON result or its error.
pub(crate) struct Finished {
    id: i64,
    outcome: dollr_core::Result<String>,
}

/// The arguments of the JS layer's `settle(id, json | error)`.
type SettleArgs = FnArgs<(i64, Either<String, napi::Error>)>;

/// `settle`, called from the runtime's threads; weak (see the module docs).
type Settle = ThreadsafeFunction<Finished, Unknown<'static>, SettleArgs, Status, false, true>;

/// The registered functions of one environment and its count of pending calls.
pub(crate) struct Completions {
    /// `wait(id)`: the JS layer's new Promise for call `id`.
    wait: FunctionRef<i64, Unknown<'static>>,
    /// Delivers outcomes from the runtime's threads; weak, never keeps Node alive.
    settle: Arc<Settle>,
    /// Referenced while calls are pending; never called (see the module docs).
    keep_alive: Settle,
    pending: u64,
    next_id: i64,
}

/// A weak threadsafe function of the JS layer's `settle` (see the module docs).
fn settle_function(settle: &Function<SettleArgs, Unknown<'static>>) -> napi::Result<Settle> {
    settle
        .build_threadsafe_function::<Finished>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|context: ThreadsafeCallContext<Finished>| {
            let env = context.env;
            finished_one(&env)?;
            let Finished { id, outcome } = context.value;
            let outcome = match outcome {
                Ok(json) => Either::A(json),
                Err(error) => Either::B(to_napi_error(&env, &error)),
            };
            Ok(FnArgs::from((id, outcome)))
        })
}

/// Called once per environment by lib/completions.js (hidden from the typings).
#[napi(js_name = "_registerCompletions")]
pub fn register_completions(
    env: Env,
    wait: Function<i64, Unknown<'static>>,
    settle: Function<SettleArgs, Unknown<'static>>,
) -> napi::Result<()> {
    guard_sync(&env, || {
        crate::per_env::get_or_init(&env)?.completions = Some(Completions {
            wait: wait.create_ref()?,
            settle: Arc::new(settle_function(&settle)?),
            keep_alive: settle_function(&settle)?,
            pending: 0,
            next_id: 0,
        });
        Ok(())
    })
}

/// One pending call fewer; the last one lets Node exit again.
#[allow(deprecated)] // `unref`: napi's own name for exactly this (napi_unref_threadsafe_function)
fn finished_one(env: &Env) -> napi::Result<()> {
    if let Some(completions) =
        crate::per_env::get(env)?.and_then(|state| state.completions.as_mut())
    {
        completions.pending = completions.pending.saturating_sub(1);
        if completions.pending == 0 {
            completions.keep_alive.unref(env)?;
        }
    }
    Ok(())
}

/// Runs `call` (already polled once on the JS thread with `first_wake`'s waker, see
/// `errors::start_call`) on `runtime` and returns the JS layer's Promise of its outcome; `None`
/// when the JS layer has not registered its functions (the addon loaded without lib/), for the
/// caller to fall back on napi's Promise.
#[allow(deprecated)] // `refer`: napi's own name for exactly this (napi_ref_threadsafe_function)
pub(crate) fn answer_later<'env, F>(
    env: &'env Env,
    runtime: &Handle,
    call: F,
    first_wake: Option<Arc<FirstWake>>,
) -> napi::Result<Result<Unknown<'env>, F>>
where
    F: Future<Output = dollr_core::Result<String>> + Send + 'static,
{
    let Some(completions) = crate::per_env::get(env)?.and_then(|state| state.completions.as_mut())
    else {
        return Ok(Err(call));
    };
    let id = completions.next_id;
    // The Promise first: the outcome can only be delivered to a call the JS layer knows.
    let promise = completions.wait.borrow_back(env)?.call(id)?;
    if completions.pending == 0 {
        completions.keep_alive.refer(env)?;
    }
    completions.pending += 1;
    completions.next_id = id.wrapping_add(1);
    let settle = Arc::clone(&completions.settle);
    let continuation = async move {
        let outcome = match AssertUnwindSafe(call).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(payload) => Err(panic_error(payload)),
        };
        // Anything but `Ok` means the environment is closing: nobody is left to answer.
        let _ = settle.call(
            Finished { id, outcome },
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    };
    match first_wake {
        Some(first_wake) => first_wake.park(Box::pin(continuation)),
        None => drop(runtime.spawn(continuation)),
    }
    Ok(Ok(promise))
}
