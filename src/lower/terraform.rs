//! Model to a Terraform module, `terraform/` in a runner's folder: `main.tf` (the roles, or
//! `data "aws_iam_role"` for existing ones, inline policies, managed attachments),
//! `outputs.tf` (role names and ARNs) and `versions.tf`. A root configuration uses it with
//! `module "orders_cdc" { source = "./out/orders-cdc/terraform" }`.
//!
//! Every block is built with hcl-rs and written by its formatter, which escapes `${` and `%{`
//! in every string; the policy documents stand in heredocs, as the indented JSON of the `.json`
//! files, escaped the same way here. [`align`] then lines up the `=` of consecutive one-line
//! attributes as `terraform fmt` does, which hcl-rs does not.
//!
//! The module checks what it will touch before its first write, where Terraform can: the
//! credentials' account (a precondition on every resource), a role it creates that exists
//! already must carry this runner's ownership tag (read at plan time through
//! `data "aws_iam_roles"` and `data "aws_iam_role"`), and an existing role must trust ECS tasks
//! (and sit under the path its ARN names).

use crate::lower::iam::{self, PolicyDocument, RoleDocuments};
use crate::lower::{TERRAFORM_MAIN_FILE, TERRAFORM_OUTPUTS_FILE, TERRAFORM_VERSIONS_FILE};
use crate::model::{OWNER_TAG_KEY, Ownership, Role, Runner};
use hcl::expr::{Heredoc, HeredocStripMode, Object, ObjectKey, TemplateExpr};
use hcl::{Attribute, Block, Body, Expression, Identifier};

/// The three files of the module, by name.
pub fn module(runner: &Runner, documents: &RoleDocuments) -> Vec<(&'static str, String)> {
    vec![
        (TERRAFORM_MAIN_FILE, main_tf(runner, documents)),
        (TERRAFORM_OUTPUTS_FILE, outputs_tf(runner)),
        (TERRAFORM_VERSIONS_FILE, versions_tf(runner)),
    ]
}

/// A string as an HCL expression: quoted and escaped by hcl-rs.
fn string(text: &str) -> Expression {
    Expression::from(text)
}

/// A string literal as HCL source, for the few expressions written as raw code.
fn literal(text: &str) -> String {
    hcl::format::to_string(&string(text)).expect("a string formats")
}

/// An expression of runnerc's own (a reference, a condition), parsed by hcl-rs so that it is
/// written back by the same formatter; user text in it comes from [`literal`].
fn raw(code: impl Into<String>) -> Expression {
    let code = code.into();
    let body = hcl::parse(&format!("x = {code}\n")).expect("runnerc's expressions parse");
    body.attributes()
        .next()
        .expect("one attribute")
        .expr
        .clone()
}

/// Text as Terraform reads it back inside a heredoc: `${` and `%{` escaped.
fn template_escaped(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// A policy document as an indented heredoc holding the `.json` file's text. `<<-` strips the
/// indentation, so Terraform reads exactly that text.
fn document(policy: &PolicyDocument, indent: usize) -> Expression {
    let pad = " ".repeat(indent + 2);
    let text: String = template_escaped(&policy.to_pretty_json())
        .lines()
        .map(|line| format!("{pad}{line}\n"))
        .collect();
    let heredoc = Heredoc::new(Identifier::new("EOT").expect("an identifier"), text)
        .with_strip_mode(HeredocStripMode::Indent);
    Expression::from(TemplateExpr::Heredoc(heredoc))
}

/// The resource name of a role in the module: `task` or `execution`.
fn key(runner: &Runner, role: &Role) -> &'static str {
    if std::ptr::eq(role, &runner.task_role) {
        "task"
    } else {
        "execution"
    }
}

/// How Terraform refers to a role's name and ARN.
fn reference(runner: &Runner, role: &Role) -> (String, String) {
    let key = key(runner, role);
    match role.ownership {
        Ownership::Created => (
            format!("aws_iam_role.{key}.name"),
            format!("aws_iam_role.{key}.arn"),
        ),
        Ownership::Existing { .. } => (
            format!("data.aws_iam_role.{key}.name"),
            format!("data.aws_iam_role.{key}.arn"),
        ),
    }
}

