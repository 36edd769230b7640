package app.heydollr.dollr

import app.heydollr.dollr.model.ErrorKind
import app.heydollr.dollr.model.ValidationDetail
import java.time.Duration

// The hand-written part of the Kotlin package: conveniences over the generated API (`dollr.kt`,
// `model/dollr_core.kt`) so that code can handle any DollrException without a `when` over its
// twelve kinds. Everything else is generated from the Rust library.

private class Fields(
    val kind: ErrorKind,
    val reason: String,
    val status: UShort?,
    val details: List<ValidationDetail>,
    val retryAfter: Duration?,
    val referenceId: String?,
    val requestId: String?,
)

private fun DollrException.fields(): Fields = when (this) {
    is DollrException.Validation ->
        Fields(ErrorKind.VALIDATION, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Authentication ->
        Fields(ErrorKind.AUTHENTICATION, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.PermissionDenied ->
        Fields(ErrorKind.PERMISSION_DENIED, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.NotFound ->
        Fields(ErrorKind.NOT_FOUND, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Conflict ->
        Fields(ErrorKind.CONFLICT, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.RateLimited ->
        Fields(ErrorKind.RATE_LIMITED, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Server ->
        Fields(ErrorKind.SERVER, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Network ->
        Fields(ErrorKind.NETWORK, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Timeout ->
        Fields(ErrorKind.TIMEOUT, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.AmbiguousExecution ->
        Fields(ErrorKind.AMBIGUOUS_EXECUTION, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Decode ->
        Fields(ErrorKind.DECODE, reason, status, details, retryAfter, referenceId, requestId)
    is DollrException.Internal ->
        Fields(ErrorKind.INTERNAL, reason, status, details, retryAfter, referenceId, requestId)
}

/** The stable kind (`ErrorKind.NOT_FOUND` for `DollrException.NotFound`, …). */
val DollrException.kind: ErrorKind get() = fields().kind

/** What went wrong and what to do (never a secret). */
val DollrException.errorReason: String get() = fields().reason

/** The HTTP status, when the API answered. */
val DollrException.httpStatus: Int? get() = fields().status?.toInt()

/** Field-level problems (a 422, or validation before anything was sent). */
val DollrException.errorDetails: List<ValidationDetail> get() = fields().details

/**
 * The dotted field of the first validation detail, without its `body`/`query`/`path` prefix and
 * spelled as Kotlin spells it (`payerName`, `items.0.unitPrice`); the detail's `loc` keeps the
 * API's names.
 */
val DollrException.field: String?
    get() = fields().details.firstOrNull()?.let { validationDetailField(it) }

/** How long the API asked to wait (429). */
val DollrException.errorRetryAfter: Duration? get() = fields().retryAfter

/** The execution this error concerns (resume it with `status().wait(..)` or `reconcile(..)`). */
val DollrException.errorReferenceId: String? get() = fields().referenceId

/** The API's request id, for support. */
val DollrException.errorRequestId: String? get() = fields().requestId
