//! The `dollr` command: `dollr sandbox` serves a local simulation of the Dollr API, `dollr demo`
//! runs a collection and a payout end to end (on an embedded sandbox unless `--base-url` is given),
//! `dollr payouts run FILE.csv` pays a file of payouts exactly once (resumable).

mod demo;
mod payouts;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the sandbox server allocates ~40 times per request (hyper,
/// axum), and glibc's malloc and free were ~27 % of its read path's instructions (issue #19).
/// Its heap per thread costs little since the SQLite journal stopped parking a thread per
/// waiting write (decision 0027).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// dollr — the Dollr payments SDK's command line.
#[derive(Parser, Debug)]
#[command(name = "dollr", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve a stateful local Dollr API with test numbers and fault injection.
    Sandbox(dollr_sandbox::SandboxArgs),
    /// Run a collection and a payout end to end, printing each step and status transition.
    Demo(demo::DemoArgs),
    /// Pay a CSV file of payouts exactly once (resumable, rate-limited, with a results file).
    Payouts {
        #[command(subcommand)]
        command: payouts::PayoutsCommand,
    },
}

fn init_logging() {
    // Logs go to stderr so stdout stays machine-readable (`dollr sandbox` prints its URL there).
    // RUST_LOG=dollr_core=debug shows every request; secrets are never logged.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Payouts { command } => return payouts::run(command).await,
        Command::Sandbox(args) => dollr_sandbox::run_cli(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Demo(args) => demo::run(args).await.map_err(|e| e.to_string()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dollr: {message}");
            ExitCode::FAILURE
        }
    }
}
