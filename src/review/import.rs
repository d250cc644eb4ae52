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
use crate::audit::drift::grants_in_words;
use crate::audit::managed;
use crate::diag::Sources;
use crate::format::quote;
use crate::live::{LiveAccount, LiveRole};
use crate::model::{
    EXISTING_ROLE_POLICY_PREFIX, OWN_ROLE_POLICY_NAME, OWNER_TAG_KEY, Runner,
    existing_role_policy_name, is_default_execution_policy, is_runnerc_tag_key,
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
    /// The inline policies of an `--existing` task role that are the runner's.
    pub task_policies: Vec<String>,
    /// The inline policies of an `--existing` execution role that are the runner's.
    pub execution_policies: Vec<String>,
}

impl Options {
    /// Whether the role is named with `--existing` (IAM's names ignore case).
    fn is_existing(&self, name: &str) -> bool {
        self.existing.iter().any(|e| e.eq_ignore_ascii_case(name))
    }

    /// The role of `kind`: its name, whether it is `--existing`, the policies named as the
    /// runner's, and the option that names them.
    fn role(&self, kind: RoleKind) -> (&str, bool, &[String], &'static str) {
        let (name, policies, flag) = match kind {
            RoleKind::Task => (&self.task_role, &self.task_policies, "--task-policy"),
            RoleKind::Execution => (
                &self.execution_role,
                &self.execution_policies,
                "--execution-policy",
            ),
        };
        (name, self.is_existing(name), policies, flag)
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
    /// Every inline policy read into the spec, with what happens to it; for one runnerc did
    /// not write, the command that deletes it once the runner works under the spec (until
    /// then it keeps granting, and the report's losses do not happen).
    pub read: Vec<String>,
    /// The inline policies of `--existing` roles that are not the runner's: not read, and
    /// never changed by runnerc.
    pub left_in_place: Vec<String>,
    /// Whether some policy of `read` is to be deleted by hand.
    pub deletions: bool,
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

/// A customer managed key decrypting secrets through Secrets Manager: the region of
/// `kms:ViaService`, or `None` when the grant names none.
#[derive(Debug, Clone, PartialEq)]
struct SecretKey {
    key: String,
    region: Option<String>,
}

/// What one role's live policies grant, in the spec's terms.
#[derive(Debug, Default)]
struct Gathered {
    /// Secret ARNs (or ARN patterns) as granted; `*` for a grant on every resource.
    secrets: Vec<String>,
    secret_keys: Vec<SecretKey>,
    destinations: Vec<Destination>,
    s3_keys: Vec<String>,
    /// The (region, account) of every resource granted.
    regions: Vec<(String, String)>,
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
/// The tags a spec may write: IAM's 50 on a role, less runnerc's own.
const MAX_SPEC_TAGS: usize = 50 - 1;

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

/// Which inline policies of a role are the runner's (read into the spec), and which are not
/// (left in place, unread).
#[derive(Debug, Default)]
struct Selection {
    read: Vec<String>,
    left: Vec<String>,
}

/// The runner's inline policies on a role: every one of a role runnerc takes over; on an
/// `--existing` role, those named with `flag`, else the runner's `runnerc-<runner>`, else the
/// one policy that is not another runner's `runnerc-*`. More than one such policy is a
/// question only the user can answer: an error that lists them with what each grants.
fn select(
    role_name: &str,
    role: &LiveRole,
    (existing, named, flag): (bool, &[String], &str),
    runner: &str,
) -> Result<Selection, String> {
    let all: Vec<&String> = role.inline.keys().collect();
    if !existing {
        if let Some(name) = named.first() {
            return Err(format!(
                "`{flag} {name}`: `{flag}` names the runner's inline policies on an `--existing` role, and `{role_name}` is not one (every inline policy of a role runnerc takes over is read)"
            ));
        }
        return Ok(Selection {
            read: all.into_iter().cloned().collect(),
            left: Vec::new(),
        });
    }
    let own = existing_role_policy_name(runner);
    let read: Vec<String> = if !named.is_empty() {
        let mut read: Vec<String> = Vec::new();
        for name in named {
            if !role.inline.contains_key(name) {
                return Err(format!(
                    "`{flag} {name}`: role `{role_name}` has no inline policy `{name}`; it holds:\n{}",
                    policy_lines(role)
                ));
            }
            if !read.contains(name) {
                read.push(name.clone());
            }
        }
        read
    } else if role.inline.contains_key(&own) {
        vec![own]
    } else {
        let candidates: Vec<String> = all
            .iter()
            .filter(|name| !name.starts_with(EXISTING_ROLE_POLICY_PREFIX))
            .map(|name| (*name).clone())
            .collect();
        if candidates.len() > 1 {
            return Err(format!(
                "existing role `{role_name}` holds {} inline policies and none is named as the runner's: name each one that is with `{flag} NAME` (repeatable); the others are left in place, unread:\n{}",
                all.len(),
                policy_lines(role)
            ));
        }
        candidates
    };
    let left = all
        .into_iter()
        .filter(|name| !read.contains(name))
        .cloned()
        .collect();
    Ok(Selection { read, left })
}

/// A role's inline policies, one line each with what it grants.
fn policy_lines(role: &LiveRole) -> String {
    role.inline
        .iter()
        .map(|(name, policy)| {
            let owner = match name.strip_prefix(EXISTING_ROLE_POLICY_PREFIX) {
                Some(runner) if name != OWN_ROLE_POLICY_NAME => {
                    format!(" (runner `{runner}`'s)")
                }
                _ => String::new(),
            };
            let grants = grants_in_words(policy).unwrap_or_else(|| "grants nothing".to_owned());
            format!("  `{name}`{owner}: {grants}\n")
        })
        .collect()
}

/// A statement's place, in notes: "statement `Sid` of `policy` on `role`".
fn statement_words(index: usize, statement: &Statement, policy: &str, role: &str) -> String {
    let which = statement
        .sid
        .as_deref()
        .map_or_else(|| (index + 1).to_string(), |s| format!("`{s}`"));
    format!("statement {which} of `{policy}` on `{role}`")
}

/// What `role_name`'s inline policies named in `read` grant.
fn gather(role_name: &str, live: &LiveRole, read: &[String]) -> Gathered {
    let mut found = Gathered::default();
    for (policy_name, policy) in live.inline.iter().filter(|(name, _)| read.contains(name)) {
        for (index, statement) in policy.statements.iter().enumerate() {
            let what = statement_words(index, statement, policy_name, role_name);
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
            found.regions.extend(resources.iter().filter_map(|r| {
                let arn = crate::aws::Arn::parse(r)?;
                Some((region_of(r)?, arn.account.to_owned()))
            }));
            let mut used: BTreeSet<&str> = BTreeSet::new();
            for action in actions {
                if found.secret_grant(action, statement, resources)
                    | found.image_or_logs(action, resources)
                    | found.destination_grant(action, statement, resources)
                {
                    used.insert(action);
                }
            }
            found.not_implied(actions, resources, &used, &what);
        }
    }
    found
}

impl Gathered {
    /// Secrets read, and keys used through Secrets Manager (or S3): whether `action` is one.
    fn secret_grant(
        &mut self,
        action: &str,
        statement: &Statement,
        resources: &BTreeSet<String>,
    ) -> bool {
        let mut used = false;
        if grants_action(action, "secretsmanager:GetSecretValue") {
            for resource in resources {
                let secret = resource == "*"
                    || (resource.contains(":secretsmanager:") && resource.contains(":secret:"));
                if secret && !self.secrets.contains(resource) {
                    self.secrets.push(resource.clone());
                }
                used |= secret;
            }
        }
        if grants_action(action, "kms:Decrypt") {
            let via = condition_values(statement, "kms:ViaService");
            let through_secrets: Vec<Option<String>> = if via.is_empty() {
                vec![None]
            } else {
                via.iter()
                    .filter_map(|v| v.strip_prefix("secretsmanager."))
                    .map(|rest| rest.split_once('.').map(|(region, _)| region.to_owned()))
                    .collect()
            };
            for resource in resources
                .iter()
                .filter(|r| r.contains(":kms:") && r.contains(":key/"))
            {
                if via.iter().any(|v| v.starts_with("s3.")) && !self.s3_keys.contains(resource) {
                    self.s3_keys.push(resource.clone());
                }
                for region in &through_secrets {
                    let key = SecretKey {
                        key: resource.clone(),
                        region: region.clone(),
                    };
                    if !self.secret_keys.contains(&key) {
                        self.secret_keys.push(key);
                    }
                }
                used = true;
            }
        }
        used
    }

    /// The image pulled from one repository, the logs written to one group.
    fn image_or_logs(&mut self, action: &str, resources: &BTreeSet<String>) -> bool {
        let mut used = false;
        if PULLS.iter().any(|a| grants_action(action, a)) {
            for resource in resources
                .iter()
                .filter(|r| r.contains(":ecr:") && r.contains(":repository/") && !has_wildcard(r))
            {
                self.image.get_or_insert_with(|| resource.clone());
                used = true;
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
                self.logs.get_or_insert_with(|| group.to_owned());
                used = true;
            }
        }
        used
    }

    /// Destinations: objects under a prefix, the bucket listed under `s3:prefix`.
    fn destination_grant(
        &mut self,
        action: &str,
        statement: &Statement,
        resources: &BTreeSet<String>,
    ) -> bool {
        let mut used = false;
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
                add_destination(&mut self.destinations, bucket, prefix, owner.clone());
                used = true;
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
                if !self.destinations.iter().any(|d| d.bucket == bucket) {
                    let prefix = condition_values(statement, "s3:prefix")
                        .into_iter()
                        .find(|p| !has_wildcard(p));
                    add_destination(
                        &mut self.destinations,
                        bucket,
                        prefix.as_deref(),
                        owner.clone(),
                    );
                }
                used = true;
            }
        }
        used
    }

    /// The actions of a statement no spec line implies, as notes.
    fn not_implied(
        &mut self,
        actions: &BTreeSet<String>,
        resources: &BTreeSet<String>,
        used: &BTreeSet<&str>,
        what: &str,
    ) {
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
            self.not_expressible
                .push(format!("`{action}` on `{on}` ({what}){help}"));
        }
    }
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

/// The runner: asked, else the one that tagged a role as its own, else the one whose inline
/// policy is on an existing role, else the task role's name without its suffix.
fn runner_name(options: &Options, task: &LiveRole, execution: &LiveRole) -> String {
    let on_existing = |role: &LiveRole, name: &str| match runners_on(role).as_slice() {
        [one] if options.is_existing(name) => Some((*one).to_owned()),
        _ => None,
    };
    options
        .runner
        .clone()
        .or_else(|| task.tags.get(OWNER_TAG_KEY).cloned())
        .or_else(|| execution.tags.get(OWNER_TAG_KEY).cloned())
        .or_else(|| on_existing(task, &options.task_role))
        .or_else(|| on_existing(execution, &options.execution_role))
        .or_else(|| {
            let name = &options.task_role;
            name.strip_suffix("-task-role")
                .or_else(|| name.strip_suffix("-role"))
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| options.task_role.clone())
}

/// The region: asked; else the one ECS's `aws:SourceArn` names in the task role's trust (runnerc
/// writes the runner's region there); else the one the grants on the account's own resources
/// name, then any grant's; else the execution role trust's `aws:SourceArn`.
fn region(
    options: &Options,
    account: &str,
    roles: [&LiveRole; 2],
    found: [&Gathered; 2],
) -> Result<String, String> {
    if let Some(region) = &options.region {
        return Ok(region.clone());
    }
    let source_arn = |role: &LiveRole| {
        role.trust
            .statements
            .iter()
            .flat_map(|s| condition_values(s, "aws:SourceArn"))
            .find_map(|arn| region_of(&arn))
    };
    let granted = |own: bool| {
        found
            .iter()
            .flat_map(|f| &f.regions)
            .find(|(_, of)| !own || of == account)
            .map(|(region, _)| region.clone())
    };
    source_arn(roles[0])
        .or_else(|| granted(true))
        .or_else(|| granted(false))
        .or_else(|| source_arn(roles[1]))
        .ok_or_else(|| {
            "neither the command line nor the roles' grants name a region: give it with `--region REGION`".to_owned()
        })
}

/// What the spec is written from: the runner, where it runs, and what each role grants.
struct Draft<'a> {
    options: &'a Options,
    account: String,
    region: String,
    runner: String,
    task: &'a LiveRole,
    execution: &'a LiveRole,
    task_found: Gathered,
    execution_found: Gathered,
    notes: Vec<String>,
}

/// `keys`, one to each of `count` places in order; the keys left over.
fn distribute<T: Clone>(keys: &[T], count: usize) -> (Vec<Option<T>>, &[T]) {
    let placed = (0..count).map(|i| keys.get(i).cloned()).collect();
    (placed, keys.get(count..).unwrap_or_default())
}

impl Draft<'_> {
    fn partition(&self) -> crate::aws::Partition {
        crate::aws::partition_of(&self.region)
    }

