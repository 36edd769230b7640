"""Runs in a fresh venv where `pip install --no-index --find-links dist "dollr[testing]"` is all
that was installed (after `dollr` alone), on a machine with no Rust: a collection and a payout
against the sandbox the testing companion brings (its bundled `dollr` binary:
DOLLR_SANDBOX_BINARY is unset, the venv's bin is not on PATH), checked against the sandbox's own
counters; then `dollr sandbox`, the console script, starts. Runs on every CPython the wheel
claims (abi3, >= 3.9)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import dollr
import dollr_testing
from dollr.testing import Sandbox, TestNumbers

VENV = Path(sys.prefix).resolve()
SCRIPTS = Path(sys.executable).parent


def pytest_plugins() -> list[Any]:
    found: Any = metadata.entry_points()
    if hasattr(found, "select"):  # Python >= 3.10
        return list(found.select(group="pytest11"))
    return list(found.get("pytest11", []))  # 3.9: a dict of groups


def main() -> None:
    assert "DOLLR_SANDBOX_BINARY" not in os.environ
    for module in (dollr, dollr_testing):
        location = Path(str(module.__file__)).resolve()
        assert VENV in location.parents, f"{module.__name__} imported from {location}"
    # The binary installed with dollr-testing, found through its install record, not PATH.
    binary = Path(dollr_testing.find_binary())
    assert binary == (SCRIPTS / "dollr").resolve(), binary
    assert str(SCRIPTS) not in os.environ.get("PATH", "").split(os.pathsep)
    plugins = {entry.name: entry.value for entry in pytest_plugins()}
    assert plugins.get("dollr") == "dollr_testing.pytest_plugin", plugins

    started = time.monotonic()
    with Sandbox(settle_ms=20) as sandbox, sandbox.client() as client:
        collected = client.collect(
            phone=TestNumbers.COMPLETES,
            amount=Decimal("12.50"),
            currency="USD",
            payer_name="Dist Check",
            poll_interval=0.02,
        )
        paid = client.payout(
            phone=TestNumbers.COMPLETES,
            amount=Decimal("5.00"),
            currency="USD",
            recipient_name="Dist Check",
            passcode={"code": sandbox.passcode, "phone": TestNumbers.COMPLETES},
            poll_interval=0.02,
        )
        assert collected.execution.status == "COMPLETED", collected
        assert paid.execution.status == "COMPLETED", paid
        executions = sandbox.stats()["executions"]
        assert executions["created"] == 2, executions
        assert executions["by_status"] == {"COMPLETED": 2}, executions
        operations = {
            reference: entry["operation_type"]
            for reference, entry in executions["by_reference_id"].items()
        }
        assert operations == {
            collected.reference_id: "COLLECTION",
            paid.reference_id: "PAYOUT",
        }, operations
        assert sandbox.stats()["duplicate_payments"] == 0
        # The USD wallet: opening 10,000.00 + what the collection paid the merchant − what the
        # payout debited (5.00 + its fees).
        [usd] = [w for w in sandbox.wallets() if w["currency"] == "USD"]
        assert paid.execution.payer_amount == Decimal("5.10"), paid.execution
        expected = Decimal("10000.00") + collected.execution.payee_amount - Decimal("5.10")
        assert usd["balance"] == expected, (usd, expected)
    print(
        f"collect + payout on the bundled sandbox ({binary}): COMPLETED, counters match, "
        f"{time.monotonic() - started:.1f} s"
    )

    # `dollr sandbox`, as a user runs it from the activated venv.
    process = subprocess.Popen(
        [str(SCRIPTS / "dollr"), "sandbox", "--port", "0", "--exit-when-stdin-closes"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    first = process.stdout.readline().strip()
    assert first.startswith("listening on http://127.0.0.1:"), first
    url = first.split()[-1]
    loopback = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with loopback.open(f"{url}/_sandbox/health", timeout=30) as answer:
        assert answer.status == 200
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    print(f"`dollr sandbox` (console script) served {url}")


if __name__ == "__main__":
    main()
