//! The other account's side: the bucket, key and secret policies `build` writes for resources
//! of another account, evaluated by the independent evaluator (tests/tools/iam-simulate) as
//! that account's policy beside the role's own: the runner's requests are allowed, and
//! neighbours are refused (another prefix, another role, another action, a key outside its
//! service, another secret).

mod support;

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::process::Command;

const A: &str = "111122223333";
const B: &str = "444455556666";

fn spec() -> String {
    format!(
        r#"runner "archive-cdc" {{
    account "{A}"
    region  "eu-west-1"

    secret "arn:aws:secretsmanager:eu-west-1:{B}:secret:shared/warehouse-db-AbC123" kms "arn:aws:kms:eu-west-1:{B}:key/2222bbbb-12ab-34cd-56ef-1234567890ab"

    destination s3 {{
        bucket "acme-partner-archive"
        prefix "cdc/"
        kms    "arn:aws:kms:eu-west-1:{B}:key/1111aaaa-12ab-34cd-56ef-1234567890ab"
        owner  "{B}"
    }}
}}
"#
    )
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn build(dir: &Path, text: &str) -> std::path::PathBuf {
    let spec_file = dir.join("archive.runner");
    fs::write(&spec_file, text).unwrap();
    let out = dir.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["build", "--out"])
        .arg(&out)
        .arg(&spec_file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out.join("archive-cdc")
}

#[test]
fn build_writes_one_policy_per_resource_of_another_account() {
    let dir = tempfile::tempdir().unwrap();
    let folder = build(dir.path(), &spec());
    let mut names: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-policy-"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bucket-policy-acme-partner-archive.json",
            "key-policy-1111aaaa-12ab-34cd-56ef-1234567890ab.json",
            "key-policy-2222bbbb-12ab-34cd-56ef-1234567890ab.json",
            "secret-policy-shared-warehouse-db-AbC123.json",
        ]
    );
    let role = format!("arn:aws:iam::{A}:role/archive-cdc-task-role");
    for name in &names {
        let policy = read(&folder.join(name));
        for statement in policy["Statement"].as_array().unwrap() {
            assert_eq!(statement["Principal"]["AWS"], role, "{name}");
            assert!(
                !statement.to_string().contains("s3:ResourceAccount"),
                "{name}"
            );
        }
    }
    // A runner with nothing of another account writes none.
    let folder = build(dir.path(), &spec().replace(B, A));
    let left: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-policy-"))
        .collect();
    assert!(
        left.is_empty(),
        "a same-account runner has another account's policies: {left:?}"
    );
}

