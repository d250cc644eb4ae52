//! End-to-end tests of the real binary: exit statuses, what is written and what is not,
//! determinism, and where diagnostics point.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn runnerc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const GOOD: &str = r#"runner "orders-cdc" {
    account "123456789012"
    region  "eu-west-1"
    secret "prod/orders-db"
    agent secret "matillion/agent-credentials"
    destination s3 { bucket "acme-cdc-landing" prefix "orders/" }
}
"#;

#[test]
fn build_writes_the_four_documents_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = runnerc(&[
        "build",
        "examples/orders.runner",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for name in [
        "task-role-trust-policy.json",
        "execution-role-trust-policy.json",
        "task-role-policy.json",
        "execution-role-policy.json",
    ] {
        let path = out.join("orders-cdc").join(name);
        assert!(path.is_file(), "{} missing", path.display());
        assert!(stdout(&output).contains(&path.display().to_string()));
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["Version"], "2012-10-17");
    }
}

#[test]
fn check_exits_0_on_a_good_spec_and_1_on_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.runner", GOOD);
    let ok = runnerc(&["check", &good]);
    assert_eq!(ok.status.code(), Some(0));
    // One line says what was checked, so a pipeline's log shows it.
    assert_eq!(
        stderr(&ok),
        "runnerc: checked 1 file, 1 runner: 0 errors, 0 warnings\n"
    );
    let bad = write(
        dir.path(),
        "bad.runner",
        &GOOD.replace("123456789012", "1234"),
    );
    let failed = runnerc(&["check", &bad]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).contains("E020"), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains(&format!("{bad}:2:13")),
        "{}",
        stderr(&failed)
    );
}

#[test]
fn warnings_do_not_fail_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "w.runner",
        &GOOD.replace("\"prod/orders-db\"", "*"),
    );
    let output = runnerc(&[
        "build",
        &spec,
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("W034"));
    let task = fs::read_to_string(dir.path().join("out/orders-cdc/task-role-policy.json")).unwrap();
    assert!(task.contains("\"Resource\": \"*\""));
}

#[test]
fn check_deny_warnings_fails_on_a_warning_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let warned = write(
        dir.path(),
        "w.runner",
        &GOOD.replace("\"prod/orders-db\"", "*"),
    );
    assert_eq!(runnerc(&["check", &warned]).status.code(), Some(0));
    let denied = runnerc(&["check", "--deny-warnings", &warned]);
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    assert!(stderr(&denied).contains("W034"), "{}", stderr(&denied));
    assert!(
        stderr(&denied).ends_with("runnerc: failed: 1 warning and --deny-warnings\n"),
        "{}",
        stderr(&denied)
    );
    // The JSON on stdout is the same array; the status says the rest.
    let json = runnerc(&["check", "--deny-warnings", "--format", "json", &warned]);
    assert_eq!(json.status.code(), Some(1));
    assert!(stdout(&json).contains("\"W034\""), "{}", stdout(&json));
    // A clean spec passes, and an error is still an error.
    let good = write(dir.path(), "good.runner", GOOD);
    assert_eq!(
        runnerc(&["check", "--deny-warnings", &good]).status.code(),
        Some(0)
    );
    let bad = write(
        dir.path(),
        "bad.runner",
        &GOOD.replace("123456789012", "1234"),
    );
    let failed = runnerc(&["check", "--deny-warnings", &bad]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        !stderr(&failed).contains("--deny-warnings"),
        "{}",
        stderr(&failed)
    );
}

#[test]
fn a_non_ascii_comment_does_not_shift_the_reported_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# Überprüfung — ünïcödé 🚀\nrunner \"x\" { account \"1\" region \"eu-west-1\" }\n";
    let spec = write(dir.path(), "u.runner", text);
    let human = runnerc(&["check", &spec]);
    assert!(
        stderr(&human).contains(&format!("{spec}:2:22")),
        "{}",
        stderr(&human)
    );
    let json = runnerc(&["check", "--format", "json", &spec]);
    let diagnostics: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let first = &diagnostics[0];
    assert_eq!(first["code"], "E020");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(2), Some(22))
    );
    assert_eq!(
        (first["end_line"].as_u64(), first["end_column"].as_u64()),
        (Some(2), Some(25))
    );
    assert_eq!(first["severity"], "error");
    assert!(first["help"].is_string());
}

