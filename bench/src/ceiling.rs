//! `dollr-bench ceiling`: the sandbox's own ceiling beside nginx's, measured by `wrk` from a
//! second process in the same run (#19).
//!
//! The matrix measures clients; this row keeps the server they talk to visible, so a regression
//! in the sandbox cannot hide behind them. `wrk` (2 threads, 64 connections, 5 s each) loads:
//! the sandbox's authenticated read path `GET /v1/fees/tiers`, its write path
//! `POST /v1/parties/create`, and nginx serving the very bytes the read path answers as a static
//! file (`application/json`) — what a well-tuned static server does with the same response on the
//! same machine. All three share the machine with `wrk` itself, as a real load test would.
//!
//! A rate measured this way moves with whatever else the host runs (the same nginx read 68,000
//! and 84,000 requests/s a minute apart), so the targets are loaded in turn, round after round,
//! and each ratio is taken within a round; beside the rates, the server's own CPU time per request
//! (`/proc`, nginx's workers included), which the host's load moves much less.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use crate::driver::{write_table, SandboxProcess};
use crate::stats::{cpu_ns, median, min_max};

/// `dollr-bench ceiling` options.
#[derive(Debug, Clone, clap::Args)]
pub struct CeilingArgs {
    /// The `dollr` binary that serves the sandbox (release build).
    #[arg(long, default_value = "target/release/dollr")]
    pub sandbox: PathBuf,
    /// Seconds of load per target and round.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Rounds: each loads every target once, in turn.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// wrk's connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// wrk's threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Where to write the table (markdown).
    #[arg(long, default_value = "target/bench/ceiling.md")]
    pub out: PathBuf,
    /// Scratch directory (nginx's configuration and document root, wrk's script).
    #[arg(long, default_value = "target/bench/ceiling")]
    pub work: PathBuf,
}

/// The sandbox's default credentials (`dollr sandbox` without flags).
const CLIENT_ID: &str = "dollr_test_client";
const CLIENT_SECRET: &str = "dollr_test_secret";
/// The body of the write path: the docs' party.
const PARTY: &str = r#"{"fullname":"Amara Kamara","phone":"231771234567","email":"amara@example.com","country_code":"LR"}"#;

/// One target loaded by wrk once.
struct Load {
    requests_per_second: f64,
    p99: String,
    /// The server's CPU time per request (µs), its worker processes included.
    cpu_us_per_request: f64,
}

