package app.heydollr.dollr

import app.heydollr.dollr.model.ExecutionStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.math.BigDecimal

/** One client shared by 100 coroutines: every payment once, no duplicates. */
class ConcurrencyTest {
    @Test
    fun `100 concurrent collections on one client each complete exactly once`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val outcomes = coroutineScope {
                    (1..100).map { i ->
                        async(Dispatchers.Default) {
                            client.collect(
                                collectRequest("231771234567", BigDecimal("1.00") + BigDecimal(i).movePointLeft(2), "USD")
                                    .copy(payerName = "Payer $i", options = quickFlow()),
                            )
                        }
                    }.awaitAll()
                }
                assertEquals(100, outcomes.count { it.execution.status == ExecutionStatus.Completed })
                assertEquals(100, outcomes.map { it.referenceId }.toSet().size)
                assertEquals(100, outcomes.map { it.sourceId }.toSet().size)
                // Each payer paid its own amount, exactly.
                outcomes.forEachIndexed { index, outcome ->
                    assertEquals(BigDecimal("1.00") + BigDecimal(index + 1).movePointLeft(2), outcome.totalAmount)
                }
                assertEquals(100, sandbox.executionsCreated())
                assertEquals(100, sandbox.executionPosts())
                assertEquals(0, sandbox.statsJson().long("duplicate_payments"))
            }
        }
    }
}
