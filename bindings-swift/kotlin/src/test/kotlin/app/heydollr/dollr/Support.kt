package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.ExecutePolicy
import app.heydollr.dollr.model.FlowSettings
import app.heydollr.dollr.model.ReconcileOutcome
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.longOrNull
import java.time.Duration

// Shared by the suites: quick retries and polls for the in-process sandbox, and JSON access to
// the sandbox's stats, wallets and payment intents.

internal fun ms(millis: Long): Duration = Duration.ofMillis(millis)

/** Quick retries keep faulted tests fast; the behaviour under test does not depend on them. */
internal fun quickClientOptions() = ClientOptions(initialBackoff = ms(5), maxBackoff = ms(50))

/** Flow options for the sandbox: polls every [pollMs] ms (backing off to 100 ms). */
internal fun quickFlow(waitTimeoutMs: Long = 30_000, pollMs: Long = 10) = FlowSettings(
    waitTimeout = ms(waitTimeoutMs),
    pollInterval = ms(pollMs),
    maxPollInterval = ms(100),
    executePolicy = ExecutePolicy(
        maxAttempts = 3u,
        maxStatusChecks = 3u,
        initialBackoff = ms(10),
        maxBackoff = ms(100),
        maxRetryAfter = Duration.ofSeconds(30),
    ),
)

internal fun parseJson(text: String): JsonElement = Json.parseToJsonElement(text)

internal fun TestSandbox.statsJson(): JsonObject = parseJson(stats()).jsonObject

internal fun JsonObject.path(vararg keys: String): JsonElement? {
    var current: JsonElement? = this
    for (key in keys) {
        current = (current as? JsonObject)?.get(key) ?: return null
    }
    return current
}

internal fun JsonObject.long(vararg keys: String): Long? = (path(*keys) as? JsonPrimitive)?.longOrNull

/** Executions the sandbox created. */
internal fun TestSandbox.executionsCreated(): Long = statsJson().long("executions", "created") ?: 0

/** `/v1` requests the sandbox received (the token included). */
internal fun TestSandbox.requestsTotal(): Long = statsJson().long("requests", "total") ?: 0

/** `POST /v1/executions/...` requests the sandbox received, faulted ones included. */
internal fun TestSandbox.executionPosts(): Long =
    (statsJson().path("requests", "by_route") as? JsonObject)
        ?.filterKeys { it.startsWith("POST /v1/executions/") }
        ?.values?.sumOf { (it as? JsonPrimitive)?.longOrNull ?: 0 } ?: 0

internal fun TestSandbox.walletJson(currency: String): JsonObject =
    parseJson(wallets()).jsonArray.map { it.jsonObject }
        .first { it["currency"]?.jsonPrimitive?.content == currency }

internal fun TestSandbox.paymentIntentsJson(): JsonArray = parseJson(paymentIntents()).jsonArray

/** Polls [condition] until it holds or [timeoutMs] pass (never a fixed sleep). */
internal fun eventually(timeoutMs: Long = 5_000, what: String, condition: () -> Boolean) {
    val deadline = System.nanoTime() + timeoutMs * 1_000_000
    while (!condition()) {
        if (System.nanoTime() > deadline) throw AssertionError("timed out waiting for: $what")
        Thread.sleep(5)
    }
}

/**
 * An app's token source for the token-provider tests: each token comes from [issuer] (the service
 * that holds the client secret); each call's `forceRefresh` is recorded in [requests].
 */
internal fun recordingTokenProvider(issuer: DollrClient, requests: MutableList<Boolean>) = object : AccessTokenProvider {
    override suspend fun accessToken(forceRefresh: Boolean): ProvidedToken {
        requests.add(forceRefresh)
        val issued = issuer.obtainToken()
        return ProvidedToken(issued.accessToken, Duration.ofMinutes(issued.expiresIn))
    }
}

/**
 * What a client built on [recordingTokenProvider] must do, through [call] (any API call): one token
 * for two calls, then a forced refresh once the sandbox revoked it.
 */
internal inline fun checkTokensComeFromTheProvider(sandbox: TestSandbox, requests: List<Boolean>, call: () -> Unit) {
    call()
    call()
    assertEquals(listOf(false), requests.toList())
    sandbox.revokeTokens()
    call()
    assertEquals(listOf(false, true), requests.toList())
}

/**
 * Checks a reconcile of a journal whose intents are [references], every one since settled
 * `COMPLETED`, and that [again] (a second reconcile) finds nothing left.
 */
internal inline fun checkEveryIntentCompleted(report: ReconcileReport, references: Set<String>, again: () -> ReconcileReport) {
    assertEquals(references, report.entries.map { it.referenceId }.toSet(), "every journaled intent is reconciled")
    assertEquals(List(references.size) { ReconcileOutcome.COMPLETED }, report.entries.map { it.outcome })
    assertEquals(references.size.toULong(), report.completed)
    assertTrue(again().entries.isEmpty(), "nothing is left unresolved")
}