    /// The `secret` (or `agent secret`) lines of a role's grants, each secret with a key used
    /// through Secrets Manager in its region (several keys of one region spread over its
    /// secrets in order: the same access, since a role's keys of a region share a statement).
    fn secret_lines(&mut self, kind: RoleKind) -> String {
        let (keyword, found) = match kind {
            RoleKind::Task => ("secret", &self.task_found),
            RoleKind::Execution => ("agent secret", &self.execution_found),
        };
        let every = format!(
            "arn:{}:secretsmanager:{}:{}:secret:*",
            self.partition(),
            self.region,
            self.account
        );
        // Each secret as written in the spec, with its region.
        let mut secrets: Vec<(String, String)> = Vec::new();
        for resource in &found.secrets {
            let entry = if *resource == "*" || *resource == every {
                ("*".to_owned(), self.region.clone())
            } else {
                let region = region_of(resource).unwrap_or_else(|| self.region.clone());
                (quote(resource), region)
            };
            if !secrets.contains(&entry) {
                secrets.push(entry);
            }
        }
        let mut keys: Vec<Option<String>> = vec![None; secrets.len()];
        let mut regions: Vec<String> = Vec::new();
        for key in &found.secret_keys {
            let region = key.region.clone().unwrap_or_else(|| self.region.clone());
            if !regions.contains(&region) {
                regions.push(region);
            }
        }
        for region in &regions {
            let of_region: Vec<String> = found
                .secret_keys
                .iter()
                .filter(|k| k.region.as_ref().unwrap_or(&self.region) == region)
                .map(|k| k.key.clone())
                .collect();
            let places: Vec<usize> = (0..secrets.len())
                .filter(|i| secrets[*i].1 == *region)
                .collect();
            let (placed, left) = distribute(&of_region, places.len());
            for (place, key) in places.iter().zip(placed) {
                keys[*place] = key;
            }
            if of_region.len() > 1 && !places.is_empty() {
                self.notes.push(format!("the {} decrypts {} keys through Secrets Manager in {region}: the spec puts one on each of its secrets there, in order (the same access); move each to the secret it encrypts", kind.keyword(), of_region.len()));
            }
            for key in left {
                self.notes.push(format!("the {} decrypts `{key}` through Secrets Manager in {region}, and reads no secret there for it to go on", kind.keyword()));
            }
        }
        secrets
            .iter()
            .zip(keys)
            .map(|((secret, _), key)| {
                let kms = key.map_or_else(String::new, |k| format!(" kms {}", quote(&k)));
                format!("    {keyword} {secret}{kms}\n")
            })
            .collect()
    }

