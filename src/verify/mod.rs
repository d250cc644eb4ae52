//! `runnerc verify`: a task definition against the specs, before it is registered. ECS reads
//! the secrets a container gets with the execution role when the task starts; what it cannot
//! read stops the task with `ResourceInitializationError`, seen only after a deploy. Here each
//! reference is asked of the emitted documents through `can`'s evaluator and reported where it
//! is written, in the task definition, with the spec line that would fix it.
//!
//! Input: `aws ecs register-task-definition --cli-input-json`'s shape, or
//! `describe-task-definition`'s output (`{"taskDefinition": {...}}`). serde_json reads its
//! meaning; jsonc-parser its positions.

use crate::ast::RoleKind;
use crate::ast::Span;
use crate::audit::can::{self, Decision, Question};
use crate::diag::{Code, Diagnostic, FileId, Loc};
use crate::lower::ecs;
use crate::lower::iam::secret_grant_reaches;
use crate::model::{Ownership, Runner};
use serde_json::Value;

/// A step of a path into the JSON document.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Key(&'static str),
    Index(usize),
}

/// The task definition: its meaning, its text's positions, where it sits in the file.
pub struct TaskDefinition<'t> {
    file: FileId,
    text: &'t str,
    value: Value,
    ast: Option<jsonc_parser::ast::Value<'t>>,
    /// `["taskDefinition"]` for `describe-task-definition` output, else nothing.
    base: Vec<Step>,
}

impl<'t> TaskDefinition<'t> {
    /// Reads a task definition; a text that is not one is an error sentence (a usage problem).
    pub fn read(file: FileId, text: &'t str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|error| format!("the task definition is not JSON: {error}"))?;
        let mut base = Vec::new();
        let definition = if value.get("taskDefinition").is_some_and(Value::is_object) {
            base.push(Step::Key("taskDefinition"));
            &value["taskDefinition"]
        } else {
            &value
        };
        if !definition.is_object() {
            return Err("a task definition is a JSON object".to_owned());
        }
        if !definition
            .get("containerDefinitions")
            .is_some_and(Value::is_array)
        {
            return Err(
                "the task definition has no `containerDefinitions` list: give the JSON of `aws ecs register-task-definition --cli-input-json` or of `aws ecs describe-task-definition`".to_owned(),
            );
        }
        let ast = jsonc_parser::parse_to_ast(
            text,
            &Default::default(),
            &jsonc_parser::ParseOptions::default(),
        )
        .ok()
        .and_then(|result| result.value);
        Ok(TaskDefinition {
            file,
            text,
            value,
            ast,
            base,
        })
    }

    /// Whether the file is `describe-task-definition` output (`{"taskDefinition": {...}}`).
    pub(crate) fn is_describe_output(&self) -> bool {
        !self.base.is_empty()
    }

    /// The definition itself (inside `taskDefinition` for `describe-task-definition` output).
    pub(crate) fn definition(&self) -> &Value {
        match self.base.first() {
            Some(_) => &self.value["taskDefinition"],
            None => &self.value,
        }
    }

    /// Where the value at `path` (below the definition) is written; the whole file when it
    /// cannot be found.
    pub(crate) fn loc(&self, path: &[Step]) -> Loc {
        let mut node = self.ast.as_ref();
        for step in self.base.iter().chain(path) {
            node = node.and_then(|value| match (value, step) {
                (jsonc_parser::ast::Value::Object(object), Step::Key(key)) => {
                    object.get(key).map(|property| &property.value)
                }
                (jsonc_parser::ast::Value::Array(array), Step::Index(index)) => {
                    array.elements.get(*index)
                }
                _ => None,
            });
        }
        let span = node.map_or(Span::new(0, self.text.len().min(1)), |value| {
            let range = jsonc_parser::common::Ranged::range(value);
            Span::new(range.start, range.end)
        });
        Loc::new(self.file, span)
    }
}

