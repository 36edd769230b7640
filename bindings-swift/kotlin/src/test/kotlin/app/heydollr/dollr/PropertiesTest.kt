package app.heydollr.dollr

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.math.BigDecimal
import java.math.BigInteger
import kotlin.random.Random

/**
 * Property tests (#18): a `BigDecimal` crosses the FFI into the core's `Decimal` and back exactly
 * (value and scale) for every value the core can hold, and one it cannot hold is refused, never
 * rounded. A seeded generator picks the cases (the same on every run); the core's own properties
 * are in core/tests/properties.rs.
 */
class PropertiesTest {
    private val cases = 500

    /** Any value the core's Decimal holds: a mantissa of up to 96 bits, a scale of 0 to 28. */
    private fun decimal(random: Random): BigDecimal {
        val bits = 1 + random.nextInt(96)
        val mantissa = BigInteger(bits, java.util.Random(random.nextLong()))
        val signed = if (random.nextBoolean()) mantissa.negate() else mantissa
        return BigDecimal(signed, random.nextInt(29))
    }

    @Test
    fun `every decimal the core holds crosses the FFI and back exactly`() {
        val random = Random(18)
        repeat(cases) { case ->
            val value = decimal(random)
            val back = collectRequest("231771234567", value, "USD").items.single().amount
            assertEquals(value, back, "case $case: $value")
            assertEquals(value.scale(), back.scale(), "case $case: $value")
            assertEquals(value.toPlainString(), back.toPlainString(), "case $case")
        }
    }

    @Test
    fun `a decimal with more digits than the core holds is refused, not rounded`() {
        val random = Random(250)
        repeat(50) { case ->
            val tooLong = BigDecimal(BigInteger.ONE, 29 + random.nextInt(20))
            assertThrows<Exception>("case $case: $tooLong") { collectRequest("231771234567", tooLong, "USD") }
            val tooBig = BigDecimal(BigInteger.ONE.shiftLeft(96 + random.nextInt(20)))
            assertThrows<Exception>("case $case: $tooBig") { collectRequest("231771234567", tooBig, "USD") }
        }
    }
}
