//! The generated aws-cli scripts, run for real against one local IAM endpoint (moto_server on
//! 127.0.0.1, shared by every test here; each test works in accounts of its own, reached
//! through `sts assume-role`, which moto answers for any account):
//!
//! - every example's `create-roles.sh` twice, the roles read back with `aws` and compared with
//!   the compiled documents, then `delete-roles.sh` twice;
//! - roles runnerc did not create (untagged, or another runner's) are refused before any
//!   change, by create and by delete, and left exactly as they were; `--adopt` takes over an
//!   untagged role only when asked;
//! - a tag update never puts more than IAM's 50 tags on a role (moto does not enforce the
//!   limit, so a wrapper around `aws` counts the tags after every `tag-role`);
//! - every example's roles (and the hostile spec's), exported with
//!   `get-account-authorization-details`, import (`runnerc import`, from the export and from the
//!   same export URL-encoded: the same spec) into a spec that `diff` finds unchanged in access;
//!   so do the roles of seeded, generated specs (issue 24's cases), exported once, with the
//!   report's losses equal to `diff`'s;
//! - a hostile spec never runs, a changed spec converges, the wrong account is refused;
//! - the scripts and their helpers pass shellcheck.
//!
//! Needs `aws`, `moto_server` and `shellcheck`; without them these tests are skipped loudly,
//! and with `RUNNERC_E2E=1` a missing tool is a failure.

mod support;

use runnerc::compile::CompiledRunner;
use runnerc::model::OWNER_TAG_KEY;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::iam::*;

/// `runnerc import` of the runner's two roles from a real export (and from the same export
/// URL-encoded, as the raw API returns it: the same spec byte for byte); `diff` of the spec
/// the runner came from and the imported one shows no access change for the runner.
fn assert_import_round_trips(compiled: &CompiledRunner, export: &Value, spec: &Path, cwd: &Path) {
    let runner = &compiled.runner;
    let dir = tempfile::tempdir_in(cwd).unwrap();
    let mut specs = Vec::new();
    for (file, export) in [
        ("live.json", export.clone()),
        ("encoded.json", url_encoded(export)),
    ] {
        fs::write(dir.path().join(file), export.to_string()).unwrap();
        let out = format!("{file}.runner");
        let mut args = vec![
            "import",
            "--live",
            file,
            "--task-role",
            &runner.task_role.name,
            "--execution-role",
            &runner.execution_role.name,
            "--region",
            &runner.region,
            "--out",
            &out,
        ];
        for role in [&runner.task_role, &runner.execution_role] {
            if role.is_existing() {
                args.extend(["--existing", &role.name]);
            }
        }
        let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: import: {}",
            runner.name,
            String::from_utf8_lossy(&output.stderr)
        );
        specs.push(fs::read_to_string(dir.path().join(&out)).unwrap());
    }
    assert_eq!(
        specs[0], specs[1],
        "{}: the URL-encoded export imports otherwise",
        runner.name
    );
    let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["diff", "--format", "json"])
        .arg(std::path::absolute(spec).unwrap())
        .arg("live.json.runner")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: diff: {e}: {}",
            runner.name,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let name = runner.name.as_str();
    let verdicts: Vec<&Value> = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["runner"] == name)
        .collect();
    assert!(
        verdicts.len() == 2 && verdicts.iter().all(|v| v["verdict"] == "unchanged"),
        "{name}: the imported spec is another runner or changes access: {report}\n{}",
        specs[0]
    );
    let access: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["runner"] == name && c["part"] != "settings")
        .collect();
    assert!(access.is_empty(), "{name}: {access:?}\n{}", specs[0]);
}

/// The file of `paths` that holds `runner`.
fn spec_of<'a>(paths: &'a [PathBuf], runner: &str) -> &'a Path {
    paths
        .iter()
        .find(|p| {
            fs::read_to_string(p)
                .unwrap()
                .contains(&format!("runner \"{runner}\""))
        })
        .expect("the runner's file")
}

/// Creates the roles twice, reading them back each time (and importing them: the round trip),
/// then deletes them twice.
fn create_twice_then_delete_twice(
    compiled: &CompiledRunner,
    folder: &Path,
    spec: &Path,
    cwd: &Path,
) {
    let runner = &compiled.runner;
    let account = account_for(&runner.account, &runner.region);
    create_customer_policies(&account, compiled);
    create_existing_roles(&account, compiled);
    let create = folder.join("create-roles.sh");
    let delete = folder.join("delete-roles.sh");
    let first = account.run_script(&create, cwd, &[]);
    let second = account.run_script(&create, cwd, &[]);
    for role in [&runner.task_role, &runner.execution_role] {
        if !role.is_existing() {
            let name = &role.name;
            assert!(first.contains(&format!("created role {name}")), "{first}");
            assert!(
                second.contains(&format!("role {name} is up to date")),
                "{second}"
            );
        }
    }
    let export = account.export();
    assert_export_matches(&account, compiled, &export);
    assert_import_round_trips(compiled, &export, spec, cwd);
    let deleted = account.run_script(&delete, cwd, &[]);
    for role in [&runner.task_role, &runner.execution_role] {
        let done = if role.is_existing() {
            format!(
                "removed inline policy {} from {}",
                runner.inline_policy_name(role),
                role.name
            )
        } else {
            format!("deleted role {}", role.name)
        };
        assert!(deleted.contains(&done), "{deleted}");
    }
    assert_roles_gone(&account, compiled);
    account.run_script(&delete, cwd, &[]);
}

fn tools_present(test: &str) -> bool {
    support::commands_present(test, &["aws", "moto_server"])
}

#[test]
fn every_example_creates_updates_and_deletes_its_roles() {
    if !tools_present("aws-cli end-to-end") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let paths = examples();
    build(&paths, &out);
    let runners = compile_files(&paths);
    // aws-cli spends most of its time starting Python: three runners go at once.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(compiled) = runners.get(index) else {
                            break;
                        };
                        create_twice_then_delete_twice(
                            compiled,
                            &out.join(&compiled.runner.name),
                            spec_of(&paths, &compiled.runner.name),
                            dir.path(),
                        );
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(&format!(
                            "{} created, updated and deleted ({n}/{}, {:.0?})",
                            compiled.runner.name,
                            runners.len(),
                            started.elapsed()
                        ));
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// A spec that names a role someone else owns, in an account of its own.
const SHARED_NAME_SPEC: &str = r#"
runner "shared-name" {
    account "777700000001"
    region  "eu-west-1"
    secret "prod/db"
    agent secret "agent/creds"
    execution role {
        name "ecsTaskExecutionRole"
    }
    tag "team" "streaming"
}
"#;

#[test]
fn roles_runnerc_did_not_create_are_never_changed_or_deleted() {
    if !tools_present("aws-cli ownership") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "shared-name", SHARED_NAME_SPEC);
    let create = folder.join("create-roles.sh");
    let delete = folder.join("delete-roles.sh");
    let account = account_for("777700000001", "eu-west-1");
    create_foreign_role(&account, "ecsTaskExecutionRole", &[("team", "platform")]);
    let before = account.snapshot("ecsTaskExecutionRole");
    assert!(before.0.is_some() && before.1.is_some());

    // create-roles.sh refuses before its first change: not even the task role, which does not
    // exist yet, is created.
    let output = account.script(&create, dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "create-roles.sh succeeded");
    assert!(
        stderr.contains("role ecsTaskExecutionRole exists, but runnerc did not create it")
            && stderr.contains("another name in the spec")
            && stderr.contains("--adopt ecsTaskExecutionRole")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);
    assert!(account.get_role("shared-name-task-role").is_none());

    // delete-roles.sh refuses too, and deletes nothing.
    let output = account.script(&delete, dir.path(), &[]);
    assert!(!output.status.success(), "delete-roles.sh succeeded");
    assert!(String::from_utf8_lossy(&output.stderr).contains("ecsTaskExecutionRole"));
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);

    // Another runner's role: refused by create and delete, also with --adopt.
    let other = account_for("777700000003", "eu-west-1");
    create_foreign_role(
        &other,
        "ecsTaskExecutionRole",
        &[(OWNER_TAG_KEY, "someone-else")],
    );
    let other_before = other.snapshot("ecsTaskExecutionRole");
    let mut shifted = SHARED_NAME_SPEC.replace("777700000001", "777700000003");
    shifted = shifted.replace("shared-name", "shared-other");
    let other_folder = build_spec(dir.path(), "shared-other", &shifted);
    for (script, args) in [
        ("create-roles.sh", &[][..]),
        ("create-roles.sh", &["--adopt", "ecsTaskExecutionRole"][..]),
        ("delete-roles.sh", &[][..]),
    ] {
        let output = other.script(&other_folder.join(script), dir.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{script} {args:?} succeeded");
        assert!(
            stderr.contains("belongs to runner someone-else"),
            "{script}: {stderr}"
        );
        assert_eq!(other.snapshot("ecsTaskExecutionRole"), other_before);
    }
    assert!(other.get_role("shared-other-task-role").is_none());
    progress("pre-existing roles refused and left as they were");
}

