//! Access tokens: obtained with client credentials, cached, refreshed proactively, one refresh at a
//! time however many tasks need one (single-flight), and — when the credentials are wrong — one
//! failing token request shared by every waiter rather than a storm of them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// Refresh when fewer than this many minutes remain (the docs' advice)…
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// An access token and, when known, how long it lives.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// Lifetime from now; `None` means "until the API says 401".
    pub expires_in: Option<Duration>,
}

/// A host-supplied source of tokens (e.g. a mobile app that gets short-lived tokens from its own
/// server). `force_refresh` is true after the API rejected the previous token.
#[async_trait]
pub trait AccessTokenProvider: Send + Sync {
    /// Returns a token valid for the Dollr API.
    async fn access_token(&self, force_refresh: bool) -> Result<AccessToken>;
}

/// The token endpoint's answer. `expires_in` is in MINUTES.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ObtainTokenResponse {
    /// The JWT.
    pub access_token: Secret,
    /// Lifetime in minutes.
    pub expires_in: i64,
}

/// The token endpoint's request.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObtainTokenRequest {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

/// A token as the pipeline sends it: the whole `Authorization` value, built once per token rather
/// than once per request, and marked sensitive so that `http` redacts it from its own `Debug`.
/// Cloning shares the bytes (a reference count).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Bearer(HeaderValue);

impl Bearer {
    pub(crate) fn new(token: &Secret) -> Result<Self> {
        let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
            // Says nothing of the value: it is the secret.
            Error::new(
                ErrorKind::Authentication,
                "the access token contains characters that cannot be sent in an HTTP header; check where the token comes from",
            )
        })?;
        value.set_sensitive(true);
        Ok(Bearer(value))
    }

    /// The `Authorization` header value (a secret: never log it).
    pub(crate) fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer([REDACTED])")
    }
}

#[derive(Clone)]
struct CachedToken {
    bearer: Bearer,
    refresh_at: Option<Instant>,
}

/// Fetches a fresh token (the client-credentials call, or the host provider).
#[async_trait]
pub(crate) trait TokenFetcher: Send + Sync {
    async fn fetch(&self, force_refresh: bool) -> Result<AccessToken>;
}

/// The token cache with single-flight refresh.
pub(crate) struct TokenCache {
    fetcher: Arc<dyn TokenFetcher>,
    clock: Arc<dyn Clock>,
    /// A plain (not async) lock: it is never held across an await, and every request reads it, so
    /// the cheapest read wins. A poisoned lock still holds a whole value (each write replaces it).
    cached: RwLock<Option<CachedToken>>,
    refresh: Mutex<Option<Error>>,
    generation: AtomicU64,
}

/// When to refresh a token that lives `lifetime`: 5 minutes before expiry, or — for tokens that
/// live less than 20 minutes — after three quarters of the lifetime.
fn refresh_delay(lifetime: Duration) -> Duration {
    let margin = REFRESH_MARGIN.min(lifetime / 4);
    lifetime.saturating_sub(margin)
}

impl TokenCache {
    pub(crate) fn new(fetcher: Arc<dyn TokenFetcher>, clock: Arc<dyn Clock>) -> Self {
        TokenCache {
            fetcher,
            clock,
            cached: RwLock::new(None),
            refresh: Mutex::new(None),
            generation: AtomicU64::new(0),
        }
    }

    fn fresh(&self) -> Option<Bearer> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        let token = cached.as_ref()?;
        match token.refresh_at {
            Some(at) if self.clock.now() >= at => None,
            _ => Some(token.bearer.clone()),
        }
    }

    fn store(&self, token: Option<CachedToken>) {
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) = token;
    }

    /// A valid token, refreshing when needed. Concurrent callers share one refresh; if that refresh
    /// fails, they all get its error instead of each trying again.
    pub(crate) async fn token(&self) -> Result<Bearer> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        self.refresh(false, None).await
    }

    /// Drops `rejected` (if it is still the cached token) and gets a new one.
    pub(crate) async fn refresh_after_rejection(&self, rejected: &Bearer) -> Result<Bearer> {
        self.refresh(true, Some(rejected)).await
    }

    async fn refresh(&self, force: bool, rejected: Option<&Bearer>) -> Result<Bearer> {
        let seen = self.generation.load(Ordering::Acquire);
        let mut last_failure = self.refresh.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            // Another task refreshed while we queued: share its outcome.
            if let Some(error) = last_failure.as_ref() {
                return Err(error.clone());
            }
            if let Some(token) = self.fresh() {
                if rejected != Some(&token) {
                    return Ok(token);
                }
            }
        } else if !force {
            if let Some(token) = self.fresh() {
                return Ok(token);
            }
        }
        // A token that cannot be a header value fails like a failed fetch, shared with the waiters.
        let outcome = self.fetcher.fetch(force).await.and_then(|access| {
            Bearer::new(&access.token).map(|bearer| (bearer, access.expires_in))
        });
        self.generation.fetch_add(1, Ordering::AcqRel);
        match outcome {
            Ok((bearer, expires_in)) => {
                let refresh_at =
                    expires_in.map(|lifetime| self.clock.now() + refresh_delay(lifetime));
                self.store(Some(CachedToken {
                    bearer: bearer.clone(),
                    refresh_at,
                }));
                *last_failure = None;
                Ok(bearer)
            }
            Err(error) => {
                self.store(None);
                *last_failure = Some(error.clone());
                Err(error)
            }
        }
    }
}

/// Errors from the token endpoint are about credentials, whatever the status.
pub(crate) fn token_error(error: Error) -> Error {
    match error.kind() {
        ErrorKind::Authentication | ErrorKind::Validation | ErrorKind::PermissionDenied => {
            Error::new(
                ErrorKind::Authentication,
                "the Dollr API rejected the client id/secret: check DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET (merchant portal: Settings -> Developer -> API Keys)",
            )
            .with_status(error.status().unwrap_or(401))
            .with_request_id(error.request_id().map(str::to_string))
        }
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values_are_sensitive_and_never_printed() {
        let bearer = Bearer::new(&Secret::new("eyJsecret")).unwrap();
        assert_eq!(bearer.header_value().as_bytes(), b"Bearer eyJsecret");
        assert!(bearer.header_value().is_sensitive());
        assert!(!format!("{bearer:?} {:?}", bearer.header_value()).contains("eyJsecret"));
        let refused = Bearer::new(&Secret::new("eyJ\nsecret")).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Authentication);
        assert!(!format!("{refused} {refused:?}").contains("eyJ"));
    }

    #[test]
    fn refresh_happens_five_minutes_before_expiry_or_earlier_for_short_tokens() {
        assert_eq!(
            refresh_delay(Duration::from_secs(3600)),
            Duration::from_secs(3300)
        );
        assert_eq!(
            refresh_delay(Duration::from_secs(60)),
            Duration::from_secs(45)
        );
    }
}
