// The Kotlin contender of `make bench`: the dollr Kotlin package (uniffi over dollr-core), the
// quickstart's collect flow one resource call per request, speaking the driver's line protocol
// (bench/README.md) on stdin/stdout.
//
//   java -Djna.library.path=target/release -cp ... app.heydollr.bench.ContenderKt \
//       --url URL [--concurrency C] [--client suspending|blocking]
//
// `--client blocking` measures DollrBlockingClient (each call driven on the calling thread),
// the default `suspending` DollrClient (coroutines; each call completed through a callback).

package app.heydollr.bench

import app.heydollr.dollr.DollrBlockingClient
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
import app.heydollr.dollr.model.MmoProviderInfo
import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.RelationshipType
import app.heydollr.dollr.model.SourceType
import java.io.File
import java.math.BigDecimal
import java.util.UUID
import java.util.concurrent.atomic.AtomicInteger
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking

private const val PHONE = "231771234567"
private const val MAX_POLLS = 10_000

/**
 * The package's two clients behind one face, so that both run the same rounds: `suspending`
 * (`DollrClient`, coroutines) and `blocking` (`DollrBlockingClient`, each call returns when done).
 * The flow is written once per client, as its users would write it.
 */
private interface Calls : AutoCloseable {
    /** Runs the flow up to the collection's execution; returns its reference id. */
    suspend fun flow(): String

    suspend fun status(referenceId: String): ExecutionStatus

    /** A call refused by validation before anything is sent. */
    suspend fun invalid()

    /** Where concurrent workers run (blocking calls need threads of their own). */
    val workers: CoroutineContext
}

private val party = CreatePartyRequest("Amara Kamara", PHONE, "amara@example.com", "LR")
private val refused = CreatePartyRequest("", PHONE)

private fun item() = AddItemRequest("Strategy Session", "USD", 1L, BigDecimal("250.00"))

private fun invoice(counterpartyId: Long) =
    CreateSourceRequest(counterpartyId, "USD", "Consulting services", FeeBearer.Payer, true)

private fun account(mmo: MmoProviderInfo, partyId: Long) = CreatePaymentAccountRequest(
    "Amara MTN Wallet", mmo.gatewayProvider, mmo.paymentMethod, partyId, "LR", PHONE,
)

private fun execution(sessionId: Long, accountId: Long) =
    CollectionExecutionRequest(sessionId, accountId, "USD", UUID.randomUUID().toString())

private class Suspending(val client: DollrClient) : Calls {
    override val workers: CoroutineContext = EmptyCoroutineContext

    override suspend fun flow(): String {
        val party = client.parties().create(party)
        val cp = client.counterparties().create(CreateCounterpartyRequest(RelationshipType.Customer, party.id))
        val invoice = client.invoices().create(invoice(cp.id))
        client.invoices().addItem(invoice.id, item())
        client.invoices().publish(invoice.id)
        val mmo = client.predictions().mmoProviderInfo(PHONE, OperationType.Collection)
        val session = client.sessions().checkout(CreateCheckoutSessionRequest(invoice.id, SourceType.Invoice))
        val account = client.paymentAccounts().create(OperationType.Collection, account(mmo, party.id))
        return client.executions().collection(execution(session.id, account.id)).referenceId
    }

    override suspend fun status(referenceId: String) = client.status().collection(referenceId).status

    override suspend fun invalid() {
        client.parties().create(refused)
    }

    override fun close() = client.close()
}

private class Blocking(val client: DollrBlockingClient) : Calls {
    override val workers: CoroutineContext = Dispatchers.IO

    override suspend fun flow(): String {
        val party = client.parties().create(party)
        val cp = client.counterparties().create(CreateCounterpartyRequest(RelationshipType.Customer, party.id))
        val invoice = client.invoices().create(invoice(cp.id))
        client.invoices().addItem(invoice.id, item())
        client.invoices().publish(invoice.id)
        val mmo = client.predictions().mmoProviderInfo(PHONE, OperationType.Collection)
        val session = client.sessions().checkout(CreateCheckoutSessionRequest(invoice.id, SourceType.Invoice))
        val account = client.paymentAccounts().create(OperationType.Collection, account(mmo, party.id))
        return client.executions().collection(execution(session.id, account.id)).referenceId
    }

    override suspend fun status(referenceId: String) = client.status().collection(referenceId).status

