package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.ValidationDetail
import com.sun.jna.Platform
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.longOrNull
import java.io.File
import java.io.IOException
import java.io.InputStream
import java.lang.ref.Cleaner
import java.math.BigDecimal
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ExecutionException
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException

/**
 * How a test sandbox starts. Unset values keep the sandbox's test defaults (settle time 20 ms,
 * seed 7, verified merchant, USD 10,000.00 / LRD 1,900,000.00 / RWF 14,000,000 wallets).
 */
data class SandboxOptions(
    /** Time for an execution to go `PENDING → PROCESSING` (half) `→` final. */
    val settleMs: ULong? = null,
    /** `false`: an unverified merchant (payouts, transfers, refunds, hosted checkout answer 403). */
    val verified: Boolean? = null,
    /** Opening balances by currency code (`USD`, `LRD`, `RWF`); others keep their defaults. */
    val wallets: Map<String, BigDecimal> = mapOf(),
    /**
     * Faults active from the start, as `PUT /_sandbox/faults` takes them (JSON). Set right after
     * the sandbox starts: [TestSandbox.reset] clears them like every other fault.
     */
    val faultsJson: String? = null,
    /** Access-token lifetime in seconds (token expiry tests). */
    val tokenTtlSeconds: ULong? = null,
)

/**
 * A running sandbox for tests: the `dollr` binary (`dollr sandbox`, a local simulation of the
 * Dollr API) as a child process on a free loopback port, with the sandbox's test credentials,
 * fault injection and inspection over its control API (`/_sandbox/…`, see the sandbox README).
 * Its JSON answers are those documents.
 *
 * The binary: `DOLLR_SANDBOX_BINARY` (a path), else the one this artifact carries for this
 * platform (`linux-x86-64/dollr`), else `dollr` on `PATH`.
 *
 * Stops on [stop] / [close]; also when it becomes unreachable, when the JVM exits, and (the child
 * watches its stdin) when the JVM dies: no sandbox outlives the test run.
 */