pub fn run(args: CeilingArgs) -> Result<()> {
    for tool in ["wrk", "nginx"] {
        if !on_path(tool) {
            bail!("{tool} is not installed (apt-get install wrk nginx-light)");
        }
    }
    std::fs::create_dir_all(&args.work)?;
    let work = std::path::absolute(&args.work)?;
    let sandbox = SandboxProcess::start(&args.sandbox)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::new();
    let token: serde_json::Value = runtime.block_on(async {
        http.post(format!("{}/v1/jwt/client/obtain/token", sandbox.url))
            .json(&serde_json::json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    })?;
    let token = token["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("the sandbox answered no access_token"))?
        .to_string();
    let tiers = runtime.block_on(async {
        http.get(format!("{}/v1/fees/tiers", sandbox.url))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await
    })?;

    // nginx: the read path's exact bytes as a static file.
    let root = work.join("root");
    std::fs::create_dir_all(root.join("v1/fees"))?;
    std::fs::write(root.join("v1/fees/tiers"), &tiers)?;
    let nginx_port = free_port()?;
    let nginx = Nginx::start(&work, &root, nginx_port)?;

    let script = work.join("post_party.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{PARTY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )?;
    let auth = format!("Authorization: Bearer {token}");
    let sandbox_pid = sandbox.pid();
    let nginx_pid = nginx.child.id();
    let targets = [
        Target {
            label: "sandbox, read: GET /v1/fees/tiers (bearer token checked)",
            url: format!("{}/v1/fees/tiers", sandbox.url),
            header: Some(auth.as_str()),
            script: None,
            server: sandbox_pid,
        },
        Target {
            label: "nginx, the same bytes as a static file",
            url: format!("http://127.0.0.1:{nginx_port}/v1/fees/tiers"),
            header: None,
            script: None,
            server: nginx_pid,
        },
        Target {
            label: "sandbox, write: POST /v1/parties/create",
            url: format!("{}/v1/parties/create", sandbox.url),
            header: Some(auth.as_str()),
            script: Some(script.as_path()),
            server: sandbox_pid,
        },
    ];
    // loads[target][round]
    let mut loads: Vec<Vec<Load>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 1..=args.rounds.max(1) {
        for (target, target_loads) in targets.iter().zip(&mut loads) {
            let load = wrk(&args, target)?;
            eprintln!(
                "ceiling: round {round}: {}: {:.0} requests/s (p99 {}), \
                 server CPU {:.2} µs/request",
                target.label, load.requests_per_second, load.p99, load.cpu_us_per_request
            );
            target_loads.push(load);
        }
    }
    drop(nginx);
    drop(sandbox);

    let mut out = format!(
        "The sandbox's ceiling beside nginx (`make bench-ceiling`): `wrk -t{t} -c{c} -d{s}s` from a \
         second process, same machine; the read path's {bytes}-byte answer served by nginx \
         {version} as a static file. The three targets are loaded in turn, {rounds} rounds: \
         requests/s is the median round (the range beside it), **vs nginx** the median of each \
         round's ratio to nginx's rate in that round; **server CPU** is the server process's CPU \
         time per request (nginx's workers included; the median of the rounds), which the host's \
         other load moves much less than a rate.\n\n\
         | target | requests/s | range | p99 latency | vs nginx | server CPU µs/request \
         | CPU vs nginx |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        t = args.threads,
        c = args.connections,
        s = args.seconds,
        rounds = args.rounds.max(1),
        bytes = tiers.len(),
        version = nginx_version().unwrap_or_else(|| "(version unknown)".into()),
    );
    let nginx_loads = &loads[1];
    let nginx_cpu = median(&cpu_per_request(nginx_loads));
    for (Target { label, .. }, target_loads) in targets.iter().zip(&loads) {
        let rates: Vec<f64> = target_loads.iter().map(|l| l.requests_per_second).collect();
        let ratios: Vec<f64> = target_loads
            .iter()
            .zip(nginx_loads)
            .map(|(load, nginx)| load.requests_per_second / nginx.requests_per_second.max(1.0))
            .collect();
        let cpu = median(&cpu_per_request(target_loads));
        let (low, high) = min_max(&rates);
        out.push_str(&format!(
            "| {label} | {:.0} | {low:.0}–{high:.0} | {} | {:.2}× | {cpu:.2} | {:.2}× |\n",
            median(&rates),
            median_round(target_loads).p99,
            median(&ratios),
            cpu / nginx_cpu.max(f64::MIN_POSITIVE),
        ));
    }
    write_table(&args.out, &out)
}

fn cpu_per_request(loads: &[Load]) -> Vec<f64> {
    loads.iter().map(|l| l.cpu_us_per_request).collect()
}

/// The round whose rate is the median (the lower middle one for an even count).
fn median_round(loads: &[Load]) -> &Load {
    let mut order: Vec<&Load> = loads.iter().collect();
    order.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    order[(order.len().saturating_sub(1)) / 2]
}

/// CPU time (ns) of process `pid` and of its children (nginx's workers).
fn process_tree_cpu_ns(pid: u32) -> u64 {
    cpu_ns(pid) + children(pid).into_iter().map(cpu_ns).sum::<u64>()
}

/// The processes whose parent is `pid` (field 4 of `/proc/PID/stat`, after the parenthesised
/// command, which may itself contain spaces and parentheses).
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let parent: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (parent == pid).then_some(child)
        })
        .collect()
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        || Path::new("/usr/sbin").join(tool).exists()
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One wrk run against the server `server` (its process id): requests/s, the p99 latency as wrk
/// prints it, and the server's CPU time per request over the run.
/// One server and request that `wrk` loads.
struct Target<'a> {
    label: &'static str,
    url: String,
    /// A header sent with every request (the sandbox's bearer token).
    header: Option<&'a str>,
    /// The Lua script that makes the request a POST with a body.
    script: Option<&'a Path>,
    /// The server's process, whose CPU time is read around the load.
    server: u32,
}

