//! `runnerc drift` on the worst exports IAM's limits allow: the comparison must stay fast
//! however a document within them is shaped (a statement of many actions and many
//! resources, many statements, long wildcard patterns). Each case is one role whose inline
//! policy takes about the 10,240 characters IAM holds, read and compared with a small spec.
//!
//!     cargo bench --bench drift

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use runnerc::audit::drift;
use runnerc::diag::Sources;
use serde_json::{Value, json};
use std::hint::black_box;

const SPEC: &str = r#"runner "small" {
    account "123456789012"
    region  "eu-west-1"
    agent secret "agent/creds"
    destination s3 {
        bucket "acme-landing"
        prefix "orders/"
    }
}
"#;

/// An export of `small-task-role` whose inline policy `runnerc-policy` is `document`.
fn export(document: &Value) -> String {
    json!({"RoleDetailList": [{
        "Path": "/", "RoleName": "small-task-role",
        "Arn": "arn:aws:iam::123456789012:role/small-task-role",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
        "RolePolicyList": [{"PolicyName": "runnerc-policy", "PolicyDocument": document}],
    }]})
    .to_string()
}

/// The largest `n` for which `document(n)` fits IAM's 10,240 characters.
fn largest(document: impl Fn(usize) -> Value) -> Value {
    let mut n = 1;
    while document(n + 1).to_string().len() <= runnerc::live::MAX_INLINE_CHARACTERS {
        n += 1;
    }
    document(n)
}

fn cases() -> Vec<(&'static str, Value)> {
    vec![
        // About 600 actions x 600 resources: 360,000 grants in one statement.
        (
            "cross-product",
            largest(|n| {
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": (0..n).map(|i| format!("s3:a{i}")).collect::<Vec<_>>(),
                    "Resource": (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()}]})
            }),
        ),
        // About 200 statements of one grant each.
        (
            "many-statements",
            largest(|n| {
                json!({"Version": "2012-10-17", "Statement": (0..n).map(|i| json!({
                    "Effect": "Allow", "Action": format!("s3:A{i}"), "Resource": "*"})).collect::<Vec<_>>()})
            }),
        ),
        // Wildcard patterns as long as the policy allows, compared with the spec's.
        (
            "long-wildcards",
            largest(|n| {
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": format!("s3:{}", "?*".repeat(n / 2)),
                    "Resource": format!("arn:aws:s3:::acme-landing/{}", "*?".repeat(n / 2))}]})
            }),
        ),
    ]
}

fn compare(c: &mut Criterion) {
    let mut sources = Sources::new();
    sources.add("small.runner", SPEC.to_owned());
    let compilation = runnerc::compile::compile(&sources);
    assert!(!compilation.has_errors());
    let mut group = c.benchmark_group("drift/at-iam-limits");
    for (label, document) in cases() {
        let text = export(&document);
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| {
                let live = runnerc::live::read_live(black_box(&text), &|_| true).unwrap();
                drift::compare(&compilation.runners, &live).len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