    override suspend fun invalid() {
        client.parties().create(refused)
    }

    override fun close() = client.close()
}

private suspend fun one(client: Calls): Int {
    val referenceId = client.flow()
    var polls = 0
    while (true) {
        polls += 1
        when (val status = client.status(referenceId)) {
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

private suspend fun round(client: Calls, flows: Int, concurrency: Int): Map<String, Any?> {
    val remaining = AtomicInteger(flows)
    val started = System.nanoTime()
    val results = coroutineScope {
        (1..concurrency).map {
            async(client.workers) {
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

/**
 * Full collections until the heap in use stops shrinking (at most 30 s): JNA frees the native
 * block behind each `Memory` (uniffi allocates several per call) on its own cleaner thread, after
 * a collection has found it unreachable, so one collection can leave millions of them queued.
 * G1 returns free heap to the OS after a full collection.
 */
private fun collectGarbage(): Map<String, Any?> {
    val runtime = Runtime.getRuntime()
    val deadline = System.nanoTime() + 30_000_000_000L
    var previous = Long.MAX_VALUE
    while (System.nanoTime() < deadline) {
        System.gc()
        val used = runtime.totalMemory() - runtime.freeMemory()
        if (used > previous - previous / 100) break
        previous = used
        Thread.sleep(500)
    }
    return mapOf("ok" to true)
}

/**
 * glibc's `malloc_trim(0)` through JNA (the SDK's own dependency): the C allocator's free pages
 * back to the system, so the memory row can tell pages malloc keeps for reuse from memory held.
 */
private fun trimNativeHeap(): Map<String, Any?> =
    try {
        com.sun.jna.NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(arrayOf<Any>(0L))
        mapOf("ok" to true)
    } catch (missing: UnsatisfiedLinkError) {
        mapOf("ok" to false, "error" to "this C library has no malloc_trim: ${missing.message}")
    }

/**
 * CPU time (ns) used so far by every thread of this process, from `/proc/self/task/<tid>/schedstat`
 * (as the driver reads it): the JVM's own process CPU time counts in 10 ms ticks on Linux.
 */
private fun processCpuNanos(): Long =
    File("/proc/self/task").listFiles().orEmpty().sumOf { task ->
        runCatching { File(task, "schedstat").readText().substringBefore(' ').trim().toLong() }.getOrDefault(0L)
    }

private suspend fun overhead(client: Calls, calls: Int, batches: Int): Map<String, Any?> {
    val referenceId = client.flow()
    // The process's CPU time (all its threads: the JIT's and the collector's too) beside the wall.
    val batchesTimed = (1..batches).map {
        val cpuBegun = processCpuNanos()
        val begun = System.nanoTime()
        repeat(calls) { client.status(referenceId) }
        val wall = (System.nanoTime() - begun) / 1e3 / calls
        Pair(wall, (processCpuNanos() - cpuBegun) / 1e3 / calls)
    }
    val status = batchesTimed.map { it.first }
    val validation = (1..batches).map {
        val begun = System.nanoTime()
        repeat(calls * 10) {
            try {
                client.invalid()
                error("the invalid call was accepted")
            } catch (expected: DollrException.Validation) {
                // refused before sending, as intended
            }
        }
        (System.nanoTime() - begun) / 1e3 / (calls * 10)
    }
    return mapOf(
        "ok" to true,
        "status_us" to median(status),
        "status_cpu_us" to median(batchesTimed.map { it.second }),
        "validation_us" to median(validation),
    )
}

fun main(args: Array<String>) {
    val options = args.toList().windowed(2, 2).associate { it[0] to it[1] }
    val url = options["--url"] ?: error("--url is required")
    val concurrency = options["--concurrency"]?.toInt() ?: 1
    val client: Calls = try {
        val clientOptions = ClientOptions(baseUrl = url)
        when (val kind = options["--client"] ?: "suspending") {
            "suspending" -> Suspending(DollrClient("dollr_test_client", "dollr_test_secret", clientOptions))
            "blocking" -> Blocking(DollrBlockingClient("dollr_test_client", "dollr_test_secret", clientOptions))
            else -> error("--client is suspending or blocking, not $kind")
        }
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
                    line.contains("\"collect_garbage\"") -> collectGarbage()
                    line.contains("\"trim_native_heap\"") -> trimNativeHeap()
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
