//! Model to a CloudFormation template, `cloudformation.json` in a runner's folder: an
//! `AWS::IAM::Role` for each role runnerc creates (trust policy, managed policies, tags, path,
//! boundary, session duration), and runnerc's inline policy on each role as an
//! `AWS::IAM::Policy` (which embeds an inline policy in the roles it names: the stack's role,
//! or an existing role by name). Outputs give the roles' names and ARNs.
//!
//! A rule refuses to deploy the stack into another account than the runner's, before any
//! resource is made. CloudFormation rolls a failed stack back whole, so a run is never half
//! applied, and it cannot take over a role that exists: creating a role of a taken name fails.
//! The policy documents are the very documents `build` writes as JSON.

use crate::ast::RoleKind;
use crate::lower::iam::{PolicyDocument, RoleDocuments};
use crate::model::{Ownership, Role, Runner};
use serde::Serialize;
use serde_json::{Value, json};

/// The template. Its parts are structures serialised in order, so the documents are written
/// straight from [`PolicyDocument`], as in the `.json` files.
#[derive(Serialize)]
struct Template<'a> {
    #[serde(rename = "AWSTemplateFormatVersion")]
    format_version: &'static str,
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "Rules")]
    rules: Value,
    #[serde(rename = "Resources")]
    resources: Resources<'a>,
    #[serde(rename = "Outputs")]
    outputs: Outputs,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Resources<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    task_role: Option<Resource<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_role_policy: Option<Resource<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_role: Option<Resource<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_role_policy: Option<Resource<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "Type", content = "Properties")]
enum Resource<'a> {
    #[serde(rename = "AWS::IAM::Role")]
    Role(RoleProperties<'a>),
    #[serde(rename = "AWS::IAM::Policy")]
    Policy(PolicyProperties<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleProperties<'a> {
    role_name: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    max_session_duration: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<&'a str>,
    assume_role_policy_document: &'a PolicyDocument,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    managed_policy_arns: &'a [String],
    tags: Vec<Tag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyProperties<'a> {
    policy_name: String,
    /// The role: `{"Ref": "TaskRole"}` for the stack's own, a name for an existing one.
    roles: [Value; 1],
    policy_document: &'a PolicyDocument,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Outputs {
    #[serde(skip_serializing_if = "Option::is_none")]
    task_role_name: Option<Output>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_role_arn: Option<Output>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_role_name: Option<Output>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_role_arn: Option<Output>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    description: String,
    value: Value,
}

fn output(description: String, value: Value) -> Option<Output> {
    Some(Output { description, value })
}

/// The template, as indented JSON with a final newline.
pub fn template(runner: &Runner, documents: &RoleDocuments) -> String {
    let mut resources = Resources::default();
    let mut outputs = Outputs::default();
    for kind in RoleKind::ALL {
        let role = runner.role(kind);
        let what = kind.keyword();
        let key = match kind {
            RoleKind::Task => "Task",
            RoleKind::Execution => "Execution",
        };
        let logical = format!("{key}Role");
        let (role_slot, policy_slot, name_slot, arn_slot) = match kind {
            RoleKind::Task => (
                &mut resources.task_role,
                &mut resources.task_role_policy,
                &mut outputs.task_role_name,
                &mut outputs.task_role_arn,
            ),
            RoleKind::Execution => (
                &mut resources.execution_role,
                &mut resources.execution_role_policy,
                &mut outputs.execution_role_name,
                &mut outputs.execution_role_arn,
            ),
        };
        let target = match documents.trust(kind) {
            Some(trust) => {
                *role_slot = Some(Resource::Role(created_role(runner, role, trust)));
                *name_slot = output(format!("The name of the {what}"), json!({ "Ref": logical }));
                *arn_slot = output(
                    format!("The ARN of the {what}"),
                    json!({ "Fn::GetAtt": [logical, "Arn"] }),
                );
                json!({ "Ref": logical })
            }
            None => {
                *name_slot = output(
                    format!("The name of the {what} (existing)"),
                    json!(role.name),
                );
                if let Ownership::Existing { path_known: true } = role.ownership {
                    *arn_slot = output(
                        format!("The ARN of the {what} (existing)"),
                        json!(format!(
                            "arn:{}:iam::{}:role{}{}",
                            runner.partition, runner.account, role.path, role.name
                        )),
                    );
                }
                json!(role.name)
            }
        };
        // runnerc's inline policy on the role, as a resource of its own: `AWS::IAM::Policy`
        // embeds an inline policy in each role it names.
        if let Some(policy) = documents.policy(kind) {
            *policy_slot = Some(Resource::Policy(PolicyProperties {
                policy_name: runner.inline_policy_name(role),
                roles: [target],
                policy_document: policy,
            }));
        }
    }
    let template = Template {
        format_version: "2010-09-09",
        description: format!(
            "IAM roles of streaming runner {} (account {}, region {}), generated by runnerc: change the spec and build again rather than editing this file",
            runner.name, runner.account, runner.region
        ),
        rules: json!({
            "RunnerAccount": {
                "Assertions": [{
                    "Assert": { "Fn::Equals": [{ "Ref": "AWS::AccountId" }, runner.account] },
                    "AssertDescription": format!(
                        "Runner {} is in account {}: deploy this stack there, or change the runner's account line in the spec and build again",
                        runner.name, runner.account
                    ),
                }]
            }
        }),
        resources,
        outputs,
    };
    let mut text = serde_json::to_string_pretty(&template).expect("templates serialise");
    text.push('\n');
    text
}

fn created_role<'a>(
    runner: &Runner,
    role: &'a Role,
    trust: &'a PolicyDocument,
) -> RoleProperties<'a> {
    RoleProperties {
        role_name: &role.name,
        path: &role.path,
        description: role.description.as_deref(),
        max_session_duration: role.max_session_duration.unwrap_or(3600),
        permissions_boundary: role.permissions_boundary.as_deref(),
        assume_role_policy_document: trust,
        managed_policy_arns: &role.managed_policies,
        tags: runner
            .role_tags()
            .into_iter()
            .map(|tag| Tag {
                key: tag.key,
                value: tag.value,
            })
            .collect(),
    }
}
