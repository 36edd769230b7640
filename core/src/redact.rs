//! Keeps secrets out of error messages and logs. What the API answered is stored in an error only
//! after three passes: the values the client itself sent as secrets with that request (its client
//! secret, its access token, a passcode) are replaced wherever they appear; in JSON, the values of
//! secret-looking keys are replaced; in any text (an HTML or plain-text error page cannot be
//! scrubbed key by key), `Bearer <token>`, JWT-shaped strings and `secret_key=value` /
//! `secret_key: value` pairs are replaced. Then the text is truncated.

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
const REDACTED: &str = "[REDACTED]";

fn is_secret_key(key: &str) -> bool {
    // Case-insensitive, without a lowercased copy: this runs on every key of every journaled
    // request.
    let ends_with = |suffix: &str| {
        key.len() >= suffix.len()
            && key.as_bytes()[key.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    SECRET_KEYS.iter().any(|s| key.eq_ignore_ascii_case(s))
        || ends_with("_secret")
        || ends_with("_token")
}

fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_secret_key(key) && !value.is_object() {
                    *value = Value::String(REDACTED.into());
                } else {
                    scrub(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// The secret values one request carried: its access token and every string under a secret-looking
/// key of its JSON body (the client secret of the token request, a payout passcode). An answer that
/// echoes one of them — in JSON under an innocent key, in an HTML page, in a `detail` message — has
/// it replaced before the answer is kept in an error.
#[derive(Default)]
pub(crate) struct SentSecrets(Vec<String>);

impl SentSecrets {
    /// The secrets of a request sent with `authorization` (the whole header value) and `body`.
    pub(crate) fn of(authorization: Option<&[u8]>, body: Option<&[u8]>) -> Self {
        let mut values = Vec::new();
        if let Some(token) = authorization
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(|value| value.split_once(' '))
            .map(|(_, token)| token.trim())
        {
            values.push(token.to_string());
        }
        if let Some(json) = body.and_then(|body| serde_json::from_slice::<Value>(body).ok()) {
            collect_secret_values(&json, false, &mut values);
        }
        values.retain(|value| !value.is_empty());
        // Longest first, so a secret that contains another is replaced whole.
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        values.dedup();
        SentSecrets(values)
    }

    /// Adds one more secret value.
    pub(crate) fn add(&mut self, value: &str) {
        if !value.is_empty() && !self.0.iter().any(|known| known == value) {
            self.0.push(value.to_string());
            self.0.sort_by_key(|value| std::cmp::Reverse(value.len()));
        }
    }

    /// `text` with every sent secret and every secret-looking pattern replaced.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for value in &self.0 {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), REDACTED);
            }
        }
        scrub_text(&text)
    }
}

/// The values [`scrub`] would replace: under a secret-looking key, unless that value is an object
/// (`passcode: {token: {code}, phone}` keeps its phone).
fn collect_secret_values(value: &Value, secret: bool, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(key, value)| {
            collect_secret_values(value, is_secret_key(key) && !value.is_object(), out)
        }),
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_secret_values(item, secret, out)),
        Value::String(text) if secret => out.push(text.clone()),
        Value::Number(number) if secret => out.push(number.to_string()),
        _ => {}
    }
}

/// Characters of a token, key or value in free text.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/')
}

/// Replaces, in free text, the word after `Bearer`, JWT-shaped words (`eyJ….….…`) and the value in
/// `key=value`, `key: value`, `"key": "value"` when the key looks secret.
fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // What the previous word asks of the next: `Some(true)` after `Bearer` (any spacing),
    // `Some(false)` after a secret key (only across `=` or `:`).
    let mut pending: Option<bool> = None;
    let mut rest = text;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| is_word_char(c) != rest.starts_with(is_word_char))
            .unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(split);
        rest = tail;
        if !piece.starts_with(is_word_char) {
            // A separator: it carries the pending redaction only if it is short and of the shape
            // `=`, `: `, `":"`, `='` (or spaces after `Bearer`).
            let joins = piece.len() <= 4
                && piece
                    .chars()
                    .all(|c| matches!(c, ' ' | '\t' | '=' | ':' | '"' | '\''));
            pending = match pending {
                Some(true) if joins => Some(true),
                Some(false) if joins && piece.contains(['=', ':']) => Some(false),
                _ => None,
            };
            out.push_str(piece);
            continue;
        }
        let redact = pending.take().is_some() || (piece.starts_with("eyJ") && piece.contains('.'));
        out.push_str(if redact { REDACTED } else { piece });
        // `Authorization: Bearer x`: the scheme is the header's value, the token the next word.
        if piece.eq_ignore_ascii_case("bearer") {
            pending = Some(true);
        } else if !redact && is_secret_key(piece) {
            pending = Some(false);
        }
    }
    out
}

/// A body safe to keep in an error: JSON with secret values replaced, or text with secret-looking
/// patterns replaced; truncated either way.
pub fn redact_body(body: &[u8]) -> String {
    redact_sent_body(body, &SentSecrets::default())
}

/// [`redact_body`], also replacing the secrets the request sent.
pub(crate) fn redact_sent_body(body: &[u8], sent: &SentSecrets) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            scrub(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    // Scrubbed before truncation: a cut must not leave the start of a secret behind.
    truncate(sent.scrub(&text))
}

/// A JSON value with secret values replaced (for journals and logs).
pub fn redact_value(value: &Value) -> Value {
    let mut value = value.clone();
    scrub(&mut value);
    value
}

/// [`redact_value`] on a value the caller owns, without copying it.
pub(crate) fn redact_value_in_place(value: &mut Value) {
    scrub(value);
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

    #[test]
    fn text_bodies_lose_bearer_tokens_jwts_and_secret_pairs() {
        let page = "<html><body><h1>502</h1><pre>Authorization: Bearer abc.def-ghi\nclient_secret=hunter2&x=1\n\"passcode\": \"908172\" jwt eyJhbGciOi.eyJzdWIi.c2ln token expired; error code 1020</pre></body></html>";
        let redacted = redact_body(page.as_bytes());
        for secret in ["abc.def-ghi", "hunter2", "908172", "eyJhbGciOi", "c2ln"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        // Context stays readable.
        assert!(redacted.contains("<h1>502</h1>"), "{redacted}");
        assert!(redacted.contains("token expired"), "{redacted}");
        assert!(redacted.contains("&x=1"), "{redacted}");
    }

    #[test]
    fn values_the_request_sent_as_secrets_are_replaced_anywhere() {
        let sent = SentSecrets::of(
            Some(b"Bearer tok-123456"),
            Some(br#"{"client_id":"merchant-1","client_secret":"s3cr3t-value","passcode":{"token":{"code":"4455"},"phone":"231771234567"}}"#),
        );
        let echoed = r#"{"detail":"refused s3cr3t-value for merchant-1, 4455 wrong, tok-123456 unknown","phone":"231771234567"}"#;
        let redacted = redact_sent_body(echoed.as_bytes(), &sent);
        for secret in ["s3cr3t-value", "4455", "tok-123456"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        assert!(redacted.contains("merchant-1"));
        assert!(redacted.contains("231771234567"));
    }
}
