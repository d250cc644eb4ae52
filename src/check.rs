//! Syntax tree to model: every rule of the contract that a spec can break.
//!
//! The checker never stops at the first problem. It walks every runner of every file, reports
//! each error and warning it finds, and builds a [`Runner`] for each runner that has no error.
//! Rules that span runners (unique runner names, unique role names per account) run last.
//! The size quotas of the emitted documents are checked after lowering, in
//! [`quota`](crate::quota).

use crate::ast::{
    DestinationField, ManagedPolicy, RoleDecl, RoleField, RoleKind, RunnerDecl, SecretReader,
    SecretTarget, Span, Spanned, SpecFile, Statement, Str,
};
use crate::aws::{self, Arn, Partition};
use crate::diag::{Code, Diagnostic, FileId, Loc};
use crate::model::{
    ECS_TASKS_SERVICE, Role, Runner, S3Destination, SecretGrant, SecretResource, Tag, Trust,
    default_execution_policy,
};
use rustc_hash::FxHashMap as HashMap;

/// Checks every runner of every file. Returns the runners that have no error, and every
/// diagnostic found. This is [`check_runner`] on each runner, then [`check_across`].
pub fn check(files: &[(FileId, &SpecFile)]) -> (Vec<Runner>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut checked = Vec::new();
    for (file, spec) in files {
        for decl in &spec.runners {
            let (runner, mut found) = check_runner(*file, decl);
            diagnostics.append(&mut found);
            checked.push(Checked::new(*file, decl, runner));
        }
    }
    let runners = check_across(checked, &mut diagnostics);
    (runners, diagnostics)
}

/// A runner as [`check_runner`] left it: its name and where it was written, and the model when
/// it has no error.
#[derive(Debug)]
pub struct Checked {
    pub name: String,
    pub name_loc: Loc,
    pub runner: Option<Runner>,
}

impl Checked {
    pub fn new(file: FileId, decl: &RunnerDecl, runner: Option<Runner>) -> Self {
        Checked {
            name: decl.name.node.clone(),
            name_loc: Loc::new(file, decl.name.span),
            runner,
        }
    }
}

/// Checks one runner on its own: every rule that does not look at other runners. Returns the
/// runner when it has no error.
pub fn check_runner(file: FileId, decl: &RunnerDecl) -> (Option<Runner>, Vec<Diagnostic>) {
    let mut checker = RunnerChecker {
        file,
        runner: &decl.name.node,
        diagnostics: Vec::new(),
    };
    let runner = checker.runner(decl);
    let has_error = checker.diagnostics.iter().any(Diagnostic::is_error);
    (runner.filter(|_| !has_error), checker.diagnostics)
}

/// The rules across runners, in the order written: unique runner names over every file, and
/// unique role names per account. Returns the runners without error.
pub fn check_across(checked: Vec<Checked>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Runner> {
    let mut names: HashMap<&str, Loc> = HashMap::default();
    let mut duplicates = vec![false; checked.len()];
    for (index, entry) in checked.iter().enumerate() {
        match names.get(entry.name.as_str()) {
            Some(first) => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateRunner,
                        entry.name_loc,
                        format!("runner `{}` is defined twice", shown(&entry.name)),
                    )
                    .with_label("defined again here")
                    .with_secondary(*first, "first defined here")
                    .with_help("runner names name the output folders; give each runner its own"),
                );
                duplicates[index] = true;
            }
            None => {
                names.insert(&entry.name, entry.name_loc);
            }
        }
    }
    // A duplicate is already an error; its roles are not compared again.
    let runners: Vec<Runner> = checked
        .into_iter()
        .zip(duplicates)
        .filter_map(|(entry, duplicate)| entry.runner.filter(|_| !duplicate))
        .collect();
    check_role_names(&runners, diagnostics);
    runners
}

/// IAM role names are unique per account, ignoring case.
fn check_role_names(runners: &[Runner], diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(&str, String), Loc> = HashMap::default();
    for runner in runners {
        for role in [&runner.task_role, &runner.execution_role] {
            let key = (runner.account.as_str(), role.name.to_ascii_lowercase());
            match seen.get(&key) {
                Some(first) => diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateRoleName,
                        role.name_loc,
                        format!(
                            "role name `{}` is used twice in account `{}`",
                            role.name, runner.account
                        ),
                    )
                    .with_label(format!("`{}` again", role.name))
                    .with_secondary(*first, "first used here")
                    .with_help("IAM role names are unique per account, ignoring case; set `name` in a role block"),
                ),
                None => {
                    seen.insert(key, role.name_loc);
                }
            }
        }
    }
}

/// User text in a message, shortened when it is long.
fn shown(text: &str) -> String {
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        text.escape_debug().to_string()
    } else {
        let head: String = text.chars().take(MAX - 1).collect();
        format!("{}…", head.escape_debug())
    }
}

/// The first place a single-valued statement was written, and its value.
struct Once<'a, T> {
    value: Option<(&'a T, Span)>,
}

impl<'a, T> Once<'a, T> {
    fn new() -> Self {
        Once { value: None }
    }
}

struct RunnerChecker<'a> {
    file: FileId,
    runner: &'a str,
    diagnostics: Vec<Diagnostic>,
}

/// The statements of a runner, sorted by kind.
#[derive(Default)]
struct Gathered<'a> {
    secrets: Vec<&'a crate::ast::SecretDecl>,
    destinations: Vec<(&'a [Spanned<DestinationField>], Span)>,
    services: Vec<&'a Str>,
    tags: Vec<(&'a Str, &'a Str, Span)>,
}

impl<'a> RunnerChecker<'a> {
    fn loc(&self, span: Span) -> Loc {
        Loc::new(self.file, span)
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Records a single-valued statement, reporting a repeat.
    fn once<'t, T>(&mut self, slot: &mut Once<'t, T>, what: &str, value: &'t T, span: Span) {
        match slot.value {
            Some((_, first)) => {
                let first = self.loc(first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateStatement,
                    self.loc(span),
                    format!("`{what}` is written twice"),
                )
                .with_label("written again here")
                .with_secondary(first, "first written here")
                .with_help(format!("`{what}` may appear once; remove one of them"));
                self.report(diagnostic);
            }
            None => slot.value = Some((value, span)),
        }
    }

