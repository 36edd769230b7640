//! Client configuration: a builder with environment fallbacks and documented defaults.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::AccessTokenProvider;
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
// Re-exported: `JournalConfig` is defined beside the journals it opens (the journal module
// knows nothing of the client's configuration).
pub use crate::journal::JournalConfig;
use crate::secret::Secret;
use crate::transport::{ReqwestSettings, Transport};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.heydollr.app";
/// Default time allowed for one HTTP request (connect + answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on the body of one answer (16 MiB). The API's largest answers (lists) are far smaller;
/// a bigger or endless body is refused as a `Decode` error instead of growing memory.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;
/// Environment variable for the client id.
pub const ENV_CLIENT_ID: &str = "DOLLR_CLIENT_ID";
/// Environment variable for the client secret.
pub const ENV_CLIENT_SECRET: &str = "DOLLR_CLIENT_SECRET";
/// Environment variable for the base URL.
pub const ENV_BASE_URL: &str = "DOLLR_BASE_URL";
/// Environment variable naming the execution journal ([`JournalConfig::parse`]: a SQLite file
/// path, `memory`, or a `postgresql://` URL) when the builder sets none.
pub const ENV_JOURNAL: &str = "DOLLR_JOURNAL";
/// Environment variable for the Supabase project URL that live status comes from
/// (`status().watch`; the merchant portal's Developer settings, or the sandbox's banner).
pub const ENV_SUPABASE_URL: &str = "DOLLR_SUPABASE_URL";
/// Environment variable for the Supabase anon key (with [`ENV_SUPABASE_URL`]).
pub const ENV_SUPABASE_ANON_KEY: &str = "DOLLR_SUPABASE_ANON_KEY";
/// The SDK version (one number for every package).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How requests that are safe to repeat are retried: exponential backoff with full jitter, capped,
/// honouring `Retry-After`. Executions are never retried blindly (see the `execute` module).
// Not a uniffi record: bindings take its fields as client options (`bridge::ClientOptions`).
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// The first backoff ceiling; doubles on every retry.
    pub initial_backoff: Duration,
    /// The backoff cap.
    pub max_backoff: Duration,
    /// The longest `Retry-After` the SDK will wait for inside one call; longer waits surface as
    /// `RateLimited` errors for the caller to schedule.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Per-call overrides. Apply with [`crate::Client::with_options`].
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RequestOptions {
    /// Overrides the client's request timeout.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub timeout: Option<Duration>,
    /// Overrides the client's `max_retries`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_retries: Option<u32>,
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Credentials {
    /// Client credentials from the merchant portal; the SDK obtains and refreshes tokens itself.
    ClientCredentials {
        /// The client id.
        client_id: String,
        /// The client secret (never printed).
        client_secret: Secret,
    },
    /// A host-supplied source of access tokens (e.g. a mobile app whose server issues short-lived
    /// tokens), so no client secret lives on the device.
    TokenProvider(Arc<dyn AccessTokenProvider>),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            Credentials::TokenProvider(_) => f.write_str("TokenProvider(..)"),
        }
    }
}

/// The resolved configuration of a [`crate::Client`].
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retries for requests that are safe to repeat.
    pub retry: RetryPolicy,
    /// The `User-Agent` header: `dollr-<lang>/<version>`.
    pub user_agent: String,
    /// The execution journal.
    pub journal: JournalConfig,
    /// An extra root certificate (PEM) to trust, e.g. a corporate TLS proxy.
    pub extra_root_ca_pem: Option<Vec<u8>>,
    /// The most bytes read from one answer's body; more is a `Decode` error.
    pub max_response_body: usize,
    /// Where live collection status comes from (Supabase Realtime); `None`: watches poll.
    pub supabase: Option<SupabaseConfig>,
}

