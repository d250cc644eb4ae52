//! Diagnostics as data, and the one place that turns them into text.
//!
//! Every stage reports problems as [`Diagnostic`] values: a stable [`Code`], a one-sentence
//! message, the span it is about, secondary labels and an optional help line. Nothing else in the
//! compiler prints. [`render_human`] draws them with ariadne for people; [`render_json`] writes the
//! contract's JSON array for machines.

use crate::ast::Span;
use ariadne::{Color, Config, IndexType, Label as AriadneLabel, Report, ReportKind};
use serde::Serialize;
use std::io::Write as _;

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// One input file: the name it is reported under and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Byte offsets where lines start, computed the first time a position is asked for.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The text of the line holding a byte offset.
    pub fn line_of(&self, offset: usize) -> &str {
        let starts = self.line_starts();
        let index = starts
            .partition_point(|start| *start <= offset)
            .saturating_sub(1);
        let start = starts[index];
        let end = starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        &self.text[start..end.max(start)]
    }
}

/// Every input file of one invocation.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Sources::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        });
        self.files.len() - 1
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, file: FileId, offset: usize) -> (usize, usize) {
        let source = self.get(file);
        let text = &source.text;
        let offset = clamp_to_char_boundary(text, offset);
        let starts = source.line_starts();
        let line = starts.partition_point(|start| *start <= offset);
        let line_start = starts[line - 1];
        let column = text[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A place in the input: a file and a byte span in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

impl Loc {
    pub fn new(file: FileId, span: Span) -> Self {
        Loc { file, span }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $summary:literal;)*) => {
        /// Every diagnostic the compiler can report. The code strings are stable: they are
        /// documented, matched by CI pipelines and never reused for another meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// The code's name in PascalCase (SARIF's rule name).
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => stringify!($variant),)*
                }
            }

            /// One line that says what the code is about.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    Syntax = "E001", Error, "the text is not valid `.runner` syntax";
    InvalidEscape = "E002", Error, "a string holds an escape other than `\\\"` or `\\\\`";
    NotUtf8 = "E003", Error, "a file is not UTF-8 text";
    InvalidRunnerName = "E010", Error, "a runner name uses characters outside `[A-Za-z0-9+=,.@_-]`, or is empty, `.` or `..`";
    DuplicateRunner = "E011", Error, "two runners share a name across the files of one invocation (compared without regard to case, as IAM does)";
    MissingStatement = "E012", Error, "a required statement (`account`, `region`, `bucket`) is missing";
    DuplicateStatement = "E013", Error, "a statement that may appear once is repeated";
    InvalidAccount = "E020", Error, "an account ID is not exactly 12 digits";
    InvalidRegion = "E021", Error, "a region is not of the form `xx-name-N`";
    UnknownRegion = "W022", Warning, "a well-formed region that runnerc does not know";
    UnsupportedPartition = "E023", Error, "a region of an isolated or sovereign partition runnerc cannot derive ARNs for";
    PartitionMismatch = "E024", Error, "an ARN names another partition than the runner's region";
    RegionOutsidePartition = "E025", Error, "an ARN's region is not a region of the ARN's partition";
    OtherRegionOrAccount = "W026", Warning, "an ARN names another region or account than the runner's";
    InvalidSecretName = "E030", Error, "a secret name is empty, too long, or uses characters Secrets Manager refuses";
    InvalidSecretArn = "E031", Error, "a secret ARN is not a Secrets Manager secret ARN";
    SecretArnWithSelector = "E032", Error, "a secret ARN carries the `:json-key:version-stage:version-id` selector of a task definition";
    SecretNameLooksSuffixed = "W033", Warning, "a secret name, or an ARN's, ends with `-` and six characters that read as Secrets Manager's random suffix";
    EverySecret = "W034", Warning, "`secret *` or `agent secret *` grants every secret of the account and region";
    DuplicateSecret = "E035", Error, "the same secret is listed twice for one role";
    SecretWildcard = "W036", Warning, "a secret ARN holds `*` or `?` wildcards, so it may match more than one secret";
    InvalidKmsKey = "E040", Error, "a KMS key is not a key ARN (its ID a UUID or `mrk-` and 32 hex digits)";
    KmsAlias = "E041", Error, "a KMS key is given as an alias ARN";
    InvalidBucket = "E051", Error, "a bucket name breaks the S3 bucket-naming rules";
    BucketWithFolder = "E052", Error, "a bucket is written as `bucket/folder`";
    InvalidPrefix = "E053", Error, "a prefix is empty, starts with `/` or holds characters IAM would read as a pattern";
    DuplicateDestination = "E054", Error, "the same bucket and prefix appear in two destinations";
    BucketOwnerConflict = "E055", Error, "one bucket is given two different owners";
    WholeBucket = "W056", Warning, "a destination has no `prefix`, so the task role reads, writes and deletes every object of the bucket";
    InvalidTrustService = "E060", Error, "a trusted service is not a service principal of the runner's partition";
    RedundantTrustService = "W061", Warning, "`trust service` names `ecs-tasks.amazonaws.com`, which is always trusted";
    DuplicateTrustService = "E062", Error, "the same service is trusted twice";
    TrustConditionsOff = "W063", Warning, "`trust conditions off` lets ECS assume the roles for a task of any account";
    UnconditionedTrustService = "W064", Warning, "an extra `trust service` may assume the task role acting for any account: its statement has no conditions";
    InvalidRoleName = "E070", Error, "a role name (written or derived from the runner name) breaks IAM's rules";
    InvalidRolePath = "E071", Error, "a role path is not `/` or `/.../` of printable ASCII, up to 512 characters";
    InvalidDescription = "E072", Error, "a role description is longer than 1000 characters or holds characters IAM refuses";
    InvalidSessionDuration = "E073", Error, "`max-session-duration` is outside 3600 to 43200 seconds";
    InvalidPermissionsBoundary = "E074", Error, "a permissions boundary is not an IAM managed-policy ARN";
    InvalidManagedPolicy = "E075", Error, "a managed policy is not an IAM managed-policy ARN";
    ManagedPolicyConflict = "E076", Error, "`managed-policy none` is combined with other managed policies, or one is listed twice";
    ManagedPolicyOnTaskRole = "E077", Error, "`managed-policy` is written in the task role";
    DuplicateRoleName = "E078", Error, "two roles of one account share a name (IAM role names are case-insensitive)";
    LongSwitchRoleName = "W079", Warning, "a role's path and name together exceed 64 characters, too long for the console's Switch Role";
    TooManyTags = "E080", Error, "a runner has more than 49 tags (runnerc's own `runnerc:runner` tag makes 50)";
    InvalidTagKey = "E081", Error, "a tag key is empty, too long, reserved (`aws:`, `runnerc:`) or uses characters IAM refuses";
    InvalidTagValue = "E082", Error, "a tag value is too long or uses characters IAM refuses";
    DuplicateTagKey = "E083", Error, "a tag key is repeated (IAM tag keys are case-insensitive)";
    ExistingRoleWithBlock = "E084", Error, "a role written `existing` also has a role block (or `managed-policy`)";
    InvalidExistingRole = "E085", Error, "an `existing` role is not a role name or a role ARN of the runner's account and partition";
    NoEffectOnExistingRole = "W086", Warning, "`trust service`, `trust conditions` or `tag` changes nothing, because the roles it applies to are `existing`";
    RunnerNamedPolicy = "E087", Error, "a runner named `policy` (in any case) names an `existing` role, where its inline policy would take the name runnerc gives the policy on its own roles";
    NoTaskExecutionPolicy = "W088", Warning, "the execution role's managed policies leave out `AmazonECSTaskExecutionRolePolicy`, which lets ECS pull from ECR and write logs";
    TrustPolicyTooLarge = "E090", Error, "a trust policy exceeds IAM's 2,048-character quota";
    InlinePolicyTooLarge = "E091", Error, "a role's inline policy exceeds IAM's 10,240-character quota";
    TooManyManagedPolicies = "E092", Error, "a role attaches more than 20 managed policies, IAM's hard limit";
    ManyManagedPolicies = "W093", Warning, "a role attaches more than 10 managed policies, IAM's default quota";
    EnvOnPipelineSecret = "E100", Error, "`env` is written on a pipeline `secret`, which the agent reads itself through the task role";
    EnvWithoutFullArn = "E101", Error, "`env` is written on an agent secret named without its full ARN (a name, an ARN without its random suffix, a pattern or `*`), which ECS cannot inject";
    DuplicateEnv = "E102", Error, "an environment variable is set twice in one runner, or an `env` option is repeated";
    InvalidEnvSelector = "E103", Error, "`version-stage` and `version-id` on one `env`, or a `key`, stage or id that is empty or holds `:`";
    InvalidEnvName = "E104", Error, "an environment variable name is empty, longer than 255 characters, or holds `=`, white space or control characters";
    UnportableEnvName = "W105", Warning, "an environment variable name is outside `[A-Za-z_][A-Za-z0-9_]*`, so a shell cannot read it";
    ImageOrLogsOnTaskRole = "E106", Error, "`image` or `logs` is written in the task role";
    InvalidImage = "E107", Error, "an `image` is empty, holds white space, or is an ECR ARN or URI that names no repository or one ECR refuses";
    InvalidLogGroup = "E108", Error, "a `logs` group name is not a CloudWatch Logs group name";
    TaskDefinitionRole = "E110", Error, "a task definition's `taskRoleArn` or `executionRoleArn` is not the runner's role, or is missing";
    SecretNotReadable = "E111", Error, "the execution role cannot read a secret the task definition injects";
    PipelineSecretInjected = "E112", Error, "the task definition injects a pipeline secret, which the spec grants the task role, not the execution role";
    SsmParameterInjected = "E113", Error, "the task definition injects an SSM parameter, and runnerc grants no `ssm:GetParameters`";
    PartialSecretReference = "E114", Error, "the task definition names a secret by its name or a partial ARN, where ECS needs the full ARN";
    KeyNotUsable = "E115", Error, "the execution role cannot decrypt a secret with the customer managed key the spec gives it";
    SelectorNeedsPlatform = "E116", Error, "a JSON key or version selector on Fargate below platform version 1.4.0";
    SecretOnExistingRole = "W117", Warning, "the execution role is `existing` and runnerc's policy on it does not grant a secret the task definition injects; its other policies may";
    BaseConflict = "E120", Error, "`build --task-definition`: the base task definition says otherwise than the spec: another role, another `valueFrom` for a variable, another image repository or log group";
    BaseContainerMissing = "E121", Error, "`build --task-definition`: the base task definition has no container of the runner's name (or of `--container`'s)";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// Whether the code is reported by `verify` about a task definition, not about a spec.
    pub fn is_task_definition(self) -> bool {
        matches!(
            self,
            Code::TaskDefinitionRole
                | Code::SecretNotReadable
                | Code::PipelineSecretInjected
                | Code::SsmParameterInjected
                | Code::PartialSecretReference
                | Code::KeyNotUsable
                | Code::SelectorNeedsPlatform
                | Code::SecretOnExistingRole
        )
    }

    /// Whether the code is reported by `build --task-definition` about the base task
    /// definition it merges the spec into.
    pub fn is_base_task_definition(self) -> bool {
        matches!(self, Code::BaseConflict | Code::BaseContainerMissing)
    }

    /// The code named by `text` (`E020`, `e020`).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The code numbered as `text` is, whatever its letter: `E026` or `26` for `W026`. Numbers
    /// are unique across errors and warnings, so a code written with the wrong letter names one.
    pub fn by_number(text: &str) -> Option<Code> {
        let number = code_number(text)?;
        Code::ALL
            .iter()
            .copied()
            .find(|code| code_number(code.as_str()) == Some(number))
    }

    /// The codes numbered nearest to `text`'s number, two when they are as near; none when
    /// `text` holds no number.
    pub fn nearest(text: &str) -> Vec<Code> {
        let Some(number) = code_number(text) else {
            return Vec::new();
        };
        let distance = |code: &Code| code_number(code.as_str()).map(|n| n.abs_diff(number));
        let Some(best) = Code::ALL.iter().filter_map(distance).min() else {
            return Vec::new();
        };
        Code::ALL
            .iter()
            .copied()
            .filter(|code| distance(code) == Some(best))
            .collect()
    }
}

