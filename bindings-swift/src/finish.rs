//! A suspending Kotlin call's end in one call back: the runtime's thread that finishes the call
//! completes it and hands its result (or error) to Kotlin at once.
//!
//! uniffi's own protocol for an `async` export takes four calls into Rust and two JNA callbacks
//! per call: Kotlin polls the future (`rust_future_poll`), the worker that finished it calls Kotlin
//! back to say "poll again", the coroutine resumes on its dispatcher and polls again, which calls
//! Kotlin back to say "ready", then Kotlin calls `rust_future_complete` and `rust_future_free`. A
//! JNA callback builds its arguments by reflection and a call from Kotlin goes through JNA's
//! argument conversion, on a path every suspending call takes (#19: the suspending client's status
//! lookup cost about 140 µs of CPU more than the blocking client's).
//!
//! [`dollr_ffi_rust_future_finish_rust_buffer`] and [`dollr_ffi_rust_future_finish_void`] poll
//! uniffi's future with a continuation of their own: a wake polls it again right there, on the
//! thread that woke it, and when it is ready they complete it and call Kotlin's completion once
//! with the status code and the result's buffer (the error's on failure, empty for a cancelled
//! call): one call into Rust and one callback. Kotlin keeps the future's handle and frees it when
//! the coroutine has resumed, or has been cancelled: freeing it cancels it, which finishes it
//! (uniffi calls the stored continuation with "ready"), so the completion is called exactly once
//! either way (`bindings-swift/uniffi-bindgen/src/kotlin_jna.rs` writes the Kotlin side).
//!
//! Each continuation runs while uniffi's future is alive: inside `rust_future_poll`, `cancel` or
//! `free` (each holds a reference for its call) or inside a wake (the waker holds one), so the
//! borrowed handle stays valid even after Kotlin has freed it.

use std::mem::ManuallyDrop;

use uniffi::{
    rust_future_complete, rust_future_poll, FfiDefault, Handle, RustBuffer, RustCallStatus,
    RustCallStatusCode, RustFuturePoll,
};

/// Kotlin's completion: the `data` it passed, the call's status code (uniffi's: 0 success,
/// 1 error, 2 unexpected error, 3 cancelled) and the buffer that goes with it, as its three fields
/// (primitive arguments: JNA converts them without building a structure).
pub type Completion = extern "C" fn(data: u64, code: i8, capacity: u64, len: u64, buffer_data: u64);

/// What a call returns across the FFI, as the buffer the completion hands over.
trait Returned: FfiDefault + Sized {
    fn into_buffer(self) -> RustBuffer;
}

impl Returned for RustBuffer {
    fn into_buffer(self) -> RustBuffer {
        self
    }
}

impl Returned for () {
    fn into_buffer(self) -> RustBuffer {
        RustBuffer::new()
    }
}

/// One call being finished: its future's handle and whom to tell.
struct Finishing {
    future: u64,
    completion: Completion,
    data: u64,
}

/// Polls the future `future` (a handle an `async` export returned, of a function returning a
/// `RustBuffer`) and calls `completion` once, with `data`, when it is finished.
///
/// # Safety
/// `future` must be a live handle of a `RustBuffer`-returning export's future, not yet freed, and
/// not polled by anyone else.
#[no_mangle]
pub unsafe extern "C" fn dollr_ffi_rust_future_finish_rust_buffer(
    future: u64,
    completion: Completion,
    data: u64,
) {
    finish::<RustBuffer>(future, completion, data)
}

/// As [`dollr_ffi_rust_future_finish_rust_buffer`], for a future of a function returning nothing.
///
/// # Safety
/// As [`dollr_ffi_rust_future_finish_rust_buffer`], for a `()`-returning export's future.
#[no_mangle]
pub unsafe extern "C" fn dollr_ffi_rust_future_finish_void(
    future: u64,
    completion: Completion,
    data: u64,
) {
    finish::<()>(future, completion, data)
}

unsafe fn finish<T: Returned>(future: u64, completion: Completion, data: u64) {
    let finishing = Box::into_raw(Box::new(Finishing {
        future,
        completion,
        data,
    }));
    rust_future_poll::<T>(
        Handle::from_raw_unchecked(future),
        continued::<T>,
        finishing as u64,
    );
}

