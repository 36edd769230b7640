package app.heydollr.dollr

import app.heydollr.dollr.model.CreatePartyRequest
import com.sun.jna.Native
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.CopyOnWriteArrayList

/**
 * How a suspending call ends: one call into Rust, one completion callback from the thread that
 * finished it (bindings-swift/src/finish.rs, uniffi-bindgen/src/kotlin_finish.rs).
 */
class SuspendingCallsTest {
    private fun party(i: Int) = CreatePartyRequest("Party $i", "231771234567", "p$i@example.com", "LR")

    @Test
    fun `calls in flight together each get their own answer, and a refused one its error`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val names = (0 until 200).map { i ->
                    async(Dispatchers.Default) {
                        if (i % 10 == 0) {
                            // Refused before anything is sent: completed inside the first poll, on
                            // the calling thread.
                            val refused = assertThrows<DollrException.Validation> {
                                runBlocking { client.parties().create(CreatePartyRequest("", "231771234567")) }
                            }
                            "refused: ${refused.field}"
                        } else {
                            client.parties().create(party(i)).fullname
                        }
                    }
                }.awaitAll()
                names.forEachIndexed { i, name ->
                    assertEquals(if (i % 10 == 0) "refused: fullname" else "Party $i", name)
                }
                // Every completion was taken: nothing waits for one.
                assertEquals(0, uniffiCompletionHandleMap.size)
            }
        }
    }

    @Test
    fun `calls cancelled at any point end exactly once and leave the client working`(): Unit = runBlocking {
        // What a callback from Rust throws (a second completion of one call would: its continuation
        // is gone) goes to JNA's handler, not to the test: record it.
        val thrownInCallbacks = CopyOnWriteArrayList<Throwable>()
        val handler = Native.getCallbackExceptionHandler()
        Native.setCallbackExceptionHandler { _, thrown -> thrownInCallbacks.add(thrown) }
        try {
            cancelAtAnyPoint()
        } finally {
            Native.setCallbackExceptionHandler(handler)
        }
        assertEquals(emptyList<Throwable>(), thrownInCallbacks.toList())
    }

    private fun cancelAtAnyPoint(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                // Deadlines from nothing to a few milliseconds: some calls are cancelled before
                // they are sent, some while the request is in flight, some as the answer arrives,
                // some finish. Whichever happens, a call either returns its own answer or is
                // cancelled, and its completion is taken exactly once (a missing one would leave an
                // entry behind).
                val outcomes: List<String?> = (0 until 300).map { i ->
                    async(Dispatchers.Default) {
                        val name: String? = withTimeoutOrNull((i % 7).toLong()) {
                            client.parties().create(party(i)).fullname
                        }
                        name?.also { assertEquals("Party $i", it) }
                    }
                }.awaitAll()
                eventually(timeoutMs = 20_000, what = "every cancelled call's completion") {
                    uniffiCompletionHandleMap.size == 0
                }
                assertTrue(outcomes.size == 300)
                assertEquals("Party 1000", client.parties().create(party(1000)).fullname)
            }
        }
    }
}