fn precondition(condition: String, message: String) -> Block {
    Block::builder("precondition")
        .add_attribute(("condition", raw(condition)))
        .add_attribute(("error_message", string(&message)))
        .build()
}

fn account_check(runner: &Runner) -> Block {
    precondition(
        format!(
            "data.aws_caller_identity.current.account_id == {}",
            literal(&runner.account)
        ),
        format!(
            "Runner {} is in account {}, but the AWS provider's credentials are for another account: use credentials of account {}, or change the runner's account line in the spec and build again.",
            runner.name, runner.account, runner.account
        ),
    )
}

/// The blocks of a role runnerc creates: the ownership preflight's data sources, the role,
/// its inline policy and its managed attachments.
fn created_role(
    runner: &Runner,
    role: &Role,
    trust: &PolicyDocument,
    policy: Option<&PolicyDocument>,
) -> Vec<Block> {
    let key = key(runner, role);
    let mut blocks = Vec::new();
    // Preflight: a role of this name that exists already must be this runner's.
    let pattern: String = role
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ',' || c == '@' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect();
    blocks.push(
        Block::builder("data")
            .add_label("aws_iam_roles")
            .add_label(format!("{key}_taken"))
            .add_attribute(("name_regex", string(&format!("(?i)^{pattern}$"))))
            .build(),
    );
    blocks.push(
        Block::builder("data")
            .add_label("aws_iam_role")
            .add_label(format!("{key}_taken"))
            .add_attribute((
                "count",
                raw(format!("length(data.aws_iam_roles.{key}_taken.names)")),
            ))
            .add_attribute(("name", string(&role.name)))
            .build(),
    );

    let tags: Object<ObjectKey, Expression> = runner
        .role_tags()
        .into_iter()
        .map(|tag| (ObjectKey::from(tag.key), string(&tag.value)))
        .collect();
    let mut resource = Block::builder("resource")
        .add_label("aws_iam_role")
        .add_label(key)
        .add_attribute(("name", string(&role.name)))
        .add_attribute(("path", string(&role.path)));
    if let Some(description) = &role.description {
        resource = resource.add_attribute(("description", string(description)));
    }
    resource = resource.add_attribute((
        "max_session_duration",
        Expression::from(u64::from(role.max_session_duration.unwrap_or(3600))),
    ));
    if let Some(boundary) = &role.permissions_boundary {
        resource = resource.add_attribute(("permissions_boundary", string(boundary)));
    }
    let ownership = precondition(
        format!(
            "alltrue([for role in data.aws_iam_role.{key}_taken : lookup(role.tags, {}, \"\") == {}])",
            literal(OWNER_TAG_KEY),
            literal(&runner.name)
        ),
        format!(
            "Role {} exists, but runnerc did not create it for runner {} (it has no {OWNER_TAG_KEY}={} tag), so it is left as it is. Give the role another name in the spec (name in its role block), or declare it existing, and build again.",
            role.name, runner.name, runner.name
        ),
    );
    resource = resource
        .add_attribute(("assume_role_policy", document(trust, 2)))
        .add_attribute(("tags", Expression::Object(tags)))
        .add_block(
            Block::builder("lifecycle")
                .add_block(account_check(runner))
                .add_block(ownership)
                .build(),
        );
    blocks.push(resource.build());

    if let Some(policy) = policy {
        blocks.push(
            Block::builder("resource")
                .add_label("aws_iam_role_policy")
                .add_label(key)
                .add_attribute(("name", string(&runner.inline_policy_name(role))))
                .add_attribute(("role", raw(format!("aws_iam_role.{key}.id"))))
                .add_attribute(("policy", document(policy, 2)))
                .build(),
        );
    }
    if !role.managed_policies.is_empty() {
        let arns: Vec<Expression> = role.managed_policies.iter().map(|a| string(a)).collect();
        blocks.push(
            Block::builder("resource")
                .add_label("aws_iam_role_policy_attachment")
                .add_label(key)
                .add_attribute((
                    "for_each",
                    raw(format!(
                        "toset({})",
                        hcl::format::to_string(&Expression::Array(arns)).expect("formats")
                    )),
                ))
                .add_attribute(("role", raw(format!("aws_iam_role.{key}.name"))))
                .add_attribute(("policy_arn", raw("each.value")))
                .build(),
        );
    }
    blocks
}

