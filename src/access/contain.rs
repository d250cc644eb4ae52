//! The containment test: whether the grants of one statement are covered by a policy's
//! statements ("does this grant cover that one?"), for `*` and `?` patterns in actions,
//! resources and condition values, and for the condition operators runnerc emits. `drift`
//! and `diff` stand on it; the evaluator ([`super::evaluate`]) then proves each difference with
//! a request ([`super::witness`]).
//!
//! A statement is cut into its (action, resource) or (principal) grants, kept as two lists,
//! never as their product. A grant counts as covered when one statement of the other side
//! includes its action, its target and holds under weaker-or-equal conditions.

use super::policy::{Condition, Patterns, Policy, Statement};
use super::wildcard::includes;
use std::collections::{BTreeSet, HashMap};

/// What a statement's actions apply to: a resource (identity policies), a principal (trust
/// policies), or nothing written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Nothing,
    Resource(&'a str),
    Principal(&'a str, &'a str),
}

/// The grants of a statement: each of its actions on each of its targets, under its
/// conditions. Kept as the two lists, never as their product.
pub enum Cut<'a> {
    /// `NotAction`, `NotResource` or `NotPrincipal` (or both `Resource` and `Principal`, which
    /// no role document holds): covered only by the same statement.
    Whole,
    Grants {
        actions: Vec<&'a str>,
        targets: Vec<Target<'a>>,
    },
}

pub fn cut(statement: &Statement) -> Cut<'_> {
    let Patterns::Listed(actions) = &statement.actions else {
        return Cut::Whole;
    };
    if statement.not_principal.is_some() {
        return Cut::Whole;
    }
    let targets = match (&statement.resources, &statement.principal) {
        (None, None) => vec![Target::Nothing],
        (Some(Patterns::Listed(resources)), None) => resources
            .iter()
            .map(|resource| Target::Resource(resource))
            .collect(),
        (None, Some(kinds)) => kinds
            .iter()
            .flat_map(|(kind, who)| who.iter().map(move |w| Target::Principal(kind, w)))
            .collect(),
        _ => return Cut::Whole,
    };
    Cut::Grants {
        actions: actions.iter().map(String::as_str).collect(),
        targets,
    }
}

/// Whether `other` is `statement` as written, by meaning (a statement compared whole).
pub fn same_statement(other: &Statement, statement: &Statement) -> bool {
    other.effect == statement.effect
        && other.actions == statement.actions
        && other.resources == statement.resources
        && other.principal == statement.principal
        && other.not_principal == statement.not_principal
        && other.conditions == statement.conditions
}

/// Whether `other` can cover grants of `statement` at all: the same effect, no `NotPrincipal`,
/// and conditions that hold whenever the statement's do.
pub fn may_cover(other: &Statement, statement: &Statement) -> bool {
    other.effect == statement.effect
        && other.not_principal.is_none()
        && other
            .conditions
            .iter()
            .all(|condition| implied(condition, &statement.conditions))
}

/// Whether `other`'s actions include `action`.
pub fn action_covered(other: &Statement, action: &str) -> bool {
    match &other.actions {
        Patterns::Listed(actions) => actions
            .iter()
            .any(|pattern| includes(pattern, action, true)),
        // Every action but the excluded: covered when no excluded pattern reaches it.
        Patterns::AllBut(excluded) => !excluded
            .iter()
            .any(|pattern| includes(pattern, action, true) || includes(action, pattern, true)),
    }
}

/// Whether `other`'s resources or principals include `target`.
pub fn target_covered(other: &Statement, target: Target<'_>) -> bool {
    match target {
        Target::Nothing => other.resources.is_none() && other.principal.is_none(),
        Target::Resource(resource) => {
            other.principal.is_none()
                && match &other.resources {
                    Some(Patterns::Listed(listed)) => listed
                        .iter()
                        .any(|pattern| includes(pattern, resource, false)),
                    // Everything but the excluded: covered when no excluded pattern reaches it.
                    Some(Patterns::AllBut(excluded)) => !excluded.iter().any(|pattern| {
                        includes(pattern, resource, false) || includes(resource, pattern, false)
                    }),
                    None => false,
                }
        }
        Target::Principal(kind, who) => {
            other.resources.is_none()
                && other.principal.as_ref().is_some_and(|kinds| {
                    kinds.get("AWS").is_some_and(|all| all.contains("*"))
                        || kinds.get(kind).is_some_and(|listed| listed.contains(who))
                })
        }
    }
}

/// The grants of a statement that no statement of a policy covers.
pub enum Uncovered<'a> {
    /// A statement compared whole, with no equal.
    Whole,
    /// Blocks of grants: each action of a block on each of its targets.
    Blocks(Vec<(Vec<&'a str>, Vec<Target<'a>>)>),
}

