package app.heydollr.dollr

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.longOrNull
import java.io.File

/**
 * The scenario format's one definition (`tests/scenarios/format/schema.json`, shared by every
 * runner) and the subset of JSON Schema the runners implement (README, "The schema"): a scenario
 * the schema does not describe is refused, naming every problem.
 */
internal class ScenarioFormat(scenarioDir: File) {
    private val schema: JsonObject = parseJson(File(scenarioDir, "format/schema.json").readText()).jsonObject
    private val defs: JsonObject = schema["\$defs"]!!.jsonObject

    /** The flows a scenario may name (the schema's `flow` enum). */
    val flows: List<String> = (schema.path("properties", "flow", "enum") as JsonArray).map { (it as JsonPrimitive).content }

    /** Every problem of [scenario] (empty when it is well-formed), and its name must be its file's. */
    fun problems(file: File, scenario: JsonElement): List<String> {
        val errors = mutableListOf<String>()
        validate(schema, scenario, "", errors)
        if (errors.isEmpty() && ((scenario as JsonObject)["name"] as JsonPrimitive).content != file.nameWithoutExtension) {
            errors += "name ${scenario["name"]} differs from the file name ${file.nameWithoutExtension}"
        }
        return errors
    }

    private fun shown(path: String) = path.ifEmpty { "the scenario" }
    private fun at(path: String, key: String) = if (path.isEmpty()) key else "$path.$key"

    private fun validate(rules: JsonObject, value: JsonElement, path: String, errors: MutableList<String>) {
        for (keyword in rules.keys) {
            if (keyword !in KEYWORDS) errors += "the schema uses `$keyword`, which the runners do not implement"
        }
        (rules["\$ref"] as? JsonPrimitive)?.content?.let { reference ->
            val target = defs[reference.removePrefix("#/\$defs/")] as? JsonObject
            if (target == null) errors += "the schema refers to an unknown $reference" else validate(target, value, path, errors)
        }
        rules["type"]?.let { wanted ->
            val names = if (wanted is JsonArray) wanted.map { (it as JsonPrimitive).content } else listOf((wanted as JsonPrimitive).content)
            if (names.none { hasType(value, it) }) {
                errors += "${shown(path)}: expected ${names.joinToString(" or ")}, got ${typeName(value)} $value"
                return
            }
        }
        rules["const"]?.let { if (!sameJson(it, value)) errors += "${shown(path)}: $value is not $it" }
        (rules["enum"] as? JsonArray)?.let { known ->
            if (known.none { sameJson(it, value) }) errors += "${shown(path)}: unknown value $value (known: ${known.joinToString(", ")})"
        }
        val number = (value as? JsonPrimitive)?.takeIf { !it.isString }?.doubleOrNull
        (rules["minimum"] as? JsonPrimitive)?.doubleOrNull?.let { minimum ->
            if (number != null && number < minimum) errors += "${shown(path)}: $value is below $minimum"
        }
        if (value is JsonPrimitive && value.isString) {
            (rules["minLength"] as? JsonPrimitive)?.longOrNull?.let { min ->
                if (value.content.codePointCount(0, value.content.length) < min) errors += "${shown(path)}: shorter than $min characters"
            }
            (rules["pattern"] as? JsonPrimitive)?.content?.let { pattern ->
                if (!Regex(pattern).containsMatchIn(value.content)) errors += "${shown(path)}: $value does not match $pattern"
            }
        }
        if (value is JsonObject) {
            (rules["required"] as? JsonArray)?.map { (it as JsonPrimitive).content }?.forEach { key ->
                if (key !in value) errors += "${shown(path)}: missing required key `$key`"
            }
            val properties = rules["properties"] as? JsonObject ?: JsonObject(emptyMap())
            val extra = rules["additionalProperties"]
            for ((key, child) in value) {
                val property = properties[key] as? JsonObject
                when {
                    property != null -> validate(property, child, at(path, key), errors)
                    extra is JsonPrimitive && extra.booleanOrNull == false ->
                        errors += "${shown(path)}: unknown key `$key` (known: ${properties.keys.joinToString(", ")})"
                    extra is JsonObject -> validate(extra, child, at(path, key), errors)
                }
            }
        }
        val items = rules["items"]
        if (items is JsonObject && value is JsonArray) {
            value.forEachIndexed { index, item -> validate(items, item, "$path[$index]", errors) }
        }
        (rules["allOf"] as? JsonArray)?.forEach { validate(it.jsonObject, value, path, errors) }
        (rules["anyOf"] as? JsonArray)?.let { choices ->
            val reasons = mutableListOf<String>()
            val matched = choices.any { choice ->
                val found = mutableListOf<String>()
                validate(choice.jsonObject, value, path, found)
                reasons += found.joinToString("; ")
                found.isEmpty()
            }
            if (!matched) errors += "${shown(path)}: $value matches none of its allowed forms (${reasons.joinToString(" | ")})"
        }
        (rules["if"] as? JsonObject)?.let { condition ->
            val found = mutableListOf<String>()
            validate(condition, value, path, found)
            val then = rules["then"] as? JsonObject
            if (found.isEmpty() && then != null) validate(then, value, path, errors)
        }
    }

