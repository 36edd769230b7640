//! Request validation with FastAPI/pydantic-v1 style messages.
//!
//! Bodies are parsed into `serde_json::Value` and inspected field by field, so
//! every invalid field is reported (not only the first) and numbers keep their
//! exact text (serde_json's `arbitrary_precision`).

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult, FieldError};
use crate::money::Currency;

/// Largest accepted amount; keeps Decimal arithmetic far from overflow.
const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// The regex text shown in phone errors.
pub const PHONE_REGEX: &str = r"^[1-9]\d{7,14}$";

/// Whether `s` matches `^[1-9]\d{7,14}$`.
pub fn is_phone(s: &str) -> bool {
    let b = s.as_bytes();
    (8..=15).contains(&b.len()) && b[0] != b'0' && b.iter().all(u8::is_ascii_digit)
}

/// Whether `s` is three uppercase ASCII letters.
pub fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|c| c.is_ascii_uppercase())
}

/// Parses a version-4 UUID; returns its canonical (lowercase, hyphenated) form.
pub fn uuid_v4(s: &str) -> Option<String> {
    let u = uuid::Uuid::parse_str(s).ok()?;
    (u.get_version_num() == 4).then(|| u.hyphenated().to_string())
}

/// Parses a JSON number's exact text into a Decimal. `is_int` tells whether the
/// JSON text was an integer literal.
pub fn number_to_decimal(n: &serde_json::Number) -> Option<(Decimal, bool)> {
    let text = n.to_string();
    let is_int = !text.contains(['.', 'e', 'E']);
    let d = Decimal::from_str(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())?;
    Some((d, is_int))
}

/// Parses an ISO-8601 date-time leniently (RFC 3339, naive = UTC, or a date).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

fn enum_msg(allowed: &[&str]) -> String {
    let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    format!(
        "value is not a valid enumeration member; permitted: {}",
        list.join(", ")
    )
}

