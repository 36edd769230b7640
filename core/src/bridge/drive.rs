//! How a binding starts a bridge call: on the caller's own thread first.
//!
//! Handing every call to a runtime thread costs two cross-thread wake-ups (the runtime's worker,
//! then the caller's thread or event loop) even when the call never leaves the process — a
//! refused argument, a closed client, a cached answer. On small VMs an idle vCPU takes tens of
//! microseconds to wake, which dwarfs the call itself. So a binding polls the call once where it
//! is, and only a call that actually waits (on the network, a timer, the SQLite journal's
//! blocking pool) moves to the runtime.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures::task::noop_waker_ref;
#[cfg(not(target_arch = "wasm32"))]
use tokio::runtime::Handle;
#[cfg(not(target_arch = "wasm32"))]
use tokio::sync::mpsc;

/// A call's future, boxed so it can be polled here and then moved to a runtime.
pub type BoxedCall<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What [`poll_once`] found.
pub enum FirstPoll<T> {
    /// The call finished during the poll (`Ok`), or panicked (`Err` with the panic's payload;
    /// the future is gone and must not be polled again).
    Ready(std::thread::Result<T>),
    /// The call is waiting on something: spawn it on the runtime, which polls it again with a
    /// real waker (futures register their waker anew on every poll, so nothing is lost).
    Pending(BoxedCall<T>),
}

/// Polls `call` once on this thread, with a waker that does nothing, inside the context of
/// `runtime` — the runtime to spawn it on if it is pending: whatever the first poll registers (a
/// connection, a timer) belongs to that runtime.
#[cfg(not(target_arch = "wasm32"))]
pub fn poll_once<T>(runtime: &Handle, call: BoxedCall<T>) -> FirstPoll<T> {
    poll_once_waking(runtime, call, noop_waker_ref())
}

/// Polls `call` once on this thread with `waker`, inside the context of `runtime`.
#[cfg(not(target_arch = "wasm32"))]
fn poll_once_waking<T>(runtime: &Handle, call: BoxedCall<T>, waker: &Waker) -> FirstPoll<T> {
    let _context = runtime.enter();
    poll_here(call, waker)
}

/// How a binding whose caller must not block (an asyncio event loop, Node's JS thread, a Kotlin
/// coroutine) starts a call: polled once on the caller's thread with this waker
/// ([`FirstWake::poll_once`]); a call that waits is handed over with what should run it to its end
/// ([`FirstWake::park`]), and goes to the runtime when what it waits for first wakes it, not as
/// soon as it turns out to wait.
///
/// Spawned at once, the task made the runtime's parked worker wake only to poll the call again and
/// find it still waiting for the answer (the first poll has already handed the request to the
/// connection), then park again: an extra cross-thread wake-up per network call, and the caller's
/// thread and the waking worker contending for the scheduler's lock (#19). Woken by the answer
/// instead, the call is spawned from the worker that read it and runs there right away. A future
/// that returns `Pending` has registered its waker (the `Future` contract), so the wake comes;
/// once spawned, the call's later polls register the runtime's own waker, and wakes of this one
/// are ignored.
#[cfg(not(target_arch = "wasm32"))]
pub struct FirstWake {
    state: Mutex<Started>,
    runtime: Handle,
}

/// What runs a parked call to its end: the call and the delivery of its outcome.
#[cfg(not(target_arch = "wasm32"))]
pub type Continuation = BoxedCall<()>;

#[cfg(not(target_arch = "wasm32"))]
enum Started {
    /// The first poll is running or has just returned; `woken` if a wake came meanwhile.
    Polling { woken: bool },
    /// Waiting for its first wake.
    Parked(Continuation),
    /// Spawned.
    Gone,
}

#[cfg(not(target_arch = "wasm32"))]
impl FirstWake {
    /// A new waker for one call that would continue on `runtime`.
    pub fn new(runtime: Handle) -> Arc<FirstWake> {
        Arc::new(FirstWake {
            state: Mutex::new(Started::Polling { woken: false }),
            runtime,
        })
    }

