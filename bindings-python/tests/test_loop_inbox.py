"""How asyncio calls' outcomes and progress events reach their event loop: through the loop's inbox
(the runtime worker never enters Python), or, on a loop that cannot watch a socket (Windows'
proactor loop), handed back by the worker (with ``loop.call_soon_threadsafe``)."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
import weakref
from decimal import Decimal
from typing import Any

import dollr
from dollr import _support
from dollr.testing import Sandbox, TestNumbers

LOOKUPS = 40


class CountingLoop(asyncio.SelectorEventLoop):
    """A selector loop that counts ``call_soon_threadsafe`` calls from other threads (a worker
    handing an outcome back), and can refuse ``add_reader`` like the proactor loop."""

    def __init__(self, can_watch_sockets: bool) -> None:
        super().__init__()
        self.can_watch_sockets = can_watch_sockets
        self.handed_back = 0
        self.loop_thread: int | None = None

    def add_reader(self, fd: Any, callback: Any, *args: Any) -> None:
        if not self.can_watch_sockets:
            raise NotImplementedError
        super().add_reader(fd, callback, *args)

    def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:
        if threading.get_ident() != self.loop_thread:
            self.handed_back += 1
        return super().call_soon_threadsafe(callback, *args, context=context)


def run_lookups(sandbox: Sandbox, loop: CountingLoop) -> tuple[list[int], Any]:
    """Sequential and concurrent calls and an API error; returns what they answered and the loop's
    inbox as it was after them."""

    async def run() -> tuple[list[int], Any]:
        loop.loop_thread = threading.get_ident()
        async with sandbox.async_client() as client:
            answered = [len(await client.fees.tiers()) for _ in range(LOOKUPS // 2)]
            answered += [
                len(tiers)
                for tiers in await asyncio.gather(
                    *(client.fees.tiers() for _ in range(LOOKUPS // 2))
                )
            ]
            try:
                await client.parties.retrieve(987654)
            except dollr.NotFoundError as error:
                assert error.status == 404
            else:
                raise AssertionError("expected NotFoundError")
            return answered, _support._loop_inbox(loop)

    try:
        return loop.run_until_complete(run())
    finally:
        loop.close()


def test_a_loop_gets_its_outcomes_through_its_inbox(dollr_sandbox: Sandbox) -> None:
    loop = CountingLoop(can_watch_sockets=True)
    answered, inbox = run_lookups(dollr_sandbox, loop)
    assert len(answered) == LOOKUPS and all(count > 0 for count in answered)
    assert isinstance(inbox, dollr._native.LoopInbox)
    # Every call settled through the inbox: none is still waiting, no worker handed one back.
    assert repr(inbox) == "LoopInbox(waiting=0)"
    assert loop.handed_back == 0


def test_a_loop_that_cannot_watch_sockets_is_handed_each_outcome(dollr_sandbox: Sandbox) -> None:
    loop = CountingLoop(can_watch_sockets=False)
    answered, inbox = run_lookups(dollr_sandbox, loop)
    assert len(answered) == LOOKUPS and all(count > 0 for count in answered)
    assert inbox is None
    # One hand-back per call that went to the network (the token's fetch runs inside the first).
    assert loop.handed_back >= LOOKUPS + 1


def test_loops_on_two_threads_share_a_client_each_with_its_own_inbox(
    dollr_sandbox: Sandbox,
) -> None:
    client = dollr_sandbox.async_client()
    answers: dict[int, list[int]] = {}
    inboxes: list[object] = []

    def on_own_loop(index: int) -> None:
        async def run() -> list[int]:
            inboxes.append(_support._loop_inbox(asyncio.get_running_loop()))
            tiers = await asyncio.gather(*(client.fees.tiers() for _ in range(LOOKUPS)))
            return [len(found) for found in tiers]

        answers[index] = asyncio.run(run())

    threads = [threading.Thread(target=on_own_loop, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    asyncio.run(client.close())
    assert sorted(answers) == [0, 1]
    assert all(len(found) == LOOKUPS and min(found) > 0 for found in answers.values())
    assert len(inboxes) == 2 and inboxes[0] is not inboxes[1]


def test_a_closed_loop_with_a_call_in_flight_is_freed_with_its_inbox(
    dollr_sandbox: Sandbox,
) -> None:
    client = dollr_sandbox.async_client()
    loop = asyncio.new_event_loop()
    inbox: list[object] = []

    async def start_and_leave() -> None:
        call = client.fees.tiers()
        # Runs the call up to its await: the token's request is on its way, nobody will await it.
        pending = call.send(None)
        assert isinstance(pending, asyncio.Future) and not pending.done()
        inbox.append(_support._loop_inbox(asyncio.get_running_loop()))
        call.close()

    loop.run_until_complete(start_and_leave())
    assert "waiting=1" in repr(inbox[0])
    loop.close()
    closed_loop = weakref.ref(loop)
    del loop, inbox[:]
    gc.collect()
    # The inbox does not keep its loop alive; the call ends on the runtime and its outcome is
    # dropped, and the client goes on serving other loops.
    assert closed_loop() is None

    async def later() -> int:
        return len(await client.fees.tiers())

    assert asyncio.run(later()) > 0
    asyncio.run(client.close())


def test_a_loop_dropped_unclosed_with_a_call_in_flight_is_collected(
    dollr_sandbox: Sandbox,
) -> None:
    # The loop holds its inbox (the reader callback), the inbox the call's future, the future the
    # loop: a cycle the garbage collector breaks only if it sees the inbox's references.
    client = dollr_sandbox.async_client()
    loop = asyncio.new_event_loop()

    async def start_and_leave() -> None:
        call = client.fees.tiers()
        pending = call.send(None)
        assert isinstance(pending, asyncio.Future) and not pending.done()
        call.close()

    loop.run_until_complete(start_and_leave())
    dropped_loop = weakref.ref(loop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # "unclosed event loop": the point here
        del loop
        gc.collect()
    assert dropped_loop() is None
    asyncio.run(client.close())


def collect_with_events(sandbox: Sandbox, loop: CountingLoop) -> tuple[list[str], str]:
    """A collect flow's events, in the order the handler saw them, and the flow's final status."""
    seen: list[str] = []

    async def run() -> str:
        loop.loop_thread = threading.get_ident()
        async with sandbox.async_client() as client:
            outcome = await client.collect(
                phone=TestNumbers.COMPLETES,
                amount=Decimal("4.20"),
                currency="USD",
                payer_name="Inbox Events",
                poll_interval=0.01,
                on_event=lambda event: seen.append(event.event),
            )
            seen.append("result")
            return str(outcome.execution.status)

    try:
        return seen, loop.run_until_complete(run())
    finally:
        loop.close()


def test_a_flows_events_reach_its_loop_through_the_inbox_before_its_result(
    dollr_sandbox: Sandbox,
) -> None:
    loop = CountingLoop(can_watch_sockets=True)
    seen, status = collect_with_events(dollr_sandbox, loop)
    assert status == "COMPLETED"
    assert seen[0] == "validated" and seen[-2:] == ["receipt_fetched", "result"], seen
    assert loop.handed_back == 0


def test_a_loop_that_cannot_watch_sockets_is_handed_each_event(dollr_sandbox: Sandbox) -> None:
    loop = CountingLoop(can_watch_sockets=False)
    seen, status = collect_with_events(dollr_sandbox, loop)
    assert status == "COMPLETED"
    assert seen[0] == "validated" and seen[-2:] == ["receipt_fetched", "result"], seen
    # Every event but the first (reported by the first poll, on the loop's thread) and the
    # outcome: handed back by a worker.
    events = len(seen) - 1
    assert loop.handed_back >= (events - 1) + 1
