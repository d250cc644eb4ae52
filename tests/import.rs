//! `runnerc import`: hand-made roles (the source page's) into a spec that checks, with every
//! loss of the fidelity report proven by the independent evaluator; runnerc's own roles, as
//! an export shows them, round-trip with no access change (`diff`); URL-encoded documents read
//! alike; bad exports are usage errors.

mod support;

use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn runnerc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

/// The source page's hand-made roles (`examples/handmade-roles.json`, the README's migration):
/// a task role allowed Secrets Manager and S3 on `*`, trusted by ECS tasks and EC2; the
/// account's `ecsTaskExecutionRole` with the managed policy and an inline `GetSecretValue` on
/// the agent's secret.
fn handmade() -> Value {
    serde_json::from_str(&fs::read_to_string("examples/handmade-roles.json").unwrap()).unwrap()
}

const ARGS: [&str; 8] = [
    "--task-role",
    "streaming-agent-role",
    "--execution-role",
    "ecsTaskExecutionRole",
    "--existing",
    "ecsTaskExecutionRole",
    "--runner",
    "streaming-agent",
];

fn import(dir: &Path, export: &Value, extra: &[&str]) -> (Output, String) {
    let live = dir.join("live.json");
    fs::write(&live, serde_json::to_string_pretty(export).unwrap()).unwrap();
    let out = dir.join("imported.runner");
    let _ = fs::remove_file(&out);
    let mut args = vec!["import", "--live", "live.json", "--out", "imported.runner"];
    args.extend(extra);
    let output = runnerc(&args, dir);
    let spec = fs::read_to_string(&out).unwrap_or_default();
    (output, spec)
}

#[test]
fn the_source_pages_roles_import_into_a_spec_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let (output, spec) = import(dir.path(), &handmade(), &ARGS);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "account \"123456789012\"",
        "region  \"eu-west-1\"",
        "secret *",
        "agent secret \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/agent-AbC123\"",
        "bucket \"acme-landing\"",
        "prefix \"cdc/\"",
        "trust service \"ec2.amazonaws.com\"",
        "execution role existing \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\"",
        "name \"streaming-agent-role\"",
        "tag \"team\" \"data\"",
    ] {
        assert!(spec.contains(line), "no `{line}` in:\n{spec}");
    }
    let check = runnerc(&["check", "imported.runner"], dir.path());
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let fmt = runnerc(&["fmt", "--check", "imported.runner"], dir.path());
    assert!(fmt.status.success(), "the spec is not in fmt's layout");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("not expressible")
            && report.contains("a destination needs a bucket: add `destination s3"),
        "{report}"
    );
    assert!(
        report.contains("aws iam get-role --role-name streaming-agent-role"),
        "{report}"
    );
    // The next steps adopt the hand-made task role, never the shared role kept `existing`.
    assert!(
        report.contains("create-roles.sh --adopt streaming-agent-role\n")
            && !report.contains("--adopt ecsTaskExecutionRole"),
        "{report}"
    );
    // What the spec keeps of the live roles' habits is what `check` warns about.
    for code in ["W034", "W063", "W064"] {
        assert!(
            report.contains(&format!("`runnerc check` warns: {code}")),
            "{report}"
        );
    }
}

#[test]
fn url_encoded_documents_import_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let (_, plain) = import(dir.path(), &handmade(), &ARGS);
    let encoded = support::iam::url_encoded(&handmade());
    let (output, from_encoded) = import(dir.path(), &encoded, &ARGS);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(plain, from_encoded);
}