/// The number of a code as written: `E026`, `w26` or `026` is 26. `None` when the text is not
/// one letter or none followed by one to four digits.
fn code_number(text: &str) -> Option<u32> {
    let text = text.trim();
    let digits = text
        .strip_prefix(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A secondary label: another place that explains the diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub loc: Loc,
    pub message: String,
}

/// One problem in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub loc: Loc,
    /// What to write under the primary span; the message is used when there is none.
    pub label: Option<String>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// Edits that fix the problem, when the diagnostic knows them.
    pub fixes: Vec<Fix>,
}

/// A fix of a diagnostic: a title and the edits that make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
}

/// Replace the text at `loc` with `text`. A line break in `text` starts a line indented like
/// the line the edit starts on ([`Edit::text_in`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub loc: Loc,
    pub text: String,
}

impl Edit {
    /// The replacement text, its new lines indented like the line the edit starts on.
    pub fn text_in(&self, sources: &Sources) -> String {
        if !self.text.contains('\n') {
            return self.text.clone();
        }
        let file = sources.get(self.loc.file);
        let start = clamp_to_char_boundary(&file.text, self.loc.span.start);
        let line = file.line_of(start);
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        self.text.replace('\n', &format!("\n{indent}"))
    }
}

impl Diagnostic {
    pub fn new(code: Code, loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            loc,
            label: None,
            secondary: Vec::new(),
            help: None,
            fixes: Vec::new(),
        }
    }

    /// Adds a fix: replacing each span with its text.
    pub fn with_fix(mut self, title: impl Into<String>, edits: Vec<(Loc, String)>) -> Self {
        self.fixes.push(Fix {
            title: title.into(),
            edits: edits
                .into_iter()
                .map(|(loc, text)| Edit { loc, text })
                .collect(),
        });
        self
    }

    /// The same diagnostic with every span moved `by` bytes later: for a piece of a file
    /// parsed on its own.
    pub fn shifted(mut self, by: usize) -> Self {
        let shift = |loc: &mut Loc| {
            loc.span = Span::new(loc.span.start + by, loc.span.end + by);
        };
        shift(&mut self.loc);
        self.secondary
            .iter_mut()
            .for_each(|label| shift(&mut label.loc));
        self.fixes
            .iter_mut()
            .flat_map(|fix| fix.edits.iter_mut())
            .for_each(|edit| shift(&mut edit.loc));
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_secondary(mut self, loc: Loc, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            loc,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// Orders diagnostics by file and position, so output does not depend on the order of checks.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.loc.file, a.loc.span.start, a.loc.span.end, a.code).cmp(&(
            b.loc.file,
            b.loc.span.start,
            b.loc.span.end,
            b.code,
        ))
    });
}