    fn runner(&mut self, decl: &'a RunnerDecl) -> Option<Runner> {
        self.runner_name(&decl.name);

        let mut account = Once::new();
        let mut region = Once::new();
        let mut conditions = Once::new();
        let mut task_role = Once::new();
        let mut execution_role = Once::new();
        let mut gathered = Gathered::default();
        for statement in &decl.statements {
            let span = statement.span;
            match &statement.node {
                Statement::Account(value) => self.once(&mut account, "account", value, span),
                Statement::Region(value) => self.once(&mut region, "region", value, span),
                Statement::TrustConditions(on) => {
                    self.once(&mut conditions, "trust conditions", on, span)
                }
                Statement::Role(role) => match role.kind {
                    RoleKind::Task => self.once(&mut task_role, "task role", role, span),
                    RoleKind::Execution => {
                        self.once(&mut execution_role, "execution role", role, span)
                    }
                },
                Statement::Secret(secret) => gathered.secrets.push(secret),
                Statement::Destination(fields) => gathered.destinations.push((fields, span)),
                Statement::TrustService(service) => gathered.services.push(service),
                Statement::Tag { key, value } => gathered.tags.push((key, value, span)),
            }
        }

        let account = self.account(account.value.map(|(v, _)| v), &decl.name);
        let (region, partition) = self.region(region.value.map(|(v, _)| v), &decl.name);
        let place = Place {
            account: account.unwrap_or("000000000000"),
            region: region.unwrap_or("us-east-1"),
            partition: partition.unwrap_or(Partition::Aws),
        };

        let (pipeline_secrets, agent_secrets) = self.secrets(&gathered.secrets, &place);
        let destinations = self.destinations(&gathered.destinations, &place);
        let trust = Trust {
            confused_deputy_conditions: conditions.value.is_none_or(|(on, _)| on.node),
            extra_services: self.trust_services(&gathered.services, &place),
        };
        let task_role = self.role(
            RoleKind::Task,
            task_role.value.map(|(r, _)| r),
            decl,
            &place,
        );
        let execution_role = self.role(
            RoleKind::Execution,
            execution_role.value.map(|(r, _)| r),
            decl,
            &place,
        );
        let tags = self.tags(&gathered.tags);

        Some(Runner {
            name: decl.name.node.clone(),
            name_loc: self.loc(decl.name.span),
            account: account?.to_owned(),
            region: region?.to_owned(),
            partition: partition?,
            pipeline_secrets,
            agent_secrets,
            destinations,
            trust,
            task_role,
            execution_role,
            tags,
        })
    }

    fn runner_name(&mut self, name: &Str) {
        let text = &name.node;
        let problem = if text.is_empty() {
            Some("it is empty".to_owned())
        } else if text == "." || text == ".." {
            Some(format!("`{text}` names a folder, not a runner"))
        } else {
            text.chars().find(|c| !aws::is_iam_name_char(*c)).map(|c| {
                format!(
                    "`{}` is not allowed; use letters, digits and `+=,.@_-`",
                    c.escape_debug()
                )
            })
        };
        if let Some(problem) = problem {
            let diagnostic = Diagnostic::new(
                Code::InvalidRunnerName,
                self.loc(name.span),
                format!("runner name `{}` is not valid: {problem}", shown(text)),
            )
            .with_label("invalid runner name")
            .with_help(
                "the runner name names its roles and its output folder, so it follows IAM's name rules",
            );
            self.report(diagnostic);
        }
    }

    fn missing(&mut self, what: &str, runner: &Str, example: &str) {
        let diagnostic = Diagnostic::new(
            Code::MissingStatement,
            self.loc(runner.span),
            format!("runner `{}` has no `{what}`", shown(self.runner)),
        )
        .with_label(format!("`{what}` is required"))
        .with_help(format!("add `{what} {example}` to the runner"));
        self.report(diagnostic);
    }

