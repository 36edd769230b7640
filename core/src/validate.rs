//! Client-side validation: bad input is refused with a `Validation` error naming the field, before
//! anything is sent. The rules mirror the API's schema (REFERENCE.md "Validation constraints").
//!
//! Request models implement [`Validate`]; the API layer calls it before every request.

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::money::{minimum_amount, minor_units};

/// A request that can check itself before it is sent.
pub trait Validate {
    /// Returns the first problem found, naming the field.
    fn validate(&self) -> Result<()>;
}

/// Implemented by the open enums: lets requests refuse values the API would reject.
pub trait KnownValues {
    /// The values the SDK knows.
    fn known_values() -> &'static [&'static str];
    /// Whether this value is one of them.
    fn is_known_value(&self) -> bool;
}

/// An enum value in a request must be one the API accepts.
pub fn known<T: KnownValues + std::fmt::Display>(field: &str, value: &T) -> Result<()> {
    if value.is_known_value() {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!("\"{value}\" is not one of {}", T::known_values().join(", ")),
        ))
    }
}

/// ISO 4217: three uppercase ASCII letters.
pub fn currency(field: &str, value: &str) -> Result<()> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!("{value:?} is not an ISO 4217 currency code (three uppercase letters, e.g. USD, LRD, RWF)"),
        ))
    }
}

/// A positive amount, at least one minor unit, with no more decimals than the currency has.
pub fn amount(field: &str, value: &Decimal, currency_code: &str) -> Result<()> {
    let minimum = minimum_amount(currency_code);
    if *value < minimum {
        return Err(Error::invalid_field(
            field,
            format!("must be at least {minimum} {currency_code} (got {value})"),
        ));
    }
    let places = minor_units(currency_code);
    if value.normalize().scale() > places {
        return Err(Error::invalid_field(
            field,
            format!(
                "{value} has more decimals than {currency_code} allows ({places}); round it yourself, the SDK never rounds money"
            ),
        ));
    }
    Ok(())
}

/// A positive amount where the currency is not known to the request (e.g. a refund session).
pub fn positive_amount(field: &str, value: &Decimal) -> Result<()> {
    if *value >= Decimal::new(1, 2) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!("must be at least 0.01 (got {value})"),
        ))
    }
}

/// E.164 digits without `+`: `^[1-9]\d{7,14}$`, e.g. `231771234567`.
pub fn phone(field: &str, value: &str) -> Result<()> {
    let bytes = value.as_bytes();
    let ok = (8..=15).contains(&bytes.len())
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes.first().is_some_and(|b| *b != b'0');
    if ok {
        Ok(())
    } else {
        let hint = if value.starts_with('+') {
            " (drop the leading +)"
        } else {
            ""
        };
        Err(Error::invalid_field(
            field,
            format!("{value:?} is not an E.164 phone number of 8-15 digits without '+'{hint}, e.g. 231771234567"),
        ))
    }
}

/// A version-4 UUID, e.g. `550e8400-e29b-41d4-a716-446655440000`.
pub fn uuid_v4(field: &str, value: &str) -> Result<()> {
    match uuid::Uuid::parse_str(value) {
        Ok(id) if id.get_version_num() == 4 && value.len() == 36 => Ok(()),
        _ => Err(Error::invalid_field(
            field,
            format!(
                "{value:?} is not a version-4 UUID (e.g. 550e8400-e29b-41d4-a716-446655440000)"
            ),
        )),
    }
}

/// A required string must not be empty or blank.
pub fn non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::missing_field(field))
    } else {
        Ok(())
    }
}

/// A positive object id.
pub fn id(field: &str, value: i64) -> Result<()> {
    if value > 0 {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!("must be a positive id (got {value})"),
        ))
    }
}

/// A positive quantity.
pub fn quantity(field: &str, value: i64) -> Result<()> {
    if value >= 1 {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!("must be at least 1 (got {value})"),
        ))
    }
}

/// ISO 3166-1 alpha-2 country code: two uppercase letters, e.g. `LR`, `RW`.
pub fn country_code(field: &str, value: &str) -> Result<()> {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!("{value:?} is not an ISO 3166-1 alpha-2 country code (e.g. LR, RW)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::RelationshipType;
    use crate::error::ErrorKind;
    use std::str::FromStr;

    fn field_of(result: Result<()>) -> String {
        match result {
            Ok(()) => "ok".into(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Validation);
                e.details().first().map(|d| d.field()).unwrap_or_default()
            }
        }
    }

    #[test]
    fn currency_must_be_three_uppercase_letters() {
        assert_eq!(field_of(currency("currency", "USD")), "ok");
        assert_eq!(field_of(currency("currency", "usd")), "currency");
        assert_eq!(field_of(currency("currency", "US")), "currency");
        assert_eq!(field_of(currency("currency", "USDT")), "currency");
    }

    #[test]
    fn amounts_respect_minimum_and_currency_decimals(
    ) -> std::result::Result<(), rust_decimal::Error> {
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("250.00")?, "USD")),
            "ok"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("0.01")?, "USD")),
            "ok"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("0.001")?, "USD")),
            "amount"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("0")?, "USD")),
            "amount"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("-5")?, "USD")),
            "amount"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("1000")?, "RWF")),
            "ok"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("1000.00")?, "RWF")),
            "ok"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("1000.5")?, "RWF")),
            "amount"
        );
        assert_eq!(
            field_of(amount("amount", &Decimal::from_str("0.5")?, "RWF")),
            "amount"
        );
        Ok(())
    }

    #[test]
    fn phone_is_e164_digits_without_plus() {
        assert_eq!(field_of(phone("phone", "231771234567")), "ok");
        assert_eq!(field_of(phone("phone", "+231771234567")), "phone");
        assert_eq!(field_of(phone("phone", "0771234567")), "phone");
        assert_eq!(field_of(phone("phone", "1234567")), "phone");
        assert_eq!(field_of(phone("phone", "1234567890123456")), "phone");
        assert_eq!(field_of(phone("phone", "23177123456a")), "phone");
    }

    #[test]
    fn reference_ids_must_be_uuid_v4() {
        assert_eq!(
            field_of(uuid_v4(
                "reference_id",
                "550e8400-e29b-41d4-a716-446655440000"
            )),
            "ok"
        );
        // version 1
        assert_eq!(
            field_of(uuid_v4(
                "reference_id",
                "c232ab00-9414-11ec-b3c8-9f6bdeced846"
            )),
            "reference_id"
        );
        assert_eq!(
            field_of(uuid_v4("reference_id", "not-a-uuid")),
            "reference_id"
        );
        assert_eq!(
            field_of(uuid_v4("reference_id", "550e8400e29b41d4a716446655440000")),
            "reference_id"
        );
    }

    #[test]
    fn unknown_enum_values_are_refused_in_requests() {
        assert_eq!(
            field_of(known("relationship_type", &RelationshipType::Customer)),
            "ok"
        );
        let err = known("relationship_type", &RelationshipType::Other("BOSS".into()));
        assert_eq!(field_of(err.clone()), "relationship_type");
        let message = err
            .err()
            .map(|e| e.message().to_string())
            .unwrap_or_default();
        assert!(message.contains("CUSTOMER"), "{message}");
    }

    #[test]
    fn nested_field_paths_are_kept() {
        let err = Error::missing_field("passcode.device.name");
        assert_eq!(
            err.details()[0].loc,
            vec!["body", "passcode", "device", "name"]
        );
        assert_eq!(err.details()[0].field(), "passcode.device.name");
    }
}
