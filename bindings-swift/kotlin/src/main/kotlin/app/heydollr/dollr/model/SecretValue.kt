package app.heydollr.dollr.model

/**
 * A secret (client secret, access token, payout passcode, a card payment's `client_secret`): its
 * `toString()` is `[REDACTED]`, so records that hold one (`PasscodeToken`, `Execution`,
 * `RealtimeKey`, `AccessToken`, …) never print it. Call [reveal] only where the value is needed.
 * The generated code knows it as `Secret`.
 */
class SecretValue(private val value: String) {
    /** The secret itself. */
    fun reveal(): String = value

    override fun toString(): String = "[REDACTED]"

    override fun equals(other: Any?): Boolean = other is SecretValue && other.value == value

    override fun hashCode(): Int = value.hashCode()
}