/// Which runner a task definition is for: `--runner`, else the one whose roles it names, else
/// the only one. `Err` says why none could be chosen.
pub fn runner_for<'r>(
    definition: &TaskDefinition<'_>,
    runners: &'r [Runner],
    only: Option<&str>,
) -> Result<&'r Runner, String> {
    if let Some(name) = only {
        return runners
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| format!("no runner is named `{name}` in the specs"));
    }
    let body = definition.definition();
    let one = |found: Vec<&'r Runner>| (found.len() == 1).then(|| found[0]);
    // The family `build` gives the fragment, then the task role (each runner's own), then the
    // execution role (which runners may share), then the only runner.
    let by_family = body["family"]
        .as_str()
        .and_then(|family| one(runners.iter().filter(|r| r.name == family).collect()));
    let by_role = |key: &str, kind: RoleKind| {
        body[key].as_str().and_then(|given| {
            one(runners
                .iter()
                .filter(|runner| names_role(runner, kind, given))
                .collect())
        })
    };
    by_family
        .or_else(|| by_role("taskRoleArn", RoleKind::Task))
        .or_else(|| by_role("executionRoleArn", RoleKind::Execution))
        .or_else(|| one(runners.iter().collect()))
        .ok_or_else(|| {
            "the task definition's family and roles do not name one runner of the specs: name it with `--runner NAME`"
                .to_owned()
        })
}

/// Whether a role reference (an ARN or, for the task role, a name) is the runner's role.
pub(crate) fn names_role(runner: &Runner, kind: RoleKind, given: &str) -> bool {
    let role = runner.role(kind);
    match role.ownership {
        // The path is unknown: any path of the runner's account and partition.
        Ownership::Existing { path_known: false } => {
            let prefix = format!("arn:{}:iam::{}:role/", runner.partition, runner.account);
            given == role.name
                || given
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.rsplit('/').next())
                    .is_some_and(|name| name == role.name)
        }
        _ => given == runner.role_arn(kind) || (kind == RoleKind::Task && given == role.name),
    }
}

/// Every reference of the definition the execution role must be able to read, with its path.
fn references(definition: &Value) -> Vec<(Vec<Step>, String)> {
    let mut found = Vec::new();
    let containers = definition["containerDefinitions"].as_array();
    for (c, container) in containers.into_iter().flatten().enumerate() {
        let base = || vec![Step::Key("containerDefinitions"), Step::Index(c)];
        for (list, at) in [
            (&container["secrets"], vec![Step::Key("secrets")]),
            (
                &container["logConfiguration"]["secretOptions"],
                vec![Step::Key("logConfiguration"), Step::Key("secretOptions")],
            ),
        ] {
            for (i, item) in list.as_array().into_iter().flatten().enumerate() {
                if let Some(value_from) = item["valueFrom"].as_str() {
                    let mut path = base();
                    path.extend(at.iter().cloned());
                    path.extend([Step::Index(i), Step::Key("valueFrom")]);
                    found.push((path, value_from.to_owned()));
                }
            }
        }
        if let Some(parameter) = container["repositoryCredentials"]["credentialsParameter"].as_str()
        {
            let mut path = base();
            path.extend([
                Step::Key("repositoryCredentials"),
                Step::Key("credentialsParameter"),
            ]);
            found.push((path, parameter.to_owned()));
        }
    }
    found
}

/// A Secrets Manager `valueFrom`: the secret's ARN and whether a JSON key or version is chosen.
/// `None` when the reference is not a Secrets Manager ARN.
fn secret_reference(value_from: &str) -> Option<(String, bool)> {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "secretsmanager" || parts[5] != "secret"
    {
        return None;
    }
    let arn = parts[..7].join(":");
    let selector = parts[7..].iter().any(|p| !p.is_empty());
    Some((arn, selector))
}

/// Whether a secret ARN ends in Secrets Manager's random suffix, written out (not `??????`).
fn has_suffix(arn: &str) -> bool {
    let name = arn.rsplit(':').next().unwrap_or(arn);
    crate::aws::has_secret_suffix(name) && !name.contains('?')
}

