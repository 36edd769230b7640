//! Timestamps: `chrono::DateTime<Utc>`. The API documents ISO 8601 UTC; FastAPI services also emit
//! naive timestamps (no offset) and date-only values, so reading is lenient (naive = UTC) while
//! writing is always RFC 3339 with `Z`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserializer, Serializer};

/// A point in time, in UTC.
pub type Timestamp = DateTime<Utc>;

/// Parses an ISO 8601 timestamp: with offset, naive (taken as UTC) or a bare date (midnight UTC).
/// Only instants whose UTC year has four digits (0000 to 9999) are read: RFC 3339, the form the
/// SDK writes, has no other, so anything else could not be written back and read again (found by
/// the `money_time` fuzz target: `-6026-06-1` was read, written as `-6026-06-01T00:00:00Z`, and
/// that refused).
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    parse_any_year(text).filter(|instant| (0..=9999).contains(&instant.year()))
}

fn parse_any_year(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// Formats a timestamp as RFC 3339 with `Z` (e.g. `2026-06-15T18:00:00Z`).
pub fn format_timestamp(ts: &Timestamp) -> String {
    ts.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The JSON Schema of a `Timestamp` field, for `#[schemars(with = "crate::time::TimestampSchema")]`:
/// `{"type": "string", "format": "date-time"}` (the bridge's schema calls it `timestamp`). Only a
/// marker: it is never instantiated.
#[derive(Debug)]
pub struct TimestampSchema;

impl schemars::JsonSchema for TimestampSchema {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time"})
    }
}

/// Serde for `Timestamp` (lenient reader, RFC 3339 writer).
pub mod lenient {
    use super::*;

    /// Writes RFC 3339 with `Z`.
    pub fn serialize<S: Serializer>(ts: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_timestamp(ts))
    }
    /// Reads any ISO 8601 form.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        deserializer.deserialize_str(TimestampText)
    }
}

/// Parses a timestamp from the JSON string as serde lends it: no `String` copy per timestamp.
struct TimestampText;

impl serde::de::Visitor<'_> for TimestampText {
    type Value = Timestamp;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
        parse_timestamp(text).ok_or_else(|| E::custom(format!("invalid timestamp {text:?}")))
    }
}

/// [`TimestampText`] or `null`.
struct OptionalTimestampText;

impl<'de> serde::de::Visitor<'de> for OptionalTimestampText {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(TimestampText).map(Some)
    }
}

/// Serde for `Option<Timestamp>`.
pub mod lenient_opt {
    use super::*;

    /// Writes RFC 3339 with `Z`, or `null`.
    pub fn serialize<S: Serializer>(
        ts: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match ts {
            Some(ts) => serializer.serialize_str(&format_timestamp(ts)),
            None => serializer.serialize_none(),
        }
    }
    /// Reads any ISO 8601 form, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        deserializer.deserialize_option(OptionalTimestampText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_offset_naive_and_date_only_forms() {
        let z = parse_timestamp("2025-06-01T10:00:00Z");
        assert_eq!(z, parse_timestamp("2025-06-01T10:00:00"));
        assert_eq!(z, parse_timestamp("2025-06-01T11:00:00+01:00"));
        assert_eq!(
            parse_timestamp("2025-06-01")
                .map(|t| format_timestamp(&t))
                .as_deref(),
            Some("2025-06-01T00:00:00Z")
        );
        assert!(parse_timestamp("yesterday").is_none());
    }
}
