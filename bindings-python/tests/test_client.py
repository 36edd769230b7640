"""The clients themselves: construction and environment fallbacks, context managers, timeouts and
retries, the GIL released while waiting, the durable journal, and logs without secrets."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest

import dollr
from dollr.testing import Sandbox, TestNumbers

FAST = {"poll_interval": 0.01, "max_poll_interval": 0.05, "wait_timeout": 20}


def execution_posts(sandbox: Sandbox) -> int:
    routes = sandbox.stats()["requests"]["by_route"]
    return sum(n for route, n in routes.items() if route.startswith("POST /v1/executions/"))


def test_credentials_and_base_url_fall_back_to_the_environment(
    dollr_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOLLR_CLIENT_ID", dollr_sandbox.client_id)
    monkeypatch.setenv("DOLLR_CLIENT_SECRET", dollr_sandbox.client_secret)
    monkeypatch.setenv("DOLLR_BASE_URL", dollr_sandbox.url)
    with dollr.Client() as client:
        assert client.base_url == dollr_sandbox.url
        assert client.client_id == dollr_sandbox.client_id
        assert client.auth.obtain_token().expires_in > 0


def test_missing_credentials_are_a_validation_error_naming_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DOLLR_CLIENT_ID", "DOLLR_CLIENT_SECRET", "DOLLR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(dollr.ValidationError) as caught:
        dollr.Client()
    assert caught.value.details[0].field == "client_id"
    with pytest.raises(dollr.ValidationError, match="plain http"):
        dollr.AsyncClient(client_id="id", client_secret="s", base_url="http://example.com")


def test_bad_options_are_refused_by_the_core() -> None:
    # A number the binding can send but beyond the option's range is the core's verdict, naming
    # the option (what is no number at all is refused by the binding: test_numbers.py).
    with pytest.raises(dollr.ValidationError, match="client option `max_retries`") as caught:
        dollr.Client(
            client_id="id", client_secret="s", base_url="http://127.0.0.1:9", max_retries=2**40
        )
    assert caught.value.details[0].field == "max_retries"


def test_repr_and_errors_never_show_the_secret(dollr_sandbox: Sandbox) -> None:
    secret = "wrong-secret-a8f3"
    client = dollr.Client(client_id="someone", client_secret=secret, base_url=dollr_sandbox.url)
    assert secret not in repr(client) and "someone" in repr(client)
    with pytest.raises(dollr.AuthenticationError) as caught:
        client.parties.list()
    error = caught.value
    assert error.status == 401 and error.kind == "Authentication"
    assert secret not in str(error) and secret not in repr(error) and secret not in error.message


def test_with_closes_the_client_and_later_calls_fail_clearly(dollr_sandbox: Sandbox) -> None:
    with dollr_sandbox.client() as client:
        assert not client.closed
    assert client.closed
    with pytest.raises(dollr.ValidationError, match="closed"):
        client.parties.list()


def test_async_with_closes_the_client(dollr_sandbox: Sandbox) -> None:
    async def run() -> dollr.AsyncClient:
        async with dollr_sandbox.async_client() as client:
            assert (await client.auth.obtain_token()).expires_in > 0
        return client

    client = asyncio.run(run())
    assert client.closed


def test_timeout_is_seconds_and_expiry_is_a_timeout_error(dollr_sandbox: Sandbox) -> None:
    # The server answers after 30 s; the 0.2 s timeout must end the call long before. The bound
    # (20 s) leaves room for a stalled, busy machine and still proves the timeout ended it.
    dollr_sandbox.add_fault({"kind": "latency", "latency_ms": 30_000, "scope": "v1"})
    client = dollr_sandbox.client(timeout=0.2, max_retries=0)
    started = time.monotonic()
    with pytest.raises(dollr.DollrTimeoutError) as caught:
        client.auth.obtain_token()
    assert time.monotonic() - started < 20
    assert caught.value.kind == "Timeout" and isinstance(caught.value, TimeoutError)
    # The sandbox is still delaying that request (30 s) and its shutdown waits for it unless the
    # client hung up: see the next test.
    client.close()


def test_close_hangs_up_the_connections_of_a_blocking_client() -> None:
    # A request the server holds for 30 s, given up after 0.2 s. The blocking client's connections
    # live on its own runtime, which runs only while a thread drives it: `close()` must drive it
    # until they are closed, or the server keeps waiting to answer until the garbage collector
    # frees the client (the traceback below keeps it alive). The server's graceful shutdown waits
    # for the requests of connections still open; with the connection closed it stops at once.
    sandbox = Sandbox()
    try:
        sandbox.add_fault({"kind": "latency", "latency_ms": 30_000, "scope": "v1"})
        client = sandbox.client(timeout=0.2, max_retries=0)
        with pytest.raises(dollr.DollrTimeoutError) as caught:
            client.auth.obtain_token()
        client.close()
        assert client.closed and caught.value.kind == "Timeout"
        started = time.monotonic()
    finally:
        sandbox.shutdown()
    # Well under the 30 s the held request would have kept it running.
    assert time.monotonic() - started < 20


def test_max_retries_is_passed_to_the_core(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.add_fault({"kind": "error", "status": 503, "scope": "v1", "count": 1})
    with pytest.raises(dollr.ServerError) as caught:
        dollr_sandbox.client(max_retries=0).auth.obtain_token()
    assert caught.value.status == 503
    dollr_sandbox.add_fault({"kind": "error", "status": 503, "scope": "v1", "count": 1})
    assert dollr_sandbox.client(max_retries=2).auth.obtain_token().expires_in > 0


def test_a_rate_limit_carries_retry_after(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.add_fault({"kind": "rate_limit", "retry_after": 120, "scope": "token"})
    with pytest.raises(dollr.RateLimitError) as caught:
        dollr_sandbox.client().auth.obtain_token()
    assert caught.value.retry_after == 120.0 and caught.value.status == 429


def test_a_blocking_call_releases_the_gil(dollr_sandbox: Sandbox) -> None:
    # While the call waits ~400 ms on the network, a pure-Python thread must keep running.
    dollr_sandbox.add_fault({"kind": "latency", "latency_ms": 400, "scope": "v1", "count": 1})
    client = dollr_sandbox.client()
    spins = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal spins
        while not stop.is_set():
            spins += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        time.sleep(0.01)
        before = spins
        client.auth.obtain_token()
        during = spins - before
    finally:
        stop.set()
        thread.join()
    assert during > 10_000, during


@pytest.fixture
def press_ctrl_c() -> Iterator[Callable[[Sandbox], threading.Thread]]:
    """Ctrl-C for this process, whatever the process was started with: Python's own SIGINT
    handler is installed for the test (a process started with SIGINT ignored — ``nohup``,
    ``trap '' INT``, many CI runners — has none, and would never see the key) and restored after.

    The fixture's value presses it (a real SIGINT to this process) from a helper thread as soon as
    the sandbox holds the request that its counted latency rule delays: the signal arrives while
    the call waits, however slow the machine is.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def press_when_held(sandbox: Sandbox) -> threading.Thread:
        def press() -> None:
            deadline = time.monotonic() + 20
            while sandbox.faults()["rules"] and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(os.getpid(), signal.SIGINT)

        thread = threading.Thread(target=press)
        thread.start()
        return thread

    try:
        yield press_when_held
    finally:
        signal.signal(signal.SIGINT, previous)


