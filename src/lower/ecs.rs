//! The ECS side of the roles: the container secrets an agent secret's `env` lines wire, and the
//! task-definition fragment that carries them with the two role ARNs, in the shape
//! `aws ecs register-task-definition --cli-input-json` reads.
//!
//! ECS needs each secret's full ARN in `valueFrom` (the ECS API reference, `Secret`), with
//! `:json-key:version-stage:version-id` after it when a key or version is chosen, every colon
//! kept (the ECS guide "Pass Secrets Manager secrets through Amazon ECS environment
//! variables"); the checker has made sure each secret wired here is named by its full ARN.

use crate::ast::RoleKind;
use crate::diag::{Code, Diagnostic, Loc};
use crate::model::{Ownership, Runner, SecretResource};
use crate::verify::{Step, TaskDefinition};
use serde_json::{Map, Value, json};

/// One entry of a container definition's `secrets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSecret {
    pub name: String,
    pub value_from: String,
    /// The `env` line that wires it.
    pub written: Loc,
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
                written: var.written,
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

/// The spec's part of the runner's container: `image`, `secrets` and `logConfiguration`, each
/// where the spec has it.
fn spec_container(runner: &Runner) -> Map<String, Value> {
    let secrets = container_secrets(runner);
    let role = &runner.execution_role;
    let mut container = Map::new();
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
    container
}

/// Pretty JSON with a final line break, as every file `build` writes.
fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a task definition serializes");
    text.push('\n');
    text
}

/// `task-definition.json`, when the runner wires any variable or names its image or logs.
pub fn task_definition(runner: &Runner) -> Option<String> {
    let spec = spec_container(runner);
    if spec.is_empty() {
        return None;
    }
    let mut container = Map::new();
    container.insert("name".into(), json!(runner.name));
    container.extend(spec);
    let fragment = json!({
        "family": runner.name,
        "taskRoleArn": role_reference(runner, RoleKind::Task).0,
        "executionRoleArn": role_reference(runner, RoleKind::Execution).0,
        "containerDefinitions": [Value::Object(container)],
    });
    Some(pretty(&fragment))
}

/// What `describe-task-definition` adds to a definition and `register-task-definition` refuses.
const DESCRIBE_ONLY_KEYS: [&str; 8] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

/// `build --task-definition BASE.json`: the user's definition with the spec's part merged in,
/// ready for `register-task-definition --cli-input-json`. Everything the base has is kept
/// (apart from what `describe-task-definition` adds); the container is the one named
/// `container`; the roles, the container's `secrets` from `env`, and the image and logs where
/// the spec has them are filled in where the base has none and must agree where it has them.
/// A disagreement is an error located in the base file.
pub fn merged_task_definition(
    runner: &Runner,
    base: &TaskDefinition<'_>,
    container: &str,
) -> Result<String, Vec<Diagnostic>> {
    let mut merged = base.definition().clone();
    let body = merged
        .as_object_mut()
        .expect("read() checked it is an object");
    if base.is_describe_output() {
        body.retain(|key, _| !DESCRIBE_ONLY_KEYS.contains(&key.as_str()));
    }
    let mut conflicts = Vec::new();
    body.entry("family").or_insert_with(|| json!(runner.name));
    for (key, kind) in [
        ("taskRoleArn", RoleKind::Task),
        ("executionRoleArn", RoleKind::Execution),
    ] {
        let expected = role_reference(runner, kind).0;
        match body.get(key).and_then(Value::as_str) {
            Some(given) if crate::verify::names_role(runner, kind, given) => {}
            Some(given) => conflicts.push(
                Diagnostic::new(
                    Code::BaseConflict,
                    base.loc(&[Step::Key(key)]),
                    format!(
                        "the base names `{given}` as `{key}`, not runner {}'s {}",
                        runner.name,
                        kind.keyword()
                    ),
                )
                .with_label(format!("another {}", kind.keyword()))
                .with_secondary(
                    runner.role(kind).name_loc,
                    format!("the {} is defined here", kind.keyword()),
                )
                .with_help(format!(
                    "write `\"{key}\": \"{expected}\"` in the base, or drop the key and let build write it"
                )),
            ),
            None => {
                body.insert(key.into(), json!(expected));
            }
        }
    }
    let containers = body
        .get_mut("containerDefinitions")
        .and_then(Value::as_array_mut)
        .expect("read() checked the list");
    let Some(index) = containers
        .iter()
        .position(|c| c["name"].as_str() == Some(container))
    else {
        return Err(vec![missing_container(runner, base, containers, container)]);
    };
    let at = |path: &[Step]| {
        let mut full = vec![Step::Key("containerDefinitions"), Step::Index(index)];
        full.extend(path.iter().cloned());
        base.loc(&full)
    };
    let target = containers[index]
        .as_object_mut()
        .expect("a container with a name is an object");
    merge_container(runner, target, &at, &mut conflicts);
    if conflicts.is_empty() {
        Ok(pretty(&merged))
    } else {
        Err(conflicts)
    }
}

