"""Quickstart: collect a mobile-money payment end to end.

    python examples/python/collect.py

Against the local sandbox (`dollr sandbox`, or none: `dollr.testing` starts one), or the real API
with DOLLR_BASE_URL, DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET set.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import dollr
from _target import show, target


def main() -> int:
    with target() as env:
        try:
            outcome = env.client.collect(
                phone="231771234567",  # a sandbox test number that completes
                amount=Decimal("250.00"),
                currency="USD",
                payer_name="Amara Kamara",
                payer_email="amara@example.com",
                on_event=show,
            )
        except dollr.ValidationError as error:
            print(f"refused before anything was sent: {error} {error.details}")
            return 1
        except dollr.AmbiguousExecutionError as error:
            # Never start a new payment for this intent: resume it with its reference id.
            print(f"outcome unknown for now; resume with reference_id {error.reference_id}")
            return 1
        execution = outcome.execution
        print(
            f"{outcome.source_number}: {execution.status} — the payer paid "
            f"{execution.payer_amount} {execution.payer_currency}, you receive "
            f"{execution.payee_amount} {execution.payee_currency}"
        )
        if outcome.receipt is not None and outcome.receipt.invoice is not None:
            print(f"receipt: paid at {outcome.receipt.invoice.paid_at:%Y-%m-%d %H:%M:%S %Z}")
        return 0 if execution.status == dollr.ExecutionStatus.COMPLETED else 2


if __name__ == "__main__":
    sys.exit(main())
