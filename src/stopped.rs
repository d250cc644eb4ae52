//! `runnerc explain --stopped-reason TEXT`: what an ECS task's stopped reason means for the
//! runner's roles, and, given specs, which runner and which line to change. The messages are
//! those ECS reports when a task cannot start (see docs/commands.md#explain---stopped-reason for
//! each with its source); anything else is not recognised, and said so.

use crate::diag::Sources;
use crate::model::{Runner, SecretResource};

/// What a stopped reason says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The execution role may not read a secret.
    SecretDenied {
        role: Option<String>,
        secret: Option<String>,
    },
    /// The execution role may not decrypt a secret's key.
    KeyDenied { role: Option<String> },
    /// The secret named in the task definition does not exist (a name or partial ARN, another
    /// region or account, a deleted secret).
    SecretMissing { secret: Option<String> },
    /// The task could not reach Secrets Manager (or ECR) at all: a network problem, not IAM.
    Network,
    /// The image could not be pulled (ECR permissions or the route to the registry).
    ImagePull,
}

/// The text after `marker`, up to white space or one of `,;)"'`.
fn word_after<'t>(text: &'t str, marker: &str) -> Option<&'t str> {
    let start = text.find(marker)? + marker.len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || ",;)\"'".contains(c))
        .unwrap_or(rest.len());
    let word = rest[..end].trim_end_matches('.');
    (!word.is_empty()).then_some(word)
}

/// The role of an `assumed-role/ROLE/SESSION` ARN in the text.
fn assumed_role(text: &str) -> Option<String> {
    let rest = word_after(text, ":assumed-role/")?;
    rest.split('/').next().map(str::to_owned)
}

/// Recognises a stopped reason.
pub fn recognise(text: &str) -> Option<Reason> {
    let lower = text.to_lowercase();
    if lower.contains("access to kms is not allowed")
        || (lower.contains("kms") && lower.contains("accessdenied"))
    {
        return Some(Reason::KeyDenied {
            role: assumed_role(text),
        });
    }
    if lower.contains("secretsmanager:getsecretvalue")
        || lower.contains("not authorized to perform: secretsmanager")
    {
        return Some(Reason::SecretDenied {
            role: assumed_role(text),
            secret: word_after(text, "on resource: ").map(str::to_owned),
        });
    }
    if lower.contains("resourcenotfoundexception")
        || lower.contains("can't find the specified secret")
        || lower.contains("can\u{2019}t find the specified secret")
    {
        return Some(Reason::SecretMissing {
            secret: word_after(text, "secret:").map(str::to_owned),
        });
    }
    if lower.contains("context deadline exceeded")
        || lower.contains("i/o timeout")
        || lower.contains("dial tcp")
        || lower.contains("check your task network configuration")
    {
        return Some(Reason::Network);
    }
    if lower.contains("cannotpullcontainererror") || lower.contains("pull image manifest") {
        return Some(Reason::ImagePull);
    }
    None
}

/// The runners whose execution role is `role` (any runner when the text names none).
fn runners_of<'r>(runners: &'r [Runner], role: Option<&str>) -> Vec<&'r Runner> {
    runners
        .iter()
        .filter(|r| role.is_none_or(|role| r.execution_role.name == role))
        .collect()
}

/// `file:line` of a location.
fn at(sources: &Sources, loc: crate::diag::Loc) -> String {
    format!(
        "{}:{}",
        sources.get(loc.file).name,
        sources.line_column(loc.file, loc.span.start).0
    )
}

/// What to change for a denied `secret`, runner by runner: the documents to deploy when the
/// spec grants it; else, when one of the runner's agent secrets looks like its sibling, that
/// the task definition probably names the wrong secret (at that agent secret's line); then
/// the `agent secret` to add.
fn secret_denied(
    secret: &str,
    role: Option<&str>,
    runners: &[Runner],
    sources: &Sources,
) -> Vec<String> {
    let mut lines = Vec::new();
    if !crate::aws::has_secret_suffix(crate::aws::secret_id(secret)) {
        lines.push(format!(
            "`{secret}` has no random suffix: the task definition names the secret without its full ARN, which ECS needs; print it with `{}`.",
            crate::aws::full_arn_command(secret)
        ));
    }
    for runner in runners_of(runners, role) {
        let granted = runner
            .agent_secrets
            .iter()
            .any(|g| crate::lower::iam::secret_grant_reaches(runner, &g.resource, secret));
        if granted {
            lines.push(format!(
                "runner {} ({}) grants it: deploy the spec's documents (`runnerc build`, then apply), or check with `runnerc drift` that the live role holds them.",
                runner.name,
                at(sources, runner.name_loc)
            ));
            continue;
        }
        match sibling_agent_secret(runner, secret) {
            Some((granted, line)) => {
                let line = at(sources, line);
                lines.push(format!(
                    "runner {}: the task definition probably names the wrong secret: the spec's agent secret is `{granted}` ({line}); name that one in the container's `valueFrom` (`runnerc verify` checks the task definition before it is registered).",
                    runner.name
                ));
                lines.push(add_agent_secret(runner, line, Some(secret), true));
            }
            None => lines.push(add_agent_secret(
                runner,
                at(sources, runner.name_loc),
                Some(secret),
                false,
            )),
        }
    }
    lines
}

