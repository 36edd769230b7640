//! Changes to the JNA glue uniffi writes into each generated Kotlin file: a thread reuses its call
//! statuses and argument buffers instead of allocating them per call into Rust, returned buffers
//! are read where they came back, the cleaner runs on a thread that keeps what it reuses, and
//! Rust's threads stay attached to the JVM once they have called into Kotlin.
//!
//! uniffi's Kotlin allocates a JNA `Structure` for the call status of every call into Rust: two
//! native blocks (the status and the empty error buffer inside it). JNA frees such a block only
//! after a garbage collection has found its `Memory` unreachable, on its one cleaner thread: under
//! load the process held millions of them and grew by gigabytes (`make bench`'s memory row: +6.7 GB
//! over 100,000 status lookups with the blocking client; the class histogram held 2.76 M
//! `Memory$MemoryDisposer`). With this change a thread keeps the statuses it used and takes one
//! back for its next call, emptied (Rust writes a status only when a call fails). A call nested on
//! the same thread (Rust calling Kotlin, which calls Rust) takes another, so one status is never
//! used by two calls.
//!
//! **Buffers.** Every `RustBuffer` crossing by value was a JNA `Structure` with native blocks of
//! its own: a buffer Rust returned got two (JNA builds a by-value structure without a `(Pointer)`
//! constructor through its no-argument one, which allocates, then allocates again and copies the
//! returned bytes in), and so did every buffer `alloc` returned for an argument. Each block is a
//! `malloc`, an entry in JNA's map of live blocks, a weak and a phantom reference, and a free on
//! JNA's cleaner thread after a collection: a status lookup made four, a collect flow about fifty
//! (#19's profile of the blocking client: a quarter of the calling thread's time in JNA's
//! structure code). Now a returned buffer is built over the memory the call returned it in
//! (a `(Pointer)` constructor: no block), read once, and never written through again: `free`
//! passes a copy of its three fields in a structure the thread keeps, and `alloc` copies its
//! result into the next of the structures the thread uses in turn for its arguments (no block per
//! call: a structure is passed, its fields copied into the call, before the thread has lowered
//! as many other arguments as the ring holds, more than any function takes) before the caller
//! fills it and passes it on. (Writing
//! through a returned buffer's memory — the call's stack frame, gone — is what crashed when the
//! constructor alone was tried.) The buffer and the call status read and write their fields at
//! their C offsets instead of through JNA's reflection over the fields; a failed call's status is
//! still read by JNA.
//!
//! **Callback threads.** Rust calls Kotlin through JNA callbacks from its own threads: a runtime
//! worker finishes a suspended call (`uniffiRustFutureCompletionImpl`, kotlin_finish.rs: once per
//! suspending call), calls a listener or the token provider, frees a handle. JNA's default attaches
//! such a thread to the JVM for the one callback and detaches it on return: a new
//! `java.lang.Thread` per callback. Every callback object gets a `CallbackThreadInitializer` that
//! keeps the thread attached (as a daemon, named `dollr-ffi` like the runtime's threads; JNA
//! detaches it when the thread ends). On the 2-vCPU bench machine the suspending client's status
//! lookup went from 555–698 µs to 445–497 µs in back-to-back runs (`make bench`'s overhead row
//! measures it).
//!
//! **The cleaner's thread.** Every object a call returns (each resource handle: `client.status()`
//! is one) is released by uniffi's cleaner after a collection, through a call into Rust. The JDK's
//! default cleaner runs on an `InnocuousThread`, which erases its thread locals before each
//! clean-up: each release took a new call status and argument ring, the native blocks above again
//! (about one per call of a flow, JFR's allocation samples on `Cleaner-0`). The cleaner now runs on
//! a daemon thread of its own (`dollr-cleaner`), which keeps them. (Android before API 33 has no
//! `java.lang.ref.Cleaner`; uniffi falls back to JNA's, whose thread keeps its locals already.)
//!
//! A change names the text it replaces and must find it exactly once in each file that holds the
//! helpers: a uniffi upgrade that rewrites them fails the generation, naming the change, instead of
//! silently generating the old, growing code.

use anyhow::{bail, Context, Result};
use camino::Utf8Path;

/// One textual change to the generated helpers.
pub(crate) struct Change {
    /// What it does (named in the error when its text is missing).
    pub(crate) what: &'static str,
    /// The generated text it replaces (found exactly once per file).
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
}

/// The generated files that hold the helpers: each uniffi component writes its own copy.
const HELPERS_MARKER: &str = "internal open class UniffiRustCallStatus : Structure() {";