#[test]
fn adopt_takes_over_a_role_of_an_earlier_runnerc_only_when_asked() {
    if !tools_present("aws-cli adoption") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = SHARED_NAME_SPEC
        .replace("777700000001", "777700000002")
        .replace("shared-name", "legacy");
    let folder = build_spec(dir.path(), "legacy", &spec);
    let account = account_for("777700000002", "eu-west-1");
    // What runnerc 0.1 left: the role under its name, with no ownership tag.
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "ecsTaskExecutionRole",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
    ]);
    let create = folder.join("create-roles.sh");
    let output = account.script(&create, dir.path(), &["--adopt", "not-a-role-of-it"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a role of runner legacy"));
    assert!(account.get_role("legacy-task-role").is_none());

    let adopted = account.run_script(&create, dir.path(), &["--adopt", "ecsTaskExecutionRole"]);
    assert!(
        adopted.contains("adopting role ecsTaskExecutionRole"),
        "{adopted}"
    );
    let compiled = compile_files(&[dir.path().join("legacy.runner")]).remove(0);
    assert_roles_match(&account, &compiled);
    // From now on the role is this runner's: no --adopt needed.
    account.run_script(&create, dir.path(), &[]);
    account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
    assert_roles_gone(&account, &compiled);
}

/// The real `aws` on PATH, for the wrappers below to call.
fn real_aws() -> String {
    let real = Command::new("sh")
        .args(["-c", "command -v aws"])
        .output()
        .unwrap();
    String::from_utf8(real.stdout).unwrap().trim().to_owned()
}

/// Writes `script` as an executable `aws` in `bin`, ahead of the real one on a test's PATH.
fn install_aws_wrapper(bin: &Path, script: &str) {
    let path = bin.join("aws");
    fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A wrapper around the real `aws` that fails as IAM would when a role holds more than 50
/// tags after a `tag-role` call; moto does not enforce the limit.
fn fifty_tag_limit_wrapper(dir: &Path) -> PathBuf {
    let real = real_aws();
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/usr/bin/env bash
# The real aws, then IAM's 50-tag limit checked after every tag-role.
"{real}" "$@" || exit $?
if [ "$1 $2" = "iam tag-role" ]; then
    role=${{3#--role-name=}}
    count=$("{real}" iam list-role-tags --role-name "$role" --query 'length(Tags)' --output text)
    echo "tag-role $role: $count tags" >>"{log}"
    if [ "$count" -gt 50 ]; then
        echo "An error occurred (LimitExceeded): $role would have $count tags, more than 50" >&2
        exit 254
    fi
fi
"#,
        log = dir.join("tags.log").display()
    );
    install_aws_wrapper(&bin, &script);
    bin
}

#[test]
fn a_tag_update_never_holds_more_than_fifty_tags() {
    if !tools_present("aws-cli tag limit") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = |prefix: &str| {
        let tags: String = (0..49)
            .map(|i| format!("    tag \"{prefix}{i:02}\" \"v\"\n"))
            .collect();
        format!(
            "runner \"many-tags\" {{\n    account \"777700000004\"\n    region \"eu-west-1\"\n{tags}}}\n"
        )
    };
    let first = build_spec(dir.path(), "first", &spec("a"));
    let second = build_spec(dir.path(), "second", &spec("b"));
    let account = account_for("777700000004", "eu-west-1");
    let bin = fifty_tag_limit_wrapper(dir.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for folder in [&first, &second] {
        let mut command = Command::new("bash");
        command.arg(folder.join("create-roles.sh"));
        account.env(&mut command, dir.path());
        command.env("PATH", &path);
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            folder.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let log = fs::read_to_string(dir.path().join("tags.log")).unwrap();
    // The second run updated both roles: each ended with exactly 50 tags.
    assert_eq!(log.matches(": 50 tags").count(), 2, "{log}");
    let tags = &account.roles()["many-tags-task-role"]["Tags"];
    let keys: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 50);
    assert!(
        keys.iter()
            .all(|k| k.starts_with('b') || *k == OWNER_TAG_KEY)
    );
}

/// A wrapper around the real `aws` that logs each call's first two words (`iam get-role`) to
/// `calls.log` beside its `bin` folder.
fn call_log_wrapper(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/usr/bin/env bash\necho \"$1 $2\" >>\"{log}\"\nexec \"{real}\" \"$@\"\n",
        log = dir.join("calls.log").display(),
        real = real_aws()
    );
    install_aws_wrapper(&bin, &script);
    bin
}

/// The calls of `calls.log` that change something in IAM.
fn write_calls(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|call| {
            let verb = call.split(' ').nth(1).unwrap_or("");
            !["get-", "list-"].iter().any(|read| verb.starts_with(read))
                && verb != "get-caller-identity"
        })
        .collect()
}

/// A runner with every setting a second run must compare: boundary, description, session
/// duration, tags (one not ASCII), managed policies, an inline policy on both roles.
const SETTLED_SPEC: &str = r#"
runner "settled" {
    account "777700000027"
    region  "eu-west-1"
    secret "prod/db"
    agent secret "agent/creds"
    destination s3 { bucket "acme-settled" prefix "cdc/" }
    trust service "ec2.amazonaws.com"
    task role {
        description "Settled agent: `quoted` and 'single'"
        max-session-duration 7200
        permissions-boundary "arn:aws:iam::777700000027:policy/streaming-boundary"
    }
    execution role {
        managed-policy default
        managed-policy "arn:aws:iam::777700000027:policy/streaming-log-groups"
    }
    tag "team" "data-platform"
    tag "équipe" "plateforme"
}
"#;

#[test]
fn a_second_run_with_nothing_changed_writes_nothing() {
    if !tools_present("aws-cli second run") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "settled", SETTLED_SPEC);
    let compiled = compile_files(&[dir.path().join("settled.runner")]).remove(0);
    let account = account_for("777700000027", "eu-west-1");
    create_customer_policies(&account, &compiled);
    let create = folder.join("create-roles.sh");
    account.run_script(&create, dir.path(), &[]);
    let before = account.export();
    let bin = call_log_wrapper(dir.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let run_logged = || {
        let _ = fs::remove_file(dir.path().join("calls.log"));
        let mut command = Command::new("bash");
        command.arg(&create);
        account.env(&mut command, dir.path());
        command.env("PATH", &path);
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let log = fs::read_to_string(dir.path().join("calls.log")).unwrap();
        (String::from_utf8(output.stdout).unwrap(), log)
    };
    let (second, log) = run_logged();
    assert!(write_calls(&log).is_empty(), "write calls:\n{log}");
    assert!(
        log.contains("iam get-role"),
        "the wrapper saw the calls: {log}"
    );
    for line in [
        "role settled-task-role is up to date",
        "inline policy runnerc-policy on settled-task-role is up to date",
        "role settled-execution-role is up to date",
        "inline policy runnerc-policy on settled-execution-role is up to date",
        "managed policies on settled-execution-role are up to date",
    ] {
        assert!(second.contains(line), "{line}:\n{second}");
    }
    assert!(!second.contains("updated"), "{second}");
    assert_eq!(account.export(), before, "the account changed");
    // A change made behind the spec's back is put right, and only it is written.
    account.aws_json(&[
        "iam",
        "tag-role",
        "--role-name",
        "settled-task-role",
        "--tags",
        "Key=team,Value=someone-else",
    ]);
    let (third, log) = run_logged();
    assert!(
        third.contains("updated role settled-task-role: tags"),
        "{third}"
    );
    assert!(
        third.contains("role settled-execution-role is up to date"),
        "{third}"
    );
    assert_eq!(write_calls(&log), ["iam tag-role"], "{log}");
    assert_eq!(account.export(), before, "the tag was not put back");
}

#[test]
fn hostile_spec_content_never_runs_and_a_changed_spec_converges() {
    if !tools_present("aws-cli hostile spec") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let hostile = vec![PathBuf::from("tests/e2e/hostile.runner")];
    let converged = vec![PathBuf::from("tests/e2e/converged.runner")];
    build(&hostile, &dir.path().join("v1"));
    build(&converged, &dir.path().join("v2"));
    let v1 = compile_files(&hostile).remove(0);
    let v2 = compile_files(&converged).remove(0);
    let account = account_for(&v1.runner.account, &v1.runner.region);

    account.run_script(
        &dir.path().join("v1/hostile-cdc/create-roles.sh"),
        &work,
        &[],
    );
    let export = account.export();
    assert_export_matches(&account, &v1, &export);
    assert_import_round_trips(&v1, &export, &hostile[0], &work);
    // The descriptions arrived byte for byte, `file://` included (aws-cli did not read a file).
    let description = v1.runner.task_role.description.as_deref().unwrap();
    assert!(description.contains("$(touch pwned-description)") && description.contains('\n'));
    assert_eq!(
        v1.runner.execution_role.description.as_deref(),
        Some("file:///etc/hostname")
    );

    account.run_script(
        &dir.path().join("v2/hostile-cdc/create-roles.sh"),
        &work,
        &[],
    );
    assert_roles_match(&account, &v2);
    account.run_script(
        &dir.path().join("v2/hostile-cdc/delete-roles.sh"),
        &work,
        &[],
    );
    assert_roles_gone(&account, &v2);

    let created: Vec<_> = fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        created.is_empty(),
        "spec content ran as a command: {created:?}"
    );
}

#[test]
fn the_wrong_account_is_refused_with_the_way_out() {
    if !tools_present("aws-cli account check") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "shared-name", SHARED_NAME_SPEC);
    let wrong = account_for("777700000009", "eu-west-1");
    let output = wrong.script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("the credentials are for account 777700000009")
            && stderr.contains("AWS_PROFILE=")
            && stderr.contains("`account` line"),
        "{stderr}"
    );
    assert!(wrong.roles().is_empty(), "a role was created");
}

