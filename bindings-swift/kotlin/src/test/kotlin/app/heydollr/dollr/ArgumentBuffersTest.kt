package app.heydollr.dollr

import app.heydollr.dollr.model.CreatePartyRequest
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.util.Collections
import java.util.IdentityHashMap

/**
 * A thread passes its argument buffers in the structures it uses in turn (`UniffiArgumentBuffers`,
 * added by the workspace's uniffi-bindgen): lowering an argument allocates no JNA structure, whose
 * native block only a garbage collection would free.
 */
class ArgumentBuffersTest {
    /** The distinct structures `alloc` returned over `times` allocations on this thread. */
    private fun distinctStructures(times: Int, alloc: () -> Any, free: (Any) -> Unit): Int {
        val seen = Collections.newSetFromMap(IdentityHashMap<Any, Boolean>())
        repeat(times) {
            val buffer = alloc()
            seen.add(buffer)
            free(buffer)
        }
        return seen.size
    }

    @Test
    fun `a thread's argument buffers come from its ring of structures`() {
        val times = UniffiArgumentBuffers.COUNT * 3
        // Without the change every allocation is a structure of its own (`times` of them).
        assertEquals(
            UniffiArgumentBuffers.COUNT,
            distinctStructures(times, { RustBuffer.alloc(8UL) }, { RustBuffer.free(it as RustBuffer.ByValue) }),
        )
        assertEquals(
            app.heydollr.dollr.model.UniffiArgumentBuffers.COUNT,
            distinctStructures(
                times,
                { app.heydollr.dollr.model.RustBuffer.alloc(8UL) },
                { app.heydollr.dollr.model.RustBuffer.free(it as app.heydollr.dollr.model.RustBuffer.ByValue) },
            ),
        )
    }

    @Test
    fun `arguments lowered many times over on one thread still reach Rust intact`() {
        TestSandbox.start().use { sandbox ->
            sandbox.blockingClient(quickClientOptions()).use { client ->
                // Twice as many calls as the ring holds structures, each lowering its request into
                // a buffer: every party comes back as it was sent.
                val names = (1..UniffiArgumentBuffers.COUNT * 2).map { "Musu Kollie $it" }
                val parties = names.map { client.parties().create(CreatePartyRequest(it, "231771234567")) }
                assertEquals(names, parties.map { client.parties().retrieve(it.id).fullname })
            }
        }
    }
}
