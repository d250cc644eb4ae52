//! `runnerc drift`: where a live account differs from the compiled specs.
//!
//! The live side is the output of `aws iam get-account-authorization-details --filter Role`,
//! read from a file: runnerc holds no credentials. Documents compare by meaning: each statement
//! is cut into its (action, resource) or (principal) grants, and a grant on one side counts as
//! present on the other when a statement there includes it (a wider pattern, weaker
//! conditions). A statement with a grant the other side lacks is reported once, in its
//! direction: granted live but not in the spec (wider), or in the spec but not live (narrower).

use super::policy::{Condition, Effect, Patterns, Policy, Statement};
use super::wildcard::includes;
use crate::ast::RoleKind;
use crate::lower::iam;
use crate::model::{Ownership, Role, Runner};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The roles of a live account, by name.
#[derive(Debug, Clone)]
pub struct LiveAccount {
    /// The account the roles' ARNs name; `None` when the export holds no role.
    pub account: Option<String>,
    /// By name in lower case: IAM role names are unique without regard to case.
    roles: BTreeMap<String, LiveRole>,
}

#[derive(Debug, Clone)]
pub struct LiveRole {
    pub path: String,
    pub trust: Policy,
    pub inline: BTreeMap<String, Policy>,
    pub managed: BTreeSet<String>,
    pub boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl LiveAccount {
    /// The role of a name, without regard to case.
    pub fn role(&self, name: &str) -> Option<&LiveRole> {
        self.roles.get(&name.to_ascii_lowercase())
    }
}

/// Reads an export. The error says what is wrong with it, and where.
pub fn read_live(text: &str) -> Result<LiveAccount, String> {
    // A byte-order mark, which some tools write, is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).map_err(|error| {
        if error.is_eof() {
            format!("the file ends too early (truncated?): {error}")
        } else {
            format!("the file is not JSON: {error}")
        }
    })?;
    let object = value
        .as_object()
        .ok_or("the file is not the JSON object `get-account-authorization-details` writes")?;
    if object.get("IsTruncated").and_then(Value::as_bool) == Some(true) {
        return Err("the export is truncated (`IsTruncated` is true): export again without `--max-items`, so aws-cli reads every page".to_owned());
    }
    let list = object
        .get("RoleDetailList")
        .and_then(Value::as_array)
        .ok_or("the file has no `RoleDetailList`: write it with `aws iam get-account-authorization-details --filter Role`")?;
    let mut account = None;
    let mut roles = BTreeMap::new();
    for (index, role) in list.iter().enumerate() {
        let name = role
            .get("RoleName")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("role {} of `RoleDetailList` has no `RoleName`", index + 1))?;
        let field = |what: &str| format!("role `{name}`: {what}");
        let role_account = role
            .get("Arn")
            .and_then(Value::as_str)
            .and_then(|arn| crate::aws::Arn::parse(arn).map(|arn| arn.account.to_owned()));
        match (&account, role_account) {
            (Some(first), Some(this)) if first != &this => {
                return Err(format!(
                    "roles of two accounts ({first} and {this}): export one account at a time"
                ));
            }
            (None, Some(this)) => account = Some(this),
            _ => {}
        }
        if roles.contains_key(&name.to_ascii_lowercase()) {
            return Err(format!(
                "role `{name}` is listed twice (IAM role names are unique without regard to case)"
            ));
        }
        let trust = Policy::from_json(
            role.get("AssumeRolePolicyDocument")
                .ok_or_else(|| field("no `AssumeRolePolicyDocument`"))?,
        )
        .map_err(|error| field(&format!("trust policy: {error}")))?;
        let mut inline = BTreeMap::new();
        for policy in array(role, "RolePolicyList").map_err(|e| field(&e))? {
            let policy_name = policy
                .get("PolicyName")
                .and_then(Value::as_str)
                .ok_or_else(|| field("an inline policy has no `PolicyName`"))?;
            let document =
                Policy::from_json(policy.get("PolicyDocument").ok_or_else(|| {
                    field(&format!("inline policy `{policy_name}` has no document"))
                })?)
                .map_err(|error| field(&format!("inline policy `{policy_name}`: {error}")))?;
            inline.insert(policy_name.to_owned(), document);
        }
        let mut managed = BTreeSet::new();
        for attached in array(role, "AttachedManagedPolicies").map_err(|e| field(&e))? {
            let arn = attached
                .get("PolicyArn")
                .and_then(Value::as_str)
                .ok_or_else(|| field("an attached policy has no `PolicyArn`"))?;
            managed.insert(arn.to_owned());
        }
        let mut tags = BTreeMap::new();
        for tag in array(role, "Tags").map_err(|e| field(&e))? {
            let (Some(key), Some(value)) = (
                tag.get("Key").and_then(Value::as_str),
                tag.get("Value").and_then(Value::as_str),
            ) else {
                return Err(field("a tag lacks `Key` or `Value`"));
            };
            tags.insert(key.to_owned(), value.to_owned());
        }
        let boundary = role
            .get("PermissionsBoundary")
            .and_then(|b| b.get("PermissionsBoundaryArn"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        roles.insert(
            name.to_ascii_lowercase(),
            LiveRole {
                path: match role.get("Path") {
                    None | Some(Value::Null) => "/".to_owned(),
                    Some(Value::String(path)) => path.clone(),
                    Some(_) => return Err(field("`Path` is not a string")),
                },
                trust,
                inline,
                managed,
                boundary,
                tags,
            },
        );
    }
    Ok(LiveAccount { account, roles })
}