#[test]
fn every_script_passes_shellcheck() {
    if !support::commands_present("shellcheck", &["shellcheck"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    build(&paths, dir.path());
    let mut scripts = Vec::new();
    for runner in fs::read_dir(dir.path()).unwrap() {
        let runner = runner.unwrap().path();
        if !runner.is_dir() {
            continue; // the record of what build wrote
        }
        for file in fs::read_dir(runner).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "sh") {
                scripts.push(path);
            }
        }
    }
    assert!(scripts.len() >= 2 * paths.len());
    let output = Command::new("shellcheck")
        .args(["--severity=style", "--shell=bash"])
        .args(&scripts)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shellcheck:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // The helpers on their own, as they stand in the source.
    let output = Command::new("shellcheck")
        .args(["--severity=style", "src/lower/aws_cli.sh"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shellcheck src/lower/aws_cli.sh:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A stale managed policy whose ARN holds a glob character (`*` is allowed in policy paths) is
/// detached by its own ARN, never by the names of files it happens to match.
#[test]
fn stale_policy_arns_are_never_read_as_glob_patterns() {
    if !tools_present("aws-cli glob") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"globbed\" {\n    account \"777700000005\"\n    region \"eu-west-1\"\n}\n";
    let folder = build_spec(dir.path(), "globbed", spec);
    let account = account_for("777700000005", "eu-west-1");
    let create = folder.join("create-roles.sh");
    account.run_script(&create, dir.path(), &[]);
    // An attachment the spec does not list, as an earlier spec might have left it.
    create_policy(&account, "glob", "/team*/");
    let stale = "arn:aws:iam::777700000005:policy/team*/glob";
    account.aws_json(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        "globbed-execution-role",
        "--policy-arn",
        stale,
    ]);
    // A file in the working folder that the ARN, read as a pattern, would match.
    let cwd = dir.path().join("cwd");
    fs::create_dir_all(cwd.join("arn:aws:iam::777700000005:policy/teamX")).unwrap();
    fs::write(cwd.join("arn:aws:iam::777700000005:policy/teamX/glob"), "").unwrap();
    let output = account.run_script(&create, &cwd, &[]);
    assert!(
        output.contains(&format!("detached {stale} from")),
        "{output}"
    );
    let attached = &account.roles()["globbed-execution-role"]["AttachedManagedPolicies"];
    let arns: Vec<&str> = attached
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyArn"].as_str().unwrap())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    );
    account.run_script(&folder.join("delete-roles.sh"), &cwd, &[]);
}

/// A path conflict on the execution role is found before the task role is touched.
#[test]
fn a_path_conflict_stops_the_run_before_its_first_change() {
    if !tools_present("aws-cli path conflict") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"moved\" {\n    account \"777700000006\"\n    region \"eu-west-1\"\n    secret \"prod/db\"\n}\n";
    let folder = build_spec(dir.path(), "moved", spec);
    let account = account_for("777700000006", "eu-west-1");
    // This runner's execution role, under another path than the spec's.
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "moved-execution-role",
        "--path",
        "/elsewhere/",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        "--tags",
        &format!("Key={OWNER_TAG_KEY},Value=moved"),
    ]);
    let before = account.snapshot("moved-execution-role");
    let output = account.script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("exists under path /elsewhere/, not /")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert!(
        account.get_role("moved-task-role").is_none(),
        "the task role was created"
    );
    assert_eq!(account.snapshot("moved-execution-role"), before);
}

/// Issue 9's proof: the account's shared `ecsTaskExecutionRole`, with its own trust policy,
/// inline policy, managed attachment and tags, shared by two runners of a fleet of three.
/// Each runner adds only `runnerc-<runner>` and removes only that; everything else on the role
/// stays as it was. Everything runs twice.
#[test]
fn runners_share_an_existing_role_and_touch_only_their_own_policies() {
    if !tools_present("aws-cli existing roles") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = fs::read_to_string("examples/shared-execution-role.runner")
        .unwrap()
        .replace("123456789012", "777700000010");
    let path = dir.path().join("fleet.runner");
    fs::write(&path, &spec).unwrap();
    let out = dir.path().join("out");
    build(std::slice::from_ref(&path), &out);
    let runners = compile_files(&[path]);
    let account = account_for("777700000010", "eu-west-1");
    create_foreign_role(&account, "ecsTaskExecutionRole", &[("team", "platform")]);
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "billing-agent",
        "--path",
        "/platform/",
        "--assume-role-policy-document",
        ECS_TRUST,
    ]);
    // What the role held before runnerc, without runnerc's policies.
    let others = |role: &Value| -> Value {
        let mut role = role.clone();
        let policies = role["RolePolicyList"].as_array_mut().unwrap();
        policies.retain(|p| !p["PolicyName"].as_str().unwrap().starts_with("runnerc-"));
        role
    };
    let before = account.snapshot("ecsTaskExecutionRole");
    let script = |runner: &str, name: &str| out.join(runner).join(name);
    for round in 1..=2 {
        for runner in ["crm-cdc", "billing-cdc", "audit-cdc"] {
            account.run_script(&script(runner, "create-roles.sh"), dir.path(), &[]);
        }
        let role = account.roles()["ecsTaskExecutionRole"].clone();
        let mut names: Vec<&str> = role["RolePolicyList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["other-team", "runnerc-billing-cdc", "runnerc-crm-cdc"],
            "round {round}"
        );
        assert_eq!(
            others(&role),
            others(before.0.as_ref().unwrap()),
            "round {round}"
        );
        assert_eq!(
            account.get_role("ecsTaskExecutionRole"),
            before.1,
            "round {round}"
        );
        for compiled in &runners {
            assert_roles_match(&account, compiled);
        }
    }
    // Removing one runner removes its policy only, twice over.
    for _ in 0..2 {
        account.run_script(&script("crm-cdc", "delete-roles.sh"), dir.path(), &[]);
        let role = account.roles()["ecsTaskExecutionRole"].clone();
        let names: Vec<&str> = role["RolePolicyList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"other-team") && names.contains(&"runnerc-billing-cdc"));
    }
    for runner in ["billing-cdc", "audit-cdc"] {
        account.run_script(&script(runner, "delete-roles.sh"), dir.path(), &[]);
    }
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);
    assert!(
        account.get_role("billing-agent").is_some(),
        "an existing role was deleted"
    );
    progress("a shared execution role kept everything it had");

    // A role that does not trust ECS tasks: a clear refusal, and nothing written anywhere.
    let untrusting = account_for("777700000011", "eu-west-1");
    untrusting.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "ecsTaskExecutionRole",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    ]);
    let spec = spec.replace("777700000010", "777700000011");
    let folder = build_spec(
        dir.path(),
        "untrusting",
        spec.split("runner \"billing-cdc\"").next().unwrap(),
    );
    let before = untrusting.snapshot("ecsTaskExecutionRole");
    for _ in 0..2 {
        let output = untrusting.script(&folder.join("create-roles.sh"), dir.path(), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains("role ecsTaskExecutionRole does not trust ecs-tasks.amazonaws.com")
                && stderr.contains(r#"{"Sid":"EcsTasksAssumeRole","Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"777700000011"}}}"#)
                && stderr.contains("nothing was changed"),
            "{stderr}"
        );
        assert_eq!(untrusting.snapshot("ecsTaskExecutionRole"), before);
        assert!(untrusting.get_role("crm-cdc-task-role").is_none());
    }
}

