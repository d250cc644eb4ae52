//! `runnerc drift`: where a live account differs from the compiled specs.
//!
//! The live side is the output of `aws iam get-account-authorization-details --filter Role`,
//! read from a file: runnerc holds no credentials. Documents compare by meaning: each statement
//! is cut into its (action, resource) or (principal) grants, and a grant on one side counts as
//! present on the other when a statement there includes it (a wider pattern, weaker
//! conditions). A statement with a grant the other side lacks is reported once, in its
//! direction: granted live but not in the spec (wider), or in the spec but not live (narrower).

use crate::access::contain::{Uncovered, describe, uncovered};
use crate::access::policy::{Effect, Policy, Statement};
use crate::ast::RoleKind;
use crate::lower::iam;
use crate::model::{EXISTING_ROLE_POLICY_PREFIX, Ownership, Role, Runner};
use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::borrow::Cow;
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

/// The largest export runnerc reads. An account holds at most 5,000 roles (IAM's quota, raised
/// to its maximum); written out with `--filter Role`, a role takes a few KiB, and at IAM's size
/// limits with aws-cli's indentation well under 100 KiB: 5,000 of those fit in 512 MiB.
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;
/// IAM's quota of roles in one account, at its maximum.
pub const MAX_ROLES: usize = 5_000;
/// The most one role may take of the export, as written: its documents at IAM's limits
/// (14,336 characters), 50 tags, a description, instance profiles, written with aws-cli's
/// indentation and `\u` escapes, stay under a third of it.
pub const MAX_ROLE_BYTES: usize = 1024 * 1024;
/// IAM's limit on a role's trust policy, raised to its maximum (the default is
/// [`quota::TRUST_POLICY_QUOTA`](crate::quota::TRUST_POLICY_QUOTA)).
pub const MAX_TRUST_CHARACTERS: usize = 4_096;
/// IAM's limit on a role's inline policies together.
pub const MAX_INLINE_CHARACTERS: usize = crate::quota::INLINE_POLICIES_QUOTA;

/// Reads an export, keeping the roles `wanted` names (by lower-case name; every role is still
/// checked). The error says what is wrong with it, and where.
pub fn read_live(text: &str, wanted: &dyn Fn(&str) -> bool) -> Result<LiveAccount, String> {
    // A byte-order mark, which some tools write, is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // One pass: serde_json tells a syntax error (or a cut-off file) from a wrong shape.
    let parsed = serde_json::from_str::<Export<'_>>(text);
    if let Err(error) = &parsed {
        if error.is_eof() {
            return Err(format!("the file ends too early (truncated?): {error}"));
        }
        if error.is_syntax() {
            return Err(format!("the file is not JSON: {error}"));
        }
    }
    if !text.trim_start().starts_with('{') {
        return Err(
            "the file is not the JSON object `get-account-authorization-details` writes".to_owned(),
        );
    }
    let export = parsed.map_err(|error| format!("the file is not an export: {error}"))?;
    if export.is_truncated.is_some_and(|raw| raw.get() == "true") {
        return Err("the export is truncated (`IsTruncated` is true): export again without `--max-items`, so aws-cli reads every page".to_owned());
    }
    let list = export
        .roles
        .filter(|raw| raw.get().starts_with('['))
        .ok_or("the file has no `RoleDetailList`: write it with `aws iam get-account-authorization-details --filter Role`")?;
    // Role by role: one role's JSON at a time, never the whole list's.
    let mut reader = RoleReader {
        wanted,
        account: None,
        roles: BTreeMap::new(),
        names: BTreeSet::new(),
        count: 0,
        problem: None,
    };
    let mut deserializer = serde_json::Deserializer::from_str(list.get());
    if let Err(error) = deserializer.deserialize_seq(&mut reader) {
        return Err(reader
            .problem
            .take()
            .unwrap_or_else(|| format!("`RoleDetailList` cannot be read: {error}")));
    }
    Ok(LiveAccount {
        account: reader.account,
        roles: reader.roles,
    })
}

