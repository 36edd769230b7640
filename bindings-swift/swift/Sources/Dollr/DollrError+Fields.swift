import Foundation

// Hand-written conveniences over the generated `DollrError` (one case per kind, each with the
// same six fields), so code can handle any error without a switch over its twelve cases.

extension DollrError {
    private var fields: (
        kind: ErrorKind, reason: String, status: UInt16?, details: [ValidationDetail],
        retryAfter: TimeInterval?, referenceId: String?, requestId: String?
    ) {
        switch self {
        case let .Validation(reason, status, details, retryAfter, referenceId, requestId):
            return (.validation, reason, status, details, retryAfter, referenceId, requestId)
        case let .Authentication(reason, status, details, retryAfter, referenceId, requestId):
            return (.authentication, reason, status, details, retryAfter, referenceId, requestId)
        case let .PermissionDenied(reason, status, details, retryAfter, referenceId, requestId):
            return (.permissionDenied, reason, status, details, retryAfter, referenceId, requestId)
        case let .NotFound(reason, status, details, retryAfter, referenceId, requestId):
            return (.notFound, reason, status, details, retryAfter, referenceId, requestId)
        case let .Conflict(reason, status, details, retryAfter, referenceId, requestId):
            return (.conflict, reason, status, details, retryAfter, referenceId, requestId)
        case let .RateLimited(reason, status, details, retryAfter, referenceId, requestId):
            return (.rateLimited, reason, status, details, retryAfter, referenceId, requestId)
        case let .Server(reason, status, details, retryAfter, referenceId, requestId):
            return (.server, reason, status, details, retryAfter, referenceId, requestId)
        case let .Network(reason, status, details, retryAfter, referenceId, requestId):
            return (.network, reason, status, details, retryAfter, referenceId, requestId)
        case let .Timeout(reason, status, details, retryAfter, referenceId, requestId):
            return (.timeout, reason, status, details, retryAfter, referenceId, requestId)
        case let .AmbiguousExecution(reason, status, details, retryAfter, referenceId, requestId):
            return (.ambiguousExecution, reason, status, details, retryAfter, referenceId, requestId)
        case let .Decode(reason, status, details, retryAfter, referenceId, requestId):
            return (.decode, reason, status, details, retryAfter, referenceId, requestId)
        case let .Internal(reason, status, details, retryAfter, referenceId, requestId):
            return (.`internal`, reason, status, details, retryAfter, referenceId, requestId)
        }
    }

    /// The stable kind (`.notFound` for `DollrError.NotFound`, …).
    public var kind: ErrorKind { fields.kind }

    /// What went wrong and what to do (never a secret).
    public var reason: String { fields.reason }

    /// The HTTP status, when the API answered.
    public var httpStatus: Int? { fields.status.map(Int.init) }

    /// Field-level problems (a 422, or validation before anything was sent).
    public var details: [ValidationDetail] { fields.details }

    /// The dotted field of the first validation detail, without its `body`/`query`/`path` prefix
    /// and spelled as Swift spells it (`payerName`); the detail's `loc` keeps the API's names.
    public var field: String? {
        fields.details.first.map { validationDetailField(detail: $0) }
    }

    /// How long the API asked to wait (429).
    public var retryAfter: TimeInterval? { fields.retryAfter }

    /// The execution this error concerns (resume it with `status().wait(...)` or `reconcile(...)`).
    public var referenceId: String? { fields.referenceId }

    /// The API's request id, for support.
    public var requestId: String? { fields.requestId }
}
