//! `env` on agent secrets: the environment variables ECS sets from a secret when the container
//! starts, read through the execution role. Each is checked where it is written: only on an
//! agent secret named by its full ARN, a name ECS and shells take, once per runner, and a
//! selector (`key`, `version-stage` or `version-id`) that fits ECS's `ARN:key:stage:id` form.

use super::RunnerChecker;
use crate::access::wildcard::has_wildcard;
use crate::ast::{EnvOption, SecretDecl, SecretReader, SecretTarget, Span};
use crate::diag::{Code, Diagnostic};
use crate::model::{EnvVar, SecretResource};
use rustc_hash::FxHashMap as HashMap;

/// The longest environment variable name accepted.
const MAX_NAME: usize = 255;

impl RunnerChecker<'_> {
    /// The variables of one secret statement; `seen` holds the names of the runner's earlier ones.
    pub(super) fn env_vars(
        &mut self,
        decl: &SecretDecl,
        resource: Option<&SecretResource>,
        seen: &mut HashMap<String, Span>,
    ) -> Vec<EnvVar> {
        let Some(block) = &decl.env else {
            return Vec::new();
        };
        if decl.reader == SecretReader::Pipeline {
            let diagnostic = Diagnostic::new(
                Code::EnvOnPipelineSecret,
                self.loc(block.span),
                "`env` is written on a pipeline secret, which ECS does not inject",
            )
            .with_label("on a `secret`")
            .with_help(
                "the agent reads a `secret` itself, through the task role, at run time; remove the block, or make it an `agent secret` if ECS is to set the variables when the container starts",
            );
            self.report(diagnostic);
            return Vec::new();
        }
        let full_arn = matches!(resource, Some(SecretResource::Arn(arn)) if !has_wildcard(arn));
        if !full_arn && resource.is_some() {
            let (what, help) = match &decl.target.node {
                SecretTarget::Every => (
                    "`agent secret *`".to_owned(),
                    "name the one secret the variables come from, by its full ARN".to_owned(),
                ),
                SecretTarget::Named(text) => (
                    format!("`{text}`"),
                    format!(
                        "ECS takes a secret's full ARN, with its random suffix; print it with `{}` and write that ARN here",
                        crate::aws::full_arn_command(text)
                    ),
                ),
            };
            let diagnostic = Diagnostic::new(
                Code::EnvWithoutFullArn,
                self.loc(decl.target.span),
                format!("{what} is not a full secret ARN, so ECS cannot inject it"),
            )
            .with_label("not a full ARN")
            .with_help(help);
            self.report(diagnostic);
        }
        let mut vars = Vec::new();
        for line in &block.node {
            let name = &line.node.name;
            let mut valid = self.env_name(&name.node, name.span);
            if let Some(first) = seen.get(&name.node) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateEnv,
                    self.loc(name.span),
                    format!(
                        "`{}` is already set from a secret of this runner",
                        name.node
                    ),
                )
                .with_label("set again here")
                .with_secondary(first, "first set here")
                .with_help("a container has one value per variable: give each `env` its own name");
                self.report(diagnostic);
                valid = false;
            } else {
                seen.insert(name.node.clone(), name.span);
            }
            let mut key = None;
            let mut stage = None;
            let mut id = None;
            for option in &line.node.options {
                let value = option.node.value();
                let slot = match &option.node {
                    EnvOption::Key(_) => &mut key,
                    EnvOption::VersionStage(_) => &mut stage,
                    EnvOption::VersionId(_) => &mut id,
                };
                if slot.is_some() {
                    let diagnostic = Diagnostic::new(
                        Code::DuplicateEnv,
                        self.loc(option.span),
                        format!("`{}` is written twice on one `env`", option.node.keyword()),
                    )
                    .with_label("again")
                    .with_help(
                        "write each of `key`, `version-stage` and `version-id` at most once",
                    );
                    self.report(diagnostic);
                    valid = false;
                    continue;
                }
                if value.node.is_empty() || value.node.contains(':') {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidEnvSelector,
                        self.loc(value.span),
                        format!(
                            "{} `{}` cannot stand in a task definition's `valueFrom`",
                            option.node.keyword(),
                            value.node
                        ),
                    )
                    .with_label(if value.node.is_empty() { "empty" } else { "holds `:`" })
                    .with_help(
                        "ECS reads `valueFrom` as `ARN:json-key:version-stage:version-id`, split at colons: each part must be non-empty text without `:`; leave an option out for its default",
                    );
                    self.report(diagnostic);
                    valid = false;
                    continue;
                }
                *slot = Some((value.node.clone(), option.span));
            }
            if let (Some((_, stage_span)), Some((_, id_span))) = (&stage, &id) {
                let later = if stage_span.start > id_span.start {
                    *stage_span
                } else {
                    *id_span
                };
                let diagnostic = Diagnostic::new(
                    Code::InvalidEnvSelector,
                    self.loc(later),
                    "`version-stage` and `version-id` are both written on one `env`",
                )
                .with_label("one version too many")
                .with_help(
                    "a version is chosen by its stage (such as `AWSPREVIOUS`) or by its id, not both: keep one",
                );
                self.report(diagnostic);
                valid = false;
            }
            if valid {
                vars.push(EnvVar {
                    name: name.node.clone(),
                    key: key.map(|(v, _)| v),
                    version_stage: stage.map(|(v, _)| v),
                    version_id: id.map(|(v, _)| v),
                    written: self.loc(line.span),
                });
            }
        }
        if !full_arn {
            return Vec::new();
        }
        vars
    }

    /// Whether ECS and a shell take the name: an error where ECS or the kernel cannot, a
    /// warning where only a shell cannot.
    fn env_name(&mut self, name: &str, span: Span) -> bool {
        let bad = name.is_empty()
            || name.chars().count() > MAX_NAME
            || name
                .chars()
                .any(|c| c == '=' || c.is_whitespace() || c.is_control());
        if bad {
            let diagnostic = Diagnostic::new(
                Code::InvalidEnvName,
                self.loc(span),
                format!("`{name}` cannot be an environment variable name"),
            )
            .with_label("not a variable name")
            .with_help(format!(
                "a name is 1 to {MAX_NAME} characters without `=`, white space or control characters, such as `OAUTH_CLIENT_ID`"
            ));
            self.report(diagnostic);
            return false;
        }
        let portable = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !portable {
            let diagnostic = Diagnostic::new(
                Code::UnportableEnvName,
                self.loc(span),
                format!("`{name}` is a name a shell cannot read"),
            )
            .with_label("outside [A-Za-z_][A-Za-z0-9_]*")
            .with_help(format!(
                "ECS sets it, but `$` in a shell cannot reach it; use letters, digits and `_`, not first a digit, such as `{}`",
                name.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
                    .collect::<String>()
            ));
            self.report(diagnostic);
        }
        true
    }
}
