//! AWS facts the checker relies on: partitions and regions, ARN shapes, and the naming rules of
//! IAM, S3 and Secrets Manager. Each rule is a small pure function that says why a value fails,
//! so the checker can put the reason in its message. Sources are in `shared/design/aws-facts.md`.

use std::fmt;

/// The AWS partitions runnerc writes ARNs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Regions runnerc knows. Another well-formed region is accepted with a warning.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Region prefixes of partitions whose ARNs and service principals runnerc cannot derive
/// (isolated regions, the European Sovereign Cloud).
pub const UNSUPPORTED_REGION_PREFIXES: &[(&str, &str)] = &[
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
];

/// `xx-name-N`: lower-case words joined by `-`, ending in a number.
pub fn is_well_formed_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[0].len() >= 2
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The partition of a well-formed region, as the contract derives it.
pub fn partition_of(region: &str) -> Partition {
    if region.starts_with("cn-") {
        Partition::AwsCn
    } else if region.starts_with("us-gov-") {
        Partition::AwsUsGov
    } else {
        Partition::Aws
    }
}

/// The unsupported partition a region belongs to, if any.
pub fn unsupported_partition_of(region: &str) -> Option<&'static str> {
    UNSUPPORTED_REGION_PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map(|(_, partition)| *partition)
}

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The six fields of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits an ARN into its fields; `None` when it is not `arn:` and six fields.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut fields = text.splitn(6, ':');
        if fields.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: fields.next()?,
            service: fields.next()?,
            region: fields.next()?,
            account: fields.next()?,
            resource: fields.next()?,
        };
        Some(arn)
    }
}

/// Actions that support no resource-level permission: the Service Authorization Reference lists
/// no resource type for them, so a policy grants them on `"*"` and IAM asks them of `*`
/// (`secretsmanager:ListSecrets`, `ecr:GetAuthorizationToken`: aws-facts.md section 3; the
/// others are list or caller actions of the same kind).
pub const ACTIONS_ON_EVERY_RESOURCE: [&str; 8] = [
    "ecr:GetAuthorizationToken",
    "secretsmanager:ListSecrets",
    "secretsmanager:GetRandomPassword",
    "s3:ListAllMyBuckets",
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:CreateKey",
    "sts:GetCallerIdentity",
];

/// Whether `action` is asked only of every resource (`*`): [`ACTIONS_ON_EVERY_RESOURCE`].
pub fn takes_only_every_resource(action: &str) -> bool {
    ACTIONS_ON_EVERY_RESOURCE
        .iter()
        .any(|known| known.eq_ignore_ascii_case(action))
}

/// The partition names an ARN may carry.
pub fn is_partition_name(text: &str) -> bool {
    matches!(
        text,
        "aws"
            | "aws-cn"
            | "aws-us-gov"
            | "aws-iso"
            | "aws-iso-b"
            | "aws-iso-e"
            | "aws-iso-f"
            | "aws-eusc"
    )
}

/// Characters of an IAM name (`[\w+=,.@-]`): role names, runner names.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// Why an IAM role name is refused, if it is.
pub fn role_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if let Some(c) = name.chars().find(|c| !is_iam_name_char(*c)) {
        return Some(format!(
            "`{}` is not allowed; use letters, digits and `+=,.@_-`",
            c.escape_debug()
        ));
    }
    let length = name.chars().count();
    if length > 64 {
        return Some(format!(
            "it is {length} characters long, more than IAM's 64"
        ));
    }
    None
}

/// Why a role path is refused: it must be `/` or `/.../` of `!`..`~`, at most 512 characters.
pub fn role_path_problem(path: &str) -> Option<String> {
    if path.len() > 512 {
        return Some(format!(
            "it is {} characters long, more than IAM's 512",
            path.len()
        ));
    }
    if !path.starts_with('/') || !path.ends_with('/') {
        return Some("it must start and end with `/`".to_owned());
    }
    if let Some(c) = path.chars().find(|c| !('!'..='~').contains(c)) {
        return Some(format!(
            "`{}` is not allowed; a path is printable ASCII without spaces",
            c.escape_debug()
        ));
    }
    if path.contains("//") {
        return Some("it has an empty segment (`//`)".to_owned());
    }
    None
}

