//! `runnerc import`: hand-made roles, read from an account's export, into a spec; and the
//! fidelity report of what adopting the spec would stop allowing, each loss proven by a request
//! the live roles allow and the imported spec's documents deny (the access model's containment
//! test and witness search, as `diff` uses them; a live role is one more source of grants).

use super::diff::{Change, ChangeKind, Part, Report, Verdict, VerdictKind};
use crate::access::contain::{Target, Uncovered, uncovered};
use crate::access::policy::{Effect, Patterns, Policy, Statement};
use crate::access::wildcard::{has_wildcard, matches};
use crate::access::witness::{self, Grant};
use crate::ast::RoleKind;
use crate::audit::drift::{LiveAccount, LiveRole};
use crate::audit::managed;
use crate::diag::Sources;
use crate::format::quote;
use crate::model::{
    EXISTING_ROLE_POLICY_PREFIX, OWN_ROLE_POLICY_NAME, OWNER_TAG_KEY, Runner,
    existing_role_policy_name, is_default_execution_policy,
};
use std::collections::BTreeSet;

/// What the command line asks.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub task_role: String,
    pub execution_role: String,
    pub runner: Option<String>,
    pub region: Option<String>,
    pub existing: Vec<String>,
}

impl Options {
    /// Whether the role is named with `--existing` (IAM's names ignore case).
    fn is_existing(&self, name: &str) -> bool {
        self.existing.iter().any(|e| e.eq_ignore_ascii_case(name))
    }
}

/// The imported spec and what adoption would change.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The spec, in `fmt`'s layout.
    pub spec: String,
    pub runner: String,
    /// Requests the live roles allow and the spec's documents do not, each with its witness.
    pub report: Report,
    /// What the spec cannot say, in sentences.
    pub not_expressible: Vec<String>,
    /// What the export does not carry, with the command that shows it.
    pub not_in_export: Vec<String>,
    /// The roles the spec makes runnerc's that runnerc has not tagged yet: `create-roles.sh`
    /// takes them over only when named with `--adopt`.
    pub adopt: Vec<String>,
    /// The inline policies runnerc did not write on the roles it takes over, each with the
    /// command that deletes it: `create-roles.sh` leaves them, so the report's losses happen
    /// only once they are gone.
    pub left_in_place: Vec<String>,
    /// What `check` warns about in the spec (the live roles' habits it keeps), one line each.
    pub warnings: Vec<String>,
}

/// A destination gathered from the live grants.
#[derive(Debug, Default, Clone)]
struct Destination {
    bucket: String,
    prefix: Option<String>,
    owner: Option<String>,
}

/// What one role's live policies grant, in the spec's terms.
#[derive(Debug, Default)]
struct Gathered {
    secrets: Vec<String>,
    every_secret: bool,
    secret_keys: Vec<String>,
    destinations: Vec<Destination>,
    s3_keys: Vec<String>,
    regions: Vec<String>,
    /// The ECR repository the role pulls from, and the log group it writes to.
    image: Option<String>,
    logs: Option<String>,
    not_expressible: Vec<String>,
}

const OBJECT_ACTIONS: [&str; 3] = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
/// Actions a spec grants along with others, which need no statement of their own.
const IMPLIED: [&str; 4] = [
    "secretsmanager:ListSecrets",
    "s3:GetBucketLocation",
    "kms:GenerateDataKey",
    "ecr:GetAuthorizationToken",
];
const PULLS: [&str; 3] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
];
const LOG_WRITES: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

fn grants_action(pattern: &str, action: &str) -> bool {
    matches(pattern, action, true)
}

/// The region an ARN names, when it names one without wildcards.
fn region_of(arn: &str) -> Option<String> {
    crate::aws::Arn::parse(arn)
        .map(|arn| arn.region)
        .filter(|region| !region.is_empty() && !has_wildcard(region))
        .map(str::to_owned)
}

/// The values of a condition key under any operator.
fn condition_values(statement: &Statement, key: &str) -> Vec<String> {
    statement
        .conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case(key))
        .flat_map(|c| c.values.iter().cloned())
        .collect()
}

/// The runners whose inline policy (`runnerc-<runner>`) is on a role.
fn runners_on(role: &LiveRole) -> Vec<&str> {
    role.inline
        .keys()
        .filter(|name| name.as_str() != OWN_ROLE_POLICY_NAME)
        .filter_map(|name| name.strip_prefix(EXISTING_ROLE_POLICY_PREFIX))
        .collect()
}