/// Draws diagnostics for people: ariadne reports naming `file:line:column`, the span underlined,
/// secondary labels and the help line.
pub fn render_human(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let (config, mut cache) = ariadne_setup(sources, color);
    let mut out = Vec::new();
    for diagnostic in diagnostics.iter().take(MAX_RENDERED) {
        if has_long_line(diagnostic, sources) {
            out.extend_from_slice(render_compact(diagnostic, sources).as_bytes());
            continue;
        }
        let kind = match diagnostic.severity() {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let primary_color = match diagnostic.severity() {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
        };
        let mut report = Report::build(kind, span_of(diagnostic.loc, sources))
            .with_config(config)
            .with_code(diagnostic.code)
            .with_message(&diagnostic.message)
            .with_label(
                AriadneLabel::new(span_of(diagnostic.loc, sources))
                    .with_message(diagnostic.label.as_deref().unwrap_or(&diagnostic.message))
                    .with_color(primary_color)
                    .with_order(text_order(diagnostic.loc)),
            );
        for label in &diagnostic.secondary {
            report = report.with_label(
                AriadneLabel::new(span_of(label.loc, sources))
                    .with_message(&label.message)
                    .with_color(Color::Blue)
                    .with_order(label_order(label.loc, diagnostic.loc)),
            );
        }
        if let Some(help) = &diagnostic.help {
            report = report.with_help(help);
        }
        // Writing into a Vec cannot fail; a failure to find a source would only lose this report.
        let _ = report.finish().write(&mut cache, &mut out);
    }
    if diagnostics.len() > MAX_RENDERED {
        let rest = diagnostics.len() - MAX_RENDERED;
        let _ = writeln!(
            out,
            "... and {rest} more diagnostics not shown; `--format json` lists them all"
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// ariadne's configuration (byte offsets, colour or not) and its copy of the sources.
fn ariadne_setup(sources: &Sources, color: bool) -> (Config, impl ariadne::Cache<String> + use<>) {
    let config = Config::default()
        .with_index_type(IndexType::Byte)
        .with_color(color);
    let cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, file)| (file.name.clone(), file.text.clone()))
            .collect::<Vec<_>>(),
    );
    (config, cache)
}

/// How many diagnostics are drawn for people; the JSON and SARIF forms hold them all.
pub const MAX_RENDERED: usize = 200;

/// Lines longer than this are not drawn: a diagnostic on a 50 MB line names its place instead.
const MAX_DRAWN_LINE: usize = 500;

fn has_long_line(diagnostic: &Diagnostic, sources: &Sources) -> bool {
    std::iter::once(diagnostic.loc)
        .chain(diagnostic.secondary.iter().map(|label| label.loc))
        .any(|loc| {
            let file = sources.get(loc.file);
            let start = clamp_to_char_boundary(&file.text, loc.span.start);
            file.line_of(start).len() > MAX_DRAWN_LINE
        })
}

/// A diagnostic without its source snippet: `file:line:column` for each place, and the help.
fn render_compact(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let kind = match diagnostic.severity() {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
    };
    let place = |loc: Loc| {
        let (line, column) = sources.line_column(loc.file, loc.span.start);
        format!("{}:{line}:{column}", sources.get(loc.file).name)
    };
    let mut text = format!("[{}] {kind}: {}\n", diagnostic.code, diagnostic.message);
    text.push_str(&format!(
        "   --> {} ({})\n",
        place(diagnostic.loc),
        diagnostic.label.as_deref().unwrap_or("here")
    ));
    for label in &diagnostic.secondary {
        text.push_str(&format!(
            "   --> {} ({})\n",
            place(label.loc),
            label.message
        ));
    }
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("   help: {help}\n"));
    }
    text
}

