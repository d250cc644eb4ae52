//! `runnerc import` of one hand-made role pair out of a large account export, as a whole
//! process of the real binary: reading the export, the spec written and checked, and the
//! fidelity report with its witnesses. The contract asks that a 1,000-role export imports one
//! pair well under a second; the bench fails at half a second. It also reports IAM's largest
//! account (5,000 roles). Each figure is the best of a few runs, on this machine as it is.
//!
//!     cargo bench --bench import

use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNNERC: &str = env!("CARGO_BIN_EXE_runnerc");

/// One role of the account: a task role as people make them by hand, with an inline policy of
/// a dozen statements (about 3 KB), tags and the ECS trust.
fn role(i: usize) -> Value {
    let statements: Vec<Value> = (0..12)
        .map(|s| {
            json!({"Sid": format!("S{s}"), "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::team-{i}-bucket-{s}"), format!("arn:aws:s3:::team-{i}-bucket-{s}/data/*")]})
        })
        .collect();
    json!({"Path": "/", "RoleName": format!("service-{i}-role"),
        "Arn": format!("arn:aws:iam::123456789012:role/service-{i}-role"),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [{"PolicyName": format!("service-{i}"), "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": format!("team-{i}")}]})
}

/// The source page's roles (the README's migration): the task role with Secrets Manager and S3
/// on `*`, and the shared execution role with the managed policy and the agent's secret.
fn handmade() -> [Value; 2] {
    let export: Value =
        serde_json::from_str(include_str!("../examples/handmade-roles.json")).unwrap();
    [
        export["RoleDetailList"][0].clone(),
        export["RoleDetailList"][1].clone(),
    ]
}

/// An export of `roles` roles, the pair in the middle.
fn export(roles: usize) -> String {
    let mut list: Vec<Value> = (0..roles - 2).map(role).collect();
    let [task, execution] = handmade();
    list.insert(list.len() / 2, execution);
    list.insert(list.len() / 3, task);
    json!({"RoleDetailList": list, "GroupDetailList": [], "UserDetailList": [], "Policies": []})
        .to_string()
}

fn best_of(runs: usize, args: &[&str]) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let output = Command::new(RUNNERC).args(args).output().unwrap();
            let elapsed = start.elapsed();
            assert!(
                output.status.success(),
                "runnerc {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(String::from_utf8_lossy(&output.stdout).contains("runner \"streaming-agent\""));
            elapsed
        })
        .min()
        .unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!("| export | size | `import` of one pair | bound |");
    println!("|---|---|---|---|");
    for (roles, bound) in [(1000, Some(Duration::from_millis(500))), (5000, None)] {
        let text = export(roles);
        let path = dir.path().join(format!("live-{roles}.json"));
        std::fs::write(&path, &text).unwrap();
        let path = path.to_str().unwrap();
        let took = best_of(
            5,
            &[
                "import",
                "--live",
                path,
                "--task-role",
                "streaming-agent-role",
                "--execution-role",
                "ecsTaskExecutionRole",
                "--existing",
                "ecsTaskExecutionRole",
            ],
        );
        println!(
            "| {roles} roles | {:.1} MB | {:.0} ms | {} |",
            text.len() as f64 / 1e6,
            took.as_secs_f64() * 1e3,
            bound.map_or_else(String::new, |b| format!("under {} ms", b.as_millis()))
        );
        if let Some(bound) = bound {
            assert!(took < bound, "{roles} roles: {took:?}");
        }
    }
}
