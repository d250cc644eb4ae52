//! `runnerc drift`: the live side read from `aws iam get-account-authorization-details`.
//!
//! Against moto: roles created by the generated scripts show no drift; a rewrite that keeps
//! the meaning shows none; then the live roles are changed with aws-cli (a statement added, a
//! resource widened, a managed policy detached, a tag added, a boundary removed, a trust
//! statement added, an existing role's runnerc policy narrowed, and changes runnerc must not
//! look at) and each change is reported once, in its direction. Offline: unusable exports are
//! usage errors (status 2), never panics.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use support::iam::*;

fn drift(files: &[&Path], live: &Path, json_format: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runnerc"));
    command.arg("drift").args(files).arg("--live").arg(live);
    if json_format {
        command.args(["--format", "json"]);
    }
    command.output().unwrap()
}

/// Writes the account's export to `path` and returns `runnerc drift --format json`'s report.
fn export_and_compare(account: &Account, spec: &Path, path: &Path) -> (i32, Value) {
    let export = account.aws(&[
        "iam",
        "get-account-authorization-details",
        "--filter",
        "Role",
    ]);
    assert!(export.status.success());
    std::fs::write(path, &export.stdout).unwrap();
    let output = drift(&[spec], path, true);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!("{}", String::from_utf8_lossy(&output.stderr));
    });
    (output.status.code().unwrap(), report)
}

/// Every difference as (runner, role, what, direction, Sid or value).
fn differences(report: &Value) -> Vec<(String, String, String, String, String)> {
    let mut found = Vec::new();
    for role in report["roles"].as_array().unwrap() {
        for difference in role["differences"].as_array().unwrap() {
            let detail = match difference["statement"]["Sid"].as_str() {
                Some(sid) => sid.to_owned(),
                None => [&difference["live"], &difference["spec"]]
                    .iter()
                    .find(|v| !v.is_null())
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            };
            found.push((
                role["runner"].as_str().unwrap().to_owned(),
                role["role"].as_str().unwrap().to_owned(),
                difference["what"].as_str().unwrap().to_owned(),
                difference["direction"].as_str().unwrap().to_owned(),
                detail,
            ));
        }
    }
    found.sort();
    found
}

const ACCOUNT: &str = "777700000901";

const SPEC: &str = r#"
runner "drift-a" {
    account "777700000901"
    region  "eu-west-1"
    secret "prod/orders-db"
    agent secret "agent/creds"
    destination s3 {
        bucket "acme-drift-landing"
        prefix "orders/"
    }
    task role {
        permissions-boundary "arn:aws:iam::777700000901:policy/drift-boundary"
    }
    tag "team" "data-platform"
}

runner "drift-b" {
    account "777700000901"
    region  "eu-west-1"
    agent secret "agent/drift-b"
    execution role existing "shared-execution"
}
"#;

fn write_spec(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.runner"));
    std::fs::write(&path, text).unwrap();
    path
}

