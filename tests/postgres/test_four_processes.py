"""Exactly-once across OS processes through the Python binding, on one PostgreSQL journal.

Four worker processes (``dollr.Client(journal="postgresql://...")``) collect payments against one
``dollr sandbox`` that loses 30 % of execution answers after committing them; two workers are
SIGKILLed at random instants. Then two reconcilers (two more processes) run at the same time.
The sandbox's own counters must show 0 duplicate payments and at most one execution per
reference id, every journaled intent must end COMPLETED or FAILED, and a further reconcile must
find nothing to do.

Run by ``make test-postgres`` (which starts the server and sets DOLLR_TEST_POSTGRES_URL and
DOLLR_SANDBOX_BINARY); without them the test fails, it is never skipped.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
PAYMENTS_PER_WORKER = 40
WORKER_CONCURRENCY = 8
# Short leases: a killed worker's intents can be adopted one second after its death.
LEASE_MS = 1000
DEADLINE_S = float(os.environ.get("DOLLR_TEST_DEADLINE_S", "240"))
# A worker to be killed pays until it is killed (as core/tests/crash.rs's child does): with a count
# it could finish before a stall of this process let the kill loop see its threshold. Orphaned (this
# process gone), it stops on its own after this long.
UNTIL_KILLED = "until-killed"
VICTIM_LIFETIME_S = 2 * DEADLINE_S


def _env(name: str) -> str:
    value = os.environ.get(name)
    assert value, f"{name} is not set: run this test with `make test-postgres`"
    return value


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def _client(base_url: str, journal: str) -> Any:
    import dollr

    config = _get(base_url + "/_sandbox/config")
    return dollr.Client(
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        base_url=base_url,
        journal=journal,
        ignore_env=True,
    )


def worker(base_url: str, journal: str, count: int | None) -> None:
    """Collects `count` payments (`None`: until killed), 8 at a time (so a kill leaves several in
    flight), printing one line per finished call (the parent counts them)."""
    import dollr
    from dollr.testing import TestNumbers

    printing = threading.Lock()
    taking = threading.Lock()
    numbers = itertools.count()
    stop_at = time.monotonic() + VICTIM_LIFETIME_S

    def take() -> int | None:
        """The next payment's number, or None when there is none left to make."""
        with taking:
            n = next(numbers)
        if count is None:
            return n if time.monotonic() < stop_at else None
        return n if n < count else None

    with _client(base_url, journal) as client:

        def pay(n: int) -> None:
            try:
                outcome = client.collect(
                    phone=TestNumbers.COMPLETES,
                    amount="5.00",
                    currency="USD",
                    payer_name=f"payer {os.getpid()} {n}",
                    poll_interval=0.02,
                    wait_timeout=20.0,
                )
                line = f"done {outcome.execution.status}"
            except dollr.DollrError as error:  # an ambiguous outcome: reconcile's job
                line = f"error {type(error).__name__}"
            with printing:
                print(line, flush=True)

        def pay_until_done(_: int) -> None:
            while (n := take()) is not None:
                pay(n)

        # Each thread takes the next number when it is free (no payment is queued ahead of time,
        # however many there are); an exception other than DollrError fails the worker.
        with ThreadPoolExecutor(max_workers=WORKER_CONCURRENCY) as pool:
            list(pool.map(pay_until_done, range(WORKER_CONCURRENCY)))


