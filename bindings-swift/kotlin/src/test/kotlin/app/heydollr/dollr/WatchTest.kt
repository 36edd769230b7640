package app.heydollr.dollr

import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.StatusChannel
import app.heydollr.dollr.model.Transition
import kotlinx.coroutines.flow.collect
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.math.BigDecimal
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.concurrent.thread

/**
 * `client.status().watch(..)` as a Flow over the sandbox's Supabase Realtime server.
 * Deterministic: the sandbox settles only when told, polls are 60 s apart (a change seen in time
 * came over realtime), and the payment is advanced only once the watch has joined its channel and
 * made its catch-up poll.
 */
class WatchTest {
    private fun TestSandbox.realtime(key: String): Long = statsJson().long("realtime", key) ?: 0

    private fun TestSandbox.lookups(reference: String): Int =
        parseJson(requestLog()).jsonArray.count {
            val entry = it.jsonObject
            entry["method"]?.jsonPrimitive?.content == "GET" &&
                entry["path"]?.jsonPrimitive?.content?.endsWith(reference) == true &&
                entry["status"]?.jsonPrimitive?.content == "200"
        }

    @Test
    fun `a collection is watched PENDING, PROCESSING, COMPLETED over realtime`() = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 600_000uL)).use { sandbox ->
            sandbox.client().use { payer ->
                val started = payer.collect(
                    collectRequest(testNumbers()["COMPLETES"]!!, BigDecimal("8.00"), "USD")
                        .copy(payerName = "Amara Kamara", options = quickFlow(waitTimeoutMs = 1)),
                )
                val reference = started.referenceId
                val joinsBefore = sandbox.realtime("joins")
                val seen = CopyOnWriteArrayList<Transition>()
                val driver = thread {
                    eventually(30_000, "the join and the catch-up poll") {
                        sandbox.realtime("joins") > joinsBefore && sandbox.lookups(reference) >= 2
                    }
                    sandbox.advance(reference)
                    eventually(30_000, "PROCESSING seen") { seen.any { it.to.toString() == "PROCESSING" } }
                    sandbox.advance(reference)
                }
                // A client with its own journal: its first observation (PENDING) is reported too.
                sandbox.client().use { watcher ->
                    val options = WaitOptions(
                        timeout = Duration.ofSeconds(30),
                        initialInterval = Duration.ofSeconds(60),
                        maxInterval = Duration.ofSeconds(60),
                        sessionId = started.sessionId,
                    )
                    withTimeout(30_000) {
                        watcher.status().watch(OperationType.Collection, reference, options).collect { seen.add(it) }
                    }
                    driver.join(30_000)
                    assertEquals(listOf("PENDING", "PROCESSING", "COMPLETED"), seen.map { it.to.toString() })
                    assertEquals(
                        listOf(StatusChannel.POLL, StatusChannel.REALTIME, StatusChannel.REALTIME),
                        seen.map { it.channel },
                    )
                    // Taking the first change cancels the collector: the socket closes.
                    val first = withTimeout(30_000) {
                        watcher.status().watch(OperationType.Collection, reference, options).first()
                    }
                    assertEquals("COMPLETED", first.to.toString())
                    eventually(30_000, "every socket closed") { sandbox.realtime("open") == 0L }
                }
            }
        }
    }
}