/// A list field of a role; absent is empty.
fn array<'a>(role: &'a Value, key: &str) -> Result<&'a [Value], String> {
    match role.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` is not a list")),
    }
}

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum What {
    Role,
    TrustPolicy,
    InlinePolicy,
    ManagedPolicy,
    PermissionsBoundary,
    Tag,
    Path,
}

/// Which way: the live role grants more (wider), less (narrower), or something else changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Wider,
    Narrower,
    Changed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub what: What,
    pub direction: Direction,
    /// The inline policy, for policy differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The statement that differs, as written on its side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Value>,
    pub live: Value,
    pub spec: Value,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The role is as the spec says.
    Same,
    Drift,
    /// The role is not in the account.
    Missing,
    /// The export is from another account than the runner's: nothing compared.
    OtherAccount,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleDrift {
    pub runner: String,
    pub role: &'static str,
    pub name: String,
    pub ownership: &'static str,
    pub status: Status,
    pub differences: Vec<Difference>,
}

/// Compares every role of every runner with the live account.
pub fn compare(runners: &[Runner], live: &LiveAccount) -> Vec<RoleDrift> {
    let mut result = Vec::new();
    for runner in runners {
        let documents = iam::documents(runner);
        for kind in RoleKind::ALL {
            let role = runner.role(kind);
            let mut drift = RoleDrift {
                runner: runner.name.clone(),
                role: kind.word(),
                name: role.name.clone(),
                ownership: if role.is_existing() {
                    "existing"
                } else {
                    "created"
                },
                status: Status::Same,
                differences: Vec::new(),
            };
            if live.account.as_ref().is_some_and(|a| a != &runner.account) {
                drift.status = Status::OtherAccount;
            } else if let Some(live_role) = live.role(&role.name) {
                drift.differences = role_differences(runner, role, kind, &documents, live_role);
                if !drift.differences.is_empty() {
                    drift.status = Status::Drift;
                }
            } else {
                drift.status = Status::Missing;
                drift.differences.push(simple(
                    What::Role,
                    Direction::Narrower,
                    Value::Null,
                    json!(role.name),
                    format!("role `{}` is not in the account", role.name),
                ));
            }
            result.push(drift);
        }
    }
    result
}

fn role_differences(
    runner: &Runner,
    role: &Role,
    kind: RoleKind,
    documents: &iam::RoleDocuments,
    live: &LiveRole,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    let policy_name = runner.inline_policy_name(role);
    let spec_policy = documents.policy(kind).map(Policy::of_document);
    match (spec_policy, live.inline.get(&policy_name)) {
        (Some(spec), Some(live_policy)) => differences.extend(policy_differences(
            What::InlinePolicy,
            Some(&policy_name),
            &spec,
            live_policy,
        )),
        (Some(spec), None) => differences.push(whole_policy(
            &policy_name,
            Direction::Narrower,
            &spec,
            format!("inline policy `{policy_name}` is in the spec, not on the live role"),
        )),
        (None, Some(live_policy)) => differences.push(whole_policy(
            &policy_name,
            Direction::Wider,
            live_policy,
            format!("inline policy `{policy_name}` is on the live role, not in the spec"),
        )),
        (None, None) => {}
    }
    if role.ownership != Ownership::Created {
        // Someone else's role: only runnerc's own policy on it is compared.
        return differences;
    }
    for (name, live_policy) in &live.inline {
        if name != &policy_name {
            differences.push(whole_policy(
                name,
                Direction::Wider,
                live_policy,
                format!("inline policy `{name}` is on the live role, not in the spec"),
            ));
        }
    }
    if let Some(trust) = documents.trust(kind) {
        differences.extend(policy_differences(
            What::TrustPolicy,
            None,
            &Policy::of_document(trust),
            &live.trust,
        ));
    }
    let spec_managed: BTreeSet<&String> = role.managed_policies.iter().collect();
    for arn in &live.managed {
        if !spec_managed.contains(arn) {
            differences.push(simple(
                What::ManagedPolicy,
                Direction::Wider,
                json!(arn),
                Value::Null,
                format!("managed policy `{arn}` is attached live, not in the spec"),
            ));
        }
    }
    for arn in &role.managed_policies {
        if !live.managed.contains(arn) {
            differences.push(simple(
                What::ManagedPolicy,
                Direction::Narrower,
                Value::Null,
                json!(arn),
                format!("managed policy `{arn}` is in the spec, not attached live"),
            ));
        }
    }
    match (&role.permissions_boundary, &live.boundary) {
        (Some(spec), Some(live)) if spec != live => differences.push(simple(
            What::PermissionsBoundary,
            Direction::Changed,
            json!(live),
            json!(spec),
            format!("permissions boundary is `{live}` live, `{spec}` in the spec"),
        )),
        // No boundary live lifts the spec's limit: wider.
        (Some(spec), None) => differences.push(simple(
            What::PermissionsBoundary,
            Direction::Wider,
            Value::Null,
            json!(spec),
            format!("permissions boundary `{spec}` is in the spec, not on the live role"),
        )),
        (None, Some(live)) => differences.push(simple(
            What::PermissionsBoundary,
            Direction::Narrower,
            json!(live),
            Value::Null,
            format!("permissions boundary `{live}` is on the live role, not in the spec"),
        )),
        _ => {}
    }
    let spec_tags: BTreeMap<String, String> = runner
        .role_tags()
        .into_iter()
        .map(|tag| (tag.key, tag.value))
        .collect();
    let keys: BTreeSet<&String> = spec_tags.keys().chain(live.tags.keys()).collect();
    for key in keys {
        let message = match (spec_tags.get(key), live.tags.get(key)) {
            (Some(spec), Some(live)) if spec == live => continue,
            (Some(spec), Some(live)) => {
                format!("tag `{key}` is `{live}` live, `{spec}` in the spec")
            }
            (Some(spec), None) => {
                format!("tag `{key}={spec}` is in the spec, not on the live role")
            }
            (None, Some(live)) => {
                format!("tag `{key}={live}` is on the live role, not in the spec")
            }
            (None, None) => continue,
        };
        differences.push(simple(
            What::Tag,
            Direction::Changed,
            live.tags
                .get(key)
                .map_or(Value::Null, |v| json!({"Key": key, "Value": v})),
            spec_tags
                .get(key)
                .map_or(Value::Null, |v| json!({"Key": key, "Value": v})),
            message,
        ));
    }
    if role.path != live.path {
        differences.push(simple(
            What::Path,
            Direction::Changed,
            json!(live.path),
            json!(role.path),
            format!("path is `{}` live, `{}` in the spec", live.path, role.path),
        ));
    }
    differences
}

fn simple(
    what: What,
    direction: Direction,
    live: Value,
    spec: Value,
    message: String,
) -> Difference {
    Difference {
        what,
        direction,
        policy: None,
        statement: None,
        live,
        spec,
        message,
    }
}

fn whole_policy(name: &str, direction: Direction, policy: &Policy, message: String) -> Difference {
    let document =
        json!({"Statement": policy.statements.iter().map(|s| s.json.clone()).collect::<Vec<_>>()});
    let (live, spec) = match direction {
        Direction::Narrower => (Value::Null, document),
        _ => (document, Value::Null),
    };
    Difference {
        what: What::InlinePolicy,
        direction,
        policy: Some(name.to_owned()),
        statement: None,
        live,
        spec,
        message,
    }
}

/// One grant of a statement: an action and a resource (identity policies) or a principal
/// (trust policies), under the statement's conditions.
#[derive(Debug)]
struct Grant<'a> {
    statement: &'a Statement,
    action: Option<&'a str>,
    resource: Option<&'a str>,
    principal: Option<(&'a str, &'a str)>,
}

impl Grant<'_> {
    /// What the grant's actions apply to, as words: ` on RESOURCE`, ` to Service PRINCIPAL`.
    fn target(&self) -> String {
        match (self.action, self.resource, self.principal) {
            (Some(_), Some(resource), _) => format!(" on `{resource}`"),
            (Some(_), None, Some((kind, who))) => format!(" to {kind} `{who}`"),
            (Some(_), None, None) => String::new(),
            _ => " (NotAction, NotResource or NotPrincipal, as written)".to_owned(),
        }
    }
}

fn grants(statement: &Statement) -> Vec<Grant<'_>> {
    let whole = Grant {
        statement,
        action: None,
        resource: None,
        principal: None,
    };
    let Patterns::Listed(actions) = &statement.actions else {
        return vec![whole];
    };
    if statement.not_principal.is_some() {
        return vec![whole];
    }
    let resources: Vec<Option<&str>> = match &statement.resources {
        None => vec![None],
        Some(Patterns::Listed(listed)) => listed.iter().map(|r| Some(r.as_str())).collect(),
        Some(Patterns::AllBut(_)) => return vec![whole],
    };
    let principals: Vec<Option<(&str, &str)>> = match &statement.principal {
        None => vec![None],
        Some(kinds) => kinds
            .iter()
            .flat_map(|(kind, who)| who.iter().map(move |w| Some((kind.as_str(), w.as_str()))))
            .collect(),
    };
    let mut result = Vec::new();
    for action in actions {
        for resource in &resources {
            for principal in &principals {
                result.push(Grant {
                    statement,
                    action: Some(action),
                    resource: *resource,
                    principal: *principal,
                });
            }
        }
    }
    result
}

/// Whether `statement` grants everything `grant` does.
fn covers(statement: &Statement, grant: &Grant<'_>) -> bool {
    if statement.effect != grant.statement.effect {
        return false;
    }
    let Some(action) = grant.action else {
        // A NotAction grant is covered only by the same statement.
        return statement.actions == grant.statement.actions
            && statement.resources == grant.statement.resources
            && statement.principal == grant.statement.principal
            && statement.not_principal == grant.statement.not_principal
            && statement.conditions == grant.statement.conditions;
    };
    let action_covered = match &statement.actions {
        Patterns::Listed(actions) => actions
            .iter()
            .any(|pattern| includes(pattern, action, true)),
        // Every action but the excluded: covered when no excluded pattern reaches it.
        Patterns::AllBut(excluded) => !excluded
            .iter()
            .any(|pattern| includes(pattern, action, true) || includes(action, pattern, true)),
    };
    if !action_covered {
        return false;
    }
    let resource_covered = match (&statement.resources, grant.resource) {
        (None, None) => true,
        (Some(Patterns::Listed(listed)), Some(resource)) => listed
            .iter()
            .any(|pattern| includes(pattern, resource, false)),
        (Some(Patterns::AllBut(excluded)), Some(resource)) => {
            // Everything but the excluded: covered when no excluded pattern reaches the grant.
            !excluded.iter().any(|pattern| {
                includes(pattern, resource, false) || includes(resource, pattern, false)
            })
        }
        (Some(Patterns::AllBut(_)), None) => statement.resources == grant.statement.resources,
        _ => false,
    };
    let principal_covered = match (&statement.principal, grant.principal) {
        (None, None) => true,
        (Some(kinds), Some((kind, who))) => {
            kinds.get("AWS").is_some_and(|all| all.contains("*"))
                || kinds.get(kind).is_some_and(|listed| listed.contains(who))
        }
        _ => false,
    };
    resource_covered
        && principal_covered
        && statement.not_principal.is_none()
        && statement
            .conditions
            .iter()
            .all(|condition| implied(condition, &grant.statement.conditions))
}

/// Whether a condition of the covering statement holds whenever the grant's conditions do: the
/// grant has the same condition, or one on the same key whose values the covering condition
/// admits (an equality or `Like` under the same operator, or an equality under a `Like`).
fn implied(condition: &Condition, of_grant: &BTreeSet<Condition>) -> bool {
    let like = |operator: &str| matches!(operator, "StringLike" | "ArnLike");
    let equals = |operator: &str| matches!(operator, "StringEquals" | "ArnEquals");
    let covering = condition.operator.as_str();
    let admits = |value: &String| {
        condition.values.iter().any(|admitted| {
            if like(covering) {
                includes(admitted, value, false)
            } else {
                admitted == value
            }
        })
    };
    of_grant.iter().any(|other| {
        let narrower = other.operator.as_str();
        let comparable = (narrower == covering && (like(covering) || equals(covering)))
            || (like(covering) && equals(narrower));
        other == condition
            || (other.key.eq_ignore_ascii_case(&condition.key)
                && comparable
                && other.values.iter().all(admits))
    })
}

/// The statements of `live` with grants `spec` lacks (wider), and the reverse (narrower).
fn policy_differences(
    what: What,
    name: Option<&str>,
    spec: &Policy,
    live: &Policy,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    let which = match (what, name) {
        (What::TrustPolicy, _) => "the trust policy".to_owned(),
        (_, Some(name)) => format!("inline policy `{name}`"),
        _ => "the policy".to_owned(),
    };
    for (from, to, from_live) in [(live, spec, true), (spec, live, false)] {
        for statement in &from.statements {
            let missing: Vec<Grant<'_>> = grants(statement)
                .into_iter()
                .filter(|grant| !to.statements.iter().any(|other| covers(other, grant)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            // More granted live, or less: a Deny turns the direction around.
            let direction = if from_live == (statement.effect == Effect::Allow) {
                Direction::Wider
            } else {
                Direction::Narrower
            };
            let sid = statement
                .sid
                .as_deref()
                .map_or_else(|| "without a Sid".to_owned(), |sid| format!("`{sid}`"));
            let verb = match statement.effect {
                Effect::Allow => "allows",
                Effect::Deny => "denies",
            };
            // The actions of one resource (or principal) together.
            let mut listed: Vec<(String, Vec<String>)> = Vec::new();
            for grant in &missing {
                let target = grant.target();
                let action = grant.action.map(|a| format!("`{a}`"));
                match listed.iter_mut().find(|(t, _)| *t == target) {
                    Some((_, actions)) => actions.extend(action),
                    None => listed.push((target, action.into_iter().collect())),
                }
            }
            let listed: Vec<String> = listed
                .into_iter()
                .map(|(target, actions)| match actions.is_empty() {
                    // A NotAction, NotResource or NotPrincipal statement, shown whole.
                    true => format!("what it grants{target}"),
                    false => format!("{}{target}", actions.join(", ")),
                })
                .collect();
            let (here, there) = if from_live {
                ("live", "not in the spec")
            } else {
                ("in the spec", "not live")
            };
            // Beside the statement, the other side's statement of the same Sid, if any.
            let (live_json, spec_json) = if from_live {
                (statement.json.clone(), counterpart(to, statement))
            } else {
                (counterpart(to, statement), statement.json.clone())
            };
            differences.push(Difference {
                what,
                direction,
                policy: name.map(str::to_owned),
                statement: Some(statement.json.clone()),
                live: live_json,
                spec: spec_json,
                message: format!(
                    "{which}: statement {sid} {verb} {} {here}, {there}",
                    listed.join("; ")
                ),
            });
        }
    }
    differences
}

/// The statement of `policy` with the same Sid as `statement`, or null.
fn counterpart(policy: &Policy, statement: &Statement) -> Value {
    statement
        .sid
        .as_ref()
        .and_then(|sid| {
            policy
                .statements
                .iter()
                .find(|s| s.sid.as_ref() == Some(sid))
        })
        .map_or(Value::Null, |s| s.json.clone())
}

/// The report for people: a line per role, then its differences.
pub fn render_human(drifts: &[RoleDrift], live_name: &str, live: &LiveAccount) -> String {
    let mut out = String::new();
    for drift in drifts {
        let head = format!("{} {} role `{}`", drift.runner, drift.role, drift.name);
        match drift.status {
            Status::Same => out.push_str(&format!("{head}: no drift\n")),
            Status::OtherAccount => out.push_str(&format!(
                "{head}: not compared: `{live_name}` is from account {}\n",
                live.account.as_deref().unwrap_or("?")
            )),
            Status::Missing | Status::Drift => {
                let n = drift.differences.len();
                out.push_str(&format!(
                    "{head}: {n} difference{}\n",
                    if n == 1 { "" } else { "s" }
                ));
                for difference in &drift.differences {
                    let direction = match difference.direction {
                        Direction::Wider => "wider",
                        Direction::Narrower => "narrower",
                        Direction::Changed => "changed",
                    };
                    out.push_str(&format!("  {direction:<9} {}\n", difference.message));
                    if let Some(statement) = &difference.statement {
                        out.push_str(&format!("            {statement}\n"));
                    }
                }
            }
        }
    }
    let count = |status: Status| drifts.iter().filter(|d| d.status == status).count();
    out.push_str(&format!(
        "runnerc: {} roles compared with `{live_name}`: {} as specified, {} drifted, {} missing{}\n",
        drifts.len() - count(Status::OtherAccount),
        count(Status::Same),
        count(Status::Drift),
        count(Status::Missing),
        match count(Status::OtherAccount) {
            0 => String::new(),
            n => format!(", {n} of another account not compared"),
        }
    ));
    out
}

pub fn to_json(drifts: &[RoleDrift], live_name: &str, live: &LiveAccount) -> Value {
    json!({
        "live": live_name,
        "account": live.account,
        "drift": has_drift(drifts),
        "roles": drifts,
    })
}

pub fn has_drift(drifts: &[RoleDrift]) -> bool {
    drifts
        .iter()
        .any(|d| matches!(d.status, Status::Drift | Status::Missing))
}
