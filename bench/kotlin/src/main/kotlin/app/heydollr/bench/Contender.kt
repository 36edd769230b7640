// The Kotlin contender of `make bench`: the dollr Kotlin package (uniffi over dollr-core), the
// quickstart's collect flow one resource call per request, speaking the driver's line protocol
// (bench/README.md) on stdin/stdout.
//
//   java -Djna.library.path=target/release -cp ... app.heydollr.bench.ContenderKt \
//       --url URL [--concurrency C]

package app.heydollr.bench

import app.heydollr.dollr.DollrClient
import app.heydollr.dollr.DollrException
import app.heydollr.dollr.model.AddItemRequest
import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.CollectionExecutionRequest
import app.heydollr.dollr.model.CreateCheckoutSessionRequest
import app.heydollr.dollr.model.CreateCounterpartyRequest
import app.heydollr.dollr.model.CreatePartyRequest
import app.heydollr.dollr.model.CreatePaymentAccountRequest
import app.heydollr.dollr.model.CreateSourceRequest
import app.heydollr.dollr.model.ExecutionStatus
import app.heydollr.dollr.model.FeeBearer
import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.RelationshipType
import app.heydollr.dollr.model.SourceType
import java.math.BigDecimal
import java.util.UUID
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking

private const val PHONE = "231771234567"
private const val MAX_POLLS = 10_000

private suspend fun flow(client: DollrClient): String {
    val party = client.parties().create(
        CreatePartyRequest("Amara Kamara", PHONE, "amara@example.com", "LR"),
    )
    val cp = client.counterparties().create(CreateCounterpartyRequest(RelationshipType.Customer, party.id))
    val invoice = client.invoices().create(
        CreateSourceRequest(cp.id, "USD", "Consulting services", FeeBearer.Payer, true),
    )
    client.invoices().addItem(invoice.id, AddItemRequest("Strategy Session", "USD", 1L, BigDecimal("250.00")))
    client.invoices().publish(invoice.id)
    val mmo = client.predictions().mmoProviderInfo(PHONE, OperationType.Collection)
    val session = client.sessions().checkout(CreateCheckoutSessionRequest(invoice.id, SourceType.Invoice))
    val account = client.paymentAccounts().create(
        OperationType.Collection,
        CreatePaymentAccountRequest(
            "Amara MTN Wallet", mmo.gatewayProvider, mmo.paymentMethod, party.id, "LR", PHONE,
        ),
    )
    val execution = client.executions().collection(
        CollectionExecutionRequest(session.id, account.id, "USD", UUID.randomUUID().toString()),
    )
    return execution.referenceId
}

private suspend fun one(client: DollrClient): Int {
    val referenceId = flow(client)
    var polls = 0
    while (true) {
        polls += 1
        when (val status = client.status().collection(referenceId).status) {
            is ExecutionStatus.Completed -> return polls
            is ExecutionStatus.Failed -> error("collection $referenceId FAILED")
            else -> if (polls >= MAX_POLLS) error("collection $referenceId stuck at $status")
        }
    }
}

private fun json(fields: Map<String, Any?>): String =
    fields.entries.joinToString(",", "{", "}") { (key, value) -> "\"$key\":${literal(value)}" }

private fun literal(value: Any?): String = when (value) {
    null -> "null"
    is Boolean, is Number -> value.toString()
    is List<*> -> value.joinToString(",", "[", "]") { literal(it) }
    is Map<*, *> -> json(value.entries.associate { it.key.toString() to it.value })
    else -> "\"" + value.toString().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\""
}

private fun say(fields: Map<String, Any?>) {
    println(json(fields))
    System.out.flush()
}

/** The integer after `"key":` in a one-line JSON command (the driver's commands are flat). */
private fun intField(line: String, key: String): Int =
    Regex("\"$key\"\\s*:\\s*(\\d+)").find(line)?.groupValues?.get(1)?.toInt()
        ?: error("no $key in $line")

private fun median(values: List<Double>): Double {
    val sorted = values.sorted()
    val mid = sorted.size / 2
    return if (sorted.size % 2 == 1) sorted[mid] else (sorted[mid - 1] + sorted[mid]) / 2
}

private suspend fun round(client: DollrClient, flows: Int, concurrency: Int): Map<String, Any?> {
    val remaining = AtomicInteger(flows)
    val started = System.nanoTime()
    val results = coroutineScope {
        (1..concurrency).map {
            async {
                val latencies = ArrayList<Double>()
                var polls = 0
                while (remaining.getAndDecrement() > 0) {
                    val begun = System.nanoTime()
                    polls += one(client)
                    latencies.add((System.nanoTime() - begun) / 1e3)
                }
                latencies to polls
            }
        }.awaitAll()
    }
    val seconds = (System.nanoTime() - started) / 1e9
    return mapOf(
        "ok" to true,
        "flows" to flows,
        "seconds" to seconds,
        "lat_us" to results.flatMap { it.first },
        "polls" to results.sumOf { it.second },
    )
}

private suspend fun overhead(client: DollrClient, calls: Int, batches: Int): Map<String, Any?> {
    val referenceId = flow(client)
    val status = (1..batches).map {
        val begun = System.nanoTime()
        repeat(calls) { client.status().collection(referenceId) }
        (System.nanoTime() - begun) / 1e3 / calls
    }
    val invalid = CreatePartyRequest("", PHONE)
    val validation = (1..batches).map {
        val begun = System.nanoTime()
        repeat(calls * 10) {
            try {
                client.parties().create(invalid)
                error("the invalid call was accepted")
            } catch (expected: DollrException.Validation) {
                // refused before sending, as intended
            }
        }
        (System.nanoTime() - begun) / 1e3 / (calls * 10)
    }
    return mapOf("ok" to true, "status_us" to median(status), "validation_us" to median(validation))
}

fun main(args: Array<String>) {
    val options = args.toList().windowed(2, 2).associate { it[0] to it[1] }
    val url = options["--url"] ?: error("--url is required")
    val concurrency = options["--concurrency"]?.toInt() ?: 1
    val client = try {
        DollrClient("dollr_test_client", "dollr_test_secret", ClientOptions(baseUrl = url))
    } catch (failure: Throwable) {
        say(mapOf("ready" to false, "error" to "${failure::class.simpleName}: ${failure.message}"))
        return
    }
    say(
        mapOf(
            "ready" to true,
            "versions" to mapOf(
                "java" to System.getProperty("java.version"),
                "kotlin" to KotlinVersion.CURRENT.toString(),
            ),
        ),
    )
    runBlocking {
        while (true) {
            val line = readLine() ?: break
            if (line.isBlank()) continue
            val answer = try {
                when {
                    line.contains("\"round\"") -> round(client, intField(line, "flows"), concurrency)
                    line.contains("\"overhead\"") ->
                        overhead(client, intField(line, "calls"), intField(line, "batches"))
                    else -> mapOf("ok" to false, "error" to "unknown command $line")
                }
            } catch (failure: Throwable) {
                mapOf("ok" to false, "error" to "${failure::class.simpleName}: ${failure.message}")
            }
            say(answer)
        }
    }
    client.close()
}
