//! What was written in a `.runner` file, statement by statement, with the byte span of every
//! node.
//!
//! A successful parse is not yet a valid spec: nothing here has been checked beyond its syntax
//! (an account may have eleven digits, a bucket may be `My_Bucket`). The checker turns this tree
//! into the resolved model or explains why it cannot. Spans are left out of equality, so two trees
//! compare by meaning.

use std::fmt;

/// A byte range in one source file, as pest reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(span: pest::Span<'_>) -> Self {
        Span::new(span.start(), span.end())
    }
}

/// A node and where it was written. Equality looks at the node only.
#[derive(Clone)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

/// A string value, already unescaped; its span covers the literal with its quotes.
pub type Str = Spanned<String>;

/// One `.runner` file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecFile {
    pub runners: Vec<RunnerDecl>,
}

/// `runner "NAME" { ... }`: the statements in the order they were written.
#[derive(Debug, Clone)]
pub struct RunnerDecl {
    pub name: Str,
    pub statements: Vec<Spanned<Statement>>,
    /// From `runner` to the closing `}`.
    pub span: Span,
}

impl PartialEq for RunnerDecl {
    /// Like every node, compared by meaning: the span is left out.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.statements == other.statements
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Account(Str),
    Region(Str),
    Secret(SecretDecl),
    Destination(Vec<Spanned<DestinationField>>),
    TrustService(Str),
    /// `trust conditions on|off`
    TrustConditions(Spanned<bool>),
    Role(RoleDecl),
    /// `task role existing "NAME-OR-ARN"`: a role someone else owns.
    ExistingRole {
        kind: RoleKind,
        role: Str,
    },
    Tag {
        key: Str,
        value: Str,
    },
}

/// Who reads a secret: the agent at run time, or ECS when it starts the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretReader {
    /// `secret`: a pipeline secret, read through the task role.
    Pipeline,
    /// `agent secret`: the agent's own credentials, read through the execution role.
    Agent,
}

/// `[agent] secret TARGET [kms "KEY"]`
#[derive(Debug, Clone, PartialEq)]
pub struct SecretDecl {
    pub reader: SecretReader,
    pub target: Spanned<SecretTarget>,
    pub kms: Option<Str>,
    /// `{ env ... }`, when written: the block's span and its lines.
    pub env: Option<Spanned<Vec<Spanned<EnvDecl>>>>,
}

/// `env "NAME" [key "JSON-KEY"] [version-stage "STAGE"] [version-id "ID"]`: an environment
/// variable ECS sets from the secret when the container starts.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvDecl {
    pub name: Str,
    /// In the order written (the checker refuses repeats and `version-stage` with `version-id`).
    pub options: Vec<Spanned<EnvOption>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EnvOption {
    Key(Str),
    VersionStage(Str),
    VersionId(Str),
}

impl EnvOption {
    /// The keyword as written.
    pub fn keyword(&self) -> &'static str {
        match self {
            EnvOption::Key(_) => "key",
            EnvOption::VersionStage(_) => "version-stage",
            EnvOption::VersionId(_) => "version-id",
        }
    }

    pub fn value(&self) -> &Str {
        match self {
            EnvOption::Key(v) | EnvOption::VersionStage(v) | EnvOption::VersionId(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretTarget {
    /// `*`
    Every,
    /// A quoted secret name or ARN, as written.
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DestinationField {
    Bucket(Str),
    Prefix(Str),
    Kms(Str),
    /// `owner "ACCOUNT"`: the bucket owner's account.
    Owner(Str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKind {
    Task,
    Execution,
}

impl RoleKind {
    pub const ALL: [RoleKind; 2] = [RoleKind::Task, RoleKind::Execution];

    /// `task` or `execution`: the kind in names (`task-role-policy.json`, `aws_iam_role.task`).
    pub fn word(self) -> &'static str {
        match self {
            RoleKind::Task => "task",
            RoleKind::Execution => "execution",
        }
    }

    /// The words a user writes: `task role`, `execution role`.
    pub fn keyword(self) -> &'static str {
        match self {
            RoleKind::Task => "task role",
            RoleKind::Execution => "execution role",
        }
    }
}

/// `task role { ... }` or `execution role { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDecl {
    pub kind: RoleKind,
    pub fields: Vec<Spanned<RoleField>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RoleField {
    Name(Str),
    Path(Str),
    Description(Str),
    PermissionsBoundary(Str),
    /// The digits as written; the checker turns them into a number and range-checks them.
    MaxSessionDuration(Str),
    ManagedPolicy(Spanned<ManagedPolicy>),
    /// `image "..."`: the image the task pulls (execution role).
    Image(Str),
    /// `logs "..."`: the CloudWatch Logs group the task writes to (execution role).
    Logs(Str),
}

impl RoleField {
    /// The keyword as written.
    pub fn keyword(&self) -> &'static str {
        match self {
            RoleField::Name(_) => "name",
            RoleField::Path(_) => "path",
            RoleField::Description(_) => "description",
            RoleField::PermissionsBoundary(_) => "permissions-boundary",
            RoleField::MaxSessionDuration(_) => "max-session-duration",
            RoleField::ManagedPolicy(_) => "managed-policy",
            RoleField::Image(_) => "image",
            RoleField::Logs(_) => "logs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ManagedPolicy {
    /// `managed-policy none`: attach nothing.
    None,
    /// `managed-policy default`: the partition's `AmazonECSTaskExecutionRolePolicy`.
    Default,
    /// `managed-policy "ARN"`
    Arn(String),
}