/// What `role_name`'s inline policies grant; only `only`'s when it is given.
fn gather(role_name: &str, live: &LiveRole, only: Option<&str>) -> Gathered {
    let mut found = Gathered::default();
    for (policy_name, policy) in &live.inline {
        if only.is_some_and(|only| only != policy_name) {
            continue;
        }
        for (index, statement) in policy.statements.iter().enumerate() {
            let what = format!(
                "statement {} of `{policy_name}` on `{role_name}`",
                statement
                    .sid
                    .as_deref()
                    .map_or_else(|| (index + 1).to_string(), |s| format!("`{s}`"))
            );
            if statement.effect == Effect::Deny {
                found.not_expressible.push(format!(
                    "{what} is a Deny; a spec writes only what it allows"
                ));
                continue;
            }
            let (Patterns::Listed(actions), Some(Patterns::Listed(resources))) =
                (&statement.actions, &statement.resources)
            else {
                found
                    .not_expressible
                    .push(format!("{what} uses NotAction or NotResource"));
                continue;
            };
            found
                .regions
                .extend(resources.iter().filter_map(|r| region_of(r)));
            let mut used: BTreeSet<&str> = BTreeSet::new();
            for action in actions {
                // Secrets.
                if grants_action(action, "secretsmanager:GetSecretValue") {
                    for resource in resources {
                        if resource == "*" || resource.ends_with(":secret:*") {
                            found.every_secret = true;
                        } else if resource.contains(":secretsmanager:")
                            && resource.contains(":secret:")
                        {
                            if !found.secrets.contains(resource) {
                                found.secrets.push(resource.clone());
                            }
                        } else {
                            continue;
                        }
                        used.insert(action);
                    }
                }
                // Keys, by the service they are used through.
                if grants_action(action, "kms:Decrypt") {
                    let via = condition_values(statement, "kms:ViaService");
                    for resource in resources
                        .iter()
                        .filter(|r| r.contains(":kms:") && r.contains(":key/"))
                    {
                        if via.iter().any(|v| v.starts_with("s3."))
                            && !found.s3_keys.contains(resource)
                        {
                            found.s3_keys.push(resource.clone());
                        }
                        if (via.is_empty() || via.iter().any(|v| v.starts_with("secretsmanager.")))
                            && !found.secret_keys.contains(resource)
                        {
                            found.secret_keys.push(resource.clone());
                        }
                        used.insert(action);
                    }
                }
                // The image pulled from one repository, the logs written to one group.
                if PULLS.iter().any(|a| grants_action(action, a)) {
                    for resource in resources.iter().filter(|r| {
                        r.contains(":ecr:") && r.contains(":repository/") && !has_wildcard(r)
                    }) {
                        found.image.get_or_insert_with(|| resource.clone());
                        used.insert(action);
                    }
                }
                if LOG_WRITES.iter().any(|a| grants_action(action, a)) {
                    for resource in resources {
                        let Some(group) = resource
                            .split_once(":log-group:")
                            .and_then(|(_, rest)| rest.strip_suffix(":*"))
                            .filter(|g| !has_wildcard(g))
                        else {
                            continue;
                        };
                        found.logs.get_or_insert_with(|| group.to_owned());
                        used.insert(action);
                    }
                }
                // Destinations: objects under a prefix, the bucket listed under `s3:prefix`.
                let owner = condition_values(statement, "s3:ResourceAccount")
                    .into_iter()
                    .next();
                if OBJECT_ACTIONS.iter().any(|a| grants_action(action, a)) {
                    for resource in resources {
                        let Some(rest) = resource.split_once(":s3:::").map(|(_, r)| r) else {
                            continue;
                        };
                        let Some((bucket, key)) = rest.split_once('/') else {
                            continue;
                        };
                        if has_wildcard(bucket) {
                            continue;
                        }
                        let prefix = key
                            .strip_suffix('*')
                            .filter(|p| !p.is_empty() && !has_wildcard(p));
                        add_destination(&mut found.destinations, bucket, prefix, owner.clone());
                        used.insert(action);
                    }
                }
                if grants_action(action, "s3:ListBucket") {
                    for resource in resources {
                        let Some(bucket) = resource.split_once(":s3:::").map(|(_, r)| r) else {
                            continue;
                        };
                        if bucket.contains(['/', '*', '?']) {
                            continue;
                        }
                        if !found.destinations.iter().any(|d| d.bucket == bucket) {
                            let prefix = condition_values(statement, "s3:prefix")
                                .into_iter()
                                .find(|p| !has_wildcard(p));
                            add_destination(
                                &mut found.destinations,
                                bucket,
                                prefix.as_deref(),
                                owner.clone(),
                            );
                        }
                        used.insert(action);
                    }
                }
            }
            for action in actions {
                if used.contains(action.as_str())
                    || IMPLIED.iter().any(|a| a.eq_ignore_ascii_case(action))
                {
                    continue;
                }
                let on = resources.iter().cloned().collect::<Vec<_>>().join("`, `");
                let help = if action.to_ascii_lowercase().starts_with("s3:")
                    && resources.iter().any(|r| r == "*")
                {
                    ": a destination needs a bucket: add `destination s3 { bucket \"NAME\" prefix \"FOLDER/\" }` for each one the agent writes to".to_owned()
                } else {
                    String::new()
                };
                found
                    .not_expressible
                    .push(format!("`{action}` on `{on}` ({what}){help}"));
            }
        }
    }
    found
}

