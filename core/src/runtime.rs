//! The one seam between the core and the async runtime it runs on: the clock, timers and
//! background tasks (decision 0018).
//!
//! * Natively this is tokio, exactly as before: [`TimerInstant`] is `tokio::time::Instant`, so
//!   tests that pause tokio's clock (`#[tokio::test(start_paused = true)]`) still move every timer
//!   of the core, and [`Instant`] is `std::time::Instant`.
//! * On WebAssembly (`wasm32-unknown-unknown`: bindings-wasm, in Node, workerd, Deno, browsers)
//!   `std::time::Instant::now()` and tokio's timers panic, and there is no thread to run tasks on:
//!   the clock is `performance.now()` (web-time), timers are the host's `setTimeout`
//!   (gloo-timers, cleared when dropped) and tasks run on the host's event loop
//!   (`wasm_bindgen_futures::spawn_local`). JS futures are `!Send`, and the core's futures are
//!   `Send` (they are spawned on tokio's multi-threaded runtime natively): wasm32 has one thread,
//!   so wrapping them in `SendWrapper` is sound and keeps every bound of the core single-definition.
//!
//! The rest of the core takes time and timers only from here.

use std::future::Future;
use std::time::Duration;

/// The monotonic clock of deadlines and elapsed times (`std::time::Instant` natively).
#[cfg(not(target_arch = "wasm32"))]
pub use std::time::Instant;
/// The monotonic clock of deadlines and elapsed times (`performance.now()` on WebAssembly).
#[cfg(target_arch = "wasm32")]
pub use web_time::Instant;

/// The clock the timers read ([`sleep_until`]): tokio's natively (it stands still when a test
/// pauses tokio's time), the same as [`Instant`] on WebAssembly.
#[cfg(not(target_arch = "wasm32"))]
pub use tokio::time::Instant as TimerInstant;
/// The clock the timers read ([`sleep_until`]): the same as [`Instant`] on WebAssembly.
#[cfg(target_arch = "wasm32")]
pub use web_time::Instant as TimerInstant;

/// Waits `duration`.
#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Waits `duration` (a host `setTimeout`, cleared if the wait is dropped).
#[cfg(target_arch = "wasm32")]
pub async fn sleep(duration: Duration) {
    // setTimeout takes at most 2^31 - 1 ms (about 24.8 days); longer waits are chained.
    const LONGEST: u32 = i32::MAX as u32;
    let mut left = duration.as_millis();
    loop {
        let step = u32::try_from(left).unwrap_or(LONGEST).min(LONGEST);
        send_wrapper::SendWrapper::new(gloo_timers::future::TimeoutFuture::new(step)).await;
        left -= u128::from(step);
        if left == 0 {
            return;
        }
    }
}

/// Waits until `deadline` (at once if it has passed).
#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep_until(deadline: TimerInstant) {
    tokio::time::sleep_until(deadline).await;
}

/// Waits until `deadline` (at once if it has passed).
#[cfg(target_arch = "wasm32")]
pub async fn sleep_until(deadline: TimerInstant) {
    let left = deadline.saturating_duration_since(TimerInstant::now());
    if !left.is_zero() {
        sleep(left).await;
    }
}

/// A task running in the background ([`spawn`]); dropping the handle does not stop it,
/// [`Task::abort`] does.
#[derive(Debug)]
pub struct Task {
    #[cfg(not(target_arch = "wasm32"))]
    handle: tokio::task::JoinHandle<()>,
    #[cfg(target_arch = "wasm32")]
    handle: futures::future::AbortHandle,
}

impl Task {
    /// Stops the task at its next await point.
    pub fn abort(&self) {
        self.handle.abort();
    }
}

/// Runs `work` in the background: on the current tokio runtime natively, on the host's event loop
/// on WebAssembly.
#[cfg(not(target_arch = "wasm32"))]
pub fn spawn(work: impl Future<Output = ()> + Send + 'static) -> Task {
    Task {
        handle: tokio::spawn(work),
    }
}

/// Runs `work` in the background: on the current tokio runtime natively, on the host's event loop
/// on WebAssembly.
#[cfg(target_arch = "wasm32")]
pub fn spawn(work: impl Future<Output = ()> + 'static) -> Task {
    let (handle, registration) = futures::future::AbortHandle::new_pair();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = futures::future::Abortable::new(work, registration).await;
    });
    Task { handle }
}

/// Calls `callback` — the app's code, called from a call's task (a progress or transition
/// listener, a log handler) — so that the runtime goes on while it runs: a callback may block until
/// another call of the same runtime ends (a listener calling the same client, and waiting), and a
/// runtime whose only worker is running it would never run that call. On a worker of a
/// multi-thread runtime it runs through `block_in_place` (the worker's other tasks and its I/O move
/// to another thread meanwhile); anywhere else in line (a current-thread runtime's calls are driven
/// by whoever waits on them, see `bridge::OwnRuntime`, and WebAssembly has one thread).
#[cfg(not(target_arch = "wasm32"))]
pub fn call_foreign<R>(callback: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(callback)
        }
        _ => callback(),
    }
}

/// Calls `callback` in line: WebAssembly has one thread, whose event loop waits for it.
#[cfg(target_arch = "wasm32")]
pub fn call_foreign<R>(callback: impl FnOnce() -> R) -> R {
    callback()
}

/// This process's id, for names that must differ between processes (journal lease owners).
#[cfg(not(target_arch = "wasm32"))]
pub fn process_id() -> u32 {
    std::process::id()
}

/// This process's id: WebAssembly hosts have none to give (`std::process::id` panics there), and
/// what follows it in a name (a random id) tells instances apart.
#[cfg(target_arch = "wasm32")]
pub fn process_id() -> u32 {
    0
}

/// The operating system's name as Rust spells it (`linux`, `macos`, `windows`), or `wasm` on
/// WebAssembly, where Rust knows none (`std::env::consts::OS` is empty): what the `User-Agent` and
/// a payout's default device say.
#[cfg(not(target_arch = "wasm32"))]
pub const OS: &str = std::env::consts::OS;
/// The operating system's name as Rust spells it, or `wasm` on WebAssembly.
#[cfg(target_arch = "wasm32")]
pub const OS: &str = "wasm";
