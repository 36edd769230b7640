package app.heydollr.dollr

import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.WaitOutcome
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.math.BigDecimal

/** What Kotlin code reads as the Dollr docs and Kotlin spell it: `outcome.status`, camelCase
 * fields in errors, a client that prints where it talks to (never its secret). */
class KotlinNamesTest {
    @Test
    fun `a waited result answers status like the docs' status payloads`(): Unit = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 20uL)).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val collected = client.collect(
                    collectRequest(testNumbers()["COMPLETES"]!!, BigDecimal("2.50"), "USD")
                        .copy(payerName = "Wait Payer", options = quickFlow()),
                )
                val options = WaitOptions(initialInterval = ms(10), maxInterval = ms(50))
                val outcome = withTimeout(30_000) {
                    client.status().wait(OperationType.Collection, collected.referenceId, options).result()
                }
                assertTrue(outcome is WaitOutcome.Finished, "$outcome")
                assertEquals("COMPLETED", outcome.status.toString())
                assertEquals((outcome as WaitOutcome.Finished).execution.status, outcome.status)
            }
        }
    }

    @Test
    fun `errors name fields as Kotlin spells them and keep the API's loc`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client().use { client ->
                val error = assertThrows<DollrException.Validation> {
                    runBlocking { client.collect(collectRequest("231771234567", BigDecimal("10.00"), "USD")) }
                }
                assertEquals("payerName", error.field)
                assertTrue(error.errorReason.contains("`payerName`"), error.errorReason)
                assertFalse(error.errorReason.contains("payer_name"), error.errorReason)
                assertEquals(listOf("body", "payer_name"), error.errorDetails.first().loc)
                assertEquals(0, sandbox.requestsTotal())
            }
        }
    }

    @Test
    fun `a client prints its base URL and client id, never its secret`() {
        TestSandbox.start().use { sandbox ->
            sandbox.client().use { client ->
                val text = client.toString()
                assertEquals("DollrClient(baseUrl=${sandbox.url()}, clientId=${sandbox.clientId()})", text)
                assertFalse(text.contains(sandbox.clientSecret()), text)
                assertFalse("$client".contains("@"), "not the JVM's default: $client")
            }
        }
    }
}
