"""``client.status.watch(..)``: a payment's status changes as an iterator (``for`` on
:class:`dollr.Client`, ``async for`` on :class:`dollr.AsyncClient`).

The core's ``status.wait`` runs as one native call read event by event: each observed change is a
:class:`dollr.models.TransitionEvent` (``to``, ``from_``, ``channel`` = ``"realtime"`` or
``"poll"``, ``anomaly``, ``execution``); the iteration ends after the final status (or at the
deadline) with :attr:`Watch.outcome` set. Leaving the loop early, ``close()``, or leaving a
``with`` block stops the wait and closes its realtime socket. Nothing is decided here: the core
subscribes, polls, confirms and checks every transition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dollr import _native
from dollr._support import TimeoutLike, _args

if TYPE_CHECKING:
    from types import TracebackType

    from dollr.enums import OperationType, OperationTypeLiteral, SourceType, SourceTypeLiteral
    from dollr.models import TransitionEvent, WaitOutcome


def _watch_args(
    reference_id: str,
    operation: Any,
    session_id: int | None,
    source_type: Any,
    timeout: TimeoutLike | None,
    initial_interval: TimeoutLike | None,
    max_interval: TimeoutLike | None,
    realtime_timeout: TimeoutLike | None,
) -> dict[str, Any]:
    realtime = (
        None
        if session_id is None
        else {"session_id": session_id, "source_type": source_type or "INVOICE"}
    )
    return _args(
        ("reference_id", "string", reference_id, "path"),
        ("operation", "enum:OperationType", operation),
        ("realtime", "model:RealtimeTarget", realtime),
        ("timeout_ms", "seconds", timeout),
        ("initial_interval_ms", "seconds", initial_interval),
        ("max_interval_ms", "seconds", max_interval),
        ("realtime_timeout_ms", "seconds", realtime_timeout),
    )


class _WatchBase:
    __slots__ = ("_done", "_native", "outcome")

    def __init__(self, native: _native.NativeStream) -> None:
        self._native = native
        self._done = False
        self.outcome: WaitOutcome | None = None
        """How the wait ended (``None`` until the iteration has ended without an error)."""

    def _item(self, item: dict[str, Any] | None) -> TransitionEvent | None:
        """The transition in one native item, ``None`` for other events; ends the watch on the
        call's result or at the end (``None``)."""
        if item is None:
            self.close()
            return None
        if "event" in item:
            event = item["event"]  # typed by the native module, as `done` is
            return event if event.event == "transition" else None
        self.outcome = item["done"]
        self.close()
        return None

    def close(self) -> None:
        """Stops the wait and closes its realtime socket (idempotent)."""
        self._done = True
        self._native.close()

    def __del__(self) -> None:
        self.close()


class Watch(_WatchBase):
    """The status changes of one execution, as they happen (``for change in watch``)."""

    __slots__ = ()

    def __iter__(self) -> Watch:
        return self

    def __next__(self) -> TransitionEvent:
        while not self._done:
            try:
                item = self._native.next()
            except BaseException:
                self.close()
                raise
            transition = self._item(item)
            if transition is not None:
                return transition
        raise StopIteration

    def __enter__(self) -> Watch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncWatch(_WatchBase):
    """The status changes of one execution, as they happen (``async for change in watch``)."""

    __slots__ = ()

    def __aiter__(self) -> AsyncWatch:
        return self

    async def __anext__(self) -> TransitionEvent:
        import asyncio

        loop = asyncio.get_running_loop()
        while not self._done:
            future: asyncio.Future[dict[str, Any] | None] = loop.create_future()
            try:
                item = self._native.next_async(future)
                if item is future:
                    item = await future
            except BaseException:
                # Cancelled or failed: the subscription ends with the iteration.
                self.close()
                raise
            transition = self._item(item)
            if transition is not None:
                return transition
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stops the wait and closes its realtime socket."""
        self.close()

    async def __aenter__(self) -> AsyncWatch:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class StatusWatch:
    """``watch`` on ``client.status`` (mixed into the generated ``Status``)."""

    __slots__ = ()
    _client: Any

    def watch(
        self,
        reference_id: str,
        *,
        operation: OperationType | OperationTypeLiteral = "COLLECTION",
        session_id: int | None = None,
        source_type: SourceType | SourceTypeLiteral | None = None,
        timeout: TimeoutLike | None = None,
        initial_interval: TimeoutLike | None = None,
        max_interval: TimeoutLike | None = None,
        realtime_timeout: TimeoutLike | None = None,
    ) -> Watch:
        """Follows the execution `reference_id` and yields each observed status change (a
        ``TransitionEvent``) as it happens, until it is `COMPLETED` or `FAILED` or `timeout`
        passes (default 5 minutes; then ``outcome.state`` is ``"still_processing"``).

        For a collection, pass its checkout ``session_id`` (and ``source_type``, default
        ``"INVOICE"``): when the client has a Supabase URL and anon key, changes arrive over
        Supabase Realtime (``change.channel == "realtime"``, each confirmed by the status API),
        with polling as the fallback (``"poll"``). Breaking out of the loop, ``close()`` or leaving
        a ``with`` block stops the wait and closes the socket. Durations are in seconds.
        """
        args = _watch_args(
            reference_id,
            operation,
            session_id,
            source_type,
            timeout,
            initial_interval,
            max_interval,
            realtime_timeout,
        )
        return Watch(self._client._native.stream("status.wait", args))


class AsyncStatusWatch:
    """``watch`` on ``AsyncClient.status`` (mixed into the generated ``AsyncStatus``)."""

    __slots__ = ()
    _client: Any

    def watch(
        self,
        reference_id: str,
        *,
        operation: OperationType | OperationTypeLiteral = "COLLECTION",
        session_id: int | None = None,
        source_type: SourceType | SourceTypeLiteral | None = None,
        timeout: TimeoutLike | None = None,
        initial_interval: TimeoutLike | None = None,
        max_interval: TimeoutLike | None = None,
        realtime_timeout: TimeoutLike | None = None,
    ) -> AsyncWatch:
        """``async for change in client.status.watch(..)``: as :meth:`StatusWatch.watch`, on the
        event loop. Cancelling the iteration (or ``aclose()``) stops the wait and closes the
        socket."""
        args = _watch_args(
            reference_id,
            operation,
            session_id,
            source_type,
            timeout,
            initial_interval,
            max_interval,
            realtime_timeout,
        )
        return AsyncWatch(self._client._native.stream("status.wait", args))
