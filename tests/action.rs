//! The GitHub Action (action.yml), run here: every `run:` step of it, in order, in a scratch
//! repository whose pull request widens a destination's prefix (tests/support/action.rs runs
//! them as GitHub does). The repository is a shallow clone of the pull request's branch, as
//! actions/checkout makes it, so the action must fetch the base branch itself. runnerc is this
//! build's, on PATH; tests/wheel.rs runs the step that installs it from a wheel.

mod support;

use std::path::Path;
use std::process::Command;
use support::action::{self, Run};

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(repo)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A remote with `main` (examples/orders.runner under specs/, and a README) and a pull
/// request's branch `widen` whose last commit makes `change` to the spec, and a shallow
/// clone of `widen` to run the action in.
fn pull_request(change: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    std::fs::create_dir_all(origin.join("specs")).unwrap();
    let spec = std::fs::read_to_string(action::root().join("examples/orders.runner")).unwrap();
    std::fs::write(origin.join("specs/orders.runner"), &spec).unwrap();
    std::fs::write(origin.join("README.md"), "specs\n").unwrap();
    git(&origin, &["init", "--quiet", "--initial-branch", "main"]);
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "--quiet", "-m", "orders"]);
    git(&origin, &["checkout", "--quiet", "-b", "widen"]);
    std::fs::write(origin.join("specs/orders.runner"), change(&spec)).unwrap();
    git(&origin, &["commit", "--quiet", "-am", "change orders"]);
    let url = format!("file://{}", origin.display());
    git(
        dir.path(),
        &[
            "clone", "--quiet", "--depth", "1", "--branch", "widen", &url, "work",
        ],
    );
    dir
}

/// The spec without its destination's `prefix "orders/"`: the whole bucket.
fn widen(spec: &str) -> String {
    let widened = spec.replace("        prefix \"orders/\"\n", "");
    assert_ne!(widened, spec);
    widened
}

