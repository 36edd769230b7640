"""Every operation of the core, called through the Python surface against the sandbox
(`dollr.testing`), once with the blocking `Client` and once with the `AsyncClient` — and a record
of the calls proves nothing was left out."""

from __future__ import annotations

import asyncio
import inspect
import json
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import dollr
from dollr._support import AsyncClientBase, ClientBase
from dollr.testing import Sandbox, TestNumbers

PHONE = TestNumbers.COMPLETES
PAYOUT_PHONE = TestNumbers.COMPLETES_ORANGE_LR


class Blocking:
    """Drives an `AsyncClient` (and its resources) from the walkthrough's plain calls: every
    coroutine method runs to completion on one event loop. The async methods themselves are
    exercised; only the waiting is synchronous."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if inspect.iscoroutinefunction(value):

            def run(*args: Any, **kwargs: Any) -> Any:
                return self._loop.run_until_complete(value(*args, **kwargs))

            return run
        if hasattr(value, "_client"):  # a resource
            return Blocking(value, self._loop)
        return value


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The operation names every call passes to the bridge, sync or async."""
    calls: list[str] = []
    sync_call, async_call = ClientBase._call, AsyncClientBase._call

    def record(self: ClientBase, operation: str, *args: Any) -> Any:
        calls.append(operation)
        return sync_call(self, operation, *args)

    async def record_async(self: AsyncClientBase, operation: str, *args: Any) -> Any:
        calls.append(operation)
        return await async_call(self, operation, *args)

    monkeypatch.setattr(ClientBase, "_call", record)
    monkeypatch.setattr(AsyncClientBase, "_call", record_async)
    yield calls


