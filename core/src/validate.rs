//! Client-side validation: bad input is refused with a `Validation` error naming the field, before
//! anything is sent. The rules mirror the API's schema (REFERENCE.md "Validation constraints").
//!
//! Request models implement [`Validate`]; the API layer calls it before every request. The flows
//! go further: everything the API would certainly refuse later in a flow (a currency no market
//! settles in, an amount above [`MAX_AMOUNT`], a wallet currency its market does not hold, a
//! phone outside the mobile-money markets) is refused before the flow's first request, so a
//! refusal never leaves a party, counterparty or invoice behind.

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

/// The currencies Dollr settles in: those of its markets (Liberia: LRD and USD; Rwanda: RWF;
/// cards and wallets: USD) — docs `reference/payments-by-market.md`, and the set the API's
/// operator prediction returns. Any other code is refused by the API.
pub const CURRENCIES: &[&str] = &["USD", "LRD", "RWF"];

/// A country whose mobile-money wallets Dollr serves, and the currencies those wallets hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Market {
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: &'static str,
    /// The international calling code its phone numbers start with (E.164, without `+`).
    pub calling_code: &'static str,
    /// The currencies its wallets pay and receive in.
    pub currencies: &'static [&'static str],
}

/// The mobile-money markets (docs `reference/payments-by-market.md`): MTN and Orange in Liberia,
/// MTN, Airtel and Orange in Rwanda.
pub const MARKETS: &[Market] = &[
    Market {
        country_code: "LR",
        calling_code: "231",
        currencies: &["LRD", "USD"],
    },
    Market {
        country_code: "RW",
        calling_code: "250",
        currencies: &["RWF"],
    },
];

/// The largest amount the SDK sends, in major units: 10^12. The API documents no maximum; its
/// `Amount` is a JSON number the server reads as a double, which keeps 15 significant digits
/// exact, so amounts with cents stay exact up to 10^13 and a document total (the sum of its
/// lines) needs headroom below that. 10^12 is also the bound the sandbox enforces. An amount
/// above it is refused before anything is sent.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// A currency Dollr settles in: three uppercase letters ([`currency`]) and one of [`CURRENCIES`].
pub fn supported_currency(field: &str, value: &str) -> Result<()> {
    currency(field, value)?;
    if CURRENCIES.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!(
                "{value:?} is not a currency Dollr settles in ({})",
                CURRENCIES.join(", ")
            ),
        ))
    }
}

/// The mobile-money market of an E.164 phone number (without `+`), by its calling code.
pub fn market_of_phone(phone: &str) -> Option<&'static Market> {
    MARKETS.iter().find(|m| phone.starts_with(m.calling_code))
}

/// A mobile-money wallet's phone: [`phone`]'s format, in one of the [`MARKETS`]. Returns its
/// market.
pub fn mobile_money_phone(field: &str, value: &str) -> Result<&'static Market> {
    phone(field, value)?;
    market_of_phone(value).ok_or_else(|| {
        let markets: Vec<String> = MARKETS
            .iter()
            .map(|m| format!("{} (+{})", m.country_code, m.calling_code))
            .collect();
        Error::invalid_field(
            field,
            format!(
                "{value:?} is not in a mobile-money market Dollr serves: {}",
                markets.join(", ")
            ),
        )
    })
}

/// A currency the wallets of `market` hold (a supported currency first).
pub fn wallet_currency(field: &str, value: &str, market: &Market) -> Result<()> {
    supported_currency(field, value)?;
    if market.currencies.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            field,
            format!(
                "mobile-money wallets in {} hold {}, not {value}",
                market.country_code,
                market.currencies.join(" or ")
            ),
        ))
    }
}

/// An amount must not exceed [`MAX_AMOUNT`].
fn at_most_max(field: &str, value: &Decimal) -> Result<()> {
    if *value > MAX_AMOUNT {
        Err(Error::invalid_field(
            field,
            format!("must be at most {MAX_AMOUNT} (got {value})"),
        ))
    } else {
        Ok(())
    }
}

/// `qty × amount` of one line, refused when it exceeds [`MAX_AMOUNT`] (computed without overflow
/// whatever the inputs); `field` names the quantity.
pub fn line_total(field: &str, qty: i64, amount: &Decimal) -> Result<Decimal> {
    let total = amount.checked_mul(Decimal::from(qty)).ok_or_else(|| {
        Error::invalid_field(
            field,
            format!("{qty} × {amount} exceeds the largest amount, {MAX_AMOUNT}"),
        )
    })?;
    at_most_max(field, &total).map_err(|_| {
        Error::invalid_field(
            field,
            format!("{qty} × {amount} = {total} exceeds the largest amount, {MAX_AMOUNT}"),
        )
    })?;
    Ok(total)
}

