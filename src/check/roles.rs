//! The two roles: `task role { ... }` and `execution role { ... }`, their names, paths,
//! descriptions, boundaries, session durations and managed policies.

use super::arn::{ArnKind, EXISTING_ROLE, MANAGED_POLICY, PERMISSIONS_BOUNDARY};
use super::{Once, Place, RunnerChecker, shown};
use crate::ast::{ManagedPolicy, RoleDecl, RoleField, RoleKind, RunnerDecl, Span, Spanned, Str};
use crate::aws;
use crate::diag::{Code, Diagnostic, Loc};
use crate::model::{
    OWN_ROLE_POLICY_NAME, Ownership, Role, RoleLines, default_execution_policy,
    is_default_execution_policy,
};
use rustc_hash::FxHashMap as HashMap;

/// The code a field of a role of `kind` is refused with, if it is: what ECS does with the
/// execution role has no place in the task role (`managed-policy`, E077; `image` and `logs`,
/// E106). The language server asks it too, and offers no refused field in completion.
pub fn refused_field(kind: RoleKind, keyword: &str) -> Option<Code> {
    match (kind, keyword) {
        (RoleKind::Task, "managed-policy") => Some(Code::ManagedPolicyOnTaskRole),
        (RoleKind::Task, "image" | "logs") => Some(Code::ImageOrLogsOnTaskRole),
        _ => None,
    }
}

/// What a role block says, each field at most once.
struct RoleFields<'a> {
    name: Once<'a, Str>,
    path: Once<'a, Str>,
    description: Once<'a, Str>,
    boundary: Once<'a, Str>,
    duration: Once<'a, Str>,
    managed: Vec<&'a Spanned<ManagedPolicy>>,
    image: Once<'a, Str>,
    logs: Once<'a, Str>,
}

