//! What the tests that use external tools share: finding a tool, and skipping loudly.
//!
//! A test whose tool is missing is skipped with a line written straight to the process's
//! stderr, past the test harness's capture, so the skip shows in a passing `cargo test`. Under
//! `RUNNERC_E2E=1` (CI sets it) a missing tool fails the test instead.

#![allow(dead_code)]

pub mod iam;
pub mod trust_cases;

use std::io::Write;
use std::process::{Command, Stdio};

/// Whether every external tool is required (`RUNNERC_E2E=1`).
pub fn e2e_required() -> bool {
    std::env::var("RUNNERC_E2E").is_ok_and(|v| v == "1")
}

/// Reports that `test` did not run and why; fails the test when tools are required.
pub fn skip(test: &str, why: &str) {
    assert!(
        !e2e_required(),
        "{test}: RUNNERC_E2E=1, but it cannot run: {why}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}; set RUNNERC_E2E=1 to make this a failure ***\n"
    );
}

/// Whether a command is on PATH.
pub fn has_command(tool: &str) -> bool {
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
