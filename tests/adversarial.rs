//! Inputs built to hurt: a 50 MB string literal, 100,000 runners, a line of a million `#`, a
//! runner of 100,000 repeated blocks, a million opening braces. Each either compiles or is
//! refused with a clear, short error; none panics, hangs or floods the terminal. (Speed and
//! memory are measured by `cargo bench` and reported in docs/design.md, not timed here.)

use std::fmt::Write as _;
use std::fs;
use std::process::{Command, Output};

fn check(text: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.runner");
    fs::write(&path, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .arg("check")
        .args(extra)
        .arg(&path)
        .output()
        .unwrap()
}

const HEAD: &str = "runner \"big\" {\n    account \"123456789012\"\n    region  \"eu-west-1\"\n";

#[test]
fn a_50_mb_string_is_refused_in_a_few_lines() {
    let text = format!(
        "{HEAD}    task role {{ description \"{}\" }}\n}}\n",
        "x".repeat(50_000_000)
    );
    let output = check(&text, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("E072") && stderr.contains("50000000 characters"),
        "{}",
        stderr.chars().take(2000).collect::<String>()
    );
    assert!(stderr.contains("big.runner:4:29"));
    assert!(
        stderr.len() < 2_000,
        "the 50 MB line was echoed: {} bytes",
        stderr.len()
    );
}

#[test]
fn an_unclosed_50_mb_string_points_at_its_quote() {
    let text = format!("{HEAD}    secret \"{}", "y".repeat(50_000_000));
    let output = check(&text, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("never closed") && stderr.contains("big.runner:4:12"),
        "{}",
        stderr.chars().take(2000).collect::<String>()
    );
    assert!(stderr.len() < 2_000);
}

#[test]
fn a_hundred_thousand_runners_compile() {
    let mut text = String::with_capacity(11_000_000);
    for i in 0..100_000 {
        let _ = writeln!(
            text,
            "runner \"r{i:06}\" {{ account \"123456789012\" region \"eu-west-1\" secret \"s{i}\" destination s3 {{ bucket \"b-{}\" prefix \"p/\" }} }}",
            i % 1000
        );
    }
    let output = check(&text, &["--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "[]");
}

#[test]
fn a_line_of_a_million_hashes_is_a_comment() {
    let text = format!("{}\n{HEAD}}}\n", "#".repeat(1_000_000));
    let output = check(&text, &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_hundred_thousand_repeated_blocks_are_all_reported_but_not_all_drawn() {
    let mut text = HEAD.to_owned();
    for _ in 0..100_000 {
        text.push_str("    task role { name \"x\" }\n");
    }
    text.push_str("}\n");
    let human = check(&text, &[]);
    assert_eq!(human.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(
        stderr.contains("99799 more diagnostics not shown"),
        "{}",
        stderr.lines().rev().take(3).collect::<Vec<_>>().join("\n")
    );
    assert!(stderr.contains("runnerc: checked 1 file, 1 runner: 99999 errors"));
    let json = check(&text, &["--format", "json"]);
    let diagnostics: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(diagnostics.as_array().unwrap().len(), 99_999);
}

#[test]
fn a_million_opening_braces_is_a_syntax_error() {
    let text = format!("runner \"x\" {}", "{".repeat(1_000_000));
    let output = check(&text, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("E001"),
        "{}",
        stderr.chars().take(2000).collect::<String>()
    );
    assert!(stderr.len() < 5_000);
}
