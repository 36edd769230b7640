package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.math.BigDecimal
import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList

/** Secrets stay out of everything the package prints; lost answers are reconciled from the journal. */
class ResilienceTest {
    /**
     * The Kotlin package has no logger of its own: what an app logs is the progress a flow reports
     * (`flowListener { log(it.message) }`), the status changes, the outcomes and the exceptions, and
     * the objects' `toString()`. None of it may carry the client secret, the access token or a
     * passcode, whether the call succeeds or is refused.
     */
    @Test
    fun `nothing the package reports or prints carries a secret`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            val printed = CopyOnWriteArrayList<String>()
            val listener = flowListener { progress -> printed += progress.message; printed += progress.toString() }
            val wrongPasscode = "907153"
            val wrongSecret = "dollr_wrong_secret_4c1f"
            lateinit var token: String
            sandbox.client(quickClientOptions()).use { client ->
                printed += client.toString()
                token = client.obtainToken().accessToken.reveal()
                val payout = payoutRequest("231771234567", BigDecimal("3.00"), "USD", sandbox.passcode(), "231779999999")
                    .copy(recipientName = "Secret Keeper", options = quickFlow())
                printed += payout.toString()
                printed += client.payout(payout, listener).toString()
                val collect = collectRequest("231771234567", BigDecimal("2.00"), "USD").copy(payerName = "Secret Payer", options = quickFlow())
                printed += client.collect(collect, listener).toString()
                val wrong = payoutRequest("231771234567", BigDecimal("3.00"), "USD", wrongPasscode, "231779999999")
                    .copy(recipientName = "Wrong Code", options = quickFlow())
                val refused = assertThrows<DollrException.PermissionDenied> { runBlocking { client.payout(wrong, listener) } }
                printed += listOf(refused.toString(), refused.message.orEmpty(), refused.errorReason, refused.errorDetails.toString())
            }
            DollrClient(sandbox.clientId(), wrongSecret, ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true)).use { client ->
                printed += client.toString()
                val refused = assertThrows<DollrException.Authentication> { runBlocking { client.obtainToken() } }
                printed += listOf(refused.toString(), refused.message.orEmpty(), refused.errorReason)
            }

            assertTrue(printed.size > 10, "the flows reported their progress: $printed")
            assertTrue(token.length >= 16, "a real access token")
            for (text in printed) {
                for ((what, secret) in listOf("client secret" to sandbox.clientSecret(), "wrong client secret" to wrongSecret, "access token" to token)) {
                    assertTrue(secret !in text, "the $what shows in: $text")
                }
                // A passcode is six digits: look for it as a number of its own, not inside a longer one.
                for (code in listOf(sandbox.passcode(), wrongPasscode)) {
                    assertTrue(!Regex("(?<![0-9])$code(?![0-9])").containsMatchIn(text), "a passcode shows in: $text")
                }
            }
        }
    }

    /**
     * Responses lost after the sandbox committed the execution, and status lookups that fail, through
     * Kotlin's own API with a SQLite journal: the flows end with their payment in flight or an
     * `AmbiguousExecution`, never a second payment. A new client on the same journal file (a
     * restarted app) reconciles every intent to its final status: one execution per intent, every
     * entry resolved, and the sandbox counts no duplicate payment.
     */
    @Test
    fun `lost responses after commit are reconciled from the journal without a duplicate payment`(@TempDir dir: Path): Unit = runBlocking {
        val faults = """{"rules": [
            {"kind": "drop_response", "scope": "executions", "count": 4},
            {"kind": "error", "scope": "status", "status": 503, "count": 6}
        ]}"""
        // Executions settle only when the test says so (advanceToFinal): the flows' short wait ends first.
        TestSandbox.start(SandboxOptions(settleMs = 600_000uL, faultsJson = faults)).use { sandbox ->
            val journal = dir.resolve("payments.db").toString()
            val payments = 8
            val ambiguous = CopyOnWriteArrayList<String>()
            sandbox.client(quickClientOptions().copy(journal = journal)).use { client ->
                coroutineScope {
                    (1..payments).map { i ->
                        async(Dispatchers.Default) {
                            val request = collectRequest("231771234567", BigDecimal("1.00") + BigDecimal(i), "USD")
                                .copy(payerName = "Payer $i", options = quickFlow(waitTimeoutMs = 50))
                            try {
                                val outcome = client.collect(request)
                                assertTrue(!outcome.settled, "nothing settles before advanceToFinal")
                            } catch (error: DollrException.AmbiguousExecution) {
                                ambiguous += error.errorReferenceId!!
                            }
                        }
                    }.awaitAll()
                }
            }
            val stats = sandbox.statsJson()
            assertTrue((stats.long("faults", "drop_response") ?: 0) >= 1, "a response was lost after commit: $stats")
            val references = (stats.path("executions", "by_reference_id") as JsonObject).keys
            assertEquals(payments, references.size, "one execution per payment")
            assertTrue(references.containsAll(ambiguous), "an AmbiguousExecution names the execution to resume")
            references.forEach { sandbox.advanceToFinal(it) }
            sandbox.clearFaults()

            DollrClient(sandbox.clientId(), sandbox.clientSecret(), ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true, journal = journal)).use { restarted ->
                checkEveryIntentCompleted(restarted.reconcile(), references) { restarted.reconcile() }
            }
            assertEquals(payments.toLong(), sandbox.executionsCreated())
            assertEquals(0, sandbox.statsJson().long("duplicate_payments"))
        }
    }
}
