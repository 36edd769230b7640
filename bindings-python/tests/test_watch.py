"""`client.status.watch(..)`: a collection's changes over the sandbox's Supabase Realtime server,
as a `for` loop (`dollr.Client`) and an `async for` loop (`dollr.AsyncClient`); leaving the loop
closes the socket. Deterministic: the sandbox settles only when told, polls are 60 s apart (so a
change seen in time came over realtime), and the test advances the payment only once the watch
has joined its channel and made its catch-up poll."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import dollr
from dollr.testing import Sandbox, TestNumbers

DEADLINE = 30.0


def until(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"deadline passed waiting for {what}"
        time.sleep(0.005)


def in_flight(client: dollr.Client) -> tuple[str, int]:
    """A collection whose flow stopped waiting at once: its reference id and session."""
    outcome = client.collect(
        phone=TestNumbers.COMPLETES,
        amount=Decimal("6.00"),
        currency="USD",
        payer_name="Amara Kamara",
        wait_timeout=0.001,
    )
    assert not outcome.settled
    return outcome.reference_id, outcome.session_id


def lookups(box: Sandbox, reference: str) -> int:
    return sum(
        1
        for entry in box.request_log()
        if entry["method"] == "GET" and entry["path"].endswith(reference) and entry["status"] == 200
    )


def joins(box: Sandbox) -> int:
    joined: int = box.stats()["realtime"]["joins"]
    return joined


def drive(box: Sandbox, reference: str, joins_before: int, seen: list[str]) -> threading.Thread:
    """Advances the payment step by step once the watch listens (on a thread: a blocking watch
    drives its client from the loop's thread)."""

    def run() -> None:
        until(
            "the join and the catch-up poll",
            lambda: joins(box) > joins_before and lookups(box, reference) >= 2,
        )
        box.advance(reference)
        until("PROCESSING seen", lambda: "PROCESSING" in seen)
        box.advance(reference)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_collection_is_watched_pending_processing_completed_over_realtime() -> None:
    with Sandbox(settle_ms=600_000) as box, box.client() as payer, box.client() as watcher:
        reference, session = in_flight(payer)
        seen: list[str] = []
        channels: list[str] = []
        driver = drive(box, reference, joins(box), seen)
        # A client with its own journal: its first observation (PENDING) is reported too.
        with watcher.status.watch(
            reference, session_id=session, initial_interval=60, max_interval=60, timeout=DEADLINE
        ) as watch:
            for change in watch:
                seen.append(change.to)
                channels.append(change.channel)
        driver.join(DEADLINE)
        assert seen == ["PENDING", "PROCESSING", "COMPLETED"]
        assert channels == ["poll", "realtime", "realtime"]
        assert watch.outcome is not None and watch.outcome.state == "finished"


def test_leaving_the_loop_closes_the_socket() -> None:
    with Sandbox(settle_ms=600_000) as box, box.client() as payer, box.client() as watcher:
        reference, session = in_flight(payer)
        seen: list[str] = []
        driver = drive(box, reference, joins(box), seen)
        for change in watcher.status.watch(
            reference, session_id=session, initial_interval=60, max_interval=60, timeout=DEADLINE
        ):
            seen.append(change.to)
            if change.to == "PROCESSING":
                assert box.stats()["realtime"]["open"] == 1
                break
        until("the socket closed", lambda: box.stats()["realtime"]["open"] == 0)
        driver.join(DEADLINE)


def test_async_for_watches_over_realtime_and_its_socket_closes_after() -> None:
    with Sandbox(settle_ms=600_000) as box, box.client() as payer:
        reference, session = in_flight(payer)
        seen: list[str] = []
        channels: list[str] = []
        driver = drive(box, reference, joins(box), seen)

        async def main() -> None:
            async with box.async_client() as client:
                async with client.status.watch(
                    reference,
                    session_id=session,
                    initial_interval=60,
                    max_interval=60,
                    timeout=DEADLINE,
                ) as watch:
                    async for change in watch:
                        seen.append(change.to)
                        channels.append(change.channel)

        asyncio.run(main())
        driver.join(DEADLINE)
        assert seen == ["PENDING", "PROCESSING", "COMPLETED"]
        assert channels == ["poll", "realtime", "realtime"]
        until("every socket closed", lambda: box.stats()["realtime"]["open"] == 0)
