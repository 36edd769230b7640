//! The conformance scenarios (`tests/scenarios/*.json`, format in `tests/scenarios/README.md`),
//! each run against a fresh in-process sandbox. Every language's suite runs the same files; this is
//! the Rust runner. All scenarios run, then every mismatch is reported at once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dollr_core::flows::FlowOptions;
use dollr_core::models::*;
use dollr_core::*;
use dollr_sandbox::{Currency, FaultConfig, Sandbox, SandboxConfig};
use serde_json::Value;

/// The flows a scenario may name (the schema's `flow` enum; the coverage test wants each).
const FLOWS: &[&str] = &[
    "collect",
    "collect_order",
    "payout",
    "hosted_checkout",
    "transfer",
    "refund",
];
/// The phone the passcode is tied to (any valid number; the sandbox checks the code).
const PASSCODE_PHONE: &str = "231779999999";

/// Inputs a scenario can give that no Rust value can hold: the type system refuses them at
/// compile time, which is the verdict the scenario asks for (a refusal). Every scenario that falls
/// in one of these classes is listed by `every_scenario_behaves_as_it_says`, with its reason.
const NOT_EXPRESSIBLE: &[(&str, &str)] = &[
    (
        "native_number_amount",
        "amounts are rust_decimal::Decimal: no float, NaN or infinity can be passed",
    ),
    (
        "amount_beyond_decimal",
        "rust_decimal::Decimal holds 28 significant digits: no Rust amount has this value",
    ),
    (
        "native_number_qty",
        "items[].qty is an i64: no float, NaN or infinity can be passed",
    ),
    (
        "negative_duration",
        "durations are std::time::Duration, which is unsigned",
    ),
    (
        "native_number_duration",
        "durations are std::time::Duration: no NaN, infinity or fraction of a millisecond beyond u64",
    ),
    (
        "string_duration",
        "durations are std::time::Duration: a string cannot be passed",
    ),
];

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn scenario_files() -> Vec<PathBuf> {
    json_files(&scenario_dir())
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// The format's one definition (`tests/scenarios/format/schema.json`), shared by every runner.
fn schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| read_json(&scenario_dir().join("format/schema.json")))
}

type Check = Result<(), String>;

/// The JSON Schema keywords the runners implement (README, "The schema"); a schema using any
/// other keyword is refused rather than half-understood.
const SCHEMA_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "title",
    "description",
    "$ref",
    "type",
    "const",
    "enum",
    "minimum",
    "minLength",
    "pattern",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "allOf",
    "anyOf",
    "if",
    "then",
];

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, wanted: &str) -> bool {
    let actual = type_name(value);
    actual == wanted
        || (wanted == "number" && actual == "integer")
        || (wanted == "integer" && value.as_f64().is_some_and(|f| f.fract() == 0.0))
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "the scenario"
    } else {
        path
    }
}

