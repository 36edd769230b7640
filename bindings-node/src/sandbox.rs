//! The in-process sandbox for tests (`dollr-native/testing`): `dollr_sandbox` on its own thread
//! and runtime, controlled synchronously from JS. Settings, faults and stats are JSON in the
//! sandbox's own documented shapes (`sandbox/README.md`, the `/_sandbox/` endpoints).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use dollr_core::{Error, ErrorKind};
use dollr_sandbox::{
    AdvanceError, ConfigPatch, Currency, FaultConfig, FaultRule, Sandbox, SandboxConfig,
};
use napi::Env;
use napi_derive::napi;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::client::parse_json;
use crate::errors::guard_core;

/// What `startSandbox(options)` accepts (snake_case; every key optional).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StartOptions {
    /// Execution settle time; the tests default to a quick 20 ms.
    settle_ms: Option<u64>,
    seed: Option<u64>,
    port: Option<u16>,
    client_id: Option<String>,
    client_secret: Option<String>,
    passcode: Option<String>,
    verified: Option<bool>,
    token_ttl_minutes: Option<u64>,
    token_ttl_seconds: Option<u64>,
    checkout_session_ttl_seconds: Option<u64>,
    payout_session_ttl_seconds: Option<u64>,
    /// Opening balances, `{"USD": "5.00"}` (decimal strings or numbers).
    wallets: Option<BTreeMap<String, Value>>,
    /// The fault configuration exactly as `PUT /_sandbox/faults` takes it.
    faults: Option<Value>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Validation, message)
}

fn currency(code: &str) -> dollr_core::Result<Currency> {
    Currency::parse(code).ok_or_else(|| {
        invalid(format!(
            "unknown sandbox currency {code:?} (USD, LRD or RWF)"
        ))
    })
}

fn decimal(what: &str, value: &Value) -> dollr_core::Result<Decimal> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => {
            return Err(invalid(format!(
                "{what} must be a decimal string, got {other}"
            )))
        }
    };
    Decimal::from_str(&text)
        .map_err(|e| invalid(format!("{what}: {text:?} is not a decimal ({e})")))
}

fn faults(value: Value) -> dollr_core::Result<FaultConfig> {
    let faults: FaultConfig = serde_json::from_value(value)
        .map_err(|e| invalid(format!("invalid sandbox faults: {e}")))?;
    faults
        .check()
        .map_err(|e| invalid(format!("invalid sandbox faults: {e}")))?;
    Ok(faults)
}

fn config(options: StartOptions) -> dollr_core::Result<SandboxConfig> {
    let mut config = SandboxConfig::for_tests(options.settle_ms.unwrap_or(20));
    if let Some(seed) = options.seed {
        config.seed = Some(seed);
    }
    if let Some(port) = options.port {
        config.port = port;
    }
    if let Some(client_id) = options.client_id {
        config.client_id = client_id;
    }
    if let Some(client_secret) = options.client_secret {
        config.client_secret = client_secret;
    }
    if let Some(passcode) = options.passcode {
        config.passcode = passcode;
    }
    if let Some(verified) = options.verified {
        config.verified = verified;
    }
    if let Some(minutes) = options.token_ttl_minutes {
        config.token_ttl_minutes = minutes;
    }
    config.token_ttl_seconds = options.token_ttl_seconds.or(config.token_ttl_seconds);
    if let Some(seconds) = options.checkout_session_ttl_seconds {
        config.checkout_session_ttl_seconds = seconds;
    }
    if let Some(seconds) = options.payout_session_ttl_seconds {
        config.payout_session_ttl_seconds = seconds;
    }
    for (code, balance) in options.wallets.unwrap_or_default() {
        config.wallets.insert(
            currency(&code)?,
            decimal(&format!("wallets.{code}"), &balance)?,
        );
    }
    if let Some(value) = options.faults {
        config.faults = faults(value)?;
    }
    Ok(config)
}

/// Money in the sandbox's documents is a JSON number (the API's wire form); JS would read it
/// through a binary float, so amounts and balances become their exact decimal text.
fn money_as_strings(value: Value) -> Value {
    fn is_money(key: &str) -> bool {
        key == "balance" || key.ends_with("amount")
    }
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(money_as_strings).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, item)| {
                    let item = match item {
                        Value::Number(number) if is_money(&key) => {
                            Value::String(number.to_string())
                        }
                        other => money_as_strings(other),
                    };
                    (key, item)
                })
                .collect(),
        ),
        other => other,
    }
}

fn json_text(value: &impl serde::Serialize) -> dollr_core::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal(format!("could not encode sandbox data: {e}")))
}

/// Starts a sandbox on a free loopback port (its own thread and tokio runtime).
#[napi(js_name = "_startSandbox")]
pub fn start_sandbox(env: Env, options_json: String) -> napi::Result<NativeSandbox> {
    guard_core(&env, || {
        let options: StartOptions =
            serde_json::from_value(parse_json("the sandbox options", &options_json)?)
                .map_err(|e| invalid(format!("invalid sandbox options: {e}")))?;
        let sandbox = Sandbox::start_in_background(config(options)?).map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("the sandbox could not start: {e}"),
            )
        })?;
        Ok(NativeSandbox { sandbox })
    })
}

/// A running in-process sandbox.
#[napi(js_name = "NativeSandbox")]
pub struct NativeSandbox {
    sandbox: Sandbox,
}

