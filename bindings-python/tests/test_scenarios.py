"""The shared conformance scenarios (`tests/scenarios/*.json`, format in its README), run from
Python against a fresh sandbox each: the Python SDK must behave exactly as the Rust
runner (`core/tests/scenarios.rs`) and every other binding's."""

from __future__ import annotations

import json
import re
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
FORMAT = SCENARIOS / "format"
# The format's one definition, shared by every runner (README, "The schema").
SCHEMA: dict[str, Any] = json.loads((FORMAT / "schema.json").read_text())
FLOWS = set(SCHEMA["properties"]["flow"]["enum"])
# The phone the passcode is tied to (any valid number; the sandbox checks the code).
PASSCODE_PHONE = "231779999999"

# The JSON Schema keywords the runners implement; a schema using another is refused.
SCHEMA_KEYWORDS = {
    "$schema", "$id", "$defs", "title", "description", "$ref", "type", "const", "enum",
    "minimum", "minLength", "pattern", "required", "properties", "additionalProperties",
    "items", "allOf", "anyOf", "if", "then",
}  # fmt: skip


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def has_type(value: Any, wanted: str) -> bool:
    actual = type_name(value)
    return (
        actual == wanted
        or (wanted == "number" and actual == "integer")
        or (wanted == "integer" and isinstance(value, float) and value.is_integer())
    )


def shown(path: str) -> str:
    return path or "the scenario"


def at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def same_json(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1.
    return type_name(a) == type_name(b) and a == b


def validate(schema: dict[str, Any], value: Any, path: str, errors: list[str]) -> None:
    """Validates `value` against `schema` (the subset of JSON Schema in SCHEMA_KEYWORDS),
    appending one message per violation, each naming where it is and what is wrong."""
    for keyword in schema:
        if keyword not in SCHEMA_KEYWORDS:
            errors.append(f"the schema uses `{keyword}`, which the runners do not implement")
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        if name not in SCHEMA["$defs"]:
            errors.append(f"the schema refers to an unknown {schema['$ref']}")
        else:
            validate(SCHEMA["$defs"][name], value, path, errors)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(has_type(value, n) for n in names):
            got = json.dumps(value)
            errors.append(
                f"{shown(path)}: expected {' or '.join(names)}, got {type_name(value)} {got}"
            )
            return
    if "const" in schema and not same_json(schema["const"], value):
        errors.append(f"{shown(path)}: {json.dumps(value)} is not {json.dumps(schema['const'])}")
    if "enum" in schema and not any(same_json(v, value) for v in schema["enum"]):
        known = ", ".join(json.dumps(v) for v in schema["enum"])
        errors.append(f"{shown(path)}: unknown value {json.dumps(value)} (known: {known})")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if "minimum" in schema and is_number and value < schema["minimum"]:
        errors.append(f"{shown(path)}: {value} is below {schema['minimum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{shown(path)}: shorter than {schema['minLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{shown(path)}: {json.dumps(value)} does not match {schema['pattern']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{shown(path)}: missing required key `{key}`")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, child in value.items():
            if key in properties:
                validate(properties[key], child, at(path, key), errors)
            elif extra is False:
                known = ", ".join(properties)
                errors.append(f"{shown(path)}: unknown key `{key}` (known: {known})")
            elif isinstance(extra, dict):
                validate(extra, child, at(path, key), errors)
    if "items" in schema and isinstance(value, list):
        for index, item in enumerate(value):
            validate(schema["items"], item, f"{path}[{index}]", errors)
    for part in schema.get("allOf", []):
        validate(part, value, path, errors)
    if "anyOf" in schema:
        reasons = []
        for choice in schema["anyOf"]:
            found: list[str] = []
            validate(choice, value, path, found)
            if not found:
                break
            reasons.append("; ".join(found))
        else:
            errors.append(
                f"{shown(path)}: {json.dumps(value)} matches none of its allowed forms"
                f" ({' | '.join(reasons)})"
            )
    if "if" in schema:
        found = []
        validate(schema["if"], value, path, found)
        if not found and "then" in schema:
            validate(schema["then"], value, path, errors)


class FormatError(Exception):
    """A scenario file the format does not describe."""


def check_format(path: Path, scenario: Any) -> None:
    errors: list[str] = []
    validate(SCHEMA, scenario, "", errors)
    if errors:
        raise FormatError(f"{path.name}:\n  " + "\n  ".join(errors))
    if scenario["name"] != path.stem:
        raise FormatError(f"{path.name}: name {scenario['name']!r} differs from the file name")


def money(value: Any, where: str) -> Any:
    """An amount as the Python API takes it: a decimal string becomes a Decimal, a native number
    (`{"$number": ...}`) a float (NaN and the infinities included)."""
    if isinstance(value, dict):
        return native(value)
    assert isinstance(value, str), f"{where} must be a decimal string, never a JSON number"
    return Decimal(value)


def native(value: Any) -> Any:
    """The format's `{"$number": text}` as Python holds a number natively: a float."""
    if isinstance(value, dict):
        return float(value["$number"])
    return value


def field_key(field: str) -> str:
    """A validation field as the format compares it (README): dotted snake_case segments, no
    leading `options` segment, no unit suffix (`_ms`, `_secs`)."""
    segments = [re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), s) for s in field.split(".")]
    if len(segments) > 1 and segments[0] == "options":
        segments = segments[1:]
    for unit in ("_ms", "_secs", "_seconds"):
        segments[-1] = segments[-1].removesuffix(unit)
    return ".".join(segments)