/// The sum of a document's line totals, refused when it exceeds [`MAX_AMOUNT`].
pub fn document_total(
    field: &str,
    line_totals: impl IntoIterator<Item = Decimal>,
) -> Result<Decimal> {
    let mut total = Decimal::ZERO;
    for line in line_totals {
        total = total
            .checked_add(line)
            .filter(|t| *t <= MAX_AMOUNT)
            .ok_or_else(|| {
                Error::invalid_field(
                    field,
                    format!("the lines add up to more than the largest amount, {MAX_AMOUNT}"),
                )
            })?;
    }
    Ok(total)
}

/// A positive amount, at least one minor unit, at most [`MAX_AMOUNT`], with no more decimals than
/// the currency has.
pub fn amount(field: &str, value: &Decimal, currency_code: &str) -> Result<()> {
    let minimum = minimum_amount(currency_code);
    if *value < minimum {
        return Err(Error::invalid_field(
            field,
            format!("must be at least {minimum} {currency_code} (got {value})"),
        ));
    }
    at_most_max(field, value)?;
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

/// A positive amount where the currency is not known to the request (e.g. a refund session), at
/// most [`MAX_AMOUNT`].
pub fn positive_amount(field: &str, value: &Decimal) -> Result<()> {
    if *value >= Decimal::new(1, 2) {
        at_most_max(field, value)
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

/// A positive object id given in the request path (`loc` `["path", field]`).
pub fn path_id(field: &str, value: i64) -> Result<()> {
    id(field, value).map_err(|error| error.located("path"))
}

/// A version-4 UUID given in the request path (`loc` `["path", field]`).
pub fn path_uuid_v4(field: &str, value: &str) -> Result<()> {
    uuid_v4(field, value).map_err(|error| error.located("path"))
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
    fn only_the_currencies_of_dollrs_markets_are_supported() {
        for code in CURRENCIES {
            assert_eq!(field_of(supported_currency("currency", code)), "ok");
        }
        assert_eq!(field_of(supported_currency("currency", "XXX")), "currency");
        assert_eq!(field_of(supported_currency("currency", "EUR")), "currency");
        assert_eq!(field_of(supported_currency("currency", "usd")), "currency");
    }

    #[test]
    fn a_wallet_pays_only_in_its_markets_currencies() {
        let liberia = mobile_money_phone("phone", "231771234567").ok();
        let rwanda = mobile_money_phone("phone", "250781234567").ok();
        assert_eq!(liberia.map(|m| m.country_code), Some("LR"));
        assert_eq!(rwanda.map(|m| m.country_code), Some("RW"));
        assert_eq!(
            field_of(mobile_money_phone("phone", "447700900123").map(|_| ())),
            "phone"
        );
        assert_eq!(
            field_of(mobile_money_phone("phone", "+231771234567").map(|_| ())),
            "phone"
        );
        let (Some(liberia), Some(rwanda)) = (liberia, rwanda) else {
            panic!("both markets are known");
        };
        assert_eq!(field_of(wallet_currency("currency", "LRD", liberia)), "ok");
        assert_eq!(field_of(wallet_currency("currency", "USD", liberia)), "ok");
        assert_eq!(
            field_of(wallet_currency("currency", "RWF", liberia)),
            "currency"
        );
        assert_eq!(field_of(wallet_currency("currency", "RWF", rwanda)), "ok");
        assert_eq!(
            field_of(wallet_currency("currency", "USD", rwanda)),
            "currency"
        );
        assert_eq!(
            field_of(wallet_currency("currency", "XXX", rwanda)),
            "currency"
        );
    }

    #[test]
    fn amounts_and_totals_stop_at_the_maximum() -> std::result::Result<(), rust_decimal::Error> {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_i64));
        assert_eq!(field_of(amount("amount", &MAX_AMOUNT, "USD")), "ok");
        let above = MAX_AMOUNT + Decimal::new(1, 2);
        assert_eq!(field_of(amount("amount", &above, "USD")), "amount");
        let two_to_the_60 = Decimal::from(1_i64 << 60);
        assert_eq!(field_of(amount("amount", &two_to_the_60, "RWF")), "amount");
        assert_eq!(
            field_of(positive_amount("amount", &two_to_the_60)),
            "amount"
        );
        assert_eq!(field_of(positive_amount("amount", &MAX_AMOUNT)), "ok");
        // qty × amount and the sum of lines are computed without overflow, then bounded.
        assert_eq!(
            line_total("qty", 3, &Decimal::from_str("2.50")?).ok(),
            Some(Decimal::from_str("7.50")?)
        );
        assert_eq!(
            field_of(line_total("qty", 2, &MAX_AMOUNT).map(|_| ())),
            "qty"
        );
        assert_eq!(
            field_of(line_total("qty", i64::MAX, &MAX_AMOUNT).map(|_| ())),
            "qty"
        );
        assert_eq!(
            field_of(document_total("items", [MAX_AMOUNT, Decimal::ONE]).map(|_| ())),
            "items"
        );
        assert_eq!(
            document_total("items", [Decimal::ONE, Decimal::TWO]).ok(),
            Some(Decimal::from(3))
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
