//! Changes to how the generated Kotlin awaits a suspending call: one call into Rust that ends in
//! one callback, instead of uniffi's poll, wake, poll, ready, complete.
//!
//! uniffi's `uniffiRustCallAsync` polls the call's future from the coroutine, is called back from
//! the runtime's thread to poll again, resumes the coroutine on its dispatcher, polls (called back
//! again: ready), then completes and frees: four calls into Rust and two JNA callbacks, each
//! callback building its arguments by reflection (#19: a suspending status lookup cost about
//! 140 µs of CPU more than a blocking one). Now the coroutine hands the future to
//! `dollr_ffi_rust_future_finish_<type>` (`bindings-swift/src/finish.rs`), which polls it again
//! where it is woken, completes it there and calls `uniffiRustFutureCompletionImpl` once with the
//! status code and the result's buffer; the coroutine resumes with them, lifts the result (or
//! throws the error) on its own thread and frees the future, as before.
//!
//! Each call site names its poll and complete functions; they become the finish object of the
//! call's return type (a record of `dollr_core` gets one that fills that component's `RustBuffer`
//! class, which uniffi's `create` allocated per call). A call site of a return type without one
//! fails the generation (add the type to `finish.rs` and here) rather than leaving a call on the
//! old protocol. uniffi's continuation callback and its map of waiting coroutines are removed:
//! nothing polls through them any more.

use anyhow::{bail, Context, Result};

use crate::kotlin_jna::Change;

/// The helper every file with suspending calls holds.
pub(crate) const ASYNC_MARKER: &str =
    "internal suspend fun<T, F, E: kotlin.Exception> uniffiRustCallAsync(";

/// What a call site's poll lambda starts with (none may remain).
const POLL_LAMBDA: &str = "{ future, callback, continuation ->";

/// A call site's poll and complete lambdas for a return type (`rust_buffer`, `void`), trimmed.
fn call_site(return_type: &str) -> (String, String) {
    (
        format!(
            "{POLL_LAMBDA} UniffiLib.ffi_dollr_ffi_rust_future_poll_{return_type}(future, callback, continuation) }},"
        ),
        format!(
            "{{ future, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_complete_{return_type}(future, continuation)"
        ),
    )
}

/// How a complete lambda ends when the result is a record of another component (`dollr_core`):
/// uniffi copies the buffer into that component's `RustBuffer` class, imported under an alias,
/// through `create`, which allocates a native block per call.
const OTHER_COMPONENT_BUFFER: (&str, &str) = (
    ".let { ",
    ".create(it.capacity.toULong(), it.len.toULong(), it.data) } },",
);

/// The finish object of a buffer class of another component, named after its package's last
/// segment: it fills a structure of that class that the thread keeps.
fn other_component_finish(class: &str) -> Result<(String, String)> {
    let package = class
        .strip_suffix(".RustBuffer")
        .and_then(|package| package.rsplit('.').next())
        .with_context(|| format!("{class} is not a component's RustBuffer"))?;
    let mut name = String::from("UniffiFinish");
    let mut chars = package.chars();
    if let Some(first) = chars.next() {
        name.extend(first.to_uppercase());
        name.extend(chars);
    }
    name.push_str("Buffer");
    let object = format!(
        "
// dollr: a result of {class}'s component, in a structure of its class this thread keeps
// (uniffi's `create` allocated one with a native block per call).
internal object {name} : UniffiFinish<{class}.ByValue>() {{
    private val returned = ThreadLocal.withInitial {{ {class}.ByValue() }}
    override fun start(future: Long, data: Long) = UniffiFinishBuffer.start(future, data)
    override fun returned(completed: UniffiCompleted) = returned.get().also {{
        it.capacity = completed.capacity
        it.len = completed.len
        it.data = completed.pointer()
    }}
}}
"
    );
    Ok((name, object))
}

