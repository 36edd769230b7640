"""The exceptions of the dollr SDK: :class:`DollrError` and one subclass per error kind.

Every failure of a call is a :class:`DollrError` whose ``kind`` is one of the core's stable kind
names (``"Validation"``, ``"RateLimited"``, …), identical in every dollr SDK. Which class a kind
becomes is decided in one place, in the native module (``bindings-python/src/errors.rs``); these
classes only carry the fields. Messages never contain a secret.
"""

from __future__ import annotations

from typing import Any, ClassVar

from dollr._support import FieldSpecs
from dollr.models import ValidationDetail

__all__ = [
    "AmbiguousExecutionError",
    "AuthenticationError",
    "ConflictError",
    "DecodeError",
    "DollrError",
    "DollrTimeoutError",
    "ErrorDetail",
    "InternalError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
]


class ErrorDetail(ValidationDetail):
    """One field-level problem of an error: the API's ``loc``, ``msg`` and ``type``, plus
    ``field``, the dotted path without its ``body``/``query``/``path`` prefix
    (``"items.0.amount"``), as the core computes it."""

    __slots__ = ("field",)
    _fields: ClassVar[FieldSpecs] = (*ValidationDetail._fields, ("field", "field", "string"))

    field: str
    """The dotted field path without its location prefix, e.g. ``"currency"``."""

    def __init__(self, *, loc: list[str], msg: str, type: str, field: str) -> None:
        super().__init__(loc=loc, msg=msg, type=type)
        self.field = field


class DollrError(Exception):
    """Base class of every dollr error.

    Attributes: ``kind`` (the stable kind name), ``message`` (human text, no secrets), ``status``
    (the HTTP status when the API answered), ``details`` (field-level problems), ``retry_after``
    (seconds, for rate limits), ``reference_id`` (the execution concerned) and ``request_id`` (the
    API's request id), each ``None``/empty when not known.
    """

    kind: str = "Internal"
    """The stable kind name, identical in every dollr SDK (``"Validation"``, ``"NotFound"``, …)."""

    def __init__(
        self,
        text: str,
        *,
        kind: str | None = None,
        message: str | None = None,
        status: int | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_after: float | None = None,
        reference_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(text)
        if kind is not None:
            self.kind = kind
        self.message: str = message if message is not None else text
        """What went wrong and what to do (no secrets)."""
        self.status: int | None = status
        """The HTTP status, when the API answered."""
        self.details: list[ErrorDetail] = [
            ErrorDetail(loc=list(d["loc"]), msg=d["msg"], type=d["type"], field=d["field"])
            for d in details or ()
        ]
        """Field-level problems (client-side validation or the API's 422)."""
        self.retry_after: float | None = retry_after
        """Seconds the API asked to wait before trying again (429)."""
        self.reference_id: str | None = reference_id
        """The execution ``reference_id`` this error concerns: resume with it, never a new one."""
        self.request_id: str | None = request_id
        """The API's request id, for support."""

    def __reduce__(self) -> Any:
        # Pickle with the fields (multiprocessing, task queues), not just the text.
        fields = {
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "details": [d.to_dict() for d in self.details],
            "retry_after": self.retry_after,
            "reference_id": self.reference_id,
            "request_id": self.request_id,
        }
        return (_rebuild, (type(self), str(self), fields))


def _rebuild(cls: type[DollrError], text: str, fields: dict[str, Any]) -> DollrError:
    return cls(text, **fields)


class ValidationError(DollrError):
    """Bad input, refused before anything was sent or by the API (422); see ``details``."""

    kind = "Validation"


class AuthenticationError(DollrError):
    """401: bad client credentials, or a token the API no longer accepts."""

    kind = "Authentication"


class PermissionDeniedError(DollrError):
    """403: the merchant is not verified for this feature, or a payout passcode was refused."""

    kind = "PermissionDenied"


class NotFoundError(DollrError):
    """404: the object does not exist (or is not yours)."""

    kind = "NotFound"


class ConflictError(DollrError):
    """A conflicting request: a reference id reused with other parameters, or a forbidden state."""

    kind = "Conflict"


class RateLimitError(DollrError):
    """429: slow down; ``retry_after`` says for how long (seconds)."""

    kind = "RateLimited"


class ServerError(DollrError):
    """5xx from the API."""

    kind = "Server"


class NetworkError(DollrError):
    """The request could not be sent, or the connection broke before an answer arrived."""

    kind = "Network"


class DollrTimeoutError(DollrError, TimeoutError):
    """No answer within the configured timeout (also a built-in :class:`TimeoutError`)."""

    kind = "Timeout"


class AmbiguousExecutionError(DollrError):
    """An execution may or may not have happened and the SDK could not find out.

    ``reference_id`` is the id to resume with (``client.status.wait`` or ``client.reconcile``);
    never start a new payment for the same intent while this is unresolved.
    """

    kind = "AmbiguousExecution"


class DecodeError(DollrError):
    """The API answered with something the SDK could not understand."""

    kind = "Decode"


class InternalError(DollrError):
    """A fault inside the SDK itself (journal storage, a caught panic in the native code)."""

    kind = "Internal"