/// uniffi's continuation: called exactly once per poll, with "wake" (poll again) or "ready".
extern "C" fn continued<T: Returned>(finishing: u64, poll: RustFuturePoll) {
    let finishing = finishing as *mut Finishing;
    // SAFETY: `finishing` is the box `finish` leaked, live until "ready" takes it back below; the
    // future's handle is valid while a continuation runs (module docs).
    unsafe {
        match poll {
            RustFuturePoll::Wake => rust_future_poll::<T>(
                Handle::from_raw_unchecked((*finishing).future),
                continued::<T>,
                finishing as u64,
            ),
            RustFuturePoll::Ready => {
                let finishing = Box::from_raw(finishing);
                let mut status = RustCallStatus::default();
                let returned = rust_future_complete::<T>(
                    Handle::from_raw_unchecked(finishing.future),
                    &mut status,
                );
                let code = status.code;
                let buffer = match code {
                    RustCallStatusCode::Success => returned.into_buffer(),
                    _ => ManuallyDrop::into_inner(status.error_buf),
                };
                (finishing.completion)(
                    finishing.data,
                    code as i8,
                    buffer.capacity() as u64,
                    buffer.len() as u64,
                    buffer.data_pointer() as u64,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::sync::Mutex;

    use futures::channel::oneshot;
    use uniffi::{rust_future_free, rust_future_new, LiftArgsError};

    use super::*;
    use crate::UniFfiTag;

    /// What the completion received, per `data`: the code and the buffer's bytes.
    static COMPLETED: Mutex<Vec<(u64, i8, Vec<u8>)>> = Mutex::new(Vec::new());

    extern "C" fn record(data: u64, code: i8, capacity: u64, len: u64, buffer_data: u64) {
        let bytes = if buffer_data == 0 {
            Vec::new()
        } else {
            // SAFETY: the buffer Rust handed over is a `Vec<u8>`'s parts, now ours to free.
            unsafe { Vec::from_raw_parts(buffer_data as *mut u8, len as usize, capacity as usize) }
        };
        COMPLETED.lock().unwrap().push((data, code, bytes));
    }

    fn completions_of(data: u64) -> Vec<(i8, Vec<u8>)> {
        let completed = COMPLETED.lock().unwrap();
        completed
            .iter()
            .filter(|(of, _, _)| *of == data)
            .map(|(_, code, bytes)| (*code, bytes.clone()))
            .collect()
    }

    fn future_of(answer: oneshot::Receiver<String>) -> u64 {
        let future = async move { Ok::<_, LiftArgsError>(answer.await.unwrap_or_default()) };
        rust_future_new::<_, String, _>(future, UniFfiTag).as_raw()
    }

    #[test]
    fn a_call_ready_at_once_completes_inside_the_finish_call() {
        let (send, answer) = oneshot::channel();
        send.send("now".to_string()).unwrap();
        let future = future_of(answer);
        unsafe {
            dollr_ffi_rust_future_finish_rust_buffer(future, record, 1);
            assert_eq!(completions_of(1), vec![(0, b"now".to_vec())]);
            rust_future_free::<RustBuffer>(Handle::from_raw_unchecked(future));
        }
        assert_eq!(completions_of(1).len(), 1);
    }

    #[test]
    fn a_call_woken_later_completes_once_on_the_thread_that_woke_it() {
        let (send, answer) = oneshot::channel();
        let future = future_of(answer);
        unsafe { dollr_ffi_rust_future_finish_rust_buffer(future, record, 2) };
        assert!(completions_of(2).is_empty(), "completed before its answer");
        std::thread::spawn(move || send.send("later".to_string()).unwrap())
            .join()
            .unwrap();
        assert_eq!(completions_of(2), vec![(0, b"later".to_vec())]);
        unsafe { rust_future_free::<RustBuffer>(Handle::from_raw_unchecked(future)) };
        assert_eq!(completions_of(2).len(), 1);
    }

    #[test]
    fn freeing_a_call_still_waiting_completes_it_once_as_cancelled() {
        let (send, answer) = oneshot::channel();
        let future = future_of(answer);
        unsafe {
            dollr_ffi_rust_future_finish_rust_buffer(future, record, 3);
            rust_future_free::<RustBuffer>(Handle::from_raw_unchecked(future));
        }
        assert_eq!(
            completions_of(3),
            vec![(RustCallStatusCode::Cancelled as i8, Vec::new())]
        );
        // The answer has nobody to go to (the future is gone): no second completion.
        assert!(send.send("too late".to_string()).is_err());
        assert_eq!(completions_of(3).len(), 1);
    }
}
