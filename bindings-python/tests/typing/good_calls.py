"""Calls `mypy --strict` must accept (test_typing.py checks): enum members and their values,
exact money types, secrets read explicitly. Never run, only type-checked."""

from __future__ import annotations

from decimal import Decimal

import dollr


def enums(client: dollr.Client, reference_id: str, execution: dollr.Execution) -> bool:
    client.status.wait(reference_id, operation="COLLECTION")
    client.status.wait(reference_id, operation=dollr.OperationType.PAYOUT)
    client.invoices.list(status=dollr.SourceStatus.PAID)
    return execution.status == "COMPLETED" or execution.status == dollr.ExecutionStatus.FAILED


def money(client: dollr.Client) -> None:
    client.collect(phone="231771234567", amount=Decimal("0.10"), currency="USD")
    client.collect(phone="231771234567", amount="250.00", currency="USD")
    client.collect(phone="231771234567", amount=250, currency="USD")


def secrets(sandbox_secret: str, token: dollr.ObtainTokenResponse) -> str:
    dollr.Client(client_secret=dollr.Secret(sandbox_secret))
    dollr.Client(client_secret=sandbox_secret)
    dollr.PasscodeToken(code=dollr.Secret("1234"), phone="231771234567")
    dollr.PasscodeToken(code="1234", phone="231771234567")
    return token.access_token.get_secret_value()
