//! The ECS side of the roles: the container secrets an agent secret's `env` lines wire, and the
//! task-definition fragment that carries them with the two role ARNs, in the shape
//! `aws ecs register-task-definition --cli-input-json` reads.
//!
//! ECS needs each secret's full ARN in `valueFrom` (the ECS API reference, `Secret`), with
//! `:json-key:version-stage:version-id` after it when a key or version is chosen, every colon
//! kept (the ECS guide "Pass Secrets Manager secrets through Amazon ECS environment
//! variables"); the checker has made sure each secret wired here is named by its full ARN.

use crate::ast::RoleKind;
use crate::model::{Ownership, Runner, SecretResource};
use serde_json::{Value, json};

/// One entry of a container definition's `secrets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSecret {
    pub name: String,
    pub value_from: String,
}

/// Every variable the runner's agent secrets wire, in the order written.
pub fn container_secrets(runner: &Runner) -> Vec<ContainerSecret> {
    runner
        .agent_secrets
        .iter()
        .flat_map(|grant| {
            let arn = match &grant.resource {
                SecretResource::Arn(arn) => arn.as_str(),
                SecretResource::Every => "",
            };
            grant.env.iter().map(move |var| ContainerSecret {
                name: var.name.clone(),
                value_from: var.value_from(arn),
            })
        })
        .collect()
}

/// The role as a task definition names it, and whether that is a guess: a role runnerc creates
/// or one written by ARN is its ARN; an `existing` role written by name alone has an unknown
/// path. ECS takes the task role's short name (`taskRoleArn`: "The short name or full Amazon
/// Resource Name (ARN) of the IAM role", RegisterTaskDefinition), so the name is given; the
/// execution role must be an ARN (`executionRoleArn`: "The Amazon Resource Name (ARN) of the
/// task execution role"), so its ARN is written with the path `/`, where IAM puts a role when
/// none is given.
pub fn role_reference(runner: &Runner, kind: RoleKind) -> (String, bool) {
    let role = runner.role(kind);
    let arn = |path: &str| {
        format!(
            "arn:{}:iam::{}:role{}{}",
            runner.partition, runner.account, path, role.name
        )
    };
    match (role.ownership, kind) {
        (Ownership::Existing { path_known: false }, RoleKind::Task) => (role.name.clone(), false),
        (Ownership::Existing { path_known: false }, RoleKind::Execution) => (arn("/"), true),
        _ => (arn(&role.path), false),
    }
}

/// `task-definition.json`, when the runner wires any variable.
pub fn task_definition(runner: &Runner) -> Option<String> {
    let secrets = container_secrets(runner);
    if secrets.is_empty() {
        return None;
    }
    let secrets: Vec<Value> = secrets
        .iter()
        .map(|s| json!({"name": s.name, "valueFrom": s.value_from}))
        .collect();
    let fragment = json!({
        "family": runner.name,
        "taskRoleArn": role_reference(runner, RoleKind::Task).0,
        "executionRoleArn": role_reference(runner, RoleKind::Execution).0,
        "containerDefinitions": [{
            "name": runner.name,
            "secrets": secrets,
        }],
    });
    let mut text = serde_json::to_string_pretty(&fragment).expect("a fragment serializes");
    text.push('\n');
    Some(text)
}
