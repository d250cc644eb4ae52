//! The one table of the language's keywords: each `kw_*` rule of `grammar/runner.pest`, the
//! word it matches, whether it begins a statement, and what it means. Syntax errors name
//! keywords and suggest them from it ("did you mean `account`?"), recovery and the open-string
//! check find statements with it, and the language server completes and documents keywords
//! from it. The tests below read the grammar: a keyword rule missing from the table, or a table
//! entry the grammar lacks, fails them.

use super::recover::error_position;
use super::{Rule, RunnerParser};
use pest::Parser as _;
use pest::error::ErrorVariant;

/// A keyword of the language.
#[derive(Debug)]
pub struct Keyword {
    /// As written.
    pub word: &'static str,
    /// Its rule in the grammar.
    rule: Rule,
    /// Whether it begins a statement, a field or an option (`secret`, `bucket`, `key`) rather
    /// than following another keyword (`s3`, `role`, `existing`, `on`): such a word starts a
    /// line of a spec.
    pub leads: bool,
    /// What it means, in Markdown (hover and completion).
    pub documentation: &'static str,
}

/// `on` and `off` say the same thing.
const SWITCH: &str = "`trust conditions on|off`: whether the ECS trust statement carries `aws:SourceAccount` (and, on the task role, `aws:SourceArn`).";

