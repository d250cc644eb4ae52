//! `runnerc can ACTION RESOURCE`: for every runner and role, whether the role may do it.
//!
//! The answer comes from the documents runnerc emits, read back from their JSON (so a lowering
//! bug shows), and from the managed policies whose contents runnerc knows. A policy that could
//! change the answer and whose contents are not known (another managed policy, a permissions
//! boundary, the rest of an `existing` role) makes the answer unknown, with the reason.

use super::managed;
use crate::access::evaluate::{Evaluation, Outcome, Request, evaluate};
use crate::access::policy::{Effect, Patterns, Policy};
use crate::access::wildcard;
use crate::ast::RoleKind;
use crate::diag::Loc;
use crate::lower::iam::{self, RoleDocuments};
use crate::model::Runner;
use serde::Serialize;
use std::collections::BTreeMap;

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub action: String,
    pub resource: String,
    /// `--context KEY=VALUE`, in the order given; a key given twice has two values.
    pub context: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allowed,
    Denied,
    Unknown,
}

impl Decision {
    pub fn word(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
            Decision::Unknown => "unknown",
        }
    }
}

/// One role's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub runner: String,
    pub runner_loc: Loc,
    pub role: RoleKind,
    pub role_name: String,
    pub decision: Decision,
    /// What the documents runnerc knows decide on their own: allowed or denied.
    pub documents_decision: Decision,
    /// The statement that decided, when one applies.
    pub deciding: Option<Deciding>,
    /// The request's condition keys as evaluated (as written), defaults included.
    pub context: BTreeMap<String, Vec<String>>,
    /// Condition keys runnerc supplied because AWS supplies them on every real request.
    pub assumed: Vec<Assumption>,
    /// Why nothing allows the request (statements that name the action but do not apply).
    pub reasons: Vec<String>,
    /// Why the answer is unknown.
    pub unknown_because: Vec<String>,
    /// For a resource of another account: what that account's policy, as runnerc writes it for
    /// the owner to merge, says of the request.
    pub other_side: Option<OtherSide>,
}

