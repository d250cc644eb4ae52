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

// ---- issue 24: shared existing roles, round trips, tags a spec cannot hold ----

const ACCOUNT: &str = "123456789012";

/// A trust policy for ECS tasks, with the confused-deputy conditions when `region` is given.
fn ecs_trust(region: Option<&str>) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole"
    });
    if let Some(region) = region {
        statement["Condition"] = json!({
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": format!("arn:aws:ecs:{region}:{ACCOUNT}:*")}
        });
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// A role of the export: its trust, inline policies (name, statements) and tags.
fn live_role(name: &str, trust: Value, policies: &[(&str, Value)], tags: &[(&str, &str)]) -> Value {
    json!({
        "Path": "/",
        "RoleName": name,
        "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": policies.iter().map(|(policy, statements)| json!({
            "PolicyName": policy,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}
        })).collect::<Vec<_>>(),
        "AttachedManagedPolicies": [],
        "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
    })
}

fn export(roles: Vec<Value>) -> Value {
    json!({"RoleDetailList": roles, "UserDetailList": [], "GroupDetailList": [], "Policies": []})
}

fn read_secret(arn: &str) -> Value {
    json!([{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": arn}])
}

const AGENT_SECRET: &str =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-AbC123";
const OTHER_TEAMS_SECRET: &str =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/creds-XyZ789";

/// The task role of the tests below: runnerc's, reading one secret.
fn task_role(tags: &[(&str, &str)]) -> Value {
    live_role(
        "agent-task-role",
        ecs_trust(Some("eu-west-1")),
        &[(
            "runnerc-policy",
            read_secret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123"),
        )],
        tags,
    )
}

/// A shared `ecsTaskExecutionRole` holding two hand-made inline policies: import cannot tell
/// which is the runner's, stops, and lists both with what each grants; named with
/// `--execution-policy`, only that one is read, and the report names both.
#[test]
fn a_shared_existing_role_with_several_policies_needs_the_runners_named() {
    let dir = tempfile::tempdir().unwrap();
    let shared = live_role(
        "ecsTaskExecutionRole",
        ecs_trust(None),
        &[
            ("agent-secret", read_secret(AGENT_SECRET)),
            ("billing-agent", read_secret(OTHER_TEAMS_SECRET)),
        ],
        &[],
    );
    let live = export(vec![task_role(&[("runnerc:runner", "agent")]), shared]);
    let base = [
        "--task-role",
        "agent-task-role",
        "--execution-role",
        "ecsTaskExecutionRole",
        "--existing",
        "ecsTaskExecutionRole",
    ];
    let (output, spec) = import(dir.path(), &live, &base);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}\n{spec}");
    assert!(spec.is_empty(), "a spec was written:\n{spec}");
    for line in [
        "existing role `ecsTaskExecutionRole` holds 2 inline policies",
        "--execution-policy NAME",
        &format!(
            "  `agent-secret`: statement without a Sid allows `secretsmanager:GetSecretValue` on `{AGENT_SECRET}`\n"
        ),
        &format!(
            "  `billing-agent`: statement without a Sid allows `secretsmanager:GetSecretValue` on `{OTHER_TEAMS_SECRET}`\n"
        ),
    ] {
        assert!(stderr.contains(line), "no `{line}` in:\n{stderr}");
    }

    let mut named = base.to_vec();
    named.extend(["--execution-policy", "agent-secret"]);
    let (output, spec) = import(dir.path(), &live, &named);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        spec.contains(&format!("agent secret \"{AGENT_SECRET}\"")),
        "{spec}"
    );
    assert!(
        !spec.contains("billing/creds"),
        "another team's secret became the runner's:\n{spec}"
    );
    for line in [
        "read: inline policy `agent-secret` on `ecsTaskExecutionRole`",
        "`aws iam delete-role-policy --role-name ecsTaskExecutionRole --policy-name agent-secret`",
        "read: inline policy `runnerc-policy` on `agent-task-role`: runnerc's own",
        "left in place: inline policy `billing-agent` on `ecsTaskExecutionRole`",
    ] {
        assert!(report.contains(line), "no `{line}` in:\n{report}");
    }
    assert!(!report.contains("--policy-name billing-agent"), "{report}");

    // A policy the role does not hold, or named for a role runnerc takes over: usage errors.
    for (flag, policy) in [
        ("--execution-policy", "nope"),
        ("--task-policy", "runnerc-policy"),
    ] {
        let mut args = base.to_vec();
        args.extend([flag, policy]);
        let (output, _) = import(dir.path(), &live, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {policy}: {stderr}");
        assert!(stderr.contains(&format!("`{flag} {policy}`")), "{stderr}");
    }
}

/// A runner that grants nothing on a shared execution role has no `runnerc-<runner>` policy
/// there: the other runners' policies on it are theirs, never read as this runner's, and
/// named in the report as left in place.
#[test]
fn other_runners_policies_on_a_shared_role_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let shared = live_role(
        "ecsTaskExecutionRole",
        ecs_trust(None),
        &[("runnerc-billing", read_secret(OTHER_TEAMS_SECRET))],
        &[],
    );
    let live = export(vec![task_role(&[("runnerc:runner", "agent")]), shared]);
    let (output, spec) = import(
        dir.path(),
        &live,
        &[
            "--task-role",
            "agent-task-role",
            "--execution-role",
            "ecsTaskExecutionRole",
            "--existing",
            "ecsTaskExecutionRole",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(spec.contains("runner \"agent\""), "{spec}");
    assert!(
        !spec.contains("agent secret"),
        "another runner's secret was read:\n{spec}"
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("left in place: inline policy `runnerc-billing` on `ecsTaskExecutionRole`"),
        "{report}"
    );
}

/// The settings of a role runnerc created come back when the other role is `existing`: an
/// existing task role and an owned execution role keep the execution role's tags.
#[test]
fn an_owned_execution_roles_tags_come_back_beside_an_existing_task_role() {
    let dir = tempfile::tempdir().unwrap();
    let task = live_role(
        "shared-task",
        ecs_trust(None),
        &[(
            "runnerc-agent",
            read_secret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123"),
        )],
        &[("team", "platform")],
    );
    let execution = live_role(
        "agent-execution-role",
        ecs_trust(None),
        &[("runnerc-policy", read_secret(AGENT_SECRET))],
        &[("runnerc:runner", "agent"), ("cost-centre", "cdc-42")],
    );
    let (output, spec) = import(
        dir.path(),
        &export(vec![task, execution]),
        &[
            "--task-role",
            "shared-task",
            "--execution-role",
            "agent-execution-role",
            "--existing",
            "shared-task",
            "--region",
            "eu-west-1",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(spec.contains("tag \"cost-centre\" \"cdc-42\""), "{spec}");
    assert!(
        !spec.contains("\"team\""),
        "the existing role's tags are someone else's:\n{spec}"
    );
}

/// A customer managed key used through Secrets Manager in one region decrypts only the
/// secrets of that region: beside `secret * kms KEY`, a secret of another region does not
/// come back carrying KEY.
#[test]
fn a_secrets_key_stays_with_the_secrets_of_its_region() {
    let dir = tempfile::tempdir().unwrap();
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dr/db-AbC123";
    let task = live_role(
        "agent-task-role",
        ecs_trust(Some("eu-west-1")),
        &[(
            "runnerc-policy",
            json!([
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [
                    other, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*"]},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key, "Condition": {
                    "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}}
            ]),
        )],
        &[("runnerc:runner", "agent")],
    );
    let execution = live_role(
        "agent-execution-role",
        ecs_trust(None),
        &[],
        &[("runnerc:runner", "agent")],
    );
    let (output, spec) = import(
        dir.path(),
        &export(vec![task, execution]),
        &[
            "--task-role",
            "agent-task-role",
            "--execution-role",
            "agent-execution-role",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(spec.contains(&format!("secret * kms \"{key}\"")), "{spec}");
    assert!(spec.contains(&format!("secret \"{other}\"\n")), "{spec}");
}

/// Without `--region`, the region is the one ECS's `aws:SourceArn` in the task role's trust
/// names, not the region of the first grant (here a secret of another account and region).
#[test]
fn the_region_comes_from_the_task_roles_trust_before_the_grants() {
    let dir = tempfile::tempdir().unwrap();
    let task = live_role(
        "agent-task-role",
        ecs_trust(Some("eu-west-1")),
        &[(
            "runnerc-policy",
            read_secret("arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/db-AbC123"),
        )],
        &[("runnerc:runner", "agent")],
    );
    let execution = live_role(
        "agent-execution-role",
        ecs_trust(None),
        &[],
        &[("runnerc:runner", "agent")],
    );
    let (output, spec) = import(
        dir.path(),
        &export(vec![task, execution]),
        &[
            "--task-role",
            "agent-task-role",
            "--execution-role",
            "agent-execution-role",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(spec.contains("region  \"eu-west-1\""), "{spec}");
}

/// What the runner's policy on an existing role grants beyond the spec is a loss the report
/// lists, as `diff` of the live grants and the spec would.
#[test]
fn losses_on_an_existing_role_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let shared = live_role(
        "ecsTaskExecutionRole",
        ecs_trust(None),
        &[(
            "runnerc-agent",
            json!([
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": AGENT_SECRET},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}
            ]),
        )],
        &[],
    );
    let mut args = vec![
        "--task-role",
        "agent-task-role",
        "--execution-role",
        "ecsTaskExecutionRole",
        "--existing",
        "ecsTaskExecutionRole",
        "--format",
        "json",
    ];
    let (output, spec) = import(
        dir.path(),
        &export(vec![task_role(&[("runnerc:runner", "agent")]), shared]),
        &args,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        spec.contains(&format!("agent secret \"{AGENT_SECRET}\" kms \"{key}\"")),
        "{spec}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let losses: Vec<&Value> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["role"] == "execution")
        .collect();
    // kms:Decrypt without kms:ViaService becomes Decrypt through Secrets Manager only.
    assert!(
        losses.len() == 1 && losses[0]["actions"] == json!(["kms:Decrypt"]),
        "{report:#}"
    );
    args.truncate(6);
    let (output, _) = import(
        dir.path(),
        &export(vec![task_role(&[("runnerc:runner", "agent")])]),
        &args,
    );
    assert_eq!(output.status.code(), Some(2));
}

/// Tags a spec cannot hold (reserved prefixes in any letter case, values past IAM's limits)
/// are left out and reported; the rest of the import goes on.
#[test]
fn tags_a_spec_cannot_hold_are_left_out_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let long = "v".repeat(300);
    let task = task_role(&[
        ("runnerc:runner", "agent"),
        ("team", "data"),
        ("aws:cloudformation:stack-name", "old-stack"),
        ("AWS:Origin", "console"),
        ("RunnerC:Owner", "someone"),
        ("notes", &long),
    ]);
    let execution = live_role(
        "agent-execution-role",
        ecs_trust(None),
        &[],
        &[("runnerc:runner", "agent")],
    );
    let (output, spec) = import(
        dir.path(),
        &export(vec![task, execution]),
        &[
            "--task-role",
            "agent-task-role",
            "--execution-role",
            "agent-execution-role",
        ],
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(spec.contains("tag \"team\" \"data\""), "{spec}");
    for key in [
        "aws:cloudformation:stack-name",
        "AWS:Origin",
        "RunnerC:Owner",
        "notes",
    ] {
        assert!(!spec.contains(&format!("\"{key}\"")), "{key} in:\n{spec}");
        assert!(
            report.contains(&format!("tag `{key}` of `agent-task-role` is left out")),
            "{key} not reported in:\n{report}"
        );
    }
    // The execution role's tags are not the task role's: the spec gives both the task role's.
    assert!(
        report.contains("the tags of `agent-execution-role` are not those of `agent-task-role`"),
        "{report}"
    );
    let check = runnerc(&["check", "imported.runner"], dir.path());
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
