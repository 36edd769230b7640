package example

import app.heydollr.dollr.TestSandbox
import app.heydollr.dollr.model.ExecutionStatus
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.math.BigDecimal

// What `make check-dist-kotlin` proves about the installed jars: the SDK loads its native library
// from its own jar, TestSandbox runs the sandbox binary from dollr-testing's jar, a collect and a
// payout complete, and the production library carries no sandbox.
class PaymentsTest {
    private fun TestSandbox.statsJson(): JsonObject = Json.parseToJsonElement(stats()).jsonObject

    private fun TestSandbox.usdBalance(): BigDecimal =
        Json.parseToJsonElement(wallets()).jsonArray.map { it.jsonObject }
            .first { it["currency"]?.jsonPrimitive?.content == "USD" }["balance"]!!.jsonPrimitive.content
            .let(::BigDecimal)

    @Test
    fun `a collect and a payout complete on the sandbox that dollr-testing brings`(): Unit = runBlocking {
        // Nothing from the checkout: the jars must bring the library and the binary.
        assertNull(System.getProperty("jna.library.path"))
        assertNull(System.getenv(TestSandbox.BINARY_ENV))

        TestSandbox.start().use { sandbox ->
            // The sandbox is the binary dollr-testing carries, extracted to a temporary file.
            val children = ProcessHandle.current().children().toList().map { it.info().command().orElse("") }
            assertTrue(children.any { it.endsWith("/dollr") && "dollr-sandbox-" in it }, "sandbox processes: $children")

            sandbox.client().use { client ->
                val payments = Payments(client)
                val collected = payments.collect("231771234567", BigDecimal("25.00"), "USD")
                assertEquals(ExecutionStatus.Completed, collected.execution.status)
                assertEquals(BigDecimal("25.00"), collected.totalAmount)

                val before = sandbox.usdBalance()
                val paid = payments.payout("231771234567", BigDecimal("10.00"), "USD", sandbox.passcode(), "231779999999")
                assertEquals(ExecutionStatus.Completed, paid.execution.status)
                assertEquals(BigDecimal("10.00"), paid.execution.payeeAmount)

                // The sandbox's own counters: two executions, none paid twice; the payout debited
                // the merchant's wallet (which the collection credited) by what it cost.
                val stats = sandbox.statsJson()
                assertEquals(2L, stats["executions"]!!.jsonObject["created"]!!.jsonPrimitive.long, "$stats")
                assertEquals(0L, stats["duplicate_payments"]!!.jsonPrimitive.long, "$stats")
                assertEquals(0, (before - paid.execution.payerAmount).compareTo(sandbox.usdBalance()))
            }
        }
    }

    @Test
    fun `the production library is in the dollr jar and carries no sandbox`() {
        val loader = javaClass.classLoader
        val libraries = loader.getResources("linux-x86-64/libdollr_ffi.so").toList()
        assertEquals(1, libraries.size, "$libraries")
        assertTrue("/dollr-0.1.0.jar!" in libraries[0].toString(), "${libraries[0]}")
        val library = libraries[0].openStream().use { it.readBytes() }
        assertFalse(library.contains("dollr_sandbox"), "libdollr_ffi.so contains the sandbox crate")
        assertNull(loader.getResource("app/heydollr/dollr/TestSandbox.class")?.takeIf { "/dollr-0.1.0.jar!" in it.toString() })

        // The same search finds the sandbox where it is: in the binary dollr-testing carries.
        val binary = loader.getResource("linux-x86-64/dollr")!!
        assertTrue("/dollr-testing-0.1.0.jar!" in binary.toString(), "$binary")
        assertTrue(binary.openStream().use { it.readBytes() }.contains("dollr_sandbox"))
    }

    private fun ByteArray.contains(text: String): Boolean {
        val needle = text.toByteArray()
        return (0..size - needle.size).any { start -> needle.indices.all { this[start + it] == needle[it] } }
    }
}