    fn account(&mut self, account: Option<&'a Str>, runner: &Str) -> Option<&'a str> {
        let Some(account) = account else {
            self.missing("account", runner, "\"123456789012\"");
            return None;
        };
        if aws::is_account_id(&account.node) {
            return Some(&account.node);
        }
        let diagnostic = Diagnostic::new(
            Code::InvalidAccount,
            self.loc(account.span),
            format!(
                "account `{}` is not a 12-digit AWS account ID",
                shown(&account.node)
            ),
        )
        .with_label("not 12 digits")
        .with_help(
            "an account ID is exactly 12 digits, leading zeros included, like `012345678901`",
        );
        self.report(diagnostic);
        None
    }

    fn region(
        &mut self,
        region: Option<&'a Str>,
        runner: &Str,
    ) -> (Option<&'a str>, Option<Partition>) {
        let Some(region) = region else {
            self.missing("region", runner, "\"eu-west-1\"");
            return (None, None);
        };
        let text = region.node.as_str();
        if !aws::is_well_formed_region(text) {
            let diagnostic = Diagnostic::new(
                Code::InvalidRegion,
                self.loc(region.span),
                format!("region `{}` is not a region name", shown(text)),
            )
            .with_label("not a region")
            .with_help("a region is written like `eu-west-1`, `us-gov-west-1` or `cn-north-1`");
            self.report(diagnostic);
            return (None, None);
        }
        if let Some(partition) = aws::unsupported_partition_of(text) {
            let diagnostic = Diagnostic::new(
                Code::UnsupportedPartition,
                self.loc(region.span),
                format!("region `{text}` belongs to partition `{partition}`, which runnerc does not support"),
            )
            .with_label(format!("a region of `{partition}`"))
            .with_help("runnerc writes ARNs and service principals for the `aws`, `aws-cn` and `aws-us-gov` partitions");
            self.report(diagnostic);
            return (None, None);
        }
        let partition = aws::partition_of(text);
        if !aws::KNOWN_REGIONS.contains(&text) {
            let diagnostic = Diagnostic::new(
                Code::UnknownRegion,
                self.loc(region.span),
                format!("region `{text}` is not one runnerc knows"),
            )
            .with_label(format!("unknown region, read as partition `{partition}`"))
            .with_help(
                "check the spelling; a new region compiles, with ARNs in the partition shown",
            );
            self.report(diagnostic);
        }
        (Some(text), Some(partition))
    }

    /// Reports an ARN of another partition than the runner's. Returns whether it matches.
    fn same_partition(&mut self, arn: &Arn<'_>, value: &Str, place: &Place<'_>) -> bool {
        if arn.partition == place.partition.as_str() {
            return true;
        }
        let diagnostic = Diagnostic::new(
            Code::PartitionMismatch,
            self.loc(value.span),
            format!(
                "this ARN is in partition `{}`, but runner `{}` is in `{}` (region `{}`)",
                shown(arn.partition),
                shown(self.runner),
                place.partition,
                place.region
            ),
        )
        .with_label(format!("expected `arn:{}:...`", place.partition))
        .with_help("a role can only be granted resources of its own partition");
        self.report(diagnostic);
        false
    }

    /// The fields of an ARN of `service` in the runner's partition. `Err(Some(problem))` when it
    /// is not such an ARN, for the caller to report under its own code; `Err(None)` when it is
    /// in another partition, already reported.
    fn arn_of<'v>(
        &mut self,
        value: &'v Str,
        service: &str,
        place: &Place<'_>,
    ) -> Result<Arn<'v>, Option<String>> {
        let Some(arn) = Arn::parse(&value.node) else {
            return Err(Some("it does not have the six fields of an ARN".to_owned()));
        };
        if arn.service != service {
            return Err(Some(format!(
                "it names service `{}`, not `{service}`",
                shown(arn.service)
            )));
        }
        if !aws::is_partition_name(arn.partition) {
            return Err(Some(format!(
                "`{}` is not a partition",
                shown(arn.partition)
            )));
        }
        if !self.same_partition(&arn, value, place) {
            return Err(None);
        }
        Ok(arn)
    }

    fn secrets(
        &mut self,
        decls: &[&'a crate::ast::SecretDecl],
        place: &Place<'_>,
    ) -> (Vec<SecretGrant>, Vec<SecretGrant>) {
        let mut pipeline = Vec::new();
        let mut agent = Vec::new();
        let mut seen: HashMap<(SecretReader, SecretResource), Span> = HashMap::default();
        for decl in decls {
            let kms_key = decl.kms.as_ref().and_then(|key| self.kms_key(key, place));
            let Some(resource) = self.secret_resource(&decl.target, decl.reader, place) else {
                continue;
            };
            let key = (decl.reader, resource.clone());
            if let Some(first) = seen.get(&key) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateSecret,
                    self.loc(decl.target.span),
                    "this secret is already listed for the same role",
                )
                .with_label("listed again here")
                .with_secondary(first, "first listed here")
                .with_help("list each secret once; put its `kms` key on that one line");
                self.report(diagnostic);
                continue;
            }
            seen.insert(key, decl.target.span);
            let grant = SecretGrant { resource, kms_key };
            match decl.reader {
                SecretReader::Pipeline => pipeline.push(grant),
                SecretReader::Agent => agent.push(grant),
            }
        }
        (pipeline, agent)
    }

    fn secret_resource(
        &mut self,
        target: &Spanned<SecretTarget>,
        reader: SecretReader,
        place: &Place<'_>,
    ) -> Option<SecretResource> {
        let text = match &target.node {
            SecretTarget::Every => {
                let (statement, role) = match reader {
                    SecretReader::Pipeline => ("secret *", "task role"),
                    SecretReader::Agent => ("agent secret *", "execution role"),
                };
                let diagnostic = Diagnostic::new(
                    Code::EverySecret,
                    self.loc(target.span),
                    format!(
                        "`{statement}` lets the {role} read every secret in the account and region"
                    ),
                )
                .with_label("every secret")
                .with_help(
                    "name the secrets the runner reads, so a leaked task cannot read the others",
                );
                self.report(diagnostic);
                return Some(SecretResource::Every);
            }
            SecretTarget::Named(text) => text,
        };
        let value = Spanned::new(text.clone(), target.span);
        if text.starts_with("arn:") {
            self.secret_arn(&value, place).map(SecretResource::Arn)
        } else {
            self.secret_name(&value, place).map(SecretResource::Arn)
        }
    }

    fn secret_name(&mut self, name: &Str, place: &Place<'_>) -> Option<String> {
        let text = name.node.as_str();
        let length = text.len();
        let problem = if text.is_empty() {
            Some("it is empty".to_owned())
        } else if length > 512 {
            Some(format!(
                "it is {length} characters long, more than Secrets Manager's 512"
            ))
        } else {
            text.chars()
                .find(|c| !aws::is_secret_name_char(*c))
                .map(|c| {
                    format!(
                        "`{}` is not allowed; use ASCII letters, digits and `/_+=.@-`",
                        c.escape_debug()
                    )
                })
        };
        if let Some(problem) = problem {
            let diagnostic = Diagnostic::new(
                Code::InvalidSecretName,
                self.loc(name.span),
                format!("secret name `{}` is not valid: {problem}", shown(text)),
            )
            .with_label("invalid secret name")
            .with_help("write the secret's name as Secrets Manager shows it, or its full ARN");
            self.report(diagnostic);
            return None;
        }
        if aws::has_secret_suffix(text) {
            let tail = &text[text.len() - 7..];
            let diagnostic = Diagnostic::new(
                Code::SecretNameLooksSuffixed,
                self.loc(name.span),
                format!("secret name `{}` ends with `{tail}`, which looks like Secrets Manager's random suffix", shown(text)),
            )
            .with_label("read as a name; `-??????` is appended")
            .with_help(format!(
                "if `{tail}` is the random suffix, write the full ARN instead; AWS advises against names ending in `-` and six characters"
            ));
            self.report(diagnostic);
        }
        Some(format!(
            "arn:{}:secretsmanager:{}:{}:secret:{text}-??????",
            place.partition, place.region, place.account
        ))
    }

    fn secret_arn(&mut self, value: &Str, place: &Place<'_>) -> Option<String> {
        let text = value.node.as_str();
        let invalid = |checker: &mut Self, problem: String| {
            let diagnostic = Diagnostic::new(
                Code::InvalidSecretArn,
                checker.loc(value.span),
                format!("`{}` is not a secret ARN: {problem}", shown(text)),
            )
            .with_label("invalid secret ARN")
            .with_help(format!(
                "a secret ARN is `arn:{}:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf`; a plain name works too",
                place.partition
            ));
            checker.report(diagnostic);
            None
        };
        let arn = match self.arn_of(value, "secretsmanager", place) {
            Ok(arn) => arn,
            Err(Some(problem)) => return invalid(self, problem),
            Err(None) => return None,
        };
        if !aws::is_well_formed_region(arn.region) {
            return invalid(self, format!("`{}` is not a region", shown(arn.region)));
        }
        if !aws::is_account_id(arn.account) {
            return invalid(
                self,
                format!("`{}` is not a 12-digit account ID", shown(arn.account)),
            );
        }
        let Some(name) = arn.resource.strip_prefix("secret:") else {
            return invalid(
                self,
                "its resource does not start with `secret:`".to_owned(),
            );
        };
        if let Some((secret, _selector)) = name.split_once(':') {
            let bare = format!(
                "{}secret:{secret}",
                &text[..text.len() - arn.resource.len()]
            );
            let diagnostic = Diagnostic::new(
                Code::SecretArnWithSelector,
                self.loc(value.span),
                "this secret ARN carries a `:json-key:version-stage:version-id` selector"
                    .to_owned(),
            )
            .with_label("a task definition `valueFrom`, not an IAM resource")
            .with_help(format!(
                "IAM grants access to the whole secret; write `{}`",
                shown(&bare)
            ));
            self.report(diagnostic);
            return None;
        }
        if name.is_empty() {
            return invalid(self, "the secret name is empty".to_owned());
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(aws::is_secret_name_char(*c) || *c == '*' || *c == '?'))
        {
            return invalid(
                self,
                format!("`{}` is not allowed in a secret name", c.escape_debug()),
            );
        }
        if aws::has_secret_suffix(name) {
            let tail = &name[name.len() - 7..];
            // Random suffixes mix case and digits; six lower-case letters read like a word.
            if tail[1..].bytes().all(|b| b.is_ascii_lowercase()) {
                let diagnostic = Diagnostic::new(
                    Code::SecretNameLooksSuffixed,
                    self.loc(value.span),
                    format!("this secret ARN ends with `{tail}`, which is read as Secrets Manager's random suffix"),
                )
                .with_label("used as written, without `-??????`")
                .with_help(format!(
                    "if `{tail}` is part of the secret's name, append its random suffix or `-??????`"
                ));
                self.report(diagnostic);
            }
            Some(text.to_owned())
        } else {
            Some(format!("{text}-??????"))
        }
    }

    fn kms_key(&mut self, key: &Str, place: &Place<'_>) -> Option<String> {
        let text = key.node.as_str();
        let invalid = |checker: &mut Self, problem: String| {
            let diagnostic = Diagnostic::new(
                Code::InvalidKmsKey,
                checker.loc(key.span),
                format!("`{}` is not a KMS key ARN: {problem}", shown(text)),
            )
            .with_label("invalid KMS key ARN")
            .with_help(format!(
                "a key ARN is `arn:{}:kms:REGION:ACCOUNT:key/KEY-ID`",
                place.partition
            ));
            checker.report(diagnostic);
            None
        };
        let arn = match self.arn_of(key, "kms", place) {
            Ok(arn) => arn,
            Err(Some(problem)) => return invalid(self, problem),
            Err(None) => return None,
        };
        if arn.resource.starts_with("alias/") {
            let diagnostic = Diagnostic::new(
                Code::KmsAlias,
                self.loc(key.span),
                format!("`{}` is a KMS alias, not a key", shown(text)),
            )
            .with_label("an alias ARN")
            .with_help(format!(
                "IAM authorises KMS on the key ARN, not on the alias; find it with `aws kms describe-key --key-id {}` and write its `Arn`",
                shown(arn.resource)
            ));
            self.report(diagnostic);
            return None;
        }
        if !aws::is_well_formed_region(arn.region) {
            return invalid(self, format!("`{}` is not a region", shown(arn.region)));
        }
        if !aws::is_account_id(arn.account) {
            return invalid(
                self,
                format!("`{}` is not a 12-digit account ID", shown(arn.account)),
            );
        }
        match arn.resource.strip_prefix("key/") {
            Some(id) if aws::is_kms_key_id(id) => Some(text.to_owned()),
            _ => invalid(self, "its resource is not `key/KEY-ID`".to_owned()),
        }
    }

    fn destinations(
        &mut self,
        destinations: &[(&'a [Spanned<DestinationField>], Span)],
        place: &Place<'_>,
    ) -> Vec<S3Destination> {
        let mut result = Vec::new();
        let mut seen: HashMap<(String, Option<String>), Span> = HashMap::default();
        for (fields, span) in destinations {
            let mut bucket = Once::new();
            let mut prefix = Once::new();
            let mut kms = Once::new();
            for field in fields.iter() {
                match &field.node {
                    DestinationField::Bucket(v) => self.once(&mut bucket, "bucket", v, field.span),
                    DestinationField::Prefix(v) => self.once(&mut prefix, "prefix", v, field.span),
                    DestinationField::Kms(v) => self.once(&mut kms, "kms", v, field.span),
                }
            }
            let kms_key = kms.value.and_then(|(key, _)| self.kms_key(key, place));
            // Check every field before giving up on the destination, so all problems show.
            let prefix = prefix.value.map(|(value, _)| self.prefix(value));
            let bucket_name = match bucket.value {
                Some((bucket, _)) => self.bucket(bucket),
                None => {
                    // `destination` is the first word of the statement.
                    let keyword = Span::new(span.start, span.start + "destination".len());
                    let diagnostic = Diagnostic::new(
                        Code::MissingStatement,
                        self.loc(keyword),
                        "this destination has no `bucket`",
                    )
                    .with_label("`bucket` is required")
                    .with_help("add `bucket \"BUCKET-NAME\"` inside `destination s3 { ... }`");
                    self.report(diagnostic);
                    None
                }
            };
            let (Some(bucket_name), Some(prefix)) = (bucket_name, prefix.unwrap_or(Some(None)))
            else {
                continue;
            };
            let key = (bucket_name.clone(), prefix.clone());
            if let Some(first) = seen.get(&key) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateDestination,
                    self.loc(*span),
                    format!(
                        "bucket `{}` with prefix `{}` is already a destination",
                        bucket_name,
                        prefix.as_deref().unwrap_or("")
                    ),
                )
                .with_label("the same destination again")
                .with_secondary(first, "first written here")
                .with_help("remove one of the two destinations");
                self.report(diagnostic);
                continue;
            }
            seen.insert(key, *span);
            result.push(S3Destination {
                bucket: bucket_name,
                prefix,
                kms_key,
            });
        }
        result
    }

    fn bucket(&mut self, bucket: &Str) -> Option<String> {
        let text = bucket.node.as_str();
        let without_scheme = text.strip_prefix("s3://").unwrap_or(text);
        if let Some((name, folder)) = without_scheme.split_once('/') {
            let folder = folder.trim_end_matches('/');
            let diagnostic = Diagnostic::new(
                Code::BucketWithFolder,
                self.loc(bucket.span),
                format!("`{}` is a bucket and a folder, not a bucket", shown(text)),
            )
            .with_label("a bucket name and a folder")
            .with_help(format!(
                "write `bucket \"{}\"` and `prefix \"{}/\"`",
                shown(name),
                shown(folder)
            ));
            self.report(diagnostic);
            return None;
        }
        if let Some(problem) = aws::bucket_name_problem(without_scheme) {
            let help = if text.starts_with("s3://") {
                "write the bucket name alone, without `s3://`".to_owned()
            } else {
                "S3 bucket names are 3 to 63 lower-case letters, digits, `.` and `-`".to_owned()
            };
            let diagnostic = Diagnostic::new(
                Code::InvalidBucket,
                self.loc(bucket.span),
                format!("bucket name `{}` is not valid: {problem}", shown(text)),
            )
            .with_label("invalid bucket name")
            .with_help(help);
            self.report(diagnostic);
            return None;
        }
        if text.starts_with("s3://") {
            let diagnostic = Diagnostic::new(
                Code::InvalidBucket,
                self.loc(bucket.span),
                format!("bucket `{}` is written as a URL", shown(text)),
            )
            .with_label("a URL, not a bucket name")
            .with_help(format!("write `bucket \"{without_scheme}\"`"));
            self.report(diagnostic);
            return None;
        }
        Some(text.to_owned())
    }

    /// The prefix as a folder ending in `/`; `None` when it is invalid.
    fn prefix(&mut self, prefix: &Str) -> Option<Option<String>> {
        let text = prefix.node.as_str();
        let (problem, help) = if text.is_empty() {
            (
                "it is empty".to_owned(),
                "leave `prefix` out to stream to the whole bucket".to_owned(),
            )
        } else if text.starts_with('/') {
            (
                "it starts with `/`".to_owned(),
                format!(
                    "S3 keys do not start with `/`; write `{}`",
                    shown(text.trim_start_matches('/'))
                ),
            )
        } else if text.len() > 1024 {
            (
                format!(
                    "it is {} characters long, more than an S3 key's 1024",
                    text.len()
                ),
                "use a shorter folder name".to_owned(),
            )
        } else if text.contains('*') || text.contains('?') {
            (
                "IAM reads `*` and `?` as wildcards".to_owned(),
                "a prefix is a folder name; the compiler adds the wildcard itself".to_owned(),
            )
        } else if text.contains("${") {
            (
                "IAM reads `${...}` as a policy variable".to_owned(),
                "write the folder name literally".to_owned(),
            )
        } else if let Some(c) = text.chars().find(|c| !(' '..='~').contains(c)) {
            (
                format!("`{}` is not printable ASCII", c.escape_debug()),
                "use printable ASCII characters in the folder name".to_owned(),
            )
        } else {
            let mut folder = text.to_owned();
            if !folder.ends_with('/') {
                folder.push('/');
            }
            return Some(Some(folder));
        };
        let diagnostic = Diagnostic::new(
            Code::InvalidPrefix,
            self.loc(prefix.span),
            format!("prefix `{}` is not valid: {problem}", shown(text)),
        )
        .with_label("invalid prefix")
        .with_help(help);
        self.report(diagnostic);
        None
    }

    fn trust_services(&mut self, services: &[&'a Str], place: &Place<'_>) -> Vec<String> {
        let mut result: Vec<String> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for service in services {
            let Some(principal) = self.trust_service(service, place) else {
                continue;
            };
            if let Some(first) = seen.get(&principal) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateTrustService,
                    self.loc(service.span),
                    format!("service `{principal}` is already trusted"),
                )
                .with_label("trusted again here")
                .with_secondary(first, "first trusted here")
                .with_help("remove one of the two `trust service` lines");
                self.report(diagnostic);
                continue;
            }
            seen.insert(principal.clone(), service.span);
            result.push(principal);
        }
        result
    }

    fn trust_service(&mut self, service: &Str, place: &Place<'_>) -> Option<String> {
        let text = service.node.as_str();
        let well_formed = {
            let stem = text
                .strip_suffix(".amazonaws.com.cn")
                .or_else(|| text.strip_suffix(".amazonaws.com"));
            stem.is_some_and(|stem| {
                !stem.is_empty()
                    && stem.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                    })
                    && stem.as_bytes()[0].is_ascii_alphanumeric()
            })
        };
        let invalid = |checker: &mut Self, message: String, help: String| {
            let diagnostic = Diagnostic::new(
                Code::InvalidTrustService,
                checker.loc(service.span),
                message,
            )
            .with_label("invalid service principal")
            .with_help(help);
            checker.report(diagnostic);
            None
        };
        if !well_formed {
            return invalid(
                self,
                format!("`{}` is not an AWS service principal", shown(text)),
                "a service principal is written like `ec2.amazonaws.com`".to_owned(),
            );
        }
        if text == "ecs-tasks.amazonaws.com.cn" {
            return invalid(
                self,
                "`ecs-tasks.amazonaws.com.cn` is not a valid principal".to_owned(),
                "ECS tasks are `ecs-tasks.amazonaws.com` in every partition, China included, and are always trusted".to_owned(),
            );
        }
        if text.ends_with(".amazonaws.com.cn") && place.partition != Partition::AwsCn {
            return invalid(
                self,
                format!(
                    "`{text}` is a China principal, but runner `{}` is in `{}`",
                    shown(self.runner),
                    place.partition
                ),
                format!("write `{}`", text.trim_end_matches(".cn")),
            );
        }
        if text == ECS_TASKS_SERVICE {
            let diagnostic = Diagnostic::new(
                Code::RedundantTrustService,
                self.loc(service.span),
                format!("`{ECS_TASKS_SERVICE}` is always trusted"),
            )
            .with_label("already trusted, with the confused-deputy conditions")
            .with_help("remove this line");
            self.report(diagnostic);
            return None;
        }
        if place.partition == Partition::AwsCn && text == "ec2.amazonaws.com" {
            return Some("ec2.amazonaws.com.cn".to_owned());
        }
        Some(text.to_owned())
    }

    fn role(
        &mut self,
        kind: RoleKind,
        decl: Option<&'a RoleDecl>,
        runner: &RunnerDecl,
        place: &Place<'_>,
    ) -> Role {
        let fields: &[Spanned<RoleField>] = decl.map_or(&[], |d| &d.fields);
        let mut name = Once::new();
        let mut path = Once::new();
        let mut description = Once::new();
        let mut boundary = Once::new();
        let mut duration = Once::new();
        let mut managed = Vec::new();
        for field in fields {
            let span = field.span;
            match &field.node {
                RoleField::Name(v) => self.once(&mut name, "name", v, span),
                RoleField::Path(v) => self.once(&mut path, "path", v, span),
                RoleField::Description(v) => self.once(&mut description, "description", v, span),
                RoleField::PermissionsBoundary(v) => {
                    self.once(&mut boundary, "permissions-boundary", v, span)
                }
                RoleField::MaxSessionDuration(v) => {
                    self.once(&mut duration, "max-session-duration", v, span)
                }
                RoleField::ManagedPolicy(policy) => {
                    if kind == RoleKind::Task {
                        let diagnostic = Diagnostic::new(
                            Code::ManagedPolicyOnTaskRole,
                            self.loc(span),
                            "`managed-policy` belongs in the execution role",
                        )
                        .with_label("in the task role")
                        .with_help("the task role gets exactly the grants the spec implies; move this line to `execution role { ... }`");
                        self.report(diagnostic);
                    } else {
                        managed.push(policy);
                    }
                }
            }
        }

        let suffix = match kind {
            RoleKind::Task => "task-role",
            RoleKind::Execution => "execution-role",
        };
        let (role_name, name_loc) = match name.value {
            Some((value, _)) => {
                if let Some(problem) = aws::role_name_problem(&value.node) {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidRoleName,
                        self.loc(value.span),
                        format!("role name `{}` is not valid: {problem}", shown(&value.node)),
                    )
                    .with_label("invalid role name")
                    .with_help("IAM role names are 1 to 64 letters, digits and `+=,.@_-`");
                    self.report(diagnostic);
                }
                (value.node.clone(), self.loc(value.span))
            }
            None => {
                let derived = format!("{}-{suffix}", runner.name.node);
                let length = derived.chars().count();
                // Characters are the runner name's own problem (E010); only the length is new.
                if length > 64 && runner.name.node.chars().all(aws::is_iam_name_char) {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidRoleName,
                        self.loc(runner.name.span),
                        format!(
                            "the {} name `{}` made from this runner name is {length} characters long, more than IAM's 64",
                            kind.keyword(),
                            shown(&derived)
                        ),
                    )
                    .with_label(format!("makes a {length}-character role name"))
                    .with_help(format!(
                        "shorten the runner name, or set `name` in `{} {{ ... }}`",
                        kind.keyword()
                    ));
                    self.report(diagnostic);
                }
                (derived, self.loc(runner.name.span))
            }
        };

        let role_path = match path.value {
            Some((value, _)) => {
                if let Some(problem) = aws::role_path_problem(&value.node) {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidRolePath,
                        self.loc(value.span),
                        format!("role path `{}` is not valid: {problem}", shown(&value.node)),
                    )
                    .with_label("invalid path")
                    .with_help("a path is `/` or starts and ends with `/`, like `/streaming/`");
                    self.report(diagnostic);
                }
                value.node.clone()
            }
            None => "/".to_owned(),
        };
        if role_path != "/" && role_path.len() + role_name.len() > 64 {
            let total = role_path.len() + role_name.len();
            let diagnostic = Diagnostic::new(
                Code::LongSwitchRoleName,
                name_loc,
                format!(
                    "the {} path and name together are {total} characters, too long for the console's Switch Role",
                    kind.keyword()
                ),
            )
            .with_label(format!("`{}{}`", shown(&role_path), shown(&role_name)))
            .with_help("the role works; only the console's Switch Role feature needs path and name within 64 characters");
            self.report(diagnostic);
        }

        if let Some((value, _)) = description.value
            && let Some(problem) = aws::description_problem(&value.node)
        {
            let diagnostic = Diagnostic::new(
                Code::InvalidDescription,
                self.loc(value.span),
                format!("the {} description is not valid: {problem}", kind.keyword()),
            )
            .with_label("invalid description")
            .with_help(
                "IAM takes up to 1000 characters of printable Latin-1 text, tabs and line breaks",
            );
            self.report(diagnostic);
        }

        let max_session_duration = duration.value.and_then(|(digits, _)| {
            let seconds = digits
                .node
                .parse::<u32>()
                .ok()
                .filter(|s| (3600..=43200).contains(s));
            if seconds.is_none() {
                let diagnostic = Diagnostic::new(
                    Code::InvalidSessionDuration,
                    self.loc(digits.span),
                    format!(
                        "`max-session-duration {}` is outside 3600 to 43200 seconds",
                        shown(&digits.node)
                    ),
                )
                .with_label("out of range")
                .with_help("IAM allows 1 to 12 hours: 3600 to 43200 seconds");
                self.report(diagnostic);
            }
            seconds
        });

        let permissions_boundary = boundary
            .value
            .and_then(|(value, _)| self.policy_arn(value, place, Code::InvalidPermissionsBoundary));

        // The task role gets exactly the grants the spec implies: no managed policy.
        let managed_policies = match kind {
            RoleKind::Task => Vec::new(),
            RoleKind::Execution => self.managed_policies(&managed, place),
        };

        Role {
            name: role_name,
            name_loc,
            path: role_path,
            description: description.value.map(|(v, _)| v.node.clone()),
            permissions_boundary,
            max_session_duration,
            managed_policies,
        }
    }

    fn managed_policies(
        &mut self,
        written: &[&Spanned<ManagedPolicy>],
        place: &Place<'_>,
    ) -> Vec<String> {
        if written.is_empty() {
            return vec![default_execution_policy(place.partition)];
        }
        let none = written.iter().find(|p| p.node == ManagedPolicy::None);
        if let (Some(none), true) = (none, written.len() > 1) {
            let other = written
                .iter()
                .find(|p| p.node != ManagedPolicy::None)
                .unwrap_or(&written[1]);
            let diagnostic = Diagnostic::new(
                Code::ManagedPolicyConflict,
                self.loc(none.span),
                "`managed-policy none` is combined with other managed policies",
            )
            .with_label("none")
            .with_secondary(self.loc(other.span), "but a policy is attached here")
            .with_help("keep `managed-policy none` alone, or remove it");
            self.report(diagnostic);
            return Vec::new();
        }
        let mut result: Vec<String> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for policy in written {
            let arn = match &policy.node {
                ManagedPolicy::None => continue,
                ManagedPolicy::Default => default_execution_policy(place.partition),
                ManagedPolicy::Arn(text) => {
                    let value = Spanned::new(text.clone(), policy.span);
                    match self.policy_arn(&value, place, Code::InvalidManagedPolicy) {
                        Some(arn) => arn,
                        None => continue,
                    }
                }
            };
            if let Some(first) = seen.get(&arn) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::ManagedPolicyConflict,
                    self.loc(policy.span),
                    format!("managed policy `{}` is attached twice", shown(&arn)),
                )
                .with_label("attached again here")
                .with_secondary(first, "first attached here")
                .with_help("list each managed policy once");
                self.report(diagnostic);
                continue;
            }
            seen.insert(arn.clone(), policy.span);
            result.push(arn);
        }
        if result.len() > 20 {
            let diagnostic = Diagnostic::new(
                Code::TooManyManagedPolicies,
                self.loc(written[20].span),
                format!(
                    "the execution role attaches {} managed policies, more than IAM's limit of 20",
                    result.len()
                ),
            )
            .with_label("the 21st")
            .with_help("merge policies; IAM never attaches more than 20 to one role");
            self.report(diagnostic);
        } else if result.len() > 10 {
            let diagnostic = Diagnostic::new(
                Code::ManyManagedPolicies,
                self.loc(written[10].span),
                format!("the execution role attaches {} managed policies, more than IAM's default quota of 10", result.len()),
            )
            .with_label("the 11th")
            .with_help("the attachment fails unless the account's quota was raised (to at most 20)");
            self.report(diagnostic);
        }
        result
    }

    /// A managed-policy ARN: `arn:PARTITION:iam::ACCOUNT-OR-aws:policy/PATH/NAME`.
    fn policy_arn(&mut self, value: &Str, place: &Place<'_>, code: Code) -> Option<String> {
        let text = value.node.as_str();
        let what = match code {
            Code::InvalidPermissionsBoundary => "permissions boundary",
            _ => "managed policy",
        };
        let invalid = |checker: &mut Self, problem: String| {
            let diagnostic = Diagnostic::new(
                code,
                checker.loc(value.span),
                format!("{what} `{}` is not a managed-policy ARN: {problem}", shown(text)),
            )
            .with_label("invalid policy ARN")
            .with_help(format!(
                "a managed-policy ARN is `arn:{}:iam::ACCOUNT:policy/NAME`, or `arn:{}:iam::aws:policy/...` for an AWS managed policy",
                place.partition, place.partition
            ));
            checker.report(diagnostic);
            None
        };
        if text.len() < 20 || text.len() > 2048 {
            return invalid(
                self,
                format!("it is {} characters long; IAM takes 20 to 2048", text.len()),
            );
        }
        let arn = match self.arn_of(value, "iam", place) {
            Ok(arn) => arn,
            Err(Some(problem)) => return invalid(self, problem),
            Err(None) => return None,
        };
        if !arn.region.is_empty() {
            return invalid(self, "IAM ARNs have an empty region field".to_owned());
        }
        if !(arn.account == "aws" || aws::is_account_id(arn.account)) {
            return invalid(
                self,
                format!(
                    "`{}` is neither a 12-digit account ID nor `aws`",
                    shown(arn.account)
                ),
            );
        }
        let Some(name) = arn.resource.strip_prefix("policy/") else {
            return invalid(
                self,
                "its resource does not start with `policy/`".to_owned(),
            );
        };
        let name_ok = !name.is_empty()
            && !name.ends_with('/')
            && name
                .split('/')
                .all(|part| !part.is_empty() && part.chars().all(aws::is_iam_name_char));
        if !name_ok {
            return invalid(
                self,
                format!("`{}` is not a policy path and name", shown(name)),
            );
        }
        Some(text.to_owned())
    }

    fn tags(&mut self, tags: &[(&'a Str, &'a Str, Span)]) -> Vec<Tag> {
        if tags.len() > 50 {
            let diagnostic = Diagnostic::new(
                Code::TooManyTags,
                self.loc(tags[50].2),
                format!(
                    "runner `{}` has {} tags, more than IAM's 50 per role",
                    shown(self.runner),
                    tags.len()
                ),
            )
            .with_label("the 51st tag")
            .with_help("IAM allows at most 50 tags on a role");
            self.report(diagnostic);
        }
        let mut result = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for (key, value, _) in tags {
            let mut ok = true;
            if let Some(problem) = aws::tag_key_problem(&key.node) {
                let diagnostic = Diagnostic::new(
                    Code::InvalidTagKey,
                    self.loc(key.span),
                    format!("tag key `{}` is not valid: {problem}", shown(&key.node)),
                )
                .with_label("invalid tag key")
                .with_help("tag keys are 1 to 128 letters, digits, spaces and `_.:/=+-@`, not starting with `aws:`");
                self.report(diagnostic);
                ok = false;
            }
            if let Some(problem) = aws::tag_value_problem(&value.node) {
                let diagnostic = Diagnostic::new(
                    Code::InvalidTagValue,
                    self.loc(value.span),
                    format!("tag value `{}` is not valid: {problem}", shown(&value.node)),
                )
                .with_label("invalid tag value")
                .with_help("tag values are 0 to 256 letters, digits, spaces and `_.:/=+-@`");
                self.report(diagnostic);
                ok = false;
            }
            let folded = key.node.to_lowercase();
            if let Some(first) = seen.get(&folded) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateTagKey,
                    self.loc(key.span),
                    format!("tag key `{}` is written twice", shown(&key.node)),
                )
                .with_label("written again here")
                .with_secondary(first, "first written here")
                .with_help("IAM tag keys are unique on a role, ignoring case; keep one value");
                self.report(diagnostic);
                continue;
            }
            seen.insert(folded, key.span);
            if ok {
                result.push(Tag {
                    key: key.node.clone(),
                    value: value.node.clone(),
                });
            }
        }
        result
    }
}

