package app.heydollr.dollr

import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.IOException
import java.math.BigDecimal
import java.net.Socket
import java.net.URI

/** TestSandbox itself (dollr-testing): the `dollr` binary as a child process, its options and control calls. */
class TestSandboxTest {
    /** The `dollr` processes this JVM runs now. */
    private fun sandboxProcesses(): Set<ProcessHandle> =
        ProcessHandle.current().children().filter { child ->
            child.info().command().map { it.endsWith("/dollr") }.orElse(false)
        }.toList().toSet()

    private fun answers(url: String): Boolean {
        val address = URI.create(url)
        return try {
            Socket(address.host, address.port).use { true }
        } catch (e: IOException) {
            false
        }
    }

    private fun TestSandbox.balance(currency: String) = BigDecimal(walletJson(currency)["balance"]!!.jsonPrimitive.content)

    private fun validationField(call: () -> Unit): String? {
        val error = assertThrows<DollrException.Validation> { call() }
        return error.field
    }

    @Test
    fun `stop ends the sandbox process and its port`() {
        val before = sandboxProcesses()
        val sandbox = TestSandbox.start()
        val started = sandboxProcesses() - before
        assertEquals(1, started.size, "one dollr process per sandbox: $started")
        assertTrue(answers(sandbox.url()))

        sandbox.stop()
        assertFalse(started.single().isAlive, "stop() returns once the process has exited")
        assertFalse(answers(sandbox.url()), "nothing listens on ${sandbox.url()} after stop()")
        sandbox.stop() // idempotent
    }

    @Test
    fun `a sandbox nobody holds any more is stopped`() {
        val before = sandboxProcesses()
        TestSandbox.start().url() // not kept: the Cleaner stops it
        val started = sandboxProcesses() - before
        assertEquals(1, started.size, "$started")
        eventually(timeoutMs = 60_000, what = "the unreachable sandbox's process exits") {
            System.gc()
            !started.single().isAlive
        }
    }

    @Test
    fun `the options reach the sandbox and the credentials are the sandbox's own`() {
        TestSandbox.start(SandboxOptions(wallets = mapOf("LRD" to BigDecimal("12.50")), tokenTtlSeconds = 30uL)).use { sandbox ->
            assertEquals(0, BigDecimal("12.50").compareTo(sandbox.balance("LRD")))
            assertEquals(0, BigDecimal("10000.00").compareTo(sandbox.balance("USD")), "the other wallets keep their defaults")
            assertEquals("dollr_test_client", sandbox.clientId())
            assertTrue(sandbox.clientSecret().isNotEmpty() && sandbox.passcode().isNotEmpty())
            kotlinx.coroutines.runBlocking {
                sandbox.client().use { client -> assertEquals(1L, client.obtainToken().expiresIn) } // 30 s: 1 minute (ceiling)
            }

            sandbox.updateConfig("""{"passcode":"654321"}""")
            assertEquals("654321", sandbox.passcode(), "the passcode follows the sandbox's configuration")
            sandbox.setWalletBalance("USD", BigDecimal("7.25"))
            assertEquals(0, BigDecimal("7.25").compareTo(sandbox.balance("USD")))
        }
    }

    @Test
    fun `no secret in toString`() {
        TestSandbox.start().use { sandbox ->
            val text = sandbox.toString()
            assertEquals("TestSandbox(url=${sandbox.url()}, clientId=${sandbox.clientId()})", text)
            assertFalse(sandbox.clientSecret() in text)
            assertFalse(sandbox.passcode() in text)
        }
    }

    @Test
    fun `input the sandbox refuses is a Validation error naming the option, and starts nothing`() {
        val before = sandboxProcesses()
        assertEquals("wallets", validationField { TestSandbox.start(SandboxOptions(wallets = mapOf("EUR" to BigDecimal.ONE))) })
        assertEquals("faultsJson", validationField { TestSandbox.start(SandboxOptions(faultsJson = """{"rules":[{"kind":"nonsense"}]}""")) })
        eventually(what = "no sandbox left behind by a refused start") { (sandboxProcesses() - before).isEmpty() }

        TestSandbox.start().use { sandbox ->
            assertEquals("faultsJson", validationField { sandbox.setFaults("""{"rules":[{"kind":"error","status":200}]}""") })
            assertEquals("patchJson", validationField { sandbox.updateConfig("""{"settle":5}""") })
            assertEquals("currency", validationField { sandbox.setWalletBalance("EUR", BigDecimal.ONE) })
            assertEquals("balance", validationField { sandbox.setWalletBalance("USD", BigDecimal("-1")) })
            assertEquals("referenceId", validationField { sandbox.advance("no-such-reference") })
            assertEquals("referenceId", validationField { sandbox.advanceToFinal("no/such reference") })
        }
    }

    @Test
    fun `control calls move executions, revoke tokens and reset`(): Unit = kotlinx.coroutines.runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 600_000uL)).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val request = collectRequest("231771234567", BigDecimal("5.00"), "USD")
                    .copy(payerName = "Amara Kamara", options = quickFlow(waitTimeoutMs = 50))
                val started = client.collect(request)
                assertFalse(started.settled)
                assertEquals("PROCESSING", sandbox.advance(started.referenceId))
                assertEquals("COMPLETED", sandbox.advanceToFinal(started.referenceId))
                assertEquals("referenceId", validationField { sandbox.advance(started.referenceId) }, "a final execution moves no further")
                assertTrue(sandbox.revokeTokens() >= 1uL)
                assertEquals(1, sandbox.executionsCreated())

                sandbox.setFaults("""{"rules":[{"kind":"error","status":503,"scope":"v1"}]}""")
                sandbox.reset()
                assertEquals(0, sandbox.executionsCreated())
                assertEquals(0, sandbox.requestsTotal())
                assertTrue(sandbox.paymentIntentsJson().isEmpty())
                // reset() cleared the fault too: the next payment goes through (a new client: the
                // first one remembers objects the sandbox forgot).
                sandbox.client(quickClientOptions()).use { fresh -> assertFalse(fresh.collect(request).settled) }
                assertEquals(1, sandbox.executionsCreated())
            }
        }
    }
}
