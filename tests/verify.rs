//! `runnerc verify`: every task definition in `tests/verify/` is checked against
//! `tests/verify/specs.runner`. A file named after a code (`E111-unreadable-secret.json`) must
//! report it, at a place in the task definition file, exit 1 for an error code and 0 for a
//! warning, and render (colour off) as its snapshot `<case>.stderr` (`UPDATE_GOLDEN=1` rewrites
//! them); `ok-*.json` must report nothing. Every code `verify` can report has a case.

use runnerc::diag::{Code, Severity};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPECS: &str = "tests/verify/specs.runner";

fn runnerc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir("tests/verify")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    cases
}

fn name_of(case: &Path) -> String {
    case.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_case_reports_its_code_in_the_task_definition() {
    let mut wrong = Vec::new();
    for case in cases() {
        let name = name_of(&case);
        let path = case.to_str().unwrap();
        let json = runnerc(&["verify", path, SPECS, "--format", "json"]);
        let diagnostics: Vec<Value> = serde_json::from_slice(&json.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&json.stderr)));
        let codes: Vec<&str> = diagnostics
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        if let Some(ok) = name.strip_prefix("ok-") {
            if !codes.is_empty() || json.status.code() != Some(0) {
                wrong.push(format!("{ok}: {codes:?}, exit {:?}", json.status.code()));
            }
            continue;
        }
        let code = name.split('-').next().unwrap();
        let severity = Code::parse(code).unwrap().severity();
        if !codes.contains(&code) {
            wrong.push(format!("{name}: reports {codes:?}"));
        }
        let expected_status = if severity == Severity::Error { 1 } else { 0 };
        if json.status.code() != Some(expected_status) {
            wrong.push(format!("{name}: exit {:?}", json.status.code()));
        }
        // The finding is located in the task definition, on a line of it.
        for d in diagnostics.iter().filter(|d| d["code"] == code) {
            let file = d["file"]
                .as_str()
                .or(d["location"]["file"].as_str())
                .unwrap_or("");
            if !d.to_string().contains(path) || file.ends_with(".runner") {
                wrong.push(format!("{name}: not located in the task definition: {d}"));
            }
        }
        // SARIF places it in the task definition too.
        let sarif = runnerc(&["verify", path, SPECS, "--format", "sarif"]);
        let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
        let placed = sarif["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["ruleId"] == code)
            .all(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|uri| uri.ends_with(&format!("{name}.json")))
            });
        if !placed {
            wrong.push(format!(
                "{name}: SARIF does not place it in the task definition"
            ));
        }
        // The rendered report, as people see it.
        let human = runnerc(&["verify", path, SPECS]);
        let rendered = String::from_utf8_lossy(&human.stderr).into_owned();
        let snapshot = case.with_extension("stderr");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            fs::write(&snapshot, &rendered).unwrap();
        } else if fs::read_to_string(&snapshot).ok().as_deref() != Some(rendered.as_str()) {
            wrong.push(format!(
                "{name}: rendered report differs from its snapshot:\n{rendered}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_task_definition_code_has_a_case() {
    let covered: BTreeSet<String> = cases()
        .iter()
        .map(|c| name_of(c).split('-').next().unwrap().to_owned())
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.is_task_definition())
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "no case in tests/verify for {missing:?}"
    );
}

#[test]
fn deny_warnings_fails_on_w117_and_passes_a_clean_definition() {
    let warned = "tests/verify/W117-existing-execution-role.json";
    assert_eq!(runnerc(&["verify", warned, SPECS]).status.code(), Some(0));
    for format in ["human", "json", "sarif"] {
        let denied = runnerc(&[
            "verify",
            warned,
            SPECS,
            "--deny-warnings",
            "--format",
            format,
        ]);
        let stderr = String::from_utf8_lossy(&denied.stderr);
        assert_eq!(denied.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            stderr.ends_with("runnerc: failed: 1 warning and --deny-warnings\n"),
            "{format}: {stderr}"
        );
    }
    let clean = runnerc(&[
        "verify",
        "tests/verify/ok-register-shape.json",
        SPECS,
        "--deny-warnings",
    ]);
    assert_eq!(clean.status.code(), Some(0));
    let error = runnerc(&[
        "verify",
        "tests/verify/E111-unreadable-secret.json",
        SPECS,
        "--deny-warnings",
    ]);
    assert_eq!(error.status.code(), Some(1));
}

#[test]
fn the_line_and_column_are_those_of_the_offending_value() {
    let case = "tests/verify/E111-unreadable-secret.json";
    let text = fs::read_to_string(case).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("prod/other-XyZ123"))
        .unwrap()
        + 1;
    let column = text.lines().nth(line - 1).unwrap().find("\"arn:").unwrap() + 1;
    let human = runnerc(&["verify", case, SPECS]);
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(
        stderr.contains(&format!("{case}:{line}:{column}")),
        "{stderr}"
    );
    // SARIF names the same place, in the task definition.
    let sarif = runnerc(&["verify", case, SPECS, "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("E111-unreadable-secret.json")
    );
    assert_eq!(location["region"]["startLine"], line);
    assert_eq!(location["region"]["startColumn"], column);
}

#[test]
fn what_is_not_a_task_definition_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "truncated.json",
            "{\"family\": \"x\", \"containerDefinitions\": [",
        ),
        ("list.json", "[1, 2]"),
        ("no-containers.json", "{\"family\": \"x\"}"),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let output = runnerc(&["verify", path.to_str().unwrap(), SPECS]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with("runnerc: "),
            "{name}"
        );
    }
    let output = runnerc(&["verify", "tests/verify/missing.json", SPECS]);
    assert_eq!(output.status.code(), Some(2));
    // A definition that names no runner of several, without --runner.
    let path = dir.path().join("nobody.json");
    fs::write(
        &path,
        r#"{"family": "x", "containerDefinitions": [{"name": "x"}]}"#,
    )
    .unwrap();
    let output = runnerc(&["verify", path.to_str().unwrap(), SPECS]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--runner"));
    let output = runnerc(&[
        "verify",
        path.to_str().unwrap(),
        SPECS,
        "--runner",
        "invoices-cdc",
    ]);
    assert_eq!(output.status.code(), Some(1), "no roles: E110");
}

#[test]
fn the_fragment_build_writes_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let build = runnerc(&[
        "build",
        "examples/agent-wiring.runner",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(build.status.success());
    let fragment = out.join("invoices-cdc/task-definition.json");
    let output = runnerc(&[
        "verify",
        fragment.to_str().unwrap(),
        "examples/agent-wiring.runner",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