// ---- issue 16: ownership holes found by fault injection ----

/// The whole account as IAM holds it: every role's export and `get-role`, for "nothing
/// changed" assertions that cover roles a refused run might have created too.
fn whole_account(account: &Account) -> BTreeMap<String, (Value, Option<Value>)> {
    account
        .roles()
        .into_iter()
        .filter(|(name, _)| name != "runnerc-tests")
        .map(|(name, export)| {
            let role = account.get_role(&name);
            (name, (export, role))
        })
        .collect()
}

/// A managed policy or permissions boundary that does not exist (a typo) stops create-roles.sh
/// in its preflight: no role is created, where before both roles and their inline policies
/// were, and the run died at `attach-role-policy`.
#[test]
fn a_missing_managed_policy_or_boundary_stops_the_run_before_its_first_change() {
    if !tools_present("aws-cli missing policies") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let account = account_for("777700000020", "eu-west-1");
    create_policy(&account, "streaming-log-groups", "/");
    let spec = r#"runner "typo" {
    account "777700000020"
    region  "eu-west-1"
    secret "prod/db"
    task role {
        permissions-boundary "arn:aws:iam::777700000020:policy/streaming-boundry"
    }
    execution role {
        managed-policy default
        managed-policy "arn:aws:iam::777700000020:policy/streaming-log-grups"
    }
}
"#;
    let folder = build_spec(dir.path(), "typo", spec);
    let before = whole_account(&account);
    let output = account.script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the managed policy arn:aws:iam::777700000020:policy/streaming-log-grups does not exist")
            && stderr.contains("the permissions boundary arn:aws:iam::777700000020:policy/streaming-boundry does not exist")
            && !stderr.contains("AmazonECSTaskExecutionRolePolicy does not exist")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(whole_account(&account), before);
    assert!(account.get_role("typo-task-role").is_none());

    // Corrected, the same run goes through.
    let fixed = spec
        .replace("streaming-log-grups", "streaming-log-groups")
        .replace(
            "permissions-boundary \"arn:aws:iam::777700000020:policy/streaming-boundry\"",
            "description \"fixed\"",
        );
    let folder = build_spec(dir.path(), "typo", &fixed);
    account.run_script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let compiled = compile_files(&[dir.path().join("typo.runner")]).remove(0);
    assert_roles_match(&account, &compiled);
    account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
    assert_roles_gone(&account, &compiled);
}

/// A runner's role that someone put in an instance profile: delete-roles.sh refuses before its
/// first change and names the profile; before, it removed the inline policy and then failed at
/// `delete-role` with DeleteConflict.
#[test]
fn a_role_in_an_instance_profile_is_not_half_deleted() {
    if !tools_present("aws-cli instance profiles") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"profiled\" {\n    account \"777700000021\"\n    region \"eu-west-1\"\n    secret \"prod/db\"\n    agent secret \"agent/creds\"\n}\n";
    let folder = build_spec(dir.path(), "profiled", spec);
    let account = account_for("777700000021", "eu-west-1");
    account.run_script(&folder.join("create-roles.sh"), dir.path(), &[]);
    account.aws_json(&[
        "iam",
        "create-instance-profile",
        "--instance-profile-name",
        "someone-elses-profile",
    ]);
    account.aws_json(&[
        "iam",
        "add-role-to-instance-profile",
        "--instance-profile-name",
        "someone-elses-profile",
        "--role-name",
        "profiled-task-role",
    ]);
    let before = whole_account(&account);
    let output = account.script(&folder.join("delete-roles.sh"), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "role profiled-task-role is in the instance profile(s) someone-elses-profile"
        ) && stderr.contains("remove-role-from-instance-profile")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(whole_account(&account), before);

    account.aws_json(&[
        "iam",
        "remove-role-from-instance-profile",
        "--instance-profile-name",
        "someone-elses-profile",
        "--role-name",
        "profiled-task-role",
    ]);
    account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
    let compiled = compile_files(&[dir.path().join("profiled.runner")]).remove(0);
    assert_roles_gone(&account, &compiled);
}

/// A wrapper around the real `aws` that holds every `iam delete-role` call until two runs have
/// reached it for the same role, so two delete-roles.sh runs race for the same deletion.
fn delete_race_wrapper(dir: &Path) -> PathBuf {
    let real = real_aws();
    let bin = dir.join("race-bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/usr/bin/env bash
# Holds `iam delete-role` until a second run asks for the same role (30 s at most).
if [ "$1 $2" = "iam delete-role" ]; then
    gate="{gates}/${{3#--role-name=}}"
    mkdir -p "$gate"
    touch "$gate/$$"
    for _ in $(seq 300); do
        [ "$(ls "$gate" | wc -l)" -ge 2 ] && break
        sleep 0.1
    done
fi
exec "{real}" "$@"
"#,
        gates = dir.join("gates").display()
    );
    install_aws_wrapper(&bin, &script);
    bin
}

