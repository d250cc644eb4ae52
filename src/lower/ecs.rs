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
    match (role.ownership, kind) {
        (Ownership::Existing { path_known: false }, RoleKind::Task) => (role.name.clone(), false),
        (Ownership::Existing { path_known: false }, RoleKind::Execution) => {
            (runner.role_arn(kind), true)
        }
        _ => (runner.role_arn(kind), false),
    }
}

/// The image as a container definition names it: as written, except that a repository ARN
/// becomes the repository's URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`, `.com.cn` in
/// China), to which the user adds a tag.
fn image_uri(runner: &Runner, image: &crate::model::Image) -> String {
    match crate::aws::Arn::parse(&image.reference) {
        Some(arn) => format!(
            "{}.dkr.ecr.{}.amazonaws.com{}/{}",
            arn.account,
            arn.region,
            if runner.partition == crate::aws::Partition::AwsCn {
                ".cn"
            } else {
                ""
            },
            arn.resource
                .strip_prefix("repository/")
                .unwrap_or(arn.resource)
        ),
        None => image.reference.clone(),
    }
}

/// `task-definition.json`, when the runner wires any variable or names its image or logs.
pub fn task_definition(runner: &Runner) -> Option<String> {
    let secrets = container_secrets(runner);
    let role = &runner.execution_role;
    if secrets.is_empty() && role.image.is_none() && role.logs.is_none() {
        return None;
    }
    let mut container = serde_json::Map::new();
    container.insert("name".into(), json!(runner.name));
    if let Some(image) = &role.image {
        container.insert("image".into(), json!(image_uri(runner, image)));
    }
    if !secrets.is_empty() {
        let secrets: Vec<Value> = secrets
            .iter()
            .map(|s| json!({"name": s.name, "valueFrom": s.value_from}))
            .collect();
        container.insert("secrets".into(), Value::Array(secrets));
    }
    if let Some(logs) = &role.logs {
        container.insert(
            "logConfiguration".into(),
            json!({
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": logs.name,
                    "awslogs-region": runner.region,
                    "awslogs-stream-prefix": runner.name,
                },
            }),
        );
    }
    let fragment = json!({
        "family": runner.name,
        "taskRoleArn": role_reference(runner, RoleKind::Task).0,
        "executionRoleArn": role_reference(runner, RoleKind::Execution).0,
        "containerDefinitions": [Value::Object(container)],
    });
    let mut text = serde_json::to_string_pretty(&fragment).expect("a fragment serializes");
    text.push('\n');
    Some(text)
}