# Long enough that the interrupt (seen within the 100 ms a blocked call takes to check for
# signals) always lands while the request is still held.
HELD_MS = 3000


def token_requests_answered(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.request_log() if r["path"] == "/v1/jwt/client/obtain/token")


def test_ctrl_c_interrupts_a_blocking_wait(
    dollr_sandbox: Sandbox, press_ctrl_c: Callable[[Sandbox], threading.Thread]
) -> None:
    # A long wait must not make the process deaf to Ctrl-C (the payment itself carries on).
    dollr_sandbox.add_fault({"kind": "latency", "latency_ms": HELD_MS, "scope": "v1", "count": 1})
    client = dollr_sandbox.client()
    presser = press_ctrl_c(dollr_sandbox)
    try:
        with pytest.raises(KeyboardInterrupt):
            client.auth.obtain_token()
        # Interrupted while the sandbox still held the request: its answer was not back yet.
        assert token_requests_answered(dollr_sandbox) == 0
    finally:
        presser.join()


def test_an_interrupted_call_still_finishes_and_the_client_keeps_working(
    dollr_sandbox: Sandbox, press_ctrl_c: Callable[[Sandbox], threading.Thread]
) -> None:
    # The blocking client's calls run on the calling thread; after Ctrl-C the call must carry on
    # elsewhere to its end (a flow is never abandoned half-way), and the client must keep serving
    # calls meanwhile.
    client = dollr_sandbox.client()
    assert client.parties.list(fullname="Interrupted") == []  # the token is in hand
    posts_before = execution_posts(dollr_sandbox)
    # The flow's first request (the MMO prediction or the party) is slow: Ctrl-C lands there, long
    # before the flow would reach its execution.
    dollr_sandbox.add_fault({"kind": "latency", "latency_ms": HELD_MS, "scope": "v1", "count": 1})
    presser = press_ctrl_c(dollr_sandbox)
    try:
        with pytest.raises(KeyboardInterrupt):
            client.collect(
                phone=TestNumbers.COMPLETES,
                amount=Decimal("3.00"),
                currency="USD",
                payer_name="Interrupted Caller",
                **FAST,
            )
    finally:
        presser.join()
    assert execution_posts(dollr_sandbox) == posts_before
    # Meanwhile the same client answers other calls, and the flow reaches its execution.
    deadline = time.monotonic() + 20
    while execution_posts(dollr_sandbox) == posts_before:
        assert time.monotonic() < deadline, "the interrupted flow never reached its execution"
        client.parties.list(fullname="Interrupted")
        time.sleep(0.02)
    assert [p.fullname for p in client.parties.list(fullname="Interrupted")] == [
        "Interrupted Caller"
    ]