/// Two delete-roles.sh runs at once: both succeed ("already gone" is success at every step),
/// where before the loser of the `delete-role` race exited 255 on NoSuchEntity.
#[test]
fn two_deletes_at_once_both_succeed() {
    if !tools_present("aws-cli concurrent deletes") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"racy\" {\n    account \"777700000022\"\n    region \"eu-west-1\"\n    secret \"prod/db\"\n    agent secret \"agent/creds\"\n}\n";
    let folder = build_spec(dir.path(), "racy", spec);
    let account = account_for("777700000022", "eu-west-1");
    account.run_script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let bin = delete_race_wrapper(dir.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let delete = folder.join("delete-roles.sh");
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut command = Command::new("bash");
            command.arg(&delete);
            account.env(&mut command, dir.path());
            command.env("PATH", &path);
            command
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = runs
        .into_iter()
        .map(|run| run.wait_with_output().unwrap())
        .collect();
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let both: String = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .collect();
    // The race happened: one run deleted each role, the other found it gone.
    for role in ["racy-task-role", "racy-execution-role"] {
        assert_eq!(
            both.matches(&format!("deleted role {role}")).count(),
            1,
            "{both}"
        );
        assert_eq!(
            both.matches(&format!("role {role} is already gone"))
                .count(),
            1,
            "{both}"
        );
    }
    let compiled = compile_files(&[dir.path().join("racy.runner")]).remove(0);
    assert_roles_gone(&account, &compiled);
}

/// A role name that aws-cli would read as an option reaches IAM as a name.
#[test]
fn a_role_name_that_looks_like_an_option_is_passed_as_a_name() {
    if !tools_present("aws-cli option-like names") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"dashed\" {\n    account \"777700000023\"\n    region \"eu-west-1\"\n    secret \"prod/db\"\n    task role {\n        name \"--debug\"\n    }\n}\n";
    let folder = build_spec(dir.path(), "dashed", spec);
    let account = account_for("777700000023", "eu-west-1");
    for _ in 0..2 {
        account.run_script(&folder.join("create-roles.sh"), dir.path(), &[]);
    }
    let compiled = compile_files(&[dir.path().join("dashed.runner")]).remove(0);
    assert_roles_match(&account, &compiled);
    assert!(account.roles().contains_key("--debug"));
    account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
    assert_roles_gone(&account, &compiled);
}

/// Two specs that define the same runner name on one shared role overwrite each other's
/// `runnerc-<runner>`: the script says so, and shows what the policy held.
#[test]
fn the_same_runner_name_in_two_specs_shows_in_the_summary() {
    if !tools_present("aws-cli runner name clash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let account = account_for("777700000024", "eu-west-1");
    create_foreign_role(&account, "ecsTaskExecutionRole", &[("team", "platform")]);
    let spec = |secret: &str| {
        format!(
            "runner \"cdc\" {{\n    account \"777700000024\"\n    region \"eu-west-1\"\n    agent secret \"{secret}\"\n    execution role existing \"ecsTaskExecutionRole\"\n}}\n"
        )
    };
    for team in ["a", "b"] {
        fs::create_dir_all(dir.path().join(team)).unwrap();
    }
    let team_a = build_spec(&dir.path().join("a"), "cdc", &spec("team-a/agent"));
    let team_b = build_spec(&dir.path().join("b"), "cdc", &spec("team-b/agent"));
    let first = account.run_script(&team_a.join("create-roles.sh"), dir.path(), &[]);
    assert!(
        first.contains("put inline policy runnerc-cdc on ecsTaskExecutionRole"),
        "{first}"
    );
    let again = account.run_script(&team_a.join("create-roles.sh"), dir.path(), &[]);
    assert!(
        again.contains("inline policy runnerc-cdc on ecsTaskExecutionRole is up to date"),
        "{again}"
    );
    let clash = account.run_script(&team_b.join("create-roles.sh"), dir.path(), &[]);
    assert!(
        clash.contains(
            "replaced inline policy runnerc-cdc on ecsTaskExecutionRole; it held other grants"
        ) && clash.contains("another spec that defines a runner named cdc")
            && clash.contains("secret:team-a/agent-??????"),
        "{clash}"
    );
    let role = account.roles()["ecsTaskExecutionRole"].clone();
    let policy = role["RolePolicyList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == "runnerc-cdc")
        .unwrap()
        .to_string();
    assert!(policy.contains("team-b/agent") && !policy.contains("team-a/agent"));
}

/// A wrapper around the real `aws` that answers `iam get-role --role-name=NAME --query Q` from
/// `canned/NAME.json` when that file exists, by applying Q with the JMESPath library aws-cli
/// itself uses: for trust policies that moto refuses to store (wildcard or upper-case actions,
/// `NotAction`) but IAM accepts. Everything else goes to the real `aws`.
fn canned_trust_wrapper(dir: &Path) -> PathBuf {
    let real = real_aws();
    let bin = dir.join("canned-bin");
    fs::create_dir_all(dir.join("canned")).unwrap();
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/usr/bin/env bash
canned="{canned}/${{3#--role-name=}}.json"
if [ "$1 $2 $4" = "iam get-role --query" ] && [ -f "$canned" ]; then
    exec python3 -c '
import json, sys, jmespath
doc = json.load(open(sys.argv[1]))
print(jmespath.search(sys.argv[2], {{"Role": {{"Path": "/", "AssumeRolePolicyDocument": doc}}}}))
' "$canned" "$5"
fi
exec "{real}" "$@"
"#,
        canned = dir.join("canned").display()
    );
    install_aws_wrapper(&bin, &script);
    bin
}

/// A spec whose two roles are existing roles of the account.
fn trust_spec() -> String {
    format!(
        "runner \"trusting\" {{\n    account \"{}\"\n    region  \"eu-west-1\"\n    secret \"prod/db\"\n    agent secret \"agent/creds\"\n    task role existing \"trusting-task\"\n    execution role existing \"trusting-exec\"\n}}\n",
        support::trust_cases::ACCOUNT
    )
}

/// The existing-role trust check decides by meaning, as ECS's request would be judged:
/// `sts:AssumeRole` by `ecs-tasks.amazonaws.com` with the runner's `aws:SourceAccount` (and, for
/// the task role, its tasks' `aws:SourceArn`), every case of tests/support/trust_cases.rs. Each
/// refused policy leaves the whole account as it was; each accepted one gets runnerc's policy.
#[test]
fn an_existing_roles_trust_is_judged_by_meaning() {
    use support::trust_cases::{ACCOUNT, Outcome, cases};
    if !tools_present("aws-cli trust by meaning") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "trusting", &trust_spec());
    let account = account_for(ACCOUNT, "eu-west-1");
    let role_of = |kind: &str| format!("trusting-{}", if kind == "task" { "task" } else { "exec" });
    for kind in ["task", "execution"] {
        account.aws_json(&[
            "iam",
            "create-role",
            "--role-name",
            &role_of(kind),
            "--assume-role-policy-document",
            ECS_TRUST,
        ]);
    }
    let create = folder.join("create-roles.sh");
    let bin = canned_trust_wrapper(dir.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut canned_cases = 0;
    for case in cases() {
        for kind in ["task", "execution"] {
            let name = role_of(kind);
            let canned = dir.path().join("canned").join(format!("{name}.json"));
            let _ = fs::remove_file(&canned);
            let trust = if kind == case.kind {
                case.document()
            } else {
                ECS_TRUST.to_owned()
            };
            let stored = account.aws(&[
                "iam",
                "update-assume-role-policy",
                "--role-name",
                &name,
                "--policy-document",
                &trust,
            ]);
            if !stored.status.success() {
                // moto refuses what IAM accepts here; the role keeps ECS_TRUST in moto and
                // the script reads this case's policy through the wrapper.
                assert!(
                    String::from_utf8_lossy(&stored.stderr).contains("MalformedPolicyDocument"),
                    "{}",
                    String::from_utf8_lossy(&stored.stderr)
                );
                fs::write(&canned, &trust).unwrap();
                canned_cases += 1;
            }
        }
        let before = whole_account(&account);
        let mut command = Command::new("bash");
        command.arg(&create);
        account.env(&mut command, dir.path());
        command.env("PATH", &path);
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let role = role_of(case.kind);
        let expected = match case.outcome {
            Outcome::Accepted => None,
            Outcome::Denied => Some(format!(
                "role {role}'s trust policy explicitly denies ECS tasks of account {ACCOUNT}"
            )),
            Outcome::Unsure => Some(format!(
                "runnerc cannot tell whether role {role}'s trust policy lets this runner's ECS tasks"
            )),
            Outcome::NotTrusted => Some(format!(
                "role {role} does not trust ecs-tasks.amazonaws.com for tasks of account {ACCOUNT}"
            )),
        };
        let what = case.what;
        match expected {
            Some(expected) => {
                assert_eq!(output.status.code(), Some(1), "{what}: {stderr}");
                assert!(
                    stderr.contains(&expected) && stderr.contains("nothing was changed"),
                    "{what}: {stderr}"
                );
                assert_eq!(whole_account(&account), before, "{what}");
            }
            None => {
                assert!(output.status.success(), "{what}: {stderr}");
                let roles = account.roles();
                for kind in ["task", "execution"] {
                    let name = role_of(kind);
                    assert!(
                        roles[&name].to_string().contains("runnerc-trusting"),
                        "{what}: {name}: {}",
                        roles[&name]
                    );
                }
                account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
            }
        }
    }
    progress(&format!(
        "existing roles' trust judged by meaning ({canned_cases} of the policies, which moto refuses to store, read through a wrapper)"
    ));
}

/// A script stopped by a signal (Ctrl-C, `kill`, or `kill` of its process group, as CI runners
/// and `timeout` do) leaves none of its temporary files behind: bash runs the EXIT trap then.
/// (SIGKILL cannot be caught by any program.) Needs no AWS: `aws` here is a stand-in that
/// waits to be stopped.
#[test]
fn a_script_stopped_by_a_signal_leaves_no_temporary_files() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"stopped\" {\n    account \"777700000026\"\n    region \"eu-west-1\"\n    secret \"prod/db\"\n}\n";
    let folder = build_spec(dir.path(), "stopped", spec);
    let bin = dir.path().join("slow-bin");
    let tmp = dir.path().join("tmp");
    fs::create_dir_all(&bin).unwrap();
    fs::create_dir_all(&tmp).unwrap();
    let started = dir.path().join("aws-started");
    fs::write(
        bin.join("aws"),
        format!(
            "#!/usr/bin/env bash\ntouch '{}'\nexec sleep 60\n",
            started.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(bin.join("aws"), fs::Permissions::from_mode(0o755)).unwrap();
    for (signal, status) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let _ = fs::remove_file(&started);
        let mut child = Command::new("bash")
            .arg(folder.join("create-roles.sh"))
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("TMPDIR", &tmp)
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while !started.exists() {
            assert!(Instant::now() < deadline, "the script never called aws");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let files: Vec<_> = fs::read_dir(&tmp).unwrap().collect();
        assert_eq!(
            files.len(),
            2,
            "the script's two temporary files exist while it runs"
        );
        let killed = Command::new("kill")
            .args(["-s", signal, "--", &format!("-{}", child.id())])
            .status()
            .unwrap();
        assert!(killed.success());
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "SIG{signal}");
        let left: Vec<_> = fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
    }
}

/// The agent-wiring example in an account of its own.
fn wiring_spec() -> String {
    std::fs::read_to_string("examples/agent-wiring.runner")
        .unwrap()
        .replace("123456789012", "777700000021")
}

#[test]
fn the_task_definition_fragment_registers_with_ecs() {
    if !tools_present("the_task_definition_fragment_registers_with_ecs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "wiring", &wiring_spec());
    let account = account_for("777700000021", "eu-west-1");
    account.run_script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let fragment: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("task-definition.json")).unwrap(),
    )
    .unwrap();
    // The user's own definition, with the fragment merged in.
    let mut definition = fragment.clone();
    definition["requiresCompatibilities"] = serde_json::json!(["FARGATE"]);
    definition["networkMode"] = serde_json::json!("awsvpc");
    definition["cpu"] = serde_json::json!("256");
    definition["memory"] = serde_json::json!("512");
    let container = &mut definition["containerDefinitions"][0];
    container["image"] = serde_json::json!("public.ecr.aws/docker/library/busybox:latest");
    container["essential"] = serde_json::json!(true);
    let file = dir.path().join("td.json");
    std::fs::write(&file, serde_json::to_string(&definition).unwrap()).unwrap();
    let registered = account.aws_json(&[
        "ecs",
        "register-task-definition",
        "--cli-input-json",
        &format!("file://{}", file.display()),
    ]);
    let family = fragment["family"].as_str().unwrap();
    assert_eq!(registered["taskDefinition"]["family"], family);
    // Read back as ECS holds it.
    let described = account.aws_json(&[
        "ecs",
        "describe-task-definition",
        "--task-definition",
        family,
    ]);
    let held = &described["taskDefinition"];
    assert_eq!(held["taskRoleArn"], fragment["taskRoleArn"]);
    assert_eq!(held["executionRoleArn"], fragment["executionRoleArn"]);
    assert_eq!(
        held["containerDefinitions"][0]["secrets"],
        fragment["containerDefinitions"][0]["secrets"]
    );
    assert_eq!(
        held["containerDefinitions"][0]["secrets"][0]["valueFrom"],
        "arn:aws:secretsmanager:eu-west-1:777700000021:secret:matillion/agent-AbC123:client_id::"
    );
    // The roles the fragment names are the roles the script made.
    let roles = account.roles();
    for key in ["taskRoleArn", "executionRoleArn"] {
        let arn = fragment[key].as_str().unwrap();
        assert!(
            roles.values().any(|role| role["Arn"] == arn),
            "{key} {arn} is not a role of the account"
        );
    }
    // What ECS returns passes `verify` against the spec.
    let described_file = dir.path().join("described.json");
    std::fs::write(
        &described_file,
        serde_json::to_string_pretty(&described).unwrap(),
    )
    .unwrap();
    let spec = dir.path().join("wiring.runner");
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .arg("verify")
        .arg(&described_file)
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stderr).contains("0 errors, 0 warnings"));
    account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
}

