//! Object ids. Users always pass and receive integers (`i64`); the SDK writes whatever JSON type
//! each endpoint wants. The API is inconsistent: `session_id` is a string on executions but an
//! integer on realtime keys, `payout_account_id` is an integer on the payout session and a string on
//! the payout execution, and path ids are typed as strings. Responses may carry either form, so
//! every reader here accepts both.
//!
//! Use on model fields: `#[serde(with = "crate::ids::as_string")]` where the wire wants `"55"`,
//! `crate::ids::flexible` where it wants `55` (reads both), and the `_opt` variants for options.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An object id as users see it.
pub type Id = i64;

/// A fresh execution reference id: a random UUID v4, e.g. `550e8400-e29b-41d4-a716-446655440000`.
/// Store it (the journal does) before executing; reuse it for every retry of the same payment.
pub fn new_reference_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn id_from_value<E: serde::de::Error>(value: Value) -> Result<Id, E> {
    match value {
        // `18.0` is an integer id written as a float (the schema allows number|integer).
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                let text = n.to_string();
                let (whole, fraction) = text.split_once('.')?;
                fraction
                    .bytes()
                    .all(|b| b == b'0')
                    .then(|| whole.parse().ok())?
            })
            .ok_or_else(|| E::custom(format!("id {n} is not an integer"))),
        Value::String(s) => s
            .trim()
            .parse::<Id>()
            .map_err(|_| E::custom(format!("id {s:?} is not an integer"))),
        other => Err(E::custom(format!("expected an integer id, got {other}"))),
    }
}

/// Reads an id straight from the deserializer: an integer or a borrowed string costs no
/// allocation (a `Value` per id did, issue #19); anything else (`18.0`, which arrives as an exact
/// number, or a wrong type) goes through [`id_from_value`], the one set of rules and messages.
struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an integer id")
    }

    fn visit_i64<E: de::Error>(self, id: i64) -> Result<Id, E> {
        Ok(id)
    }

    fn visit_u64<E: de::Error>(self, id: u64) -> Result<Id, E> {
        Id::try_from(id).map_err(|_| E::custom(format!("id {id} is not an integer")))
    }

    fn visit_f64<E: de::Error>(self, id: f64) -> Result<Id, E> {
        id_from_value(Value::from(id))
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<Id, E> {
        id.trim()
            .parse::<Id>()
            .map_err(|_| E::custom(format!("id {id:?} is not an integer")))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Id, E> {
        id_from_value(Value::Bool(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Id, E> {
        id_from_value(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Id, E> {
        id_from_value(Value::Null)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Id, A::Error> {
        id_from_value(Value::deserialize(de::value::SeqAccessDeserializer::new(
            seq,
        ))?)
    }

    // An exact (non-integer) number arrives as a map under `arbitrary_precision`; `Value` knows it.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Id, A::Error> {
        id_from_value(Value::deserialize(de::value::MapAccessDeserializer::new(
            map,
        ))?)
    }
}

/// [`IdVisitor`] or `null`.
struct OptionalIdVisitor;

impl<'de> Visitor<'de> for OptionalIdVisitor {
    type Value = Option<Id>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an integer id or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<Id>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Id>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Id>, D::Error> {
        deserializer.deserialize_any(IdVisitor).map(Some)
    }
}

/// Writes the id as a JSON string (`"55"`); reads a string or an integer.
pub mod as_string {
    use super::*;
    use serde::Serializer;

    /// Writes `55` as `"55"`.
    pub fn serialize<S: Serializer>(id: &Id, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(id)
    }
    /// Reads `"55"` or `55`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

/// Writes the id as a JSON integer; reads a string or an integer.
pub mod flexible {
    use super::*;
    use serde::Serializer;

    /// Writes `55`.
    pub fn serialize<S: Serializer>(id: &Id, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(*id)
    }
    /// Reads `"55"` or `55`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

/// `Option<Id>` written as an integer or `null`; reads string, integer or null.
pub mod flexible_opt {
    use super::*;
    use serde::Serializer;

    /// Writes `55` or `null`.
    pub fn serialize<S: Serializer>(id: &Option<Id>, serializer: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => serializer.serialize_i64(*id),
            None => serializer.serialize_none(),
        }
    }
    /// Reads `"55"`, `55` or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Id>, D::Error> {
        deserializer.deserialize_option(OptionalIdVisitor)
    }
}

/// `Option<Id>` written as a string or `null`; reads string, integer or null.
pub mod as_string_opt {
    use super::*;
    use serde::Serializer;

    /// Writes `"55"` or `null`.
    pub fn serialize<S: Serializer>(id: &Option<Id>, serializer: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => serializer.collect_str(id),
            None => serializer.serialize_none(),
        }
    }
    /// Reads `"55"`, `55` or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Id>, D::Error> {
        flexible_opt::deserialize(deserializer)
    }
}

/// Rejects a JSON value that is not an id (used by models that must fail loudly).
pub fn parse_id(value: Value) -> Result<Id, serde_json::Error> {
    id_from_value::<serde_json::Error>(value)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Execution {
        #[serde(with = "super::as_string")]
        session_id: i64,
        #[serde(with = "super::flexible")]
        source_id: i64,
        #[serde(with = "super::flexible_opt", default)]
        payment_account_id: Option<i64>,
    }

    #[test]
    fn ids_are_written_as_each_endpoint_wants_and_read_in_either_form(
    ) -> Result<(), serde_json::Error> {
        let parsed: Execution = serde_json::from_str(
            r#"{"session_id": 55, "source_id": "101", "payment_account_id": null}"#,
        )?;
        assert_eq!(
            parsed,
            Execution {
                session_id: 55,
                source_id: 101,
                payment_account_id: None
            }
        );
        assert_eq!(
            serde_json::to_string(&parsed)?,
            r#"{"session_id":"55","source_id":101,"payment_account_id":null}"#
        );
        let float: Execution = serde_json::from_str(r#"{"session_id": 55, "source_id": 18.0}"#)?;
        assert_eq!(float.source_id, 18);
        let fractional: Result<Execution, _> =
            serde_json::from_str(r#"{"session_id": 55, "source_id": 18.5}"#);
        assert!(fractional.is_err());
        let bad: Result<Execution, _> =
            serde_json::from_str(r#"{"session_id": "x", "source_id": 1}"#);
        assert!(bad.is_err());
        Ok(())
    }
}
