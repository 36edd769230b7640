package app.heydollr.dollr

import app.heydollr.dollr.model.CheckoutItem
import app.heydollr.dollr.model.CreateCounterpartyRequest
import app.heydollr.dollr.model.CreatePartyRequest
import app.heydollr.dollr.model.Execution
import app.heydollr.dollr.model.FeeBearer
import app.heydollr.dollr.model.LineItem
import app.heydollr.dollr.model.RelationshipType
import app.heydollr.dollr.model.SourceType
import app.heydollr.dollr.model.SourceWaitOptions
import app.heydollr.dollr.model.StatusTransition
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import kotlinx.serialization.json.longOrNull
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.File
import java.math.BigDecimal
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

/**
 * The shared conformance scenarios (the JSON files of `tests/scenarios`, format in its README), each against
 * a fresh in-process sandbox configured as the scenario says: the same files the Rust, Python and
 * Node suites run.
 */
class ScenariosTest {
    private val dir = File(System.getProperty("dollr.scenarios.dir") ?: "../../tests/scenarios")
    private val format = ScenarioFormat(dir)

    private fun jsonFiles(directory: File) = directory.listFiles { f -> f.name.endsWith(".json") }.orEmpty().sortedBy { it.name }

    @TestFactory
    fun `every scenario behaves as it says`(): List<DynamicTest> {
        val files = jsonFiles(dir)
        assertTrue(files.size >= 20, "expected the scenarios in ${dir.absolutePath}")
        return files.map { file -> DynamicTest.dynamicTest(file.nameWithoutExtension) { runBlocking { run(file) } } }
    }

    @Test
    fun `the scenarios cover every flow`() {
        val flows = jsonFiles(dir).map { parseJson(it.readText()).jsonObject.text("flow") }.toSet()
        assertEquals(format.flows.toSet(), flows)
    }

    /** Deliberately broken files (`format/invalid/`): each refused naming what is wrong, never run. */
    @TestFactory
    fun `every broken scenario is refused naming what is wrong`(): List<DynamicTest> {
        val mustName = parseJson(File(dir, "format/invalid.json").readText()).jsonObject
        val files = jsonFiles(File(dir, "format/invalid"))
        assertEquals(mustName.keys.sorted(), files.map { it.nameWithoutExtension })
        return files.map { file ->
            DynamicTest.dynamicTest(file.nameWithoutExtension) {
                val wanted = mustName.text(file.nameWithoutExtension)!!
                val problems = format.problems(file, parseJson(file.readText()))
                assertTrue(problems.isNotEmpty(), "${file.name} was accepted, but it is broken ($wanted)")
                assertTrue(problems.any { wanted in it }, "${file.name}: the refusal does not name $wanted: $problems")
            }
        }
    }

    /**
     * An input no Kotlin value can hold is the type system's refusal, the verdict the scenario asks
     * for: such a scenario must expect a Validation error, its class is one of [notExpressible]
     * (each with its reason), and every class listed is used.
     */
    @Test
    fun `inputs Kotlin cannot express are listed with their reason`() {
        val used = mutableSetOf<String>()
        for (file in jsonFiles(dir)) {
            val scenario = parseJson(file.readText()).jsonObject
            val inputClass = notExpressibleClass(scenario) ?: continue
            assertTrue(inputClass in notExpressible, "${file.name}: unlisted class $inputClass")
            val expect = scenario["expect"]!!.jsonObject
            assertEquals(listOf("error", "Validation"), listOf(expect.text("outcome"), expect.text("error_kind")), file.name)
            used += inputClass
        }
        assertEquals(notExpressible.keys, used, "every listed class is used by a scenario")
    }

    @Test
    fun `fields compare in every language spelling`() {
        for ((expected, reported) in listOf(
            "wait_timeout" to "options.wait_timeout", "wait_timeout" to "waitTimeoutMs", "wait_timeout" to "waitTimeout",
            "poll_interval" to "options.pollInterval", "items.0.amount" to "items.0.amount", "recipient_name" to "recipientName",
        )) {
            assertEquals(ScenarioFormat.fieldKey(expected), ScenarioFormat.fieldKey(reported), reported)
        }
        assertNotEquals(ScenarioFormat.fieldKey("amount"), ScenarioFormat.fieldKey("items.0.amount"))
    }

    @Test
    fun `transitions compare as the README says`() {
        // The cases every runner checks (format/transitions.json).
        val cases = parseJson(File(dir, "format/transitions.json").readText()).jsonObject["cases"] as JsonArray
        assertTrue(cases.isNotEmpty())
        for (case in cases) {
            val fields = case.jsonObject
            val statuses = { key: String -> (fields[key] as JsonArray).map { it.jsonPrimitive.content } }
            val match = fields["match"]!!.jsonPrimitive.booleanOrNull!!
            assertEquals(match, ScenarioFormat.transitionsMatch(statuses("expected"), statuses("observed")), fields.toString())
        }
    }