def reconciler(base_url: str, journal: str) -> None:
    """Reconciles (resubmitting what never landed) until a round leaves nothing open; prints a
    JSON summary of every round."""
    rounds = []
    with _client(base_url, journal) as client:
        deadline = time.monotonic() + 120
        while True:
            report = client.reconcile(
                resubmit=True, execute_policy={"initial_backoff_ms": 10, "max_backoff_ms": 100}
            )
            rounds.append(
                {
                    "entries": [e.reference_id for e in report.entries],
                    "open": report.still_processing + report.unreachable + report.not_submitted,
                }
            )
            # Done when a round finds nothing left to claim (a resubmitted payment may still be
            # processing: the next round follows it up).
            if not rounds[-1]["entries"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    print(json.dumps(rounds), flush=True)


class _Lines:
    """Counts a child's stdout lines on a thread (so its pipe never fills)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.count = 0
        self.text: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.text.append(line)
            self.count += 1

    def join(self) -> None:
        self._thread.join(timeout=30)


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
    )


def _psql(url: str, query: str) -> str:
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", query],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


def _wait(what: str, check: Any, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_four_processes_two_killed_two_reconcilers_no_duplicate_payment() -> None:
    server = _env("DOLLR_TEST_POSTGRES_URL")
    sandbox_binary = _env("DOLLR_SANDBOX_BINARY")
    schema = "t4_" + uuid.uuid4().hex
    journal = f"{server}?schema={schema}&lease_ms={LEASE_MS}"
    table = f'"{schema}".dollr_execution_intents'
    rng = random.Random()
    sandbox = subprocess.Popen(
        [
            sandbox_binary,
            "sandbox",
            "--port",
            "0",
            "--exit-when-stdin-closes",
            "--settle-ms",
            "40",
            "--drop-response-rate",
            "0.3",
            "--drop-response-scope",
            "executions",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    workers: list[subprocess.Popen[str]] = []
    try:
        assert sandbox.stdout is not None
        first = sandbox.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        base_url = first.removeprefix("listening on ").strip()
        threading.Thread(target=sandbox.stdout.read, daemon=True).start()

        # Workers 0 and 1 pay until they are killed; 2 and 3 make PAYMENTS_PER_WORKER payments.
        workers = [_spawn("worker", base_url, journal, UNTIL_KILLED) for _ in range(2)]
        workers += [_spawn("worker", base_url, journal, str(PAYMENTS_PER_WORKER)) for _ in range(2)]
        lines = [_Lines(w) for w in workers]
        # Two workers are killed at random instants: each once it has finished a random number of
        # calls (with 8 in flight, several are mid-payment then). They never run out of payments,
        # so each is still running when it is killed, however late the kill comes.
        thresholds = {
            0: rng.randint(1, PAYMENTS_PER_WORKER // 2),
            1: rng.randint(1, PAYMENTS_PER_WORKER // 2),
        }
        deadline = time.monotonic() + DEADLINE_S
        while thresholds:
            for index in list(thresholds):
                victim = workers[index]
                if lines[index].count >= thresholds[index] or victim.poll() is not None:
                    victim.send_signal(signal.SIGKILL)
                    victim.wait(timeout=30)
                    assert victim.returncode == -signal.SIGKILL, (
                        f"worker {victim.pid} ended before it was killed"
                    )
                    del thresholds[index]
            assert time.monotonic() < deadline, "the workers made no progress"
            time.sleep(0.005)
        print(f"killed two workers; finished calls: {[r.count for r in lines]}", flush=True)
        for survivor in workers[2:]:
            survivor.wait(timeout=DEADLINE_S)
            assert survivor.returncode == 0, f"worker {survivor.pid} failed"
        for reader in lines:
            reader.join()
        # Each survivor finished every one of its calls (an outcome or an ambiguous error).
        assert [r.count for r in lines[2:]] == [PAYMENTS_PER_WORKER] * 2, [
            r.text for r in lines[2:]
        ]

        unresolved_states = "('PENDING', 'PROCESSING', 'NOT_SUBMITTED')"
        total = int(_psql(server, f"SELECT count(*) FROM {table}"))
        assert total >= 2 * PAYMENTS_PER_WORKER, total
        # The killed workers' leases expire on their own (one second, the server's clock).
        _wait(
            "the killed workers' leases to expire",
            lambda: (
                _psql(server, f"SELECT count(*) FROM {table} WHERE lease_expires_at > now()") == "0"
            ),
        )
        left_open = int(
            _psql(server, f"SELECT count(*) FROM {table} WHERE state IN {unresolved_states}")
        )

        # Two reconcilers at the same time.
        reconcilers = [_spawn("reconcile", base_url, journal) for _ in range(2)]
        outputs = [r.communicate(timeout=DEADLINE_S)[0] for r in reconcilers]
        for r, out in zip(reconcilers, outputs):
            assert r.returncode == 0, f"reconciler failed: {out}"
        rounds = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
        sizes = [[len(r["entries"]) for r in rs] for rs in rounds]
        print(f"{total} intents, {left_open} left open by the workers; reconcile rounds: {sizes}")
        handled = [set(rid for rnd in rs for rid in rnd["entries"]) for rs in rounds]
        assert len(handled[0] | handled[1]) >= left_open, (left_open, rounds)

        # Every intent is final…
        states = _psql(server, f"SELECT state, count(*) FROM {table} GROUP BY state ORDER BY state")
        assert (
            _psql(
                server, f"SELECT count(*) FROM {table} WHERE state NOT IN ('COMPLETED', 'FAILED')"
            )
            == "0"
        ), states
        # …a further reconcile finds nothing…
        with _client(base_url, journal) as client:
            again = client.reconcile(resubmit=True)
            assert again.entries == [], again
        # …and the sandbox, by its own counters, paid nothing twice.
        stats = _get(base_url + "/_sandbox/stats")
        assert stats["duplicate_payments"] == 0, stats["duplicate_payment_details"]
        by_reference = stats["executions"]["by_reference_id"]
        journaled = set(_psql(server, f"SELECT reference_id FROM {table}").split())
        created = {rid for rid, e in by_reference.items() if e["created"]}
        # Every final intent is an execution the sandbox created, nothing else was created, and no
        # reference id was created twice.
        assert created == journaled, (sorted(created - journaled), sorted(journaled - created))
        assert stats["executions"]["created"] == len(journaled), stats["executions"]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(timeout=30)
        if sandbox.stdin is not None:
            sandbox.stdin.close()
        try:
            sandbox.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.wait(timeout=30)
        try:
            _psql(server, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        except subprocess.SubprocessError:
            pass


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "worker":
        worker(sys.argv[2], sys.argv[3], None if sys.argv[4] == UNTIL_KILLED else int(sys.argv[4]))
    elif mode == "reconcile":
        reconciler(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown mode {mode}")
