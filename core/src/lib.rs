//! # dollr-core
//!
//! The Dollr v1 payments API (mobile money and cards in Liberia and Rwanda), implemented once for
//! every dollr SDK: auth with proactive token refresh, every operation with typed models, typed
//! errors, retries, and exactly-once executions.
//!
//! ```no_run
//! # async fn demo() -> dollr_core::Result<()> {
//! let client = dollr_core::Client::builder()
//!     .client_id("id")
//!     .client_secret("secret")
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```

pub mod api;
pub mod auth;
#[cfg(feature = "bridge")]
pub mod bridge;
pub mod client;
pub mod clock;
pub mod config;
pub mod enums;
pub mod error;
pub mod execute;
pub mod flows;
pub mod ids;
pub mod journal;
pub(crate) mod lease;
// The boundary's one duration convention (integer `*_ms`), used by the bridge-facing serde form
// of the core's types.
#[cfg(feature = "bridge")]
pub(crate) mod millis;
pub mod models;
pub mod money;
pub mod rate;
pub(crate) mod realtime;
pub mod reconcile;
pub mod redact;
pub mod runtime;
pub mod secret;
pub mod status;
pub mod test_numbers;
pub mod time;
pub mod transport;
pub mod validate;
pub mod wait;

// The Swift/Kotlin packages (bindings-swift): uniffi's scaffolding for the `uniffi` derives on the
// models, enums and flow types, and the custom types they use. Only with the `uniffi` feature.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("dollr_core");
#[cfg(feature = "uniffi")]
pub mod uniffi_types;

pub use client::{ApiRequest, Client, RetryClass};
pub use config::{
    ClientBuilder, Config, Credentials, JournalConfig, RequestOptions, RetryPolicy, SupabaseConfig,
};
pub use enums::*;
pub use error::{Error, ErrorKind, Result, ValidationDetail};
pub use execute::{new_reference_id, ExecutePolicy, ExecutionRequest};
pub use flows::{
    CollectOutcome, CollectRequest, FlowEvent, FlowOptions, FlowProgress, HostedCheckout,
    HostedCheckoutRequest, LineItem, PaymentVerification, PayoutOutcome, PayoutRequest,
    RefundOutcome, RefundRequest, SourceReceipt, SourceWaitOptions, SourceWaitOutcome,
    StatusTransition, TransferOutcome, TransferRequest,
};
pub use ids::Id;
#[cfg(feature = "postgres")]
pub use journal::PostgresJournal;
#[cfg(not(target_arch = "wasm32"))]
pub use journal::SqliteJournal;
pub use journal::{Intent, IntentOutcome, IntentState, Journal, MemoryJournal};
pub use money::Decimal;
pub use reconcile::{ReconcileEntry, ReconcileOptions, ReconcileOutcome, ReconcileReport};
pub use secret::Secret;
pub use status::{StatusAnomaly, StatusMachine};
pub use time::Timestamp;
pub use wait::{RealtimeTarget, StatusChannel, Transition, WaitOptions, WaitOutcome, Watch};
