//! Model to aws-cli scripts: `create-roles.sh` creates or updates both roles of a runner, and
//! `delete-roles.sh` removes exactly what it made.
//!
//! The scripts embed every document, so they run from any folder, and use only `aws` and
//! coreutils. Safety rests on three rules:
//!
//! - every value from the spec reaches the shell inside single quotes ([`sh_quote`]), so no
//!   spec content is ever expanded or run;
//! - the role description, the only free text, goes to aws-cli inside `--cli-input-json`:
//!   aws-cli reads a flag value that starts with `file://` (or, in v1, `http://`) as a file or
//!   URL, but never a value inside that JSON; every other flag value starts with `arn:`, `/`,
//!   `{`, `[` or a character of a role name, none of which aws-cli treats so;
//! - "not found" is told apart from other failures by the `(NoSuchEntity)` error code in
//!   aws-cli's message, since aws-cli v1 and v2 exit with different codes.

use crate::lower::iam::{PolicyDocument, RoleDocuments};
use crate::model::{Role, Runner};
use std::fmt::Write;

/// The name of the one inline policy runnerc puts on each role.
pub const INLINE_POLICY_NAME: &str = "runnerc-policy";

/// Quotes a value for bash: single quotes, with each `'` written as `'\''`. Nothing inside
/// single quotes is expanded, so the value reaches the command byte for byte.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("script values serialise")
}

/// The `--cli-input-json` document that carries a role's description.
fn description_input(role: &Role) -> String {
    let description = role.description.as_deref().unwrap_or("");
    json(&serde_json::json!({ "Description": description }))
}

/// IAM's tag list, `[{"Key":..,"Value":..}]`, and the list of keys.
fn tags_json(runner: &Runner) -> (String, String) {
    let tags: Vec<_> = runner
        .tags
        .iter()
        .map(|t| serde_json::json!({ "Key": t.key, "Value": t.value }))
        .collect();
    let keys: Vec<&str> = runner.tags.iter().map(|t| t.key.as_str()).collect();
    (json(&tags), json(&keys))
}

const CREATE_HELPERS: &str = r#"output=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$output" "$errors"' EXIT

# aws_unless_missing ARGS...: runs `aws ARGS...` quietly, its answer kept in "$output".
# Returns 1 when IAM answers NoSuchEntity; stops the script on any other error. aws-cli v1 and
# v2 exit with different codes, so the error code in the message decides, not the exit status.
aws_unless_missing() {
    if aws "$@" >"$output" 2>"$errors"; then
        return 0
    fi
    if grep -q '(NoSuchEntity)' "$errors"; then
        return 1
    fi
    cat "$errors" >&2
    exit 1
}

# check_account: stops unless the credentials belong to the runner's account, since the
# documents name it.
check_account() {
    local account
    account=$(aws sts get-caller-identity --query Account --output text)
    if [ "$account" != "$ACCOUNT" ]; then
        echo "$0: the credentials are for account $account, but the runner is in $ACCOUNT" >&2
        exit 1
    fi
    echo "using account $ACCOUNT"
}
"#;

const ENSURE_ROLE: &str = r#"
# ensure_role NAME PATH MAX_SESSION_DURATION DESCRIPTION_JSON BOUNDARY TAGS_JSON TAG_KEYS_JSON
#   Creates the role with the trust policy, or updates an existing one in place: trust policy,
#   description, session duration, permissions boundary (BOUNDARY, or '' for none) and tags.
#   DESCRIPTION_JSON goes to --cli-input-json, where aws-cli never reads file:// values.
ensure_role() {
    local name=$1 path=$2 duration=$3 description=$4 boundary=$5 tags=$6 tag_keys=$7
    if aws_unless_missing iam get-role --role-name "$name" --query Role.Path --output text; then
        local current_path stale
        current_path=$(<"$output")
        if [ "$current_path" != "$path" ]; then
            echo "$0: role $name exists under path $current_path, not $path; IAM cannot move a role, so run delete-roles.sh first" >&2
            exit 1
        fi
        aws iam update-assume-role-policy --role-name "$name" --policy-document "$TRUST_POLICY"
        aws iam update-role --role-name "$name" --max-session-duration "$duration" --cli-input-json "$description"
        if [ -n "$boundary" ]; then
            aws iam put-role-permissions-boundary --role-name "$name" --permissions-boundary "$boundary"
        else
            aws_unless_missing iam delete-role-permissions-boundary --role-name "$name" || true
        fi
        if [ "$tags" != '[]' ]; then
            aws iam tag-role --role-name "$name" --tags "$tags"
        fi
        stale=$(aws iam list-role-tags --role-name "$name" --query "Tags[?!contains(\`$tag_keys\`, Key)].Key" --output json)
        if [ "$(printf '%s' "$stale" | tr -d ' \n')" != '[]' ]; then
            aws iam untag-role --role-name "$name" --tag-keys "$stale"
        fi
        echo "updated role $name"
    else
        local create=(iam create-role --role-name "$name" --path "$path"
            --max-session-duration "$duration" --assume-role-policy-document "$TRUST_POLICY"
            --cli-input-json "$description")
        if [ -n "$boundary" ]; then
            create+=(--permissions-boundary "$boundary")
        fi
        if [ "$tags" != '[]' ]; then
            create+=(--tags "$tags")
        fi
        aws "${create[@]}" >/dev/null
        echo "created role $name"
    fi
}