    /// The `destination s3` blocks, the keys used through S3 spread over them in order (the
    /// same access: one statement grants every destination's key).
    fn destination_lines(&mut self) -> String {
        let found = &self.task_found;
        let (keys, left) = distribute(&found.s3_keys, found.destinations.len());
        for key in left {
            self.notes.push(format!(
                "the task role uses `{key}` through S3, and writes to no bucket for it to go on"
            ));
        }
        let mut text = String::new();
        for (destination, key) in found.destinations.iter().zip(keys) {
            text.push_str("\n    destination s3 {\n");
            text.push_str(&format!("        bucket {}\n", quote(&destination.bucket)));
            if let Some(prefix) = &destination.prefix {
                text.push_str(&format!("        prefix {}\n", quote(prefix)));
            }
            if let Some(key) = key {
                text.push_str(&format!("        kms {}\n", quote(&key)));
            }
            if let Some(owner) = destination.owner.as_ref().filter(|o| **o != self.account) {
                text.push_str(&format!("        owner {}\n", quote(owner)));
            }
            text.push_str("    }\n");
        }
        text
    }

    /// Trust: the services of the task role's trust policy besides ECS tasks, and whether ECS's
    /// statement keeps to the account (nothing for an existing task role: not runnerc's).
    fn trust_lines(&self) -> String {
        if self.options.is_existing(&self.options.task_role) {
            return String::new();
        }
        let mut services = BTreeSet::new();
        let mut ecs_conditioned = false;
        for statement in &self.task.trust.statements {
            for service in statement
                .principal
                .iter()
                .flat_map(|kinds| kinds.get("Service").into_iter().flatten())
            {
                if service == crate::model::ECS_TASKS_SERVICE {
                    ecs_conditioned |= !condition_values(statement, "aws:SourceAccount").is_empty();
                } else {
                    services.insert(service.clone());
                }
            }
        }
        let mut text = String::new();
        for service in &services {
            text.push_str(&format!("    trust service {}\n", quote(service)));
        }
        if !ecs_conditioned {
            text.push_str("    trust conditions off\n");
        }
        if !text.is_empty() {
            text.insert(0, '\n');
        }
        text
    }

