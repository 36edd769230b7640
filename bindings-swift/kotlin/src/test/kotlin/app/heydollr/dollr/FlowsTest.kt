package app.heydollr.dollr

import app.heydollr.dollr.model.CreateCounterpartyRequest
import app.heydollr.dollr.model.CreatePartyRequest
import app.heydollr.dollr.model.ExecutionStatus
import app.heydollr.dollr.model.FlowEvent
import app.heydollr.dollr.model.FlowProgress
import app.heydollr.dollr.model.LineItem
import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.RelationshipType
import app.heydollr.dollr.model.SourceReceipt
import app.heydollr.dollr.model.SourceStatus
import app.heydollr.dollr.model.SourceType
import app.heydollr.dollr.model.WaitOutcome
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.math.BigDecimal
import java.util.concurrent.CopyOnWriteArrayList

/** The collect, payout, transfer and refund flows end to end on the in-process sandbox. */
class FlowsTest {
    @Test
    fun `a collection completes with a receipt, exact amounts and its progress reported in order`(): Unit = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 300uL)).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val events = CopyOnWriteArrayList<FlowProgress>()
                val request = collectRequest("231771234567", BigDecimal("0"), "USD").copy(
                    items = listOf(
                        LineItem("Tea", 3, BigDecimal("0.10")),
                        LineItem("Bread", 1, BigDecimal("0.20")),
                    ),
                    payerName = "Amara Kamara",
                    options = quickFlow(),
                )
                val outcome = client.collect(request, flowListener { events.add(it) })

                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
                assertTrue(outcome.settled)
                // 3 × 0.10 + 0.20 is exactly 0.50: no binary float anywhere on the way.
                assertEquals(BigDecimal("0.50"), outcome.totalAmount)
                // First the execute call's answer, last the final status; PROCESSING in between when a
                // poll lands in its window (settle 300 ms: PROCESSING from 150 ms).
                val statuses = outcome.transitions.map { it.to.toString() }
                assertTrue(statuses == listOf("PENDING", "PROCESSING", "COMPLETED") || statuses == listOf("PENDING", "COMPLETED"), "$statuses")
                assertEquals(SourceStatus.Paid, outcome.sourceStatus)
                val receipt = outcome.receipt as SourceReceipt.Invoice
                assertEquals(BigDecimal("0.50"), receipt.v1.totalAmount)
                assertEquals(outcome.sourceNumber, receipt.v1.invoiceNumber)
                assertNotNull(outcome.feePrediction)
                assertEquals(1, sandbox.executionsCreated())

                // The listener gets the core's own FlowEvent (one definition for every language).
                val names = events.map { it.event::class.simpleName }
                assertEquals("Validated", names.first())
                assertEquals("ReceiptFetched", names.last())
                assertTrue(names.indexOf("ExecutionStarting") < names.indexOf("ExecutionSubmitted"), "$names")
                val changes = events.mapNotNull { it.event as? FlowEvent.StatusChanged }
                assertEquals(statuses, changes.map { it.transition.to.toString() })
                assertTrue(changes.all { it.referenceId == outcome.referenceId })
                assertTrue(events.all { it.message.isNotEmpty() })
                assertTrue(events.zipWithNext().all { (a, b) -> a.elapsed <= b.elapsed })
            }
        }
    }

    @Test
    fun `listeners of the suspending client may call the same client and wait for it`(): Unit = runBlocking {
        // The SDK's runtime has one worker, and listeners are called from its tasks: one that
        // blocks on a call of the same client would wait forever for the worker it is holding,
        // unless the runtime goes on without it (`call_foreign`). Each listener here blocks its
        // thread on such a call (`runBlocking`), for every event; bounded, so that a runtime that
        // stops makes the listener throw (ignored by the flow) and the assertions fail, not hang.
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val lookedUp = CopyOnWriteArrayList<String>()
                val outcome = withTimeout(60_000) {
                    client.collect(
                        collectRequest("231771234567", BigDecimal("5.00"), "USD")
                            .copy(payerName = "Listening Payer", options = quickFlow()),
                        flowListener { progress ->
                            val tiers = runBlocking { withTimeout(20_000) { client.fees().tiers() } }
                            lookedUp.add("${progress.event::class.simpleName}:${tiers.isNotEmpty()}")
                        },
                    )
                }
                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
                assertTrue(lookedUp.isNotEmpty() && lookedUp.all { it.endsWith(":true") }, "$lookedUp")

                // A second client resumes the payment (its journal has never seen it, so it reports
                // the status it observes), and its listener calls it.
                sandbox.client(quickClientOptions()).use { resumer ->
                    val seen = CopyOnWriteArrayList<String>()
                    val handle = resumer.status().wait(
                        OperationType.Collection,
                        outcome.referenceId,
                        WaitOptions(initialInterval = ms(10), maxInterval = ms(50)),
                        transitionListener { change ->
                            val again = runBlocking { withTimeout(20_000) { resumer.status().collection(outcome.referenceId) } }
                            seen.add("${change.to}:${again.status}")
                        },
                    )
                    val waited = withTimeout(60_000) { handle.result() }
                    assertTrue(waited is WaitOutcome.Finished, "$waited")
                    assertEquals(listOf("COMPLETED:COMPLETED"), seen.toList())
                }
            }
        }
    }

    @Test
    fun `a payout completes and debits the merchant wallet by exactly what the execution says`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val before = BigDecimal(sandbox.walletJson("USD")["balance"]!!.jsonPrimitive.content)
                val request = payoutRequest("231771234567", BigDecimal("10.00"), "USD", sandbox.passcode(), "231779999999")
                    .copy(recipientName = "Musu Doe", options = quickFlow())
                val outcome = client.payout(request)

                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
                assertEquals(BigDecimal("10.00"), outcome.execution.payeeAmount)
                val after = BigDecimal(sandbox.walletJson("USD")["balance"]!!.jsonPrimitive.content)
                assertEquals(0, (before - outcome.execution.payerAmount).compareTo(after), "$before - ${outcome.execution.payerAmount} != $after")
                // The passcode never shows in the request's string form.
                assertTrue("code=[REDACTED]" in request.toString(), request.toString())
            }
        }
    }

    @Test
    fun `a transfer and a partial refund complete`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val party = client.parties().create(CreatePartyRequest(fullname = "Partner Ltd", phone = "231881234567"))
                val counterparty = client.counterparties().create(
                    CreateCounterpartyRequest(relationshipType = RelationshipType.Beneficiary, partyId = party.id),
                )
                val walletId = sandbox.walletJson("USD")["id"]!!.jsonPrimitive.long
                val transfer = client.transfer(
                    transferRequest(walletId, counterparty.id, BigDecimal("30.00"), "USD").copy(options = quickFlow()),
                )
                assertEquals(ExecutionStatus.Completed, transfer.execution.status)

                val original = client.collect(
                    collectRequest("231771234567", BigDecimal("40.00"), "USD")
                        .copy(payerName = "Refund Me", options = quickFlow()),
                )
                assertTrue(original.execution.status == ExecutionStatus.Completed)
                val intent = sandbox.paymentIntentsJson().map { it.jsonObject }
                    .first { it["reference_id"]!!.jsonPrimitive.content == original.referenceId }
                val refund = client.refund(
                    refundRequest(intent["id"]!!.jsonPrimitive.long, BigDecimal("15.00"))
                        .copy(reason = "one item returned", options = quickFlow()),
                )
                assertEquals(ExecutionStatus.Completed, refund.execution.status)
                assertEquals(3, sandbox.executionsCreated())
            }
        }
    }

    @Test
    fun `an existing invoice is paid by id, and the resource calls see the same document`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val party = client.parties().create(CreatePartyRequest(fullname = "Kebeh Flomo", phone = "231771234567"))
                val counterparty = client.counterparties().create(
                    CreateCounterpartyRequest(relationshipType = RelationshipType.Customer, partyId = party.id),
                )
                val invoices = client.invoices()
                val invoice = invoices.create(
                    app.heydollr.dollr.model.CreateSourceRequest(
                        counterpartyId = counterparty.id,
                        currency = "LRD",
                        note = "Rice",
                        feeBearer = app.heydollr.dollr.model.FeeBearer.Payee,
                        asPaymentLink = false,
                    ),
                )
                invoices.addItem(invoice.id, app.heydollr.dollr.model.AddItemRequest("Rice 25kg", "LRD", 2, BigDecimal("1750.25")))
                val outcome = client.collect(
                    collectRequestForSource("231771234567", SourceType.Invoice, invoice.id).copy(options = quickFlow()),
                )
                assertEquals(ExecutionStatus.Completed, outcome.execution.status)
                assertTrue(!outcome.sourceCreated)
                val detail = invoices.retrieve(invoice.id)
                assertEquals(SourceStatus.Paid, detail.status)
                assertEquals(BigDecimal("3500.50"), detail.totalAmount)
                assertEquals(detail.invoiceNumber, invoices.receipt(invoice.id).invoiceNumber)
                assertEquals(SourceStatus.Paid, client.status().source(SourceType.Invoice, invoice.id).status)
            }
        }
    }

    @Test
    fun `a FAILED payment is an outcome, not an exception`(): Unit = runBlocking {
        TestSandbox.start().use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val outcome = client.collect(
                    collectRequest(testNumbers()["DECLINES"]!!, BigDecimal("15.00"), "USD")
                        .copy(payerName = "Declined Payer", options = quickFlow()),
                )
                assertEquals(ExecutionStatus.Failed, outcome.execution.status)
                assertTrue(outcome.execution.gatewayMessage!!.contains("declined", ignoreCase = true))
                assertEquals(null, outcome.receipt)
            }
        }
    }

    @Test
    fun `the flow's wait ends at its deadline with the payment still in flight`(): Unit = runBlocking {
        TestSandbox.start(SandboxOptions(settleMs = 200uL)).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val outcome = client.collect(
                    collectRequest(testNumbers()["SLOW"]!!, BigDecimal("20.00"), "USD")
                        .copy(payerName = "Patient Payer", options = quickFlow(waitTimeoutMs = 300)),
                )
                assertTrue(!outcome.settled)
                assertEquals(ExecutionStatus.Processing, outcome.execution.status)
                // Resume by reference id, never with a new payment.
                assertEquals("COMPLETED", sandbox.advanceToFinal(outcome.referenceId))
                assertEquals(ExecutionStatus.Completed, client.status().execution(OperationType.Collection, outcome.referenceId).status)
            }
        }
    }
}
