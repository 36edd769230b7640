#!/usr/bin/env python3
"""One Python contender of `make bench`, speaking the driver's line protocol (bench/README.md).

    python bench/python/contender.py --kind KIND --url URL [--concurrency C]

Kinds, all running the Dollr quickstart's collect flow with the quickstart's values:

    docs-requests     the docs' code as written: module-level ``requests.post`` (a new connection
                      per request, as the quickstart does)
    requests-session  the same code on one ``requests.Session`` (keep-alive)
    httpx             the same code on one ``httpx.Client`` (keep-alive)
    dollr             ``dollr.Client``, one resource call per request
    httpx-async       the same code on one ``httpx.AsyncClient``, C flows in flight
    dollr-async       ``dollr.AsyncClient``, C flows in flight

The raw-HTTP kinds share ONE flow function (the quickstart's code, with the HTTP object passed
in), so they differ only in the client. Timing uses ``time.perf_counter`` (and, for the status
lookups, ``time.process_time`` beside it: the process's CPU time over all its threads); the
per-call overhead is the median of batches of plain loops.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import statistics
import sys
import time
from decimal import Decimal
from typing import Any, Callable
from uuid import uuid4

PHONE = "231771234567"
CLIENT_ID = "dollr_test_client"
CLIENT_SECRET = "dollr_test_secret"
MAX_POLLS = 10_000


# The docs' code as the docs lay it out (aligned values, long lines): verbatim, not reformatted.
# fmt: off
# ---- the quickstart's code, sync and async -------------------------------------------------------


def docs_token(http: Any, base_url: str) -> dict[str, str]:
    res = http.post(
        f"{base_url}/v1/jwt/client/obtain/token",
        json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    token = res.json()["access_token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def docs_flow(http: Any, BASE_URL: str, headers: dict[str, str]) -> str:
    party = http.post(f"{BASE_URL}/v1/parties/create", headers=headers, json={
        "fullname":     "Amara Kamara",
        "phone":        "231771234567",
        "email":        "amara@example.com",
        "country_code": "LR",
    }).json()
    party_id = party["id"]

    cp = http.post(f"{BASE_URL}/v1/counterparties/create", headers=headers, json={
        "relationship_type": "CUSTOMER",
        "party_id":          party_id,
    }).json()
    counterparty_id = cp["id"]

    invoice = http.post(f"{BASE_URL}/v1/invoices/create", headers=headers, json={
        "counterparty_id": counterparty_id,
        "currency":        "USD",
        "note":            "Consulting services",
        "fee_bearer":      "PAYER",
        "as_payment_link": True,
    }).json()
    invoice_id = invoice["id"]

    http.post(f"{BASE_URL}/v1/invoices/{invoice_id}/items/add", headers=headers, json={
        "name":     "Strategy Session",
        "currency": "USD",
        "qty":      1,
        "amount":   250.00,
    })

    invoice = http.put(f"{BASE_URL}/v1/invoices/publish/{invoice_id}", headers=headers).json()

    mmo = http.get(f"{BASE_URL}/v1/predictions/mmo-provider-info", headers=headers, params={
        "phone": "231771234567", "operation_type": "COLLECTION",
    }).json()
    payment_method = mmo["payment_method"]
    provider       = mmo["gateway_provider"]

    session = http.post(f"{BASE_URL}/v1/sessions/checkout", headers=headers, json={
        "source_id":   invoice_id,
        "source_type": "INVOICE",
    }).json()
    session_id = session["id"]

    account = http.post(
        f"{BASE_URL}/v1/payment-accounts/create",
        headers=headers,
        params={"operation_type": "COLLECTION"},
        json={
            "account_name":               "Amara MTN Wallet",
            "provider":                   provider,
            "method":                     payment_method,
            "party_id":                   party_id,
            "country_code":               "LR",
            "insensitive_account_number": "231771234567",
        },
    ).json()

    reference_id = str(uuid4())
    http.post(f"{BASE_URL}/v1/executions/collection", headers=headers, json={
        "session_id":         str(session_id),
        "payment_account_id": str(account["id"]),
        "currency":           "USD",
        "reference_id":       reference_id,
    }).json()
    return reference_id


def docs_status(http: Any, BASE_URL: str, headers: dict[str, str], reference_id: str) -> str:
    status = http.get(
        f"{BASE_URL}/v1/status/collection/{reference_id}",
        headers=headers,
    ).json()
    return status["status"]


async def docs_flow_async(http: Any, BASE_URL: str, headers: dict[str, str]) -> str:
    party = (await http.post(f"{BASE_URL}/v1/parties/create", headers=headers, json={
        "fullname":     "Amara Kamara",
        "phone":        "231771234567",
        "email":        "amara@example.com",
        "country_code": "LR",
    })).json()
    party_id = party["id"]

    cp = (await http.post(f"{BASE_URL}/v1/counterparties/create", headers=headers, json={
        "relationship_type": "CUSTOMER",
        "party_id":          party_id,
    })).json()
    counterparty_id = cp["id"]

    invoice = (await http.post(f"{BASE_URL}/v1/invoices/create", headers=headers, json={
        "counterparty_id": counterparty_id,
        "currency":        "USD",
        "note":            "Consulting services",
        "fee_bearer":      "PAYER",
        "as_payment_link": True,
    })).json()
    invoice_id = invoice["id"]

    await http.post(f"{BASE_URL}/v1/invoices/{invoice_id}/items/add", headers=headers, json={
        "name":     "Strategy Session",
        "currency": "USD",
        "qty":      1,
        "amount":   250.00,
    })

    invoice = (await http.put(f"{BASE_URL}/v1/invoices/publish/{invoice_id}", headers=headers)).json()  # noqa: E501 (verbatim)

    mmo = (await http.get(f"{BASE_URL}/v1/predictions/mmo-provider-info", headers=headers, params={
        "phone": "231771234567", "operation_type": "COLLECTION",
    })).json()
    payment_method = mmo["payment_method"]
    provider       = mmo["gateway_provider"]

    session = (await http.post(f"{BASE_URL}/v1/sessions/checkout", headers=headers, json={
        "source_id":   invoice_id,
        "source_type": "INVOICE",
    })).json()
    session_id = session["id"]

    account = (await http.post(
        f"{BASE_URL}/v1/payment-accounts/create",
        headers=headers,
        params={"operation_type": "COLLECTION"},
        json={
            "account_name":               "Amara MTN Wallet",
            "provider":                   provider,
            "method":                     payment_method,
            "party_id":                   party_id,
            "country_code":               "LR",
            "insensitive_account_number": "231771234567",
        },
    )).json()

    reference_id = str(uuid4())
    (await http.post(f"{BASE_URL}/v1/executions/collection", headers=headers, json={
        "session_id":         str(session_id),
        "payment_account_id": str(account["id"]),
        "currency":           "USD",
        "reference_id":       reference_id,
    })).json()
    return reference_id


async def docs_status_async(http: Any, BASE_URL: str, headers: dict[str, str], reference_id: str) -> str:  # noqa: E501 (verbatim)
    status = (await http.get(
        f"{BASE_URL}/v1/status/collection/{reference_id}",
        headers=headers,
    )).json()
    return status["status"]


# fmt: on
# ---- the dollr SDK, one resource call per request ----------------------------------------------


def dollr_flow(client: Any) -> str:
    party = client.parties.create(
        fullname="Amara Kamara", phone=PHONE, email="amara@example.com", country_code="LR"
    )
    cp = client.counterparties.create(relationship_type="CUSTOMER", party_id=party.id)
    invoice = client.invoices.create(
        counterparty_id=cp.id,
        currency="USD",
        note="Consulting services",
        fee_bearer="PAYER",
        as_payment_link=True,
    )
    client.invoices.add_item(
        invoice.id, name="Strategy Session", currency="USD", qty=1, amount=Decimal("250.00")
    )
    client.invoices.publish(invoice.id)
    mmo = client.predictions.mmo_provider_info(phone=PHONE, operation_type="COLLECTION")
    session = client.sessions.checkout(source_id=invoice.id, source_type="INVOICE")
    account = client.payment_accounts.create(
        operation_type="COLLECTION",
        account_name="Amara MTN Wallet",
        provider=mmo.gateway_provider,
        method=mmo.payment_method,
        party_id=party.id,
        country_code="LR",
        insensitive_account_number=PHONE,
    )
    # The SDK generates and journals the reference_id before sending.
    execution = client.executions.collection(
        session_id=session.id, payment_account_id=account.id, currency="USD"
    )
    return str(execution.reference_id)


async def dollr_flow_async(client: Any) -> str:
    party = await client.parties.create(
        fullname="Amara Kamara", phone=PHONE, email="amara@example.com", country_code="LR"
    )
    cp = await client.counterparties.create(relationship_type="CUSTOMER", party_id=party.id)
    invoice = await client.invoices.create(
        counterparty_id=cp.id,
        currency="USD",
        note="Consulting services",
        fee_bearer="PAYER",
        as_payment_link=True,
    )
    await client.invoices.add_item(
        invoice.id, name="Strategy Session", currency="USD", qty=1, amount=Decimal("250.00")
    )
    await client.invoices.publish(invoice.id)
    mmo = await client.predictions.mmo_provider_info(phone=PHONE, operation_type="COLLECTION")
    session = await client.sessions.checkout(source_id=invoice.id, source_type="INVOICE")
    account = await client.payment_accounts.create(
        operation_type="COLLECTION",
        account_name="Amara MTN Wallet",
        provider=mmo.gateway_provider,
        method=mmo.payment_method,
        party_id=party.id,
        country_code="LR",
        insensitive_account_number=PHONE,
    )
    execution = await client.executions.collection(
        session_id=session.id, payment_account_id=account.id, currency="USD"
    )
    return str(execution.reference_id)


# ---- contenders ---------------------------------------------------------------------------------


class Sync:
    """A blocking contender: ``flow()`` → reference_id, ``status(ref)`` → status string,
    ``invalid()`` → one call the client's validation refuses (SDK only)."""

    def __init__(self, kind: str, url: str) -> None:
        self.versions: dict[str, str] = {"python": platform.python_version()}
        if kind == "dollr":
            import dollr

            self.versions["dollr"] = dollr.__version__
            self.client = dollr.Client(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=url
            )
            self.error = dollr.ValidationError
            self.flow = lambda: dollr_flow(self.client)
            self.status = lambda ref: str(self.client.status.collection(ref).status)
            self.invalid: Callable[[], Any] | None = lambda: self.client.parties.create(
                fullname="", phone=PHONE
            )
            return
        if kind == "docs-requests":
            import requests

            self.versions["requests"] = requests.__version__
            http: Any = requests  # module-level requests.post, as the quickstart writes it
        elif kind == "requests-session":
            import requests

            self.versions["requests"] = requests.__version__
            http = requests.Session()
        elif kind == "httpx":
            import httpx

            self.versions["httpx"] = httpx.__version__
            http = httpx.Client()
        else:
            raise SystemExit(f"unknown kind {kind}")
        headers = docs_token(http, url)  # step 1, once
        self.flow = lambda: docs_flow(http, url, headers)
        self.status = lambda ref: docs_status(http, url, headers, ref)
        self.invalid = None

    def one(self) -> int:
        reference_id = self.flow()
        polls = 0
        while True:
            polls += 1
            status = self.status(reference_id)
            if status == "COMPLETED":
                return polls
            if status == "FAILED" or polls >= MAX_POLLS:
                raise RuntimeError(f"collection {reference_id} ended {status} after {polls} polls")

    def round(self, flows: int) -> dict[str, Any]:
        latencies = []
        polls = 0
        started = time.perf_counter()
        for _ in range(flows):
            begun = time.perf_counter()
            polls += self.one()
            latencies.append((time.perf_counter() - begun) * 1e6)
        seconds = time.perf_counter() - started
        return {"ok": True, "flows": flows, "seconds": seconds, "lat_us": latencies, "polls": polls}

    def overhead(self, calls: int, batches: int) -> dict[str, Any]:
        reference_id = self.flow()
        status = self.status
        per_call, cpu_per_call = [], []
        for _ in range(batches):
            begun, cpu_begun = time.perf_counter(), time.process_time()
            for _ in range(calls):
                status(reference_id)
            per_call.append((time.perf_counter() - begun) * 1e6 / calls)
            cpu_per_call.append((time.process_time() - cpu_begun) * 1e6 / calls)
        result: dict[str, Any] = {
            "ok": True,
            "status_us": statistics.median(per_call),
            "status_cpu_us": statistics.median(cpu_per_call),
        }
        if self.invalid is not None:
            invalid, error = self.invalid, self.error
            per_call = []
            for _ in range(batches):
                begun = time.perf_counter()
                for _ in range(calls * 10):
                    try:
                        invalid()
                    except error:
                        pass
                    else:
                        raise RuntimeError("the invalid call was accepted")
                per_call.append((time.perf_counter() - begun) * 1e6 / (calls * 10))
            result["validation_us"] = statistics.median(per_call)
        return result


