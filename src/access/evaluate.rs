//! One request against identity policies, by IAM's rules for the grammar runnerc emits: an
//! explicit `Deny` wins, then any `Allow`, else the request is denied. A statement applies when
//! its action, its resource and every one of its conditions match. Operators outside the
//! string and ARN families make the statement's outcome unknown rather than guessed.

use super::policy::{Condition, Effect, Patterns, Policy, Statement};
use super::wildcard::matches;
use std::collections::BTreeMap;

/// What is asked: an action on a resource, with the request's condition keys (lower case) and
/// their values.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a BTreeMap<String, Vec<String>>,
}

/// How one statement meets a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Action, resource and conditions match; `resource` is the pattern that matched.
    Applies { resource: Option<String> },
    /// The statement does not name the action.
    OtherAction,
    /// The action matches, the resource does not.
    OtherResource,
    /// Action and resource match; this condition does not hold. `present` is what the request
    /// holds for its key, `None` when the key is absent.
    ConditionFails {
        condition: Condition,
        present: Option<Vec<String>>,
    },
    /// A condition operator this evaluator does not know.
    Unsupported { operator: String },
}

pub fn statement(statement: &Statement, request: &Request<'_>) -> Outcome {
    if !in_patterns(&statement.actions, request.action, true) {
        return Outcome::OtherAction;
    }
    let resource = match &statement.resources {
        None => None,
        Some(Patterns::Listed(listed)) => {
            match listed.iter().find(|p| matches(p, request.resource, false)) {
                Some(pattern) => Some(pattern.clone()),
                None => return Outcome::OtherResource,
            }
        }
        Some(patterns @ Patterns::AllBut(_)) => {
            if !in_patterns(patterns, request.resource, false) {
                return Outcome::OtherResource;
            }
            None
        }
    };
    for condition in &statement.conditions {
        let present = request.context.get(&condition.key.to_lowercase());
        match holds(condition, present.map(Vec::as_slice)) {
            Some(true) => {}
            Some(false) => {
                return Outcome::ConditionFails {
                    condition: condition.clone(),
                    present: present.cloned(),
                };
            }
            None => {
                return Outcome::Unsupported {
                    operator: condition.operator.clone(),
                };
            }
        }
    }
    Outcome::Applies { resource }
}

fn in_patterns(patterns: &Patterns, value: &str, ignore_case: bool) -> bool {
    match patterns {
        Patterns::Listed(listed) => listed.iter().any(|p| matches(p, value, ignore_case)),
        Patterns::AllBut(excluded) => !excluded.iter().any(|p| matches(p, value, ignore_case)),
    }
}

/// Whether a condition holds for the request's values of its key; `None` for an operator this
/// evaluator does not know.
fn holds(condition: &Condition, present: Option<&[String]>) -> Option<bool> {
    let operator = condition.operator.as_str();
    if operator.starts_with("ForAnyValue:") || operator.starts_with("ForAllValues:") {
        return None;
    }
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    if base == "Null" {
        let absent = present.is_none_or(<[String]>::is_empty);
        let wanted = condition
            .values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true"));
        return Some(absent == wanted);
    }
    type Test = fn(&str, &str) -> bool;
    let (test, negated): (Test, bool) = match base {
        "StringEquals" => (|p, v| p == v, false),
        "StringNotEquals" => (|p, v| p == v, true),
        "StringEqualsIgnoreCase" => (|p, v| p.eq_ignore_ascii_case(v), false),
        "StringNotEqualsIgnoreCase" => (|p, v| p.eq_ignore_ascii_case(v), true),
        "StringLike" => (|p, v| matches(p, v, false), false),
        "StringNotLike" => (|p, v| matches(p, v, false), true),
        "ArnEquals" | "ArnLike" => (arn_like, false),
        "ArnNotEquals" | "ArnNotLike" => (arn_like, true),
        "Bool" => (|p, v| p.eq_ignore_ascii_case(v), false),
        _ => return None,
    };
    let Some(values) = present.filter(|values| !values.is_empty()) else {
        // An absent key: a positive test fails, a negated one holds, `...IfExists` holds.
        return Some(if_exists || negated);
    };
    let any = values
        .iter()
        .any(|value| condition.values.iter().any(|pattern| test(pattern, value)));
    Some(any != negated)
}

/// `ArnLike`: each of the six colon-separated parts of the ARN is matched on its own, so a `*`
/// never reaches across a colon into the next part.
fn arn_like(pattern: &str, value: &str) -> bool {
    let pattern: Vec<&str> = pattern.splitn(6, ':').collect();
    let value: Vec<&str> = value.splitn(6, ':').collect();
    pattern.len() == value.len()
        && pattern
            .iter()
            .zip(&value)
            .all(|(p, v)| matches(p, v, false))
}