fn add_destination(
    list: &mut Vec<Destination>,
    bucket: &str,
    prefix: Option<&str>,
    owner: Option<String>,
) {
    match list
        .iter_mut()
        .find(|d| d.bucket == bucket && d.prefix.as_deref() == prefix)
    {
        Some(existing) => {
            if existing.owner.is_none() {
                existing.owner = owner;
            }
        }
        None => list.push(Destination {
            bucket: bucket.to_owned(),
            prefix: prefix.map(str::to_owned),
            owner,
        }),
    }
}

/// The spec text, before `fmt`.
fn spec_text(
    live: &LiveAccount,
    options: &Options,
    task: &LiveRole,
    execution: &LiveRole,
) -> Result<(String, String, Vec<String>), String> {
    let account = live
        .account
        .clone()
        .ok_or("the export holds no role ARN to take the account from")?;
    let mut notes = Vec::new();
    let task_existing = options.is_existing(&options.task_role);
    let execution_existing = options.is_existing(&options.execution_role);
    // The runner: asked, else the one that tagged a role as its own, else the one whose inline
    // policy is on an existing role, else the task role's name without its suffix.
    let on_existing = |role: &LiveRole, existing: bool| match runners_on(role).as_slice() {
        [one] if existing => Some((*one).to_owned()),
        _ => None,
    };
    let runner = options
        .runner
        .clone()
        .or_else(|| task.tags.get(OWNER_TAG_KEY).cloned())
        .or_else(|| execution.tags.get(OWNER_TAG_KEY).cloned())
        .or_else(|| on_existing(task, task_existing))
        .or_else(|| on_existing(execution, execution_existing))
        .or_else(|| {
            let name = &options.task_role;
            name.strip_suffix("-task-role")
                .or_else(|| name.strip_suffix("-role"))
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| options.task_role.clone());
    // On an existing role that holds this runner's own policy, only that policy is the runner's:
    // the role's other policies stay as they are, whoever wrote them.
    let own_policy = existing_role_policy_name(&runner);
    let only = |role: &LiveRole, existing: bool| {
        (existing && role.inline.contains_key(&own_policy)).then_some(own_policy.as_str())
    };
    let task_found = gather(&options.task_role, task, only(task, task_existing));
    let execution_found = gather(
        &options.execution_role,
        execution,
        only(execution, execution_existing),
    );
    notes.extend(task_found.not_expressible.iter().cloned());
    notes.extend(execution_found.not_expressible.iter().cloned());
    // The region: asked, else the one the grants name, else the one ECS's SourceArn names.
    let mut regions: Vec<String> = task_found
        .regions
        .iter()
        .chain(&execution_found.regions)
        .cloned()
        .collect();
    for statement in task
        .trust
        .statements
        .iter()
        .chain(&execution.trust.statements)
    {
        regions.extend(
            condition_values(statement, "aws:SourceArn")
                .iter()
                .filter_map(|arn| region_of(arn)),
        );
    }
    let region = match &options.region {
        Some(region) => region.clone(),
        None => regions.first().cloned().ok_or(
            "neither the command line nor the roles' grants name a region: give it with `--region REGION`",
        )?,
    };
    let mut text = format!("runner {} {{\n", quote(&runner));
    text.push_str(&format!(
        "    account {}\n    region {}\n\n",
        quote(&account),
        quote(&region)
    ));
    let keyed = |secret_keys: &[String]| match secret_keys {
        [one] => format!(" kms {}", quote(one)),
        _ => String::new(),
    };
    if task_found.every_secret {
        text.push_str("    secret *\n");
    }
    for secret in &task_found.secrets {
        text.push_str(&format!(
            "    secret {}{}\n",
            quote(secret),
            keyed(&task_found.secret_keys)
        ));
    }
    if task_found.secret_keys.len() > 1 {
        notes.push(format!("the task role decrypts {} keys through Secrets Manager; write each on the `secret` it encrypts", task_found.secret_keys.len()));
    }
    if execution_found.every_secret {
        text.push_str("    agent secret *\n");
    }
    for secret in &execution_found.secrets {
        text.push_str(&format!(
            "    agent secret {}{}\n",
            quote(secret),
            keyed(&execution_found.secret_keys)
        ));
    }
    for destination in &task_found.destinations {
        text.push_str("\n    destination s3 {\n");
        text.push_str(&format!("        bucket {}\n", quote(&destination.bucket)));
        if let Some(prefix) = &destination.prefix {
            text.push_str(&format!("        prefix {}\n", quote(prefix)));
        }
        if let [key] = task_found.s3_keys.as_slice() {
            text.push_str(&format!("        kms {}\n", quote(key)));
        }
        if let Some(owner) = destination.owner.as_ref().filter(|o| **o != account) {
            text.push_str(&format!("        owner {}\n", quote(owner)));
        }
        text.push_str("    }\n");
    }
    // Trust: the services of the task role's trust policy besides ECS tasks, and whether ECS's
    // statement keeps to the account.
    let mut services = BTreeSet::new();
    let mut ecs_conditioned = false;
    for statement in &task.trust.statements {
        if let Some(kinds) = &statement.principal {
            for service in kinds.get("Service").into_iter().flatten() {
                if service == crate::model::ECS_TASKS_SERVICE {
                    ecs_conditioned |= !condition_values(statement, "aws:SourceAccount").is_empty();
                } else {
                    services.insert(service.clone());
                }
            }
        }
    }
    if !task_existing && (!services.is_empty() || !ecs_conditioned) {
        text.push('\n');
    }
    if !task_existing {
        for service in &services {
            text.push_str(&format!("    trust service {}\n", quote(service)));
        }
        if !ecs_conditioned {
            text.push_str("    trust conditions off\n");
        }
    }
    // The roles.
    for (kind, name, role, existing) in [
        (RoleKind::Task, &options.task_role, task, task_existing),
        (
            RoleKind::Execution,
            &options.execution_role,
            execution,
            execution_existing,
        ),
    ] {
        if existing {
            let arn = format!(
                "arn:{}:iam::{account}:role{}{name}",
                crate::aws::partition_of(&region),
                role.path
            );
            text.push_str(&format!(
                "    {} existing {}\n",
                kind.keyword(),
                quote(&arn)
            ));
            continue;
        }
        let mut fields = Vec::new();
        if *name != format!("{runner}-{}-role", kind.word()) {
            fields.push(format!("name {}", quote(name)));
        }
        if role.path != "/" {
            fields.push(format!("path {}", quote(&role.path)));
        }
        if let Some(boundary) = &role.boundary {
            fields.push(format!("permissions-boundary {}", quote(boundary)));
        }
        match kind {
            RoleKind::Task => {
                for arn in &role.managed {
                    notes.push(format!("managed policy `{arn}` on the task role: a spec's task role holds only what the spec implies, so `create-roles.sh --adopt` detaches it (with `--existing {name}` the role keeps it)"));
                }
            }
            RoleKind::Execution => {
                if let Some(image) = &execution_found.image {
                    fields.push(format!("image {}", quote(image)));
                }
                if let Some(logs) = &execution_found.logs {
                    fields.push(format!("logs {}", quote(logs)));
                }
                let least_privilege =
                    execution_found.image.is_some() || execution_found.logs.is_some();
                let only_default = role.managed.len() == 1
                    && role.managed.iter().all(|a| is_default_execution_policy(a));
                if role.managed.is_empty() && !least_privilege {
                    fields.push("managed-policy none".to_owned());
                } else if least_privilege && only_default {
                    fields.push("managed-policy default".to_owned());
                } else if !only_default {
                    for arn in &role.managed {
                        if is_default_execution_policy(arn) {
                            fields.push("managed-policy default".to_owned());
                        } else {
                            fields.push(format!("managed-policy {}", quote(arn)));
                        }
                    }
                }
            }
        }
        if !fields.is_empty() {
            text.push_str(&format!("\n    {} {{\n", kind.keyword()));
            for field in fields {
                text.push_str(&format!("        {field}\n"));
            }
            text.push_str("    }\n");
        }
    }
    let own = |key: &str| key.starts_with("runnerc:") || key.starts_with("aws:");
    if !task_existing {
        let tags: Vec<(&String, &String)> = task.tags.iter().filter(|(k, _)| !own(k)).collect();
        if !tags.is_empty() {
            text.push('\n');
        }
        for (key, value) in tags {
            text.push_str(&format!("    tag {} {}\n", quote(key), quote(value)));
        }
    }
    text.push_str("}\n");
    Ok((text, runner, notes))
}

/// Imports the two roles.
pub fn import(live: &LiveAccount, options: &Options) -> Result<Imported, String> {
    let role = |name: &str, what: &str| {
        live.role(name)
            .ok_or_else(|| format!("the export has no role `{name}` (the {what})"))
    };
    let task = role(&options.task_role, "task role")?;
    let execution = role(&options.execution_role, "execution role")?;
    let (text, runner_name, not_expressible) = spec_text(live, options, task, execution)?;
    let spec = crate::format::format(&text)
        .map_err(|_| "runnerc wrote a spec it cannot format: please report it".to_owned())?;
    let mut sources = Sources::new();
    sources.add(format!("{runner_name}.runner"), spec.clone());
    let compilation = crate::compile::compile(&sources);
    if compilation.has_errors() {
        return Err(format!(
            "the roles import into a spec with errors; the names or values the export holds are not ones a spec takes:\n{}",
            crate::diag::render_human(&compilation.diagnostics, &sources, false)
        ));
    }
    let runner = compilation
        .runners
        .first()
        .ok_or("the imported spec holds no runner")?;
    let report = fidelity(runner, task, execution);
    let warnings = compilation
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    let roles = [
        (&options.task_role, task),
        (&options.execution_role, execution),
    ];
    let adopt = roles
        .iter()
        .filter(|(name, role)| {
            !options.is_existing(name) && role.tags.get(OWNER_TAG_KEY) != Some(&runner.name)
        })
        .map(|(name, _)| (*name).clone())
        .collect();
    let mut left_in_place = Vec::new();
    for (name, role) in roles.iter().filter(|(name, _)| !options.is_existing(name)) {
        for policy in role.inline.keys().filter(|p| *p != OWN_ROLE_POLICY_NAME) {
            left_in_place.push(format!(
                "inline policy `{policy}` on `{name}`: create-roles.sh keeps it and what it grants (runnerc deletes no policy it did not write); delete it once the runner works under the spec: `aws iam delete-role-policy --role-name {name} --policy-name {policy}`"
            ));
        }
    }
    Ok(Imported {
        spec,
        runner: runner_name.clone(),
        report,
        adopt,
        left_in_place,
        warnings,
        not_expressible,
        not_in_export: roles
            .iter()
            .filter(|(name, _)| !options.is_existing(name))
            .map(|(name, _)| format!("the description and maximum session duration of `{name}`: `aws iam get-role --role-name {name} --query 'Role.[Description,MaxSessionDuration]'`"))
            .collect(),
    })
}

/// `statements` and those of the managed policies runnerc knows among `managed`.
fn with_known_managed<'a>(
    mut statements: Vec<Statement>,
    managed: impl IntoIterator<Item = &'a String>,
    runner: &Runner,
) -> Policy {
    for arn in managed {
        if let Some(policy) = managed::known_policy(arn, runner.partition) {
            statements.extend(policy.statements);
        }
    }
    Policy { statements }
}

