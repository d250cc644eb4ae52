//! What the tests that use external tools share: finding a tool, and skipping loudly.
//!
//! A test whose tool is missing is skipped with a line written straight to the process's
//! stderr, past the test harness's capture, so the skip shows in a passing `cargo test`. Under
//! `RUNNERC_E2E=1` (CI sets it) a missing tool fails the test instead. Under
//! `RUNNERC_OFFLINE=1` every test that needs an external tool skips at once, without looking for
//! it: a quick first run. The two together are a contradiction, and fail every such test.
//!
//! Each skip is also appended to the file `RUNNERC_SKIP_LOG` names, when it is set: the test
//! runner of `.cargo/config.toml` (tests/support/skip-summary.sh) sets it for each test binary
//! and prints one summary line after the binary ends.

#![allow(dead_code)]

pub mod action;
pub mod hooks;
pub mod iam;
pub mod simulate;
pub mod trust_cases;

use std::io::Write;
use std::process::{Command, Stdio};

/// Whether every external tool is required (`RUNNERC_E2E=1`).
pub fn e2e_required() -> bool {
    let required = std::env::var("RUNNERC_E2E").is_ok_and(|v| v == "1");
    assert!(
        !(required && offline()),
        "RUNNERC_OFFLINE=1 and RUNNERC_E2E=1 contradict each other: set one of them"
    );
    required
}

/// Whether tests that need an external tool skip without looking for it (`RUNNERC_OFFLINE=1`).
pub fn offline() -> bool {
    std::env::var("RUNNERC_OFFLINE").is_ok_and(|v| v == "1")
}

/// Reports that `test` did not run and why; fails the test when tools are required.
pub fn skip(test: &str, why: &str) {
    assert!(
        !e2e_required(),
        "{test}: RUNNERC_E2E=1, but it cannot run: {why}"
    );
    let why = if offline() { "RUNNERC_OFFLINE=1" } else { why };
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}; set RUNNERC_E2E=1 to make this a failure ***\n"
    );
    record_skip(test, why);
}

/// Appends `TEST<tab>WHY` to the file `RUNNERC_SKIP_LOG` names (tests/support/skip-summary.sh
/// reads it), in one write so lines of tests running at once do not mix.
fn record_skip(test: &str, why: &str) {
    let Some(log) = std::env::var_os("RUNNERC_SKIP_LOG") else {
        return;
    };
    let line = format!(
        "{}\t{}\n",
        test.replace(['\t', '\n'], " "),
        why.replace(['\t', '\n'], " ")
    );
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

/// Whether a command is on PATH (never, under `RUNNERC_OFFLINE=1`).
pub fn has_command(tool: &str) -> bool {
    if offline() {
        return false;
    }
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `python3` can import a module. Only an import that fails as missing counts as
/// missing; anything else about Python is the test's business.
pub fn python_has(module: &str) -> bool {
    if offline() {
        return false;
    }
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when every command is on PATH; otherwise skips `test` (or fails it when required).
pub fn commands_present(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !has_command(t)).collect();
    if missing.is_empty() {
        return true;
    }
    skip(test, &format!("{} not found", missing.join(", ")));
    false
}
