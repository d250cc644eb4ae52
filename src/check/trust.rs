//! Who may assume the roles: `trust service` and `trust conditions`.

use super::{Place, RunnerChecker, shown};
use crate::ast::{Span, Spanned, Str};
use crate::aws::Partition;
use crate::diag::{Code, Diagnostic};
use crate::model::ECS_TASKS_SERVICE;
use rustc_hash::FxHashMap as HashMap;

impl RunnerChecker<'_> {
    /// The extra principals of the task role, each where it was written.
    pub(super) fn trust_services(
        &mut self,
        services: &[&Str],
        place: &Place<'_>,
    ) -> Vec<Spanned<String>> {
        let mut result: Vec<Spanned<String>> = Vec::new();
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
            result.push(Spanned::new(principal, service.span));
        }
        result
    }

    /// Warns about what widens who may assume the roles runnerc creates: `trust conditions
    /// off` (W063, at `conditions_off`) and each extra service of the task role (W064). A role
    /// that is `existing` keeps its own trust policy (W086 says so) and is left out.
    pub(super) fn trust_reach(
        &mut self,
        created: RolesCreated,
        conditions_off: Option<Span>,
        services: &[Spanned<String>],
        place: &Place<'_>,
    ) {
        // Most runners have neither: nothing to word then.
        if conditions_off.is_none() && (services.is_empty() || !created.task) {
            return;
        }
        let account = place
            .account
            .map_or("the runner's account".to_owned(), |a| {
                format!("account `{a}`")
            });
        let region = place
            .region
            .map_or("the runner's region".to_owned(), |r| format!("`{r}`"));
        let task_guard =
            format!("only for ECS resources of that account in {region} (`aws:SourceArn`)");
        // The roles whose trust policy runnerc writes, and what the conditions hold them to
        // beyond `aws:SourceAccount`.
        let reach = match (created.task, created.execution) {
            (true, true) => Some((
                "the task and execution roles",
                format!(", and the task role {task_guard}"),
            )),
            (true, false) => Some(("the task role", format!(" and {task_guard}"))),
            (false, true) => Some(("the execution role", String::new())),
            (false, false) => None,
        };
        if let (Some(span), Some((roles, guard))) = (conditions_off, reach) {
            let diagnostic = Diagnostic::new(
                Code::TrustConditionsOff,
                self.loc(span),
                format!("`trust conditions off` lets the ECS tasks of any account assume {roles}"),
            )
            .with_label("no confused-deputy conditions")
            .with_help(format!(
                "the confused-deputy conditions let ECS assume {roles} only on behalf of {account} (`aws:SourceAccount`){guard}; remove the line to keep them"
            ));
            self.report(diagnostic);
        }
        if !created.task {
            return;
        }
        for service in services {
            let diagnostic = Diagnostic::new(
                Code::UnconditionedTrustService,
                self.loc(service.span),
                format!(
                    "service `{}` can assume the task role on behalf of any account: its trust statement has no conditions",
                    service.node
                ),
            )
            .with_label("trusted without conditions")
            .with_help(format!(
                "the conditions that keep ECS to {account} are written for `{ECS_TASKS_SERVICE}` alone, since each service supplies its own keys; remove the line unless this service must assume the task role"
            ));
            self.report(diagnostic);
        }
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
        if text.ends_with(".amazonaws.com.cn")
            && let Some(partition) = place.partition
            && partition != Partition::AwsCn
        {
            return invalid(
                self,
                format!(
                    "`{text}` is a China principal, but runner `{}` is in `{partition}`",
                    shown(self.runner),
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
        if place.partition == Some(Partition::AwsCn) && text == "ec2.amazonaws.com" {
            return Some("ec2.amazonaws.com.cn".to_owned());
        }
        Some(text.to_owned())
    }
}

/// Which of a runner's roles runnerc creates (the others are `existing`).
#[derive(Debug, Clone, Copy)]
pub(super) struct RolesCreated {
    pub task: bool,
    pub execution: bool,
}
