//! `runnerc fmt`: the examples are already in the canonical layout; formatting keeps the tree
//! (spans ignored) and every comment, and formatting twice changes nothing, for the examples,
//! every failing case that parses, and a file dense with comments (whose formatted form is a
//! snapshot); `--check`, `-` and files that do not parse behave as documented.

use runnerc::format::{FormatError, comments, format};
use runnerc::parse::parse;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn runnerc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .output()
        .unwrap()
}

fn runner_files(dir: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "runner") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn formatting_keeps_the_tree_and_the_comments_and_is_idempotent() {
    let mut checked = 0;
    for path in [
        runner_files("examples"),
        runner_files("tests/fail"),
        runner_files("tests/fmt"),
        runner_files("tests/e2e"),
    ]
    .concat()
    {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let Ok(tree) = parse(&text, 0) else { continue };
        let once = match format(&text) {
            Ok(once) => once,
            Err(FormatError::Parse(_)) => unreachable!("it parsed"),
            Err(FormatError::Unsound(why)) => panic!("{}: {why}", path.display()),
        };
        assert_eq!(
            parse(&once, 0).unwrap(),
            tree,
            "{}: another tree",
            path.display()
        );
        let before: Vec<_> = comments(&text).into_iter().map(|c| c.text).collect();
        let after: Vec<_> = comments(&once).into_iter().map(|c| c.text).collect();
        assert_eq!(before, after, "{}: comments", path.display());
        assert_eq!(
            format(&once).unwrap(),
            once,
            "{}: not idempotent",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} files checked");
}

#[test]
fn the_examples_are_already_formatted() {
    let examples: Vec<String> = runner_files("examples")
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["fmt", "--check"];
    args.extend(examples.iter().map(String::as_str));
    let output = runnerc(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_file_dense_with_comments_matches_its_snapshot() {
    let text = fs::read_to_string("tests/fmt/dense-comments.runner").unwrap();
    let expected = fs::read_to_string("tests/fmt/dense-comments.formatted").unwrap();
    let formatted = format(&text).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write("tests/fmt/dense-comments.formatted", &formatted).unwrap();
        return;
    }
    assert_eq!(formatted, expected);
    assert_eq!(comments(&text).len(), 19);
}

#[test]
fn check_names_the_files_that_would_change_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.runner");
    let tidy = dir.path().join("tidy.runner");
    let text = "runner \"a\" { account \"123456789012\" region \"eu-west-1\" }\n";
    fs::write(&messy, text).unwrap();
    fs::write(&tidy, format(text).unwrap()).unwrap();
    let output = runnerc(&[
        "fmt",
        "--check",
        messy.to_str().unwrap(),
        tidy.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("messy.runner") && !stdout.contains("tidy.runner"),
        "{stdout}"
    );
    assert_eq!(fs::read_to_string(&messy).unwrap(), text);

    let output = runnerc(&["fmt", messy.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fs::read_to_string(&messy).unwrap(), format(text).unwrap());
    assert_eq!(
        runnerc(&["fmt", "--check", messy.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn a_dash_reads_stdin_and_writes_stdout() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"runner \"a\" {account \"123456789012\" region \"eu-west-1\"}")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "runner \"a\" {\n    account \"123456789012\"\n    region  \"eu-west-1\"\n}\n"
    );
}

#[test]
fn a_file_that_does_not_parse_is_left_untouched_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.runner");
    let text = "runner \"a\" {\n  secrets \"x\"\n";
    fs::write(&broken, text).unwrap();
    let output = runnerc(&["fmt", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("E001") && stderr.contains("left as it is"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&broken).unwrap(), text);
}
