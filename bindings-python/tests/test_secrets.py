"""Secrets follow pydantic's `SecretStr`: `**********` wherever a value is turned into text
(`str`, `repr`, `format`, f-strings, `print`, `to_dict()` dumped as JSON), the value only through
`.get_secret_value()`; arguments that take a secret accept a `Secret` or a plain `str`."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import pytest

import dollr
from dollr.testing import Sandbox, TestNumbers

VALUE = "pi_secret_do_not_print"
MASK = "**********"


def test_a_secret_never_shows_its_value_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    secret = dollr.Secret(VALUE)
    assert not isinstance(secret, str)  # no str method can leak it either
    assert str(secret) == MASK
    assert repr(secret) == f"Secret('{MASK}')"
    assert f"{secret}" == MASK and f"{secret!s:>12}" == f"  {MASK}"
    assert format(secret, "") == MASK and "%-12s|" % (secret,) == f"{MASK}  |"  # noqa: UP031
    print(secret, [secret], {"token": secret})
    assert VALUE not in capsys.readouterr().out
    assert str(dollr.Secret("")) == ""  # like SecretStr: an empty secret is shown empty


def test_reading_a_secret_is_explicit_and_equality_is_by_value() -> None:
    secret = dollr.Secret(VALUE)
    assert secret.get_secret_value() == VALUE
    assert secret == dollr.Secret(VALUE) and hash(secret) == hash(dollr.Secret(VALUE))
    assert secret != dollr.Secret("other") and secret != VALUE  # a Secret is not its text
    assert dollr.Secret(secret) == secret and len(secret) == len(VALUE)
    assert pickle.loads(pickle.dumps(secret)) == secret
    with pytest.raises(TypeError):
        dollr.Secret(1234)  # type: ignore[arg-type]


def test_models_keep_secrets_as_secrets_in_repr_to_dict_and_json() -> None:
    execution = dollr.Execution._from_wire(
        {
            "operation_type": "COLLECTION",
            "status": "COMPLETED",
            "reference_id": "4b5f7a62-0000-4000-8000-000000000000",
            "payer_amount": "256.25",
            "payee_amount": "250.00",
            "payer_currency": "USD",
            "payee_currency": "USD",
            "client_secret": VALUE,
        }
    )
    assert isinstance(execution.client_secret, dollr.Secret)
    assert execution.client_secret.get_secret_value() == VALUE
    as_dict = execution.to_dict()
    # As pydantic's model_dump keeps the SecretStr: the value stays wrapped...
    assert as_dict["client_secret"] == dollr.Secret(VALUE)
    # ...so every way of turning the dict into text masks it.
    for text in (str(as_dict), repr(as_dict), json.dumps(as_dict, default=str), repr(execution)):
        assert VALUE not in text
    assert json.loads(json.dumps(as_dict, default=str))["client_secret"] == MASK
    # An input model given a plain str holds a Secret all the same.
    token = dollr.PasscodeToken(code="987650", phone=TestNumbers.COMPLETES)
    assert token.code == dollr.Secret("987650") and "987650" not in str(token.to_dict())


def test_a_secret_field_given_no_text_is_refused_by_the_core_naming_it(
    dollr_client: dollr.Client,
) -> None:
    passcode = dollr.PasscodeToken(code=1234, phone=TestNumbers.COMPLETES)  # type: ignore[arg-type]
    with pytest.raises(dollr.ValidationError) as caught:
        dollr_client.payout(
            phone=TestNumbers.COMPLETES_ORANGE_LR,
            amount=Decimal("3.00"),
            currency="USD",
            recipient_name="Secret Test",
            passcode=passcode,
        )
    assert "passcode.code" in str(caught.value)


def test_secret_arguments_take_a_secret_or_a_str(dollr_sandbox: Sandbox) -> None:
    with dollr.Client(
        client_id=dollr_sandbox.client_id,
        client_secret=dollr.Secret(dollr_sandbox.client_secret),
        base_url=dollr_sandbox.url,
    ) as client:
        token = client.auth.obtain_token()
        assert token.access_token.get_secret_value()
        for passcode in (
            dollr.PasscodeToken(
                code=dollr.Secret(dollr_sandbox.passcode), phone=TestNumbers.COMPLETES
            ),
            {"code": dollr.Secret(dollr_sandbox.passcode), "phone": TestNumbers.COMPLETES},
            {"code": dollr_sandbox.passcode, "phone": TestNumbers.COMPLETES},
        ):
            outcome = client.payout(
                phone=TestNumbers.COMPLETES_ORANGE_LR,
                amount=Decimal("3.00"),
                currency="USD",
                recipient_name="Secret Test",
                passcode=passcode,
                poll_interval=0.01,
                max_poll_interval=0.05,
                wait_timeout=20,
            )
            assert outcome.execution.status == "COMPLETED"