/// Validates the fields of one JSON object (the body or a nested object).
pub struct Fields<'a> {
    map: Option<&'a Map<String, Value>>,
    prefix: Vec<Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// Validates a request body; `None` (no body) reports `body: field required`.
    pub fn body(body: Option<&'a Value>) -> Fields<'a> {
        let mut f = Fields {
            map: None,
            prefix: vec![json!("body")],
            errors: Vec::new(),
        };
        match body {
            None => f.errors.push(FieldError::new(
                vec![json!("body")],
                "field required",
                "value_error.missing",
            )),
            Some(Value::Object(m)) => f.map = Some(m),
            Some(_) => f.errors.push(FieldError::new(
                vec![json!("body")],
                "value is not a valid dict",
                "type_error.dict",
            )),
        }
        f
    }

    /// A body where every field is optional (an empty body is fine).
    pub fn optional_body(body: Option<&'a Value>) -> Fields<'a> {
        match body {
            None | Some(Value::Null) => Fields {
                map: None,
                prefix: vec![json!("body")],
                errors: Vec::new(),
            },
            other => Fields::body(other),
        }
    }

    /// Whether the object itself could be read.
    pub fn is_object(&self) -> bool {
        self.map.is_some()
    }

    /// The location of a field.
    pub fn loc(&self, name: &str) -> Vec<Value> {
        let mut l = self.prefix.clone();
        l.push(json!(name));
        l
    }

    /// Records an error at a field.
    pub fn error(&mut self, name: &str, msg: impl Into<String>, kind: &str) {
        let loc = self.loc(name);
        self.errors.push(FieldError::new(loc, msg, kind));
    }

    /// Whether a field is present and not null.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        match self.map?.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn require(&mut self, name: &str) -> Option<&'a Value> {
        // A missing object was already reported at the object's own location.
        self.map?;
        let v = self.get(name);
        if v.is_none() {
            self.error(name, "field required", "value_error.missing");
        }
        v
    }

    fn as_str(&mut self, name: &str, v: &'a Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(name, "str type expected", "type_error.str");
                None
            }
        }
    }

    /// A required string.
    pub fn req_str(&mut self, name: &str) -> Option<String> {
        let v = self.require(name)?;
        self.as_str(name, v)
    }

    /// A required, non-empty string.
    pub fn req_nonempty(&mut self, name: &str) -> Option<String> {
        let s = self.req_str(name)?;
        if s.trim().is_empty() {
            self.error(
                name,
                "ensure this value has at least 1 characters",
                "value_error.any_str.min_length",
            );
            return None;
        }
        Some(s)
    }

    /// An optional string (missing or null → None).
    pub fn opt_str(&mut self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        self.as_str(name, v)
    }

    fn as_int(&mut self, name: &str, v: &'a Value) -> Option<i64> {
        match v {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(i),
                None => {
                    self.error(name, "value is not a valid integer", "type_error.integer");
                    None
                }
            },
            _ => {
                self.error(name, "value is not a valid integer", "type_error.integer");
                None
            }
        }
    }

    /// A required JSON integer.
    pub fn req_int(&mut self, name: &str) -> Option<i64> {
        let v = self.require(name)?;
        self.as_int(name, v)
    }

    /// An optional JSON integer.
    pub fn opt_int(&mut self, name: &str) -> Option<i64> {
        let v = self.get(name)?;
        self.as_int(name, v)
    }

    /// A required id that documented clients send as a string holding an integer
    /// (`"55"`); a JSON integer is accepted too.
    pub fn req_id(&mut self, name: &str) -> Option<i64> {
        let v = self.require(name)?;
        match v {
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) if s.trim() == s => Some(i),
                _ => {
                    self.error(name, "value is not a valid integer", "type_error.integer");
                    None
                }
            },
            other => self.as_int(name, other),
        }
    }

    /// A required boolean.
    pub fn req_bool(&mut self, name: &str) -> Option<bool> {
        let v = self.require(name)?;
        match v {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(
                    name,
                    "value could not be parsed to a boolean",
                    "type_error.bool",
                );
                None
            }
        }
    }

    fn as_amount(&mut self, name: &str, v: &'a Value) -> Option<Decimal> {
        let Value::Number(n) = v else {
            self.error(name, "value is not a valid number", "type_error.number");
            return None;
        };
        let Some((d, is_int)) = number_to_decimal(n) else {
            self.error(name, "value is not a valid number", "type_error.number");
            return None;
        };
        if is_int && d < Decimal::ONE {
            self.error(
                name,
                "ensure this value is greater than or equal to 1",
                "value_error.number.not_ge",
            );
            return None;
        }
        if !is_int && d < Decimal::new(1, 2) {
            self.error(
                name,
                "ensure this value is greater than or equal to 0.01",
                "value_error.number.not_ge",
            );
            return None;
        }
        if d > Decimal::from(MAX_AMOUNT) {
            self.error(
                name,
                format!("ensure this value is less than or equal to {MAX_AMOUNT}"),
                "value_error.number.not_le",
            );
            return None;
        }
        Some(d)
    }

    /// A required Amount: a number >= 0.01 or an integer >= 1.
    pub fn req_amount(&mut self, name: &str) -> Option<Decimal> {
        let v = self.require(name)?;
        self.as_amount(name, v)
    }

    /// An optional Amount.
    pub fn opt_amount(&mut self, name: &str) -> Option<Decimal> {
        let v = self.get(name)?;
        self.as_amount(name, v)
    }

    /// Rejects more decimals than the currency has.
    pub fn check_decimals(&mut self, name: &str, amount: Decimal, currency: Currency) -> bool {
        if amount.normalize().scale() > currency.decimals() {
            self.error(
                name,
                format!(
                    "ensure that there are no more than {} decimal places for {}",
                    currency.decimals(),
                    currency.code()
                ),
                "value_error.decimal.max_places",
            );
            return false;
        }
        true
    }

    fn as_currency(&mut self, name: &str, v: &'a Value) -> Option<Currency> {
        let s = self.as_str(name, v)?;
        if s.chars().count() < 3 {
            self.error(
                name,
                "ensure this value has at least 3 characters",
                "value_error.any_str.min_length",
            );
            return None;
        }
        if s.chars().count() > 3 {
            self.error(
                name,
                "ensure this value has at most 3 characters",
                "value_error.any_str.max_length",
            );
            return None;
        }
        if !is_currency_code(&s) {
            self.error(
                name,
                "string does not match regex \"^[A-Z]{3}$\"",
                "value_error.str.regex",
            );
            return None;
        }
        match Currency::parse(&s) {
            Some(c) => Some(c),
            None => {
                self.error(
                    name,
                    format!("unsupported currency '{s}': the sandbox supports USD, LRD and RWF"),
                    "value_error.currency",
                );
                None
            }
        }
    }

    /// A required ISO 4217 currency the sandbox supports.
    pub fn req_currency(&mut self, name: &str) -> Option<Currency> {
        let v = self.require(name)?;
        self.as_currency(name, v)
    }

    fn as_enum(&mut self, name: &str, v: &'a Value, allowed: &[&str]) -> Option<String> {
        let s = self.as_str(name, v)?;
        if allowed.contains(&s.as_str()) {
            Some(s)
        } else {
            self.error(name, enum_msg(allowed), "type_error.enum");
            None
        }
    }

    /// A required enum value.
    pub fn req_enum(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let v = self.require(name)?;
        self.as_enum(name, v, allowed)
    }

    /// An optional enum value.
    pub fn opt_enum(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let v = self.get(name)?;
        self.as_enum(name, v, allowed)
    }

    /// A required E.164 phone without `+`.
    pub fn req_phone(&mut self, name: &str) -> Option<String> {
        let s = self.req_str(name)?;
        if s.len() < 8 {
            self.error(
                name,
                "ensure this value has at least 8 characters",
                "value_error.any_str.min_length",
            );
            return None;
        }
        if s.len() > 15 {
            self.error(
                name,
                "ensure this value has at most 15 characters",
                "value_error.any_str.max_length",
            );
            return None;
        }
        if !is_phone(&s) {
            self.error(
                name,
                format!("string does not match regex \"{PHONE_REGEX}\""),
                "value_error.str.regex",
            );
            return None;
        }
        Some(s)
    }

    /// A required UUID v4; returns (as sent, canonical).
    pub fn req_uuid4(&mut self, name: &str) -> Option<(String, String)> {
        let s = self.req_str(name)?;
        match uuid_v4(&s) {
            Some(canon) => Some((s, canon)),
            None => {
                self.error(name, "invalid uuid", "value_error.uuid");
                None
            }
        }
    }

    fn as_datetime(&mut self, name: &str, v: &'a Value) -> Option<DateTime<Utc>> {
        let s = self.as_str(name, v)?;
        match parse_datetime(&s) {
            Some(d) => Some(d),
            None => {
                self.error(name, "invalid datetime format", "value_error.datetime");
                None
            }
        }
    }

    /// A required ISO-8601 date-time.
    pub fn req_datetime(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let v = self.require(name)?;
        self.as_datetime(name, v)
    }

    /// An optional ISO-8601 date-time.
    pub fn opt_datetime(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let v = self.get(name)?;
        self.as_datetime(name, v)
    }

    /// A required positive integer quantity.
    pub fn req_qty(&mut self, name: &str) -> Option<i64> {
        let q = self.req_int(name)?;
        self.check_qty(name, q)
    }

    /// An optional positive integer quantity.
    pub fn opt_qty(&mut self, name: &str) -> Option<i64> {
        let q = self.opt_int(name)?;
        self.check_qty(name, q)
    }

    fn check_qty(&mut self, name: &str, q: i64) -> Option<i64> {
        if q < 1 {
            self.error(
                name,
                "ensure this value is greater than or equal to 1",
                "value_error.number.not_ge",
            );
            return None;
        }
        if q > 1_000_000 {
            self.error(
                name,
                "ensure this value is less than or equal to 1000000",
                "value_error.number.not_le",
            );
            return None;
        }
        Some(q)
    }

    /// A nested object; its errors are merged back with [`Fields::merge`].
    pub fn object(&mut self, name: &str, required: bool) -> Option<Fields<'a>> {
        let v = if required {
            self.require(name)?
        } else {
            self.get(name)?
        };
        let mut prefix = self.prefix.clone();
        prefix.push(json!(name));
        match v {
            Value::Object(m) => Some(Fields {
                map: Some(m),
                prefix,
                errors: Vec::new(),
            }),
            _ => {
                self.error(name, "value is not a valid dict", "type_error.dict");
                None
            }
        }
    }

    /// A required array.
    pub fn req_array(&mut self, name: &str) -> Option<&'a Vec<Value>> {
        let v = self.require(name)?;
        match v {
            Value::Array(a) => Some(a),
            _ => {
                self.error(name, "value is not a valid list", "type_error.list");
                None
            }
        }
    }

    /// An element of an array field, validated as an object.
    pub fn element(&mut self, name: &str, index: usize, v: &'a Value) -> Option<Fields<'a>> {
        let mut prefix = self.prefix.clone();
        prefix.push(json!(name));
        prefix.push(json!(index));
        match v {
            Value::Object(m) => Some(Fields {
                map: Some(m),
                prefix,
                errors: Vec::new(),
            }),
            _ => {
                self.errors.push(FieldError::new(
                    prefix,
                    "value is not a valid dict",
                    "type_error.dict",
                ));
                None
            }
        }
    }

    /// Takes over a nested object's errors.
    pub fn merge(&mut self, child: Fields<'_>) {
        self.errors.extend(child.errors);
    }

    /// Whether any error was recorded.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }

    /// `Err(422)` with every recorded error, or `Ok`.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Percent-decodes a query component (`+` is a space).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters of one request, validated like FastAPI query params.
pub struct QueryFields {
    params: HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl QueryFields {
    /// Parses a raw query string (the last value of a repeated key wins).
    pub fn parse(raw: Option<&str>) -> QueryFields {
        let mut params = HashMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(percent_decode(k), percent_decode(v));
        }
        QueryFields {
            params,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, name: &str, msg: impl Into<String>, kind: &str) {
        self.errors.push(FieldError::query(name, msg, kind));
    }

    fn get(&self, name: &str) -> Option<String> {
        self.params.get(name).cloned()
    }

    /// A required string.
    pub fn req_str(&mut self, name: &str) -> Option<String> {
        let v = self.get(name);
        if v.is_none() {
            self.error(name, "field required", "value_error.missing");
        }
        v
    }

    /// An optional string (empty → None).
    pub fn opt_str(&mut self, name: &str) -> Option<String> {
        self.get(name).filter(|s| !s.is_empty())
    }

    /// A required enum value.
    pub fn req_enum(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let v = self.req_str(name)?;
        self.check_enum(name, v, allowed)
    }

    /// An optional enum value. Present but empty (`?status=`) is a value, and not a member: 422,
    /// as FastAPI answers (schemathesis found the sandbox ignoring it, #18).
    pub fn opt_enum(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let v = self.get(name)?;
        self.check_enum(name, v, allowed)
    }

    fn check_enum(&mut self, name: &str, v: String, allowed: &[&str]) -> Option<String> {
        if allowed.contains(&v.as_str()) {
            Some(v)
        } else {
            self.error(name, enum_msg(allowed), "type_error.enum");
            None
        }
    }

    /// A required integer.
    pub fn req_int(&mut self, name: &str) -> Option<i64> {
        let v = self.req_str(name)?;
        self.check_int(name, &v)
    }

    /// An optional integer (present but empty is not an integer: 422, as FastAPI answers).
    pub fn opt_int(&mut self, name: &str) -> Option<i64> {
        let v = self.get(name)?;
        self.check_int(name, &v)
    }

    fn check_int(&mut self, name: &str, v: &str) -> Option<i64> {
        match v.parse::<i64>() {
            Ok(i) => Some(i),
            Err(_) => {
                self.error(name, "value is not a valid integer", "type_error.integer");
                None
            }
        }
    }

    /// A required positive number (an amount).
    pub fn req_amount(&mut self, name: &str) -> Option<Decimal> {
        let v = self.req_str(name)?;
        let parsed = Decimal::from_str(&v)
            .ok()
            .or_else(|| Decimal::from_scientific(&v).ok());
        match parsed {
            None => {
                self.error(name, "value is not a valid float", "type_error.float");
                None
            }
            Some(d) if d < Decimal::new(1, 2) => {
                self.error(
                    name,
                    "ensure this value is greater than or equal to 0.01",
                    "value_error.number.not_ge",
                );
                None
            }
            Some(d) if d > Decimal::from(MAX_AMOUNT) => {
                self.error(
                    name,
                    format!("ensure this value is less than or equal to {MAX_AMOUNT}"),
                    "value_error.number.not_le",
                );
                None
            }
            Some(d) => Some(d),
        }
    }

    /// Rejects more decimals than the currency has.
    pub fn check_decimals(&mut self, name: &str, amount: Decimal, currency: Currency) {
        if amount.normalize().scale() > currency.decimals() {
            self.error(
                name,
                format!(
                    "ensure that there are no more than {} decimal places for {}",
                    currency.decimals(),
                    currency.code()
                ),
                "value_error.decimal.max_places",
            );
        }
    }

    /// A required currency matching `^[A-Z]{3}$` that the sandbox supports.
    pub fn req_currency(&mut self, name: &str) -> Option<Currency> {
        let v = self.req_str(name)?;
        self.check_currency(name, &v)
    }

    /// An optional currency matching `^[A-Z]{3}$` (any code, used as a filter).
    pub fn opt_currency_code(&mut self, name: &str) -> Option<String> {
        // Present but empty is not a code: 422, as FastAPI answers.
        let v = self.get(name)?;
        if !is_currency_code(&v) {
            self.error(
                name,
                "string does not match regex \"^[A-Z]{3}$\"",
                "value_error.str.regex",
            );
            return None;
        }
        Some(v)
    }

    fn check_currency(&mut self, name: &str, v: &str) -> Option<Currency> {
        if !is_currency_code(v) {
            self.error(
                name,
                "string does not match regex \"^[A-Z]{3}$\"",
                "value_error.str.regex",
            );
            return None;
        }
        match Currency::parse(v) {
            Some(c) => Some(c),
            None => {
                self.error(
                    name,
                    format!("unsupported currency '{v}': the sandbox supports USD, LRD and RWF"),
                    "value_error.currency",
                );
                None
            }
        }
    }

    /// Records a business-rule error on a parameter.
    pub fn fail(&mut self, name: &str, msg: impl Into<String>, kind: &str) {
        self.error(name, msg, kind);
    }

    /// `Err(422)` with every recorded error, or `Ok`.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Parses an integer path id; a non-integer is a 422 at `["path", name]`.
pub fn path_id(name: &str, raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::path(name, "value is not a valid integer", "type_error.integer"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn phone_regex() {
        assert!(is_phone("231771234567"));
        assert!(!is_phone("+231771234567"));
        assert!(!is_phone("031771234567"));
        assert!(!is_phone("1234567"));
        assert!(!is_phone("1234567890123456"));
    }

    #[test]
    fn uuid_versions() {
        assert!(uuid_v4("550e8400-e29b-41d4-a716-446655440000").is_some());
        assert!(uuid_v4("550e8400-e29b-11d4-a716-446655440000").is_none());
        assert!(uuid_v4("nope").is_none());
    }

    #[test]
    fn query_decoding() {
        let q = QueryFields::parse(Some("a=1%202&b=x+y&c=%zz"));
        assert_eq!(q.get("a").as_deref(), Some("1 2"));
        assert_eq!(q.get("b").as_deref(), Some("x y"));
        assert_eq!(q.get("c").as_deref(), Some("%zz"));
    }

    #[test]
    fn amounts() {
        let body = json!({"a": 250.00, "b": 0, "c": 0.001, "d": "5", "e": 1});
        let mut f = Fields::body(Some(&body));
        assert_eq!(f.req_amount("a"), Some(Decimal::new(2500, 1)));
        assert_eq!(f.req_amount("b"), None);
        assert_eq!(f.req_amount("c"), None);
        assert_eq!(f.req_amount("d"), None);
        assert_eq!(f.req_amount("e"), Some(Decimal::ONE));
        assert_eq!(f.errors.len(), 3);
    }
}
