//! A user's repository of specs for the pre-commit hooks' tests (tests/pre_commit.rs for the
//! Rust hooks, tests/wheel.rs for the ones installed from the wheel), and what both kinds of
//! hook must do in it: `runnerc-check` fails on the bad spec, with its located error, having
//! checked the three specs in one run (and not notes.txt); `runnerc-fmt` rewrites the messy
//! spec and leaves the others as they were.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn git(repo: &Path, args: &[&str]) {
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

/// The canonical layout of a spec, from this build's `runnerc fmt -`.
pub fn formatted(text: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

const BAD: &str = "runner \"bad-cdc\" {\n    account \"12\"\n    region  \"eu-west-1\"\n}\n";
const MESSY: &str = "runner \"messy-cdc\" {\naccount \"123456789012\"\n  region \"eu-west-1\"\n}\n";
const NOT_A_SPEC: &str = "runner \"not-a-spec\" {\n";

fn good() -> String {
    std::fs::read_to_string(root().join("examples/orders.runner")).unwrap()
}

/// A git repository with a good, a bad and a messy spec and a text file, all staged.
pub fn specs_repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let good = good();
    assert_eq!(
        formatted(&good),
        good,
        "the good spec is in the canonical layout"
    );
    assert_eq!(
        formatted(BAD),
        BAD,
        "the bad spec is in the canonical layout"
    );
    assert_ne!(formatted(MESSY), MESSY);
    for (name, text) in [
        ("good.runner", good.as_str()),
        ("bad.runner", BAD),
        ("specs/messy.runner", MESSY),
        ("notes.txt", NOT_A_SPEC),
    ] {
        let path = repo.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(repo.path(), &["init", "--quiet"]);
    git(repo.path(), &["add", "."]);
    repo
}

/// What pre-commit's run of the two hooks (`check`, then `fmt`) printed and left in `repo`.
pub fn assert_hooks_ran(repo: &Path, output: &Output, check: &str, fmt: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{report}");

    let check_section = stdout
        .split_once(check)
        .and_then(|(_, rest)| rest.split_once(fmt))
        .map(|(section, _)| section)
        .unwrap_or_else(|| panic!("no {check} section:\n{report}"));
    assert!(check_section.contains("Failed"), "{report}");
    assert!(
        check_section.contains("[E020] Error: account `12` is not a 12-digit AWS account ID"),
        "{report}"
    );
    assert!(check_section.contains("bad.runner:2:13"), "{report}");
    assert!(
        check_section.contains("runnerc: checked 3 files, 3 runners: 1 error, 0 warnings"),
        "{report}"
    );

    let fmt_section = stdout.split_once(fmt).unwrap().1;
    assert!(fmt_section.contains("Failed"), "{report}");
    assert!(
        fmt_section.contains("files were modified by this hook"),
        "{report}"
    );
    let read = |name: &str| std::fs::read_to_string(repo.join(name)).unwrap();
    assert_eq!(read("specs/messy.runner"), formatted(MESSY), "{report}");
    assert_eq!(read("good.runner"), good());
    assert_eq!(read("bad.runner"), BAD);
    assert_eq!(read("notes.txt"), NOT_A_SPEC);
}

/// The `- id:` values of a YAML text, in order.
pub fn hook_ids(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|line| line.trim_start().strip_prefix("- id:"))
        .map(|id| id.split('#').next().unwrap_or(id).trim().to_owned())
        .collect()
}

/// The `n`th (from 0) ```yaml block of docs/commands.md's `Before commit` section.
pub fn documented_config(n: usize) -> String {
    let page = std::fs::read_to_string(root().join("docs/commands.md")).unwrap();
    let section = page
        .split_once("### Before commit")
        .expect("docs/commands.md has a `Before commit` section")
        .1;
    let section = section
        .split_once("\n## ")
        .map_or(section, |(section, _)| section);
    section
        .split("```yaml\n")
        .skip(1)
        .nth(n)
        .and_then(|block| block.split_once("```"))
        .unwrap_or_else(|| panic!("the section shows {} `.pre-commit-config.yaml`s", n + 1))
        .0
        .to_owned()
}