/// A Supabase project for live status: its URL and anon key (both from the merchant portal's
/// Developer settings). The anon key is a secret: never printed, and sent only to `url`'s origin.
#[derive(Clone, Debug, PartialEq)]
pub struct SupabaseConfig {
    /// `https://<project>.supabase.co` (plain `http://` only to loopback, e.g. the sandbox), no
    /// trailing slash.
    pub url: String,
    /// The project's anon key (`apikey` of the realtime socket).
    pub anon_key: Secret,
}

impl SupabaseConfig {
    /// The realtime socket's URL without its `apikey`: `wss://<host>/realtime/v1/websocket?vsn=1.0.0`.
    pub fn websocket_url(&self) -> String {
        let url = self
            .url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{url}/realtime/v1/websocket?vsn=1.0.0")
    }
}

impl Config {
    /// What the default transport ([`crate::transport::ReqwestTransport`]) is built from.
    pub fn reqwest_settings(&self) -> ReqwestSettings<'_> {
        ReqwestSettings {
            user_agent: &self.user_agent,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            extra_root_ca_pem: self.extra_root_ca_pem.as_deref(),
            max_response_body: self.max_response_body,
        }
    }
}

/// Builds a [`crate::Client`]. Unset values fall back to `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET`,
/// `DOLLR_BASE_URL`, then to the defaults.
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    token_provider: Option<Arc<dyn AccessTokenProvider>>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    max_retries: Option<u32>,
    sdk_language: Option<String>,
    journal: Option<JournalConfig>,
    journal_text: Option<String>,
    lease_ttl: Option<Duration>,
    extra_root_ca_pem: Option<Vec<u8>>,
    max_response_body: Option<usize>,
    supabase_url: Option<String>,
    supabase_anon_key: Option<Secret>,
    transport: Option<Arc<dyn Transport>>,
    clock: Option<Arc<dyn Clock>>,
    ignore_env: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API base URL (default `https://api.heydollr.app`, or `DOLLR_BASE_URL`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// The client id (or `DOLLR_CLIENT_ID`).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }
    /// The client secret (or `DOLLR_CLIENT_SECRET`).
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }
    /// Authenticate with tokens from `provider` instead of a client secret.
    pub fn token_provider(mut self, provider: Arc<dyn AccessTokenProvider>) -> Self {
        self.token_provider = Some(provider);
        self
    }
    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// The retry policy set so far, or the default one (for options that change one of its
    /// fields).
    #[cfg(feature = "bridge")]
    pub(crate) fn retry_policy_or_default(&self) -> RetryPolicy {
        self.retry.clone().unwrap_or_default()
    }
    /// Just the number of retries (default 2).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }
    /// The language named in the `User-Agent` (`dollr-python/0.1.0`); bindings set it.
    pub fn sdk_language(mut self, language: impl Into<String>) -> Self {
        self.sdk_language = Some(language.into());
        self
    }
    /// The execution journal (default in memory).
    pub fn journal(mut self, journal: JournalConfig) -> Self {
        self.journal = Some(journal);
        self.journal_text = None;
        self
    }
    /// A SQLite journal at `path` (created if missing).
    pub fn journal_path(self, path: impl Into<PathBuf>) -> Self {
        self.journal(JournalConfig::Sqlite(path.into()))
    }
    /// The journal a string names ([`JournalConfig::parse`]): a `postgresql://` URL (a journal
    /// shared by many app instances; cargo feature `postgres`), `memory`, or a SQLite file path.
    /// Checked by `build()` (a `Validation` error naming `journal`).
    pub fn journal_url(mut self, journal: impl Into<String>) -> Self {
        self.journal = None;
        self.journal_text = Some(journal.into());
        self
    }
    /// How long this client's journal leases last unless renewed (default: the journal URL's
    /// `lease_ms`, else 30 s). A call holding a lease renews it every third of this; an instance
    /// stalled longer than this loses the intent to another one.
    pub fn journal_lease(mut self, ttl: Duration) -> Self {
        self.lease_ttl = Some(ttl);
        self
    }
    pub(crate) fn lease_ttl(&self) -> Option<Duration> {
        self.lease_ttl
    }
    /// Trust an extra root certificate (PEM), or several: on the API's connections and on the
    /// realtime socket alike. Checked when the client is built, whatever its transport.
    pub fn extra_root_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_root_ca_pem = Some(pem.into());
        self
    }
    /// The most bytes read from one answer's body (default 16 MiB, [`DEFAULT_MAX_RESPONSE_BODY`]);
    /// a larger or endless body is a `Decode` error.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = Some(bytes);
        self
    }
    /// Replace the HTTP transport (tests, custom stacks).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }
    /// Replace the clock used for token expiry (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }
    /// The Supabase project live status comes from (`status().watch`, and the waits of
    /// collections): its URL and anon key (or `DOLLR_SUPABASE_URL` / `DOLLR_SUPABASE_ANON_KEY`).
    /// Without them, watches poll.
    pub fn supabase(mut self, url: impl Into<String>, anon_key: impl Into<Secret>) -> Self {
        self.supabase_url = Some(url.into());
        self.supabase_anon_key = Some(anon_key.into());
        self
    }
    /// The Supabase project's URL alone (its anon key from [`ClientBuilder::supabase_anon_key`]
    /// or `DOLLR_SUPABASE_ANON_KEY`).
    pub fn supabase_url(mut self, url: impl Into<String>) -> Self {
        self.supabase_url = Some(url.into());
        self
    }
    /// The Supabase anon key alone (its URL from [`ClientBuilder::supabase_url`] or
    /// `DOLLR_SUPABASE_URL`).
    pub fn supabase_anon_key(mut self, anon_key: impl Into<Secret>) -> Self {
        self.supabase_anon_key = Some(anon_key.into());
        self
    }
    /// Do not read `DOLLR_*` environment variables.
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    pub(crate) fn take_transport(&mut self) -> Option<Arc<dyn Transport>> {
        self.transport.take()
    }
    pub(crate) fn take_clock(&mut self) -> Option<Arc<dyn Clock>> {
        self.clock.take()
    }

    fn env(&self, name: &str) -> Option<String> {
        if self.ignore_env {
            return None;
        }
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    /// Resolves the configuration, checking it.
    pub fn resolve(&self) -> Result<Config> {
        let base_url = self
            .base_url
            .clone()
            .or_else(|| self.env(ENV_BASE_URL))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = check_base_url(&base_url)?;
        let supabase = self.resolve_supabase()?;
        let credentials = match &self.token_provider {
            Some(provider) => Credentials::TokenProvider(provider.clone()),
            None => {
                let client_id = self
                    .client_id
                    .clone()
                    .or_else(|| self.env(ENV_CLIENT_ID))
                    .ok_or_else(|| {
                        config_error(
                            "client_id",
                            "no client id: pass one or set DOLLR_CLIENT_ID (merchant portal: Settings -> Developer -> API Keys)",
                        )
                    })?;
                let client_secret = self
                    .client_secret
                    .clone()
                    .or_else(|| self.env(ENV_CLIENT_SECRET).map(Secret::new))
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        config_error(
                            "client_secret",
                            "no client secret: pass one or set DOLLR_CLIENT_SECRET",
                        )
                    })?;
                Credentials::ClientCredentials {
                    client_id,
                    client_secret,
                }
            }
        };
        let mut retry = self.retry.clone().unwrap_or_default();
        if let Some(max_retries) = self.max_retries {
            retry.max_retries = max_retries;
        }
        let max_response_body = self.max_response_body.unwrap_or(DEFAULT_MAX_RESPONSE_BODY);
        if max_response_body == 0 {
            return Err(config_error("max_response_body", "must be at least 1 byte"));
        }
        let language = self
            .sdk_language
            .clone()
            .unwrap_or_else(|| "rust".to_string());
        Ok(Config {
            base_url,
            credentials,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            retry,
            user_agent: format!(
                "dollr-{language}/{SDK_VERSION} ({} {}; dollr-core {SDK_VERSION})",
                crate::runtime::OS,
                std::env::consts::ARCH
            ),
            journal: match (&self.journal, &self.journal_text) {
                (Some(journal), _) => journal.clone(),
                (None, Some(text)) => JournalConfig::parse(text)?,
                (None, None) => match self.env(ENV_JOURNAL) {
                    Some(text) => JournalConfig::parse(&text)?,
                    None => JournalConfig::default(),
                },
            },
            extra_root_ca_pem: self.extra_root_ca_pem.clone(),
            max_response_body,
            supabase,
        })
    }

    fn resolve_supabase(&self) -> Result<Option<SupabaseConfig>> {
        let url = self
            .supabase_url
            .clone()
            .or_else(|| self.env(ENV_SUPABASE_URL));
        let anon_key = self
            .supabase_anon_key
            .clone()
            .or_else(|| self.env(ENV_SUPABASE_ANON_KEY).map(Secret::new))
            .filter(|key| !key.is_empty());
        match (url, anon_key) {
            (None, None) => Ok(None),
            (Some(url), Some(anon_key)) => Ok(Some(SupabaseConfig {
                url: check_url("supabase_url", &url)?,
                anon_key,
            })),
            (Some(_), None) => Err(config_error(
                "supabase_anon_key",
                "a Supabase URL without its anon key: pass both or set DOLLR_SUPABASE_ANON_KEY",
            )),
            (None, Some(_)) => Err(config_error(
                "supabase_url",
                "a Supabase anon key without its URL: pass both or set DOLLR_SUPABASE_URL",
            )),
        }
    }
}