/// Whether `held` (what ECS returns) holds everything `written` has: objects key by key,
/// lists element by element (ECS adds defaults, such as a container's `cpu`, but drops nothing).
fn holds(held: &Value, written: &Value) -> bool {
    match (held, written) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(key, value)| h.get(key).is_some_and(|hv| holds(hv, value))),
        (Value::Array(h), Value::Array(w)) => {
            h.len() == w.len() && h.iter().zip(w).all(|(hv, wv)| holds(hv, wv))
        }
        _ => held == written,
    }
}

#[test]
fn a_merged_task_definition_registers_with_ecs_and_reads_back() {
    if !tools_present("a_merged_task_definition_registers_with_ecs_and_reads_back") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("wiring.runner");
    fs::write(&spec, wiring_spec().replace("777700000021", "777700000028")).unwrap();
    let account = account_for("777700000028", "eu-west-1");
    let base = dir.path().join("base.json");
    fs::write(
        &base,
        r#"{
  "family": "invoices",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "512",
  "memory": "1024",
  "containerDefinitions": [
    {
      "name": "agent",
      "image": "777700000028.dkr.ecr.eu-west-1.amazonaws.com/matillion/streaming-agent:2.4.1",
      "essential": true,
      "environment": [{"name": "LOG_LEVEL", "value": "info"}],
      "secrets": [{"name": "OAUTH_CLIENT_ID", "valueFrom": "arn:aws:secretsmanager:eu-west-1:777700000028:secret:matillion/agent-AbC123:client_id::"}]
    },
    {"name": "sidecar", "image": "public.ecr.aws/docker/library/busybox:latest", "essential": false}
  ]
}"#,
    )
    .unwrap();
    let build_from = |base: &Path, out: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(["build", "--emit", "json,aws-cli", "--container", "agent"])
            .arg("--task-definition")
            .arg(base)
            .arg("--out")
            .arg(out)
            .arg(&spec)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = fs::read_to_string(out.join("invoices-cdc/task-definition.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let out = dir.path().join("out");
    let written = build_from(&base, &out);
    account.run_script(&out.join("invoices-cdc/create-roles.sh"), dir.path(), &[]);
    let register_and_describe = |definition: &Path| {
        account.aws_json(&[
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &format!("file://{}", definition.display()),
        ]);
        account.aws_json(&[
            "ecs",
            "describe-task-definition",
            "--task-definition",
            "invoices",
        ])
    };
    let described = register_and_describe(&out.join("invoices-cdc/task-definition.json"));
    let held = &described["taskDefinition"];
    assert!(
        holds(held, &written),
        "ECS holds\n{held:#}\nnot\n{written:#}"
    );
    // The base's settings and its second container are kept; the spec's part is in.
    assert_eq!(held["cpu"], "512");
    assert_eq!(held["containerDefinitions"][1]["name"], "sidecar");
    let agent = &held["containerDefinitions"][0];
    assert_eq!(agent["environment"][0]["name"], "LOG_LEVEL");
    let secrets: Vec<&str> = agent["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, ["OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"]);
    assert_eq!(
        agent["logConfiguration"]["options"]["awslogs-group"],
        "/ecs/invoices-cdc"
    );
    assert_eq!(
        held["executionRoleArn"],
        "arn:aws:iam::777700000028:role/invoices-cdc-execution-role"
    );
    // ECS's own answer is a base too: what describe adds is dropped, and it registers again.
    let described_file = dir.path().join("described.json");
    fs::write(
        &described_file,
        serde_json::to_string_pretty(&described).unwrap(),
    )
    .unwrap();
    let again_out = dir.path().join("again");
    let again = build_from(&described_file, &again_out);
    assert!(again.get("revision").is_none() && again.get("taskDefinitionArn").is_none());
    let second = register_and_describe(&again_out.join("invoices-cdc/task-definition.json"));
    assert_eq!(second["taskDefinition"]["revision"], 2);
    assert!(holds(&second["taskDefinition"], &written));
    account.run_script(&out.join("invoices-cdc/delete-roles.sh"), dir.path(), &[]);
}

/// The README's worked migration, against moto: the source page's hand-made roles
/// (`examples/handmade-roles.json`), made with aws-cli in an account of their own, exported,
/// imported, built and applied with `--adopt`. `drift` finds the hand-made inline policies the
/// report says it read (the task role's as wider, the shared execution role's as overlapping
/// runnerc's); once they are deleted with the report's own commands, the account is as the spec
/// says (no drift, and a second import is the same spec), and the shared execution role kept
/// everything else it had.
#[test]
fn hand_made_roles_migrate_as_the_readme_shows() {
    if !tools_present("aws-cli import migration") {
        return;
    }
    let id = "777700000020";
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let handmade: Value = serde_json::from_str(
        &fs::read_to_string("examples/handmade-roles.json")
            .unwrap()
            .replace("123456789012", id),
    )
    .unwrap();
    let account = account_for(id, "eu-west-1");
    for role in handmade["RoleDetailList"].as_array().unwrap() {
        let name = role["RoleName"].as_str().unwrap();
        let tags: Vec<String> = role["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "Key={},Value={}",
                    t["Key"].as_str().unwrap(),
                    t["Value"].as_str().unwrap()
                )
            })
            .collect();
        let trust = role["AssumeRolePolicyDocument"].to_string();
        let mut create = vec!["iam", "create-role", "--role-name", name];
        create.extend(["--assume-role-policy-document", &trust]);
        if !tags.is_empty() {
            create.push("--tags");
            create.extend(tags.iter().map(String::as_str));
        }
        account.aws_json(&create);
        for policy in role["RolePolicyList"].as_array().unwrap() {
            let document = policy["PolicyDocument"].to_string();
            account.aws_json(&[
                "iam",
                "put-role-policy",
                "--role-name",
                name,
                "--policy-name",
                policy["PolicyName"].as_str().unwrap(),
                "--policy-document",
                &document,
            ]);
        }
        for attached in role["AttachedManagedPolicies"].as_array().unwrap() {
            account.aws_json(&[
                "iam",
                "attach-role-policy",
                "--role-name",
                name,
                "--policy-arn",
                attached["PolicyArn"].as_str().unwrap(),
            ]);
        }
    }
    let runnerc = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap()
    };
    let export = account.export();
    let shared_before = roles_of(&export)["ecsTaskExecutionRole"].clone();
    fs::write(cwd.join("live.json"), export.to_string()).unwrap();
    let import = [
        "import",
        "--live",
        "live.json",
        "--task-role",
        "streaming-agent-role",
        "--execution-role",
        "ecsTaskExecutionRole",
        "--existing",
        "ecsTaskExecutionRole",
        "--out",
        "streaming-agent.runner",
    ];
    let imported = runnerc(&import);
    let report = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(
        imported.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let spec = fs::read_to_string(cwd.join("streaming-agent.runner")).unwrap();

    let folder = build_spec(cwd, "streaming-agent", &spec);
    let applied = account.run_script(
        &folder.join("create-roles.sh"),
        cwd,
        &["--adopt", "streaming-agent-role"],
    );
    assert!(
        applied.contains("adopting role streaming-agent-role"),
        "{applied}"
    );

    // What create-roles.sh left: the hand-made inline policies import read, which drift shows:
    // as wider on the adopted task role, as overlapping runnerc's on the shared existing role.
    fs::write(cwd.join("live.json"), account.export().to_string()).unwrap();
    let drift = runnerc(&["drift", "streaming-agent.runner", "--live", "live.json"]);
    let drifted = String::from_utf8_lossy(&drift.stdout);
    assert!(
        drift.status.code() == Some(1)
            && drifted
                .contains("inline policy `streaming-agent` is on the live role, not in the spec")
            && drifted.contains("inline policy `agent-secret` is not runnerc's and grants some of what `runnerc-streaming-agent` grants"),
        "{drifted}{}",
        String::from_utf8_lossy(&drift.stderr)
    );
    // The report's own commands delete them.
    for policy in ["streaming-agent", "agent-secret"] {
        let command = report
            .lines()
            .find(|l| l.contains(&format!("read: inline policy `{policy}`")))
            .and_then(|l| l.rsplit('`').nth(1))
            .unwrap_or_else(|| panic!("no command to delete `{policy}` in:\n{report}"));
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(args[..2], ["aws", "iam"], "{command}");
        account.aws_json(&args[1..]);
    }

    let export = account.export();
    fs::write(cwd.join("live.json"), export.to_string()).unwrap();
    let drift = runnerc(&["drift", "streaming-agent.runner", "--live", "live.json"]);
    assert_eq!(
        drift.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&drift.stdout),
        String::from_utf8_lossy(&drift.stderr)
    );
    let mut again = import.to_vec();
    *again.last_mut().unwrap() = "again.runner";
    assert!(runnerc(&again).status.success());
    assert_eq!(fs::read_to_string(cwd.join("again.runner")).unwrap(), spec);
    // The shared execution role: everything it had but the hand-made policy deleted, and
    // runnerc's policy in its place.
    let names = |role: &Value| -> Vec<String> {
        role["RolePolicyList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut shared = roles_of(&export)["ecsTaskExecutionRole"].clone();
    let mut before = shared_before.clone();
    assert_eq!(names(&before), ["agent-secret"]);
    assert_eq!(names(&shared), ["runnerc-streaming-agent"]);
    shared["RolePolicyList"] = Value::Array(Vec::new());
    before["RolePolicyList"] = Value::Array(Vec::new());
    assert_eq!(shared, before);
}

// ---- issue 24: import round trips over generated specs ----

/// A small deterministic generator (xorshift64*): the same specs on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const GEN_ACCOUNT: &str = "777700000040";
const GEN_OTHER_ACCOUNT: &str = "210987654321";
const GEN_REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "us-west-2"];
/// The account's shared roles, made outside runnerc, that generated runners name `existing`.
const GEN_SHARED_TASK: &str = "gen-shared-task";
const GEN_SHARED_EXECUTION: &str = "gen-shared-execution";