    /// Polls `call` once on this thread with this waker, inside the runtime's context (whatever
    /// the first poll registers, a connection or a timer, belongs to that runtime).
    pub fn poll_once<T>(self: &Arc<Self>, call: BoxedCall<T>) -> FirstPoll<T> {
        let waker = Waker::from(Arc::clone(self));
        poll_once_waking(&self.runtime, call, &waker)
    }

    /// Runs `continuation` on the runtime at the first wake, or now if that came already. Called
    /// once, after [`FirstWake::poll_once`] found the call waiting.
    pub fn park(&self, continuation: Continuation) {
        let mut state = self.state();
        if matches!(*state, Started::Polling { woken: false }) {
            *state = Started::Parked(continuation);
            return;
        }
        *state = Started::Gone;
        drop(state);
        drop(self.runtime.spawn(continuation));
    }

    fn state(&self) -> MutexGuard<'_, Started> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl std::task::Wake for FirstWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.state();
        let continuation = match std::mem::replace(&mut *state, Started::Gone) {
            Started::Polling { .. } => {
                *state = Started::Polling { woken: true };
                return;
            }
            Started::Parked(continuation) => continuation,
            Started::Gone => return,
        };
        drop(state);
        drop(self.runtime.spawn(continuation));
    }
}

/// Polls `call` once on this thread, with a waker that does nothing (WebAssembly: there is no
/// runtime to enter; a pending call is handed to the host's event loop).
#[cfg(target_arch = "wasm32")]
pub fn poll_once<T>(call: BoxedCall<T>) -> FirstPoll<T> {
    poll_here(call, noop_waker_ref())
}

fn poll_here<T>(mut call: BoxedCall<T>, waker: &Waker) -> FirstPoll<T> {
    let mut context = Context::from_waker(waker);
    match catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(&mut context))) {
        Ok(Poll::Ready(value)) => FirstPoll::Ready(Ok(value)),
        Ok(Poll::Pending) => FirstPoll::Pending(call),
        Err(payload) => FirstPoll::Ready(Err(payload)),
    }
}

/// A blocking client's own current-thread runtime, driven by the threads that wait on its calls
/// (`Runtime::block_on`): the request is written, the answer read and decoded on the caller's
/// thread, with no hand-off to a runtime thread and back (decision 0009). Several threads may
/// call at once: tokio lets one drive the runtime's I/O while the others' calls make progress
/// through it. The client's connections live on this runtime, so its calls are only ever driven
/// this way.
#[cfg(not(target_arch = "wasm32"))]
pub struct OwnRuntime(Option<tokio::runtime::Runtime>);