/// Replaces each call site's poll and complete lambdas with the finish object of its return type,
/// and appends the objects for other components' buffers.
fn finish_call_sites(source: &str) -> Result<String> {
    let aliases: Vec<(&str, &str)> = source
        .lines()
        .filter_map(|line| {
            let (class, alias) = line.strip_prefix("import ")?.split_once(" as ")?;
            class
                .ends_with(".RustBuffer")
                .then_some((alias.trim(), class))
        })
        .collect();
    let mut objects: Vec<(String, String)> = Vec::new();
    let mut out = String::with_capacity(source.len());
    let mut lines = source.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if !trimmed.starts_with(POLL_LAMBDA) {
            out.push_str(line);
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let complete = lines.next().unwrap_or_default().trim();
        let finish = [
            ("rust_buffer", "UniffiFinishBuffer"),
            ("void", "UniffiFinishVoid"),
        ]
        .into_iter()
        .find_map(|(return_type, finish)| {
            let (poll, complete_start) = call_site(return_type);
            let rest = complete.strip_prefix(complete_start.as_str())?;
            (trimmed == poll).then_some((finish, rest))
        });
        let name = match finish {
            Some((finish, " },")) => finish.to_string(),
            Some(("UniffiFinishBuffer", rest)) => {
                let alias = rest
                    .strip_prefix(OTHER_COMPONENT_BUFFER.0)
                    .and_then(|rest| rest.strip_suffix(OTHER_COMPONENT_BUFFER.1))
                    .with_context(|| format!("an unknown complete lambda: {complete}"))?;
                let class = aliases
                    .iter()
                    .find(|(known, _)| *known == alias)
                    .map(|(_, class)| *class)
                    .with_context(|| format!("{alias} is not an imported RustBuffer class"))?;
                let (name, object) = other_component_finish(class)?;
                if !objects.iter().any(|(known, _)| *known == name) {
                    objects.push((name.clone(), object));
                }
                name
            }
            _ => bail!(
                "a suspending call's return type has no finish function: {trimmed} (add it to \
                 bindings-swift/src/finish.rs and to kotlin_finish.rs)"
            ),
        };
        out.push_str(&format!("{indent}{name},\n"));
    }
    for (_, object) in objects {
        out.push_str(&object);
    }
    Ok(out)
}

