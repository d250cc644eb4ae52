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
//! `data "aws_iam_roles"` and `data "aws_iam_role"`), every managed policy and boundary it
//! references must exist (`data "aws_iam_policy"`), and an existing role must let this
//! runner's ECS tasks in by the meaning of its trust policy ([`trust_locals`]) and sit under
//! the path its ARN names.

use crate::ast::RoleKind;
use crate::lower::iam::{self, PolicyDocument, RoleDocuments};
use crate::lower::{TERRAFORM_MAIN_FILE, TERRAFORM_OUTPUTS_FILE, TERRAFORM_VERSIONS_FILE};
use crate::model::{OWNER_TAG_KEY, Ownership, Runner};
use hcl::expr::{Heredoc, HeredocStripMode, Object, ObjectKey, TemplateExpr};
use hcl::{Attribute, Block, Body, Expression, Identifier};

mod trust;
pub use trust::trust_locals;

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

/// An expression of runnerc's own (a reference, a condition), parsed by hcl-rs so that it is
/// written back by the same formatter. It holds no user text: values of the spec reach
/// conditions through `local.*`, set in a `locals` block as strings. The few distinct codes
/// are parsed once per thread.
fn raw(code: String) -> Expression {
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<String, Expression>> =
            Default::default();
    }
    PARSED.with(|parsed| {
        parsed
            .borrow_mut()
            .entry(code)
            .or_insert_with_key(|code| {
                let body =
                    hcl::parse(&format!("x = {code}\n")).expect("runnerc's expressions parse");
                body.attributes()
                    .next()
                    .expect("one attribute")
                    .expr
                    .clone()
            })
            .clone()
    })
}

/// Text as Terraform reads it back inside a heredoc: `${` and `%{` escaped.
fn template_escaped(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("${") || text.contains("%{") {
        text.replace("${", "$${").replace("%{", "%%{").into()
    } else {
        text.into()
    }
}

/// A policy document as an indented heredoc holding the `.json` file's text. `<<-` strips the
/// indentation, so Terraform reads exactly that text.
fn document(policy: &PolicyDocument, indent: usize) -> Expression {
    let pad = " ".repeat(indent + 2);
    let json = policy.to_pretty_json();
    let json = template_escaped(&json);
    let mut text = String::with_capacity(json.len() * 2);
    for line in json.lines() {
        text.push_str(&pad);
        text.push_str(line);
        text.push('\n');
    }
    let heredoc = Heredoc::new(Identifier::new("EOT").expect("an identifier"), text)
        .with_strip_mode(HeredocStripMode::Indent);
    Expression::from(TemplateExpr::Heredoc(heredoc))
}

/// How Terraform refers to the name and ARN of the role of `kind`.
fn reference(runner: &Runner, kind: RoleKind) -> (String, String) {
    let key = kind.word();
    match runner.role(kind).ownership {
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
    precondition_with(condition, string(&message))
}

/// A precondition whose message is an expression (text and a value: [`message_with`]).
fn precondition_with(condition: String, message: Expression) -> Block {
    Block::builder("precondition")
        .add_attribute(("condition", raw(condition)))
        .add_attribute(("error_message", message))
        .build()
}

fn account_check(runner: &Runner) -> Block {
    precondition(
        "data.aws_caller_identity.current.account_id == local.account".to_owned(),
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
    kind: RoleKind,
    trust: &PolicyDocument,
    policy: Option<&PolicyDocument>,
) -> Vec<Block> {
    let key = kind.word();
    let role = runner.role(kind);
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

    // Preflight: every policy the role will reference (managed attachments, the boundary) must
    // exist, or the plan stops before the first write.
    let referenced: Vec<Expression> = role
        .managed_policies
        .iter()
        .chain(&role.permissions_boundary)
        .map(|arn| string(arn))
        .collect();
    let checks_policies = !referenced.is_empty();
    if checks_policies {
        blocks.push(
            Block::builder("data")
                .add_label("aws_iam_policy")
                .add_label(format!("{key}_referenced"))
                .add_attribute((
                    "for_each",
                    Expression::from(
                        hcl::expr::FuncCall::builder("toset")
                            .arg(Expression::Array(referenced))
                            .build(),
                    ),
                ))
                .add_attribute(("arn", raw("each.value".to_owned())))
                .build(),
        );
    }

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
            "alltrue([for role in data.aws_iam_role.{key}_taken : lookup(role.tags, local.owner_tag_key, \"\") == local.runner])"
        ),
        format!(
            "Role {} exists, but runnerc did not create it for runner {} (it has no {OWNER_TAG_KEY}={} tag), so it is left as it is. Give the role another name in the spec (name in its role block), or declare it existing, and build again.",
            role.name, runner.name, runner.name
        ),
    );
    resource = resource
        .add_attribute(("assume_role_policy", document(trust, 2)))
        .add_attribute(("tags", Expression::Object(tags)));
    if checks_policies {
        resource = resource.add_attribute((
            "depends_on",
            raw(format!("[data.aws_iam_policy.{key}_referenced]")),
        ));
    }
    resource = resource.add_block(
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
                    Expression::from(
                        hcl::expr::FuncCall::builder("toset")
                            .arg(Expression::Array(arns))
                            .build(),
                    ),
                ))
                .add_attribute(("role", raw(format!("aws_iam_role.{key}.name"))))
                .add_attribute(("policy_arn", raw("each.value".to_owned())))
                .build(),
        );
    }
    blocks
}