#[cfg(not(target_arch = "wasm32"))]
impl OwnRuntime {
    /// A new current-thread runtime with I/O and timers.
    pub fn new() -> std::io::Result<OwnRuntime> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|runtime| OwnRuntime(Some(runtime)))
    }

    /// Runs `call` to completion on this thread; a panic is caught and returned as `Err` with its
    /// payload. A thread already inside a tokio runtime (a listener called back from another
    /// runtime) cannot block on a second one, so there the wait happens on a scoped helper thread.
    ///
    /// A call made on the thread that is driving this same runtime (from a listener that one of
    /// its calls is calling) cannot be driven: the runtime is busy in the call that is waiting
    /// for the listener, so blocking would wait forever. It is polled once, which finishes a call
    /// that needs no I/O (a refused argument); one that would wait is dropped (cancelled, as when
    /// a caller gives up) and `Err` carries [`CalledInsideItsOwnCall`].
    pub fn block_on<T: Send>(
        &self,
        call: impl Future<Output = T> + Send,
    ) -> std::thread::Result<T> {
        // On the heap from here: the caller's thread may be a JVM's or an app's, with a stack a
        // fraction of a Rust thread's, and every frame below would otherwise carry the call.
        let call = Box::pin(call);
        let Some(runtime) = self.0.as_ref() else {
            return Err(Box::new("the client's runtime is shut down"));
        };
        let id = std::ptr::from_ref(runtime) as usize;
        if self.driven_here(runtime) {
            let mut call = std::pin::pin!(call);
            let mut context = Context::from_waker(noop_waker_ref());
            return match catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(&mut context))) {
                Ok(Poll::Ready(value)) => Ok(value),
                Ok(Poll::Pending) => Err(Box::new(CalledInsideItsOwnCall)),
                Err(panic) => Err(panic),
            };
        }
        let drive = || {
            DRIVEN_HERE.with(|driven| driven.borrow_mut().push(id));
            let outcome = catch_unwind(AssertUnwindSafe(|| runtime.block_on(call)));
            DRIVEN_HERE.with(|driven| driven.borrow_mut().retain(|driven| *driven != id));
            outcome
        };
        if Handle::try_current().is_err() {
            return drive();
        }
        std::thread::scope(|scope| scope.spawn(drive).join()).and_then(|outcome| outcome)
    }

    /// Whether this thread is driving this runtime now (it is inside one of its calls: a
    /// listener called in line).
    fn driven_here(&self, runtime: &tokio::runtime::Runtime) -> bool {
        let id = std::ptr::from_ref(runtime) as usize;
        DRIVEN_HERE.with(|driven| driven.borrow().contains(&id))
    }

    /// Runs the call `make` builds to completion on this thread, handing each event it reports
    /// (through the sender it is given) to `on_event` on this thread, outside the runtime, before
    /// its result ([`EventedCall`], as a task of this runtime). So a listener may call the same
    /// client: that call drives this runtime, and the flow with it. Made from inside a call of
    /// this runtime (a listener called in line), it runs in line, as [`OwnRuntime::block_on`]
    /// does there, and its events are dropped.
    pub fn block_on_with_events<V, E, Fut>(
        &self,
        make: impl FnOnce(mpsc::UnboundedSender<E>) -> Fut,
        mut on_event: impl FnMut(E),
    ) -> std::thread::Result<crate::Result<V>>
    where
        Fut: Future<Output = crate::Result<V>> + Send + 'static,
        V: Send + 'static,
        E: Send + 'static,
    {
        let Some(runtime) = self.0.as_ref() else {
            return Err(Box::new("the client's runtime is shut down"));
        };
        let (reporter, _unread) = mpsc::unbounded_channel();
        if self.driven_here(runtime) {
            return self.block_on(make(reporter));
        }
        let mut call = EventedCall::new(make).as_task(|task| {
            self.spawn(task);
        });
        loop {
            match self.block_on(call.next(None))? {
                Stretch::Done(outcome) => return outcome,
                Stretch::Event(event) => on_event(event),
                Stretch::Tick => {}
            }
        }
    }

    /// Drives this runtime until no task is left on it, for at most about `limit` (and a few
    /// rounds whatever the clock says, so a thread descheduled meanwhile still lets ready tasks
    /// run). A blocking client's `close` calls it once the client is dropped: its connections'
    /// tasks live here and only close their sockets when some thread drives the runtime, which
    /// otherwise happens at the next call or when the runtime is dropped — a closed client would
    /// keep its connections open (and a server waiting to answer a timed-out request) until the
    /// garbage collector freed it. A task that waits longer (a call another thread still waits
    /// on) is left to the thread that waits on it.
    pub fn wind_down(&self, limit: std::time::Duration) {
        /// The fewest rounds that run, however long they take.
        const ROUNDS: u32 = 8;
        let Some(runtime) = self.0.as_ref() else {
            return;
        };
        let metrics = runtime.metrics();
        let drive = async move {
            let deadline = tokio::time::Instant::now() + limit;
            let mut rounds = 0;
            while metrics.num_alive_tasks() > 0
                && (rounds < ROUNDS || tokio::time::Instant::now() < deadline)
            {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                rounds += 1;
            }
        };
        // A panic cannot come from this future; a call from inside this runtime's own call
        // (a listener closing its client) is polled once and left to the driving thread.
        let _ = self.block_on(drive);
    }

    /// Spawns `task` on this runtime; it runs while some thread drives the runtime
    /// ([`OwnRuntime::block_on`]). `None` once the runtime is shut down.
    pub fn spawn<F>(&self, task: F) -> Option<tokio::task::JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.as_ref().map(|runtime| runtime.spawn(task))
    }
}