fn config_error(field: &str, message: &str) -> Error {
    Error::invalid_field(field, message)
}

/// Credentials travel only over TLS, except to this machine (the local sandbox).
fn check_base_url(raw: &str) -> Result<String> {
    check_url("base_url", raw)
}

/// `field`'s URL: https, or plain http to loopback only; no trailing slash.
fn check_url(field: &str, raw: &str) -> Result<String> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| config_error(field, &format!("{raw:?} is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(Error::new(
                    ErrorKind::Validation,
                    format!(
                        "refusing to send credentials over plain http:// to {}: use https:// (http is only allowed for loopback addresses such as the local sandbox)",
                        url.host_str().unwrap_or("?")
                    ),
                )
                .with_details(vec![crate::error::ValidationDetail::body(
                    field,
                    "plain http is only allowed for loopback addresses",
                    "value_error.insecure",
                )]));
            }
        }
        other => {
            return Err(config_error(
                field,
                &format!("unsupported scheme {other:?}: use https://"),
            ))
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_allowed_to_loopback() {
        assert!(check_base_url("http://127.0.0.1:8787").is_ok());
        assert!(check_base_url("http://localhost:1/").is_ok());
        assert!(check_base_url("http://[::1]:9/").is_ok());
        assert_eq!(
            check_base_url("https://api.heydollr.app/").ok().as_deref(),
            Some("https://api.heydollr.app")
        );
        let err = check_base_url("http://api.heydollr.app").err();
        assert_eq!(err.as_ref().map(Error::kind), Some(ErrorKind::Validation));
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("not a url").is_err());
    }

    #[test]
    fn missing_credentials_name_the_field_and_the_secret_is_never_printed() {
        let err = ClientBuilder::default().ignore_env().resolve().err();
        assert_eq!(
            err.map(|e| e.details()[0].field()).as_deref(),
            Some("client_id")
        );
        let builder = ClientBuilder::default()
            .ignore_env()
            .client_id("id")
            .client_secret("s3cr3t-value");
        assert!(!format!("{builder:?}").contains("s3cr3t-value"));
        let config = builder.resolve();
        assert!(config.is_ok());
        if let Ok(config) = config {
            assert!(!format!("{config:?}").contains("s3cr3t-value"));
            assert!(config.user_agent.starts_with("dollr-rust/"));
        }
    }
}
