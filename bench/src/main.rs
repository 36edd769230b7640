//! `dollr-bench`: the driver of `make bench` and its Rust contenders.
//!
//! ```text
//! dollr-bench run [--flows 1000] [--rounds 5] ...      the whole matrix → BENCHMARKS.md + table
//! dollr-bench contender limit|core --url URL [--concurrency C]   one contender (line protocol)
//! dollr-bench journal --sandbox-binary B [--postgres-url U]      the journal rows
//! dollr-bench realtime --sandbox-binary B [--samples 20]         realtime vs polling latency
//! dollr-bench bulk --dollr-binary target/release/dollr [--payouts 10000]   the bulk-payout row
//! dollr-bench callgrind [--only rust-limit-1,rust-core-1] [--flows 20]   instructions per flow
//! dollr-bench memory [--only py-dollr-1] [--total 100000]   RSS idle, after 1,000 and 100,000 calls
//! dollr-bench ceiling [--seconds 5] [--rounds 3]              the sandbox beside nginx under wrk
//! ```
//!
//! See `bench/README.md` for the method.

mod bulk;
mod callgrind;
mod ceiling;
mod contender;
mod driver;
mod flow;
mod journal;
mod memory;
mod protocol;
mod realtime;
mod report;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "dollr-bench",
    about = "The collect-flow benchmark matrix of `make bench`"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs the whole matrix against one sandbox and writes the report.
    Run(Box<driver::RunArgs>),
    /// Serves one Rust contender over the driver's line protocol (stdin/stdout).
    Contender {
        kind: contender::Kind,
        /// The sandbox's base URL.
        #[arg(long)]
        url: String,
        /// Flows in flight at once.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
    },
    /// The journal rows: intents journaled per second (memory, SQLite, PostgreSQL) and
    /// reconcile() throughput over 10,000 pending intents.
    Journal(journal::JournalArgs),
    /// The realtime row: commit of COMPLETED → caller, over Supabase Realtime and by polling.
    Realtime(realtime::RealtimeArgs),
    /// The bulk-payout row: `dollr payouts run` over 10,000 payouts against the sandbox's ceiling
    /// for the same payouts, and the CLI's peak RSS.
    Bulk(bulk::BulkArgs),
    /// Instructions per flow of the sequential contenders, counted by valgrind's callgrind: the
    /// figure machine noise cannot move.
    Callgrind(Box<callgrind::CallgrindArgs>),
    /// Resident memory of each SDK idle, after 1,000 calls and after 100,000.
    Memory(Box<memory::MemoryArgs>),
    /// The sandbox's read and write paths beside nginx serving the same bytes, loaded by wrk.
    Ceiling(ceiling::CeilingArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => driver::run(*args),
        Command::Contender {
            kind,
            url,
            concurrency,
        } => contender::serve(kind, &url, concurrency),
        Command::Journal(args) => journal::run(args),
        Command::Realtime(args) => realtime::run(args),
        Command::Bulk(args) => bulk::run(args),
        Command::Callgrind(args) => callgrind::run(*args),
        Command::Memory(args) => memory::run(*args),
        Command::Ceiling(args) => ceiling::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dollr-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
