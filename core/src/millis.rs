//! The boundary's one duration convention: a `Duration` crosses the bridge as an integer number of
//! milliseconds, in a field whose wire name ends in `_ms`. Every bridge-facing core type uses this
//! module (`#[serde(rename = "timeout_ms", with = "crate::millis")]` with
//! `#[schemars(with = "u64")]`), so the unit is decided here and nowhere else.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Milliseconds, saturating at `u64::MAX` (a duration that long is "never" anyway).
pub(crate) fn of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Writes a `Duration` as integer milliseconds.
pub(crate) fn serialize<S: Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(of(*duration))
}

/// Reads integer milliseconds (a negative or fractional number is refused by `u64`).
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

/// `Option<Duration>` as integer milliseconds or `null`.
pub(crate) mod opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes milliseconds or `null`.
    pub(crate) fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => serializer.serialize_some(&super::of(*duration)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads milliseconds or `null`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_millis))
    }
}
