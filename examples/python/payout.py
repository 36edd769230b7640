"""Pay out to a mobile-money wallet, exactly once.

    python examples/python/payout.py

Against the local sandbox (`dollr sandbox`, or none: `dollr.testing` starts one), or the real API
with DOLLR_BASE_URL, DOLLR_CLIENT_ID, DOLLR_CLIENT_SECRET and DOLLR_PASSCODE set.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import dollr
from _target import show, target


def main() -> int:
    with target() as env:
        outcome = env.client.payout(
            phone="231881234567",  # a sandbox test number (Orange Money, Liberia)
            amount=Decimal("75.50"),
            currency="USD",
            recipient_name="Musu Dolo",
            # The merchant passcode, tied to the phone of the user who authorizes payouts.
            passcode=dollr.PasscodeToken(code=env.passcode, phone="231779999999"),
            on_event=show,
        )
        execution = outcome.execution
        if not outcome.settled:
            print(
                f"still {execution.status}; follow it with "
                f"client.status.wait({outcome.reference_id!r}, operation='PAYOUT')"
            )
            return 2
        print(
            f"payout {outcome.reference_id}: {execution.status} "
            f"({execution.payee_amount} {execution.payee_currency} to Musu Dolo)"
        )
        return 0 if execution.status == dollr.ExecutionStatus.COMPLETED else 2


if __name__ == "__main__":
    sys.exit(main())
