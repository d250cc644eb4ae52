//! `runnerc diff` of two versions of a 1,000-runner fleet in which every runner changed (one
//! secret more, one destination narrowed), against `check` of both files, as whole processes of
//! the real binary. The contract's bound: diff takes at most 3x the time of the two checks. Each
//! figure is the best of a few runs, on this machine as it is; the bench fails above the bound.
//!
//!     cargo bench --bench diff

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../examples/gen-spec.rs"]
#[allow(dead_code)]
mod gen_spec;

const RUNNERC: &str = env!("CARGO_BIN_EXE_runnerc");

fn best_of(runs: usize, args: &[&str]) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(RUNNERC)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            let elapsed = start.elapsed();
            assert!(status.code().is_some_and(|c| c == 0), "runnerc {args:?}");
            elapsed
        })
        .min()
        .unwrap()
}

/// Every runner changed: a secret added after its region, its `orders/` destination narrowed.
fn changed(fleet: &str) -> String {
    let mut out = String::with_capacity(fleet.len() + fleet.len() / 20);
    for line in fleet.lines() {
        if let Some(prefix) = line.trim().strip_prefix("prefix \"")
            && let Some(folder) = prefix.strip_suffix("/orders/\"")
        {
            out.push_str(&format!("        prefix \"{folder}/orders/2026/\"\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("    region ") {
            out.push_str("    secret \"bench/added\"\n");
        }
    }
    out
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let old = gen_spec::spec(Some(1000), None, 42);
    let new = changed(&old);
    let (old_path, new_path) = (dir.path().join("old.runner"), dir.path().join("new.runner"));
    std::fs::write(&old_path, &old).unwrap();
    std::fs::write(&new_path, &new).unwrap();
    let (old_path, new_path) = (old_path.to_str().unwrap(), new_path.to_str().unwrap());

    let report = Command::new(RUNNERC)
        .args(["diff", old_path, new_path, "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let changed_runners: std::collections::BTreeSet<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["runner"].as_str().unwrap())
        .collect();
    assert_eq!(changed_runners.len(), 1000, "every runner changed");

    let check = best_of(7, &["check", old_path]) + best_of(7, &["check", new_path]);
    let diff = best_of(7, &["diff", old_path, new_path, "--format", "json"]);
    let ratio = diff.as_secs_f64() / check.as_secs_f64();
    println!("| measure | figure | bound |");
    println!("|---|---|---|");
    println!(
        "| `check` of both files (1,000 runners each, {:.1} MB) | {:.0} ms | |",
        (old.len() + new.len()) as f64 / 1e6,
        check.as_secs_f64() * 1e3
    );
    println!(
        "| `diff` of the two, {} changes | {:.0} ms | |",
        report["changes"].as_array().unwrap().len(),
        diff.as_secs_f64() * 1e3
    );
    println!("| diff / check | {ratio:.1}x | at most 3x |");
    assert!(ratio <= 3.0, "diff takes {ratio:.1}x the time of check");
}
