package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.PasscodeToken
import app.heydollr.dollr.model.SecretValue
import app.heydollr.dollr.model.SourceWaitOptions
import app.heydollr.dollr.model.WaitOutcome
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.jsonArray
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.math.BigDecimal
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger

/** Decimals, secrets, the token provider, cancellable waits, the version. */
class ValuesTest {
    @Test
    fun `amounts cross the FFI as exact decimals, scale included, and are never rounded`() {
        for (text in listOf("250.10", "0.1", "5000", "12345678901234567890.12", "0.0000000000000000000000000001")) {
            val request = collectRequest("231771234567", BigDecimal(text), "USD")
            assertEquals(BigDecimal(text), request.items.single().amount, text)
            assertEquals(text, request.items.single().amount.toPlainString())
        }
        // More digits than the core's Decimal holds: refused, not rounded.
        assertThrows<Exception> { collectRequest("231771234567", BigDecimal("1E-40"), "USD") }
    }

    @Test
    fun `secrets never show in toString`(): Unit = runBlocking {
        val token = PasscodeToken(code = SecretValue("123456"), phone = "231779999999")
        assertFalse("123456" in token.toString(), token.toString())
        assertEquals("123456", token.code.reveal())
        TestSandbox.start().use { sandbox ->
            sandbox.client().use { client ->
                val answer = client.obtainToken()
                assertTrue(answer.accessToken.reveal().length > 20)
                assertFalse(answer.accessToken.reveal() in answer.toString(), answer.toString())
            }
        }
    }

    @Test
    fun `a client built from a token provider gets its tokens from the app, and a fresh one after a 401`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            // The merchant's server: it holds the client secret and hands out short-lived tokens.
            sandbox.client().use { server ->
                val requests = CopyOnWriteArrayList<Boolean>()
                val provider = recordingTokenProvider(server, requests)
                DollrClient.withTokenProvider(provider, ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true)).use { app ->
                    checkTokensComeFromTheProvider(sandbox, requests) {
                        assertTrue(app.fees().tiers().isNotEmpty())
                    }
                }
            }
            val failures = AtomicInteger()
            val refusing = object : AccessTokenProvider {
                override suspend fun accessToken(forceRefresh: Boolean): ProvidedToken {
                    failures.incrementAndGet()
                    throw DollrException.PermissionDenied("the app user is signed out", null, listOf(), null, null, null)
                }
            }
            DollrClient.withTokenProvider(refusing, ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true)).use { app ->
                val error = assertThrows<DollrException.PermissionDenied> { runBlocking { app.fees().tiers() } }
                assertEquals("the app user is signed out", error.errorReason)
            }
            val crashing = object : AccessTokenProvider {
                override suspend fun accessToken(forceRefresh: Boolean): ProvidedToken = throw IllegalStateException("no network")
            }
            DollrClient.withTokenProvider(crashing, ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true)).use { app ->
                val error = assertThrows<DollrException.Authentication> { runBlocking { app.fees().tiers() } }
                assertTrue(error.errorReason.contains("no network"), error.errorReason)
            }
            assertEquals(1, failures.get())
        }
    }

    @Test
    fun `a wait can be cancelled, and then ends like a deadline with the last execution seen`(): Unit = runBlocking {
        // A ten-minute settle time: the payment moves only when the test moves it (to PROCESSING
        // here, to its final state below), however long this process is descheduled.
        TestSandbox.start(SandboxOptions(settleMs = 600_000uL)).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val started = client.collect(
                    collectRequest(testNumbers()["SLOW"]!!, BigDecimal("20.00"), "USD")
                        .copy(payerName = "Patient Payer", options = quickFlow(waitTimeoutMs = 300)),
                )
                assertFalse(started.settled)
                assertEquals("PROCESSING", sandbox.advance(started.referenceId))
                val seen = CopyOnWriteArrayList<String>()
                val listener = transitionListener { seen.add(it.to.toString()) }
                // Another client (another process, say) resumes the payment by its reference id: its
                // journal has never seen it, so the first status it observes is reported.
                val resumer = sandbox.client(quickClientOptions())
                val options = WaitOptions(initialInterval = ms(10), maxInterval = ms(50))
                val handle = resumer.status().wait(OperationType.Collection, started.referenceId, options, listener)
                eventually(timeoutMs = 30_000, what = "the wait's first observation") { seen.isNotEmpty() }
                handle.cancel()
                val cancelled = withTimeout(30_000) { handle.result() }
                assertTrue(handle.isCancelled())
                cancelled as WaitOutcome.StillProcessing
                assertEquals(started.referenceId, cancelled.referenceId)
                assertEquals("PROCESSING", cancelled.last!!.status.toString())

                val finished = resumer.status().wait(OperationType.Collection, started.referenceId, options)
                sandbox.advanceToFinal(started.referenceId)
                val outcome = withTimeout(30_000) { finished.result() }
                outcome as WaitOutcome.Finished
                assertEquals("COMPLETED", outcome.execution.status.toString())
                // A finished wait stays finished: cancelling it afterwards changes nothing.
                finished.cancel()
                assertTrue(finished.result() is WaitOutcome.Finished)
                resumer.close()
            }
        }
    }

    @Test
    fun `cancelling the coroutine stops an SDK call promptly`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val checkout = client.hostedCheckout(hostedCheckoutRequest("231771234567", BigDecimal("45.00"), "USD"))
                val began = System.nanoTime()
                assertThrows<TimeoutCancellationException> {
                    runBlocking {
                        withTimeout(200) {
                            client.waitSourcePaid(
                                checkout.sourceType,
                                checkout.sourceId,
                                SourceWaitOptions(timeout = Duration.ofMinutes(10), pollInterval = ms(10), maxPollInterval = ms(10)),
                            )
                        }
                    }
                }
                // The wait's own timeout is 10 minutes: ending within 20 s (room for a stalled, busy
                // machine) proves the cancellation stopped it.
                assertTrue(System.nanoTime() - began < Duration.ofSeconds(20).toNanos())
                // And the work itself stopped, not only the coroutine: the sandbox stops hearing its
                // polls (a wait still running asks every 10 ms).
                fun requests() = parseJson(sandbox.requestLog()).jsonArray.size
                var before = requests()
                eventually(timeoutMs = 20_000, what = "the cancelled wait's polls to stop") {
                    Thread.sleep(300)
                    val now = requests()
                    (now == before).also { before = now }
                }
            }
        }
    }

    @Test
    fun `one version number for every package`() {
        assertEquals(System.getProperty("dollr.version"), sdkVersion())
        assertEquals("231771234567", testNumbers()["COMPLETES"])
    }
}