#[test]
fn json_format_prints_an_empty_array_for_a_clean_spec() {
    let output = runnerc(&["check", "--format", "json", "examples/orders.runner"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).trim(), "[]");
}

#[test]
fn an_error_in_any_input_writes_nothing_and_leaves_out_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir_all(out.join("keep")).unwrap();
    fs::write(out.join("keep/file.txt"), "untouched").unwrap();
    let good = write(dir.path(), "good.runner", GOOD);
    let bad = write(
        dir.path(),
        "bad.runner",
        &GOOD
            .replace("orders-cdc", "other")
            .replace("acme-cdc-landing", "Bad_Bucket"),
    );
    let output = runnerc(&["build", &good, &bad, "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    let entries: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec!["keep"]);
    assert_eq!(
        fs::read_to_string(out.join("keep/file.txt")).unwrap(),
        "untouched"
    );
    // And an --out that did not exist is not created.
    let fresh = dir.path().join("fresh");
    runnerc(&["build", &bad, "--out", fresh.to_str().unwrap()]);
    assert!(!fresh.exists());
}

#[test]
fn the_same_input_gives_byte_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for run in ["a", "b"] {
        let out = dir.path().join(run);
        let examples: Vec<String> = fs::read_dir("examples")
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .filter(|p| p.ends_with(".runner"))
            .collect();
        let mut args = vec![
            "build",
            "--emit",
            "json,aws-cli",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(examples.iter().map(String::as_str));
        assert_eq!(runnerc(&args).status.code(), Some(0));
        let mut files = Vec::new();
        for runner in fs::read_dir(&out).unwrap() {
            let runner = runner.unwrap().path();
            if !runner.is_dir() {
                continue;
            }
            for file in fs::read_dir(runner).unwrap() {
                let path = file.unwrap().path();
                let relative = path.strip_prefix(&out).unwrap().to_path_buf();
                files.push((relative, fs::read(&path).unwrap()));
            }
        }
        files.sort();
        // The record of what was written, too.
        files.push((
            ".~runnerc-manifest".into(),
            fs::read(out.join(".~runnerc-manifest")).unwrap(),
        ));
        trees.push(files);
    }
    assert!(!trees[0].is_empty());
    assert_eq!(trees[0], trees[1]);
}

#[test]
fn a_second_build_replaces_files_and_removes_ones_no_longer_emitted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let spec = write(dir.path(), "s.runner", GOOD);
    assert_eq!(
        runnerc(&["build", &spec, "--out", out.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert!(out.join("orders-cdc/execution-role-policy.json").exists());
    // Without agent secrets the execution role has no inline policy: its file must go.
    fs::write(
        &spec,
        GOOD.replace("    agent secret \"matillion/agent-credentials\"\n", ""),
    )
    .unwrap();
    assert_eq!(
        runnerc(&["build", &spec, "--out", out.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert!(!out.join("orders-cdc/execution-role-policy.json").exists());
    assert!(out.join("orders-cdc/task-role-trust-policy.json").exists());
    // A trust-policy.json of runnerc 0.1, which kept no record, is left and named.
    fs::write(out.join("orders-cdc/trust-policy.json"), "{}").unwrap();
    let again = runnerc(&["build", &spec, "--out", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        stderr(&again),
        format!(
            "runnerc: left {}: no record that runnerc wrote it\n",
            out.join("orders-cdc/trust-policy.json").display()
        )
    );
    fs::remove_file(out.join("orders-cdc/trust-policy.json")).unwrap();
    let leftovers: Vec<_> = fs::read_dir(out.join("orders-cdc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn usage_and_io_problems_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "s.runner", GOOD);
    let file_as_out = write(dir.path(), "file", "");
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", "no/such/file.runner"],
        vec!["check", dir.path().to_str().unwrap()],
        vec!["build", &spec, "--out", &file_as_out],
        vec!["build", &spec, "--out", "x", "--emit", "yaml"],
        vec!["check"],
        vec!["frobnicate"],
    ];
    for args in cases {
        let output = runnerc(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            stderr(&output).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).starts_with("runnerc: "), "{args:?}");
    }
}

#[test]
fn a_file_that_is_not_utf8_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.runner");
    fs::write(&path, b"# caf\xe9\nrunner \"x\" {}\n").unwrap();
    let output = runnerc(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(diagnostics[0]["code"], "E003");
    assert_eq!(diagnostics[0]["line"], 1);
    assert_eq!(diagnostics[0]["column"], 6);
}

#[test]
fn runner_names_must_be_unique_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.runner", GOOD);
    let b = write(dir.path(), "b.runner", GOOD);
    let output = runnerc(&["check", &a, &b]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("E011"));
    assert!(stderr(&output).contains(&format!("{a}:1:8")));
}

#[test]
fn a_byte_order_mark_is_white_space() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "bom.runner", &format!("\u{feff}{GOOD}"));
    let output = runnerc(&["check", &spec]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Runs the binary in `dir` with `input` on its standard input.
fn runnerc_in(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A command that refuses its arguments exits without reading; that is not an error here.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn a_dash_reads_the_spec_from_standard_input_in_check_build_and_can() {
    let dir = tempfile::tempdir().unwrap();
    let ok = runnerc_in(dir.path(), &["check", "-"], GOOD);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(
        stderr(&ok),
        "runnerc: checked 1 file, 1 runner: 0 errors, 0 warnings\n"
    );
    // Diagnostics name it as `fmt` does.
    let bad = runnerc_in(
        dir.path(),
        &["check", "--color", "never", "-"],
        &GOOD.replace("123456789012", "1234"),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("<stdin>:2:13"), "{}", stderr(&bad));
    let json = runnerc_in(
        dir.path(),
        &["check", "--format", "json", "-"],
        &GOOD.replace("123456789012", "1234"),
    );
    let diagnostics: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(diagnostics[0]["file"], "<stdin>");
    // With a file beside it: runner names are unique across both.
    let other = write(dir.path(), "other.runner", GOOD);
    let both = runnerc_in(
        dir.path(),
        &["check", "--color", "never", &other, "-"],
        GOOD,
    );
    assert_eq!(both.status.code(), Some(1));
    assert!(stderr(&both).contains("E011"), "{}", stderr(&both));
    assert!(stderr(&both).contains("<stdin>:1:8"), "{}", stderr(&both));

    let built = runnerc_in(dir.path(), &["build", "-", "--out", "out"], GOOD);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    let task = fs::read_to_string(dir.path().join("out/orders-cdc/task-role-policy.json")).unwrap();
    assert!(task.contains("acme-cdc-landing"), "{task}");

    let can = runnerc_in(
        dir.path(),
        &[
            "can",
            "s3:PutObject",
            "arn:aws:s3:::acme-cdc-landing/orders/x.json",
            "-",
            "--role",
            "task",
            "--format",
            "json",
        ],
        GOOD,
    );
    assert_eq!(can.status.code(), Some(0), "{}", stderr(&can));
    let answer: serde_json::Value = serde_json::from_slice(&can.stdout).unwrap();
    assert_eq!(answer["answers"][0]["decision"], "allowed");
    assert_eq!(answer["answers"][0]["spec"]["file"], "<stdin>");
}

#[test]
fn a_dash_given_twice_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        vec!["check", "-", "-"],
        vec!["build", "-", "-", "--out", "out"],
        vec!["fmt", "-", "-"],
        vec!["can", "s3:PutObject", "*", "-", "-"],
    ] {
        let output = runnerc_in(dir.path(), &command, GOOD);
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        assert_eq!(
            stderr(&output),
            "runnerc: `-` is given more than once: standard input can be read only once\n",
            "{command:?}"
        );
        assert!(stdout(&output).is_empty(), "{command:?}");
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_file_given_twice_is_read_once_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(dir.path(), "orders.runner", GOOD);
    let output = runnerc_in(
        dir.path(),
        &["check", "orders.runner", &spec, "./orders.runner"],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "runnerc: `{spec}` is the file `orders.runner`, given already; read once\n\
             runnerc: `./orders.runner` is the file `orders.runner`, given already; read once\n\
             runnerc: checked 1 file, 1 runner: 0 errors, 0 warnings\n"
        )
    );
    let built = runnerc_in(
        dir.path(),
        &["build", "orders.runner", "orders.runner", "--out", "out"],
        "",
    );
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    assert_eq!(
        stderr(&built),
        "runnerc: `orders.runner` is given more than once; read once\n"
    );
}

#[test]
fn the_summary_counts_a_runner_whose_block_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    let three = write(
        dir.path(),
        "three.runner",
        "runner \"a\" {\n account \"123456789012\"\n region \"eu-west-1\"\n}\n\
         runner \"b\" {\n acount \"1\"\n}\n\
         runner \"c\" {\n account \"123456789012\"\n region \"eu-west-1\"\n}\n",
    );
    let output = runnerc(&["check", &three]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).ends_with("runnerc: checked 1 file, 3 runners: 1 error, 0 warnings\n"),
        "{}",
        stderr(&output)
    );
    // A block never closed is still one runner; a stray `}` is none.
    let open = write(
        dir.path(),
        "open.runner",
        "}\nrunner \"a\" {\n account \"123456789012\"\n",
    );
    let output = runnerc(&["check", &open]);
    assert!(
        stderr(&output).ends_with("runnerc: checked 1 file, 1 runner: 2 errors, 0 warnings\n"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn init_writes_what_fmt_accepts_and_takes_a_file_name() {
    let dir = tempfile::tempdir().unwrap();
    for (given, file, runner) in [
        ("orders-cdc", "orders-cdc.runner", "orders-cdc"),
        ("foo.runner", "foo.runner", "foo"),
        (
            "a-rather-long-runner-name-for-the-starter",
            "a-rather-long-runner-name-for-the-starter.runner",
            "a-rather-long-runner-name-for-the-starter",
        ),
    ] {
        let init = runnerc_in(dir.path(), &["init", given], "");
        assert_eq!(init.status.code(), Some(0), "{given}: {}", stderr(&init));
        assert_eq!(stdout(&init), format!("wrote {file}\n"));
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains(&format!("runner \"{runner}\" {{")), "{text}");
        let fmt = runnerc_in(dir.path(), &["fmt", "--check", file], "");
        assert_eq!(fmt.status.code(), Some(0), "{given}: {}", stdout(&fmt));
        let check = runnerc_in(dir.path(), &["check", file], "");
        assert_eq!(check.status.code(), Some(0), "{given}: {}", stderr(&check));
    }
    assert!(!dir.path().join("foo.runner.runner").exists());
    let again = runnerc_in(dir.path(), &["init", "foo"], "");
    assert_eq!(again.status.code(), Some(2), "foo.runner exists already");
    assert_eq!(
        runnerc_in(dir.path(), &["init", ".runner"], "")
            .status
            .code(),
        Some(2)
    );
}

const TWO_RUNNERS: &str = r#"runner "orders-cdc" {
    account "123456789012"
    region  "eu-west-1"
    secret "prod/orders-db"
}
runner "old-cdc" {
    account "123456789012"
    region  "eu-west-1"
    secret "prod/old-db"
}
"#;

/// Every file under `root`, relative, sorted.
fn files_under(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            files.push(relative.into_owned());
        }
    }
    files.sort();
    files
}

#[test]
fn build_removes_only_what_it_wrote_and_no_longer_emits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let build = |spec: &str, emit: &str| {
        let path = write(dir.path(), "spec.runner", spec);
        runnerc(&[
            "build",
            &path,
            "--out",
            out.to_str().unwrap(),
            "--emit",
            emit,
        ])
    };
    let first = build(TWO_RUNNERS, "all");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // The record checks with sha256sum, an evaluator of its own.
    let sums = Command::new("sha256sum")
        .args(["--check", "--strict", ".~runnerc-manifest"])
        .current_dir(&out)
        .output()
        .expect("sha256sum runs");
    assert!(sums.status.success(), "{}", stdout(&sums));
    let written: Vec<String> = files_under(&out)
        .into_iter()
        .filter(|f| out.join(f).is_file() && f != ".~runnerc-manifest")
        .collect();
    assert_eq!(written.len(), stdout(&first).lines().count());
    for file in &written {
        assert!(
            stdout(&sums).contains(&format!("{file}: OK\n")),
            "{file}: {}",
            stdout(&sums)
        );
    }
    fs::write(out.join("README.md"), "the team's own notes").unwrap();

    // old-cdc goes from the specs, terraform stays and the rest of `all` goes; one script of
    // old-cdc was edited, and a file nobody recorded sits beside it.
    let create = out.join("old-cdc/create-roles.sh");
    let script = fs::read_to_string(&create).unwrap();
    fs::write(&create, format!("{script}echo edited\n")).unwrap();
    fs::write(out.join("old-cdc/notes.txt"), "mine").unwrap();
    let one = TWO_RUNNERS.split("runner \"old-cdc\"").next().unwrap();
    let second = build(one, "json,terraform");
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(
        stderr(&second),
        format!(
            "runnerc: left {}: changed since runnerc wrote it\n\
             runnerc: left {}: no record that runnerc wrote it\n",
            create.display(),
            out.join("old-cdc/notes.txt").display()
        )
    );
    assert_eq!(
        files_under(&out),
        [
            ".~runnerc-manifest",
            "README.md",
            "old-cdc",
            "old-cdc/create-roles.sh",
            "old-cdc/notes.txt",
            "orders-cdc",
            "orders-cdc/execution-role-trust-policy.json",
            "orders-cdc/task-role-policy.json",
            "orders-cdc/task-role-trust-policy.json",
            "orders-cdc/terraform",
            "orders-cdc/terraform/main.tf",
            "orders-cdc/terraform/outputs.tf",
            "orders-cdc/terraform/versions.tf",
        ]
    );
    for removed in [
        "old-cdc/delete-roles.sh",
        "old-cdc/terraform",
        "orders-cdc/create-roles.sh",
    ] {
        assert!(
            stdout(&second).contains(&format!("removed {}\n", out.join(removed).display())),
            "{removed}: {}",
            stdout(&second)
        );
    }
    assert_eq!(
        fs::read_to_string(out.join("README.md")).unwrap(),
        "the team's own notes"
    );

    // Said again on the next build, until the owner decides.
    let third = build(one, "json,terraform");
    assert_eq!(stderr(&third), stderr(&second));
    // Put back as runnerc wrote it, the script goes, and its folder once empty.
    fs::write(&create, &script).unwrap();
    fs::remove_file(out.join("old-cdc/notes.txt")).unwrap();
    let fourth = build(one, "json,terraform");
    assert_eq!(stderr(&fourth), "");
    assert!(!out.join("old-cdc").exists());
    assert!(stdout(&fourth).contains(&format!("removed {}\n", create.display())));
}

#[cfg(unix)]
#[test]
fn build_follows_no_symbolic_link_to_remove_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let path = write(dir.path(), "spec.runner", TWO_RUNNERS);
    let built = runnerc(&["build", &path, "--out", out.to_str().unwrap()]);
    assert_eq!(built.status.code(), Some(0));
    // old-cdc's folder moved elsewhere and linked back: its files are the same, but not here.
    let elsewhere = dir.path().join("elsewhere");
    fs::rename(out.join("old-cdc"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("old-cdc")).unwrap();
    let path = write(
        dir.path(),
        "spec.runner",
        TWO_RUNNERS.split("runner \"old-cdc\"").next().unwrap(),
    );
    let again = runnerc(&["build", &path, "--out", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert!(elsewhere.join("task-role-policy.json").is_file());
    assert!(
        stderr(&again).contains(&format!(
            "runnerc: left {}: a symbolic link is on its path\n",
            out.join("old-cdc/task-role-policy.json").display()
        )),
        "{}",
        stderr(&again)
    );
}

const BILLING: &str = r#"runner "billing-cdc" {
    account "123456789012"
    region  "eu-west-1"
    secret "prod/billing-db"
}
"#;

/// The files (not folders) under `root` whose path starts with `prefix`.
fn files_starting(root: &Path, prefix: &str) -> Vec<String> {
    files_under(root)
        .into_iter()
        .filter(|f| f.starts_with(prefix) && root.join(f).is_file())
        .collect()
}

#[test]
fn specs_built_one_at_a_time_into_one_folder_keep_each_others_output() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = root.join("out");
    write(root, "a.runner", TWO_RUNNERS);
    write(root, "b.runner", BILLING);
    let build = |args: &[&str]| {
        let mut all = vec!["build", "--out", "out"];
        all.extend(args);
        let output = runnerc_in(root, &all, "");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        output
    };

    // a, then b: the second build keeps all of a's output.
    build(&["a.runner", "--emit", "all"]);
    let of_a = files_under(&out);
    let second = build(&["b.runner", "--emit", "all"]);
    assert!(!stdout(&second).contains("removed"), "{}", stdout(&second));
    assert_eq!(stderr(&second), "");
    for file in &of_a {
        assert!(out.join(file).exists(), "{file} was removed");
    }
    assert!(out.join("billing-cdc/task-role-policy.json").is_file());
    // The record names each file's spec in comment lines, and still checks with sha256sum.
    let record = fs::read_to_string(out.join(".~runnerc-manifest")).unwrap();
    let headers: Vec<&str> = record.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headers, ["# spec ../a.runner", "# spec ../b.runner"]);
    let sums = Command::new("sha256sum")
        .args(["--check", "--strict", ".~runnerc-manifest"])
        .current_dir(&out)
        .output()
        .expect("sha256sum runs");
    assert!(sums.status.success(), "{}", stderr(&sums));
    assert_eq!(
        stdout(&sums).lines().count(),
        files_starting(&out, "").len() - 1
    );

    // old-cdc taken out of a (given by another spelling), one of its scripts edited: only
    // old-cdc's unchanged files go; the edited one is left and named; b's output stays.
    let create = out.join("old-cdc/create-roles.sh");
    fs::write(&create, "#!/bin/sh\necho edited\n").unwrap();
    let billing = files_starting(&out, "billing-cdc/");
    let orders = files_starting(&out, "orders-cdc/");
    let old = files_starting(&out, "old-cdc/");
    write(
        root,
        "a.runner",
        TWO_RUNNERS.split("runner \"old-cdc\"").next().unwrap(),
    );
    let third = build(&["./a.runner", "--emit", "all"]);
    assert_eq!(
        stderr(&third),
        "runnerc: left out/old-cdc/create-roles.sh: changed since runnerc wrote it\n"
    );
    let mut removed: Vec<String> = stdout(&third)
        .lines()
        .filter_map(|l| l.strip_prefix("removed out/"))
        .map(str::to_owned)
        .collect();
    removed.sort();
    let mut expected: Vec<String> = old
        .into_iter()
        .filter(|f| f != "old-cdc/create-roles.sh")
        .chain(["old-cdc/terraform".into()])
        .collect();
    expected.sort();
    assert_eq!(removed, expected);
    assert_eq!(
        files_starting(&out, "old-cdc/"),
        ["old-cdc/create-roles.sh"]
    );
    assert_eq!(files_starting(&out, "billing-cdc/"), billing);
    assert_eq!(files_starting(&out, "orders-cdc/"), orders);

    // --emit narrowed for a: the dropped kinds of a's runner go, b's runner keeps every kind.
    let fourth = build(&["a.runner", "--emit", "json"]);
    assert!(!out.join("orders-cdc/terraform").exists());
    assert!(!out.join("orders-cdc/create-roles.sh").exists());
    assert!(
        stdout(&fourth).contains("removed out/orders-cdc/terraform\n"),
        "{}",
        stdout(&fourth)
    );
    assert!(out.join("orders-cdc/task-role-policy.json").is_file());
    assert_eq!(files_starting(&out, "billing-cdc/"), billing);
}

