//! A request that proves a difference: one concrete action, resource and context that one set
//! of policies allows and another denies, checked by the one evaluator ([`super::evaluate`]).
//!
//! The search starts from a grant the containment test ([`super::contain`]) found on one side
//! only: an action pattern, a target (a resource pattern, or a principal of a trust policy) and
//! the conditions of its statement. It fills the patterns' wildcards and the conditions' keys a
//! few ways each and keeps the first request the evaluator confirms. A grant for which no
//! request is found is covered by the other side after all (by two statements together, say),
//! so the search is also what decides that a grant is really new.

use super::contain::Target;
use super::evaluate::{Request, evaluate};
use super::policy::{Condition, Policy};
use super::wildcard::{has_wildcard, matches};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Condition keys (as written) and their values.
pub type Context = BTreeMap<String, Vec<String>>;

/// One concrete request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Witness {
    pub action: String,
    pub resource: String,
    pub context: Context,
}

/// What fills a `*`: a word, nothing, a word across a `/`.
const STAR_FILLS: [&str; 3] = ["runnerc-witness", "", "runnerc-witness/x"];
/// What fills a `?` (a secret's random suffix is six letters or digits).
const MARK_FILLS: [char; 3] = ['x', 'Q', '0'];

/// A pattern with its wildcards filled.
pub fn concrete(pattern: &str, star: &str, mark: char) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(star),
            '?' => out.push(mark),
            c => out.push(c),
        }
    }
    out
}

/// A grant to prove: `action` on `target`, under `conditions`.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub action: &'a str,
    pub target: Target<'a>,
    pub conditions: &'a BTreeSet<Condition>,
}

/// The condition key that names the caller of a trust request: the service for a service
/// principal, the ARN for an AWS principal.
pub fn caller_key(kind: &str) -> &'static str {
    match kind {
        "Service" => "aws:PrincipalServiceName",
        "Federated" => "aws:FederatedProvider",
        _ => "aws:PrincipalArn",
    }
}

/// What holds of a request whatever the policies say: condition keys the account fixes, by
/// resource (the first pattern that matches a request's resource gives its keys), and the
/// partition, region and account made-up resources are placed in.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub by_resource: Vec<(String, Context)>,
    pub home: Option<Home>,
}

/// Where a made-up resource lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Facts {
    fn of(&self, resource: &str) -> Option<&Context> {
        self.by_resource
            .iter()
            .find(|(pattern, _)| matches(pattern, resource, false))
            .map(|(_, keys)| keys)
    }
}

/// Requests a reviewer recognises, tried before the wildcards are filled with made-up words:
/// an action of the service and a resource of the type it acts on (`{p}`, `{r}`, `{a}` and
/// `{w}` are the partition, region, account and a made-up name; `*` for an action that takes
/// only `*`, [`crate::aws::ACTIONS_ON_EVERY_RESOURCE`]).
const TYPICAL: [(&str, &str); 21] = [
    ("s3:GetObject", "arn:{p}:s3:::{w}/x"),
    ("s3:PutObject", "arn:{p}:s3:::{w}/x"),
    ("s3:DeleteObject", "arn:{p}:s3:::{w}/x"),
    ("s3:ListBucket", "arn:{p}:s3:::{w}"),
    ("s3:DeleteBucket", "arn:{p}:s3:::{w}"),
    ("s3:PutBucketPolicy", "arn:{p}:s3:::{w}"),
    (
        "secretsmanager:GetSecretValue",
        "arn:{p}:secretsmanager:{r}:{a}:secret:{w}-AbCdEf",
    ),
    (
        "secretsmanager:PutSecretValue",
        "arn:{p}:secretsmanager:{r}:{a}:secret:{w}-AbCdEf",
    ),
    (
        "secretsmanager:DeleteSecret",
        "arn:{p}:secretsmanager:{r}:{a}:secret:{w}-AbCdEf",
    ),
    ("secretsmanager:ListSecrets", "*"),
    (
        "kms:Decrypt",
        "arn:{p}:kms:{r}:{a}:key/00000000-0000-0000-0000-000000000000",
    ),
    (
        "kms:ScheduleKeyDeletion",
        "arn:{p}:kms:{r}:{a}:key/00000000-0000-0000-0000-000000000000",
    ),
    ("ecr:BatchGetImage", "arn:{p}:ecr:{r}:{a}:repository/{w}"),
    ("ecr:PutImage", "arn:{p}:ecr:{r}:{a}:repository/{w}"),
    (
        "ecr:BatchCheckLayerAvailability",
        "arn:{p}:ecr:{r}:{a}:repository/{w}",
    ),
    (
        "ecr:GetDownloadUrlForLayer",
        "arn:{p}:ecr:{r}:{a}:repository/{w}",
    ),
    ("ecr:GetAuthorizationToken", "*"),
    (
        "logs:PutLogEvents",
        "arn:{p}:logs:{r}:{a}:log-group:{w}:log-stream:x",
    ),
    (
        "logs:CreateLogStream",
        "arn:{p}:logs:{r}:{a}:log-group:{w}:log-stream:x",
    ),
    ("logs:DeleteLogGroup", "arn:{p}:logs:{r}:{a}:log-group:{w}"),
    ("iam:PassRole", "arn:{p}:iam::{a}:role/{w}"),
];

