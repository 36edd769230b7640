"""Test your own code against a local Dollr API: :class:`Sandbox` runs the dollr sandbox in this
process on a free port, with deterministic test numbers, fault injection and inspection.

>>> from dollr.testing import Sandbox, TestNumbers
>>> with Sandbox(settle_ms=20) as sandbox, sandbox.client() as client:
...     outcome = client.collect(phone=TestNumbers.COMPLETES, amount="12.00", currency="USD")
...     assert outcome.execution.status == "COMPLETED"

With pytest, the fixtures ``dollr_sandbox`` (a fresh sandbox per test) and ``dollr_client`` (a
client for it) are available once ``dollr`` is installed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, Union

from dollr import _native
from dollr._support import Secret, TimeoutLike, _loads, _secret_value
from dollr.resources import AsyncClient, Client

__all__ = ["Sandbox", "TestNumbers"]

_NUMBERS = _native.TEST_NUMBERS


class TestNumbers:
    """The sandbox's deterministic test numbers (they mean nothing to the production API)."""

    __test__ = False  # not a pytest test class

    COMPLETES: Final[str] = _NUMBERS["COMPLETES"]
    """Liberia, MTN Mobile Money: completes after the settle delay."""
    DECLINES: Final[str] = _NUMBERS["DECLINES"]
    """Liberia, MTN Mobile Money: the operator declines; the execution ends ``FAILED``."""
    SLOW: Final[str] = _NUMBERS["SLOW"]
    """Stays ``PROCESSING`` for 30 × the settle delay, then completes."""
    SLOW_THEN_FAILS: Final[str] = _NUMBERS["SLOW_THEN_FAILS"]
    """Stays ``PROCESSING`` for 30 × the settle delay, then fails."""
    COMPLETES_ORANGE_LR: Final[str] = _NUMBERS["COMPLETES_ORANGE_LR"]
    """Liberia, Orange Money: completes."""
    COMPLETES_MTN_RW: Final[str] = _NUMBERS["COMPLETES_MTN_RW"]
    """Rwanda, MTN Mobile Money: completes."""
    COMPLETES_AIRTEL_RW: Final[str] = _NUMBERS["COMPLETES_AIRTEL_RW"]
    """Rwanda, Airtel Money: completes."""
    CARD_DECLINES: Final[str] = _NUMBERS["CARD_DECLINES"]
    """A card number (``insensitive_account_number``) that declines."""
    CARD_REQUIRES_3DS: Final[str] = _NUMBERS["CARD_REQUIRES_3DS"]
    """A card number that requires 3-D Secure."""


Money = Union[Decimal, int, str]


