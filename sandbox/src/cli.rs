//! `dollr sandbox`: command-line flags and the foreground server.

use std::future::Future;
use std::io::{self, Write};
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::config::{
    SandboxConfig, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_PASSCODE, DEFAULT_PORT,
    DEFAULT_REALTIME_KEY_TTL_SECONDS, DEFAULT_SETTLE_MS,
};
use crate::faults::{FaultConfig, FaultRule, FaultScope};
use crate::money::Currency;
use crate::server::Sandbox;

fn parse_wallet(s: &str) -> Result<(Currency, Decimal), String> {
    let (cur, amount) = s
        .split_once('=')
        .ok_or_else(|| format!("expected CUR=AMOUNT, got '{s}'"))?;
    let currency = Currency::parse(cur.trim())
        .ok_or_else(|| format!("unsupported currency '{cur}' (USD, LRD or RWF)"))?;
    let amount =
        Decimal::from_str(amount.trim()).map_err(|e| format!("invalid amount '{amount}': {e}"))?;
    if amount.is_sign_negative() {
        return Err("a wallet balance cannot be negative".to_owned());
    }
    Ok((currency, amount))
}

fn parse_scope(s: &str) -> Result<FaultScope, String> {
    match s {
        "executions" => Ok(FaultScope::Executions),
        "v1" | "all" => Ok(FaultScope::V1),
        "token" => Ok(FaultScope::Token),
        "status" => Ok(FaultScope::Status),
        other => Err(format!(
            "unknown scope '{other}' (executions, v1, token, status; realtime faults are set through PUT /_sandbox/faults)"
        )),
    }
}

fn parse_probability(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .parse()
        .map_err(|e| format!("invalid probability '{s}': {e}"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("a probability must be within 0..=1, got {p}"))
    }
}

/// Flags of `dollr sandbox`.
#[derive(clap::Args, Clone, Debug)]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address to bind. Loopback by default; the sandbox has no real security.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Client id accepted by the token endpoint.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Client secret accepted by the token endpoint.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Merchant passcode required by payout executions.
    #[arg(long, default_value = DEFAULT_PASSCODE)]
    pub passcode: String,
    /// Milliseconds for an execution to settle (PROCESSING after half of it).
    #[arg(long, default_value_t = DEFAULT_SETTLE_MS)]
    pub settle_ms: u64,
    /// Seed for reproducible faults and ids (random when absent; printed at start).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Access token lifetime in minutes (the `expires_in` value).
    #[arg(long, default_value_t = 60)]
    pub token_ttl_minutes: u64,
    /// Access token lifetime in seconds (overrides --token-ttl-minutes; for expiry tests).
    #[arg(long)]
    pub token_ttl_seconds: Option<u64>,
    /// Lifetime of checkout sessions and hosted checkouts, in seconds.
    #[arg(long, default_value_t = 900)]
    pub checkout_session_ttl_seconds: u64,
    /// Lifetime of payout sessions, in seconds.
    #[arg(long, default_value_t = 900)]
    pub payout_session_ttl_seconds: u64,
    /// Simulate an unverified merchant: payouts, transfers, refunds, payment
    /// links and hosted checkout answer 403.
    #[arg(long)]
    pub unverified: bool,
    /// Opening wallet balance, e.g. `--wallet USD=500` (repeatable).
    #[arg(long = "wallet", value_name = "CUR=AMOUNT", value_parser = parse_wallet)]
    pub wallets: Vec<(Currency, Decimal)>,
    /// Probability of dropping the response of an execution after it was committed.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub drop_response_rate: f64,
    /// Where --drop-response-rate applies: executions, v1, token or status.
    #[arg(long, default_value = "executions", value_parser = parse_scope)]
    pub drop_response_scope: FaultScope,
    /// Probability of a 5xx before processing (nothing committed).
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub error_rate: f64,
    /// Status used by --error-rate (500 or 503, any 5xx).
    #[arg(long, default_value_t = 500)]
    pub error_status: u16,
    /// Where --error-rate applies: executions, v1, token or status.
    #[arg(long, default_value = "v1", value_parser = parse_scope)]
    pub error_scope: FaultScope,
    /// Probability of a 429 with Retry-After.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub rate_limit_rate: f64,
    /// Retry-After seconds sent with a 429 (0 allowed).
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Where --rate-limit-rate applies: executions, v1, token or status.
    #[arg(long, default_value = "v1", value_parser = parse_scope)]
    pub rate_limit_scope: FaultScope,
    /// Fixed latency added to every /v1 request, in ms.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Random extra latency in [0, N] ms per /v1 request (seeded).
    #[arg(long, default_value_t = 0)]
    pub latency_jitter_ms: u64,
    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Time a client has to send a request body once its head arrived (then 408), in ms.
    #[arg(long, default_value_t = millis(DEFAULT_BODY_READ_TIMEOUT))]
    pub body_read_timeout_ms: u64,
    /// Time a client has to send a complete request head (also the idle keep-alive limit), in ms.
    #[arg(long, default_value_t = millis(DEFAULT_HEADER_READ_TIMEOUT))]
    pub header_read_timeout_ms: u64,
    /// Port of the Supabase Realtime server (0 picks a free port; printed at start).
    #[arg(long, default_value_t = 0)]
    pub realtime_port: u16,
    /// Lifetime of the realtime keys the sandbox issues, in seconds (for expiry tests).
    #[arg(long, default_value_t = DEFAULT_REALTIME_KEY_TTL_SECONDS)]
    pub realtime_key_ttl_seconds: u64,
    /// Stop when standard input reaches its end. Test helpers that start the sandbox as a child
    /// process hold its stdin open: when they exit, however they die (SIGKILL included), the
    /// pipe closes and the sandbox stops with them instead of outliving the test run.
    #[arg(long)]
    pub exit_when_stdin_closes: bool,
}