/// A resource of a service runnerc knows no resource type of: `arn:{p}:SERVICE:{r}:{a}:{w}`.
fn any_resource_of(service: &str) -> String {
    format!("arn:{{p}}:{service}:{{r}}:{{a}}:{{w}}")
}

/// The requests to try for an action pattern, as (action, resource template): the typical ones
/// of a pattern with wildcards; `*` for an action that takes only `*`; else the action on its
/// typical resource, or on a resource of a type of its service, or on a made-up resource of its
/// service. Each template names a resource AWS could be asked about.
fn templates(action_pattern: &str) -> Vec<(String, String)> {
    if has_wildcard(action_pattern) {
        let every = crate::aws::ACTIONS_ON_EVERY_RESOURCE.map(|action| (action, "*"));
        return TYPICAL
            .iter()
            .chain(
                every
                    .iter()
                    .filter(|(a, _)| !TYPICAL.iter().any(|(t, _)| t == a)),
            )
            .filter(|(action, _)| matches(action_pattern, action, true))
            .map(|(action, template)| ((*action).to_owned(), (*template).to_owned()))
            .collect();
    }
    let own = |template: &str| (action_pattern.to_owned(), template.to_owned());
    if crate::aws::takes_only_every_resource(action_pattern) {
        return vec![own("*")];
    }
    let exact: Vec<_> = TYPICAL
        .iter()
        .filter(|(action, _)| action.eq_ignore_ascii_case(action_pattern))
        .map(|(_, template)| own(template))
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let service = action_pattern.split(':').next().unwrap_or_default();
    let mut of_service: Vec<(String, String)> = Vec::new();
    for (action, template) in TYPICAL {
        let same = action
            .split(':')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case(service));
        if same && template != "*" && !of_service.iter().any(|(_, t)| t == template) {
            of_service.push(own(template));
        }
    }
    of_service.push(own(&any_resource_of(service)));
    of_service
}

/// The made-up resource `template` in `home`, then in another region, then in another account.
fn placed(template: &str, home: &Home) -> Vec<String> {
    // Another region of the same partition.
    let (one, another) = match home.partition.as_str() {
        "aws-cn" => ("cn-northwest-1", "cn-north-1"),
        "aws-us-gov" => ("us-gov-east-1", "us-gov-west-1"),
        _ => ("us-west-2", "eu-central-1"),
    };
    let other_region = if home.region == one { another } else { one };
    let other_account = if home.account == "111122223333" {
        "444455556666"
    } else {
        "111122223333"
    };
    let fill = |region: &str, account: &str| {
        template
            .replace("{p}", &home.partition)
            .replace("{r}", region)
            .replace("{a}", account)
            .replace("{w}", STAR_FILLS[0])
    };
    let mut out = vec![
        fill(&home.region, &home.account),
        fill(other_region, &home.account),
        fill(&home.region, other_account),
    ];
    out.dedup();
    out
}