fn gen_key(rng: &mut Rng, region: &str, account: &str) -> String {
    format!(
        "arn:aws:kms:{region}:{account}:key/{:08x}-12ab-34cd-56ef-{:012x}",
        rng.below(1 << 30),
        rng.below(1 << 30)
    )
}

/// Secret lines of one role: names, full ARNs of other regions and of another account,
/// `secret *`, some with keys used in the secret's region.
fn gen_secrets(rng: &mut Rng, keyword: &str, runner: &str, region: &str, forced: bool) -> String {
    let mut lines = String::new();
    if forced || rng.chance(25) {
        // Every secret of the runner's region, under a key; beside it a secret of another region.
        let key = gen_key(rng, region, GEN_ACCOUNT);
        lines.push_str(&format!("    {keyword} * kms \"{key}\"\n"));
        let other = GEN_REGIONS.iter().find(|r| **r != region).unwrap();
        lines.push_str(&format!(
            "    {keyword} \"arn:aws:secretsmanager:{other}:{GEN_ACCOUNT}:secret:{runner}/dr-AbC123\"\n"
        ));
        return lines;
    }
    for index in 0..rng.below(4) {
        let (arn_region, account) = match rng.below(4) {
            0 => (GEN_REGIONS[rng.below(3)], GEN_ACCOUNT),
            1 => (region, GEN_OTHER_ACCOUNT),
            _ => (region, GEN_ACCOUNT),
        };
        let name = format!("{runner}/{}-{index}", keyword.replace(' ', "-"));
        let written = if arn_region == region && account == GEN_ACCOUNT && rng.chance(50) {
            name
        } else {
            format!("arn:aws:secretsmanager:{arn_region}:{account}:secret:{name}-Xy{index}Z9q")
        };
        let kms = if rng.chance(40) {
            format!(" kms \"{}\"", gen_key(rng, arn_region, account))
        } else {
            String::new()
        };
        lines.push_str(&format!("    {keyword} \"{written}\"{kms}\n"));
    }
    lines
}

