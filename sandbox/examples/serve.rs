//! Runs the sandbox in the foreground, like `dollr sandbox` will:
//! `cargo run -p dollr-sandbox --example serve -- --port 8787 --settle-ms 500`.

use clap::Parser;
use dollr_sandbox::{run_cli, SandboxArgs};

#[derive(Parser)]
#[command(name = "serve", about = "A local simulation of the Dollr v1 API")]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    run_cli(Cli::parse().args).await
}