/// A resource or trust policy's statements that admit the principal (`kind` `AWS`, `Service`,
/// ...), as identity statements: what that principal may do by this policy.
pub fn admitting(policy: &Policy, kind: &str, who: &str) -> Policy {
    Policy {
        statements: policy
            .statements
            .iter()
            .filter(|s| {
                s.not_principal.is_none()
                    && s.principal.as_ref().is_some_and(|kinds| {
                        kinds.get("AWS").is_some_and(|all| all.contains("*"))
                            || kinds.get(kind).is_some_and(|listed| listed.contains(who))
                    })
            })
            .map(|s| Statement {
                principal: None,
                ..s.clone()
            })
            .collect(),
    }
}

/// The answer of a set of policies, and what decided it.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub allowed: bool,
    /// The statement that decided: a `Deny` that applies, else the first `Allow` that applies
    /// (policy index, statement index, matched resource pattern).
    pub deciding: Option<(usize, usize, Option<String>)>,
    /// Every statement that names the action but does not apply, with why.
    pub near_misses: Vec<(usize, usize, Outcome)>,
    /// Statements whose outcome is unknown (an operator this evaluator does not know). They
    /// leave the answer uncertain unless a `Deny` applies.
    pub unsupported: Vec<(usize, usize, String)>,
}

pub fn evaluate(policies: &[&Policy], request: &Request<'_>) -> Evaluation {
    let mut deny = None;
    let mut allow = None;
    let mut near_misses = Vec::new();
    let mut unsupported = Vec::new();
    for (p, policy) in policies.iter().enumerate() {
        for (s, stmt) in policy.statements.iter().enumerate() {
            match statement(stmt, request) {
                Outcome::Applies { resource } => {
                    let slot = match stmt.effect {
                        Effect::Deny => &mut deny,
                        Effect::Allow => &mut allow,
                    };
                    if slot.is_none() {
                        *slot = Some((p, s, resource));
                    }
                }
                Outcome::OtherAction => {}
                Outcome::Unsupported { operator } => unsupported.push((p, s, operator)),
                outcome => near_misses.push((p, s, outcome)),
            }
        }
    }
    Evaluation {
        allowed: deny.is_none() && allow.is_some(),
        deciding: deny.or(allow),
        near_misses,
        unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in pairs {
            map.entry(key.to_lowercase())
                .or_default()
                .push((*value).to_owned());
        }
        map
    }

    fn ask(policy: &str, action: &str, resource: &str, pairs: &[(&str, &str)]) -> Evaluation {
        let policy = Policy::from_text(policy).unwrap();
        let context = context(pairs);
        evaluate(
            &[&policy],
            &Request {
                action,
                resource,
                context: &context,
            },
        )
    }

    const LIST: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["orders/","orders/*"]},"StringEquals":{"s3:ResourceAccount":"111122223333"}}}]}"#;

    #[test]
    fn conditions_need_their_keys() {
        let owner = ("s3:ResourceAccount", "111122223333");
        assert!(
            ask(
                LIST,
                "s3:ListBucket",
                "arn:aws:s3:::b",
                &[owner, ("s3:prefix", "orders/2026")]
            )
            .allowed
        );
        assert!(!ask(LIST, "s3:ListBucket", "arn:aws:s3:::b", &[owner]).allowed);
        assert!(
            !ask(
                LIST,
                "s3:ListBucket",
                "arn:aws:s3:::b",
                &[owner, ("s3:prefix", "other/")]
            )
            .allowed
        );
        assert!(
            !ask(
                LIST,
                "s3:ListBucket",
                "arn:aws:s3:::b",
                &[
                    ("s3:ResourceAccount", "999999999999"),
                    ("s3:prefix", "orders/")
                ]
            )
            .allowed
        );
        assert!(
            ask(
                LIST,
                "S3:LISTBUCKET",
                "arn:aws:s3:::b",
                &[
                    ("S3:ResourceAccount", "111122223333"),
                    ("s3:prefix", "orders/")
                ]
            )
            .allowed
        );
    }

    #[test]
    fn deny_wins_and_unknown_operators_are_reported() {
        let both = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
        let answer = ask(both, "s3:GetObject", "arn:aws:s3:::b/k", &[]);
        assert!(!answer.allowed);
        assert_eq!(answer.deciding.map(|d| d.1), Some(1));
        let date = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}"#;
        assert_eq!(ask(date, "s3:GetObject", "x", &[]).unsupported.len(), 1);
    }

    #[test]
    fn arn_like_matches_part_by_part() {
        assert!(arn_like(
            "arn:aws:ecs:eu-west-1:111122223333:*",
            "arn:aws:ecs:eu-west-1:111122223333:task/c/1"
        ));
        assert!(!arn_like(
            "arn:aws:ecs:*",
            "arn:aws:ecs:eu-west-1:111122223333:task/c/1"
        ));
        assert!(arn_like(
            "arn:aws:ecs:*:*:*",
            "arn:aws:ecs:eu-west-1:111122223333:task/c/1"
        ));
    }
}
