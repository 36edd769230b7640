//! The in-process sandbox (`dollr-sandbox`) for tests: a local simulation of the Dollr API on a
//! free port, with the sandbox's test credentials, fault injection and inspection. The Kotlin
//! suite runs on it; apps can use it for their own tests. Its JSON answers are the same documents
//! as `GET /_sandbox/...` (see `sandbox/README.md`).

use std::collections::HashMap;
use std::sync::Arc;

use dollr_core::Decimal;
use dollr_sandbox::{ConfigPatch, Currency, FaultConfig, Sandbox, SandboxConfig};

use crate::client::DollrClient;
use crate::error::DollrError;
use crate::runtime::guard;
use dollr_core::bridge::ClientOptions;

/// How a test sandbox starts. Unset values keep the sandbox's test defaults (settle time 20 ms,
/// seed 7, verified merchant, USD 10,000.00 / LRD 1,900,000.00 / RWF 14,000,000 wallets).
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct SandboxOptions {
    /// Time for an execution to go `PENDING → PROCESSING` (half) `→` final.
    #[uniffi(default = None)]
    pub settle_ms: Option<u64>,
    /// `false`: an unverified merchant (payouts, transfers, refunds, hosted checkout answer 403).
    #[uniffi(default = None)]
    pub verified: Option<bool>,
    /// Opening balances by currency code (`USD`, `LRD`, `RWF`); others keep their defaults.
    #[uniffi(default)]
    pub wallets: HashMap<String, Decimal>,
    /// Faults active from the start, as `PUT /_sandbox/faults` takes them (JSON).
    #[uniffi(default = None)]
    pub faults_json: Option<String>,
    /// Access-token lifetime in seconds (token expiry tests).
    #[uniffi(default = None)]
    pub token_ttl_seconds: Option<u64>,
}

/// A running in-process sandbox. Stops when `stop()` is called or the object is released.
#[derive(uniffi::Object)]
pub struct TestSandbox {
    inner: Sandbox,
}

fn invalid(field: &str, message: impl Into<String>) -> DollrError {
    DollrError::from(dollr_core::Error::invalid_field(field, message))
}

fn faults(json: &str) -> Result<FaultConfig, DollrError> {
    let faults: FaultConfig =
        serde_json::from_str(json).map_err(|e| invalid("faults_json", e.to_string()))?;
    faults.check().map_err(|e| invalid("faults_json", e))?;
    Ok(faults)
}

#[uniffi::export]
impl TestSandbox {
    /// Starts a sandbox on a free loopback port, on its own thread.
    #[uniffi::constructor(default(options))]
    pub fn start(options: SandboxOptions) -> Result<Arc<TestSandbox>, DollrError> {
        guard(|| {
            let mut config = SandboxConfig::for_tests(options.settle_ms.unwrap_or(20));
            if let Some(verified) = options.verified {
                config.verified = verified;
            }
            for (code, balance) in options.wallets {
                let currency = Currency::parse(&code)
                    .ok_or_else(|| invalid("wallets", format!("unknown currency {code:?}")))?;
                config.wallets.insert(currency, balance);
            }
            if let Some(json) = &options.faults_json {
                config.faults = faults(json)?;
            }
            config.token_ttl_seconds = options.token_ttl_seconds;
            let inner = Sandbox::start_in_background(config)
                .map_err(|e| DollrError::internal(format!("the sandbox did not start: {e}")))?;
            Ok(Arc::new(TestSandbox { inner }))
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// The client id the sandbox accepts.
    pub fn client_id(&self) -> String {
        self.inner.client_id()
    }

    /// The client secret the sandbox accepts (a test value, nobody's secret).
    pub fn client_secret(&self) -> String {
        self.inner.client_secret()
    }

    /// The merchant passcode payouts need.
    pub fn passcode(&self) -> String {
        self.inner.passcode()
    }

    /// A client for this sandbox with its credentials (environment variables ignored).
    #[uniffi::method(default(options))]
    pub fn client(&self, options: ClientOptions) -> Result<Arc<DollrClient>, DollrError> {
        let options = ClientOptions {
            base_url: Some(self.inner.url()),
            ignore_env: true,
            ..options
        };
        DollrClient::new(self.inner.client_id(), self.inner.client_secret(), options)
    }

    /// Replaces the fault configuration (JSON, as `PUT /_sandbox/faults`).
    pub fn set_faults(&self, faults_json: String) -> Result<(), DollrError> {
        let config = faults(&faults_json)?;
        self.inner.set_faults(config);
        Ok(())
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    /// Changes settings while running (JSON, as `PATCH /_sandbox/config`: `settle_ms`,
    /// `verified`, token lifetimes, …).
    pub fn update_config(&self, patch_json: String) -> Result<(), DollrError> {
        let patch: ConfigPatch =
            serde_json::from_str(&patch_json).map_err(|e| invalid("patch_json", e.to_string()))?;
        self.inner.update_config(patch);
        Ok(())
    }

    /// Sets the merchant wallet balance of `currency`.
    pub fn set_wallet_balance(&self, currency: String, balance: Decimal) -> Result<(), DollrError> {
        let code = Currency::parse(&currency)
            .ok_or_else(|| invalid("currency", format!("unknown currency {currency:?}")))?;
        self.inner.set_wallet_balance(code, balance);
        Ok(())
    }

    /// Request, execution and fault counters (JSON, as `GET /_sandbox/stats`).
    pub fn stats(&self) -> String {
        self.inner.stats().to_string()
    }

    /// The merchant wallets (JSON array, as `GET /_sandbox/wallets`).
    pub fn wallets(&self) -> String {
        self.inner.wallets().to_string()
    }

    /// Every execution's payment intent (JSON array; its `id` is a refund's
    /// `original_payment_intent_id`).
    pub fn payment_intents(&self) -> String {
        self.inner.payment_intents().to_string()
    }

    /// Moves the execution to its next state; returns the new status.
    pub fn advance(&self, reference_id: String) -> Result<String, DollrError> {
        self.inner
            .advance(&reference_id)
            .map_err(|e| invalid("reference_id", e.to_string()))
    }

    /// Moves the execution straight to its final state; returns it.
    pub fn advance_to_final(&self, reference_id: String) -> Result<String, DollrError> {
        self.inner
            .advance_to_final(&reference_id)
            .map_err(|e| invalid("reference_id", e.to_string()))
    }

    /// Revokes every access token issued so far (the next call with one gets a 401); returns how
    /// many.
    pub fn revoke_tokens(&self) -> u64 {
        u64::try_from(self.inner.revoke_tokens()).unwrap_or(u64::MAX)
    }

    /// Forgets every object and counter (the configuration stays).
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// Stops the server.
    pub fn stop(&self) {
        self.inner.shutdown();
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        self.inner.shutdown();
    }
}
