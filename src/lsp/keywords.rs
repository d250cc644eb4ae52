//! What each keyword of the language means, for hover.

/// The documentation of a keyword, in Markdown.
pub fn documentation(word: &str) -> Option<&'static str> {
    Some(match word {
        "runner" => {
            "`runner \"NAME\" { ... }`: one streaming runner (an ECS Fargate task) and its two IAM roles. The name names the output folder and, unless a role block says otherwise, the roles (`NAME-task-role`, `NAME-execution-role`)."
        }
        "account" => {
            "`account \"123456789012\"`: the 12-digit AWS account the runner and its roles live in. Required."
        }
        "region" => {
            "`region \"eu-west-1\"`: the runner's region; it decides the partition (`aws`, `aws-cn`, `aws-us-gov`) of every ARN. Required."
        }
        "secret" => {
            "`secret \"NAME-OR-ARN\" [kms \"KEY-ARN\"]`: a Secrets Manager secret the agent reads at run time, through the **task role**. A name gets AWS's 6-character suffix (`NAME-??????`); `secret *` is every secret of the account and region (a warning)."
        }
        "agent" => {
            "`agent secret \"NAME-OR-ARN\" [kms \"KEY-ARN\"]`: a secret ECS injects when the container starts, read through the **execution role**."
        }
        "env" => {
            "`env \"NAME\" [key \"JSON-KEY\"] [version-stage \"STAGE\" | version-id \"ID\"]`, inside `agent secret \"FULL-ARN\" { ... }`: an environment variable ECS sets from the secret when the container starts (the whole value, or one JSON key of it). `build` writes it into `task-definition.json` as `valueFrom` = `ARN:key:stage:id`."
        }
        "key" => {
            "`key \"JSON-KEY\"` on an `env`: the variable takes this key of the secret's JSON value (Fargate platform 1.4.0 or later)."
        }
        "version-stage" => {
            "`version-stage \"AWSPREVIOUS\"` on an `env`: the secret's version with this staging label (default: `AWSCURRENT`). Not with `version-id`."
        }
        "version-id" => {
            "`version-id \"ID\"` on an `env`: the secret's version with this id. Not with `version-stage`."
        }
        "image" => {
            "`image \"ECR-REPOSITORY-ARN-OR-IMAGE\"` in `execution role { ... }`: the image the task pulls. An ECR repository (its ARN, or an image URI `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`) gets `ecr:GetAuthorizationToken` and the three pull actions on that repository; an image of a public registry needs no grant. With `image` or `logs`, `AmazonECSTaskExecutionRolePolicy` is not attached."
        }
        "logs" => {
            "`logs \"/ecs/GROUP\"` in `execution role { ... }`: the CloudWatch Logs group the task writes to; the execution role gets `logs:CreateLogStream` and `logs:PutLogEvents` on that group only, and task-definition.json the matching `awslogs` configuration."
        }
        "kms" => {
            "`kms \"arn:...:key/ID\"`: the customer managed KMS key of a secret or bucket. The role gets `kms:Decrypt` (and `kms:GenerateDataKey` for S3) through that service only (`kms:ViaService`)."
        }
        "destination" => {
            "`destination s3 { bucket ... prefix ... kms ... owner ... }`: an S3 bucket the runner streams to, through the task role."
        }
        "s3" => "`destination s3 { ... }`: the destination is an S3 bucket.",
        "bucket" => {
            "`bucket \"NAME\"`: the S3 bucket's name, without `s3://` or a folder. Required in a destination."
        }
        "prefix" => {
            "`prefix \"folder/\"`: limits the grants to keys under this folder (listing too); without it, the whole bucket."
        }
        "owner" => {
            "`owner \"ACCOUNT\"`: the account that owns the bucket when it is not the runner's; every S3 statement is conditioned on `s3:ResourceAccount`. A cross-account bucket also needs a bucket policy there."
        }
        "trust" => {
            "`trust service \"...\"` adds a service principal to the task role's trust policy; `trust conditions off` drops the `aws:SourceAccount`/`aws:SourceArn` conditions (a warning)."
        }
        "service" => {
            "`trust service \"ec2.amazonaws.com\"`: another service that may assume the task role."
        }
        "conditions" => {
            "`trust conditions on|off`: the confused-deputy conditions on the ECS trust statement (on by default)."
        }
        "on" | "off" => {
            "`trust conditions on|off`: whether the ECS trust statement carries `aws:SourceAccount` (and, on the task role, `aws:SourceArn`)."
        }
        "task" => {
            "`task role { ... }` or `task role existing \"NAME-OR-ARN\"`: the role the agent's code runs as (secrets, S3)."
        }
        "execution" => {
            "`execution role { ... }` or `execution role existing \"NAME-OR-ARN\"`: the role ECS uses to start the task (image pulls, logs, agent secrets)."
        }
        "role" => {
            "`task role { ... }` / `execution role { ... }`: name, path, description, permissions boundary, session duration and (execution role) managed policies of a role runnerc creates."
        }
        "existing" => {
            "`... role existing \"NAME-OR-ARN\"`: a role runnerc does not own. It only adds its inline policy `runnerc-<runner>` and never changes or deletes anything else."
        }
        "name" => {
            "`name \"ROLE-NAME\"`: the role's name (1 to 64 of letters, digits and `+=,.@_-`)."
        }
        "path" => "`path \"/team/\"`: the role's IAM path, starting and ending with `/`.",
        "description" => "`description \"...\"`: the role's description (up to 1000 characters).",
        "permissions-boundary" => {
            "`permissions-boundary \"arn:...:policy/NAME\"`: a managed policy that caps what the role may do."
        }
        "max-session-duration" => {
            "`max-session-duration 3600`: the role's maximum session, 3600 to 43200 seconds."
        }
        "managed-policy" => {
            "`managed-policy \"ARN\"` / `default` / `none`: managed policies of the execution role; `default` is `AmazonECSTaskExecutionRolePolicy`, attached when none is written."
        }
        "none" => "`managed-policy none`: attach no managed policy to the execution role.",
        "default" => {
            "`managed-policy default`: `AmazonECSTaskExecutionRolePolicy` (image pulls and logs)."
        }
        "tag" => "`tag \"KEY\" \"VALUE\"`: a tag on both roles (runnerc adds `runnerc:runner`).",
        _ => return None,
    })
}