/// Where a runner lives: what every ARN it builds is made of.
struct Place<'a> {
    account: &'a str,
    region: &'a str,
    partition: Partition,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sources;

    /// Compiles one runner's body and returns the runner (if valid) and the codes reported.
    fn check_body(body: &str) -> (Option<Runner>, Vec<Code>) {
        let text = format!(
            "runner \"r\" {{\n account \"123456789012\"\n region \"eu-west-1\"\n{body}\n}}\n"
        );
        let mut sources = Sources::new();
        let id = sources.add("t.runner", text.clone());
        let spec = crate::parse::parse(&text, id).expect("parses");
        let (mut runners, diagnostics) = check(&[(id, &spec)]);
        (runners.pop(), diagnostics.iter().map(|d| d.code).collect())
    }

    fn pipeline_secret(body: &str) -> String {
        let (runner, codes) = check_body(body);
        let runner = runner.unwrap_or_else(|| panic!("{body}: {codes:?}"));
        match &runner.pipeline_secrets[0].resource {
            SecretResource::Arn(arn) => arn.clone(),
            SecretResource::Every => "*".to_owned(),
        }
    }

    #[test]
    fn a_secret_name_gets_the_six_character_suffix_pattern() {
        assert_eq!(
            pipeline_secret(r#"secret "prod/db""#),
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????"
        );
    }

    #[test]
    fn a_full_secret_arn_is_used_as_written() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123";
        assert_eq!(pipeline_secret(&format!("secret \"{arn}\"")), arn);
    }

    #[test]
    fn an_arn_without_suffix_gets_the_pattern_appended() {
        let arn = "arn:aws:secretsmanager:us-east-1:210987654321:secret:prod/db";
        assert_eq!(
            pipeline_secret(&format!("secret \"{arn}\"")),
            format!("{arn}-??????")
        );
    }

    #[test]
    fn secret_arn_errors_have_their_codes() {
        let cases = [
            (
                "secret \"arn:aws:secretsmanager:eu-west-1:123456789012:db\"",
                Code::InvalidSecretArn,
            ),
            (
                "secret \"arn:aws:secretsmanager:eu-west-1:1234:secret:db\"",
                Code::InvalidSecretArn,
            ),
            ("secret \"arn:aws:s3:::bucket\"", Code::InvalidSecretArn),
            (
                "secret \"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db\"",
                Code::PartitionMismatch,
            ),
            (
                "secret \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123:user::\"",
                Code::SecretArnWithSelector,
            ),
            ("secret \"prod/db-AbC123\"", Code::SecretNameLooksSuffixed),
            ("secret *", Code::EverySecret),
        ];
        for (body, code) in cases {
            let (_, codes) = check_body(body);
            assert_eq!(codes, vec![code], "{body}");
        }
    }

    #[test]
    fn agent_secrets_are_kept_apart_from_pipeline_secrets() {
        let (runner, _) = check_body("secret \"a\"\n agent secret \"b\"\n agent secret \"a\"");
        let runner = runner.unwrap();
        assert_eq!(runner.pipeline_secrets.len(), 1);
        assert_eq!(runner.agent_secrets.len(), 2);
    }

    #[test]
    fn prefixes_become_folders_and_ec2_is_written_for_china() {
        let (runner, codes) = check_body("destination s3 { bucket \"b-1\" prefix \"p\" }");
        assert_eq!(
            runner.unwrap().destinations[0].prefix.as_deref(),
            Some("p/"),
            "{codes:?}"
        );
        let text = "runner \"r\" { account \"123456789012\" region \"cn-north-1\" trust service \"ec2.amazonaws.com\" }";
        let spec = crate::parse::parse(text, 0).unwrap();
        let (runners, _) = check(&[(0, &spec)]);
        assert_eq!(
            runners[0].trust.extra_services,
            vec!["ec2.amazonaws.com.cn"]
        );
        assert_eq!(runners[0].partition, Partition::AwsCn);
        assert_eq!(
            runners[0].execution_role.managed_policies,
            vec!["arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
        );
    }

    #[test]
    fn every_problem_of_a_runner_is_reported_in_one_run() {
        let (runner, codes) = check_body(
            "secret \"a b\"\n destination s3 { bucket \"B\" prefix \"/p\" }\n tag \"aws:k\" \"v\"\n task role { max-session-duration 1 }",
        );
        assert!(runner.is_none());
        for code in [
            Code::InvalidSecretName,
            Code::InvalidBucket,
            Code::InvalidPrefix,
            Code::InvalidTagKey,
            Code::InvalidSessionDuration,
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
    }
}
