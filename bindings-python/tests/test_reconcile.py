"""Faults and recovery through the Python API: payments whose answers are lost after the sandbox
committed them, with status lookups failing too, end as ``AmbiguousExecutionError``s; a new
client on the same SQLite journal (a restarted process) reconciles them all. The sandbox's own
counters prove each payment was executed exactly once."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import dollr
from dollr.testing import Sandbox, TestNumbers

COLLECTS = 3
PAYOUTS = 3
FAST = {"poll_interval": 0.01, "max_poll_interval": 0.05, "wait_timeout": 20}
# Few, quick status checks before the flow gives up as ambiguous.
POLICY = {"initial_backoff_ms": 5, "max_backoff_ms": 20, "max_status_checks": 2}


def execution_posts(sandbox: Sandbox) -> int:
    routes = sandbox.stats()["requests"]["by_route"]
    return sum(n for route, n in routes.items() if route.startswith("POST /v1/executions/"))


def test_lost_answers_are_reconciled_from_the_sqlite_journal_without_paying_twice(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "payments.db"
    with Sandbox(settle_ms=5, wallets={"USD": "1000.00"}) as sandbox:
        passcode = {"code": sandbox.passcode, "phone": TestNumbers.COMPLETES}
        # Every execution is committed but its answer lost; every status lookup fails: the SDK
        # cannot know what happened, and must neither pay again nor forget the intent.
        sandbox.set_faults(
            {
                "rules": [
                    {"kind": "drop_response", "scope": "executions"},
                    {"kind": "error", "status": 503, "scope": "status"},
                ]
            }
        )

        async def pay() -> list[Any]:
            async with sandbox.async_client(journal=journal, max_retries=0) as client:
                collects = [
                    client.collect(
                        phone=TestNumbers.COMPLETES,
                        amount=Decimal(f"{2 + i}.00"),
                        currency="USD",
                        payer_name=f"Lost Answer Payer {i}",
                        execute_policy=POLICY,
                        **FAST,
                    )
                    for i in range(COLLECTS)
                ]
                payouts = [
                    client.payout(
                        phone=TestNumbers.COMPLETES_ORANGE_LR,
                        amount=Decimal(f"{5 + i}.00"),
                        currency="USD",
                        recipient_name=f"Lost Answer Payee {i}",
                        passcode=passcode,
                        execute_policy=POLICY,
                        **FAST,
                    )
                    for i in range(PAYOUTS)
                ]
                return await asyncio.gather(*collects, *payouts, return_exceptions=True)

        outcomes = asyncio.run(pay())
        assert all(isinstance(o, dollr.AmbiguousExecutionError) for o in outcomes), outcomes
        ambiguous = {o.reference_id for o in outcomes}
        assert None not in ambiguous and len(ambiguous) == COLLECTS + PAYOUTS
        stats = sandbox.stats()
        assert stats["faults"]["drop_response"] == COLLECTS + PAYOUTS
        assert stats["faults"]["error"] > 0

        # The network heals; a new process opens the journal and reconciles.
        sandbox.clear_faults()
        resolved: dict[str, Any] = {}
        with dollr.Client(
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            base_url=sandbox.url,
            journal=journal,
        ) as client:
            deadline = time.monotonic() + 20
            while True:
                report = client.reconcile()
                assert report.unreachable == report.not_submitted == report.failed == 0, report
                for entry in report.entries:
                    if entry.outcome == dollr.ReconcileOutcome.COMPLETED:
                        resolved[entry.reference_id] = entry
                if not report.entries:
                    break
                assert time.monotonic() < deadline, f"still unresolved: {report.entries}"
                time.sleep(0.02)
            # Every journal entry is resolved: nothing is left for a later reconcile.
            assert client.reconcile().entries == []
        stats = sandbox.stats()
        posts = execution_posts(sandbox)

    assert set(resolved) == ambiguous
    assert all(
        e.execution is not None and e.execution.status == "COMPLETED" for e in resolved.values()
    )
    by_reference = stats["executions"]["by_reference_id"]
    assert set(by_reference) == ambiguous
    # One POST per payment (none repeated while the answers were lost), one execution each.
    assert posts == stats["executions"]["created"] == COLLECTS + PAYOUTS
    assert stats["duplicate_payments"] == 0