fn put_policy(account: &Account, role: &str, name: &str, document: &Value) {
    let output = account.aws(&[
        "iam",
        "put-role-policy",
        "--role-name",
        role,
        "--policy-name",
        name,
        "--policy-document",
        &document.to_string(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn run(account: &Account, args: &[&str]) {
    let output = account.aws(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn each_live_change_is_reported_once_in_its_direction() {
    if !support::commands_present("drift against moto", &["aws", "moto_server"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "drift", SPEC);
    let out = dir.path().join("out");
    build(std::slice::from_ref(&spec), &out);
    let account = account_for(ACCOUNT, "eu-west-1");
    let compiled = compile_files(std::slice::from_ref(&spec));
    for runner in &compiled {
        create_customer_policies(&account, runner);
        create_existing_roles(&account, runner);
        account.run_script(
            &out.join(&runner.runner.name).join("create-roles.sh"),
            dir.path(),
            &[],
        );
    }
    let live = dir.path().join("live.json");

    // As created: no drift.
    let (status, report) = export_and_compare(&account, &spec, &live);
    assert_eq!(differences(&report), vec![], "{report:#}");
    assert_eq!(status, 0);
    assert_eq!(report["drift"], false);
    assert_eq!(report["account"], ACCOUNT);
    assert_eq!(report["roles"].as_array().unwrap().len(), 4);

    // The same meaning, written otherwise: statements in another order, single values as
    // lists, keys reordered, another Sid. Still no drift.
    let task_policy: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("drift-a/task-role-policy.json")).unwrap(),
    )
    .unwrap();
    let mut statements: Vec<Value> = task_policy["Statement"].as_array().unwrap().clone();
    statements.reverse();
    let rewritten: Vec<Value> = statements
        .iter()
        .map(|s| {
            let listed = |v: &Value| if v.is_array() { v.clone() } else { json!([v]) };
            let mut out = json!({
                "Resource": listed(&s["Resource"]),
                "Action": listed(&s["Action"]),
                "Effect": "Allow",
                "Sid": format!("Renamed{}", s["Sid"].as_str().unwrap()),
            });
            if let Some(condition) = s.get("Condition") {
                out["Condition"] = condition.clone();
            }
            out
        })
        .collect();
    put_policy(
        &account,
        "drift-a-task-role",
        "runnerc-policy",
        &json!({"Statement": rewritten, "Version": "2012-10-17"}),
    );
    let (status, report) = export_and_compare(&account, &spec, &live);
    assert_eq!(differences(&report), vec![], "{report:#}");
    assert_eq!(status, 0);

    // Changes, each of which must be reported once.
    let mut widened = task_policy.clone();
    for statement in widened["Statement"].as_array_mut().unwrap() {
        if statement["Sid"] == "ReadWriteDestinationObjects" {
            statement["Resource"] = json!("arn:aws:s3:::acme-drift-landing/*");
        }
    }
    widened["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Sid": "AddedByHand", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    put_policy(&account, "drift-a-task-role", "runnerc-policy", &widened);
    run(
        &account,
        &[
            "iam",
            "detach-role-policy",
            "--role-name",
            "drift-a-execution-role",
            "--policy-arn",
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        ],
    );
    run(
        &account,
        &[
            "iam",
            "tag-role",
            "--role-name",
            "drift-a-task-role",
            "--tags",
            "Key=owner,Value=someone",
        ],
    );
    run(
        &account,
        &[
            "iam",
            "delete-role-permissions-boundary",
            "--role-name",
            "drift-a-task-role",
        ],
    );
    let mut trust: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("drift-a/execution-role-trust-policy.json")).unwrap(),
    )
    .unwrap();
    trust["Statement"].as_array_mut().unwrap().push(json!({
        "Sid": "Ec2AddedByHand", "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}));
    run(
        &account,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            "drift-a-execution-role",
            "--policy-document",
            &trust.to_string(),
        ],
    );
    // drift-b's policy on the shared role, narrowed to one version of the secret's name.
    let mut narrowed: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("drift-b/execution-role-policy.json")).unwrap(),
    )
    .unwrap();
    narrowed["Statement"][0]["Resource"] =
        json!("arn:aws:secretsmanager:eu-west-1:777700000901:secret:agent/drift-b-AbC123");
    put_policy(&account, "shared-execution", "runnerc-drift-b", &narrowed);
    // Not runnerc's to compare: the shared role's other policies and tags.
    put_policy(
        &account,
        "shared-execution",
        "platform-team",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}),
    );
    run(
        &account,
        &[
            "iam",
            "tag-role",
            "--role-name",
            "shared-execution",
            "--tags",
            "Key=cost-centre,Value=42",
        ],
    );

    let (status, report) = export_and_compare(&account, &spec, &live);
    let s = |v: &str| v.to_owned();
    let expected = vec![
        (
            s("drift-a"),
            s("execution"),
            s("managed-policy"),
            s("narrower"),
            s("\"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy\""),
        ),
        (
            s("drift-a"),
            s("execution"),
            s("trust-policy"),
            s("wider"),
            s("Ec2AddedByHand"),
        ),
        (
            s("drift-a"),
            s("task"),
            s("inline-policy"),
            s("wider"),
            s("AddedByHand"),
        ),
        (
            s("drift-a"),
            s("task"),
            s("inline-policy"),
            s("wider"),
            s("ReadWriteDestinationObjects"),
        ),
        (
            s("drift-a"),
            s("task"),
            s("permissions-boundary"),
            s("wider"),
            s("\"arn:aws:iam::777700000901:policy/drift-boundary\""),
        ),
        (
            s("drift-a"),
            s("task"),
            s("tag"),
            s("changed"),
            s("{\"Key\":\"owner\",\"Value\":\"someone\"}"),
        ),
        (
            s("drift-b"),
            s("execution"),
            s("inline-policy"),
            s("narrower"),
            s("ReadAgentSecrets"),
        ),
    ];
    assert_eq!(differences(&report), expected, "{report:#}");
    assert_eq!(status, 1);
    assert_eq!(report["drift"], true);

    // The same, for people.
    let output = drift(&[&spec], &live, false);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    for line in [
        "drift-a task role `drift-a-task-role`: 4 differences",
        "wider     inline policy `runnerc-policy`: statement `AddedByHand` allows `s3:*` on `*` live, not in the spec",
        "narrower  managed policy `arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` is in the spec, not attached live",
        "narrower  inline policy `runnerc-drift-b`: statement `ReadAgentSecrets` allows `secretsmanager:GetSecretValue` on `arn:aws:secretsmanager:eu-west-1:777700000901:secret:agent/drift-b-??????` in the spec, not live",
        "drift-b task role `drift-b-task-role`: no drift",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }

    // A role deleted outside runnerc is missing.
    account.run_script(&out.join("drift-a/delete-roles.sh"), dir.path(), &[]);
    let (status, report) = export_and_compare(&account, &spec, &live);
    assert_eq!(status, 1);
    let missing: Vec<&str> = report["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "missing")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["drift-a-task-role", "drift-a-execution-role"]);
}

/// An export by hand: one role, its documents written as IAM's raw API returns them
/// (URL-encoded) or as objects.
fn export(role: Value) -> String {
    json!({"RoleDetailList": [role], "GroupDetailList": [], "UserDetailList": [], "Policies": []})
        .to_string()
}

const SMALL: &str = r#"runner "small" {
    account "123456789012"
    region  "eu-west-1"
    agent secret "agent/creds"
}
"#;

fn small_role(trust: Value, policies: Value) -> Value {
    json!({
        "Path": "/", "RoleName": "small-task-role", "RoleId": "AROA1",
        "Arn": "arn:aws:iam::123456789012:role/small-task-role",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": policies,
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": "runnerc:runner", "Value": "small"}],
    })
}

#[test]
fn url_encoded_and_reordered_documents_are_the_same_documents() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    // The task role's trust policy, URL-encoded as the raw API returns it, keys reordered.
    let trust = r#"{"Statement":[{"Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:ecs:eu-west-1:123456789012:*"]},"StringEquals":{"aws:SourceAccount":"123456789012"}},"Action":["sts:AssumeRole"],"Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Effect":"Allow"}],"Version":"2012-10-17"}"#;
    let encoded: String = trust
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let live = dir.path().join("live.json");
    std::fs::write(&live, export(small_role(json!(encoded), json!([])))).unwrap();
    let output = drift(&[&spec], &live, true);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let task = &report["roles"][0];
    assert_eq!(task["name"], "small-task-role");
    assert_eq!(task["status"], "same", "{report:#}");
    assert_eq!(report["roles"][1]["status"], "missing");
    assert_eq!(output.status.code(), Some(1));

    // The trust condition dropped live: wider, once.
    let loose = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    std::fs::write(&live, export(small_role(json!(loose), json!([])))).unwrap();
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    let task = &report["roles"][0]["differences"];
    assert_eq!(task.as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(task[0]["what"], "trust-policy");
    assert_eq!(task[0]["direction"], "wider");
}

#[test]
fn unusable_exports_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let good = export(small_role(json!({"Statement": []}), json!([])));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_owned(),
            "ends too early",
        ),
        ("not json", "RoleDetailList: none".to_owned(), "not JSON"),
        ("no roles list", "{}".to_owned(), "no `RoleDetailList`"),
        ("a list", "[]".to_owned(), "not the JSON object"),
        (
            "paged",
            json!({"RoleDetailList": [], "IsTruncated": true, "Marker": "x"}).to_string(),
            "truncated",
        ),
        (
            "no name",
            json!({"RoleDetailList": [{"Path": "/"}]}).to_string(),
            "no `RoleName`",
        ),
        (
            "bad trust",
            export(small_role(json!("%7B%22Statement"), json!([]))),
            "role `small-task-role`: trust policy",
        ),
        (
            "bad inline",
            export(small_role(
                json!({"Statement": []}),
                json!([{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Perhaps", "Action": "x"}]}}]),
            )),
            "inline policy `p`",
        ),
        (
            "tags not a list",
            export({
                let mut r = small_role(json!({"Statement": []}), json!([]));
                r["Tags"] = json!("x");
                r
            }),
            "`Tags` is not a list",
        ),
    ];
    for (case, text, message) in cases {
        let live = dir.path().join("live.json");
        std::fs::write(&live, text).unwrap();
        let output = drift(&[&spec], &live, false);
        assert_eq!(output.status.code(), Some(2), "{case}");
        assert!(output.stdout.is_empty(), "{case}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains(message) && !stderr.contains("panicked"),
            "{case}: {stderr}"
        );
    }
    let output = drift(&[&spec], &dir.path().join("absent.json"), false);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("cannot read")
    );
}

#[test]
fn another_accounts_export_is_not_drift_and_not_silence() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let mut role = small_role(json!({"Statement": []}), json!([]));
    role["Arn"] = json!("arn:aws:iam::999999999999:role/small-task-role");
    let live = dir.path().join("live.json");
    std::fs::write(&live, export(role)).unwrap();
    // Only runners of another account: nothing compared is a usage error, not "no drift".
    let output = drift(&[&spec], &live, false);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("export of account 999999999999") && stderr.contains("nothing compared"),
        "{stderr}"
    );
    // With a runner of the export's account beside it, the other is said not compared.
    let other = write_spec(
        dir.path(),
        "other",
        &SMALL
            .replace("small", "other")
            .replace("123456789012", "999999999999"),
    );
    let mut role = small_role(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        json!([]),
    );
    role["Arn"] = json!("arn:aws:iam::999999999999:role/other-task-role");
    role["RoleName"] = json!("other-task-role");
    std::fs::write(&live, export(role)).unwrap();
    let output = drift(&[&spec, &other], &live, false);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("small task role `small-task-role`: not compared: `")
            && text.contains("is from account 999999999999"),
        "{text}"
    );
    assert!(
        text.contains("other execution role `other-execution-role`: 1 difference"),
        "{text}"
    );
}

