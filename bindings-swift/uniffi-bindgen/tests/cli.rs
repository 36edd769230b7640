//! The generator's command line: without its four arguments it explains itself and fails. (This
//! test also makes the workspace's test build produce `target/debug/uniffi-bindgen`, which the
//! drift check of the Swift/Kotlin bindings runs.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn without_arguments_it_prints_its_usage_and_fails() {
    let output = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("usage: uniffi-bindgen kotlin|swift"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_language_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .args(["ruby", "config.toml", "libx.so", "out"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown language \"ruby\""));
}
