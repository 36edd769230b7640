"""Every core error kind maps to its own exception class, with its fields; panics in the native
code surface as InternalError, never as an abort."""

from __future__ import annotations

import asyncio
import inspect
import pickle
from typing import Any

import pytest

import dollr
from dollr import _native

EXPECTED = {
    "Validation": dollr.ValidationError,
    "Authentication": dollr.AuthenticationError,
    "PermissionDenied": dollr.PermissionDeniedError,
    "NotFound": dollr.NotFoundError,
    "Conflict": dollr.ConflictError,
    "RateLimited": dollr.RateLimitError,
    "Server": dollr.ServerError,
    "Network": dollr.NetworkError,
    "Timeout": dollr.DollrTimeoutError,
    "AmbiguousExecution": dollr.AmbiguousExecutionError,
    "Decode": dollr.DecodeError,
    "Internal": dollr.InternalError,
}


def test_every_core_error_kind_has_its_own_class() -> None:
    mapping = dict(_native._error_classes())
    # ErrorKind::ALL in the core, through the one mapping function in Rust.
    assert mapping.keys() == EXPECTED.keys()
    assert {kind: getattr(dollr, name) for kind, name in mapping.items()} == EXPECTED
    assert len(set(mapping.values())) == len(mapping)


def test_every_kind_of_the_schema_has_a_class_documented_from_the_table(
    schema: dict[str, Any],
) -> None:
    # The core's table of error kinds, through the schema: each kind raises its own class, whose
    # docstring is the kind's description and then what to do, and whose `retryable` is the
    # table's.
    classes = dict(_native._error_classes())
    assert list(classes) == [entry["kind"] for entry in schema["errors"]]
    for entry in schema["errors"]:
        kind = entry["kind"]
        cls = getattr(dollr, classes[kind])
        assert cls is dollr.errors.ERROR_CLASSES[kind], kind
        assert issubclass(cls, dollr.DollrError) and cls is not dollr.DollrError, kind
        assert (cls.kind, cls.retryable) == (kind, entry["retryable"]), kind
        paragraphs = [
            " ".join(p.split()) for p in inspect.cleandoc(cls.__doc__ or "").split("\n\n")
        ]
        assert paragraphs == [entry["description"], entry["action"]], kind


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_kind_raises_its_class_with_every_field(kind: str) -> None:
    with pytest.raises(dollr.DollrError) as caught:
        _native._raise_for_tests(kind)
    error = caught.value
    assert type(error) is EXPECTED[kind]
    assert error.kind == kind == type(error).kind
    assert error.message == f"a {kind} error for the tests"
    assert str(error).startswith(f"{kind}: a {kind} error for the tests")
    assert error.status == 499
    assert error.retry_after == 1.5
    assert error.reference_id == "7c1e5a3e-8f5d-4b6a-9a51-2f0f3c7d9b10"
    assert error.request_id == "req-123"
    [detail] = error.details
    assert (detail.field, detail.loc, detail.msg, detail.type) == (
        "items.0.amount",
        ["body", "items", "0", "amount"],
        "too many decimals",
        "value_error",
    )
    # Exceptions survive pickling with their fields (task queues, multiprocessing).
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.kind, copy.status, copy.details, copy.reference_id) == (
        error.kind,
        error.status,
        error.details,
        error.reference_id,
    )


def test_timeout_error_is_also_the_builtin_timeout() -> None:
    with pytest.raises(TimeoutError):
        _native._raise_for_tests("Timeout")


def test_a_panic_in_a_sync_call_is_an_internal_error() -> None:
    with pytest.raises(dollr.InternalError, match="boom in a sync call") as caught:
        _native._panic_for_tests("boom in a sync call")
    assert caught.value.kind == "Internal"
    _native._panic_for_tests("")  # the runtime survived the panic and still runs calls


def test_a_panic_in_an_async_call_is_an_internal_error() -> None:
    async def panic_async(message: str) -> Any:
        # Started as `NativeClient.call_async` starts a call: the panic happens on a runtime
        # worker, and the error reaches the awaiting coroutine through its future.
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        result = _native._panic_async_for_tests(message, future)
        return await future if result is future else result

    async def run() -> None:
        with pytest.raises(dollr.InternalError, match="boom in an async call"):
            await panic_async("boom in an async call")
        assert await panic_async("") == "survived"  # the runtime survived the panic

    asyncio.run(run())


def test_a_panic_in_a_plain_export_is_an_internal_error() -> None:
    with pytest.raises(dollr.InternalError, match="boom outside a call"):
        _native._panic_in_guard_for_tests("boom outside a call")
