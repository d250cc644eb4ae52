//! Model to IAM policy documents: the trust policy shared by both roles, and each role's inline
//! policy.
//!
//! Every statement has a `Sid` of letters and digits, and the documents are built from ordered
//! structures, so the same runner always gives the same bytes. A role that would get no
//! statement gets no document at all: IAM rejects an empty `Statement`.

use crate::aws::Partition;
use crate::model::{ECS_TASKS_SERVICE, Runner, SecretResource};
use serde::Serialize;
use std::collections::BTreeMap;

pub const POLICY_VERSION: &str = "2012-10-17";

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: String,
    pub effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    pub action: OneOrMany,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany>,
    /// Operator -> condition key -> values.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<&'static str, BTreeMap<&'static str, OneOrMany>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    pub service: String,
}

/// A value IAM takes as a string or a list: one item is written as a string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn from_vec(mut items: Vec<String>) -> Self {
        if items.len() == 1 {
            OneOrMany::One(items.remove(0))
        } else {
            OneOrMany::Many(items)
        }
    }

    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(item) => vec![item.as_str()],
            OneOrMany::Many(items) => items.iter().map(String::as_str).collect(),
        }
    }
}

impl PolicyDocument {
    fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: POLICY_VERSION,
            statement,
        }
    }

    /// Two-space indented JSON with a final newline: the bytes written to disk.
    pub fn to_pretty_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("policy documents serialise");
        text.push('\n');
        text
    }

    /// JSON without whitespace between tokens: what the scripts embed and what IAM measures.
    pub fn to_compact_json(&self) -> String {
        serde_json::to_string(self).expect("policy documents serialise")
    }

    /// A bound that the compact JSON's length never exceeds, cheap to compute: each statement's
    /// keys and punctuation, and every string at six times its length (JSON's longest escape,
    /// `\u0000`). When it is under a quota, the exact size need not be measured.
    pub fn size_bound(&self) -> usize {
        let string = |s: &str| 6 * s.len() + 3;
        let items = |value: &OneOrMany| value.items().iter().map(|s| string(s)).sum::<usize>() + 2;
        let statements: usize = self
            .statement
            .iter()
            .map(|statement| {
                let principal = statement
                    .principal
                    .as_ref()
                    .map_or(0, |p| string(&p.service) + 30);
                let resource = statement.resource.as_ref().map_or(0, items);
                let condition: usize = statement
                    .condition
                    .iter()
                    .map(|(operator, keys)| {
                        string(operator)
                            + 3
                            + keys
                                .iter()
                                .map(|(key, values)| string(key) + items(values) + 1)
                                .sum::<usize>()
                    })
                    .sum();
                100 + string(&statement.sid)
                    + principal
                    + items(&statement.action)
                    + resource
                    + condition
            })
            .sum();
        40 + statements
    }

    /// The size IAM counts against its quotas: characters, white space not counted. The
    /// compact JSON is counted as it is written, without building it.
    pub fn iam_size(&self) -> usize {
        let mut counter = NonSpaceCounter(0);
        serde_json::to_writer(&mut counter, self).expect("policy documents serialise");
        counter.0
    }
}

/// Counts the characters written to it that are not white space.
struct NonSpaceCounter(usize);

impl std::io::Write for NonSpaceCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // A UTF-8 continuation byte is part of a character already counted; JSON white space
        // is ASCII.
        self.0 += bytes
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80 && !b.is_ascii_whitespace())
            .count();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn allow(sid: &str, actions: &[&str], resources: Vec<String>) -> Statement {
    Statement {
        sid: sid.to_owned(),
        effect: "Allow",
        principal: None,
        action: OneOrMany::from_vec(actions.iter().map(|a| (*a).to_owned()).collect()),
        resource: Some(OneOrMany::from_vec(resources)),
        condition: BTreeMap::new(),
    }
}

/// Keeps the first of each item, in order.
fn unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = rustc_hash::FxHashSet::default();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