#[test]
fn odd_but_valid_exports_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}, "ArnLike": {"aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*"}}}]});
    // A byte-order mark before the JSON, the role name in other case.
    let mut role = small_role(trust.clone(), json!([]));
    role["RoleName"] = json!("SMALL-TASK-ROLE");
    let live = dir.path().join("live.json");
    std::fs::write(&live, format!("\u{feff}{}", export(role))).unwrap();
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    assert_eq!(report["roles"][0]["status"], "same", "{report:#}");
    // The execution role's policy granted live through NotResource: nothing narrower.
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string({
            let out = dir.path().join("out");
            let status = Command::new(env!("CARGO_BIN_EXE_runnerc"))
                .args(["build", "--out"])
                .arg(&out)
                .arg(&spec)
                .output()
                .unwrap();
            assert!(status.status.success());
            out.join("small/execution-role-policy.json")
        })
        .unwrap(),
    )
    .unwrap();
    let mut wide = policy.clone();
    let statement = wide["Statement"][0].as_object_mut().unwrap();
    statement.remove("Resource");
    statement.insert(
        "NotResource".to_owned(),
        json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:other-??????"),
    );
    let mut execution = small_role(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}),
        json!([{"PolicyName": "runnerc-policy", "PolicyDocument": wide}]),
    );
    execution["RoleName"] = json!("small-execution-role");
    execution["AttachedManagedPolicies"] = json!([{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}]);
    let both = json!({"RoleDetailList": [small_role(trust, json!([])), execution]}).to_string();
    std::fs::write(&live, both).unwrap();
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    let differences = &report["roles"][1]["differences"];
    assert_eq!(differences.as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(
        differences[0]["direction"], "wider",
        "NotResource grants more, never less: {report:#}"
    );
}

