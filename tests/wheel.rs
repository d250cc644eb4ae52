//! The Python wheel (pyproject.toml, maturin with `bindings = "bin"`): built once per run of this
//! binary, then installed the ways a user installs it, from a folder that stands in for the
//! package index (pip's `--no-index --find-links`): into a fresh virtual environment, by
//! pre-commit for the hooks docs/commands.md shows, and by the GitHub Action when no runnerc is
//! on PATH.
//!
//! The wheel is built as the release builds it but without optimisation
//! (`CARGO_PROFILE_RELEASE_*`, as tests/pre_commit.rs does): what the binary does does not
//! depend on it. Its build folder, `target/tmp/pre-commit/`, is the Rust hooks' one, so the
//! dependencies compile once for both. Measured on the 2-core development machine: see
//! docs/testing.md.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;
use support::{action, hooks};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The folder that holds the wheel this run built, and nothing else.
fn wheel_index() -> &'static Path {
    static INDEX: OnceLock<PathBuf> = OnceLock::new();
    INDEX.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let index = tmp.join("wheel-index");
        let _ = std::fs::remove_dir_all(&index);
        let started = Instant::now();
        let output = Command::new("maturin")
            .current_dir(root())
            .args(["build", "--release", "--locked", "--quiet", "--out"])
            .arg(&index)
            .env("CARGO_TARGET_DIR", tmp.join("pre-commit"))
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .output()
            .unwrap();
        assert_success(&output, "maturin build");
        eprintln!("wheel built in {:.0?}", started.elapsed());
        index
    })
}

/// The wheel's file.
fn wheel() -> PathBuf {
    let wheels: Vec<PathBuf> = std::fs::read_dir(wheel_index())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    wheels[0].clone()
}

/// Environment variables that make pip install from the wheel's folder and nowhere else, with
/// setuptools from virtualenv's own wheels (pre-commit's placeholder package needs it).
fn local_index() -> [(&'static str, String); 2] {
    let output = Command::new("python3")
        .args([
            "-c",
            "from virtualenv.seed.wheels.embed import BUNDLE_FOLDER; print(BUNDLE_FOLDER)",
        ])
        .output()
        .unwrap();
    assert_success(&output, "virtualenv's wheels");
    let bundled = String::from_utf8(output.stdout).unwrap();
    let links = format!("{} {}", wheel_index().display(), bundled.trim());
    [("PIP_NO_INDEX", "1".to_owned()), ("PIP_FIND_LINKS", links)]
}

fn tools_present(test: &str, more: &[&str]) -> bool {
    let tools: Vec<&str> = ["maturin", "python3", "cargo"]
        .iter()
        .chain(more)
        .copied()
        .collect();
    support::commands_present(test, &tools)
}

/// Whether python3 has PyYAML (it comes with pre-commit); otherwise skips `test`.
fn yaml_present(test: &str) -> bool {
    support::python_has("yaml") || {
        support::skip(test, "python3 cannot import yaml");
        false
    }
}

/// Runs `program ARGS` in a copy of the README's example files at `folder`.
fn tour(program: &Path, folder: &Path) -> Vec<Output> {
    for file in [
        "examples/orders.runner",
        "tests/fail/E052-bucket-with-folder.runner",
    ] {
        std::fs::create_dir_all(folder.join(file).parent().unwrap()).unwrap();
        std::fs::copy(root().join(file), folder.join(file)).unwrap();
    }
    let commands: [&[&str]; 3] = [
        &["build", "examples/orders.runner", "--out", "out"],
        &[
            "build",
            "examples/orders.runner",
            "--out",
            "out",
            "--emit",
            "all",
        ],
        &["check", "tests/fail/E052-bucket-with-folder.runner"],
    ];
    let run = |args: &[&str]| {
        Command::new(program)
            .current_dir(folder)
            .args(args)
            .output()
            .unwrap()
    };
    commands.iter().map(|args| run(args)).collect()
}

/// Every file under `folder`, by path from it, with its bytes.
fn files(folder: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.push((path.strip_prefix(folder).unwrap().to_owned(), bytes));
            }
        }
    }
    found.sort();
    found
}

