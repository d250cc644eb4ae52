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

/// A request `allowing` allows and `denying` denies that exercises `grant`. For a grant to a
/// principal (a trust policy), `role_arn` is the request's resource and the caller is put in
/// the context under [`caller_key`]; only the statements that admit that principal count.
pub fn find(
    grant: &Grant<'_>,
    role_arn: &str,
    allowing: &[&Policy],
    denying: &[&Policy],
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
    for star in STAR_FILLS {
        for &mark in marks {
            let action = concrete(grant.action, star, mark);
            let resource = if caller.is_some() {
                role_arn.to_owned()
            } else if resource_pattern == "*" {
                // An action on every resource is asked on `*`, as IAM asks `ecr:GetAuthorizationToken`.
                "*".to_owned()
            } else {
                concrete(resource_pattern, star, mark)
            };
            for mut context in contexts(grant.conditions, &denying_keys, star, mark) {
                if let Some((kind, who)) = caller {
                    context.insert(caller_key(kind).to_owned(), vec![concrete(who, star, mark)]);
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