/// Where the ARNs place their resources: the first partition, region and account they name
/// (an S3 ARN names only a partition), each part defaulting on its own.
fn home_of<'a>(arns: impl IntoIterator<Item = &'a str>) -> Home {
    let (mut partition, mut region, mut account) = (None, None, None);
    let concrete = |part: &str| !part.is_empty() && !has_wildcard(part);
    for text in arns {
        let Some(arn) = crate::aws::Arn::parse(text) else {
            continue;
        };
        if concrete(arn.partition) {
            partition.get_or_insert(arn.partition);
        }
        if concrete(arn.region) {
            region.get_or_insert(arn.region);
        }
        if concrete(arn.account) {
            account.get_or_insert(arn.account);
        }
    }
    Home {
        partition: partition.unwrap_or("aws").to_owned(),
        region: region.unwrap_or("us-east-1").to_owned(),
        account: account.unwrap_or("123456789012").to_owned(),
    }
}

/// Where the resource pattern and the policies' listed resources place their resources
/// ([`home_of`]).
fn home_of_policies<'a>(
    resource_pattern: &'a str,
    policies: impl Iterator<Item = &'a &'a Policy>,
) -> Home {
    home_of(
        std::iter::once(resource_pattern).chain(
            policies
                .flat_map(|p| &p.statements)
                .flat_map(|s| match &s.resources {
                    Some(super::policy::Patterns::Listed(listed)) => listed.iter().collect(),
                    _ => Vec::new(),
                })
                .map(String::as_str),
        ),
    )
}

