//! A least-privilege execution role: `image` (what the task pulls) and `logs` (where it writes
//! its logs), granted in place of `AmazonECSTaskExecutionRolePolicy`.

use super::{Place, RunnerChecker, shown};
use crate::ast::Str;
use crate::aws::Arn;
use crate::diag::{Code, Diagnostic};
use crate::model::{Image, LogGroup};

impl RunnerChecker<'_> {
    /// An ECR repository (its ARN, or an image URI of it), or an image of a public registry.
    pub(super) fn image(&mut self, value: &Str, place: &Place<'_>) -> Option<Image> {
        let text = value.node.as_str();
        let invalid = |this: &mut Self, problem: &str| {
            let diagnostic = Diagnostic::new(
                Code::InvalidImage,
                this.loc(value.span),
                format!("`{}` is not an image: {problem}", shown(text)),
            )
            .with_label("invalid image")
            .with_help("write the ECR repository's ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME`), its image URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`), or an image of a public registry (`public.ecr.aws/NAME:TAG`)");
            this.report(diagnostic);
            None
        };
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid(self, "it is empty or holds white space");
        }
        let partition = place.partition.map(|p| p.as_str());
        if let Some(arn) = Arn::parse(text) {
            let name = arn.resource.strip_prefix("repository/").unwrap_or_default();
            if arn.service != "ecr"
                || name.is_empty()
                || arn.account.len() != 12
                || arn.region.is_empty()
            {
                return invalid(
                    self,
                    "an ARN here is an ECR repository's, `arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME`",
                );
            }
            return Some(Image {
                reference: text.to_owned(),
                repository: Some(text.to_owned()),
                written: self.loc(value.span),
            });
        }
        // `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/NAME[:TAG|@DIGEST]`
        let (host, path) = text.split_once('/').unwrap_or((text, ""));
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() >= 5 && labels[1] == "dkr" && labels[2] == "ecr" {
            let (account, region) = (labels[0], labels[3]);
            let name = path.split(['@', ':']).next().unwrap_or_default();
            if !crate::aws::is_account_id(account) || name.is_empty() {
                return invalid(
                    self,
                    "an ECR image URI is `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`",
                );
            }
            let partition = partition.unwrap_or("aws");
            return Some(Image {
                reference: text.to_owned(),
                repository: Some(format!(
                    "arn:{partition}:ecr:{region}:{account}:repository/{name}"
                )),
                written: self.loc(value.span),
            });
        }
        // A public registry's image: pulled without ECR permissions.
        Some(Image {
            reference: text.to_owned(),
            repository: None,
            written: self.loc(value.span),
        })
    }

    /// A CloudWatch Logs group name: 1 to 512 of `A-Za-z0-9._-/#`.
    pub(super) fn log_group(&mut self, value: &Str) -> Option<LogGroup> {
        let name = value.node.as_str();
        let valid = !name.is_empty()
            && name.len() <= 512
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
        if !valid {
            let diagnostic = Diagnostic::new(
                Code::InvalidLogGroup,
                self.loc(value.span),
                format!("`{}` is not a CloudWatch Logs group name", shown(name)),
            )
            .with_label("invalid log group")
            .with_help("a log group name is 1 to 512 letters, digits and `._-/#`, such as `/ecs/orders-cdc`");
            self.report(diagnostic);
            return None;
        }
        Some(LogGroup {
            name: name.to_owned(),
            written: self.loc(value.span),
        })
    }

    /// Without the default policy, an execution role that names only one of `image` and `logs`
    /// cannot do the other: W088, at the one written.
    pub(super) fn least_privilege_complete(
        &mut self,
        image: Option<&Image>,
        logs: Option<&LogGroup>,
    ) {
        let (written, missing, line) = match (image, logs) {
            (Some(image), None) => (
                image.written,
                "write logs to CloudWatch",
                "logs \"/ecs/GROUP\"",
            ),
            (None, Some(logs)) => (
                logs.written,
                "pull an image from ECR",
                "image \"ECR-REPOSITORY-ARN\"",
            ),
            _ => return,
        };
        let diagnostic = Diagnostic::new(
            Code::NoTaskExecutionPolicy,
            written,
            format!(
                "the execution role does not get `AmazonECSTaskExecutionRolePolicy`, and nothing lets it {missing}"
            ),
        )
        .with_label("replaces the default policy")
        .with_help(format!(
            "add `{line}` (or `managed-policy default`) unless the task does not need it"
        ));
        self.report(diagnostic);
    }
}