/// The findings about one task definition, located in its file.
pub fn verify(
    definition: &TaskDefinition<'_>,
    runner: &Runner,
    runners: &[Runner],
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let body = definition.definition();
    for (key, kind) in [
        ("taskRoleArn", RoleKind::Task),
        ("executionRoleArn", RoleKind::Execution),
    ] {
        let expected = ecs::role_reference(runner, kind).0;
        match body[key].as_str() {
            Some(given) if names_role(runner, kind, given) => {}
            Some(given) => found.push(
                Diagnostic::new(
                    Code::TaskDefinitionRole,
                    definition.loc(&[Step::Key(key)]),
                    format!(
                        "`{key}` is `{given}`, not runner {}'s {}",
                        runner.name,
                        kind.keyword()
                    ),
                )
                .with_label(format!("not the {}", kind.keyword()))
                .with_secondary(
                    runner.role(kind).name_loc,
                    format!("the {} is defined here", kind.keyword()),
                )
                .with_help(format!("write `\"{key}\": \"{expected}\"`")),
            ),
            None => found.push(
                Diagnostic::new(
                    Code::TaskDefinitionRole,
                    definition.loc(&[]),
                    format!("the task definition has no `{key}`"),
                )
                .with_label(format!("no {}", kind.keyword()))
                .with_secondary(
                    runner.name_loc,
                    format!("runner {} is defined here", runner.name),
                )
                .with_help(format!("add `\"{key}\": \"{expected}\"`")),
            ),
        }
    }
    let execution_existing = runner.execution_role.is_existing();
    for (path, value_from) in references(body) {
        let loc = definition.loc(&path);
        let Some((arn, selector)) = secret_reference(&value_from) else {
            // A Secrets Manager ARN cut short, or a name that reads as a secret's (`prod/db`;
            // an SSM parameter's hierarchy starts with `/`).
            let secret_like = match value_from.strip_prefix("arn:") {
                Some(_) => value_from.contains(":secretsmanager:"),
                None => value_from.contains('/') && !value_from.starts_with('/'),
            };
            if secret_like {
                found.push(partial(loc, &value_from));
            } else {
                found.push(
                    Diagnostic::new(
                        Code::SsmParameterInjected,
                        loc,
                        format!("`{value_from}` is an SSM parameter, which the execution role runnerc writes cannot read"),
                    )
                    .with_label("SSM Parameter Store")
                    .with_secondary(runner.name_loc, format!("runner {} is defined here", runner.name))
                    .with_help("runnerc grants `secretsmanager:GetSecretValue` only: keep the value in Secrets Manager and write it as an `agent secret` with `env`"),
                );
            }
            continue;
        };
        if !has_suffix(&arn) {
            found.push(partial(loc, &value_from));
            continue;
        }
        if selector
            && let Some(version) = body["platformVersion"]
                .as_str()
                .or(body["runtimePlatform"]["platformVersion"].as_str())
            && version_below(version, (1, 4, 0))
        {
            found.push(
                Diagnostic::new(
                    Code::SelectorNeedsPlatform,
                    loc,
                    format!("a JSON key or version of a secret needs Fargate platform version 1.4.0 or later; the definition says {version}"),
                )
                .with_label("key or version selector")
                .with_help("run the task on platform version 1.4.0 or `LATEST`, or inject the whole secret"),
            );
        }
        // Whether the runner's execution role, as the spec's documents grant, allows a request.
        let allows = |action: &str, resource: &str, context: Vec<(String, String)>| {
            can::ask(
                runners,
                Some(&runner.name),
                &[RoleKind::Execution],
                &Question {
                    action: action.to_owned(),
                    resource: resource.to_owned(),
                    context,
                },
            )
            .first()
            .is_some_and(|a| a.documents_decision == Decision::Allowed)
        };
        if !allows("secretsmanager:GetSecretValue", &arn, Vec::new()) {
            let pipeline = runner
                .pipeline_secrets
                .iter()
                .find(|g| secret_grant_reaches(runner, &g.resource, &arn));
            match pipeline {
                Some(grant) => found.push(
                    Diagnostic::new(
                        Code::PipelineSecretInjected,
                        loc,
                        format!("`{arn}` is a pipeline secret of runner {}: the task role reads it, not the execution role that injects it", runner.name),
                    )
                    .with_label("injected by ECS")
                    .with_secondary(grant.written, "a pipeline secret, read by the agent through the task role")
                    .with_help("write it as `agent secret` in the spec (or as both), or drop it from the task definition and let the agent read it"),
                ),
                None if execution_existing => found.push(
                    Diagnostic::new(
                        Code::SecretOnExistingRole,
                        loc,
                        format!("runnerc's policy on the existing execution role `{}` does not grant `{arn}`", runner.execution_role.name),
                    )
                    .with_label("not granted by the spec")
                    .with_secondary(runner.name_loc, format!("add `agent secret \"{arn}\"` to runner {}", runner.name))
                    .with_help("the role's other policies may grant it; the spec does not"),
                ),
                None => found.push(
                    Diagnostic::new(
                        Code::SecretNotReadable,
                        loc,
                        format!("the execution role of runner {} cannot read `{arn}`: the task would stop with ResourceInitializationError", runner.name),
                    )
                    .with_label("not readable by the execution role")
                    .with_secondary(runner.name_loc, format!("add `agent secret \"{arn}\"` to runner {}", runner.name))
                    .with_help(format!("add `agent secret \"{arn}\"` to the runner (with `kms` if a customer managed key encrypts it)")),
                ),
            }
            continue;
        }
        // A customer managed key the spec gives this secret elsewhere, which the execution
        // role must be able to use through Secrets Manager.
        let keyed = runner
            .pipeline_secrets
            .iter()
            .chain(&runner.agent_secrets)
            .filter(|g| secret_grant_reaches(runner, &g.resource, &arn))
            .find_map(|g| g.kms_key.as_ref());
        if let Some(key) = keyed {
            let region = crate::aws::Arn::parse(&arn).map_or("", |a| a.region);
            let via = crate::lower::iam::via_service("secretsmanager", region);
            if !allows("kms:Decrypt", key, vec![("kms:ViaService".to_owned(), via)]) {
                let agent = runner
                    .agent_secrets
                    .iter()
                    .find(|g| secret_grant_reaches(runner, &g.resource, &arn));
                found.push(
                    Diagnostic::new(
                        Code::KeyNotUsable,
                        loc,
                        format!("the execution role cannot decrypt `{arn}` with its key `{key}`: the task would stop with \"Access to KMS is not allowed\""),
                    )
                    .with_label("encrypted with a customer managed key")
                    .with_secondary(agent.map_or(runner.name_loc, |g| g.written), format!("add `kms \"{key}\"` to this agent secret"))
                    .with_help(format!("write `kms \"{key}\"` on the `agent secret` line of this secret")),
                );
            }
        }
    }
    found
}

/// `E114` for a reference by name or partial ARN.
fn partial(loc: Loc, value_from: &str) -> Diagnostic {
    Diagnostic::new(
        Code::PartialSecretReference,
        loc,
        format!(
            "`{value_from}` is not a secret's full ARN: ECS needs the ARN with its random suffix"
        ),
    )
    .with_label("name or partial ARN")
    .with_help(format!(
        "print the full ARN with `{}`",
        crate::aws::full_arn_command(value_from)
    ))
}

/// Whether `version` (`1.3.0`, `LATEST`) is below `(major, minor, patch)`.
fn version_below(version: &str, bound: (u32, u32, u32)) -> bool {
    let parts: Vec<u32> = version.split('.').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [a, b, c] => (*a, *b, *c) < bound,
        [a, b] => (*a, *b, 0) < bound,
        _ => false,
    }
}