#[cfg(not(target_arch = "wasm32"))]
thread_local! {
    /// The [`OwnRuntime`]s this thread is driving now (by address): a listener called from inside
    /// one of their calls runs on this thread, and may call the same client again.
    static DRIVEN_HERE: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Why [`OwnRuntime::block_on`] did not run a call: it was made on the thread driving the same
/// runtime, inside one of its calls (a listener), and it had to wait. Its text is the message of
/// the error the binding raises.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalledInsideItsOwnCall;

#[cfg(not(target_arch = "wasm32"))]
impl std::fmt::Display for CalledInsideItsOwnCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "a blocking client was called from inside one of its own calls (from a listener, on \
             that call's thread) and the call had to wait: it would have waited forever for the \
             call that is waiting for the listener, so it was cancelled, like a call whose caller \
             gave up (a payment it began is in the journal: resume it by its reference id). Make \
             the call after the outer one returns, or from another client",
        )
    }
}

/// What one stretch of driving an [`EventedCall`] ended with.
#[cfg(not(target_arch = "wasm32"))]
pub enum Stretch<V, E> {
    /// The call's outcome (`Err`: it panicked, with the panic's payload).
    Done(std::thread::Result<crate::Result<V>>),
    /// An event it reported: for the listener, called by the waiting thread outside the runtime.
    Event(E),
    /// The tick given to [`EventedCall::next`] passed with neither (a chance to check for
    /// signals).
    Tick,
}

/// A call whose events the thread waiting on it delivers, outside the runtime: the call reports
/// them on a channel instead of calling the listener inside its own poll. A listener called
/// inside the poll holds the call parked in line while it runs, and with it whatever the call
/// holds (the token's single-flight refresh, say), which a call the listener makes to the same
/// client then waits for forever; and a blocking client's runtime is busy while its thread is
/// inside the call, so such a call could not even be driven. Made into a task of the runtime
/// ([`EventedCall::as_task`]), the call goes on whenever any thread drives the runtime — the
/// listener's own call included. Every binding whose calls block a thread drives its listeners'
/// calls this way (Python's `dollr.Client`, Kotlin's `DollrBlockingClient`).
#[cfg(not(target_arch = "wasm32"))]
pub struct EventedCall<V, E> {
    call: BoxedCall<std::thread::Result<crate::Result<V>>>,
    events: mpsc::UnboundedReceiver<E>,
    /// The call's outcome once it ended, held back while events it reported before are undelivered.
    ended: Option<std::thread::Result<crate::Result<V>>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl<V: Send + 'static, E: Send + 'static> EventedCall<V, E> {
    /// The call `make` builds from the sender it reports its events on, to be polled in line
    /// (panics caught).
    pub fn new<Fut>(make: impl FnOnce(mpsc::UnboundedSender<E>) -> Fut) -> EventedCall<V, E>
    where
        Fut: Future<Output = crate::Result<V>> + Send + 'static,
    {
        use futures::FutureExt;
        let (reporter, events) = mpsc::unbounded_channel();
        let call = AssertUnwindSafe(make(reporter)).catch_unwind();
        EventedCall {
            call: Box::pin(call),
            events,
            ended: None,
        }
    }

    /// The same call as a task of a runtime: `spawn` spawns the task it is given there (a
    /// runtime that is shut down drops it, which becomes the call's `Internal` error).
    pub fn as_task(self, spawn: impl FnOnce(BoxedCall<()>)) -> EventedCall<V, E> {
        let (sender, outcome) = tokio::sync::oneshot::channel();
        let call = self.call;
        spawn(Box::pin(async move {
            // The waiting thread may be gone (Ctrl-C): then the outcome has no reader.
            let _ = sender.send(call.await);
        }));
        EventedCall {
            call: Box::pin(async move {
                outcome.await.unwrap_or_else(|_| {
                    Ok(Err(crate::Error::internal(
                        "the client's runtime is shut down",
                    )))
                })
            }),
            events: self.events,
            ended: self.ended,
        }
    }

    /// Waits for the call's next event or its end, or for `tick` to pass. Every event the call
    /// reported comes before its end: an outcome that arrives while events are undelivered waits
    /// for them.
    pub async fn next(&mut self, tick: Option<std::time::Duration>) -> Stretch<V, E> {
        let outcome = match self.ended.take() {
            Some(outcome) => outcome,
            None => {
                let tick = async {
                    match tick {
                        Some(tick) => tokio::time::sleep(tick).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    outcome = self.call.as_mut() => outcome,
                    Some(event) = self.events.recv() => return Stretch::Event(event),
                    () = tick => return Stretch::Tick,
                }
            }
        };
        match self.events.try_recv() {
            Ok(event) => {
                self.ended = Some(outcome);
                Stretch::Event(event)
            }
            Err(_) => Stretch::Done(outcome),
        }
    }

    /// The call itself, for a thread that stops waiting on it (Ctrl-C) to let it finish
    /// elsewhere: an execution is never abandoned half-way.
    pub fn into_call(self) -> BoxedCall<std::thread::Result<crate::Result<V>>> {
        match self.ended {
            Some(outcome) => Box::pin(std::future::ready(outcome)),
            None => self.call,
        }
    }
}

/// Released wherever the client is freed. That may be a thread driving another runtime (a
/// finalizer run from a callback); tokio refuses to wait there for the runtime's threads (it
/// panics), so there the runtime is shut down without waiting: its tasks are dropped, its
/// blocking threads end on their own.
#[cfg(not(target_arch = "wasm32"))]
impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            if Handle::try_current().is_ok() {
                runtime.shutdown_background();
            }
        }
    }
}

