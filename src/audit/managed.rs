//! The AWS managed policies whose contents runnerc knows, so `can` can evaluate them.

use crate::aws::Partition;
use crate::model::default_execution_policy;

/// `AmazonECSTaskExecutionRolePolicy`, version 1, the one version AWS has published
/// (docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html).
pub const ECS_TASK_EXECUTION_ROLE_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// The document of a managed policy, when runnerc knows it.
pub fn known(arn: &str, partition: Partition) -> Option<&'static str> {
    (arn == default_execution_policy(partition)).then_some(ECS_TASK_EXECUTION_ROLE_POLICY)
}

/// A managed policy runnerc knows, read as a policy.
pub fn known_policy(arn: &str, partition: Partition) -> Option<crate::access::policy::Policy> {
    known(arn, partition).map(|text| {
        crate::access::policy::Policy::from_text(text).expect("known managed policies read")
    })
}
