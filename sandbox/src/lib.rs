//! A stateful local simulation of the Dollr v1 API.
//!
//! All 59 operations of the API reference, served by axum with state in
//! memory: parties, counterparties, invoices and orders with their state
//! machine, sessions, payment accounts, executions that settle over time,
//! receipts, wallets, predictions and fees from one fee schedule, plus
//! deterministic test phone numbers, fault injection and a control plane
//! under `/_sandbox/`. It is built from the API reference, never from
//! `dollr-core`, so the two keep each other honest.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dollr_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig { settle_ms: 50, ..SandboxConfig::default() }).await?;
//! println!("{} {} {}", sandbox.url(), sandbox.client_id(), sandbox.client_secret());
//! # Ok(()) }
//! ```
//!
//! See `sandbox/README.md` for the test numbers, the fee schedule, the state
//! machines and the control endpoints.

mod api;
mod cli;
mod config;
mod conn;
mod control;
mod error;
mod faults;
mod http;
mod model;
mod money;
mod openapi;
mod phone;
mod realtime;
mod server;
mod state;
mod validate;

pub use cli::{run_cli, run_cli_until, shutdown_signal, SandboxArgs};
pub use config::{
    default_wallets, ConfigPatch, SandboxConfig, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_PASSCODE,
    DEFAULT_PORT, DEFAULT_REALTIME_KEY_TTL_SECONDS, DEFAULT_SETTLE_MS,
};
pub use faults::{
    FaultConfig, FaultKind, FaultProblem, FaultRule, FaultScope, MAX_COUNT, MAX_LATENCY_MS,
    MAX_RETRY_AFTER_SECONDS, MAX_RULES,
};
pub use money::Currency;
pub use server::{AdvanceError, Sandbox};
pub use state::RequestLogEntry;

/// The deterministic test numbers (the SDK core exports the same constants).
pub mod test_numbers {
    pub use crate::phone::{
        CARD_3DS, CARD_DECLINE, LR_MTN_DECLINE, LR_MTN_OK, LR_MTN_SLOW, LR_MTN_SLOW_FAIL,
        LR_ORANGE_OK, RW_AIRTEL_OK, RW_MTN_OK,
    };
}

/// The sandbox's whole HTTP router over fresh state, to drive in process without a socket
/// (`tower::ServiceExt::oneshot`): the fuzz target `fuzz/fuzz_targets/sandbox_request.rs`. Its
/// URLs name `http://127.0.0.1:0`; no settle task runs (due transitions apply when a request
/// reads the state), and no realtime server.
pub fn in_process_router(config: &SandboxConfig) -> axum::Router {
    let app = std::sync::Arc::new(http::Shared {
        state: std::sync::Mutex::new(state::State::new(config)),
        notify: tokio::sync::Notify::new(),
        base_url: "http://127.0.0.1:0".to_string(),
        supabase_url: "http://127.0.0.1:0".to_string(),
        max_body: config.max_body_bytes,
        body_timeout: config.body_read_timeout,
        header_timeout: config.header_read_timeout,
    });
    axum::Router::new().fallback_service(server::service(app))
}