def test_the_durable_journal_survives_a_new_client(dollr_sandbox: Sandbox, tmp_path: Path) -> None:
    journal = tmp_path / "payments.db"
    with dollr_sandbox.client(journal=str(journal)) as client:
        outcome = client.collect(
            phone=TestNumbers.COMPLETES,
            amount=Decimal("5.00"),
            currency="USD",
            payer_name="Journal Test",
            **FAST,
        )
        assert outcome.execution.status == "COMPLETED"
    assert journal.exists()
    # A new process would open the same file: the journaled reference id is known, so reusing it
    # for another payment is refused before anything is sent.
    posts_before = execution_posts(dollr_sandbox)
    with dollr.Client(
        client_id=dollr_sandbox.client_id,
        client_secret=dollr_sandbox.client_secret,
        base_url=dollr_sandbox.url,
        journal=journal,
    ) as again:
        assert again.reconcile().entries == []
        with pytest.raises(dollr.ConflictError) as caught:
            again.executions.collection(
                session_id=outcome.session_id + 1000,
                payment_account_id=outcome.payment_account_id,
                currency="USD",
                reference_id=outcome.reference_id,
            )
        assert caught.value.reference_id == outcome.reference_id
    assert execution_posts(dollr_sandbox) == posts_before == 1


def test_logs_go_to_the_dollr_logger_without_secrets(
    dollr_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dollr")
    with dollr_sandbox.client() as client:
        token = client.auth.obtain_token()
        outcome = client.payout(
            phone=TestNumbers.COMPLETES_ORANGE_LR,
            amount=Decimal("3.00"),
            currency="USD",
            recipient_name="Log Test",
            passcode={"code": dollr_sandbox.passcode, "phone": TestNumbers.COMPLETES},
            **FAST,
        )
    assert outcome.execution.status == "COMPLETED"
    records = [r for r in caplog.records if r.name == "dollr"]
    text = "\n".join(r.getMessage() for r in records)
    assert any("dollr request" in r.getMessage() for r in records), text
    assert any(r.levelno == logging.INFO and "execution" in r.getMessage() for r in records), text
    for secret in (
        dollr_sandbox.client_secret,
        dollr_sandbox.passcode,
        token.access_token.get_secret_value(),
    ):
        assert secret not in text


def test_nothing_is_logged_above_the_loggers_level(
    dollr_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dollr")
    with dollr_sandbox.client() as client:
        client.auth.obtain_token()
    assert not [r for r in caplog.records if r.name == "dollr"]


def test_a_level_change_applies_from_the_next_call(
    dollr_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # The native module keeps the level it read until `logging` empties the logger's level cache
    # (any setLevel, on the logger or on one it inherits from): each change below must show in
    # the very next call of the same client.
    def logged_requests() -> int:
        count = sum(
            1 for r in caplog.records if r.name == "dollr" and "dollr request" in r.getMessage()
        )
        caplog.clear()
        return count

    with dollr_sandbox.client() as client:
        for logger_level, root_level, logged in (
            (logging.WARNING, logging.DEBUG, False),
            (logging.DEBUG, logging.WARNING, True),
            (logging.WARNING, logging.WARNING, False),
            (logging.NOTSET, logging.DEBUG, True),  # inherited from the root logger
            (logging.NOTSET, logging.WARNING, False),
            (logging.DEBUG, logging.WARNING, True),
        ):
            caplog.set_level(root_level)
            caplog.set_level(logger_level, logger="dollr")
            assert client.fees.tiers()
            assert (logged_requests() > 0) == logged, (logger_level, root_level)


def test_a_client_released_while_another_client_is_running_a_call_goes_quietly(
    dollr_sandbox: Sandbox, tmp_path: Path
) -> None:
    # A client is garbage (its resources refer back to it) that the garbage collector may free
    # on whatever thread allocates next — such as one driving another client's call, in a log
    # handler the running call's log line reaches. The freed client's runtime (with the threads
    # its SQLite journal started) must shut down there without a panic.
    doomed = [dollr_sandbox.client(journal=tmp_path / "doomed.db")]
    assert doomed[0].reconcile().entries == []

    class ReleaseOnLog(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if doomed:
                doomed.clear()  # the last reference to the other client
                gc.collect()

    unraisable: list[Any] = []
    logger = logging.getLogger("dollr")
    handler = ReleaseOnLog()
    level, hook = logger.level, sys.unraisablehook
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    sys.unraisablehook = unraisable.append
    try:
        with dollr_sandbox.client() as client:
            assert client.auth.obtain_token().expires_in > 0
    finally:
        sys.unraisablehook = hook
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert doomed == []
    assert [str(u.exc_value) for u in unraisable] == []


def test_an_event_callback_can_call_the_same_client(dollr_sandbox: Sandbox) -> None:
    # A fresh client: the flow's first event is reported while the flow is fetching the token,
    # under the single-flight refresh that the callback's own call then needs. The flow runs as a
    # task of the client's runtime, which the callback's call drives: before, both waited forever.
    client = dollr_sandbox.client()
    looked_up: list[int] = []
    outcome: list[Any] = []

    def look_up(event: object) -> None:
        looked_up.append(len(client.parties.list(fullname="Re Entrant")))

    def flow() -> None:
        outcome.append(
            client.collect(
                phone=TestNumbers.COMPLETES,
                amount=Decimal("3.00"),
                currency="USD",
                payer_name="Re Entrant",
                on_event=look_up,
                **FAST,
            )
        )

    runner = threading.Thread(target=flow, daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the flow and its callback's call waited for each other"
    assert outcome[0].execution.status == "COMPLETED"
    assert len(looked_up) >= 5, looked_up
    # Each lookup saw the flow's party or not yet (which, for the first events, depends on how far
    # the flow's task got while the callback's call ran): never gone again, there by the last event.
    assert set(looked_up) <= {0, 1} and looked_up == sorted(looked_up), looked_up
    assert looked_up[-1] == 1, looked_up
