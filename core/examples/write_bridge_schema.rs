//! Rewrites `core/bridge-schema.json` from the code: `cargo run -p dollr-core --example
//! write_bridge_schema` (the `make generate` step). The test `bridge_schema_is_up_to_date` in
//! `core/tests/bridge.rs` fails while the committed file differs from `dollr_core::bridge::schema()`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bridge-schema.json");
    let text = dollr_core::bridge::schema_json();
    let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
    if unchanged {
        println!("{} is up to date", path.display());
    } else {
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
