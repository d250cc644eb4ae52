//! `runnerc explain --stopped-reason`: the stopped reasons ECS reports when a task cannot
//! start, each recognised and, given the specs, tied to the runner and the line to change.

use std::process::{Command, Output};

fn explain(reason: &str, specs: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["explain", "--stopped-reason", reason])
        .args(specs)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const SPECS: &str = "tests/verify/specs.runner";

#[test]
fn a_denied_secret_names_the_runner_and_the_line_to_add() {
    let reason = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/other-XyZ123 from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/invoices-cdc-execution-role/0a1b2c3d is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/other-XyZ123 because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400";
    let text = stdout(&explain(reason, &[SPECS]));
    assert!(text.contains("execution role `invoices-cdc-execution-role` may not read the secret `arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/other-XyZ123`"), "{text}");
    assert!(text.contains("runner invoices-cdc (tests/verify/specs.runner:2): add `agent secret \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/other-XyZ123\"`"), "{text}");
    assert!(!text.contains("shared-cdc"), "{text}");
    // A secret unlike any of the runner's: no guess about the task definition.
    assert!(!text.contains("wrong secret"), "{text}");
    // A secret the spec grants: the documents are not deployed.
    let granted = reason.replace("billing/other-XyZ123", "matillion/agent-AbC123");
    let text = stdout(&explain(&granted, &[SPECS]));
    assert!(
        text.contains("runner invoices-cdc (tests/verify/specs.runner:2) grants it"),
        "{text}"
    );
    // A partial ARN in the task definition.
    let partial = reason.replace("billing/other-XyZ123", "prod/other");
    let text = stdout(&explain(&partial, &[]));
    assert!(text.contains("has no random suffix"), "{text}");
    assert!(
        text.contains("describe-secret --secret-id prod/other"),
        "{text}"
    );
}

const SHARED_ROLE_DENIED: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/other-AbC123 from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/0a1b2c3d is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/other-AbC123 because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400";

#[test]
fn a_sibling_of_the_agent_secret_is_first_a_wrong_task_definition() {
    // shared-cdc's agent secret is shared/agent-XyZ789, at specs.runner:20; the task asked for
    // shared/other-AbC123 (another name in the same folder).
    let text = stdout(&explain(SHARED_ROLE_DENIED, &[SPECS]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[1],
        "runner shared-cdc: the task definition probably names the wrong secret: the spec's agent secret is `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/agent-XyZ789` (tests/verify/specs.runner:20); name that one in the container's `valueFrom` (`runnerc verify` checks the task definition before it is registered)."
    );
    assert_eq!(
        lines[2],
        "runner shared-cdc (tests/verify/specs.runner:20): or, if the task is meant to read that secret, add `agent secret \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/other-AbC123\"` (with `kms` if a customer managed key encrypts it)."
    );
    // The same name with another random suffix (the secret was deleted and made again).
    let resuffixed = SHARED_ROLE_DENIED.replace("shared/other-AbC123", "shared/agent-Old000");
    let text = stdout(&explain(&resuffixed, &[SPECS]));
    assert!(
        text.contains("probably names the wrong secret: the spec's agent secret is `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/agent-XyZ789` (tests/verify/specs.runner:20)"),
        "{text}"
    );
    // Of two agent secrets, the one sharing more of the name: prod/keyed, not matillion/agent.
    let invoices = SHARED_ROLE_DENIED
        .replace("ecsTaskExecutionRole", "invoices-cdc-execution-role")
        .replace("shared/other-AbC123", "prod/keyed-v2-AbC123");
    let text = stdout(&explain(&invoices, &[SPECS]));
    assert!(
        text.contains("agent secret is `arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/keyed-AbC123` (tests/verify/specs.runner:13)"),
        "{text}"
    );
    // Another account's secret of the same name is no sibling.
    let foreign = SHARED_ROLE_DENIED.replace(
        "123456789012:secret:shared/other",
        "210987654321:secret:shared/other",
    );
    let text = stdout(&explain(&foreign, &[SPECS]));
    assert!(!text.contains("wrong secret"), "{text}");
    assert!(
        text.contains("runner shared-cdc (tests/verify/specs.runner:16): add"),
        "{text}"
    );
}

#[test]
fn kms_missing_secrets_network_and_pulls_are_told_apart() {
    let kms = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/keyed-AbC123 from secrets manager: AccessDeniedException: Access to KMS is not allowed";
    let text = stdout(&explain(kms, &[SPECS]));
    assert!(
        text.contains("may not decrypt a secret's customer managed key"),
        "{text}"
    );
    assert!(
        text.contains(
            "runner invoices-cdc: the agent secret at tests/verify/specs.runner:9 has no `kms` key"
        ),
        "{text}"
    );
    let missing = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/gone from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.";
    assert!(stdout(&explain(missing, &[])).contains("Secrets Manager has no secret"));
    let network = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): RequestError: send request failed caused by: Post \"https://secretsmanager.eu-west-1.amazonaws.com/\": dial tcp 52.94.1.1:443: i/o timeout. Please check your task network configuration.";
    let text = stdout(&explain(network, &[SPECS]));
    assert!(text.starts_with("This is not IAM"), "{text}");
    let pull = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/agent:latest: not found";
    assert!(stdout(&explain(pull, &[])).contains("The image could not be pulled"));
}

