//! Syntax tree to model: every rule of the contract that a spec can break, one module per
//! family of statements ([`secrets`], [`destinations`], [`trust`], [`roles`], [`tags`]) and one
//! typed check for every ARN ([`arn`]).
//!
//! The checker never stops at the first problem. It walks every runner of every file, reports
//! each error and warning it finds, and builds a [`Runner`] for each runner that has no error.
//! Rules that span runners (unique runner names, unique role names per account) run last.
//! The size quotas of the emitted documents are checked after lowering, in
//! [`quota`](crate::quota).

mod arn;
mod destinations;
mod env;
mod execution;
mod roles;
mod secrets;
mod tags;
mod trust;

use crate::ast::{DestinationField, RoleKind, RunnerDecl, Span, Spanned, Statement, Str};
use crate::aws::{self, Partition};
use crate::diag::{Code, Diagnostic, FileId, Loc};
use crate::model::{RoleIdentity, Runner, Trust};
use rustc_hash::FxHashMap as HashMap;
use trust::RolesCreated;

pub use roles::refused_field;

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
    // Runner names are compared as IAM compares the role and policy names made of them:
    // without regard to case.
    let mut names: HashMap<String, (&str, Loc)> = HashMap::default();
    let mut duplicates = vec![false; checked.len()];
    for (index, entry) in checked.iter().enumerate() {
        match names.entry(entry.name.to_ascii_lowercase()) {
            std::collections::hash_map::Entry::Occupied(slot) => {
                let &(first_name, first) = slot.get();
                let (message, help) = if first_name == entry.name {
                    (
                        format!("runner `{}` is defined twice", shown(&entry.name)),
                        "runner names name the output folders; give each runner its own",
                    )
                } else {
                    (
                        format!(
                            "runner `{}` differs from runner `{}` only in case, which IAM does not distinguish",
                            shown(&entry.name),
                            shown(first_name)
                        ),
                        "a runner's name makes its role and inline-policy names, which IAM compares without regard to case; give each runner its own name",
                    )
                };
                diagnostics.push(
                    Diagnostic::new(Code::DuplicateRunner, entry.name_loc, message)
                        .with_label("defined again here")
                        .with_secondary(first, "first defined here")
                        .with_help(help),
                );
                duplicates[index] = true;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((&entry.name, entry.name_loc));
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

/// IAM role names are unique per account (of a partition), ignoring case: two runners may not
/// create roles of one name, nor may one create a role that another names `existing`. Several
/// runners may name the same existing role (the account's shared `ecsTaskExecutionRole`), but
/// one runner may not name it for both of its roles, since its inline policy there has one name.
fn check_role_names(runners: &[Runner], diagnostics: &mut Vec<Diagnostic>) {
    // The first use of each role: where, whether existing, and by which runner.
    let mut seen: HashMap<RoleIdentity<'_>, (Loc, bool, &str)> = HashMap::default();
    for runner in runners {
        for kind in RoleKind::ALL {
            let role = runner.role(kind);
            let key = runner.role_identity(kind);
            let existing = role.is_existing();
            let Some((first, first_existing, first_runner)) = seen.get(&key).copied() else {
                seen.insert(key, (role.name_loc, existing, &runner.name));
                continue;
            };
            let (message, help) = match (first_existing, existing) {
                (true, true) if first_runner != runner.name => continue,
                (true, true) => (
                    format!("runner `{}` names the existing role `{}` for both of its roles", runner.name, role.name),
                    "runnerc's inline policy on an existing role is named after the runner, so each runner may add it to a role once; use two roles".to_owned(),
                ),
                (false, false) => (
                    format!("role name `{}` is used twice in account `{}`", role.name, runner.account),
                    "IAM role names are unique per account, ignoring case; set `name` in a role block".to_owned(),
                ),
                _ => (
                    format!("role `{}` is created by one runner and named `existing` by another", role.name),
                    "a role runnerc creates belongs to its runner; give the created role another name, or make both `existing`".to_owned(),
                ),
            };
            diagnostics.push(
                Diagnostic::new(Code::DuplicateRoleName, role.name_loc, message)
                    .with_label(format!("`{}` again", role.name))
                    .with_secondary(first, "first used here")
                    .with_help(help),
            );
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
    secrets: Vec<(&'a crate::ast::SecretDecl, Span)>,
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
        let mut existing_task_role = Once::new();
        let mut existing_execution_role = Once::new();
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
                Statement::ExistingRole { kind, role } => match kind {
                    RoleKind::Task => {
                        self.once(&mut existing_task_role, "task role existing", role, span)
                    }
                    RoleKind::Execution => self.once(
                        &mut existing_execution_role,
                        "execution role existing",
                        role,
                        span,
                    ),
                },
                Statement::Secret(secret) => gathered.secrets.push((secret, span)),
                Statement::Destination(fields) => gathered.destinations.push((fields, span)),
                Statement::TrustService(service) => gathered.services.push(service),
                Statement::Tag { key, value } => gathered.tags.push((key, value, span)),
            }
        }

        let written = [account.value.map(|v| v.1), region.value.map(|v| v.1)]
            .map(|span| self.loc(span.unwrap_or(decl.name.span)));
        let account = self.account(account.value.map(|(v, _)| v), &decl.name);
        let (region, partition) = self.region(region.value.map(|(v, _)| v), &decl.name);
        let place = Place {
            account,
            region,
            partition,
        };

        let (pipeline_secrets, agent_secrets) = self.secrets(&gathered.secrets, &place);
        let destinations = self.destinations(&gathered.destinations, &place);
        let extra_services = self.trust_services(&gathered.services, &place);
        let task_role = self.role_of(
            RoleKind::Task,
            task_role.value,
            existing_task_role.value,
            decl,
            &place,
        );
        let execution_role = self.role_of(
            RoleKind::Execution,
            execution_role.value,
            existing_execution_role.value,
            decl,
            &place,
        );
        let tags = self.tags(&gathered.tags);
        self.no_effect_on_existing_roles(
            task_role.as_ref(),
            execution_role.as_ref(),
            &gathered,
            conditions.value.map(|(_, span)| span),
        );
        // A role that is not known (an error) is not warned about.
        let created = RolesCreated {
            task: task_role.as_ref().is_some_and(|r| !r.is_existing()),
            execution: execution_role.as_ref().is_some_and(|r| !r.is_existing()),
        };
        let conditions_off = conditions
            .value
            .and_then(|(on, span)| (!on.node).then_some(span));
        self.trust_reach(created, conditions_off, &extra_services, &place);
        let trust = Trust {
            confused_deputy_conditions: conditions_off.is_none(),
            extra_services_written: extra_services.iter().map(|s| self.loc(s.span)).collect(),
            extra_services: extra_services.into_iter().map(|s| s.node).collect(),
            conditions_off_written: conditions_off.map(|span| self.loc(span)),
        };

        Some(Runner {
            task_role: task_role?,
            execution_role: execution_role?,
            name: decl.name.node.clone(),
            name_loc: self.loc(decl.name.span),
            account: account?.to_owned(),
            region: region?.to_owned(),
            account_written: written[0],
            region_written: written[1],
            partition: partition?,
            pipeline_secrets,
            agent_secrets,
            destinations,
            trust,
            tags,
        })
    }

    /// Warns about statements that change nothing because the roles they apply to are
    /// `existing` (W086): runnerc edits neither the trust policy nor the tags of such a role.
    fn no_effect_on_existing_roles(
        &mut self,
        task: Option<&crate::model::Role>,
        execution: Option<&crate::model::Role>,
        gathered: &Gathered<'_>,
        conditions: Option<Span>,
    ) {
        let task_existing = task.is_some_and(|r| r.is_existing());
        let both_existing = task_existing && execution.is_some_and(|r| r.is_existing());
        let warn = |checker: &mut Self, span: Span, what: &str, why: &str| {
            let diagnostic = Diagnostic::new(
                Code::NoEffectOnExistingRole,
                checker.loc(span),
                format!("`{what}` has no effect: {why}"),
            )
            .with_label("changes nothing")
            .with_help("runnerc adds only its inline policy to an existing role; make this change where the role is managed, or remove the line");
            checker.report(diagnostic);
        };
        if task_existing {
            for service in &gathered.services {
                warn(
                    self,
                    service.span,
                    "trust service",
                    "the task role is `existing`, and runnerc does not edit its trust policy",
                );
            }
        }
        if both_existing {
            if let Some((_, _, span)) = gathered.tags.first() {
                warn(
                    self,
                    *span,
                    "tag",
                    "both roles are `existing`, and runnerc tags only roles it creates",
                );
            }
            if let Some(span) = conditions {
                warn(
                    self,
                    span,
                    "trust conditions",
                    "both roles are `existing`, and runnerc does not edit their trust policies",
                );
            }
        }
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
        self.account_id(account)
    }

    /// An account ID, `account` or a bucket's `owner`: exactly 12 digits.
    fn account_id<'v>(&mut self, account: &'v Str) -> Option<&'v str> {
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
}

/// Where a runner lives: what every ARN it builds is made of. A part is `None` when the spec
/// leaves it out or writes it invalid: that is an error already, and every rule that compares
/// with the part is skipped, so no diagnostic names a value the spec does not hold.
struct Place<'a> {
    account: Option<&'a str>,
    region: Option<&'a str>,
    partition: Option<Partition>,
}

impl Place<'_> {
    /// The partition as help lines write it: `aws`, or `PARTITION` when it is not known.
    fn partition_or_word(&self) -> &'static str {
        self.partition.map_or("PARTITION", Partition::as_str)
    }

    /// The account as help lines write it: `123456789012`, or `ACCOUNT` when it is not known.
    fn account_or_word(&self) -> &str {
        self.account.unwrap_or("ACCOUNT")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::SpecFile;
    use crate::diag::Sources;
    use crate::model::SecretResource;

    /// Every runner of every file through [`check_runner`], then [`check_across`].
    fn check(files: &[(FileId, &SpecFile)]) -> (Vec<Runner>, Vec<Diagnostic>) {
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
    fn role_names_are_unique_per_account_of_a_partition() {
        let codes = |second_region: &str| {
            let runner = |name: &str, region: &str| {
                format!(
                    "runner \"{name}\" {{ account \"123456789012\" region \"{region}\" task role {{ name \"streaming-task\" }} }}\n"
                )
            };
            let text = runner("a", "eu-west-1") + &runner("b", second_region);
            let mut sources = Sources::new();
            let id = sources.add("t.runner", text.clone());
            let spec = crate::parse::parse(&text, id).expect("parses");
            let (_, diagnostics) = check(&[(id, &spec)]);
            diagnostics.iter().map(|d| d.code).collect::<Vec<_>>()
        };
        assert_eq!(codes("us-east-1"), [Code::DuplicateRoleName]);
        // `arn:aws:iam::123456789012:role/streaming-task` and `arn:aws-cn:...` are two roles.
        assert_eq!(codes("cn-north-1"), []);
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

    /// The diagnostics of one runner with the given `account` and `region` values.
    fn check_placed(account: &str, region: &str, body: &str) -> Vec<Diagnostic> {
        let text =
            format!("runner \"r\" {{\n account \"{account}\"\n region \"{region}\"\n{body}\n}}\n");
        let spec = crate::parse::parse(&text, 0).expect("parses");
        check(&[(0, &spec)]).1
    }

    const PLACED_ARNS: &str = r#"
        secret "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-AbC123"
        secret "arn:aws:secretsmanager:us-west-2:210987654321:secret:b-AbC123"
        secret "arn:aws-cn:secretsmanager:cn-north-1:210987654321:secret:c-AbC123"
        agent secret "d" kms "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        destination s3 { bucket "b-1" prefix "p/" }
        destination s3 { bucket "b-1" prefix "q/" owner "210987654321" }
        task role { permissions-boundary "arn:aws:iam::111122223333:policy/p" }
        execution role existing "arn:aws:iam::210987654321:role/agent"
    "#;

    /// A principal of China, which only a runner in China may trust.
    const CHINA_PRINCIPAL: &str = "trust service \"ec2.amazonaws.com.cn\"";

    #[test]
    fn an_invalid_account_and_region_are_the_only_diagnostics() {
        let diagnostics = check_placed("12345", "eu-west", PLACED_ARNS);
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::InvalidAccount, Code::InvalidRegion]);
    }

    #[test]
    fn with_an_invalid_account_only_regions_are_compared() {
        let body = format!("{PLACED_ARNS}{CHINA_PRINCIPAL}");
        let diagnostics = check_placed("12345", "eu-west-1", &body);
        let other_place: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.code == Code::OtherRegionOrAccount)
            .collect();
        // The secret in us-west-2 and the key in us-east-1; the IAM ARNs name no region.
        assert_eq!(other_place.len(), 2, "{diagnostics:#?}");
        for diagnostic in &other_place {
            assert!(
                diagnostic.message.ends_with("is in region `eu-west-1`"),
                "{}",
                diagnostic.message
            );
        }
        // The region is replaced, the ARN's own account kept.
        let helps: Vec<&str> = other_place
            .iter()
            .map(|d| d.help.as_deref().unwrap())
            .collect();
        assert!(
            helps[0]
                .ends_with("write `arn:aws:secretsmanager:eu-west-1:210987654321:secret:b-AbC123`"),
            "{}",
            helps[0]
        );
        assert!(
            helps[1].ends_with(
                "write `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`"
            ),
            "{}",
            helps[1]
        );
        // The China principal and the China secret are told apart from the runner's partition.
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&Code::PartitionMismatch), "{codes:?}");
        assert!(codes.contains(&Code::InvalidTrustService), "{codes:?}");
        assert!(!codes.contains(&Code::BucketOwnerConflict), "{codes:?}");
        assert!(!codes.contains(&Code::InvalidExistingRole), "{codes:?}");
    }

    #[test]
    fn with_an_invalid_region_only_accounts_are_compared() {
        let body = format!("{PLACED_ARNS}{CHINA_PRINCIPAL}");
        let diagnostics = check_placed("123456789012", "eu-west", &body);
        let messages: Vec<&str> = diagnostics
            .iter()
            .filter(|d| d.code == Code::OtherRegionOrAccount)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            vec![
                "this secret ARN names account `210987654321`, but runner `r` is in account `123456789012`",
                "this secret ARN names account `210987654321`, but runner `r` is in account `123456789012`",
                "this KMS key ARN names account `111122223333`, but runner `r` is in account `123456789012`",
                "this managed-policy ARN names account `111122223333`, but runner `r` is in account `123456789012`",
            ],
            "{diagnostics:#?}"
        );
        // The account is replaced, the ARN's own region kept.
        let help = diagnostics
            .iter()
            .find(|d| d.code == Code::OtherRegionOrAccount)
            .and_then(|d| d.help.as_deref())
            .unwrap();
        assert!(
            help.ends_with("write `arn:aws:secretsmanager:us-west-2:123456789012:secret:b-AbC123`"),
            "{help}"
        );
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        // The bucket's two owners and the role of another account are still errors.
        assert!(codes.contains(&Code::BucketOwnerConflict), "{codes:?}");
        assert!(codes.contains(&Code::InvalidExistingRole), "{codes:?}");
        assert!(!codes.contains(&Code::PartitionMismatch), "{codes:?}");
        assert!(!codes.contains(&Code::InvalidTrustService), "{codes:?}");
    }

    #[test]
    fn trust_warnings_say_the_runners_account_when_it_is_not_known() {
        let diagnostics = check_placed(
            "12345",
            "eu-west",
            "trust conditions off\n trust service \"ec2.amazonaws.com\"",
        );
        let helps: Vec<(Code, &str)> = diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| (d.code, d.help.as_deref().unwrap()))
            .collect();
        assert_eq!(helps.len(), 2, "{diagnostics:#?}");
        assert_eq!(helps[0].0, Code::TrustConditionsOff);
        assert!(helps[0].1.contains("on behalf of the runner's account"));
        assert!(helps[0].1.contains("in the runner's region"));
        assert_eq!(helps[1].0, Code::UnconditionedTrustService);
        assert!(helps[1].1.contains("keep ECS to the runner's account"));
    }

    #[test]
    fn what_weakens_a_spec_warns_once_per_line() {
        let cases = [
            ("trust conditions off", vec![Code::TrustConditionsOff]),
            ("trust conditions on", vec![]),
            (
                "trust service \"ec2.amazonaws.com\"\n trust service \"states.amazonaws.com\"",
                vec![Code::UnconditionedTrustService; 2],
            ),
            // The existing task role keeps its trust policy: W086 says so instead.
            (
                "task role existing \"t\"\n trust service \"ec2.amazonaws.com\"",
                vec![Code::NoEffectOnExistingRole],
            ),
            (
                "task role existing \"t\"\n execution role existing \"e\"\n trust conditions off",
                vec![Code::NoEffectOnExistingRole],
            ),
            ("destination s3 { bucket \"b-1\" }", vec![Code::WholeBucket]),
            ("destination s3 { bucket \"b-1\" prefix \"p\" }", vec![]),
            (
                "execution role { managed-policy none }",
                vec![Code::NoTaskExecutionPolicy],
            ),
            (
                "execution role { managed-policy \"arn:aws:iam::123456789012:policy/p\" }",
                vec![Code::NoTaskExecutionPolicy],
            ),
            (
                "execution role { managed-policy \"arn:aws:iam::123456789012:policy/p\" managed-policy default }",
                vec![],
            ),
            (
                "execution role { managed-policy \"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy\" }",
                vec![],
            ),
            ("execution role { name \"e\" }", vec![]),
        ];
        for (body, expected) in cases {
            let (_, codes) = check_body(body);
            assert_eq!(codes, expected, "{body}");
        }
    }

    #[test]
    fn a_runner_named_policy_in_any_case_may_not_use_an_existing_role() {
        for name in ["policy", "Policy", "POLICY"] {
            let text = format!(
                "runner \"{name}\" {{ account \"123456789012\" region \"eu-west-1\" task role existing \"shared\" }}"
            );
            let spec = crate::parse::parse(&text, 0).unwrap();
            let (runners, diagnostics) = check(&[(0, &spec)]);
            let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(codes, vec![Code::RunnerNamedPolicy], "{name}");
            assert!(runners.is_empty());
        }
        // Its own roles are fine: their policy is `runnerc-policy` anyway.
        let text = "runner \"policy\" { account \"123456789012\" region \"eu-west-1\" }";
        let spec = crate::parse::parse(text, 0).unwrap();
        assert!(check(&[(0, &spec)]).1.is_empty());
    }

    #[test]
    fn runner_names_are_unique_without_regard_to_case() {
        let text = "runner \"cdc\" { account \"123456789012\" region \"eu-west-1\" }\nrunner \"CDC\" { account \"210987654321\" region \"eu-west-1\" }";
        let spec = crate::parse::parse(text, 0).unwrap();
        let (runners, diagnostics) = check(&[(0, &spec)]);
        assert_eq!(runners.len(), 1);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::DuplicateRunner);
        assert!(
            diagnostics[0].message.contains("only in case"),
            "{}",
            diagnostics[0].message
        );
    }

    /// The messages of one runner's diagnostics of `code`.
    fn messages(body: &str, code: Code) -> Vec<String> {
        let diagnostics = check_placed("123456789012", "eu-west-1", body);
        diagnostics
            .iter()
            .filter(|d| d.code == code)
            .map(|d| format!("{} | {}", d.message, d.help.as_deref().unwrap_or("")))
            .collect()
    }

    const OWNER_KEY: &str =
        "arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const RUNNER_KEY: &str =
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const THIRD_KEY: &str =
        "arn:aws:kms:eu-west-1:333344445555:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn a_buckets_key_in_its_owners_account_is_no_warning() {
        let owned = |key: &str| {
            format!(
                "destination s3 {{ bucket \"b-1\" prefix \"p/\" owner \"210987654321\" kms \"{key}\" }}"
            )
        };
        assert_eq!(
            messages(&owned(OWNER_KEY), Code::OtherRegionOrAccount),
            Vec::<String>::new()
        );
        // The runner's own key on another account's bucket is no slip either (the writer's key).
        assert_eq!(
            messages(&owned(RUNNER_KEY), Code::OtherRegionOrAccount),
            Vec::<String>::new()
        );
        // A key of a third account is named against the bucket.
        let warned = messages(&owned(THIRD_KEY), Code::OtherRegionOrAccount);
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].starts_with("this KMS key ARN names account `333344445555`, but the bucket it encrypts is in region `eu-west-1`, account `210987654321`"),
            "{}",
            warned[0]
        );
        assert!(
            warned[0].ends_with(&format!("write `{OWNER_KEY}`")),
            "{}",
            warned[0]
        );
        // Without `owner`, the bucket is the runner's, and so is its key.
        let own = format!("destination s3 {{ bucket \"b-1\" prefix \"p/\" kms \"{OWNER_KEY}\" }}");
        let warned = messages(&own, Code::OtherRegionOrAccount);
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(warned[0].contains("but runner `r` is in"), "{}", warned[0]);
    }

    #[test]
    fn a_secrets_key_in_the_secrets_account_is_no_warning() {
        let secret = "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/db-AbC123";
        let shared_key =
            "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let warned = messages(
            &format!("secret \"{secret}\" kms \"{shared_key}\""),
            Code::OtherRegionOrAccount,
        );
        // The secret's own place is warned about once; its key, in the same place, is not.
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(warned[0].starts_with("this secret ARN"), "{}", warned[0]);
        // The runner's key on that secret is in another region than the secret: KMS keys are
        // regional, so that is named; its account, the runner's, is not.
        let warned = messages(
            &format!("secret \"{secret}\" kms \"{RUNNER_KEY}\""),
            Code::OtherRegionOrAccount,
        );
        assert_eq!(warned.len(), 2, "{warned:?}");
        assert!(
            warned[1].starts_with("this KMS key ARN names region `eu-west-1`, but the secret it decrypts is in region `us-east-1`, account `210987654321`"),
            "{}",
            warned[1]
        );
    }

    #[test]
    fn kms_key_ids_are_uuids_or_multi_region_ids() {
        for id in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
        ] {
            let (_, codes) = check_body(&format!(
                "secret \"a\" kms \"arn:aws:kms:eu-west-1:123456789012:key/{id}\""
            ));
            assert_eq!(codes, [], "{id}");
        }
        for id in ["k1", "1234ABCD-12AB-34CD-56EF-1234567890AB", "mrk-12"] {
            let body = format!("secret \"a\" kms \"arn:aws:kms:eu-west-1:123456789012:key/{id}\"");
            let (_, codes) = check_body(&body);
            assert_eq!(codes, [Code::InvalidKmsKey], "{id}");
        }
        let (_, codes) =
            check_body("secret \"a\" kms \"arn:aws:kms:eu-west-1:123456789012:alias/cdc\"");
        assert_eq!(codes, [Code::KmsAlias]);
    }

    #[test]
    fn an_image_is_checked_as_every_arn_is() {
        let image = |value: &str| {
            check_body(&format!(
                "execution role {{ image \"{value}\" logs \"/ecs/x\" }}"
            ))
            .1
        };
        let cases = [
            (
                "arn:aws:ecr:eu-west-1:123456789012:repository/orders-agent",
                vec![],
            ),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/orders-agent:1.2",
                vec![],
            ),
            ("public.ecr.aws/acme/agent:latest", vec![]),
            (
                "arn:aws-cn:ecr:cn-north-1:123456789012:repository/orders-agent",
                vec![Code::PartitionMismatch],
            ),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/orders-agent:1",
                vec![Code::PartitionMismatch],
            ),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com/orders-agent:1",
                vec![Code::InvalidImage],
            ),
            (
                "arn:aws:ecr:cn-north-1:123456789012:repository/orders-agent",
                vec![Code::RegionOutsidePartition],
            ),
            (
                "arn:aws:ecr:us-east-1:210987654321:repository/orders-agent",
                vec![Code::OtherRegionOrAccount],
            ),
            (
                "210987654321.dkr.ecr.us-east-1.amazonaws.com/orders-agent:1",
                vec![Code::OtherRegionOrAccount],
            ),
            (
                "arn:aws:ecr:eu-west-1:123456789012:repository/Orders",
                vec![Code::InvalidImage],
            ),
            (
                "arn:aws:ecr:eu-west-1:123456789012:repository/a--b",
                vec![Code::InvalidImage],
            ),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/Orders:1",
                vec![Code::InvalidImage],
            ),
            (
                "arn:aws:ecr:eu-west:123456789012:repository/orders",
                vec![Code::InvalidImage],
            ),
            ("arn:aws:s3:::orders", vec![Code::InvalidImage]),
        ];
        for (value, expected) in cases {
            assert_eq!(image(value), expected, "{value}");
        }
        // A URI's repository is granted as its ARN, in the partition of its region.
        let (runner, _) = check_body(
            "execution role { image \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/a:1\" logs \"/ecs/x\" }",
        );
        let image = runner.unwrap().execution_role.image.unwrap();
        assert_eq!(
            image.repository.as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/team/a")
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
