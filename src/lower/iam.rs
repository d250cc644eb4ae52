//! Model to IAM policy documents: each role's trust policy and inline policy.
//!
//! Every statement has a `Sid` of letters and digits, and the documents are built from ordered
//! structures, so the same runner always gives the same bytes. A role that would get no
//! statement gets no document at all: IAM rejects an empty `Statement`.

use crate::ast::RoleKind;
use crate::aws::{Arn, Partition};
use crate::diag::Loc;
use crate::model::{ECS_TASKS_SERVICE, Runner, S3Destination, SecretGrant, SecretResource};
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
    /// Which spec statement put each resource here (not part of the document).
    #[serde(skip)]
    pub origins: Vec<Origin>,
}

/// A resource of a statement and the spec statement it comes from: a `secret` line, a
/// `destination` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub resource: String,
    pub written: Loc,
    /// The part of the statement's condition this spec statement contributed, when several
    /// spec statements share one statement and its condition: a destination's folder in the
    /// `s3:prefix` condition of its bucket's `s3:ListBucket`. `None` when the spec statement
    /// grants the resource under any condition the statement holds.
    pub when: Option<OriginCondition>,
}

/// A `StringLike` condition: the key and the patterns one spec statement put in it.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginCondition {
    pub key: &'static str,
    pub like: Vec<String>,
}