/// The trust policy of both roles: ECS tasks, under the confused-deputy conditions unless they
/// are off, and each extra service in a statement of its own without them.
pub fn trust_policy(runner: &Runner) -> PolicyDocument {
    let mut condition = BTreeMap::new();
    if runner.trust.confused_deputy_conditions {
        condition.insert(
            "StringEquals",
            BTreeMap::from([("aws:SourceAccount", OneOrMany::One(runner.account.clone()))]),
        );
        condition.insert(
            "ArnLike",
            BTreeMap::from([(
                "aws:SourceArn",
                OneOrMany::One(format!(
                    "arn:{}:ecs:{}:{}:*",
                    runner.partition, runner.region, runner.account
                )),
            )]),
        );
    }
    let mut statements = vec![Statement {
        sid: "EcsTasksAssumeRole".to_owned(),
        effect: "Allow",
        principal: Some(Principal {
            service: ECS_TASKS_SERVICE.to_owned(),
        }),
        action: OneOrMany::One("sts:AssumeRole".to_owned()),
        resource: None,
        condition,
    }];
    let mut sids = std::collections::HashSet::from(["EcsTasksAssumeRole".to_owned()]);
    for service in &runner.trust.extra_services {
        let mut sid = format!("{}AssumeRole", service_word(service));
        if sids.contains(&sid) {
            sid = format!("{sid}{}", sids.len() + 1);
        }
        sids.insert(sid.clone());
        statements.push(Statement {
            sid,
            effect: "Allow",
            principal: Some(Principal {
                service: service.clone(),
            }),
            action: OneOrMany::One("sts:AssumeRole".to_owned()),
            resource: None,
            condition: BTreeMap::new(),
        });
    }
    PolicyDocument::new(statements)
}