/// The text of a panic's payload (`panic!("...")` carries a `&str` or a `String`), if it has one:
/// what every binding puts in the `Internal` error a caught panic becomes.
pub fn panic_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_call_that_needs_nothing_finishes_here() {
        match poll_once(runtime().handle(), Box::pin(async { 7 })) {
            FirstPoll::Ready(Ok(value)) => assert_eq!(value, 7),
            _ => panic!("expected the call to finish in its first poll"),
        }
    }

    #[test]
    fn a_panic_is_caught_and_reported() {
        let call: BoxedCall<i32> = Box::pin(async { panic!("boom") });
        match poll_once(runtime().handle(), call) {
            FirstPoll::Ready(Err(payload)) => {
                assert_eq!(panic_text(payload.as_ref()), Some("boom"))
            }
            _ => panic!("expected the panic to be caught"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_parked_call_goes_to_the_runtime_at_its_first_wake_only() {
        let (sender, receiver) = tokio::sync::oneshot::channel::<i32>();
        let (outcome, answer) = tokio::sync::oneshot::channel::<i32>();
        let first_wake = FirstWake::new(Handle::current());
        let call: BoxedCall<i32> = Box::pin(async move { receiver.await.unwrap_or(-1) + 1 });
        let FirstPoll::Pending(call) = first_wake.poll_once(call) else {
            panic!("expected the call to wait for its channel");
        };
        let continuation_ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ran = Arc::clone(&continuation_ran);
        first_wake.park(Box::pin(async move {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = outcome.send(call.await);
        }));
        // Nothing woke the call yet: it stays parked, however long the runtime runs.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!continuation_ran.load(std::sync::atomic::Ordering::SeqCst));
        // The answer wakes it (through this waker): it is spawned and runs to its end.
        sender.send(41).unwrap();
        assert_eq!(answer.await.unwrap(), 42);
        assert!(continuation_ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_call_woken_during_its_first_poll_is_spawned_when_parked() {
        let first_wake = FirstWake::new(Handle::current());
        // Wakes itself before returning `Pending` (as a call whose answer is already in does).
        let mut woke = false;
        let call: BoxedCall<()> = Box::pin(std::future::poll_fn(move |context| {
            if woke {
                return Poll::Ready(());
            }
            woke = true;
            context.waker().wake_by_ref();
            Poll::Pending
        }));
        let FirstPoll::Pending(call) = first_wake.poll_once(call) else {
            panic!("expected the call to return Pending once");
        };
        let (outcome, answer) = tokio::sync::oneshot::channel::<()>();
        first_wake.park(Box::pin(async move {
            call.await;
            let _ = outcome.send(());
        }));
        // A lost wake would leave it parked forever: bounded, so that fails instead of hanging.
        tokio::time::timeout(std::time::Duration::from_secs(30), answer)
            .await
            .expect("the call woken during its first poll was never spawned")
            .unwrap();
    }

    #[tokio::test]
    async fn a_waiting_call_is_handed_back_and_finishes_on_the_runtime() {
        let (sender, receiver) = tokio::sync::oneshot::channel::<i32>();
        let call: BoxedCall<i32> = Box::pin(async move { receiver.await.unwrap_or(-1) + 1 });
        let FirstPoll::Pending(call) = poll_once(&Handle::current(), call) else {
            panic!("expected the call to wait for its channel");
        };
        let task = tokio::spawn(call);
        sender.send(41).unwrap();
        assert_eq!(task.await.unwrap(), 42);
    }

    #[test]
    fn an_own_runtime_drives_a_waiting_call_on_this_thread() {
        let own = OwnRuntime::new().unwrap();
        let caller = std::thread::current().id();
        let value = own.block_on(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            assert_eq!(std::thread::current().id(), caller);
            41 + 1
        });
        assert_eq!(value.unwrap(), 42);
        let panicked: std::thread::Result<()> = own.block_on(async { panic!("boom") });
        assert_eq!(panic_text(panicked.unwrap_err().as_ref()), Some("boom"));
    }

    #[test]
    fn a_call_inside_a_call_of_the_same_runtime_finishes_only_if_it_need_not_wait() {
        let own = Arc::new(OwnRuntime::new().unwrap());
        let same = Arc::clone(&own);
        let other = OwnRuntime::new().unwrap();
        let (ready, waiting, elsewhere) = own
            .block_on(async move {
                // What a listener does when the call it is called from calls it synchronously.
                let ready = same.block_on(async { 5 }).unwrap();
                let waiting = same.block_on(async {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    6
                });
                let elsewhere = other.block_on(async {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    7
                });
                (ready, waiting, elsewhere)
            })
            .unwrap();
        assert_eq!(ready, 5);
        assert!(waiting.unwrap_err().is::<CalledInsideItsOwnCall>());
        assert_eq!(
            elsewhere.unwrap(),
            7,
            "another runtime is driven from a helper thread"
        );
        // Once the outer call is over, the same runtime runs a waiting call again.
        let after = own.block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            8
        });
        assert_eq!(after.unwrap(), 8);
    }

    #[tokio::test]
    async fn an_own_runtime_blocks_from_inside_another_runtime_and_drops_there() {
        let own = OwnRuntime::new().unwrap();
        assert_eq!(own.block_on(async { 7 }).unwrap(), 7);
        drop(own);
    }

    #[test]
    fn a_task_spawned_on_an_own_runtime_runs_while_a_caller_drives_it() {
        let own = OwnRuntime::new().unwrap();
        let (sender, receiver) = tokio::sync::oneshot::channel::<i32>();
        let task = own
            .spawn(async move {
                sender.send(41).unwrap();
            })
            .unwrap();
        let value = own.block_on(async move { receiver.await.unwrap() + 1 });
        assert_eq!(value.unwrap(), 42);
        assert!(own.block_on(task).unwrap().is_ok());
    }

    #[test]
    fn events_reach_the_listener_outside_the_runtime_which_the_listener_may_drive() {
        let own = Arc::new(OwnRuntime::new().unwrap());
        let same = Arc::clone(&own);
        let caller = std::thread::current().id();
        let mut delivered = Vec::new();
        let outcome = own.block_on_with_events(
            |reporter| async move {
                for step in 1..=3 {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    reporter.send(step).unwrap();
                }
                crate::Result::Ok("done")
            },
            |step: i32| {
                assert_eq!(std::thread::current().id(), caller);
                // A call of the same runtime from the listener waits on a timer, and finishes:
                // this thread is outside the runtime while the listener runs.
                let nested = same.block_on(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    step * 10
                });
                delivered.push(nested.unwrap());
            },
        );
        assert_eq!(outcome.unwrap().unwrap(), "done");
        assert_eq!(
            delivered,
            [10, 20, 30],
            "every event, in order, before the result"
        );
    }

    #[test]
    fn a_call_that_reports_events_keeps_its_failure_and_its_panic() {
        let own = OwnRuntime::new().unwrap();
        let failed = own.block_on_with_events(
            |reporter| async move {
                reporter.send(()).unwrap();
                crate::Result::<()>::Err(crate::Error::internal("refused"))
            },
            |()| {},
        );
        assert_eq!(failed.unwrap().unwrap_err().message(), "refused");
        let panicked = own.block_on_with_events(
            |_reporter: mpsc::UnboundedSender<()>| async move {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                panic!("boom");
                #[allow(unreachable_code)]
                crate::Result::Ok(())
            },
            |()| {},
        );
        assert_eq!(panic_text(panicked.unwrap_err().as_ref()), Some("boom"));
    }

    #[test]
    fn a_call_that_reports_events_made_inside_a_call_of_its_runtime_runs_in_line() {
        let own = Arc::new(OwnRuntime::new().unwrap());
        let same = Arc::clone(&own);
        let (ready, waiting) = own
            .block_on(async move {
                let ready = same.block_on_with_events(
                    |reporter| async move {
                        let _ = reporter.send(1);
                        crate::Result::Ok(5)
                    },
                    |_: i32| panic!("events of a call run in line are dropped"),
                );
                let waiting = same.block_on_with_events(
                    |_reporter: mpsc::UnboundedSender<i32>| async move {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        crate::Result::Ok(6)
                    },
                    |_| {},
                );
                (ready, waiting)
            })
            .unwrap();
        assert_eq!(ready.unwrap().unwrap(), 5);
        assert!(waiting.unwrap_err().is::<CalledInsideItsOwnCall>());
    }

    #[test]
    fn a_call_spawned_on_a_runtime_that_is_gone_is_an_internal_error() {
        let mut call = EventedCall::<(), ()>::new(|_reporter| async { Ok(()) }).as_task(drop);
        let outcome = runtime().block_on(call.next(None));
        let Stretch::Done(Ok(Err(error))) = outcome else {
            panic!("expected the call's Internal error");
        };
        assert_eq!(error.kind(), crate::ErrorKind::Internal);
        assert!(error.message().contains("shut down"), "{}", error.message());
    }

    #[test]
    fn every_event_comes_before_the_outcome_even_when_the_call_ends_first() {
        // The call reports three events and ends within one poll: its outcome is there before
        // any event was read, and must still come last.
        let make = |reporter: mpsc::UnboundedSender<i32>| async move {
            for n in 0..3 {
                let _ = reporter.send(n);
            }
            crate::Result::Ok(7)
        };
        let runtime = runtime();
        let mut call = EventedCall::new(make);
        let mut seen = Vec::new();
        let outcome = loop {
            match runtime.block_on(call.next(None)) {
                Stretch::Event(event) => seen.push(event),
                Stretch::Done(outcome) => break outcome,
                Stretch::Tick => panic!("no tick was asked for"),
            }
        };
        assert_eq!(seen, [0, 1, 2]);
        assert_eq!(outcome.unwrap().unwrap(), 7);

        // A waiter that gives up with events undelivered still hands over the ended call.
        let mut call = EventedCall::new(make);
        assert!(matches!(
            runtime.block_on(call.next(None)),
            Stretch::Event(0)
        ));
        let outcome = runtime.block_on(call.into_call());
        assert_eq!(outcome.unwrap().unwrap(), 7);
    }

    #[test]
    fn a_tick_passes_while_the_call_waits() {
        let mut call = EventedCall::<(), ()>::new(|_reporter| std::future::pending());
        let step = runtime().block_on(call.next(Some(std::time::Duration::from_millis(1))));
        assert!(matches!(step, Stretch::Tick));
    }

    #[test]
    fn panic_text_reads_both_kinds_of_message() {
        let formatted = std::panic::catch_unwind(|| panic!("{} {}", "formatted", 1)).unwrap_err();
        assert_eq!(panic_text(formatted.as_ref()), Some("formatted 1"));
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_text(other.as_ref()), None);
    }
}