/// The export's top level, its roles' list as written: the other lists (users, groups,
/// managed policies) are skipped unread.
#[derive(Deserialize)]
struct Export<'a> {
    #[serde(rename = "IsTruncated", borrow, default)]
    is_truncated: Option<&'a RawValue>,
    #[serde(rename = "RoleDetailList", borrow, default)]
    roles: Option<&'a RawValue>,
}

/// Reads `RoleDetailList` a role at a time, stopping at the first problem.
struct RoleReader<'w> {
    wanted: &'w dyn Fn(&str) -> bool,
    account: Option<String>,
    roles: BTreeMap<String, LiveRole>,
    /// Every role's name in lower case, kept or not.
    names: BTreeSet<String>,
    count: usize,
    problem: Option<String>,
}

impl<'de> Visitor<'de> for &mut RoleReader<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a list of roles")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&RawValue>()? {
            self.count += 1;
            if let Err(problem) = self.read_role(raw) {
                self.problem = Some(problem);
                return Err(serde::de::Error::custom("the export is not usable"));
            }
        }
        Ok(())
    }
}

impl RoleReader<'_> {
    fn read_role(&mut self, raw: &RawValue) -> Result<(), String> {
        let index = self.count;
        if index > MAX_ROLES {
            return Err(format!(
                "`RoleDetailList` holds more than {MAX_ROLES} roles, and an account holds at most {MAX_ROLES} (IAM's quota at its maximum): this is not an export of one account"
            ));
        }
        if raw.get().len() > MAX_ROLE_BYTES {
            return Err(oversized_role(raw, index));
        }
        let role: Value = serde_json::from_str(raw.get())
            .map_err(|error| format!("role {index} of `RoleDetailList`: {error}"))?;
        let name = role
            .get("RoleName")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("role {index} of `RoleDetailList` has no `RoleName`"))?;
        let role_account = role
            .get("Arn")
            .and_then(Value::as_str)
            .and_then(|arn| crate::aws::Arn::parse(arn).map(|arn| arn.account.to_owned()));
        match (&self.account, role_account) {
            (Some(first), Some(this)) if first != &this => {
                return Err(format!(
                    "roles of two accounts ({first} and {this}): export one account at a time"
                ));
            }
            (None, Some(this)) => self.account = Some(this),
            _ => {}
        }
        let key = name.to_ascii_lowercase();
        if !self.names.insert(key.clone()) {
            return Err(format!(
                "role `{name}` is listed twice (IAM role names are unique without regard to case)"
            ));
        }
        let live = read_role(name, &role)?;
        if (self.wanted)(&key) {
            self.roles.insert(key, live);
        }
        Ok(())
    }
}

/// The error for a role larger than IAM's limits let one be, naming its largest document.
fn oversized_role(raw: &RawValue, index: usize) -> String {
    let sizes: Option<RoleSizes<'_>> = serde_json::from_str(raw.get()).ok();
    let name = sizes.as_ref().and_then(|s| s.name.as_deref()).map_or_else(
        || format!("role {index} of `RoleDetailList`"),
        |n| format!("role `{n}`"),
    );
    let mut documents: Vec<(String, usize)> = Vec::new();
    if let Some(sizes) = &sizes {
        if let Some(trust) = sizes.trust {
            documents.push(("its trust policy".to_owned(), trust.get().len()));
        }
        for policy in sizes.inline.iter().flatten() {
            if let Some(document) = policy.document {
                let policy_name = policy.name.as_deref().unwrap_or("?");
                documents.push((
                    format!("its inline policy `{policy_name}`"),
                    document.get().len(),
                ));
            }
        }
    }
    let largest = documents
        .into_iter()
        .max_by_key(|(_, size)| *size)
        .filter(|(_, size)| *size > MAX_ROLE_BYTES / 2)
        .map(|(what, size)| format!(", {what} {}", bytes(size as u64)))
        .unwrap_or_default();
    format!(
        "{name} takes {} of the export{largest}: more than IAM's limits let a role hold (a trust policy of {MAX_TRUST_CHARACTERS} characters, inline policies of {MAX_INLINE_CHARACTERS} together), so this is not a real export",
        bytes(raw.get().len() as u64)
    )
}

