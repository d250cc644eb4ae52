//! What a checked spec means: runners with every name resolved, every ARN built and every
//! default applied. Lowering reads only this; it never sees the syntax tree.

use crate::ast::RoleKind;
use crate::aws::Partition;
use crate::diag::Loc;

/// One streaming runner, ready to lower.
#[derive(Debug, Clone, PartialEq)]
pub struct Runner {
    pub name: String,
    /// Where the runner's name was written, for diagnostics about its documents.
    pub name_loc: Loc,
    pub account: String,
    pub region: String,
    /// The `account` and `region` lines.
    pub account_written: Loc,
    pub region_written: Loc,
    pub partition: Partition,
    /// Pipeline secrets, read through the task role, in the order written.
    pub pipeline_secrets: Vec<SecretGrant>,
    /// Agent-credential secrets, read through the execution role, in the order written.
    pub agent_secrets: Vec<SecretGrant>,
    pub destinations: Vec<S3Destination>,
    pub trust: Trust,
    pub task_role: Role,
    pub execution_role: Role,
    /// Tags put on both roles, in the order written.
    pub tags: Vec<Tag>,
}

/// Read access to one secret, and the customer managed key that decrypts it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretGrant {
    pub resource: SecretResource,
    pub kms_key: Option<String>,
    /// The `secret` statement that asked for it.
    pub written: Loc,
    /// The environment variables ECS sets from it (agent secrets only).
    pub env: Vec<EnvVar>,
}

/// `env NAME [key K] [version-stage S | version-id I]` on an agent secret: a variable ECS sets
/// from the secret at container start, through the execution role.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub key: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
    pub written: Loc,
}

impl EnvVar {
    /// A task definition's `valueFrom` for the secret `arn`: the ARN alone for the whole
    /// value, else `ARN:json-key:version-stage:version-id`, absent parts empty and every colon
    /// kept, as ECS reads it.
    pub fn value_from(&self, arn: &str) -> String {
        if self.key.is_none() && self.version_stage.is_none() && self.version_id.is_none() {
            return arn.to_owned();
        }
        let part = |p: &Option<String>| p.clone().unwrap_or_default();
        format!(
            "{arn}:{}:{}:{}",
            part(&self.key),
            part(&self.version_stage),
            part(&self.version_id)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretResource {
    /// `secret *`: every secret of the runner's account and region.
    Every,
    /// A secret ARN or ARN pattern, suffix included (`...:secret:prod/db-??????`).
    Arn(String),
}

/// An S3 bucket the runner streams to.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Destination {
    pub bucket: String,
    /// The folder, always ending in `/`; `None` for the whole bucket.
    pub prefix: Option<String>,
    /// The SSE-KMS key, when the bucket encrypts with a customer managed key.
    pub kms_key: Option<String>,
    /// The account that owns the bucket: the runner's, unless `owner` names another.
    pub owner: String,
    /// The `bucket` line of the `destination` block.
    pub written: Loc,
}

/// Who may assume the roles.
#[derive(Debug, Clone, PartialEq)]
pub struct Trust {
    /// The `aws:SourceAccount` / `aws:SourceArn` confused-deputy conditions on the ECS statement.
    pub confused_deputy_conditions: bool,
    /// Extra service principals, already written for the partition (`ec2.amazonaws.com.cn`).
    pub extra_services: Vec<String>,
    /// Where each of `extra_services` was written.
    pub extra_services_written: Vec<Loc>,
    /// Where `trust conditions off` was written, when it was.
    pub conditions_off_written: Option<Loc>,
}

/// One IAM role, with every default applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    /// Where the name was written, or the runner's name when it is derived from it.
    pub name_loc: Loc,
    pub path: String,
    pub description: Option<String>,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: Option<u32>,
    /// Managed policy ARNs to attach, in the order written.
    pub managed_policies: Vec<String>,
    /// Where each of `managed_policies` was written: its `managed-policy` line, or the runner's
    /// name for the default policy of an execution role that names none.
    pub managed_policies_written: Vec<Loc>,
    /// Where its other settings were written.
    pub lines: RoleLines,
    /// Who owns the role.
    pub ownership: Ownership,
    /// `image` (execution role): what the task pulls.
    pub image: Option<Image>,
    /// `logs` (execution role): the CloudWatch Logs group the task writes to.
    pub logs: Option<LogGroup>,
}

/// The lines of a role's settings, each `None` when the spec does not write it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RoleLines {
    pub path: Option<Loc>,
    pub description: Option<Loc>,
    pub permissions_boundary: Option<Loc>,
    pub max_session_duration: Option<Loc>,
}

/// The image an execution role pulls.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// As written: an ECR repository ARN, an ECR image URI, or a public image.
    pub reference: String,
    /// The ECR repository's ARN; `None` for a public registry, which needs no grant.
    pub repository: Option<String>,
    pub written: Loc,
}

/// The log group an execution role writes to.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroup {
    pub name: String,
    pub written: Loc,
}

/// Whether runnerc creates a role or adds to one that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// runnerc creates the role, tags it as the runner's, and may change or delete it.
    Created,
    /// `existing`: someone else's role. runnerc adds only its inline policy
    /// ([`Runner::inline_policy_name`]) and never changes anything else, nor deletes the role.
    /// `path_known` is false when the spec names the role without its ARN: then `path` is `/`,
    /// a stand-in, and IAM says where the role is.
    Existing { path_known: bool },
}