    /// The role's line (`existing`) or block (name, path, boundary, image, logs, managed
    /// policies), when it has one.
    fn role_lines(&mut self, kind: RoleKind) -> String {
        let (name, existing, _, _) = self.options.role(kind);
        let role = match kind {
            RoleKind::Task => self.task,
            RoleKind::Execution => self.execution,
        };
        if existing {
            let arn = format!(
                "arn:{}:iam::{}:role{}{name}",
                self.partition(),
                self.account,
                role.path
            );
            return format!("    {} existing {}\n", kind.keyword(), quote(&arn));
        }
        let mut fields = Vec::new();
        if name != format!("{}-{}-role", self.runner, kind.word()) {
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
                    self.notes.push(format!("managed policy `{arn}` on the task role: a spec's task role holds only what the spec implies, so `create-roles.sh --adopt` detaches it (with `--existing {name}` the role keeps it)"));
                }
            }
            RoleKind::Execution => fields.extend(self.execution_fields()),
        }
        if fields.is_empty() {
            return String::new();
        }
        let mut text = format!("\n    {} {{\n", kind.keyword());
        for field in fields {
            text.push_str(&format!("        {field}\n"));
        }
        text.push_str("    }\n");
        text
    }

    /// The execution role's image, logs and managed policies.
    fn execution_fields(&self) -> Vec<String> {
        let found = &self.execution_found;
        let managed = &self.execution.managed;
        let mut fields = Vec::new();
        if let Some(image) = &found.image {
            fields.push(format!("image {}", quote(image)));
        }
        if let Some(logs) = &found.logs {
            fields.push(format!("logs {}", quote(logs)));
        }
        let least_privilege = found.image.is_some() || found.logs.is_some();
        let only_default =
            managed.len() == 1 && managed.iter().all(|a| is_default_execution_policy(a));
        if managed.is_empty() && !least_privilege {
            fields.push("managed-policy none".to_owned());
        } else if least_privilege && only_default {
            fields.push("managed-policy default".to_owned());
        } else if !only_default {
            for arn in managed {
                if is_default_execution_policy(arn) {
                    fields.push("managed-policy default".to_owned());
                } else {
                    fields.push(format!("managed-policy {}", quote(arn)));
                }
            }
        }
        fields
    }

    /// The tags of the first role runnerc takes over (a spec's tags go on both), less
    /// runnerc's own; those a spec cannot hold are left out, each with why.
    fn tag_lines(&mut self) -> String {
        let owned = [
            (&self.options.task_role, self.task),
            (&self.options.execution_role, self.execution),
        ]
        .into_iter()
        .find(|(name, _)| !self.options.is_existing(name));
        let Some((name, role)) = owned else {
            return String::new();
        };
        let both = !self.options.is_existing(&self.options.execution_role);
        if both && !std::ptr::eq(role, self.execution) && self.execution.tags != role.tags {
            self.notes.push(format!(
                "the tags of `{}` are not those of `{name}`: a spec puts one set of tags on both roles, `{name}`'s",
                self.options.execution_role
            ));
        }
        let mut text = String::new();
        let mut kept = 0;
        for (key, value) in role.tags.iter().filter(|(k, _)| *k != OWNER_TAG_KEY) {
            let problem = crate::aws::tag_key_problem(key)
                .or_else(|| {
                    is_runnerc_tag_key(key)
                        .then(|| "the `runnerc:` prefix is reserved for runnerc".to_owned())
                })
                .or_else(|| crate::aws::tag_value_problem(value).map(|p| format!("its value: {p}")))
                .or_else(|| {
                    (kept == MAX_SPEC_TAGS).then(|| format!("a spec holds at most {MAX_SPEC_TAGS} tags (IAM's 50, less runnerc's own `{OWNER_TAG_KEY}`)"))
                });
            if let Some(problem) = problem {
                self.notes.push(format!(
                    "tag `{key}` of `{name}` is left out: {problem}; `create-roles.sh --adopt` removes the tags a spec does not hold"
                ));
                continue;
            }
            kept += 1;
            text.push_str(&format!("    tag {} {}\n", quote(key), quote(value)));
        }
        if !text.is_empty() {
            text.insert(0, '\n');
        }
        text
    }

    /// The spec text, before `fmt`.
    fn text(&mut self) -> String {
        let mut text = format!("runner {} {{\n", quote(&self.runner));
        text.push_str(&format!(
            "    account {}\n    region {}\n\n",
            quote(&self.account),
            quote(&self.region)
        ));
        text.push_str(&self.secret_lines(RoleKind::Task));
        text.push_str(&self.secret_lines(RoleKind::Execution));
        text.push_str(&self.destination_lines());
        text.push_str(&self.trust_lines());
        text.push_str(&self.role_lines(RoleKind::Task));
        text.push_str(&self.role_lines(RoleKind::Execution));
        text.push_str(&self.tag_lines());
        text.push_str("}\n");
        text
    }
}