/// Every keyword, in the grammar's order.
pub const KEYWORDS: &[Keyword] = &[
    Keyword {
        word: "runner",
        rule: Rule::kw_runner,
        leads: true,
        documentation: "`runner \"NAME\" { ... }`: one streaming runner (an ECS Fargate task) and its two IAM roles. The name names the output folder and, unless a role block says otherwise, the roles (`NAME-task-role`, `NAME-execution-role`).",
    },
    Keyword {
        word: "account",
        rule: Rule::kw_account,
        leads: true,
        documentation: "`account \"123456789012\"`: the 12-digit AWS account the runner and its roles live in. Required.",
    },
    Keyword {
        word: "region",
        rule: Rule::kw_region,
        leads: true,
        documentation: "`region \"eu-west-1\"`: the runner's region; it decides the partition (`aws`, `aws-cn`, `aws-us-gov`) of every ARN. Required.",
    },
    Keyword {
        word: "secret",
        rule: Rule::kw_secret,
        leads: true,
        documentation: "`secret \"NAME-OR-ARN\" [kms \"KEY-ARN\"]`: a Secrets Manager secret the agent reads at run time, through the **task role**. A name gets AWS's 6-character suffix (`NAME-??????`); `secret *` is every secret of the account and region (a warning).",
    },
    Keyword {
        word: "agent",
        rule: Rule::kw_agent,
        leads: true,
        documentation: "`agent secret \"NAME-OR-ARN\" [kms \"KEY-ARN\"]`: a secret ECS injects when the container starts, read through the **execution role**.",
    },
    Keyword {
        word: "kms",
        rule: Rule::kw_kms,
        leads: true,
        documentation: "`kms \"arn:...:key/ID\"`: the customer managed KMS key of a secret or bucket. The role gets `kms:Decrypt` (and `kms:GenerateDataKey` for S3) through that service only (`kms:ViaService`).",
    },
    Keyword {
        word: "env",
        rule: Rule::kw_env,
        leads: true,
        documentation: "`env \"NAME\" [key \"JSON-KEY\"] [version-stage \"STAGE\" | version-id \"ID\"]`, inside `agent secret \"FULL-ARN\" { ... }`: an environment variable ECS sets from the secret when the container starts (the whole value, or one JSON key of it). `build` writes it into `task-definition.json` as `valueFrom` = `ARN:key:stage:id`.",
    },
    Keyword {
        word: "key",
        rule: Rule::kw_key,
        leads: true,
        documentation: "`key \"JSON-KEY\"` on an `env`: the variable takes this key of the secret's JSON value (Fargate platform 1.4.0 or later).",
    },
    Keyword {
        word: "version-stage",
        rule: Rule::kw_version_stage,
        leads: true,
        documentation: "`version-stage \"AWSPREVIOUS\"` on an `env`: the secret's version with this staging label (default: `AWSCURRENT`). Not with `version-id`.",
    },
    Keyword {
        word: "version-id",
        rule: Rule::kw_version_id,
        leads: true,
        documentation: "`version-id \"ID\"` on an `env`: the secret's version with this id. Not with `version-stage`.",
    },
    Keyword {
        word: "destination",
        rule: Rule::kw_destination,
        leads: true,
        documentation: "`destination s3 { bucket ... prefix ... kms ... owner ... }`: an S3 bucket the runner streams to, through the task role.",
    },
    Keyword {
        word: "s3",
        rule: Rule::kw_s3,
        leads: false,
        documentation: "`destination s3 { ... }`: the destination is an S3 bucket.",
    },
    Keyword {
        word: "bucket",
        rule: Rule::kw_bucket,
        leads: true,
        documentation: "`bucket \"NAME\"`: the S3 bucket's name, without `s3://` or a folder. Required in a destination.",
    },
    Keyword {
        word: "prefix",
        rule: Rule::kw_prefix,
        leads: true,
        documentation: "`prefix \"folder/\"`: limits the grants to keys under this folder (listing too); without it, the whole bucket.",
    },
    Keyword {
        word: "owner",
        rule: Rule::kw_owner,
        leads: true,
        documentation: "`owner \"ACCOUNT\"`: the account that owns the bucket when it is not the runner's; every S3 statement is conditioned on `s3:ResourceAccount`. A cross-account bucket also needs a bucket policy there.",
    },
    Keyword {
        word: "trust",
        rule: Rule::kw_trust,
        leads: true,
        documentation: "`trust service \"...\"` adds a service principal to the task role's trust policy; `trust conditions off` drops the `aws:SourceAccount`/`aws:SourceArn` conditions (a warning).",
    },
    Keyword {
        word: "service",
        rule: Rule::kw_service,
        leads: false,
        documentation: "`trust service \"ec2.amazonaws.com\"`: another service that may assume the task role.",
    },
    Keyword {
        word: "conditions",
        rule: Rule::kw_conditions,
        leads: false,
        documentation: "`trust conditions on|off`: the confused-deputy conditions on the ECS trust statement (on by default).",
    },
    Keyword {
        word: "on",
        rule: Rule::kw_on,
        leads: false,
        documentation: SWITCH,
    },
    Keyword {
        word: "off",
        rule: Rule::kw_off,
        leads: false,
        documentation: SWITCH,
    },
    Keyword {
        word: "task",
        rule: Rule::kw_task,
        leads: true,
        documentation: "`task role { ... }` or `task role existing \"NAME-OR-ARN\"`: the role the agent's code runs as (secrets, S3).",
    },
    Keyword {
        word: "execution",
        rule: Rule::kw_execution,
        leads: true,
        documentation: "`execution role { ... }` or `execution role existing \"NAME-OR-ARN\"`: the role ECS uses to start the task (image pulls, logs, agent secrets).",
    },
    Keyword {
        word: "role",
        rule: Rule::kw_role,
        leads: false,
        documentation: "`task role { ... }` / `execution role { ... }`: name, path, description, permissions boundary, session duration and (execution role) managed policies of a role runnerc creates.",
    },
    Keyword {
        word: "existing",
        rule: Rule::kw_existing,
        leads: false,
        documentation: "`... role existing \"NAME-OR-ARN\"`: a role runnerc does not own. It only adds its inline policy `runnerc-<runner>` and never changes or deletes anything else.",
    },
    Keyword {
        word: "name",
        rule: Rule::kw_name,
        leads: true,
        documentation: "`name \"ROLE-NAME\"`: the role's name (1 to 64 of letters, digits and `+=,.@_-`).",
    },
    Keyword {
        word: "path",
        rule: Rule::kw_path,
        leads: true,
        documentation: "`path \"/team/\"`: the role's IAM path, starting and ending with `/`.",
    },
    Keyword {
        word: "description",
        rule: Rule::kw_description,
        leads: true,
        documentation: "`description \"...\"`: the role's description (up to 1000 characters).",
    },
    Keyword {
        word: "permissions-boundary",
        rule: Rule::kw_permissions_boundary,
        leads: true,
        documentation: "`permissions-boundary \"arn:...:policy/NAME\"`: a managed policy that caps what the role may do.",
    },
    Keyword {
        word: "max-session-duration",
        rule: Rule::kw_max_session_duration,
        leads: true,
        documentation: "`max-session-duration 3600`: the role's maximum session, 3600 to 43200 seconds.",
    },
    Keyword {
        word: "managed-policy",
        rule: Rule::kw_managed_policy,
        leads: true,
        documentation: "`managed-policy \"ARN\"` / `default` / `none`: managed policies of the execution role; `default` is `AmazonECSTaskExecutionRolePolicy`, attached when none is written.",
    },
    Keyword {
        word: "image",
        rule: Rule::kw_image,
        leads: true,
        documentation: "`image \"ECR-REPOSITORY-ARN-OR-IMAGE\"` in `execution role { ... }`: the image the task pulls. An ECR repository (its ARN, or an image URI `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`) gets `ecr:GetAuthorizationToken` and the three pull actions on that repository; an image of a public registry needs no grant. With `image` or `logs`, `AmazonECSTaskExecutionRolePolicy` is not attached.",
    },
    Keyword {
        word: "logs",
        rule: Rule::kw_logs,
        leads: true,
        documentation: "`logs \"/ecs/GROUP\"` in `execution role { ... }`: the CloudWatch Logs group the task writes to; the execution role gets `logs:CreateLogStream` and `logs:PutLogEvents` on that group only, and task-definition.json the matching `awslogs` configuration.",
    },
    Keyword {
        word: "none",
        rule: Rule::kw_none,
        leads: false,
        documentation: "`managed-policy none`: attach no managed policy to the execution role.",
    },
    Keyword {
        word: "default",
        rule: Rule::kw_default,
        leads: false,
        documentation: "`managed-policy default`: `AmazonECSTaskExecutionRolePolicy` (image pulls and logs).",
    },
    Keyword {
        word: "tag",
        rule: Rule::kw_tag,
        leads: true,
        documentation: "`tag \"KEY\" \"VALUE\"`: a tag on both roles (runnerc adds `runnerc:runner`).",
    },
];