#[test]
fn ambiguous_exports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let role = small_role(json!({"Statement": []}), json!([]));
    let mut twin = role.clone();
    twin["RoleName"] = json!("Small-Task-Role");
    let mut foreign = role.clone();
    foreign["RoleName"] = json!("x");
    foreign["Arn"] = json!("arn:aws:iam::999999999999:role/x");
    let mut bad_path = role.clone();
    bad_path["Path"] = json!(5);
    for (case, roles, message) in [
        ("twice", json!([role, twin]), "listed twice"),
        (
            "two accounts",
            json!([role, foreign]),
            "roles of two accounts",
        ),
        ("path", json!([bad_path]), "`Path` is not a string"),
    ] {
        let live = dir.path().join("live.json");
        std::fs::write(&live, json!({"RoleDetailList": roles}).to_string()).unwrap();
        let output = drift(&[&spec], &live, false);
        assert_eq!(output.status.code(), Some(2), "{case}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(message), "{case}: {stderr}");
    }
}

/// An inline policy document for `small-execution-role`'s export.
fn with_policy(name: &str, document: Value) -> Value {
    let mut role = small_role(json!({"Statement": []}), json!([]));
    role["RoleName"] = json!("small-execution-role");
    role["RolePolicyList"] = json!([{"PolicyName": name, "PolicyDocument": document}]);
    role
}

