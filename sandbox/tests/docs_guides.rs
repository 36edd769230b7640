//! Real client code we did not write (the docs' Python Quick Start and Node payout
//! guide, see /tests/sandbox_docs/) runs unchanged against the sandbox, except for
//! its base URL and credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use dollr_sandbox::{Sandbox, SandboxConfig};

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("sandbox_docs")
}

fn show(what: &str, out: &Output) -> String {
    format!(
        "{what} exited with {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run(program: &str, script: &str, sb: &Sandbox, extra: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.arg(scripts_dir().join(script))
        .env("DOLLR_BASE_URL", sb.url())
        .env("DOLLR_CLIENT_ID", sb.client_id())
        .env("DOLLR_CLIENT_SECRET", sb.client_secret())
        .env("DOLLR_POLL_DEADLINE_SECONDS", "20");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("could not run {program}: {e}"))
}

#[test]
fn python_quickstart_runs_unchanged() {
    // The Makefile points DOLLR_TEST_PYTHON at its venv (which has `requests`).
    let python = std::env::var("DOLLR_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = Command::new(&python)
        .args(["-c", "import requests"])
        .output();
    match probe {
        Err(e) => panic!("{python} is required for this test: {e}"),
        Ok(o) if !o.status.success() => panic!(
            "the Python package `requests` is missing for {python}: `{python} -m pip install requests` \
             (`make tools` installs it into .venv and sets DOLLR_TEST_PYTHON)\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => {}
    }
    let sb = Sandbox::start_in_background(SandboxConfig::for_tests(100)).unwrap();
    let out = run(&python, "quickstart.py", &sb, &[]);
    assert!(out.status.success(), "{}", show("quickstart.py", &out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Status: ACTIVE"), "{stdout}");
    assert!(stdout.contains("Execution status: PENDING"), "{stdout}");
    let stats = sb.stats();
    assert_eq!(stats["executions"]["created"], 1);
    assert_eq!(stats["duplicate_payments"], 0);
    assert_eq!(
        stats["requests"]["by_status"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["200"]
    );
}

#[test]
fn node_payout_guide_runs_unchanged_and_a_wrong_passcode_is_refused() {
    let probe = Command::new("node").arg("--version").output();
    let version = match probe {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        _ => panic!("node (18+, for fetch) is required for this test"),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(major >= 18, "node {version} has no global fetch; need 18+");

    let sb = Sandbox::start_in_background(SandboxConfig::for_tests(100)).unwrap();
    let passcode = sb.passcode();
    let out = run(
        "node",
        "payout.mjs",
        &sb,
        &[("MERCHANT_PASSCODE", &passcode)],
    );
    assert!(out.status.success(), "{}", show("payout.mjs", &out));
    assert_eq!(sb.stats()["executions"]["created"], 1);

    let out = run(
        "node",
        "payout.mjs",
        &sb,
        &[
            ("MERCHANT_PASSCODE", "000000"),
            ("EXPECT_PASSCODE_REFUSAL", "1"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        show("payout.mjs (wrong passcode)", &out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Refused as expected"));
    let stats = sb.stats();
    assert_eq!(
        stats["executions"]["created"], 1,
        "the refused payout executed nothing"
    );
    assert_eq!(stats["requests"]["by_status"]["403"], 2);
}
