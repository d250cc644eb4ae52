//! The live account: the output of `aws iam get-account-authorization-details --filter Role`,
//! read from a file or standard input (runnerc holds no credentials), as the roles runnerc asks
//! for. `drift` compares them with the specs and `import` turns them into one; both read the
//! export here, once, with one set of limits and one wording of what is wrong with it.

use crate::access::policy::Policy;
use serde::Deserialize;
use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
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