/// A request to try: its action and resource, and the fills for its conditions' wildcards.
type Candidate = (String, String, &'static str, char);

/// The typical requests that fit the patterns ([`templates`]), to try before filling them.
fn typical(
    action_pattern: &str,
    resource_pattern: &str,
    home: &dyn Fn() -> Home,
    marks: &[char],
) -> Vec<Candidate> {
    let mut out = Vec::new();
    if !has_wildcard(resource_pattern) {
        // A resource without wildcards is its own witness.
        return out;
    }
    for (action, template) in templates(action_pattern) {
        // The template's service (`arn:{p}:s3:`) must be one the resource pattern can name.
        let service = template.split(':').nth(2).unwrap_or_default();
        let service_fits = template == "*"
            || !resource_pattern.starts_with("arn:")
            || resource_pattern
                .split(':')
                .nth(2)
                .is_some_and(|s| has_wildcard(s) || s == service);
        if !service_fits {
            continue;
        }
        for resource in placed(&template, &home()) {
            if matches(resource_pattern, &resource, false) {
                out.push((action.clone(), resource, STAR_FILLS[0], marks[0]));
            }
        }
    }
    out
}

/// The resource pattern filled: an ARN's partition, region and account that are only `*` are
/// the home's (then another region, then another account, as [`placed`] does), every other
/// wildcard is filled with `star` and `mark`. An action that takes only `*` is asked of `*`;
/// any other on `*`, of a made-up resource of its service.
fn filled_resources(
    action: &str,
    resource_pattern: &str,
    home: &dyn Fn() -> Home,
    star: &str,
    mark: char,
) -> Vec<String> {
    if crate::aws::takes_only_every_resource(action) {
        return vec!["*".to_owned()];
    }
    let template = if resource_pattern == "*" {
        any_resource_of(action.split(':').next().unwrap_or_default())
    } else {
        match arn_template(resource_pattern, star, mark) {
            Some(template) => template,
            None => return vec![concrete(resource_pattern, star, mark)],
        }
    };
    placed(&template, &home())
}

/// An ARN pattern as a template for [`placed`]: its partition, region and account written as
/// `*` become `{p}`, `{r}`, `{a}`; every other wildcard is filled. `None` for what is not an ARN.
fn arn_template(pattern: &str, star: &str, mark: char) -> Option<String> {
    let arn = crate::aws::Arn::parse(pattern)?;
    let field = |value: &str, placeholder: &str| {
        if value == "*" {
            placeholder.to_owned()
        } else {
            concrete(value, star, mark)
        }
    };
    Some(format!(
        "arn:{}:{}:{}:{}:{}",
        field(arn.partition, "{p}"),
        concrete(arn.service, star, mark),
        field(arn.region, "{r}"),
        field(arn.account, "{a}"),
        concrete(arn.resource, star, mark)
    ))
}

/// The caller of a trust request for a principal pattern: anyone (`AWS: *`) is a role of another
/// account; an ARN pattern is filled as a resource is ([`arn_template`]), in the home account;
/// a service or anything else has its wildcards filled.
fn caller_value(kind: &str, who: &str, home: &dyn Fn() -> Home, star: &str, mark: char) -> String {
    if kind == "AWS" && who == "*" {
        let outsider = placed("arn:{p}:iam::{a}:role/{w}", &home());
        return outsider.last().cloned().unwrap_or_default();
    }
    match arn_template(who, star, mark).filter(|_| has_wildcard(who)) {
        Some(template) => placed(&template, &home()).swap_remove(0),
        None => concrete(who, star, mark),
    }
}

/// A request `allowing` allows and `denying` denies that exercises `grant`. For a grant to a
/// principal (a trust policy), `role_arn` is the request's resource and the caller is put in
/// the context under [`caller_key`]; only the statements that admit that principal count.
pub fn find(
    grant: &Grant<'_>,
    role_arn: &str,
    allowing: &[&Policy],
    denying: &[&Policy],
) -> Option<Witness> {
    find_given(grant, role_arn, allowing, denying, &Facts::default())
}

/// [`find`], with what the account fixes ([`Facts`]) holding in every request.
pub fn find_given(
    grant: &Grant<'_>,
    role_arn: &str,
    allowing: &[&Policy],
    denying: &[&Policy],
    facts: &Facts,
) -> Option<Witness> {
    let (resource_pattern, caller) = match grant.target {
        Target::Resource(pattern) => (pattern, None),
        Target::Principal(kind, who) => (role_arn, Some((kind, who))),
        Target::Nothing => ("*", None),
    };
    // A trust request counts only the statements that admit its caller.
    let admitted: Option<(Vec<Policy>, Vec<Policy>)> = caller.map(|(kind, who)| {
        (
            allowing
                .iter()
                .map(|p| super::evaluate::admitting(p, kind, who))
                .collect(),
            denying
                .iter()
                .map(|p| super::evaluate::admitting(p, kind, who))
                .collect(),
        )
    });
    let (allowing, denying): (Vec<&Policy>, Vec<&Policy>) = match &admitted {
        Some((allowing, denying)) => (allowing.iter().collect(), denying.iter().collect()),
        None => (allowing.to_vec(), denying.to_vec()),
    };
    // Keys the denying side tests: set to a value it is unlikely to admit, or left out.
    let denying_keys: BTreeSet<String> = denying
        .iter()
        .flat_map(|p| &p.statements)
        .flat_map(|s| &s.conditions)
        .map(|c| c.key.clone())
        .collect();
    let marks: &[char] = if resource_pattern.contains('?') || grant.action.contains('?') {
        &MARK_FILLS
    } else {
        &MARK_FILLS[..1]
    };
    let home_cell = std::cell::OnceCell::new();
    let home = || {
        home_cell
            .get_or_init(|| {
                let policies = allowing.iter().chain(&denying);
                facts
                    .home
                    .clone()
                    .unwrap_or_else(|| home_of_policies(resource_pattern, policies))
            })
            .clone()
    };
    // Typical requests first; then the patterns filled, made one at a time as they are tried.
    let typical = match caller {
        Some(_) => Vec::new(),
        None => typical(grant.action, resource_pattern, &home, marks),
    };
    let home = &home;
    let filled = STAR_FILLS.iter().flat_map(|&star| {
        marks.iter().flat_map(move |&mark| {
            let action = concrete(grant.action, star, mark);
            let resources = match caller {
                Some(_) => vec![role_arn.to_owned()],
                None => filled_resources(&action, resource_pattern, home, star, mark),
            };
            resources
                .into_iter()
                .map(move |resource| (action.clone(), resource, star, mark))
        })
    });
    for (action, resource, star, mark) in typical.into_iter().chain(filled) {
        for mut context in contexts(grant.conditions, &denying_keys, star, mark) {
            if let Some((kind, who)) = caller {
                let value = caller_value(kind, who, home, star, mark);
                context.insert(caller_key(kind).to_owned(), vec![value]);
            }
            if let Some(fixed) = facts.of(&resource) {
                for (key, values) in fixed {
                    context.retain(|k, _| !k.eq_ignore_ascii_case(key));
                    context.insert(key.clone(), values.clone());
                }
            }
            if decides(&allowing, &action, &resource, &context) == Some(true)
                && decides(&denying, &action, &resource, &context) == Some(false)
            {
                return Some(Witness {
                    action,
                    resource,
                    context,
                });
            }
        }
    }
    None
}

/// Whether `policies` allow the request; `None` when a statement's outcome is unknown.
pub fn decides(
    policies: &[&Policy],
    action: &str,
    resource: &str,
    context: &Context,
) -> Option<bool> {
    let lowered: Context = context
        .iter()
        .map(|(key, values)| (key.to_lowercase(), values.clone()))
        .collect();
    let evaluation = evaluate(
        policies,
        &Request {
            action,
            resource,
            context: &lowered,
        },
    );
    evaluation
        .unsupported
        .is_empty()
        .then_some(evaluation.allowed)
}

/// Contexts under which the grant's conditions hold: each condition's first value, then each
/// of its other values in turn; each also with the denying side's other keys set to odd values.
fn contexts(
    conditions: &BTreeSet<Condition>,
    denying_keys: &BTreeSet<String>,
    star: &str,
    mark: char,
) -> Vec<Context> {
    let mut base = Context::new();
    for condition in conditions {
        if let Some(value) = satisfying(condition, 0, star, mark) {
            base.entry(condition.key.clone()).or_default().push(value);
        }
    }
    let mut variants = vec![base.clone()];
    for condition in conditions {
        for index in 1..condition.values.len() {
            if let Some(value) = satisfying(condition, index, star, mark) {
                let mut variant = base.clone();
                variant.insert(condition.key.clone(), vec![value]);
                variants.push(variant);
            }
        }
    }
    let odd: Vec<Context> = variants
        .iter()
        .map(|variant| {
            let mut variant = variant.clone();
            for key in denying_keys {
                if !variant.keys().any(|k| k.eq_ignore_ascii_case(key)) {
                    variant.insert(key.clone(), vec![odd_value(key)]);
                }
            }
            variant
        })
        .collect();
    variants.extend(odd);
    variants.dedup();
    variants
}

/// A value of the condition's key under which it holds, from its `index`th value; `None` when
/// the key is best left out (a negated operator, `Null` true, a set operator).
fn satisfying(condition: &Condition, index: usize, star: &str, mark: char) -> Option<String> {
    let operator = condition.operator.as_str();
    if operator.starts_with("ForAnyValue:") || operator.starts_with("ForAllValues:") {
        return None;
    }
    let base = operator.strip_suffix("IfExists").unwrap_or(operator);
    let value = condition.values.iter().nth(index)?;
    match base {
        "Null" => (value.eq_ignore_ascii_case("false")).then(|| "runnerc-witness".to_owned()),
        _ if base.contains("Not") => None,
        "StringLike" | "ArnLike" | "ArnEquals" => Some(concrete(value, star, mark)),
        _ => Some(value.clone()),
    }
}

/// A value the other side is unlikely to admit for `key`.
fn odd_value(key: &str) -> String {
    let key = key.to_ascii_lowercase();
    if key.ends_with("account") {
        "999999999999".to_owned()
    } else if key.ends_with("arn") {
        "arn:aws:iam::999999999999:role/runnerc-witness".to_owned()
    } else {
        "runnerc-witness".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::policy::Statement;
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::from_text(text).unwrap()
    }

    fn grant_of<'a>(statement: &'a Statement, resource: &'a str) -> Grant<'a> {
        let super::super::policy::Patterns::Listed(actions) = &statement.actions else {
            panic!()
        };
        Grant {
            action: actions.iter().next().unwrap(),
            target: Target::Resource(resource),
            conditions: &statement.conditions,
        }
    }

    #[test]
    fn a_wider_prefix_is_proven_outside_the_old_one() {
        let new = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}}"#,
        );
        let old = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/orders/*"}}"#,
        );
        let grant = grant_of(&new.statements[0], "arn:aws:s3:::b/*");
        let witness = find(&grant, "", &[&new], &[&old]).unwrap();
        assert_eq!(witness.resource, "arn:aws:s3:::b/runnerc-witness");
        assert!(find(&grant, "", &[&old], &[&new]).is_none());
    }

    #[test]
    fn a_secret_suffix_pattern_is_proven_with_another_suffix() {
        let new = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-??????"}}"#,
        );
        let old = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-xxxxxx"}}"#,
        );
        let resource = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-??????";
        let witness = find(
            &grant_of(&new.statements[0], resource),
            "",
            &[&new],
            &[&old],
        )
        .unwrap();
        assert!(witness.resource.ends_with(":secret:db-QQQQQQ"));
    }

    #[test]
    fn a_dropped_condition_is_proven_without_it() {
        let old = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["a/","a/*"]}}}}"#,
        );
        let new = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#,
        );
        let witness = find(
            &grant_of(&new.statements[0], "arn:aws:s3:::b"),
            "",
            &[&new],
            &[&old],
        )
        .unwrap();
        assert!(
            !witness.context.contains_key("s3:prefix") || witness.context["s3:prefix"] != ["a/"]
        );
    }

    #[test]
    fn a_service_wildcard_on_everything_is_proven_by_a_typical_request() {
        let live = policy(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#);
        let spec = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws-cn:s3:::b/p/*"}}"#,
        );
        let witness = find(&grant_of(&live.statements[0], "*"), "", &[&live], &[&spec]).unwrap();
        assert_eq!(
            (witness.action.as_str(), witness.resource.as_str()),
            ("s3:GetObject", "arn:aws-cn:s3:::runnerc-witness/x")
        );
    }

    #[test]
    fn a_secret_on_everything_is_proven_in_another_region_when_the_home_one_is_granted() {
        let live = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
        );
        let spec = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:*"}}"#,
        );
        let witness = find(&grant_of(&live.statements[0], "*"), "", &[&live], &[&spec]).unwrap();
        assert_eq!(
            witness.resource,
            "arn:aws:secretsmanager:us-west-2:111122223333:secret:runnerc-witness-AbCdEf"
        );
    }

    #[test]
    fn facts_hold_in_every_request() {
        // Without the fact, a bucket of the same name in another account proves a loss; with
        // it (the bucket is the account's), there is none.
        let live = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}}"#,
        );
        let spec = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:ResourceAccount":"111122223333"}}}}"#,
        );
        let grant = grant_of(&live.statements[0], "arn:aws:s3:::b/*");
        assert!(find(&grant, "", &[&live], &[&spec]).is_some());
        let facts = Facts {
            by_resource: vec![(
                "arn:aws:s3:::b/*".to_owned(),
                Context::from([(
                    "s3:ResourceAccount".to_owned(),
                    vec!["111122223333".to_owned()],
                )]),
            )],
            home: None,
        };
        assert!(find_given(&grant, "", &[&live], &[&spec], &facts).is_none());
    }

    #[test]
    fn a_loss_on_every_resource_is_proven_by_a_resource_of_its_type() {
        // `image` in place of AmazonECSTaskExecutionRolePolicy: the pulls on `*` are lost,
        // proven by a repository the new role does not name; the token, asked of `*`, is kept.
        let managed = policy(
            r#"{"Statement":{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchGetImage","logs:CreateLogStream","sts:GetCallerIdentity"],"Resource":"*"}}"#,
        );
        let image = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"arn:aws:ecr:eu-west-1:111122223333:repository/agent"}]}"#,
        );
        let none = BTreeSet::new();
        let lost = |action| {
            let grant = Grant {
                action,
                target: Target::Resource("*"),
                conditions: &none,
            };
            find(&grant, "", &[&managed], &[&image]).map(|w| w.resource)
        };
        assert_eq!(
            lost("ecr:BatchGetImage").as_deref(),
            Some("arn:aws:ecr:eu-west-1:111122223333:repository/runnerc-witness")
        );
        assert_eq!(
            lost("logs:CreateLogStream").as_deref(),
            Some("arn:aws:logs:eu-west-1:111122223333:log-group:runnerc-witness:log-stream:x")
        );
        assert_eq!(lost("ecr:GetAuthorizationToken"), None);
        assert_eq!(lost("sts:GetCallerIdentity").as_deref(), Some("*"));
    }

    #[test]
    fn wildcard_fields_of_an_arn_are_filled_with_a_region_and_an_account() {
        let live = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/orders"}}"#,
        );
        let spec = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/orders"}}"#,
        );
        let witness = find(
            &grant_of(&live.statements[0], "arn:aws:dynamodb:*:*:table/orders"),
            "",
            &[&live],
            &[&spec],
        )
        .unwrap();
        assert_eq!(
            witness.resource,
            "arn:aws:dynamodb:us-west-2:111122223333:table/orders"
        );
    }

    #[test]
    fn a_principal_pattern_is_proven_by_a_caller_arn() {
        let open = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}}"#,
        );
        let account = policy(
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::*:role/ci-*"}}}"#,
        );
        let none = BTreeSet::new();
        let role = "arn:aws:iam::111122223333:role/r";
        let caller = |who, allowing: &Policy| {
            let grant = Grant {
                action: "sts:AssumeRole",
                target: Target::Principal("AWS", who),
                conditions: &none,
            };
            let empty = policy(r#"{"Statement":[]}"#);
            find(&grant, role, &[allowing], &[&empty]).unwrap().context["aws:PrincipalArn"][0]
                .clone()
        };
        assert_eq!(
            caller("*", &open),
            "arn:aws:iam::444455556666:role/runnerc-witness"
        );
        assert_eq!(
            caller("arn:aws:iam::*:role/ci-*", &account),
            "arn:aws:iam::111122223333:role/ci-runnerc-witness"
        );
    }

    #[test]
    fn an_action_pattern_is_proven_by_an_action_of_its_service() {
        let live = policy(r#"{"Statement":{"Effect":"Allow","Action":"sts:Get*","Resource":"*"}}"#);
        let spec = policy(r#"{"Statement":[]}"#);
        let witness = find(&grant_of(&live.statements[0], "*"), "", &[&live], &[&spec]).unwrap();
        assert_eq!(
            (witness.action.as_str(), witness.resource.as_str()),
            ("sts:GetCallerIdentity", "*")
        );
    }

    #[test]
    fn a_new_trusted_service_is_proven_by_its_name() {
        let new = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs-tasks.amazonaws.com"}},{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
        );
        let old = policy(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs-tasks.amazonaws.com"}}]}"#,
        );
        let none = BTreeSet::new();
        let grant = Grant {
            action: "sts:AssumeRole",
            target: Target::Principal("Service", "ec2.amazonaws.com"),
            conditions: &none,
        };
        let witness = find(&grant, "arn:aws:iam::1:role/r", &[&new], &[&old]).unwrap();
        assert_eq!(
            witness.context["aws:PrincipalServiceName"],
            ["ec2.amazonaws.com"]
        );
    }
}
