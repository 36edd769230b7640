"""A waited result answers ``status`` like the Dollr docs' status payloads (``result.status``),
next to its discriminated ``state`` and the full ``execution``; and validation errors say where
the API takes a parameter and name the argument the caller passed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


class _Own:
    """A value of the caller's own class: no JSON for it."""


@pytest.mark.parametrize(
    ("call", "field", "loc", "what"),
    [
        (lambda c: c.parties.create(fullname=b"Amara", phone="231771234567"), "fullname",
         ["body", "fullname"], "a bytes"),
        (lambda c: c.status.collection(_Own()), "reference_id", ["path", "reference_id"],
         "a _Own"),
        # Inside a list of models given as mappings: the field's path from the argument down.
        (lambda c: c.checkouts.create(
            currency="USD", party_phone="231771234567", mode="HOSTED", source_kind="INVOICE",
            items=[{"name": "Rice", "amount": "1.00", "currency": "USD"},
                   {"name": {1, 2}, "amount": "1.00", "currency": "USD"}]),
         "items.1.name", ["body", "items", "1", "name"], "a set"),
    ],
)  # fmt: skip
def test_a_value_json_cannot_carry_is_a_validation_error_naming_its_field(
    dollr_sandbox: Sandbox, call: Any, field: str, loc: list[str], what: str
) -> None:
    # `json.dumps` raised a bare TypeError naming no field; nothing may be sent either way.
    before = dollr_sandbox.stats()["requests"]["total"]
    with dollr_sandbox.client() as client:
        with pytest.raises(dollr.ValidationError) as refused:
            call(client)
    detail = refused.value.details[0]
    assert (detail.field, detail.loc, detail.type) == (field, loc, "type_error")
    assert f"invalid `{field}`" in str(refused.value) and f"{what} cannot be sent" in str(
        refused.value
    )
    assert dollr_sandbox.stats()["requests"]["total"] == before, "nothing was sent"


def test_a_structure_that_contains_itself_is_refused_not_followed_forever(
    dollr_sandbox: Sandbox,
) -> None:
    items: list[Any] = [{"name": "Rice", "amount": "1.00", "currency": "USD"}]
    items[0]["name"] = items  # the list, inside its own first item
    with dollr_sandbox.client() as client:
        with pytest.raises(dollr.ValidationError) as refused:
            client.checkouts.create(
                currency="USD",
                party_phone="231771234567",
                mode="HOSTED",
                source_kind="INVOICE",
                items=items,
            )
    assert refused.value.details[0].field.startswith("items.0.name.0.name")
    assert "nested more than" in str(refused.value)


def test_a_client_option_json_cannot_carry_is_refused_naming_it() -> None:
    with pytest.raises(dollr.ValidationError) as refused:
        dollr.Client(client_id=b"id", client_secret="secret")  # type: ignore[arg-type]
    assert refused.value.details[0].field == "client_id"
    assert "a bytes cannot be sent" in str(refused.value)
