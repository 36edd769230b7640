package app.heydollr.dollr

import app.heydollr.dollr.model.CreatePartyRequest
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Rust's threads stay attached to the JVM once they have called into Kotlin: a suspending call is
 * resumed by a callback from the Rust runtime's worker, and JNA's default would attach that
 * thread for the one callback and detach it on return (a new `java.lang.Thread` each time).
 */
class CallbackThreadsTest {
    private fun attachedRustThreads(): Set<Thread> =
        Thread.getAllStackTraces().keys.filter { it.name == "dollr-ffi" }.toSet()

    @Test
    fun `the Rust threads that resume suspended calls stay attached, as daemons`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val party = client.parties().create(CreatePartyRequest("Musu Kollie", "231771234567"))
                val first = attachedRustThreads()
                // Without the change no thread carries this name: JNA names attached threads
                // only through the initializer, and detaches them after each callback.
                assertTrue(first.isNotEmpty(), "no Rust thread stayed attached after a suspending call")
                assertTrue(first.all { it.isDaemon }, "an attached Rust thread would keep the JVM alive")
                repeat(20) { assertEquals("Musu Kollie", client.parties().retrieve(party.id).fullname) }
                // The runtime's workers live as long as the process: the threads attached by the
                // first call are still attached after twenty more.
                val later = attachedRustThreads()
                assertTrue(later.containsAll(first), "an attached Rust thread was detached")
            }
        }
    }
}
