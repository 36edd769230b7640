package app.heydollr.dollr

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Collections
import java.util.IdentityHashMap

/**
 * The objects calls return (every resource handle) are released on the cleaner's thread, through
 * a call into Rust. That thread keeps its call statuses between releases (the workspace's
 * uniffi-bindgen gives the cleaner a thread of its own): the JDK's default cleaner thread erases
 * its thread locals before each clean-up, so each release took a new status, whose native blocks
 * only a garbage collection frees.
 */
class CleanerThreadTest {
    /** The call statuses `times` releases on `cleaner`'s thread took, and the threads they ran on. */
    private fun releases(
        times: Int,
        cleaner: (Any, Runnable) -> Unit,
        take: () -> Any,
        give: (Any) -> Unit,
    ): Pair<Set<Any>, Set<Thread>> {
        val statuses = Collections.synchronizedSet(Collections.newSetFromMap(IdentityHashMap<Any, Boolean>()))
        val threads = Collections.synchronizedSet(mutableSetOf<Thread>())
        val released = java.util.concurrent.atomic.AtomicInteger()
        // Each object unreachable once registered: only the cleaner can run its release.
        repeat(times) {
            cleaner(Any()) {
                val status = take()
                statuses.add(status)
                threads.add(Thread.currentThread())
                give(status)
                released.incrementAndGet()
            }
        }
        val deadline = System.nanoTime() + 30_000_000_000L
        while (released.get() < times) {
            assertTrue(System.nanoTime() < deadline, "the cleaner ran ${released.get()} of $times releases in 30 s")
            System.gc()
            Thread.sleep(10)
        }
        return statuses.toSet() to threads.toSet()
    }

    @Test
    fun `the cleaner's thread reuses its call status from one release to the next`() {
        val (statuses, threads) = releases(
            8,
            { value, task -> UniffiLib.CLEANER.register(value, task) },
            { UniffiCallStatuses.take() },
            { UniffiCallStatuses.give(it as UniffiRustCallStatus) },
        )
        assertEquals(1, threads.size, "one cleaner thread: $threads")
        assertTrue(Thread.currentThread() !in threads)
        // Without the change each release takes a new status (8 of them).
        assertEquals(1, statuses.size, "statuses taken by 8 releases")
    }

    @Test
    fun `so does the model component's`() {
        val (statuses, _) = releases(
            8,
            { value, task -> app.heydollr.dollr.model.UniffiLib.CLEANER.register(value, task) },
            { app.heydollr.dollr.model.UniffiCallStatuses.take() },
            { app.heydollr.dollr.model.UniffiCallStatuses.give(it as app.heydollr.dollr.model.UniffiRustCallStatus) },
        )
        assertEquals(1, statuses.size, "statuses taken by 8 releases")
    }
}
