//! The client: built from a client secret (servers, merchant-operated backends) or from an
//! access-token provider (apps). Its flows (`client.collect(..)`, …) and the resources' accessors
//! (`client.parties()`, …) are generated with the resource objects (`resources.rs`), except
//! `reconcile` (`reconcile.rs`).

use std::sync::Arc;

use dollr_core::bridge::ClientOptions;
use dollr_core::{ClientBuilder, RequestOptions};

use crate::auth::{AccessTokenProvider, ForeignTokenProvider};
use crate::error::DollrError;
use crate::runtime::guard;

/// The Dollr API client. Thread-safe; share one per app (one connection pool, one token, one
/// journal). The secret given to it never appears in its string form.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct DollrClient {
    pub(crate) inner: dollr_core::Client,
}

/// Kotlin's `toString()` and Swift's `description`: where the client talks to and as whom, never
/// the secret: `DollrClient(baseUrl=http://127.0.0.1:8080, clientId=abc)`.
impl std::fmt::Display for DollrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DollrClient")?;
        describe(&self.inner, f)
    }
}

/// `(baseUrl=…, clientId=…)`: what both clients' string forms say after their name.
pub(crate) fn describe(
    client: &dollr_core::Client,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    let config = client.config();
    let client_id = match &config.credentials {
        dollr_core::Credentials::ClientCredentials { client_id, .. } => client_id.as_str(),
        dollr_core::Credentials::TokenProvider(_) => "(token provider)",
    };
    write!(f, "(baseUrl={}, clientId={client_id})", config.base_url)
}

impl DollrClient {
    fn build(
        options: ClientOptions,
        credentials: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Result<Arc<DollrClient>, DollrError> {
        guard(|| {
            // The constructor's credentials win over the options' (given last).
            let builder = options.apply(ClientBuilder::default().sdk_language("uniffi"));
            let inner = credentials(builder).build()?;
            Ok(Arc::new(DollrClient { inner }))
        })
    }
}

#[uniffi::export]
impl DollrClient {
    /// A client with client credentials (merchant portal: Settings → Developer → API Keys). For
    /// servers and merchant-operated backends only: a client secret must never ship in an app.
    #[uniffi::constructor(default(options))]
    pub fn new(
        client_id: String,
        client_secret: String,
        options: ClientOptions,
    ) -> Result<Arc<DollrClient>, DollrError> {
        Self::build(options, |builder| {
            builder.client_id(client_id).client_secret(client_secret)
        })
    }

    /// A client that gets its access tokens from `provider` (an app whose server issues
    /// short-lived tokens): no client secret on the device.
    #[uniffi::constructor(default(options))]
    pub fn with_token_provider(
        provider: Arc<dyn AccessTokenProvider>,
        options: ClientOptions,
    ) -> Result<Arc<DollrClient>, DollrError> {
        let provider: Arc<dyn dollr_core::auth::AccessTokenProvider> =
            Arc::new(ForeignTokenProvider(provider));
        Self::build(options, |builder| builder.token_provider(provider))
    }

    /// A client configured from `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`, `DOLLR_BASE_URL`.
    #[uniffi::constructor(default(options))]
    pub fn from_env(options: ClientOptions) -> Result<Arc<DollrClient>, DollrError> {
        Self::build(options, |builder| builder)
    }

    /// The same client (same pool, token and journal) with per-call overrides (timeout, retries).
    pub fn with_options(&self, options: RequestOptions) -> Arc<DollrClient> {
        Arc::new(DollrClient {
            inner: self.inner.with_options(options),
        })
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> String {
        self.inner.config().base_url.clone()
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> String {
        self.inner.config().user_agent.clone()
    }
}
