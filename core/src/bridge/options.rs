//! [`ClientOptions`]: what every binding's client constructor takes, defined once. The same fields
//! reach Python and Node (through the bridge's JSON and the schema's `client_options`) and
//! Kotlin/Swift (a uniffi record); each language spells a duration its own way (seconds or a
//! `timedelta` in Python, `*Ms` numbers in Node, `Duration` in Kotlin and Swift).

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::args;
use crate::client::Client;
use crate::config::ClientBuilder;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// How a client is configured. Every field is optional: unset values fall back to the
/// environment variables `DOLLR_CLIENT_ID`, `DOLLR_CLIENT_SECRET` and `DOLLR_BASE_URL` (unless
/// `ignore_env`), then to the core's defaults.
// Deliberately not `Serialize`: the secret would be written in clear (`Secret` serializes as the
// plain string, for the wire). `Debug` is safe: `Secret` prints `[REDACTED]`, and so does the
// Kotlin/Swift wrapper of a `Secret` (`SecretValue`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct ClientOptions {
    /// The client id (merchant portal: Settings → Developer → API Keys), or `DOLLR_CLIENT_ID`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_id: Option<String>,
    /// The client secret, or `DOLLR_CLIENT_SECRET`. Never printed.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_secret: Option<Secret>,
    /// The API base URL (default `https://api.heydollr.app`, or `DOLLR_BASE_URL`); plain `http://`
    /// only for loopback addresses such as the local sandbox.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub base_url: Option<String>,
    /// The time allowed for one HTTP request (default 30 s).
    #[serde(
        default,
        rename = "timeout_ms",
        deserialize_with = "crate::millis::opt::deserialize"
    )]
    #[schemars(with = "Option<u64>")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub timeout: Option<Duration>,
    /// The time allowed to open a connection (default 10 s).
    #[serde(
        default,
        rename = "connect_timeout_ms",
        deserialize_with = "crate::millis::opt::deserialize"
    )]
    #[schemars(with = "Option<u64>")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub connect_timeout: Option<Duration>,
    /// Retries of requests that are safe to repeat (default 2).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_retries: Option<u32>,
    /// The first backoff before a retry; doubles on every retry (default 0.25 s).
    #[serde(
        default,
        rename = "initial_backoff_ms",
        deserialize_with = "crate::millis::opt::deserialize"
    )]
    #[schemars(with = "Option<u64>")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub initial_backoff: Option<Duration>,
    /// The longest backoff before a retry (default 8 s).
    #[serde(
        default,
        rename = "max_backoff_ms",
        deserialize_with = "crate::millis::opt::deserialize"
    )]
    #[schemars(with = "Option<u64>")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_backoff: Option<Duration>,
    /// The longest `Retry-After` waited for inside one call (default 60 s); a longer one surfaces
    /// as a `RateLimited` error for the caller to schedule.
    #[serde(
        default,
        rename = "max_retry_after_ms",
        deserialize_with = "crate::millis::opt::deserialize"
    )]
    #[schemars(with = "Option<u64>")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_retry_after: Option<Duration>,
    /// A SQLite file for the execution journal (created if missing), so exactly-once survives
    /// crashes and restarts; default: in memory.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub journal: Option<String>,
    /// An extra root certificate to trust (PEM text), e.g. a corporate TLS proxy's.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub extra_root_ca_pem: Option<String>,
    /// The Supabase project URL live collection status comes from (merchant portal: Developer
    /// settings; the sandbox prints its own), or `DOLLR_SUPABASE_URL`. With the anon key, waits
    /// and watches of collections listen on Supabase Realtime and poll only as a fallback.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub supabase_url: Option<String>,
    /// The Supabase anon key, or `DOLLR_SUPABASE_ANON_KEY`. Never printed; sent only to the
    /// Supabase URL.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub supabase_anon_key: Option<Secret>,
    /// Do not read the `DOLLR_*` environment variables (default false).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub ignore_env: bool,
}

impl ClientOptions {
    /// Reads options from JSON: an unknown key or a value of the wrong type (a negative
    /// `timeout_ms`) is a `Validation` error naming the option.
    pub fn from_json(options: Value) -> Result<Self> {
        let options = match options {
            Value::Null => return Ok(ClientOptions::default()),
            other => other,
        };
        serde_path_to_error::deserialize(options).map_err(|error| {
            let option = error.path().to_string();
            let reason = error.into_inner();
            if option.is_empty() || option == "." {
                // Unknown keys and a non-object land here; serde's message names the key.
                Error::new(
                    ErrorKind::Validation,
                    format!("invalid client options: {reason}"),
                )
            } else {
                args::field_error(
                    &option,
                    format!("invalid client option `{option}`: {reason}"),
                    "type_error",
                )
            }
        })
    }

    /// `builder` with these options applied (the ONE place options become builder calls); unset
    /// options leave the builder's values.
    pub fn apply(self, mut builder: ClientBuilder) -> ClientBuilder {
        let ClientOptions {
            client_id,
            client_secret,
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            initial_backoff,
            max_backoff,
            max_retry_after,
            journal,
            extra_root_ca_pem,
            supabase_url,
            supabase_anon_key,
            ignore_env,
        } = self;
        if ignore_env {
            builder = builder.ignore_env();
        }
        if let Some(client_id) = client_id {
            builder = builder.client_id(client_id);
        }
        if let Some(client_secret) = client_secret {
            builder = builder.client_secret(client_secret);
        }
        if let Some(base_url) = base_url {
            builder = builder.base_url(base_url);
        }
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(timeout) = connect_timeout {
            builder = builder.connect_timeout(timeout);
        }
        if initial_backoff.is_some() || max_backoff.is_some() || max_retry_after.is_some() {
            let mut policy = builder.retry_policy_or_default();
            policy.initial_backoff = initial_backoff.unwrap_or(policy.initial_backoff);
            policy.max_backoff = max_backoff.unwrap_or(policy.max_backoff);
            policy.max_retry_after = max_retry_after.unwrap_or(policy.max_retry_after);
            builder = builder.retry_policy(policy);
        }
        if let Some(max_retries) = max_retries {
            builder = builder.max_retries(max_retries);
        }
        // Read by `JournalConfig::parse`: a SQLite path, `memory`, or a `postgresql://` URL.
        // (The option's schema description above feeds the generated bindings; it gains the
        // PostgreSQL form when they are next regenerated.)
        if let Some(journal) = journal {
            builder = builder.journal_url(journal);
        }
        if let Some(pem) = extra_root_ca_pem {
            builder = builder.extra_root_ca_pem(pem.into_bytes());
        }
        if let Some(url) = supabase_url {
            builder = builder.supabase_url(url);
        }
        if let Some(key) = supabase_anon_key {
            builder = builder.supabase_anon_key(key);
        }
        builder
    }
}

/// Builds a [`Client`] from a binding's constructor options; `sdk_language` names the binding in
/// the `User-Agent` (`python` → `dollr-python/<version>`). Environment fallbacks and defaults stay
/// in [`ClientBuilder`]. Errors: `Validation` for missing credentials or a bad base URL; `Internal`
/// when the journal file cannot be opened.
pub fn client_from_options(options: ClientOptions, sdk_language: &str) -> Result<Client> {
    options
        .apply(Client::builder().sdk_language(sdk_language))
        .build()
}