/// Why a role description is refused: at most 1000 characters of TAB, LF, CR, U+0020–U+007E
/// and U+00A1–U+00FF.
pub fn description_problem(description: &str) -> Option<String> {
    let length = description.chars().count();
    if length > 1000 {
        return Some(format!(
            "it is {length} characters long, more than IAM's 1000"
        ));
    }
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    description.chars().find(|c| !allowed(*c)).map(|c| {
        format!(
            "`{}` (U+{:04X}) is not allowed; IAM accepts printable Latin-1 text, tabs and line breaks",
            c.escape_debug(),
            c as u32
        )
    })
}

/// The character class of IAM tag keys and values: letters, separators (spaces), numbers and
/// `_.:/=+-@`.
pub fn is_tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || is_unicode_separator(c) || "_.:/=+-@".contains(c)
}

fn is_unicode_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

pub fn tag_key_problem(key: &str) -> Option<String> {
    let length = key.chars().count();
    if length == 0 {
        return Some("it is empty".to_owned());
    }
    if length > 128 {
        return Some(format!(
            "it is {length} characters long, more than IAM's 128"
        ));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Some("the `aws:` prefix is reserved for AWS".to_owned());
    }
    bad_tag_char(key)
}

pub fn tag_value_problem(value: &str) -> Option<String> {
    let length = value.chars().count();
    if length > 256 {
        return Some(format!(
            "it is {length} characters long, more than IAM's 256"
        ));
    }
    bad_tag_char(value)
}

fn bad_tag_char(text: &str) -> Option<String> {
    text.chars().find(|c| !is_tag_char(*c)).map(|c| {
        format!(
            "`{}` is not allowed; use letters, digits, spaces and `_.:/=+-@`",
            c.escape_debug()
        )
    })
}

/// Why an S3 general-purpose bucket name is refused, if it is.
pub fn bucket_name_problem(bucket: &str) -> Option<String> {
    let length = bucket.len();
    if !(3..=63).contains(&length) {
        return Some(format!(
            "it is {length} characters long; a bucket name has 3 to 63"
        ));
    }
    if let Some(c) = bucket
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        let hint = if c.is_ascii_uppercase() {
            " (bucket names are lower case)"
        } else {
            ""
        };
        return Some(format!(
            "`{}` is not allowed; use lower-case letters, digits, `.` and `-`{hint}",
            c.escape_debug()
        ));
    }
    let first = bucket.as_bytes()[0];
    let last = bucket.as_bytes()[length - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Some("it must begin and end with a letter or digit".to_owned());
    }
    if bucket.contains("..") {
        return Some("it has two adjacent periods".to_owned());
    }
    if bucket.contains(".-") || bucket.contains("-.") {
        return Some("a period may not stand next to a hyphen".to_owned());
    }
    if is_ip_address(bucket) {
        return Some("it is formatted as an IP address".to_owned());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if bucket.starts_with(prefix) {
            return Some(format!("the prefix `{prefix}` is reserved"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if bucket.ends_with(suffix) {
            return Some(format!("the suffix `{suffix}` is reserved"));
        }
    }
    if bucket.ends_with("-an") && !is_account_regional_name(bucket) {
        return Some(
            "the suffix `-an` is reserved for account regional names (`NAME-ACCOUNT-REGION-an`)"
                .to_owned(),
        );
    }
    None
}

fn is_ip_address(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `prefix-<12-digit account>-<region>-an`, the account regional namespace form.
fn is_account_regional_name(bucket: &str) -> bool {
    let Some(stem) = bucket.strip_suffix("-an") else {
        return false;
    };
    // Find `-<12 digits>-<region>` at the end of the stem.
    stem.match_indices('-').any(|(i, _)| {
        let rest = &stem[i + 1..];
        rest.len() > 13
            && is_account_id(&rest[..12])
            && rest.as_bytes()[12] == b'-'
            && is_well_formed_region(&rest[13..])
            && i > 0
    })
}

/// Characters of a secret name: ASCII letters, digits and `/_+=.@-`.
pub fn is_secret_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)
}

/// Whether a secret name ends like Secrets Manager's random suffix: `-` and six letters or
/// digits. `?` counts, so `name-??????` is already suffixed.
pub fn has_secret_suffix(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > 7
        && bytes[bytes.len() - 7] == b'-'
        && bytes[bytes.len() - 6..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'?')
}

/// A secret name without Secrets Manager's random suffix (`prod/db-AbC123` is `prod/db`), or
/// the name itself when it has none.
pub fn without_secret_suffix(name: &str) -> &str {
    if has_secret_suffix(name) {
        &name[..name.len() - 7]
    } else {
        name
    }
}

/// The secret a reference names, as `--secret-id` takes it: the name after `:secret:` in an
/// ARN, or the reference itself when it is a name; either way without a `valueFrom`'s
/// `:json-key:version-stage:version-id` selector (a secret name holds no `:`).
pub fn secret_id(reference: &str) -> &str {
    let named = reference
        .split_once(":secret:")
        .map_or(reference, |(_, rest)| rest);
    named.split(':').next().unwrap_or(named)
}

/// The aws-cli command that prints the full ARN (random suffix included) of a secret reference.
pub fn full_arn_command(reference: &str) -> String {
    format!(
        "aws secretsmanager describe-secret --secret-id {} --query ARN --output text",
        secret_id(reference)
    )
}

/// Whether a KMS key ID (after `key/`) is one KMS gives out: a UUID in lower-case hex
/// (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a multi-Region key's `mrk-` and 32 lower-case hex
/// digits. KMS writes both in lower case, and IAM compares resource ARNs with case.
pub fn is_kms_key_id(id: &str) -> bool {
    let hex = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if let Some(multi_region) = id.strip_prefix("mrk-") {
        return hex(multi_region, 32);
    }
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, len)| hex(part, len))
}

