package app.heydollr.dollr.model

import app.heydollr.dollr.DollrException
import java.math.BigDecimal
import java.math.BigInteger
import java.time.Duration

// Values Kotlin's types allow but the Rust library cannot take: a negative java.time.Duration
// (Rust's Duration is unsigned) and a BigDecimal beyond rust_decimal (96-bit digits, scale 28).
// Without these checks uniffi's lowering throws an IllegalArgumentException or an internal error;
// bindgen.toml routes the lowering of FlowOptions and Decimal through them, so a caller gets the
// SDK's typed DollrException.Validation naming the field, before anything is sent.

private const val MAX_SCALE = 28
private val MAX_UNSCALED: BigInteger = BigInteger.ONE.shiftLeft(96).subtract(BigInteger.ONE)

private fun refused(loc: List<String>, message: String): DollrException.Validation {
    val field = loc.joinToString(".")
    return DollrException.Validation(
        reason = "invalid `$field`: $message",
        status = null,
        details = listOf(ValidationDetail(loc = listOf("body") + loc, msg = message, kind = "value_error")),
        retryAfter = null,
        referenceId = null,
        requestId = null,
    )
}

private fun fits(amount: BigDecimal): Boolean =
    amount.scale() in 0..MAX_SCALE && amount.unscaledValue().abs() <= MAX_UNSCALED

/**
 * An amount's exact decimal text for the FFI. An amount that no Rust decimal holds exactly is
 * refused (never rounded). The lowering does not know which field it is lowering: every decimal the
 * SDK takes is an amount, so the error names `amount`.
 */
fun decimalText(amount: BigDecimal): String {
    if (fits(amount)) return amount.toPlainString()
    // The same value written with fewer digits (`1E+3` → `1000`, `1.500…0` → `1.5`) may fit.
    val shortest = amount.stripTrailingZeros().let { if (it.scale() < 0) it.setScale(0) else it }
    if (fits(shortest)) return shortest.toPlainString()
    throw refused(
        listOf("amount"),
        "${amount.toPlainString()} has more digits than an amount can hold " +
            "(at most $MAX_SCALE decimals and 28 significant digits)",
    )
}

private fun checkNotNegative(loc: List<String>, duration: Duration?) {
    if (duration != null && duration.isNegative) throw refused(loc, "must not be negative (got $duration)")
}

/** A flow's settings for the FFI: a negative duration is refused, naming it. */
fun checkedFlowSettings(settings: FlowSettings): FlowSettings {
    checkNotNegative(listOf("options", "waitTimeout"), settings.waitTimeout)
    checkNotNegative(listOf("options", "pollInterval"), settings.pollInterval)
    checkNotNegative(listOf("options", "maxPollInterval"), settings.maxPollInterval)
    settings.executePolicy?.let { policy ->
        checkNotNegative(listOf("options", "executePolicy", "initialBackoff"), policy.initialBackoff)
        checkNotNegative(listOf("options", "executePolicy", "maxBackoff"), policy.maxBackoff)
        checkNotNegative(listOf("options", "executePolicy", "maxRetryAfter"), policy.maxRetryAfter)
    }
    return settings
}
