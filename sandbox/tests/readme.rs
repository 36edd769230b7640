//! The Rust code of sandbox/README.md, run: `tests/docs/run_code_blocks.py` fails `make test` when
//! a README block is not found here verbatim, so the README shows what this test compiles and runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::error::Error;

use serde_json::json;

// The README's layout (several calls on a line, aligned comments) is kept as written.
// Both ways of starting are shown; the first sandbox is only started.
#[allow(unused_variables)]
#[rustfmt::skip]
#[tokio::test]
async fn the_readmes_in_process_example_runs() -> Result<(), Box<dyn Error>> {
    use dollr_sandbox::{FaultRule, Sandbox, SandboxConfig};

    // On the current tokio runtime:
    let sb = Sandbox::start(SandboxConfig { settle_ms: 50, ..SandboxConfig::default() }).await?;
    // Or on its own thread + runtime (Python/Node/Kotlin helpers, no runtime needed;
    // also fine from inside a runtime):
    let sb = Sandbox::start_in_background(SandboxConfig::for_tests(50))?;

    // What the README leaves to the reader: an execution to advance.
    let api = common::Client::new(&sb).await;
    let (_, reference_id, execution) = api.collect("231771234567", "USD", json!(10)).await;
    assert_eq!(execution["status"], "PENDING");

    sb.url();            // "http://127.0.0.1:PORT" (port 0 by default = free port)
    sb.client_id(); sb.client_secret(); sb.passcode();
    sb.add_fault(FaultRule::drop_response().count(1));   // or set_faults(FaultConfig)
    sb.advance(&reference_id)?;                           // next state, like POST /_sandbox/advance
    sb.advance_clock(std::time::Duration::from_secs(60));
    sb.stats();          // serde_json::Value, same as GET /_sandbox/stats
    sb.request_log();    // Vec<RequestLogEntry>
    sb.reset();
    sb.shutdown();       // also on drop of the last clone
    Ok(())
}