/// Where each keyword rule's entry stands in [`KEYWORDS`], by the rule's number, so the walk
/// over pest's pairs tells a keyword from a value without a search.
const BY_RULE: [Option<u8>; 256] = {
    let mut by_rule = [None; 256];
    let mut index = 0;
    while index < KEYWORDS.len() {
        by_rule[KEYWORDS[index].rule as usize] = Some(index as u8);
        index += 1;
    }
    by_rule
};

/// The keyword written `word`, if it is one.
pub fn find(word: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|keyword| keyword.word == word)
}

/// The keyword a `kw_*` rule matches; `None` for any other rule.
pub(super) fn of_rule(rule: Rule) -> Option<&'static Keyword> {
    let index = BY_RULE.get(rule as usize).copied().flatten()?;
    Some(&KEYWORDS[usize::from(index)])
}

/// Whether `word` begins a statement, a field or an option ([`Keyword::leads`]).
pub(super) fn leads(word: &str) -> bool {
    find(word).is_some_and(|keyword| keyword.leads)
}

/// The words that begin a statement, a field or an option.
pub(super) fn leading_words() -> impl Iterator<Item = &'static str> {
    KEYWORDS
        .iter()
        .filter(|keyword| keyword.leads)
        .map(|keyword| keyword.word)
}

/// The keyword rules a rule starts with: `kw_account` for `account`, `kw_on` or `kw_off` for
/// `switch`; none for a rule that starts with a value or a brace. The grammar test checks every
/// rule against the grammar.
fn first_keywords(rule: Rule) -> &'static [Rule] {
    if let Some(keyword) = of_rule(rule) {
        return std::slice::from_ref(&keyword.rule);
    }
    match rule {
        Rule::file | Rule::runner => &[Rule::kw_runner],
        Rule::account => &[Rule::kw_account],
        Rule::region => &[Rule::kw_region],
        Rule::secret => &[Rule::kw_secret],
        Rule::agent_secret => &[Rule::kw_agent],
        Rule::secret_kms | Rule::destination_kms => &[Rule::kw_kms],
        Rule::env => &[Rule::kw_env],
        Rule::env_key => &[Rule::kw_key],
        Rule::env_version_stage => &[Rule::kw_version_stage],
        Rule::env_version_id => &[Rule::kw_version_id],
        Rule::destination => &[Rule::kw_destination],
        Rule::bucket => &[Rule::kw_bucket],
        Rule::prefix => &[Rule::kw_prefix],
        Rule::owner => &[Rule::kw_owner],
        Rule::trust_service | Rule::trust_conditions => &[Rule::kw_trust],
        Rule::switch => &[Rule::kw_on, Rule::kw_off],
        Rule::task_role | Rule::existing_task_role => &[Rule::kw_task],
        Rule::execution_role | Rule::existing_execution_role => &[Rule::kw_execution],
        Rule::role_name => &[Rule::kw_name],
        Rule::role_path => &[Rule::kw_path],
        Rule::role_description => &[Rule::kw_description],
        Rule::permissions_boundary => &[Rule::kw_permissions_boundary],
        Rule::max_session_duration => &[Rule::kw_max_session_duration],
        Rule::managed_policy => &[Rule::kw_managed_policy],
        Rule::role_image => &[Rule::kw_image],
        Rule::role_logs => &[Rule::kw_logs],
        Rule::tag => &[Rule::kw_tag],
        _ => &[],
    }
}

/// The words of the keywords a rule starts with, as written (`on`, `off` for `switch`).
pub(super) fn words_starting(rule: Rule) -> impl Iterator<Item = &'static str> {
    first_keywords(rule)
        .iter()
        .filter_map(|keyword| of_rule(*keyword))
        .map(|keyword| keyword.word)
}

/// The keywords the grammar accepts at `offset` of `text` (for completion): what pest expects
/// when the text stops there. Empty when the text before `offset` already has an error.
pub fn keywords_expected_at(text: &str, offset: usize) -> Vec<&'static str> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let Err(error) = RunnerParser::parse(Rule::file, before) else {
        // Complete as it stands: another runner may follow.
        return vec!["runner"];
    };
    let position = error_position(&error);
    let ErrorVariant::ParsingError { positives, .. } = &error.variant else {
        return Vec::new();
    };
    // Pest reports the furthest position it reached; only the end of the text is the cursor.
    if position < before.trim_end().len() {
        return Vec::new();
    }
    let mut keywords: Vec<&'static str> = Vec::new();
    for keyword in positives.iter().flat_map(|rule| words_starting(*rule)) {
        if !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
    keywords
}

#[cfg(test)]
mod tests;