    /** Inputs a scenario can give that no Kotlin value holds (the compiler refuses them). */
    private val notExpressible = mapOf(
        "native_number_amount" to "amounts are java.math.BigDecimal: no Double, NaN or infinity can be passed",
        "native_number_qty" to "LineItem.qty is a Long: no Double, NaN or infinity can be passed",
        "native_number_duration" to "durations are java.time.Duration: no NaN or infinity, and nothing beyond Long milliseconds",
        "string_duration" to "durations are java.time.Duration: a String cannot be passed",
    )

    /** The class (a key of [notExpressible]) of the first input of [scenario] no Kotlin value holds, if any. */
    private fun notExpressibleClass(scenario: JsonObject): String? {
        val input = scenario["input"]!!.jsonObject
        val original = input["original"] as? JsonObject
        val items = listOfNotNull(input["items"] as? JsonArray, original?.get("items") as? JsonArray).flatten().map { it.jsonObject }
        if (items.any { it["qty"] is JsonObject }) return "native_number_qty"
        val amounts = listOfNotNull(input["amount"], original?.get("amount")) + items.mapNotNull { it["amount"] }
        if (amounts.any { it is JsonObject }) return "native_number_amount"
        val options = scenario["options"] as? JsonObject ?: return null
        for (key in listOf("wait_timeout_ms", "poll_interval_ms")) {
            val value = options[key] ?: continue
            when {
                value is JsonObject -> return "native_number_duration"
                (value as JsonPrimitive).isString -> return "string_duration"
                value.longOrNull == null -> return "native_number_duration"
            }
        }
        return null
    }

    /** What a flow produced, in the terms `expect` uses. */
    private class Observed {
        var error: DollrException? = null
        var status: String? = null
        var transitions: List<String> = emptyList()
        var gatewayMessage: String? = null
        var walletMessage: String? = null
        val flags = mutableMapOf<String, Boolean>()
        var source: Pair<SourceType, Long>? = null
        var paymentMethod: String? = null
        var payCurrency: String? = null
        var totalAmount: BigDecimal? = null
        var sourceNumber: String? = null

        fun record(execution: Execution, transitions: List<StatusTransition>) {
            status = execution.status.toString()
            gatewayMessage = execution.gatewayMessage
            walletMessage = execution.walletMessage
            this.transitions = transitions.map { it.to.toString() }
        }
    }

    private fun JsonObject.text(key: String): String? = (this[key] as? JsonPrimitive)?.takeIf { it.isString }?.content
    private fun JsonObject.money(key: String): BigDecimal = BigDecimal(text(key) ?: error("`$key` must be a decimal string"))

    private suspend fun run(file: File) {
        val problems = format.problems(file, parseJson(file.readText()))
        assertTrue(problems.isEmpty(), "${file.name} is not a well-formed scenario:\n  " + problems.joinToString("\n  "))
        val scenario = parseJson(file.readText()).jsonObject
        notExpressibleClass(scenario)?.let { inputClass ->
            // Listed and checked by `inputs Kotlin cannot express are listed with their reason`.
            println("${file.name}: not expressible in Kotlin ($inputClass): ${notExpressible[inputClass]}")
            return
        }
        val settings = scenario["sandbox"]?.jsonObject ?: JsonObject(emptyMap())
        val options = SandboxOptions(
            settleMs = (settings["settle_ms"] as? JsonPrimitive)?.longOrNull?.toULong() ?: 20uL,
            verified = (settings["verified"] as? JsonPrimitive)?.booleanOrNull,
            wallets = settings["wallets"]?.jsonObject?.mapValues { (_, v) -> BigDecimal(v.jsonPrimitive.content) } ?: emptyMap(),
            faultsJson = settings["faults"]?.toString(),
        )
        TestSandbox.start(options).use { sandbox ->
            sandbox.client(quickClientOptions()).use { client ->
                val observed = runFlow(scenario, sandbox, client)
                val problems = check(scenario, sandbox, client, observed)
                assertTrue(problems.isEmpty(), "${file.name}:\n  " + problems.joinToString("\n  "))
            }
        }
    }

