package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.CreatePartyRequest
import app.heydollr.dollr.model.ErrorKind
import app.heydollr.dollr.model.ExecutionStatus
import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.Party
import app.heydollr.dollr.model.RequestOptions
import app.heydollr.dollr.model.WaitOutcome
import kotlinx.serialization.json.JsonObject
import java.math.BigDecimal
import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.Callable
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** DollrBlockingClient: the same resources and flows as DollrClient, each call run on the caller's thread. */
class BlockingClientTest {
    @Test
    fun `a collection runs end to end on the calling thread`() {
        TestSandbox.start().use { sandbox ->
            sandbox.blockingClient(quickClientOptions()).use { client ->
                val threads = Collections.synchronizedSet(mutableSetOf<Thread>())
                val outcome = client.collect(
                    collectRequest("231771234567", BigDecimal("25.00"), "USD")
                        .copy(payerName = "Amara Kamara", options = quickFlow()),
                    flowListener { threads.add(Thread.currentThread()) },
                )
                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
                assertEquals(BigDecimal("25.00"), outcome.totalAmount)
                // The flow's steps were reported from the thread that called: nothing ran elsewhere.
                assertEquals(setOf(Thread.currentThread()), threads.toSet())
                assertEquals(ExecutionStatus.Completed, client.status().collection(outcome.referenceId).status)
                assertEquals(1, sandbox.executionsCreated())
            }
        }
    }

    @Test
    fun `resources, validation and errors are the suspending client's`() {
        TestSandbox.start().use { sandbox ->
            sandbox.blockingClient(quickClientOptions()).use { client ->
                val party = client.parties().create(CreatePartyRequest("Musu Kollie", "231771234567"))
                assertEquals("Musu Kollie", client.parties().retrieve(party.id).fullname)
                val before = sandbox.requestsTotal()
                val refused = assertThrows(DollrException.Validation::class.java) {
                    client.parties().create(CreatePartyRequest("", "231771234567"))
                }
                assertEquals("fullname", refused.field)
                assertEquals(ErrorKind.VALIDATION, refused.kind)
                assertEquals(before, sandbox.requestsTotal(), "a refused argument is not sent")
                assertThrows(DollrException.NotFound::class.java) { client.parties().retrieve(999_999) }
                val text = client.withOptions(RequestOptions(maxRetries = 0u)).toString()
                assertTrue(text.startsWith("DollrBlockingClient(") && "clientId=${sandbox.clientId()}" in text, text)
                assertFalse(sandbox.clientSecret() in text, text)
            }
        }
    }

    @Test
    fun `a listener calls its own blocking client, and every call starts from a clean status`() {
        // The flow runs as a task of the client's runtime and its steps reach the listener on this
        // thread, outside the runtime (OwnRuntime::block_on_with_events): the listener's calls to
        // the same client, refused ones and ones that wait on the network, are driven here while
        // `collect` goes on. A thread reuses its call statuses
        // (bindings-swift/uniffi-bindgen/src/kotlin_jna.rs), emptied before each call: Rust writes
        // one only when a call fails, so a status left as a refused call wrote it would make the
        // next call — the listener's create, `collect` itself — fail too.
        TestSandbox.start().use { sandbox ->
            sandbox.blockingClient(quickClientOptions()).use { client ->
                val caller = Thread.currentThread()
                val refusedInListener = mutableListOf<String?>()
                val createdInListener = mutableListOf<Party>()
                val outcome = client.collect(
                    collectRequest("231771234567", BigDecimal("5.00"), "USD")
                        .copy(payerName = "Amara Kamara", options = quickFlow()),
                    flowListener {
                        assertEquals(caller, Thread.currentThread(), "steps reach the listener on the calling thread")
                        refusedInListener += assertThrows(DollrException.Validation::class.java) {
                            client.parties().create(CreatePartyRequest("", "231771234567"))
                        }.field
                        createdInListener += client.parties().create(
                            CreatePartyRequest("Listener ${createdInListener.size}", "231771234567"),
                        )
                    },
                )
                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
                assertTrue(refusedInListener.size >= 2, "the listener ran for each step: $refusedInListener")
                assertEquals(setOf("fullname"), refusedInListener.toSet())
                assertEquals(refusedInListener.size, createdInListener.size)
                createdInListener.forEachIndexed { i, party ->
                    assertEquals("Listener $i", client.parties().retrieve(party.id).fullname)
                }
                val party = client.parties().create(CreatePartyRequest("Musu Kollie", "231771234567"))
                repeat(3) {
                    val refused = assertThrows(DollrException.Validation::class.java) {
                        client.parties().create(CreatePartyRequest("", "231771234567"))
                    }
                    assertEquals("fullname", refused.field)
                    assertEquals("Musu Kollie", client.parties().retrieve(party.id).fullname)
                }
            }
        }
    }