#[test]
fn what_standard_input_built_is_never_removed_by_another_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = root.join("out");
    write(root, "b.runner", BILLING);
    let from_stdin = runnerc_in(root, &["build", "-", "--out", "out"], GOOD);
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    let of_stdin = files_starting(&out, "orders-cdc/");
    assert!(!of_stdin.is_empty());
    // Neither a file's build, nor another text on standard input (with another runner), nor
    // both at once removes it.
    let other = TWO_RUNNERS.split("runner \"old-cdc\"").nth(1).unwrap();
    for (args, input) in [
        (&["b.runner"][..], ""),
        (&["-"][..], &*format!("runner \"old-cdc\"{other}")),
        (
            &["b.runner", "-"][..],
            BILLING.replace("billing-cdc", "new-cdc").as_str(),
        ),
    ] {
        let mut all = vec!["build", "--out", "out"];
        all.extend(args);
        let output = runnerc_in(root, &all, input);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(!stdout(&output).contains("removed"), "{}", stdout(&output));
        assert_eq!(stderr(&output), "");
        assert_eq!(files_starting(&out, "orders-cdc/"), of_stdin);
    }
    let record = fs::read_to_string(out.join(".~runnerc-manifest")).unwrap();
    assert!(record.ends_with(&format!(
        "# stdin\n{}",
        record.split("# stdin\n").nth(1).unwrap()
    )));
    assert!(record.contains("  orders-cdc/task-role-policy.json\n"));
    assert!(record.contains("  old-cdc/task-role-policy.json\n"));
}

