"""The asyncio client: many calls in flight on the core's runtime (not a thread each), events
delivered on the event loop, and the same typed results as the blocking client."""

from __future__ import annotations

import asyncio
import logging
import threading
from decimal import Decimal

import pytest

import dollr
from dollr.testing import Sandbox, TestNumbers

CONCURRENT = 200


def test_200_concurrent_collections_all_complete_exactly_once() -> None:
    with Sandbox(settle_ms=5) as sandbox:
        threads_before = threading.active_count()

        async def run() -> list[dollr.CollectOutcome]:
            async with sandbox.async_client() as client:
                # One party and counterparty for all: the flows differ in invoice, session and
                # execution (each with its own reference id, generated and journaled by the core).
                party = await client.parties.create(
                    fullname="Many Payer", phone=TestNumbers.COMPLETES
                )
                customer = await client.counterparties.create(
                    relationship_type="CUSTOMER", party_id=party.id
                )
                return await asyncio.gather(
                    *(
                        client.collect(
                            phone=TestNumbers.COMPLETES,
                            amount=Decimal(f"{1 + i % 50}.{i % 100:02d}"),
                            currency="USD",
                            party_id=party.id,
                            counterparty_id=customer.id,
                            predict_fees=False,
                            poll_interval=0.01,
                            max_poll_interval=0.1,
                            wait_timeout=60,
                        )
                        for i in range(CONCURRENT)
                    )
                )

        outcomes = asyncio.run(run())
        # No thread per call: the core's runtime has a fixed pool of workers.
        assert threading.active_count() - threads_before < 16
        stats = sandbox.stats()

    assert len(outcomes) == CONCURRENT
    assert all(o.execution.status == "COMPLETED" and o.settled for o in outcomes)
    assert [o.total_amount for o in outcomes] == [
        Decimal(f"{1 + i % 50}.{i % 100:02d}") for i in range(CONCURRENT)
    ]
    assert len({o.reference_id for o in outcomes}) == CONCURRENT
    assert stats["executions"]["created"] == CONCURRENT
    assert stats["duplicate_payments"] == 0


def test_events_arrive_on_the_event_loop_before_the_result(dollr_sandbox: Sandbox) -> None:
    async def run() -> None:
        loop_thread = threading.get_ident()
        seen: list[tuple[str, int]] = []
        first: list[dollr.FlowEvent] = []
        async with dollr_sandbox.async_client() as client:
            outcome = await client.collect(
                phone=TestNumbers.COMPLETES,
                amount=Decimal("9.99"),
                currency="USD",
                payer_name="Loop Events",
                poll_interval=0.01,
                on_event=lambda event: (
                    first.append(event) if not first else None,
                    seen.append((event.event, threading.get_ident())),
                ),
            )
        assert outcome.execution.status == "COMPLETED"
        assert seen[0][0] == "validated" and seen[-1][0] == "receipt_fetched"
        assert str(first[0]) == "collect: input valid"
        assert {thread for _, thread in seen} == {loop_thread}

    asyncio.run(run())


