package app.heydollr.dollr

import app.heydollr.dollr.model.ErrorKind
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.io.File

/**
 * The core's table of error kinds (`core/bridge-schema.json`'s `errors`) reaches Kotlin and Swift:
 * one `DollrException` subclass per kind, documented with the kind's description and what to do.
 */
class ErrorKindsTest {
    private val root: File =
        File(System.getProperty("dollr.scenarios.dir") ?: "../../tests/scenarios").absoluteFile.parentFile.parentFile

    private val table: List<JsonObject> =
        parseJson(File(root, "core/bridge-schema.json").readText()).jsonObject["errors"]!!.jsonArray.map { it.jsonObject }

    private fun JsonObject.text(key: String): String = this[key]!!.jsonPrimitive.content

    /** The doc comment right above the first line starting with `declaration`, as plain text. */
    private fun docAbove(source: String, declaration: String): String? {
        val lines = source.lines()
        val at = lines.indexOfFirst { it.startsWith(declaration) }
        if (at < 1 || lines[at - 1].trim() != "*/") return null
        val start = (at - 1 downTo 0).firstOrNull { lines[it].trim() == "/**" } ?: return null
        return lines.subList(start + 1, at - 1).joinToString("\n") { it.trim().removePrefix("*").removePrefix(" ") }
    }

    @Test
    fun `every kind of the table is a DollrException subclass and an ErrorKind`() {
        val kinds = table.map { it.text("kind") }
        assertEquals(kinds, ErrorKind.entries.map { it.toString() })
        val subclasses = DollrException::class.java.declaredClasses
            .filter { DollrException::class.java.isAssignableFrom(it) }
            .map { it.simpleName }
        assertEquals(kinds.sorted(), subclasses.sorted())
    }

    @Test
    fun `the Kotlin and Swift docs of each kind are the table's description and then its action`() {
        val kotlin = File(root, "bindings-swift/kotlin/src/main/kotlin/app/heydollr/dollr/dollr.kt").readText()
            .substringAfter("sealed class DollrException")
        val swift = File(root, "bindings-swift/swift/Sources/Dollr/Dollr.swift").readText()
            .substringAfter("enum DollrError:")
        for (entry in table) {
            val kind = entry.text("kind")
            val expected = "${entry.text("description")}\n\n${entry.text("action")}"
            assertEquals(expected, docAbove(kotlin, "    class $kind("), "Kotlin DollrException.$kind")
            assertEquals(expected, docAbove(swift, "    case $kind("), "Swift DollrError.$kind")
        }
    }
}