/// `E121`: no container of that name in the base.
fn missing_container(
    runner: &Runner,
    base: &TaskDefinition<'_>,
    containers: &[Value],
    container: &str,
) -> Diagnostic {
    let names: Vec<String> = containers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .map(|name| format!("`{name}`"))
        .collect();
    Diagnostic::new(
        Code::BaseContainerMissing,
        base.loc(&[Step::Key("containerDefinitions")]),
        format!(
            "the base has no container named `{container}`{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" (it has {})", names.join(", "))
            }
        ),
    )
    .with_label("no such container")
    .with_secondary(
        runner.name_loc,
        format!("runner {} is defined here", runner.name),
    )
    .with_help(format!(
        "name the agent's container with `--container NAME`, or name it `{container}` in the base"
    ))
}

/// The spec's part merged into the base's container: each variable's `valueFrom`, the image's
/// repository and the log group must agree with what the base has; what it lacks is added.
fn merge_container(
    runner: &Runner,
    target: &mut Map<String, Value>,
    at: &dyn Fn(&[Step]) -> Loc,
    conflicts: &mut Vec<Diagnostic>,
) {
    let mut spec = spec_container(runner);
    let wired = container_secrets(runner);
    if let Some(Value::Array(wanted)) = spec.remove("secrets") {
        let list = target.entry("secrets").or_insert_with(|| json!([]));
        if let Some(list) = list.as_array_mut() {
            for (entry, secret) in wanted.into_iter().zip(&wired) {
                let same_name = list.iter().position(|s| s["name"] == entry["name"]);
                match same_name {
                    None => list.push(entry),
                    Some(i) if list[i]["valueFrom"] == entry["valueFrom"] => {}
                    Some(i) => conflicts.push(
                        Diagnostic::new(
                            Code::BaseConflict,
                            at(&[Step::Key("secrets"), Step::Index(i), Step::Key("valueFrom")]),
                            format!(
                                "the base sets `{}` from another secret than the spec: `{}`",
                                secret.name, secret.value_from
                            ),
                        )
                        .with_label("another valueFrom")
                        .with_secondary(secret.written, "the spec wires it here")
                        .with_help(
                            "keep one: remove the entry from the base, or change the `env` line",
                        ),
                    ),
                }
            }
        }
    }
    if let Some(Value::String(image)) = spec.remove("image") {
        match target.get("image").and_then(Value::as_str) {
            None => {
                target.insert("image".into(), json!(image));
            }
            Some(given) if repository_of(given) == image => {}
            Some(given) => conflicts.push(
                Diagnostic::new(
                    Code::BaseConflict,
                    at(&[Step::Key("image")]),
                    format!("the base runs the image `{given}`, not one of `{image}`, the repository the spec lets the execution role pull"),
                )
                .with_label("another repository")
                .with_help(format!("use `{image}:TAG`, or change `image` in the spec's execution role")),
            ),
        }
    }
    if let Some(logs) = spec.remove("logConfiguration") {
        let group = &logs["options"]["awslogs-group"];
        match target.get("logConfiguration") {
            None => {
                target.insert("logConfiguration".into(), logs);
            }
            Some(given)
                if given["logDriver"] == "awslogs" && &given["options"]["awslogs-group"] == group => {}
            Some(_) => conflicts.push(
                Diagnostic::new(
                    Code::BaseConflict,
                    at(&[Step::Key("logConfiguration")]),
                    format!("the base sends logs elsewhere than the `awslogs` group {group} the spec lets the execution role write to"),
                )
                .with_label("other logs")
                .with_help(format!("use the `awslogs` driver with the group {group}, or change `logs` in the spec")),
            ),
        }
    }
}

/// An image reference without its tag or digest (`repo:1.2` and `repo@sha256:...` are `repo`).
fn repository_of(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let name_start = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[name_start..].rfind(':') {
        Some(colon) => &without_digest[..name_start + colon],
        None => without_digest,
    }
}