/// What a read policy becomes, in the report: runnerc's own is written anew from the spec;
/// any other keeps granting until it is deleted, with the command that does.
fn read_line(role_name: &str, policy: &str, runner: &str, existing: bool) -> (String, bool) {
    let ours = if existing {
        existing_role_policy_name(runner)
    } else {
        OWN_ROLE_POLICY_NAME.to_owned()
    };
    let head = format!("inline policy `{policy}` on `{role_name}`");
    if policy == ours {
        return (
            format!("{head}: runnerc's own, which create-roles.sh writes anew from the spec"),
            false,
        );
    }
    let beside = if existing {
        format!("create-roles.sh adds `{ours}` beside it and never changes it")
    } else {
        "create-roles.sh keeps it and what it grants (runnerc deletes no policy it did not write)"
            .to_owned()
    };
    (
        format!(
            "{head}: {beside}; delete it once the runner works under the spec: `aws iam delete-role-policy --role-name {role_name} --policy-name {policy}`"
        ),
        true,
    )
}

/// What an unread policy is, in the report.
fn left_line(role_name: &str, policy: &str) -> String {
    let whose = match policy.strip_prefix(EXISTING_ROLE_POLICY_PREFIX) {
        Some(runner) if policy != OWN_ROLE_POLICY_NAME => format!("runner `{runner}`'s"),
        _ => "not the runner's".to_owned(),
    };
    format!(
        "inline policy `{policy}` on `{role_name}`: {whose}, not read; runnerc never changes it"
    )
}