/// The blocks of an existing role: the role read as data, and runnerc's inline policy on it
/// under the checks that it trusts ECS tasks (and sits under its ARN's path).
fn existing_role(runner: &Runner, role: &Role, policy: Option<&PolicyDocument>) -> Vec<Block> {
    let key = key(runner, role);
    let mut blocks = vec![
        Block::builder("data")
            .add_label("aws_iam_role")
            .add_label(key)
            .add_attribute(("name", string(&role.name)))
            .build(),
    ];
    let Some(policy) = policy else {
        return blocks;
    };
    let statement = if key == "task" {
        iam::task_trust_policy(runner)
    } else {
        iam::execution_trust_policy(runner)
    }
    .statement
    .remove(0);
    let statement = serde_json::to_string(&statement).expect("statements serialise");
    let mut lifecycle = Block::builder("lifecycle")
        .add_block(account_check(runner))
        .add_block(precondition(
            format!(
                "contains(flatten([for s in flatten([jsondecode(data.aws_iam_role.{key}.assume_role_policy).Statement]) : try(s.Principal.Service, []) if try(s.Effect, \"\") == \"Allow\"]), {})",
                literal(crate::model::ECS_TASKS_SERVICE)
            ),
            format!(
                "Role {} does not trust ecs-tasks.amazonaws.com, so ECS could not use it; runnerc does not edit a trust policy it does not own. Add this statement to the role's trust policy, then apply again: {statement}",
                role.name
            ),
        ));
    if let Ownership::Existing { path_known: true } = role.ownership {
        lifecycle = lifecycle.add_block(precondition(
            format!("data.aws_iam_role.{key}.path == {}", literal(&role.path)),
            format!(
                "Role {} is not under path {} as the spec's ARN says; correct the ARN in the spec.",
                role.name, role.path
            ),
        ));
    }
    blocks.push(
        Block::builder("resource")
            .add_label("aws_iam_role_policy")
            .add_label(key)
            .add_attribute(("name", string(&runner.inline_policy_name(role))))
            .add_attribute(("role", raw(format!("data.aws_iam_role.{key}.name"))))
            .add_attribute(("policy", document(policy, 2)))
            .add_block(lifecycle.build())
            .build(),
    );
    blocks
}

fn header(runner: &Runner, what: &str) -> String {
    format!(
        "# {what} streaming runner {} (account {}, region {}).\n# Generated by runnerc; change the spec and build again rather than editing this file.\n\n",
        runner.name, runner.account, runner.region
    )
}

fn main_tf(runner: &Runner, documents: &RoleDocuments) -> String {
    let mut body = Body::builder().add_block(
        Block::builder("data")
            .add_label("aws_caller_identity")
            .add_label("current")
            .build(),
    );
    let roles = [
        (&runner.task_role, &documents.task_trust, &documents.task),
        (
            &runner.execution_role,
            &documents.execution_trust,
            &documents.execution,
        ),
    ];
    for (role, trust, policy) in roles {
        let blocks = match (role.ownership, trust) {
            (Ownership::Created, Some(trust)) => created_role(runner, role, trust, policy.as_ref()),
            _ => existing_role(runner, role, policy.as_ref()),
        };
        body = body.add_blocks(blocks);
    }
    header(runner, "The IAM roles of") + &render(&body.build())
}

fn outputs_tf(runner: &Runner) -> String {
    let mut body = Body::builder();
    for role in [&runner.task_role, &runner.execution_role] {
        let key = key(runner, role);
        let (name, arn) = reference(runner, role);
        let what = if key == "task" {
            "task role"
        } else {
            "execution role"
        };
        body = body
            .add_block(
                Block::builder("output")
                    .add_label(format!("{key}_role_name"))
                    .add_attribute(("description", string(&format!("The name of the {what}"))))
                    .add_attribute(("value", raw(name)))
                    .build(),
            )
            .add_block(
                Block::builder("output")
                    .add_label(format!("{key}_role_arn"))
                    .add_attribute(("description", string(&format!("The ARN of the {what}"))))
                    .add_attribute(("value", raw(arn)))
                    .build(),
            );
    }
    header(runner, "The outputs of the module for") + &render(&body.build())
}

