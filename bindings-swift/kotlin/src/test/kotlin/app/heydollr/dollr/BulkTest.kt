package app.heydollr.dollr

import app.heydollr.dollr.model.BulkPayoutRequest
import app.heydollr.dollr.model.BulkPayoutRow
import app.heydollr.dollr.model.BulkRowStatus
import app.heydollr.dollr.model.FlowEvent
import app.heydollr.dollr.model.FlowProgress
import app.heydollr.dollr.model.PasscodeToken
import app.heydollr.dollr.model.SecretValue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.math.BigDecimal
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList

/** `client.bulkPayout` (suspend + listener): one result per row, and a resumed second run. */
class BulkTest {
    @Test
    fun `a batch reports every row to its listener and a second run resumes from the journal`(): Unit = runBlocking {
        val dir = Files.createTempDirectory("dollr-kotlin-bulk")
        val journal = dir.resolve("journal.sqlite").toString()
        TestSandbox.start(SandboxOptions(settleMs = 5uL)).use { sandbox ->
            val rows = (0 until 6).map { i ->
                BulkPayoutRow(
                    phone = if (i % 3 == 2) "231770000001" else "231771234567",
                    amount = BigDecimal("4.00"),
                    currency = "USD",
                    name = "Agent $i",
                    rowId = "agent-$i",
                )
            }
            val request = BulkPayoutRequest(
                rows = rows,
                passcode = PasscodeToken(code = SecretValue(sandbox.passcode()), phone = "231779999999"),
                batchId = "kotlin-batch-1",
                options = quickFlow(),
            )
            val events = CopyOnWriteArrayList<FlowProgress>()
            val report = sandbox.client(quickClientOptions().copy(journal = journal)).use { client ->
                client.bulkPayout(request, flowListener { events.add(it) })
            }
            assertEquals(
                rows.indices.map { if (it % 3 == 2) BulkRowStatus.FAILED else BulkRowStatus.COMPLETED },
                report.rows.map { it.status },
            )
            assertEquals(BigDecimal("16.00"), report.totals.single().paid)
            assertEquals(6L, sandbox.executionsCreated())
            assertTrue(events.first().event is FlowEvent.BulkStarted)
            assertEquals(6, events.count { it.event is FlowEvent.BulkRowFinished })

            val again = sandbox.client(quickClientOptions().copy(journal = journal)).use { client ->
                client.bulkPayout(request)
            }
            assertEquals(6uL, again.resumed)
            assertEquals(report.rows.map { it.referenceId }, again.rows.map { it.referenceId })
            assertEquals(6L, sandbox.executionsCreated())
        }
        dir.toFile().deleteRecursively()
    }
}