#[test]
fn a_renamed_spec_keeps_its_old_output_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let out = root.join("out");
    write(root, "a.runner", TWO_RUNNERS);
    let first = runnerc_in(root, &["build", "a.runner", "--out", "out"], "");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let old = files_starting(&out, "old-cdc/");
    // Renamed, and old-cdc taken out on the way: nothing of a.runner's is removed.
    fs::remove_file(root.join("a.runner")).unwrap();
    write(
        root,
        "renamed.runner",
        TWO_RUNNERS.split("runner \"old-cdc\"").next().unwrap(),
    );
    let said = "runnerc: kept out/old-cdc: built from `../a.runner` (as seen from `out`), \
                which no longer exists\n";
    for _ in 0..2 {
        let again = runnerc_in(root, &["build", "renamed.runner", "--out", "out"], "");
        assert_eq!(again.status.code(), Some(0));
        assert!(!stdout(&again).contains("removed"), "{}", stdout(&again));
        assert_eq!(stderr(&again), said);
        assert_eq!(files_starting(&out, "old-cdc/"), old);
    }
    // orders-cdc now belongs to renamed.runner.
    let record = fs::read_to_string(out.join(".~runnerc-manifest")).unwrap();
    assert!(record.contains("# spec ../renamed.runner\n"));
    // Once the owner removes the folder, the record forgets the gone spec and says no more.
    fs::remove_dir_all(out.join("old-cdc")).unwrap();
    let last = runnerc_in(root, &["build", "renamed.runner", "--out", "out"], "");
    assert_eq!(stderr(&last), "");
    let record = fs::read_to_string(out.join(".~runnerc-manifest")).unwrap();
    assert!(!record.contains("a.runner"), "{record}");
    assert!(!record.contains("old-cdc"), "{record}");
}