    companion object {
        /** The JSON Schema keywords the runners implement; a schema using another is refused. */
        private val KEYWORDS = setOf(
            "\$schema", "\$id", "\$defs", "title", "description", "\$ref", "type", "const", "enum", "minimum",
            "minLength", "pattern", "required", "properties", "additionalProperties", "items", "allOf", "anyOf", "if", "then",
        )

        fun typeName(value: JsonElement): String = when {
            value is JsonNull -> "null"
            value is JsonObject -> "object"
            value is JsonArray -> "array"
            value is JsonPrimitive && value.isString -> "string"
            value is JsonPrimitive && value.booleanOrNull != null -> "boolean"
            value is JsonPrimitive && value.longOrNull != null -> "integer"
            else -> "number"
        }

        private fun hasType(value: JsonElement, wanted: String): Boolean {
            val actual = typeName(value)
            return actual == wanted ||
                (wanted == "number" && actual == "integer") ||
                (wanted == "integer" && actual == "number" && (value as JsonPrimitive).doubleOrNull?.let { it % 1.0 == 0.0 } == true)
        }

        /** JSON equality: `1` and `1.0` are one number, `"1"` is not. */
        private fun sameJson(a: JsonElement, b: JsonElement): Boolean =
            if (typeName(a) in setOf("integer", "number") && typeName(b) in setOf("integer", "number")) {
                (a as JsonPrimitive).content.toBigDecimal().compareTo((b as JsonPrimitive).content.toBigDecimal()) == 0
            } else {
                a == b
            }

        /**
         * `expect.transitions` as the README compares it: the first and the last status exactly,
         * and what was observed is a subsequence of the list (in its order, nothing outside it,
         * nothing twice). A status the sandbox holds only briefly (`PROCESSING`, half the settle
         * time) is missed when the process is descheduled across it, so the statuses in between
         * may be absent, never extra.
         */
        fun transitionsMatch(expected: List<String>, observed: List<String>): Boolean {
            var next = 0
            for (status in observed) {
                while (next < expected.size && expected[next] != status) next++
                if (next == expected.size) return false
                next++
            }
            return observed.firstOrNull() == expected.firstOrNull() && observed.lastOrNull() == expected.lastOrNull()
        }

        /**
         * A validation field as the format compares it (README): dotted snake_case segments, no
         * leading `options` segment, no unit suffix (`_ms`, `_secs`).
         */
        fun fieldKey(field: String): String {
            val segments = field.split('.').map { segment -> segment.replace(Regex("[A-Z]")) { "_" + it.value.lowercase() } }
                .toMutableList()
            if (segments.size > 1 && segments[0] == "options") segments.removeAt(0)
            segments[segments.lastIndex] = segments.last().replace(Regex("_(ms|secs|seconds)$"), "")
            return segments.joinToString(".")
        }
    }
}