def _money(value: Money) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class Sandbox:
    """A running local Dollr API on ``127.0.0.1`` and a free port, stopped by :meth:`shutdown`
    (or on leaving a ``with`` block).

    ``settle_ms`` is how long an execution takes to go ``PENDING → PROCESSING → COMPLETED``
    (the slow test numbers take 30×); ``seed`` fixes every random decision (default 7);
    ``verified=False`` simulates an unverified merchant (payouts, transfers, refunds and hosted
    checkout answer 403); ``wallets`` sets opening balances (``{"USD": "5.00"}``); ``faults`` is
    the fault configuration exactly as ``PUT /_sandbox/faults`` takes it
    (``{"rules": [{"kind": "drop_response", "scope": "executions", "count": 1}]}``).
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        *,
        settle_ms: int = 20,
        seed: int | None = None,
        verified: bool = True,
        passcode: Secret | str | None = None,
        client_id: str | None = None,
        client_secret: Secret | str | None = None,
        wallets: Mapping[str, Money] | None = None,
        faults: Mapping[str, Any] | None = None,
    ) -> None:
        self._native = _native.NativeSandbox(
            settle_ms,
            seed=seed,
            verified=verified,
            passcode=_secret_value(passcode),
            client_id=client_id,
            client_secret=_secret_value(client_secret),
            wallets=None
            if wallets is None
            else json.dumps({code: _money(balance) for code, balance in wallets.items()}),
            faults=None if faults is None else json.dumps(faults),
        )

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        return self._native.url

    @property
    def client_id(self) -> str:
        """The client id the sandbox accepts."""
        return self._native.client_id

    @property
    def client_secret(self) -> str:
        """The client secret the sandbox accepts."""
        return self._native.client_secret

    @property
    def passcode(self) -> str:
        """The merchant passcode payouts need."""
        return self._native.passcode

    @property
    def seed(self) -> int:
        """The seed of the sandbox's random decisions (to replay a failing run)."""
        return self._native.seed

    def client(
        self,
        *,
        timeout: TimeoutLike | None = None,
        max_retries: int | None = None,
        journal: str | None = None,
    ) -> Client:
        """A blocking :class:`dollr.Client` for this sandbox."""
        return Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            base_url=self.url,
            timeout=timeout,
            max_retries=max_retries,
            journal=journal,
        )

    def async_client(
        self,
        *,
        timeout: TimeoutLike | None = None,
        max_retries: int | None = None,
        journal: str | None = None,
    ) -> AsyncClient:
        """An asyncio :class:`dollr.AsyncClient` for this sandbox."""
        return AsyncClient(
            client_id=self.client_id,
            client_secret=self.client_secret,
            base_url=self.url,
            timeout=timeout,
            max_retries=max_retries,
            journal=journal,
        )

    def set_faults(self, faults: Mapping[str, Any]) -> None:
        """Replaces the fault configuration (the body of ``PUT /_sandbox/faults``)."""
        self._native.set_faults(json.dumps(faults))

    def add_fault(self, rule: Mapping[str, Any]) -> None:
        """Appends one fault rule, e.g. ``{"kind": "error", "status": 503, "count": 1}``."""
        self._native.add_fault(json.dumps(rule))

    def clear_faults(self) -> None:
        """Removes every fault."""
        self._native.set_faults("{}")

    def faults(self) -> dict[str, Any]:
        """The current fault configuration (counted rules show what is left)."""
        result: dict[str, Any] = _loads(self._native.faults())
        return result

    def stats(self) -> dict[str, Any]:
        """The stats document (``GET /_sandbox/stats``): requests by route, executions by
        reference id, faults fired, ``duplicate_payments``."""
        result: dict[str, Any] = _loads(self._native.stats())
        return result

    def request_log(self) -> list[dict[str, Any]]:
        """Every request received, oldest first (no bodies, headers or tokens)."""
        result: list[dict[str, Any]] = _loads(self._native.request_log())
        return result

    def events(self) -> list[dict[str, Any]]:
        """Execution state changes, oldest first."""
        result: list[dict[str, Any]] = _loads(self._native.events())
        return result

    def wallets(self) -> list[dict[str, Any]]:
        """The merchant wallets (``id``, ``currency``, ``balance`` as Decimal, ``status``)."""
        result: list[dict[str, Any]] = _loads(self._native.wallets())
        return result

    def set_wallet_balance(self, currency: str, balance: Money) -> None:
        """Sets a wallet's balance."""
        self._native.set_wallet_balance(currency, _money(balance))

    def payment_intents(self) -> list[dict[str, Any]]:
        """Every payment intent (one per execution, with its numeric id and reference id)."""
        result: list[dict[str, Any]] = _loads(self._native.payment_intents())
        return result

    def advance(self, reference_id: str) -> str:
        """Moves an execution to its next state now; returns the new status. Raises
        :class:`LookupError` for an unknown reference id, :class:`ValueError` when it is final."""
        return self._native.advance(reference_id)

    def advance_to_final(self, reference_id: str) -> str:
        """Moves an execution straight to its final state; returns it."""
        return self._native.advance(reference_id, to_final=True)

    def advance_clock(self, seconds: float) -> None:
        """Moves the sandbox clock forward (executions and sessions follow it)."""
        self._native.advance_clock(round(seconds * 1000))

    def update_config(
        self,
        *,
        settle_ms: int | None = None,
        verified: bool | None = None,
        passcode: Secret | str | None = None,
        token_ttl_minutes: int | None = None,
        token_ttl_seconds: int | None = None,
        checkout_session_ttl_seconds: int | None = None,
        payout_session_ttl_seconds: int | None = None,
    ) -> None:
        """Changes settings while running (``PATCH /_sandbox/config``)."""
        patch = {
            "settle_ms": settle_ms,
            "verified": verified,
            "passcode": _secret_value(passcode),
            "token_ttl_minutes": token_ttl_minutes,
            "token_ttl_seconds": token_ttl_seconds,
            "checkout_session_ttl_seconds": checkout_session_ttl_seconds,
            "payout_session_ttl_seconds": payout_session_ttl_seconds,
        }
        self._native.update_config(json.dumps({k: v for k, v in patch.items() if v is not None}))

    def revoke_tokens(self) -> int:
        """Invalidates every issued access token; returns how many there were."""
        return self._native.revoke_tokens()

    def reset(self) -> None:
        """Back to the opening state: data, wallets, faults, stats and clock (settings stay)."""
        self._native.reset()

    def shutdown(self) -> None:
        """Stops the server, letting in-flight requests finish. Safe to call twice."""
        self._native.shutdown()

    close = shutdown

    @property
    def closed(self) -> bool:
        """Whether the sandbox was shut down."""
        return self._native.closed

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r})"
