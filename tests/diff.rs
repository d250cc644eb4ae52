//! `runnerc diff`: hand-written pairs of specs, one per row of the contract, each with the
//! verdicts and the changes it must give; every witness is then put to the independent
//! evaluator (tests/tools/iam-simulate): allowed on one side, denied on the other.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn runnerc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
}

const BASE: &str = r#"runner "orders-cdc" {
    account "123456789012"
    region  "eu-west-1"

    secret "prod/orders-db"
    secret "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123"
    agent secret "matillion/agent-credentials"

    destination s3 {
        bucket "acme-cdc-landing"
        prefix "orders/"
    }
    tag "team" "data-platform"
}
"#;

/// BASE with `from` replaced by `to` (which must be there).
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

/// A pair and what its diff must say: each role's verdict, and each change as (role, part,
/// change, words the sentence holds). The changes listed are all the changes.
struct Case {
    name: &'static str,
    old: String,
    new: String,
    verdicts: [&'static str; 2],
    changes: Vec<(&'static str, &'static str, &'static str, &'static str)>,
}

fn cases() -> Vec<Case> {
    let before_tag = "    tag \"team\"";
    vec![
        Case {
            name: "same access in other text",
            old: BASE.to_owned(),
            new: r#"# the same runner, written otherwise
runner "orders-cdc" {
    region "eu-west-1"
    account "123456789012"
    destination s3 {
        prefix "orders/"
        bucket "acme-cdc-landing"
    }
    agent secret "matillion/agent-credentials"
    secret "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123"
    secret "prod/orders-db"
    trust conditions on
    execution role {
        managed-policy default
    }
    tag "team" "data-platform"
}
"#
            .to_owned(),
            verdicts: ["unchanged", "unchanged"],
            changes: vec![],
        },
        Case {
            name: "narrowing a prefix",
            old: BASE.to_owned(),
            new: edit("prefix \"orders/\"", "prefix \"orders/2026/\""),
            verdicts: ["narrower", "unchanged"],
            changes: vec![
                (
                    "task",
                    "policy",
                    "loses",
                    "loses s3:ListBucket on acme-cdc-landing",
                ),
                (
                    "task",
                    "policy",
                    "loses",
                    "loses s3:DeleteObject, s3:GetObject, s3:PutObject on acme-cdc-landing/orders/*",
                ),
            ],
        },
        Case {
            name: "widening to the whole bucket",
            old: BASE.to_owned(),
            new: edit("        prefix \"orders/\"\n", ""),
            verdicts: ["broader", "unchanged"],
            changes: vec![
                (
                    "task",
                    "policy",
                    "gains",
                    "gains s3:ListBucket on acme-cdc-landing when s3:ResourceAccount = 123456789012 (without the condition on `s3:prefix` it had) (new.runner:10)",
                ),
                (
                    "task",
                    "policy",
                    "gains",
                    "gains s3:DeleteObject, s3:GetObject, s3:PutObject on acme-cdc-landing/* when",
                ),
            ],
        },
        Case {
            name: "a secret added",
            old: BASE.to_owned(),
            new: edit(
                "    agent secret",
                "    secret \"prod/new-db\"\n    agent secret",
            ),
            verdicts: ["broader", "unchanged"],
            changes: vec![(
                "task",
                "policy",
                "gains",
                "orders-cdc task role gains secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/new-db-?????? (new.runner:7)",
            )],
        },
        Case {
            name: "an agent secret added",
            old: BASE.to_owned(),
            new: edit(
                "    agent secret",
                "    agent secret \"matillion/agent-extra\"\n    agent secret",
            ),
            verdicts: ["unchanged", "broader"],
            changes: vec![(
                "execution",
                "policy",
                "gains",
                "orders-cdc execution role gains secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/agent-extra-??????",
            )],
        },
        Case {
            name: "a full ARN becomes a name",
            old: BASE.to_owned(),
            new: edit(
                "\"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123\"",
                "\"prod/replica\"",
            ),
            verdicts: ["broader", "unchanged"],
            changes: vec![(
                "task",
                "policy",
                "gains",
                "secret:prod/replica-?????? (a small gain: the secret under any suffix, where the old spec named `arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123`)",
            )],
        },
        Case {
            name: "a trusted service added",
            old: BASE.to_owned(),
            new: edit(
                before_tag,
                "    trust service \"ec2.amazonaws.com\"\n    tag \"team\"",
            ),
            verdicts: ["broader", "unchanged"],
            changes: vec![(
                "task",
                "trust",
                "gains",
                "orders-cdc task role may now be assumed by Service `ec2.amazonaws.com` (new.runner:13)",
            )],
        },
        Case {
            name: "trust conditions dropped",
            old: BASE.to_owned(),
            new: edit(before_tag, "    trust conditions off\n    tag \"team\""),
            verdicts: ["broader", "broader"],
            changes: vec![
                (
                    "task",
                    "trust",
                    "gains",
                    "may be assumed by Service `ecs-tasks.amazonaws.com` under weaker conditions: no condition (new.runner:13)",
                ),
                (
                    "execution",
                    "trust",
                    "gains",
                    "may be assumed by Service `ecs-tasks.amazonaws.com` under weaker conditions",
                ),
            ],
        },
        Case {
            name: "a managed policy added",
            old: BASE.to_owned(),
            new: edit(
                before_tag,
                "    execution role {\n        managed-policy default\n        managed-policy \"arn:aws:iam::123456789012:policy/extra\"\n    }\n    tag \"team\"",
            ),
            verdicts: ["unchanged", "broader"],
            changes: vec![(
                "execution",
                "managed",
                "gains",
                "orders-cdc execution role gains managed policy `arn:aws:iam::123456789012:policy/extra`, whose contents runnerc does not know (new.runner:15)",
            )],
        },
        Case {
            name: "the default managed policy replaced",
            old: BASE.to_owned(),
            new: edit(
                before_tag,
                "    execution role {\n        managed-policy \"arn:aws:iam::123456789012:policy/pull-only\"\n    }\n    tag \"team\"",
            ),
            verdicts: ["unchanged", "broader and narrower"],
            changes: vec![
                (
                    "execution",
                    "managed",
                    "gains",
                    "gains managed policy `arn:aws:iam::123456789012:policy/pull-only`",
                ),
                (
                    "execution",
                    "managed",
                    "loses",
                    "loses ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetAuthorizationToken, ecr:GetDownloadUrlForLayer, logs:CreateLogStream, logs:PutLogEvents on * (new.runner:14)",
                ),
            ],
        },
        Case {
            name: "a boundary added",
            old: BASE.to_owned(),
            new: edit(
                before_tag,
                "    task role {\n        permissions-boundary \"arn:aws:iam::123456789012:policy/boundary\"\n    }\n    tag \"team\"",
            ),
            verdicts: ["narrower", "unchanged"],
            changes: vec![(
                "task",
                "boundary",
                "loses",
                "loses what permissions boundary `arn:aws:iam::123456789012:policy/boundary` does not allow",
            )],
        },
        Case {
            name: "a boundary removed",
            old: edit(
                before_tag,
                "    task role {\n        permissions-boundary \"arn:aws:iam::123456789012:policy/boundary\"\n    }\n    tag \"team\"",
            ),
            new: BASE.to_owned(),
            verdicts: ["broader", "unchanged"],
            changes: vec![(
                "task",
                "boundary",
                "gains",
                "gains what permissions boundary `arn:aws:iam::123456789012:policy/boundary` held back",
            )],
        },
        Case {
            name: "an owned role becomes existing",
            old: BASE.to_owned(),
            new: edit(
                before_tag,
                "    execution role existing \"ecsTaskExecutionRole\"\n    tag \"team\"",
            ),
            verdicts: ["unchanged", "broader and narrower"],
            changes: vec![
                (
                    "execution",
                    "role",
                    "changed",
                    "orders-cdc execution role is now the existing role `ecsTaskExecutionRole`, no longer runnerc's",
                ),
                (
                    "execution",
                    "managed",
                    "loses",
                    "loses ecr:BatchCheckLayerAvailability",
                ),
            ],
        },
        Case {
            name: "a setting only",
            old: BASE.to_owned(),
            new: edit("\"team\" \"data-platform\"", "\"team\" \"streaming\""),
            verdicts: ["unchanged", "unchanged"],
            changes: vec![
                (
                    "task",
                    "settings",
                    "changed",
                    "orders-cdc task role tag `team`: `streaming` (was `data-platform`) (new.runner:13)",
                ),
                (
                    "execution",
                    "settings",
                    "changed",
                    "orders-cdc execution role tag `team`: `streaming` (was `data-platform`) (new.runner:13)",
                ),
            ],
        },
        Case {
            name: "a tag added and one removed",
            old: edit(
                before_tag,
                "    tag \"cost-centre\" \"42\"\n    tag \"team\"",
            ),
            new: edit(
                "    tag \"team\" \"data-platform\"\n",
                "    tag \"owner\" \"data\"\n",
            ),
            verdicts: ["unchanged", "unchanged"],
            changes: vec![
                (
                    "task",
                    "settings",
                    "changed",
                    "orders-cdc task role tag `cost-centre` removed (was `42`) (old old.runner:13)",
                ),
                (
                    "task",
                    "settings",
                    "changed",
                    "orders-cdc task role tag `team` removed (was `data-platform`) (old old.runner:14)",
                ),
                (
                    "task",
                    "settings",
                    "changed",
                    "orders-cdc task role tag `owner` added: `data` (new.runner:13)",
                ),
                (
                    "execution",
                    "settings",
                    "changed",
                    "orders-cdc execution role tag `cost-centre` removed",
                ),
                (
                    "execution",
                    "settings",
                    "changed",
                    "orders-cdc execution role tag `team` removed",
                ),
                (
                    "execution",
                    "settings",
                    "changed",
                    "orders-cdc execution role tag `owner` added",
                ),
            ],
        },
        Case {
            name: "a description and a session duration",
            old: edit(
                before_tag,
                "    task role {\n        description \"old words\"\n    }\n    tag \"team\"",
            ),
            new: edit(
                before_tag,
                "    task role {\n        max-session-duration 7200\n        description \"new words\"\n    }\n    tag \"team\"",
            ),
            verdicts: ["unchanged", "unchanged"],
            changes: vec![
                (
                    "task",
                    "settings",
                    "changed",
                    "orders-cdc task role description: `new words` (was `old words`) (new.runner:15)",
                ),
                (
                    "task",
                    "settings",
                    "changed",
                    "orders-cdc task role maximum session duration: `7200 s` (was none) (new.runner:14)",
                ),
            ],
        },
        Case {
            name: "image and logs replace the default managed policy",
            old: BASE.to_owned(),
            new: edit(
                before_tag,
                "    execution role {\n        image \"arn:aws:ecr:eu-west-1:123456789012:repository/agent\"\n        logs \"/ecs/orders-cdc\"\n    }\n    tag \"team\"",
            ),
            verdicts: ["unchanged", "narrower"],
            changes: vec![(
                "execution",
                "managed",
                "loses",
                "loses ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, logs:CreateLogStream, logs:PutLogEvents on * (new.runner:14)",
            )],
        },
        Case {
            name: "the pipeline secrets removed",
            old: BASE.to_owned(),
            new: edit(
                "    secret \"prod/orders-db\"\n    secret \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123\"\n",
                "",
            ),
            verdicts: ["narrower", "unchanged"],
            changes: vec![
                (
                    "task",
                    "policy",
                    "loses",
                    "loses secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders-db-?????? (old old.runner:5)",
                ),
                (
                    "task",
                    "policy",
                    "loses",
                    "loses secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123 (old old.runner:6)",
                ),
                (
                    "task",
                    "policy",
                    "loses",
                    "loses secretsmanager:ListSecrets on * (old old.runner:5)",
                ),
            ],
        },
        Case {
            name: "an existing role named by name, then by the ARN with its path",
            old: edit(
                before_tag,
                "    execution role existing \"shared-agent\"\n    tag \"team\"",
            ),
            new: edit(
                before_tag,
                "    execution role existing \"arn:aws:iam::123456789012:role/team/shared-agent\"\n    tag \"team\"",
            ),
            verdicts: ["unchanged", "unchanged"],
            changes: vec![],
        },
        Case {
            name: "the region changed",
            old: BASE.to_owned(),
            new: edit("region  \"eu-west-1\"", "region  \"eu-central-1\""),
            verdicts: ["broader and narrower", "broader and narrower"],
            changes: vec![
                (
                    "task",
                    "trust",
                    "gains",
                    "may be assumed by Service `ecs-tasks.amazonaws.com` under other conditions: aws:SourceArn like arn:aws:ecs:eu-central-1:123456789012:*; aws:SourceAccount = 123456789012 (new.runner:3)",
                ),
                (
                    "task",
                    "trust",
                    "loses",
                    "may be assumed by Service `ecs-tasks.amazonaws.com` only under other conditions than aws:SourceArn like arn:aws:ecs:eu-west-1:123456789012:*; aws:SourceAccount = 123456789012 (old old.runner:3)",
                ),
                (
                    "task",
                    "policy",
                    "gains",
                    "gains secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/orders-db-?????? (new.runner:5)",
                ),
                (
                    "task",
                    "policy",
                    "loses",
                    "loses secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders-db-?????? (old old.runner:5)",
                ),
                (
                    "execution",
                    "policy",
                    "gains",
                    "matillion/agent-credentials-?????? (new.runner:7)",
                ),
                (
                    "execution",
                    "policy",
                    "loses",
                    "matillion/agent-credentials-?????? (old old.runner:7)",
                ),
            ],
        },
        Case {
            name: "another account's secret added",
            old: BASE.to_owned(),
            new: edit(
                "    agent secret",
                "    secret \"arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/db-AbC123\" kms \"arn:aws:kms:eu-west-1:444455556666:key/11111111-2222-3333-4444-555555555555\"\n    agent secret",
            ),
            verdicts: ["broader", "unchanged"],
            changes: vec![
                (
                    "task",
                    "policy",
                    "gains",
                    "gains secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/db-AbC123; account 444455556666's secret policy changes too: re-apply `secret-policy-shared-db-AbC123.json` there (new.runner:7)",
                ),
                (
                    "task",
                    "policy",
                    "gains",
                    "account 444455556666's key policy changes too: re-apply `key-policy-11111111-2222-3333-4444-555555555555.json` there (new.runner:7)",
                ),
            ],
        },
        Case {
            name: "another account's bucket widened",
            old: edit(
                "        prefix \"orders/\"\n",
                "        prefix \"orders/\"\n        owner \"444455556666\"\n",
            ),
            new: edit(
                "        prefix \"orders/\"\n",
                "        owner \"444455556666\"\n",
            ),
            verdicts: ["broader", "unchanged"],
            changes: vec![
                (
                    "task",
                    "policy",
                    "gains",
                    "gains s3:ListBucket on acme-cdc-landing when s3:ResourceAccount = 444455556666 (without the condition on `s3:prefix` it had); account 444455556666's bucket policy changes too: re-apply `bucket-policy-acme-cdc-landing.json` there (new.runner:10)",
                ),
                (
                    "task",
                    "policy",
                    "gains",
                    "on acme-cdc-landing/* when s3:ResourceAccount = 444455556666; account 444455556666's bucket policy changes too: re-apply `bucket-policy-acme-cdc-landing.json` there (new.runner:10)",
                ),
            ],
        },
    ]
}

/// The diff of a pair, written as old.runner and new.runner in `dir`.
fn diff_pair(dir: &Path, old: &str, new: &str, args: &[&str]) -> Output {
    std::fs::write(dir.join("old.runner"), old).unwrap();
    std::fs::write(dir.join("new.runner"), new).unwrap();
    runnerc()
        .current_dir(dir)
        .args(["diff", "old.runner", "new.runner"])
        .args(args)
        .output()
        .unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn every_row_of_the_contract_gives_its_changes() {
    let mut wrong = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let output = diff_pair(dir.path(), &case.old, &case.new, &["--format", "json"]);
        if !output.status.success() {
            wrong.push(format!(
                "{}: exit {:?}: {}",
                case.name,
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        let report = json_of(&output);
        let verdicts: Vec<&str> = report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["verdict"].as_str().unwrap())
            .collect();
        if verdicts != case.verdicts {
            wrong.push(format!("{}: verdicts {verdicts:?}", case.name));
        }
        let changes = report["changes"].as_array().unwrap();
        for (role, part, change, words) in &case.changes {
            let found = changes.iter().any(|c| {
                c["role"] == *role
                    && c["part"] == *part
                    && c["change"] == *change
                    && c["text"].as_str().unwrap().contains(words)
            });
            if !found {
                wrong.push(format!(
                    "{}: no {role} {part} {change} change with `{words}` in\n{}",
                    case.name,
                    serde_json::to_string_pretty(changes).unwrap()
                ));
            }
        }
        if changes.len() != case.changes.len() {
            wrong.push(format!(
                "{}: {} changes, {} expected:\n{}",
                case.name,
                changes.len(),
                case.changes.len(),
                changes
                    .iter()
                    .map(|c| c["text"].as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        // Every gain and loss of known access carries its witness.
        for change in changes {
            let known = matches!(change["part"].as_str(), Some("trust" | "policy"))
                || (change["part"] == "managed"
                    && !change["actions"].as_array().unwrap().is_empty());
            if known && change["witness"].is_null() {
                wrong.push(format!("{}: no witness for {}", case.name, change["text"]));
            }
            // A witness is one request AWS could evaluate: no wildcard in its action, nor in
            // its resource but for the actions that take only `*`.
            if let Some(witness) = change.get("witness").filter(|w| !w.is_null()) {
                let action = witness["action"].as_str().unwrap();
                let resource = witness["resource"].as_str().unwrap();
                let only_every =
                    ["ecr:GetAuthorizationToken", "secretsmanager:ListSecrets"].contains(&action);
                let wild = |text: &str| text.contains(['*', '?']);
                let concrete = !wild(action)
                    && if only_every {
                        resource == "*"
                    } else {
                        !wild(resource) && resource.starts_with("arn:")
                    };
                if !concrete {
                    wrong.push(format!(
                        "{}: the witness `{action} on {resource}` of {} is not a concrete request",
                        case.name, change["text"]
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Per runner and role kind: the role's name, its trust policy and its known identity
/// policies, read from the CloudFormation template `build` writes.
fn roles_of(dir: &Path, spec: &str) -> BTreeMap<(String, String), (String, Value, Vec<Value>)> {
    let out = dir.join(format!("{spec}.out"));
    let status = runnerc()
        .current_dir(dir)
        .args(["build", spec, "--emit", "cloudformation", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut roles = BTreeMap::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let folder = entry.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        let runner = folder.file_name().unwrap().to_string_lossy().into_owned();
        let template: Value = serde_json::from_str(
            &std::fs::read_to_string(folder.join("cloudformation.json")).unwrap(),
        )
        .unwrap();
        for (kind, word) in [("Task", "task"), ("Execution", "execution")] {
            let role = &template["Resources"][format!("{kind}Role")]["Properties"];
            let policy = &template["Resources"][format!("{kind}RolePolicy")]["Properties"];
            let mut policies: Vec<Value> = Vec::new();
            if !policy.is_null() {
                policies.push(policy["PolicyDocument"].clone());
            }
            for arn in role["ManagedPolicyArns"].as_array().into_iter().flatten() {
                if arn
                    .as_str()
                    .unwrap()
                    .ends_with("policy/service-role/AmazonECSTaskExecutionRolePolicy")
                {
                    policies.push(support::simulate::ecs_task_execution_role_policy());
                }
            }
            let name = match role["RoleName"].as_str() {
                Some(name) => name.to_owned(),
                None => policy["Roles"][0].as_str().unwrap().to_owned(),
            };
            roles.insert(
                (runner.clone(), word.to_owned()),
                (name, role["AssumeRolePolicyDocument"].clone(), policies),
            );
        }
    }
    roles
}

/// Per runner and file, the other accounts' policies `build` writes (`bucket-policy-*.json`,
/// ...).
fn other_account_policies(dir: &Path, spec: &str) -> BTreeMap<(String, String), Value> {
    let out = dir.join(format!("{spec}.json-out"));
    let status = runnerc()
        .current_dir(dir)
        .args(["build", spec, "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut policies = BTreeMap::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let folder = entry.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        let runner = folder.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&folder).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if ["bucket-policy-", "key-policy-", "secret-policy-"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                let text = std::fs::read_to_string(&file).unwrap();
                policies.insert((runner.clone(), name), serde_json::from_str(&text).unwrap());
            }
        }
    }
    policies
}

/// A trust policy's statements that admit a service, as identity statements on the role.
fn trust_as_identity(trust: &Value, service: &str, role_arn: &str) -> Value {
    let statements: Vec<Value> = trust["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            let listed = &s["Principal"]["Service"];
            listed == service
                || listed
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v == service))
        })
        .map(|s| {
            let mut s = s.clone();
            let object = s.as_object_mut().unwrap();
            object.remove("Principal");
            object.insert("Resource".into(), json!(role_arn));
            s
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[test]
fn every_witness_agrees_with_the_independent_evaluator() {
    let test = "every_witness_agrees_with_the_independent_evaluator";
    if !support::simulate::available(test) {
        return;
    }
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    let dirs: Vec<tempfile::TempDir> = cases()
        .iter()
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    for (case, dir) in cases().iter().zip(&dirs) {
        let report = json_of(&diff_pair(
            dir.path(),
            &case.old,
            &case.new,
            &["--format", "json"],
        ));
        let old = roles_of(dir.path(), "old.runner");
        let new = roles_of(dir.path(), "new.runner");
        let old_foreign = other_account_policies(dir.path(), "old.runner");
        let new_foreign = other_account_policies(dir.path(), "new.runner");
        for change in report["changes"].as_array().unwrap() {
            let Some(witness) = change.get("witness").filter(|w| !w.is_null()) else {
                continue;
            };
            let key = (
                change["runner"].as_str().unwrap().to_owned(),
                change["role"].as_str().unwrap().to_owned(),
            );
            let gains = change["change"] == "gains";
            // The other account's policy of the change's resource, on each side: a request to
            // another account's resource is allowed only when that policy lets the role in.
            let file = change["other_account_policies"][0]["file"].as_str();
            let foreign = |policies: &BTreeMap<(String, String), Value>| {
                file.and_then(|f| policies.get(&(key.0.clone(), f.to_owned())).cloned())
            };
            let sides = [
                ("old", &old, foreign(&old_foreign)),
                ("new", &new, foreign(&new_foreign)),
            ];
            if file.is_some() {
                // The witness of a gain needs the new side's copy of that policy: with the
                // old one still in place, the request stays denied.
                let (allowing, stale) = if gains { (1, 0) } else { (0, 1) };
                let (name, _, policies) = sides[allowing].1[&key].clone();
                let mut request = json!({
                    "id": format!("{}: the {} side with the other account's policy not re-applied: {}", case.name, sides[allowing].0, change["text"]),
                    "principal": format!("arn:aws:iam::123456789012:role/{name}"),
                    "policies": policies,
                    "action": witness["action"],
                    "resource": witness["resource"],
                    "context": witness["context"],
                });
                match &sides[stale].2 {
                    Some(policy) => request["resourcePolicy"] = policy.clone(),
                    None => {
                        request["resourcePolicy"] =
                            json!({"Version": "2012-10-17", "Statement": []})
                    }
                }
                requests.push(request);
                expected.push("denied");
            }
            for (side, roles, resource_policy) in sides {
                let (name, trust, policies) = roles[&key].clone();
                let arn = format!("arn:aws:iam::123456789012:role/{name}");
                let policies = if change["part"] == "trust" {
                    let service = witness["context"]["aws:PrincipalServiceName"][0]
                        .as_str()
                        .unwrap();
                    vec![trust_as_identity(
                        &trust,
                        service,
                        witness["resource"].as_str().unwrap(),
                    )]
                } else {
                    policies
                };
                let mut request = json!({
                    "id": format!("{}: {side}: {}", case.name, change["text"]),
                    "principal": arn,
                    "policies": policies,
                    "action": witness["action"],
                    "resource": witness["resource"],
                    "context": witness["context"],
                });
                if let Some(policy) = resource_policy {
                    request["resourcePolicy"] = policy;
                }
                requests.push(request);
                let allowed = (side == "new") == gains;
                expected.push(if allowed { "allowed" } else { "denied" });
            }
        }
    }
    assert!(requests.len() >= 20, "{} requests", requests.len());
    let results = support::simulate::run(&requests);
    let mut wrong = Vec::new();
    for ((request, result), expected) in requests.iter().zip(&results).zip(&expected) {
        if result["decision"] != *expected {
            wrong.push(format!(
                "{}: {} {} {}: the simulator says {} ({}), the witness means {expected}",
                request["id"],
                request["action"],
                request["resource"],
                request["context"],
                result["decision"],
                result["detail"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_gate_decides_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let wider = edit("        prefix \"orders/\"\n", "");
    let narrower = edit("prefix \"orders/\"", "prefix \"orders/2026/\"");
    let setting = edit("\"team\" \"data-platform\"", "\"team\" \"streaming\"");
    let status =
        |old: &str, new: &str, args: &[&str]| diff_pair(dir.path(), old, new, args).status.code();
    assert_eq!(status(BASE, &wider, &["--fail-on", "broadening"]), Some(3));
    assert_eq!(status(BASE, &wider, &[]), Some(0));
    assert_eq!(
        status(BASE, &narrower, &["--fail-on", "broadening"]),
        Some(0)
    );
    assert_eq!(status(BASE, &narrower, &["--fail-on", "any"]), Some(3));
    assert_eq!(status(BASE, &setting, &["--fail-on", "any"]), Some(0));
    assert_eq!(status(BASE, BASE, &["--fail-on", "any"]), Some(0));
    // One role named by name on one side, by the ARN `import` writes on the other.
    let by_name = edit(
        "    tag \"team\"",
        "    execution role existing \"shared-agent\"\n    tag \"team\"",
    );
    let by_arn = edit(
        "    tag \"team\"",
        "    execution role existing \"arn:aws:iam::123456789012:role/team/shared-agent\"\n    tag \"team\"",
    );
    assert_eq!(status(&by_name, &by_arn, &["--fail-on", "any"]), Some(0));
    let renamed = by_arn.replace("/shared-agent", "/other-agent");
    assert_eq!(
        status(&by_name, &renamed, &["--fail-on", "broadening"]),
        Some(3)
    );
    let output = diff_pair(dir.path(), BASE, &wider, &["--fail-on", "broadening"]);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--fail-on broadening tripped"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn spec_errors_on_one_side_compare_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broken = edit("prefix \"orders/\"", "prefix \"\"");
    for (old, new) in [(BASE.to_owned(), broken.clone()), (broken, BASE.to_owned())] {
        let output = diff_pair(dir.path(), &old, &new, &["--fail-on", "any"]);
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("E053"), "{stderr}");
        assert!(stderr.contains("nothing compared"), "{stderr}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.runner"), BASE).unwrap();
    for args in [
        vec!["diff", "a.runner"],
        vec!["diff", "a.runner", "missing.runner"],
        vec!["diff", "-", "-"],
        vec!["diff", "a.runner", "a.runner", "--format", "yaml"],
    ] {
        let output = runnerc()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
}

#[test]
fn standard_input_is_one_side() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("new.runner"),
        edit("prefix \"orders/\"", "prefix \"orders/2026/\""),
    )
    .unwrap();
    let mut child = runnerc()
        .current_dir(dir.path())
        .args(["diff", "-", "new.runner"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), BASE.as_bytes()).unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("orders-cdc task role: narrower"), "{text}");
    assert!(text.contains("(old <stdin>:"), "{text}");
}

/// A runner on one side only, in folders of several files.
#[test]
fn runners_added_and_removed_across_folders() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(old.join("team")).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    let named = |name: &str| BASE.replace("orders-cdc", name);
    std::fs::write(old.join("orders.runner"), BASE).unwrap();
    std::fs::write(old.join("team/billing.runner"), named("billing-cdc")).unwrap();
    std::fs::write(old.join("notes.txt"), "not a spec").unwrap();
    // orders moved to another file, billing gone, crm new.
    std::fs::write(
        new.join("all.runner"),
        format!("{BASE}\n{}", named("crm-cdc")),
    )
    .unwrap();
    let output = runnerc()
        .current_dir(dir.path())
        .args(["diff", "old", "new", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    let verdict = |runner: &str, role: &str| {
        report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["runner"] == runner && v["role"] == role)
            .map(|v| v["verdict"].as_str().unwrap().to_owned())
    };
    assert_eq!(verdict("orders-cdc", "task").as_deref(), Some("unchanged"));
    assert_eq!(verdict("crm-cdc", "task").as_deref(), Some("added"));
    assert_eq!(verdict("crm-cdc", "execution").as_deref(), Some("added"));
    assert_eq!(verdict("billing-cdc", "task").as_deref(), Some("removed"));
    let changes = report["changes"].as_array().unwrap();
    let crm_gains = changes
        .iter()
        .filter(|c| c["runner"] == "crm-cdc" && c["change"] == "gains")
        .count();
    assert!(crm_gains >= 4, "{changes:?}");
    assert!(changes.iter().any(|c| {
        c["runner"] == "billing-cdc"
            && c["change"] == "loses"
            && c["old"]["file"]
                .as_str()
                .unwrap()
                .ends_with("billing.runner")
    }));
    assert!(changes.iter().all(|c| c["runner"] != "orders-cdc"));
    for args in [["--fail-on", "broadening"], ["--fail-on", "any"]] {
        let status = runnerc()
            .current_dir(dir.path())
            .args(["diff", "old", "new"])
            .args(args)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(3));
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn base_reads_the_old_side_from_git() {
    let test = "base_reads_the_old_side_from_git";
    if !support::commands_present(test, &["git"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::write(root.join("specs/orders.runner"), BASE).unwrap();
    std::fs::write(
        root.join("specs/gone.runner"),
        BASE.replace("orders-cdc", "gone-cdc"),
    )
    .unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    // The change: a wider prefix, a deleted spec, a new untracked one.
    std::fs::write(
        root.join("specs/orders.runner"),
        edit("        prefix \"orders/\"\n", ""),
    )
    .unwrap();
    std::fs::remove_file(root.join("specs/gone.runner")).unwrap();
    std::fs::write(
        root.join("specs/new.runner"),
        BASE.replace("orders-cdc", "new-cdc"),
    )
    .unwrap();
    git(root, &["add", "specs/new.runner"]);

    let run = |cwd: &Path, args: &[&str]| {
        runnerc()
            .current_dir(cwd)
            .args(["diff", "--base", "main"])
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(root, &["--format", "json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    let verdicts: BTreeMap<String, String> = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                format!(
                    "{} {}",
                    v["runner"].as_str().unwrap(),
                    v["role"].as_str().unwrap()
                ),
                v["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(verdicts["orders-cdc task"], "broader");
    assert_eq!(verdicts["gone-cdc task"], "removed");
    assert_eq!(verdicts["new-cdc task"], "added");
    let changes = report["changes"].as_array().unwrap();
    let widened = changes
        .iter()
        .find(|c| c["runner"] == "orders-cdc" && c["change"] == "gains")
        .unwrap();
    assert_eq!(widened["new"]["file"], "specs/orders.runner");
    assert!(
        changes
            .iter()
            .any(|c| c["old"]["file"] == "main:specs/gone.runner")
    );

    // From a subfolder, one file named: only it is compared.
    let output = run(
        &root.join("specs"),
        &["orders.runner", "--fail-on", "broadening"],
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("orders-cdc task role: broader"), "{text}");
    assert!(!text.contains("gone-cdc"), "{text}");

    // A revision that is not there is a usage error.
    let output = run(root, &["--format", "json"]).status.code();
    assert_eq!(output, Some(0));
    let output = runnerc()
        .current_dir(root)
        .args(["diff", "--base", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a commit"));
}

#[test]
fn markdown_fits_a_pull_request_comment() {
    let dir = tempfile::tempdir().unwrap();
    // Small: every change and its witness.
    let output = diff_pair(
        dir.path(),
        BASE,
        &edit("        prefix \"orders/\"\n", ""),
        &["--format", "markdown"],
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("### runnerc diff: broader\n"), "{text}");
    assert!(
        text.contains("<details>") && text.contains("allowed by the new spec, denied by the old")
    );
    // 1,500 runners, each new: far beyond 65,536 characters in full.
    let mut fleet = String::new();
    for i in 0..1500 {
        fleet.push_str(&BASE.replace("orders-cdc", &format!("r{i:04}")));
    }
    std::fs::create_dir(dir.path().join("none")).unwrap();
    std::fs::write(dir.path().join("fleet.runner"), &fleet).unwrap();
    let output = runnerc()
        .current_dir(dir.path())
        .args(["diff", "none", "fleet.runner", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.chars().count() <= 65_536,
        "{} characters",
        text.chars().count()
    );
    assert!(text.contains("to fit GitHub's comment limit"), "{text}");
    assert!(text.contains("more roles with changes"), "{text}");
    assert!(
        text.contains("1500 runners compared: 3000 roles added"),
        "{text}"
    );
}
