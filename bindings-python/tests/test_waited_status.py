"""A waited result answers ``status`` like the Dollr docs' status payloads (``result.status``),
next to its discriminated ``state`` and the full ``execution``; and validation errors say where
the API takes a parameter and name the argument the caller passed."""

from __future__ import annotations

from decimal import Decimal

import pytest

import dollr
from dollr.testing import Sandbox, TestNumbers


def test_status_wait_answers_status_the_execution_status(dollr_client: dollr.Client) -> None:
    outcome = dollr_client.collect(
        phone=TestNumbers.COMPLETES,
        amount=Decimal("2.50"),
        currency="USD",
        payer_name="Wait Payer",
        poll_interval=0.01,
        max_poll_interval=0.05,
    )
    assert outcome.execution is not None
    waited = dollr_client.status.wait(
        outcome.execution.reference_id,
        operation="COLLECTION",
        timeout=20,
        initial_interval=0.01,
        max_interval=0.05,
    )
    assert waited.state == dollr.WaitState.FINISHED
    assert waited.status == dollr.ExecutionStatus.COMPLETED
    assert waited.execution is not None and waited.status == waited.execution.status


def test_a_path_parameter_is_located_in_the_path(dollr_sandbox: Sandbox) -> None:
    with dollr_sandbox.client() as client:
        with pytest.raises(dollr.ValidationError) as refused:
            client.status.collection("not-a-uuid")
    assert refused.value.details[0].loc == ["path", "reference_id"]


def test_numbers_python_refuses_itself_are_located_where_the_api_takes_them(
    dollr_sandbox: Sandbox,
) -> None:
    # Refused by the Python layer (JSON cannot carry NaN), before the core sees the call.
    before = dollr_sandbox.stats()["requests"]["total"]
    with dollr_sandbox.client() as client:
        with pytest.raises(dollr.ValidationError) as in_path:
            client.invoices.remove_item(1, float("nan"))  # type: ignore[arg-type]
        with pytest.raises(dollr.ValidationError) as in_body:
            client.invoices.add_item(
                1, name="Rice", qty=float("inf"), amount="1.00", currency="USD"
            )  # type: ignore[arg-type]
    assert in_path.value.details[0].loc == ["path", "item_id"]
    assert in_body.value.details[0].loc == ["body", "qty"]
    assert dollr_sandbox.stats()["requests"]["total"] == before, "nothing was sent"


def test_collect_with_a_bad_amount_names_amount(dollr_client: dollr.Client) -> None:
    with pytest.raises(dollr.ValidationError) as refused:
        dollr_client.collect(
            phone=TestNumbers.COMPLETES,
            amount=Decimal("-1.00"),
            currency="USD",
            payer_name="A",
        )
    assert refused.value.details[0].loc == ["body", "amount"]
    assert "items.0" not in str(refused.value)
