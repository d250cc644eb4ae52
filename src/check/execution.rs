//! A least-privilege execution role: `image` (what the task pulls) and `logs` (where it writes
//! its logs), granted in place of `AmazonECSTaskExecutionRolePolicy`.

use super::arn::{ECR_IMAGE_URI, ECR_REPOSITORY};
use super::{Place, RunnerChecker, shown};
use crate::ast::{Spanned, Str};
use crate::aws::{self, Partition};
use crate::diag::{Code, Diagnostic};
use crate::model::{Image, LogGroup};

impl RunnerChecker<'_> {
    /// An ECR repository (its ARN, or an image URI of it), or an image of a public registry.
    /// Both forms of a repository go through the typed ARN check ([`ECR_REPOSITORY`]), so a
    /// repository of another partition is an error and one of another region or account W026.
    pub(super) fn image(&mut self, value: &Str, place: &Place<'_>) -> Option<Image> {
        let text = value.node.as_str();
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return self.invalid_image(value, "it is empty or holds white space");
        }
        let image = |this: &Self, repository: String| Image {
            reference: text.to_owned(),
            repository: Some(repository),
            written: this.loc(value.span),
        };
        if text.starts_with("arn:") {
            let arn = self.arn(value, &ECR_REPOSITORY, place)?;
            let Some(name) = arn.resource.strip_prefix("repository/") else {
                return self.invalid_image(
                    value,
                    "an ARN here is an ECR repository's, `arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME`",
                );
            };
            self.repository_name(value, name)?;
            return Some(image(self, text.to_owned()));
        }
        // `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/NAME[:TAG|@DIGEST]`
        let (host, path) = text.split_once('/').unwrap_or((text, ""));
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() < 5 || labels[1] != "dkr" || labels[2] != "ecr" {
            // A public registry's image: pulled without ECR permissions.
            return Some(Image {
                reference: text.to_owned(),
                repository: None,
                written: self.loc(value.span),
            });
        }
        let (account, region, domain) = (labels[0], labels[3], &labels[4..]);
        let name = path.split(['@', ':']).next().unwrap_or_default();
        if !aws::is_account_id(account) || name.is_empty() {
            return self.invalid_image(
                value,
                "an ECR image URI is `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`",
            );
        }
        if !aws::is_well_formed_region(region) {
            let problem = format!("`{}` is not a region", shown(region));
            return self.invalid_image(value, &problem);
        }
        // The region's partition, which the URI's domain must agree with.
        let partition = aws::unsupported_partition_of(region)
            .unwrap_or_else(|| aws::partition_of(region).as_str());
        let expected = match partition == Partition::AwsCn.as_str() {
            true => "amazonaws.com.cn",
            false => "amazonaws.com",
        };
        if domain.join(".") != expected {
            let problem = format!("the registry of region `{region}` is at `{expected}`");
            return self.invalid_image(value, &problem);
        }
        let repository = format!("arn:{partition}:ecr:{region}:{account}:repository/{name}");
        self.arn(
            &Spanned::new(repository.clone(), value.span),
            &ECR_IMAGE_URI,
            place,
        )?;
        self.repository_name(value, name)?;
        Some(image(self, repository))
    }

    /// A repository name ECR accepts; otherwise E107.
    fn repository_name(&mut self, value: &Str, name: &str) -> Option<()> {
        match aws::ecr_repository_name_problem(name) {
            None => Some(()),
            Some(problem) => {
                let problem = format!("repository name `{}` is not valid: {problem}", shown(name));
                self.invalid_image(value, &problem)
            }
        }
    }

    /// Reports an `image` that is not one (E107).
    fn invalid_image<T>(&mut self, value: &Str, problem: &str) -> Option<T> {
        let diagnostic = Diagnostic::new(
            Code::InvalidImage,
            self.loc(value.span),
            format!("`{}` is not an image: {problem}", shown(&value.node)),
        )
        .with_label("invalid image")
        .with_help("write the ECR repository's ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME`), its image URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`), or an image of a public registry (`public.ecr.aws/NAME:TAG`)");
        self.report(diagnostic);
        None
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