    private fun collectRequestOf(input: JsonObject, order: Boolean, flow: app.heydollr.dollr.model.FlowSettings) =
        collectRequest(input.text("phone")!!, BigDecimal.ZERO, input.text("currency")!!).let { base ->
            base.copy(
                items = (input["items"] as? JsonArray)?.map {
                    val item = it.jsonObject
                    LineItem(item.text("name")!!, item["qty"]!!.jsonPrimitive.long, item.money("amount"))
                } ?: listOf(LineItem("Payment", 1, input.money("amount"))),
                payerName = input.text("payer_name"),
                payerEmail = input.text("payer_email"),
                payCurrency = input.text("pay_currency"),
                feeBearer = when (val bearer = input.text("fee_bearer")) {
                    null -> base.feeBearer
                    "PAYER" -> FeeBearer.Payer
                    "PAYEE" -> FeeBearer.Payee
                    else -> FeeBearer.Other(bearer)
                },
                predictFees = (input["predict_fees"] as? JsonPrimitive)?.booleanOrNull ?: base.predictFees,
                note = input.text("note") ?: base.note,
                sourceType = if (order) SourceType.Order else base.sourceType,
                options = flow,
            )
        }

    private suspend fun runFlow(scenario: JsonObject, sandbox: TestSandbox, client: DollrClient): Observed {
        val input = scenario["input"]!!.jsonObject
        val opts = scenario["options"]?.jsonObject
        val waitMs = (opts?.get("wait_timeout_ms") as? JsonPrimitive)?.longOrNull ?: 30_000
        val pollMs = (opts?.get("poll_interval_ms") as? JsonPrimitive)?.longOrNull ?: 10
        val flow = quickFlow(waitMs, pollMs)
        val observed = Observed()
        try {
            when (val name = scenario.text("flow")) {
                "collect", "collect_order" -> {
                    val outcome = client.collect(collectRequestOf(input, name == "collect_order", flow))
                    observed.record(outcome.execution, outcome.transitions)
                    observed.flags["receipt"] = outcome.receipt != null
                    observed.flags["fee_prediction"] = outcome.feePrediction != null
                    observed.source = outcome.sourceType to outcome.sourceId
                    observed.paymentMethod = outcome.provider.paymentMethod.toString()
                    observed.payCurrency = outcome.payCurrency
                    observed.totalAmount = outcome.totalAmount
                    observed.sourceNumber = outcome.sourceNumber
                }
                "payout" -> {
                    val passcode = scenario["client"]?.jsonObject?.text("passcode") ?: sandbox.passcode()
                    val request = payoutRequest(input.text("phone")!!, input.money("amount"), input.text("currency")!!, passcode, "231779999999")
                        .copy(recipientName = input.text("recipient_name"), options = flow)
                    val outcome = client.payout(request)
                    observed.record(outcome.execution, outcome.transitions)
                }
                "hosted_checkout" -> {
                    val currency = input.text("currency")!!
                    val request = hostedCheckoutRequest(input.text("phone")!!, BigDecimal.ZERO, currency).copy(
                        items = (input["items"] as? JsonArray)?.map {
                            val item = it.jsonObject
                            CheckoutItem(item.text("name")!!, currency, item.money("amount"))
                        } ?: listOf(CheckoutItem("Payment", currency, input.money("amount"))),
                        payerName = input.text("payer_name"),
                        successUrl = input.text("success_url"),
                        cancelUrl = input.text("cancel_url"),
                    )
                    val checkout = client.hostedCheckout(request)
                    observed.source = checkout.sourceType to checkout.sourceId
                    observed.totalAmount = checkout.totalAmount
                    observed.sourceNumber = checkout.sourceNumber
                    observed.flags["paid_before_payment"] = client.verifyPaid(checkout.sourceType, checkout.sourceId).paid
                    input.text("pay_with")?.let { phone ->
                        val answer = HttpClient.newHttpClient().send(
                            HttpRequest.newBuilder(URI("${checkout.url}/pay"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("""{"phone": "$phone"}"""))
                                .build(),
                            HttpResponse.BodyHandlers.ofString(),
                        )
                        check(answer.statusCode() in 200..299) { "paying on the hosted page answered ${answer.statusCode()}" }
                    }
                    val waited = client.waitSourcePaid(checkout.sourceType, checkout.sourceId, SourceWaitOptions(timeout = ms(waitMs), pollInterval = ms(pollMs), maxPollInterval = ms(100)))
                    observed.flags["paid"] = waited.paid
                    observed.flags["timed_out"] = waited.timedOut
                }
                "transfer" -> {
                    val walletId = sandbox.walletJson(input.text("from_wallet_currency")!!)["id"]!!.jsonPrimitive.long
                    val party = client.parties().create(CreatePartyRequest(fullname = input.text("to_name")!!, phone = input.text("to_phone")!!))
                    val counterparty = client.counterparties().create(
                        CreateCounterpartyRequest(relationshipType = RelationshipType.Beneficiary, partyId = party.id),
                    )
                    val outcome = client.transfer(
                        transferRequest(walletId, counterparty.id, input.money("amount"), input.text("currency")!!).copy(options = flow),
                    )
                    observed.record(outcome.execution, outcome.transitions)
                }
                "refund" -> {
                    val original = client.collect(collectRequestOf(input["original"]!!.jsonObject, false, flow))
                    check(original.execution.status.toString() == "COMPLETED") { "the original collection ended ${original.execution.status}" }
                    val intent = sandbox.paymentIntentsJson().map { it.jsonObject }
                        .first { it.text("reference_id") == original.referenceId }["id"]!!.jsonPrimitive.long
                    val outcome = client.refund(
                        refundRequest(intent, input.money("amount")).copy(reason = input.text("reason"), options = flow),
                    )
                    observed.record(outcome.execution, outcome.transitions)
                }
                else -> error("unknown flow $name")
            }
        } catch (error: DollrException) {
            observed.error = error
        }
        return observed
    }

    private suspend fun check(scenario: JsonObject, sandbox: TestSandbox, client: DollrClient, observed: Observed): List<String> {
        val expect = scenario["expect"]!!.jsonObject
        val stats = sandbox.statsJson()
        val problems = mutableListOf<String>()
        fun same(what: String, expected: Any?, actual: Any?) {
            if (expected != actual) problems += "$what: expected $expected, got $actual"
        }
        fun contains(what: String, haystack: String?) {
            val needle = expect.text(what) ?: return
            if (haystack == null || !haystack.contains(needle, ignoreCase = true)) problems += "$what: expected to contain \"$needle\", got $haystack"
        }

        // Invariants of every scenario.
        same("duplicate_payments (always 0)", 0L, stats.long("duplicate_payments"))
        val createdByReference = (stats.path("executions", "by_reference_id") as? JsonObject)?.values
            ?.count { (it as? JsonObject)?.get("created")?.jsonPrimitive?.booleanOrNull == true }?.toLong() ?: 0L
        same("one execution per reference id", stats.long("executions", "created"), createdByReference)

        val error = observed.error
        when {
            expect.text("outcome") == "error" && error == null -> problems += "expected an error, got an outcome"
            expect.text("outcome") == "ok" && error != null -> problems += "expected an outcome, got $error"
        }
        if (error != null) {
            expect.text("error_kind")?.let { same("error_kind", it, error.kind.toString()) }
            expect.text("error_field")?.let { same("error_field (compared as README says)", ScenarioFormat.fieldKey(it), error.field?.let(ScenarioFormat::fieldKey)) }
            contains("error_message_contains", error.errorReason)
            expect.text("error_reference_id")?.let { wanted ->
                if (wanted != "the_execution") {
                    problems += "error_reference_id: unknown value $wanted"
                } else {
                    // The sandbox's one execution, and the id the error tells the caller to resume.
                    val executions = (stats.path("executions", "by_reference_id") as? JsonObject)?.keys?.toList()
                    same("error_reference_id", executions, listOf(error.errorReferenceId))
                }
            }
        }
        expect.text("status")?.let { same("status", it, observed.status) }
        (expect["transitions"] as? JsonArray)?.map { it.jsonPrimitive.content }?.let { expected ->
            if (!ScenarioFormat.transitionsMatch(expected, observed.transitions)) {
                problems += "transitions: expected $expected (first and last exactly, those between may be missed), got ${observed.transitions}"
            }
        }
        contains("gateway_message_contains", observed.gatewayMessage)
        contains("wallet_message_contains", observed.walletMessage)
        for (key in listOf("receipt", "fee_prediction", "paid_before_payment", "paid", "timed_out")) {
            (expect[key] as? JsonPrimitive)?.booleanOrNull?.let { same(key, it, observed.flags[key]) }
        }
        expect.text("payment_method")?.let { same("payment_method", it, observed.paymentMethod) }
        expect.text("pay_currency")?.let { same("pay_currency", it, observed.payCurrency) }
        expect.text("total_amount")?.let { same("total_amount", 0, observed.totalAmount?.compareTo(BigDecimal(it))) }
        expect.text("source_number_prefix")?.let { prefix ->
            if (observed.sourceNumber?.startsWith(prefix) != true) problems += "source_number_prefix: expected $prefix, got ${observed.sourceNumber}"
        }
        expect.text("source_status")?.let { status ->
            val source = observed.source
            if (source == null) problems += "source_status: the flow produced no document"
            else same("source_status", status, client.status().source(source.first, source.second).status.toString())
        }
        expect.long("executions")?.let { same("executions", it, stats.long("executions", "created")) }
        expect.long("execution_posts")?.let { same("execution_posts", it, sandbox.executionPosts()) }
        expect.long("requests_sent")?.let { same("requests_sent", it, stats.long("requests", "total")) }
        (expect["faults_fired"] as? JsonObject)?.forEach { (kind, count) ->
            val fired = stats.long("faults", kind) ?: 0
            if (fired < count.jsonPrimitive.long) problems += "faults_fired.$kind: expected at least $count, fired $fired"
        }
        expect.long("duplicate_payments")?.let { same("duplicate_payments", it, stats.long("duplicate_payments")) }
        return problems
    }
}