/// Every request the live roles allow and the imported spec's documents do not.
fn fidelity(runner: &Runner, task: &LiveRole, execution: &LiveRole) -> Report {
    let documents = crate::lower::iam::documents(runner);
    let facts = facts(runner);
    let mut report = Report::default();
    for (kind, live) in [(RoleKind::Task, task), (RoleKind::Execution, execution)] {
        let role = runner.role(kind);
        let mut changes = Vec::new();
        // An existing role keeps its other policies: only what runnerc's policy would hold is
        // compared, and nothing of the role is lost by adoption.
        if !role.is_existing() {
            let inline = documents
                .policy(kind)
                .map(|d| Policy::of_document(d).statements)
                .unwrap_or_default();
            let built = with_known_managed(inline, &role.managed_policies, runner);
            let live_inline = live
                .inline
                .values()
                .flat_map(|p| p.statements.iter().cloned())
                .collect();
            let allowing = with_known_managed(live_inline, &live.managed, runner);
            let losses = proven_losses(&allowing, &built, "", &facts);
            changes.extend(losses.into_iter().map(|(actions, resource, found)| {
                loss(runner, kind, Part::Policy, actions, &resource, found)
            }));
            // Who may assume it.
            if let Some(trust) = documents.trust(kind) {
                let built_trust = Policy::of_document(trust);
                let losses =
                    proven_losses(&live.trust, &built_trust, &runner.role_arn(kind), &facts);
                changes.extend(losses.into_iter().map(|(actions, who, found)| {
                    loss(runner, kind, Part::Trust, actions, &who, found)
                }));
            }
        }
        report.verdicts.push(Verdict {
            runner: runner.name.clone(),
            role: kind.word(),
            verdict: if changes.is_empty() {
                VerdictKind::Unchanged
            } else {
                VerdictKind::Narrower
            },
        });
        report.changes.extend(changes);
    }
    report
}