/// `runner R (FILE:LINE): add `agent secret "SECRET"``, as the second way out (`or, ...`) when
/// the task definition probably names the wrong secret.
fn add_agent_secret(runner: &Runner, line: String, secret: Option<&str>, second: bool) -> String {
    format!(
        "runner {} ({line}): {}add `agent secret \"{}\"` (with `kms` if a customer managed key encrypts it).",
        runner.name,
        if second {
            "or, if the task is meant to read that secret, "
        } else {
            ""
        },
        secret.unwrap_or("FULL-SECRET-ARN")
    )
}

/// Where a secret name splits into parts: folders, and words within a name.
const NAME_SEPARATORS: [char; 4] = ['/', '-', '_', '.'];

/// How many leading characters two secret names share, counted in whole parts (`prod/db` and
/// `prod/db2` share `prod/`, 5).
fn shared_parts(a: &str, b: &str) -> usize {
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let ends_a_part = |name: &str| {
        name[common..]
            .chars()
            .next()
            .is_none_or(|c| NAME_SEPARATORS.contains(&c))
    };
    if ends_a_part(a) && ends_a_part(b) {
        return common;
    }
    a[..common].rfind(NAME_SEPARATORS).map_or(0, |i| i + 1)
}

/// The runner's agent secret that `denied` (a secret ARN of the same account) looks like a
/// sibling of: the same name with another random suffix, or a name that shares its leading
/// parts (`shared/agent` and `shared/other`); the one sharing most, and its `agent secret` line.
fn sibling_agent_secret<'r>(
    runner: &'r Runner,
    denied: &str,
) -> Option<(&'r str, crate::diag::Loc)> {
    let denied_arn = crate::aws::Arn::parse(denied)?;
    let denied_name = crate::aws::without_secret_suffix(crate::aws::secret_id(denied));
    runner
        .agent_secrets
        .iter()
        .rev() // the first of equals wins: max_by_key keeps the last
        .filter_map(|grant| {
            let SecretResource::Arn(granted) = &grant.resource else {
                return None;
            };
            let granted_arn = crate::aws::Arn::parse(granted)?;
            if (granted_arn.partition, granted_arn.account)
                != (denied_arn.partition, denied_arn.account)
            {
                return None;
            }
            let name = crate::aws::without_secret_suffix(crate::aws::secret_id(granted));
            let shared = shared_parts(name, denied_name);
            (shared > 0).then_some((shared, granted.as_str(), grant.written))
        })
        .max_by_key(|(shared, _, _)| *shared)
        .map(|(_, granted, line)| (granted, line))
}

/// The explanation, in lines: what the reason means, then what to change in the specs.
pub fn explain(reason: &Reason, runners: &[Runner], sources: &Sources) -> Vec<String> {
    let mut lines = Vec::new();
    match reason {
        Reason::SecretDenied { role, secret } => {
            lines.push(format!(
                "The task execution role{} may not read the secret{}: ECS reads the container's `secrets` with it when the task starts, and stops the task when it cannot (ResourceInitializationError).",
                role.as_deref().map(|r| format!(" `{r}`")).unwrap_or_default(),
                secret.as_deref().map(|s| format!(" `{s}`")).unwrap_or_default(),
            ));
            if let Some(secret) = secret {
                lines.extend(secret_denied(secret, role.as_deref(), runners, sources));
            } else {
                for runner in runners_of(runners, role.as_deref()) {
                    lines.push(add_agent_secret(
                        runner,
                        at(sources, runner.name_loc),
                        None,
                        false,
                    ));
                }
            }
        }
        Reason::KeyDenied { role } => {
            lines.push(format!(
                "The task execution role{} may not decrypt a secret's customer managed key: it needs `kms:Decrypt` on that key through Secrets Manager, and the key policy must let it in when the key is another account's.",
                role.as_deref().map(|r| format!(" `{r}`")).unwrap_or_default()
            ));
            for runner in runners_of(runners, role.as_deref()) {
                for grant in runner.agent_secrets.iter().filter(|g| g.kms_key.is_none()) {
                    lines.push(format!(
                        "runner {}: the agent secret at {} has no `kms` key: write `kms \"KEY-ARN\"` on its line if a customer managed key encrypts it.",
                        runner.name,
                        at(sources, grant.written)
                    ));
                }
            }
        }
        Reason::SecretMissing { secret } => {
            lines.push(format!(
                "Secrets Manager has no secret{} as the task definition names it: a name or partial ARN that matches none, another region or account, or a deleted secret. ECS needs the secret's full ARN (`runnerc verify` finds names and partial ARNs before a deploy).",
                secret.as_deref().map(|s| format!(" `{s}`")).unwrap_or_default()
            ));
        }
        Reason::Network => lines.push(
            "This is not IAM: the task could not reach Secrets Manager (or the registry) in time. Check the route from the task's subnets: a NAT gateway, a public IP with an internet gateway, or VPC endpoints for Secrets Manager (and ECR, S3 and CloudWatch Logs), with security groups that allow HTTPS.".to_owned(),
        ),
        Reason::ImagePull => lines.push(
            "The image could not be pulled. With `AmazonECSTaskExecutionRolePolicy` attached (the default), the execution role may pull from ECR; check the image name and tag, the repository's policy when it is another account's, and the route to the registry (as for a network problem).".to_owned(),
        ),
    }
    lines
}