/// Labels drawn in the order they stand in the text, so labels of one file share one snippet.
fn text_order(loc: Loc) -> i32 {
    i32::try_from(loc.span.start).unwrap_or(i32::MAX)
}

/// A secondary label's order: in the primary's file, by position; in another file, after every
/// label of the primary's file, so the report opens where the diagnostic is (a task definition,
/// say, before the spec line that would fix it).
fn label_order(loc: Loc, primary: Loc) -> i32 {
    if loc.file == primary.file {
        text_order(loc)
    } else {
        text_order(loc).saturating_add(i32::MAX / 2)
    }
}

type AriadneSpan = (String, std::ops::Range<usize>);

fn span_of(loc: Loc, sources: &Sources) -> AriadneSpan {
    let file = sources.get(loc.file);
    let start = clamp_to_char_boundary(&file.text, loc.span.start);
    let end = clamp_to_char_boundary(&file.text, loc.span.end.max(start));
    (file.name.clone(), start..end)
}

/// One diagnostic as the contract's JSON object.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: Severity,
    pub code: &'static str,
    pub message: &'a str,
    /// `file`, `line`, `column`, `end_line`, `end_column`.
    #[serde(flatten)]
    pub location: JsonLocation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'a str>,
    /// The other places the diagnostic names ("first defined here").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonRelated<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<JsonFix<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonRelated<'a> {
    #[serde(flatten)]
    pub location: JsonLocation<'a>,
    pub message: &'a str,
}

