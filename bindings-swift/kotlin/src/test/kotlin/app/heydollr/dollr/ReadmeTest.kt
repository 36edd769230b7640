package app.heydollr.dollr

import app.heydollr.dollr.*            // DollrClient, DollrException, collectRequest, …
import app.heydollr.dollr.model.*      // the core's records and enums: ClientOptions, Execution, ExecutionStatus, …
import java.math.BigDecimal

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

// The Kotlin code of README.md and bindings-swift/README.md, run against TestSandbox.
// tests/docs/run_code_blocks.py fails when a README block is not found here verbatim, so what the
// READMEs show is what this file compiles and runs. Only the names the READMEs leave to the
// reader (credentials, your backend, what you do with a receipt) are defined around them.
class ReadmeTest {
    @Test
    fun `the top README's Kotlin example collects a payment`(): Unit = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 20uL)).use { sandbox ->
            val clientId = sandbox.clientId()
            val clientSecret = sandbox.clientSecret()
            val baseUrl = sandbox.url()

            // baseUrl: "http://127.0.0.1:8787" for `dollr sandbox`; leave it out for the real API.
            val client = DollrClient(clientId, clientSecret, ClientOptions(baseUrl = baseUrl))
            val outcome = client.collect(collectRequest("231771234567", BigDecimal("250.00"), "USD").copy(payerName = "Amara Kamara"))
            println("${outcome.execution.status} ${outcome.execution.payerAmount}")

            assertEquals(ExecutionStatus.Completed, outcome.execution.status)
            assertEquals(BigDecimal("256.25"), outcome.execution.payerAmount)
            client.close()
        }
    }

    /** What the bindings-swift README calls "your API": here it gets tokens from the sandbox. */
    class Issued(val token: String, val minutes: Long)

    @Test
    fun `the Kotlin README's example runs end to end`(): Unit = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 20uL)).use { sandbox ->
            val clientId = sandbox.clientId()
            val clientSecret = sandbox.clientSecret()
            val baseUrl = sandbox.url()
            val phone = "231771234567"
            val passcode = sandbox.passcode()
            val merchantPhone = "231779999999"
            val tokenSource = DollrClient(clientId, clientSecret, ClientOptions(baseUrl = baseUrl))
            val myBackend = object {
                suspend fun dollrToken(forceRefresh: Boolean): Issued {
                    val answer = tokenSource.obtainToken()
                    return Issued(answer.accessToken.reveal(), answer.expiresIn)
                }
            }
            val fulfilled = mutableListOf<SourceReceipt?>()
            fun fulfil(receipt: SourceReceipt?) { fulfilled.add(receipt) }
            fun resumeLater(referenceId: String): Nothing = throw AssertionError("$referenceId still in flight")

            // On a server: client credentials (or DollrClient.fromEnv() with DOLLR_CLIENT_ID / DOLLR_CLIENT_SECRET).
            val client = DollrClient(clientId, clientSecret, ClientOptions(baseUrl = baseUrl))

            // In an app: tokens from your server, no secret on the device.
            val appClient = DollrClient.withTokenProvider(object : AccessTokenProvider {
                override suspend fun accessToken(forceRefresh: Boolean): ProvidedToken {
                    val issued = myBackend.dollrToken(forceRefresh)          // your API
                    return ProvidedToken(SecretValue(issued.token), java.time.Duration.ofMinutes(issued.minutes))
                }
            }, ClientOptions(baseUrl = baseUrl))

            // A collection end to end (party, invoice, payment account, session, exactly-once execution, wait).
            val outcome = client.collect(
                collectRequest("231771234567", BigDecimal("250.00"), "USD").copy(payerName = "Amara Kamara"),
                flowListener { progress -> println(progress.message) },
            )
            when (outcome.execution.status) {
                ExecutionStatus.Completed -> fulfil(outcome.receipt)
                ExecutionStatus.Failed -> println(outcome.execution.gatewayMessage)
                else -> resumeLater(outcome.referenceId)   // still in flight at the deadline: never pay again
            }

            // Errors: one class per kind, with the API's status, details and the reference id to resume with.
            try {
                client.payout(payoutRequest(phone, BigDecimal("10.00"), "USD", passcode, merchantPhone).copy(recipientName = "Musu"))
            } catch (e: DollrException.PermissionDenied) {
                println("not allowed: ${e.errorReason}")
            } catch (e: DollrException) {
                println("${e.kind}: ${e.errorReason}")
            }

            // A cancellable wait.
            val wait = appClient.status().wait(OperationType.Collection, outcome.referenceId)
            val result = wait.result()            // or wait.cancel() from elsewhere: result() is then StillProcessing

            assertEquals(1, fulfilled.size)
            assertTrue(fulfilled[0] != null, "a completed collection has a receipt")
            assertTrue(result is WaitOutcome.Finished, "the app's token-provider client read the final status: $result")
            val stats = sandbox.statsJson()
            assertEquals(0L, stats.long("duplicate_payments"))
            assertEquals(2L, stats.long("executions", "created"), "the collection and the payout")
            listOf(client, appClient, tokenSource).forEach { it.close() }
        }
    }

    @Test
    fun `the Kotlin README's blocking client example collects a payment`() {
        TestSandbox.start(SandboxOptions(settleMs = 20uL)).use { sandbox ->
            val clientId = sandbox.clientId()
            val clientSecret = sandbox.clientSecret()
            val baseUrl = sandbox.url()

            DollrBlockingClient(clientId, clientSecret, ClientOptions(baseUrl = baseUrl)).use { blocking ->
                val outcome = blocking.collect(collectRequest("231771234567", BigDecimal("25.00"), "USD").copy(payerName = "Amara Kamara"))
                val status = blocking.status().collection(outcome.referenceId).status     // returns when the API answered
                println("${outcome.execution.status} $status")
            }

            // The block's collection happened, once (BlockingClientTest checks its outcome and the rest).
            assertEquals(1L, sandbox.statsJson().long("executions", "created"))
            assertEquals(0L, sandbox.statsJson().long("duplicate_payments"))
        }
    }

    @Test
    fun `the Kotlin README's TestSandbox example runs`(): Unit = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 20uL)).use { sandbox ->   // stopped at the end of the block
            sandbox.client().use { client ->                                  // the sandbox's URL and credentials
                val outcome = client.collect(collectRequest("231771234567", BigDecimal("25.00"), "USD").copy(payerName = "Amara Kamara"))
                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
            }
            sandbox.setFaults("""{"rules":[{"kind":"error","status":503,"scope":"v1","count":1}]}""")   // the next call gets a 503
            println(sandbox.stats())                                          // its counters, as JSON
        }
    }
}
