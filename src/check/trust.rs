//! Who may assume the roles: `trust service` and `trust conditions`.

use super::{Place, RunnerChecker, shown};
use crate::ast::{Span, Str};
use crate::aws::Partition;
use crate::diag::{Code, Diagnostic};
use crate::model::ECS_TASKS_SERVICE;
use rustc_hash::FxHashMap as HashMap;

impl RunnerChecker<'_> {
    pub(super) fn trust_services(&mut self, services: &[&Str], place: &Place<'_>) -> Vec<String> {
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
}
