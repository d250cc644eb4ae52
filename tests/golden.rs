//! Golden outputs: every example compiles without error, its warnings are exactly those of
//! `tests/golden/<example>.warnings` (none when there is no such file), and every file
//! `build --emit all` writes for it is compared byte for byte with `tests/golden/<example>/`.
//! Run with `UPDATE_GOLDEN=1` to rewrite the golden files after an intended change, then
//! review the diff.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> Vec<PathBuf> {
    let mut examples: Vec<PathBuf> = fs::read_dir("examples")
        .expect("examples/ exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "runner"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 4, "at least four examples ship");
    examples
}

/// Every file under `root`, by path relative to it.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable").path();
            // The record of what `build` wrote is no output; tests/cli.rs checks it.
            if path
                .file_name()
                .is_some_and(|name| name == ".~runnerc-manifest")
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("below root").to_path_buf();
                files.insert(relative, fs::read(&path).expect("readable"));
            }
        }
    }
    files
}

#[test]
fn every_example_matches_its_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for example in examples() {
        let stem = example.file_stem().unwrap().to_string_lossy().into_owned();
        let out = tempfile::tempdir().unwrap();
        let result = Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(["build", "--emit", "all", "--out"])
            .arg(out.path())
            .arg(&example)
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{} does not compile:\n{}",
            example.display(),
            String::from_utf8_lossy(&result.stderr)
        );
        // The warnings an example is meant to show (`trust service` warns, W064), rendered;
        // no file means none.
        let warnings_file = Path::new("tests/golden").join(format!("{stem}.warnings"));
        let warnings = String::from_utf8_lossy(&result.stderr).into_owned();
        if update {
            if warnings.is_empty() {
                let _ = fs::remove_file(&warnings_file);
            } else {
                fs::write(&warnings_file, &warnings).unwrap();
            }
        } else {
            let expected = fs::read_to_string(&warnings_file).unwrap_or_default();
            if warnings != expected {
                failures.push(format!(
                    "{stem}: warnings differ from {}\n--- expected\n{expected}\n--- actual\n{warnings}",
                    warnings_file.display()
                ));
            }
        }
        let golden_dir = Path::new("tests/golden").join(&stem);
        let actual = tree(out.path());
        if update {
            let _ = fs::remove_dir_all(&golden_dir);
            for (path, bytes) in &actual {
                let target = golden_dir.join(path);
                fs::create_dir_all(target.parent().unwrap()).unwrap();
                fs::write(target, bytes).unwrap();
            }
            continue;
        }
        let expected = tree(&golden_dir);
        if expected.is_empty() {
            failures.push(format!("{stem}: no golden files; run with UPDATE_GOLDEN=1"));
            continue;
        }
        let expected_names: Vec<_> = expected.keys().collect();
        let actual_names: Vec<_> = actual.keys().collect();
        if expected_names != actual_names {
            failures.push(format!(
                "{stem}: files differ\n  expected {expected_names:?}\n  actual   {actual_names:?}"
            ));
            continue;
        }
        for (path, bytes) in &expected {
            if &actual[path] != bytes {
                failures.push(format!(
                    "{stem}/{}: content differs\n--- expected\n{}\n--- actual\n{}",
                    path.display(),
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&actual[path])
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The Terraform module reads in a pull request: no line of runnerc's own expressions is
/// longer than a reviewer's wide screen (the trust check of an existing role was one line of
/// about 3 KB). Error messages are text, not expressions, and JSON policies stand in heredocs.
#[test]
fn terraform_expressions_fit_a_reviewers_screen() {
    const WIDEST: usize = 240;
    let mut checked = 0;
    for (path, bytes) in tree(Path::new("tests/golden")) {
        if path.extension().is_none_or(|e| e != "tf") {
            continue;
        }
        let text = String::from_utf8(bytes).expect("UTF-8");
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("error_message") || trimmed.starts_with('#') {
                continue;
            }
            checked += 1;
            assert!(
                line.chars().count() <= WIDEST,
                "{}:{}: {} characters",
                path.display(),
                number + 1,
                line.chars().count()
            );
        }
    }
    assert!(
        checked > 1000,
        "the golden modules were read ({checked} lines)"
    );
}