class TestSandbox private constructor(
    private val process: Process,
    private val url: String,
    private val stopper: Stopper,
) : AutoCloseable {
    @Volatile private var credentials = Credentials("", "", "")
    private val cleanable: Cleaner.Cleanable = CLEANER.register(this, stopper)

    private class Credentials(val clientId: String, val clientSecret: String, val passcode: String)

    /** `http://127.0.0.1:PORT`. */
    fun url(): String = url

    /** The client id the sandbox accepts. */
    fun clientId(): String = credentials.clientId

    /** The client secret the sandbox accepts (a test value, nobody's secret). */
    fun clientSecret(): String = credentials.clientSecret

    /** The merchant passcode payouts need. */
    fun passcode(): String = credentials.passcode

    /**
     * A client for this sandbox with its credentials (environment variables ignored), listening
     * on the sandbox's Supabase Realtime server unless [realtime] is false (so a collection ends
     * in about the settle time).
     */
    fun client(options: ClientOptions = ClientOptions(), realtime: Boolean = true): DollrClient =
        DollrClient(clientId(), clientSecret(), clientOptions(options, realtime))

    /** The same as [client], as a [DollrBlockingClient] (each call returns when it is done). */
    fun blockingClient(options: ClientOptions = ClientOptions(), realtime: Boolean = true): DollrBlockingClient =
        DollrBlockingClient(clientId(), clientSecret(), clientOptions(options, realtime))

    private fun clientOptions(options: ClientOptions, realtime: Boolean): ClientOptions {
        val live = if (realtime && options.supabaseUrl == null) {
            val (supabaseUrl, anonKey) = supabase()
            options.copy(supabaseUrl = supabaseUrl, supabaseAnonKey = app.heydollr.dollr.model.SecretValue(anonKey))
        } else {
            options
        }
        return live.copy(baseUrl = url, ignoreEnv = true)
    }

    /** The sandbox's Supabase Realtime server: its URL and anon key. */
    fun supabase(): Pair<String, String> {
        val info = parse(control("GET", "/_sandbox/realtime")).jsonObject
        fun text(name: String) = (info[name] as? JsonPrimitive)?.content
            ?: throw internal("the sandbox's realtime answer has no `$name`")
        return text("supabase_url") to text("supabase_anon_key")
    }

    /** The request log (JSON array, as `GET /_sandbox/requests`). */
    fun requestLog(): String = control("GET", "/_sandbox/requests")

    /** Replaces the fault configuration (JSON, as `PUT /_sandbox/faults`). */
    fun setFaults(faultsJson: String) {
        control("PUT", "/_sandbox/faults", faultsJson, field = "faults_json")
    }

    /** Removes every fault. */
    fun clearFaults() {
        control("DELETE", "/_sandbox/faults")
    }

    /**
     * Changes settings while running (JSON, as `PATCH /_sandbox/config`: `settle_ms`,
     * `verified`, token lifetimes, `passcode`, …).
     */
    fun updateConfig(patchJson: String) {
        remember(parse(control("PATCH", "/_sandbox/config", patchJson, field = "patch_json")))
    }

    /** Sets the merchant wallet balance of `currency`. */
    fun setWalletBalance(currency: String, balance: BigDecimal) {
        control("PUT", "/_sandbox/wallets/${pathSegment(currency)}", """{"balance":${balance.toPlainString()}}""", field = "currency") {
            // 404: no such currency; 422: the balance (negative, or beyond the sandbox's limit).
            status -> if (status == 422) "balance" else "currency"
        }
    }

    /** Request, execution and fault counters (JSON, as `GET /_sandbox/stats`). */
    fun stats(): String = control("GET", "/_sandbox/stats")

    /** The merchant wallets (JSON array, as `GET /_sandbox/wallets`). */
    fun wallets(): String = control("GET", "/_sandbox/wallets")

    /**
     * Every execution's payment intent (JSON array; its `id` is a refund's
     * `original_payment_intent_id`).
     */
    fun paymentIntents(): String = control("GET", "/_sandbox/payment-intents")

    /** Moves the execution to its next state; returns the new status. */
    fun advance(referenceId: String): String = advanceTo(referenceId, "next")

    /** Moves the execution straight to its final state; returns it. */
    fun advanceToFinal(referenceId: String): String = advanceTo(referenceId, "final")

    /**
     * Revokes every access token issued so far (the next call with one gets a 401); returns how
     * many.
     */
    fun revokeTokens(): ULong =
        (parse(control("POST", "/_sandbox/tokens/revoke")).jsonObject["revoked"] as? JsonPrimitive)
            ?.longOrNull?.toULong() ?: 0uL

    /** Forgets every object, counter and fault (the configuration stays). */
    fun reset() {
        control("POST", "/_sandbox/reset")
    }

    /** Stops the sandbox (and waits until its process has exited). Idempotent. */
    fun stop() {
        cleanable.clean()
    }

    /** [stop]: `TestSandbox.start().use { sandbox -> … }`. */
    override fun close() = stop()

    /** No secret: the URL and the client id only. */
    override fun toString(): String = "TestSandbox(url=$url, clientId=${clientId()})"

    private fun advanceTo(referenceId: String, to: String): String {
        val answer = control("POST", "/_sandbox/advance/${pathSegment(referenceId)}?to=$to", field = "reference_id")
        return (parse(answer).jsonObject["status"] as? JsonPrimitive)?.content
            ?: throw internal("the sandbox's answer to advance has no status")
    }

    private fun remember(config: JsonElement) {
        val fields = config.jsonObject
        fun text(name: String) = (fields[name] as? JsonPrimitive)?.content
            ?: throw internal("the sandbox's configuration has no `$name`")
        credentials = Credentials(text("client_id"), text("client_secret"), text("passcode"))
    }

    /**
     * One control call; its answer's body. An answer the sandbox refused (4xx) is a
     * [DollrException.Validation] naming [field] (as the Rust helper named it, snake case: the
     * SDK's `field` spells it the Kotlin way), with the sandbox's own explanation.
     */
    private fun control(
        method: String,
        path: String,
        body: String? = null,
        field: String? = null,
        fieldOf: (Int) -> String? = { field },
    ): String {
        val request = HttpRequest.newBuilder(URI.create(url + path))
            .timeout(CONTROL_TIMEOUT)
            .header("content-type", "application/json")
            .method(method, body?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody())
            .build()
        val answer = try {
            HTTP.send(request, HttpResponse.BodyHandlers.ofString())
        } catch (e: IOException) {
            throw internal("the sandbox at $url did not answer $method $path (stopped?): $e")
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            throw internal("interrupted while calling the sandbox at $url")
        }
        val status = answer.statusCode()
        if (status in 200..299) return answer.body()
        val name = fieldOf(status)
        if (status in 400..499 && name != null) throw invalid(name, explanation(answer.body()))
        throw internal("the sandbox answered $method $path with HTTP $status: ${answer.body()}")
    }

    /** The cleanup of one sandbox process, run once: by [stop], the Cleaner or the JVM's exit. */
    private class Stopper(private val process: Process) : Runnable {
        override fun run() {
            LIVE.remove(process)
            // The child stops by itself when its stdin closes; a signal, then a kill, if it does not.
            runCatching { process.outputStream.close() }
            if (exited(process, STOP_GRACE)) return
            process.destroy()
            if (exited(process, STOP_GRACE)) return
            process.destroyForcibly()
            exited(process, STOP_GRACE)
        }
    }

    companion object {
        /** Environment variable naming the `dollr` binary to run (checked first). */
        const val BINARY_ENV = "DOLLR_SANDBOX_BINARY"

        private const val DEFAULT_SETTLE_MS = 20uL
        private const val SEED = 7
        private val FIRST_LINE_DEADLINE: Duration = Duration.ofSeconds(30)
        private val STOP_GRACE: Duration = Duration.ofSeconds(10)
        private val CONTROL_TIMEOUT: Duration = Duration.ofSeconds(30)
        private val LISTENING = Regex("""^listening on (http://127\.0\.0\.1:\d+)$""")
        // Flags of `dollr sandbox` → the option that gave them (a refused flag names its option).
        private val OPTION_OF_FLAG = mapOf(
            "--wallet" to "wallets",
            "--settle-ms" to "settle_ms",
            "--token-ttl-seconds" to "token_ttl_seconds",
        )

        private val CLEANER: Cleaner = Cleaner.create()
        private val LIVE: MutableSet<Process> = ConcurrentHashMap.newKeySet()
        private val HTTP: HttpClient by lazy {
            // Loopback only: never through a proxy the JVM may be configured with.
            HttpClient.newBuilder()
                .proxy(HttpClient.Builder.NO_PROXY)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONTROL_TIMEOUT)
                .build()
        }

        init {
            // Orderly JVM exit: stop what the tests left running. (If the JVM dies instead, the
            // children's stdin pipes close and they stop by themselves.)
            Runtime.getRuntime().addShutdownHook(
                Thread({ LIVE.toList().forEach { Stopper(it).run() } }, "dollr-sandbox-shutdown"),
            )
        }

        /** Starts a sandbox on a free loopback port. */
        @JvmStatic
        @JvmOverloads
        fun start(options: SandboxOptions = SandboxOptions()): TestSandbox {
            val binary = SandboxBinary.find()
            val command = mutableListOf(
                binary.toString(), "sandbox",
                "--host", "127.0.0.1", "--port", "0", "--exit-when-stdin-closes",
                "--seed", SEED.toString(),
                "--settle-ms", (options.settleMs ?: DEFAULT_SETTLE_MS).toString(),
            )
            if (options.verified == false) command += "--unverified"
            options.tokenTtlSeconds?.let { command += listOf("--token-ttl-seconds", it.toString()) }
            for ((currency, balance) in options.wallets) command += listOf("--wallet", "$currency=${balance.toPlainString()}")

            val process = try {
                ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start()
            } catch (e: IOException) {
                throw internal("the sandbox did not start: cannot run $binary: ${e.message}")
            }
            LIVE += process
            val stopper = Stopper(process)
            try {
                val errors = Tail(process.errorStream, "dollr-sandbox-stderr")
                val url = firstLine(process, errors)
                val sandbox = TestSandbox(process, url, stopper)
                // From here the Cleaner owns the process (stop(), or the sandbox unreachable).
                sandbox.remember(parse(sandbox.control("GET", "/_sandbox/config")))
                options.faultsJson?.let { sandbox.control("PUT", "/_sandbox/faults", it, field = "faults_json") }
                return sandbox
            } catch (e: Throwable) {
                stopper.run()
                throw e
            }
        }

        /** Reads `listening on http://127.0.0.1:PORT` (the first line), then drains stdout. */
        private fun firstLine(process: Process, errors: Tail): String {
            val first = CompletableFuture<String?>()
            Thread({
                process.inputStream.bufferedReader().use { reader ->
                    try {
                        first.complete(reader.readLine())
                        while (reader.readLine() != null) { /* the rest is for people */ }
                    } catch (e: IOException) {
                        first.complete(null)
                    }
                }
            }, "dollr-sandbox-stdout").apply { isDaemon = true }.start()
            val line = try {
                first.get(FIRST_LINE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            } catch (e: TimeoutException) {
                throw internal("the sandbox did not start: no address within ${FIRST_LINE_DEADLINE.seconds} s")
            } catch (e: ExecutionException) {
                null
            }
            LISTENING.find(line?.trim() ?: "")?.let { return it.groupValues[1] }
            // It exited (or printed something else): say why, in its own words.
            exited(process, STOP_GRACE)
            val said = errors.text()
            val refusedFlag = OPTION_OF_FLAG.entries.firstOrNull { (flag, _) -> said.contains("'$flag") }
            if (refusedFlag != null) throw invalid(refusedFlag.value, said.lineSequence().first { it.isNotBlank() }.removePrefix("error: "))
            val exit = if (process.isAlive) "still running" else "exit status ${process.exitValue()}"
            throw internal("the sandbox did not start ($exit): ${line ?: ""}${said.trim()}")
        }

        private fun exited(process: Process, within: Duration): Boolean =
            try {
                process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)
            } catch (e: InterruptedException) {
                Thread.currentThread().interrupt()
                !process.isAlive
            }

        private fun pathSegment(text: String): String =
            URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20")

        private fun parse(text: String): JsonElement =
            try {
                Json.parseToJsonElement(text)
            } catch (e: IllegalArgumentException) {
                throw internal("the sandbox answered something that is not JSON: $text")
            }

        /** The sandbox's explanation of a refusal: its `detail` message(s), else the body. */
        private fun explanation(body: String): String {
            val detail = runCatching { Json.parseToJsonElement(body).jsonObject["detail"] }.getOrNull()
            return when (detail) {
                is JsonPrimitive -> detail.content
                is JsonArray -> detail.mapNotNull { ((it as? JsonObject)?.get("msg") as? JsonPrimitive)?.content }
                    .joinToString("; ").ifEmpty { body }
                else -> body
            }
        }

        /** Bad input, named like the Rust helper named it: `DollrException.field` is its Kotlin name. */
        private fun invalid(field: String, message: String) = DollrException.Validation(
            reason = "invalid `$field`: $message",
            status = null,
            details = listOf(ValidationDetail(loc = listOf("body", field), msg = message, kind = "value_error")),
            retryAfter = null,
            referenceId = null,
            requestId = null,
        )

        private fun internal(reason: String) = DollrException.Internal(
            reason = reason,
            status = null,
            details = emptyList(),
            retryAfter = null,
            referenceId = null,
            requestId = null,
        )
    }

    /** The last few KB a stream wrote, read on a daemon thread so the child never blocks on it. */
    private class Tail(stream: InputStream, name: String) {
        private val kept = StringBuilder()
        private val reader = Thread({
            stream.bufferedReader().use { lines ->
                try {
                    while (true) {
                        val line = lines.readLine() ?: break
                        synchronized(kept) {
                            kept.append(line).append('\n')
                            if (kept.length > LIMIT) kept.delete(0, kept.length - LIMIT)
                        }
                    }
                } catch (e: IOException) {
                    // The process is gone; what was read is kept.
                }
            }
        }, name).apply { isDaemon = true; start() }

        /** What the stream wrote: all of it once the process has exited (its end is then near). */
        fun text(): String {
            try {
                reader.join(READ_TO_END.toMillis())
            } catch (e: InterruptedException) {
                Thread.currentThread().interrupt()
            }
            return synchronized(kept) { kept.toString() }
        }

        private companion object {
            const val LIMIT = 8 * 1024
            val READ_TO_END: Duration = Duration.ofSeconds(2)
        }
    }

    /** Where the `dollr` binary is: the environment, this artifact, or PATH. */
    private object SandboxBinary {
        private val executableName = if (Platform.isWindows()) "dollr.exe" else "dollr"
        private val resource = "${Platform.RESOURCE_PREFIX}/$executableName"
        private val bundled: Path? by lazy { extractBundled() }

        fun find(): Path {
            System.getenv(BINARY_ENV)?.takeIf { it.isNotBlank() }?.let { named ->
                val path = File(named)
                if (!path.isFile) throw internal("$BINARY_ENV names $named, which does not exist")
                return path.toPath()
            }
            bundled?.let { return it }
            onPath()?.let { return it }
            throw internal(
                "no dollr sandbox binary for ${Platform.RESOURCE_PREFIX}: add the test dependency " +
                    "app.heydollr:dollr-testing (its jar carries the binary for linux-x86-64), put `dollr` " +
                    "on PATH, or set $BINARY_ENV to its path",
            )
        }

        /** The binary this jar carries for this platform, copied to a temporary executable file. */
        private fun extractBundled(): Path? {
            val stream = TestSandbox::class.java.classLoader.getResourceAsStream(resource) ?: return null
            return stream.use {
                val dir = Files.createTempDirectory("dollr-sandbox-")
                val file = dir.resolve(executableName)
                Files.copy(it, file, StandardCopyOption.REPLACE_EXISTING)
                if (!file.toFile().setExecutable(true, true)) {
                    throw internal("cannot make $file executable")
                }
                // Deleted in reverse order of registration: the file, then its directory.
                dir.toFile().deleteOnExit()
                file.toFile().deleteOnExit()
                file
            }
        }

        private fun onPath(): Path? =
            (System.getenv("PATH") ?: "").split(File.pathSeparator).filter { it.isNotEmpty() }
                .map { File(it, executableName) }
                .firstOrNull { it.isFile && it.canExecute() }
                ?.toPath()
    }
}