/// Validates `value` against `schema` (the subset of JSON Schema in `SCHEMA_KEYWORDS`), pushing
/// one message per violation, each naming where it is and the offending key or value.
fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(rules) = schema.as_object() else {
        errors.push(format!("schema at {}: not an object", shown(path)));
        return;
    };
    for keyword in rules.keys() {
        if !SCHEMA_KEYWORDS.contains(&keyword.as_str()) {
            errors.push(format!(
                "the schema uses `{keyword}`, which the runners do not implement"
            ));
        }
    }
    if let Some(reference) = rules.get("$ref").and_then(Value::as_str) {
        match reference.strip_prefix("#/$defs/") {
            Some(name) if !self::schema()["$defs"][name].is_null() => {
                validate(&self::schema()["$defs"][name], value, path, errors);
            }
            _ => errors.push(format!("the schema refers to an unknown {reference}")),
        }
    }
    if let Some(wanted) = rules.get("type") {
        let names: Vec<&str> = match wanted {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !names.iter().any(|name| has_type(value, name)) {
            errors.push(format!(
                "{}: expected {}, got {} {value}",
                shown(path),
                names.join(" or "),
                type_name(value)
            ));
            return;
        }
    }
    if let Some(constant) = rules.get("const") {
        if constant != value {
            errors.push(format!("{}: {value} is not {constant}", shown(path)));
        }
    }
    if let Some(Value::Array(allowed)) = rules.get("enum") {
        if !allowed.contains(value) {
            let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
            errors.push(format!(
                "{}: unknown value {value} (known: {})",
                shown(path),
                names.join(", ")
            ));
        }
    }
    if let (Some(minimum), Some(number)) =
        (rules.get("minimum").and_then(Value::as_f64), value.as_f64())
    {
        if number < minimum {
            errors.push(format!("{}: {value} is below {minimum}", shown(path)));
        }
    }
    if let Some(text) = value.as_str() {
        if let Some(min) = rules.get("minLength").and_then(Value::as_u64) {
            if (text.chars().count() as u64) < min {
                errors.push(format!("{}: shorter than {min} characters", shown(path)));
            }
        }
        if let Some(pattern) = rules.get("pattern").and_then(Value::as_str) {
            let matches = regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text));
            if !matches {
                errors.push(format!("{}: {value} does not match {pattern}", shown(path)));
            }
        }
    }
    if let Some(object) = value.as_object() {
        for key in rules
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(key) {
                errors.push(format!("{}: missing required key `{key}`", shown(path)));
            }
        }
        let properties = rules.get("properties").and_then(Value::as_object);
        for (key, child) in object {
            match (
                properties.and_then(|p| p.get(key)),
                rules.get("additionalProperties"),
            ) {
                (Some(property), _) => validate(property, child, &at(path, key), errors),
                (None, Some(Value::Bool(false))) => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    errors.push(format!(
                        "{}: unknown key `{key}` (known: {})",
                        shown(path),
                        known.join(", ")
                    ));
                }
                (None, Some(extra @ Value::Object(_))) => {
                    validate(extra, child, &at(path, key), errors)
                }
                (None, _) => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (rules.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            validate(items, item, &format!("{}[{index}]", path), errors);
        }
    }
    for part in rules
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        validate(part, value, path, errors);
    }
    if let Some(Value::Array(choices)) = rules.get("anyOf") {
        let mut reasons = Vec::new();
        let matched = choices.iter().any(|choice| {
            let mut found = Vec::new();
            validate(choice, value, path, &mut found);
            reasons.push(found.join("; "));
            found.is_empty()
        });
        if !matched {
            errors.push(format!(
                "{}: {value} matches none of its allowed forms ({})",
                shown(path),
                reasons.join(" | ")
            ));
        }
    }
    if let Some(condition) = rules.get("if") {
        let mut found = Vec::new();
        validate(condition, value, path, &mut found);
        if found.is_empty() {
            if let Some(then) = rules.get("then") {
                validate(then, value, path, errors);
            }
        }
    }
}

