//! How a binding starts a bridge call: on the caller's own thread first.
//!
//! Handing every call to a runtime thread costs two cross-thread wake-ups (the runtime's worker,
//! then the caller's thread or event loop) even when the call never leaves the process — a
//! refused argument, a closed client, a cached answer. On small VMs an idle vCPU takes tens of
//! microseconds to wake, which dwarfs the call itself. So a binding polls the call once where it
//! is, and only a call that actually waits (on the network, a timer, the SQLite journal's
//! blocking pool) moves to the runtime.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::task::noop_waker_ref;

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

/// Polls `call` once on this thread, with a waker that does nothing.
///
/// The caller must be inside the tokio runtime's context (`Runtime::enter`) the call will be
/// spawned on if it is pending: whatever the first poll registers (a connection, a timer) belongs
/// to that runtime.
pub fn poll_once<T>(mut call: BoxedCall<T>) -> FirstPoll<T> {
    let mut context = Context::from_waker(noop_waker_ref());
    match catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(&mut context))) {
        Ok(Poll::Ready(value)) => FirstPoll::Ready(Ok(value)),
        Ok(Poll::Pending) => FirstPoll::Pending(call),
        Err(payload) => FirstPoll::Ready(Err(payload)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_needs_nothing_finishes_here() {
        match poll_once(Box::pin(async { 7 })) {
            FirstPoll::Ready(Ok(value)) => assert_eq!(value, 7),
            _ => panic!("expected the call to finish in its first poll"),
        }
    }

    #[test]
    fn a_panic_is_caught_and_reported() {
        let call: BoxedCall<i32> = Box::pin(async { panic!("boom") });
        match poll_once(call) {
            FirstPoll::Ready(Err(payload)) => {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"))
            }
            _ => panic!("expected the panic to be caught"),
        }
    }

    #[tokio::test]
    async fn a_waiting_call_is_handed_back_and_finishes_on_the_runtime() {
        let (sender, receiver) = tokio::sync::oneshot::channel::<i32>();
        let call: BoxedCall<i32> = Box::pin(async move { receiver.await.unwrap_or(-1) + 1 });
        let FirstPoll::Pending(call) = poll_once(call) else {
            panic!("expected the call to wait for its channel");
        };
        let task = tokio::spawn(call);
        sender.send(41).unwrap();
        assert_eq!(task.await.unwrap(), 42);
    }
}