/// Each grant of `allowing`'s Allow statements that `denying` does not cover and a witness
/// proves: its actions, its target as text (a resource, or `Kind:principal` of a trust policy)
/// and the witness. `role_arn` is the resource of a trust request.
fn proven_losses(
    allowing: &Policy,
    denying: &Policy,
    role_arn: &str,
    facts: &witness::Facts,
) -> Vec<(Vec<String>, String, witness::Witness)> {
    let mut out = Vec::new();
    for statement in allowing
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let Some(Uncovered::Blocks(blocks)) = uncovered(statement, denying) else {
            continue;
        };
        for (actions, targets) in blocks {
            for target in targets {
                let shown = match target {
                    Target::Nothing => continue,
                    Target::Resource(resource) => resource.to_owned(),
                    Target::Principal(kind, who) => format!("{kind}:{who}"),
                };
                let found = actions.iter().find_map(|action| {
                    witness::find_given(
                        &Grant {
                            action,
                            target,
                            conditions: &statement.conditions,
                        },
                        role_arn,
                        &[allowing],
                        &[denying],
                        facts,
                    )
                });
                if let Some(found) = found {
                    let actions = actions.iter().map(|a| (*a).to_owned()).collect();
                    out.push((actions, shown, found));
                }
            }
        }
    }
    out
}