#[test]
fn every_loss_is_proven_by_the_independent_evaluator() {
    let test = "every_loss_is_proven_by_the_independent_evaluator";
    if !support::simulate::available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut args = ARGS.to_vec();
    args.extend(["--format", "json"]);
    let (output, _) = import(dir.path(), &handmade(), &args);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let built = dir.path().join("built");
    let build = runnerc(
        &["build", "imported.runner", "--out", built.to_str().unwrap()],
        dir.path(),
    );
    assert!(build.status.success());
    let built_task: Value = serde_json::from_str(
        &fs::read_to_string(built.join("streaming-agent/task-role-policy.json")).unwrap(),
    )
    .unwrap();
    let live_task = handmade()["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"].clone();
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for change in report["changes"].as_array().unwrap() {
        if change["role"] != "task" || change["part"] != "policy" {
            continue;
        }
        let witness = &change["witness"];
        // Every witness is a request a reviewer recognises: a real action on a resource of
        // its type, never a made-up action or `*` for an action that names a resource.
        let action = witness["action"].as_str().unwrap();
        let resource = witness["resource"].as_str().unwrap();
        assert!(
            !action.contains("runnerc-witness") && resource != "*",
            "{change}"
        );
        for (side, policy, outcome) in [
            ("live", &live_task, "allowed"),
            ("imported", &built_task, "denied"),
        ] {
            requests.push(json!({
                "id": format!("{side}: {}", change["text"]),
                "principal": "arn:aws:iam::123456789012:role/streaming-agent-role",
                "policies": [policy],
                "action": action,
                "resource": resource,
                "context": witness["context"],
            }));
            expected.push(outcome);
        }
    }
    assert_eq!(
        requests.len(),
        2 * 2,
        "two losses (secrets beyond the account and region, `s3:*` on `*`), each on both sides: {report}"
    );
    let results = support::simulate::run(&requests);
    let wrong: Vec<String> = requests
        .iter()
        .zip(&results)
        .zip(&expected)
        .filter(|((_, result), expected)| result["decision"] != **expected)
        .map(|((request, result), expected)| {
            format!(
                "{}: expected {expected}, got {} ({})",
                request["id"], result["decision"], result["detail"]
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// An export of the roles runnerc's own CloudFormation template describes, as the account
/// would show them after a deploy.
fn export_of(template: &Value, account: &str) -> Value {
    let resources = template["Resources"].as_object().unwrap();
    let mut roles: Vec<Value> = Vec::new();
    let name_of = |role: &Value| -> String {
        match role {
            Value::String(name) => name.clone(),
            reference => resources[reference["Ref"].as_str().unwrap()]["Properties"]["RoleName"]
                .as_str()
                .unwrap()
                .to_owned(),
        }
    };
    for resource in resources.values() {
        if resource["Type"] == "AWS::IAM::Role" {
            let p = &resource["Properties"];
            roles.push(json!({
                "Path": p["Path"].as_str().unwrap_or("/"),
                "RoleName": p["RoleName"],
                "Arn": format!("arn:aws:iam::{account}:role{}{}", p["Path"].as_str().unwrap_or("/"), p["RoleName"].as_str().unwrap()),
                "AssumeRolePolicyDocument": p["AssumeRolePolicyDocument"],
                "RolePolicyList": [],
                "AttachedManagedPolicies": p["ManagedPolicyArns"].as_array().cloned().unwrap_or_default().iter().map(|a| json!({"PolicyArn": a})).collect::<Vec<_>>(),
                "PermissionsBoundary": p.get("PermissionsBoundary").map(|b| json!({"PermissionsBoundaryArn": b})),
                "Tags": p["Tags"],
            }));
        }
    }
    for resource in resources.values() {
        if resource["Type"] == "AWS::IAM::Policy" {
            let p = &resource["Properties"];
            let name = name_of(&p["Roles"][0]);
            let policy =
                json!({"PolicyName": p["PolicyName"], "PolicyDocument": p["PolicyDocument"]});
            match roles.iter_mut().find(|r| r["RoleName"] == name) {
                Some(role) => role["RolePolicyList"].as_array_mut().unwrap().push(policy),
                None => roles.push(json!({
                    "Path": "/", "RoleName": name, "Arn": format!("arn:aws:iam::{account}:role/{name}"),
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                    "RolePolicyList": [policy], "AttachedManagedPolicies": [], "Tags": []
                })),
            }
        }
    }
    json!({"RoleDetailList": roles, "GroupDetailList": [], "UserDetailList": [], "Policies": []})
}

#[test]
fn runnercs_own_roles_round_trip_with_no_access_change() {
    for example in [
        "examples/orders.runner",
        "examples/agent-wiring.runner",
        "examples/everything.runner",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(example);
        let out = dir.path().join("out");
        let build = runnerc(
            &[
                "build",
                spec.to_str().unwrap(),
                "--emit",
                "cloudformation",
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(build.status.success());
        let folder = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.is_dir())
            .unwrap();
        let runner = folder.file_name().unwrap().to_string_lossy().into_owned();
        let template: Value =
            serde_json::from_str(&fs::read_to_string(folder.join("cloudformation.json")).unwrap())
                .unwrap();
        let text = fs::read_to_string(&spec).unwrap();
        let account = text
            .split("account")
            .nth(1)
            .unwrap()
            .split('"')
            .nth(1)
            .unwrap()
            .to_owned();
        let region = text
            .split("region")
            .nth(1)
            .unwrap()
            .split('"')
            .nth(1)
            .unwrap()
            .to_owned();
        let export = export_of(&template, &account);
        let names: Vec<String> = ["TaskRole", "ExecutionRole"]
            .iter()
            .map(|key| {
                template["Resources"][key]["Properties"]["RoleName"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let (output, _) = import(
            dir.path(),
            &export,
            &[
                "--task-role",
                &names[0],
                "--execution-role",
                &names[1],
                "--region",
                &region,
            ],
        );
        assert!(
            output.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let diff = runnerc(
            &[
                "diff",
                spec.to_str().unwrap(),
                "imported.runner",
                "--format",
                "json",
                "--fail-on",
                "any",
            ],
            dir.path(),
        );
        let report: Value = serde_json::from_slice(&diff.stdout).unwrap_or_else(|e| {
            panic!("{example}: {e}: {}", String::from_utf8_lossy(&diff.stderr))
        });
        let access: Vec<&Value> = report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["part"] != "settings")
            .collect();
        assert!(
            access.is_empty() && diff.status.code() == Some(0),
            "{example} ({runner}): the import changes access:\n{}",
            access
                .iter()
                .map(|c| c["text"].to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn bad_exports_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let full = serde_json::to_string(&handmade()).unwrap();
    for (what, text) in [
        ("truncated", full[..full.len() / 2].to_owned()),
        (
            "wrong types",
            r#"{"RoleDetailList": {"RoleName": 3}}"#.to_owned(),
        ),
        ("not JSON", "RoleDetailList".to_owned()),
        ("two accounts", {
            let mut export = handmade();
            export["RoleDetailList"][1]["Arn"] =
                json!("arn:aws:iam::210987654321:role/ecsTaskExecutionRole");
            serde_json::to_string(&export).unwrap()
        }),
    ] {
        fs::write(dir.path().join("live.json"), text).unwrap();
        let output = runnerc(
            &[
                "import",
                "--live",
                "live.json",
                "--task-role",
                "streaming-agent-role",
                "--execution-role",
                "ecsTaskExecutionRole",
            ],
            dir.path(),
        );
        assert_eq!(output.status.code(), Some(2), "{what}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("runnerc: "), "{what}: {stderr}");
        if what == "two accounts" {
            assert!(stderr.contains("roles of two accounts"), "{stderr}");
        }
    }
    let (output, _) = import(
        dir.path(),
        &handmade(),
        &[
            "--task-role",
            "missing-role",
            "--execution-role",
            "ecsTaskExecutionRole",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no role `missing-role`"));
}
