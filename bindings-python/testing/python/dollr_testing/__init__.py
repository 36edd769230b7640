"""Test your own code against a local Dollr API: :class:`Sandbox` runs the dollr sandbox (the
``dollr`` binary this package installs) on a free loopback port, with deterministic test numbers,
fault injection and inspection.

>>> from dollr_testing import Sandbox, TestNumbers  # also importable as dollr.testing
>>> with Sandbox(settle_ms=20) as sandbox, sandbox.client() as client:
...     outcome = client.collect(phone=TestNumbers.COMPLETES, amount="12.00", currency="USD")
...     assert outcome.execution.status == "COMPLETED"

With pytest, the fixtures ``dollr_sandbox`` (a fresh sandbox per test) and ``dollr_client`` (a
client for it) are available once ``dollr-testing`` is installed (``pip install "dollr[testing]"``).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import weakref
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Union

from dollr import _native
from dollr._support import Secret, TimeoutLike, _loads, _secret_value
from dollr.resources import AsyncClient, Client
from dollr_testing._process import SandboxNotFoundError, SandboxProcess, find_binary

__all__ = ["Sandbox", "SandboxNotFoundError", "TestNumbers", "find_binary"]

_NUMBERS = _native.TEST_NUMBERS
# The sandbox's wallet currencies (`dollr sandbox --wallet CUR=AMOUNT`).
_CURRENCIES = ("USD", "LRD", "RWF")
# A control request answers at once; this only bounds a sandbox that stopped answering.
_CONTROL_TIMEOUT = 30.0


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


def _decimal(field: str, value: Money) -> str:
    """``value`` as exact decimal text, or a ValueError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{field}: expected a Decimal, int or decimal str, got {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field}: {value!r} is not a decimal number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{field}: {value!r} must be a finite amount, not negative")
    return format(number, "f")


def _currency(code: str) -> str:
    if code not in _CURRENCIES:
        raise ValueError(
            f"currency: {code!r} is not a sandbox wallet currency ({', '.join(_CURRENCIES)})"
        )
    return code


def _whole(field: str, value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field}: expected an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{field}: must not be negative, got {value}")
    return str(value)


def _problem(answer: bytes) -> str:
    """The message of a sandbox error body: ``{"detail": "..."}``, or for a 422 the fields at
    fault (``{"detail": [{"loc": ["body", "rules", 0, "probability"], "msg": ...}]}``)."""
    try:
        detail = json.loads(answer)["detail"]
    except (ValueError, KeyError, TypeError):
        return answer.decode("utf-8", "replace")
    if isinstance(detail, list):
        return "; ".join(
            ".".join(str(part) for part in entry.get("loc", [])[1:]) + f": {entry.get('msg')}"
            for entry in detail
            if isinstance(entry, dict)
        )
    return str(detail)


class _Refused(Exception):
    """The control API refused a request: its status and what it said."""

    def __init__(self, status: int, problem: str) -> None:
        super().__init__(status, problem)
        self.status = status
        self.problem = problem


