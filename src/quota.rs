//! The IAM size quotas of the emitted documents, measured as IAM measures them: characters of
//! the document with white space not counted.
//!
//! This runs after lowering, because only the documents themselves can be measured; a runner
//! whose documents break a quota is an error like any other, reported at the runner's name.

use crate::diag::{Code, Diagnostic};
use crate::lower::iam::RoleDocuments;
use crate::model::Runner;

/// Role trust policy length: IAM's default quota (adjustable up to 4,096 on request).
pub const TRUST_POLICY_QUOTA: usize = 2048;
/// Aggregate inline policy size per role.
pub const INLINE_POLICIES_QUOTA: usize = 10_240;

/// `12345` -> `12,345`, as the IAM quotas page writes sizes.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn check(runner: &Runner, documents: &RoleDocuments) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    // The exact size is measured only when the cheap bound does not settle it.
    let over = |document: &crate::lower::iam::PolicyDocument, quota: usize| {
        (document.size_bound() > quota)
            .then(|| document.iam_size())
            .filter(|size| *size > quota)
    };
    // The execution role's trust policy is one fixed statement, far below the quota.
    if let Some(trust) = documents
        .task_trust
        .as_ref()
        .and_then(|trust| over(trust, TRUST_POLICY_QUOTA))
    {
        diagnostics.push(
            Diagnostic::new(
                Code::TrustPolicyTooLarge,
                runner.name_loc,
                format!(
                    "the task role's trust policy of runner `{}` is {} characters, more than IAM's quota of {}",
                    runner.name,
                    thousands(trust),
                    thousands(TRUST_POLICY_QUOTA)
                ),
            )
            .with_label(format!(
                "its trust policy measures {} characters without white space",
                thousands(trust)
            ))
            .with_help("trust fewer extra services; IAM counts the document without white space"),
        );
    }
    let roles = [
        ("task role", &runner.task_role.name, &documents.task),
        (
            "execution role",
            &runner.execution_role.name,
            &documents.execution,
        ),
    ];
    for (kind, name, document) in roles {
        let Some(document) = document else { continue };
        if let Some(size) = over(document, INLINE_POLICIES_QUOTA) {
            diagnostics.push(
                Diagnostic::new(
                    Code::InlinePolicyTooLarge,
                    runner.name_loc,
                    format!(
                        "the inline policy of the {kind} `{name}` is {} characters, more than IAM's quota of {} per role",
                        thousands(size),
                        thousands(INLINE_POLICIES_QUOTA)
                    ),
                )
                .with_label(format!("its {kind} policy measures {} characters without white space", thousands(size)))
                .with_help("split the runner, or cover several secrets with one ARN pattern such as `arn:aws:secretsmanager:REGION:ACCOUNT:secret:prod/*`"),
            );
        }
    }
    diagnostics
}

