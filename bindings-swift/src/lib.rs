//! # dollr-uniffi (`libdollr_ffi`)
//!
//! The dollr SDK for **Kotlin/JVM and Swift**: one uniffi library over `dollr-core`, from which
//! `uniffi-bindgen` generates both packages (library mode: `bindings-swift/kotlin/` and
//! `bindings-swift/swift/`).
//!
//! What crosses the FFI:
//!
//! * **Records and enums are the core's own types** (`dollr-core` with its `uniffi` feature derives
//!   `uniffi::Record` / `uniffi::Enum` on its models, enums and flow types; `core/src/uniffi_types.rs`
//!   declares the custom types: `Decimal` as exact text, `Timestamp`, `Secret`, `StatusAnomaly`,
//!   `FlowOptions`) and the progress of a flow (`FlowProgress`, `FlowEvent`, and the foreign trait
//!   `FlowListener` that receives them). They appear in the foreign packages as the `dollr_core`
//!   component.
//! * **This crate** (the `dollr` component) adds what the core cannot derive: the client and its
//!   resources as objects with `async` methods, the one error enum ([`DollrError`]), the foreign
//!   traits (token provider, transition listener), the cancellable [`WaitHandle`],
//!   the few uniffi-facing types a Rust callback or a non-FFI type forced (see each module), and
//!   [`TestSandbox`] (the in-process sandbox for tests).
//!
//! Every `async` export runs on the binding's one tokio runtime ([`runtime`]), is declared with
//! `async_runtime = "tokio"` (a test enforces it), and turns a panic into
//! [`DollrError::Internal`]; synchronous exports catch panics the same way.

uniffi::setup_scaffolding!("dollr");

// The core's remote custom types (declared in `core/src/uniffi_types.rs`), used directly in this
// crate's signatures.
use dollr_core::{Decimal, Timestamp};
uniffi::use_remote_type!(dollr_core::Decimal);
uniffi::use_remote_type!(dollr_core::Timestamp);

pub mod auth;
pub mod client;
pub mod error;
pub mod requests;
pub mod resources;
pub mod runtime;
pub mod sandbox;
pub mod wait;

pub use auth::{AccessTokenProvider, ProvidedToken};
pub use client::{ClientOptions, DollrClient, ReconcileEntry, ReconcileReport};
pub use error::DollrError;
pub use sandbox::TestSandbox;
pub use wait::{TransitionListener, WaitHandle, WaitOptions};