# put_inline_policy NAME DOCUMENT: adds or replaces the role's inline policy.
put_inline_policy() {
    aws iam put-role-policy --role-name "$1" --policy-name "$INLINE_POLICY_NAME" --policy-document "$2"
    echo "put inline policy $INLINE_POLICY_NAME on $1"
}

# remove_inline_policy NAME: the spec grants this role nothing inline; removes an earlier one.
remove_inline_policy() {
    if aws_unless_missing iam delete-role-policy --role-name "$1" --policy-name "$INLINE_POLICY_NAME"; then
        echo "removed inline policy $INLINE_POLICY_NAME from $1"
    fi
}

# attach_managed_policies NAME KEEP_JSON ARN...: detaches managed policies the spec no longer
# lists (KEEP_JSON is the list of ARNs), then attaches each ARN (attaching twice is harmless).
attach_managed_policies() {
    local name=$1 keep=$2 arn stale
    shift 2
    stale=$(aws iam list-attached-role-policies --role-name "$name" --query "AttachedPolicies[?!contains(\`$keep\`, PolicyArn)].PolicyArn" --output text)
    for arn in $stale; do
        aws iam detach-role-policy --role-name "$name" --policy-arn "$arn"
        echo "detached $arn from $name"
    done
    for arn in "$@"; do
        aws iam attach-role-policy --role-name "$name" --policy-arn "$arn"
        echo "attached $arn to $name"
    done
}
"#;

const DELETE_ROLE: &str = r#"
# delete_role NAME ARN...: removes the inline policy and the managed attachments that
# create-roles.sh made, in the order IAM requires, then the role. A role that is already gone
# is not an error.
delete_role() {
    local name=$1 arn
    shift
    if ! aws_unless_missing iam get-role --role-name "$name"; then
        echo "role $name is already gone"
        return 0
    fi
    if aws_unless_missing iam delete-role-policy --role-name "$name" --policy-name "$INLINE_POLICY_NAME"; then
        echo "removed inline policy $INLINE_POLICY_NAME from $name"
    fi
    for arn in "$@"; do
        if aws_unless_missing iam detach-role-policy --role-name "$name" --policy-arn "$arn"; then
            echo "detached $arn from $name"
        fi
    done
    aws iam delete-role --role-name "$name"
    echo "deleted role $name"
}
"#;

fn header(out: &mut String, runner: &Runner, script: &str, purpose: &str, rerun: &str) {
    let _ = writeln!(out, "#!/usr/bin/env bash");
    // Spec text stands in single quotes on purpose: nothing in it may expand.
    let _ = writeln!(out, "# shellcheck disable=SC2016");
    let _ = writeln!(out, "# {script}: {purpose} of runner {}.", runner.name);
    let _ = writeln!(
        out,
        "# Generated by runnerc; change the spec and build again rather than editing this file."
    );
    let _ = writeln!(out, "#");
    for (kind, role) in [
        ("task role:", &runner.task_role),
        ("execution role:", &runner.execution_role),
    ] {
        let _ = writeln!(out, "#   {kind:<16}{}{}", role.path, role.name);
    }
    let _ = writeln!(
        out,
        "#   account {}, region {}, partition {}",
        runner.account, runner.region, runner.partition
    );
    let _ = writeln!(out, "#");
    let _ = writeln!(out, "# {rerun}");
    let _ = writeln!(
        out,
        "# Uses aws (v1 or v2) and coreutils; honours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL."
    );
    let _ = writeln!(out, "set -euo pipefail");
    let _ = writeln!(out, "export AWS_PAGER=\"\"");
    let _ = writeln!(
        out,
        "# IAM answers in the runner's partition only through a region of it."
    );
    let _ = writeln!(
        out,
        "export AWS_REGION=\"${{AWS_REGION:-{}}}\"",
        runner.region
    );
    let _ = writeln!(
        out,
        "export AWS_DEFAULT_REGION=\"${{AWS_DEFAULT_REGION:-$AWS_REGION}}\""
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "readonly ACCOUNT={}", sh_quote(&runner.account));
    let _ = writeln!(
        out,
        "readonly INLINE_POLICY_NAME={}",
        sh_quote(INLINE_POLICY_NAME)
    );
}

