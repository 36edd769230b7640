//! Rewrites `bindings-swift/src/resources.rs` (the Swift/Kotlin resource objects) from the core's
//! `#[dollr_macros::operations]` declarations: `cargo run -p dollr-core --features bridge --example
//! write_uniffi_resources` (a `make generate` step). The test `uniffi_resources_are_up_to_date` in
//! `core/tests/bridge.rs` fails while the committed file differs.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bindings-swift/src/resources.rs");
    let text = dollr_core::bridge::uniffi_resources_rs();
    let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
    if unchanged {
        println!("{} is up to date", path.display());
    } else {
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