class Async:
    """An asyncio contender running ``concurrency`` flows at once on one client."""

    def __init__(
        self, kind: str, url: str, concurrency: int, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.concurrency = concurrency
        self.loop = loop
        self.versions: dict[str, str] = {"python": platform.python_version()}
        self.invalid: Callable[[], Any] | None = None
        if kind == "dollr-async":
            import dollr

            self.versions["dollr"] = dollr.__version__

            async def make() -> Any:
                return dollr.AsyncClient(
                    client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=url
                )

            client = loop.run_until_complete(make())
            self.error = dollr.ValidationError
            self.flow = lambda: dollr_flow_async(client)

            async def status(ref: str) -> str:
                return str((await client.status.collection(ref)).status)

            self.status = status
            self.invalid = lambda: client.parties.create(fullname="", phone=PHONE)
        elif kind == "httpx-async":
            import httpx

            self.versions["httpx"] = httpx.__version__
            # Enough connections for every flow in flight (httpx's default pool is 100).
            limits = httpx.Limits(
                max_connections=max(100, concurrency),
                max_keepalive_connections=max(20, concurrency),
            )

            async def make_httpx() -> Any:
                return httpx.AsyncClient(limits=limits)

            http = loop.run_until_complete(make_httpx())

            async def token() -> dict[str, str]:
                res = await http.post(
                    f"{url}/v1/jwt/client/obtain/token",
                    json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
                )
                return {
                    "Authorization": f"Bearer {res.json()['access_token']}",
                    "Content-Type": "application/json",
                }

            headers = loop.run_until_complete(token())  # step 1, once
            self.flow = lambda: docs_flow_async(http, url, headers)
            self.status = lambda ref: docs_status_async(http, url, headers, ref)
        else:
            raise SystemExit(f"unknown kind {kind}")

    async def one(self) -> int:
        reference_id = await self.flow()
        polls = 0
        while True:
            polls += 1
            status = await self.status(reference_id)
            if status == "COMPLETED":
                return polls
            if status == "FAILED" or polls >= MAX_POLLS:
                raise RuntimeError(f"collection {reference_id} ended {status} after {polls} polls")

    async def _round(self, flows: int) -> dict[str, Any]:
        remaining = flows
        latencies: list[float] = []
        polls = 0

        async def worker() -> None:
            nonlocal remaining, polls
            while remaining > 0:
                remaining -= 1
                begun = time.perf_counter()
                made = await self.one()
                latencies.append((time.perf_counter() - begun) * 1e6)
                polls += made  # after the await: `polls += await ...` would lose updates

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        seconds = time.perf_counter() - started
        return {"ok": True, "flows": flows, "seconds": seconds, "lat_us": latencies, "polls": polls}

    def round(self, flows: int) -> dict[str, Any]:
        return self.loop.run_until_complete(self._round(flows))

    async def _overhead(self, calls: int, batches: int) -> dict[str, Any]:
        reference_id = await self.flow()
        per_call, cpu_per_call = [], []
        for _ in range(batches):
            begun, cpu_begun = time.perf_counter(), time.process_time()
            for _ in range(calls):
                await self.status(reference_id)
            per_call.append((time.perf_counter() - begun) * 1e6 / calls)
            cpu_per_call.append((time.process_time() - cpu_begun) * 1e6 / calls)
        result: dict[str, Any] = {
            "ok": True,
            "status_us": statistics.median(per_call),
            "status_cpu_us": statistics.median(cpu_per_call),
        }
        if self.invalid is not None:
            invalid, error = self.invalid, self.error
            per_call = []
            for _ in range(batches):
                begun = time.perf_counter()
                for _ in range(calls * 10):
                    try:
                        await invalid()
                    except error:
                        pass
                    else:
                        raise RuntimeError("the invalid call was accepted")
                per_call.append((time.perf_counter() - begun) * 1e6 / (calls * 10))
            result["validation_us"] = statistics.median(per_call)
        return result

    def overhead(self, calls: int, batches: int) -> dict[str, Any]:
        return self.loop.run_until_complete(self._overhead(calls, batches))


def say(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def trim_native_heap() -> dict[str, Any]:
    """glibc's ``malloc_trim(0)``: the C allocator's free pages back to the system (memory row)."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return {"ok": False, "error": "this C library has no malloc_trim"}
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return {"ok": True}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    try:
        if args.kind.endswith("-async"):
            contender: Any = Async(args.kind, args.url, args.concurrency, asyncio.new_event_loop())
        else:
            contender = Sync(args.kind, args.url)
    except Exception as error:  # reported as "not built" (e.g. the package is not installed)
        say({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return
    say({"ready": True, "versions": contender.versions})
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            if command["op"] == "round":
                say(contender.round(command["flows"]))
            elif command["op"] == "overhead":
                say(contender.overhead(command["calls"], command["batches"]))
            elif command["op"] == "collect_garbage":
                gc.collect()
                say({"ok": True})
            elif command["op"] == "trim_native_heap":
                say(trim_native_heap())
            else:
                say({"ok": False, "error": f"unknown op {command['op']}"})
        except Exception as error:
            say({"ok": False, "error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