#[derive(Debug, Serialize)]
pub struct JsonFix<'a> {
    pub title: &'a str,
    pub edits: Vec<JsonEdit<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonEdit<'a> {
    #[serde(flatten)]
    pub location: JsonLocation<'a>,
    pub text: String,
}

pub fn to_json<'a>(diagnostic: &'a Diagnostic, sources: &'a Sources) -> JsonDiagnostic<'a> {
    let related = diagnostic
        .secondary
        .iter()
        .map(|label| JsonRelated {
            location: location(label.loc, sources),
            message: &label.message,
        })
        .collect();
    let fixes = diagnostic
        .fixes
        .iter()
        .map(|fix| JsonFix {
            title: &fix.title,
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    location: location(edit.loc, sources),
                    text: edit.text_in(sources),
                })
                .collect(),
        })
        .collect();
    JsonDiagnostic {
        related,
        fixes,
        severity: diagnostic.severity(),
        code: diagnostic.code.as_str(),
        message: &diagnostic.message,
        location: location(diagnostic.loc, sources),
        help: diagnostic.help.as_deref(),
    }
}

/// The contract's machine-readable form: a JSON array of diagnostics, with a final newline.
pub fn render_json(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics.iter().map(|d| to_json(d, sources)).collect();
    let mut text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// SARIF 2.1.0, as GitHub code scanning reads it: one run, a rule for every code, a result
/// for every diagnostic with its region (columns in Unicode code points, as the JSON form).
pub fn render_sarif(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    use serde_json::json;
    let level = |severity: Severity| match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let rules: Vec<_> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "name": code.name(),
                "shortDescription": { "text": code.summary() },
                "fullDescription": { "text": format!("{}; run `runnerc explain {}` for more", code.summary(), code.as_str()) },
                "defaultConfiguration": { "level": level(code.severity()) },
                "help": { "text": format!("runnerc explain {}", code.as_str()) },
            })
        })
        .collect();
    let results: Vec<_> = diagnostics
        .iter()
        .map(|diagnostic| {
            let d = to_json(diagnostic, sources);
            let rule_index = Code::ALL
                .iter()
                .position(|c| *c == diagnostic.code)
                .unwrap_or(0);
            let text = match d.help {
                Some(help) => format!("{}\nhelp: {help}", d.message),
                None => d.message.to_owned(),
            };
            let region = |l: &JsonLocation<'_>| {
                json!({
                    "startLine": l.line,
                    "startColumn": l.column,
                    "endLine": l.end_line,
                    "endColumn": l.end_column,
                })
            };
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(d.location.file) },
                        "region": region(&d.location),
                    }
                }],
            });
            if !d.related.is_empty() {
                result["relatedLocations"] = d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(id, related)| {
                        json!({
                            "id": id,
                            "physicalLocation": {
                                "artifactLocation": { "uri": artifact_uri(related.location.file) },
                                "region": region(&related.location),
                            },
                            "message": { "text": related.message },
                        })
                    })
                    .collect();
            }
            if !d.fixes.is_empty() {
                result["fixes"] = d
                    .fixes
                    .iter()
                    .map(|fix| {
                        json!({
                            "description": { "text": fix.title },
                            "artifactChanges": [{
                                "artifactLocation": { "uri": artifact_uri(d.location.file) },
                                "replacements": fix.edits.iter().map(|edit| json!({
                                    "deletedRegion": region(&edit.location),
                                    "insertedContent": { "text": edit.text },
                                })).collect::<Vec<_>>(),
                            }],
                        })
                    })
                    .collect();
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "runnerc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A file name as a SARIF URI: relative paths stay relative (GitHub resolves them against the
/// repository), with `/` separators.
fn artifact_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        path.trim_start_matches("./").to_owned()
    }
}