/// The action run on the pull request, with `inputs`, runnerc from this build on PATH.
fn run_action(repo: &Path, inputs: &[(&str, &str)]) -> Run {
    let bin = Path::new(env!("CARGO_BIN_EXE_runnerc")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    action::run(&action::Context {
        workspace: repo,
        inputs,
        env: &[
            ("PATH", &path),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_HEAD_REF", "widen"),
        ],
        push_before: "",
    })
}

/// This build's runnerc, run in `repo`.
fn runnerc(repo: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .current_dir(repo)
        .args(args)
        .output()
        .unwrap()
}

/// `file` validates against the SARIF 2.1.0 schema.
fn assert_valid_sarif(file: &Path) {
    let script = "import json, sys, jsonschema\n\
        jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(action::root().join("tests/schemas/sarif-2.1.0.json"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn tools_present(test: &str) -> bool {
    support::commands_present(test, action::TOOLS)
        && ["yaml", "jsonschema"].iter().all(|module| {
            support::python_has(module) || {
                support::skip(test, &format!("python3 cannot import {module}"));
                false
            }
        })
}

#[test]
fn a_pull_request_that_widens_a_prefix_trips_the_gate() {
    let test = "a_pull_request_that_widens_a_prefix_trips_the_gate";
    if !tools_present(test) {
        return;
    }
    let dir = pull_request(widen);
    let repo = dir.path().join("work");
    let run = run_action(&repo, &[]);
    let log = &run.log;

    let statuses: Vec<Option<i32>> = run.steps.iter().map(|(_, status, _)| *status).collect();
    assert_eq!(statuses, [Some(0), Some(0), None, Some(3)], "{log}");
    assert_eq!(run.status(), Some(3), "{log}");
    let (_, _, upload) = &run.steps[2];
    assert!(
        upload.starts_with("always()"),
        "the SARIF upload runs always: {upload}"
    );
    assert!(log.contains("runnerc from PATH"), "{log}");
    assert!(
        log.contains("--fail-on broadening tripped: the change needs review"),
        "{log}"
    );

    // The summary is diff's markdown against the base the action fetched.
    let diff = runnerc(
        &repo,
        &["diff", "--base", "origin/main", "--format", "markdown"],
    );
    assert_eq!(
        run.summary,
        String::from_utf8(diff.stdout).unwrap(),
        "{log}"
    );
    assert!(
        run.summary.starts_with("### runnerc diff: broader\n"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains(
            "orders-cdc task role gains s3:DeleteObject, s3:GetObject, s3:PutObject on acme-cdc-landing/* when s3:ResourceAccount = 123456789012 (specs/orders.runner:"
        ),
        "{}",
        run.summary
    );

    let outputs = &run.outputs;
    let version = String::from_utf8(runnerc(&repo, &["--version"]).stdout).unwrap();
    assert_eq!(
        outputs["runnerc-version"],
        version.trim_end(),
        "{outputs:?}"
    );
    assert_eq!(outputs["verdict"], "broader", "{outputs:?}");
    assert_eq!(outputs["gate"], "tripped", "{outputs:?}");
    assert_eq!(outputs["gains"], "2", "{outputs:?}");
    assert_eq!(outputs["losses"], "0", "{outputs:?}");
    assert_eq!(outputs["errors"], "0", "{outputs:?}");
    // W056: a destination without a prefix.
    assert_eq!(outputs["warnings"], "1", "{outputs:?}");
    assert!(log.contains("[W056] Warning"), "{log}");

    let sarif = Path::new(&outputs["sarif-file"]);
    assert!(sarif.starts_with(run.temp.path()), "{}", sarif.display());
    assert_valid_sarif(sarif);
    let check = runnerc(
        &repo,
        &["check", "--format", "sarif", "specs/orders.runner"],
    );
    assert_eq!(std::fs::read(sarif).unwrap(), check.stdout);
}

#[test]
fn with_fail_on_none_a_broader_change_passes_and_is_still_reported() {
    let test = "with_fail_on_none_a_broader_change_passes_and_is_still_reported";
    if !tools_present(test) {
        return;
    }
    let dir = pull_request(widen);
    let repo = dir.path().join("work");
    let run = run_action(&repo, &[("fail-on", "none"), ("files", "specs/*.runner")]);
    assert_eq!(run.status(), Some(0), "{}", run.log);
    assert_eq!(run.outputs["verdict"], "broader", "{:?}", run.outputs);
    assert_eq!(run.outputs["gate"], "off", "{:?}", run.outputs);
    assert!(
        run.summary.starts_with("### runnerc diff: broader\n"),
        "{}",
        run.summary
    );

    // `fail-on: any` trips on a narrower change too; `broadening` does not.
    let dir = pull_request(|spec| spec.replace("prefix \"orders/\"", "prefix \"orders/2026/\""));
    let repo = dir.path().join("work");
    let run = run_action(&repo, &[]);
    assert_eq!(run.status(), Some(0), "{}", run.log);
    assert_eq!(run.outputs["verdict"], "narrower", "{:?}", run.outputs);
    assert_eq!(run.outputs["gate"], "passed", "{:?}", run.outputs);
    let run = run_action(&repo, &[("fail-on", "any")]);
    assert_eq!(run.status(), Some(3), "{}", run.log);
    assert_eq!(run.outputs["gate"], "tripped", "{:?}", run.outputs);
}

#[test]
fn a_spec_error_fails_the_action_with_its_diagnostic_in_the_sarif() {
    let test = "a_spec_error_fails_the_action_with_its_diagnostic_in_the_sarif";
    if !tools_present(test) {
        return;
    }
    let dir = pull_request(|spec| spec.replace("\"123456789012\"\n", "\"12\"\n"));
    let repo = dir.path().join("work");
    let run = run_action(&repo, &[]);
    let log = &run.log;
    assert_eq!(run.status(), Some(1), "{log}");
    assert!(
        log.contains("account `12` is not a 12-digit AWS account ID"),
        "{log}"
    );
    assert!(
        log.contains("runnerc check found errors in the specs"),
        "{log}"
    );
    assert_eq!(run.outputs["errors"], "1", "{:?}", run.outputs);
    assert_eq!(run.outputs["verdict"], "error", "{:?}", run.outputs);
    assert!(
        run.summary.starts_with("### runnerc diff: error\n"),
        "{}",
        run.summary
    );
    let sarif = Path::new(&run.outputs["sarif-file"]);
    assert_valid_sarif(sarif);
    assert!(std::fs::read_to_string(sarif).unwrap().contains("\"E020\""));

    // An input out of its range is an error of the action, not a pass.
    let run = run_action(&repo, &[("fail-on", "broader")]);
    assert_eq!(run.status(), Some(2), "{}", run.log);
    assert!(
        run.log
            .contains("fail-on is none, broadening or any, not `broader`")
    );
}

/// The inputs a `with:` after line `at` gives: `with: { a: x, b: y }` or an indented block.
fn with_inputs(lines: &[&str], at: usize) -> Vec<String> {
    let Some(next) = lines.get(at + 1) else {
        return Vec::new();
    };
    let indent = |line: &str| line.len() - line.trim_start().len();
    let key = |item: &str| item.split(':').next().unwrap().trim().to_owned();
    match next.trim().strip_prefix("with:").map(str::trim) {
        Some(flow) if flow.starts_with('{') => {
            flow.trim_matches(['{', '}']).split(',').map(key).collect()
        }
        Some(_) => lines[at + 2..]
            .iter()
            .take_while(|line| indent(line) > indent(next))
            .map(|line| key(line))
            .collect(),
        None => Vec::new(),
    }
}

#[test]
fn the_documented_uses_lines_name_this_release_and_inputs_the_action_has() {
    let test = "the_documented_uses_lines_name_this_release_and_inputs_the_action_has";
    if !tools_present(test) {
        return;
    }
    let action = action::action();
    let uses = format!("uses: runnerc/runnerc@v{}", env!("CARGO_PKG_VERSION"));
    for page in [
        "README.md",
        "docs/reviewing.md",
        "docs/installing.md",
        "docs/package-index.md",
    ] {
        let text = std::fs::read_to_string(action::root().join(page)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let found: Vec<usize> = (0..lines.len())
            .filter(|&at| lines[at].contains("uses: runnerc/runnerc@"))
            .collect();
        assert!(!found.is_empty(), "{page} shows no `uses:` of the action");
        for at in found {
            assert!(
                lines[at].contains(&uses),
                "{page}:{}: {}",
                at + 1,
                lines[at]
            );
            for input in with_inputs(&lines, at) {
                assert!(
                    action["inputs"].get(&input).is_some(),
                    "{page}: no input `{input}`"
                );
            }
        }
    }
    assert_eq!(
        with_inputs(&["- uses: x", "  with: { a: 1, b: 2 }"], 0),
        ["a", "b"]
    );
    assert_eq!(
        with_inputs(&["- uses: x", "  with:", "    c: 1", "- run: y"], 0),
        ["c"]
    );
}

#[test]
fn the_run_steps_pass_shellcheck() {
    let test = "the_run_steps_pass_shellcheck";
    if !tools_present(test) || !support::commands_present(test, &["shellcheck"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let action = action::action();
    let mut scripts = Vec::new();
    for (index, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        if let Some(script) = step["run"].as_str() {
            let file = dir.path().join(format!("step-{index}.sh"));
            std::fs::write(&file, script).unwrap();
            scripts.push(file);
        }
    }
    assert_eq!(scripts.len(), 3);
    let output = Command::new("shellcheck")
        .args(["--shell", "bash"])
        .args(&scripts)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