/// The helper and the library object's declarations, changed once per file.
const CHANGES: &[Change] = &[
    Change {
        what: "suspending calls: the library's finish functions declared",
        from: "internal object UniffiLib {
",
        to: "internal object UniffiLib {
    // dollr: the C entry points a suspending call ends through (bindings-swift/src/finish.rs).
    external fun dollr_ffi_rust_future_finish_rust_buffer(`future`: Long, `completion`: UniffiRustFutureCompletion, `data`: Long): Unit
    external fun dollr_ffi_rust_future_finish_void(`future`: Long, `completion`: UniffiRustFutureCompletion, `data`: Long): Unit
",
    },
    Change {
        what: "suspending calls: finished in one callback",
        from: "internal suspend fun<T, F, E: kotlin.Exception> uniffiRustCallAsync(
    rustFuture: Long,
    pollFunc: (Long, UniffiRustFutureContinuationCallback, Long) -> Unit,
    completeFunc: (Long, UniffiRustCallStatus) -> F,
    freeFunc: (Long) -> Unit,
    liftFunc: (F) -> T,
    errorHandler: UniffiRustCallStatusErrorHandler<E>
): T {
    try {
        do {
            val pollResult = suspendCancellableCoroutine<Byte> { continuation ->
                pollFunc(
                    rustFuture,
                    uniffiRustFutureContinuationCallbackImpl,
                    uniffiContinuationHandleMap.insert(continuation)
                )
            }
        } while (pollResult != UNIFFI_RUST_FUTURE_POLL_READY);

        return liftFunc(
            uniffiRustCallWithError(errorHandler, { status -> completeFunc(rustFuture, status) })
        )
    } finally {
        freeFunc(rustFuture)
    }
}
",
        to: "// dollr: a suspending call ends in one callback (bindings-swift/src/finish.rs): Rust polls the
// call's future again where it is woken, completes it there and passes its status code and buffer
// (the result's, or the error's) to `uniffiRustFutureCompletionImpl`, on the thread that finished
// it. uniffi's protocol took four calls into Rust and two callbacks. The future's handle stays
// Kotlin's and is freed when the coroutine goes on; freeing a call still running (its coroutine
// was cancelled) finishes it, so the completion comes exactly once either way, and a result that
// arrives for a cancelled coroutine is freed unread.
internal class UniffiCompleted(
    @JvmField val code: Byte,
    @JvmField val capacity: Long,
    @JvmField val len: Long,
    @JvmField val data: Long,
) {
    // The buffer's fields, into a structure this thread keeps: a by-value structure of its own
    // would be a native block per call (kotlin_jna.rs). It is read once, by the lift, which frees
    // the buffer by copying the fields on.
    fun buffer(into: RustBuffer.ByValue = returned.get()): RustBuffer.ByValue = into.also {
        it.capacity = capacity
        it.len = len
        it.data = pointer()
    }

    fun pointer(): Pointer? = if (data == 0L) null else Pointer(data)

    fun <E : kotlin.Exception> fail(errorHandler: UniffiRustCallStatusErrorHandler<E>): Nothing {
        val status = failed.get()
        status.code = code
        buffer(status.error_buf)
        uniffiCheckCallStatus(errorHandler, status)
        throw InternalException(\"Unknown rust call status: $code\")
    }

    // The coroutine was cancelled: nobody reads what came back.
    fun discard() {
        if (data != 0L) RustBuffer.free(buffer())
    }

    companion object {
        private val returned = ThreadLocal.withInitial { RustBuffer.ByValue() }
        private val failed = ThreadLocal.withInitial { UniffiRustCallStatus() }
    }
}

internal interface UniffiRustFutureCompletion : com.sun.jna.Callback {
    fun callback(data: Long, code: Byte, capacity: Long, len: Long, bufferData: Long)
}

internal val uniffiCompletionHandleMap = UniffiHandleMap<CancellableContinuation<UniffiCompleted>>()

internal object uniffiRustFutureCompletionImpl : UniffiRustFutureCompletion {
    init { UniffiCallbackThreads.keepAttached(this) }
    override fun callback(data: Long, code: Byte, capacity: Long, len: Long, bufferData: Long) {
        val completed = UniffiCompleted(code, capacity, len, bufferData)
        uniffiCompletionHandleMap.remove(data).resume(completed) { _ -> completed.discard() }
    }
}

// How a call of one return type is finished and its result taken.
internal abstract class UniffiFinish<F> {
    abstract fun start(future: Long, data: Long)
    abstract fun returned(completed: UniffiCompleted): F
}

internal object UniffiFinishBuffer : UniffiFinish<RustBuffer.ByValue>() {
    override fun start(future: Long, data: Long) =
        UniffiLib.dollr_ffi_rust_future_finish_rust_buffer(future, uniffiRustFutureCompletionImpl, data)
    override fun returned(completed: UniffiCompleted) = completed.buffer()
}

internal object UniffiFinishVoid : UniffiFinish<Unit>() {
    override fun start(future: Long, data: Long) =
        UniffiLib.dollr_ffi_rust_future_finish_void(future, uniffiRustFutureCompletionImpl, data)
    override fun returned(completed: UniffiCompleted) = Unit
}

internal suspend fun<T, F, E: kotlin.Exception> uniffiRustCallAsync(
    rustFuture: Long,
    finish: UniffiFinish<F>,
    freeFunc: (Long) -> Unit,
    liftFunc: (F) -> T,
    errorHandler: UniffiRustCallStatusErrorHandler<E>
): T {
    try {
        val completed = suspendCancellableCoroutine<UniffiCompleted> { continuation ->
            finish.start(rustFuture, uniffiCompletionHandleMap.insert(continuation))
        }
        if (completed.code != UNIFFI_CALL_SUCCESS) completed.fail(errorHandler)
        return liftFunc(finish.returned(completed))
    } finally {
        freeFunc(rustFuture)
    }
}
",
    },
    // Its text has the line `kotlin_jna::keep_callback_threads_attached` adds to every callback
    // object: that runs first (`kotlin_jna::patch`).
    Change {
        what: "suspending calls: uniffi's continuation callback removed (nothing polls through it now)",
        from: "internal const val UNIFFI_RUST_FUTURE_POLL_READY = 0.toByte()
internal const val UNIFFI_RUST_FUTURE_POLL_WAKE = 1.toByte()

internal val uniffiContinuationHandleMap = UniffiHandleMap<CancellableContinuation<Byte>>()

// FFI type for Rust future continuations
internal object uniffiRustFutureContinuationCallbackImpl: UniffiRustFutureContinuationCallback {
    init { UniffiCallbackThreads.keepAttached(this) }
    override fun callback(data: Long, pollResult: Byte) {
        uniffiContinuationHandleMap.remove(data).resume(pollResult)
    }
}

",
        to: "",
    },
];