fn versions_tf(runner: &Runner) -> String {
    let identifier = |name| ObjectKey::Identifier(Identifier::new(name).expect("an identifier"));
    let aws = Object::from([
        (identifier("source"), string("hashicorp/aws")),
        (identifier("version"), string(">= 5.0")),
    ]);
    let body = Body::builder()
        .add_block(
            Block::builder("terraform")
                .add_attribute(("required_version", string(">= 1.3.0")))
                .add_block(
                    Block::builder("required_providers")
                        .add_attribute(Attribute::new("aws", Expression::Object(aws)))
                        .build(),
                )
                .build(),
        )
        .build();
    header(
        runner,
        "The Terraform and provider versions of the module for",
    ) + &render(&body)
}

/// hcl-rs's text with one blank line at most between blocks, and `=` aligned.
fn render(body: &Body) -> String {
    let text = hcl::format::to_string(body).expect("the module formats");
    let mut out = String::new();
    for line in text.lines() {
        if line.trim().is_empty() && (out.is_empty() || out.ends_with("\n\n")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    align(&out)
}

/// Aligns the `=` of consecutive one-line attributes at one indentation, as `terraform fmt`
/// does: a line that opens a block, object, list or call on several lines ends a run, and
/// heredoc bodies are left as they are.
pub fn align(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut run: Vec<(usize, usize)> = Vec::new(); // (line index in out, key width)
    let mut heredoc: Option<String> = None;
    let flush = |out: &mut Vec<String>, run: &mut Vec<(usize, usize)>| {
        let width = run.iter().map(|(_, w)| *w).max().unwrap_or(0);
        for (index, key_width) in run.drain(..) {
            let line = &out[index];
            let indent = line.len() - line.trim_start().len();
            let split = indent + key_width;
            let (head, tail) = line.split_at(split);
            out[index] = format!("{head}{}{}", " ".repeat(width - key_width), tail);
        }
    };
    let mut run_indent = usize::MAX;
    for line in lines {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            out.push(line.to_owned());
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let attribute = attribute_key_width(line.trim_start());
        let opens = line.trim_end().ends_with(['{', '[', '(']);
        match attribute {
            Some(width) if !opens => {
                if indent != run_indent {
                    flush(&mut out, &mut run);
                    run_indent = indent;
                }
                run.push((out.len(), width));
            }
            _ => {
                flush(&mut out, &mut run);
                run_indent = usize::MAX;
            }
        }
        let trimmed = line.trim_end();
        if let Some((_, marker)) = trimmed.rsplit_once("<<-").or(trimmed.rsplit_once("<<"))
            && !marker.is_empty()
            && marker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            heredoc = Some(marker.to_owned());
        }
        out.push(line.to_owned());
    }
    flush(&mut out, &mut run);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The width of the key of `KEY = VALUE` (an identifier or a quoted string), if the line is one.
fn attribute_key_width(line: &str) -> Option<usize> {
    let width = if let Some(rest) = line.strip_prefix('"') {
        let mut escaped = false;
        let close = rest.char_indices().find(|(_, c)| {
            let end = *c == '"' && !escaped;
            escaped = *c == '\\' && !escaped;
            end
        })?;
        close.0 + 2
    } else {
        line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?
    };
    (width > 0 && line[width..].starts_with(" = ")).then_some(width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_follows_terraform_fmt() {
        let text = "a {\n  name = 1\n  path_long = 2\n  x = {\n    \"k:1\" = 1\n    kk = 2\n  }\n  y = <<-EOT\n    a = b\n  EOT\n}\n";
        assert_eq!(
            align(text),
            "a {\n  name      = 1\n  path_long = 2\n  x = {\n    \"k:1\" = 1\n    kk    = 2\n  }\n  y = <<-EOT\n    a = b\n  EOT\n}\n"
        );
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(literal("a ${b} %{c}"), "\"a $${b} %%{c}\"");
        assert_eq!(template_escaped("${x}"), "$${x}");
    }
}