impl Statement {
    fn written_at(mut self, origins: impl IntoIterator<Item = (String, Loc)>) -> Self {
        self.origins
            .extend(origins.into_iter().map(|(resource, written)| Origin {
                resource,
                written,
                when: None,
            }));
        self
    }
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
        origins: Vec::new(),
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

fn assume_role(sid: String, service: &str, condition: Conditions) -> Statement {
    Statement {
        sid,
        effect: "Allow",
        principal: Some(Principal {
            service: service.to_owned(),
        }),
        action: OneOrMany::One("sts:AssumeRole".to_owned()),
        resource: None,
        condition,
        origins: Vec::new(),
    }
}

type Conditions = BTreeMap<&'static str, BTreeMap<&'static str, OneOrMany>>;

/// The statement that lets ECS tasks assume a role of `kind`, under the confused-deputy
/// conditions unless they are off: `aws:SourceAccount` and `aws:SourceArn` on the task role,
/// both documented by AWS for task roles; `aws:SourceAccount` alone on the execution role, for
/// which AWS documents no condition key (a condition on a key ECS does not supply would stop
/// every task from starting). It is also the statement an `existing` role must hold.
pub fn ecs_trust_statement(runner: &Runner, kind: RoleKind) -> Statement {
    let mut condition = Conditions::new();
    if runner.trust.confused_deputy_conditions {
        condition.insert(
            "StringEquals",
            BTreeMap::from([("aws:SourceAccount", OneOrMany::One(runner.account.clone()))]),
        );
        if kind == RoleKind::Task {
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
    }
    assume_role(
        "EcsTasksAssumeRole".to_owned(),
        ECS_TASKS_SERVICE,
        condition,
    )
}

/// The trust policy of a role runnerc creates: the ECS statement and, on the task role only,
/// each extra service in a statement of its own, without the ECS-only conditions.
pub fn trust_policy(runner: &Runner, kind: RoleKind) -> PolicyDocument {
    let mut statements = vec![ecs_trust_statement(runner, kind)];
    if kind == RoleKind::Task {
        let mut sids = std::collections::HashSet::from(["EcsTasksAssumeRole".to_owned()]);
        for service in &runner.trust.extra_services {
            let mut sid = format!("{}AssumeRole", service_word(service));
            if sids.contains(&sid) {
                sid = format!("{sid}{}", sids.len() + 1);
            }
            sids.insert(sid.clone());
            statements.push(assume_role(sid, service, Conditions::new()));
        }
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

/// The ARN a secret grant names; `secret *` is every secret of the runner's account and
/// region, never `"*"`, which would reach other regions and, through resource policies, other
/// accounts.
pub fn secret_arn(runner: &Runner, resource: &SecretResource) -> String {
    match resource {
        SecretResource::Arn(arn) => arn.clone(),
        SecretResource::Every => format!(
            "arn:{}:secretsmanager:{}:{}:secret:*",
            runner.partition, runner.region, runner.account
        ),
    }
}

/// Whether a secret grant of `runner` reaches the secret `arn`: `secret *` every secret of the
/// runner's partition, account and region, as the grant it lowers to. `verify` and
/// `explain --stopped-reason` both ask this.
pub fn secret_grant_reaches(runner: &Runner, resource: &SecretResource, arn: &str) -> bool {
    crate::access::wildcard::matches(&secret_arn(runner, resource), arn, false)
}

/// The region a secret is in: its ARN's, or the runner's for `secret *` and names.
pub fn secret_region(runner: &Runner, resource: &SecretResource) -> String {
    let arn = secret_arn(runner, resource);
    Arn::parse(&arn).map_or_else(|| runner.region.clone(), |arn| arn.region.to_owned())
}

/// Secret reads and, for the secrets under a customer managed key, `kms:Decrypt` through
/// Secrets Manager only (`kms:ViaService`), a statement per region the secrets are in.
fn secret_statements(
    runner: &Runner,
    grants: &[SecretGrant],
    read_sid: &str,
    decrypt_sid: &str,
) -> Vec<Statement> {
    let mut statements = vec![
        allow(
            read_sid,
            &["secretsmanager:GetSecretValue"],
            unique(grants.iter().map(|g| secret_arn(runner, &g.resource))),
        )
        .written_at(
            grants
                .iter()
                .map(|g| (secret_arn(runner, &g.resource), g.written)),
        ),
    ];
    let keyed: Vec<&SecretGrant> = grants.iter().filter(|g| g.kms_key.is_some()).collect();
    let region_of = |g: &SecretGrant| secret_region(runner, &g.resource);
    // One statement per region of the secrets, so a key is usable only through Secrets Manager
    // in the region of the secrets it decrypts.
    let regions = unique(keyed.iter().map(|g| region_of(g)));
    for (index, region) in regions.iter().enumerate() {
        let of_region: Vec<&SecretGrant> = keyed
            .iter()
            .copied()
            .filter(|g| &region_of(g) == region)
            .collect();
        let sid = if regions.len() == 1 {
            decrypt_sid.to_owned()
        } else {
            format!("{decrypt_sid}{}", index + 1)
        };
        let mut statement = allow(
            &sid,
            &["kms:Decrypt"],
            unique(of_region.iter().filter_map(|g| g.kms_key.clone())),
        )
        .written_at(
            of_region
                .iter()
                .filter_map(|g| Some((g.kms_key.clone()?, g.written))),
        );
        statement.condition.insert(
            "StringEquals",
            BTreeMap::from([(
                "kms:ViaService",
                OneOrMany::One(via_service("secretsmanager", region)),
            )]),
        );
        statements.push(statement);
    }
    statements
}

/// The `kms:ViaService` value of a service in a region. AWS KMS documents the `.amazonaws.com`
/// suffix in every partition, China included ("Use the .amazonaws.com suffix of the AWS KMS
/// ViaService name in all AWS partitions", docs.aws.amazon.com/kms/latest/developerguide/
/// conditions-kms.html#conditions-kms-via-service), although China's endpoints end in `.cn`.
pub fn via_service(service: &str, region: &str) -> String {
    format!("{service}.{region}.amazonaws.com")
}

/// The condition that a bucket belongs to `owner`: bucket ARNs name no account, so without it
/// a grant reaches a bucket of the same name in any account. `s3:ResourceAccount` applies to
/// every S3 action runnerc grants (Service Authorization Reference for Amazon S3).
fn owned_by(owner: &str) -> (&'static str, OneOrMany) {
    ("s3:ResourceAccount", OneOrMany::One(owner.to_owned()))
}

fn s3_arn(partition: Partition, resource: &str) -> String {
    format!("arn:{partition}:s3:::{resource}")
}

/// The task role's inline policy: the pipeline secrets, and the S3 destinations.
pub fn task_role_policy(runner: &Runner) -> Option<PolicyDocument> {
    let mut statements = Vec::new();
    let secrets = &runner.pipeline_secrets;
    if !secrets.is_empty() {
        let mut read = secret_statements(
            runner,
            secrets,
            "ReadPipelineSecrets",
            "DecryptPipelineSecrets",
        );
        // ListSecrets supports no resource-level permission: it takes "*" or never matches.
        read.insert(
            1,
            allow(
                "ListSecrets",
                &["secretsmanager:ListSecrets"],
                vec!["*".to_owned()],
            )
            .written_at(secrets.iter().map(|g| ("*".to_owned(), g.written))),
        );
        statements.append(&mut read);
    }
    statements.append(&mut destination_statements(runner));
    (!statements.is_empty()).then(|| PolicyDocument::new(statements))
}

/// The S3 statements of the task role. Every one carries the bucket owner's account
/// (`s3:ResourceAccount`), so buckets are grouped by owner; a runner whose buckets share one
/// owner gets one statement of each kind.
fn destination_statements(runner: &Runner) -> Vec<Statement> {
    let partition = runner.partition;
    let destinations = &runner.destinations;
    let mut statements = Vec::new();
    if destinations.is_empty() {
        return statements;
    }
    let buckets = unique(destinations.iter().map(|d| d.bucket.clone()));
    for (index, bucket) in buckets.iter().enumerate() {
        let of_bucket: Vec<&S3Destination> = destinations
            .iter()
            .filter(|d| &d.bucket == bucket)
            .collect();
        let mut statement = allow(
            &format!("ListDestinationBucket{}", index + 1),
            &["s3:ListBucket"],
            vec![s3_arn(partition, bucket)],
        );
        // Each destination lists its own folder, or the whole bucket without a prefix.
        let listed = |prefix: &str| vec![prefix.to_owned(), format!("{prefix}*")];
        statement.origins = of_bucket
            .iter()
            .map(|d| Origin {
                resource: s3_arn(partition, bucket),
                written: d.written,
                when: d.prefix.as_deref().map(|prefix| OriginCondition {
                    key: "s3:prefix",
                    like: listed(prefix),
                }),
            })
            .collect();
        // A destination without a prefix streams to the whole bucket: listing is not limited.
        if of_bucket.iter().all(|d| d.prefix.is_some()) {
            let patterns = unique(
                of_bucket
                    .iter()
                    .filter_map(|d| d.prefix.as_deref())
                    .flat_map(listed),
            );
            statement.condition.insert(
                "StringLike",
                BTreeMap::from([("s3:prefix", OneOrMany::from_vec(patterns))]),
            );
        }
        statement.condition.insert(
            "StringEquals",
            BTreeMap::from([owned_by(&of_bucket[0].owner)]),
        );
        statements.push(statement);
    }
    let owners = unique(destinations.iter().map(|d| d.owner.clone()));
    let numbered = |sid: &str, index: usize| {
        if owners.len() == 1 {
            sid.to_owned()
        } else {
            format!("{sid}{}", index + 1)
        }
    };
    // One statement of each kind per owner; s3:prefix does not apply to GetBucketLocation, so
    // it stands in statements of its own.
    type Kind = (
        &'static str,
        &'static [&'static str],
        fn(&S3Destination) -> String,
    );
    let kinds: [Kind; 2] = [
        ("LocateDestinationBuckets", &["s3:GetBucketLocation"], |d| {
            d.bucket.clone()
        }),
        (
            "ReadWriteDestinationObjects",
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            |d| format!("{}/{}*", d.bucket, d.prefix.as_deref().unwrap_or("")),
        ),
    ];
    for (sid, actions, resource) in kinds {
        for (index, owner) in owners.iter().enumerate() {
            let of_owner: Vec<&S3Destination> =
                destinations.iter().filter(|d| &d.owner == owner).collect();
            let mut statement = allow(
                &numbered(sid, index),
                actions,
                unique(of_owner.iter().map(|d| s3_arn(partition, &resource(d)))),
            )
            .written_at(
                of_owner
                    .iter()
                    .map(|d| (s3_arn(partition, &resource(d)), d.written)),
            );
            statement
                .condition
                .insert("StringEquals", BTreeMap::from([owned_by(owner)]));
            statements.push(statement);
        }
    }
    let keys = unique(destinations.iter().filter_map(|d| d.kms_key.clone()));
    if !keys.is_empty() {
        // Through S3 only. No encryption-context condition: S3 Bucket Keys make the context
        // the bucket's ARN, so an object-ARN context would break such buckets.
        let mut statement = allow(
            "EncryptDestinationObjects",
            &["kms:Decrypt", "kms:GenerateDataKey"],
            keys,
        )
        .written_at(
            destinations
                .iter()
                .filter_map(|d| Some((d.kms_key.clone()?, d.written))),
        );
        statement.condition.insert(
            "StringEquals",
            BTreeMap::from([(
                "kms:ViaService",
                OneOrMany::One(via_service("s3", &runner.region)),
            )]),
        );
        statements.push(statement);
    }
    statements
}

/// The execution role's inline policy: the agent secrets ECS injects when it starts the
/// container; and, for a role that names them in place of the default policy, the image it
/// pulls and the log group it writes to.
pub fn execution_role_policy(runner: &Runner) -> Option<PolicyDocument> {
    let role = &runner.execution_role;
    let mut statements = Vec::new();
    if !runner.agent_secrets.is_empty() {
        statements.extend(secret_statements(
            runner,
            &runner.agent_secrets,
            "ReadAgentSecrets",
            "DecryptAgentSecrets",
        ));
    }
    if let Some(image) = &role.image
        && let Some(repository) = &image.repository
    {
        // GetAuthorizationToken takes no resource but `*` (the ECR service authorization
        // reference); the pulls name the repository.
        statements.push(
            allow(
                "PullAgentImageToken",
                &["ecr:GetAuthorizationToken"],
                vec!["*".to_owned()],
            )
            .written_at([("*".to_owned(), image.written)]),
        );
        statements.push(
            allow(
                "PullAgentImage",
                &[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ],
                vec![repository.clone()],
            )
            .written_at([(repository.clone(), image.written)]),
        );
    }
    if let Some(logs) = &role.logs {
        let group = format!(
            "arn:{}:logs:{}:{}:log-group:{}:*",
            runner.partition, runner.region, runner.account, logs.name
        );
        statements.push(
            allow(
                "WriteAgentLogs",
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                vec![group.clone()],
            )
            .written_at([(group, logs.written)]),
        );
    }
    (!statements.is_empty()).then(|| PolicyDocument::new(statements))
}

/// The documents of one runner: each role's trust policy (none for an `existing` role, whose
/// trust policy is its owner's) and inline policy (none when it would have no statement).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDocuments {
    pub task_trust: Option<PolicyDocument>,
    pub execution_trust: Option<PolicyDocument>,
    pub task: Option<PolicyDocument>,
    pub execution: Option<PolicyDocument>,
}

impl RoleDocuments {
    /// The trust policy of the role of `kind`, when runnerc creates it.
    pub fn trust(&self, kind: RoleKind) -> Option<&PolicyDocument> {
        match kind {
            RoleKind::Task => self.task_trust.as_ref(),
            RoleKind::Execution => self.execution_trust.as_ref(),
        }
    }

    /// The inline policy of the role of `kind`, when it has one.
    pub fn policy(&self, kind: RoleKind) -> Option<&PolicyDocument> {
        match kind {
            RoleKind::Task => self.task.as_ref(),
            RoleKind::Execution => self.execution.as_ref(),
        }
    }
}

pub fn documents(runner: &Runner) -> RoleDocuments {
    let trust = |kind| (!runner.role(kind).is_existing()).then(|| trust_policy(runner, kind));
    RoleDocuments {
        task_trust: trust(RoleKind::Task),
        execution_trust: trust(RoleKind::Execution),
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
