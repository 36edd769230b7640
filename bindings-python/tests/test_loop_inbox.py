"""How asyncio calls' outcomes and progress events reach their event loop: through the loop's inbox
(the runtime worker never enters Python), or, on a loop that cannot watch a socket (Windows'
proactor loop), handed back by the worker (with ``loop.call_soon_threadsafe``).

A call may also end within its first poll on the loop's thread (a refusal; or, on a busy machine,
a poll long enough for the runtime to read the answer meanwhile); then nothing is handed back.
So the tests count the calls still waiting after their first poll (the native call returns the
caller's future for those) and never assume a network call waits."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
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
    handing an outcome back) and from its own (a wake-up of itself it never needs), and can refuse
    ``add_reader`` like the proactor loop."""

    def __init__(self, can_watch_sockets: bool) -> None:
        super().__init__()
        self.can_watch_sockets = can_watch_sockets
        self.handed_back = 0
        self.woken_from_its_thread = 0
        self.loop_thread: int | None = None

    def add_reader(self, fd: Any, callback: Any, *args: Any) -> None:
        if not self.can_watch_sockets:
            raise NotImplementedError
        super().add_reader(fd, callback, *args)

    def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:
        if threading.get_ident() != self.loop_thread:
            self.handed_back += 1
        else:
            self.woken_from_its_thread += 1
        return super().call_soon_threadsafe(callback, *args, context=context)


async def fee_tiers(client: Any, at_once: int) -> tuple[int, list[int]]:
    """``at_once`` fee-tier lookups through the native call the generated methods use: how many
    were still waiting after their first poll, and how many tiers each answered."""
    loop = asyncio.get_running_loop()
    answers: list[Any] = []
    waiting: list[asyncio.Future[Any]] = []
    for _ in range(at_once):
        future = loop.create_future()
        answer = client._native.call_async("fees.tiers", {}, future)
        if answer is future:
            waiting.append(future)
        else:
            answers.append(answer)
    answers += await asyncio.gather(*waiting)
    return len(waiting), [len(tiers) for tiers in answers]


def run_lookups(sandbox: Sandbox, loop: CountingLoop) -> tuple[int, list[int], Any]:
    """Lookups one at a time and many at once, then an API error: how many calls waited after
    their first poll, the tiers each lookup answered, and the loop's inbox as it was after them."""

    async def run() -> tuple[int, list[int], Any]:
        loop.loop_thread = threading.get_ident()
        waited, answered = 0, []
        async with sandbox.async_client() as client:
            for at_once in [1] * (LOOKUPS // 2) + [LOOKUPS // 2]:
                some_waited, some_answered = await fee_tiers(client, at_once)
                waited += some_waited
                answered += some_answered
            future = loop.create_future()
            try:
                answer = client._native.call_async("parties.retrieve", {"id": 987654}, future)
                waited += answer is future
                if answer is future:
                    await future
            except dollr.NotFoundError as error:
                assert error.status == 404
            else:
                raise AssertionError("expected NotFoundError")
            return waited, answered, _support._loop_inbox(loop)

    try:
        return loop.run_until_complete(run())
    finally:
        loop.close()


def test_a_loop_gets_its_outcomes_through_its_inbox(dollr_sandbox: Sandbox) -> None:
    loop = CountingLoop(can_watch_sockets=True)
    _, answered, inbox = run_lookups(dollr_sandbox, loop)
    assert len(answered) == LOOKUPS and all(count > 0 for count in answered)
    assert isinstance(inbox, dollr._native.LoopInbox)
    # Every call settled through the inbox: none is still waiting, no worker handed one back.
    assert repr(inbox) == "LoopInbox(waiting=0)"
    assert loop.handed_back == 0


def test_a_loop_that_cannot_watch_sockets_is_handed_each_outcome(dollr_sandbox: Sandbox) -> None:
    loop = CountingLoop(can_watch_sockets=False)
    waited, answered, inbox = run_lookups(dollr_sandbox, loop)
    assert len(answered) == LOOKUPS and all(count > 0 for count in answered)
    assert inbox is None
    # One hand-back by a worker per call that was still waiting after its first poll.
    assert loop.handed_back == waited


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


def start_a_waiting_call(sandbox: Sandbox, client: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Starts a fee-tier lookup on ``loop`` that is still waiting after its first poll, and leaves
    it: the sandbox holds its request (not the token's: the client has one from a first call)
    for two seconds, and a call whose first poll finished it anyway is tried again."""

    async def start() -> bool:
        future = asyncio.get_running_loop().create_future()
        return client._native.call_async("fees.tiers", {}, future) is future

    async def first_call() -> None:
        assert await client.fees.tiers()

    loop.run_until_complete(first_call())
    deadline = time.monotonic() + 60
    while True:
        sandbox.add_fault({"kind": "latency", "latency_ms": 2_000, "scope": "v1", "count": 1})
        if loop.run_until_complete(start()):
            return
        assert time.monotonic() < deadline, "every call finished within its first poll"


def test_a_closed_loop_with_a_call_in_flight_is_freed_with_its_inbox(
    dollr_sandbox: Sandbox,
) -> None:
    client = dollr_sandbox.async_client()
    loop = asyncio.new_event_loop()
    start_a_waiting_call(dollr_sandbox, client, loop)
    assert "waiting=1" in repr(_support._loop_inbox(loop))
    loop.close()
    closed_loop = weakref.ref(loop)
    del loop
    gc.collect()
    # The inbox does not keep its loop alive (the call ends on the runtime and its outcome is
    # dropped), and the client goes on serving other loops.
    assert closed_loop() is None
    dollr_sandbox.clear_faults()

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
    start_a_waiting_call(dollr_sandbox, client, loop)
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
    # The inbox delivers each event on the loop's thread: its handler is scheduled without the
    # self-pipe write `call_soon_threadsafe` makes to wake a loop from elsewhere.
    assert loop.woken_from_its_thread == 0


def test_a_loop_that_cannot_watch_sockets_is_handed_each_event(dollr_sandbox: Sandbox) -> None:
    loop = CountingLoop(can_watch_sockets=False)
    seen, status = collect_with_events(dollr_sandbox, loop)
    assert status == "COMPLETED"
    assert seen[0] == "validated" and seen[-2:] == ["receipt_fetched", "result"], seen
    # How many were handed back by a worker depends on how far each first poll got: not counted.
    assert _support._loop_inbox(loop) is None
