//! Sandbox settings.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::faults::FaultConfig;
use crate::money::Currency;

/// Default client id.
pub const DEFAULT_CLIENT_ID: &str = "dollr_test_client";
/// Default client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "dollr_test_secret";
/// Default merchant passcode for payouts.
pub const DEFAULT_PASSCODE: &str = "123456";
/// Default port of `dollr sandbox`.
pub const DEFAULT_PORT: u16 = 8787;
/// Default settle time of an execution.
pub const DEFAULT_SETTLE_MS: u64 = 2000;
/// Default lifetime of a realtime key (`expires_in`, seconds).
pub const DEFAULT_REALTIME_KEY_TTL_SECONDS: u64 = 3600;
/// Default request-body limit.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default time a client has to send a request body once its head arrived (then 408).
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a connection may wait for a complete request head. Hyper's timer also runs
/// while a keep-alive connection is idle, so it is longer than the 90 s clients (the SDK core
/// included) keep idle connections: the client always retires a pooled connection first.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything the sandbox can be configured with. `Default` gives the documented
/// defaults except `port`, which is 0 (pick a free port) for in-process use.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Address to bind (default 127.0.0.1).
    pub host: IpAddr,
    /// Port to bind; 0 picks a free port.
    pub port: u16,
    /// OAuth client id accepted by the token endpoint.
    pub client_id: String,
    /// OAuth client secret accepted by the token endpoint.
    pub client_secret: String,
    /// Merchant passcode required by payout executions.
    pub passcode: String,
    /// Time for an execution to go PENDING → PROCESSING (half) → terminal.
    pub settle_ms: u64,
    /// Seed for every random decision (faults, jitter, tokens). `None`: random.
    pub seed: Option<u64>,
    /// Access token lifetime in minutes (`expires_in`).
    pub token_ttl_minutes: u64,
    /// Overrides the lifetime in seconds (tests of expiry); `expires_in` then
    /// reports the ceiling in minutes.
    pub token_ttl_seconds: Option<u64>,
    /// Lifetime of checkout sessions (and hosted checkouts without `expires_at`).
    pub checkout_session_ttl_seconds: u64,
    /// Lifetime of payout sessions.
    pub payout_session_ttl_seconds: u64,
    /// `false` simulates an unverified merchant: payouts, transfers, refunds,
    /// payment links and hosted checkout answer 403.
    pub verified: bool,
    /// Opening wallet balances by currency.
    pub wallets: BTreeMap<Currency, Decimal>,
    /// Faults active from the start.
    pub faults: FaultConfig,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive once the head is in: a client that announces
    /// more bytes than it sends gets a 408 and the connection is closed.
    pub body_read_timeout: Duration,
    /// How long a connection may take to send a complete request head (and how long an idle
    /// keep-alive connection is kept): then it is closed.
    pub header_read_timeout: Duration,
    /// Capacity of the request log and the event log.
    pub log_capacity: usize,
    /// The sandbox merchant's id (merchant-info, owner_id).
    pub merchant_id: i64,
    /// The sandbox merchant's name.
    pub merchant_name: String,
    /// Port of the Supabase Realtime server (`/realtime/v1/websocket`; 0 picks a free port).
    pub realtime_port: u16,
    /// Lifetime of the realtime keys `POST /v1/realtime-keys/collection` issues, in seconds.
    pub realtime_key_ttl_seconds: u64,
}

/// Default opening balances: USD 10,000.00, LRD 1,900,000.00, RWF 14,000,000.
pub fn default_wallets() -> BTreeMap<Currency, Decimal> {
    BTreeMap::from([
        (Currency::Usd, Decimal::new(1_000_000, 2)),
        (Currency::Lrd, Decimal::new(190_000_000, 2)),
        (Currency::Rwf, Decimal::new(14_000_000, 0)),
    ])
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            passcode: DEFAULT_PASSCODE.to_owned(),
            settle_ms: DEFAULT_SETTLE_MS,
            seed: None,
            token_ttl_minutes: 60,
            token_ttl_seconds: None,
            checkout_session_ttl_seconds: 15 * 60,
            payout_session_ttl_seconds: 15 * 60,
            verified: true,
            wallets: default_wallets(),
            faults: FaultConfig::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            log_capacity: 10_000,
            merchant_id: 1,
            merchant_name: "Sandbox Merchant Ltd".to_owned(),
            realtime_port: 0,
            realtime_key_ttl_seconds: DEFAULT_REALTIME_KEY_TTL_SECONDS,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    // Secrets stay out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("passcode", &"<redacted>")
            .field("settle_ms", &self.settle_ms)
            .field("seed", &self.seed)
            .field("token_ttl_minutes", &self.token_ttl_minutes)
            .field("token_ttl_seconds", &self.token_ttl_seconds)
            .field("verified", &self.verified)
            .field("wallets", &self.wallets)
            .field("faults", &self.faults)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("realtime_port", &self.realtime_port)
            .field("realtime_key_ttl_seconds", &self.realtime_key_ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl SandboxConfig {
    /// A config for fast tests: settle time `settle_ms`, fixed seed, port 0.
    pub fn for_tests(settle_ms: u64) -> SandboxConfig {
        SandboxConfig {
            settle_ms,
            seed: Some(7),
            ..SandboxConfig::default()
        }
    }
}

/// Settings that can change while the sandbox runs (`PATCH /_sandbox/config`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigPatch {
    /// New settle time for executions created from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_ms: Option<u64>,
    /// New token lifetime in minutes (clears `token_ttl_seconds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_ttl_minutes: Option<u64>,
    /// New token lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_ttl_seconds: Option<u64>,
    /// Verified / unverified merchant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// New payout passcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passcode: Option<String>,
    /// New checkout session lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_session_ttl_seconds: Option<u64>,
    /// New payout session lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_session_ttl_seconds: Option<u64>,
    /// New lifetime of the realtime keys issued from now on, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime_key_ttl_seconds: Option<u64>,
}