/// The spec in `fmt`'s layout, and its compilation; an error when it does not check.
fn checked(text: &str, runner: &str) -> Result<(String, crate::compile::Compilation), String> {
    let spec = crate::format::format(text)
        .map_err(|_| "runnerc wrote a spec it cannot format: please report it".to_owned())?;
    let mut sources = Sources::new();
    sources.add(format!("{runner}.runner"), spec.clone());
    let compilation = crate::compile::compile(&sources);
    if compilation.has_errors() {
        return Err(format!(
            "the roles import into a spec with errors; the names or values the export holds are not ones a spec takes:\n{}",
            crate::diag::render_human(&compilation.diagnostics, &sources, false)
        ));
    }
    Ok((spec, compilation))
}

/// [`select`] for the role of `kind`, as the command line names it.
fn selection(
    options: &Options,
    kind: RoleKind,
    role: &LiveRole,
    runner: &str,
) -> Result<Selection, String> {
    let (name, existing, named, flag) = options.role(kind);
    select(name, role, (existing, named, flag), runner)
}

/// Imports the two roles.
pub fn import(live: &LiveAccount, options: &Options) -> Result<Imported, String> {
    let role = |name: &str, what: &str| {
        live.role(name)
            .ok_or_else(|| format!("the export has no role `{name}` (the {what})"))
    };
    let task = role(&options.task_role, "task role")?;
    let execution = role(&options.execution_role, "execution role")?;
    let account = live
        .account
        .clone()
        .ok_or("the export holds no role ARN to take the account from")?;
    let runner_name = runner_name(options, task, execution);
    let selections = [
        selection(options, RoleKind::Task, task, &runner_name)?,
        selection(options, RoleKind::Execution, execution, &runner_name)?,
    ];
    let task_found = gather(&options.task_role, task, &selections[0].read);
    let execution_found = gather(&options.execution_role, execution, &selections[1].read);
    let region = region(
        options,
        &account,
        [task, execution],
        [&task_found, &execution_found],
    )?;
    let mut notes: Vec<String> = task_found.not_expressible.clone();
    notes.extend(execution_found.not_expressible.iter().cloned());
    let mut draft = Draft {
        options,
        account,
        region,
        runner: runner_name.clone(),
        task,
        execution,
        task_found,
        execution_found,
        notes,
    };
    let text = draft.text();
    let not_expressible = draft.notes;
    let (spec, compilation) = checked(&text, &runner_name)?;
    let runner = compilation
        .runners
        .first()
        .ok_or("the imported spec holds no runner")?;
    let report = fidelity(
        runner,
        [
            (RoleKind::Task, task, &selections[0].read),
            (RoleKind::Execution, execution, &selections[1].read),
        ],
    );
    let warnings = compilation
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    let roles = [
        (&options.task_role, task, &selections[0]),
        (&options.execution_role, execution, &selections[1]),
    ];
    let adopt = roles
        .iter()
        .filter(|(name, role, _)| {
            !options.is_existing(name) && role.tags.get(OWNER_TAG_KEY) != Some(&runner.name)
        })
        .map(|(name, _, _)| (*name).clone())
        .collect();
    let mut read = Vec::new();
    let mut deletions = false;
    let mut left_in_place = Vec::new();
    for (name, _, selection) in &roles {
        let existing = options.is_existing(name);
        for policy in &selection.read {
            let (line, delete) = read_line(name, policy, &runner.name, existing);
            deletions |= delete;
            read.push(line);
        }
        left_in_place.extend(selection.left.iter().map(|policy| left_line(name, policy)));
    }
    Ok(Imported {
        spec,
        runner: runner_name.clone(),
        report,
        adopt,
        read,
        left_in_place,
        deletions,
        warnings,
        not_expressible,
        not_in_export: roles
            .iter()
            .filter(|(name, _, _)| !options.is_existing(name))
            .map(|(name, _, _)| format!("the description and maximum session duration of `{name}`: `aws iam get-role --role-name {name} --query 'Role.[Description,MaxSessionDuration]'`"))
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

/// Every request the live roles allow (through the policies read, and on a role runnerc takes
/// over its managed policies and trust too) and the imported spec's documents do not.
fn fidelity(runner: &Runner, roles: [(RoleKind, &LiveRole, &Vec<String>); 2]) -> Report {
    let documents = crate::lower::iam::documents(runner);
    let facts = facts(runner);
    let mut report = Report::default();
    for (kind, live, read) in roles {
        let role = runner.role(kind);
        let mut changes = Vec::new();
        let inline = documents
            .policy(kind)
            .map(|d| Policy::of_document(d).statements)
            .unwrap_or_default();
        let live_inline: Vec<Statement> = live
            .inline
            .iter()
            .filter(|(name, _)| read.contains(name))
            .flat_map(|(_, p)| p.statements.iter().cloned())
            .collect();
        // An existing role keeps its trust and managed policies: only what the runner's
        // policies granted there is compared with what runnerc's policy will.
        let (built, allowing) = if role.is_existing() {
            (
                Policy { statements: inline },
                Policy {
                    statements: live_inline,
                },
            )
        } else {
            (
                with_known_managed(inline, &role.managed_policies, runner),
                with_known_managed(live_inline, &live.managed, runner),
            )
        };
        let losses = proven_losses(&allowing, &built, "", &facts);
        changes.extend(losses.into_iter().map(|(actions, resource, found)| {
            loss(runner, kind, Part::Policy, actions, &resource, found)
        }));
        // Who may assume it.
        if let Some(trust) = documents.trust(kind).filter(|_| !role.is_existing()) {
            let built_trust = Policy::of_document(trust);
            let losses = proven_losses(&live.trust, &built_trust, &runner.role_arn(kind), &facts);
            changes.extend(losses.into_iter().map(|(actions, who, found)| {
                loss(runner, kind, Part::Trust, actions, &who, found)
            }));
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