const CHANGES: &[Change] = &[
    Change {
        what: "buffers: returned ones built over the returned memory, fields read and written directly",
        from: "open class RustBuffer : Structure() {
    // Note: `capacity` and `len` are actually `ULong` values, but JVM only supports signed values.
    // When dealing with these fields, make sure to call `toULong()`.
    @JvmField var capacity: Long = 0
    @JvmField var len: Long = 0
    @JvmField var data: Pointer? = null

    class ByValue: RustBuffer(), Structure.ByValue
",
        to: "open class RustBuffer : Structure {
    // Note: `capacity` and `len` are actually `ULong` values, but JVM only supports signed values.
    // When dealing with these fields, make sure to call `toULong()`.
    @JvmField var capacity: Long = 0
    @JvmField var len: Long = 0
    @JvmField var data: Pointer? = null

    constructor() : super()

    // dollr: JNA builds a buffer a call returns through this constructor, over the memory it was
    // returned in (no native block of its own). That memory is the finished call's: the buffer is
    // read once and never written through (`free` and `alloc` copy its fields; see kotlin_jna.rs).
    constructor(memory: Pointer) : super(memory)

    // dollr: the fields of Rust's `#[repr(C)] RustBuffer { capacity: u64, len: u64, data: *mut u8 }`
    // at their offsets, instead of through JNA's reflection over the fields.
    override fun read() {
        val memory = pointer
        if (Pointer.nativeValue(memory) == 0L) return
        capacity = memory.getLong(0)
        len = memory.getLong(8)
        data = memory.getPointer(16)
    }

    override fun write() {
        val memory = pointer
        memory.setLong(0, capacity)
        memory.setLong(8, len)
        memory.setPointer(16, data)
    }

    class ByValue : RustBuffer, Structure.ByValue {
        constructor() : super()
        constructor(memory: Pointer) : super(memory)
    }
",
    },
    Change {
        what: "buffers: alloc's result copied into the thread's next argument structure",
        from: "        }.also {
            if(it.data == null) {",
        to: "        }.let { returned ->
            // dollr: the caller fills the buffer and passes it on (JNA writes its fields then): it
            // needs memory of its own, not the returned memory it was built over. It takes the
            // thread's next argument structure (UniffiArgumentBuffers: no native block per call).
            UniffiArgumentBuffers.next().also { it.setValue(returned) }
        }.also {
            if(it.data == null) {",
    },
    Change {
        what: "buffers: free passes a copy the thread keeps",
        from: "        internal fun free(buf: RustBuffer.ByValue) = uniffiRustCall() { status ->
",
        to: "        // dollr: JNA writes a by-value argument's fields into its memory before the call; a
        // returned buffer's memory is the finished call's, so its fields go in a copy the thread
        // keeps for this (`free` calls nothing back: one copy per thread is enough).
        private val toFree = ThreadLocal.withInitial { RustBuffer.ByValue() }

        internal fun free(returned: RustBuffer.ByValue) = toFree.get().let { buf ->
            buf.setValue(returned)
            uniffiRustCall() { status ->
",
    },
    Change {
        what: "buffers: free passes a copy the thread keeps (its end)",
        from: "_rustbuffer_free(buf, status)
        }
",
        to: "_rustbuffer_free(buf, status)
        } }
",
    },
    Change {
        what: "buffers: a lowered buffer's length set as a field",
        from: "            rbuf.writeField(\"len\", bbuf.position().toLong())
",
        to: "            // dollr: JNA writes every field of an argument before the call (writeField: reflection)
            rbuf.len = bbuf.position().toLong()
",
    },
    Change {
        what: "call status: read and written directly while it says success",
        from: "    class ByValue: UniffiRustCallStatus(), Structure.ByValue
",
        to: "    class ByValue: UniffiRustCallStatus(), Structure.ByValue

    // dollr: every call writes its status before and reads it after (JNA's reflection over the
    // fields, twice a call). While it says success, the code is the one field that matters and
    // the error buffer must be empty (Rust leaves it as given unless the call fails); a failure
    // is read, and a status carrying one written, by JNA as before.
    private var errorBufOffset = -1

    override fun write() {
        if (code != UNIFFI_CALL_SUCCESS || error_buf.len != 0L || error_buf.data != null) return super.write()
        if (errorBufOffset < 0) errorBufOffset = fieldOffset(\"error_buf\")
        val memory = pointer
        memory.setByte(0, code)
        memory.setMemory(errorBufOffset.toLong(), (size() - errorBufOffset).toLong(), 0)
    }

    override fun read() {
        val memory = pointer
        if (Pointer.nativeValue(memory) == 0L) return
        val code = memory.getByte(0)
        if (code == UNIFFI_CALL_SUCCESS) this.code = code else super.read()
    }
",
    },
    Change {
    what: "call status: one per thread and call depth, reused",
    from: "    var status = UniffiRustCallStatus()
    val return_value = callback(status)
    uniffiCheckCallStatus(errorHandler, status)
    return return_value
}
",
    to: "    val status = UniffiCallStatuses.take()
    try {
        val return_value = callback(status)
        uniffiCheckCallStatus(errorHandler, status)
        return return_value
    } finally {
        UniffiCallStatuses.give(status)
    }
}

// dollr: the call statuses a thread has used, for its next calls. A new JNA Structure per call
// costs two native blocks that only a garbage collection frees (on JNA's one cleaner thread, which
// falls behind under load). A call nested on the same thread takes another status: one status is
// never used by two calls at once.
internal object UniffiCallStatuses {
    private val unused = ThreadLocal.withInitial { ArrayDeque<UniffiRustCallStatus>(2) }

    fun take(): UniffiRustCallStatus {
        val status = unused.get().removeLastOrNull() ?: return UniffiRustCallStatus()
        // Rust writes a status only when a call fails: start each call from success.
        status.code = UNIFFI_CALL_SUCCESS
        status.error_buf.capacity = 0
        status.error_buf.len = 0
        status.error_buf.data = null
        return status
    }

    fun give(status: UniffiRustCallStatus) {
        unused.get().addLast(status)
    }
}

// dollr: Rust's threads stay attached to the JVM after a callback into Kotlin (JNA's default
// attaches a native thread for one callback and detaches it on return: a new java.lang.Thread per
// callback). Every callback object registers itself when it is initialized, before Rust can call it.
internal object UniffiCallbackThreads {
    private val attached = com.sun.jna.CallbackThreadInitializer(true, false, \"dollr-ffi\")

    fun keepAttached(callback: com.sun.jna.Callback) {
        com.sun.jna.Native.setCallbackThreadInitializer(callback, attached)
    }
}

// dollr: the structures a thread passes its argument buffers in, used in turn. An argument buffer
// lives from `RustBuffer.alloc` (its lowering) to the call it is passed to, which JNA makes right
// after the call's arguments are lowered, on the same thread (the buffer's fields are copied into
// the call then; Rust owns the bytes from there). So a structure is free again once as many other
// arguments have been lowered on its thread as a call can take: the generator checks that no
// function takes more buffers than there are structures here. A new structure per argument was a
// native block that only a garbage collection frees (see UniffiCallStatuses).
internal object UniffiArgumentBuffers {
    const val COUNT = ARGUMENT_BUFFERS_COUNT

    private class Ring {
        val buffers = Array(COUNT) { RustBuffer.ByValue() }
        var next = 0
    }

    private val rings = ThreadLocal.withInitial { Ring() }

    fun next(): RustBuffer.ByValue {
        val ring = rings.get()
        val buffer = ring.buffers[ring.next]
        ring.next = (ring.next + 1) % COUNT
        return buffer
    }
}
",
    },
    Change {
        what: "cleaner: a thread that keeps its thread locals",
        from: "    val cleaner = java.lang.ref.Cleaner.create()
",
        to: "    // dollr: on a thread of its own. The JDK's default cleaner thread erases its thread locals
    // before every clean-up, so each object's release (one per resource handle a call returns)
    // took a new call status — two native blocks only a garbage collection frees — and a new
    // argument ring, instead of the ones the thread used for the last release.
    val cleaner = java.lang.ref.Cleaner.create { task ->
        Thread(task, \"dollr-cleaner\").apply { isDaemon = true }
    }
",
    },
];

/// How many argument structures a thread uses in turn (`UniffiArgumentBuffers`): more than any
/// generated function takes buffers, which [`patch`] checks.
const ARGUMENT_BUFFERS: usize = 16;

/// What every callback object gets as its first member (see the module's doc).
const KEEP_ATTACHED: &str = "init { UniffiCallbackThreads.keepAttached(this) }";

/// Applies [`CHANGES`] to every generated `.kt` file under `dir` that holds the helpers; fails when
/// none does or when a change's text is not found exactly once in one of them.
pub fn apply(dir: &Utf8Path) -> Result<()> {
    let mut patched = 0;
    for file in kotlin_files(dir)? {
        let source = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
        if !source.contains(HELPERS_MARKER) {
            continue;
        }
        let source = patch(&source).with_context(|| format!("patching {file}"))?;
        std::fs::write(&file, source).with_context(|| format!("writing {file}"))?;
        patched += 1;
    }
    if patched == 0 {
        bail!("no generated Kotlin file under {dir} holds uniffi's JNA helpers");
    }
    Ok(())
}

fn patch(source: &str) -> Result<String> {
    let source = apply_each_once(keep_callback_threads_attached(source)?, CHANGES)?;
    let source = crate::kotlin_finish::patch(source)?;
    let most = most_buffer_arguments(&source);
    if most > ARGUMENT_BUFFERS {
        bail!(
            "a generated function takes {most} buffers, more than the {ARGUMENT_BUFFERS} argument \
             structures a thread uses in turn (raise ARGUMENT_BUFFERS)"
        );
    }
    Ok(source.replace("ARGUMENT_BUFFERS_COUNT", &ARGUMENT_BUFFERS.to_string()))
}

/// Applies each change, whose text must be in `source` exactly once.
pub(crate) fn apply_each_once(mut source: String, changes: &[Change]) -> Result<String> {
    for change in changes {
        let found = source.matches(change.from).count();
        if found != 1 {
            bail!(
                "the change \"{}\" expects its text once in uniffi's helpers, found it {found} times \
                 (did uniffi's Kotlin template change?)",
                change.what
            );
        }
        source = source.replacen(change.from, change.to, 1);
    }
    Ok(source)
}

/// The most by-value buffers any `external fun` of the file takes (its parameters, up to the
/// return type).
fn most_buffer_arguments(source: &str) -> usize {
    source
        .split("external fun ")
        .skip(1)
        .map(|declaration| {
            let parameters = declaration
                .split_once("):")
                .map_or(declaration, |(parameters, _)| parameters);
            parameters.matches(".ByValue").count()
        })
        .max()
        .unwrap_or(0)
}

/// Adds [`KEEP_ATTACHED`] to every `object` that implements one of the file's JNA callback
/// interfaces (`internal interface X : com.sun.jna.Callback {`), at the object's indentation + 4.
fn keep_callback_threads_attached(source: &str) -> Result<String> {
    let callbacks: Vec<&str> = source
        .lines()
        .filter_map(|line| {
            line.strip_prefix("internal interface ")?
                .strip_suffix(" : com.sun.jna.Callback {")
        })
        .collect();
    let mut out = String::with_capacity(source.len() + 4096);
    for line in source.split_inclusive('\n') {
        out.push_str(line);
        let trimmed = line.trim();
        let implemented = trimmed
            .strip_prefix("internal object ")
            .and_then(|rest| rest.strip_suffix(" {"))
            .and_then(|rest| rest.rsplit_once(": "))
            .map(|(_, interface)| interface.trim());
        if implemented.is_some_and(|interface| callbacks.contains(&interface)) {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!("{indent}    {KEEP_ATTACHED}\n"));
        }
    }
    Ok(out)
}

fn kotlin_files(dir: &Utf8Path) -> Result<Vec<camino::Utf8PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in dir
            .read_dir_utf8()
            .with_context(|| format!("listing {dir}"))?
        {
            let path = entry?.into_path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension() == Some("kt") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_callback_object_keeps_its_threads_attached() {
        let source =
            "internal interface UniffiRustFutureContinuationCallback : com.sun.jna.Callback {
    fun callback(`data`: Long,`pollResult`: Byte,)
}
internal interface UniffiCallbackInterfaceFree : com.sun.jna.Callback {
    fun callback(`handle`: Long,)
}
internal object uniffiRustFutureContinuationCallbackImpl: UniffiRustFutureContinuationCallback {
    override fun callback(data: Long, pollResult: Byte) {}
}
internal object uniffiCallbackInterfaceListener {
    internal object uniffiFree: UniffiCallbackInterfaceFree {
        override fun callback(handle: Long) {}
    }
}
internal object NotACallback: SomethingElse {
}
";
        let patched = keep_callback_threads_attached(source).unwrap();
        assert!(patched.contains(
            "internal object uniffiRustFutureContinuationCallbackImpl: UniffiRustFutureContinuationCallback {
    init { UniffiCallbackThreads.keepAttached(this) }
    override fun callback"
        ));
        assert!(patched.contains(
            "    internal object uniffiFree: UniffiCallbackInterfaceFree {
        init { UniffiCallbackThreads.keepAttached(this) }
        override fun callback"
        ));
        assert_eq!(patched.matches(KEEP_ATTACHED).count(), 2, "{patched}");
    }

    #[test]
    fn buffer_arguments_are_counted_up_to_the_return_type() {
        let source = "    external fun uniffi_a(`ptr`: Long,`a`: RustBuffer.ByValue,`b`: RustBufferDecimal.ByValue,uniffi_out_err: UniffiRustCallStatus,
    ): RustBuffer.ByValue
    external fun uniffi_b(`a`: RustBuffer.ByValue,uniffi_out_err: UniffiRustCallStatus,
    ): Unit
";
        assert_eq!(most_buffer_arguments(source), 2);
        assert_eq!(most_buffer_arguments("no functions"), 0);
    }

    #[test]
    fn a_missing_text_names_its_change() {
        let error = patch("private inline fun uniffiRustCallWithError() {}").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("buffers: returned ones built over"),
            "{error}"
        );
    }
}
