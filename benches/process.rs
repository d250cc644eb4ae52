//! Whole-process figures of the real binary, printed as a table: a one-runner spec end to end,
//! `check` and `build` on generated specs of 1 and 10 MB (throughput, peak memory through GNU
//! time where it exists), the 10x-input time ratio, and `build` against `cp -r` of the tree it
//! wrote. Each figure is the best of a few runs, on this machine as it is.
//!
//!     cargo bench --bench process

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../examples/gen-spec.rs"]
#[allow(dead_code)]
mod gen_spec;

const RUNNERC: &str = env!("CARGO_BIN_EXE_runnerc");

fn best_of(runs: usize, mut run: impl FnMut() -> Duration) -> Duration {
    (0..runs).map(|_| run()).min().unwrap_or_default()
}

fn timed(command: &mut Command) -> Duration {
    let start = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(status.success(), "{command:?} failed");
    elapsed
}

/// Peak resident memory of a command in KB, through GNU time, if the machine has it.
fn peak_kb(args: &[&str]) -> Option<u64> {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M", RUNNERC])
        .args(args)
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}

fn main() {
    // `cargo bench` passes filter arguments; this bench has one table and ignores them.
    // The files go to memory (/dev/shm) where there is one: on a disk, `build` and `cp -r` both
    // wait on the file system's journal and discards, which vary by seconds from run to run
    // and say nothing about runnerc.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let one = best_of(50, || {
        timed(Command::new(RUNNERC).args(["check", "examples/orders.runner"]))
    });
    let out = dir.path().join("one");
    let one_build = best_of(50, || {
        timed(
            Command::new(RUNNERC)
                .args(["build", "examples/orders.runner", "--out"])
                .arg(&out),
        )
    });
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| one-runner spec, `check`, whole process | {:.2} ms | < 5 ms |",
        one.as_secs_f64() * 1e3
    );
    println!(
        "| one-runner spec, `build`, whole process | {:.2} ms | < 5 ms |",
        one_build.as_secs_f64() * 1e3
    );

    let mut check_times = Vec::new();
    for (label, bytes) in [("1 MB", 1_000_000), ("10 MB", 10_000_000)] {
        let text = gen_spec::spec(None, Some(bytes), 42);
        let spec = dir.path().join(format!("spec-{bytes}.runner"));
        fs::write(&spec, &text).unwrap();
        let spec_str = spec.to_str().unwrap();
        let check = best_of(10, || {
            timed(Command::new(RUNNERC).args(["check", spec_str]))
        });
        check_times.push(check);
        println!(
            "| {label} spec ({} runners), `check` | {:.0} ms, {:.1} MB/s | >= 40 MB/s at 10 MB |",
            text.matches("\nrunner ").count() + 1,
            check.as_secs_f64() * 1e3,
            mb_per_s(text.len(), check)
        );
        if let Some(kb) = peak_kb(&["check", spec_str]) {
            println!(
                "| {label} spec, `check` peak memory | {:.0} MB, {:.1}x the input | <= 10x |",
                kb as f64 / 1e3,
                kb as f64 * 1e3 / text.len() as f64
            );
        }
        let out = dir.path().join(format!("out-{bytes}"));
        for emit in ["json", "all"] {
            let build = best_of(3, || {
                let _ = fs::remove_dir_all(&out);
                timed(
                    Command::new(RUNNERC)
                        .args(["build", spec_str, "--emit", emit, "--out"])
                        .arg(&out),
                )
            });
            let copy = dir.path().join(format!("copy-{bytes}"));
            let cp = best_of(3, || {
                let _ = fs::remove_dir_all(&copy);
                timed(Command::new("cp").arg("-r").arg(&out).arg(&copy))
            });
            let files = count_files(&out);
            println!(
                "| {label} spec, `build --emit {emit}` ({files} files) | {:.0} ms; `cp -r` of its output {:.0} ms: {:.2}x | <= 2x |",
                build.as_secs_f64() * 1e3,
                cp.as_secs_f64() * 1e3,
                build.as_secs_f64() / cp.as_secs_f64()
            );
        }
        let _ = fs::remove_dir_all(&out);
        if let Some(kb) = peak_kb(&["build", spec_str, "--out", out.to_str().unwrap()]) {
            println!(
                "| {label} spec, `build` peak memory | {:.0} MB, {:.1}x the input | <= 10x |",
                kb as f64 / 1e3,
                kb as f64 * 1e3 / text.len() as f64
            );
        }
    }
    println!(
        "| `check` time, 10 MB over 1 MB | {:.1}x | <= 11x |",
        check_times[1].as_secs_f64() / check_times[0].as_secs_f64()
    );
}

fn count_files(root: &Path) -> usize {
    fs::read_dir(root)
        .map(|entries| {
            entries
                .map(|e| {
                    let path = e.unwrap().path();
                    if path.is_dir() { count_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}
