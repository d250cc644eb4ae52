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
use support::hooks;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

#[test]
fn the_hooks_check_and_format_the_specs_of_a_repository() {
    let test = "the_hooks_check_and_format_the_specs_of_a_repository";
    if !support::commands_present(test, &["pre-commit", "git", "cargo"]) {
        return;
    }
    let repo = hooks::specs_repository();
    let output = try_repo(repo.path());
    hooks::assert_hooks_ran(repo.path(), &output, "runnerc check", "runnerc fmt");
}

#[test]
fn the_documented_configuration_names_every_hook() {
    let hooks_file = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert_eq!(
        hooks::hook_ids(&hooks_file),
        ["runnerc-check", "runnerc-fmt"]
    );
    for hook in hooks_file.split("\n- ").skip(1) {
        assert!(hook.contains("language: rust"), "{hook}");
        assert!(hook.contains(r"files: \.runner$"), "{hook}");
    }
    let config = hooks::documented_config(1);
    assert_eq!(
        hooks::hook_ids(&config),
        hooks::hook_ids(&hooks_file),
        "{config}"
    );
}