/// `explain` takes a code written with the wrong letter (or none) as the code of its number,
/// and answers an unknown code with the nearest ones.
#[test]
fn explain_reads_a_wrong_letter_and_suggests_the_nearest_code() {
    for text in ["E026", "e026", "26"] {
        let output = runnerc(&["explain", text]);
        assert_eq!(output.status.code(), Some(0), "{text}: {}", stderr(&output));
        assert!(
            stdout(&output).starts_with("## W026: ARN of another region or account"),
            "{text}: {}",
            stdout(&output)
        );
        assert!(
            stderr(&output).contains("there is no") && stderr(&output).contains("W026, a warning"),
            "{text}: {}",
            stderr(&output)
        );
    }
    // The right code says nothing on stderr.
    assert_eq!(stderr(&runnerc(&["explain", "W026"])), "");
    for (text, nearest) in [
        ("E027", "the nearest is `W026`"),
        ("E058", "the nearest are `W056` and `E060`"),
        ("E999", "the nearest is `E121`"),
    ] {
        let output = runnerc(&["explain", text]);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(
            stderr(&output).contains(nearest),
            "{text}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{text}");
    }
    let output = runnerc(&["explain", "banana"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains("nearest"), "{}", stderr(&output));
}

/// A reader that goes away early (`runnerc explain E052 | head -1`) ends the output quietly:
/// no panic, no "failed printing to stdout".
#[test]
fn a_closed_stdout_is_no_panic() {
    for args in [
        &["explain", "E052"][..],
        &["build", "examples/fleet.runner", "--emit", "all", "--out"][..],
        &[
            "can",
            "s3:PutObject",
            "arn:aws:s3:::acme-cdc-landing/orders/x",
            "examples/orders.runner",
        ][..],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_runnerc"));
        command.args(args);
        if args[0] == "build" {
            command.arg(dir.path().join("out"));
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(output.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

/// A user's own task definition for `build --task-definition`: line 3 holds `taskRoleArn`,
/// line 11 the `valueFrom` of OAUTH_CLIENT_ID.
const BASE_TASK_DEFINITION: &str = r#"{
  "family": "invoices",
  "taskRoleArn": "arn:aws:iam::123456789012:role/invoices-cdc-task-role",
  "cpu": "512",
  "containerDefinitions": [
    {
      "name": "invoices-cdc",
      "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/matillion/streaming-agent:2.4.1",
      "environment": [{"name": "LOG_LEVEL", "value": "info"}],
      "secrets": [
        {"name": "OAUTH_CLIENT_ID", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/agent-AbC123:client_id::"}
      ]
    },
    {"name": "sidecar", "image": "busybox"}
  ]
}
"#;

fn build_with_base(dir: &Path, base: &str, extra: &[&str]) -> (Output, std::path::PathBuf) {
    let base = write(dir, "base.json", base);
    let out = dir.join("out");
    let mut args = vec![
        "build",
        "examples/agent-wiring.runner",
        "--out",
        out.to_str().unwrap(),
        "--task-definition",
        &base,
    ];
    args.extend(extra);
    let output = runnerc(&args);
    (output, out.join("invoices-cdc/task-definition.json"))
}

#[test]
fn build_merges_the_spec_into_a_base_task_definition_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (output, written) = build_with_base(dir.path(), BASE_TASK_DEFINITION, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let merged: serde_json::Value = serde_json::from_slice(&fs::read(&written).unwrap()).unwrap();
    // Kept: the base's family, settings, tagged image, environment and second container.
    assert_eq!(merged["family"], "invoices");
    assert_eq!(merged["cpu"], "512");
    let agent = &merged["containerDefinitions"][0];
    assert_eq!(
        agent["image"],
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/matillion/streaming-agent:2.4.1"
    );
    assert_eq!(agent["environment"][0]["name"], "LOG_LEVEL");
    assert_eq!(merged["containerDefinitions"][1]["name"], "sidecar");
    // Merged: the execution role, the second variable, the logs.
    assert_eq!(
        merged["executionRoleArn"],
        "arn:aws:iam::123456789012:role/invoices-cdc-execution-role"
    );
    assert_eq!(agent["secrets"].as_array().unwrap().len(), 2);
    assert_eq!(agent["secrets"][1]["name"], "OAUTH_CLIENT_SECRET");
    assert_eq!(
        agent["logConfiguration"]["options"]["awslogs-group"],
        "/ecs/invoices-cdc"
    );
    // The result passes verify.
    let verified = runnerc(&[
        "verify",
        written.to_str().unwrap(),
        "examples/agent-wiring.runner",
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    // Another container by --container; a name the base does not hold is E121, listing them.
    let renamed = BASE_TASK_DEFINITION.replace("\"invoices-cdc\"", "\"agent\"");
    let dir = tempfile::tempdir().unwrap();
    let (output, _) = build_with_base(dir.path(), &renamed, &["--container", "agent"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (missing, written) = build_with_base(dir.path(), &renamed, &[]);
    assert_eq!(missing.status.code(), Some(1));
    let text = stderr(&missing);
    assert!(text.contains("[E121]"), "{text}");
    assert!(
        text.contains("no container named `invoices-cdc` (it has `agent`, `sidecar`)"),
        "{text}"
    );
    assert!(text.contains("base.json:5:"), "{text}");
    // The first build's file is still the first build's: nothing was written.
    let kept: serde_json::Value = serde_json::from_slice(&fs::read(&written).unwrap()).unwrap();
    assert_eq!(kept["containerDefinitions"][0]["name"], "agent");
}

#[test]
fn a_base_that_contradicts_the_spec_is_an_error_located_in_it() {
    let contradicting = BASE_TASK_DEFINITION
        .replace("role/invoices-cdc-task-role", "role/someone-else")
        .replace(":client_id::", ":other_key::");
    let dir = tempfile::tempdir().unwrap();
    let (output, written) = build_with_base(dir.path(), &contradicting, &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    let base = dir.path().join("base.json").display().to_string();
    assert_eq!(text.matches("[E120]").count(), 2, "{text}");
    assert!(text.contains(&format!("{base}:3:18")), "{text}");
    assert!(text.contains(&format!("{base}:11:50")), "{text}");
    assert!(
        text.contains("the base sets `OAUTH_CLIENT_ID` from another secret than the spec"),
        "{text}"
    );
    // The spec's line is shown beside it.
    assert!(text.contains("examples/agent-wiring.runner:15:"), "{text}");
    assert!(text.contains("nothing written"), "{text}");
    assert!(!written.exists());
    // Several runners: which one is meant is not guessed.
    let two = runnerc(&[
        "build",
        "examples/fleet.runner",
        "--out",
        dir.path().join("fleet").to_str().unwrap(),
        "--task-definition",
        &base,
    ]);
    assert_eq!(two.status.code(), Some(2));
    assert!(
        stderr(&two).contains("build that runner's spec alone"),
        "{}",
        stderr(&two)
    );
    // --container needs --task-definition.
    let lone = runnerc(&[
        "build",
        "examples/orders.runner",
        "--out",
        "x",
        "--container",
        "a",
    ]);
    assert_eq!(lone.status.code(), Some(2));
}