impl<'a> RunnerChecker<'a> {
    /// The role of one kind: created by runnerc from its block (or defaults), or `existing`.
    /// `None` when both were written (E084).
    pub(super) fn role_of(
        &mut self,
        kind: RoleKind,
        block: Option<(&'a RoleDecl, Span)>,
        existing: Option<(&'a Str, Span)>,
        runner: &RunnerDecl,
        place: &Place<'_>,
    ) -> Option<Role> {
        let Some((value, existing_span)) = existing else {
            return Some(self.role(kind, block.map(|(decl, _)| decl), runner, place));
        };
        if let Some((decl, block_span)) = block {
            let managed = decl
                .fields
                .iter()
                .find(|f| matches!(f.node, RoleField::ManagedPolicy(_)));
            let (message, secondary, help) = match managed {
                Some(field) => (
                    format!(
                        "the {} is `existing`, so runnerc attaches no managed policy to it",
                        kind.keyword()
                    ),
                    (field.span, "a managed policy for it here"),
                    "runnerc adds only its inline policy to a role it does not own; attach managed policies where the role is managed, or let runnerc create the role",
                ),
                None => (
                    format!(
                        "the {} is `existing` and also has a block `{} {{ ... }}`",
                        kind.keyword(),
                        kind.keyword()
                    ),
                    (block_span, "the block is here"),
                    "a role block describes a role runnerc creates; remove the block to use the existing role as it is, or remove `existing` to have runnerc create the role",
                ),
            };
            let diagnostic = Diagnostic::new(
                Code::ExistingRoleWithBlock,
                self.loc(existing_span),
                message,
            )
            .with_label("an existing role")
            .with_secondary(self.loc(secondary.0), secondary.1)
            .with_help(help);
            self.report(diagnostic);
            return None;
        }
        self.existing_role(value, runner, place)
    }

    /// `existing "NAME"` or `existing "arn:...:role/PATH/NAME"`.
    fn existing_role(
        &mut self,
        value: &Str,
        runner: &RunnerDecl,
        place: &Place<'_>,
    ) -> Option<Role> {
        let text = value.node.as_str();
        let (name, path, path_known) = if text.starts_with("arn:") {
            let arn = self.arn(value, &EXISTING_ROLE, place)?;
            let Some(rest) = arn.resource.strip_prefix("role/") else {
                self.invalid_arn(
                    value,
                    &EXISTING_ROLE,
                    place,
                    "its resource does not start with `role/`",
                );
                return None;
            };
            let (path, name) = match rest.rsplit_once('/') {
                Some((dirs, name)) => (format!("/{dirs}/"), name),
                None => ("/".to_owned(), rest),
            };
            if let Some(problem) = aws::role_path_problem(&path) {
                self.invalid_arn(
                    value,
                    &EXISTING_ROLE,
                    place,
                    format!("its path `{}` is not valid: {problem}", shown(&path)),
                );
                return None;
            }
            (name.to_owned(), path, true)
        } else {
            (text.to_owned(), "/".to_owned(), false)
        };
        let policy_name = crate::model::existing_role_policy_name(&runner.name.node);
        let collides = self.policy_name_collision(value, runner, &policy_name);
        let problem = match aws::role_name_problem(&name) {
            Some(problem) => Some((
                format!("role name `{}` is not valid: {problem}", shown(&name)),
                format!(
                    "write the role's name, like `ecsTaskExecutionRole`, or its ARN, `arn:{}:iam::{}:role/PATH/NAME`",
                    place.partition_or_word(),
                    place.account_or_word()
                ),
            )),
            None => (policy_name.chars().count() > 128).then(|| {
                (
                    format!(
                        "runnerc's inline policy on it, `{}`, would be longer than IAM's 128 characters",
                        shown(&policy_name)
                    ),
                    "shorten the runner name to at most 120 characters".to_owned(),
                )
            }),
        };
        if let Some((problem, help)) = problem {
            let diagnostic = Diagnostic::new(
                Code::InvalidExistingRole,
                self.loc(value.span),
                format!("existing role `{}` cannot be used: {problem}", shown(text)),
            )
            .with_label("invalid existing role")
            .with_help(help);
            self.report(diagnostic);
            return None;
        }
        if collides {
            return None;
        }
        Some(Role {
            name,
            name_loc: self.loc(value.span),
            path,
            description: None,
            permissions_boundary: None,
            max_session_duration: None,
            managed_policies: Vec::new(),
            managed_policies_written: Vec::new(),
            lines: RoleLines::default(),
            ownership: Ownership::Existing { path_known },
            image: None,
            logs: None,
        })
    }

    /// Reports a runner named `policy`, in any case, that names an `existing` role (E087): its
    /// inline policy there, `runnerc-<runner>`, would be the policy runnerc puts on the roles
    /// it creates, `runnerc-policy`, which IAM does not tell apart by case. Returns whether it
    /// reported.
    fn policy_name_collision(
        &mut self,
        value: &Str,
        runner: &RunnerDecl,
        policy_name: &str,
    ) -> bool {
        if !policy_name.eq_ignore_ascii_case(OWN_ROLE_POLICY_NAME) {
            return false;
        }
        let named = if policy_name == OWN_ROLE_POLICY_NAME {
            format!("`{OWN_ROLE_POLICY_NAME}`")
        } else {
            format!("`{policy_name}`, which IAM does not tell from `{OWN_ROLE_POLICY_NAME}`")
        };
        let diagnostic = Diagnostic::new(
            Code::RunnerNamedPolicy,
            self.loc(value.span),
            format!(
                "runner `{}` cannot use an existing role: its inline policy there would be named {named}, the name runnerc gives the inline policy on the roles it owns",
                runner.name.node
            ),
        )
        .with_label("an existing role")
        .with_secondary(self.loc(runner.name.span), "the runner's name")
        .with_help("rename the runner: on a role that another runner created, its policy would replace that runner's");
        self.report(diagnostic);
        true
    }

    /// Reports a field the task role refuses, with `code` ([`refused_field`]) and where it
    /// belongs.
    fn refuse_field(&mut self, code: Code, field: &Spanned<RoleField>) {
        let word = field.node.keyword();
        let help = match &field.node {
            RoleField::Image(v) | RoleField::Logs(v) => format!(
                "ECS pulls the image and sends the logs with the execution role; move `{word} {}` to `execution role {{ ... }}`",
                crate::format::quote(&v.node)
            ),
            _ => "the task role gets exactly the grants the spec implies; move this line to `execution role { ... }`".to_owned(),
        };
        let diagnostic = Diagnostic::new(
            code,
            self.loc(field.span),
            format!("`{word}` belongs in the execution role"),
        )
        .with_label("in the task role")
        .with_help(help);
        self.report(diagnostic);
    }

    fn role(
        &mut self,
        kind: RoleKind,
        decl: Option<&'a RoleDecl>,
        runner: &RunnerDecl,
        place: &Place<'_>,
    ) -> Role {
        let fields: &[Spanned<RoleField>] = decl.map_or(&[], |d| &d.fields);
        let RoleFields {
            name,
            path,
            description,
            boundary,
            duration,
            managed,
            image,
            logs,
        } = self.role_fields(kind, fields);
        let lines = self.role_lines(&path, &description, &boundary, &duration);
        let (role_name, name_loc) = self.role_name(kind, name, runner);
        let role_path = self.role_path(path);
        self.switch_role_length(kind, &role_path, &role_name, name_loc);
        self.description(kind, &description);
        let max_session_duration = self.session_duration(duration);

        let permissions_boundary = boundary
            .value
            .and_then(|(value, _)| self.policy_arn(value, place, &PERMISSIONS_BOUNDARY));

        let written = (image.value.is_some(), logs.value.is_some());
        let image = image.value.and_then(|(value, _)| self.image(value, place));
        let logs = logs.value.and_then(|(value, _)| self.log_group(value));
        // The task role gets exactly the grants the spec implies: no managed policy. An
        // execution role that says what it pulls or where it logs gets those grants instead of
        // the default policy.
        let (managed_policies, managed_policies_written) = match kind {
            RoleKind::Task => (Vec::new(), Vec::new()),
            RoleKind::Execution if managed.is_empty() && (written.0 || written.1) => {
                // One written and the other not (an invalid one is its own error).
                if written.0 != written.1 {
                    self.least_privilege_complete(image.as_ref(), logs.as_ref());
                }
                (Vec::new(), Vec::new())
            }
            RoleKind::Execution => {
                self.managed_policies(&managed, self.loc(runner.name.span), place)
            }
        };

        Role {
            name: role_name,
            name_loc,
            path: role_path,
            description: description.value.map(|(v, _)| v.node.clone()),
            permissions_boundary,
            max_session_duration,
            managed_policies,
            managed_policies_written,
            lines,
            ownership: Ownership::Created,
            image,
            logs,
        }
    }

    /// The fields written in a role block, each at most once; a field the role refuses is
    /// reported here ([`refused_field`]).
    fn role_fields(&mut self, kind: RoleKind, fields: &'a [Spanned<RoleField>]) -> RoleFields<'a> {
        let mut written = RoleFields {
            name: Once::new(),
            path: Once::new(),
            description: Once::new(),
            boundary: Once::new(),
            duration: Once::new(),
            managed: Vec::new(),
            image: Once::new(),
            logs: Once::new(),
        };
        for field in fields {
            let span = field.span;
            if let Some(code) = refused_field(kind, field.node.keyword()) {
                self.refuse_field(code, field);
                continue;
            }
            match &field.node {
                RoleField::Name(v) => self.once(&mut written.name, "name", v, span),
                RoleField::Path(v) => self.once(&mut written.path, "path", v, span),
                RoleField::Description(v) => {
                    self.once(&mut written.description, "description", v, span)
                }
                RoleField::PermissionsBoundary(v) => {
                    self.once(&mut written.boundary, "permissions-boundary", v, span)
                }
                RoleField::MaxSessionDuration(v) => {
                    self.once(&mut written.duration, "max-session-duration", v, span)
                }
                RoleField::Image(v) => self.once(&mut written.image, "image", v, span),
                RoleField::Logs(v) => self.once(&mut written.logs, "logs", v, span),
                RoleField::ManagedPolicy(policy) => written.managed.push(policy),
            }
        }
        written
    }

    /// The role's name, written or made from the runner's, and where it comes from.
    fn role_name(
        &mut self,
        kind: RoleKind,
        name: Once<'a, Str>,
        runner: &RunnerDecl,
    ) -> (String, Loc) {
        let suffix = match kind {
            RoleKind::Task => "task-role",
            RoleKind::Execution => "execution-role",
        };
        match name.value {
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
        }
    }

    /// The role's path, `/` when none is written.
    fn role_path(&mut self, path: Once<'a, Str>) -> String {
        match path.value {
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
        }
    }

    /// Warns when path and name together are too long for the console's Switch Role.
    fn switch_role_length(
        &mut self,
        kind: RoleKind,
        role_path: &str,
        role_name: &str,
        name_loc: Loc,
    ) {
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
            .with_label(format!("`{}{}`", shown(role_path), shown(role_name)))
            .with_help("the role works; only the console's Switch Role feature needs path and name within 64 characters");
            self.report(diagnostic);
        }
    }

    /// Reports a description IAM would refuse.
    fn description(&mut self, kind: RoleKind, description: &Once<'a, Str>) {
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
    }

    /// The maximum session duration in seconds, when written and within IAM's range.
    fn session_duration(&mut self, duration: Once<'a, Str>) -> Option<u32> {
        duration.value.and_then(|(digits, _)| {
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
        })
    }

    /// Where a role's settings were written.
    fn role_lines<A, B, C, D>(
        &self,
        path: &Once<'_, A>,
        description: &Once<'_, B>,
        boundary: &Once<'_, C>,
        duration: &Once<'_, D>,
    ) -> RoleLines {
        let line = |span: Option<Span>| span.map(|span| self.loc(span));
        RoleLines {
            path: line(path.value.map(|(_, span)| span)),
            description: line(description.value.map(|(_, span)| span)),
            permissions_boundary: line(boundary.value.map(|(_, span)| span)),
            max_session_duration: line(duration.value.map(|(_, span)| span)),
        }
    }

    /// The managed policies of an execution role, and where each was written (`runner_loc`, the
    /// runner's name, for the default policy when none is written: the spec asks for it only by
    /// leaving it out).
    fn managed_policies(
        &mut self,
        written: &[&Spanned<ManagedPolicy>],
        runner_loc: Loc,
        place: &Place<'_>,
    ) -> (Vec<String>, Vec<Loc>) {
        if written.is_empty() {
            // Without a known partition there is no ARN to write; the runner has an error.
            return match place.partition {
                Some(partition) => (vec![default_execution_policy(partition)], vec![runner_loc]),
                None => (Vec::new(), Vec::new()),
            };
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
            return (Vec::new(), Vec::new());
        }
        self.default_execution_policy_left_out(written);
        let mut result: Vec<String> = Vec::new();
        let mut result_written: Vec<Loc> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for policy in written {
            let arn = match &policy.node {
                ManagedPolicy::None => continue,
                ManagedPolicy::Default => match place.partition {
                    Some(partition) => default_execution_policy(partition),
                    None => continue,
                },
                ManagedPolicy::Arn(text) => {
                    let value = Spanned::new(text.clone(), policy.span);
                    match self.policy_arn(&value, place, &MANAGED_POLICY) {
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
            result_written.push(self.loc(policy.span));
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
        (result, result_written)
    }

    /// Warns when the written managed policies of the execution role leave out
    /// `AmazonECSTaskExecutionRolePolicy` (W088), which lets ECS pull the image from ECR and
    /// write the task's logs.
    fn default_execution_policy_left_out(&mut self, written: &[&Spanned<ManagedPolicy>]) {
        let kept = written.iter().any(|policy| match &policy.node {
            ManagedPolicy::Default => true,
            ManagedPolicy::Arn(arn) => is_default_execution_policy(arn),
            ManagedPolicy::None => false,
        });
        let Some(first) = written.first().filter(|_| !kept) else {
            return;
        };
        let (label, help) = if first.node == ManagedPolicy::None {
            (
                "no managed policy",
                "write `managed-policy default` instead; keep `none` only if the image is not in ECR and the task sends no logs to CloudWatch",
            )
        } else {
            (
                "replaces the default policy",
                "add `managed-policy default` to keep it beside these; leave it out only if the image is not in ECR and the task sends no logs to CloudWatch, or if one of these policies grants the same",
            )
        };
        let diagnostic = Diagnostic::new(
            Code::NoTaskExecutionPolicy,
            self.loc(first.span),
            "the execution role does not get `AmazonECSTaskExecutionRolePolicy`, so it cannot pull images from ECR or write logs to CloudWatch unless another policy grants that",
        )
        .with_label(label)
        .with_help(help);
        self.report(diagnostic);
    }

    /// A managed-policy ARN: `arn:PARTITION:iam::ACCOUNT-OR-aws:policy/PATH/NAME`.
    fn policy_arn(&mut self, value: &Str, place: &Place<'_>, kind: &ArnKind) -> Option<String> {
        let text = value.node.as_str();
        if text.len() < 20 || text.len() > 2048 {
            let problem = format!("it is {} characters long; IAM takes 20 to 2048", text.len());
            self.invalid_arn(value, kind, place, problem);
            return None;
        }
        let arn = self.arn(value, kind, place)?;
        let Some(name) = arn.resource.strip_prefix("policy/") else {
            self.invalid_arn(
                value,
                kind,
                place,
                "its resource does not start with `policy/`",
            );
            return None;
        };
        let name_ok = !name.is_empty()
            && !name.ends_with('/')
            && name
                .split('/')
                .all(|part| !part.is_empty() && part.chars().all(aws::is_iam_name_char));
        if !name_ok {
            let problem = format!("`{}` is not a policy path and name", shown(name));
            self.invalid_arn(value, kind, place, problem);
            return None;
        }
        Some(text.to_owned())
    }
}