/// A document as a readonly shell variable: the indented JSON of the `.json` file, inside
/// single quotes, so a reviewer reads the script's policies as easily as the files.
fn document_variable(out: &mut String, variable: &str, document: &PolicyDocument) {
    let json = document.to_pretty_json();
    let _ = writeln!(out, "readonly {variable}={}", sh_quote(json.trim_end()));
}

/// `create-roles.sh`: creates both roles, or updates them in place, with their inline
/// policies, managed attachments, boundaries and tags.
pub fn create_script(runner: &Runner, documents: &RoleDocuments) -> String {
    let mut out = String::new();
    header(
        &mut out,
        runner,
        "create-roles.sh",
        "creates or updates the IAM roles",
        "Safe to run again: existing roles are updated in place.",
    );
    let _ = writeln!(out);
    document_variable(&mut out, "TRUST_POLICY", &documents.trust);
    if let Some(task) = &documents.task {
        document_variable(&mut out, "TASK_ROLE_POLICY", task);
    }
    if let Some(execution) = &documents.execution {
        document_variable(&mut out, "EXECUTION_ROLE_POLICY", execution);
    }
    let _ = writeln!(out);
    out.push_str(CREATE_HELPERS);
    out.push_str(ENSURE_ROLE);
    let _ = writeln!(out);
    let _ = writeln!(out, "check_account");
    let (tags, tag_keys) = tags_json(runner);
    let roles = [
        (
            "The task role, assumed by the running agent.",
            &runner.task_role,
            documents.task.as_ref().map(|_| "$TASK_ROLE_POLICY"),
        ),
        (
            "The execution role, assumed by ECS to start the container.",
            &runner.execution_role,
            documents
                .execution
                .as_ref()
                .map(|_| "$EXECUTION_ROLE_POLICY"),
        ),
    ];
    for (comment, role, policy) in roles {
        let name = sh_quote(&role.name);
        let _ = writeln!(out);
        let _ = writeln!(out, "# {comment}");
        let _ = writeln!(
            out,
            "ensure_role {name} {} {} \\\n    {} \\\n    {} \\\n    {} {}",
            sh_quote(&role.path),
            role.max_session_duration.unwrap_or(3600),
            sh_quote(&description_input(role)),
            sh_quote(role.permissions_boundary.as_deref().unwrap_or("")),
            sh_quote(&tags),
            sh_quote(&tag_keys),
        );
        match policy {
            Some(variable) => {
                let _ = writeln!(out, "put_inline_policy {name} \"{variable}\"");
            }
            None => {
                let _ = writeln!(out, "remove_inline_policy {name}");
            }
        }
        let mut attach = format!(
            "attach_managed_policies {name} {}",
            sh_quote(&json(&role.managed_policies))
        );
        for arn in &role.managed_policies {
            let _ = write!(attach, " \\\n    {}", sh_quote(arn));
        }
        let _ = writeln!(out, "{attach}");
    }
    out
}

/// `delete-roles.sh`: removes exactly what `create-roles.sh` made.
pub fn delete_script(runner: &Runner) -> String {
    let mut out = String::new();
    header(
        &mut out,
        runner,
        "delete-roles.sh",
        "removes the IAM roles",
        "Safe to run again: roles that are already gone are skipped.",
    );
    let _ = writeln!(out);
    out.push_str(CREATE_HELPERS);
    out.push_str(DELETE_ROLE);
    let _ = writeln!(out);
    let _ = writeln!(out, "check_account");
    for role in [&runner.task_role, &runner.execution_role] {
        let mut line = format!("delete_role {}", sh_quote(&role.name));
        for arn in &role.managed_policies {
            let _ = write!(line, " \\\n    {}", sh_quote(arn));
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sh_quote;

    #[test]
    fn quoting_keeps_every_byte_literal() {
        assert_eq!(sh_quote("plain"), "'plain'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(
            sh_quote("$(rm -rf /) `x` \\ \"q\"\n"),
            "'$(rm -rf /) `x` \\ \"q\"\n'"
        );
    }
}
