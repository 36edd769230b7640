//! `uniffi-bindgen`: generates the Kotlin or Swift bindings of a built `libdollr_ffi` (uniffi
//! library mode: every component in the library, here `dollr` and `dollr_core`).
//!
//! ```text
//! uniffi-bindgen kotlin CONFIG LIBRARY OUT_DIR   # OUT_DIR/<package path>/<namespace>.kt
//! uniffi-bindgen swift  CONFIG LIBRARY OUT_DIR   # .swift sources, C headers, one modulemap (DollrFFI)
//! ```
//!
//! CONFIG is a uniffi global config (`bindings-swift/bindgen.toml`). Run it inside the workspace:
//! it reads `cargo metadata` to find each crate. Built by the workspace's test build (its CLI test
//! needs the binary), used by `make generate-swift` and the drift check; never by a default
//! `cargo build`. The Kotlin it writes is then changed where uniffi's JNA helpers would allocate
//! native memory on every call ([`kotlin_jna`]) and where a suspending call awaits Rust
//! ([`kotlin_finish`]: one call and one callback).

use anyhow::{bail, Result};
use camino::Utf8PathBuf;
mod kotlin_finish;
mod kotlin_jna;

use uniffi_bindgen::bindings::{
    generate, generate_swift_bindings, GenerateOptions, SwiftBindingsOptions, TargetLanguage,
};

const USAGE: &str = "usage: uniffi-bindgen kotlin|swift CONFIG LIBRARY OUT_DIR";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [language, config, library, out_dir] = args.as_slice() else {
        bail!("{USAGE}");
    };
    let config = Utf8PathBuf::from(config);
    let source = Utf8PathBuf::from(library);
    let out_dir = Utf8PathBuf::from(out_dir);
    match language.as_str() {
        "kotlin" => {
            generate(GenerateOptions {
                languages: vec![TargetLanguage::Kotlin],
                source,
                out_dir: out_dir.clone(),
                config_override: Some(config),
                format: false,
                crate_filter: None,
                metadata_no_deps: false,
            })?;
            kotlin_jna::apply(&out_dir)
        }
        "swift" => generate_swift_bindings(SwiftBindingsOptions {
            generate_swift_sources: true,
            generate_headers: true,
            generate_modulemap: true,
            source,
            out_dir,
            xcframework: false,
            module_name: Some("DollrFFI".to_string()),
            modulemap_filename: Some("module.modulemap".to_string()),
            metadata_no_deps: false,
            link_frameworks: Vec::new(),
            config: Some(config),
        }),
        other => bail!("unknown language {other:?}; {USAGE}"),
    }
}
