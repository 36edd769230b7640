//! The money, timestamp and duration readers (`core/src/money.rs`, `time.rs`, `millis.rs`) on
//! arbitrary text, which is tried as a JSON number, a JSON string, a timestamp and a `*_ms`
//! value.
//!
//! Checks, besides "never panics":
//! * a decimal read from a number or a string writes back to the same text it reads again as
//!   the same value with the same scale (no rounding anywhere), in both output modes;
//! * `validate::amount` accepts exactly the amounts within [minimum, MAX_AMOUNT] with no more
//!   decimals than USD, LRD and RWF allow (the rule restated here, independently);
//! * a timestamp read leniently writes as RFC 3339 that reads back to the same instant;
//! * a `*_ms` duration is the integer it was given, in milliseconds.
#![no_main]

use dollr_core::money::{minimum_amount, minor_units, Decimal, DecimalsAsStrings};
use dollr_core::time::{format_timestamp, parse_timestamp};
use dollr_core::validate::{amount, MAX_AMOUNT};
use dollr_core::ExecutePolicy;
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Serialize, Deserialize)]
struct Exact {
    #[serde(with = "dollr_core::money::exact")]
    amount: Decimal,
}

fn read_exact(json: &str) -> Option<Decimal> {
    serde_json::from_str::<Exact>(json).ok().map(|e| e.amount)
}

/// Reads `{"amount": <amount>}` from its text, as the client reads an answer's body.
fn read_exact_value(amount: Value) -> Option<Decimal> {
    read_exact(&json!({ "amount": amount }).to_string())
}

fn check_decimal(value: Decimal) {
    let exact = Exact { amount: value };
    for strings in [false, true] {
        let _mode = strings.then(DecimalsAsStrings::enable);
        let Ok(json) = serde_json::to_string(&exact) else {
            panic!("{value} does not encode");
        };
        drop(_mode);
        let Some(again) = read_exact(&json) else {
            panic!("{json} (written by the core) does not read back");
        };
        assert_eq!(again, value, "{json} reads back as another value");
        assert_eq!(again.scale(), value.scale(), "{json} loses its scale");
        // Zero may lose its sign (`-0.00` reads back as `0.00`): the same amount.
        if !value.is_zero() {
            assert_eq!(again.to_string(), value.to_string());
        }
    }
    for currency in ["USD", "LRD", "RWF"] {
        let allowed = value >= minimum_amount(currency)
            && value <= MAX_AMOUNT
            && value.normalize().scale() <= minor_units(currency);
        let verdict = amount("amount", &value, currency);
        assert_eq!(
            verdict.is_ok(),
            allowed,
            "amount {value} {currency}: {verdict:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // As a JSON number (its exact text) and as a decimal string.
    let number = match serde_json::from_str::<Value>(text) {
        Ok(Value::Number(number)) => Some(number),
        _ => None,
    };
    if let Some(value) = number
        .clone()
        .and_then(|n| read_exact_value(Value::Number(n)))
    {
        check_decimal(value);
    }
    if let Some(value) = read_exact_value(Value::String(text.to_string())) {
        check_decimal(value);
    }
    if let Some(instant) = parse_timestamp(text) {
        let written = format_timestamp(&instant);
        assert_eq!(
            parse_timestamp(&written),
            Some(instant),
            "{text:?} written as {written:?} reads back as another instant"
        );
    }
    if let Some(number) = number {
        let given = json!({ "initial_backoff_ms": number.clone() }).to_string();
        if let Ok(policy) = serde_json::from_str::<ExecutePolicy>(&given) {
            assert_eq!(
                Some(policy.initial_backoff.as_millis()),
                number.as_u64().map(u128::from),
                "initial_backoff_ms {number}"
            );
        }
    }
});
