"""A 200 from every operation: the documented flows (parties, sources, sessions, executions,
receipts, predictions, fees) run in order against a fresh sandbox, each answer checked against
the operation's 200 schema in the served document (responses random data never reaches: a
receipt, a settled execution, a payout session).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import jsonschema_rs

PHONE = "231771234567"  # test number: MTN Liberia, completes


def call(base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Walk:
    """Calls operations, records (operation, status) and checks every 200 against the document."""

    def __init__(self, base: str, token: str, document: dict[str, Any]) -> None:
        self.base, self.token, self.document = base, token, document
        self.reached: set[tuple[str, int]] = set()
        self.problems: list[str] = []
        self.templates = [
            (method.upper(), path, op)
            for path, item in document["paths"].items()
            for method, op in item.items()
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        bare = path.split("?", 1)[0].split("/")
        for m, template, op in self.templates:
            parts = template.split("/")
            if m == method and len(parts) == len(bare):
                if all(t == b or t.startswith("{") for t, b in zip(parts, bare)):
                    return f"{m} {template}", op
        raise AssertionError(f"{method} {path} is not in the document")

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        label, op = self.operation(method, path)
        status, answer = call(self.base, self.token, method, path, body)
        self.reached.add((label, status))
        if status != 200:
            self.problems.append(f"{label}: {status} {answer} (expected 200 on the happy path)")
            return answer
        schema = dict(op["responses"]["200"]["content"]["application/json"]["schema"])
        schema["components"] = self.document["components"]
        errors = [
            f"{e.message} at {list(e.instance_path)}"
            for e in jsonschema_rs.validator_for(schema).iter_errors(answer)
        ]
        if errors:
            self.problems.append(f"{label}: the 200 body does not conform: {errors[:3]}")
        return answer

    def refused(self, status: int, method: str, path: str, body: Any = None) -> None:
        """A documented error status a step of the flow reaches (e.g. a receipt before payment)."""
        label, _ = self.operation(method, path)
        got, answer = call(self.base, self.token, method, path, body)
        self.reached.add((label, got))
        if got != status:
            self.problems.append(f"{label}: {got} {answer} (expected {status})")

    def control(self, path: str) -> Any:
        return call(self.base, self.token, "GET", path)[1]

    def until(self, path: str, done: Callable[[Any], bool], deadline_s: float = 30.0) -> Any:
        started = time.monotonic()
        while True:
            answer = self(*("GET", path))
            if done(answer) or time.monotonic() - started > deadline_s:
                return answer
            time.sleep(0.05)


def expires() -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()


def walk(base: str, token: str, document: dict[str, Any]) -> Walk:
    w = Walk(base, token, document)
    party = w(
        "POST",
        "/v1/parties/create",
        {"fullname": "Amara Kamara", "phone": PHONE, "country_code": "LR"},
    )["id"]
    w("GET", "/v1/parties/list?fullname=amara")
    w("GET", f"/v1/parties/retrieve/{party}")
    cp = w(
        "POST", "/v1/counterparties/create", {"relationship_type": "CUSTOMER", "party_id": party}
    )["id"]
    w("GET", "/v1/counterparties/list")
    w("GET", f"/v1/counterparties/retrieve/{cp}")
    w("PUT", f"/v1/counterparties/update/{cp}", {"relationship_type": "CUSTOMER"})
    sources: dict[str, tuple[int, str]] = {}
    for kind, noun in (("INVOICE", "invoices"), ("ORDER", "orders")):
        created = w(
            "POST",
            f"/v1/{noun}/create",
            {
                "counterparty_id": cp,
                "currency": "USD",
                "note": "contract",
                "fee_bearer": "PAYER",
                "as_payment_link": True,
            },
        )
        sid = created["id"]
        w("GET", f"/v1/{noun}/list?currency=USD")
        w("PUT", f"/v1/{noun}/update/{sid}", {"note": "contract test"})
        item = w(
            "POST",
            f"/v1/{noun}/{sid}/items/add",
            {"name": "Thing", "currency": "USD", "qty": 1, "amount": 10},
        )["id"]
        w("PUT", f"/v1/{noun}/{sid}/items/{item}/update", {"qty": 2})
        extra = w(
            "POST",
            f"/v1/{noun}/{sid}/items/add",
            {"name": "Extra", "currency": "USD", "qty": 1, "amount": 1},
        )["id"]
        w("DELETE", f"/v1/{noun}/{sid}/items/{extra}/remove")
        published = w("PUT", f"/v1/{noun}/publish/{sid}")
        number = published.get(f"{kind.lower()}_number") or w(
            "GET", f"/v1/{noun}/retrieve/{sid}"
        ).get(f"{kind.lower()}_number")
        w("GET", f"/v1/{noun}/retrieve/{sid}")
        w("GET", f"/v1/{noun}/retrieve/number/{number}")
        w("GET", f"/v1/links/pay?source_type={kind}&source_number={number}")
        # No receipt before the source is paid.
        w.refused(422, "GET", f"/v1/{noun}/receipt/number/{number}")
        sources[kind] = (sid, number)
        cancel = w(
            "POST",
            f"/v1/{noun}/create",
            {
                "counterparty_id": cp,
                "currency": "USD",
                "note": "to cancel",
                "fee_bearer": "PAYEE",
                "as_payment_link": False,
            },
        )["id"]
        w("DELETE", f"/v1/{noun}/cancel/{cancel}")
    w(
        "POST",
        "/v1/checkouts/create",
        {
            "mode": "HOSTED",
            "source_kind": "ORDER",
            "party_phone": PHONE,
            "currency": "USD",
            "items": [{"name": "A", "currency": "USD", "amount": 5}],
        },
    )

    # Collection on the invoice, then its receipt, status and realtime key.
    invoice, invoice_number = sources["INVOICE"]
    mmo = w("GET", f"/v1/predictions/mmo-provider-info?phone={PHONE}&operation_type=COLLECTION")
    account = w(
        "POST",
        "/v1/payment-accounts/create?operation_type=COLLECTION",
        {
            "account_name": "Wallet",
            "provider": mmo["gateway_provider"],
            "method": mmo["payment_method"],
            "party_id": party,
            "insensitive_account_number": PHONE,
        },
    )["id"]
    session = w("POST", "/v1/sessions/checkout", {"source_id": invoice, "source_type": "INVOICE"})[
        "id"
    ]
    reference = str(uuid.uuid4())
    w(
        "POST",
        "/v1/executions/collection",
        {
            "session_id": str(session),
            "payment_account_id": str(account),
            "currency": "USD",
            "reference_id": reference,
        },
    )
    w(
        "POST",
        "/v1/realtime-keys/collection",
        {"session_id": session, "source_type": "INVOICE", "reference_id": reference},
    )
    w.until(
        f"/v1/status/collection/{reference}", lambda s: s.get("status") in ("COMPLETED", "FAILED")
    )
    w("GET", f"/v1/status/source?source_type=INVOICE&source_id={invoice}")
    w("GET", f"/v1/invoices/receipt/{invoice}")
    w("GET", f"/v1/invoices/receipt/number/{invoice_number}")
    w("GET", f"/v1/links/receipt?source_type=INVOICE&source_number={invoice_number}")
    # The order is paid too, for its receipts.
    order, order_number = sources["ORDER"]
    order_session = w(
        "POST", "/v1/sessions/checkout", {"source_id": order, "source_type": "ORDER"}
    )["id"]
    order_reference = str(uuid.uuid4())
    w(
        "POST",
        "/v1/executions/collection",
        {
            "session_id": str(order_session),
            "payment_account_id": str(account),
            "currency": "USD",
            "reference_id": order_reference,
        },
    )
    w.until(
        f"/v1/status/collection/{order_reference}",
        lambda s: s.get("status") in ("COMPLETED", "FAILED"),
    )
    w("GET", f"/v1/orders/receipt/{order}")
    w("GET", f"/v1/orders/receipt/number/{order_number}")

    # Refund of the collection.
    intents = w.control("/_sandbox/payment-intents")
    intent = next(i for i in intents if i["reference_id"] == reference)["id"]
    refund_session = w(
        "POST",
        "/v1/sessions/refund",
        {"original_payment_intent_id": intent, "amount": 5, "expires_at": expires()},
    )["id"]
    refund_reference = str(uuid.uuid4())
    w(
        "POST",
        "/v1/executions/refund",
        {"session_id": str(refund_session), "reference_id": refund_reference},
    )
    w.until(
        f"/v1/status/refund/{refund_reference}",
        lambda s: s.get("status") in ("COMPLETED", "FAILED"),
    )

    # Payout.
    payout_account = w(
        "POST",
        "/v1/payment-accounts/create?operation_type=PAYOUT",
        {
            "account_name": "Wallet",
            "provider": mmo["gateway_provider"],
            "method": mmo["payment_method"],
            "party_id": party,
            "insensitive_account_number": PHONE,
        },
    )["id"]
    payout_session = w(
        "POST",
        "/v1/sessions/payout",
        {"payout_account_id": payout_account, "amount": 10, "currency": "USD"},
    )["id"]
    payout_reference = str(uuid.uuid4())
    device = {
        "name": "Payout Server",
        "type": "SERVER",
        "platform": "NODE",
        "user_agent": "dollr-contract/1.0",
        "client_ip": "203.0.113.10",
    }
    w(
        "POST",
        "/v1/executions/payout",
        {
            "session_id": str(payout_session),
            "payout_account_id": str(payout_account),
            "reference_id": payout_reference,
            "passcode": {"token": {"phone": PHONE, "code": "123456"}, "device": device},
        },
    )
    w.until(
        f"/v1/status/payout/{payout_reference}",
        lambda s: s.get("status") in ("COMPLETED", "FAILED"),
    )

    # Transfer from the USD wallet.
    wallet = next(x for x in w.control("/_sandbox/wallets") if x["currency"] == "USD")["id"]
    transfer_session = w(
        "POST",
        "/v1/sessions/transfer",
        {
            "from_wallet_id": wallet,
            "to_counterparty_id": cp,
            "amount": 10,
            "currency": "USD",
            "expires_at": expires(),
        },
    )["id"]
    transfer_reference = str(uuid.uuid4())
    w(
        "POST",
        "/v1/executions/transfer",
        {"session_id": str(transfer_session), "reference_id": transfer_reference},
    )
    w.until(
        f"/v1/status/transfer/{transfer_reference}",
        lambda s: s.get("status") in ("COMPLETED", "FAILED"),
    )

    # Predictions, fees, merchant.
    w(
        "GET",
        "/v1/predictions/amount-and-fees?base_amount=250&base_currency=USD&target_currency=LRD&payment_method=MTN_MOMO_LBR&operation_type=COLLECTION&provider=PAWAPAY&fee_bearer=PAYER",
    )
    w(
        "GET",
        "/v1/predictions/card-provider-info?payment_method_id=pm_card_visa&operation_type=COLLECTION&provider=STRIPE",
    )
    w(
        "GET",
        f"/v1/predictions/payment-source/amount-and-fees?source_type=ORDER&source_id={order}&target_currency=LRD&payment_method=MTN_MOMO_LBR&provider=PAWAPAY",
    )
    w("GET", "/v1/fees/gateway?payment_method=CREDIT_CARD&operation_type=COLLECTION")
    w("GET", "/v1/fees/platform?operation_type=COLLECTION&fee_tier_name=default")
    w("GET", "/v1/fees/tiers")
    w("GET", "/v1/fees/merchant-tier?owner_type=ORGANIZATION&owner_id=1")
    w("GET", "/v1/merchants/merchant-info?merchant_id=1&merchant_type=ORGANIZATION")
    return w
