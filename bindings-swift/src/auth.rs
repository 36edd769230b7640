//! Clients for apps that must not hold a client secret: the host supplies access tokens.
//!
//! A mobile app gets short-lived Dollr access tokens from its own (merchant-operated) server and
//! hands them to the SDK through an [`AccessTokenProvider`] implemented in Kotlin or Swift. The
//! SDK caches the token, calls the provider again shortly before it expires (when
//! `expires_in` is given) and with `force_refresh = true` after the API refused it (401).

use std::sync::Arc;
use std::time::Duration;

use dollr_core::auth::AccessToken;
use dollr_core::Secret;

use crate::error::DollrError;

/// A token handed to the SDK by an [`AccessTokenProvider`]. The core's `AccessToken` with the
/// same fields; defined here because uniffi's Kotlin generator cannot return a record of another
/// crate from an `async` foreign method (its result buffer type differs per package).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ProvidedToken {
    /// The bearer token (redacted when printed).
    pub token: Secret,
    /// How long it lives from now; unknown (`null`/`nil`) means "until the API refuses it".
    #[uniffi(default = None)]
    pub expires_in: Option<Duration>,
}

/// A source of Dollr access tokens implemented by the app (Kotlin: a class with a `suspend fun
/// accessToken(forceRefresh: Boolean): AccessToken`; Swift: an `async throws` method). Throw a
/// `DollrError`/`DollrException` to fail the call with that kind; anything else thrown fails it as
/// `Authentication`.
#[uniffi::export(foreign)]
#[async_trait::async_trait]
pub trait AccessTokenProvider: Send + Sync {
    /// A token valid for the Dollr API. `force_refresh` is true after the API refused the
    /// previous one: fetch a new token rather than returning a cached copy.
    async fn access_token(&self, force_refresh: bool) -> Result<ProvidedToken, DollrError>;
}

/// Adapts a foreign provider to the core's `AccessTokenProvider`.
pub(crate) struct ForeignTokenProvider(pub(crate) Arc<dyn AccessTokenProvider>);

#[async_trait::async_trait]
impl dollr_core::auth::AccessTokenProvider for ForeignTokenProvider {
    async fn access_token(&self, force_refresh: bool) -> dollr_core::Result<AccessToken> {
        let provided = self
            .0
            .access_token(force_refresh)
            .await
            .map_err(dollr_core::Error::from)?;
        Ok(AccessToken {
            token: provided.token,
            expires_in: provided.expires_in,
        })
    }
}