fn wrk(args: &CeilingArgs, target: &Target<'_>) -> Result<Load> {
    let mut command = Command::new("wrk");
    command.args([
        format!("-t{}", args.threads),
        format!("-c{}", args.connections),
        format!("-d{}s", args.seconds),
        "--latency".into(),
    ]);
    if let Some(header) = target.header {
        command.args(["-H", header]);
    }
    if let Some(script) = target.script {
        command.arg("-s").arg(script);
    }
    let cpu_before = process_tree_cpu_ns(target.server);
    let output = command.arg(&target.url).stdin(Stdio::null()).output()?;
    let cpu_ns = process_tree_cpu_ns(target.server).saturating_sub(cpu_before);
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let (requests_per_second, requests, p99) =
        parse_wrk(&text).ok_or_else(|| anyhow!("could not read wrk's output:\n{text}"))?;
    Ok(Load {
        requests_per_second,
        p99,
        cpu_us_per_request: cpu_ns as f64 / 1000.0 / requests.max(1) as f64,
    })
}

/// `Requests/sec:`, the request count (`N requests in Ts`) and the `99%` line of `--latency`;
/// refuses a run with non-2xx answers or socket errors (a rate of errors is not a ceiling).
fn parse_wrk(text: &str) -> Option<(f64, u64, String)> {
    if text.contains("Non-2xx or 3xx responses") || text.contains("Socket errors") {
        return None;
    }
    let rate = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|rest| rest.trim().parse().ok())?;
    let requests = text
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(count, _)| count.trim().parse().ok())?;
    let p99 = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .map(|rest| rest.trim().to_string())
        .unwrap_or_else(|| "—".into());
    Some((rate, requests, p99))
}

fn nginx_version() -> Option<String> {
    let output = Command::new("nginx").arg("-v").output().ok()?;
    // nginx prints `nginx version: nginx/1.22.1` on stderr.
    String::from_utf8_lossy(&output.stderr)
        .trim()
        .rsplit('/')
        .next()
        .map(str::to_string)
}

/// An nginx in the foreground with its own prefix and configuration, stopped on drop.
struct Nginx {
    child: Child,
}

impl Nginx {
    fn start(work: &Path, root: &Path, port: u16) -> Result<Nginx> {
        let prefix = work.join("nginx");
        std::fs::create_dir_all(prefix.join("logs"))?;
        let conf = prefix.join("nginx.conf");
        // Tuned as a static server would be: one worker per core, keep-alive without a limit that
        // wrk would hit, no access log, sendfile.
        let mut file = std::fs::File::create(&conf)?;
        write!(
            file,
            "worker_processes auto;\ndaemon off;\nerror_log {prefix}/logs/error.log;\npid {prefix}/nginx.pid;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nodelay on;\n  keepalive_requests 1000000;\n\
               client_body_temp_path {prefix}/tmp;\n  proxy_temp_path {prefix}/tmp;\n  fastcgi_temp_path {prefix}/tmp;\n\
               uwsgi_temp_path {prefix}/tmp;\n  scgi_temp_path {prefix}/tmp;\n\
               server {{\n    listen 127.0.0.1:{port};\n    root {root};\n    default_type application/json;\n  }}\n}}\n",
            prefix = prefix.display(),
            root = root.display(),
        )?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting nginx")?;
        let mut nginx = Nginx { child };
        // Ready when it accepts connections (deadline: a busy machine).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(nginx);
            }
            if let Some(status) = nginx.child.try_wait()? {
                let mut why = String::new();
                if let Some(stderr) = nginx.child.stderr.take() {
                    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                        why.push_str(&line);
                        why.push('\n');
                    }
                }
                bail!("nginx exited ({status}): {why}");
            }
            if Instant::now() >= deadline {
                bail!("nginx did not listen on port {port} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Nginx {
    /// SIGTERM, not SIGKILL: nginx's master stops its workers on TERM, while a killed master leaves
    /// them running (orphaned, still listening). SIGKILL only if it has not ended within 10 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_child_processes() {
        let mut child = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep started");
        let found = children(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&child.id()), "{found:?}");
        assert!(!found.contains(&std::process::id()));
    }

    #[test]
    fn reads_wrk_output() {
        let text = "Running 10s test @ http://127.0.0.1:1/v1/fees/tiers\n  2 threads and 64 connections\n  Latency Distribution\n     50%  650.00us\n     99%    2.31ms\n  786000 requests in 10.00s, 250.00MB read\nRequests/sec:  78600.12\nTransfer/sec:     25.00MB\n";
        assert_eq!(
            parse_wrk(text),
            Some((78600.12, 786000, "2.31ms".to_string()))
        );
        let errors = format!("{text}  Non-2xx or 3xx responses: 12\n");
        assert_eq!(parse_wrk(&errors), None);
    }
}