const fn millis(d: Duration) -> u64 {
    d.as_secs() * 1000 + d.subsec_millis() as u64
}

impl SandboxArgs {
    /// The configuration these flags describe.
    pub fn to_config(&self) -> Result<SandboxConfig, String> {
        if !(500..=599).contains(&self.error_status) {
            return Err(format!(
                "--error-status must be a 5xx code, got {}",
                self.error_status
            ));
        }
        let mut faults = FaultConfig {
            latency_ms: self.latency_ms,
            latency_jitter_ms: self.latency_jitter_ms,
            rules: Vec::new(),
        };
        if self.drop_response_rate > 0.0 {
            faults.rules.push(
                FaultRule::drop_response()
                    .probability(self.drop_response_rate)
                    .scope(self.drop_response_scope),
            );
        }
        if self.error_rate > 0.0 {
            faults.rules.push(
                FaultRule::error(self.error_status)
                    .probability(self.error_rate)
                    .scope(self.error_scope),
            );
        }
        if self.rate_limit_rate > 0.0 {
            faults.rules.push(
                FaultRule::rate_limit(self.retry_after)
                    .probability(self.rate_limit_rate)
                    .scope(self.rate_limit_scope),
            );
        }
        faults
            .check()
            .map_err(|problem| format!("fault flags: {problem}"))?;
        let mut cfg = SandboxConfig {
            host: self.host,
            port: self.port,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            passcode: self.passcode.clone(),
            settle_ms: self.settle_ms,
            seed: self.seed,
            token_ttl_minutes: self.token_ttl_minutes,
            token_ttl_seconds: self.token_ttl_seconds,
            checkout_session_ttl_seconds: self.checkout_session_ttl_seconds,
            payout_session_ttl_seconds: self.payout_session_ttl_seconds,
            verified: !self.unverified,
            faults,
            max_body_bytes: self.max_body_bytes,
            body_read_timeout: Duration::from_millis(self.body_read_timeout_ms.max(1)),
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms.max(1)),
            realtime_port: self.realtime_port,
            realtime_key_ttl_seconds: self.realtime_key_ttl_seconds,
            ..SandboxConfig::default()
        };
        for (currency, amount) in &self.wallets {
            cfg.wallets.insert(*currency, *amount);
        }
        Ok(cfg)
    }
}

/// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// Runs `dollr sandbox`: starts the server, prints `listening on http://HOST:PORT`
/// as the first line on stdout once it accepts connections, and returns `Ok`
/// after SIGINT/SIGTERM once the server has stopped.
pub async fn run_cli(args: SandboxArgs) -> io::Result<()> {
    if args.exit_when_stdin_closes {
        let stdin_closed = stdin_closed()?;
        let stop = async {
            tokio::select! {
                () = shutdown_signal() => {}
                _ = stdin_closed => {}
            }
        };
        run_cli_until(args, io::stdout(), stop).await
    } else {
        run_cli_until(args, io::stdout(), shutdown_signal()).await
    }
}

/// Resolves once standard input reaches its end (or fails). Read on a plain thread, not
/// `spawn_blocking`: the runtime waits for its blocking tasks when it shuts down, and this read
/// may never return.
fn stdin_closed() -> io::Result<tokio::sync::oneshot::Receiver<()>> {
    let (closed, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("dollr-sandbox-stdin".to_owned())
        .spawn(move || {
            let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
            let _ = closed.send(());
        })?;
    Ok(receiver)
}

/// [`run_cli`] with the output and the stop signal supplied by the caller (tests).
pub async fn run_cli_until<W, F>(args: SandboxArgs, mut out: W, stop: F) -> io::Result<()>
where
    W: Write + Send,
    F: Future<Output = ()> + Send,
{
    let config = args
        .to_config()
        .map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?;
    let shown_secret = if config.client_secret == DEFAULT_CLIENT_SECRET {
        DEFAULT_CLIENT_SECRET
    } else {
        "(custom)"
    };
    let shown_passcode = if config.passcode == DEFAULT_PASSCODE {
        DEFAULT_PASSCODE
    } else {
        "(custom)"
    };
    let sandbox = Sandbox::start(config).await?;
    writeln!(out, "listening on {}", sandbox.url())?;
    out.flush()?;
    // The first line is the contract; the rest is for people. A caller that reads the first line
    // and closes the pipe (a common test-helper pattern) must not stop the server, so writes after
    // it are best-effort.
    let details = format!(
        "client_id: {}\nclient_secret: {shown_secret}\npasscode: {shown_passcode}\nseed: {}\ncontrol: {}/_sandbox/stats (see the sandbox README)\nsupabase_url: {}\nsupabase_anon_key: {}\n",
        sandbox.client_id(),
        sandbox.seed(),
        sandbox.url(),
        sandbox.supabase_url(),
        sandbox.supabase_anon_key()
    );
    let _ = out.write_all(details.as_bytes()).and_then(|()| out.flush());
    stop.await;
    sandbox.shutdown();
    sandbox.stopped().await;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SandboxArgs,
    }

    #[test]
    fn every_scope_parses() {
        assert_eq!(parse_scope("executions"), Ok(FaultScope::Executions));
        assert_eq!(parse_scope("v1"), Ok(FaultScope::V1));
        assert_eq!(parse_scope("all"), Ok(FaultScope::V1));
        assert_eq!(parse_scope("token"), Ok(FaultScope::Token));
        assert_eq!(parse_scope("status"), Ok(FaultScope::Status));
        let unknown = parse_scope("statuses").unwrap_err();
        assert!(unknown.contains("status"), "{unknown}");
    }

    #[test]
    fn error_scope_status_reaches_the_rule() {
        let cfg = Cli::parse_from([
            "x",
            "--error-rate",
            "1",
            "--error-status",
            "503",
            "--error-scope",
            "status",
        ])
        .args
        .to_config()
        .unwrap();
        assert_eq!(cfg.faults.rules.len(), 1);
        assert_eq!(cfg.faults.rules[0].effective_scope(), FaultScope::Status);
        assert_eq!(cfg.faults.rules[0].status, Some(503));
    }
}