#[napi]
impl NativeSandbox {
    /// `http://127.0.0.1:PORT`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.sandbox.url()
    }
    /// The client id its token endpoint accepts.
    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.sandbox.client_id()
    }
    /// The client secret its token endpoint accepts (a test credential, nobody's secret).
    #[napi(getter)]
    pub fn client_secret(&self) -> String {
        self.sandbox.client_secret()
    }
    /// The payout passcode.
    #[napi(getter)]
    pub fn passcode(&self) -> String {
        self.sandbox.passcode()
    }
    /// The seed of every random decision (to replay a failing run).
    #[napi(getter)]
    pub fn seed(&self) -> i64 {
        i64::try_from(self.sandbox.seed()).unwrap_or(i64::MAX)
    }
    /// Replaces the fault configuration (`PUT /_sandbox/faults` shape).
    #[napi]
    pub fn set_faults(&self, env: Env, faults_json: String) -> napi::Result<()> {
        guard_core(&env, || {
            self.sandbox
                .set_faults(faults(parse_json("the faults", &faults_json)?)?);
            Ok(())
        })
    }
    /// Appends one fault rule (`POST /_sandbox/faults/rules` shape).
    #[napi]
    pub fn add_fault(&self, env: Env, rule_json: String) -> napi::Result<()> {
        guard_core(&env, || {
            let rule: FaultRule = serde_json::from_value(parse_json("the fault rule", &rule_json)?)
                .map_err(|e| invalid(format!("invalid fault rule: {e}")))?;
            rule.check()
                .map_err(|e| invalid(format!("invalid fault rule: {e}")))?;
            self.sandbox.add_fault(rule);
            Ok(())
        })
    }
    /// The current faults as JSON (counted rules show what is left).
    #[napi]
    pub fn faults(&self, env: Env) -> napi::Result<String> {
        guard_core(&env, || json_text(&self.sandbox.faults()))
    }
    /// The stats document as JSON (same as `GET /_sandbox/stats`).
    #[napi]
    pub fn stats(&self, env: Env) -> napi::Result<String> {
        guard_core(&env, || json_text(&self.sandbox.stats()))
    }
    /// Execution state changes as JSON, oldest first.
    #[napi]
    pub fn events(&self, env: Env) -> napi::Result<String> {
        guard_core(&env, || json_text(&self.sandbox.events()))
    }
    /// The merchant wallets as JSON.
    #[napi]
    pub fn wallets(&self, env: Env) -> napi::Result<String> {
        guard_core(&env, || {
            json_text(&money_as_strings(self.sandbox.wallets()))
        })
    }
    /// Every payment intent as JSON.
    #[napi]
    pub fn payment_intents(&self, env: Env) -> napi::Result<String> {
        guard_core(&env, || {
            json_text(&money_as_strings(self.sandbox.payment_intents()))
        })
    }
    /// Sets a wallet balance (`balance` a decimal string).
    #[napi]
    pub fn set_wallet_balance(
        &self,
        env: Env,
        currency_code: String,
        balance: String,
    ) -> napi::Result<()> {
        guard_core(&env, || {
            let balance = decimal("balance", &Value::String(balance))?;
            self.sandbox
                .set_wallet_balance(currency(&currency_code)?, balance);
            Ok(())
        })
    }
    /// Changes settings at runtime (`PATCH /_sandbox/config` shape).
    #[napi]
    pub fn update_config(&self, env: Env, patch_json: String) -> napi::Result<()> {
        guard_core(&env, || {
            let patch: ConfigPatch =
                serde_json::from_value(parse_json("the config patch", &patch_json)?)
                    .map_err(|e| invalid(format!("invalid sandbox config patch: {e}")))?;
            self.sandbox.update_config(patch);
            Ok(())
        })
    }
    /// Moves an execution to its next state (or, with `to_final`, its final one); returns the new
    /// status.
    #[napi]
    pub fn advance(
        &self,
        env: Env,
        reference_id: String,
        to_final: Option<bool>,
    ) -> napi::Result<String> {
        guard_core(&env, || {
            let moved = if to_final.unwrap_or(false) {
                self.sandbox.advance_to_final(&reference_id)
            } else {
                self.sandbox.advance(&reference_id)
            };
            moved.map_err(|e| {
                let kind = match e {
                    AdvanceError::NotFound => ErrorKind::NotFound,
                    AdvanceError::AlreadyFinal(_) => ErrorKind::Conflict,
                };
                Error::new(kind, format!("cannot advance {reference_id}: {e}"))
            })
        })
    }
    /// Moves the sandbox clock forward by `ms` milliseconds (checked by the JS layer: a whole
    /// number from 0 to 2^53 - 1; an `i64` here so that none of those is truncated).
    #[napi]
    pub fn advance_clock(&self, env: Env, ms: i64) -> napi::Result<()> {
        guard_core(&env, || {
            let ms = u64::try_from(ms)
                .map_err(|_| invalid(format!("`ms` must not be negative, got {ms}")))?;
            self.sandbox.advance_clock(Duration::from_millis(ms));
            Ok(())
        })
    }
    /// Invalidates every issued access token; returns how many there were.
    #[napi]
    pub fn revoke_tokens(&self, env: Env) -> napi::Result<u32> {
        guard_core(&env, || {
            Ok(u32::try_from(self.sandbox.revoke_tokens()).unwrap_or(u32::MAX))
        })
    }
    /// Back to the opening state (data, wallets, faults, stats, clock); settings and tokens stay.
    #[napi]
    pub fn reset(&self, env: Env) -> napi::Result<()> {
        guard_core(&env, || {
            self.sandbox.reset();
            Ok(())
        })
    }
    /// Stops the server and waits for its thread.
    #[napi]
    pub fn stop(&self, env: Env) -> napi::Result<()> {
        guard_core(&env, || {
            self.sandbox.shutdown();
            Ok(())
        })
    }
}