/// A finding of an audit command (`can`): not a problem of the spec, but an answer that points
/// into it. Drawn like a diagnostic, with the verdict in place of the severity.
#[derive(Debug, Clone)]
pub struct Finding {
    pub verdict: Verdict,
    pub message: String,
    pub loc: Loc,
    pub label: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Draws findings for people, each an ariadne report at its spec span.
pub fn render_findings(findings: &[Finding], sources: &Sources, color: bool) -> String {
    let (config, mut cache) = ariadne_setup(sources, color);
    let mut out = Vec::new();
    for finding in findings {
        let colour = match finding.verdict {
            Verdict::Allowed => Color::Green,
            Verdict::Denied => Color::Red,
            Verdict::Unknown => Color::Yellow,
        };
        let file = sources.get(finding.loc.file);
        let start = clamp_to_char_boundary(&file.text, finding.loc.span.start);
        if file.line_of(start).len() > MAX_DRAWN_LINE {
            let (line, column) = sources.line_column(finding.loc.file, start);
            let _ = writeln!(
                out,
                "{}: {}\n   --> {}:{line}:{column} ({})",
                finding.verdict.word(),
                finding.message,
                file.name,
                finding.label
            );
            for note in &finding.notes {
                let _ = writeln!(out, "   note: {note}");
            }
            continue;
        }
        let mut report = Report::build(
            ReportKind::Custom(finding.verdict.word(), colour),
            span_of(finding.loc, sources),
        )
        .with_config(config)
        .with_message(&finding.message)
        .with_label(
            AriadneLabel::new(span_of(finding.loc, sources))
                .with_message(&finding.label)
                .with_color(colour),
        );
        for note in &finding.notes {
            report = report.with_note(note);
        }
        let _ = report.finish().write(&mut cache, &mut out);
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    if color {
        text
    } else {
        // ariadne colours a custom report kind even when told not to colour.
        without_colour(&text)
    }
}

/// Text without its ANSI colour sequences (`ESC [ ... m`).
fn without_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('\u{1b}') {
        out.push_str(&rest[..start]);
        let sequence = &rest[start..];
        match sequence.find('m') {
            Some(end) if sequence.starts_with("\u{1b}[") => rest = &sequence[end + 1..],
            _ => {
                out.push('\u{1b}');
                rest = &sequence[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A span as 1-based lines and columns, for machine-readable outputs.
#[derive(Debug, Clone, Serialize)]
pub struct JsonLocation<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn location<'a>(loc: Loc, sources: &'a Sources) -> JsonLocation<'a> {
    let (line, column) = sources.line_column(loc.file, loc.span.start);
    let (end_line, end_column) = sources.line_column(loc.file, loc.span.end);
    JsonLocation {
        file: &sources.get(loc.file).name,
        line,
        column,
        end_line,
        end_column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Code::by_number`] relies on it: no number is both an error's and a warning's.
    #[test]
    fn code_numbers_are_unique() {
        let mut numbers: Vec<u32> = Code::ALL
            .iter()
            .map(|code| code_number(code.as_str()).unwrap())
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), Code::ALL.len());
        assert_eq!(Code::by_number("E026"), Some(Code::OtherRegionOrAccount));
        assert_eq!(Code::by_number("E027"), None);
        assert_eq!(Code::nearest("banana"), []);
    }
}
