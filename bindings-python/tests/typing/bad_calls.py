"""Calls `mypy --strict` must reject: each line ending in `# expect: <code>` is one error of that
code, and no other line may have one (test_typing.py checks). Never run, only type-checked."""

from __future__ import annotations

from decimal import Decimal

import dollr


def enum_typos(client: dollr.Client, reference_id: str) -> None:
    client.status.wait(reference_id, operation="COLLECTON")  # expect: arg-type
    client.predictions.mmo_provider_info(phone="1", operation_type="payout")  # expect: arg-type
    client.invoices.list(status="SHIPPED")  # expect: arg-type


def status_typos(execution: dollr.Execution) -> bool:
    return execution.status == "SHIPPED"  # expect: comparison-overlap


def float_money(client: dollr.Client) -> None:
    client.collect(phone="231771234567", amount=0.1, currency="USD")  # expect: arg-type
    client.invoices.add_item(1, name="Thing", currency="USD", qty=1, amount=1.5)  # expect: arg-type
    client.collect(phone="231771234567", amount=Decimal("0.10"), currency="USD")


def secrets_are_not_text(token: dollr.ObtainTokenResponse) -> None:
    text: str = token.access_token  # expect: assignment
    token.access_token.upper()  # expect: attr-defined
    print(text)