/// Checks a scenario against the format: the schema, and that its name is its file name.
fn check_format(path: &Path, scenario: &Value) -> Check {
    let mut errors = Vec::new();
    validate(schema(), scenario, "", &mut errors);
    if !errors.is_empty() {
        return Err(errors.join("\n    "));
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if scenario["name"] != stem {
        return Err(format!(
            "name {} differs from the file name {stem:?}",
            scenario["name"]
        ));
    }
    Ok(())
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, String> {
    value[key]
        .as_str()
        .ok_or_else(|| format!("`{key}` must be a string"))
}

fn money(value: &Value, key: &str) -> Result<Decimal, String> {
    let raw = value[key].as_str().ok_or_else(|| {
        format!("`{key}` must be a decimal string (money is never a JSON number)")
    })?;
    Decimal::from_str_exact(raw).map_err(|e| format!("`{key}`: {raw:?} is not a decimal ({e})"))
}

/// The class (a key of `NOT_EXPRESSIBLE`) of the first input of `scenario` that no Rust value can
/// hold, if any.
fn not_expressible(scenario: &Value) -> Option<&'static str> {
    let input = &scenario["input"];
    let mut amounts = vec![&input["amount"], &input["original"]["amount"]];
    let items = input["items"].as_array().into_iter().flatten();
    let original_items = input["original"]["items"].as_array().into_iter().flatten();
    for item in items.chain(original_items) {
        if item["qty"].is_object() {
            return Some("native_number_qty");
        }
        amounts.push(&item["amount"]);
    }
    for amount in amounts {
        match amount {
            Value::Object(_) => return Some("native_number_amount"),
            Value::String(raw) if Decimal::from_str_exact(raw).is_err() => {
                return Some("amount_beyond_decimal")
            }
            _ => {}
        }
    }
    for key in ["wait_timeout_ms", "poll_interval_ms"] {
        match &scenario["options"][key] {
            Value::Null => {}
            Value::String(_) => return Some("string_duration"),
            Value::Object(_) => return Some("native_number_duration"),
            number if number.as_u64().is_none() => {
                return Some(if number.as_f64().is_some_and(|n| n < 0.0) {
                    "negative_duration"
                } else {
                    "native_number_duration"
                })
            }
            _ => {}
        }
    }
    None
}

/// A validation field as the scenario format compares it: dotted segments in snake_case, without
/// a leading `options` segment nor a unit suffix (`_ms`, `_secs`), so that every language's
/// spelling of one field (`options.wait_timeout`, `wait_timeout`, `waitTimeoutMs`) compares equal.
fn field_key(field: &str) -> String {
    let mut segments: Vec<String> = field
        .split('.')
        .map(|segment| {
            let mut snake = String::new();
            for c in segment.chars() {
                if c.is_ascii_uppercase() {
                    snake.push('_');
                    snake.push(c.to_ascii_lowercase());
                } else {
                    snake.push(c);
                }
            }
            snake
        })
        .collect();
    if segments.len() > 1 && segments[0] == "options" {
        segments.remove(0);
    }
    if let Some(last) = segments.last_mut() {
        for unit in ["_ms", "_secs", "_seconds"] {
            if let Some(stripped) = last.strip_suffix(unit) {
                *last = stripped.to_string();
            }
        }
    }
    segments.join(".")
}

/// What running a scenario produced, in the terms `expect` uses.
#[derive(Debug, Default)]
struct Observed {
    error: Option<Error>,
    status: Option<ExecutionStatus>,
    transitions: Vec<String>,
    gateway_message: Option<String>,
    wallet_message: Option<String>,
    receipt: Option<bool>,
    source: Option<(SourceType, Id)>,
    fee_prediction: Option<bool>,
    payment_method: Option<String>,
    pay_currency: Option<String>,
    total_amount: Option<Decimal>,
    source_number: Option<String>,
    paid_before_payment: Option<bool>,
    paid: Option<bool>,
    timed_out: Option<bool>,
}

impl Observed {
    fn record_execution(&mut self, execution: &Execution, transitions: &[StatusTransition]) {
        self.status = Some(execution.status.clone());
        self.gateway_message = execution.gateway_message.clone();
        self.wallet_message = execution.wallet_message.clone();
        self.transitions = transitions.iter().map(|t| t.to.to_string()).collect();
    }
}

async fn start_sandbox(scenario: &Value) -> Result<Sandbox, String> {
    let settings = &scenario["sandbox"];
    let mut config = SandboxConfig::for_tests(settings["settle_ms"].as_u64().unwrap_or(20));
    if let Some(verified) = settings["verified"].as_bool() {
        config.verified = verified;
    }
    if let Some(wallets) = settings["wallets"].as_object() {
        for code in wallets.keys() {
            let currency =
                Currency::parse(code).ok_or_else(|| format!("unknown wallet currency {code}"))?;
            config
                .wallets
                .insert(currency, money(&settings["wallets"], code)?);
        }
    }
    if !settings["faults"].is_null() {
        let faults: FaultConfig = serde_json::from_value(settings["faults"].clone())
            .map_err(|e| format!("sandbox.faults: {e}"))?;
        faults.check()?;
        config.faults = faults;
    }
    Sandbox::start(config)
        .await
        .map_err(|e| format!("the sandbox did not start: {e}"))
}

fn client_for(sandbox: &Sandbox) -> Client {
    // Quick retries keep faulted scenarios fast; the behaviour under test does not depend on them.
    let retry = RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    Client::builder()
        .ignore_env()
        .base_url(sandbox.url())
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .retry_policy(retry)
        .build()
        .unwrap()
}

fn flow_options(scenario: &Value) -> FlowOptions {
    let options = &scenario["options"];
    FlowOptions::default()
        .wait_timeout(Duration::from_millis(
            options["wait_timeout_ms"].as_u64().unwrap_or(30_000),
        ))
        .poll_interval(Duration::from_millis(
            options["poll_interval_ms"].as_u64().unwrap_or(10),
        ))
        .max_poll_interval(Duration::from_millis(100))
        .execute_policy(ExecutePolicy {
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            ..ExecutePolicy::default()
        })
}

fn collect_request(
    input: &Value,
    order: bool,
    options: FlowOptions,
) -> Result<CollectRequest, String> {
    let currency = text(input, "currency")?;
    let mut request =
        CollectRequest::new(text(input, "phone")?, Decimal::ZERO, currency).with_options(options);
    request.items = match &input["items"] {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                Ok(LineItem::new(
                    text(item, "name")?,
                    item["qty"]
                        .as_i64()
                        .ok_or("`items[].qty` must be an integer")?,
                    money(item, "amount")?,
                ))
            })
            .collect::<Result<_, String>>()?,
        _ => vec![LineItem::new("Payment", 1, money(input, "amount")?)],
    };
    request.payer_name = input["payer_name"].as_str().map(str::to_string);
    request.payer_email = input["payer_email"].as_str().map(str::to_string);
    request.pay_currency = input["pay_currency"].as_str().map(str::to_string);
    if let Some(bearer) = input["fee_bearer"].as_str() {
        request.fee_bearer = FeeBearer::parse(bearer);
    }
    if let Some(predict) = input["predict_fees"].as_bool() {
        request.predict_fees = predict;
    }
    if let Some(note) = input["note"].as_str() {
        request.note = note.to_string();
    }
    if order {
        request.source_type = SourceType::Order;
    }
    Ok(request)
}