    @Test
    fun `threads share one blocking client and every payment happens once`() {
        TestSandbox.start().use { sandbox ->
            sandbox.blockingClient(quickClientOptions()).use { client ->
                val pool = Executors.newFixedThreadPool(8)
                try {
                    val outcomes = pool.invokeAll(
                        (1..24).map { i ->
                            Callable {
                                client.collect(
                                    collectRequest("231771234567", BigDecimal(i).movePointLeft(2) + BigDecimal.ONE, "USD")
                                        .copy(payerName = "Payer $i", options = quickFlow()),
                                )
                            }
                        },
                        120,
                        TimeUnit.SECONDS,
                    ).map { it.get() }
                    assertEquals(24, outcomes.count { it.execution.status == ExecutionStatus.Completed })
                    assertEquals(24, outcomes.map { it.referenceId }.toSet().size)
                    assertEquals(24, sandbox.executionsCreated())
                    assertEquals(0, sandbox.statsJson().long("duplicate_payments"))
                } finally {
                    pool.shutdownNow()
                }
            }
        }
    }

    @Test
    fun `a blocking wait follows a payment to its end, and its listener may call the same client`() {
        // A ten-minute settle time: the payment moves only when the test (or the listener) moves it.
        TestSandbox.start(SandboxOptions(settleMs = 600_000uL)).use { sandbox ->
            sandbox.blockingClient(quickClientOptions()).use { client ->
                val started = client.collect(
                    collectRequest(testNumbers()["SLOW"]!!, BigDecimal("20.00"), "USD")
                        .copy(payerName = "Patient Payer", options = quickFlow(waitTimeoutMs = 300)),
                )
                assertFalse(started.settled)
                val polling = WaitOptions(initialInterval = ms(10), maxInterval = ms(50))
                // Nothing moves it: the wait returns at its deadline, to be resumed by the same id.
                val deadline = client.status().wait(OperationType.Collection, started.referenceId, polling.copy(timeout = ms(200)))
                deadline as WaitOutcome.StillProcessing
                assertEquals(started.referenceId, deadline.referenceId)

                assertEquals("PROCESSING", sandbox.advance(started.referenceId))
                val caller = Thread.currentThread()
                val seen = mutableListOf<String>()
                val lookedUp = mutableListOf<String>()
                val outcome = client.status().wait(
                    OperationType.Collection,
                    started.referenceId,
                    polling,
                    transitionListener { change ->
                        assertEquals(caller, Thread.currentThread(), "changes reach the listener on the calling thread")
                        seen += change.to.toString()
                        // A status lookup on the network, by the client whose wait called the listener.
                        lookedUp += client.status().collection(started.referenceId).status.toString()
                        if (change.to.toString() == "PROCESSING") sandbox.advanceToFinal(started.referenceId)
                    },
                )
                outcome as WaitOutcome.Finished
                assertEquals("COMPLETED", outcome.execution.status.toString())
                assertEquals(listOf("PROCESSING", "COMPLETED"), seen)
                assertEquals(listOf("PROCESSING", "COMPLETED"), lookedUp)
            }
        }
    }

    @Test
    fun `a blocking client reconciles the payments its journal left unresolved, without a duplicate`(@TempDir dir: Path) {
        val faults = """{"rules": [{"kind": "drop_response", "scope": "executions", "count": 2}]}"""
        TestSandbox.start(SandboxOptions(settleMs = 600_000uL, faultsJson = faults)).use { sandbox ->
            val journal = dir.resolve("payments.db").toString()
            val payments = 3
            sandbox.blockingClient(quickClientOptions().copy(journal = journal)).use { client ->
                repeat(payments) { i ->
                    val request = collectRequest("231771234567", BigDecimal("1.00") + BigDecimal(i), "USD")
                        .copy(payerName = "Payer $i", options = quickFlow(waitTimeoutMs = 50))
                    try {
                        assertFalse(client.collect(request).settled, "nothing settles before advanceToFinal")
                    } catch (_: DollrException.AmbiguousExecution) {
                        // A lost response: the journal has the intent, reconcile resolves it.
                    }
                }
            }
            val references = (sandbox.statsJson().path("executions", "by_reference_id") as JsonObject).keys
            assertEquals(payments, references.size, "one execution per payment")
            references.forEach { sandbox.advanceToFinal(it) }
            sandbox.clearFaults()
            sandbox.blockingClient(quickClientOptions().copy(journal = journal)).use { restarted ->
                checkEveryIntentCompleted(restarted.reconcile(), references) { restarted.reconcile() }
            }
            assertEquals(payments.toLong(), sandbox.executionsCreated())
            assertEquals(0, sandbox.statsJson().long("duplicate_payments"))
        }
    }

    @Test
    fun `a blocking client gets its tokens from a provider, and a fresh one after a 401`() {
        TestSandbox.start().use { sandbox ->
            // The service that holds the client secret and hands out short-lived tokens.
            sandbox.client().use { issuer ->
                val requests = CopyOnWriteArrayList<Boolean>()
                val provider = recordingTokenProvider(issuer, requests)
                DollrBlockingClient.withTokenProvider(provider, ClientOptions(baseUrl = sandbox.url(), ignoreEnv = true)).use { client ->
                    checkTokensComeFromTheProvider(sandbox, requests) {
                        assertTrue(client.fees().tiers().isNotEmpty())
                    }
                }
            }
        }
    }
}
