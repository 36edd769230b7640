"""Interpreter exit while asyncio calls are still running on the core's runtime: no crash.

A runtime worker that completes a call hands its outcome to the event loop, and forwards log
lines to Python's ``logging``. If it did so while the main thread finalizes the interpreter,
CPython would crash (SIGSEGV, or ``Fatal Python error: PyGILState_Release``); the native module
closes that path in an ``atexit`` hook. Each run is a fresh interpreter, so this is what a user's
script that returns with calls still in flight goes through.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

RUNS = 30

# 40 collections complete; then 200 more start and the script returns while they are in flight,
# with the sandbox still answering (0-40 ms of random latency per request) and every worker
# logging at DEBUG through a handler that does slow I/O (the GIL released for 0.5 ms, as a file or
# socket handler would), so workers are inside Python throughout the interpreter's exit. Half the
# runs leave through `asyncio.run` (which cancels the waiting coroutines), half with the event
# loop still open and the coroutines still waiting on their calls. Before the fix, about 3 runs
# in 4 crashed.
SCRIPT = textwrap.dedent(
    """
    import asyncio
    import logging
    import sys
    import time
    from decimal import Decimal

    from dollr.testing import Sandbox, TestNumbers

    class SlowIO(logging.Handler):
        def emit(self, record):
            time.sleep(0.0005)


    logging.getLogger("dollr").addHandler(SlowIO())
    logging.getLogger("dollr").setLevel(logging.DEBUG)
    sandbox = Sandbox(settle_ms=1, faults={"latency_jitter_ms": 40})
    client = sandbox.async_client()


    def collect(i):
        return client.collect(
            phone=TestNumbers.COMPLETES,
            amount=Decimal(f"{1 + i}.00"),
            currency="USD",
            payer_name=f"Exit Race {i}",
            poll_interval=0.001,
            max_poll_interval=0.005,
            wait_timeout=60,
        )


    async def main():
        outcomes = await asyncio.gather(*(collect(i) for i in range(40)))
        assert all(o.execution.status == "COMPLETED" for o in outcomes)
        in_flight = [asyncio.ensure_future(collect(i)) for i in range(40, 240)]
        await asyncio.sleep(0.01)
        print("returning with", sum(not t.done() for t in in_flight), "calls in flight")
        return in_flight


    if sys.argv[1] == "asyncio.run":
        asyncio.run(main())
    else:
        loop = asyncio.new_event_loop()
        still_waiting = loop.run_until_complete(main())
    """
)


def run_once(index: int) -> subprocess.CompletedProcess[str]:
    # The child must find the package the tests import (an editable install or the source tree).
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, "asyncio.run" if index % 2 else "open loop"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_exiting_with_asyncio_calls_in_flight_never_crashes_the_interpreter() -> None:
    # Two at a time: the machine's cores stay busy, which widens the race rather than hiding it.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(run_once, range(RUNS)))
    failures = [
        f"run {i}: exit status {run.returncode}\n{run.stderr[-2000:]}"
        for i, run in enumerate(runs)
        if run.returncode != 0 or "Fatal Python error" in run.stderr
    ]
    assert not failures, f"{len(failures)} of {RUNS} runs crashed:\n" + "\n".join(failures)
    # The race was really run: every script returned with calls still in flight.
    assert all("calls in flight" in run.stdout for run in runs)
    in_flight = [int(run.stdout.split()[2]) for run in runs]
    assert sum(in_flight) > 0, in_flight


def test_an_async_call_made_after_the_exit_hook_still_completes() -> None:
    # An `atexit` handler registered before `import dollr` runs after dollr's own exit hook, when
    # no runtime worker may hand a result back: its call must still complete, not wait forever.
    script = textwrap.dedent(
        """
        import asyncio
        import atexit


        def at_exit():
            async def late_call():
                async with sandbox.async_client() as client:
                    token = await client.auth.obtain_token()
                    print("late call answered:", token.expires_in > 0)

            asyncio.run(late_call())
            sandbox.shutdown()


        atexit.register(at_exit)

        from dollr.testing import Sandbox

        sandbox = Sandbox()
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "late call answered: True" in run.stdout, run.stderr
