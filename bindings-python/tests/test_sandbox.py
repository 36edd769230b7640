"""`dollr.testing.Sandbox`, the helper users test their own code with: its controls do what they
say, the pytest fixtures work as documented, and the sandbox — the `dollr` binary run as a child
process — is found, started and stopped as every dollr SDK's helper does it."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

import dollr
import dollr_testing._process
from dollr import _native
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


# ---- the sandbox is the `dollr` binary, run as a child process -----------------------------------


def refused(url: str) -> bool:
    """Whether nothing listens at ``url`` any more (a connection cut while it stops: not yet)."""
    try:
        with urllib.request.urlopen(f"{url}/_sandbox/health", timeout=2):
            return False
    except urllib.error.URLError as error:
        return isinstance(error.reason, ConnectionRefusedError)
    except OSError:
        return False


def wait_until_refused(url: str, deadline_s: float = 30.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if refused(url):
            return True
        time.sleep(0.02)
    return False


def test_the_production_module_carries_no_sandbox() -> None:
    assert not hasattr(_native, "NativeSandbox")
    assert b"dollr_sandbox" not in Path(_native.__file__).read_bytes()


def test_the_binary_named_by_the_environment_must_exist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dollr"
    monkeypatch.setenv("DOLLR_SANDBOX_BINARY", str(missing))
    with pytest.raises(FileNotFoundError, match="DOLLR_SANDBOX_BINARY") as caught:
        Sandbox()
    assert str(missing) in str(caught.value)


def test_without_any_binary_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DOLLR_SANDBOX_BINARY")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dollr` there; no companion wheel in this venv
    with pytest.raises(FileNotFoundError, match=re.escape('pip install "dollr[testing]"')):
        Sandbox()


def script(tmp_path: Path, body: str) -> Path:
    """An executable that stands in for `dollr`."""
    path = tmp_path / "fake-dollr"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_a_binary_that_fails_to_start_is_reported_with_what_it_said(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "DOLLR_SANDBOX_BINARY", str(script(tmp_path, "echo 'no port for you' >&2\nexit 3"))
    )
    with pytest.raises(OSError, match=r"status 3(.|\n)*no port for you"):
        Sandbox()


def test_a_binary_that_never_answers_is_stopped_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Prints nothing and waits for the end of its stdin, as a hung sandbox would.
    monkeypatch.setenv("DOLLR_SANDBOX_BINARY", str(script(tmp_path, "cat >/dev/null")))
    monkeypatch.setattr(dollr_testing._process, "START_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(OSError, match="printed nothing"):
        Sandbox()
    assert time.monotonic() - started < 20


def test_a_sandbox_that_is_garbage_collected_stops() -> None:
    box = Sandbox()
    url = box.url
    del box
    gc.collect()
    assert wait_until_refused(url)


@pytest.mark.parametrize("ending", ["returns", "is killed"])
def test_the_sandbox_ends_with_the_process_that_started_it(ending: str) -> None:
    # Neither shutdown() nor garbage collection runs: the stdin pipe closing stops the child.
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from dollr.testing import Sandbox

        box = Sandbox()
        print(box.url, flush=True)
        if {ending == "is killed"}:
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    url = run.stdout.strip()
    assert url.startswith("http://127.0.0.1:"), run.stderr
    assert wait_until_refused(url)


def test_refused_control_inputs_are_value_errors_naming_the_argument(
    dollr_sandbox: Sandbox,
) -> None:
    with pytest.raises(ValueError, match="currency"):
        dollr_sandbox.set_wallet_balance("EUR", "1.00")
    with pytest.raises(ValueError, match="balance"):
        dollr_sandbox.set_wallet_balance("USD", "-1")
    with pytest.raises(ValueError, match="balance"):
        dollr_sandbox.set_wallet_balance("USD", Decimal("1e20"))
    with pytest.raises(ValueError, match="settle_ms"):
        dollr_sandbox.update_config(settle_ms=-1)
    with pytest.raises(ValueError, match=r"faults: rules\.0\.cout"):
        dollr_sandbox.set_faults({"rules": [{"kind": "error", "cout": 1}]})
    with pytest.raises(ValueError, match="wallets"):
        Sandbox(wallets={"USD": "lots"})
    # Nothing refused changed anything.
    [usd] = [w for w in dollr_sandbox.wallets() if w["currency"] == "USD"]
    assert usd["balance"] == Decimal("10000.00")
    assert dollr_sandbox.faults()["rules"] == []


def test_a_shut_down_sandbox_refuses_calls(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        dollr_sandbox.stats()
    with pytest.raises(RuntimeError, match="shut down"):
        _ = dollr_sandbox.passcode


def test_the_passcode_follows_the_configuration(dollr_sandbox: Sandbox) -> None:
    dollr_sandbox.update_config(passcode="999000")
    assert dollr_sandbox.passcode == "999000"


def test_without_the_companion_dollr_testing_says_what_to_install() -> None:
    # As in an environment with `dollr` alone (the install check proves it on a real one).
    code = textwrap.dedent(
        """
        import sys
        sys.modules["dollr_testing"] = None  # not installed
        try:
            import dollr.testing
        except ImportError as error:
            print(error)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert 'pip install "dollr[testing]"' in run.stdout, run.stdout + run.stderr