fn observe_collect(observed: &mut Observed, outcome: &CollectOutcome) {
    observed.record_execution(&outcome.execution, &outcome.transitions);
    observed.receipt = Some(outcome.receipt.is_some());
    observed.source = Some((outcome.source_type.clone(), outcome.source_id));
    observed.fee_prediction = Some(outcome.fee_prediction.is_some());
    observed.payment_method = Some(outcome.provider.payment_method.to_string());
    observed.pay_currency = Some(outcome.pay_currency.clone());
    observed.total_amount = Some(outcome.total_amount);
    observed.source_number = Some(outcome.source_number.clone());
}

async fn run_flow(
    scenario: &Value,
    sandbox: &Sandbox,
    client: &Client,
) -> Result<Observed, String> {
    let input = &scenario["input"];
    let options = flow_options(scenario);
    let mut observed = Observed::default();
    match text(scenario, "flow")? {
        flow @ ("collect" | "collect_order") => {
            match client
                .collect(&collect_request(input, flow == "collect_order", options)?)
                .await
            {
                Ok(outcome) => observe_collect(&mut observed, &outcome),
                Err(error) => observed.error = Some(error),
            }
        }
        "payout" => {
            let passcode = scenario["client"]["passcode"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| sandbox.passcode());
            let request = PayoutRequest::new(
                text(input, "phone")?,
                money(input, "amount")?,
                text(input, "currency")?,
                passcode,
                PASSCODE_PHONE,
            )
            .with_recipient_name(text(input, "recipient_name")?)
            .with_options(options);
            match client.payout(&request).await {
                Ok(outcome) => observed.record_execution(&outcome.execution, &outcome.transitions),
                Err(error) => observed.error = Some(error),
            }
        }
        "hosted_checkout" => {
            let currency = text(input, "currency")?;
            let mut request =
                HostedCheckoutRequest::new(text(input, "phone")?, Decimal::ZERO, currency);
            request.items = match &input["items"] {
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        Ok(CheckoutItem::new(
                            text(i, "name")?,
                            currency,
                            money(i, "amount")?,
                        ))
                    })
                    .collect::<Result<_, String>>()?,
                _ => vec![CheckoutItem::new(
                    "Payment",
                    currency,
                    money(input, "amount")?,
                )],
            };
            request.payer_name = input["payer_name"].as_str().map(str::to_string);
            request.success_url = input["success_url"].as_str().map(str::to_string);
            request.cancel_url = input["cancel_url"].as_str().map(str::to_string);
            let checkout = match client.hosted_checkout(&request).await {
                Ok(checkout) => checkout,
                Err(error) => {
                    observed.error = Some(error);
                    return Ok(observed);
                }
            };
            observed.source = Some((checkout.source_type.clone(), checkout.source_id));
            observed.total_amount = Some(checkout.total_amount);
            observed.source_number = Some(checkout.source_number.clone());
            let before = client
                .verify_paid(checkout.source_type.clone(), checkout.source_id)
                .await
                .map_err(|e| e.to_string())?;
            observed.paid_before_payment = Some(before.paid);
            if let Some(phone) = input["pay_with"].as_str() {
                let answer = reqwest::Client::new()
                    .post(format!("{}/pay", checkout.url))
                    .json(&serde_json::json!({ "phone": phone }))
                    .send()
                    .await
                    .map_err(|e| format!("paying on the hosted page: {e}"))?;
                if !answer.status().is_success() {
                    return Err(format!(
                        "paying on the hosted page answered {}",
                        answer.status()
                    ));
                }
            }
            let wait = SourceWaitOptions::default()
                .timeout(options.wait_timeout.unwrap_or(Duration::from_secs(30)))
                .poll_interval(options.poll_interval.unwrap_or(Duration::from_millis(10)))
                .max_poll_interval(Duration::from_millis(100));
            match client
                .wait_source_paid(checkout.source_type, checkout.source_id, wait)
                .await
            {
                Ok(waited) => {
                    observed.paid = Some(waited.paid);
                    observed.timed_out = Some(waited.timed_out);
                }
                Err(error) => observed.error = Some(error),
            }
        }
        "transfer" => {
            let currency = text(input, "from_wallet_currency")?;
            let wallet = sandbox.wallets();
            let wallet_id = wallet
                .as_array()
                .and_then(|w| w.iter().find(|w| w["currency"] == currency))
                .and_then(|w| w["id"].as_i64())
                .ok_or_else(|| format!("no {currency} wallet in the sandbox"))?;
            let party = client
                .parties()
                .create(&CreatePartyRequest::new(
                    text(input, "to_name")?,
                    text(input, "to_phone")?,
                ))
                .await
                .map_err(|e| e.to_string())?;
            let counterparty = client
                .counterparties()
                .create(&CreateCounterpartyRequest::new(
                    RelationshipType::Beneficiary,
                    party.id,
                ))
                .await
                .map_err(|e| e.to_string())?;
            let request = TransferRequest::new(
                wallet_id,
                counterparty.id,
                money(input, "amount")?,
                text(input, "currency")?,
            )
            .with_options(options);
            match client.transfer(&request).await {
                Ok(outcome) => observed.record_execution(&outcome.execution, &outcome.transitions),
                Err(error) => observed.error = Some(error),
            }
        }
        "refund" => {
            let original = client
                .collect(&collect_request(
                    &input["original"],
                    false,
                    options.clone(),
                )?)
                .await
                .map_err(|e| format!("the original collection failed: {e}"))?;
            if !original.is_completed() {
                return Err(format!(
                    "the original collection ended {}",
                    original.status()
                ));
            }
            let intents = sandbox.payment_intents();
            let intent = intents
                .as_array()
                .and_then(|all| {
                    all.iter()
                        .find(|i| i["reference_id"] == original.reference_id.as_str())
                })
                .and_then(|i| i["id"].as_i64())
                .ok_or("the original collection has no payment intent in the sandbox")?;
            let mut request =
                RefundRequest::new(intent, money(input, "amount")?).with_options(options);
            request.reason = input["reason"].as_str().map(str::to_string);
            match client.refund(&request).await {
                Ok(outcome) => observed.record_execution(&outcome.execution, &outcome.transitions),
                Err(error) => observed.error = Some(error),
            }
        }
        other => return Err(format!("unknown flow {other}")),
    }
    Ok(observed)
}

