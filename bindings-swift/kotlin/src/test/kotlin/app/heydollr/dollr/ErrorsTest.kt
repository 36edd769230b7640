package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.ErrorKind
import app.heydollr.dollr.model.PaymentMethod
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.math.BigDecimal
import java.time.Duration

/** Errors: one exception class per kind, with the core's fields; panics never cross the FFI. */
class ErrorsTest {
    @Test
    fun `the kinds are the same twelve names as in every other binding`() {
        assertEquals(
            listOf(
                "Validation", "Authentication", "PermissionDenied", "NotFound", "Conflict", "RateLimited",
                "Server", "Network", "Timeout", "AmbiguousExecution", "Decode", "Internal",
            ),
            ErrorKind.entries.map { it.toString() },
        )
    }

    @Test
    fun `invalid input is refused before anything is sent, naming the field`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client().use { client ->
                val error = assertThrows<DollrException.Validation> {
                    runBlocking {
                        client.collect(
                            collectRequest("+231771234567", BigDecimal("10.00"), "USD").copy(payerName = "Amara"),
                        )
                    }
                }
                assertEquals("phone", error.field)
                assertEquals(ErrorKind.VALIDATION, error.kind)
                val rwf = assertThrows<DollrException.Validation> {
                    runBlocking {
                        client.payout(
                            payoutRequest("250781234567", BigDecimal("1000.50"), "RWF", sandbox.passcode(), "231779999999")
                                .copy(recipientName = "Aline"),
                        )
                    }
                }
                assertEquals("amount", rwf.field)
                assertEquals(0, sandbox.requestsTotal())
            }
        }
    }

    @Test
    fun `API failures map to their kinds with status and retry-after`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(ClientOptions(maxRetries = 0u)).use { client ->
                val notFound = assertThrows<DollrException.NotFound> { runBlocking { client.parties().retrieve(999_999) } }
                assertEquals(404, notFound.httpStatus)
                assertTrue(notFound.errorReason.isNotBlank())

                sandbox.setFaults("""{"rules":[{"kind":"rate_limit","retry_after":0,"scope":"v1","count":1}]}""")
                val limited = assertThrows<DollrException.RateLimited> { runBlocking { client.fees().tiers() } }
                assertEquals(429, limited.httpStatus)
                assertEquals(Duration.ZERO, limited.errorRetryAfter)

                sandbox.setFaults("""{"rules":[{"kind":"error","status":503,"scope":"v1","count":1}]}""")
                val server = assertThrows<DollrException.Server> { runBlocking { client.fees().tiers() } }
                assertEquals(503, server.httpStatus)
                sandbox.clearFaults()
                assertTrue(client.fees().tiers().isNotEmpty())
            }
            DollrClient(sandbox.clientId(), "wrong-secret", ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true)).use { client ->
                val refused = assertThrows<DollrException.Authentication> { runBlocking { client.fees().tiers() } }
                assertEquals(401, refused.httpStatus)
                assertTrue("wrong-secret" !in refused.message!!)
            }
        }
    }

    @Test
    fun `a refused passcode and an unverified merchant are PermissionDenied`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val error = assertThrows<DollrException.PermissionDenied> {
                    runBlocking {
                        client.payout(
                            payoutRequest("231771234567", BigDecimal("10.00"), "USD", "000000", "231779999999")
                                .copy(recipientName = "Musu Doe", options = quickFlow()),
                        )
                    }
                }
                assertEquals(403, error.httpStatus)
                assertEquals(0, sandbox.executionsCreated())
            }
        }
        TestSandbox.start(SandboxOptions(verified = false)).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                assertThrows<DollrException.PermissionDenied> {
                    runBlocking { client.hostedCheckout(hostedCheckoutRequest("231771234567", BigDecimal("45.00"), "USD")) }
                }
            }
        }
    }

    @Test
    fun `a panic inside the SDK becomes DollrException Internal, sync and async`(): Unit = runBlocking {
        val sync = assertThrows<DollrException.Internal> { debugPanic("boom in a sync export") }
        assertTrue(sync.errorReason.contains("boom in a sync export"), sync.errorReason)
        val async = assertThrows<DollrException.Internal> { runBlocking { debugPanicAsync("boom in an async export") } }
        assertTrue(async.errorReason.contains("boom in an async export"), async.errorReason)
        // Even an export without the SDK's guard does not take the JVM down: uniffi stops the unwind.
        val unguarded = assertThrows<InternalException> { debugPanicUnguarded("boom unguarded") }
        assertTrue(unguarded.message!!.contains("boom unguarded"), unguarded.message)
        // The library still works after the panics.
        assertTrue(newReferenceId().length == 36)
    }

    @Test
    fun `unknown enum values are kept and printed as on the wire`() {
        assertEquals("M_PESA_KEN", PaymentMethod.Other("M_PESA_KEN").toString())
        assertEquals("MTN_MOMO_LBR", PaymentMethod.MtnMomoLbr.toString())
    }
}