/// The METADATA file of the wheel.
fn metadata() -> String {
    let script = "import sys, zipfile\n\
        wheel = zipfile.ZipFile(sys.argv[1])\n\
        name = next(n for n in wheel.namelist() if n.endswith('.dist-info/METADATA'))\n\
        sys.stdout.write(wheel.read(name).decode())";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(wheel())
        .output()
        .unwrap();
    assert_success(&output, "the wheel's METADATA");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_wheel_installs_runnerc_that_builds_the_tour_as_cargo_s_build_does() {
    let test = "the_wheel_installs_runnerc_that_builds_the_tour_as_cargo_s_build_does";
    if !tools_present(test, &[]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let output = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap();
    assert_success(&output, "python3 -m venv");
    let output = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index", "--find-links"])
        .arg(wheel_index())
        .arg("runnerc")
        .output()
        .unwrap();
    assert_success(&output, "pip install runnerc");
    let installed = venv.join("bin/runnerc");
    let cargo_built = Path::new(env!("CARGO_BIN_EXE_runnerc"));

    let version = |program: &Path| {
        Command::new(program)
            .arg("--version")
            .output()
            .unwrap()
            .stdout
    };
    let printed = String::from_utf8(version(&installed)).unwrap();
    assert!(
        printed.starts_with(&format!("runnerc {} ", env!("CARGO_PKG_VERSION"))),
        "{printed}"
    );
    assert_eq!(
        printed.as_bytes(),
        version(cargo_built),
        "the same version and commit"
    );

    let (from_wheel, from_cargo) = (dir.path().join("wheel"), dir.path().join("cargo"));
    let wheel_runs = tour(&installed, &from_wheel);
    let cargo_runs = tour(cargo_built, &from_cargo);
    for (wheel_run, cargo_run) in wheel_runs.iter().zip(&cargo_runs) {
        assert_eq!(wheel_run.status.code(), cargo_run.status.code());
        assert_eq!(wheel_run.stdout, cargo_run.stdout);
        assert_eq!(wheel_run.stderr, cargo_run.stderr);
    }
    assert_eq!(
        cargo_runs[2].status.code(),
        Some(1),
        "the E052 example fails"
    );
    let written = files(&from_wheel.join("out"));
    assert!(written.len() >= 10, "{written:?}");
    assert!(
        written
            .iter()
            .any(|(p, _)| p.ends_with("orders-cdc/create-roles.sh"))
    );
    assert!(
        written == files(&from_cargo.join("out")),
        "the files differ"
    );
}

#[test]
fn the_wheel_s_metadata_reads_well_on_a_package_index() {
    let test = "the_wheel_s_metadata_reads_well_on_a_package_index";
    if !tools_present(test, &[]) {
        return;
    }
    let name = wheel().file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("runnerc-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(
        name.starts_with(&prefix) && name.ends_with(".whl"),
        "{name}"
    );
    let metadata = metadata();
    let header = metadata.split_once("\n\n").unwrap().0;
    for line in [
        "Name: runnerc".to_owned(),
        format!("Version: {}", env!("CARGO_PKG_VERSION")),
        "License-Expression: MIT OR Apache-2.0".to_owned(),
        "License-File: LICENSE-APACHE".to_owned(),
        "License-File: LICENSE-MIT".to_owned(),
        "Classifier: Programming Language :: Rust".to_owned(),
        "Classifier: Topic :: Security".to_owned(),
        "Project-URL: Repository, https://github.com/runnerc/runnerc".to_owned(),
        "Project-URL: Documentation, https://github.com/runnerc/runnerc/tree/main/docs".to_owned(),
        "Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM".to_owned(),
    ] {
        assert!(header.lines().any(|l| l == line), "{line} not in\n{header}");
    }
    let summary = header
        .lines()
        .find_map(|l| l.strip_prefix("Summary: "))
        .unwrap();
    assert!(summary.contains("least-privilege IAM"), "{summary}");
    let description = std::fs::read_to_string(root().join("docs/package-index.md")).unwrap();
    // The description, as the metadata carries it (with one more new line at its end).
    assert_eq!(
        metadata.split_once("\n\n").unwrap().1.trim_end(),
        description.trim_end()
    );
    assert!(
        !description.contains("](docs/") && !description.contains("](../"),
        "absolute links only"
    );
}

/// A YAML text as JSON, read by python3's PyYAML.
fn yaml_as_json(yaml: &str) -> String {
    let script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.argv[1])))";
    let output = Command::new("python3")
        .args(["-c", script, yaml])
        .output()
        .unwrap();
    assert_success(&output, "yaml");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_python_hooks_check_and_format_the_specs_with_the_wheel() {
    let test = "the_python_hooks_check_and_format_the_specs_with_the_wheel";
    if !tools_present(test, &["pre-commit", "git"]) || !yaml_present(test) {
        return;
    }
    let config = hooks::documented_config(0);
    assert_eq!(hooks::hook_ids(&config), ["runnerc-check", "runnerc-fmt"]);
    let pin = format!(
        "additional_dependencies: [\"runnerc=={}\"]",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(config.matches(&pin).count(), 2, "{config}");
    assert!(!config.contains("language: rust"), "{config}");

    // The README shows the same configuration, written shorter.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let short = readme
        .split("```yaml\n")
        .filter_map(|block| block.split_once("```").map(|(yaml, _)| yaml))
        .find(|yaml| yaml.contains("repo: local"))
        .expect("the README shows the wheel's hooks");
    assert_eq!(yaml_as_json(short), yaml_as_json(&config), "{short}");

    let repo = hooks::specs_repository();
    std::fs::write(repo.path().join(".pre-commit-config.yaml"), &config).unwrap();
    hooks::git(repo.path(), &["add", ".pre-commit-config.yaml"]);
    let home = tempfile::tempdir().unwrap();
    let index = local_index();
    let started = Instant::now();
    let output = Command::new("pre-commit")
        .current_dir(repo.path())
        .args(["run", "--all-files", "--color", "never"])
        .env("PRE_COMMIT_HOME", home.path())
        .envs(index)
        .output()
        .unwrap();
    eprintln!(
        "pre-commit set up and ran the python hooks in {:.1?}",
        started.elapsed()
    );
    hooks::assert_hooks_ran(repo.path(), &output, "runnerc check", "runnerc fmt");
}

#[test]
fn the_action_installs_the_matching_release_when_runnerc_is_not_on_path() {
    let test = "the_action_installs_the_matching_release_when_runnerc_is_not_on_path";
    if !tools_present(test, &["git", "bash"]) || !yaml_present(test) {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/orders.runner"),
        repo.path().join("orders.runner"),
    )
    .unwrap();
    hooks::git(repo.path(), &["init", "--quiet"]);
    hooks::git(repo.path(), &["add", "."]);
    hooks::git(
        repo.path(),
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "--quiet",
            "-m",
            "a",
        ],
    );
    // PATH without any runnerc.
    let path = std::env::var("PATH").unwrap();
    let path: Vec<&str> = path
        .split(':')
        .filter(|dir| !Path::new(dir).join("runnerc").exists())
        .collect();
    let path = path.join(":");
    let [(no_index, no), (find_links, links)] = local_index();
    let run = action::run(&action::Context {
        workspace: repo.path(),
        inputs: &[("base", "HEAD"), ("fail-on", "any")],
        env: &[("PATH", &path), (no_index, &no), (find_links, &links)],
        push_before: "",
    });
    assert_eq!(run.status(), Some(0), "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "runnerc installed: runnerc=={}",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        run.log
    );
    let venv_bin = run.temp.path().join("runnerc-venv/bin");
    assert_eq!(run.path_additions, format!("{}\n", venv_bin.display()));
    let version = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        run.outputs["runnerc-version"],
        String::from_utf8(version.stdout).unwrap().trim_end()
    );
    assert_eq!(run.outputs["verdict"], "unchanged", "{:?}", run.outputs);
    assert_eq!(run.outputs["gate"], "passed", "{:?}", run.outputs);
}