/// A statement of `n` actions and `n` resources: `n * n` grants in about 15 n characters.
fn cross_product(n: usize) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": (0..n).map(|i| format!("s3:a{i}")).collect::<Vec<_>>(),
        "Resource": (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>(),
    }]})
}

fn assert_unusable(dir: &Path, spec: &Path, case: &str, live: &Path, message: &str) {
    let output = drift(&[spec], live, false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{case}: {stderr}");
    assert!(output.stdout.is_empty(), "{case}");
    assert!(
        stderr.contains("is not a usable export") && stderr.contains(message),
        "{case}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    let _ = dir;
}

#[test]
fn documents_larger_than_iam_holds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let live = dir.path().join("live.json");
    let half = (0..500)
        .map(|i| format!("arn:aws:s3:::bucket-{i}/*"))
        .collect::<Vec<_>>();
    let two_policies = {
        let mut role = with_policy("a", json!({}));
        let document =
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": half}]});
        role["RolePolicyList"] = json!([
            {"PolicyName": "first", "PolicyDocument": document},
            {"PolicyName": "second", "PolicyDocument": document},
        ]);
        role
    };
    let long_trust = small_role(
        json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": (0..200).map(|i| format!("arn:aws:iam::123456789012:role/r{i}")).collect::<Vec<_>>()}}]}),
        json!([]),
    );
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "2,000 actions x 2,000 resources",
            with_policy("runnerc-policy", cross_product(2_000)),
            "role `small-execution-role`: inline policy `runnerc-policy` has 35861 characters (white space not counted), and IAM holds at most 10240 in one role's inline policies together: this is not a real export",
        ),
        (
            "4,000 actions x 4,000 resources",
            with_policy("runnerc-policy", cross_product(4_000)),
            "inline policy `runnerc-policy` has 73861 characters",
        ),
        (
            "two inline policies",
            two_policies,
            "inline policies `first` 13961, `second` 13961 have 27922 characters together",
        ),
        (
            "trust policy",
            long_trust,
            "role `small-task-role`: the trust policy has 7572 characters (white space not counted), and IAM holds at most 4096 (2,048 by default, 4096 by quota increase)",
        ),
        (
            "a 50 MB resource",
            with_policy(
                "runnerc-policy",
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "x".repeat(50_000_000)}]}),
            ),
            "role `small-execution-role` takes 47.7 MiB of the export, its inline policy `runnerc-policy` 47.7 MiB: more than IAM's limits let a role hold",
        ),
    ];
    for (case, role, message) in cases {
        std::fs::write(&live, export(role)).unwrap();
        assert_unusable(dir.path(), &spec, case, &live, message);
    }

    // More roles than an account can hold.
    let roles: Vec<Value> = (0..5_001)
        .map(|i| {
            json!({"RoleName": format!("r{i}"), "Arn": format!("arn:aws:iam::123456789012:role/r{i}"), "AssumeRolePolicyDocument": {"Statement": []}})
        })
        .collect();
    std::fs::write(&live, json!({ "RoleDetailList": roles }).to_string()).unwrap();
    assert_unusable(
        dir.path(),
        &spec,
        "5,001 roles",
        &live,
        "`RoleDetailList` holds more than 5000 roles, and an account holds at most 5000 (IAM's quota at its maximum)",
    );

    // A file larger than any export (sparse: nothing written), refused before it is read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(600 * 1024 * 1024)
        .unwrap();
    assert_unusable(
        dir.path(),
        &spec,
        "600 MiB file",
        &huge,
        "the file has 600.0 MiB, more than any export of one account can take: an account holds at most 5000 roles (IAM's quota at its maximum), and runnerc reads exports up to 512.0 MiB",
    );
}