/// `ec2.amazonaws.com` -> `Ec2`, `states.amazonaws.com` -> `States`: the service's first label
/// in CamelCase, letters and digits only (a `Sid` allows nothing else).
fn service_word(service: &str) -> String {
    let label = service.split('.').next().unwrap_or(service);
    label
        .split('-')
        .map(|part| {
            let mut chars = part.chars().filter(char::is_ascii_alphanumeric);
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + &chars.collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn secret_resources<'a>(grants: impl Iterator<Item = &'a SecretResource> + Clone) -> Vec<String> {
    if grants.clone().any(|r| *r == SecretResource::Every) {
        return vec!["*".to_owned()];
    }
    unique(grants.filter_map(|r| match r {
        SecretResource::Arn(arn) => Some(arn.clone()),
        SecretResource::Every => None,
    }))
}

fn s3_arn(partition: Partition, resource: &str) -> String {
    format!("arn:{partition}:s3:::{resource}")
}

/// The task role's inline policy: the pipeline secrets, and the S3 destinations.
pub fn task_role_policy(runner: &Runner) -> Option<PolicyDocument> {
    let mut statements = Vec::new();
    let secrets = &runner.pipeline_secrets;
    if !secrets.is_empty() {
        statements.push(allow(
            "ReadPipelineSecrets",
            &["secretsmanager:GetSecretValue"],
            secret_resources(secrets.iter().map(|s| &s.resource)),
        ));
        // ListSecrets supports no resource-level permission: it takes "*" or never matches.
        statements.push(allow(
            "ListSecrets",
            &["secretsmanager:ListSecrets"],
            vec!["*".to_owned()],
        ));
        let keys = unique(secrets.iter().filter_map(|s| s.kms_key.clone()));
        if !keys.is_empty() {
            statements.push(allow("DecryptPipelineSecrets", &["kms:Decrypt"], keys));
        }
    }

    let partition = runner.partition;
    let buckets = unique(runner.destinations.iter().map(|d| d.bucket.clone()));
    // Each bucket's prefixes, in the order written.
    let mut prefixes_of: rustc_hash::FxHashMap<&str, Vec<Option<&str>>> =
        rustc_hash::FxHashMap::default();
    for destination in &runner.destinations {
        prefixes_of
            .entry(&destination.bucket)
            .or_default()
            .push(destination.prefix.as_deref());
    }
    for (index, bucket) in buckets.iter().enumerate() {
        let prefixes = &prefixes_of[bucket.as_str()];
        let mut statement = allow(
            &format!("ListDestinationBucket{}", index + 1),
            &["s3:ListBucket"],
            vec![s3_arn(partition, bucket)],
        );
        // A destination without a prefix streams to the whole bucket: listing is not limited.
        if prefixes.iter().all(Option::is_some) {
            let patterns = unique(
                prefixes
                    .iter()
                    .flatten()
                    .flat_map(|p| [(*p).to_owned(), format!("{p}*")]),
            );
            statement.condition.insert(
                "StringLike",
                BTreeMap::from([("s3:prefix", OneOrMany::from_vec(patterns))]),
            );
        }
        statements.push(statement);
    }
    if !buckets.is_empty() {
        // s3:prefix does not apply to GetBucketLocation, so it stands in a statement of its own.
        statements.push(allow(
            "LocateDestinationBuckets",
            &["s3:GetBucketLocation"],
            buckets.iter().map(|b| s3_arn(partition, b)).collect(),
        ));
        let objects = unique(runner.destinations.iter().map(|d| {
            s3_arn(
                partition,
                &format!("{}/{}*", d.bucket, d.prefix.as_deref().unwrap_or("")),
            )
        }));
        statements.push(allow(
            "ReadWriteDestinationObjects",
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            objects,
        ));
        let keys = unique(runner.destinations.iter().filter_map(|d| d.kms_key.clone()));
        if !keys.is_empty() {
            statements.push(allow(
                "EncryptDestinationObjects",
                &["kms:Decrypt", "kms:GenerateDataKey"],
                keys,
            ));
        }
    }
    (!statements.is_empty()).then(|| PolicyDocument::new(statements))
}

/// The execution role's inline policy: the agent secrets ECS injects when it starts the
/// container. Image pulls and logs come from the managed policy.
pub fn execution_role_policy(runner: &Runner) -> Option<PolicyDocument> {
    let secrets = &runner.agent_secrets;
    if secrets.is_empty() {
        return None;
    }
    let mut statements = vec![allow(
        "ReadAgentSecrets",
        &["secretsmanager:GetSecretValue"],
        secret_resources(secrets.iter().map(|s| &s.resource)),
    )];
    let keys = unique(secrets.iter().filter_map(|s| s.kms_key.clone()));
    if !keys.is_empty() {
        statements.push(allow("DecryptAgentSecrets", &["kms:Decrypt"], keys));
    }
    Some(PolicyDocument::new(statements))
}

/// The three documents of one runner.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDocuments {
    pub trust: PolicyDocument,
    pub task: Option<PolicyDocument>,
    pub execution: Option<PolicyDocument>,
}

pub fn documents(runner: &Runner) -> RoleDocuments {
    RoleDocuments {
        trust: trust_policy(runner),
        task: task_role_policy(runner),
        execution: execution_role_policy(runner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_words_are_sid_safe() {
        assert_eq!(service_word("ec2.amazonaws.com"), "Ec2");
        assert_eq!(service_word("ec2.amazonaws.com.cn"), "Ec2");
        assert_eq!(service_word("ecs-tasks.amazonaws.com"), "EcsTasks");
    }

    #[test]
    fn one_item_is_a_string() {
        let json = serde_json::to_string(&OneOrMany::from_vec(vec!["a".into()])).unwrap();
        assert_eq!(json, "\"a\"");
        let json =
            serde_json::to_string(&OneOrMany::from_vec(vec!["a".into(), "b".into()])).unwrap();
        assert_eq!(json, "[\"a\",\"b\"]");
    }
}
