//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by pre-commit itself: `pre-commit
//! try-repo` against this repository, from a user's repository holding specs. pre-commit builds
//! runnerc the way it does for every user (`language: rust`: a clone of the repository, then
//! `cargo install`), so this also checks that the repository installs that way.
//!
//! Building is the slow part. pre-commit's `try-repo` clones into a temporary store every time
//! (`PRE_COMMIT_HOME` is not used), and `cargo install` builds in a temporary folder: a cold
//! build of the release profile (fat LTO, one codegen unit) took 14 minutes on the 2 shared
//! cores of the development machine. The test gives cargo a build folder that lasts,
//! `target/tmp/pre-commit/` (`CARGO_TARGET_DIR`), so dependencies compile once, and builds
//! without optimisation (`CARGO_PROFILE_RELEASE_*`): what the hooks do does not depend on how
//! the binary is optimised. Measured there: 130 s the first time, 14 s after. `try-repo` takes
//! this repository's `HEAD`, with uncommitted changes to tracked files committed in a shadow
//! copy; new files are left out until they are committed.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn git(repo: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `pre-commit try-repo` of this repository's hooks (every hook, in the order of the file) on
/// every file of `repo`.
fn try_repo(repo: &Path) -> Output {
    // Cargo's folder for integration tests' data, `target/tmp`: kept between runs.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit");
    Command::new("pre-commit")
        .current_dir(repo)
        .args(["try-repo"])
        .arg(root())
        .args(["--all-files", "--color", "never"])
        .env("CARGO_TARGET_DIR", cache)
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .output()
        .unwrap()
}

/// The canonical layout of a spec, from this build's `runnerc fmt -`.
fn formatted(text: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_hooks_check_and_format_the_specs_of_a_repository() {
    let test = "the_hooks_check_and_format_the_specs_of_a_repository";
    if !support::commands_present(test, &["pre-commit", "git", "cargo"]) {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join("examples/orders.runner")).unwrap();
    assert_eq!(
        formatted(&good),
        good,
        "the good spec is in the canonical layout"
    );
    let bad = "runner \"bad-cdc\" {\n    account \"12\"\n    region  \"eu-west-1\"\n}\n";
    assert_eq!(
        formatted(bad),
        bad,
        "the bad spec is in the canonical layout"
    );
    let messy = "runner \"messy-cdc\" {\naccount \"123456789012\"\n  region \"eu-west-1\"\n}\n";
    assert_ne!(formatted(messy), messy);
    for (name, text) in [
        ("good.runner", good.as_str()),
        ("bad.runner", bad),
        ("specs/messy.runner", messy),
        ("notes.txt", "runner \"not-a-spec\" {\n"),
    ] {
        let path = repo.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(repo.path(), &["init", "--quiet"]);
    git(repo.path(), &["add", "."]);

    let output = try_repo(repo.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{report}");

    // runnerc-check: the three specs in one run (and not notes.txt), the bad one's error with
    // its location.
    let check = stdout
        .split_once("runnerc check")
        .and_then(|(_, rest)| rest.split_once("runnerc fmt"))
        .map(|(check, _)| check)
        .unwrap_or_else(|| panic!("no runnerc-check section:\n{report}"));
    assert!(check.contains("Failed"), "{report}");
    assert!(
        check.contains("[E020] Error: account `12` is not a 12-digit AWS account ID"),
        "{report}"
    );
    assert!(check.contains("bad.runner:2:13"), "{report}");
    assert!(
        check.contains("runnerc: checked 3 files, 3 runners: 1 error, 0 warnings"),
        "{report}"
    );

    // runnerc-fmt: the messy spec is rewritten, so pre-commit fails the hook; the others are
    // left as they were.
    let fmt = stdout.split_once("runnerc fmt").unwrap().1;
    assert!(fmt.contains("Failed"), "{report}");
    assert!(fmt.contains("files were modified by this hook"), "{report}");
    let read = |name: &str| std::fs::read_to_string(repo.path().join(name)).unwrap();
    assert_eq!(read("specs/messy.runner"), formatted(messy), "{report}");
    assert_eq!(read("good.runner"), good);
    assert_eq!(read("bad.runner"), bad);
    assert_eq!(read("notes.txt"), "runner \"not-a-spec\" {\n");
}

/// The `- id:` values of a YAML text, in order.
fn hook_ids(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|line| line.trim_start().strip_prefix("- id:"))
        .map(|id| id.split('#').next().unwrap_or(id).trim().to_owned())
        .collect()
}

#[test]
fn the_documented_configuration_names_every_hook() {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(hook_ids(&hooks), ["runnerc-check", "runnerc-fmt"]);
    for hook in hooks.split("\n- ").skip(1) {
        assert!(hook.contains("language: rust"), "{hook}");
        assert!(hook.contains(r"files: \.runner$"), "{hook}");
    }
    let page = std::fs::read_to_string(root().join("docs/commands.md")).unwrap();
    let section = page
        .split_once("### Before commit")
        .expect("docs/commands.md has a `Before commit` section")
        .1;
    let config = section
        .split_once("```yaml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the section shows a `.pre-commit-config.yaml`")
        .0;
    assert_eq!(hook_ids(config), hook_ids(&hooks), "{config}");
}
