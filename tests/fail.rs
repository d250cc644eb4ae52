//! Failing specs: every file (or folder of files) in `tests/fail/` is named after the code it
//! must report (`E020-account-digits.runner`). Each case is checked through the real binary:
//! the code must be among its JSON diagnostics, the exit status must be 1 for an error code and
//! 0 for a warning code, and the rendered diagnostics (colour off) must equal the snapshot
//! `<case>.stderr`. `UPDATE_GOLDEN=1` rewrites the snapshots. Every code the checker can report
//! has at least one case.

use runnerc::diag::{Code, Severity};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    name: String,
    code: String,
    inputs: Vec<PathBuf>,
    snapshot: PathBuf,
}

fn cases() -> Vec<Case> {
    let dir = Path::new("tests/fail");
    let mut cases = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("tests/fail exists")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let inputs = if path.is_dir() {
            let mut files: Vec<PathBuf> = fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "runner"))
                .collect();
            files.sort();
            files
        } else if path.extension().is_some_and(|e| e == "runner") {
            vec![path.clone()]
        } else {
            continue;
        };
        let code = name.split('-').next().unwrap().to_owned();
        cases.push(Case {
            snapshot: dir.join(format!("{name}.stderr")),
            name,
            code,
            inputs,
        });
    }
    cases
}

fn runnerc(args: &[&str], inputs: &[PathBuf]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .args(inputs)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

#[test]
fn every_case_reports_its_code_and_matches_its_snapshot() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let Some(code) = Code::ALL.iter().find(|c| c.as_str() == case.code) else {
            failures.push(format!(
                "{}: `{}` is not a diagnostic code",
                case.name, case.code
            ));
            continue;
        };
        let json = runnerc(&["check", "--format", "json"], &case.inputs);
        let diagnostics: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let codes: Vec<&str> = diagnostics
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        if !codes.contains(&code.as_str()) {
            failures.push(format!("{}: expected {code}, got {codes:?}", case.name));
        }
        let expected_status = match code.severity() {
            Severity::Error => 1,
            Severity::Warning => 0,
        };
        let human = runnerc(&["check"], &case.inputs);
        for (form, output) in [("json", &json), ("human", &human)] {
            if output.status.code() != Some(expected_status) {
                failures.push(format!(
                    "{}: {form} check exited {:?}, expected {expected_status}",
                    case.name,
                    output.status.code()
                ));
            }
        }
        let rendered = String::from_utf8(human.stderr).unwrap();
        assert!(
            !rendered.contains('\u{1b}'),
            "{}: colour in a pipe",
            case.name
        );
        if update {
            fs::write(&case.snapshot, &rendered).unwrap();
            continue;
        }
        match fs::read_to_string(&case.snapshot) {
            Ok(expected) if expected == rendered => {}
            Ok(expected) => failures.push(format!(
                "{}: rendered diagnostics differ\n--- expected\n{expected}\n--- actual\n{rendered}",
                case.name
            )),
            Err(_) => failures.push(format!(
                "{}: no snapshot {}; run with UPDATE_GOLDEN=1",
                case.name,
                case.snapshot.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_code_has_a_failing_case() {
    let covered: BTreeSet<String> = cases().into_iter().map(|c| c.code).collect();
    // Task-definition codes are `verify`'s: their cases are in tests/verify (tests/verify.rs);
    // those of `build --task-definition`'s base are in tests/cli.rs.
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !c.is_task_definition() && !c.is_base_task_definition())
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a case in tests/fail: {missing:?}"
    );
}

#[test]
fn the_commands_page_lists_every_code() {
    let page = fs::read_to_string("docs/commands.md").unwrap();
    for code in Code::ALL {
        let row = format!("| `{}` | ", code.as_str());
        assert!(
            page.contains(&row),
            "docs/commands.md has no row for {code}"
        );
    }
}