/// The blocks of an existing role: the role read as data, and runnerc's inline policy on it
/// under the checks that it trusts ECS tasks (and sits under its ARN's path).
fn existing_role(runner: &Runner, kind: RoleKind, policy: Option<&PolicyDocument>) -> Vec<Block> {
    let key = kind.word();
    let role = runner.role(kind);
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
    let statement = serde_json::to_string(&iam::ecs_trust_statement(runner, kind))
        .expect("statements serialise");
    let trust = format!("{key}_role_trust");
    let matching = |effect: &str, verdict: &str| trust::trust_group(&trust, effect, verdict);
    let mut lifecycle = Block::builder("lifecycle")
        .add_block(account_check(runner))
        .add_block(precondition_with(
            format!("length({}) == 0", matching("Deny", "yes")),
            message_with(
                &format!(
                    "Role {}'s trust policy explicitly denies ECS tasks of account {} the role, so ECS could not use it; runnerc does not edit a trust policy it does not own. Remove or narrow these statements, then apply again: ",
                    role.name, runner.account
                ),
                &format!("jsonencode({})", matching("Deny", "yes")),
            ),
        ))
        .add_block(precondition_with(
            format!(
                "length({}) == 0 && (length({}) > 0 || length({}) == 0)",
                matching("Deny", "maybe"),
                matching("Allow", "yes"),
                matching("Allow", "maybe")
            ),
            message_with(
                &format!(
                    "runnerc cannot tell whether role {}'s trust policy lets this runner's ECS tasks (account {}, region {}) assume it: it does not evaluate every operator, key or principal of these statements, and never accepts what it cannot decide. Check them; where they are meant to let ECS tasks in, write what they allow as {statement}, then apply again: ",
                    role.name, runner.account, runner.region
                ),
                &format!(
                    "jsonencode(concat({}, {}))",
                    matching("Deny", "maybe"),
                    matching("Allow", "maybe")
                ),
            ),
        ))
        .add_block(precondition(
            format!(
                "length({}) > 0 || length({}) > 0",
                matching("Allow", "yes"), matching("Allow", "maybe")
            ),
            format!(
                "Role {} does not trust ecs-tasks.amazonaws.com for tasks of account {}, so ECS could not use it; runnerc does not edit a trust policy it does not own. Add this statement to the role's trust policy, then apply again: {statement}",
                role.name, runner.account
            ),
        ));
    if let Ownership::Existing { path_known: true } = role.ownership {
        lifecycle = lifecycle.add_block(precondition(
            format!("data.aws_iam_role.{key}.path == local.{key}_role_path"),
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

/// An error message: `text` (user text, quoted and escaped as every string) followed by the
/// value of runnerc's own expression `code`. `format` joins them, not a template: hcl-rs writes
/// a template's literal parts back unescaped.
fn message_with(text: &str, code: &str) -> Expression {
    let quoted = hcl::format::to_string(&string(text)).expect("strings format");
    raw(format!("format(\"%s%s\", {quoted}, {code})"))
}

fn header(runner: &Runner, what: &str) -> String {
    format!(
        "# {what} streaming runner {} (account {}, region {}).\n# Generated by runnerc; change the spec and build again rather than editing this file.\n\n",
        runner.name, runner.account, runner.region
    )
}

fn main_tf(runner: &Runner, documents: &RoleDocuments) -> String {
    // The spec's values that conditions compare with.
    let mut locals = Block::builder("locals")
        .add_attribute(("runner", string(&runner.name)))
        .add_attribute(("account", string(&runner.account)))
        .add_attribute(("owner_tag_key", string(OWNER_TAG_KEY)))
        .add_attribute(("ecs_tasks_service", string(crate::model::ECS_TASKS_SERVICE)));
    // An existing role is read, and its trust checked, only where runnerc puts a policy on it.
    let checks_trust =
        |kind: RoleKind| runner.role(kind).is_existing() && documents.policy(kind).is_some();
    if RoleKind::ALL.into_iter().any(checks_trust) {
        locals = locals
            .add_attribute(("partition", string(&runner.partition.to_string())))
            .add_attribute(("region", string(&runner.region)));
    }
    for kind in RoleKind::ALL {
        let role = runner.role(kind);
        if let Ownership::Existing { path_known: true } = role.ownership {
            locals =
                locals.add_attribute((format!("{}_role_path", kind.word()), string(&role.path)));
        }
    }
    // The trust checks, written by hand so that a reviewer can read them: hcl-rs would put
    // each on one line.
    let mut trust = String::new();
    for kind in RoleKind::ALL.into_iter().filter(|&kind| checks_trust(kind)) {
        let key = kind.word();
        trust.push_str(&trust_locals(
            kind,
            &format!("{key}_role_trust"),
            &format!("jsondecode(data.aws_iam_role.{key}.assume_role_policy)"),
        ));
    }
    let locals = render(&Body::builder().add_block(locals.build()).build());
    if !trust.is_empty() {
        trust = format!(
            "\n# Whether each existing role lets this runner's ECS tasks in.\nlocals {{\n{trust}}}\n"
        );
    }
    let mut body = Body::builder().add_block(
        Block::builder("data")
            .add_label("aws_caller_identity")
            .add_label("current")
            .build(),
    );
    for kind in RoleKind::ALL {
        let policy = documents.policy(kind);
        let blocks = match documents.trust(kind) {
            Some(trust) => created_role(runner, kind, trust, policy),
            None => existing_role(runner, kind, policy),
        };
        body = body.add_blocks(blocks);
    }
    header(runner, "The IAM roles of") + &locals + &trust + "\n" + &render(&body.build())
}

fn outputs_tf(runner: &Runner) -> String {
    let mut body = Body::builder();
    for kind in RoleKind::ALL {
        let key = kind.word();
        let (name, arn) = reference(runner, kind);
        let what = kind.keyword();
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
    let secrets = super::ecs::container_secrets(runner);
    if !secrets.is_empty() {
        let list: Vec<Expression> = secrets
            .iter()
            .map(|s| {
                Expression::Object(Object::from([
                    (
                        ObjectKey::Identifier(Identifier::new("name").expect("an identifier")),
                        string(&s.name),
                    ),
                    (
                        ObjectKey::Identifier(Identifier::new("valueFrom").expect("an identifier")),
                        string(&s.value_from),
                    ),
                ]))
            })
            .collect();
        body = body.add_block(
            Block::builder("output")
                .add_label("container_secrets")
                .add_attribute((
                    "description",
                    string("The container definition's `secrets`, as in task-definition.json"),
                ))
                .add_attribute(("value", Expression::Array(list)))
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
    align(&hcl::format::to_string(body).expect("the module formats"))
}

/// Aligns the `=` of consecutive one-line attributes at one indentation, as `terraform fmt`
/// does: a line that opens a block, object, list or call on several lines ends a run, and
/// heredoc bodies are left as they are. Runs of blank lines become one, and none leads.
pub fn align(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // The pending run: (line, key width in bytes), all at one indentation. Terraform pads
    // keys by characters, not bytes (a tag key `équipe` is 6 wide).
    let mut run: Vec<(&str, usize)> = Vec::new();
    let mut run_indent = usize::MAX;
    let mut heredoc: Option<&str> = None;
    let flush = |out: &mut String, run: &mut Vec<(&str, usize)>| {
        let columns = |line: &str, key_width: usize| {
            let split = line.len() - line.trim_start().len() + key_width;
            (split, line[split - key_width..split].chars().count())
        };
        let width = run
            .iter()
            .map(|(line, w)| columns(line, *w).1)
            .max()
            .unwrap_or(0);
        for (line, key_width) in run.drain(..) {
            let (split, key_columns) = columns(line, key_width);
            out.push_str(&line[..split]);
            out.extend(std::iter::repeat_n(' ', width - key_columns));
            out.push_str(&line[split..]);
            out.push('\n');
        }
    };
    for line in text.lines() {
        if let Some(end) = heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let content = line.trim_start();
        if content.is_empty() {
            flush(&mut out, &mut run);
            run_indent = usize::MAX;
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            continue;
        }
        let indent = line.len() - content.len();
        let trimmed = line.trim_end();
        let opens = trimmed.ends_with(['{', '[', '(']);
        if let Some((_, marker)) = trimmed.rsplit_once("<<-").or(trimmed.rsplit_once("<<"))
            && !marker.is_empty()
            && marker
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            heredoc = Some(marker);
        }
        match attribute_key_width(content) {
            Some(width) if !opens => {
                if indent != run_indent {
                    flush(&mut out, &mut run);
                    run_indent = indent;
                }
                run.push((line, width));
                // A heredoc's body follows its line, and its closing line ends the run.
                if heredoc.is_some() {
                    flush(&mut out, &mut run);
                    run_indent = usize::MAX;
                }
            }
            _ => {
                flush(&mut out, &mut run);
                run_indent = usize::MAX;
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    flush(&mut out, &mut run);
    out
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
        // Keys are padded by characters: `"équipe"` is 8 wide, as `"team-x"` is.
        assert_eq!(
            align("t = {\n  \"équipe\" = 1\n  \"team-x\" = 2\n  k = 3\n}\n"),
            "t = {\n  \"équipe\" = 1\n  \"team-x\" = 2\n  k        = 3\n}\n"
        );
    }

    #[test]
    fn user_text_is_escaped() {
        let text = hcl::format::to_string(&string("a ${b} %{c}")).unwrap();
        assert_eq!(text, "\"a $${b} %%{c}\"");
        assert_eq!(template_escaped("${x}"), "$${x}");
    }
}