#[test]
fn the_other_accounts_policies_allow_the_runner_and_refuse_its_neighbours() {
    let test = "the_other_accounts_policies_allow_the_runner_and_refuse_its_neighbours";
    if !support::simulate::available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build(dir.path(), &spec());
    let identity = read(&folder.join("task-role-policy.json"));
    let bucket = read(&folder.join("bucket-policy-acme-partner-archive.json"));
    let s3_key = read(&folder.join("key-policy-1111aaaa-12ab-34cd-56ef-1234567890ab.json"));
    let secret_key = read(&folder.join("key-policy-2222bbbb-12ab-34cd-56ef-1234567890ab.json"));
    let secret = read(&folder.join("secret-policy-shared-warehouse-db-AbC123.json"));
    let role = format!("arn:aws:iam::{A}:role/archive-cdc-task-role");
    let other_role = format!("arn:aws:iam::{A}:role/another-task-role");
    let key1 = format!("arn:aws:kms:eu-west-1:{B}:key/1111aaaa-12ab-34cd-56ef-1234567890ab");
    let key2 = format!("arn:aws:kms:eu-west-1:{B}:key/2222bbbb-12ab-34cd-56ef-1234567890ab");
    let secret_arn =
        format!("arn:aws:secretsmanager:eu-west-1:{B}:secret:shared/warehouse-db-AbC123");
    let owner = json!({"s3:ResourceAccount": [B]});
    // (what, principal, action, resource, context, resource policy, expected)
    let cases: Vec<(&str, &str, &str, String, Value, &Value, &str)> = vec![
        (
            "put under the prefix",
            &role,
            "s3:PutObject",
            "arn:aws:s3:::acme-partner-archive/cdc/2026/x.json".into(),
            owner.clone(),
            &bucket,
            "allowed",
        ),
        (
            "get under the prefix",
            &role,
            "s3:GetObject",
            "arn:aws:s3:::acme-partner-archive/cdc/x.json".into(),
            owner.clone(),
            &bucket,
            "allowed",
        ),
        (
            "list the prefix",
            &role,
            "s3:ListBucket",
            "arn:aws:s3:::acme-partner-archive".into(),
            json!({"s3:ResourceAccount": [B], "s3:prefix": ["cdc/2026/"]}),
            &bucket,
            "allowed",
        ),
        (
            "locate the bucket",
            &role,
            "s3:GetBucketLocation",
            "arn:aws:s3:::acme-partner-archive".into(),
            owner.clone(),
            &bucket,
            "allowed",
        ),
        (
            "put under another prefix",
            &role,
            "s3:PutObject",
            "arn:aws:s3:::acme-partner-archive/other/x.json".into(),
            owner.clone(),
            &bucket,
            "denied",
        ),
        (
            "list another prefix",
            &role,
            "s3:ListBucket",
            "arn:aws:s3:::acme-partner-archive".into(),
            json!({"s3:ResourceAccount": [B], "s3:prefix": ["other/"]}),
            &bucket,
            "denied",
        ),
        (
            "another role puts",
            &other_role,
            "s3:PutObject",
            "arn:aws:s3:::acme-partner-archive/cdc/x.json".into(),
            owner.clone(),
            &bucket,
            "denied",
        ),
        (
            "another action",
            &role,
            "s3:PutBucketPolicy",
            "arn:aws:s3:::acme-partner-archive".into(),
            owner.clone(),
            &bucket,
            "denied",
        ),
        (
            "no bucket policy",
            &role,
            "s3:PutObject",
            "arn:aws:s3:::acme-partner-archive/cdc/x.json".into(),
            owner.clone(),
            &Value::Null,
            "denied",
        ),
        (
            "encrypt through S3",
            &role,
            "kms:GenerateDataKey",
            key1.clone(),
            json!({"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]}),
            &s3_key,
            "allowed",
        ),
        (
            "decrypt outside S3",
            &role,
            "kms:Decrypt",
            key1.clone(),
            json!({}),
            &s3_key,
            "denied",
        ),
        (
            "another role decrypts",
            &other_role,
            "kms:Decrypt",
            key1.clone(),
            json!({"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]}),
            &s3_key,
            "denied",
        ),
        (
            "decrypt the secret through Secrets Manager",
            &role,
            "kms:Decrypt",
            key2.clone(),
            json!({"kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com"]}),
            &secret_key,
            "allowed",
        ),
        (
            "the secret's key through S3",
            &role,
            "kms:Decrypt",
            key2,
            json!({"kms:ViaService": ["s3.eu-west-1.amazonaws.com"]}),
            &secret_key,
            "denied",
        ),
        (
            "read the secret",
            &role,
            "secretsmanager:GetSecretValue",
            secret_arn.clone(),
            json!({}),
            &secret,
            "allowed",
        ),
        (
            "another role reads the secret",
            &other_role,
            "secretsmanager:GetSecretValue",
            secret_arn.clone(),
            json!({}),
            &secret,
            "denied",
        ),
        (
            "change the secret",
            &role,
            "secretsmanager:PutSecretValue",
            secret_arn,
            json!({}),
            &secret,
            "denied",
        ),
    ];
    let requests: Vec<Value> = cases
        .iter()
        .map(|(what, principal, action, resource, context, policy, _)| {
            let mut request = json!({
                "id": what,
                "principal": principal,
                "policies": [identity],
                "action": action,
                "resource": resource,
                "context": context,
            });
            if !policy.is_null() {
                request["resourcePolicy"] = (*policy).clone();
            }
            request
        })
        .collect();
    let results = support::simulate::run(&requests);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&results)
        .filter(|((.., expected), result)| result["decision"] != *expected)
        .map(|((what, .., expected), result)| {
            format!(
                "{what}: expected {expected}, the simulator says {} ({})",
                result["decision"], result["detail"]
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn can_answers_a_cross_account_request_with_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let spec_file = dir.path().join("archive.runner");
    fs::write(&spec_file, spec()).unwrap();
    let can = |action: &str, resource: &str| -> Value {
        let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(["can", action, resource])
            .arg(&spec_file)
            .args(["--role", "task", "--format", "json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&output.stdout).unwrap()["answers"][0].clone()
    };
    // Both sides allow: the role's policy, and the bucket policy the owner merges.
    let answer = can(
        "s3:PutObject",
        "arn:aws:s3:::acme-partner-archive/cdc/x.json",
    );
    assert_eq!(answer["decision"], "allowed", "{answer}");
    assert_eq!(answer["other_side"]["account"], B);
    assert_eq!(
        answer["other_side"]["file"],
        "bucket-policy-acme-partner-archive.json"
    );
    assert_eq!(answer["other_side"]["allows"], true);
    // The key of the secret, through Secrets Manager: its key policy allows it.
    let key = format!("arn:aws:kms:eu-west-1:{B}:key/2222bbbb-12ab-34cd-56ef-1234567890ab");
    let answer = can("kms:Decrypt", &key);
    assert_eq!(answer["decision"], "allowed", "{answer}");
    assert_eq!(answer["other_side"]["allows"], true);
    // A resource of the other account runnerc writes no policy for: that side is unknown, and
    // the answer says whose it is.
    let answer = can(
        "secretsmanager:GetSecretValue",
        &format!("arn:aws:secretsmanager:eu-west-1:{B}:secret:shared/other-AbC123"),
    );
    assert_eq!(
        answer["decision"], "denied",
        "not granted by the role at all: {answer}"
    );
    let same_account = can(
        "s3:PutObject",
        "arn:aws:s3:::acme-partner-archive/other/x.json",
    );
    assert_eq!(same_account["decision"], "denied");
}
