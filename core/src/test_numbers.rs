//! The sandbox's deterministic test phone numbers (E.164 digits without `+`). Use them as the
//! payer or recipient phone of a payment account on the local sandbox (`dollr-sandbox`) to pick
//! the outcome of an execution. They mean nothing to the production API.

/// Liberia, MTN Mobile Money: completes after the sandbox's settle delay.
pub const COMPLETES: &str = "231771234567";
/// Liberia, MTN Mobile Money: the operator declines; the execution ends `FAILED`.
pub const DECLINES: &str = "231770000001";
/// Liberia, MTN Mobile Money: stays `PROCESSING` for 30 × the settle delay, then completes (for
/// testing waits that reach their deadline and resume).
pub const SLOW: &str = "231770000002";
/// Liberia, MTN Mobile Money: stays `PROCESSING` for 30 × the settle delay, then fails.
pub const SLOW_THEN_FAILS: &str = "231770000003";
/// Liberia, Orange Money: completes.
pub const COMPLETES_ORANGE_LR: &str = "231881234567";
/// Rwanda, MTN Mobile Money: completes.
pub const COMPLETES_MTN_RW: &str = "250781234567";
/// Rwanda, Airtel Money: completes.
pub const COMPLETES_AIRTEL_RW: &str = "250731234567";

/// A card number (as the `insensitive_account_number` of a `CREDIT_CARD` payment account) that
/// declines. Any other card number completes.
pub const CARD_DECLINES: &str = "4000000000000002";
/// A card number that requires 3-D Secure: the collection answers `requires_action: true` with a
/// `client_secret`.
pub const CARD_REQUIRES_3DS: &str = "4000002760003184";

/// Every test phone number, in the order above.
pub const ALL: &[&str] = &[
    COMPLETES,
    DECLINES,
    SLOW,
    SLOW_THEN_FAILS,
    COMPLETES_ORANGE_LR,
    COMPLETES_MTN_RW,
    COMPLETES_AIRTEL_RW,
];

/// Every test number with its constant's name (`COMPLETES`, …, `CARD_REQUIRES_3DS`), for the
/// bridge's schema so that every binding offers the same names.
pub const NAMED: &[(&str, &str)] = &[
    ("COMPLETES", COMPLETES),
    ("DECLINES", DECLINES),
    ("SLOW", SLOW),
    ("SLOW_THEN_FAILS", SLOW_THEN_FAILS),
    ("COMPLETES_ORANGE_LR", COMPLETES_ORANGE_LR),
    ("COMPLETES_MTN_RW", COMPLETES_MTN_RW),
    ("COMPLETES_AIRTEL_RW", COMPLETES_AIRTEL_RW),
    ("CARD_DECLINES", CARD_DECLINES),
    ("CARD_REQUIRES_3DS", CARD_REQUIRES_3DS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_numbers_are_valid_distinct_phones() {
        for (index, number) in ALL.iter().enumerate() {
            assert!(crate::validate::phone("phone", number).is_ok(), "{number}");
            assert!(!ALL[..index].contains(number), "{number} listed twice");
        }
        assert_eq!(ALL.len(), 7);
        assert_ne!(CARD_DECLINES, CARD_REQUIRES_3DS);
        // NAMED lists every constant of this module once.
        let source = include_str!("test_numbers.rs");
        let constants = source.matches("\npub const ").count() - 2; // ALL and NAMED
        assert_eq!(NAMED.len(), constants);
    }
}