/// Applies the changes to a file holding [`ASYNC_MARKER`]; other files are returned as they are.
pub(crate) fn patch(source: String) -> Result<String> {
    if !source.contains(ASYNC_MARKER) {
        return Ok(source);
    }
    let source = crate::kotlin_jna::apply_each_once(source, CHANGES)?;
    finish_call_sites(&source)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_file_without_suspending_calls_is_left_alone() {
        let source = "internal object UniffiLib {\n}\n".to_string();
        assert_eq!(patch(source.clone()).unwrap(), source);
    }

    #[test]
    fn a_return_type_without_a_finish_function_fails_the_generation() {
        let source = "        { future, callback, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_poll_u64(future, callback, continuation) },
        { future, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_complete_u64(future, continuation) },
";
        let error = finish_call_sites(source).unwrap_err();
        assert!(error.to_string().contains("poll_u64"), "{error}");
    }

    #[test]
    fn each_call_site_gets_the_finish_object_of_its_return_type() {
        let source = "import app.heydollr.dollr.model.RustBuffer as RustBufferExecution
    return uniffiRustCallAsync(
        { future, callback, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_poll_rust_buffer(future, callback, continuation) },
        { future, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_complete_rust_buffer(future, continuation) },
        { future -> UniffiLib.ffi_dollr_ffi_rust_future_free_rust_buffer(future) },
    return uniffiRustCallAsync(
        { future, callback, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_poll_void(future, callback, continuation) },
        { future, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_complete_void(future, continuation) },
        { future -> UniffiLib.ffi_dollr_ffi_rust_future_free_void(future) },
    return uniffiRustCallAsync(
        { future, callback, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_poll_rust_buffer(future, callback, continuation) },
        { future, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_complete_rust_buffer(future, continuation).let { RustBufferExecution.create(it.capacity.toULong(), it.len.toULong(), it.data) } },
        { future -> UniffiLib.ffi_dollr_ffi_rust_future_free_rust_buffer(future) },
    return uniffiRustCallAsync(
        { future, callback, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_poll_rust_buffer(future, callback, continuation) },
        { future, continuation -> UniffiLib.ffi_dollr_ffi_rust_future_complete_rust_buffer(future, continuation).let { RustBufferExecution.create(it.capacity.toULong(), it.len.toULong(), it.data) } },
";
        let patched = finish_call_sites(source).unwrap();
        assert_eq!(
            patched.matches("        UniffiFinishBuffer,\n").count(),
            1,
            "{patched}"
        );
        assert_eq!(
            patched.matches("        UniffiFinishVoid,\n").count(),
            1,
            "{patched}"
        );
        assert_eq!(
            patched
                .matches("        UniffiFinishModelBuffer,\n")
                .count(),
            2,
            "{patched}"
        );
        // One object for the other component's class, however many calls return its records.
        assert_eq!(
            patched
                .matches("internal object UniffiFinishModelBuffer : UniffiFinish<app.heydollr.dollr.model.RustBuffer.ByValue>()")
                .count(),
            1,
            "{patched}"
        );
        assert!(!patched.contains(POLL_LAMBDA), "{patched}");
        assert!(!patched.contains("rust_future_complete"), "{patched}");
    }

    #[test]
    fn the_library_object_declares_the_finish_functions() {
        let source = format!(
            "internal object UniffiLib {{\n}}\n{}{}",
            CHANGES[1].from, CHANGES[2].from
        );
        let patched = patch(source).unwrap();
        assert!(patched.contains("external fun dollr_ffi_rust_future_finish_void("));
        assert!(patched.contains("finish: UniffiFinish<F>,"));
        // Nothing polls through uniffi's continuation callback any more: it is not generated.
        assert!(!patched.contains("uniffiRustFutureContinuationCallbackImpl"));
        assert!(!patched.contains("UNIFFI_RUST_FUTURE_POLL_READY"));
    }
}