/// One generated runner. `shape` forces the cases of issue 24 in turn: `secret * kms KEY`
/// beside a secret of another region; a shared existing execution role on which the runner
/// grants nothing (no policy of its own there); an existing task role beside an owned,
/// tagged execution role; a cross-account secret as the first grant. Everything else is drawn.
fn gen_spec(rng: &mut Rng, index: usize) -> String {
    let runner = format!("gen-{index}");
    let region = GEN_REGIONS[rng.below(3)];
    let shape = index % 4;
    let mut text = format!(
        "runner \"{runner}\" {{\n    account \"{GEN_ACCOUNT}\"\n    region  \"{region}\"\n\n"
    );
    if shape == 3 {
        text.push_str(&format!(
            "    secret \"arn:aws:secretsmanager:us-east-1:{GEN_OTHER_ACCOUNT}:secret:shared/feed-AbC123\"\n"
        ));
    }
    text.push_str(&gen_secrets(rng, "secret", &runner, region, shape == 0));
    let execution_existing = shape == 1 || rng.chance(25);
    if shape != 1 {
        text.push_str(&gen_secrets(rng, "agent secret", &runner, region, false));
    }
    for d in 0..rng.below(3) {
        text.push_str(&format!(
            "\n    destination s3 {{\n        bucket \"{runner}-landing-{d}\"\n"
        ));
        if rng.chance(70) {
            text.push_str(&format!("        prefix \"cdc/{d}/\"\n"));
        }
        let owner = rng.chance(30).then_some(GEN_OTHER_ACCOUNT);
        if rng.chance(50) {
            let key = gen_key(rng, region, owner.unwrap_or(GEN_ACCOUNT));
            text.push_str(&format!("        kms \"{key}\"\n"));
        }
        if let Some(owner) = owner {
            text.push_str(&format!("        owner \"{owner}\"\n"));
        }
        text.push_str("    }\n");
    }
    let task_existing = shape == 2 || rng.chance(15);
    if !task_existing {
        text.push('\n');
        if rng.chance(30) {
            text.push_str("    trust service \"ec2.amazonaws.com\"\n");
        }
        if rng.chance(20) {
            text.push_str("    trust conditions off\n");
        }
    }
    if task_existing {
        text.push_str(&format!(
            "\n    task role existing \"arn:aws:iam::{GEN_ACCOUNT}:role/platform/{GEN_SHARED_TASK}\"\n"
        ));
    } else if rng.chance(50) {
        text.push_str("\n    task role {\n        path \"/streaming/\"\n");
        if rng.chance(50) {
            text.push_str(&format!(
                "        permissions-boundary \"arn:aws:iam::{GEN_ACCOUNT}:policy/gen-boundary\"\n"
            ));
        }
        text.push_str("    }\n");
    }
    if execution_existing {
        text.push_str(&format!(
            "    execution role existing \"{GEN_SHARED_EXECUTION}\"\n"
        ));
    } else if rng.chance(40) {
        let managed = [
            "managed-policy none",
            "managed-policy default\n        managed-policy \"arn:aws:iam::777700000040:policy/gen-pull\"",
        ][rng.below(2)];
        text.push_str(&format!(
            "\n    execution role {{\n        {managed}\n    }}\n"
        ));
    }
    if !(task_existing && execution_existing) && (shape == 2 || rng.chance(50)) {
        // In key order: IAM keeps no order of tags, and `diff` lists another order as a
        // change of settings.
        text.push_str(&format!("\n    tag \"cost-centre\" \"cc-{index}\"\n"));
        text.push_str(&format!("    tag \"team\" \"t{}\"\n", rng.below(9)));
    }
    text.push_str("}\n");
    text
}

/// Runs `runnerc import` (with the options a user would give: `--existing` for the spec's
/// existing roles, `--region` only where the roles cannot tell it, `--runner` only where no
/// role carries it) and `diff ORIGINAL IMPORTED`; returns what is wrong, if anything: an
/// access change, a setting lost, or a report whose losses are not `diff`'s.
fn import_round_trip_problem(compiled: &CompiledRunner, spec: &Path, cwd: &Path) -> Option<String> {
    let runner = &compiled.runner;
    let out = format!("{}.imported.runner", runner.name);
    let mut args = vec![
        "import".to_owned(),
        "--live".to_owned(),
        "live.json".to_owned(),
        "--task-role".to_owned(),
        runner.task_role.name.clone(),
        "--execution-role".to_owned(),
        runner.execution_role.name.clone(),
        "--out".to_owned(),
        out.clone(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    for role in [&runner.task_role, &runner.execution_role] {
        if role.is_existing() {
            args.extend(["--existing".to_owned(), role.name.clone()]);
        }
    }
    if runner.task_role.is_existing() || !runner.trust.confused_deputy_conditions {
        args.extend(["--region".to_owned(), runner.region.clone()]);
    }
    if runner.task_role.is_existing() && runner.execution_role.is_existing() {
        args.extend(["--runner".to_owned(), runner.name.clone()]);
    }
    let run = |args: &[String]| {
        Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap()
    };
    let imported = run(&args);
    if !imported.status.success() {
        return Some(format!(
            "import: {}",
            String::from_utf8_lossy(&imported.stderr)
        ));
    }
    let report: Value = serde_json::from_slice(&imported.stdout).unwrap();
    let spec_text = fs::read_to_string(cwd.join(&out)).unwrap();
    let diff = run(&[
        "diff".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
        spec.display().to_string(),
        out,
    ]);
    let compared: Value = serde_json::from_slice(&diff.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: diff: {e}: {}",
            runner.name,
            String::from_utf8_lossy(&diff.stderr)
        )
    });
    let changes: Vec<&Value> = compared["changes"].as_array().unwrap().iter().collect();
    let losses = |changes: &[&Value]| -> Vec<String> {
        let mut losses: Vec<String> = changes
            .iter()
            .filter(|c| c["change"] == "loses")
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    c["role"], c["part"], c["actions"], c["resources"]
                )
            })
            .collect();
        losses.sort();
        losses
    };
    let reported: Vec<&Value> = report["changes"].as_array().unwrap().iter().collect();
    let problem = if !changes.is_empty() {
        Some(format!(
            "diff ORIGINAL IMPORTED is not unchanged:\n{}",
            changes
                .iter()
                .map(|c| c["text"].to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ))
    } else if losses(&reported) != losses(&changes) {
        Some(format!(
            "the report's losses {:?} are not diff's {:?}",
            losses(&reported),
            losses(&changes)
        ))
    } else {
        None
    };
    problem.map(|p| {
        format!(
            "{p}\n--- original\n{}--- imported\n{spec_text}",
            fs::read_to_string(spec).unwrap()
        )
    })
}

/// Roles that `create-roles.sh` deployed from generated specs (seeded: several regions,
/// `secret *` with a key, keys per secret, shared existing roles with and without the runner's
/// policy, an existing task role beside an owned tagged execution role, cross-account secrets,
/// keys and buckets, trust with and without `aws:SourceArn`, paths, boundaries, managed
/// policies, tags), exported once, each imported and compared with `diff ORIGINAL IMPORTED`:
/// no access change, no setting lost, and the report's losses are `diff`'s.
/// `RUNNERC_IMPORT_SPECS` sets how many (default 12), `RUNNERC_IMPORT_SEED` the seed.
#[test]
fn generated_specs_round_trip_through_create_roles_export_and_import() {
    if !tools_present("aws-cli import round trip over generated specs") {
        return;
    }
    let count: usize = std::env::var("RUNNERC_IMPORT_SPECS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("RUNNERC_IMPORT_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24);
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let paths: Vec<PathBuf> = (0..count)
        .map(|index| {
            let path = cwd.join(format!("gen-{index}.runner"));
            fs::write(&path, gen_spec(&mut rng, index)).unwrap();
            path
        })
        .collect();
    let out = cwd.join("out");
    build(&paths, &out);
    let runners = compile_files(&paths);
    let account = account_for(GEN_ACCOUNT, "eu-west-1");
    create_policy(&account, "gen-boundary", "/");
    create_policy(&account, "gen-pull", "/");
    for (name, path) in [(GEN_SHARED_TASK, "/platform/"), (GEN_SHARED_EXECUTION, "/")] {
        account.aws_json(&[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--path",
            path,
            "--assume-role-policy-document",
            ECS_TRUST,
        ]);
    }
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while let Some(compiled) =
                    runners.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    account.run_script(
                        &out.join(&compiled.runner.name).join("create-roles.sh"),
                        cwd,
                        &[],
                    );
                }
            });
        }
    });
    progress(&format!(
        "{count} generated runners created ({:.0?})",
        started.elapsed()
    ));
    let export = account.export();
    fs::write(cwd.join("live.json"), export.to_string()).unwrap();
    let problems: Vec<String> = runners
        .iter()
        .zip(&paths)
        .filter_map(|(compiled, path)| {
            import_round_trip_problem(compiled, path, cwd)
                .map(|problem| format!("{} (seed {seed}): {problem}", compiled.runner.name))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    progress(&format!(
        "{count} generated runners imported back ({:.0?})",
        started.elapsed()
    ));
}