/// What holds in the runner's account whatever a policy says: a bucket belongs to its owner (the
/// spec's destinations name theirs; any other bucket is taken to be the account's own), so a
/// loss is never proven by a request to a bucket of the same name in another account.
fn facts(runner: &Runner) -> witness::Facts {
    let partition = runner.partition.as_str();
    let owned_by = |account: &str| {
        witness::Context::from([("s3:ResourceAccount".to_owned(), vec![account.to_owned()])])
    };
    let mut by_resource = Vec::new();
    for destination in &runner.destinations {
        for pattern in [
            format!("arn:{partition}:s3:::{}", destination.bucket),
            format!("arn:{partition}:s3:::{}/*", destination.bucket),
        ] {
            by_resource.push((pattern, owned_by(&destination.owner)));
        }
    }
    by_resource.push((format!("arn:{partition}:s3:::*"), owned_by(&runner.account)));
    witness::Facts {
        by_resource,
        home: Some(witness::Home {
            partition: partition.to_owned(),
            region: runner.region.clone(),
            account: runner.account.clone(),
        }),
    }
}

fn loss(
    runner: &Runner,
    kind: RoleKind,
    part: Part,
    actions: Vec<String>,
    resource: &str,
    found: witness::Witness,
) -> Change {
    let text = match part {
        Part::Trust => format!(
            "{} {}: `{resource}` may no longer assume it (witness: {})",
            runner.name,
            kind.keyword(),
            super::render::witness_words(&found)
        ),
        _ => format!(
            "{} {} stops allowing {} on {} (witness: {})",
            runner.name,
            kind.keyword(),
            actions.join(", "),
            resource,
            super::render::witness_words(&found)
        ),
    };
    Change {
        runner: runner.name.clone(),
        role: kind.word(),
        part,
        change: ChangeKind::Loses,
        actions,
        resources: vec![resource.to_owned()],
        conditions: Vec::new(),
        witness: Some(found),
        other_account_policies: Vec::new(),
        old: None,
        new: None,
        text,
    }
}