def test_a_failing_callback_does_not_break_the_payment(
    dollr_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(event: dollr.FlowEvent) -> None:
        raise RuntimeError("callback bug")

    with dollr_sandbox.client() as client:
        outcome = client.collect(
            phone=TestNumbers.COMPLETES,
            amount=Decimal("1.00"),
            currency="USD",
            payer_name="Bad Callback",
            poll_interval=0.01,
            on_event=explode,
        )
    assert outcome.execution.status == "COMPLETED"
    failures = [r for r in caplog.records if r.name == "dollr" and "on_event" in r.getMessage()]
    assert failures and failures[0].exc_info is not None


def test_sync_events_run_on_the_calling_thread(dollr_sandbox: Sandbox) -> None:
    threads: set[int] = set()
    with dollr_sandbox.client() as client:
        client.collect(
            phone=TestNumbers.DECLINES,
            amount=Decimal("2.00"),
            currency="USD",
            payer_name="Declined",
            poll_interval=0.01,
            on_event=lambda event: threads.add(threading.get_ident()),
        )
    assert threads == {threading.get_ident()}


def test_a_log_handler_may_wait_for_a_call_of_the_same_runtime(dollr_sandbox: Sandbox) -> None:
    # The asyncio clients' runtime has one worker, and a log record of a call finishing there is
    # handed to the `dollr` logger's handlers on it. A handler that waits for another call of the
    # same runtime (here: one the event loop makes for it) would wait forever for the worker it is
    # holding, unless the runtime goes on without it (`call_foreign`). Bounded: a runtime that
    # stops makes the handler's wait time out and the test fail, not hang.
    outcomes: list[object] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()
        async with dollr_sandbox.async_client() as client:

            class WaitOnTheLoop(logging.Handler):
                def handle(self, record: logging.LogRecord) -> bool:
                    # Without the handler's lock: the loop's own call logs through this handler
                    # while the worker waits in it.
                    self.emit(record)
                    return True

                def emit(self, record: logging.LogRecord) -> None:
                    if outcomes or threading.get_ident() == loop_thread:
                        return
                    outcomes.append("waiting")
                    call = asyncio.run_coroutine_threadsafe(client.fees.tiers(), loop)
                    try:
                        outcomes.append(len(call.result(timeout=20)))
                    except BaseException as error:  # reported by the assertion below
                        outcomes.append(error)

            # The token first: a handler called from inside the token's fetch, waiting for a call
            # that needs that token, would wait for itself whatever the runtime.
            assert await client.fees.tiers()
            logger = logging.getLogger("dollr")
            handler, level = WaitOnTheLoop(), logger.level
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            try:
                deadline = loop.time() + 60
                while not outcomes and loop.time() < deadline:
                    await client.parties.list(fullname="Logged Lookup")
                while len(outcomes) < 2 and loop.time() < deadline:
                    await asyncio.sleep(0.01)
            finally:
                logger.removeHandler(handler)
                logger.setLevel(level)

    asyncio.run(run())
    assert outcomes[0] == "waiting", outcomes
    assert isinstance(outcomes[1], int) and outcomes[1] > 0, outcomes


def test_errors_are_raised_from_await(dollr_sandbox: Sandbox) -> None:
    async def run() -> None:
        async with dollr_sandbox.async_client() as client:
            try:
                await client.parties.retrieve(987654)
            except dollr.NotFoundError as error:
                assert error.status == 404
            else:
                raise AssertionError("expected NotFoundError")

    asyncio.run(run())


def test_cancelling_the_await_leaves_the_payment_to_finish() -> None:
    # Cancelling the asyncio task stops the waiting, not the core's call: an execution is never
    # abandoned half-way (it stays journaled and completes; `reconcile` or `status` find it).
    # Its own sandbox with a ten-minute settle time: the payment cannot finish (and the task
    # return) however long this process is descheduled before `cancel()`; the test then finishes
    # it with `advance_to_final`.
    async def run(sandbox: Sandbox) -> None:
        async with sandbox.async_client() as client:
            task = asyncio.ensure_future(
                client.collect(
                    phone=TestNumbers.SLOW,
                    amount=Decimal("3.00"),
                    currency="USD",
                    payer_name="Cancelled Waiter",
                    poll_interval=0.01,
                )
            )
            deadline = asyncio.get_running_loop().time() + 20
            while sandbox.stats()["executions"]["created"] == 0:
                assert asyncio.get_running_loop().time() < deadline, "no execution started"
                await asyncio.sleep(0.01)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            else:
                raise AssertionError("expected the await to be cancelled")
            [reference_id] = sandbox.stats()["executions"]["by_reference_id"]
            # Still in flight after the cancel, then finished: nothing was abandoned.
            assert (await client.status.collection(reference_id)).status == "PENDING"
            assert sandbox.advance_to_final(reference_id) == "COMPLETED"
            waited = await client.status.wait(
                reference_id, operation="COLLECTION", initial_interval=0.01, timeout=20
            )
            assert waited.execution is not None and waited.execution.status == "COMPLETED"

    with Sandbox(settle_ms=600_000) as sandbox:
        asyncio.run(run(sandbox))
        assert sandbox.stats()["executions"]["created"] == 1