class _Control:
    """The sandbox's control API (``/_sandbox/…``, see the sandbox README) on loopback: one
    connection per request (plain ``http.client``, which never goes through a proxy)."""

    __slots__ = ("_host", "_port")

    def __init__(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").rpartition(":")
        self._host = host
        self._port = int(port)

    def call(self, method: str, path: str, body: str | None) -> Any:
        """The answer to ``method path`` (JSON, decimals as Decimal); :class:`_Refused` when the
        sandbox answers with an error status."""
        connection = http.client.HTTPConnection(self._host, self._port, timeout=_CONTROL_TIMEOUT)
        try:
            headers = {} if body is None else {"Content-Type": "application/json"}
            connection.request(
                method, path, body=None if body is None else body.encode(), headers=headers
            )
            answer = connection.getresponse()
            text = answer.read()
        finally:
            connection.close()
        if answer.status >= 400:
            raise _Refused(answer.status, _problem(text))
        return _loads(text.decode())


class Sandbox:
    """A running local Dollr API on ``127.0.0.1`` and a free port, stopped by :meth:`shutdown`
    (or on leaving a ``with`` block, or when garbage-collected, or when this process ends).

    It is the ``dollr sandbox`` command run as a child process: the ``dollr`` binary named by
    ``DOLLR_SANDBOX_BINARY``, else the one ``dollr-testing`` installed, else ``dollr`` on
    ``PATH``.

    ``settle_ms`` is how long an execution takes to go ``PENDING → PROCESSING → COMPLETED``
    (the slow test numbers take 30×); ``seed`` fixes every random decision (default 7);
    ``verified=False`` simulates an unverified merchant (payouts, transfers, refunds and hosted
    checkout answer 403); ``wallets`` sets opening balances (``{"USD": "5.00"}``); ``faults`` is
    the fault configuration exactly as ``PUT /_sandbox/faults`` takes it
    (``{"rules": [{"kind": "drop_response", "scope": "executions", "count": 1}]}``).
    """

    __slots__ = (
        "__weakref__",
        "_client_id",
        "_client_secret",
        "_control",
        "_finalizer",
        "_process",
        "_seed",
        "_url",
    )

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
        # Every argument is checked before a process starts.
        arguments = ["--settle-ms", _whole("settle_ms", settle_ms)]
        arguments += ["--seed", _whole("seed", 7 if seed is None else seed)]
        if not verified:
            arguments.append("--unverified")
        for flag, value in (
            ("--passcode", _secret_value(passcode)),
            ("--client-id", client_id),
            ("--client-secret", _secret_value(client_secret)),
        ):
            if value is not None:
                arguments += [flag, value]
        for code, balance in (wallets or {}).items():
            arguments += ["--wallet", f"{_currency(code)}={_decimal('wallets', balance)}"]
        fault_config = None if faults is None else json.dumps(faults)

        process = SandboxProcess(arguments)
        self._process = process
        # Stops the child when this object is garbage-collected. Not at interpreter exit: an
        # `atexit` handler registered before this one may still use the sandbox, and the stdin
        # pipe closing with this process stops it anyway.
        self._finalizer = weakref.finalize(self, process.stop)
        self._finalizer.atexit = False
        self._url = process.url
        self._control = _Control(process.url)
        try:
            if fault_config is not None:
                self._call("PUT", "/_sandbox/faults", fault_config, "faults")
            config = self._call("GET", "/_sandbox/config")
        except BaseException:
            self.shutdown()
            raise
        self._client_id: str = config["client_id"]
        self._client_secret: str = config["client_secret"]
        self._seed: int = config["seed"]

    def _call(self, method: str, path: str, body: str | None = None, what: str = "") -> Any:
        """A control request; an input the sandbox refuses raises :class:`ValueError` (or
        :class:`LookupError` for what does not exist) naming ``what``, as for any bad argument."""
        self._running()
        try:
            return self._control.call(method, path, body)
        except _Refused as refused:
            if refused.status == 404:
                raise LookupError(f"{what or path}: {refused.problem}") from None
            if refused.status in (409, 413, 422):
                raise ValueError(f"{what or path}: {refused.problem}") from None
            raise RuntimeError(
                f"the sandbox answered {refused.status} to {method} {path}: {refused.problem}"
            ) from None
        except (OSError, http.client.HTTPException):
            exited = self._process.exit_status()
            if exited is None:
                raise
            raise RuntimeError(
                f"the sandbox exited (status {exited}){self._process.diagnostics()}"
            ) from None

    def _running(self) -> None:
        if self.closed:
            raise RuntimeError("this sandbox is shut down")

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        return self._url

    @property
    def client_id(self) -> str:
        """The client id the sandbox accepts."""
        self._running()
        return self._client_id

    @property
    def client_secret(self) -> str:
        """The client secret the sandbox accepts."""
        self._running()
        return self._client_secret

    @property
    def passcode(self) -> str:
        """The merchant passcode payouts need (as :meth:`update_config` last set it)."""
        passcode: str = self._call("GET", "/_sandbox/config")["passcode"]
        return passcode

    @property
    def seed(self) -> int:
        """The seed of the sandbox's random decisions (to replay a failing run)."""
        self._running()
        return self._seed

    def client(
        self,
        *,
        timeout: TimeoutLike | None = None,
        max_retries: int | None = None,
        journal: str | None = None,
        realtime: bool = True,
    ) -> Client:
        """A blocking :class:`dollr.Client` for this sandbox; with ``realtime`` (the default) it
        listens on the sandbox's Supabase Realtime server, so a collection finishes in about the
        sandbox's settle time."""
        supabase_url, supabase_anon_key = self._supabase() if realtime else (None, None)
        return Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            base_url=self.url,
            timeout=timeout,
            max_retries=max_retries,
            journal=journal,
            supabase_url=supabase_url,
            supabase_anon_key=supabase_anon_key,
        )

    def _supabase(self) -> tuple[str, str]:
        info: dict[str, str] = self._call("GET", "/_sandbox/realtime")
        return info["supabase_url"], info["supabase_anon_key"]

    @property
    def supabase_url(self) -> str:
        """The sandbox's Supabase Realtime URL (``SUPABASE_URL``)."""
        return self._supabase()[0]

    @property
    def supabase_anon_key(self) -> str:
        """The sandbox's Supabase anon key (``SUPABASE_ANON_KEY``)."""
        return self._supabase()[1]

    def async_client(
        self,
        *,
        timeout: TimeoutLike | None = None,
        max_retries: int | None = None,
        journal: str | None = None,
        realtime: bool = True,
    ) -> AsyncClient:
        """An asyncio :class:`dollr.AsyncClient` for this sandbox (listening on its realtime
        server unless ``realtime=False``)."""
        supabase_url, supabase_anon_key = self._supabase() if realtime else (None, None)
        return AsyncClient(
            client_id=self.client_id,
            client_secret=self.client_secret,
            base_url=self.url,
            timeout=timeout,
            max_retries=max_retries,
            journal=journal,
            supabase_url=supabase_url,
            supabase_anon_key=supabase_anon_key,
        )

    def set_faults(self, faults: Mapping[str, Any]) -> None:
        """Replaces the fault configuration (the body of ``PUT /_sandbox/faults``)."""
        self._call("PUT", "/_sandbox/faults", json.dumps(faults), "faults")

    def add_fault(self, rule: Mapping[str, Any]) -> None:
        """Appends one fault rule, e.g. ``{"kind": "error", "status": 503, "count": 1}``."""
        self._call("POST", "/_sandbox/faults/rules", json.dumps(rule), "rule")

    def clear_faults(self) -> None:
        """Removes every fault."""
        self._call("DELETE", "/_sandbox/faults")

    def faults(self) -> dict[str, Any]:
        """The current fault configuration (counted rules show what is left)."""
        result: dict[str, Any] = self._call("GET", "/_sandbox/faults")
        return result

    def stats(self) -> dict[str, Any]:
        """The stats document (``GET /_sandbox/stats``): requests by route, executions by
        reference id, faults fired, ``duplicate_payments``."""
        result: dict[str, Any] = self._call("GET", "/_sandbox/stats")
        return result

    def request_log(self) -> list[dict[str, Any]]:
        """Every request received, oldest first (no bodies, headers or tokens)."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/requests")
        return result

    def events(self) -> list[dict[str, Any]]:
        """Execution state changes, oldest first."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/events")
        return result

    def wallets(self) -> list[dict[str, Any]]:
        """The merchant wallets (``id``, ``currency``, ``balance`` as Decimal, ``status``)."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/wallets")
        return result

    def set_wallet_balance(self, currency: str, balance: Money) -> None:
        """Sets a wallet's balance."""
        # The balance goes as an exact JSON number, written from its decimal text.
        body = '{"balance": ' + _decimal("balance", balance) + "}"
        self._call("PUT", f"/_sandbox/wallets/{_currency(currency)}", body, "balance")

    def payment_intents(self) -> list[dict[str, Any]]:
        """Every payment intent (one per execution, with its numeric id and reference id)."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/payment-intents")
        return result

    def advance(self, reference_id: str) -> str:
        """Moves an execution to its next state now; returns the new status. Raises
        :class:`LookupError` for an unknown reference id, :class:`ValueError` when it is final."""
        return self._advance(reference_id, "")

    def advance_to_final(self, reference_id: str) -> str:
        """Moves an execution straight to its final state; returns it."""
        return self._advance(reference_id, "?to=final")

    def _advance(self, reference_id: str, query: str) -> str:
        path = f"/_sandbox/advance/{urllib.parse.quote(reference_id, safe='')}{query}"
        self._running()
        try:
            status: str = self._control.call("POST", path, "")["status"]
        except _Refused as refused:
            if refused.status == 404:
                raise LookupError(f"no execution with reference_id {reference_id!r}") from None
            if refused.status == 409:
                raise ValueError(
                    f"the execution {reference_id} is already final ({refused.problem})"
                ) from None
            raise
        return status

    def advance_clock(self, seconds: float) -> None:
        """Moves the sandbox clock forward (executions and sessions follow it)."""
        self._call("POST", "/_sandbox/clock/advance", json.dumps({"ms": round(seconds * 1000)}))

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
        body = json.dumps({k: v for k, v in patch.items() if v is not None})
        self._call("PATCH", "/_sandbox/config", body, "config")

    def revoke_tokens(self) -> int:
        """Invalidates every issued access token; returns how many there were."""
        revoked: int = self._call("POST", "/_sandbox/tokens/revoke", "")["revoked"]
        return revoked

    def reset(self) -> None:
        """Back to the opening state: data, wallets, faults, stats and clock (settings stay)."""
        self._call("POST", "/_sandbox/reset", "")

    def shutdown(self) -> None:
        """Stops the server, letting in-flight requests finish. Safe to call twice."""
        self._finalizer()

    close = shutdown

    @property
    def closed(self) -> bool:
        """Whether the sandbox was shut down."""
        return not self._finalizer.alive

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r})"