/// A size for people: bytes, KiB or MiB.
pub fn bytes(size: u64) -> String {
    match size {
        0..1024 => format!("{size} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", size as f64 / 1024.0),
        _ => format!("{:.1} MiB", size as f64 / 1_048_576.0),
    }
}

/// A role's name and documents as written, to name the largest when a role is too large.
#[derive(Deserialize)]
struct RoleSizes<'a> {
    #[serde(rename = "RoleName", borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "AssumeRolePolicyDocument", borrow, default)]
    trust: Option<&'a RawValue>,
    #[serde(rename = "RolePolicyList", borrow, default)]
    inline: Option<Vec<InlineSize<'a>>>,
}

#[derive(Deserialize)]
struct InlineSize<'a> {
    #[serde(rename = "PolicyName", borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "PolicyDocument", borrow, default)]
    document: Option<&'a RawValue>,
}

/// How many characters IAM counts in a document: its JSON text without white space (IAM does
/// not count white space). A document given as an object is counted as compact JSON; one given
/// as text (URL-encoded, as the raw API returns it) as that text, decoded.
fn iam_characters(document: &Value) -> usize {
    let count = |text: &str| text.chars().filter(|c| !c.is_whitespace()).count();
    match document {
        Value::String(text) => {
            count(&crate::access::policy::document_text(text).unwrap_or(Cow::Borrowed(text)))
        }
        other => count(&other.to_string()),
    }
}

/// One role of the export, its documents within IAM's limits.
fn read_role(name: &str, role: &Value) -> Result<LiveRole, String> {
    let field = |what: &str| format!("role `{name}`: {what}");
    let trust_document = role
        .get("AssumeRolePolicyDocument")
        .ok_or_else(|| field("no `AssumeRolePolicyDocument`"))?;
    let trust_size = iam_characters(trust_document);
    if trust_size > MAX_TRUST_CHARACTERS {
        return Err(field(&format!(
            "the trust policy has {trust_size} characters (white space not counted), and IAM holds at most {MAX_TRUST_CHARACTERS} (2,048 by default, {MAX_TRUST_CHARACTERS} by quota increase): this is not a real export"
        )));
    }
    let trust = Policy::from_json(trust_document)
        .map_err(|error| field(&format!("trust policy: {error}")))?;
    let mut documents = Vec::new();
    for policy in array(role, "RolePolicyList").map_err(|e| field(&e))? {
        let policy_name = policy
            .get("PolicyName")
            .and_then(Value::as_str)
            .ok_or_else(|| field("an inline policy has no `PolicyName`"))?;
        let document = policy
            .get("PolicyDocument")
            .ok_or_else(|| field(&format!("inline policy `{policy_name}` has no document")))?;
        documents.push((policy_name, document, iam_characters(document)));
    }
    let inline_size: usize = documents.iter().map(|(_, _, size)| size).sum();
    if inline_size > MAX_INLINE_CHARACTERS {
        let which = match documents.as_slice() {
            [(policy_name, _, _)] => {
                format!("inline policy `{policy_name}` has {inline_size} characters")
            }
            _ => {
                let listed: Vec<String> = documents
                    .iter()
                    .map(|(policy_name, _, size)| format!("`{policy_name}` {size}"))
                    .collect();
                format!(
                    "inline policies {} have {inline_size} characters together",
                    listed.join(", ")
                )
            }
        };
        return Err(field(&format!(
            "{which} (white space not counted), and IAM holds at most {MAX_INLINE_CHARACTERS} in one role's inline policies together: this is not a real export"
        )));
    }
    let mut inline = BTreeMap::new();
    for (policy_name, document, _) in documents {
        let document = Policy::from_json(document)
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
    Ok(LiveRole {
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
    })
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