#[test]
fn documents_within_iams_limits_are_read_and_compared_by_grant() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let live = dir.path().join("live.json");
    // White space is not counted: indented, the policy is over the limit; without, under it.
    let document = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": (0..450).map(|i| format!("arn:aws:s3:::b{i:03}/*")).collect::<Vec<_>>(),
    }]});
    let indented = serde_json::to_string_pretty(
        &json!([{"PolicyName": "runnerc-policy", "PolicyDocument": document}]),
    )
    .unwrap()
    .replace('\n', "\n                ");
    assert!(indented.len() > 10_240 && document.to_string().len() < 10_240);
    let text = export(with_policy("placeholder", json!({}))).replacen(
        r#"[{"PolicyName":"placeholder","PolicyDocument":{}}]"#,
        &indented,
        1,
    );
    assert!(text.contains("b449"), "the policy is in the export");
    std::fs::write(&live, text).unwrap();
    let output = drift(&[&spec], &live, false);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    // One statement, its grants told once: each action on each resource.
    let resources = (0..450)
        .map(|i| format!("`arn:aws:s3:::b{i:03}/*`"))
        .collect::<Vec<_>>()
        .join(", ");
    let line = format!(
        "wider     inline policy `runnerc-policy`: statement without a Sid allows `s3:GetObject`, `s3:PutObject` on {resources} live, not in the spec"
    );
    assert!(text.contains(&line), "{text}");

    // The largest cross product IAM holds (about 600 x 600 in 10,240 characters), compared.
    let mut n = 600;
    while cross_product(n + 10).to_string().len() <= 10_240 {
        n += 10;
    }
    std::fs::write(
        &live,
        export(with_policy("runnerc-policy", cross_product(n))),
    )
    .unwrap();
    let output = drift(&[&spec], &live, true);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let wider: Vec<&Value> = report["roles"][1]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["direction"] == "wider")
        .collect();
    assert_eq!(wider.len(), 1, "{report:#}");
    let message = wider[0]["message"].as_str().unwrap();
    assert_eq!(message.matches("`s3:a0`").count(), 1, "{message}");
    assert!(
        message.contains(&format!("`r{}`", n - 1))
            && message.ends_with("`r99` live, not in the spec"),
        "{message}"
    );
}

#[test]
fn an_inline_policy_on_one_side_only_is_shown_with_its_statements() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "small", SMALL);
    let live = dir.path().join("live.json");
    let statements = json!([
        {"Sid": "AddedByHand", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:PassRole", "Resource": "*"},
    ]);
    let mut role = small_role(
        json!({"Statement": []}),
        json!([{"PolicyName": "extra", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]),
    );
    role["RoleName"] = json!("small-execution-role");
    std::fs::write(&live, export(role)).unwrap();
    let output = drift(&[&spec], &live, false);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    for line in [
        "  wider     inline policy `extra` is on the live role, not in the spec: statement `AddedByHand` allows `s3:GetObject`, `s3:ListBucket` on `*`; statement without a Sid denies what it grants (NotAction, NotResource or NotPrincipal, as written)\n",
        &format!("            {}\n", statements[0]),
        &format!("            {}\n", statements[1]),
        // runnerc's own policy, missing live, shown the same way.
        "  narrower  inline policy `runnerc-policy` is in the spec, not on the live role: statement `ReadAgentSecrets` allows `secretsmanager:GetSecretValue` on `arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-??????`\n",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    let extra = report["roles"][1]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["policy"] == "extra")
        .unwrap();
    assert_eq!(extra["statements"], statements, "{report:#}");
    assert_eq!(extra["direction"], "wider");
}

#[test]
fn a_changed_policy_on_an_existing_role_hints_at_a_runner_of_the_same_name() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        "small",
        &SMALL.replace(
            "agent secret \"agent/creds\"",
            "agent secret \"agent/creds\"\n    execution role existing \"shared-execution\"",
        ),
    );
    let live = dir.path().join("live.json");
    let shared = |resource: &str| {
        let mut role = small_role(
            json!({"Statement": []}),
            json!([{"PolicyName": "runnerc-small", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "ReadAgentSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}
            ]}}]),
        );
        role["RoleName"] = json!("shared-execution");
        role["Arn"] = json!("arn:aws:iam::123456789012:role/shared-execution");
        role
    };
    let hint = "hint: a runner's name is its identity in an account: every spec with a runner `small` in account 123456789012 writes this same policy `runnerc-small` on role `shared-execution`, so if another spec has a runner of that name, the two replace each other's grants (rename one of them)";
    // Another spec's runner `small` wrote its own secret into the policy.
    std::fs::write(
        &live,
        export(shared(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other/creds-??????",
        )),
    )
    .unwrap();
    let text = String::from_utf8(drift(&[&spec], &live, false).stdout).unwrap();
    assert!(
        text.contains("small execution role `shared-execution`: 2 differences")
            && text.contains(&format!("\n  {hint}\n")),
        "{text}"
    );
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    assert_eq!(
        report["roles"][1]["hint"].as_str(),
        hint.strip_prefix("hint: "),
        "{report:#}"
    );
    // The spec's own grants live: no hint.
    std::fs::write(
        &live,
        export(shared(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-??????",
        )),
    )
    .unwrap();
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    assert_eq!(report["roles"][1]["status"], "same", "{report:#}");
    assert!(report["roles"][1].get("hint").is_none(), "{report:#}");
}

/// An existing role adopted from hand-made roles keeps the hand-made inline policy beside
/// runnerc's (import read it; runnerc never deletes what it did not write). Where that policy
/// grants some of what runnerc's grants, drift reports it as what it is: not runnerc's, still
/// granting whatever the spec says, with the command that deletes it. Other runners'
/// `runnerc-*` policies, and a policy that grants nothing of the runner's, are not reported.
#[test]
fn a_hand_made_policy_left_beside_runnercs_on_an_existing_role_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        "small",
        &SMALL.replace(
            "agent secret \"agent/creds\"",
            "agent secret \"agent/creds\"\n    execution role existing \"shared-execution\"",
        ),
    );
    let live = dir.path().join("live.json");
    let policy = |name: &str, resource: &str| {
        json!({"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}
        ]}})
    };
    let hand_made = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-AbC123";
    let mut role = small_role(
        json!({"Statement": []}),
        json!([
            policy(
                "runnerc-small",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-??????"
            ),
            policy("agent-secret", hand_made),
            policy("runnerc-billing", hand_made),
            policy(
                "other-team",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/db-XyZ789"
            ),
        ]),
    );
    role["RoleName"] = json!("shared-execution");
    role["Arn"] = json!("arn:aws:iam::123456789012:role/shared-execution");
    std::fs::write(&live, export(role)).unwrap();
    let output = drift(&[&spec], &live, false);
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{text}");
    let line = format!(
        "  wider     inline policy `agent-secret` is not runnerc's and grants some of what `runnerc-small` grants: statement without a Sid allows `secretsmanager:GetSecretValue` on `{hand_made}`; it keeps granting that whatever the spec says: delete it once the runner works under the spec: `aws iam delete-role-policy --role-name shared-execution --policy-name agent-secret`\n"
    );
    assert!(
        text.contains("small execution role `shared-execution`: 1 difference\n")
            && text.contains(&line),
        "missing `{line}` in:\n{text}"
    );
    let report: Value = serde_json::from_slice(&drift(&[&spec], &live, true).stdout).unwrap();
    let found = &report["roles"][1]["differences"];
    assert!(
        found.as_array().unwrap().len() == 1
            && found[0]["what"] == "overlapping-policy"
            && found[0]["policy"] == "agent-secret",
        "{report:#}"
    );
}