#[test]
fn an_unknown_reason_says_so_and_usage_is_checked() {
    let output = explain("Essential container in task exited", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not one runnerc recognises"));
    let none = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .arg("explain")
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    let two = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["explain", "E052", "E053"])
        .output()
        .unwrap();
    assert_eq!(two.status.code(), Some(2));
}

/// `agent secret *` is answered one way by `explain --stopped-reason` and `verify`: it reaches
/// every secret of the runner's account and region (the grant it lowers to), and no secret of
/// another region or account. Before, `explain` said it reached everything and `verify` that it
/// reached nothing.
#[test]
fn every_secret_reaches_the_runners_account_and_region_only() {
    let spec = "tests/stopped/every-secret.runner";
    let denied = |secret: &str| {
        SHARED_ROLE_DENIED
            .replace(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/other-AbC123",
                secret,
            )
            .replace("ecsTaskExecutionRole", "every-cdc-execution-role")
    };
    let home = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/creds-AbC123";
    let text = stdout(&explain(&denied(home), &[spec]));
    assert!(
        text.contains("runner every-cdc (tests/stopped/every-secret.runner:2) grants it"),
        "{text}"
    );
    for elsewhere in [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:agent/creds-AbC123",
        "arn:aws:secretsmanager:eu-west-1:210987654321:secret:agent/creds-AbC123",
    ] {
        let text = stdout(&explain(&denied(elsewhere), &[spec]));
        assert!(!text.contains("grants it"), "{elsewhere}: {text}");
        assert!(text.contains("add `agent secret"), "{elsewhere}: {text}");
    }
    // verify: the execution role reads the secret of its own account and region, and no other.
    let dir = tempfile::tempdir().unwrap();
    let definition = |secret: &str| {
        format!(
            r#"{{"family":"every-cdc","taskRoleArn":"arn:aws:iam::123456789012:role/every-cdc-task-role","executionRoleArn":"arn:aws:iam::123456789012:role/every-cdc-execution-role","containerDefinitions":[{{"name":"every-cdc","image":"agent:1","secrets":[{{"name":"AGENT","valueFrom":"{secret}"}}]}}]}}"#
        )
    };
    let verify = |secret: &str| {
        let path = dir.path().join("td.json");
        std::fs::write(&path, definition(secret)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(["verify", "--color", "never"])
            .arg(&path)
            .arg(spec)
            .output()
            .unwrap()
    };
    let output = verify(home);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = verify("arn:aws:secretsmanager:us-east-1:123456789012:secret:agent/creds-AbC123");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
