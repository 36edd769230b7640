package app.heydollr.dollr

import app.heydollr.dollr.model.ClientOptions
import app.heydollr.dollr.model.SecretValue
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.lang.reflect.Modifier
import java.time.Duration

/** `ClientOptions` is the core's one definition: the same fields as Python's and Node's. */
class ClientOptionsTest {
    @Test
    fun `the options have exactly the fields of the schema's client_options`() {
        val scenarios = File(System.getProperty("dollr.scenarios.dir") ?: "../../tests/scenarios")
        val schema = parseJson(File(scenarios, "../../core/bridge-schema.json").readText()).jsonObject
        // The bridge names a duration `*_ms`; Kotlin takes a Duration under the name without it.
        val expected = schema["client_options"]!!.jsonArray
            .map { it.jsonObject["name"]!!.jsonPrimitive.content.removeSuffix("_ms") }
            .map { name -> name.split('_').mapIndexed { i, s -> if (i == 0) s else s.replaceFirstChar(Char::uppercase) }.joinToString("") }
            .toSortedSet()
        val fields = ClientOptions::class.java.declaredFields
            .filter { !Modifier.isStatic(it.modifiers) }
            .map { it.name }
            .toSortedSet()
        assertEquals(expected, fields)
    }

    @Test
    fun `options build the client, credentials included, and the secret never shows`() {
        TestSandbox.start().use { sandbox ->
            val options = ClientOptions(
                clientId = sandbox.clientId(),
                clientSecret = SecretValue(sandbox.clientSecret()),
                baseUrl = sandbox.url(),
                timeout = Duration.ofSeconds(5),
                ignoreEnv = true,
            )
            assertFalse(sandbox.clientSecret() in options.toString(), options.toString())
            DollrClient.fromEnv(options).use { client ->
                assertEquals(sandbox.url(), client.baseUrl())
                assertTrue("clientId=${sandbox.clientId()}" in client.toString(), client.toString())
                assertFalse(sandbox.clientSecret() in client.toString())
            }
        }
    }
}