/// The other account's side of a cross-account request.
#[derive(Debug, Clone, Serialize)]
pub struct OtherSide {
    /// The account that owns the resource.
    pub account: String,
    /// The file `build` writes for that account (`bucket-policy-<bucket>.json`), when it writes
    /// one for this resource.
    pub file: Option<String>,
    /// Whether that policy allows the request (`None`: runnerc writes none for the resource).
    pub allows: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Deciding {
    /// The inline policy's name, or the managed policy's ARN.
    pub policy: String,
    pub sid: Option<String>,
    pub effect: Effect,
    /// The resource pattern that matched.
    pub resource: Option<String>,
    /// The spec statement that produced it.
    pub written: Option<Loc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assumption {
    pub key: String,
    pub value: String,
    pub why: String,
}

/// Whether a question can be asked at all: one concrete action, a resource.
pub fn question_problem(question: &Question) -> Option<String> {
    let action = &question.action;
    let Some((service, name)) = action.split_once(':') else {
        return Some(format!(
            "`{action}` is not an action: write SERVICE:ACTION, such as s3:PutObject"
        ));
    };
    if action.chars().any(char::is_whitespace) {
        return Some(format!(
            "`{action}` holds white space: write the action alone, such as s3:PutObject"
        ));
    }
    if service.is_empty() || name.is_empty() || wildcard::has_wildcard(action) {
        return Some(format!(
            "`{action}` is not one action: name a single action, such as s3:PutObject (a request has no wildcards)"
        ));
    }
    let resource = &question.resource;
    if resource.is_empty() {
        return Some("the resource is empty: give an ARN, or `*`".to_owned());
    }
    // A `*` in a request's resource is a character, as in a log group's ARN (`...:log-group:NAME:*`),
    // and is matched as such.
    None
}

/// The answers of the roles of `kinds` of every runner named `only` (every runner when `None`).
/// `runners` are all the runners of the files: an existing role shared by several of them
/// holds each one's policy.
pub fn ask(
    runners: &[Runner],
    only: Option<&str>,
    kinds: &[RoleKind],
    question: &Question,
) -> Vec<Answer> {
    let shared = crate::model::shared_existing_roles(runners);
    let mut answers = Vec::new();
    for runner in runners {
        if only.is_some_and(|name| name != runner.name) {
            continue;
        }
        let own = iam::documents(runner);
        for &kind in kinds {
            // The policies the other runners of the files put on the same existing role,
            // lowered only when there are any.
            let mut theirs: Vec<(String, iam::PolicyDocument)> = Vec::new();
            if runner.role(kind).is_existing() {
                let users = shared.iter().find(|users| {
                    users
                        .iter()
                        .any(|&(r, k)| std::ptr::eq(r, runner) && k == kind)
                });
                for &(other, other_kind) in users.into_iter().flatten() {
                    if std::ptr::eq(other, runner) {
                        continue;
                    }
                    if let Some(document) = iam::documents(other).policy(other_kind) {
                        theirs.push((
                            other.inline_policy_name(other.role(other_kind)),
                            document.clone(),
                        ));
                    }
                }
            }
            let neighbours: Vec<(String, &iam::PolicyDocument)> = theirs
                .iter()
                .map(|(name, document)| (name.clone(), document))
                .collect();
            answers.push(answer(runner, &own, kind, &neighbours, question));
        }
    }
    answers
}

/// A policy in evaluation: its name and document, and where its statements come from.
struct Source<'a> {
    name: String,
    policy: Policy,
    from: From<'a>,
}

enum From<'a> {
    /// runnerc's inline policy: its statements carry their origins.
    Inline(&'a iam::PolicyDocument),
    /// A managed policy, written (or defaulted) here.
    Managed(Loc),
}

fn answer(
    runner: &Runner,
    documents: &RoleDocuments,
    kind: RoleKind,
    neighbours: &[(String, &iam::PolicyDocument)],
    question: &Question,
) -> Answer {
    let role = runner.role(kind);
    let mut unknown_because = Vec::new();
    let mut sources = Vec::new();
    let own = documents
        .policy(kind)
        .map(|document| (runner.inline_policy_name(role), document));
    for (name, document) in own.into_iter().chain(neighbours.iter().cloned()) {
        sources.push(Source {
            name,
            policy: Policy::of_document(document),
            from: From::Inline(document),
        });
    }
    for (arn, written) in role
        .managed_policies
        .iter()
        .zip(&role.managed_policies_written)
    {
        match managed::known_policy(arn, runner.partition) {
            Some(policy) => sources.push(Source {
                name: arn.clone(),
                policy,
                from: From::Managed(*written),
            }),
            None => unknown_because.push(format!(
                "managed policy `{arn}` is attached, and runnerc does not know what it grants or denies"
            )),
        }
    }
    if role.is_existing() {
        unknown_because.push(format!(
            "`{}` is an existing role: runnerc knows only the policies runnerc puts on it ({}), not the role's others",
            role.name,
            sources
                .iter()
                .filter(|s| matches!(s.from, From::Inline(_)))
                .map(|s| format!("`{}`", s.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // Each context the spec implies (a key used through two services gives two): the first
    // under which the request is allowed, else the first.
    let policies: Vec<&Policy> = sources.iter().map(|s| &s.policy).collect();
    let mut evaluated =
        request_contexts(runner, kind, question)
            .into_iter()
            .map(|(context, assumed)| {
                let lowered = lower_keys(&context);
                let request = Request {
                    action: &question.action,
                    resource: &question.resource,
                    context: &lowered,
                };
                let evaluation = evaluate(&policies, &request);
                (context, lowered, assumed, evaluation)
            });
    let first = evaluated.next().expect("at least one context");
    let (context, lowered, assumed, evaluation) = if first.3.allowed {
        first
    } else {
        evaluated.find(|(_, _, _, e)| e.allowed).unwrap_or(first)
    };
    let deciding = evaluation
        .deciding
        .as_ref()
        .map(|(p, s, resource)| deciding(&sources[*p], *s, resource.clone(), &lowered));
    let explicit_deny = deciding.as_ref().is_some_and(|d| d.effect == Effect::Deny);
    if explicit_deny {
        // Nothing overrides an explicit deny.
        unknown_because.clear();
    } else {
        for (p, s, operator) in &evaluation.unsupported {
            unknown_because.push(format!(
                "statement {} of `{}` has condition operator `{operator}`, which runnerc does not evaluate",
                sid_text(sources[*p].policy.statements[*s].sid.as_deref()),
                sources[*p].name
            ));
        }
        if evaluation.allowed
            && let Some(boundary) = &role.permissions_boundary
        {
            unknown_because.push(format!(
                "permissions boundary `{boundary}` limits the role, and runnerc does not know what it allows"
            ));
        }
    }
    let documents_decision = if evaluation.allowed {
        Decision::Allowed
    } else {
        Decision::Denied
    };
    let mut decision = if unknown_because.is_empty() {
        documents_decision
    } else {
        Decision::Unknown
    };
    let mut reasons = if evaluation.allowed {
        Vec::new()
    } else {
        reasons(&sources, &evaluation, question, kind)
    };
    // A resource of another account: both sides must allow.
    let other_side = other_side(runner, documents, kind, question, &lowered);
    if let Some(side) = &other_side {
        let which = side.file.as_deref().map_or_else(String::new, |file| {
            format!(
                " (`{file}`, which account {} must merge into its policy)",
                side.account
            )
        });
        match side.allows {
            Some(true) => {}
            Some(false) => {
                decision = Decision::Denied;
                reasons.push(format!(
                    "the resource is account {}'s, and its side{which} does not allow the request: both sides must",
                    side.account
                ));
            }
            None if decision == Decision::Allowed => {
                decision = Decision::Unknown;
                unknown_because.push(format!(
                    "the resource is account {}'s, whose own policy must allow the request too; runnerc writes none for it",
                    side.account
                ));
            }
            None => {}
        }
    }
    Answer {
        runner: runner.name.clone(),
        runner_loc: runner.name_loc,
        role: kind,
        role_name: role.name.clone(),
        decision,
        documents_decision,
        deciding,
        context,
        assumed,
        reasons,
        unknown_because,
        other_side,
    }
}

/// The other account's side of the request, when its resource is another account's: the
/// policy runnerc writes for that account, evaluated for this role.
fn other_side(
    runner: &Runner,
    documents: &RoleDocuments,
    kind: RoleKind,
    question: &Question,
    context: &Context,
) -> Option<OtherSide> {
    let resource = &question.resource;
    let arn = crate::aws::Arn::parse(resource)?;
    let account = match arn.service {
        "s3" => context.get("s3:resourceaccount")?.first()?.clone(),
        _ if arn.account.len() == 12 => arn.account.to_owned(),
        _ => return None,
    };
    if account == runner.account {
        return None;
    }
    let Some(foreign) = crate::lower::other_accounts::foreign(runner, resource) else {
        return Some(OtherSide {
            account,
            file: None,
            allows: None,
        });
    };
    let file = foreign.file();
    let policy = crate::lower::other_accounts::resource_policies(runner, documents)
        .into_iter()
        .find(|p| p.file == file);
    let allows = policy.map(|policy| {
        let policy = Policy::from_text(&policy.contents).expect("runnerc's own policies read back");
        let role = runner.role_arn(kind);
        let admitted = crate::access::evaluate::admitting(&policy, "AWS", &role);
        evaluate(
            &[&admitted],
            &Request {
                action: &question.action,
                resource,
                context,
            },
        )
        .allowed
    });
    Some(OtherSide {
        account,
        file: allows.is_some().then_some(file),
        allows,
    })
}

/// The statement that decided, and the spec statement that produced it: among those that put
/// the matched resource in it, the first whose own part of the statement's condition holds for
/// the request (the destination whose folder the listed prefix is in).
fn deciding(
    source: &Source<'_>,
    index: usize,
    resource: Option<String>,
    context: &Context,
) -> Deciding {
    let statement = &source.policy.statements[index];
    let written = match &source.from {
        From::Managed(loc) => Some(*loc),
        From::Inline(document) => {
            let lowered = document
                .statement
                .iter()
                .find(|s| Some(s.sid.as_str()) == statement.sid.as_deref());
            lowered.and_then(|lowered| {
                let of_resource: Vec<&iam::Origin> = lowered
                    .origins
                    .iter()
                    .filter(|origin| Some(&origin.resource) == resource.as_ref())
                    .collect();
                let granting = of_resource.iter().find(|origin| {
                    // The origin's share of the statement's `StringLike` condition.
                    origin.when.as_ref().is_none_or(|when| {
                        context.get(&when.key.to_lowercase()).is_some_and(|values| {
                            values.iter().any(|value| {
                                when.like
                                    .iter()
                                    .any(|like| wildcard::matches(like, value, false))
                            })
                        })
                    })
                });
                granting
                    .or(of_resource.first())
                    .copied()
                    .or(lowered.origins.first())
                    .map(|origin| origin.written)
            })
        }
    };
    Deciding {
        policy: source.name.clone(),
        sid: statement.sid.clone(),
        effect: statement.effect,
        resource,
        written,
    }
}

fn sid_text(sid: Option<&str>) -> String {
    sid.map_or_else(|| "(no Sid)".to_owned(), |sid| format!("`{sid}`"))
}

/// Why nothing allows the request: each statement that names the action, and what it lacks.
fn reasons(
    sources: &[Source<'_>],
    evaluation: &Evaluation,
    question: &Question,
    kind: RoleKind,
) -> Vec<String> {
    let mut reasons = Vec::new();
    for (p, s, outcome) in &evaluation.near_misses {
        let source = &sources[*p];
        let statement = &source.policy.statements[*s];
        let which = format!(
            "statement {} of `{}`",
            sid_text(statement.sid.as_deref()),
            source.name
        );
        match outcome {
            Outcome::OtherResource => {
                let listed = match &statement.resources {
                    Some(Patterns::Listed(listed)) => listed
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => "other resources".to_owned(),
                };
                reasons.push(format!(
                    "{which} grants `{}` on {listed} only",
                    question.action
                ));
            }
            Outcome::ConditionFails { condition, present } => {
                let wanted = condition
                    .values
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let has = match present {
                    None => format!(
                        "the request has no `{0}` (add `--context {0}=VALUE`)",
                        condition.key
                    ),
                    Some(values) => format!(
                        "the request has {}",
                        values
                            .iter()
                            .map(|v| format!("`{}={v}`", condition.key))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                reasons.push(format!(
                    "{which} needs `{}` {} {wanted}; {has}",
                    condition.key, condition.operator
                ));
            }
            _ => {}
        }
    }
    if reasons.is_empty() {
        let names: Vec<String> = sources.iter().map(|s| format!("`{}`", s.name)).collect();
        reasons.push(if names.is_empty() {
            format!("the {} has no policy runnerc knows", kind.keyword())
        } else {
            format!(
                "no statement of {} grants `{}`",
                names.join(" or "),
                question.action
            )
        });
    }
    reasons
}

/// Condition keys and their values, as written.
type Context = BTreeMap<String, Vec<String>>;

/// The context with its keys in lower case, as the evaluator reads them.
fn lower_keys(context: &Context) -> Context {
    context
        .iter()
        .map(|(key, values)| (key.to_lowercase(), values.clone()))
        .collect()
}

/// The request's condition keys: `--context`, and the keys AWS supplies on every real request
/// that the spec determines.
fn request_contexts(
    runner: &Runner,
    kind: RoleKind,
    question: &Question,
) -> Vec<(Context, Vec<Assumption>)> {
    // Keys without regard to case, as IAM reads them; the first spelling is kept.
    let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in &question.context {
        let key = context
            .keys()
            .find(|k| k.eq_ignore_ascii_case(key))
            .cloned()
            .unwrap_or_else(|| key.clone());
        context.entry(key).or_default().push(value.clone());
    }
    let given = |key: &str| context.keys().any(|k| k.eq_ignore_ascii_case(key));
    let mut assumed = Vec::new();
    let service = question
        .action
        .split_once(':')
        .map_or("", |(service, _)| service)
        .to_ascii_lowercase();
    if service == "s3" && !given("s3:ResourceAccount") {
        assumed.push(bucket_owner(runner, &question.resource));
    }
    let services = if service == "kms" && !given("kms:ViaService") {
        key_services(runner, kind, &question.resource)
    } else {
        Vec::new()
    };
    for assumption in &assumed {
        context.insert(assumption.key.clone(), vec![assumption.value.clone()]);
    }
    if services.is_empty() {
        return vec![(context, assumed)];
    }
    services
        .into_iter()
        .map(|through| {
            let mut context = context.clone();
            context.insert(through.key.clone(), vec![through.value.clone()]);
            let mut assumed = assumed.clone();
            assumed.push(through);
            (context, assumed)
        })
        .collect()
}

/// `s3:ResourceAccount`: the owner of the bucket in the spec, or the runner's account.
fn bucket_owner(runner: &Runner, resource: &str) -> Assumption {
    let bucket = resource
        .strip_prefix(&format!("arn:{}:s3:::", runner.partition))
        .map(|rest| rest.split('/').next().unwrap_or(rest));
    let destination =
        bucket.and_then(|bucket| runner.destinations.iter().find(|d| d.bucket == bucket));
    let (value, why) = match (bucket, destination) {
        (Some(bucket), Some(destination)) if destination.owner != runner.account => (
            destination.owner.clone(),
            format!("the `owner` of bucket `{bucket}` in the spec"),
        ),
        (Some(bucket), Some(_)) => (
            runner.account.clone(),
            format!("bucket `{bucket}` is a destination of the runner, in its account"),
        ),
        _ => (
            runner.account.clone(),
            "the bucket is not a destination of this runner: taken to be in the runner's account"
                .to_owned(),
        ),
    };
    Assumption {
        key: "s3:ResourceAccount".to_owned(),
        value,
        why,
    }
}

/// `kms:ViaService`: each service through which the spec uses the key, this role's uses first.
fn key_services(runner: &Runner, kind: RoleKind, key: &str) -> Vec<Assumption> {
    let secrets = |grants: &[crate::model::SecretGrant], reader: &str| {
        grants
            .iter()
            .filter(|g| g.kms_key.as_deref() == Some(key))
            .map(|g| {
                (
                    iam::via_service("secretsmanager", &iam::secret_region(runner, &g.resource)),
                    format!("the key decrypts {reader} in the spec, read through Secrets Manager"),
                )
            })
            .collect::<Vec<_>>()
    };
    let pipeline = secrets(&runner.pipeline_secrets, "a `secret`");
    let agent = secrets(&runner.agent_secrets, "an `agent secret`");
    let destinations: Vec<(String, String)> = runner
        .destinations
        .iter()
        .filter(|d| d.kms_key.as_deref() == Some(key))
        .map(|d| {
            (
                iam::via_service("s3", &runner.region),
                format!(
                    "the key encrypts bucket `{}` in the spec, used through S3",
                    d.bucket
                ),
            )
        })
        .collect();
    // The asking role's own uses first, then the others in the order of the spec.
    let uses = match kind {
        RoleKind::Task => [pipeline, destinations, agent],
        RoleKind::Execution => [agent, pipeline, destinations],
    };
    let mut services: Vec<Assumption> = Vec::new();
    for (value, why) in uses.into_iter().flatten() {
        if !services.iter().any(|s| s.value == value) {
            services.push(Assumption {
                key: "kms:ViaService".to_owned(),
                value,
                why,
            });
        }
    }
    services
}

impl Answer {
    /// The answer for people: an ariadne report at the spec statement that decided, or at the
    /// runner's name when nothing in the spec did.
    pub fn finding(&self, question: &Question) -> crate::diag::Finding {
        use crate::diag::{Finding, Verdict};
        let who = format!(
            "{}'s {} `{}`",
            self.runner,
            self.role.keyword(),
            self.role_name
        );
        let what = format!("`{}` on `{}`", question.action, question.resource);
        let (verdict, message) = match self.decision {
            Decision::Allowed => (Verdict::Allowed, format!("{who} may do {what}")),
            Decision::Denied => (Verdict::Denied, format!("{who} may not do {what}")),
            Decision::Unknown => (
                Verdict::Unknown,
                format!("runnerc cannot tell whether {who} may do {what}"),
            ),
        };
        let (loc, label) = match &self.deciding {
            Some(deciding) => {
                let statement = format!(
                    "statement {} of `{}`{}",
                    sid_text(deciding.sid.as_deref()),
                    deciding.policy,
                    deciding
                        .resource
                        .as_ref()
                        .map(|r| format!(" (`{r}`)"))
                        .unwrap_or_default()
                );
                let verb = match deciding.effect {
                    Effect::Allow => "allows it",
                    Effect::Deny => "denies it",
                };
                (
                    deciding.written.unwrap_or(self.runner_loc),
                    format!("{verb}: {statement}"),
                )
            }
            None => (
                self.runner_loc,
                format!("nothing in the {} allows it", self.role.keyword()),
            ),
        };
        let mut notes: Vec<String> = Vec::new();
        notes.extend(self.unknown_because.iter().cloned());
        if self.decision == Decision::Unknown {
            notes.push(format!(
                "runnerc's own documents alone: {}",
                self.documents_decision.word()
            ));
        }
        notes.extend(self.reasons.iter().cloned());
        if let Some(OtherSide {
            account,
            file: Some(file),
            allows: Some(true),
        }) = &self.other_side
        {
            notes.push(format!(
                "the resource is account {account}'s: its side allows it too, once that account merges `{file}` into its policy"
            ));
        }
        notes.extend(self.assumed.iter().map(|a| {
            format!(
                "assumed `{}={}`: {}; `--context {}=...` overrides it",
                a.key, a.value, a.why, a.key
            )
        }));
        Finding {
            verdict,
            message,
            loc,
            label,
            notes,
        }
    }
}

/// The answers for machines: one JSON object.
pub fn to_json(
    question: &Question,
    answers: &[Answer],
    sources: &crate::diag::Sources,
) -> serde_json::Value {
    use serde_json::json;
    let answers: Vec<serde_json::Value> = answers
        .iter()
        .map(|answer| {
            let statement = answer.deciding.as_ref().map(|d| {
                json!({
                    "policy": d.policy,
                    "sid": d.sid,
                    "effect": match d.effect { Effect::Allow => "Allow", Effect::Deny => "Deny" },
                    "resource": d.resource,
                })
            });
            let spec = answer
                .deciding
                .as_ref()
                .and_then(|d| d.written)
                .map(|loc| crate::diag::location(loc, sources));
            json!({
                "runner": answer.runner,
                "role": answer.role.word(),
                "role_name": answer.role_name,
                "decision": answer.decision,
                "documents_decision": answer.documents_decision,
                "statement": statement,
                "spec": spec,
                "context": answer.context,
                "assumed": answer.assumed,
                "reasons": answer.reasons,
                "unknown_because": answer.unknown_because,
                "other_side": answer.other_side,
            })
        })
        .collect();
    json!({
        "action": question.action,
        "resource": question.resource,
        "answers": answers,
    })
}

/// `KEY=VALUE` of `--context` and of a request table's context fields.
pub fn context_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}
