//! The core's `tracing` events, written to stderr when `DOLLR_LOG` asks for them.
//!
//! Node has no logging standard to forward to, so the addon does what the `dollr` CLI does:
//! `DOLLR_LOG` holds `tracing` filter directives (`DOLLR_LOG=debug`: one line per request, every
//! execution step; `DOLLR_LOG=trace`: everything, the HTTP client's own events included), and the
//! lines go to stderr so stdout stays the program's. Unset (the default), nothing is installed and
//! logging costs nothing. Read once, when the first `Client` is made; a process that installed
//! its own `tracing` subscriber keeps it.
//!
//! Secrets: the core never puts a secret in a log field (credentials, tokens and passcodes are
//! `Secret`s that print as `[REDACTED]`); `test/logs.test.js` asserts it at `trace`.

use std::io::IsTerminal;
use std::sync::Once;

/// The environment variable holding the filter.
const VARIABLE: &str = "DOLLR_LOG";

/// Installs the stderr subscriber if `DOLLR_LOG` is set (once per process).
pub(crate) fn install_from_env() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let Ok(directives) = std::env::var(VARIABLE) else {
            return;
        };
        if directives.trim().is_empty() {
            return;
        }
        let filter = match tracing_subscriber::EnvFilter::try_new(&directives) {
            Ok(filter) => filter,
            Err(error) => {
                // Said once, on stderr: a typo in DOLLR_LOG must not pass silently.
                eprintln!("dollr-native: ignoring DOLLR_LOG={directives:?}: {error}");
                return;
            }
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init();
    });
}
