//! The contract's table, checked on meaning rather than text: for every runner of every
//! example, each statement of each document is read back and held to what the role may be
//! granted.

use runnerc::compile::{CompiledRunner, compile};
use runnerc::diag::Sources;
use runnerc::lower::iam::{OneOrMany, PolicyDocument};
use runnerc::model::SecretResource;
use std::collections::HashSet;
use std::fs;

fn compiled_examples() -> Vec<CompiledRunner> {
    let mut sources = Sources::new();
    let mut paths: Vec<_> = fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "runner"))
        .collect();
    paths.sort();
    for path in paths {
        sources.add(
            path.display().to_string(),
            fs::read_to_string(&path).unwrap(),
        );
    }
    let compilation = compile(&sources);
    assert!(!compilation.has_errors());
    compilation.lowered()
}

fn items(value: &Option<OneOrMany>) -> Vec<String> {
    value
        .as_ref()
        .map(|v| v.items().into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn secret_arns(grants: &[runnerc::model::SecretGrant]) -> HashSet<String> {
    grants
        .iter()
        .filter_map(|g| match &g.resource {
            SecretResource::Arn(arn) => Some(arn.clone()),
            SecretResource::Every => None,
        })
        .collect()
}

/// Every identity-policy statement: Allow, no Principal, alphanumeric unique Sid, no wildcard
/// action, and `*` as a resource only for the actions that take nothing else: ListSecrets, and
/// ecr:GetAuthorizationToken of a least-privilege execution role.
fn check_identity_policy(document: &PolicyDocument, runner: &str) {
    let mut sids = HashSet::new();
    for statement in &document.statement {
        assert!(
            statement.sid.chars().all(|c| c.is_ascii_alphanumeric()),
            "{runner}: Sid {}",
            statement.sid
        );
        assert!(
            sids.insert(statement.sid.clone()),
            "{runner}: duplicate Sid {}",
            statement.sid
        );
        assert_eq!(statement.effect, "Allow");
        assert!(
            statement.principal.is_none(),
            "{runner}: Principal in an identity policy"
        );
        let actions = statement.action.items();
        for action in &actions {
            assert!(!action.contains('*'), "{runner}: wildcard action {action}");
        }
        let resources = items(&statement.resource);
        assert!(
            !resources.is_empty(),
            "{runner}: statement without resource"
        );
        if resources.iter().any(|r| r == "*") {
            assert!(
                actions == vec!["secretsmanager:ListSecrets"]
                    || actions == vec!["ecr:GetAuthorizationToken"],
                "{runner}: Resource * on {actions:?}"
            );
        }
    }
}

#[test]
fn every_example_meets_the_contract_table() {
    let runners = compiled_examples();
    assert!(runners.len() >= 6);
    for CompiledRunner { runner, documents } in &runners {
        let name = &runner.name;
        let p = runner.partition.as_str();

        // Trust: ECS tasks, with the confused-deputy conditions for this account and region;
        // the execution role with `aws:SourceAccount` only, and no other service.
        let source_arn = format!("arn:{p}:ecs:{}:{}:*", runner.region, runner.account);
        for (trust, task, role) in [
            (&documents.task_trust, true, &runner.task_role),
            (&documents.execution_trust, false, &runner.execution_role),
        ] {
            // An existing role's trust policy is its owner's: runnerc writes none.
            assert_eq!(
                trust.is_none(),
                role.is_existing(),
                "{name}: trust of {}",
                role.name
            );
            let Some(trust) = trust else { continue };
            let ecs = &trust.statement[0];
            assert_eq!(
                ecs.principal.as_ref().unwrap().service,
                "ecs-tasks.amazonaws.com"
            );
            assert_eq!(ecs.action.items(), vec!["sts:AssumeRole"]);
            assert!(ecs.resource.is_none());
            if runner.trust.confused_deputy_conditions {
                let account = &ecs.condition["StringEquals"]["aws:SourceAccount"];
                assert_eq!(account.items(), vec![runner.account.as_str()]);
                if task {
                    let source = &ecs.condition["ArnLike"]["aws:SourceArn"];
                    assert_eq!(source.items(), vec![source_arn.as_str()]);
                } else {
                    assert_eq!(ecs.condition.len(), 1, "{name}: execution trust conditions");
                    assert_eq!(ecs.condition["StringEquals"].len(), 1);
                }
            } else {
                assert!(ecs.condition.is_empty());
            }
            if !task {
                assert_eq!(
                    trust.statement.len(),
                    1,
                    "{name}: extra service on the execution role"
                );
            }
        }
        let extras = documents.task_trust.iter().flat_map(|t| &t.statement[1..]);
        for extra in extras {
            assert!(
                extra.condition.is_empty(),
                "{name}: conditions on an extra service"
            );
            assert!(extra.resource.is_none());
            if p == "aws-cn" {
                assert_ne!(
                    extra.principal.as_ref().unwrap().service,
                    "ec2.amazonaws.com"
                );
            }
        }

        // Task role: no managed policy, only what the spec implies.
        assert!(
            runner.task_role.managed_policies.is_empty(),
            "{name}: managed policy on the task role"
        );
        let pipeline = secret_arns(&runner.pipeline_secrets);
        let agent = secret_arns(&runner.agent_secrets);
        match &documents.task {
            None => assert!(runner.pipeline_secrets.is_empty() && runner.destinations.is_empty()),
            Some(task) => {
                check_identity_policy(task, name);
                let mut listed = false;
                for statement in &task.statement {
                    let actions = statement.action.items();
                    let resources = items(&statement.resource);
                    for resource in &resources {
                        assert!(
                            resource == "*" || resource.starts_with(&format!("arn:{p}:")),
                            "{name}: {resource}"
                        );
                    }
                    if actions.contains(&"secretsmanager:GetSecretValue") {
                        for resource in &resources {
                            assert!(
                                pipeline.contains(resource),
                                "{name}: task role reads {resource}"
                            );
                            assert!(resource.ends_with("-??????") || !resource.ends_with('*'));
                        }
                    }
                    if actions == vec!["secretsmanager:ListSecrets"] {
                        listed = true;
                        assert_eq!(resources, vec!["*"]);
                    }
                    for action in ["s3:ListBucket", "s3:GetBucketLocation"] {
                        if actions.contains(&action) {
                            assert_eq!(actions.len(), 1, "{name}: {action} shares a statement");
                            for resource in &resources {
                                assert!(
                                    !resource.contains('/'),
                                    "{name}: {action} on object ARN {resource}"
                                );
                            }
                        }
                    }
                    if actions.contains(&"s3:ListBucket") {
                        let bucket = resources[0].rsplit(':').next().unwrap();
                        let prefixes: Vec<_> = runner
                            .destinations
                            .iter()
                            .filter(|d| d.bucket == bucket)
                            .map(|d| d.prefix.clone())
                            .collect();
                        if prefixes.iter().all(Option::is_some) {
                            let patterns = statement.condition["StringLike"]["s3:prefix"].items();
                            for prefix in prefixes.iter().flatten() {
                                assert!(patterns.contains(&prefix.as_str()));
                                assert!(patterns.contains(&format!("{prefix}*").as_str()));
                            }
                        } else {
                            assert!(!statement.condition.contains_key("StringLike"));
                        }
                    }
                    if actions.iter().any(|a| a.starts_with("s3:")) {
                        let owners =
                            statement.condition["StringEquals"]["s3:ResourceAccount"].items();
                        assert_eq!(owners.len(), 1, "{name}: one bucket owner per statement");
                    }
                    if actions.contains(&"s3:PutObject") {
                        assert_eq!(
                            actions,
                            vec!["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
                        );
                        for resource in &resources {
                            assert!(
                                resource.contains('/') && resource.ends_with("/*"),
                                "{name}: {resource}"
                            );
                        }
                    }
                    if actions.iter().any(|a| a.starts_with("kms:")) {
                        for resource in &resources {
                            assert!(
                                resource.starts_with(&format!("arn:{p}:kms:"))
                                    && resource.contains(":key/")
                            );
                        }
                    }
                }
                assert_eq!(
                    listed,
                    !runner.pipeline_secrets.is_empty(),
                    "{name}: ListSecrets"
                );
                let kms: HashSet<String> = task
                    .statement
                    .iter()
                    .filter(|s| s.action.items().contains(&"kms:Decrypt"))
                    .flat_map(|s| items(&s.resource))
                    .collect();
                let needed: HashSet<String> = runner
                    .pipeline_secrets
                    .iter()
                    .filter_map(|s| s.kms_key.clone())
                    .chain(runner.destinations.iter().filter_map(|d| d.kms_key.clone()))
                    .collect();
                assert_eq!(kms, needed, "{name}: task role keys");
            }
        }

        // Execution role: exactly the agent secrets and their keys, and, for a role that names
        // its image and log group, the pulls of that repository and the writes to that group.
        let role = &runner.execution_role;
        let least_privilege = role.image.is_some() || role.logs.is_some();
        match &documents.execution {
            None => assert!(runner.agent_secrets.is_empty() && !least_privilege),
            Some(execution) => {
                check_identity_policy(execution, name);
                let read: HashSet<String> = execution
                    .statement
                    .iter()
                    .filter(|s| s.action.items() == vec!["secretsmanager:GetSecretValue"])
                    .flat_map(|s| items(&s.resource))
                    .collect();
                assert_eq!(read, agent, "{name}: execution role secrets");
                let pulls = [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ];
                let logs = ["logs:CreateLogStream", "logs:PutLogEvents"];
                for statement in &execution.statement {
                    for action in statement.action.items() {
                        let allowed = ["secretsmanager:GetSecretValue", "kms:Decrypt"]
                            .contains(&action)
                            || (role.image.as_ref().is_some_and(|i| i.repository.is_some())
                                && pulls.contains(&action))
                            || (role.logs.is_some() && logs.contains(&action));
                        assert!(allowed, "{name}: {action}");
                    }
                    let resources = items(&statement.resource);
                    if statement.action.items().iter().any(|a| logs.contains(a)) {
                        let group = &role.logs.as_ref().unwrap().name;
                        assert_eq!(
                            resources,
                            vec![format!(
                                "arn:{p}:logs:{}:{}:log-group:{group}:*",
                                runner.region, runner.account
                            )],
                            "{name}: log writes"
                        );
                    }
                    if statement.action.items().contains(&"ecr:BatchGetImage") {
                        assert_eq!(
                            resources,
                            vec![role.image.as_ref().unwrap().repository.clone().unwrap()],
                            "{name}: pulls"
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests written by hand from the contract, decided on the documents `runnerc build` writes.
// The expectations name real ARNs (random suffixes, near-miss names, other buckets, prefixes,
// accounts, regions and partitions); none is derived from the compiler's own model.

/// A spec that uses every kind of grant, `secret *` and a bucket of another account included.
const SPEC: &str = r#"
runner "alpha" {
    account "123456789012"
    region  "eu-west-1"
    secret "prod/db"
    secret "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/replica-AbC123"
    secret "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy/app"
    secret "prod/keyed" kms "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab"
    agent secret "agent/creds" kms "arn:aws:kms:eu-west-1:123456789012:key/3333cccc-12ab-34cd-56ef-1234567890ab"
    destination s3 {
        bucket "landing"
        prefix "orders"
    }
    destination s3 {
        bucket "whole-bucket"
    }
    destination s3 {
        bucket "partner-drop"
        prefix "in/"
        owner  "210987654321"
        kms    "arn:aws:kms:eu-west-1:123456789012:key/2222bbbb-12ab-34cd-56ef-1234567890ab"
    }
    trust service "ec2.amazonaws.com"
}
runner "beta" {
    account "111122223333"
    region  "us-east-1"
    secret *
    agent secret *
}
runner "gamma" {
    account "444455556666"
    region  "cn-north-1"
    secret "app/db" kms "arn:aws-cn:kms:cn-north-1:444455556666:key/4444dddd-12ab-34cd-56ef-1234567890ab"
    destination s3 {
        bucket "cn-landing"
        prefix "x/"
    }
}
"#;

/// `*` any run of characters, `?` any one character; everything else literally.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect(),
        other => panic!("not a string or list: {other}"),
    }
}

/// Whether an identity or trust policy allows a request, by IAM's rules for the grammar
/// runnerc writes: Allow statements, wildcards in Action and Resource, and StringEquals,
/// StringLike and ArnLike conditions (a key missing from the context fails its condition).
fn allows(
    document: &serde_json::Value,
    principal: Option<&str>,
    action: &str,
    resource: &str,
    context: &[(&str, &str)],
) -> bool {
    document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .any(|statement| {
            assert_eq!(statement["Effect"], "Allow");
            let principal_ok = match (principal, statement.get("Principal")) {
                (Some(service), Some(p)) => strings(&p["Service"]).iter().any(|s| s == service),
                (None, None) => true,
                _ => false,
            };
            let action_ok = strings(&statement["Action"])
                .iter()
                .any(|a| wildcard_match(&a.to_lowercase(), &action.to_lowercase()));
            let resource_ok = match statement.get("Resource") {
                Some(r) => strings(r).iter().any(|r| wildcard_match(r, resource)),
                None => true,
            };
            let conditions_ok = statement.get("Condition").is_none_or(|conditions| {
                conditions
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(operator, keys)| {
                        keys.as_object().unwrap().iter().all(|(key, values)| {
                            let Some((_, actual)) =
                                context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))
                            else {
                                return false;
                            };
                            strings(values).iter().any(|v| match operator.as_str() {
                                "StringEquals" => v == actual,
                                "StringLike" | "ArnLike" => wildcard_match(v, actual),
                                other => panic!(
                                    "runnerc emitted an operator the table does not know: {other}"
                                ),
                            })
                        })
                    })
            });
            principal_ok && action_ok && resource_ok && conditions_ok
        })
}

/// The documents `build` wrote for one runner: file name -> JSON (absent files absent).
fn written(
    out: &std::path::Path,
    runner: &str,
) -> std::collections::HashMap<String, serde_json::Value> {
    fs::read_dir(out.join(runner))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn hand_written_requests_are_decided_as_the_contract_says() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("table.runner");
    fs::write(&spec, SPEC).unwrap();
    let out = dir.path().join("out");
    let build = std::process::Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["build", "--out"])
        .arg(&out)
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );

    const SM: &str = "secretsmanager:GetSecretValue";
    let a = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:";
    let own = [("s3:ResourceAccount", "123456789012")];
    let via_sm = [("kms:ViaService", "secretsmanager.eu-west-1.amazonaws.com")];
    let via_s3 = [("kms:ViaService", "s3.eu-west-1.amazonaws.com")];
    // (runner, document, action, resource, context, allowed)
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        String,
        Vec<(&'a str, &'a str)>,
        bool,
    );
    let task = "task-role-policy.json";
    let exec = "execution-role-policy.json";
    let mut rows: Vec<Row> = vec![
        // Secret names get exactly six characters of suffix.
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/db-AbC123"),
            vec![],
            true,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/db-Zz9Yy8"),
            vec![],
            true,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/db-AbC12"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/db-AbC1234"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/db-archive-AbC123"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/dbx-AbC123"),
            vec![],
            false,
        ),
        ("alpha", task, SM, format!("{a}prod/db"), vec![], false),
        (
            "alpha",
            task,
            SM,
            format!("{a}Prod/db-AbC123"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod/db-AbC123".into(),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            "arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/db-AbC123".into(),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            "arn:aws-cn:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123".into(),
            vec![],
            false,
        ),
        // A full ARN is that secret only; one without its suffix gets six `?`.
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/replica-AbC123"),
            vec![],
            true,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}prod/replica-XyZ789"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}legacy/app-Qw3Er4"),
            vec![],
            true,
        ),
        (
            "alpha",
            task,
            SM,
            format!("{a}legacy/app-v2-Qw3Er4"),
            vec![],
            false,
        ),
        // Pipeline and agent secrets stay with their roles.
        (
            "alpha",
            task,
            SM,
            format!("{a}agent/creds-AbC123"),
            vec![],
            false,
        ),
        (
            "alpha",
            exec,
            SM,
            format!("{a}agent/creds-AbC123"),
            vec![],
            true,
        ),
        (
            "alpha",
            exec,
            SM,
            format!("{a}prod/db-AbC123"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            "secretsmanager:ListSecrets",
            "*".into(),
            vec![],
            true,
        ),
        (
            "alpha",
            exec,
            "secretsmanager:ListSecrets",
            "*".into(),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            "secretsmanager:PutSecretValue",
            format!("{a}prod/db-AbC123"),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            "secretsmanager:DeleteSecret",
            format!("{a}prod/db-AbC123"),
            vec![],
            false,
        ),
        // Keys: through Secrets Manager or S3 only, and only for the role that needs them.
        (
            "alpha",
            task,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab".into(),
            via_sm.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab".into(),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab".into(),
            vec![("kms:ViaService", "ec2.eu-west-1.amazonaws.com")],
            false,
        ),
        (
            "alpha",
            task,
            "kms:Encrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab".into(),
            via_sm.to_vec(),
            false,
        ),
        (
            "alpha",
            exec,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/3333cccc-12ab-34cd-56ef-1234567890ab".into(),
            via_sm.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/3333cccc-12ab-34cd-56ef-1234567890ab".into(),
            via_sm.to_vec(),
            false,
        ),
        (
            "alpha",
            exec,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab".into(),
            via_sm.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "kms:GenerateDataKey",
            "arn:aws:kms:eu-west-1:123456789012:key/2222bbbb-12ab-34cd-56ef-1234567890ab".into(),
            via_s3.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "kms:Decrypt",
            "arn:aws:kms:eu-west-1:123456789012:key/2222bbbb-12ab-34cd-56ef-1234567890ab".into(),
            via_s3.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "kms:GenerateDataKey",
            "arn:aws:kms:eu-west-1:123456789012:key/2222bbbb-12ab-34cd-56ef-1234567890ab".into(),
            via_sm.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "kms:GenerateDataKey",
            "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab".into(),
            via_s3.to_vec(),
            false,
        ),
        // S3: the prefix, the bucket, and the bucket owner's account.
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::landing/orders/2026/x.json".into(),
            own.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "s3:GetObject",
            "arn:aws:s3:::landing/orders/x".into(),
            own.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "s3:DeleteObject",
            "arn:aws:s3:::landing/orders/x".into(),
            own.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::landing/orders/x".into(),
            vec![("s3:ResourceAccount", "999999999999")],
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::landing/orders/x".into(),
            vec![],
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::landing/ordersx/y".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::landing/other/x".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::landing2/orders/x".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObjectAcl",
            "arn:aws:s3:::landing/orders/x".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:ListBucket",
            "arn:aws:s3:::landing".into(),
            vec![("s3:prefix", "orders/"), own[0]],
            true,
        ),
        (
            "alpha",
            task,
            "s3:ListBucket",
            "arn:aws:s3:::landing".into(),
            vec![("s3:prefix", "orders/2026/"), own[0]],
            true,
        ),
        (
            "alpha",
            task,
            "s3:ListBucket",
            "arn:aws:s3:::landing".into(),
            vec![("s3:prefix", "other/"), own[0]],
            false,
        ),
        (
            "alpha",
            task,
            "s3:ListBucket",
            "arn:aws:s3:::landing".into(),
            vec![own[0]],
            false,
        ),
        (
            "alpha",
            task,
            "s3:ListBucket",
            "arn:aws:s3:::landing".into(),
            vec![("s3:prefix", "orders/")],
            false,
        ),
        (
            "alpha",
            task,
            "s3:GetBucketLocation",
            "arn:aws:s3:::landing".into(),
            own.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "s3:GetBucketLocation",
            "arn:aws:s3:::landing".into(),
            vec![("s3:ResourceAccount", "999999999999")],
            false,
        ),
        (
            "alpha",
            task,
            "s3:DeleteBucket",
            "arn:aws:s3:::landing".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutBucketPolicy",
            "arn:aws:s3:::landing".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::whole-bucket/any/key".into(),
            own.to_vec(),
            true,
        ),
        (
            "alpha",
            task,
            "s3:ListBucket",
            "arn:aws:s3:::whole-bucket".into(),
            vec![own[0]],
            true,
        ),
        // A bucket of another account: its owner, not the runner's.
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::partner-drop/in/x".into(),
            vec![("s3:ResourceAccount", "210987654321")],
            true,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::partner-drop/in/x".into(),
            own.to_vec(),
            false,
        ),
        (
            "alpha",
            task,
            "s3:PutObject",
            "arn:aws:s3:::partner-drop/out/x".into(),
            vec![("s3:ResourceAccount", "210987654321")],
            false,
        ),
        (
            "alpha",
            task,
            "s3:GetBucketLocation",
            "arn:aws:s3:::partner-drop".into(),
            vec![("s3:ResourceAccount", "210987654321")],
            true,
        ),
        (
            "alpha",
            task,
            "s3:GetBucketLocation",
            "arn:aws:s3:::landing".into(),
            vec![("s3:ResourceAccount", "210987654321")],
            false,
        ),
        (
            "alpha",
            exec,
            "s3:PutObject",
            "arn:aws:s3:::landing/orders/x".into(),
            own.to_vec(),
            false,
        ),
        // `secret *`: every secret of the runner's account and region, nothing beyond.
        (
            "beta",
            task,
            SM,
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:anything-AbC123".into(),
            vec![],
            true,
        ),
        (
            "beta",
            task,
            SM,
            "arn:aws:secretsmanager:us-west-2:111122223333:secret:anything-AbC123".into(),
            vec![],
            false,
        ),
        (
            "beta",
            task,
            SM,
            "arn:aws:secretsmanager:us-east-1:999999999999:secret:anything-AbC123".into(),
            vec![],
            false,
        ),
        (
            "beta",
            exec,
            SM,
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:agent-AbC123".into(),
            vec![],
            true,
        ),
        (
            "beta",
            exec,
            SM,
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:agent-AbC123".into(),
            vec![],
            false,
        ),
        (
            "beta",
            task,
            "secretsmanager:DescribeSecret",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:anything-AbC123".into(),
            vec![],
            false,
        ),
        // China: the aws-cn partition in every ARN; KMS's ViaService keeps `.amazonaws.com`.
        (
            "gamma",
            task,
            SM,
            "arn:aws-cn:secretsmanager:cn-north-1:444455556666:secret:app/db-AbC123".into(),
            vec![],
            true,
        ),
        (
            "gamma",
            task,
            SM,
            "arn:aws:secretsmanager:cn-north-1:444455556666:secret:app/db-AbC123".into(),
            vec![],
            false,
        ),
        (
            "gamma",
            task,
            "kms:Decrypt",
            "arn:aws-cn:kms:cn-north-1:444455556666:key/4444dddd-12ab-34cd-56ef-1234567890ab"
                .into(),
            vec![("kms:ViaService", "secretsmanager.cn-north-1.amazonaws.com")],
            true,
        ),
        (
            "gamma",
            task,
            "s3:PutObject",
            "arn:aws-cn:s3:::cn-landing/x/y".into(),
            vec![("s3:ResourceAccount", "444455556666")],
            true,
        ),
        (
            "gamma",
            task,
            "s3:PutObject",
            "arn:aws:s3:::cn-landing/x/y".into(),
            vec![("s3:ResourceAccount", "444455556666")],
            false,
        ),
    ];
    // Trust: who may assume which role.
    let ecs = "ecs-tasks.amazonaws.com";
    let task_trust = "task-role-trust-policy.json";
    let exec_trust = "execution-role-trust-policy.json";
    let source = [
        ("aws:SourceAccount", "123456789012"),
        (
            "aws:SourceArn",
            "arn:aws:ecs:eu-west-1:123456789012:task/cluster/abc",
        ),
    ];
    type TrustRow<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, bool);
    let trust_rows: Vec<TrustRow> = vec![
        (task_trust, ecs, source.to_vec(), true),
        (task_trust, ecs, vec![source[0]], false),
        (
            task_trust,
            ecs,
            vec![
                ("aws:SourceAccount", "123456789012"),
                (
                    "aws:SourceArn",
                    "arn:aws:ecs:eu-west-2:123456789012:task/c/abc",
                ),
            ],
            false,
        ),
        (
            task_trust,
            ecs,
            vec![("aws:SourceAccount", "999999999999"), source[1]],
            false,
        ),
        (task_trust, "ec2.amazonaws.com", vec![], true),
        (exec_trust, ecs, vec![source[0]], true),
        (
            exec_trust,
            ecs,
            vec![("aws:SourceAccount", "999999999999")],
            false,
        ),
        (exec_trust, ecs, vec![], false),
        (exec_trust, "ec2.amazonaws.com", vec![], false),
        (task_trust, "lambda.amazonaws.com", vec![], false),
    ];

    let mut failures = Vec::new();
    let mut decided = 0;
    for (runner, file, action, resource, context, expected) in rows.drain(..) {
        let documents = written(&out, runner);
        let got = documents
            .get(file)
            .is_some_and(|d| allows(d, None, action, &resource, &context));
        decided += 1;
        if got != expected {
            failures.push(format!("{runner} {file}: {action} on {resource} with {context:?}: expected {expected}, got {got}"));
        }
    }
    let alpha = written(&out, "alpha");
    for (file, service, context, expected) in trust_rows {
        let got = allows(&alpha[file], Some(service), "sts:AssumeRole", "", &context);
        decided += 1;
        if got != expected {
            failures.push(format!(
                "alpha {file}: {service} with {context:?}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(decided >= 80, "{decided}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_matcher_knows_iam_wildcards() {
    assert!(wildcard_match("a-??????", "a-AbC123"));
    assert!(!wildcard_match("a-??????", "a-AbC12"));
    assert!(wildcard_match("b/p/*", "b/p/x/y"));
    assert!(!wildcard_match("b/p/*", "b/q/x"));
    assert!(wildcard_match("*", ""));
}
