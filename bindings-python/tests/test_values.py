"""Values cross the binding exactly: Decimal in and out (floats only when exact, never rounded),
timezone-aware datetimes, open enums that are plain strings, typed models with secrets kept out of
`repr`."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import dollr
from dollr._support import _args, from_wire, to_wire
from dollr.testing import Sandbox, TestNumbers


def line(client: dollr.Client, amount: Any, currency: str = "USD") -> dollr.SourceItem:
    party = client.parties.create(fullname="Decimal Test", phone=TestNumbers.COMPLETES)
    counterparty = client.counterparties.create(relationship_type="CUSTOMER", party_id=party.id)
    invoice = client.invoices.create(
        counterparty_id=counterparty.id,
        currency=currency,
        note="decimals",
        fee_bearer="PAYER",
        as_payment_link=False,
    )
    return client.invoices.add_item(
        invoice.id, name="Thing", currency=currency, qty=1, amount=amount
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (Decimal("1234.56"), Decimal("1234.56")),
        (Decimal("0.01"), Decimal("0.01")),
        (Decimal("1E+3"), Decimal("1000")),  # exponent form is sent positionally
        ("250.10", Decimal("250.10")),
        (250, Decimal("250")),
        (250.0, Decimal("250")),  # a float is accepted when it is exact
        (0.5, Decimal("0.5")),
        (Decimal("99999999999.99"), Decimal("99999999999.99")),
    ],
)
def test_money_round_trips_exactly(dollr_client: dollr.Client, given: Any, stored: Decimal) -> None:
    item = line(dollr_client, given)
    assert isinstance(item.amount, Decimal)
    assert item.amount == stored
    assert str(item.amount) == str(stored) or item.amount.as_tuple().exponent <= 0


def test_an_inexact_float_is_refused_by_the_core_not_rounded(dollr_client: dollr.Client) -> None:
    # 0.1 is 0.1000000000000000055511151231257827021181583404541015625 in binary: the core
    # refuses the extra decimals for USD (naming the field) instead of anyone rounding it.
    assert to_wire("decimal", 0.1) == "0.1000000000000000055511151231257827021181583404541015625"
    with pytest.raises(dollr.ValidationError) as caught:
        line(dollr_client, 0.1)
    assert caught.value.details[0].field == "amount"
    assert "decimal" in caught.value.message.lower()


def test_too_many_decimals_for_the_currency_are_refused(dollr_client: dollr.Client) -> None:
    with pytest.raises(dollr.ValidationError) as caught:
        line(dollr_client, Decimal("10.5"), currency="RWF")
    assert caught.value.details[0].field == "amount"


def test_money_arguments_are_sent_as_exact_text() -> None:
    assert _args(("amount", "decimal", Decimal("1E+2"))) == {"amount": "100"}
    assert _args(("amount", "decimal", Decimal("0.000001"))) == {"amount": "0.000001"}
    assert _args(("amount", "decimal", 7)) == {"amount": "7"}
    with pytest.raises(dollr.ValidationError, match="`amount`: must be a Decimal"):
        _args(("amount", "decimal", True))  # not money
    assert _args(("amount", "decimal", None), ("note", "string", "x")) == {"note": "x"}
    nested = to_wire("list:model:LineItem", [{"name": "a", "qty": 1, "amount": Decimal("2.50")}])
    assert nested == [{"name": "a", "qty": 1, "amount": "2.50"}]
    model = dollr.LineItem(name="b", qty=2, amount=Decimal("3"))
    assert to_wire("model:LineItem", model) == {"name": "b", "qty": 2, "amount": "3"}


def test_timestamps_are_aware_datetimes_both_ways(dollr_client: dollr.Client) -> None:
    due = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    party = dollr_client.parties.create(fullname="Time Test", phone=TestNumbers.COMPLETES)
    counterparty = dollr_client.counterparties.create(
        relationship_type="CUSTOMER", party_id=party.id
    )
    invoice = dollr_client.invoices.create(
        counterparty_id=counterparty.id,
        currency="USD",
        note="dates",
        fee_bearer="PAYER",
        as_payment_link=False,
        due_date=due,
    )
    assert invoice.due_date is not None and invoice.due_date.tzinfo is not None
    assert invoice.due_date == due
    assert invoice.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_passed_for_the_core_to_read(dollr_client: dollr.Client) -> None:
    # No offset: the core's rule applies (it reads such times as UTC); Python adds nothing.
    assert to_wire("timestamp", datetime(2030, 1, 1, 12, 0)) == "2030-01-01T12:00:00"
    party = dollr_client.parties.create(fullname="Naive Time", phone=TestNumbers.COMPLETES)
    counterparty = dollr_client.counterparties.create(
        relationship_type="CUSTOMER", party_id=party.id
    )
    invoice = dollr_client.invoices.create(
        counterparty_id=counterparty.id,
        currency="USD",
        note="naive",
        fee_bearer="PAYER",
        as_payment_link=False,
        due_date=datetime(2030, 1, 1, 12, 0),
    )
    assert invoice.due_date == datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_rfc3339_variants_parse_on_every_python() -> None:
    parse = lambda text: from_wire("timestamp", text)  # noqa: E731
    assert parse("2026-11-21T06:44:19Z") == datetime(2026, 11, 21, 6, 44, 19, tzinfo=timezone.utc)
    assert parse("2026-11-21T06:44:19.123456789Z").microsecond == 123456
    assert parse("2026-11-21T06:44:19.5+01:00").utcoffset() == timedelta(hours=1)


def test_enums_are_strings_and_unknown_values_stay_plain_strings() -> None:
    status = from_wire("enum:ExecutionStatus", "COMPLETED")
    assert status is dollr.ExecutionStatus.COMPLETED
    assert status == "COMPLETED" and isinstance(status, str)
    assert f"{status}" == "COMPLETED" and str(status) == "COMPLETED"
    newer = from_wire("enum:ExecutionStatus", "REVERSED")
    assert newer == "REVERSED" and type(newer) is str
    execution = dollr.Execution._from_wire(
        {
            "operation_type": "COLLECTION",
            "status": "SOMETHING_NEW",
            "reference_id": "r",
            "payer_amount": "1.00",
            "payee_amount": "1.00",
            "payer_currency": "USD",
            "payee_currency": "USD",
        }
    )
    assert execution.status == "SOMETHING_NEW"
    assert execution.operation_type is dollr.OperationType.COLLECTION


def test_events_are_their_classes_and_unknown_ones_keep_their_name_and_fields() -> None:
    ready = from_wire(
        "event",
        {"event": "party_ready", "created": True, "party_id": 7, "fullname": "Amara",
         "at": "2026-01-01T00:00:00.5Z", "elapsed_ms": 3, "message": "party #7 Amara created"},
    )  # fmt: skip
    assert type(ready) is dollr.PartyReadyEvent and ready.event == "party_ready"
    assert (ready.created, ready.party_id, ready.fullname) == (True, 7, "Amara")
    assert ready.at == datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
    assert str(ready) == "party #7 Amara created"
    newer = from_wire("event", {"event": "something_new", "count": 2, "amount": 1.5})
    assert type(newer) is dollr.UnknownEvent
    assert newer.name == "something_new"
    assert newer.data == {"event": "something_new", "count": 2, "amount": Decimal("1.5")}


def test_models_have_attributes_repr_equality_and_to_dict() -> None:
    data = {
        "operation_type": "COLLECTION",
        "status": "COMPLETED",
        "reference_id": "4b5f7a62-0000-4000-8000-000000000000",
        "payer_amount": "256.25",
        "payee_amount": "250.00",
        "payer_currency": "USD",
        "payee_currency": "USD",
        "client_secret": "pi_secret_do_not_print",
    }
    execution = dollr.Execution._from_wire(data)
    assert execution.payer_amount == Decimal("256.25")
    assert execution.client_secret == dollr.Secret("pi_secret_do_not_print")
    assert execution.client_secret.get_secret_value() == "pi_secret_do_not_print"
    assert "pi_secret_do_not_print" not in repr(execution)
    assert "pi_secret_do_not_print" not in repr(execution.client_secret)
    assert "pi_secret_do_not_print" not in repr(execution.to_dict())
    assert execution == dollr.Execution._from_wire(data)
    assert execution != dollr.Execution._from_wire({**data, "status": "FAILED"})
    as_dict = execution.to_dict()
    assert as_dict["payee_amount"] == Decimal("250.00") and as_dict["status"] == "COMPLETED"
    assert pickle.loads(pickle.dumps(execution)) == execution
    token = dollr.PasscodeToken(code="987650", phone=TestNumbers.COMPLETES)
    assert "987650" not in repr(token) and "code=Secret('**********')" in repr(token)
    transition = dollr.StatusTransition._from_wire(
        {"from": "PENDING", "to": "PROCESSING", "at": "2026-01-01T00:00:00Z", "elapsed_ms": 5}
    )
    assert transition.from_ == "PENDING" and transition.to_dict()["from"] == "PENDING"


def test_unknown_arguments_and_wrong_types_are_named_by_the_core(dollr_sandbox: Sandbox) -> None:
    with dollr_sandbox.client() as client:
        with pytest.raises(dollr.ValidationError) as caught:
            client._call("parties.create", {"fullname": "x", "phone": "231771234567", "amout": 1})
        assert caught.value.details[0].field == "amout"
        with pytest.raises(dollr.ValidationError) as caught:
            client.parties.retrieve("seven")  # type: ignore[arg-type]
        assert caught.value.details[0].field == "id"
        with pytest.raises(dollr.ValidationError, match="unknown operation"):
            client._call("parties.delete", {})
