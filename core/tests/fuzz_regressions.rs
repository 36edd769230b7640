//! One test per finding of the fuzz targets (`fuzz/`, issue #18): the input that broke an
//! invariant, now checked on every `make test`. Add new findings here (or to the sandbox's
//! `sandbox/tests/fuzz_regressions.rs` for the sandbox's) together with the fix.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use dollr_core::auth::{AccessToken, AccessTokenProvider};
use dollr_core::models::CheckoutLink;
use dollr_core::time::{format_timestamp, parse_timestamp};
use dollr_core::transport::{
    Bytes, HeaderMap, HttpRequest, HttpResponse, Transport, TransportError,
};
use dollr_core::{ApiRequest, Client, ErrorKind, Secret};

/// `money_time`: a lenient read must write back to RFC 3339 that reads again as the same instant.
/// `-6026-06-1` was read (a bare date, negative year) and written as `-6026-06-01T00:00:00Z`,
/// which RFC 3339 (four-digit years) refuses; so were five-digit years and offsets that move an
/// instant past 9999 or before 0000.
#[test]
fn every_timestamp_read_writes_back_to_itself() {
    for text in [
        "-6026-06-1",
        "+10000-01-01",
        "9999-12-31T23:59:59-01:00",
        "0000-01-01T00:30:00+01:00",
    ] {
        assert_eq!(parse_timestamp(text), None, "{text:?} was read");
    }
    for text in [
        "0000-01-01",
        "9999-12-31T23:59:59Z",
        "2026-06-15 18:00:00.5",
        "2026-6-1",
    ] {
        let instant = parse_timestamp(text).unwrap_or_else(|| panic!("{text:?} is refused"));
        let written = format_timestamp(&instant);
        assert_eq!(
            parse_timestamp(&written),
            Some(instant),
            "{text:?} → {written:?}"
        );
    }
}

/// A transport answering every request with one body, and the token it was sent.
struct Echo(&'static str);

#[async_trait::async_trait]
impl Transport for Echo {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: Bytes::from_static(self.0.as_bytes()),
        })
    }
}

struct FixedToken;

const TOKEN: &str = "fuzz-bearer-token-0123456789abcdef";

#[async_trait::async_trait]
impl AccessTokenProvider for FixedToken {
    async fn access_token(&self, _force_refresh: bool) -> dollr_core::Result<AccessToken> {
        Ok(AccessToken {
            token: Secret::new(TOKEN),
            expires_in: None,
        })
    }
}

/// `decode_response`: an answer the core cannot decode must not show the bearer token. A body
/// echoing it in a field that should hold a decimal was redacted in the error's body, but serde's
/// reason (`invalid value: string "…token…"`) carried it into the message.
#[tokio::test]
async fn an_undecodable_answer_never_shows_the_token_in_the_message() {
    let body = r#"{"id": 1, "url": "https://pay.example/x", "total_amount": "Amfuzz-bearer-token-0123456789abcdefig_id"}"#;
    let client = Client::builder()
        .ignore_env()
        .base_url("https://api.fuzz.invalid")
        .token_provider(Arc::new(FixedToken))
        .transport(Arc::new(Echo(body)))
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .send::<CheckoutLink>(ApiRequest::get("/v1/fuzz"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    let shown = format!("{error} {error:?} {:?}", error.body());
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(error.message().contains("[REDACTED]"), "{error}");
}