/// Which of `statement`'s grants `policy` lacks. A grant (action, target) is covered when one
/// statement covers both its action and its target; so each action and each target is
/// matched once against the policy's statements, giving the set of statements that cover it
/// (its signature), and actions and targets are compared by signature. The work grows with
/// actions plus targets, never with their product.
pub fn uncovered<'a>(statement: &'a Statement, policy: &Policy) -> Option<Uncovered<'a>> {
    let (actions, targets) = match cut(statement) {
        Cut::Whole => {
            return (!policy
                .statements
                .iter()
                .any(|other| same_statement(other, statement)))
            .then_some(Uncovered::Whole);
        }
        Cut::Grants { actions, targets } => (actions, targets),
    };
    // The same statement on the other side covers every grant of it.
    if policy
        .statements
        .iter()
        .any(|other| same_statement(other, statement))
    {
        return None;
    }
    let candidates: Vec<&Statement> = policy
        .statements
        .iter()
        .filter(|other| may_cover(other, statement))
        .collect();
    let signature = |covered: &dyn Fn(&Statement) -> bool| -> Vec<u64> {
        let mut bits = vec![0u64; candidates.len().div_ceil(64)];
        for (index, other) in candidates.iter().enumerate() {
            if covered(other) {
                bits[index / 64] |= 1 << (index % 64);
            }
        }
        bits
    };
    let action_classes = classes(actions.iter().map(|a| signature(&|o| action_covered(o, a))));
    let target_classes = classes(
        targets
            .iter()
            .map(|t| signature(&|o| target_covered(o, *t))),
    );
    let meets = |a: &[u64], b: &[u64]| a.iter().zip(b).any(|(x, y)| x & y != 0);
    // For each class of targets, the actions no covering statement shares with it; targets
    // lacking the same actions form one block.
    let mut blocks: Vec<(Vec<usize>, Vec<Target<'a>>)> = Vec::new();
    let mut block_of: HashMap<Vec<usize>, usize> = HashMap::new();
    let mut block_of_class: HashMap<usize, Option<usize>> = HashMap::new();
    for (target, class) in targets.iter().zip(&target_classes.of) {
        let block = *block_of_class.entry(*class).or_insert_with(|| {
            let target_signature = &target_classes.signatures[*class];
            let lacking: Vec<usize> = (0..actions.len())
                .filter(|&action| {
                    !meets(
                        &action_classes.signatures[action_classes.of[action]],
                        target_signature,
                    )
                })
                .collect();
            if lacking.is_empty() {
                return None;
            }
            Some(*block_of.entry(lacking.clone()).or_insert_with(|| {
                blocks.push((lacking, Vec::new()));
                blocks.len() - 1
            }))
        });
        if let Some(block) = block {
            blocks[block].1.push(*target);
        }
    }
    if blocks.is_empty() {
        return None;
    }
    Some(Uncovered::Blocks(
        blocks
            .into_iter()
            .map(|(lacking, targets)| (lacking.into_iter().map(|a| actions[a]).collect(), targets))
            .collect(),
    ))
}

/// Items grouped by equal signature: each item's class, and each class's signature.
struct Classes {
    of: Vec<usize>,
    signatures: Vec<Vec<u64>>,
}

fn classes(signatures: impl Iterator<Item = Vec<u64>>) -> Classes {
    let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut result = Classes {
        of: Vec::new(),
        signatures: Vec::new(),
    };
    for signature in signatures {
        let class = *index.entry(signature.clone()).or_insert_with(|| {
            result.signatures.push(signature);
            result.signatures.len() - 1
        });
        result.of.push(class);
    }
    result
}

/// Uncovered grants as words: "`a`, `b` on `r1`, `r2`; `c` to Service `s`".
pub fn describe(uncovered: &Uncovered<'_>) -> String {
    let Uncovered::Blocks(blocks) = uncovered else {
        return "what it grants (NotAction, NotResource or NotPrincipal, as written)".to_owned();
    };
    let blocks: Vec<String> = blocks
        .iter()
        .map(|(actions, targets)| {
            let actions: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
            let (preposition, targets): (&str, Vec<String>) = match targets.first() {
                Some(Target::Resource(_)) => (
                    " on ",
                    targets
                        .iter()
                        .filter_map(|t| match t {
                            Target::Resource(r) => Some(format!("`{r}`")),
                            _ => None,
                        })
                        .collect(),
                ),
                Some(Target::Principal(..)) => (
                    " to ",
                    targets
                        .iter()
                        .filter_map(|t| match t {
                            Target::Principal(kind, who) => Some(format!("{kind} `{who}`")),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => ("", Vec::new()),
            };
            format!("{}{preposition}{}", actions.join(", "), targets.join(", "))
        })
        .collect();
    blocks.join("; ")
}

/// Whether a condition of the covering statement holds whenever the grant's conditions do: the
/// grant has the same condition, or one on the same key whose values the covering condition
/// admits (an equality or `Like` under the same operator, or an equality under a `Like`).
pub fn implied(condition: &Condition, of_grant: &BTreeSet<Condition>) -> bool {
    let like = |operator: &str| matches!(operator, "StringLike" | "ArnLike");
    let equals = |operator: &str| matches!(operator, "StringEquals" | "ArnEquals");
    let covering = condition.operator.as_str();
    let admits = |value: &String| {
        condition.values.iter().any(|admitted| {
            if like(covering) {
                includes(admitted, value, false)
            } else {
                admitted == value
            }
        })
    };
    of_grant.iter().any(|other| {
        let narrower = other.operator.as_str();
        let comparable = (narrower == covering && (like(covering) || equals(covering)))
            || (like(covering) && equals(narrower));
        other == condition
            || (other.key.eq_ignore_ascii_case(&condition.key)
                && comparable
                && other.values.iter().all(admits))
    })
}
