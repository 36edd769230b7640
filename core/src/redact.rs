//! Keeps secrets out of error messages and logs: response bodies are stored only after the values
//! of secret-looking keys are replaced and the text is truncated.

use serde_json::Value;

const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "token",
    "code",
    "passcode",
    "password",
    "authorization",
    "secret",
];
const MAX_BODY: usize = 2048;

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|s| key == *s) || key.ends_with("_secret") || key.ends_with("_token")
}

fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_secret_key(key) && !value.is_object() {
                    *value = Value::String("[REDACTED]".into());
                } else {
                    scrub(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// A body safe to keep in an error: JSON with secret values replaced, or text that is not JSON
/// truncated (it cannot be scrubbed key by key, so only its start is kept).
pub fn redact_body(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            scrub(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    truncate(text)
}

/// A JSON value with secret values replaced (for journals and logs).
pub fn redact_value(value: &Value) -> Value {
    let mut value = value.clone();
    scrub(&mut value);
    value
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_BODY {
        let mut cut = MAX_BODY;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("…[truncated]");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_replaced_at_any_depth() {
        let body = br#"{"access_token":"eyJ.abc","expires_in":60,"passcode":{"token":{"code":"908172","phone":"231771234567"}},"client_secret":"s"}"#;
        let redacted = redact_body(body);
        assert!(!redacted.contains("eyJ.abc"));
        assert!(!redacted.contains("908172"));
        assert!(redacted.contains("231771234567"));
        assert!(redacted.contains("\"expires_in\":60"));
    }

    #[test]
    fn long_non_json_bodies_are_truncated() {
        let body = "x".repeat(10_000);
        assert!(redact_body(body.as_bytes()).len() < 2100);
    }
}
