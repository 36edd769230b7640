//! The bridge's argument decoding: `dollr_core::bridge::call` with arbitrary JSON for every
//! operation name of the registry, on a client whose transport never opens a socket (it answers
//! every request with one fixed API error). Input: `<operation>\n<JSON arguments>`.
//!
//! Checks, besides "never panics": text that is not JSON never reaches the transport (the
//! binding would have refused it too), and a call refused before sending (`Validation`) sent
//! nothing.
#![no_main]

use dollr_core::bridge::{call, operation_names};
use dollr_core::ErrorKind;
use dollr_fuzz::{offline_client, paused_runtime, select, split_input};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// What the fixed transport answers: the API's own 400 shape, so a call that gets past its
/// arguments ends at its first request (no retry, no wait).
const FIXED_ANSWER: &str = r#"{"detail": "refused by the fuzz transport"}"#;

fuzz_target!(|data: &[u8]| {
    let names = operation_names();
    let (selector, payload) = split_input(data);
    let operation = names[select(selector, &names)];
    let Ok(args) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    let (client, transport) = offline_client();
    transport.answer(400, FIXED_ANSWER);
    let outcome = paused_runtime().block_on(call(&client, operation, args));
    if let Err(error) = outcome {
        if error.kind() == ErrorKind::Validation && error.status().is_none() {
            assert_eq!(
                transport.requests(),
                0,
                "{operation}: refused as invalid ({error}) after sending a request"
            );
        }
    }
});
