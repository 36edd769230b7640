//! Phone numbers: operator prediction by prefix, and the deterministic test numbers.

use crate::money::{Currency, Method};

/// Completes (Liberia, MTN).
pub const LR_MTN_OK: &str = "231771234567";
/// Declines: FAILED with "Payer declined the transaction".
pub const LR_MTN_DECLINE: &str = "231770000001";
/// Stays PROCESSING for 30× the settle time, then COMPLETED.
pub const LR_MTN_SLOW: &str = "231770000002";
/// Stays PROCESSING for 30× the settle time, then FAILED ("Transaction timed out at the operator").
pub const LR_MTN_SLOW_FAIL: &str = "231770000003";
/// Completes (Liberia, Orange).
pub const LR_ORANGE_OK: &str = "231881234567";
/// Completes (Rwanda, MTN).
pub const RW_MTN_OK: &str = "250781234567";
/// Completes (Rwanda, Airtel).
pub const RW_AIRTEL_OK: &str = "250731234567";

/// Card number (as `insensitive_account_number` on a CREDIT_CARD account) that declines.
pub const CARD_DECLINE: &str = "4000000000000002";
/// Card number that requires 3-D Secure (`requires_action: true` + `client_secret`).
pub const CARD_3DS: &str = "4000002760003184";

/// A market a phone number belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    /// The payment method (operator).
    pub method: Method,
    /// ISO 3166-1 alpha-2 country.
    pub country: &'static str,
    /// Currencies this wallet can pay in.
    pub currencies: &'static [Currency],
}

/// Maps a phone number (E.164 digits, no `+`) to its mobile-money operator.
pub fn predict_operator(phone: &str) -> Option<Operator> {
    let lr = |method| Operator {
        method,
        country: "LR",
        currencies: &[Currency::Lrd, Currency::Usd],
    };
    let rw = |method| Operator {
        method,
        country: "RW",
        currencies: &[Currency::Rwf],
    };
    let rest = phone
        .strip_prefix("231")
        .map(|r| ("231", r))
        .or_else(|| phone.strip_prefix("250").map(|r| ("250", r)));
    let (cc, rest) = rest?;
    if rest.len() < 7 {
        return None;
    }
    let prefix = rest.get(..2)?;
    match (cc, prefix) {
        ("231", "77") => Some(lr(Method::MtnMomoLbr)),
        ("231", "88") | ("231", "55") => Some(lr(Method::OrangeMoneyLbr)),
        ("250", "78") | ("250", "79") => Some(rw(Method::MtnMomoRwa)),
        ("250", "72") | ("250", "73") => Some(rw(Method::AirtelRwa)),
        _ => None,
    }
}

/// How a payment behaves, decided by the payer / recipient number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// PENDING → PROCESSING → COMPLETED within the settle time.
    Complete,
    /// PENDING → PROCESSING → FAILED within the settle time.
    Decline,
    /// PROCESSING for 30× the settle time, then COMPLETED.
    Slow,
    /// PROCESSING for 30× the settle time, then FAILED.
    SlowFail,
    /// Card needing 3-D Secure; completes after the settle time.
    ThreeDs,
}

/// The behaviour of a mobile-money number (by its last four digits).
pub fn momo_behaviour(number: &str) -> Behaviour {
    if number.ends_with("0001") {
        Behaviour::Decline
    } else if number.ends_with("0002") {
        Behaviour::Slow
    } else if number.ends_with("0003") {
        Behaviour::SlowFail
    } else {
        Behaviour::Complete
    }
}

/// The behaviour of a card test number.
pub fn card_behaviour(number: Option<&str>) -> Behaviour {
    match number {
        Some(CARD_DECLINE) => Behaviour::Decline,
        Some(CARD_3DS) => Behaviour::ThreeDs,
        _ => Behaviour::Complete,
    }
}

/// Card brand predicted from a Stripe-style `payment_method_id`.
pub fn card_brand(payment_method_id: &str) -> &'static str {
    let id = payment_method_id.to_ascii_lowercase();
    if id.contains("mastercard") {
        "mastercard"
    } else if id.contains("amex") {
        "amex"
    } else if id.contains("discover") {
        "discover"
    } else {
        "visa"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn canonical_numbers_map_to_operators() {
        assert_eq!(
            predict_operator(LR_MTN_OK).map(|o| o.method),
            Some(Method::MtnMomoLbr)
        );
        assert_eq!(
            predict_operator(LR_MTN_DECLINE).map(|o| o.method),
            Some(Method::MtnMomoLbr)
        );
        assert_eq!(
            predict_operator(LR_ORANGE_OK).map(|o| o.method),
            Some(Method::OrangeMoneyLbr)
        );
        assert_eq!(
            predict_operator("231551234567").map(|o| o.method),
            Some(Method::OrangeMoneyLbr)
        );
        assert_eq!(
            predict_operator(RW_MTN_OK).map(|o| o.method),
            Some(Method::MtnMomoRwa)
        );
        assert_eq!(
            predict_operator("250791234567").map(|o| o.method),
            Some(Method::MtnMomoRwa)
        );
        assert_eq!(
            predict_operator(RW_AIRTEL_OK).map(|o| o.method),
            Some(Method::AirtelRwa)
        );
        assert_eq!(
            predict_operator("250721234567").map(|o| o.method),
            Some(Method::AirtelRwa)
        );
        assert_eq!(predict_operator("231661234567"), None);
        assert_eq!(predict_operator("14155550100"), None);
    }

    #[test]
    fn behaviours_by_suffix() {
        assert_eq!(momo_behaviour(LR_MTN_OK), Behaviour::Complete);
        assert_eq!(momo_behaviour(LR_MTN_DECLINE), Behaviour::Decline);
        assert_eq!(momo_behaviour(LR_MTN_SLOW), Behaviour::Slow);
        assert_eq!(momo_behaviour(LR_MTN_SLOW_FAIL), Behaviour::SlowFail);
        assert_eq!(card_behaviour(Some(CARD_DECLINE)), Behaviour::Decline);
        assert_eq!(card_behaviour(None), Behaviour::Complete);
    }
}
