//! runnerc as a package: the version it reports, what its crate ships, and the GitHub files
//! (action.yml, the release workflow) against GitHub's schemas. tests/wheel.rs builds and
//! installs the wheel; tests/action.rs runs the action.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The output of `git ARGS` in the repository, when git runs there.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .current_dir(root())
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8(output.stdout).unwrap().trim().to_owned())
}

#[test]
fn the_version_is_cargo_toml_s_with_the_commit_it_was_built_from() {
    let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let version = env!("CARGO_PKG_VERSION");
    let top = git(&["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    let in_git =
        top.is_some_and(|top| top.canonicalize().unwrap() == root().canonicalize().unwrap());
    let expected = match git(&["rev-parse", "--short", "HEAD"]).filter(|_| in_git) {
        Some(commit) => format!("runnerc {version} ({commit})\n"),
        None => format!("runnerc {version}\n"),
    };
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
}

/// The files a source file includes at compile time (`include_str!`, `include_bytes!`, pest's
/// `#[grammar = ...]`), as paths from the repository's root.
fn compile_time_includes(file: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(file).unwrap();
    let folder = file.parent().unwrap();
    let mut found = Vec::new();
    for (marker, base) in [
        ("include_str!(\"", folder),
        ("include_bytes!(\"", folder),
        // pest_derive reads a grammar's path from the crate's src/.
        ("#[grammar = \"", &root().join("src")),
    ] {
        for (_, rest) in text
            .match_indices(marker)
            .map(|(at, _)| text.split_at(at + marker.len()))
        {
            let path = base.join(rest.split('"').next().unwrap());
            let path = path
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}", path.display()));
            found.push(path.strip_prefix(root()).unwrap().to_owned());
        }
    }
    found
}

fn rust_files(folder: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn the_crate_holds_every_file_the_code_includes_and_no_test_fixture() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(root())
        .args(["package", "--list", "--locked", "--allow-dirty", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let listed = String::from_utf8(output.stdout).unwrap();
    let listed: Vec<&str> = listed.lines().collect();

    let mut sources = Vec::new();
    rust_files(&root().join("src"), &mut sources);
    let mut included: Vec<PathBuf> = sources
        .iter()
        .flat_map(|f| compile_time_includes(f))
        .collect();
    included.sort();
    included.dedup();
    let names: Vec<String> = included.iter().map(|p| p.display().to_string()).collect();
    for expected in [
        "docs/diagnostics.md",
        "grammar/runner.pest",
        "src/lower/aws_cli.sh",
        "src/starter.runner",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not found in {names:?}"
        );
    }
    for needed in names
        .iter()
        .map(String::as_str)
        .chain(["build.rs", "Cargo.lock", "README.md"])
    {
        assert!(
            listed.contains(&needed),
            "the crate lacks {needed}: {listed:?}"
        );
    }
    for source in &sources {
        let name = source.strip_prefix(root()).unwrap().display().to_string();
        assert!(listed.contains(&name.as_str()), "the crate lacks {name}");
    }
    for left_out in [
        "tests/",
        "benches/",
        "fuzz/",
        "editors/",
        "examples/",
        "target/",
        ".ci/",
    ] {
        let shipped: Vec<&&str> = listed.iter().filter(|f| f.starts_with(left_out)).collect();
        assert!(shipped.is_empty(), "the crate ships {shipped:?}");
    }
    let size: u64 = listed
        .iter()
        .filter_map(|f| std::fs::metadata(root().join(f)).ok())
        .map(|m| m.len())
        .sum();
    assert!(size < 1_500_000, "the crate's files add up to {size} bytes");
}

#[test]
fn the_wheel_and_the_crate_describe_the_same_project() {
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let pyproject = std::fs::read_to_string(root().join("pyproject.toml")).unwrap();
    let value = |text: &str, key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{key} = \"")))
            .map(|rest| rest.trim_end_matches('"').to_owned())
            .unwrap_or_else(|| panic!("no {key}"))
    };
    let repository = value(&cargo, "repository");
    assert_eq!(value(&pyproject, "Repository"), repository);
    assert_eq!(value(&pyproject, "Homepage"), value(&cargo, "homepage"));
    assert_eq!(
        value(&pyproject, "Documentation"),
        value(&cargo, "documentation")
    );
    assert_eq!(value(&pyproject, "license"), value(&cargo, "license"));
    assert_eq!(value(&pyproject, "bindings"), "bin");
    assert_eq!(value(&pyproject, "build-backend"), "maturin");
    assert!(
        pyproject.contains("dynamic = [\"version\"]"),
        "the version is Cargo.toml's"
    );
}

/// check-jsonschema against one of its vendored schemas (it needs no network for them).
fn check_jsonschema(schema: &str, files: &[&str]) -> std::process::Output {
    Command::new("check-jsonschema")
        .current_dir(root())
        .args(["--builtin-schema", schema])
        .args(files)
        .output()
        .unwrap()
}

#[test]
fn the_action_and_the_release_workflow_follow_github_s_schemas() {
    let test = "the_action_and_the_release_workflow_follow_github_s_schemas";
    if !support::commands_present(test, &["check-jsonschema"]) {
        return;
    }
    for (schema, file) in [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", ".github/workflows/release.yml"),
    ] {
        let output = check_jsonschema(schema, &[file]);
        assert!(
            output.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The validator rejects what breaks the schema: an action without `runs`.
    let broken = tempfile::tempdir().unwrap();
    let action = broken.path().join("action.yml");
    std::fs::write(&action, "name: x\ndescription: y\n").unwrap();
    let output = check_jsonschema("vendor.github-actions", &[action.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
}
