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
/// action, and `*` as a resource only for ListSecrets.
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
            assert_eq!(
                actions,
                vec!["secretsmanager:ListSecrets"],
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

        // Trust: ECS tasks, with the confused-deputy conditions for this account and region.
        let trust = &documents.trust;
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
            let source = &ecs.condition["ArnLike"]["aws:SourceArn"];
            assert_eq!(
                source.items(),
                vec![format!("arn:{p}:ecs:{}:{}:*", runner.region, runner.account).as_str()]
            );
        }
        for extra in &trust.statement[1..] {
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
                            assert!(statement.condition.is_empty());
                        }
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

        // Execution role: exactly the agent secrets and their keys.
        match &documents.execution {
            None => assert!(runner.agent_secrets.is_empty()),
            Some(execution) => {
                check_identity_policy(execution, name);
                let read: HashSet<String> = execution
                    .statement
                    .iter()
                    .filter(|s| s.action.items() == vec!["secretsmanager:GetSecretValue"])
                    .flat_map(|s| items(&s.resource))
                    .collect();
                assert_eq!(read, agent, "{name}: execution role secrets");
                for statement in &execution.statement {
                    for action in statement.action.items() {
                        assert!(
                            ["secretsmanager:GetSecretValue", "kms:Decrypt"].contains(&action),
                            "{name}: {action}"
                        );
                    }
                }
            }
        }
    }
}
