//! Trust policies of an `existing` role and what runnerc's trust check must decide of each,
//! for a runner in account `ACCOUNT` and region `eu-west-1`: the scripts (tests/aws_cli.rs,
//! against moto) and the Terraform module (tests/iac.rs) are held to the same table.

pub const ACCOUNT: &str = "777700000025";

/// What the check decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The role lets this runner's ECS tasks in.
    Accepted,
    /// A Deny applies to ECS's request.
    Denied,
    /// runnerc cannot tell: the statements to check are shown.
    Unsure,
    /// No Allow applies.
    NotTrusted,
}

pub struct TrustCase {
    pub what: &'static str,
    /// `task` or `execution`: which role of the runner holds the policy.
    pub kind: &'static str,
    pub statements: Vec<String>,
    pub outcome: Outcome,
}

impl TrustCase {
    pub fn document(&self) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            self.statements.join(",")
        )
    }
}

pub fn cases() -> Vec<TrustCase> {
    use Outcome::*;
    let ecs = r#""Principal":{"Service":"ecs-tasks.amazonaws.com"}"#;
    let allow = format!(r#"{{"Effect":"Allow",{ecs},"Action":"sts:AssumeRole"}}"#);
    let case = |what, kind, statements: Vec<String>, outcome| TrustCase {
        what,
        kind,
        statements,
        outcome,
    };
    vec![
        case("AWS's documented trust", "task", vec![allow.clone()], Accepted),
        case(
            "allowed, then denied explicitly",
            "task",
            vec![
                allow.clone(),
                format!(r#"{{"Effect":"Deny",{ecs},"Action":"sts:AssumeRole"}}"#),
            ],
            Denied,
        ),
        case(
            "a Deny of every principal through a wildcard action",
            "execution",
            vec![
                allow.clone(),
                r#"{"Effect":"Deny","Principal":"*","Action":"sts:Assume*"}"#.to_owned(),
            ],
            Denied,
        ),
        case(
            "another action only",
            "task",
            vec![format!(r#"{{"Effect":"Allow",{ecs},"Action":"sts:TagSession"}}"#)],
            NotTrusted,
        ),
        case(
            "another account's tasks only",
            "execution",
            vec![format!(
                r#"{{"Effect":"Allow",{ecs},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:SourceAccount":"111122223333"}}}}}}"#
            )],
            NotTrusted,
        ),
        case(
            "another account's task ARNs only",
            "task",
            vec![format!(
                r#"{{"Effect":"Allow",{ecs},"Action":"sts:AssumeRole","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:ecs:eu-west-1:111122223333:*"}}}}}}"#
            )],
            NotTrusted,
        ),
        case(
            "another principal only",
            "task",
            vec![r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#.to_owned()],
            NotTrusted,
        ),
        case(
            "NotPrincipal in a Deny",
            "execution",
            vec![
                allow.clone(),
                r#"{"Effect":"Deny","NotPrincipal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}"#.to_owned(),
            ],
            Unsure,
        ),
        case(
            "an operator runnerc does not evaluate",
            "task",
            vec![format!(
                r#"{{"Effect":"Allow",{ecs},"Action":"sts:AssumeRole","Condition":{{"DateGreaterThan":{{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}}}"#
            )],
            Unsure,
        ),
        case(
            "a Deny that applies to some tasks (one cluster)",
            "task",
            vec![
                allow.clone(),
                format!(
                    r#"{{"Effect":"Deny",{ecs},"Action":"sts:AssumeRole","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:ecs:eu-west-1:{ACCOUNT}:task/prod/*"}}}}}}"#
                ),
            ],
            Unsure,
        ),
        case(
            "aws:SourceArn on the execution role (AWS documents none for it)",
            "execution",
            vec![format!(
                r#"{{"Effect":"Allow",{ecs},"Action":"sts:AssumeRole","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:ecs:eu-west-1:{ACCOUNT}:*"}}}}}}"#
            )],
            Unsure,
        ),
        case(
            "an undecidable Allow beside one that applies",
            "task",
            vec![
                allow.clone(),
                format!(
                    r#"{{"Effect":"Allow",{ecs},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}"#
                ),
            ],
            Accepted,
        ),
        case(
            "documented conditions, lists, case, wildcards and a Deny of other accounts",
            "task",
            vec![
                format!(
                    r#"{{"Effect":"Allow","Principal":{{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]}},"Action":["sts:TagSession","STS:AssumeRole"],"Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:ecs:*:{ACCOUNT}:*"}},"StringEquals":{{"aws:sourceaccount":["111122223333","{ACCOUNT}"]}}}}}}"#
                ),
                format!(
                    r#"{{"Effect":"Deny",{ecs},"Action":"sts:AssumeRole","Condition":{{"StringNotEquals":{{"aws:SourceAccount":"{ACCOUNT}"}}}}}}"#
                ),
            ],
            Accepted,
        ),
        case(
            "StringLike account, ArnLikeIfExists on the execution role, sts:*",
            "execution",
            vec![format!(
                r#"{{"Effect":"Allow",{ecs},"Action":"sts:*","Condition":{{"StringLike":{{"aws:SourceAccount":"7777000000*"}},"ArnLikeIfExists":{{"aws:SourceArn":"arn:aws:ecs:eu-west-1:{ACCOUNT}:*"}}}}}}"#
            )],
            Accepted,
        ),
        case(
            "NotAction that leaves sts:AssumeRole in, Principal *",
            "execution",
            vec![r#"{"Effect":"Allow","Principal":"*","NotAction":"sts:TagSession","Condition":{"StringEquals":{"aws:SourceAccount":"777700000025"}}}"#.to_owned()],
            Accepted,
        ),
    ]
}