def pay_on_hosted_page(url: str, phone: str) -> None:
    """The payer paying on the sandbox's hosted page (what a browser would do)."""
    request = urllib.request.Request(
        f"{url}/pay",
        data=json.dumps({"phone": phone}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status < 300


def soon(minutes: int = 15) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def intent_of(sandbox: Sandbox, reference_id: str) -> int:
    [intent] = [i for i in sandbox.payment_intents() if i["reference_id"] == reference_id]
    return int(intent["id"])


def walkthrough(client: Any, sandbox: Sandbox) -> None:
    fast = {"poll_interval": 0.01, "max_poll_interval": 0.05, "wait_timeout": 20}

    # auth
    token = client.auth.obtain_token()
    assert isinstance(token.access_token, dollr.Secret) and token.expires_in > 0
    assert token.access_token.get_secret_value() not in repr(token)

    # parties and counterparties
    party = client.parties.create(
        fullname="Amara Kamara", phone=PHONE, email="amara@example.com", country_code="LR"
    )
    assert isinstance(party, dollr.Party) and party.fullname == "Amara Kamara"
    assert party.created_at.tzinfo is not None
    assert client.parties.retrieve(party.id) == party
    assert party.id in [p.id for p in client.parties.list(fullname="Amara")]
    customer = client.counterparties.create(
        relationship_type=dollr.RelationshipType.CUSTOMER, party_id=party.id
    )
    assert customer.relationship_type == "CUSTOMER"
    listed = client.counterparties.list(fullname="Amara", relationship_type="CUSTOMER")
    assert customer.id in [c.id for c in listed]
    with_party = client.counterparties.retrieve(customer.id)
    assert with_party.party is not None and with_party.party.id == party.id
    supplier = client.counterparties.create(relationship_type="CUSTOMER", party_id=party.id)
    updated = client.counterparties.update(supplier.id, relationship_type="SUPPLIER")
    assert updated.relationship_type is dollr.RelationshipType.SUPPLIER

    # an invoice, edited, published and paid step by step
    invoice = client.invoices.create(
        counterparty_id=customer.id,
        currency="USD",
        note="June order",
        fee_bearer="PAYER",
        as_payment_link=True,
        due_date=soon(60 * 24),
    )
    assert invoice.status == "IDLE"
    rice = client.invoices.add_item(
        invoice.id, name="Rice 25kg", currency="USD", qty=2, amount=Decimal("125.00")
    )
    assert rice.amount == Decimal("125.00") and isinstance(rice.amount, Decimal)
    bag = client.invoices.add_item(invoice.id, name="Bag", currency="USD", qty=1, amount=250.0)
    assert bag.amount == Decimal("250")
    assert client.invoices.update_item(invoice.id, bag.id, qty=3).qty == 3
    assert client.invoices.remove_item(invoice.id, bag.id) is None
    assert client.invoices.update(invoice.id, note="June order, updated").note == (
        "June order, updated"
    )
    published = client.invoices.publish(invoice.id)
    assert published.status == dollr.SourceStatus.ACTIVE
    assert published.total_amount == Decimal("250.00")
    detail = client.invoices.retrieve(invoice.id)
    number = detail.invoice_number
    assert client.invoices.retrieve_by_number(number) == detail
    assert [i.name for i in detail.invoice_items] == ["Rice 25kg"]
    assert invoice.id in [i.id for i in client.invoices.list(currency="USD", status="ACTIVE")]
    assert client.links.pay(source_type="INVOICE", source_number=number).url.startswith("http")

    # predictions and fees
    mmo = client.predictions.mmo_provider_info(phone=PHONE, operation_type="COLLECTION")
    assert mmo.payment_method == "MTN_MOMO_LBR" and mmo.gateway_provider == "PAWAPAY"
    quote = client.predictions.payment_source_amount_and_fees(
        target_currency="USD",
        payment_method=mmo.payment_method,
        provider=mmo.gateway_provider,
        source_type="INVOICE",
        source_id=invoice.id,
    )
    assert quote.payee_amount == Decimal("250.00")
    fees = client.predictions.amount_and_fees(
        base_amount=Decimal("250.00"),
        base_currency="USD",
        target_currency="USD",
        payment_method="MTN_MOMO_LBR",
        operation_type="COLLECTION",
        provider="PAWAPAY",
        fee_bearer="PAYER",
    )
    assert fees.payer_amount == quote.payer_amount > Decimal("250.00")
    card = client.predictions.card_provider_info(
        payment_method_id="pm_card_visa", operation_type="COLLECTION", provider="STRIPE"
    )
    assert card.payment_method == "CREDIT_CARD"
    tiers = client.fees.tiers()
    assert sum(1 for t in tiers if t.is_default) == 1
    assigned = client.fees.merchant_tier(owner_type="ORGANIZATION", owner_id=1)
    platform = client.fees.platform(operation_type="COLLECTION", fee_tier_name=assigned.tier.name)
    assert isinstance(platform.percentage, Decimal)
    [gateway] = client.fees.gateway(payment_method="MTN_MOMO_LBR", operation_type="COLLECTION")
    assert gateway.payment_method == "MTN_MOMO_LBR"
    merchant = client.merchants.info(merchant_id=1, merchant_type="ORGANIZATION")
    assert merchant.id == 1 and merchant.name
    with pytest.raises(dollr.NotFoundError) as missing:
        client.merchants.info(merchant_id=999, merchant_type="ORGANIZATION")
    assert missing.value.status == 404

    # session, account, execution (reference id given by us), wait, status, receipt
    session = client.sessions.checkout(source_id=invoice.id, source_type="INVOICE")
    account = client.payment_accounts.create(
        operation_type="COLLECTION",
        account_name="Amara MTN wallet",
        provider=mmo.gateway_provider,
        method=mmo.payment_method,
        party_id=party.id,
        country_code="LR",
        insensitive_account_number=PHONE,
    )
    assert account.is_active
    reference = str(uuid.uuid4())
    key = client.realtime_keys.collection(
        session_id=session.id, source_type="INVOICE", reference_id=reference
    )
    assert key.expires_in > 0 and key.access_token.get_secret_value() not in repr(key)
    executed = client.executions.collection(
        session_id=session.id, payment_account_id=account.id, currency="USD", reference_id=reference
    )
    assert executed.reference_id == reference
    transitions: list[dollr.FlowEvent] = []
    waited = client.status.wait(
        reference,
        operation="COLLECTION",
        timeout=20,
        initial_interval=0.01,
        max_interval=0.05,
        on_event=transitions.append,
    )
    assert waited.state == dollr.WaitState.FINISHED and waited.execution is not None
    assert waited.execution.status == "COMPLETED"
    assert transitions and all(isinstance(t, dollr.TransitionEvent) for t in transitions)
    assert transitions[-1].to == "COMPLETED"
    done = client.status.collection(reference)
    assert (
        done == client.status.execution(reference, operation_type="COLLECTION") == waited.execution
    )
    assert done.payer_amount == quote.payer_amount
    source = client.status.source(source_type="INVOICE", source_id=invoice.id)
    assert source.status == "PAID" and source.paid_at is not None
    receipt = client.invoices.receipt(invoice.id)
    assert receipt == client.invoices.receipt_by_number(number)
    assert receipt.total_amount == Decimal("250.00") and receipt.status == "PAID"
    assert client.links.receipt(source_type="INVOICE", source_number=number).url.startswith("http")

    # The three executions made step by step next are moved to their final state by the test
    # (`advance_to_final`, which refuses one already final): under the fixture's 20 ms settle time
    # a stall of the test could let the sandbox's clock finish one first. A settle time of ten
    # minutes for those three (it is fixed when an execution is created) leaves them to the test;
    # the flows after them get 20 ms again.
    sandbox.update_config(settle_ms=600_000)

    # refund of that collection: the reference id is generated (and journaled) by the core
    refund_session = client.sessions.refund(
        original_payment_intent_id=intent_of(sandbox, reference),
        amount=Decimal("10.00"),
        reason="one bag damaged",
        expires_at=soon(),
    )
    refunded = client.executions.refund(session_id=refund_session.id)
    uuid.UUID(refunded.reference_id, version=4)
    sandbox.advance_to_final(refunded.reference_id)
    assert client.status.refund(refunded.reference_id).status == "COMPLETED"

    # payout and transfer, step by step
    beneficiary = client.parties.create(fullname="Musu Dolo", phone=PAYOUT_PHONE)
    payout_account = client.payment_accounts.create(
        operation_type="PAYOUT",
        account_name="Musu Orange",
        provider="PAWAPAY",
        method="ORANGE_MONEY_LBR",
        party_id=beneficiary.id,
        country_code="LR",
        insensitive_account_number=PAYOUT_PHONE,
    )
    payout_session = client.sessions.payout(
        payout_account_id=payout_account.id, amount=Decimal("20.50"), currency="USD"
    )
    assert payout_session.amount == Decimal("20.50")
    paid_out = client.executions.payout(
        session_id=payout_session.id,
        payout_account_id=payout_account.id,
        passcode={
            "token": {"code": sandbox.passcode, "phone": PHONE},
            "device": {
                "name": "payout-worker-1",
                "type": "SERVER",
                "platform": "PYTHON",
                "user_agent": "dollr-python-tests",
                "client_ip": "203.0.113.10",
            },
        },
    )
    sandbox.advance_to_final(paid_out.reference_id)
    assert client.status.payout(paid_out.reference_id).status == "COMPLETED"
    counterparty = client.counterparties.create(
        relationship_type="SUPPLIER", party_id=beneficiary.id
    )
    transfer_session = client.sessions.transfer(
        from_wallet_id=payout_session.wallet_id,
        to_counterparty_id=counterparty.id,
        amount=Decimal("5.25"),
        currency="USD",
        expires_at=soon(10),
    )
    moved = client.executions.transfer(session_id=transfer_session.id)
    sandbox.advance_to_final(moved.reference_id)
    assert client.status.transfer(moved.reference_id).status == "COMPLETED"
    sandbox.update_config(settle_ms=20)

    # orders: edited, one canceled, one paid by the collect flow with its events
    order = client.orders.create(
        counterparty_id=customer.id,
        currency="USD",
        note="Market order",
        fee_bearer="PAYEE",
        as_payment_link=False,
    )
    tea = client.orders.add_item(order.id, name="Tea", currency="USD", qty=1, amount="3.50")
    assert client.orders.update_item(order.id, tea.id, amount=Decimal("4.00")).amount == Decimal(
        "4.00"
    )
    extra = client.orders.add_item(order.id, name="Sugar", currency="USD", qty=1, amount=1)
    client.orders.remove_item(order.id, extra.id)
    client.orders.update(order.id, note="Market order, updated")
    client.orders.publish(order.id)
    order_detail = client.orders.retrieve(order.id)
    assert client.orders.retrieve_by_number(order_detail.order_number) == order_detail
    assert order.id in [o.id for o in client.orders.list(currency="USD")]
    other = client.orders.create(
        counterparty_id=customer.id,
        currency="LRD",
        note="To cancel",
        fee_bearer="PAYEE",
        as_payment_link=False,
    )
    assert client.orders.cancel(other.id).status == "CANCELED"
    spare = client.invoices.create(
        counterparty_id=customer.id,
        currency="USD",
        note="To cancel",
        fee_bearer="PAYER",
        as_payment_link=False,
    )
    assert client.invoices.cancel(spare.id).status == "CANCELED"
    events: list[dollr.FlowEvent] = []
    collected = client.collect(
        phone=PHONE,
        source_id=order.id,
        source_type="ORDER",
        counterparty_id=customer.id,
        on_event=events.append,
        **fast,
    )
    assert collected.execution.status == "COMPLETED" and collected.settled
    assert collected.total_amount == Decimal("4.00")
    assert isinstance(events[0], dollr.ValidatedEvent)
    assert isinstance(events[-1], dollr.ReceiptFetchedEvent)
    assert [e.transition.to for e in events if isinstance(e, dollr.StatusChangedEvent)] == [
        t.to for t in collected.transitions
    ]
    assert client.orders.receipt(order.id) == client.orders.receipt_by_number(
        order_detail.order_number
    )

    # the other flows
    payout = client.payout(
        phone=PAYOUT_PHONE,
        amount=Decimal("7.00"),
        currency="USD",
        recipient_name="Musu Dolo",
        passcode={"code": sandbox.passcode, "phone": PHONE},
        **fast,
    )
    assert payout.execution.status == "COMPLETED"
    batch = [
        {"phone": PAYOUT_PHONE, "amount": Decimal("2.00"), "currency": "USD", "row_id": "a"},
        {"phone": PAYOUT_PHONE, "amount": Decimal("3.00"), "currency": "USD", "row_id": "b"},
    ]
    plan = client.bulk_payout_plan(rows=batch, passcode={"code": sandbox.passcode, "phone": PHONE})
    assert plan.invalid == [] and plan.totals[0].amount == Decimal("5.00")
    bulk = client.bulk_payout(
        rows=batch, passcode={"code": sandbox.passcode, "phone": PHONE}, **fast
    )
    assert [r.status for r in bulk.rows] == ["COMPLETED", "COMPLETED"]
    transfer = client.transfer(
        from_wallet_id=payout_session.wallet_id,
        to_counterparty_id=counterparty.id,
        amount=Decimal("1.25"),
        currency="USD",
        **fast,
    )
    assert transfer.execution.status == "COMPLETED"
    refund = client.refund(
        original_payment_intent_id=intent_of(sandbox, collected.reference_id),
        amount=Decimal("1.00"),
        currency="USD",
        **fast,
    )
    assert refund.execution.status == "COMPLETED"

    # hosted checkout, through the API and through the flow
    link = client.checkouts.create(
        currency="USD",
        items=[dollr.CheckoutItem(name="T-shirt", currency="USD", amount=Decimal("20.00"))],
        mode="HOSTED",
        party_phone=PHONE,
        party_name="Amara Kamara",
        source_kind="ORDER",
        success_url="https://shop.example/success",
    )
    assert link.total_amount == Decimal("20.00") and link.source_type == "ORDER"
    hosted = client.hosted_checkout(
        phone=PHONE,
        currency="USD",
        items=[{"name": "Cap", "currency": "USD", "amount": Decimal("12.50")}],
        payer_name="Amara Kamara",
    )
    assert not client.verify_paid(source_type=hosted.source_type, source_id=hosted.source_id).paid
    pay_on_hosted_page(hosted.url, PHONE)
    paid = client.wait_source_paid(
        source_type=hosted.source_type,
        source_id=hosted.source_id,
        timeout=20,
        poll_interval=0.01,
        max_poll_interval=0.05,
    )
    assert paid.paid and not paid.timed_out

    # the journal: the executions made step by step (never waited on through the SDK) are
    # resolved by asking the API; everything the flows and `status.wait` followed is settled
    report = client.reconcile()
    assert {e.reference_id for e in report.entries} == {
        refunded.reference_id,
        paid_out.reference_id,
        moved.reference_id,
    }
    assert report.completed == 3 and report.entries[0].outcome == dollr.ReconcileOutcome.COMPLETED
    assert client.forget_payment_accounts() is None


def test_every_operation_with_the_blocking_client(
    dollr_sandbox: Sandbox, recorded: list[str], schema: dict[str, Any]
) -> None:
    with dollr_sandbox.client() as client:
        walkthrough(client, dollr_sandbox)
    assert set(recorded) == {op["name"] for op in schema["operations"]}
    assert dollr_sandbox.stats()["duplicate_payments"] == 0


def test_every_operation_with_the_async_client(
    dollr_sandbox: Sandbox, recorded: list[str], schema: dict[str, Any]
) -> None:
    loop = asyncio.new_event_loop()
    try:
        client = dollr_sandbox.async_client()
        walkthrough(Blocking(client, loop), dollr_sandbox)
        loop.run_until_complete(client.close())
    finally:
        loop.close()
    assert set(recorded) == {op["name"] for op in schema["operations"]}
    assert dollr_sandbox.stats()["duplicate_payments"] == 0
