//! Access tokens: obtained with client credentials, cached, refreshed proactively, one refresh at a
//! time however many tasks need one (single-flight), and — when the credentials are wrong — one
//! failing token request shared by every waiter rather than a storm of them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::runtime::Instant;

use async_trait::async_trait;
use http::header::HeaderValue;
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
    /// The fetch that produced it (see [`Lease`]).
    fetch: u64,
}

/// The token one request is sent with, and which fetch produced it: the 401 path compares fetch
/// numbers, not token values, to tell "my token was already replaced" from "my token is the
/// current one".
#[derive(Clone)]
pub(crate) struct Lease {
    bearer: Bearer,
    /// Fetches are numbered from 1 in the order they start.
    fetch: u64,
}

impl Lease {
    /// The bearer to send.
    pub(crate) fn bearer(&self) -> &Bearer {
        &self.bearer
    }

    /// Whether this token's fetch had already started when `refusal` was observed. Such a token
    /// may have been issued before the revocation behind that refusal, and so be revoked too: the
    /// only case in which the 401 path refreshes a second time.
    pub(crate) fn fetched_before(&self, refusal: &Refusal) -> bool {
        self.fetch <= refusal.fetches_started
    }
}

/// What the cache had done when a 401 arrived; taken at once, before queueing for a refresh.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Refusal {
    fetches_started: u64,
    fetches_finished: u64,
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
    /// Held for the whole of a fetch (single flight); holds the last fetch's failure, if it failed.
    refresh: Mutex<Option<Error>>,
    /// Fetches started: the number of the latest fetch. Written only under `refresh`.
    fetches_started: AtomicU64,
    /// Fetches finished, successfully or not. Written only under `refresh`.
    fetches_finished: AtomicU64,
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
            fetches_started: AtomicU64::new(0),
            fetches_finished: AtomicU64::new(0),
        }
    }

    /// The cached token unless it is due for a proactive refresh.
    fn fresh(&self) -> Option<Lease> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        let token = cached.as_ref()?;
        match token.refresh_at {
            Some(at) if self.clock.now() >= at => None,
            _ => Some(Lease {
                bearer: token.bearer.clone(),
                fetch: token.fetch,
            }),
        }
    }

    fn store(&self, token: Option<CachedToken>) {
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) = token;
    }

    /// A valid token, refreshing when needed. Concurrent callers share one refresh; if that refresh
    /// fails, they all get its error instead of each trying again.
    pub(crate) async fn token(&self) -> Result<Lease> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.fetches_finished.load(Ordering::Acquire);
        let mut last_failure = self.refresh.lock().await;
        if self.fetches_finished.load(Ordering::Acquire) != seen {
            // Another task refreshed while we queued: share its outcome.
            if let Some(error) = last_failure.as_ref() {
                return Err(error.clone());
            }
        }
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        self.fetch(false, &mut last_failure).await
    }

    /// Notes what the cache has done so far; call it as soon as a 401 arrives.
    pub(crate) fn refusal(&self) -> Refusal {
        Refusal {
            fetches_started: self.fetches_started.load(Ordering::Acquire),
            fetches_finished: self.fetches_finished.load(Ordering::Acquire),
        }
    }

    /// A token to retry with after the API refused `rejected` (`refusal` taken when the 401
    /// arrived). If another task has already replaced `rejected`, its replacement is the answer
    /// and nothing is fetched: however many requests a revocation refuses, it costs one token
    /// request. Only when `rejected` is still the cached token is a new one fetched (single
    /// flight), and a fetch that failed while this task queued is shared, not repeated.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &Lease,
        refusal: Refusal,
    ) -> Result<Lease> {
        let mut last_failure = self.refresh.lock().await;
        if self.fetches_finished.load(Ordering::Acquire) != refusal.fetches_finished {
            if let Some(error) = last_failure.as_ref() {
                return Err(error.clone());
            }
        }
        // Tokens only ever get newer: a cached token from another fetch replaced `rejected`.
        if let Some(token) = self.fresh() {
            if token.fetch != rejected.fetch {
                return Ok(token);
            }
        }
        self.fetch(true, &mut last_failure).await
    }

    /// Fetches and caches a token; the caller holds `refresh` (passed in as `last_failure`).
    async fn fetch(&self, force: bool, last_failure: &mut Option<Error>) -> Result<Lease> {
        let fetch = self.fetches_started.fetch_add(1, Ordering::AcqRel) + 1;
        // A token that cannot be a header value fails like a failed fetch, shared with the waiters.
        let outcome = self.fetcher.fetch(force).await.and_then(|access| {
            Bearer::new(&access.token).map(|bearer| (bearer, access.expires_in))
        });
        let result = match outcome {
            Ok((bearer, expires_in)) => {
                let refresh_at =
                    expires_in.map(|lifetime| self.clock.now() + refresh_delay(lifetime));
                self.store(Some(CachedToken {
                    bearer: bearer.clone(),
                    refresh_at,
                    fetch,
                }));
                *last_failure = None;
                Ok(Lease { bearer, fetch })
            }
            Err(error) => {
                self.store(None);
                *last_failure = Some(error.clone());
                Err(error)
            }
        };
        self.fetches_finished.fetch_add(1, Ordering::AcqRel);
        result
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

    /// Counts fetches and hands out `token-N`; fetches wait while `gate` is closed.
    struct GatedFetcher {
        fetches: std::sync::atomic::AtomicUsize,
        gate: tokio::sync::watch::Sender<bool>,
    }

    #[async_trait]
    impl TokenFetcher for GatedFetcher {
        async fn fetch(&self, _force_refresh: bool) -> Result<AccessToken> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            let mut gate = self.gate.subscribe();
            let _ = gate.wait_for(|open| *open).await;
            Ok(AccessToken {
                token: Secret::new(format!("token-{n}")),
                expires_in: Some(Duration::from_secs(3600)),
            })
        }
    }

    fn gated_cache() -> (
        Arc<TokenCache>,
        Arc<GatedFetcher>,
        Arc<crate::clock::ManualClock>,
    ) {
        let fetcher = Arc::new(GatedFetcher {
            fetches: std::sync::atomic::AtomicUsize::new(0),
            gate: tokio::sync::watch::channel(true).0,
        });
        let clock = Arc::new(crate::clock::ManualClock::new());
        let cache = Arc::new(TokenCache::new(fetcher.clone(), clock.clone()));
        (cache, fetcher, clock)
    }

    fn value(lease: &Lease) -> &[u8] {
        lease.bearer().header_value().as_bytes()
    }

    #[tokio::test]
    async fn a_refused_token_that_was_already_replaced_is_swapped_without_a_fetch() {
        let (cache, fetcher, _) = gated_cache();
        let first = cache.token().await.unwrap();
        let same = cache.token().await.unwrap();
        // Task A's 401 on token-1: token-1 is still cached, so it is replaced.
        let refusal = cache.refusal();
        let replaced = cache.replace_rejected(&first, refusal).await.unwrap();
        assert_eq!(value(&replaced), b"Bearer token-2");
        // Task B's 401 on token-1 arrives afterwards: token-1 is long gone, token-2 is the answer.
        let refusal = cache.refusal();
        let reused = cache.replace_rejected(&same, refusal).await.unwrap();
        assert_eq!(value(&reused), b"Bearer token-2");
        assert!(reused.fetched_before(&refusal));
        assert_eq!(fetcher.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn only_a_token_whose_fetch_began_before_the_refusal_counts_as_raced() {
        let (cache, fetcher, clock) = gated_cache();
        let first = cache.token().await.unwrap();
        // A proactive refresh starts and is held in flight.
        fetcher.gate.send_replace(false);
        clock.advance(Duration::from_secs(56 * 60));
        let refreshing = tokio::spawn({
            let cache = cache.clone();
            async move { cache.token().await }
        });
        while fetcher.fetches.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        // A 401 on token-1 arrives while that fetch is in flight: its replacement is token-2,
        // whose fetch began before the refusal — it may predate the revocation.
        let refusal = cache.refusal();
        let waiting = tokio::spawn({
            let cache = cache.clone();
            let first = first.clone();
            async move { cache.replace_rejected(&first, refusal).await }
        });
        fetcher.gate.send_replace(true);
        let second = refreshing.await.unwrap().unwrap();
        let adopted = waiting.await.unwrap().unwrap();
        assert_eq!(value(&adopted), b"Bearer token-2");
        assert_eq!(value(&second), b"Bearer token-2");
        assert!(adopted.fetched_before(&refusal));
        // token-2 refused in turn: this time the replacement is fetched after the refusal.
        let refusal = cache.refusal();
        let third = cache.replace_rejected(&adopted, refusal).await.unwrap();
        assert_eq!(value(&third), b"Bearer token-3");
        assert!(!third.fetched_before(&refusal));
        assert_eq!(fetcher.fetches.load(Ordering::SeqCst), 3);
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
