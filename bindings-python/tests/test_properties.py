"""Property tests (#18, hypothesis): a Python ``Decimal`` crosses the binding and the core exactly,
both ways, and an amount is refused exactly when its currency does not allow its decimals.

The core's own properties (every Decimal, the status machines, the journal model) are in
``core/tests/properties.rs``; these check the Python leg of the same promises. Examples are
bounded and derandomized (the same ones on every run) so ``make test`` stays quick and stable.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dollr
from dollr._support import from_wire, to_wire
from dollr.testing import TestNumbers

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    # One sandbox and one invoice for all the examples of a test: the fixture is meant to be shared.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
LARGEST = Decimal("99999999999.99")  # the API's largest amount (validate::MAX_AMOUNT)


def invoice(client: dollr.Client, currency: str) -> int:
    party = client.parties.create(fullname="Property Test", phone=TestNumbers.COMPLETES)
    counterparty = client.counterparties.create(relationship_type="CUSTOMER", party_id=party.id)
    created = client.invoices.create(
        counterparty_id=counterparty.id,
        currency=currency,
        note="properties",
        fee_bearer="PAYER",
        as_payment_link=False,
    )
    return created.id


@given(value=st.decimals(allow_nan=False, allow_infinity=False))
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_the_binding_writes_and_reads_any_decimal_exactly(value: Decimal) -> None:
    written = to_wire("decimal", value)
    assert isinstance(written, str)
    back = from_wire("decimal", written)
    assert isinstance(back, Decimal)
    assert back == value
    if value != 0:  # `-0` and `0E+3` are the same amount; every other value keeps its digits
        assert back.normalize() == value.normalize()


@given(
    value=st.decimals(min_value=Decimal("0.01"), max_value=LARGEST, places=2),
    currency=st.sampled_from(["USD", "LRD"]),
)
@BOUNDED
def test_a_decimal_survives_the_core_and_the_api_exactly(
    dollr_client: dollr.Client, value: Decimal, currency: str
) -> None:
    item = dollr_client.invoices.add_item(
        invoice(dollr_client, currency), name="Thing", currency=currency, qty=1, amount=value
    )
    assert isinstance(item.amount, Decimal)
    assert item.amount == value
    assert str(item.amount) == str(value)


@given(
    value=st.one_of(
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999999.999"), places=3),
        st.integers(min_value=1, max_value=10**11).map(Decimal),
        st.decimals(min_value=Decimal("1.1"), max_value=Decimal("99999.9"), places=1),
    ),
)
@BOUNDED
def test_rwf_amounts_are_refused_exactly_when_they_have_decimals(
    dollr_client: dollr.Client, value: Decimal
) -> None:
    document = invoice(dollr_client, "RWF")
    whole = value == value.to_integral_value()
    if whole and value <= LARGEST:
        item = dollr_client.invoices.add_item(
            document, name="Thing", currency="RWF", qty=1, amount=value
        )
        assert item.amount == value
    else:
        with pytest.raises(dollr.ValidationError) as refused:
            dollr_client.invoices.add_item(
                document, name="Thing", currency="RWF", qty=1, amount=value
            )
        assert refused.value.details[0].field == "amount"
