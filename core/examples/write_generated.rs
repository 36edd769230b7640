//! Rewrites the files the core generates for the bindings, each only if it changed (a `make
//! generate` step): `cargo run -p dollr-core --features bridge --example write_generated -- schema`
//! writes `core/bridge-schema.json` (from `dollr_core::bridge::schema()`), `-- uniffi` writes
//! `bindings-swift/src/resources.rs` (the Swift/Kotlin objects and client methods, from the
//! `#[dollr_macros::operations]`/`#[dollr_macros::flows]` declarations); no argument writes both.
//! The tests `bridge_schema_is_up_to_date` and `uniffi_resources_are_up_to_date` in
//! `core/tests/bridge.rs` fail while a committed file differs.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let which = std::env::args().nth(1);
    let wants = |name: &str| which.as_deref().map_or(true, |chosen| chosen == name);
    if wants("schema") {
        write(
            &root.join("bridge-schema.json"),
            dollr_core::bridge::schema_json(),
        )?;
    }
    if wants("uniffi") {
        let path = root.join("../bindings-swift/src/resources.rs");
        write(&path, dollr_core::bridge::uniffi_resources_rs())?;
    }
    Ok(())
}

/// Writes `text` to `path` unless the file already holds it (no needless rebuilds).
fn write(path: &Path, text: String) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        println!("{} is up to date", path.display());
    } else {
        std::fs::write(path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
