//! The independent evaluator (@cloud-copilot/iam-simulate, run as an external `node` process
//! from tests/tools/iam-simulate) and the policies it is given: each role's inline policies and
//! the managed policies whose contents are known, read from what `build` writes.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn tool() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/iam-simulate")
}

/// Whether the tool can run; skips `test` loudly when it cannot.
pub fn available(test: &str) -> bool {
    if !super::commands_present(test, &["node"]) {
        return false;
    }
    if !tool()
        .join("node_modules/@cloud-copilot/iam-simulate")
        .is_dir()
    {
        super::skip(
            test,
            "tests/tools/iam-simulate is not installed (npm ci --prefix tests/tools/iam-simulate)",
        );
        return false;
    }
    true
}

/// Each request's result, in order (see tests/tools/iam-simulate/README.md for both shapes).
pub fn run(requests: &[Value]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg(tool().join("simulate.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        serde_json::to_string(requests).unwrap().as_bytes(),
    )
    .unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), requests.len());
    results
}

/// AmazonECSTaskExecutionRolePolicy as AWS publishes it (version 1), written here apart from
/// runnerc's copy.
pub fn ecs_task_execution_role_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
        "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})
}

/// Each role name of a spec file's runners -> the identity policies whose contents are known:
/// read from the CloudFormation templates `build` writes (inline policies, managed ARNs).
pub fn known_policies(cwd: &Path, file: &str, out: &Path) -> BTreeMap<String, Vec<Value>> {
    let status = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .current_dir(cwd)
        .args(["build", file, "--emit", "cloudformation", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "build {file}");
    let mut roles: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let folder = entry.unwrap().path();
        if !folder.is_dir() {
            continue; // the record of what build wrote
        }
        let template: Value = serde_json::from_str(
            &std::fs::read_to_string(folder.join("cloudformation.json")).unwrap(),
        )
        .unwrap();
        let resources = template["Resources"].as_object().unwrap();
        let name_of = |role: &Value| -> String {
            match role {
                Value::String(name) => name.clone(),
                reference => {
                    resources[reference["Ref"].as_str().unwrap()]["Properties"]["RoleName"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                }
            }
        };
        for resource in resources.values() {
            let properties = &resource["Properties"];
            match resource["Type"].as_str().unwrap() {
                "AWS::IAM::Role" => {
                    let policies = roles
                        .entry(properties["RoleName"].as_str().unwrap().to_owned())
                        .or_default();
                    for arn in properties["ManagedPolicyArns"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        if arn.as_str().unwrap().ends_with(
                            ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                        ) {
                            policies.push(ecs_task_execution_role_policy());
                        }
                    }
                    for policy in properties["Policies"].as_array().into_iter().flatten() {
                        policies.push(policy["PolicyDocument"].clone());
                    }
                }
                "AWS::IAM::Policy" => {
                    for role in properties["Roles"].as_array().unwrap() {
                        roles
                            .entry(name_of(role))
                            .or_default()
                            .push(properties["PolicyDocument"].clone());
                    }
                }
                _ => {}
            }
        }
    }
    roles
}
