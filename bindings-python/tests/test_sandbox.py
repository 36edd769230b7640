"""`dollr.testing.Sandbox`, the helper users test their own code with: its controls do what they
say, and the pytest fixtures work as documented."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from decimal import Decimal

import pytest

import dollr
from dollr.testing import Sandbox, TestNumbers


def started_collection(client: dollr.Client) -> str:
    """A collection executed step by step (so nothing waits on it): its reference id."""
    outcome = client.collect(
        phone=TestNumbers.SLOW,
        amount=Decimal("4.00"),
        currency="USD",
        payer_name="Slow Payer",
        wait_timeout=0.001,
        poll_interval=0.001,
    )
    assert not outcome.settled
    return outcome.reference_id


def test_it_listens_on_loopback_and_takes_its_own_credentials() -> None:
    with Sandbox(client_id="my-id", client_secret="my-secret", passcode="246810", seed=42) as box:
        assert box.url.startswith("http://127.0.0.1:")
        assert (box.client_id, box.client_secret, box.passcode, box.seed) == (
            "my-id",
            "my-secret",
            "246810",
            42,
        )
        assert "my-secret" not in repr(box)
        with urllib.request.urlopen(f"{box.url}/_sandbox/stats", timeout=5) as answer:
            assert answer.status == 200
        assert box.client().auth.obtain_token().expires_in > 0
    assert box.closed
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{box.url}/_sandbox/stats", timeout=2)
    box.shutdown()  # idempotent


def test_advance_moves_an_execution_on_demand() -> None:
    with Sandbox(settle_ms=60_000) as box, box.client() as client:
        reference = started_collection(client)
        assert box.advance(reference) == "PROCESSING"
        assert box.advance_to_final(reference) == "COMPLETED"
        assert client.status.collection(reference).status == "COMPLETED"
        with pytest.raises(ValueError, match="final"):
            box.advance(reference)
        with pytest.raises(LookupError):
            box.advance(str(uuid.uuid4()))


def test_faults_can_be_set_inspected_and_cleared(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.set_faults({"rules": [{"kind": "error", "status": 503, "count": 2}]})
    dollr_sandbox.add_fault({"kind": "rate_limit", "retry_after": 0, "count": 1})
    faults = dollr_sandbox.faults()
    assert [rule["kind"] for rule in faults["rules"]] == ["error", "rate_limit"]
    with pytest.raises(dollr.ServerError):
        dollr_sandbox.client(max_retries=0).parties.list()
    assert dollr_sandbox.stats()["faults"]["error"] == 1
    dollr_sandbox.clear_faults()
    assert dollr_sandbox.faults()["rules"] == []
    assert dollr_sandbox.client(max_retries=0).parties.list() == []
    with pytest.raises(ValueError, match="probability"):
        dollr_sandbox.add_fault({"kind": "error", "probability": 2})


def test_stats_wallets_intents_logs_and_reset(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.set_wallet_balance("USD", Decimal("123.45"))
    [usd] = [w for w in dollr_sandbox.wallets() if w["currency"] == "USD"]
    assert usd["balance"] == Decimal("123.45")
    with dollr_sandbox.client() as client:
        outcome = client.collect(
            phone=TestNumbers.COMPLETES,
            amount=Decimal("2.50"),
            currency="USD",
            payer_name="Stats",
            poll_interval=0.01,
        )
    assert dollr_sandbox.stats()["executions"]["created"] == 1
    [intent] = dollr_sandbox.payment_intents()
    assert intent["reference_id"] == outcome.reference_id
    assert any(
        entry["path"] == "/v1/executions/collection" for entry in dollr_sandbox.request_log()
    )
    assert any(event["reference_id"] == outcome.reference_id for event in dollr_sandbox.events())
    dollr_sandbox.reset()
    assert dollr_sandbox.stats()["executions"]["created"] == 0
    assert dollr_sandbox.payment_intents() == []


def test_config_can_change_while_running(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.update_config(verified=False)
    with dollr_sandbox.client() as client:
        with pytest.raises(dollr.PermissionDeniedError):
            client.payout(
                phone=TestNumbers.COMPLETES,
                amount=Decimal("1.00"),
                currency="USD",
                recipient_name="Unverified",
                passcode={"code": dollr_sandbox.passcode, "phone": TestNumbers.COMPLETES},
            )
        assert dollr_sandbox.revoke_tokens() >= 1
        # A revoked token is refreshed once by the core and the call retried.
        assert [p.fullname for p in client.parties.list()] == ["Unverified"]
    token_route = "POST /v1/jwt/client/obtain/token"
    assert dollr_sandbox.stats()["requests"]["by_route"][token_route] == 2


def test_the_clock_moves_sessions_forward(dollr_sandbox: Sandbox) -> None:
    with dollr_sandbox.client() as client:
        party = client.parties.create(fullname="Clock", phone=TestNumbers.COMPLETES)
        counterparty = client.counterparties.create(relationship_type="CUSTOMER", party_id=party.id)
        invoice = client.invoices.create(
            counterparty_id=counterparty.id,
            currency="USD",
            note="clock",
            fee_bearer="PAYER",
            as_payment_link=False,
        )
        client.invoices.add_item(invoice.id, name="x", currency="USD", qty=1, amount="1.00")
        client.invoices.publish(invoice.id)
        session = client.sessions.checkout(source_id=invoice.id, source_type="INVOICE")
        dollr_sandbox.advance_clock(3600)
        account = client.payment_accounts.create(
            operation_type="COLLECTION",
            account_name="clock",
            provider="PAWAPAY",
            method="MTN_MOMO_LBR",
            party_id=party.id,
            insensitive_account_number=TestNumbers.COMPLETES,
        )
        with pytest.raises(dollr.DollrError) as caught:
            client.executions.collection(
                session_id=session.id, payment_account_id=account.id, currency="USD"
            )
        assert "expire" in caught.value.message.lower()


def test_configured_faults_wallets_and_verification_apply_from_the_start() -> None:
    with Sandbox(
        verified=False,
        wallets={"USD": "5.00"},
        faults={"rules": [{"kind": "rate_limit", "retry_after": 0, "scope": "token", "count": 1}]},
    ) as box:
        [usd] = [w for w in box.wallets() if w["currency"] == "USD"]
        assert usd["balance"] == Decimal("5.00")
        assert box.faults()["rules"][0]["kind"] == "rate_limit"
        assert box.client().parties.list() == []
        assert box.stats()["faults"]["rate_limit"] == 1
    with pytest.raises(ValueError, match="currency"):
        Sandbox(wallets={"EUR": "1"})


def test_the_pytest_fixtures(dollr_sandbox: Sandbox, dollr_client: dollr.Client) -> None:
    assert dollr_client.base_url == dollr_sandbox.url
    assert dollr_client.parties.create(fullname="Fixture", phone=TestNumbers.COMPLETES).id == 1