def transitions_match(expected: list[str], observed: list[str]) -> bool:
    """`expect.transitions` as the README compares it: the first and the last status exactly, and
    what was observed is a subsequence of the list (in its order, nothing outside it, nothing
    twice). A status the sandbox holds only briefly (`PROCESSING`, half the settle time) is missed
    when the process is descheduled across it, so the statuses in between may be absent, never
    extra."""
    rest = iter(expected)
    ordered = all(any(e == status for e in rest) for status in observed)
    return observed[:1] == expected[:1] and observed[-1:] == expected[-1:] and ordered


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


def seconds(milliseconds: Any) -> Any:
    """A scenario's duration in the seconds Python methods take; a string stays a string (the
    scenario gives the API a string where it wants a number, on purpose)."""
    if isinstance(milliseconds, str):
        return milliseconds
    return native(milliseconds) / 1000


def flow_options(scenario: dict[str, Any]) -> dict[str, Any]:
    options = scenario.get("options") or {}
    # Scenario files speak milliseconds; Python methods take seconds.
    return {
        "wait_timeout": seconds(options.get("wait_timeout_ms", 30_000)),
        "poll_interval": seconds(options.get("poll_interval_ms", 10)),
        "max_poll_interval": 0.1,
        "execute_policy": {"initial_backoff_ms": 10, "max_backoff_ms": 100},
    }


def collect_args(data: dict[str, Any], order: bool) -> dict[str, Any]:
    args: dict[str, Any] = {"phone": data["phone"], "currency": data["currency"]}
    if "items" in data:
        args["items"] = [
            dollr.LineItem(
                name=i["name"], qty=native(i["qty"]), amount=money(i["amount"], "items.amount")
            )
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
            same(
                "error_field (compared as README says)",
                field_key(expect["error_field"]),
                first and field_key(first),
            )
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
        if not transitions_match(expect["transitions"], seen.transitions):
            problems.append(
                f"transitions: expected {expect['transitions']!r} (first and last exactly, "
                f"those between may be missed), got {seen.transitions!r}"
            )
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


def test_transitions_compare_as_the_readme_says() -> None:
    # The cases every runner checks (format/transitions.json).
    cases = json.loads((FORMAT / "transitions.json").read_text())["cases"]
    assert cases
    for case in cases:
        matched = transitions_match(case["expected"], case["observed"])
        assert matched == case["match"], case


INVALID = sorted((FORMAT / "invalid").glob("*.json"))


def test_the_broken_fixtures_are_all_listed() -> None:
    listed = json.loads((FORMAT / "invalid.json").read_text())
    assert sorted(listed) == [p.stem for p in INVALID]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_a_broken_scenario_is_refused_naming_what_is_wrong(path: Path) -> None:
    # Deliberately broken files (format/invalid/): refused, never run as scenarios.
    must_name = json.loads((FORMAT / "invalid.json").read_text())[path.stem]
    with pytest.raises(FormatError) as refusal:
        check_format(path, json.loads(path.read_text()))
    assert must_name in str(refusal.value)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path) -> None:
    scenario = json.loads(path.read_text())
    check_format(path, scenario)
    with start_sandbox(scenario) as sandbox, sandbox.client() as client:
        observed = run_flow(scenario, sandbox, client)
        problems = check(scenario, sandbox, client, observed)
    assert not problems, f"{scenario['name']}:\n  " + "\n  ".join(problems)