/// IAM counts every inline policy of a role together. The policies runnerc puts on one
/// `existing` role, from every runner of this invocation that names it (the account's shared
/// `ecsTaskExecutionRole`, say), are summed here; a runner's own role is checked by [`check`].
/// The role's other inline policies count too, but only the account knows them.
pub fn check_existing_roles(runners: &[Runner]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for users in crate::model::shared_existing_roles(runners)
        .iter()
        .filter(|users| users.len() > 1)
    {
        let sizes: Vec<usize> = users
            .iter()
            .map(|(runner, kind)| {
                let documents = crate::lower::iam::documents(runner);
                documents.policy(*kind).map_or(0, |p| p.iam_size())
            })
            .collect();
        let total: usize = sizes.iter().sum();
        if total <= INLINE_POLICIES_QUOTA {
            continue;
        }
        let (last_runner, last_kind) = users[users.len() - 1];
        let last_role = last_runner.role(last_kind);
        let names: Vec<String> = users
            .iter()
            .zip(&sizes)
            .map(|((runner, _), size)| format!("`{}` {}", runner.name, thousands(*size)))
            .collect();
        let mut diagnostic = Diagnostic::new(
            Code::InlinePolicyTooLarge,
            last_role.name_loc,
            format!(
                "runnerc's inline policies on the existing role `{}` add up to {} characters ({}), more than IAM's quota of {} per role",
                last_role.name,
                thousands(total),
                names.join(", "),
                thousands(INLINE_POLICIES_QUOTA)
            ),
        )
        .with_label(format!("runner `{}` adds its policy here", last_runner.name))
        .with_help("IAM sums every inline policy of a role, the role's own included; give some runners a role of their own");
        for (runner, kind) in &users[..users.len() - 1] {
            diagnostic = diagnostic.with_secondary(
                runner.role(*kind).name_loc,
                format!("runner `{}` adds its policy here", runner.name),
            );
        }
        diagnostics.push(diagnostic);
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn sizes_are_written_with_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(2048), "2,048");
        assert_eq!(thousands(10_240), "10,240");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;
    use crate::diag::Sources;

    fn compile(text: &str) -> crate::compile::Compilation {
        let mut sources = Sources::new();
        sources.add("t.runner", text);
        crate::compile::compile(&sources)
    }

    #[test]
    fn the_size_bound_is_never_below_the_size() {
        for path in std::fs::read_dir("examples").unwrap() {
            let path = path.unwrap().path();
            if path.extension().is_none_or(|e| e != "runner") {
                continue;
            }
            let compilation = compile(&std::fs::read_to_string(&path).unwrap());
            for compiled in compilation.lowered() {
                let documents = compiled.documents;
                for document in [
                    documents.task_trust,
                    documents.execution_trust,
                    documents.task,
                    documents.execution,
                ]
                .into_iter()
                .flatten()
                {
                    assert!(document.size_bound() >= document.to_compact_json().len());
                }
            }
        }
    }

    #[test]
    fn white_space_is_not_counted() {
        let compilation = compile(r#"runner "r" { account "123456789012" region "eu-west-1" }"#);
        let trust = compilation.lowered()[0]
            .documents
            .task_trust
            .clone()
            .unwrap();
        let trust = &trust;
        let pretty = trust.to_pretty_json();
        let without_space: String = pretty.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(trust.iam_size(), without_space.chars().count());
        assert!(trust.iam_size() < pretty.len());
    }

    #[test]
    fn the_trust_quota_is_checked_at_the_exact_limit() {
        // Each extra service adds a statement; find the count that crosses 2,048 characters.
        let spec = |services: usize| {
            let lines: String = (0..services)
                .map(|i| format!("trust service \"service-{i:03}.amazonaws.com\"\n"))
                .collect();
            format!("runner \"r\" {{ account \"123456789012\" region \"eu-west-1\"\n{lines}}}")
        };
        let mut crossed = None;
        for services in 0..40 {
            let compilation = compile(&spec(services));
            let size = compilation.lowered()[0]
                .documents
                .task_trust
                .as_ref()
                .unwrap()
                .iam_size();
            let reported = compilation
                .diagnostics
                .iter()
                .any(|d| d.code == Code::TrustPolicyTooLarge);
            assert_eq!(
                reported,
                size > TRUST_POLICY_QUOTA,
                "{services} services, {size} characters"
            );
            if reported {
                let message = &compilation.diagnostics[0].message;
                assert!(message.contains(&thousands(size)), "{message}");
                crossed = Some(services);
                break;
            }
        }
        assert!(crossed.is_some(), "the quota was never crossed");
    }

    #[test]
    fn policies_on_a_shared_existing_role_are_summed() {
        let runner = |name: &str| {
            let secrets: String = (0..50)
                .map(|i| format!("agent secret \"streaming/{name}/agent-{i:02}\"\n"))
                .collect();
            format!(
                "runner \"{name}\" {{ account \"123456789012\" region \"eu-west-1\"\n{secrets} execution role existing \"ecsTaskExecutionRole\" }}\n"
            )
        };
        let two = compile(&(runner("a") + &runner("b")));
        assert!(two.diagnostics.is_empty(), "{:?}", two.diagnostics);
        let sizes: Vec<usize> = two
            .lowered()
            .iter()
            .map(|c| c.documents.execution.as_ref().unwrap().iam_size())
            .collect();
        let three = compile(&(runner("a") + &runner("b") + &runner("c")));
        let total: usize = sizes.iter().sum::<usize>() + sizes[0];
        assert!(total > INLINE_POLICIES_QUOTA && sizes[0] < INLINE_POLICIES_QUOTA / 2);
        assert_eq!(three.diagnostics.len(), 1, "{:?}", three.diagnostics);
        let diagnostic = &three.diagnostics[0];
        assert_eq!(diagnostic.code, Code::InlinePolicyTooLarge);
        assert!(
            diagnostic.message.contains(&thousands(total)),
            "{}",
            diagnostic.message
        );
        assert!(diagnostic.message.contains("ecsTaskExecutionRole"));
        assert_eq!(diagnostic.secondary.len(), 2);
        // The third runner in `aws-cn`, same 12-digit account: its `ecsTaskExecutionRole` is
        // another role, and neither role's policies exceed the quota.
        let china = runner("c").replace("eu-west-1", "cn-north-1");
        let apart = compile(&(runner("a") + &runner("b") + &china));
        assert!(apart.diagnostics.is_empty(), "{:?}", apart.diagnostics);
    }
}