impl Role {
    pub fn is_existing(&self) -> bool {
        matches!(self.ownership, Ownership::Existing { .. })
    }
}

/// The name of the inline policy runnerc puts on a role it created.
pub const OWN_ROLE_POLICY_NAME: &str = "runnerc-policy";

#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub key: String,
    pub value: String,
    /// Its `tag` line; the runner's name for runnerc's ownership tag.
    pub written: Loc,
}

/// The tag runnerc puts on every role it creates, with the runner's name as its value. Apply
/// steps change or delete only roles that carry it with their own runner's name.
pub const OWNER_TAG_KEY: &str = "runnerc:runner";

/// Keys under `runnerc:`, where runnerc keeps its own tags (IAM compares keys ignoring case): a
/// spec may not write them.
pub fn is_runnerc_tag_key(key: &str) -> bool {
    key.get(..8)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("runnerc:"))
}

/// What the inline policy a runner puts on an existing role is named with, before its name.
pub const EXISTING_ROLE_POLICY_PREFIX: &str = "runnerc-";

/// `runnerc-<runner>`: the inline policy runner `runner` puts on an existing role.
pub fn existing_role_policy_name(runner: &str) -> String {
    format!("{EXISTING_ROLE_POLICY_PREFIX}{runner}")
}

impl Runner {
    /// The ARN of the role of `kind`. An `existing` role named without its ARN has the stand-in
    /// path `/` (where IAM puts a role when none is given).
    pub fn role_arn(&self, kind: RoleKind) -> String {
        let role = self.role(kind);
        format!(
            "arn:{}:iam::{}:role{}{}",
            self.partition, self.account, role.path, role.name
        )
    }

    /// The task role or the execution role.
    pub fn role(&self, kind: RoleKind) -> &Role {
        match kind {
            RoleKind::Task => &self.task_role,
            RoleKind::Execution => &self.execution_role,
        }
    }

    /// The name of runnerc's inline policy on a role of this runner: `runnerc-policy` on a role
    /// it created, `runnerc-<runner>` on an existing role, so several runners can share one.
    pub fn inline_policy_name(&self, role: &Role) -> String {
        match role.ownership {
            Ownership::Created => OWN_ROLE_POLICY_NAME.to_owned(),
            Ownership::Existing { .. } => self.existing_role_policy_name(),
        }
    }

    /// `runnerc-<runner>`: the inline policy this runner puts on an existing role.
    pub fn existing_role_policy_name(&self) -> String {
        existing_role_policy_name(&self.name)
    }

    /// The tags of a role this runner creates: the spec's, then runnerc's ownership tag.
    pub fn role_tags(&self) -> Vec<Tag> {
        let mut tags = self.tags.clone();
        tags.push(Tag {
            key: OWNER_TAG_KEY.to_owned(),
            value: self.name.clone(),
            written: self.name_loc,
        });
        tags
    }
}

/// What makes two roles one in IAM: the partition, the account and the name without regard to
/// case (`arn:aws:iam::A:role/x` and `arn:aws-cn:iam::A:role/x` are two roles).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleIdentity<'r> {
    pub partition: Partition,
    pub account: &'r str,
    /// The name in lower case.
    pub name: String,
}

impl Runner {
    /// Which role in IAM the runner's role of `kind` is.
    pub fn role_identity(&self, kind: RoleKind) -> RoleIdentity<'_> {
        RoleIdentity {
            partition: self.partition,
            account: &self.account,
            name: self.role(kind).name.to_ascii_lowercase(),
        }
    }
}

/// The runners, and which of their roles, that name one role.
pub type RoleUsers<'r> = Vec<(&'r Runner, RoleKind)>;

/// The roles of runners that name the same `existing` role ([`RoleIdentity`]), each group in
/// the order written: runnerc puts each one's inline policy on that one role.
pub fn shared_existing_roles(runners: &[Runner]) -> Vec<RoleUsers<'_>> {
    let mut groups: Vec<(RoleIdentity<'_>, RoleUsers<'_>)> = Vec::new();
    for runner in runners {
        for kind in RoleKind::ALL {
            let role = runner.role(kind);
            if !role.is_existing() {
                continue;
            }
            let key = runner.role_identity(kind);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, users)) => users.push((runner, kind)),
                None => groups.push((key, vec![(runner, kind)])),
            }
        }
    }
    groups.into_iter().map(|(_, users)| users).collect()
}

/// The service principal of ECS tasks, the same in every partition.
pub const ECS_TASKS_SERVICE: &str = "ecs-tasks.amazonaws.com";

/// The ARN of the AWS managed policy of ECS task execution roles after its partition.
const DEFAULT_EXECUTION_POLICY_IN_PARTITION: &str =
    "iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// The AWS managed policy of ECS task execution roles, in a partition.
pub fn default_execution_policy(partition: Partition) -> String {
    format!("arn:{partition}:{DEFAULT_EXECUTION_POLICY_IN_PARTITION}")
}

/// Whether `arn` is `AmazonECSTaskExecutionRolePolicy`, in any partition.
pub fn is_default_execution_policy(arn: &str) -> bool {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, rest)| rest == DEFAULT_EXECUTION_POLICY_IN_PARTITION)
}