/// What ECR refuses in a repository name, if anything: 2 to 256 characters, lower-case
/// letters and digits in runs separated by one `.`, `_` or `-`, and `/` between such runs
/// (`CreateRepository`'s `repositoryName`:
/// `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`, length 2 to 256).
pub fn ecr_repository_name_problem(name: &str) -> Option<String> {
    if name.len() < 2 || name.len() > 256 {
        return Some(format!(
            "it is {} characters long, and ECR takes 2 to 256",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(*c)))
    {
        return Some(format!(
            "`{}` is not allowed; use lower-case letters, digits and `._-/`",
            c.escape_debug()
        ));
    }
    let runs_ok = name
        .split('/')
        .all(|component| component.split(['.', '_', '-']).all(|run| !run.is_empty()));
    (!runs_ok).then(|| {
        "`.`, `_`, `-` and `/` stand only between letters or digits, one at a time".to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_key_ids_are_uuids_or_multi_region_ids() {
        for good in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
        ] {
            assert!(is_kms_key_id(good), "{good}");
        }
        for bad in [
            "k1",
            "abc",
            "",
            "1234ABCD-12AB-34CD-56EF-1234567890AB",
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "1234abcd12ab34cd56ef1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890ag",
            "mrk-1234abcd12ab34cd56ef1234567890a",
            "mrk-1234abcd-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(!is_kms_key_id(bad), "{bad}");
        }
    }

    #[test]
    fn ecr_repository_names_follow_ecrs_rules() {
        for good in ["orders-agent", "team/orders-agent", "a.b_c-d/e1", "ab"] {
            assert_eq!(ecr_repository_name_problem(good), None, "{good}");
        }
        for bad in [
            "a",
            "Orders",
            "orders agent",
            "orders--agent",
            "-orders",
            "orders/",
            "/orders",
            "team//orders",
            "orders*",
            &"a".repeat(257),
        ] {
            assert!(ecr_repository_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn secret_id_drops_the_selector_of_a_name_and_of_an_arn() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/agent";
        for (reference, id) in [
            ("matillion/agent", "matillion/agent"),
            ("matillion/agent:client_id::", "matillion/agent"),
            ("matillion/agent::AWSPREVIOUS:", "matillion/agent"),
            (arn, "matillion/agent"),
            (&format!("{arn}:client_id::"), "matillion/agent"),
            (
                &format!("{arn}-AbC123:client_id::"),
                "matillion/agent-AbC123",
            ),
        ] {
            assert_eq!(secret_id(reference), id, "{reference}");
        }
        assert_eq!(
            full_arn_command("matillion/agent:client_id::"),
            "aws secretsmanager describe-secret --secret-id matillion/agent --query ARN --output text"
        );
    }

    #[test]
    fn regions_map_to_partitions() {
        assert_eq!(partition_of("eu-west-1"), Partition::Aws);
        assert_eq!(partition_of("cn-northwest-1"), Partition::AwsCn);
        assert_eq!(partition_of("us-gov-west-1"), Partition::AwsUsGov);
        assert_eq!(unsupported_partition_of("us-iso-east-1"), Some("aws-iso"));
        assert_eq!(unsupported_partition_of("us-east-1"), None);
    }

    #[test]
    fn region_shapes() {
        assert!(is_well_formed_region("eu-west-1"));
        assert!(is_well_formed_region("us-gov-west-1"));
        assert!(is_well_formed_region("xx-mars-9"));
        for bad in [
            "eu-west",
            "EU-WEST-1",
            "euwest1",
            "eu--1",
            "e-west-1",
            "eu-west-1a",
            "",
        ] {
            assert!(!is_well_formed_region(bad), "{bad}");
        }
    }

    #[test]
    fn arns_split_into_six_fields() {
        let arn = Arn::parse("arn:aws:secretsmanager:eu-west-1:123456789012:secret:a:b").unwrap();
        assert_eq!(arn.service, "secretsmanager");
        assert_eq!(arn.resource, "secret:a:b");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(Arn::parse("urn:aws:s3:::b").is_none());
    }

    #[test]
    fn bucket_names_follow_the_s3_rules() {
        for good in [
            "acme-cdc-landing",
            "a.b.c",
            "abc",
            "123",
            "my-bucket-123456789012-eu-west-1-an",
        ] {
            assert_eq!(bucket_name_problem(good), None, "{good}");
        }
        let cases = [
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("My-Bucket", "lower case"),
            ("my_bucket", "`_` is not allowed"),
            ("-bucket", "begin and end"),
            ("bucket-", "begin and end"),
            ("my..bucket", "adjacent periods"),
            ("my.-bucket", "next to a hyphen"),
            ("192.168.5.4", "IP address"),
            ("xn--bucket", "`xn--`"),
            ("sthree-bucket", "`sthree-`"),
            ("amzn-s3-demo-bucket", "`amzn-s3-demo-`"),
            ("bucket-s3alias", "`-s3alias`"),
            ("bucket--ol-s3", "`--ol-s3`"),
            ("bucket.mrap", "`.mrap`"),
            ("bucket--x-s3", "`--x-s3`"),
            ("bucket--table-s3", "`--table-s3`"),
            ("bucket-an", "`-an`"),
            ("a/b", "`/` is not allowed"),
        ];
        for (bucket, reason) in cases {
            let problem = bucket_name_problem(bucket).unwrap_or_default();
            assert!(problem.contains(reason), "{bucket}: {problem}");
        }
    }

    #[test]
    fn secret_suffixes() {
        assert!(has_secret_suffix("prod/db-AbC123"));
        assert!(has_secret_suffix("prod/db-??????"));
        assert!(!has_secret_suffix("prod/db"));
        assert!(!has_secret_suffix("prod/db-AbC12"));
        assert!(!has_secret_suffix("-AbC123"));
        assert!(!has_secret_suffix("prod/db_AbC123"));
        assert_eq!(without_secret_suffix("prod/db-AbC123"), "prod/db");
        assert_eq!(without_secret_suffix("prod/db-??????"), "prod/db");
        assert_eq!(without_secret_suffix("prod/db"), "prod/db");
    }

    #[test]
    fn role_names_paths_and_descriptions() {
        assert_eq!(role_name_problem("orders-cdc-task-role"), None);
        assert!(role_name_problem(&"a".repeat(65)).unwrap().contains("65"));
        assert!(role_name_problem("a b").unwrap().contains("` `"));
        assert_eq!(role_path_problem("/"), None);
        assert_eq!(role_path_problem("/streaming/cdc/"), None);
        assert!(role_path_problem("streaming/").is_some());
        assert!(role_path_problem("/a b/").is_some());
        assert!(role_path_problem("/a//b/").is_some());
        assert_eq!(description_problem("Orders CDC agent\n\tcafé"), None);
        assert!(description_problem("emoji 🚀").unwrap().contains("U+1F680"));
        assert!(
            description_problem(&"x".repeat(1001))
                .unwrap()
                .contains("1001")
        );
    }

    #[test]
    fn tags() {
        assert_eq!(tag_key_problem("team"), None);
        assert_eq!(tag_key_problem("cost centre/été"), None);
        assert!(tag_key_problem("").is_some());
        assert!(tag_key_problem("AWS:x").unwrap().contains("reserved"));
        assert!(tag_key_problem(&"k".repeat(129)).is_some());
        assert_eq!(tag_value_problem(""), None);
        assert!(tag_value_problem("a,b").unwrap().contains("`,`"));
        assert!(tag_value_problem("hi!").is_some());
        assert!(tag_value_problem(&"v".repeat(257)).is_some());
    }
}
