//! Money: `rust_decimal::Decimal` end to end, never floats.
//!
//! Amounts go on the wire as exact JSON numbers (`250.10`, not `250.1` via f64, not `"250.10"`), and
//! are read from numbers or decimal strings alike (the API returns prediction and fee values as
//! strings). With `serde_json`'s `arbitrary_precision` feature the number's text reaches `Decimal`
//! unchanged, so nothing is ever rounded through binary floating point.
//!
//! Use on model fields:
//! `#[serde(with = "crate::money::exact")] amount: Decimal` and
//! `#[serde(with = "crate::money::exact_opt", default, skip_serializing_if = "Option::is_none")]`.
//! For fields the API sends as decimal strings (predictions, platform fee percentages, `fx_rate`) use
//! `crate::money::string` / `crate::money::string_opt`, which write strings and read either form.

pub use rust_decimal::Decimal;

thread_local! {
    /// Set while the bridge ([`crate::bridge`]) serializes a result for a binding: exact amounts
    /// are then written as decimal strings, because a binding's JSON reader (Python's `json`,
    /// JavaScript's `JSON.parse`) would turn a JSON number into a binary float. The flag is
    /// per thread and only set around one synchronous `serde_json::to_value`, so the wire format
    /// of API requests (exact numbers) is never affected.
    static DECIMALS_AS_STRINGS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether [`exact`] and [`exact_opt`] currently write decimal strings (see [`DecimalsAsStrings`]).
pub fn decimals_as_strings() -> bool {
    DECIMALS_AS_STRINGS.with(std::cell::Cell::get)
}

/// While alive, [`exact`] and [`exact_opt`] on this thread write decimal strings (`"250.10"`)
/// instead of JSON numbers. Used by the bridge around the serialization of a result; restores
/// the previous mode when dropped (also on panic), so nesting is harmless.
#[derive(Debug)]
pub struct DecimalsAsStrings {
    previous: bool,
}

impl DecimalsAsStrings {
    /// Switches this thread to decimal strings until the guard is dropped.
    pub fn enable() -> Self {
        let previous = DECIMALS_AS_STRINGS.with(|flag| flag.replace(true));
        DecimalsAsStrings { previous }
    }
}

impl Drop for DecimalsAsStrings {
    fn drop(&mut self) {
        DECIMALS_AS_STRINGS.with(|flag| flag.set(self.previous));
    }
}

/// Serialize as an exact JSON number (or a decimal string in the bridge's output mode, see
/// [`DecimalsAsStrings`]); deserialize from a number or a decimal string.
pub mod exact {
    use rust_decimal::Decimal;
    use serde::{Deserializer, Serializer};

    /// Writes `250.10` (a decimal string `"250.10"` in the bridge's output mode).
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        if super::decimals_as_strings() {
            serializer.collect_str(value)
        } else {
            rust_decimal::serde::arbitrary_precision::serialize(value, serializer)
        }
    }

    /// Reads a decimal from a JSON number (its exact text) or a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        rust_decimal::serde::arbitrary_precision::deserialize(deserializer)
    }
}

/// `Option<Decimal>` as an exact JSON number or `null` (a decimal string in the bridge's output
/// mode); deserialize from number, string or null.
pub mod exact_opt {
    use rust_decimal::Decimal;
    use serde::{Deserializer, Serializer};

    /// Writes `250.10` or `null` (`"250.10"` in the bridge's output mode).
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::exact::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an optional decimal from a JSON number, a decimal string or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        rust_decimal::serde::arbitrary_precision_option::deserialize(deserializer)
    }
}

/// The JSON Schema of a `Decimal` field, for `#[schemars(with = "crate::money::DecimalSchema")]`:
/// `{"type": "string", "format": "decimal"}` (the bridge's schema calls it `decimal`). Only a
/// marker: it is never instantiated.
#[derive(Debug)]
pub struct DecimalSchema;

impl schemars::JsonSchema for DecimalSchema {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "decimal"})
    }
}

/// Serialize as a decimal string (as the API does for predictions); deserialize from either form.
pub mod string {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the decimal as a JSON string.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    /// Reads a decimal from a JSON string or number.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        <Decimal as Deserialize>::deserialize(deserializer)
    }
}

/// `Option<Decimal>` as a decimal string or `null`.
pub mod string_opt {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the decimal as a JSON string, or `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_str(&value.to_string()),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an optional decimal from a JSON string, number or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        Option::<Decimal>::deserialize(deserializer)
    }
}

/// ISO 4217 minor units (decimal places) of a currency code. Unknown codes default to 2, the
/// common case; the zero- and three-decimal currencies are listed explicitly.
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// The smallest amount the API accepts in `currency`: one minor unit, i.e. 0.01 for USD and 1 for
/// RWF (the API's Amount schema: a number ≥ 0.01, or an integer ≥ 1).
pub fn minimum_amount(currency: &str) -> Decimal {
    let units = minor_units(currency).min(2);
    Decimal::new(1, units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Priced {
        #[serde(with = "exact")]
        amount: Decimal,
        #[serde(with = "string")]
        fee: Decimal,
        #[serde(with = "exact_opt", default, skip_serializing_if = "Option::is_none")]
        total: Option<Decimal>,
    }

    #[test]
    fn amounts_round_trip_exactly_as_json_numbers() -> Result<(), serde_json::Error> {
        let parsed: Priced = serde_json::from_str(
            r#"{"amount": 250.10, "fee": "3.7500", "total": 0.30000000000000004}"#,
        )?;
        assert_eq!(parsed.amount.to_string(), "250.10");
        assert_eq!(parsed.fee.to_string(), "3.7500");
        assert_eq!(
            parsed.total.map(|t| t.to_string()).as_deref(),
            Some("0.30000000000000004")
        );
        let json = serde_json::to_string(&parsed)?;
        assert_eq!(
            json,
            r#"{"amount":250.10,"fee":"3.7500","total":0.30000000000000004}"#
        );
        Ok(())
    }

    #[test]
    fn numbers_given_as_strings_are_accepted() -> Result<(), serde_json::Error> {
        let parsed: Priced = serde_json::from_str(r#"{"amount": "19.99", "fee": 1}"#)?;
        assert_eq!(parsed.amount.to_string(), "19.99");
        assert_eq!(parsed.fee, Decimal::ONE);
        assert_eq!(parsed.total, None);
        Ok(())
    }

    #[test]
    fn the_bridge_output_mode_writes_decimal_strings_and_is_restored(
    ) -> Result<(), serde_json::Error> {
        let priced = Priced {
            amount: Decimal::new(25010, 2),
            fee: Decimal::ONE,
            total: Some(Decimal::new(3, 1)),
        };
        {
            let _outer = DecimalsAsStrings::enable();
            {
                let _inner = DecimalsAsStrings::enable();
            }
            assert!(decimals_as_strings());
            assert_eq!(
                serde_json::to_string(&priced)?,
                r#"{"amount":"250.10","fee":"1","total":"0.3"}"#
            );
        }
        assert!(!decimals_as_strings());
        assert_eq!(
            serde_json::to_string(&priced)?,
            r#"{"amount":250.10,"fee":"1","total":0.3}"#
        );
        Ok(())
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(minor_units("USD"), 2);
        assert_eq!(minor_units("LRD"), 2);
        assert_eq!(minor_units("RWF"), 0);
        assert_eq!(minor_units("KWD"), 3);
        assert_eq!(minimum_amount("RWF"), Decimal::ONE);
        assert_eq!(minimum_amount("USD").to_string(), "0.01");
        assert_eq!(minimum_amount("KWD").to_string(), "0.01");
    }
}
