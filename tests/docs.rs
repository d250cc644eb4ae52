//! The documentation holds: every code is explained in docs/diagnostics.md (and by `runnerc
//! explain`), each failing example there reports its code and each fixed example compiles
//! without it; the README's language tour compiles; every subcommand's help shows an example;
//! the starter spec of `runnerc init` compiles; SARIF output validates against the SARIF 2.1.0
//! schema.

mod support;

use runnerc::compile::compile;
use runnerc::diag::{Code, Severity, Sources};
use std::fs;
use std::process::{Command, Output};

fn runnerc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .output()
        .unwrap()
}

fn codes_of(text: &str) -> Vec<Code> {
    let mut sources = Sources::new();
    sources.add("example.runner", text);
    compile(&sources)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// The ```runner blocks of a markdown text, in order.
fn runner_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```runner") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_code_is_explained_with_examples_that_hold() {
    for code in Code::ALL {
        let text = runnerc::explain::explanation(*code)
            .unwrap_or_else(|| panic!("{code} has no section in docs/diagnostics.md"));
        let blocks = runner_blocks(text);
        if blocks.is_empty() {
            // Size and count limits need long inputs: their cases live in tests/fail only.
            assert!(
                text.contains("tests/fail/"),
                "{code} has neither examples nor a pointer to tests/fail"
            );
            continue;
        }
        assert_eq!(blocks.len(), 2, "{code}: a failing and a fixed example");
        let failing = codes_of(&blocks[0]);
        assert!(
            failing.contains(code),
            "{code}: the failing example reports {failing:?}"
        );
        // A fixed example reports nothing, or only warnings its section names: an extra
        // `trust service` warns (W064) in every example that keeps one.
        let fixed = codes_of(&blocks[1]);
        assert!(
            fixed.iter().all(|c| c != code
                && c.severity() == Severity::Warning
                && text.contains(c.as_str())),
            "{code}: the fixed example reports {fixed:?}"
        );
        let output = runnerc(&["explain", &code.as_str().to_lowercase()]);
        assert_eq!(output.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&output.stdout).contains("Fixed:"));
    }
    assert_eq!(runnerc(&["explain", "E999"]).status.code(), Some(2));
}

#[test]
fn the_readme_tour_compiles() {
    let readme = fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("# orders.runner\n")
        .expect("the tour starts with # orders.runner");
    let end = start + readme[start..].find("```").unwrap();
    let codes = codes_of(&readme[start..end]);
    // No error; the optional `trust` lines of the tour warn about what they open, as they must.
    assert_eq!(
        codes,
        vec![Code::UnconditionedTrustService, Code::TrustConditionsOff],
        "README tour reports {codes:?}"
    );
}

#[test]
fn the_readme_existing_roles_spec_compiles() {
    let readme = fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("runner \"crm-cdc\" {\n")
        .expect("the existing-roles section has a spec");
    let end = start + readme[start..].find("```").unwrap();
    let codes = codes_of(&readme[start..end]);
    assert!(
        codes.is_empty(),
        "README existing-roles spec reports {codes:?}"
    );
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for command in [
        "check",
        "build",
        "fmt",
        "can",
        "drift",
        "lsp",
        "explain",
        "init",
        "completions",
    ] {
        let output = runnerc(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("Example"),
            "{command} --help has no example:\n{help}"
        );
        assert!(help.contains(&format!("runnerc {command}")), "{command}");
    }
}

#[test]
fn init_writes_a_starter_spec_that_compiles_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let output = run(&["init", "orders-cdc"]);
    assert_eq!(output.status.code(), Some(0));
    let text = fs::read_to_string(dir.path().join("orders-cdc.runner")).unwrap();
    assert!(text.contains("runner \"orders-cdc\""));
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            >= 5,
        "commented"
    );
    assert_eq!(codes_of(&text), vec![]);
    let again = run(&["init", "orders-cdc"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(run(&["init", "bad name"]).status.code(), Some(2));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = runnerc(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("runnerc"),
            "{shell}"
        );
    }
    assert_eq!(runnerc(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let bad = "tests/fail/E020-account-digits.runner";
    let escape = |output: &Output| output.stderr.contains(&0x1b);
    assert!(escape(&runnerc(&["check", "--color", "always", bad])));
    assert!(!escape(&runnerc(&["check", "--color", "never", bad])));
    // auto: stderr is a pipe here, so no colour.
    assert!(!escape(&runnerc(&["check", bad])));
    let no_color = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["check", "--color", "auto", bad])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!escape(&no_color));
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let mut args = vec!["check", "--format", "sarif"];
    let cases: Vec<String> = fs::read_dir("tests/fail")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| {
            p.ends_with(".runner")
                && !p.contains("E001")
                && !p.contains("E002")
                && !p.contains("E003")
        })
        .collect();
    args.extend(cases.iter().map(String::as_str));
    let output = runnerc(&args);
    assert_eq!(output.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    // No address is given for the tool: the project has none that exists.
    assert!(
        log["runs"][0]["tool"]["driver"]
            .get("informationUri")
            .is_none()
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= cases.len());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    fs::write(&sarif, &output.stdout).unwrap();
    let script = "import json,sys,jsonschema\n\
        schema=json.load(open(sys.argv[1]))\n\
        jsonschema.validate(json.load(open(sys.argv[2])), schema)\n\
        print('valid')\n";
    if !support::has_command("python3") || !support::python_has("jsonschema") {
        return support::skip(
            "SARIF schema validation",
            "python3 with jsonschema not found",
        );
    }
    let result = Command::new("python3")
        .args(["-c", script, "tests/schemas/sarif-2.1.0.json"])
        .arg(&sarif)
        .output()
        .expect("python3 runs");
    assert!(
        result.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&result.stdout).trim(), "valid");
}
