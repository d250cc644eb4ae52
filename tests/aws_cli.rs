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
//! - a hostile spec never runs, a changed spec converges, the wrong account is refused;
//! - the scripts and their helpers pass shellcheck.
//!
//! Needs `aws`, `moto_server` and `shellcheck`; without them these tests are skipped loudly,
//! and with `RUNNERC_E2E=1` a missing tool is a failure.

mod support;

use runnerc::compile::CompiledRunner;
use runnerc::model::OWNER_TAG_KEY;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::iam::*;

/// Creates the roles twice, reading them back each time, then deletes them twice.
fn create_twice_then_delete_twice(compiled: &CompiledRunner, folder: &Path, cwd: &Path) {
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
            assert!(second.contains(&format!("updated role {name}")), "{second}");
        }
    }
    assert_roles_match(&account, compiled);
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

/// A wrapper around the real `aws` that fails as IAM would when a role holds more than 50
/// tags after a `tag-role` call; moto does not enforce the limit.
fn fifty_tag_limit_wrapper(dir: &Path) -> PathBuf {
    let real = Command::new("sh")
        .args(["-c", "command -v aws"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_owned();
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/usr/bin/env bash
# The real aws, then IAM's 50-tag limit checked after every tag-role.
"{real}" "$@" || exit $?
if [ "$1 $2" = "iam tag-role" ]; then
    count=$("{real}" iam list-role-tags --role-name "$4" --query 'length(Tags)' --output text)
    echo "tag-role $4: $count tags" >>"{log}"
    if [ "$count" -gt 50 ]; then
        echo "An error occurred (LimitExceeded): $4 would have $count tags, more than 50" >&2
        exit 254
    fi
fi
"#,
        log = dir.join("tags.log").display()
    );
    let path = bin.join("aws");
    fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
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
    assert_roles_match(&account, &v1);
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
