//! How the core's types that are not uniffi builtins cross the FFI to Swift and Kotlin (feature
//! `uniffi`, used by `bindings-swift`). The models, enums and flow types themselves derive
//! `uniffi::Record` / `uniffi::Enum` where they are defined (`cfg_attr` lines); this module only
//! declares the custom types they contain. On the foreign side, `bindings-swift/uniffi.toml` maps
//! them to idiomatic types (`Decimal` to `java.math.BigDecimal` / `Foundation.Decimal`, `Secret` to a
//! redacting wrapper).

use std::time::{Duration, SystemTime};

use rust_decimal::Decimal;

use crate::execute::ExecutePolicy;
use crate::flows::FlowOptions;
use crate::secret::Secret;
use crate::status::StatusAnomaly;
use crate::time::Timestamp;

uniffi::custom_type!(
    /// An exact decimal amount, carried as its decimal text (`"250.10"`) and parsed back without
    /// rounding (more digits than a `Decimal` holds is an error, never a rounded amount).
    Decimal, String, {
    remote,
    lower: |amount| amount.to_string(),
    try_lift: |text| Ok(Decimal::from_str_exact(text.trim())?),
});

uniffi::custom_type!(
    /// A point in time (UTC): `java.time.Instant` in Kotlin, `Date` in Swift.
    Timestamp, SystemTime, {
    remote,
    lower: |at| SystemTime::from(at),
    try_lift: |at| Ok(Timestamp::from(at)),
});

uniffi::custom_type!(
    /// A secret (client secret, access token, passcode, card `client_secret`). The foreign side wraps
    /// it in a type whose `toString()` / `description` prints `[REDACTED]`.
    Secret, String, {
    lower: |secret| secret.expose().to_string(),
    try_lift: |text| Ok(Secret::new(text)),
});

uniffi::custom_type!(
    /// A status the documented state machine does not allow or does not know, as its message
    /// (reported, never fatal). Only ever sent from Rust to the foreign side.
    StatusAnomaly, String, {
    lower: |anomaly| anomaly.to_string(),
    try_lift: |_text| Err(uniffi::deps::anyhow::anyhow!(
        "a status anomaly is reported by the SDK, never passed to it"
    )),
});

/// The options of a flow without its listener (the flow methods take a `FlowListener` beside the
/// request). A custom type rather than a uniffi Record of `FlowOptions` itself: its Kotlin
/// lowering (`checkedFlowSettings`, bindgen.toml) refuses a negative `java.time.Duration` with a
/// typed `Validation` error naming the option, which a record's generated lowering cannot do.
/// Every field defaults to the core's default.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct FlowSettings {
    /// The longest time to wait for the payment to settle (default 180 s). Reaching it is not an
    /// error: the outcome says `settled == false`.
    #[uniffi(default = None)]
    pub wait_timeout: Option<Duration>,
    /// The first interval between status polls.
    #[uniffi(default = None)]
    pub poll_interval: Option<Duration>,
    /// The longest interval between status polls.
    #[uniffi(default = None)]
    pub max_poll_interval: Option<Duration>,
    /// Retries of a step that is harmless to repeat, after a transient failure (default 4).
    #[uniffi(default = None)]
    pub step_retries: Option<u32>,
    /// How the execution resolves ambiguous outcomes.
    #[uniffi(default = None)]
    pub execute_policy: Option<ExecutePolicy>,
}

uniffi::custom_type!(
    /// A flow's options (`FlowSettings` on the foreign side; progress goes to a listener).
    FlowOptions, FlowSettings, {
    lower: |options| FlowSettings {
        wait_timeout: options.wait_timeout,
        poll_interval: options.poll_interval,
        max_poll_interval: options.max_poll_interval,
        step_retries: options.step_retries,
        execute_policy: options.execute_policy,
    },
    try_lift: |settings| Ok(FlowOptions {
        wait_timeout: settings.wait_timeout,
        poll_interval: settings.poll_interval,
        max_poll_interval: settings.max_poll_interval,
        step_retries: settings.step_retries,
        execute_policy: settings.execute_policy,
        on_progress: None,
    }),
});
