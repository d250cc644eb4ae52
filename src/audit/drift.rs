//! `runnerc drift`: where a live account differs from the compiled specs.
//!
//! The live side is the account export that [`crate::live`] reads. Documents compare by meaning: each statement
//! is cut into its (action, resource) or (principal) grants, and a grant on one side counts as
//! present on the other when a statement there includes it (a wider pattern, weaker
//! conditions). A statement with a grant the other side lacks is reported once, in its
//! direction: granted live but not in the spec (wider), or in the spec but not live (narrower).

use crate::access::contain::{Uncovered, describe, uncovered};
use crate::access::policy::{Effect, Policy, Statement};
use crate::ast::RoleKind;
use crate::live::{LiveAccount, LiveRole};
use crate::lower::iam;
use crate::model::{EXISTING_ROLE_POLICY_PREFIX, Ownership, Role, Runner};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

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
    /// On an existing role, an inline policy that is not runnerc's and grants some of what
    /// runnerc's grants.
    OverlappingPolicy,
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
    /// The statements of a whole inline policy on one side only, as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Value>,
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
    /// Advice on the differences, when there is some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
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
                hint: None,
            };
            if live.account.as_ref().is_some_and(|a| a != &runner.account) {
                drift.status = Status::OtherAccount;
            } else if let Some(live_role) = live.role(&role.name) {
                drift.differences = role_differences(runner, role, kind, &documents, live_role);
                if !drift.differences.is_empty() {
                    drift.status = Status::Drift;
                }
                drift.hint = name_clash_hint(runner, role, &drift.differences);
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

/// On an existing role, runnerc's policy is named after the runner: when its grants are not
/// the spec's, another spec with a runner of the same name may have written it.
fn name_clash_hint(runner: &Runner, role: &Role, differences: &[Difference]) -> Option<String> {
    // On an existing role, the only inline policy compared is `runnerc-<runner>`.
    let grants_differ = || {
        differences.iter().any(|difference| {
            difference.what == What::InlinePolicy && difference.statement.is_some()
        })
    };
    (role.is_existing() && grants_differ()).then(|| {
        format!(
            "a runner's name is its identity in an account: every spec with a runner `{}` in account {} writes this same policy `{}` on role `{}`, so if another spec has a runner of that name, the two replace each other's grants (rename one of them)",
            runner.name,
            runner.account,
            runner.existing_role_policy_name(),
            role.name
        )
    })
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
    match (&spec_policy, live.inline.get(&policy_name)) {
        (Some(spec), Some(live_policy)) => differences.extend(policy_differences(
            What::InlinePolicy,
            Some(&policy_name),
            spec,
            live_policy,
        )),
        (Some(spec), None) => differences.push(whole_policy(
            &policy_name,
            Direction::Narrower,
            spec,
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
        // Someone else's role: only runnerc's own policy on it is compared, and the policies
        // beside it that grant some of the same.
        if let Some(spec) = &spec_policy {
            differences.extend(overlapping_policies(&role.name, &policy_name, spec, live));
        }
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
    differences.extend(boundary_difference(role, live));
    differences.extend(tag_differences(runner, live));
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

/// The permissions boundary, live against the spec.
fn boundary_difference(role: &Role, live: &LiveRole) -> Option<Difference> {
    match (&role.permissions_boundary, &live.boundary) {
        (Some(spec), Some(live)) if spec != live => Some(simple(
            What::PermissionsBoundary,
            Direction::Changed,
            json!(live),
            json!(spec),
            format!("permissions boundary is `{live}` live, `{spec}` in the spec"),
        )),
        // No boundary live lifts the spec's limit: wider.
        (Some(spec), None) => Some(simple(
            What::PermissionsBoundary,
            Direction::Wider,
            Value::Null,
            json!(spec),
            format!("permissions boundary `{spec}` is in the spec, not on the live role"),
        )),
        (None, Some(live)) => Some(simple(
            What::PermissionsBoundary,
            Direction::Narrower,
            json!(live),
            Value::Null,
            format!("permissions boundary `{live}` is on the live role, not in the spec"),
        )),
        _ => None,
    }
}

/// Every tag, `runnerc:runner` included, live against the spec.
fn tag_differences(runner: &Runner, live: &LiveRole) -> Vec<Difference> {
    let mut differences = Vec::new();
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
        statements: Vec::new(),
        live,
        spec,
        message,
    }
}

/// An inline policy on one side only: its statements, and what each grants, in the message.
fn whole_policy(name: &str, direction: Direction, policy: &Policy, message: String) -> Difference {
    let statements: Vec<Value> = policy.statements.iter().map(|s| s.json.clone()).collect();
    let document = json!({ "Statement": statements });
    let (live, spec) = match direction {
        Direction::Narrower => (Value::Null, document),
        _ => (document, Value::Null),
    };
    let message = match grants_in_words(policy) {
        Some(grants) => format!("{message}: {grants}"),
        None => format!("{message}, and grants nothing"),
    };
    Difference {
        what: What::InlinePolicy,
        direction,
        policy: Some(name.to_owned()),
        statement: None,
        statements,
        live,
        spec,
        message,
    }
}

/// On an existing role, the inline policies beside runnerc's `own` that grant some of what the
/// spec's policy grants (or the reverse): a hand-made policy that `import` read and adoption
/// left in place, which keeps granting whatever the spec says. Other runners' `runnerc-*`
/// policies are their specs' business, and a policy that shares no grant is someone else's.
fn overlapping_policies(
    role_name: &str,
    own: &str,
    spec: &Policy,
    live: &LiveRole,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    for (name, policy) in &live.inline {
        if name.starts_with(EXISTING_ROLE_POLICY_PREFIX) {
            continue;
        }
        let overlaps = spec.statements.iter().any(|s| covers_some(policy, s))
            || policy.statements.iter().any(|s| covers_some(spec, s));
        if !overlaps {
            continue;
        }
        let mut difference = whole_policy(
            name,
            Direction::Wider,
            policy,
            format!(
                "inline policy `{name}` is not runnerc's and grants some of what `{own}` grants"
            ),
        );
        difference.what = What::OverlappingPolicy;
        difference.message.push_str(&format!(
            "; it keeps granting that whatever the spec says: delete it once the runner works under the spec: `aws iam delete-role-policy --role-name {role_name} --policy-name {name}`"
        ));
        differences.push(difference);
    }
    differences
}

/// Whether `policy` covers some, not necessarily all, of an Allow statement's grants.
fn covers_some(policy: &Policy, statement: &Statement) -> bool {
    if statement.effect != Effect::Allow {
        return false;
    }
    let count = |missing: Option<Uncovered<'_>>| match missing {
        None => 0,
        Some(Uncovered::Whole) => usize::MAX,
        Some(Uncovered::Blocks(blocks)) => blocks.iter().map(|(a, t)| a.len() * t.len()).sum(),
    };
    let nothing = Policy {
        statements: Vec::new(),
    };
    let allowing = Policy {
        statements: policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .cloned()
            .collect(),
    };
    count(uncovered(statement, &allowing)) < count(uncovered(statement, &nothing))
}

/// What each statement of a policy allows or denies, in one line ("statement `Sid` allows `a`
/// on `r`; ..."); `None` when it grants nothing.
pub fn grants_in_words(policy: &Policy) -> Option<String> {
    let nothing = Policy {
        statements: Vec::new(),
    };
    let grants: Vec<String> = policy
        .statements
        .iter()
        .filter_map(|statement| {
            uncovered(statement, &nothing).map(|all| {
                format!(
                    "statement {} {}",
                    sid_words(statement),
                    grant_words(statement, &all)
                )
            })
        })
        .collect();
    (!grants.is_empty()).then(|| grants.join("; "))
}

/// A statement's Sid in a message: "`Sid`", or "without a Sid".
fn sid_words(statement: &Statement) -> String {
    statement
        .sid
        .as_deref()
        .map_or_else(|| "without a Sid".to_owned(), |sid| format!("`{sid}`"))
}

/// What a statement grants, in a message: "allows `a` on `r`".
fn grant_words(statement: &Statement, grants: &Uncovered<'_>) -> String {
    let verb = match statement.effect {
        Effect::Allow => "allows",
        Effect::Deny => "denies",
    };
    format!("{verb} {}", describe(grants))
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
            let Some(missing) = uncovered(statement, to) else {
                continue;
            };
            // More granted live, or less: a Deny turns the direction around.
            let direction = if from_live == (statement.effect == Effect::Allow) {
                Direction::Wider
            } else {
                Direction::Narrower
            };
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
                statements: Vec::new(),
                live: live_json,
                spec: spec_json,
                message: format!(
                    "{which}: statement {} {} {here}, {there}",
                    sid_words(statement),
                    grant_words(statement, &missing)
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
                    for statement in difference.statement.iter().chain(&difference.statements) {
                        out.push_str(&format!("            {statement}\n"));
                    }
                }
                if let Some(hint) = &drift.hint {
                    out.push_str(&format!("  hint: {hint}\n"));
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
