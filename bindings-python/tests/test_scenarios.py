"""The shared conformance scenarios (`tests/scenarios/*.json`, format in its README), run from
Python against a fresh in-process sandbox each: the Python SDK must behave exactly as the Rust
runner (`core/tests/scenarios.rs`) and every other binding's."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import dollr
from dollr.testing import Sandbox

SCENARIOS = Path(__file__).resolve().parents[2] / "tests" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.json"))

FLOWS = {"collect", "collect_order", "payout", "hosted_checkout", "transfer", "refund"}
TOP_KEYS = {"name", "description", "flow", "sandbox", "client", "options", "input", "expect"}
SANDBOX_KEYS = {"settle_ms", "verified", "wallets", "faults"}
CLIENT_KEYS = {"passcode"}
OPTION_KEYS = {"wait_timeout_ms", "poll_interval_ms"}
EXPECT_KEYS = {
    "outcome", "error_kind", "error_field", "error_message_contains", "error_reference_id",
    "status", "transitions", "gateway_message_contains", "wallet_message_contains", "receipt",
    "source_status",
    "fee_prediction", "payment_method", "pay_currency", "total_amount", "source_number_prefix",
    "paid_before_payment", "paid", "timed_out", "executions", "execution_posts", "requests_sent",
    "faults_fired", "duplicate_payments",
}  # fmt: skip
COLLECT_INPUT = {
    "phone", "payer_name", "currency", "amount", "items", "payer_email", "pay_currency",
    "fee_bearer", "predict_fees", "note",
}  # fmt: skip
INPUT_KEYS = {
    "collect": COLLECT_INPUT,
    "collect_order": COLLECT_INPUT,
    "payout": {"phone", "recipient_name", "amount", "currency"},
    "hosted_checkout": {
        "phone",
        "payer_name",
        "currency",
        "amount",
        "items",
        "success_url",
        "cancel_url",
        "pay_with",
    },
    "transfer": {"from_wallet_currency", "to_name", "to_phone", "amount", "currency"},
    "refund": {"original", "amount", "reason"},
}
# The phone the passcode is tied to (any valid number; the sandbox checks the code).
PASSCODE_PHONE = "231779999999"


def money(value: Any, where: str) -> Decimal:
    assert isinstance(value, str), f"{where} must be a decimal string, never a JSON number"
    return Decimal(value)


def only_keys(value: Any, allowed: set[str], what: str) -> None:
    assert isinstance(value, dict), f"{what} must be an object"
    unknown = set(value) - allowed
    assert not unknown, f"unknown key(s) {sorted(unknown)} in {what}"


def check_format(path: Path, scenario: dict[str, Any]) -> None:
    only_keys(scenario, TOP_KEYS, "the scenario")
    assert scenario["name"] == path.stem
    assert scenario["description"].strip()
    assert scenario["flow"] in FLOWS, scenario["flow"]
    for key, allowed in (
        ("sandbox", SANDBOX_KEYS),
        ("client", CLIENT_KEYS),
        ("options", OPTION_KEYS),
    ):
        if scenario.get(key) is not None:
            only_keys(scenario[key], allowed, key)
    only_keys(scenario["input"], INPUT_KEYS[scenario["flow"]], "input")
    if scenario["flow"] == "refund":
        only_keys(scenario["input"]["original"], COLLECT_INPUT, "input.original")
    only_keys(scenario["expect"], EXPECT_KEYS, "expect")
    assert scenario["expect"]["outcome"] in ("ok", "error")


@dataclass
class Observed:
    error: dollr.DollrError | None = None
    status: str | None = None
    transitions: list[str] = field(default_factory=list)
    gateway_message: str | None = None
    wallet_message: str | None = None
    receipt: bool | None = None
    source: tuple[str, int] | None = None
    fee_prediction: bool | None = None
    payment_method: str | None = None
    pay_currency: str | None = None
    total_amount: Decimal | None = None
    source_number: str | None = None
    paid_before_payment: bool | None = None
    paid: bool | None = None
    timed_out: bool | None = None

    def record(self, execution: dollr.Execution, transitions: list[dollr.StatusTransition]) -> None:
        self.status = execution.status
        self.gateway_message = execution.gateway_message
        self.wallet_message = execution.wallet_message
        self.transitions = [t.to for t in transitions]


def start_sandbox(scenario: dict[str, Any]) -> Sandbox:
    settings = scenario.get("sandbox") or {}
    return Sandbox(
        settle_ms=settings.get("settle_ms", 20),
        verified=settings.get("verified", True),
        wallets={
            code: money(v, f"wallets.{code}") for code, v in settings.get("wallets", {}).items()
        }
        or None,
        faults=settings.get("faults"),
    )


def flow_options(scenario: dict[str, Any]) -> dict[str, Any]:
    options = scenario.get("options") or {}
    # Scenario files speak milliseconds; Python methods take seconds.
    return {
        "wait_timeout": options.get("wait_timeout_ms", 30_000) / 1000,
        "poll_interval": options.get("poll_interval_ms", 10) / 1000,
        "max_poll_interval": 0.1,
        "execute_policy": {"initial_backoff_ms": 10, "max_backoff_ms": 100},
    }


def collect_args(data: dict[str, Any], order: bool) -> dict[str, Any]:
    args: dict[str, Any] = {"phone": data["phone"], "currency": data["currency"]}
    if "items" in data:
        args["items"] = [
            dollr.LineItem(name=i["name"], qty=i["qty"], amount=money(i["amount"], "items.amount"))
            for i in data["items"]
        ]
    else:
        args["amount"] = money(data["amount"], "amount")
    for key in ("payer_name", "payer_email", "pay_currency", "fee_bearer", "predict_fees", "note"):
        if key in data:
            args[key] = data[key]
    if order:
        args["source_type"] = dollr.SourceType.ORDER
    return args


def observe_collect(observed: Observed, outcome: dollr.CollectOutcome) -> None:
    observed.record(outcome.execution, outcome.transitions)
    observed.receipt = outcome.receipt is not None
    observed.source = (outcome.source_type, outcome.source_id)
    observed.fee_prediction = outcome.fee_prediction is not None
    observed.payment_method = outcome.provider.payment_method
    observed.pay_currency = outcome.pay_currency
    observed.total_amount = outcome.total_amount
    observed.source_number = outcome.source_number


def run_flow(scenario: dict[str, Any], sandbox: Sandbox, client: dollr.Client) -> Observed:
    data = scenario["input"]
    options = flow_options(scenario)
    observed = Observed()
    flow = scenario["flow"]
    try:
        if flow in ("collect", "collect_order"):
            observe_collect(
                observed, client.collect(**collect_args(data, flow == "collect_order"), **options)
            )
        elif flow == "payout":
            passcode = (scenario.get("client") or {}).get("passcode", sandbox.passcode)
            outcome = client.payout(
                phone=data["phone"],
                amount=money(data["amount"], "amount"),
                currency=data["currency"],
                recipient_name=data["recipient_name"],
                passcode=dollr.PasscodeToken(code=passcode, phone=PASSCODE_PHONE),
                **options,
            )
            observed.record(outcome.execution, outcome.transitions)
        elif flow == "hosted_checkout":
            run_hosted_checkout(data, options, client, observed)
        elif flow == "transfer":
            [wallet] = [
                w for w in sandbox.wallets() if w["currency"] == data["from_wallet_currency"]
            ]
            party = client.parties.create(fullname=data["to_name"], phone=data["to_phone"])
            counterparty = client.counterparties.create(
                relationship_type="BENEFICIARY", party_id=party.id
            )
            outcome = client.transfer(
                from_wallet_id=wallet["id"],
                to_counterparty_id=counterparty.id,
                amount=money(data["amount"], "amount"),
                currency=data["currency"],
                **options,
            )
            observed.record(outcome.execution, outcome.transitions)
        elif flow == "refund":
            original = client.collect(**collect_args(data["original"], False), **options)
            assert original.execution.status == "COMPLETED", "the original collection must complete"
            [intent] = [
                i for i in sandbox.payment_intents() if i["reference_id"] == original.reference_id
            ]
            outcome = client.refund(
                original_payment_intent_id=intent["id"],
                amount=money(data["amount"], "amount"),
                reason=data.get("reason"),
                **options,
            )
            observed.record(outcome.execution, outcome.transitions)
    except dollr.DollrError as error:
        observed.error = error
    return observed


def run_hosted_checkout(
    data: dict[str, Any], options: dict[str, Any], client: dollr.Client, observed: Observed
) -> None:
    currency = data["currency"]
    if "items" in data:
        items = [
            dollr.CheckoutItem(
                name=i["name"], currency=currency, amount=money(i["amount"], "amount")
            )
            for i in data["items"]
        ]
        amount = None
    else:
        items, amount = None, money(data["amount"], "amount")
    checkout = client.hosted_checkout(
        phone=data["phone"],
        currency=currency,
        amount=amount,
        items=items,
        payer_name=data.get("payer_name"),
        success_url=data.get("success_url"),
        cancel_url=data.get("cancel_url"),
    )
    observed.source = (checkout.source_type, checkout.source_id)
    observed.total_amount = checkout.total_amount
    observed.source_number = checkout.source_number
    before = client.verify_paid(source_type=checkout.source_type, source_id=checkout.source_id)
    observed.paid_before_payment = before.paid
    if "pay_with" in data:
        request = urllib.request.Request(
            f"{checkout.url}/pay",
            data=json.dumps({"phone": data["pay_with"]}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status < 300
    waited = client.wait_source_paid(
        source_type=checkout.source_type,
        source_id=checkout.source_id,
        timeout=options["wait_timeout"],
        poll_interval=options["poll_interval"],
        max_poll_interval=0.1,
    )
    observed.paid = waited.paid
    observed.timed_out = waited.timed_out


def check(
    scenario: dict[str, Any], sandbox: Sandbox, client: dollr.Client, seen: Observed
) -> list[str]:
    expect = scenario["expect"]
    stats = sandbox.stats()
    problems: list[str] = []

    def same(what: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            problems.append(f"{what}: expected {expected!r}, got {actual!r}")

    def contains(what: str, haystack: str | None) -> None:
        needle = expect[what]
        if haystack is None or needle.lower() not in haystack.lower():
            problems.append(f"{what}: expected to contain {needle!r}, got {haystack!r}")

    # Invariants of every scenario.
    same("duplicate_payments (always 0)", 0, stats["duplicate_payments"])
    created = [e for e in stats["executions"]["by_reference_id"].values() if e["created"]]
    same("one execution per reference id", stats["executions"]["created"], len(created))

    if expect["outcome"] == "error" and seen.error is None:
        problems.append(f"expected an error, got an outcome {seen}")
    if expect["outcome"] == "ok" and seen.error is not None:
        problems.append(f"expected an outcome, got the error {seen.error}")
    if seen.error is not None:
        if "error_kind" in expect:
            same("error_kind", expect["error_kind"], seen.error.kind)
        if "error_field" in expect:
            first = seen.error.details[0].field if seen.error.details else None
            same("error_field", expect["error_field"], first)
        if "error_message_contains" in expect:
            contains("error_message_contains", seen.error.message)
        if "error_reference_id" in expect:
            if expect["error_reference_id"] != "the_execution":
                problems.append(
                    f"error_reference_id: unknown value {expect['error_reference_id']!r}"
                )
            else:
                # The sandbox's one execution, and the id the error tells the caller to resume.
                executions = list(stats["executions"]["by_reference_id"])
                same("error_reference_id", executions, [seen.error.reference_id])
    if "status" in expect:
        same("status", expect["status"], seen.status)
    if "transitions" in expect:
        same("transitions", expect["transitions"], seen.transitions)
    if "gateway_message_contains" in expect:
        contains("gateway_message_contains", seen.gateway_message)
    if "wallet_message_contains" in expect:
        contains("wallet_message_contains", seen.wallet_message)
    for key in ("receipt", "fee_prediction", "paid_before_payment", "paid", "timed_out"):
        if key in expect:
            same(key, expect[key], getattr(seen, key))
    for key in ("payment_method", "pay_currency"):
        if key in expect:
            same(key, expect[key], getattr(seen, key))
    if "total_amount" in expect:
        same("total_amount", money(expect["total_amount"], "total_amount"), seen.total_amount)
    if "source_number_prefix" in expect:
        if not (seen.source_number or "").startswith(expect["source_number_prefix"]):
            problems.append(f"source_number_prefix: got {seen.source_number!r}")
    if "source_status" in expect:
        if seen.source is None:
            problems.append("source_status: the flow produced no document")
        else:
            info = client.status.source(source_type=seen.source[0], source_id=seen.source[1])
            same("source_status", expect["source_status"], info.status)
    if "executions" in expect:
        same("executions", expect["executions"], stats["executions"]["created"])
    if "execution_posts" in expect:
        posts = sum(
            n
            for route, n in stats["requests"]["by_route"].items()
            if route.startswith("POST /v1/executions/")
        )
        same("execution_posts", expect["execution_posts"], posts)
    if "requests_sent" in expect:
        same("requests_sent", expect["requests_sent"], stats["requests"]["total"])
    for kind, count in expect.get("faults_fired", {}).items():
        fired = stats["faults"].get(kind, 0)
        if fired < count:
            problems.append(f"faults_fired.{kind}: expected at least {count}, fired {fired}")
    if "duplicate_payments" in expect:
        same("duplicate_payments", expect["duplicate_payments"], stats["duplicate_payments"])
    return problems


def test_the_scenarios_are_there_and_cover_every_flow() -> None:
    assert len(FILES) >= 20, f"expected the conformance scenarios in {SCENARIOS}"
    flows = {json.loads(p.read_text())["flow"] for p in FILES}
    assert flows == FLOWS


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path) -> None:
    scenario = json.loads(path.read_text())
    check_format(path, scenario)
    with start_sandbox(scenario) as sandbox, sandbox.client() as client:
        observed = run_flow(scenario, sandbox, client)
        problems = check(scenario, sandbox, client, observed)
    assert not problems, f"{scenario['name']}:\n  " + "\n  ".join(problems)
