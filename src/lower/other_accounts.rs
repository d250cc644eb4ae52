//! The other account's side of cross-account grants. A bucket whose `owner` is another
//! account, or a KMS key or secret of another account, is used only when that account's
//! resource policy lets the runner's role in too (S3: the bucket owner's bucket policy;
//! Secrets Manager: "access must be allowed both in a resource policy and in an identity
//! policy", with a customer managed key whose key policy lets the identity in, "Access AWS
//! Secrets Manager secrets from a different account"). For each such resource `build` writes
//! the statements to merge into that policy: the role's own statements on the resource, by
//! role ARN, nothing more.

use super::iam::{OneOrMany, Statement};
use crate::ast::RoleKind;
use crate::model::Runner;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One policy to merge: its file name and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    pub file: String,
    pub contents: String,
}

/// What a resource of another account is, and its file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Foreign {
    Bucket(String),
    Key(String),
    Secret(String),
}

impl Foreign {
    /// The file `build` writes for it.
    pub fn file(&self) -> String {
        let safe = |text: &str| -> String {
            text.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect()
        };
        match self {
            Foreign::Bucket(bucket) => format!("bucket-policy-{}.json", safe(bucket)),
            Foreign::Key(id) => format!("key-policy-{}.json", safe(id)),
            Foreign::Secret(name) => format!("secret-policy-{}.json", safe(name)),
        }
    }

    /// What the other account's policy is called: `bucket policy`, `key policy`, `secret policy`.
    pub fn policy_words(&self) -> &'static str {
        match self {
            Foreign::Bucket(_) => "bucket policy",
            Foreign::Key(_) => "key policy",
            Foreign::Secret(_) => "secret policy",
        }
    }
}

/// The other account's resource a resource of a statement names, if it is another account's.
pub fn foreign(runner: &Runner, resource: &str) -> Option<Foreign> {
    foreign_with_owner(runner, resource).map(|(what, _)| what)
}

/// [`foreign`], with the account that owns the resource (a bucket's `owner`, else the ARN's).
pub fn foreign_with_owner<'r>(runner: &'r Runner, resource: &'r str) -> Option<(Foreign, &'r str)> {
    let crate::aws::Arn {
        service,
        account,
        resource: rest,
        ..
    } = crate::aws::Arn::parse(resource)?;
    match service {
        "s3" => {
            let bucket = rest.split('/').next()?;
            let owner = &runner
                .destinations
                .iter()
                .find(|d| d.bucket == bucket)?
                .owner;
            (owner != &runner.account).then(|| (Foreign::Bucket(bucket.to_owned()), owner.as_str()))
        }
        "kms" if account != runner.account => {
            Some((Foreign::Key(rest.strip_prefix("key/")?.to_owned()), account))
        }
        "secretsmanager" if account != runner.account => {
            let name = rest.strip_prefix("secret:")?;
            let name = name.strip_suffix("-??????").unwrap_or(name);
            Some((Foreign::Secret(name.to_owned()), account))
        }
        _ => None,
    }
}

/// A statement for the other account's policy: the role's statement on that resource, with
/// the role as principal. A bucket policy keeps the resources; a key or secret policy names
/// its resource as `*` (the key or secret it is attached to). `s3:ResourceAccount`, which
/// guards the role's own policy against a bucket of the wrong account, says nothing in the
/// owner's policy and is left out.
fn statement_for(
    what: &Foreign,
    kind: RoleKind,
    principal: &str,
    statement: &Statement,
    resources: &[&str],
) -> Value {
    let mut object = Map::new();
    let role_word = match kind {
        RoleKind::Task => "TaskRole",
        RoleKind::Execution => "ExecutionRole",
    };
    object.insert("Sid".into(), json!(format!("{role_word}{}", statement.sid)));
    object.insert("Effect".into(), json!("Allow"));
    object.insert("Principal".into(), json!({"AWS": principal}));
    object.insert(
        "Action".into(),
        serde_json::to_value(&statement.action).expect("actions serialize"),
    );
    let resource = match what {
        Foreign::Bucket(_) => serde_json::to_value(OneOrMany::from_vec(
            resources.iter().map(|r| (*r).to_owned()).collect(),
        ))
        .expect("resources serialize"),
        Foreign::Key(_) | Foreign::Secret(_) => json!("*"),
    };
    object.insert("Resource".into(), resource);
    let mut condition = Map::new();
    for (operator, keys) in &statement.condition {
        let kept: Map<String, Value> = keys
            .iter()
            .filter(|(key, _)| !key.eq_ignore_ascii_case("s3:ResourceAccount"))
            .map(|(key, values)| {
                (
                    (*key).to_owned(),
                    serde_json::to_value(values).expect("values serialize"),
                )
            })
            .collect();
        if !kept.is_empty() {
            condition.insert((*operator).to_owned(), Value::Object(kept));
        }
    }
    if !condition.is_empty() {
        object.insert("Condition".into(), Value::Object(condition));
    }
    Value::Object(object)
}

/// The policies other accounts must hold for the runner, one per foreign resource, in the
/// order of the resources (buckets, keys, secrets, each by name).
pub fn resource_policies(
    runner: &Runner,
    documents: &super::iam::RoleDocuments,
) -> Vec<ResourcePolicy> {
    let mut grouped: BTreeMap<Foreign, Vec<Value>> = BTreeMap::new();
    for kind in RoleKind::ALL {
        let Some(document) = documents.policy(kind) else {
            continue;
        };
        let principal = runner.role_arn(kind);
        for statement in &document.statement {
            let Some(resources) = &statement.resource else {
                continue;
            };
            let mut targets: BTreeMap<Foreign, Vec<&str>> = BTreeMap::new();
            for resource in resources.items() {
                if let Some(what) = foreign(runner, resource) {
                    targets.entry(what).or_default().push(resource);
                }
            }
            for (what, resources) in targets {
                let value = statement_for(&what, kind, &principal, statement, &resources);
                grouped.entry(what).or_default().push(value);
            }
        }
    }
    grouped
        .into_iter()
        .map(|(what, statements)| {
            let document = json!({"Version": super::iam::POLICY_VERSION, "Statement": statements});
            let mut contents =
                serde_json::to_string_pretty(&document).expect("a policy serializes");
            contents.push('\n');
            ResourcePolicy {
                file: what.file(),
                contents,
            }
        })
        .collect()
}