fn contains(haystack: Option<&str>, needle: &Value, what: &str) -> Check {
    let needle = needle
        .as_str()
        .ok_or_else(|| format!("expect.{what} must be a string"))?;
    match haystack {
        Some(text) if text.to_lowercase().contains(&needle.to_lowercase()) => Ok(()),
        other => Err(format!(
            "{what}: expected to contain {needle:?}, got {other:?}"
        )),
    }
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, expected: T, actual: T) -> Check {
    if expected == actual {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {actual:?}"))
    }
}

/// `expect.transitions` as the README compares it: the first and the last status exactly, and
/// what was observed is a subsequence of the list (in its order, nothing outside it, nothing twice).
/// A status the sandbox holds only briefly (`PROCESSING`, half the settle time) is missed when the
/// process is descheduled across it, so the statuses in between may be absent, never extra.
fn transitions_match(expected: &[String], observed: &[String]) -> Check {
    let mut rest = expected.iter();
    let ordered = observed.iter().all(|status| rest.any(|e| e == status));
    if observed.first() == expected.first() && observed.last() == expected.last() && ordered {
        Ok(())
    } else {
        Err(format!(
            "transitions: expected {expected:?} (first and last exactly, those between may be missed), got {observed:?}"
        ))
    }
}

async fn check_expectations(
    scenario: &Value,
    sandbox: &Sandbox,
    client: &Client,
    observed: &Observed,
) -> Vec<String> {
    let expect = &scenario["expect"];
    let stats = sandbox.stats();
    let mut problems = Vec::new();
    let mut check = |result: Check| {
        if let Err(problem) = result {
            problems.push(problem);
        }
    };

    // Invariants of every scenario.
    check(same(
        "duplicate_payments (always 0)",
        Some(0),
        stats["duplicate_payments"].as_u64(),
    ));
    let by_reference = stats["executions"]["by_reference_id"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let created = by_reference
        .values()
        .filter(|e| e["created"] == true)
        .count() as u64;
    check(same(
        "one execution per reference id",
        stats["executions"]["created"].as_u64(),
        Some(created),
    ));

    let want_error = expect["outcome"] == "error";
    match (&observed.error, want_error) {
        (Some(error), false) => check(Err(format!("expected an outcome, got the error {error}"))),
        (None, true) => check(Err(format!(
            "expected an error, got an outcome {observed:?}"
        ))),
        _ => {}
    }
    if let Some(error) = &observed.error {
        if let Some(kind) = expect["error_kind"].as_str() {
            check(same("error_kind", kind, error.kind().name()));
        }
        if let Some(field) = expect["error_field"].as_str() {
            check(same(
                "error_field (compared as README says)",
                Some(field_key(field)),
                error.details().first().map(|d| field_key(&d.field())),
            ));
        }
        match &expect["error_reference_id"] {
            Value::Null => {}
            wanted if wanted == "the_execution" => {
                let executions: Vec<&String> = by_reference.keys().collect();
                check(match executions.as_slice() {
                    [only] => same(
                        "error_reference_id",
                        Some(only.as_str()),
                        error.reference_id(),
                    ),
                    _ => Err(format!(
                        "error_reference_id: expected one execution in the sandbox, found {}",
                        executions.len()
                    )),
                });
            }
            other => check(Err(format!(
                "error_reference_id: unknown value {other} (only \"the_execution\")"
            ))),
        }
        if !expect["error_message_contains"].is_null() {
            check(contains(
                Some(error.message()),
                &expect["error_message_contains"],
                "error_message_contains",
            ));
        }
    }
    if let Some(status) = expect["status"].as_str() {
        check(same(
            "status",
            Some(status.to_string()),
            observed.status.as_ref().map(ToString::to_string),
        ));
    }
    if let Some(transitions) = expect["transitions"].as_array() {
        let expected: Vec<String> = transitions
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        check(transitions_match(&expected, &observed.transitions));
    }
    if !expect["gateway_message_contains"].is_null() {
        check(contains(
            observed.gateway_message.as_deref(),
            &expect["gateway_message_contains"],
            "gateway_message_contains",
        ));
    }
    if !expect["wallet_message_contains"].is_null() {
        check(contains(
            observed.wallet_message.as_deref(),
            &expect["wallet_message_contains"],
            "wallet_message_contains",
        ));
    }
    for (key, actual) in [
        ("receipt", observed.receipt),
        ("fee_prediction", observed.fee_prediction),
        ("paid_before_payment", observed.paid_before_payment),
        ("paid", observed.paid),
        ("timed_out", observed.timed_out),
    ] {
        if let Some(expected) = expect[key].as_bool() {
            check(same(key, Some(expected), actual));
        }
    }
    if let Some(method) = expect["payment_method"].as_str() {
        check(same(
            "payment_method",
            Some(method),
            observed.payment_method.as_deref(),
        ));
    }
    if let Some(currency) = expect["pay_currency"].as_str() {
        check(same(
            "pay_currency",
            Some(currency),
            observed.pay_currency.as_deref(),
        ));
    }
    if !expect["total_amount"].is_null() {
        check(
            money(expect, "total_amount")
                .and_then(|total| same("total_amount", Some(total), observed.total_amount)),
        );
    }
    if let Some(prefix) = expect["source_number_prefix"].as_str() {
        match &observed.source_number {
            Some(number) if number.starts_with(prefix) => {}
            other => check(Err(format!(
                "source_number_prefix: expected {prefix:?}, got {other:?}"
            ))),
        }
    }
    if let Some(status) = expect["source_status"].as_str() {
        match &observed.source {
            Some((source_type, source_id)) => match client
                .status()
                .source(source_type.clone(), *source_id)
                .await
            {
                Ok(info) => check(same(
                    "source_status",
                    status.to_string(),
                    info.status.to_string(),
                )),
                Err(error) => check(Err(format!("source_status: the lookup failed: {error}"))),
            },
            None => check(Err("source_status: the flow produced no document".into())),
        }
    }
    if let Some(executions) = expect["executions"].as_u64() {
        check(same(
            "executions",
            Some(executions),
            stats["executions"]["created"].as_u64(),
        ));
    }
    if let Some(posts) = expect["execution_posts"].as_u64() {
        let actual: u64 = stats["requests"]["by_route"]
            .as_object()
            .map(|routes| {
                routes
                    .iter()
                    .filter(|(k, _)| k.starts_with("POST /v1/executions/"))
                    .filter_map(|(_, v)| v.as_u64())
                    .sum()
            })
            .unwrap_or(0);
        check(same("execution_posts", posts, actual));
    }
    if let Some(requests) = expect["requests_sent"].as_u64() {
        check(same(
            "requests_sent",
            Some(requests),
            stats["requests"]["total"].as_u64(),
        ));
    }
    if let Some(faults) = expect["faults_fired"].as_object() {
        for (kind, count) in faults {
            let fired = stats["faults"][kind].as_u64().unwrap_or(0);
            if fired < count.as_u64().unwrap_or(u64::MAX) {
                check(Err(format!(
                    "faults_fired.{kind}: expected at least {count}, fired {fired}"
                )));
            }
        }
    }
    if let Some(duplicates) = expect["duplicate_payments"].as_u64() {
        check(same(
            "duplicate_payments",
            Some(duplicates),
            stats["duplicate_payments"].as_u64(),
        ));
    }
    problems
}

async fn run_scenario(path: PathBuf) -> Result<String, String> {
    let label = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string();
    let fail = |problem: String| format!("{label}: {problem}");
    let raw = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
    let scenario: Value = serde_json::from_str(&raw).map_err(|e| fail(format!("not JSON: {e}")))?;
    check_format(&path, &scenario).map_err(fail)?;
    if let Some(class) = not_expressible(&scenario) {
        // Listed and checked by `inputs_rust_cannot_express_are_listed_with_their_reason`.
        let reason = NOT_EXPRESSIBLE
            .iter()
            .find(|(listed, _)| *listed == class)
            .map_or("unlisted", |(_, reason)| reason);
        return Ok(format!(
            "{label}: not expressible in Rust ({class}: {reason})"
        ));
    }
    let sandbox = start_sandbox(&scenario).await.map_err(fail)?;
    let client = client_for(&sandbox);
    let observed = run_flow(&scenario, &sandbox, &client).await.map_err(fail)?;
    let problems = check_expectations(&scenario, &sandbox, &client, &observed).await;
    sandbox.shutdown();
    if problems.is_empty() {
        Ok(label)
    } else {
        Err(fail(format!("\n    {}", problems.join("\n    "))))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_behaves_as_it_says() {
    let files = scenario_files();
    assert!(
        files.len() >= 20,
        "expected the conformance scenarios in {}",
        scenario_dir().display()
    );
    let results = futures::future::join_all(files.into_iter().map(run_scenario)).await;
    for skipped in results
        .iter()
        .flatten()
        .filter(|r| r.contains("not expressible"))
    {
        eprintln!("{skipped}");
    }
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    assert!(
        failures.is_empty(),
        "{} scenario(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_scenarios_cover_what_the_sdk_promises() {
    let mut flows: BTreeMap<String, usize> = BTreeMap::new();
    let mut error_kinds = Vec::new();
    for path in scenario_files() {
        let scenario = read_json(&path);
        check_format(&path, &scenario).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        *flows
            .entry(scenario["flow"].as_str().unwrap().to_string())
            .or_default() += 1;
        if let Some(kind) = scenario["expect"]["error_kind"].as_str() {
            error_kinds.push(kind.to_string());
        }
    }
    for flow in FLOWS {
        assert!(flows.contains_key(*flow), "no scenario for the {flow} flow");
    }
    for kind in ["Validation", "PermissionDenied"] {
        assert!(
            error_kinds.iter().any(|k| k == kind),
            "no scenario expects {kind}"
        );
    }
}

/// An input no Rust value can hold is the type system's refusal, the verdict the scenario asks
/// for everywhere else: such a scenario must expect a `Validation` error, and its class must be
/// one of `NOT_EXPRESSIBLE` (each with its reason). Every class listed is used, so the list
/// says exactly what the Rust runner does not run.
#[test]
fn inputs_rust_cannot_express_are_listed_with_their_reason() {
    let mut used = Vec::new();
    for path in scenario_files() {
        let scenario = read_json(&path);
        let Some(class) = not_expressible(&scenario) else {
            continue;
        };
        let reason = NOT_EXPRESSIBLE
            .iter()
            .find(|(listed, _)| *listed == class)
            .map(|(_, reason)| reason)
            .unwrap_or_else(|| panic!("{}: unlisted class {class}", path.display()));
        assert_eq!(
            (
                &scenario["expect"]["outcome"],
                &scenario["expect"]["error_kind"]
            ),
            (&Value::from("error"), &Value::from("Validation")),
            "{}: only a refused input can be left to Rust's types ({reason})",
            path.display()
        );
        used.push(class);
    }
    for (class, reason) in NOT_EXPRESSIBLE {
        assert!(
            used.contains(class),
            "no scenario is of the class {class} ({reason}): drop it from the list"
        );
    }
}

/// The format is strict: each deliberately broken file of `format/invalid/` is refused, with a
/// message naming what is wrong (`format/invalid.json` says what each must name). They are never
/// run as scenarios (the runners read only `tests/scenarios/*.json`).
#[test]
fn every_broken_scenario_is_refused_naming_what_is_wrong() {
    let dir = scenario_dir().join("format/invalid");
    let wanted = read_json(&scenario_dir().join("format/invalid.json"));
    let wanted = wanted.as_object().unwrap();
    let files = json_files(&dir);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    let mut listed: Vec<String> = wanted.keys().cloned().collect();
    listed.sort();
    assert_eq!(
        names, listed,
        "format/invalid.json lists exactly the files of format/invalid/"
    );
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let must_name = wanted[name].as_str().unwrap();
        match check_format(&path, &read_json(&path)) {
            Ok(()) => panic!("{name}: accepted, but it is broken ({must_name})"),
            Err(message) => assert!(
                message.contains(must_name),
                "{name}: the refusal does not name {must_name:?}: {message}"
            ),
        }
    }
}

#[test]
fn transitions_compare_as_the_readme_says() {
    // The cases every runner checks (format/transitions.json).
    let cases = read_json(&scenario_dir().join("format/transitions.json"));
    let cases = cases["cases"]
        .as_array()
        .expect("transitions.json: a list of cases");
    assert!(!cases.is_empty());
    let list = |statuses: &Value| -> Vec<String> {
        let statuses = statuses.as_array().expect("a list of statuses");
        statuses
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    for case in cases {
        let matched = transitions_match(&list(&case["expected"]), &list(&case["observed"]));
        assert_eq!(
            matched.is_ok(),
            case["match"] == true,
            "{case}: {matched:?}"
        );
    }
}

#[test]
fn fields_compare_in_every_language_spelling() {
    for (expected, reported) in [
        ("wait_timeout", "options.wait_timeout"),
        ("wait_timeout", "waitTimeoutMs"),
        ("wait_timeout", "wait_timeout"),
        ("poll_interval", "options.pollInterval"),
        ("items.0.amount", "items.0.amount"),
        ("recipient_name", "recipientName"),
    ] {
        assert_eq!(field_key(expected), field_key(reported), "{reported}");
    }
    assert_ne!(field_key("amount"), field_key("items.0.amount"));
    assert_ne!(field_key("wait_timeout"), field_key("poll_interval"));
}
