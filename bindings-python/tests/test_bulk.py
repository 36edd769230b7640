"""Bulk payouts through the Python API (sync and async): one result per row, progress events on
the calling thread, invalid rows refused before anything is sent, and a second run on the same
SQLite journal that resumes without paying anything twice (the sandbox's counters say so)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

import dollr
from dollr.testing import Sandbox, TestNumbers

FAST = {"poll_interval": 0.005, "max_poll_interval": 0.05, "wait_timeout": 20}


def rows(n: int) -> list[dict[str, object]]:
    return [
        {
            "phone": TestNumbers.DECLINES if i % 4 == 3 else TestNumbers.COMPLETES,
            "amount": Decimal("2.50"),
            "currency": "USD",
            "name": f"Agent {i}",
            "row_id": f"agent-{i}",
        }
        for i in range(n)
    ]


def test_a_batch_reports_every_row_and_a_second_run_resumes(tmp_path: Path) -> None:
    journal = str(tmp_path / "bulk.db")
    with Sandbox(settle_ms=5, wallets={"USD": "10000.00"}) as sandbox:
        passcode = {"code": sandbox.passcode, "phone": TestNumbers.COMPLETES}
        events: list[dollr.FlowEvent] = []
        with sandbox.client(journal=journal) as client:
            report = client.bulk_payout(
                rows=rows(8),
                passcode=passcode,
                batch_id="py-batch-1",
                concurrency=4,
                on_event=events.append,
                **FAST,
            )
        assert isinstance(report, dollr.BulkPayoutReport)
        assert report.batch_id == "py-batch-1"
        assert [r.row_id for r in report.rows] == [f"agent-{i}" for i in range(8)]
        assert [r.status for r in report.rows] == [
            "FAILED" if i % 4 == 3 else "COMPLETED" for i in range(8)
        ]
        assert (report.completed, report.failed) == (6, 2)
        usd = report.totals[0]
        assert (usd.currency, usd.requested, usd.paid) == (
            "USD",
            Decimal("20.00"),
            Decimal("15.00"),
        )
        finished = [e for e in events if isinstance(e, dollr.BulkRowFinishedEvent)]
        assert sorted(e.result.row_id for e in finished) == sorted(r.row_id for r in report.rows)
        assert isinstance(events[0], dollr.BulkStartedEvent)
        progress = [e for e in events if isinstance(e, dollr.BulkProgressEvent)]
        assert progress and progress[-1].progress.done == 8
        executions = sandbox.stats()["executions"]
        assert executions["created"] == 8
        by_reference = executions["by_reference_id"]
        for result in report.rows:
            assert by_reference[result.reference_id]["status"] == result.status

        # The same batch again, through the async client: everything is reported from the
        # journal; not one execution is sent.
        async def again() -> dollr.BulkPayoutReport:
            async with sandbox.async_client(journal=journal) as client:
                return await client.bulk_payout(
                    rows=rows(8), passcode=passcode, batch_id="py-batch-1", **FAST
                )

        posts = sandbox.stats()["executions"]["posts"]
        second = asyncio.run(again())
        assert second.resumed == 8
        assert [r.status for r in second.rows] == [r.status for r in report.rows]
        assert [r.reference_id for r in second.rows] == [r.reference_id for r in report.rows]
        assert sandbox.stats()["executions"]["posts"] == posts


def test_invalid_rows_refuse_the_batch_naming_each_row_and_field(tmp_path: Path) -> None:
    with Sandbox(settle_ms=5) as sandbox:
        passcode = {"code": sandbox.passcode, "phone": TestNumbers.COMPLETES}
        bad = rows(3)
        bad[1]["phone"] = "12"
        bad[2]["amount"] = Decimal("1.001")
        with sandbox.client(journal=str(tmp_path / "j.db")) as client:
            with pytest.raises(dollr.ValidationError) as raised:
                client.bulk_payout(rows=bad, passcode=passcode, **FAST)
            fields = [d.field for d in raised.value.details]
            assert fields == ["rows.1.phone", "rows.2.amount"]
            assert sandbox.stats()["requests"]["total"] == 0

            plan = client.bulk_payout_plan(rows=bad, passcode=passcode)
            assert [(i.index, i.field) for i in plan.invalid] == [(1, "phone"), (2, "amount")]
            assert plan.totals[0].rows == 1
            assert sandbox.stats()["executions"]["posts"] == 0
