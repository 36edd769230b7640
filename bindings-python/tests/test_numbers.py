"""Every number the Python API takes — durations (seconds), ids, counts, factors and amounts, as
client options, call arguments and fields of nested inputs — refuses what is no such number with
``dollr.ValidationError`` naming the field as Python spells it (``timeout``, not ``timeout_ms``),
before anything is sent, in ``Client`` and ``AsyncClient`` alike."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import uuid
from decimal import Decimal
from typing import Any, Callable

import pytest

import dollr
from dollr.testing import TestNumbers

# Nothing listens there: a call that sent anything would fail with NetworkError instead.
NOWHERE = "http://127.0.0.1:9"

NOT_A_NUMBER: dict[str, Any] = {
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "negative": -1,
    "negative float": -0.5,
    "text": "5",
    "bool": True,
    "huge int": 2**64,
    "huge float": 1e300,
    "decimal nan": Decimal("NaN"),
    "none of these": object(),
}

# What is no amount at all: refused by the binding, for every amount argument.
NOT_AN_AMOUNT: dict[str, Any] = {
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "decimal nan": Decimal("NaN"),
    "decimal inf": Decimal("-Infinity"),
    "bool": True,
    "none of these": object(),
}
# Amounts that are numbers, but not ones the currency allows: the core's verdict, naming the field.
BAD_AMOUNT: dict[str, Any] = {
    "negative": Decimal("-1.00"),
    "text": "five",
    "huge float": 1e300,
    "inexact float": 0.1,
    "too many decimals": Decimal("1.001"),
}

COLLECT = {
    "phone": TestNumbers.COMPLETES,
    "amount": Decimal("1.00"),
    "currency": "USD",
    "payer_name": "Number Checks",
}
WAIT = {"reference_id": str(uuid.uuid4()), "operation": "COLLECTION"}
ADD_ITEM = {"id": 1, "amount": Decimal("1.00"), "currency": "USD", "name": "Cap", "qty": 1}
SOURCE = {"source_type": "INVOICE", "source_id": 1}


def with_value(field: str, base: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    """Keyword arguments `base` with `field` (dotted for nested inputs) set to the value."""

    def build(value: Any) -> dict[str, Any]:
        kwargs = dict(base)
        head, _, rest = field.partition(".")
        if not rest:
            kwargs[head] = value
        elif head == "execute_policy":
            kwargs[head] = {rest: value}
        else:  # items.0.<field>
            item = {"name": "Cap", "qty": 1, "amount": Decimal("1.00")}
            item[rest.split(".")[1]] = value
            kwargs[head] = [item]
        return kwargs

    return build


# (operation, Python field name, keyword arguments for a value), by field class.
DURATIONS = [
    ("collect", "wait_timeout", with_value("wait_timeout", COLLECT)),
    ("collect", "poll_interval", with_value("poll_interval", COLLECT)),
    (
        "payout",
        "max_poll_interval",
        with_value(
            "max_poll_interval",
            {
                **COLLECT,
                "payer_name": None,
                "recipient_name": "Payee",
                "passcode": {"code": "1234", "phone": TestNumbers.COMPLETES},
            },
        ),
    ),
    ("status.wait", "timeout", with_value("timeout", WAIT)),
    ("status.wait", "initial_interval", with_value("initial_interval", WAIT)),
    ("status.wait", "max_interval", with_value("max_interval", WAIT)),
    ("wait_source_paid", "timeout", with_value("timeout", SOURCE)),
]
INTEGERS = [
    ("parties.retrieve", "id", with_value("id", {})),
    ("invoices.add_item", "qty", with_value("qty", ADD_ITEM)),
    ("collect", "step_retries", with_value("step_retries", COLLECT)),
    ("status.wait", "max_not_found", with_value("max_not_found", WAIT)),
    ("collect", "execute_policy.max_attempts", with_value("execute_policy.max_attempts", COLLECT)),
    ("collect", "items.0.qty", with_value("items.0.qty", {**COLLECT, "amount": None})),
]
FACTORS = [("status.wait", "backoff_factor", with_value("backoff_factor", WAIT))]
AMOUNTS = [
    ("collect", "amount", with_value("amount", COLLECT)),
    ("invoices.add_item", "amount", with_value("amount", ADD_ITEM)),
    ("collect", "items.0.amount", with_value("items.0.amount", {**COLLECT, "amount": None})),
]
# The core names a bad `collect(amount=...)` as `items.0.amount` (the one line it builds from it),
# so its verdicts are checked where the argument is the field itself.
CORE_AMOUNTS = AMOUNTS[1:]


def call(client: Any, operation: str, kwargs: dict[str, Any]) -> None:
    target = client
    for part in operation.split("."):
        target = getattr(target, part)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    result = target(**kwargs)
    if inspect.isawaitable(result):

        async def wait() -> None:
            await result

        asyncio.run(wait())


def client_of(kind: type[dollr.Client] | type[dollr.AsyncClient], **options: Any) -> Any:
    return kind(client_id="id", client_secret="secret", base_url=NOWHERE, **options)


CLIENTS = pytest.mark.parametrize("kind", [dollr.Client, dollr.AsyncClient], ids=["sync", "async"])


def assert_refused(caught: pytest.ExceptionInfo[dollr.ValidationError], field: str) -> None:
    error = caught.value
    assert error.kind == "Validation"
    assert [d.field for d in error.details] == [field], error
    assert f"`{field}`" in str(error)


def cases(
    fields: list[tuple[str, str, Callable[[Any], dict[str, Any]]]], values: dict[str, Any]
) -> Any:
    return pytest.mark.parametrize(
        ("operation", "field", "build", "value"),
        [
            pytest.param(op, field, build, value, id=f"{op}:{field}:{name}")
            for op, field, build in fields
            for name, value in values.items()
        ],
    )


@CLIENTS
@cases(DURATIONS + INTEGERS + FACTORS, NOT_A_NUMBER)
def test_a_bad_number_argument_is_a_validation_error_naming_it(
    kind: Any, operation: str, field: str, build: Any, value: Any
) -> None:
    with pytest.raises(dollr.ValidationError) as caught:
        call(client_of(kind), operation, build(value))
    assert_refused(caught, field)


@CLIENTS
@cases(AMOUNTS, NOT_AN_AMOUNT)
def test_a_bad_amount_is_a_validation_error_naming_it(
    kind: Any, operation: str, field: str, build: Any, value: Any
) -> None:
    with pytest.raises(dollr.ValidationError) as caught:
        call(client_of(kind), operation, build(value))
    assert_refused(caught, field)


@CLIENTS
@cases(CORE_AMOUNTS, BAD_AMOUNT)
def test_an_amount_the_currency_does_not_allow_is_refused_by_the_core_naming_it(
    kind: Any, operation: str, field: str, build: Any, value: Any
) -> None:
    with pytest.raises(dollr.ValidationError) as caught:
        call(client_of(kind), operation, build(value))
    assert_refused(caught, field)


@CLIENTS
@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param(option, value, id=f"{option}:{name}")
        for option in ("timeout", "max_retries")
        for name, value in {**NOT_A_NUMBER, "negative timedelta": dt.timedelta(seconds=-1)}.items()
        if not (option == "max_retries" and name == "negative timedelta")
    ],
)
def test_a_bad_client_option_is_a_validation_error_naming_it(
    kind: Any, option: str, value: Any
) -> None:
    with pytest.raises(dollr.ValidationError) as caught:
        client_of(kind, **{option: value})
    assert_refused(caught, option)


@pytest.mark.parametrize(
    "value",
    [dt.timedelta.max, 2**53 / 1000 + 1, 10**13],
    ids=["timedelta", "float", "int"],
)
def test_a_duration_beyond_the_bound_is_refused(value: Any) -> None:
    with pytest.raises(dollr.ValidationError) as caught:
        client_of(dollr.Client, timeout=value)
    assert_refused(caught, "timeout")


@pytest.mark.parametrize(
    "value", [0, 1, 2.5, 0.0005, dt.timedelta(milliseconds=1500), 9_007_199_254_740]
)
def test_good_durations_are_taken(value: Any) -> None:
    # The smallest and the largest the SDK takes, fractions and timedeltas: no refusal here.
    client_of(dollr.Client, timeout=value).close()


def test_good_numbers_still_reach_the_core() -> None:
    # A whole float is a whole number; an exactly representable float is an amount. The call gets
    # past every check and fails only for want of a server.
    client = client_of(dollr.Client, timeout=0.2, max_retries=0)
    with pytest.raises(dollr.NetworkError):
        client.invoices.add_item(1.0, amount=250.0, currency="USD", name="Cap", qty=2.0)
